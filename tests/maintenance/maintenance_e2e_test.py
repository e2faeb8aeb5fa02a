"""End to end: preventive maintenance from the pumptrack CLI against the real pumptrackd, with a simulated fleet
reported through the real pumptrack-agent over mutual TLS, under examples/hospital-policy.textproto with its PM
schedule shrunk to seconds (the honest way to let time pass: pumps become due and overdue with the wall clock and the
maintenance sweep, not with a faked clock).

Reuses tests/e2e's harness (its Daemon, PKI and token set-up).
"""
import datetime
import os
import sys
import time

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
import e2e_test  # noqa: E402  (the harness: Daemon, tokens, cli(), run_agent())

EXAMPLE_POLICY = os.path.join(e2e_test.SOURCE_DIR, "examples", "hospital-policy.textproto")
# Due 8 s after a pump is first seen (never maintained) or after its last PM; MAINTENANCE_DUE from 4 s.
INTERVAL_S = 8
WARNING_S = 4


def utc_now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


class MaintenanceEndToEndTest(e2e_test.EndToEndTest):
    """Only the test_maintenance_* methods are registered with ctest (see CMakeLists.txt)."""

    def setUp(self):
        super().setUp()
        self.technician = self.offline_token("technician", "bob.biomed")
        self.transport = self.offline_token("transport", "tom.transport")
        self.viewer = self.offline_token("viewer", "val.viewer")
        with open(EXAMPLE_POLICY) as f:
            text = f.read()
        schedule = "pm_interval_months: 12\n  pm_warning { seconds: 2592000 }"
        self.assertEqual(text.count(schedule), 3, "the example policy gives each model a 12-month PM")
        text = text.replace(schedule, f"pm_interval {{ seconds: {INTERVAL_S} }}\n  pm_warning {{ seconds: {WARNING_S} }}")
        self.policy = os.path.join(self.workdir, "policy.textproto")
        with open(self.policy, "w") as f:
            f.write(text)
        self.start_daemon(f"--policy={self.policy}", "--maintenance_sweep_interval=200ms")

    def open_rules(self, tag):
        return {f["rule"] for f in self.cli_json("findings", "list", f"--device={tag}")
                if f.get("state") in ("FINDING_STATE_OPEN", "FINDING_STATE_ACKNOWLEDGED")}

    def test_maintenance_due_overdue_gate_and_a_recorded_pm(self):
        self.fleet("gw-a", 12, 1)
        first_seen = time.monotonic()
        found = self.wait_for(lambda: self.cli_json("find-available", "--near=icu-1", "--count=3").get("pumps"),
                              "available pumps")
        self.assertGreaterEqual(len(found), 2, found)
        kept, gated = found[0]["assetTag"], found[1]["assetTag"]

        # A viewer may not record; a technician may, and the recorder is the token's name.
        performed = (utc_now() - datetime.timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
        refused = self.cli("maintenance", "record", kept, "--kind=pm", f"--performed={performed}",
                           token=self.viewer, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("permission denied", refused.stderr)
        # `gated` leaves before it falls due.
        self.cli("custody", "checkout", gated, "--to=5-west", "--reason=loan", "--due=2h", token=self.transport)
        self.assertLess(time.monotonic() - first_seen, WARNING_S, "the set-up took longer than the warning window")

        # With time alone (no further reports) every pump becomes due, then overdue.
        due = self.wait_for(lambda: [p for p in self.cli_json("maintenance", "due") if p["assetTag"] == gated],
                            "gated pump due")
        self.wait_for(lambda: "maintenance.overdue" in self.open_rules(gated), "gated pump overdue")
        self.assertNotIn("maintenance.due", self.open_rules(gated))
        overdue = self.cli_json("maintenance", "due", "--within=1d")
        self.assertTrue(any(p["assetTag"] == gated and p.get("overdue") for p in overdue), overdue)
        self.assertIn("OVERDUE", self.cli("maintenance", "due").stdout)
        # find-available never offers an overdue pump.
        self.assertEqual(self.cli_json("find-available", "--near=icu-1", "--count=20").get("pumps", []), [])

        # The overdue pump passes the gate but lands in maintenance, not back in service.
        seal = self.cli_json("devices", "get", gated)["lastObservation"]["physical"]["sealId"]
        self.cli("custody", "checkin", gated, "--at=5-west", f"--seal={seal}", token=self.transport)
        self.assertEqual(self.cli_json("devices", "get", gated)["custody"]["state"], "CUSTODY_STATE_IN_MAINTENANCE")

        # A recorded PM resolves the finding; the technician's record is in the history and the audit log.
        performed = utc_now().isoformat().replace("+00:00", "Z")
        recorded = self.cli("maintenance", "record", kept, "--kind=pm", f"--performed={performed}",
                            "--notes=annual PM, door seal replaced", token=self.technician).stdout
        self.assertIn("Recorded pm #1", recorded)
        self.assertNotIn("maintenance.overdue", self.open_rules(kept))
        history = self.cli_json("maintenance", "history", kept)
        self.assertEqual([(r["kind"], r["recordedBy"], r["notes"]) for r in history],
                         [("MAINTENANCE_KIND_PM", "bob.biomed", "annual PM, door seal replaced")])
        actions = [e["action"] for e in self.cli_json("audit", "list") if e["action"].startswith("maintenance.")]
        self.assertEqual(actions, ["maintenance.pm"])
        self.assertIn("ok", self.cli("audit", "verify").stdout.lower())

    def test_maintenance_import_is_all_or_nothing(self):
        self.fleet("gw-a", 4, 1)
        tags = [d["identity"]["assetTag"] for d in self.cli_json("devices", "list")]
        self.assertEqual(len(tags), 4)
        today = utc_now().strftime("%Y-%m-%d")
        future = (utc_now() + datetime.timedelta(days=30)).strftime("%Y-%m-%d")
        path = os.path.join(self.workdir, "cmms.csv")
        with open(path, "w", newline="") as f:
            f.write("\ufeffAsset,Work Type,Completed,Technician,Notes\r\n"
                    f"{tags[0]},PM,{today},\"Vendor, Inc.\",\"said \"\"ok\"\"\"\r\n"
                    f"{tags[1]},inspection,{today},bob,\r\n"
                    f"{tags[2]},pm,{future},bob,\r\n"
                    f"PT-NOT-HERE,repair,{today},bob,\r\n")
        columns = ["--tag-column=Asset", "--kind-column=Work Type", "--performed-column=Completed",
                   "--by-column=Technician"]
        refused = self.cli("maintenance", "import", path, *columns, token=self.technician, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("line 4", refused.stderr)
        self.assertIn("in the future", refused.stderr)
        self.assertIn("nothing was imported", refused.stderr)
        self.assertEqual(self.cli_json("maintenance", "history", tags[0]), [])

        skipped = self.cli("maintenance", "import", path, *columns, "--skip-bad-rows", token=self.technician).stdout
        self.assertIn("skipped line 4", skipped)
        self.assertIn("skipped line 5", skipped)
        self.assertIn("Imported 2 records", skipped)
        first = self.cli_json("maintenance", "history", tags[0])
        self.assertEqual([(r["performedBy"], r["notes"]) for r in first], [("Vendor, Inc.", "said \"ok\"")])
        # Importing it again changes nothing.
        again = self.cli("maintenance", "import", path, *columns, "--skip-bad-rows", token=self.technician).stdout
        self.assertIn("Imported 0 records", again)
        self.assertEqual(len(self.cli_json("maintenance", "history", tags[0])), 1)


# Component PM: every model's battery module on a 6 s schedule, MAINTENANCE_DUE from 3 s (the pumps' own 12-month PM
# stays out of the way).
COMPONENT_INTERVAL_S = 6
COMPONENT_WARNING_S = 3
BATTERY_MODELS = ("AM5-BAT", "NWF-BAT", "CHG-BAT")
# --sim_worn_batteries=0.25 wears out the battery of every 4th pump from PT-00002 (agents/sim/faults.h).
WORN = 0.25


def worn_battery(index, fraction):
    """agents/sim/faults.h HasWornBattery."""
    q = round(fraction * 1_000_000)
    return q > 0 and (index * q + 500_000) // 1_000_000 > ((index - 1) * q + 500_000) // 1_000_000


class ComponentMaintenanceEndToEndTest(e2e_test.EndToEndTest):
    """Only the test_component_* methods are registered with ctest (see CMakeLists.txt)."""

    def setUp(self):
        super().setUp()
        self.technician = self.offline_token("technician", "bob.biomed")
        self.transport = self.offline_token("transport", "tom.transport")
        with open(EXAMPLE_POLICY) as f:
            text = f.read()
        for model in BATTERY_MODELS:
            text += (f'\ncomponents {{ kind: "battery-module" model: "{model}" '
                     f"pm_interval {{ seconds: {COMPONENT_INTERVAL_S} }} pm_warning {{ seconds: {COMPONENT_WARNING_S} }} }}")
        self.policy = os.path.join(self.workdir, "policy.textproto")
        with open(self.policy, "w") as f:
            f.write(text + "\n")
        self.start_daemon(f"--policy={self.policy}", "--maintenance_sweep_interval=200ms")

    def open_rules(self, tag):
        return {f["rule"] for f in self.cli_json("findings", "list", f"--device={tag}")
                if f.get("state") in ("FINDING_STATE_OPEN", "FINDING_STATE_ACKNOWLEDGED")}

    def test_component_battery_module_pm_worn_batteries_and_the_gate(self):
        self.fleet("gw-a", 8, 1, f"--sim_worn_batteries={WORN}")
        devices = {d["identity"]["assetTag"]: d for d in self.cli_json("devices", "list")}
        self.assertEqual(len(devices), 8)
        battery = {}
        for tag in devices:
            components = self.cli_json("devices", "get", tag)["lastObservation"]["components"]
            battery[tag] = next(c for c in components if c["kind"] == "battery-module")
            self.assertIn(battery[tag]["model"], BATTERY_MODELS)
            self.assertTrue(battery[tag]["serialNumber"], battery[tag])

        # The simulator's worn batteries raise BATTERY_DEGRADED under the example policy's own 70 % minimum, on
        # exactly the pumps HasWornBattery names.
        worn = {f"PT-{i:05d}" for i in range(1, 9) if worn_battery(i, WORN)}
        self.assertEqual(worn, {"PT-00002", "PT-00006"})
        self.wait_for(lambda: {f["assetTag"] for f in self.cli_json("findings", "list", "--kind=battery_degraded")}
                      == worn, "BATTERY_DEGRADED on the worn pumps")
        self.assertEqual(self.cli_json("devices", "get", "PT-00002")["lastObservation"]["physical"]
                         ["batteryHealthPercent"], 55)

        # `gated` leaves before its battery module falls due.
        gated, kept = "PT-00003", "PT-00002"
        self.cli("custody", "checkout", gated, "--to=5-west", "--reason=loan", "--due=2h", token=self.transport)

        # With time alone each battery module becomes due, then overdue: one finding per module, naming it.
        rule = f"maintenance.component.overdue.battery-module.{battery[kept]['serialNumber']}"
        self.wait_for(lambda: rule in self.open_rules(kept), "battery module overdue")
        finding = next(f for f in self.cli_json("findings", "list", f"--device={kept}") if f["rule"] == rule)
        self.assertEqual(finding["kind"], "FINDING_KIND_MAINTENANCE_OVERDUE")
        self.assertIn(f"battery-module {battery[kept]['model']} serial {battery[kept]['serialNumber']}",
                      finding["reason"])
        due = [p for p in self.cli_json("maintenance", "due") if p["assetTag"] == kept]
        self.assertEqual([(p.get("componentSerial"), p.get("overdue")) for p in due],
                         [(battery[kept]["serialNumber"], True)])
        self.assertIn(battery[kept]["serialNumber"], self.cli("maintenance", "due").stdout)

        # The pump with an overdue battery module passes the gate but lands in maintenance.
        self.wait_for(lambda: any(r.startswith("maintenance.component.overdue.") for r in self.open_rules(gated)),
                      "gated pump's module overdue")
        seal = self.cli_json("devices", "get", gated)["lastObservation"]["physical"]["sealId"]
        self.cli("custody", "checkin", gated, "--at=5-west", f"--seal={seal}", token=self.transport)
        self.assertEqual(self.cli_json("devices", "get", gated)["custody"]["state"], "CUSTODY_STATE_IN_MAINTENANCE")

        # A module the pump does not report is refused, naming the field; nothing is stored.
        performed = utc_now().isoformat().replace("+00:00", "Z")
        refused = self.cli("maintenance", "record", kept, "--kind=pm", f"--performed={performed}",
                           "--component=NO-SUCH-MODULE", token=self.technician, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("component_serial", refused.stderr)
        self.assertEqual(self.cli_json("maintenance", "history", kept), [])

        # A battery replacement recorded for the module resolves its finding, and only its.
        recorded = self.cli("maintenance", "record", kept, "--kind=battery_replacement", f"--performed={performed}",
                            f"--component={battery[kept]['serialNumber']}", token=self.technician).stdout
        self.assertIn(f"component {battery[kept]['serialNumber']}", recorded)
        self.assertNotIn(rule, self.open_rules(kept))
        self.assertTrue(any(r.startswith("maintenance.component.overdue.") for r in self.open_rules("PT-00004")))
        history = self.cli_json("maintenance", "history", kept)
        self.assertEqual([(r["kind"], r["componentSerial"]) for r in history],
                         [("MAINTENANCE_KIND_BATTERY_REPLACEMENT", battery[kept]["serialNumber"])])
        # Six seconds on, the new module is due again: the queue holds its new deadline.
        self.wait_for(lambda: rule in self.open_rules(kept), "battery module overdue again")


if __name__ == "__main__":
    import unittest
    unittest.main()
