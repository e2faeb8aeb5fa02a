"""Backup and restore end to end, with the real pumptrackd, pumptrack-agent and pumptrack CLI.

A fleet reports for a few rounds; tokens and agents are created, enrolled and revoked; then `pumptrack backup create`
backs the live database up while more reports keep arriving. `pumptrackd restore` puts the backup into a new data
directory, and a pumptrackd started on it must answer exactly as the original did at the moment of the backup:
devices, every device's history, tokens, agents, findings (ListFindings), custody (ListCustody, and a checked-out
pump's GetCustodyHistory) and the audit chain (which must also verify). Findings come from the example policy and
misbehaving simulated pumps (--sim_faults); custody is read and written through the gRPC API (CustodyService) with
stubs generated from the project's protos (tests/common/python_stubs.py), as the crash tests do.

Environment: PUMPTRACKD, PUMPTRACK_AGENT, PUMPTRACK_CLI, PUMPTRACK_SOURCE_DIR.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

PUMPTRACKD = os.environ["PUMPTRACKD"]
AGENT = os.environ["PUMPTRACK_AGENT"]
CLI = os.environ["PUMPTRACK_CLI"]
SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]
POLICY = os.path.join(SOURCE_DIR, "examples", "hospital-policy.textproto")
PUMPS = 40


def generate_stubs(out_dir):
    """Compiles the finding and custody protos to Python in out_dir and imports them."""
    proto_root = os.path.join(SOURCE_DIR, "proto")
    os.makedirs(out_dir, exist_ok=True)
    protos = [os.path.join("pumptrack", "v1", f)
              for f in ("device.proto", "policy.proto", "finding.proto", "custody.proto")]
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "common"))
    from python_stubs import compile_protos  # noqa: E402
    compile_protos(proto_root, out_dir, protos)
    sys.path.insert(0, out_dir)
    from pumptrack.v1 import custody_pb2, custody_pb2_grpc, finding_pb2, finding_pb2_grpc  # noqa: E402
    return custody_pb2, custody_pb2_grpc, finding_pb2, finding_pb2_grpc


class Daemon:
    """pumptrackd, plaintext (--insecure) on a free loopback port."""

    def __init__(self, workdir, data_dir, name, extra_args=()):
        self.ready_file = os.path.join(workdir, f"{name}.ready")
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [PUMPTRACKD, f"--data_dir={data_dir}", "--insecure", "--grpc_listen=127.0.0.1:0", "--metrics_listen=", "--http_listen=",
             f"--ready_file={self.ready_file}", *extra_args], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not os.path.exists(self.ready_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"pumptrackd did not start:\n{self.read_log()}")
            time.sleep(0.05)
        with open(self.ready_file) as f:
            self.server = json.load(f)["grpc"]

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.log.close()
        return code


class BackupTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-backup-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.data_dir = os.path.join(self.workdir, "data")
        self.backup_dir = os.path.join(self.workdir, "backups")
        result = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", "--role=admin",
                                 "--name=backup-admin"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.admin_token = result.stdout.strip().splitlines()[-1]
        self.daemons = []
        self.addCleanup(self.stop_all)

    def stop_all(self):
        for daemon in self.daemons:
            if daemon.process.poll() is None:
                daemon.process.send_signal(signal.SIGKILL)
                daemon.process.wait(timeout=30)
            daemon.log.close()

    def start(self, data_dir, name, extra_args=()):
        daemon = Daemon(self.workdir, data_dir, name, extra_args)
        self.daemons.append(daemon)
        return daemon

    def cli(self, daemon, *args, token=None, check=True):
        env = dict(os.environ, PUMPTRACK_SERVER=daemon.server,
                   PUMPTRACK_TOKEN=self.admin_token if token is None else token)
        result = subprocess.run([CLI, "--insecure", *args], capture_output=True, text=True, env=env, timeout=120)
        if check:
            self.assertEqual(result.returncode, 0, f"pumptrack {' '.join(args)}:\n{result.stderr}")
        return result

    def cli_json(self, daemon, *args):
        return json.loads(self.cli(daemon, *args, "--output=json").stdout)

    def agent(self, daemon, agent_id, rounds, prefix="BK", faults=0.0):
        result = subprocess.run(
            [AGENT, f"--server={daemon.server}", "--insecure", f"--agent_id={agent_id}", "--once",
             f"--sim_pumps={PUMPS}", f"--sim_prefix={prefix}", f"--rounds={rounds}", "--interval=50ms",
             "--round_timeout=30s", f"--sim_faults={faults}"], capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def grpc_channel(self, daemon):
        import grpc
        channel = grpc.insecure_channel(daemon.server)
        self.addCleanup(channel.close)
        return channel

    def metadata(self):
        return (("authorization", f"Bearer {self.admin_token}"),)

    def findings(self, daemon):
        """Every finding, open and resolved, through FindingService.ListFindings (all pages), as dicts."""
        from google.protobuf import json_format
        custody_pb, custody_grpc, finding_pb, finding_grpc = self.stubs
        stub = finding_grpc.FindingServiceStub(self.grpc_channel(daemon))
        found, page_token = [], ""
        while True:
            response = stub.ListFindings(finding_pb.ListFindingsRequest(page_size=1000, page_token=page_token),
                                         metadata=self.metadata(), timeout=30)
            found.extend(json_format.MessageToDict(f) for f in response.findings)
            page_token = response.next_page_token
            if not page_token:
                return found

    def custody(self, daemon, tags):
        """ListCustody, and GetCustodyHistory (all pages) of each of `tags`, as dicts."""
        from google.protobuf import json_format
        custody_pb, custody_grpc, finding_pb, finding_grpc = self.stubs
        stub = custody_grpc.CustodyServiceStub(self.grpc_channel(daemon))
        listed = stub.ListCustody(custody_pb.ListCustodyRequest(), metadata=self.metadata(), timeout=30)
        history = {}
        for tag in tags:
            events, page_token = [], ""
            while True:
                response = stub.GetCustodyHistory(
                    custody_pb.GetCustodyHistoryRequest(asset_tag=tag, page_size=100, page_token=page_token),
                    metadata=self.metadata(), timeout=30)
                events.extend(json_format.MessageToDict(e) for e in response.events)
                page_token = response.next_page_token
                if not page_token:
                    break
            history[tag] = events
        return {"checkouts": [json_format.MessageToDict(c) for c in listed.checkouts], "history": history}

    def snapshot(self, daemon, custody_tags=()):
        """Everything an operator can read back: devices, each device's full history, tokens, agents, findings,
        custody, audit."""
        devices = self.cli_json(daemon, "devices", "list")
        history = {d["identity"]["assetTag"]: self.cli_json(daemon, "devices", "history", d["identity"]["assetTag"])
                   for d in devices}
        audit = [json.loads(line) for line in self.cli(daemon, "audit", "export").stdout.splitlines() if line]
        return {
            "devices": devices,
            "history": history,
            "tokens": self.cli_json(daemon, "tokens", "list"),
            "agents": self.cli_json(daemon, "agents", "list"),
            "findings": self.findings(daemon),
            "custody": self.custody(daemon, custody_tags),
            "audit": audit,
        }

    def test_restore_reproduces_the_database_at_the_backup(self):
        self.stubs = generate_stubs(os.path.join(self.workdir, "py"))
        custody_pb = self.stubs[0]
        policy = [f"--policy={POLICY}"]
        original = self.start(self.data_dir, "original", policy)
        self.cli(original, "agents", "enroll", "gw-a", "--note=ward gateway")
        self.cli(original, "agents", "enroll", "gw-old")
        self.cli(original, "agents", "revoke", "gw-old")
        self.cli(original, "tokens", "create", "--name=biomed", "--role=asset_manager")
        viewer = self.cli(original, "tokens", "create", "--name=desk", "--role=viewer").stdout.strip().splitlines()[-1]
        self.agent(original, "gw-a", rounds=3, faults=0.25)
        # Custody: one pump checked out and still out, another checked out and back in.
        custody = self.stubs[1].CustodyServiceStub(self.grpc_channel(original))
        tags = sorted(d["identity"]["assetTag"] for d in self.cli_json(original, "devices", "list"))
        out, back = tags[0], tags[1]
        for tag in (out, back):
            custody.CheckOut(custody_pb.CheckOutRequest(asset_tag=tag, destination_unit="icu-1", reason="surge",
                                                        due_in={"seconds": 7200}),
                             metadata=self.metadata(), timeout=30)
        device = self.cli_json(original, "devices", "get", back)
        custody.CheckIn(custody_pb.CheckInRequest(asset_tag=back, unit="icu-1",
                                                  observed_seal_id=device["lastObservation"]["physical"]["sealId"]),
                        metadata=self.metadata(), timeout=30)
        before = self.snapshot(original, custody_tags=(out, back))
        self.assertEqual(len(before["devices"]), PUMPS)
        self.assertGreaterEqual(sum(len(h) for h in before["history"].values()), PUMPS)
        # Every round arrived (silent pumps, one of the simulated faults, stop reporting after their first).
        self.assertGreaterEqual(sum(d["acceptedReports"] == "3" for d in before["devices"]), PUMPS // 2)
        self.assertTrue(before["findings"], "misbehaving pumps under the example policy raise findings")
        self.assertEqual([c["assetTag"] for c in before["custody"]["checkouts"]], [out])
        self.assertEqual(len(before["custody"]["history"][out]), 1)
        self.assertEqual(len(before["custody"]["history"][back]), 2)

        created = self.cli_json(original, "backup", "create", f"--dest={self.backup_dir}")
        self.assertEqual(created["backupId"], 1)
        self.assertTrue(created["verified"])
        self.assertEqual(created["formatVersion"], 1)
        # The backup is audited (after it was taken, so the entry is not inside it).
        audit_after = [json.loads(line) for line in self.cli(original, "audit", "export").stdout.splitlines()]
        self.assertEqual(audit_after[-1]["action"], "backup.create")
        self.assertEqual(audit_after[-1]["target"], self.backup_dir)
        self.assertEqual(audit_after[-1]["actor"], "backup-admin")
        # Only an admin may back up.
        denied = self.cli(original, "backup", "create", f"--dest={self.backup_dir}", token=viewer, check=False)
        self.assertEqual(denied.returncode, 1)
        self.assertIn("permission denied", denied.stderr)

        # The world moves on after the backup: none of this may appear in the restored copy.
        self.agent(original, "gw-a", rounds=1, faults=0.25)
        self.cli(original, "agents", "enroll", "gw-late")
        custody.Quarantine(custody_pb.QuarantineRequest(asset_tag=back, reason="inspection"), metadata=self.metadata(),
                           timeout=30)
        self.assertNotEqual(self.custody(original, (out, back)), before["custody"])

        listed = self.cli_json(original, "backup", "list", f"--dir={self.backup_dir}")
        self.assertEqual([b["backupId"] for b in listed], [1])
        verified = self.cli(original, "backup", "verify", f"--dir={self.backup_dir}", "1").stdout
        self.assertIn("backup 1 in", verified)
        self.assertIn("verified", verified)
        self.assertEqual(original.stop(), 0)

        restored_dir = os.path.join(self.workdir, "restored")
        restore = subprocess.run([PUMPTRACKD, "restore", f"--from={self.backup_dir}", f"--data_dir={restored_dir}"],
                                 capture_output=True, text=True, timeout=120)
        self.assertEqual(restore.returncode, 0, restore.stderr)
        self.assertIn("restored backup 1", restore.stdout)
        restored = self.start(restored_dir, "restored", policy)
        after = self.snapshot(restored, custody_tags=(out, back))
        for key in ("devices", "history", "tokens", "agents", "findings", "custody", "audit"):
            self.assertEqual(before[key], after[key], f"{key} differ after restore")
        self.assertIn("OK", self.cli(restored, "audit", "verify").stdout)
        # The restored service works: tokens from before the backup still authenticate, and it takes new reports.
        self.cli(restored, "devices", "list", "--limit=1", token=viewer)
        self.agent(restored, "gw-a", rounds=1)

    def test_restore_refuses_a_non_empty_data_directory(self):
        original = self.start(self.data_dir, "original")
        self.cli(original, "backup", "create", f"--dest={self.backup_dir}")
        self.assertEqual(original.stop(), 0)
        occupied = os.path.join(self.workdir, "occupied")
        os.makedirs(occupied)
        with open(os.path.join(occupied, "keep.txt"), "w") as f:
            f.write("not yours")
        result = subprocess.run([PUMPTRACKD, "restore", f"--from={self.backup_dir}", f"--data_dir={occupied}"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1)
        self.assertIn("not empty", result.stderr)
        self.assertEqual(os.listdir(occupied), ["keep.txt"])

    def test_backup_into_the_data_directory_is_refused(self):
        original = self.start(self.data_dir, "original")
        result = self.cli(original, "backup", "create", f"--dest={self.data_dir}/backups", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("outside the data directory", result.stderr)
        result = self.cli(original, "backup", "create", "--dest=relative/dir", check=False)
        self.assertEqual(result.returncode, 1)
        self.assertIn("absolute", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "backups")))
        # Nothing was audited for refused backups.
        actions = [json.loads(line)["action"] for line in self.cli(original, "audit", "export").stdout.splitlines()]
        self.assertNotIn("backup.create", actions)

    def test_a_damaged_backup_fails_verification_and_restore(self):
        original = self.start(self.data_dir, "original")
        self.cli(original, "agents", "enroll", "gw-a")
        self.agent(original, "gw-a", rounds=2)
        self.cli(original, "backup", "create", f"--dest={self.backup_dir}")
        # Flip one byte in the middle of the largest backed-up file.
        files = [os.path.join(root, name) for root, _, names in os.walk(self.backup_dir) for name in names
                 if "meta" not in root.split(os.sep)[-1:] and not name.startswith("LATEST")]
        victim = max(files, key=os.path.getsize)
        with open(victim, "r+b") as f:
            f.seek(os.path.getsize(victim) // 2)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0xFF]))
        result = self.cli(original, "backup", "verify", f"--dir={self.backup_dir}", "1", check=False)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertIn("backup 1", result.stderr)
        self.assertEqual(original.stop(), 0)
        restored_dir = os.path.join(self.workdir, "restored")
        result = subprocess.run([PUMPTRACKD, "restore", f"--from={self.backup_dir}", f"--data_dir={restored_dir}"],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 1, result.stdout)
        self.assertFalse(os.path.exists(os.path.join(restored_dir, "CURRENT")))


if __name__ == "__main__":
    unittest.main()
