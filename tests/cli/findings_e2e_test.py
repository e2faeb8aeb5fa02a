"""End-to-end tests of the findings, risk, policy and set-home commands: the real pumptrackd, pumptrack-agent and
pumptrack binaries over mutual TLS.

Reuses tests/e2e's harness (its Daemon, PKI and token set-up). Each scenario applies a policy derived from
examples/hospital-policy.textproto in which the Infusia 500's firmware (12.1.3, what every simulated Infusia runs)
is no longer allowed, so that the simulated Infusia pumps are misconfigured while the other models are clean.
"""
import json
import os
import selectors
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
import e2e_test  # noqa: E402  (the harness: Daemon, tokens, cli(), run_agent())

EXAMPLE_POLICY = os.path.join(e2e_test.SOURCE_DIR, "examples", "hospital-policy.textproto")
INFUSIA_FIRMWARE = "12.1.3"


class FindingsEndToEndTest(e2e_test.EndToEndTest):
    """Only the test_findings_* methods are registered with ctest (see CMakeLists.txt); the inherited scenarios run
    under tests/e2e."""

    def setUp(self):
        super().setUp()
        with open(EXAMPLE_POLICY) as f:
            self.example_text = f.read()
        self.assertIn(f'allowed: "{INFUSIA_FIRMWARE}"', self.example_text)
        # The Infusia 500 block comes first in the example: allow only a newer build there.
        self.strict_policy = self.write("strict-policy.textproto", self.example_text.replace(
            f'allowed: "{INFUSIA_FIRMWARE}"', 'allowed: "12.1.4"', 1))
        self.manager_token = self.offline_token("asset_manager", "e2e-manager")
        self.viewer_token = self.offline_token("viewer", "e2e-viewer")

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def report_fleet(self, pumps=30):
        """Applies the strict policy and has gw-a report `pumps` simulated pumps once."""
        self.cli("policy", "set", self.strict_policy)
        self.fleet("gw-a", pumps, 1)

    def misconfigured_firmware_findings(self):
        """The open firmware.not_allowed findings, waiting up to 20 s for the first."""
        deadline = time.monotonic() + 20
        while True:
            findings = [f for f in self.cli_json("findings", "list", "--kind=misconfigured")
                        if f["rule"] == "firmware.not_allowed"]
            if findings or time.monotonic() > deadline:
                return findings
            time.sleep(0.2)

    # --- scenarios -----------------------------------------------------------------------------------------------

    def test_findings_policy_validate_set_and_get(self):
        self.start_daemon()
        valid = self.cli("policy", "validate", EXAMPLE_POLICY).stdout
        self.assertIn("is valid: 9 units, 3 models (sha256:", valid)

        # Line 3 has a field the Policy message does not have.
        broken = self.write("broken.textproto", 'revision: "broken"\nsite {\n  wards { id: "x" }\n}\n')
        result = self.cli("policy", "validate", broken, check=False)
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("line 3", result.stderr)
        self.assertIn("(INVALID_ARGUMENT)", result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)

        self.cli("policy", "set", EXAMPLE_POLICY)
        self.assertEqual(self.cli("policy", "get").stdout, self.example_text)
        # A refused policy leaves the applied one in force.
        refused = self.cli("policy", "set", broken, check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("line 3", refused.stderr)
        info = self.cli_json("policy", "get")
        self.assertEqual(info["text"], self.example_text)
        self.assertEqual(len(info["policy"]["site"]["units"]), 9)
        self.assertTrue(info["digest"].startswith("sha256:"))
        # Only admins change the policy.
        denied = self.cli("policy", "set", EXAMPLE_POLICY, token=self.manager_token, check=False)
        self.assertEqual(denied.returncode, 1)
        self.assertIn("permission denied", denied.stderr)

    def test_findings_list_shows_a_misconfigured_pump_and_ack_needs_an_asset_manager(self):
        self.start_daemon()
        self.report_fleet()
        findings = self.misconfigured_firmware_findings()
        self.assertTrue(findings, "no firmware.not_allowed finding")
        finding = findings[0]
        self.assertEqual(finding["kind"], "FINDING_KIND_MISCONFIGURED")
        self.assertEqual(finding["state"], "FINDING_STATE_OPEN")
        self.assertEqual(finding["evidence"]["seen"], INFUSIA_FIRMWARE)
        self.assertTrue(finding["reason"])
        device = self.cli_json("devices", "get", finding["assetTag"])
        self.assertEqual(device["identity"]["model"], "Infusia 500")
        self.assertGreater(device["openFindings"], 0)
        self.assertGreater(device["riskScore"], 0)
        # Clean models carry no firmware finding.
        tags = {f["assetTag"] for f in findings}
        for other in self.cli_json("devices", "list", "--model=FlowMax LVP"):
            self.assertNotIn(other["identity"]["assetTag"], tags)

        table = self.cli("findings", "list", "--kind=MISCONFIGURED", f"--device={finding['assetTag']}").stdout
        self.assertIn(finding["id"], table)
        self.assertIn("firmware.not_allowed", table)
        shown = self.cli("findings", "get", finding["id"]).stdout
        self.assertIn("Seen:", shown)
        self.assertIn(INFUSIA_FIRMWARE, shown)

        refused = self.cli("findings", "ack", finding["id"], "--note=looked at it", token=self.viewer_token,
                           check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("permission denied", refused.stderr)
        acked = self.cli("findings", "ack", finding["id"], "--note=firmware update booked",
                         token=self.manager_token).stdout
        self.assertIn(f"Acknowledged {finding['id']}", acked)
        self.assertIn("e2e-manager", acked)
        after = self.cli_json("findings", "get", finding["id"])
        self.assertEqual(after["state"], "FINDING_STATE_ACKNOWLEDGED")
        self.assertEqual(after["acknowledgedBy"], "e2e-manager")
        self.assertEqual(after["acknowledgementNote"], "firmware update booked")
        acknowledged = self.cli_json("findings", "list", "--state=acknowledged")
        self.assertIn(finding["id"], [f["id"] for f in acknowledged])
        missing = self.cli("findings", "get", "F-999999", check=False)
        self.assertEqual(missing.returncode, 1)
        self.assertIn("finding F-999999 not found", missing.stderr)

    def test_findings_risk_by_unit_and_set_home(self):
        self.start_daemon()
        self.report_fleet()
        finding = self.misconfigured_firmware_findings()[0]
        device = self.cli_json("devices", "get", finding["assetTag"])
        unit = device["lastObservation"]["location"]["unit"]
        risk = self.cli("risk", "--by=unit").stdout
        self.assertIn("OPEN FINDINGS", risk)
        self.assertIn(f"general/{unit}", risk)
        groups = {g["key"]: g for g in self.cli_json("risk", "--by=unit")}
        self.assertGreater(groups[f"general/{unit}"]["openFindings"], 0)
        by_device = self.cli_json("risk", "--by=device", "--limit=3")
        self.assertLessEqual(len(by_device), 3)
        self.assertGreater(by_device[0]["maxScore"], 0)

        tag = finding["assetTag"]
        other = "icu-1" if unit != "icu-1" else "er"
        refused = self.cli("devices", "set-home", tag, f"--unit={other}", token=self.viewer_token, check=False)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("permission denied", refused.stderr)
        out = self.cli("devices", "set-home", tag, f"--unit={other}", token=self.manager_token).stdout
        self.assertIn(f"{tag}'s home unit is now general/{other} (assigned)", out)
        updated = self.cli_json("devices", "get", tag)
        self.assertEqual(updated["homeUnit"], other)
        self.assertEqual(updated["homeSource"], "HOME_SOURCE_ASSIGNED")
        shown = self.cli("devices", "get", tag).stdout
        self.assertIn(f"general/{other} (assigned)", shown)
        self.assertIn("Risk score:", shown)
        self.assertIn("Open findings:", shown)
        # Now outside its home unit without a check-out.
        moves = self.cli_json("findings", "list", "--kind=unauthorized_move", f"--device={tag}")
        self.assertEqual([f["rule"] for f in moves], ["move.outside_home_unit"])
        bad = self.cli("devices", "set-home", tag, "--unit=no-such-unit", token=self.manager_token, check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("no-such-unit", bad.stderr)

    def test_findings_watch_streams_events_as_json_lines(self):
        self.start_daemon()
        self.report_fleet(pumps=10)
        tag = "PT-00001"
        unit = self.cli_json("devices", "get", tag)["lastObservation"]["location"]["unit"]
        other = "icu-1" if unit != "icu-1" else "er"
        env = dict(os.environ, PUMPTRACK_SERVER=self.daemon.server, PUMPTRACK_TOKEN=self.viewer_token)
        watch = subprocess.Popen([e2e_test.CLI, f"--ca={self.pki}/ca.pem", "findings", "watch",
                                  "--kind=unauthorized_move", "--output=json"],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.addCleanup(watch.kill)
        selector = selectors.DefaultSelector()
        selector.register(watch.stdout, selectors.EVENT_READ)
        # The watch has no "ready" signal: move the home back and forth until an event for the pump arrives.
        events = []
        deadline = time.monotonic() + 30
        homes = [other, unit]
        while not events and time.monotonic() < deadline:
            self.cli("devices", "set-home", tag, f"--unit={homes[0]}", token=self.manager_token)
            homes.reverse()
            if selector.select(timeout=2):
                line = watch.stdout.readline()
                self.assertTrue(line, watch.stderr.read() if watch.poll() is not None else "")
                event = json.loads(line)
                if event.get("finding", {}).get("assetTag") == tag:
                    events.append(event)
        self.assertTrue(events, "no watch event within 30 s")
        self.assertIn(events[0]["type"], ["TYPE_OPENED", "TYPE_RESOLVED", "TYPE_CHANGED"])
        self.assertEqual(events[0]["finding"]["kind"], "FINDING_KIND_UNAUTHORIZED_MOVE")
        self.assertIsNone(watch.poll(), "watch ended on its own")
        watch.terminate()
        watch.wait(timeout=10)
