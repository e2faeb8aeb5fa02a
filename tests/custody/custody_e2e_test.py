"""End to end: the custody flow from the pumptrack CLI against the real pumptrackd, with a simulated fleet reported
through the real pumptrack-agent over mutual TLS under examples/hospital-policy.textproto.

Reuses tests/e2e's harness (its Daemon, PKI and token set-up).
"""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
import e2e_test  # noqa: E402  (the harness: Daemon, tokens, cli(), run_agent())

EXAMPLE_POLICY = os.path.join(e2e_test.SOURCE_DIR, "examples", "hospital-policy.textproto")


class CustodyEndToEndTest(e2e_test.EndToEndTest):
    """Only the test_custody_* methods are registered with ctest (see CMakeLists.txt)."""

    def setUp(self):
        super().setUp()
        self.transport = self.offline_token("transport", "tom.transport")
        self.manager = self.offline_token("asset_manager", "alice.manager")
        self.viewer = self.offline_token("viewer", "val.viewer")
        self.start_daemon(f"--policy={EXAMPLE_POLICY}")
        self.fleet("gw-a", 40, 1)

    def seal_of(self, tag):
        return self.cli_json("devices", "get", tag)["lastObservation"]["physical"]["sealId"]

    def available_near(self, unit, count):
        """Available pumps near `unit`, waiting for the fleet's reports to be evaluated."""
        deadline = time.monotonic() + 20
        while True:
            found = self.cli_json("find-available", f"--near={unit}", f"--count={count}")
            if len(found.get("pumps", [])) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def test_custody_check_out_check_in_and_the_quarantine_gate(self):
        found = self.available_near("icu-1", 3)
        pumps = [p["assetTag"] for p in found["pumps"]]
        self.assertEqual(len(pumps), 3, found)
        order = ["PROXIMITY_SAME_UNIT", "PROXIMITY_SAME_FLOOR", "PROXIMITY_SAME_BUILDING", "PROXIMITY_SAME_FACILITY",
                 "PROXIMITY_OTHER_FACILITY"]
        ranks = [order.index(p["proximity"]) for p in found["pumps"]]
        self.assertEqual(ranks, sorted(ranks), found)
        good, bad, spare = pumps

        # A viewer may not check out; transport may, and the actor is the token's name.
        refused = self.cli("custody", "checkout", good, "--to=icu-1", "--reason=ICU surge", token=self.viewer,
                           check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("permission denied", refused.stderr)
        out = self.cli_json("custody", "checkout", good, "--to=5-west", "--reason=loan to 5-west", "--due=2h",
                           token=self.transport)
        self.assertEqual(out["custody"]["state"], "CUSTODY_STATE_IN_TRANSIT")
        self.assertEqual(out["custody"]["holder"], "tom.transport")
        again = self.cli("custody", "checkout", good, "--to=icu-1", "--reason=twice", token=self.transport,
                         check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("IN_TRANSIT", again.stderr)

        listed = self.cli_json("custody", "list")
        self.assertEqual([c["assetTag"] for c in listed], [good])
        self.assertEqual(self.cli_json("custody", "list", "--overdue"), [])
        shown = self.cli("devices", "get", good).stdout
        self.assertIn("in transit", shown)
        self.assertIn("tom.transport", shown)

        checked_in = self.cli("custody", "checkin", good, "--at=5-west", f"--seal={self.seal_of(good)}",
                              "--notes=delivered", token=self.transport).stdout
        self.assertIn("PASSED", checked_in)
        self.assertEqual(self.cli_json("custody", "list"), [])
        history = self.cli_json("custody", "history", good)
        self.assertEqual([(e["index"], e["action"], e["actor"]) for e in history],
                         [("1", "CUSTODY_ACTION_CHECK_OUT", "tom.transport"),
                          ("2", "CUSTODY_ACTION_CHECK_IN", "tom.transport")])

        # Another pump comes back with a different seal: quarantined, and a TAMPERED finding.
        self.cli("custody", "checkout", bad, "--to=icu-1", "--reason=ICU surge", token=self.transport)
        gate = self.cli("custody", "checkin", bad, "--at=icu-1", "--seal=SL-NOT-THE-SAME", token=self.transport)
        self.assertIn("FAILED", gate.stdout)
        self.assertIn("SL-NOT-THE-SAME", gate.stdout)
        self.assertEqual(self.cli_json("devices", "get", bad)["custody"]["state"], "CUSTODY_STATE_QUARANTINED")
        tampered = [f for f in self.cli_json("findings", "list", f"--device={bad}")
                    if f["rule"] == "custody.seal_mismatch"]
        self.assertEqual(len(tampered), 1)
        self.assertEqual(tampered[0]["kind"], "FINDING_KIND_TAMPERED")
        # Transport may not release; the asset manager may not while the finding is open.
        self.assertNotEqual(self.cli("custody", "release", bad, token=self.transport, check=False).returncode, 0)
        blocked = self.cli("custody", "release", bad, token=self.manager, check=False)
        self.assertNotEqual(blocked.returncode, 0)
        self.assertIn("custody.seal_mismatch", blocked.stderr)
        self.cli("findings", "ack", tampered[0]["id"], "--note=resealed after inspection", token=self.manager)
        self.cli("custody", "release", bad, "--notes=inspected", token=self.manager)
        self.assertEqual(self.cli_json("devices", "get", bad)["custody"]["state"], "CUSTODY_STATE_AVAILABLE")

        # Retirement is an admin's; the asset manager may quarantine.
        self.assertNotEqual(self.cli("custody", "retire", spare, token=self.manager, check=False).returncode, 0)
        self.cli("custody", "quarantine", spare, "--reason=cracked housing", token=self.manager)
        retired = self.cli_json("custody", "retire", spare, "--reason=end of life")
        self.assertTrue(retired["event"]["credentialsWiped"])
        self.assertNotEqual(self.cli("custody", "checkout", spare, "--to=icu-1", "--reason=x", token=self.transport,
                                     check=False).returncode, 0)

        # Every custody action is in the audit log, and the chain verifies.
        actions = [e["action"] for e in self.cli_json("audit", "list") if e["action"].startswith("custody.")]
        self.assertEqual(actions, ["custody.check_out", "custody.check_in", "custody.check_out", "custody.check_in",
                                   "custody.release", "custody.quarantine", "custody.retire"])
        self.assertIn("ok", self.cli("audit", "verify").stdout.lower())

    def test_custody_moving_while_checked_out_is_not_unauthorized(self):
        tag = self.available_near("icu-1", 1)["pumps"][0]["assetTag"]
        self.cli("custody", "checkout", tag, "--to=icu-1", "--reason=transfer", token=self.transport)
        # The same pumps report again: none of them, checked out or not, gets a custody finding.
        self.fleet("gw-a", 40, 1)
        rules = {f["rule"] for f in self.cli_json("findings", "list", f"--device={tag}")}
        self.assertFalse({"move.outside_home_unit", "custody.misrouted", "custody.overdue"} & rules, rules)
        shown = self.cli_json("devices", "get", tag)
        self.assertEqual(shown["custody"]["destinationUnit"], "icu-1")


if __name__ == "__main__":
    import unittest
    unittest.main()
