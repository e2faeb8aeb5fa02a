"""End-to-end tests of the buffered agent: the real pumptrack-agent against the real pumptrackd over mutual TLS.

Reuses the harness of tests/e2e (Daemon, PKI via scripts/make-pki, the CLI for reading the service's state). Every
check reads the service's state through the CLI: what was stored, how often, and with which sequence numbers.
"""
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
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "common"))
from e2e_test import AGENT, CLI, MAKE_PKI, PUMPTRACKD, SOURCE_DIR, Daemon  # noqa: E402
from e2e_harness import FixedPortDaemon, free_port  # noqa: E402
import e2e_harness  # noqa: E402


class AgentEndToEndTest(FixedPortDaemon, unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-agent-e2e-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.pki = os.path.join(self.workdir, "pki")
        self.data_dir = os.path.join(self.workdir, "data")
        self.buffer_dir = os.path.join(self.workdir, "buffer")
        subprocess.run([MAKE_PKI, self.pki, "gw-a"], check=True)
        result = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", "--role=admin",
                                 "--name=e2e-admin"], capture_output=True, text=True, check=True)
        self.admin_token = result.stdout.strip().splitlines()[-1]
        self.daemon = None
        self.port = free_port()
        self.agents = []

    def tearDown(self):
        for process in self.agents:
            if process.poll() is None:
                process.kill()
                process.wait()
        if self.daemon is not None:
            self.daemon.stop(sig=signal.SIGKILL)

    # --- helpers -------------------------------------------------------------------------------------------------

    def agent_command(self, *flags, pki=None, agent_id="gw-a"):
        pki = pki or self.pki
        return [AGENT, f"--server=127.0.0.1:{self.port}", f"--tls_ca={pki}/ca.pem",
                f"--tls_cert={pki}/agents/{agent_id}.pem", f"--tls_key={pki}/agents/{agent_id}.key",
                f"--buffer_dir={self.buffer_dir}", *flags]

    def run_agent(self, *flags, pki=None):
        return subprocess.run(self.agent_command(*flags, pki=pki), capture_output=True, text=True, timeout=180)

    def start_agent(self, *flags, log_name="agent.log"):
        log_path = os.path.join(self.workdir, log_name)
        log = open(log_path, "wb")
        process = subprocess.Popen(self.agent_command(*flags), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.agents.append(process)
        return process, log_path

    read = staticmethod(e2e_harness.read)

    @staticmethod
    def base_of(log):
        return int(re.search(r"new devices are numbered from (\d+)", log).group(1))

    scrape = staticmethod(e2e_harness.scrape)

    def assert_every_round_stored_once(self, devices, base, rounds):
        for tag, device in devices.items():
            self.assertEqual(int(device["lastObservation"]["sequence"]), base + rounds - 1, tag)
            self.assertEqual(int(device["acceptedReports"]), rounds, tag)

    # --- scenarios -----------------------------------------------------------------------------------------------

    def test_service_down_at_start_then_every_report_arrives_once(self):
        self.start_daemon()
        self.cli("agents", "enroll", "gw-a")
        self.stop_daemon()

        agent, log_path = self.start_agent("--once", "--rounds=3", "--interval=200ms", "--deadline=120s",
                                           "--sim_pumps=200", "--metrics_listen=127.0.0.1:0")
        metrics_port = int(self.wait_for_log(log_path, r"metrics on port (\d+)").group(1))
        self.wait_for_log(log_path, r"round 3: observed=200 buffered=600 ")
        deadline = time.monotonic() + 30
        while True:
            metrics = self.scrape(metrics_port)
            if metrics["pumptrack_agent_reconnects_total"] >= 2 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(metrics["pumptrack_agent_buffered"], 600)
        self.assertGreaterEqual(metrics["pumptrack_agent_reconnects_total"], 2)
        self.assertEqual(metrics["pumptrack_agent_reports_acknowledged_total"], 0)
        self.assertIsNone(agent.poll())

        self.start_daemon()
        self.assertEqual(agent.wait(timeout=90), 0, self.read(log_path))
        devices = self.devices()
        self.assertEqual(len(devices), 200)
        self.assert_every_round_stored_once(devices, self.base_of(self.read(log_path)), 3)

    def test_kill_9_mid_delivery_loses_nothing_and_duplicates_nothing(self):
        self.start_daemon()
        self.cli("agents", "enroll", "gw-a")
        # Rounds of 5,000 every 100 ms (50,000 reports/s) outpace any delivery here: the buffer is never empty.
        agent, log_path = self.start_agent("--sim_pumps=5000", "--interval=100ms", "--batch_size=200",
                                           "--metrics_listen=127.0.0.1:0")
        metrics_port = int(self.wait_for_log(log_path, r"metrics on port (\d+)").group(1))
        # Kill it once the service has acknowledged part of the delivery under way. The agent's counter moves with each
        # acknowledgement; its "delivered:" line comes only at the end of a pass (50,000 reports through a window of
        # 200 x 3), which a loaded machine can take a minute to reach.
        deadline = time.monotonic() + 60
        while self.scrape(metrics_port)["pumptrack_agent_reports_acknowledged_total"] == 0:
            self.assertLess(time.monotonic(), deadline, self.read(log_path))
            time.sleep(0.05)
        time.sleep(0.2)
        agent.send_signal(signal.SIGKILL)
        agent.wait()
        first_log = self.read(log_path)
        base = self.base_of(first_log)

        result = self.run_agent("--once", "--rounds=1", "--sim_pumps=5000", "--deadline=150s")
        self.assertEqual(result.returncode, 0, result.stderr)
        waiting = int(re.search(r"\((\d+) reports waiting", result.stderr).group(1))
        self.assertGreater(waiting, 0, "the kill did not interrupt a delivery")
        devices = self.devices()
        self.assertEqual(len(devices), 5000)
        # Every device: sequences base..last all stored, each exactly once (acceptedReports excludes duplicates).
        rounds = {int(d["lastObservation"]["sequence"]) - base + 1 for d in devices.values()}
        self.assertEqual(len(rounds), 1, rounds)
        self.assert_every_round_stored_once(devices, base, rounds.pop())

    def test_buffer_overflow_drops_the_oldest_and_the_gap_is_visible(self):
        self.start_daemon()
        self.cli("agents", "enroll", "gw-a")
        self.stop_daemon()
        first = self.run_agent("--once", "--rounds=5", "--interval=50ms", "--sim_pumps=20", "--buffer_max=50",
                               "--deadline=3s")
        self.assertEqual(first.returncode, 1, first.stderr)
        self.assertIn("50 reports undelivered", first.stderr)
        self.assertIn("dropped the 10 oldest", first.stderr)  # round 3 overflows by 10, rounds 4 and 5 by 20
        base = self.base_of(first.stderr)

        self.start_daemon()
        second = self.run_agent("--once", "--rounds=1", "--sim_pumps=20", "--buffer_max=50")
        self.assertEqual(second.returncode, 0, second.stderr)
        devices = self.devices()
        self.assertEqual(len(devices), 20)
        # 6 rounds of 20 observed, 50 kept: everything delivered ends at round 6, with the oldest rounds missing.
        self.assertEqual(sum(int(d["acceptedReports"]) for d in devices.values()), 50)
        for tag, device in devices.items():
            self.assertEqual(int(device["lastObservation"]["sequence"]), base + 5, tag)
            self.assertLess(int(device["acceptedReports"]), 6, tag)

    def test_once_with_the_service_down_exits_non_zero_at_the_deadline(self):
        started = time.monotonic()
        result = self.run_agent("--once", "--sim_pumps=20", "--deadline=2s")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertGreaterEqual(time.monotonic() - started, 2)
        self.assertIn("20 reports undelivered", result.stderr)

    def test_spool_files_valid_and_invalid(self):
        self.start_daemon()
        self.cli("agents", "enroll", "gw-a")
        spool = os.path.join(self.workdir, "spool")
        os.makedirs(spool)
        with open(os.path.join(SOURCE_DIR, "examples", "spool", "PT-90001-20261205T101500Z.json")) as f:
            example = json.load(f)
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        for tag in ("PT-90001", "PT-90002"):
            document = dict(example, observedAt=now, identity=dict(example["identity"], assetTag=tag))
            with open(os.path.join(spool, f"{tag}.json"), "w") as f:
                json.dump(document, f)
        with open(os.path.join(spool, "broken.json"), "w") as f:
            f.write("{not json")
        with open(os.path.join(spool, "no-serial.json"), "w") as f:
            json.dump({"identity": {"assetTag": "PT-90003"}, "observedAt": now}, f)
        with open(os.path.join(spool, "PT-90004.json.tmp"), "w") as f:
            json.dump(example, f)

        result = self.run_agent("--adapter=spool", f"--spool_dir={spool}", "--once")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(sorted(os.listdir(os.path.join(spool, "done"))), ["PT-90001.json", "PT-90002.json"])
        self.assertEqual(sorted(os.listdir(os.path.join(spool, "rejected"))),
                         ["broken.json", "broken.json.reason", "no-serial.json", "no-serial.json.reason"])
        self.assertIn("serialNumber", self.read(os.path.join(spool, "rejected", "no-serial.json.reason")))
        self.assertTrue(os.path.exists(os.path.join(spool, "PT-90004.json.tmp")))
        devices = self.devices()
        self.assertEqual(sorted(devices), ["PT-90001", "PT-90002"])
        self.assertEqual(devices["PT-90001"]["lastObservation"]["location"]["unit"], "icu-1")

    def test_mutual_tls_is_required(self):
        self.start_daemon()
        self.cli("agents", "enroll", "gw-a")
        plaintext = subprocess.run(
            [AGENT, f"--server=127.0.0.1:{self.port}", "--insecure", "--agent_id=gw-a",
             f"--buffer_dir={self.buffer_dir}", "--once", "--sim_pumps=5", "--deadline=3s"],
            capture_output=True, text=True, timeout=60)
        self.assertNotEqual(plaintext.returncode, 0)
        self.assertIn("reports undelivered", plaintext.stderr)
        # A certificate for the right name from a CA the service does not trust.
        other_pki = os.path.join(self.workdir, "other-pki")
        subprocess.run([MAKE_PKI, other_pki, "gw-a"], check=True)
        shutil.copy(os.path.join(self.pki, "ca.pem"), os.path.join(other_pki, "ca.pem"))
        foreign = self.run_agent("--once", "--sim_pumps=5", "--deadline=3s", pki=other_pki)
        self.assertNotEqual(foreign.returncode, 0)
        self.assertEqual(self.devices(), {})
        # The enrolled agent with its own certificate gets through.
        ok = self.run_agent("--once", "--sim_pumps=5")
        self.assertEqual(ok.returncode, 0, ok.stderr)
        self.assertEqual(len(self.devices()), 5)


if __name__ == "__main__":
    unittest.main()
