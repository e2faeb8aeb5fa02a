"""End to end: the utilization report from the pumptrack CLI against the real pumptrackd, with hand-written
operating-state histories reported through the real pumptrack-agent (spool adapter) over mutual TLS, under
examples/hospital-policy.textproto (its PAR levels). Every figure is computed by hand below.

The simulator's fleet has no fixed duty cycles (its pumps move between states at random), so the exact check uses
spooled observations at chosen times instead.

Reuses tests/e2e's harness (its Daemon, PKI and token set-up).
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
import e2e_test  # noqa: E402  (the harness: Daemon, tokens, cli(), run_agent())

EXAMPLE_POLICY = os.path.join(e2e_test.SOURCE_DIR, "examples", "hospital-policy.textproto")
MINUTE_MS = 60_000


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


class UtilizationEndToEndTest(e2e_test.EndToEndTest):
    """Only the test_utilization_* methods are registered with ctest (see CMakeLists.txt)."""

    def setUp(self):
        super().setUp()
        self.viewer = self.offline_token("viewer", "val.viewer")
        self.start_daemon(f"--policy={EXAMPLE_POLICY}")
        self.enroll("gw-a")
        now = datetime.datetime.now(datetime.timezone.utc)
        # A whole hour three to four hours ago: the window [t0, t0 + 3 h) is over.
        self.t0 = now.replace(minute=0, second=0, microsecond=0) - datetime.timedelta(hours=4)

    def spool(self, history):
        """Reports `history` [(tag, unit, minutes after t0, state)] through the agent's spool adapter."""
        spool = os.path.join(self.workdir, "spool")
        os.makedirs(spool, exist_ok=True)
        with open(os.path.join(e2e_test.SOURCE_DIR, "examples", "spool", "PT-90001-20261205T101500Z.json")) as f:
            example = json.load(f)
        for i, (tag, unit, minutes, state) in enumerate(history):
            at = self.t0 + datetime.timedelta(minutes=minutes)
            document = dict(example, observedAt=rfc3339(at), operatingState=state,
                            identity=dict(example["identity"], assetTag=tag, serialNumber=f"SN-{tag}"),
                            location=dict(example["location"], unit=unit, room=f"{unit}-101"))
            # Names sort by observation time: the agent numbers each pump's reports in name order.
            with open(os.path.join(spool, f"{i:04d}-{tag}.json"), "w") as f:
                json.dump(document, f)
        self.run_agent("gw-a", "--adapter=spool", f"--spool_dir={spool}",
                       f"--buffer_dir={os.path.join(self.workdir, 'agent-buffer')}")
        self.assertEqual(len(os.listdir(os.path.join(spool, "done"))), len(history))

    def report(self, by, since, until, token=None):
        return json.loads(self.cli("report", "utilization", f"--since={rfc3339(since)}", f"--until={rfc3339(until)}",
                                   f"--by={by}", "--output=json", token=token).stdout)

    def test_utilization_matches_hand_computed_histories(self):
        self.spool([
            ("PT-70001", "icu-1", 0, "OPERATING_STATE_IDLE"),
            ("PT-70002", "icu-1", 0, "OPERATING_STATE_IDLE"),
            ("PT-70003", "er", 0, "OPERATING_STATE_ALARM"),
            ("PT-70001", "icu-1", 30, "OPERATING_STATE_INFUSING"),
            ("PT-70002", "icu-1", 60, "OPERATING_STATE_INFUSING"),
            ("PT-70002", "icu-1", 90, "OPERATING_STATE_OFF"),
            ("PT-70001", "icu-1", 135, "OPERATING_STATE_IDLE"),
            ("PT-70003", "er", 150, "OPERATING_STATE_INFUSING"),
        ])
        until = self.t0 + datetime.timedelta(hours=3)
        devices = {row["assetTag"]: row for row in self.report("device", self.t0, until, token=self.viewer)}
        self.assertEqual(sorted(devices), ["PT-70001", "PT-70002", "PT-70003"])
        # PT-70001: idle 0-30 and 135-180, infusing 30-135.
        self.assertEqual(int(devices["PT-70001"]["time"]["idleMs"]), 75 * MINUTE_MS)
        self.assertEqual(int(devices["PT-70001"]["time"]["infusingMs"]), 105 * MINUTE_MS)
        # PT-70002: idle 0-60, infusing 60-90, off 90-180.
        self.assertEqual(int(devices["PT-70002"]["time"]["idleMs"]), 60 * MINUTE_MS)
        self.assertEqual(int(devices["PT-70002"]["time"]["infusingMs"]), 30 * MINUTE_MS)
        self.assertEqual(int(devices["PT-70002"]["time"]["offMs"]), 90 * MINUTE_MS)
        # PT-70003: alarm 0-150, infusing 150-180.
        self.assertEqual(int(devices["PT-70003"]["time"]["alarmMs"]), 150 * MINUTE_MS)
        self.assertAlmostEqual(devices["PT-70003"]["infusingShare"], 30 / 180)

        units = {row["unit"]: row for row in self.report("unit", self.t0, until)}
        self.assertEqual(units["icu-1"]["devices"], 2)
        self.assertAlmostEqual(units["icu-1"]["infusingShare"], 135 / 360)
        self.assertEqual(units["icu-1"]["peakInfusing"], 2)  # 60-90: both infusing
        self.assertEqual(units["icu-1"]["parLevel"], 8)        # from the example policy
        self.assertEqual(units["er"]["peakInfusing"], 1)
        self.assertEqual(units["er"]["parLevel"], 4)
        # Only the first hour: PT-70001 alone infused in icu-1 (from minute 30).
        first_hour = {row["unit"]: row for row in self.report("unit", self.t0, self.t0 + datetime.timedelta(hours=1))}
        self.assertEqual(first_hour["icu-1"]["peakInfusing"], 1)
        self.assertAlmostEqual(first_hour["icu-1"]["infusingShare"], 30 / 120)

        models = self.report("model", self.t0, until)
        self.assertEqual([row["model"] for row in models], ["Infusia 500"])
        self.assertEqual(models[0]["devices"], 3)

        # The table names peak use against PAR per unit.
        table = self.cli("report", "utilization", f"--since={rfc3339(self.t0)}", f"--until={rfc3339(until)}").stdout
        self.assertIn("PEAK IN USE", table)
        self.assertIn("PAR", table)
        icu = next(line for line in table.splitlines() if " icu-1 " in f" {line} ")
        self.assertEqual(icu.split()[-2:], ["2", "8"])

        # The roll-up is persisted: after a restart the same figures come back.
        self.daemon.stop()
        self.start_daemon(f"--policy={EXAMPLE_POLICY}")
        again = {row["assetTag"]: row for row in self.report("device", self.t0, until)}
        self.assertEqual(again, devices)

    def test_utilization_refuses_bad_windows(self):
        since = self.t0
        result = self.cli("report", "utilization", f"--since={rfc3339(since)}",
                          f"--until={rfc3339(since - datetime.timedelta(hours=1))}", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("until: must be after since", result.stderr)
        result = self.cli("report", "utilization", "--since=900d", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("400 days", result.stderr)
        result = self.cli("report", "utilization", "--by=floor", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("--by", result.stderr)
        # An empty fleet: an empty report, not an error.
        self.assertIn("No pump reported", self.cli("report", "utilization", "--since=7d").stdout)
