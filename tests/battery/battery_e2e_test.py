"""End to end: battery state and the battery findings from the pumptrack CLI against the real pumptrackd, with a
simulated fleet reported through the real pumptrack-agent over mutual TLS, under examples/hospital-policy.textproto
with its battery minimums raised so that the simulator's worn batteries and partly charged pumps trip them.

Reuses tests/e2e's harness (its Daemon, PKI and token set-up).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
import e2e_test  # noqa: E402  (the harness: Daemon, tokens, cli(), run_agent())

EXAMPLE_POLICY = os.path.join(e2e_test.SOURCE_DIR, "examples", "hospital-policy.textproto")
# The simulator's battery health runs from 98 down to 80 %; a 90 % minimum splits the fleet.
MINIMUM_HEALTH = 90
# Every pump below full charge is too low for transport under this minimum.
TRANSPORT_MINIMUM = 100


class BatteryEndToEndTest(e2e_test.EndToEndTest):
    """Only the test_battery_* methods are registered with ctest (see CMakeLists.txt)."""

    def setUp(self):
        super().setUp()
        self.transport = self.offline_token("transport", "tom.transport")
        with open(EXAMPLE_POLICY) as f:
            text = f.read()
        self.assertEqual(text.count("minimum_battery_health_percent: 70"), 3)
        self.assertEqual(text.count("transport_minimum_battery_percent: 40"), 1)
        text = text.replace("minimum_battery_health_percent: 70", f"minimum_battery_health_percent: {MINIMUM_HEALTH}")
        text = text.replace("transport_minimum_battery_percent: 40",
                            f"transport_minimum_battery_percent: {TRANSPORT_MINIMUM}")
        self.policy = os.path.join(self.workdir, "policy.textproto")
        with open(self.policy, "w") as f:
            f.write(text)
        self.start_daemon(f"--policy={self.policy}")
        self.fleet("gw-a", 40, 1)

    def open_tags(self, kind):
        return {f["assetTag"] for f in self.cli_json("findings", "list", f"--kind={kind}")
                if f.get("state") in ("FINDING_STATE_OPEN", "FINDING_STATE_ACKNOWLEDGED")}

    def test_battery_degraded_pumps_and_a_low_pump_checked_out_for_transport(self):
        tags = sorted(d["identity"]["assetTag"] for d in self.cli_json("devices", "list"))
        self.assertEqual(len(tags), 40)
        physical = {tag: self.cli_json("devices", "get", tag)["lastObservation"]["physical"] for tag in tags}
        for tag, p in physical.items():
            self.assertTrue(80 <= p["batteryHealthPercent"] <= 98, (tag, p))
            self.assertTrue(50 <= p["batteryCycleCount"] < 800, (tag, p))
        worn = {tag for tag, p in physical.items() if p["batteryHealthPercent"] < MINIMUM_HEALTH}
        self.assertTrue(worn and worn != set(tags), "the 90 % minimum should split the simulated fleet")

        # Exactly the worn batteries are BATTERY_DEGRADED, and the CLI shows the wear.
        self.wait_for(lambda: self.open_tags("battery_degraded") == worn, "BATTERY_DEGRADED on the worn pumps")
        tag = sorted(worn)[0]
        shown = self.cli("devices", "get", tag).stdout
        self.assertIn(f"health {physical[tag]['batteryHealthPercent']}%, {physical[tag]['batteryCycleCount']} cycles",
                      shown)
        finding = [f for f in self.cli_json("findings", "list", "--kind=battery_degraded", f"--device={tag}")][0]
        self.assertEqual(finding["rule"], "battery.degraded")
        self.assertEqual(finding["evidence"]["expected"], f"health at least {MINIMUM_HEALTH}%")

        # Nothing is in transport yet; a pump below full charge checked out raises the transport warning at once,
        # and checking it in resolves it.
        self.assertEqual(self.open_tags("battery_low_for_transport"), set())
        low = next(t for t in tags if physical[t].get("batteryPercent", 0) < TRANSPORT_MINIMUM)
        self.cli("custody", "checkout", low, "--to=icu-1", "--reason=transfer", token=self.transport)
        self.assertEqual(self.open_tags("battery_low_for_transport"), {low})
        seal = physical[low]["sealId"]
        self.cli("custody", "checkin", low, "--at=icu-1", f"--seal={seal}", token=self.transport)
        self.assertEqual(self.open_tags("battery_low_for_transport"), set())
        resolved = self.cli_json("findings", "list", "--kind=battery_low_for_transport", "--state=resolved")
        self.assertEqual([(f["assetTag"], f["rule"]) for f in resolved], [(low, "battery.low_for_transport")])


if __name__ == "__main__":
    import unittest
    unittest.main()
