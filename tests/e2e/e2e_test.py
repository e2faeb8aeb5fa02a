"""End-to-end tests of the real binaries: pumptrackd, pumptrack-agent and the pumptrack CLI.

Each test gets a fresh temporary directory with its own PKI and data directory, starts pumptrackd on 127.0.0.1 port 0
over TLS, and talks to it only through the other binaries, as an operator would.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

PUMPTRACKD = os.environ["PUMPTRACKD"]
AGENT = os.environ["PUMPTRACK_AGENT"]
CLI = os.environ["PUMPTRACK_CLI"]
SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]
MAKE_PKI = os.path.join(SOURCE_DIR, "scripts", "make-pki")


class Daemon:
    """A pumptrackd process serving TLS on a free loopback port."""

    def __init__(self, workdir, data_dir, pki, extra_flags=()):
        self.ready_file = os.path.join(workdir, "ready.json")
        if os.path.exists(self.ready_file):
            os.remove(self.ready_file)
        self.log_path = os.path.join(workdir, "pumptrackd.log")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [PUMPTRACKD, f"--data_dir={data_dir}", "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
             "--http_listen=127.0.0.1:0",
             f"--tls_cert={pki}/server.pem", f"--tls_key={pki}/server.key", f"--tls_client_ca={pki}/ca.pem",
             f"--ready_file={self.ready_file}", *extra_flags],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.ready_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"pumptrackd did not start:\n{self.read_log()}")
            time.sleep(0.05)
        with open(self.ready_file) as f:
            ready = json.load(f)
        self.port = int(ready["grpc"].rsplit(":", 1)[1])
        # An address, not "localhost" (a bare machine may lack /etc/hosts); the server certificate has an IP SAN.
        self.server = f"127.0.0.1:{self.port}"

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self.log.close()


class EndToEndTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-e2e-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.pki = os.path.join(self.workdir, "pki")
        self.data_dir = os.path.join(self.workdir, "data")
        subprocess.run([MAKE_PKI, self.pki, "gw-a", "gw-b"], check=True)
        self.admin_token = self.offline_token("admin", "e2e-admin")
        self.daemon = None

    def tearDown(self):
        if self.daemon is not None:
            self.daemon.stop(sig=signal.SIGKILL)

    # --- helpers -------------------------------------------------------------------------------------------------

    def offline_token(self, role, name):
        result = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", f"--role={role}",
                                 f"--name={name}"], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.strip().splitlines()[-1]

    def start_daemon(self, *flags):
        self.daemon = Daemon(self.workdir, self.data_dir, self.pki, flags)
        return self.daemon

    def cli(self, *args, token=None, check=True):
        env = dict(os.environ, PUMPTRACK_SERVER=self.daemon.server,
                   PUMPTRACK_TOKEN=self.admin_token if token is None else token)
        result = subprocess.run([CLI, f"--ca={self.pki}/ca.pem", *args], capture_output=True, text=True, env=env,
                                timeout=60)
        if check:
            self.assertEqual(result.returncode, 0, f"pumptrack {' '.join(args)}:\n{result.stderr}")
        return result

    def cli_json(self, *args, token=None):
        return json.loads(self.cli(*args, "--output=json", token=token).stdout)

    def wait_for(self, predicate, what, timeout=30):
        """Polls `predicate` every 0.2 s until it returns something true, which is returned; fails after `timeout`."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                self.fail(f"timed out waiting for {what}")
            time.sleep(0.2)

    def run_agent(self, agent_id, *flags, check=True):
        result = subprocess.run(
            [AGENT, f"--server={self.daemon.server}", f"--tls_ca={self.pki}/ca.pem",
             f"--tls_cert={self.pki}/agents/{agent_id}.pem", f"--tls_key={self.pki}/agents/{agent_id}.key",
             "--once", "--round_timeout=20s", *flags],
            capture_output=True, text=True, timeout=120)
        if check:
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        return result

    def enroll(self, agent_id):
        self.cli("agents", "enroll", agent_id)

    def fleet(self, agent_id="gw-a", pumps=120, rounds=1, *flags):
        self.enroll(agent_id)
        self.run_agent(agent_id, f"--sim_pumps={pumps}", f"--rounds={rounds}", "--interval=100ms", *flags)

    @staticmethod
    def unit_of(device):
        return device["lastObservation"]["location"]["unit"]

    # --- scenarios -----------------------------------------------------------------------------------------------

    def test_fleet_is_tracked_over_mutual_tls(self):
        self.start_daemon()
        self.fleet(pumps=150)
        devices = self.cli_json("devices", "list")
        self.assertEqual(len(devices), 150)
        tags = [d["identity"]["assetTag"] for d in devices]
        self.assertEqual(tags, sorted(tags))
        self.assertEqual(tags[0], "PT-00001")
        self.assertEqual(tags[-1], "PT-00150")
        # The agent identity is the certificate's subject, not a claim.
        self.assertTrue(all(d["lastAgent"]["agentId"] == "gw-a" for d in devices))
        device = self.cli_json("devices", "get", "PT-00042")
        self.assertEqual(device["identity"]["assetTag"], "PT-00042")
        self.assertTrue(device["identity"]["serialNumber"])
        by_serial = self.cli_json("devices", "get", "--serial", device["identity"]["serialNumber"])
        self.assertEqual(by_serial["identity"]["assetTag"], "PT-00042")

    def test_devices_list_filters_and_pages(self):
        self.start_daemon()
        self.fleet(pumps=200)
        everything = self.cli_json("devices", "list", "--page-size=7")
        self.assertEqual(len(everything), 200)
        self.assertEqual(len({d["identity"]["assetTag"] for d in everything}), 200)
        unit = self.unit_of(everything[0])
        in_unit = self.cli_json("devices", "list", f"--unit={unit}")
        self.assertEqual({d["identity"]["assetTag"] for d in in_unit},
                         {d["identity"]["assetTag"] for d in everything if self.unit_of(d) == unit})
        model = everything[0]["identity"]["model"]
        of_model = self.cli_json("devices", "list", f"--model={model}")
        self.assertTrue(of_model)
        self.assertTrue(all(d["identity"]["model"] == model for d in of_model))
        limited = self.cli_json("devices", "list", "--limit=5")
        self.assertEqual(len(limited), 5)
        table = self.cli("devices", "list", "--limit=3").stdout
        self.assertIn("PT-00001", table)
        self.assertIn("TAG", table)

    def test_locate_and_history_follow_a_move(self):
        self.start_daemon()
        self.fleet(pumps=60, rounds=6)
        located = self.cli("locate", "PT-00001").stdout
        self.assertIn("PT-00001 is in general", located)
        history = self.cli_json("devices", "history", "PT-00001")
        self.assertGreaterEqual(len(history), 1)
        self.assertEqual(history[-1]["changes"], ["CHANGE_KIND_FIRST_SEEN"])
        times = [h["observedAt"] for h in history]
        self.assertEqual(times, sorted(times, reverse=True))
        # Over six rounds some of the 60 pumps move; each move is in its pump's history with before and after.
        moves = 0
        for i in range(1, 61):
            for entry in self.cli_json("devices", "history", f"PT-{i:05d}"):
                if "CHANGE_KIND_LOCATION" in entry["changes"]:
                    moves += 1
                    self.assertNotEqual(entry["before"]["location"], entry["after"]["location"])
        self.assertGreater(moves, 0)

    def test_restart_keeps_every_acknowledged_report(self):
        self.start_daemon()
        self.fleet(pumps=100, rounds=2)
        before = {d["identity"]["assetTag"]: d for d in self.cli_json("devices", "list")}
        self.assertEqual(self.daemon.stop(sig=signal.SIGKILL), -signal.SIGKILL)
        self.start_daemon()
        after = {d["identity"]["assetTag"]: d for d in self.cli_json("devices", "list")}
        self.assertEqual(before.keys(), after.keys())
        for tag, device in before.items():
            self.assertEqual(device["lastObservation"]["sequence"], after[tag]["lastObservation"]["sequence"], tag)
            self.assertEqual(device["acceptedReports"], after[tag]["acceptedReports"], tag)

    def test_graceful_shutdown_exits_zero(self):
        self.start_daemon()
        self.fleet(pumps=30)
        started = time.monotonic()
        self.assertEqual(self.daemon.stop(sig=signal.SIGTERM), 0, self.daemon.read_log())
        self.assertLess(time.monotonic() - started, 10)
        self.assertIn("pumptrackd stopped", self.daemon.read_log())

    def test_refuses_to_start_without_tls(self):
        result = subprocess.run([PUMPTRACKD, f"--data_dir={self.data_dir}", "--grpc_listen=127.0.0.1:0",
                                 "--metrics_listen="], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        error_lines = result.stderr.strip().splitlines()
        self.assertEqual(len(error_lines), 1, result.stderr)
        for flag in ("--tls_cert", "--tls_key", "--tls_client_ca"):
            self.assertIn(flag, error_lines[0])

    def test_unknown_device_is_a_one_line_error(self):
        self.start_daemon()
        result = self.cli("devices", "get", "PT-99999", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertEqual(result.stdout, "")
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)
        self.assertIn("NOT_FOUND", result.stderr)
        bad = self.cli("devices", "get", "not a tag!", check=False)
        self.assertEqual(bad.returncode, 1)
        self.assertIn("INVALID_ARGUMENT", bad.stderr)

    def test_missing_token_is_refused(self):
        self.start_daemon()
        for token in ("", "ptk_forged-but-well-formed-0000000000000000000000"):
            result = self.cli("devices", "list", token=token, check=False)
            self.assertEqual(result.returncode, 1)
            self.assertIn("UNAUTHENTICATED", result.stderr)
            if token:
                self.assertNotIn(token, result.stderr)
        viewer = self.offline_token_via_api("viewer", "e2e-viewer")
        self.assertEqual(self.cli("devices", "list", token=viewer).returncode, 0)
        denied = self.cli("tokens", "list", token=viewer, check=False)
        self.assertEqual(denied.returncode, 1)
        self.assertIn("PERMISSION_DENIED", denied.stderr)

    def offline_token_via_api(self, role, name):
        return self.cli("tokens", "create", f"--name={name}", f"--role={role}").stdout.strip().splitlines()[-1]

    def test_revoked_agent_is_refused_and_audited(self):
        self.start_daemon()
        self.fleet("gw-b", pumps=20)
        self.cli("agents", "revoke", "gw-b")
        result = self.run_agent("gw-b", "--sim_pumps=20", check=False)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("PERMISSION_DENIED", result.stdout + result.stderr)
        # A never-enrolled agent with a valid certificate is refused too.
        self.assertNotEqual(self.run_agent("gw-a", "--sim_pumps=5", check=False).returncode, 0)
        deadline = time.monotonic() + 10
        while True:
            actions = [e["action"] for e in self.cli_json("audit", "list")]
            if "agent.denied" in actions or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        self.assertIn("agent.enroll", actions)
        self.assertIn("agent.revoke", actions)
        self.assertIn("agent.denied", actions)

    def test_audit_log_verifies_and_exports(self):
        self.start_daemon()
        self.enroll("gw-a")
        self.offline_token_via_api("viewer", "reader")
        verify = self.cli("audit", "verify")
        self.assertIn("OK", verify.stdout)
        lines = self.cli("audit", "export").stdout.strip().splitlines()
        entries = [json.loads(line) for line in lines]
        self.assertEqual([int(e["index"]) for e in entries], list(range(1, len(entries) + 1)))
        self.assertEqual([e["action"] for e in entries], ["token.create", "agent.enroll", "token.create"])
        self.assertEqual(entries[0]["actor"], "operator")
        self.assertEqual(entries[1]["actor"], "e2e-admin")
        # No secret ever reaches the audit log.
        self.assertNotIn(self.admin_token, "\n".join(lines))

    def test_offline_token_needs_a_stopped_daemon(self):
        self.start_daemon()
        result = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", "--role=viewer",
                                 "--name=late"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("stop pumptrackd", result.stderr)


if __name__ == "__main__":
    unittest.main()
