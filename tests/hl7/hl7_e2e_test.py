"""End to end of the HL7 adapter: Debian's python3-hl7 (hl7.client.MLLPClient, a client nobody here wrote) sends a
simulated ward's IHE PCD messages (MEM-DMC, MEM-LS) to the real pumptrack-agent --adapter=hl7, which forwards them
over mutual TLS to the real pumptrackd. Every check reads the service's state through the CLI.

Reuses the harness of tests/e2e (Daemon, PKI via scripts/make-pki, the CLI).
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.request

import hl7.client

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "common"))
from e2e_test import AGENT, CLI, MAKE_PKI, PUMPTRACKD, SOURCE_DIR, Daemon  # noqa: E402
from e2e_harness import FixedPortDaemon, free_port  # noqa: E402
import e2e_harness  # noqa: E402

DEFAULT_MAPPING = os.path.join(SOURCE_DIR, "agents", "hl7", "mdc-default.textproto")
# The ward's vendor uses private codes for its modules (as tests/hl7/pcd_messages.h).
EXTRA_MAPPING = (
    'codes { code: "MDCX_PUMP_WIFI_MODULE" target: TARGET_COMPONENT component_kind: "wifi-module" }\n'
    'codes { code: "MDCX_PUMP_BATTERY_MODULE" target: TARGET_COMPONENT component_kind: "battery-module" }\n')

# Patient data the messages carry and that must never be stored or forwarded.
PATIENT_NAME = "DOE^JANE"
PATIENT_ID = "MRN-998877"
PHI = [b"DOE", b"JANE", PATIENT_ID.encode(), b"19700101", b"PATIENT_WEIGHT"]



def eui64(i):
    return f"0012210000{i:06X}"


def mem_dmc(control_id, i, firmware="12.1.3", wifi_firmware="4.2.1"):
    """A MEM-DMC ORU^R01 for pump i: identity, model, serial, firmware, battery, a Wi-Fi and a battery module."""
    segments = [
        f"MSH|^~\\&|PUMP_GW^0012210000000001^EUI-64|ACME|PUMPTRACK|HOSP|20261206120000+0000||ORU^R01^ORU_R01|"
        f"{control_id}|P|2.6|||NE|AL||UNICODE UTF-8|||IHE_PCD_MEM_DMC^IHE PCD^1.3.6.1.4.1.19376.1.6.4.10^ISO",
        f"PID|||{PATIENT_ID}^^^HOSP^MR||{PATIENT_NAME}||19700101|F",
        "PV1||I|5W^512^1^GENERAL",
        "OBR|1|||69985^MDC_DEV_PUMP_INFUS_MDS^MDC|||20261206120000+0000",
        f"OBX|1||69985^MDC_DEV_PUMP_INFUS_MDS^MDC|1.0.0.0|||||||X|||||||{eui64(i)}^EUI-64~PT-{i:05d}^ASSET",
        f"OBX|2|ST|67972^MDC_ATTR_SYS_ID^MDC|1.0.0.1|{eui64(i)}||||||F",
        "OBX|3|XCN|67880^MDC_ATTR_ID_MODEL^MDC|1.0.0.2|Acme Medical^Infusia 500||||||F",
        f"OBX|4|ST|531972^MDC_ID_PROD_SPEC_SERIAL^MDC|1.0.0.3|SN-{i:05d}||||||F",
        f"OBX|5|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.0.0.4|{firmware}||||||F",
        "OBX|6|NM|67996^MDC_ATTR_VAL_BATT_CHARGE^MDC|1.0.0.5|87|262688^MDC_DIM_PERCENT^MDC|||||F",
        "OBX|7||MDCX_PUMP_WIFI_MODULE^Wi-Fi module^MDC|1.2.0.0|||||||X",
        "OBX|8|XCN|67880^MDC_ATTR_ID_MODEL^MDC|1.2.0.1|Acme Medical^WLAN-7||||||F",
        "OBX|9|ST|531974^MDC_ID_PROD_SPEC_HW^MDC|1.2.0.2|B||||||F",
        f"OBX|10|ST|531976^MDC_ID_PROD_SPEC_FW^MDC|1.2.0.3|{wifi_firmware}||||||F",
        "OBX|11||MDCX_PUMP_BATTERY_MODULE^Battery module^MDC|1.3.0.0|||||||X",
        "OBX|12|ST|531975^MDC_ID_PROD_SPEC_SW^MDC|1.3.0.1|2.0||||||F",
        f"OBX|13|ST|0^PATIENT_WEIGHT^LOCAL|1.0.0.10|{PATIENT_NAME}||||||F",
    ]
    return "\r".join(segments) + "\r"


def mem_ls(control_id, i, unit, room):
    """A MEM-LS ORU^R01 from the RTLS: the last known location of the pump with EUI-64 eui64(i), nothing else."""
    segments = [
        f"MSH|^~\\&|RTLS^0012210000000002^EUI-64|ACME_RTLS|PUMPTRACK|HOSP|20261206120500+0000||ORU^R01^ORU_R01|"
        f"{control_id}|P|2.6|||NE|AL||UNICODE UTF-8|||IHE_PCD_MEM_LS^IHE PCD^1.3.6.1.4.1.19376.1.6.4.12^ISO",
        "OBR|1|||MDCX_RTLS_LOCATION^Location^MDC|||20261206120500+0000",
        f"OBX|1|PL|MDCX_ATTR_LOC^Last known location^MDC|1.0.0.1|{unit}^{room}^^GENERAL^^^NORTH^3||||||F|||"
        f"20261206120500+0000||||{eui64(i)}^EUI-64",
    ]
    return "\r".join(segments) + "\r"


def ack_code(ack):
    text = ack.decode() if isinstance(ack, bytes) else ack
    match = re.search(r"MSA\|([A-Z]{2})\|([^|\r]*)", text)
    return (match.group(1), match.group(2)) if match else (None, None)


class Hl7EndToEndTest(FixedPortDaemon, unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-hl7-e2e-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.pki = os.path.join(self.workdir, "pki")
        self.data_dir = os.path.join(self.workdir, "data")
        self.buffer_dir = os.path.join(self.workdir, "buffer")
        self.mapping = os.path.join(self.workdir, "mapping.textproto")
        with open(DEFAULT_MAPPING) as f, open(self.mapping, "w") as out:
            out.write(f.read() + EXTRA_MAPPING)
        subprocess.run([MAKE_PKI, self.pki, "gw-hl7"], check=True)
        result = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", "--role=admin",
                                 "--name=e2e-admin"], capture_output=True, text=True, check=True)
        self.admin_token = result.stdout.strip().splitlines()[-1]
        self.port = free_port()
        self.hl7_port = free_port()
        self.daemon = None
        self.agents = []
        self.start_daemon()
        self.cli("agents", "enroll", "gw-hl7")

    def tearDown(self):
        for process in self.agents:
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.daemon is not None:
            self.daemon.stop(sig=signal.SIGKILL)

    # --- helpers -------------------------------------------------------------------------------------------------

    def start_agent(self, *flags, log_name="agent.log"):
        log_path = os.path.join(self.workdir, log_name)
        log = open(log_path, "wb")
        command = [AGENT, f"--server=127.0.0.1:{self.port}", f"--tls_ca={self.pki}/ca.pem",
                   f"--tls_cert={self.pki}/agents/gw-hl7.pem", f"--tls_key={self.pki}/agents/gw-hl7.key",
                   f"--buffer_dir={self.buffer_dir}", "--adapter=hl7", f"--hl7_listen=127.0.0.1:{self.hl7_port}",
                   f"--hl7_mapping={self.mapping}", "--metrics_listen=127.0.0.1:0", *flags]
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.agents.append(process)
        self.wait_for_log(log_path, r"hl7: MLLP on port \d+", process=process)
        metrics_port = int(self.wait_for_log(log_path, r"metrics on port (\d+)").group(1))
        return process, log_path, metrics_port

    read = staticmethod(e2e_harness.read)
    scrape = staticmethod(e2e_harness.scrape)

    def wait_for_log(self, path, pattern, timeout=30, process=None):
        return FixedPortDaemon.wait_for_log(self, path, pattern, timeout=timeout, process=process)

    def send(self, messages):
        """Sends each message with hl7.client.MLLPClient on one connection; returns the (code, control id) pairs."""
        answers = []
        with hl7.client.MLLPClient("127.0.0.1", self.hl7_port) as client:
            for message in messages:
                answers.append(ack_code(client.send_message(message)))
        return answers

    def wait_for_devices(self, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        devices = {}
        while time.monotonic() < deadline:
            devices = self.devices()
            if predicate(devices):
                return devices
            time.sleep(0.3)
        self.fail(f"the service never reached the expected state: {json.dumps(devices, indent=1)[:4000]}")

    # --- scenarios -----------------------------------------------------------------------------------------------

    def test_ward_messages_reach_the_service_with_components_and_locations(self):
        self.start_agent()
        pumps = range(1, 11)
        answers = self.send([mem_dmc(f"DMC-{i}", i) for i in pumps])
        self.assertEqual(answers, [("AA", f"DMC-{i}") for i in pumps])
        devices = self.wait_for_devices(lambda d: len(d) == 10)
        for i in pumps:
            device = devices[f"PT-{i:05d}"]
            self.assertEqual(device["identity"]["serialNumber"], f"SN-{i:05d}")
            self.assertEqual(device["identity"]["model"], "Infusia 500")
            self.assertEqual(device["lastObservation"]["firmwareVersion"], "12.1.3")

        # The RTLS reports locations separately; the pumps keep their components.
        answers = self.send([mem_ls(f"LS-{i}", i, "ICU", str(100 + i)) for i in pumps])
        self.assertEqual(answers, [("AA", f"LS-{i}") for i in pumps])
        devices = self.wait_for_devices(
            lambda d: all(x["lastObservation"].get("location", {}).get("unit") == "ICU" for x in d.values()))
        for i in pumps:
            observation = devices[f"PT-{i:05d}"]["lastObservation"]
            location = observation["location"]
            self.assertEqual(location["room"], str(100 + i))
            self.assertEqual(location["facility"], "GENERAL")
            self.assertEqual(location["building"], "NORTH")
            self.assertEqual(location["floor"], "3")
            self.assertEqual(location["source"], "LOCATION_SOURCE_RTLS")
            components = {c["kind"]: c for c in observation["components"]}
            self.assertEqual(set(components), {"wifi-module", "battery-module"})
            self.assertEqual(components["wifi-module"]["model"], "WLAN-7")
            self.assertEqual(components["wifi-module"]["hardwareVersion"], "B")
            self.assertEqual(components["wifi-module"]["firmwareVersion"], "4.2.1")
            self.assertEqual(components["battery-module"]["softwareVersion"], "2.0")

        # A later MEM-DMC with another module firmware replaces the components.
        self.assertEqual(self.send([mem_dmc("DMC-X", 1, wifi_firmware="4.3.0")]), [("AA", "DMC-X")])
        devices = self.wait_for_devices(lambda d: any(
            c.get("firmwareVersion") == "4.3.0" for c in d["PT-00001"]["lastObservation"].get("components", [])))
        self.assertEqual(len(devices["PT-00001"]["lastObservation"]["components"]), 2)

    def test_blocked_component_firmware_raises_a_finding(self):
        # The policy blocks a Wi-Fi module build; findings are raised from HL7 reports as from the other adapters.
        policy = os.path.join(self.workdir, "policy.textproto")
        with open(policy, "w") as f:
            f.write('revision: "hl7-e2e"\n'
                    'components { kind: "wifi-module" model: "WLAN-7" firmware { blocked: "4.0.1" minimum: "4.2.0" } }\n')
        self.stop_daemon()
        self.daemon = Daemon(self.workdir, self.data_dir, self.pki,
                             [f"--grpc_listen=127.0.0.1:{self.port}", f"--policy={policy}"])
        self.start_agent()
        self.assertEqual(self.send([mem_dmc("F-1", 1, wifi_firmware="4.0.1"), mem_dmc("F-2", 2)]),
                         [("AA", "F-1"), ("AA", "F-2")])
        deadline = time.monotonic() + 60
        rules = []
        while time.monotonic() < deadline:
            findings = json.loads(self.cli("findings", "list", "--output=json"))
            rules = sorted((f["assetTag"], f["rule"]) for f in findings if f["rule"].startswith("component."))
            if len(rules) == 2:
                break
            time.sleep(0.3)
        self.assertEqual(rules, [("PT-00001", "component.firmware.below_minimum.wifi-module.2"),
                                 ("PT-00001", "component.firmware.blocked.wifi-module.2")])

    def test_no_patient_data_reaches_the_buffer_or_the_service(self):
        self.stop_daemon()  # everything stays in the buffer: its files hold exactly what was written
        agent, log_path, metrics_port = self.start_agent()
        self.assertEqual(self.send([mem_dmc(f"PHI-{i}", i) for i in range(1, 4)]), [("AA", f"PHI-{i}")
                                                                                        for i in range(1, 4)])
        # The gauge is refreshed by the agent's loop at least every second.
        deadline = time.monotonic() + 10
        while self.scrape(metrics_port)["pumptrack_agent_buffered"] != 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(self.scrape(metrics_port)["pumptrack_agent_buffered"], 3)
        buffered = b"".join(open(path, "rb").read() for path in glob.glob(os.path.join(self.buffer_dir, "*"))
                            if os.path.isfile(path))
        self.assertIn(b"PT-00001", buffered)  # the observations are there, in the clear (WAL)
        for phi in PHI:
            self.assertNotIn(phi, buffered, phi)

        self.start_daemon()
        self.wait_for_devices(lambda d: len(d) == 3)
        listing = self.cli("devices", "list", "--output=json")
        for tag in ("PT-00001", "PT-00002", "PT-00003"):
            listing += self.cli("devices", "get", tag, "--output=json")
        stored = b"".join(open(path, "rb").read() for path in glob.glob(os.path.join(self.data_dir, "**", "*"),
                                                                       recursive=True) if os.path.isfile(path))
        for phi in PHI:
            self.assertNotIn(phi.decode(), listing, phi)
            self.assertNotIn(phi, stored, phi)
            self.assertNotIn(phi.decode(), self.read(log_path), phi)
            self.assertNotIn(phi.decode(), self.daemon.read_log(), phi)
        metrics = self.scrape(metrics_port)
        self.assertEqual(metrics['pumptrack_agent_hl7_ignored_total{what="patient_segment"}'], 6)

    def test_kill_9_after_aa_loses_nothing(self):
        self.stop_daemon()
        agent, log_path, _ = self.start_agent()
        pumps = range(1, 51)
        answers = self.send([mem_dmc(f"K-{i}", i) for i in pumps])
        self.assertEqual(answers, [("AA", f"K-{i}") for i in pumps])
        agent.send_signal(signal.SIGKILL)
        agent.wait()

        self.start_daemon()
        self.start_agent(log_name="agent2.log")
        devices = self.wait_for_devices(lambda d: len(d) == 50)
        for i in pumps:
            self.assertEqual(int(devices[f"PT-{i:05d}"]["acceptedReports"]), 1)

    def test_source_outside_allow_is_refused(self):
        _, log_path, metrics_port = self.start_agent("--hl7_allow=10.0.0.0/8,192.168.0.0/16")
        refused = False
        try:
            with hl7.client.MLLPClient("127.0.0.1", self.hl7_port) as client:
                refused = client.send_message(mem_dmc("R-1", 1)) == b""
        except (ConnectionResetError, BrokenPipeError):
            refused = True
        self.assertTrue(refused)
        self.wait_for_log(log_path, r"refused a connection from 127\.0\.0\.1 \(not in --hl7_allow\)")
        self.assertEqual(self.scrape(metrics_port)["pumptrack_agent_hl7_connections_refused_total"], 1)
        time.sleep(1.5)
        self.assertEqual(self.devices(), {})

    def test_unusable_messages_get_ae_or_ar_and_store_nothing(self):
        _, _, metrics_port = self.start_agent()
        with hl7.client.MLLPClient("127.0.0.1", self.hl7_port) as client:
            adt = client.send_message(f"MSH|^~\\&|ADT|HOSP|PT|HOSP|20261206||ADT^A01|A-1|P|2.6\rPID|||{PATIENT_ID}\r")
            unknown = client.send_message(mem_ls("U-1", 99, "ICU", "1"))
            battery = client.send_message(mem_dmc("B-1", 5).replace("|87|", "|187|"))
        self.assertEqual(ack_code(adt), ("AR", "A-1"))
        self.assertIn("ERR||MSH^1^9|200", adt.decode())
        self.assertEqual(ack_code(unknown), ("AE", "U-1"))
        self.assertIn("ERR||OBX^1^18|101", unknown.decode())
        self.assertEqual(ack_code(battery), ("AE", "B-1"))
        self.assertIn("ERR||OBX^6^5|102", battery.decode())
        metrics = self.scrape(metrics_port)
        self.assertEqual(metrics['pumptrack_agent_hl7_messages_total{ack="AR"}'], 1)
        self.assertEqual(metrics['pumptrack_agent_hl7_messages_total{ack="AE"}'], 2)
        self.assertEqual(metrics['pumptrack_agent_hl7_messages_total{ack="AA"}'], 0)
        time.sleep(1.5)
        self.assertEqual(self.devices(), {})


if __name__ == "__main__":
    unittest.main()
