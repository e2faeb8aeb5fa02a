"""End to end: CSAF advisories against the real pumptrackd, the simulator (pumptrack-agent --adapter=sim) and the
pumptrack CLI, over mutual TLS.

The simulated fleet has three models; with --sim_faults some Infusia 500 pumps run the old firmware 11.4.0, and
every FlowMax LVP carries a Wi-Fi module NWF-WLAN 4.2.1. The test writes two CSAF 2.0 advisories for them (one on
the pump firmware, one on the Wi-Fi module), maps their products to the fleet in the policy, and checks through the
CLI which pumps are VULNERABLE, that an upgrade resolves, that `advisories show` groups by unit, that a restart and
a backup/restore keep it all, and that bad files are refused with nothing stored.
"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "common"))
from e2e_harness import FixedPortDaemon, free_port, offline_admin_token, scrape  # noqa: E402
from e2e_test import AGENT, MAKE_PKI, PUMPTRACKD  # noqa: E402

POLICY = """
revision: "advisories e2e"
models { model: "Infusia 500" }
models { model: "FlowMax LVP" }
models { model: "PCA Guardian" }
advisory_products { vendor: "Acme Medical" product: "Infusia 500" model: "Infusia 500" }
advisory_products { vendor: "Northwind Devices" product: "FlowMax Wi-Fi Module" component: "NWF-WLAN" }
"""

PUMP_ADVISORY = "ICSMA-99-101-01"
WIFI_ADVISORY = "ICSMA-99-102-01"


def csaf(tracking_id, title, vendor, product, affected_range, fixed_version, cve, score, remediation):
    """A CSAF 2.0 document: one product with an affected range and a fixed version, one vulnerability."""
    return {
        "document": {
            "category": "csaf_security_advisory",
            "csaf_version": "2.0",
            "title": title,
            "publisher": {"category": "coordinator", "name": "CISA", "namespace": "https://www.cisa.gov/"},
            "tracking": {
                "id": tracking_id, "version": "1", "status": "final",
                "initial_release_date": "2026-11-02T12:00:00Z", "current_release_date": "2026-11-02T12:00:00Z",
                "revision_history": [{"date": "2026-11-02T12:00:00Z", "number": "1", "summary": "Initial"}],
            },
        },
        "product_tree": {"branches": [{"category": "vendor", "name": vendor, "branches": [
            {"category": "product_name", "name": product, "branches": [
                {"category": "product_version_range", "name": affected_range,
                 "product": {"name": f"{vendor} {product} {affected_range}", "product_id": "CSAFPID-0001"}},
                {"category": "product_version", "name": fixed_version,
                 "product": {"name": f"{vendor} {product} {fixed_version}", "product_id": "CSAFPID-0002"}},
            ]}]}]},
        "vulnerabilities": [{
            "cve": cve,
            "product_status": {"known_affected": ["CSAFPID-0001"], "fixed": ["CSAFPID-0002"]},
            "remediations": [{"category": "vendor_fix", "details": remediation, "product_ids": ["CSAFPID-0001"]}],
            "scores": [{"cvss_v3": {"version": "3.1", "baseScore": score, "baseSeverity": "HIGH",
                                    "vectorString": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
                        "products": ["CSAFPID-0001"]}],
        }],
    }


def write_with_sidecar(path, content):
    with open(path, "wb") as f:
        f.write(content)
    with open(path + ".sha512", "w") as f:
        f.write(f"{hashlib.sha512(content).hexdigest()}  {os.path.basename(path)}\n")
    return path


class AdvisoriesEndToEndTest(FixedPortDaemon, unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-advisories-e2e-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.pki = os.path.join(self.workdir, "pki")
        self.data_dir = os.path.join(self.workdir, "data")
        subprocess.run([MAKE_PKI, self.pki, "gw-a"], check=True, capture_output=True)
        self.admin_token = offline_admin_token(self.data_dir, "advisories-e2e")
        self.port = free_port()
        self.daemon = None
        self.policy = os.path.join(self.workdir, "policy.textproto")
        with open(self.policy, "w") as f:
            f.write(POLICY)

    def tearDown(self):
        if self.daemon is not None:
            self.daemon.stop(sig=signal.SIGKILL)

    # --- helpers -------------------------------------------------------------------------------------------------

    def run_fleet(self, faults):
        result = subprocess.run(
            [AGENT, f"--server=127.0.0.1:{self.port}", f"--tls_ca={self.pki}/ca.pem",
             f"--tls_cert={self.pki}/agents/gw-a.pem", f"--tls_key={self.pki}/agents/gw-a.key", "--once",
             "--round_timeout=20s", "--sim_pumps=120", f"--sim_faults={faults}"],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def advisory_files(self):
        pump = csaf(PUMP_ADVISORY, "Acme Medical Infusia 500 (update: firmware)", "Acme Medical", "Infusia 500",
                    "<12.0", "12.1.3", "CVE-2026-10001", 9.8, "Update the pump firmware to 12.1.3 or later.")
        wifi = csaf(WIFI_ADVISORY, "Northwind FlowMax Wi-Fi module", "Northwind Devices", "FlowMax Wi-Fi Module",
                    "vers:generic/>=4.0|<=4.2.1", "4.3.0", "CVE-2026-10002", 7.5, "Install Wi-Fi module firmware 4.3.0.")
        return [write_with_sidecar(os.path.join(self.workdir, f"{d['document']['tracking']['id'].lower()}.json"),
                                   json.dumps(d, indent=2).encode()) for d in (pump, wifi)]

    def vulnerable(self):
        """Open VULNERABLE findings as {(asset tag, rule): severity}."""
        found = {}
        for f in self.cli_json("findings", "list"):
            if f.get("kind") == "FINDING_KIND_VULNERABLE" and f.get("state") != "FINDING_STATE_RESOLVED":
                found[(f["assetTag"], f["rule"])] = f["severity"]
        return found

    def listed(self):
        return {a["trackingId"]: a for a in self.cli_json("advisories", "list")}

    def start_fleet(self):
        """Starts pumptrackd and a simulated fleet with faults; returns its devices, the Infusia 500 pumps on the old
        firmware (the pump advisory's) and the FlowMax pumps (the Wi-Fi module advisory's)."""
        self.start_daemon(f"--policy={self.policy}")
        self.cli("agents", "enroll", "gw-a")
        self.run_fleet(faults=0.8)
        devices = self.devices()
        old_firmware = {t for t, d in devices.items() if d["identity"]["model"] == "Infusia 500"
                        and d["lastObservation"].get("firmwareVersion") == "11.4.0"}
        flowmax = {t for t, d in devices.items() if d["identity"]["model"] == "FlowMax LVP"}
        self.assertTrue(old_firmware, "the simulator should give some Infusia 500 pumps firmware 11.4.0")
        self.assertTrue(flowmax)
        return devices, old_firmware, flowmax

    # --- scenarios -----------------------------------------------------------------------------------------------

    def test_right_pumps_vulnerable_upgrade_resolves_restart_and_backup_keep_it(self):
        devices, old_firmware, flowmax = self.start_fleet()

        out = self.cli("advisories", "import", *self.advisory_files())
        self.assertIn(f"imported {PUMP_ADVISORY} revision 1", out)
        expected = {(t, f"advisory.{PUMP_ADVISORY}"): "SEVERITY_CRITICAL" for t in old_firmware}
        expected.update({(t, f"advisory.{WIFI_ADVISORY}"): "SEVERITY_HIGH" for t in flowmax})
        self.assertEqual(self.vulnerable(), expected)
        clean = set(devices) - old_firmware - flowmax
        self.assertTrue(clean)
        self.assertFalse({t for t, _ in self.vulnerable()} & clean)

        listed = self.listed()
        self.assertEqual(listed[PUMP_ADVISORY]["affectedDevices"], len(old_firmware))
        self.assertEqual(listed[WIFI_ADVISORY]["affectedDevices"], len(flowmax))
        self.assertEqual(listed[PUMP_ADVISORY]["cves"], ["CVE-2026-10001"])
        self.assertEqual(listed[PUMP_ADVISORY]["maxBaseScore"], 9.8)
        table = self.cli("advisories", "list")
        self.assertIn("AFFECTED", table)
        self.assertIn(PUMP_ADVISORY, table)

        # `advisories show` groups the affected pumps by facility and unit, each where it was last seen.
        report = self.cli_json("advisories", "show", WIFI_ADVISORY)
        shown = set()
        for unit in report["units"]:
            for device in unit["devices"]:
                self.assertEqual(device["location"]["unit"], unit["unit"])
                self.assertEqual(device["location"]["facility"], unit["facility"])
                self.assertEqual(devices[device["assetTag"]]["lastObservation"]["location"]["unit"], unit["unit"])
                self.assertIn("custodyState", device)
                self.assertIn("lastSeenAt", device)
                # Computed by the server (ListAffectedDevices): the model and what matched, with the remediation.
                self.assertEqual(device["model"], "FlowMax LVP")
                [match] = device["matches"]
                self.assertEqual((match["componentModel"], match["matchedVersion"], match["versionRange"]),
                                 ("NWF-WLAN", "4.2.1", "vers:generic/>=4.0|<=4.2.1"))
                self.assertEqual(match["remediations"][0]["details"], "Install Wi-Fi module firmware 4.3.0.")
                shown.add(device["assetTag"])
        self.assertEqual(shown, flowmax)
        self.assertGreater(len(report["units"]), 1)
        text = self.cli("advisories", "show", WIFI_ADVISORY)
        self.assertIn("Install Wi-Fi module firmware 4.3.0.", text)
        self.assertIn(f"affected pumps: {len(flowmax)}", text)
        # Every product of both advisories is mapped by the policy: `unmapped` (ListUnmappedProducts) lists none.
        self.assertEqual(self.cli_json("advisories", "unmapped"), [])

        # Metrics: affected devices by severity, no per-device label.
        metrics = scrape(int(self.daemon_metrics_port()))
        self.assertEqual(metrics['pumptrack_devices_vulnerable{severity="CRITICAL"}'], len(old_firmware))
        self.assertEqual(metrics['pumptrack_devices_vulnerable{severity="HIGH"}'], len(flowmax))

        # The faulty pumps report the current firmware: the pump advisory's findings resolve, the module's stay.
        self.run_fleet(faults=0)
        wifi_only = {(t, f"advisory.{WIFI_ADVISORY}"): "SEVERITY_HIGH" for t in flowmax}
        self.assertEqual(self.vulnerable(), wifi_only)
        self.assertEqual(self.listed()[PUMP_ADVISORY]["affectedDevices"], 0)

        # A restart keeps advisories and findings.
        self.stop_daemon()
        self.start_daemon(f"--policy={self.policy}")
        self.assertEqual(set(self.listed()), {PUMP_ADVISORY, WIFI_ADVISORY})
        self.assertEqual(self.vulnerable(), wifi_only)

        # So does a backup restored into a new data directory.
        backups = os.path.join(self.workdir, "backups")
        self.cli("backup", "create", f"--dest={backups}")
        self.stop_daemon()
        restored = os.path.join(self.workdir, "restored")
        subprocess.run([PUMPTRACKD, "restore", f"--from={backups}", f"--data_dir={restored}"], check=True,
                       capture_output=True)
        self.data_dir = restored
        self.start_daemon(f"--policy={self.policy}")
        self.assertEqual(set(self.listed()), {PUMP_ADVISORY, WIFI_ADVISORY})
        self.assertEqual(self.vulnerable(), wifi_only)

    def test_background_import_answers_with_the_matched_pumps_and_the_findings_follow(self):
        _, old_firmware, flowmax = self.start_fleet()

        # The answer comes from the fleet index in memory: how many pumps each advisory matches now.
        answer = self.cli_json("advisories", "import", "--background", *self.advisory_files())
        matched = {a["trackingId"]: a.get("matchedDevices", 0) for a in answer["imported"]}
        self.assertEqual(matched, {PUMP_ADVISORY: len(old_firmware), WIFI_ADVISORY: len(flowmax)})

        # The findings follow: every advisory's pending count reaches 0, and then its flagged pumps are the matched.
        deadline = time.monotonic() + 60
        while any(a.get("findingsPending", 0) for a in self.listed().values()) and time.monotonic() < deadline:
            time.sleep(0.1)
        listed = self.listed()
        for tracking_id, count in matched.items():
            self.assertEqual(listed[tracking_id].get("findingsPending", 0), 0)
            self.assertEqual(listed[tracking_id]["affectedDevices"], count)
            self.assertEqual(listed[tracking_id]["matchedDevices"], count)
        expected = {(t, f"advisory.{PUMP_ADVISORY}"): "SEVERITY_CRITICAL" for t in old_firmware}
        expected.update({(t, f"advisory.{WIFI_ADVISORY}"): "SEVERITY_HIGH" for t in flowmax})
        self.assertEqual(self.vulnerable(), expected)
        self.assertIn("PENDING", self.cli("advisories", "list"))

    def daemon_metrics_port(self):
        with open(self.daemon.ready_file) as f:
            return json.load(f)["metrics"].rsplit(":", 1)[1]

    def test_bad_files_are_refused_with_a_clear_error_and_nothing_stored(self):
        self.start_daemon()
        with open(self.advisory_files()[0], "rb") as f:
            good = json.load(f)

        def variant(name, mutate):
            document = json.loads(json.dumps(good))
            mutate(document)
            return write_with_sidecar(os.path.join(self.workdir, name), json.dumps(document).encode())

        big = os.path.join(self.workdir, "big.json")
        with open(big, "wb") as f:
            f.truncate(100 * 1024 * 1024)
        with open(big + ".sha512", "w") as f:
            f.write("0" * 128 + "  big.json\n")
        bad_sum = write_with_sidecar(os.path.join(self.workdir, "bad-sum.json"), json.dumps(good).encode())
        with open(bad_sum, "ab") as f:
            f.write(b"\n ")
        cases = [
            (write_with_sidecar(os.path.join(self.workdir, "not-json.json"), b"<html>not json</html>"),
             "CSAF file: not JSON"),
            (variant("csaf-1.2.json", lambda d: d["document"].update(csaf_version="1.2")),
             'document.csaf_version: "1.2" is not supported'),
            (variant("no-id.json", lambda d: d["document"]["tracking"].pop("id")), "document.tracking.id: missing"),
            (write_with_sidecar(os.path.join(self.workdir, "deep.json"), b"[" * 200000 + b"]" * 200000),
             "JSON nested deeper than 64 levels"),
            (bad_sum, "SHA-512 mismatch"),
            (big, "more than the limit of 16777216 bytes"),
        ]
        for path, message in cases:
            result = self.run_cli("advisories", "import", self.advisory_files()[1], path)
            self.assertEqual(result.returncode, 1, f"{path}: {result.stdout}")
            self.assertIn(message, result.stderr, path)
        self.assertEqual(self.cli_json("advisories", "list"), [])
        self.assertIn("no advisories imported", self.cli("advisories", "list"))

    def test_signatures_are_verified_with_gpgv(self):
        gnupg = os.path.join(self.workdir, "gnupg")
        os.mkdir(gnupg, 0o700)
        env = dict(os.environ, GNUPGHOME=gnupg)

        def gpg(*args):
            subprocess.run(["gpg", "--batch", "--quiet", "--pinentry-mode=loopback", "--passphrase=", *args],
                           check=True, capture_output=True, env=env)

        gpg("--quick-gen-key", "pumptrack advisories test <test@example.invalid>", "ed25519", "sign", "never")
        keyring = os.path.join(self.workdir, "cisa.gpg")
        gpg("--output", keyring, "--export")
        pump, wifi = self.advisory_files()
        gpg("--armor", "--detach-sign", "--output", pump + ".asc", pump)
        gpg("--armor", "--detach-sign", "--output", wifi + ".asc", pump)  # the signature of another file
        self.start_daemon()
        refused = self.run_cli("advisories", "import", f"--keyring={keyring}", pump, wifi)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("does not verify against keyring", refused.stderr)
        self.assertEqual(self.cli_json("advisories", "list"), [])
        self.cli("advisories", "import", f"--keyring={keyring}", pump)
        self.assertEqual(set(self.listed()), {PUMP_ADVISORY})


if __name__ == "__main__":
    unittest.main()
