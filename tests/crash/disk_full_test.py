"""A really full data volume (issue #14, item 4): refusals and NOT_SERVING, never an abort.

Runs the real pumptrackd (--insecure) with its data directory on a small tmpfs mounted for the test, fills the volume
with a file, and drives reports and people's audited writes (policy set, token create, agent enroll) through gRPC:

- with the free-space reserve (--min_free_disk_mb): once the volume is below it, reports AND every audited write are
  refused with RESOURCE_EXHAUSTED, health is NOT_SERVING, and after the filler is removed everything works again;
- without a reserve (--min_free_disk_mb=0): RocksDB itself hits ENOSPC; the write is refused with RESOURCE_EXHAUSTED,
  health is NOT_SERVING, and the process stays alive (before issue #14, RocksDB's attempt to log the error into its
  LOG file on the same full volume tripped an assertion in Debian's RocksDB build: exit 134).

Needs root to mount; the test skips only when `mount` itself is refused, and says so.
Environment: PUMPTRACKD, PUMPTRACK_SOURCE_DIR.
"""
import errno
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

from crash_test import Daemon, generate_stubs, observation

SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]
PUMPTRACKD = os.environ["PUMPTRACKD"]
VOLUME_MB = 128
HEALTH_SERVING, HEALTH_NOT_SERVING = 1, 2


class DiskFullTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-disk-full-")
        self.volume = os.path.join(self.workdir, "volume")
        os.makedirs(self.volume)
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={VOLUME_MB}m", "tmpfs", self.volume],
                                 capture_output=True, text=True)
        if mounted.returncode != 0:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.skipTest(f"cannot mount a tmpfs here (mount said: {mounted.stderr.strip()}); a real full volume needs "
                          "root and mount privileges")
        self.daemon = None
        self.data_dir = os.path.join(self.volume, "data")
        self.filler = os.path.join(self.volume, "filler")
        import grpc
        self.grpc = grpc
        (self.agent_pb, self.agent_grpc, self.device_pb, _, _, self.registry_pb,
         self.registry_grpc) = generate_stubs(os.path.join(self.workdir, "stubs"), ("auth.proto", "policy.proto"))
        from pumptrack.v1 import auth_pb2, auth_pb2_grpc, policy_pb2, policy_pb2_grpc  # noqa: E402
        self.auth_pb, self.auth_grpc, self.policy_pb, self.policy_grpc = auth_pb2, auth_pb2_grpc, policy_pb2, \
            policy_pb2_grpc

    def tearDown(self):
        if getattr(self, "daemon", None) is not None:
            self.daemon.kill()
        subprocess.run(["umount", "-l", self.volume], capture_output=True)
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- Helpers ---------------------------------------------------------------------------------------------------

    def start(self, min_free_mb):
        result = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", "--role=admin",
                                 "--name=disk-admin"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.metadata = (("authorization", f"Bearer {result.stdout.strip().splitlines()[-1]}"),)
        self.daemon = Daemon(self.workdir, self.data_dir, extra_args=[f"--min_free_disk_mb={min_free_mb}"])
        self.channel = self.grpc.insecure_channel(self.daemon.target)
        self.agent = self.agent_grpc.AgentServiceStub(self.channel)
        self.registry = self.registry_grpc.AgentRegistryServiceStub(self.channel)
        self.tokens = self.auth_grpc.TokenServiceStub(self.channel)
        self.policies = self.policy_grpc.PolicyServiceStub(self.channel)
        self.health = self.channel.unary_unary("/grpc.health.v1.Health/Check",
                                               request_serializer=lambda raw: raw,
                                               response_deserializer=lambda raw: raw)
        self.registry.EnrollAgent(self.registry_pb.EnrollAgentRequest(agent_id="disk-gw"), metadata=self.metadata,
                                  timeout=30)

    def health_status(self):
        response = self.health(b"", timeout=10)  # HealthCheckRequest{service: ""}
        # HealthCheckResponse{status = 1}: b"\x08" + varint; empty means UNKNOWN (0).
        return response[1] if len(response) == 2 and response[0] == 0x08 else 0

    def wait_for_health(self, wanted, seconds=10):
        deadline = time.monotonic() + seconds
        status = None
        while time.monotonic() < deadline:
            try:
                status = self.health_status()
            except self.grpc.RpcError as error:
                self.fail(f"health check failed ({error.code()}), pumptrackd exit status "
                          f"{self.daemon.process.poll()}; log:\n{self.log_tail()}")
            if status == wanted:
                return
            time.sleep(0.1)
        self.fail(f"health stayed {status}, expected {wanted}; log:\n{self.log_tail()}")

    def log_tail(self):
        with open(self.daemon.log.name, "rb") as f:
            return f.read()[-4000:].decode(errors="replace")

    def report(self, tag, sequence):
        """The gRPC status code of a unary Report (OK when accepted)."""
        request = self.agent_pb.ReportRequest(observation=observation(self.device_pb, tag, sequence))
        request.agent.agent_id = "disk-gw"
        try:
            self.agent.Report(request, timeout=30)
            return self.grpc.StatusCode.OK
        except self.grpc.RpcError as error:
            return error.code()

    def report_many(self, sequence, count=1000):
        """One ReportStream batch of `count` pumps; the ack's batch status (or the stream's error code)."""
        batch = self.agent_pb.ReportBatch(batch_id=1)
        batch.agent.agent_id = "disk-gw"
        for i in range(count):
            batch.observations.append(observation(self.device_pb, f"PT-{i:05d}", sequence))
        try:
            acks = list(self.agent.ReportStream(iter([batch]), timeout=60))
            return acks[0].status if acks else None
        except self.grpc.RpcError as error:
            return error.code()

    def admin_write_codes(self, suffix):
        """The gRPC codes of three audited writes by people: policy set, token create, agent enroll."""
        with open(os.path.join(SOURCE_DIR, "examples", "hospital-policy.textproto")) as f:
            policy = f.read()
        calls = {
            "policy set": lambda: self.policies.SetPolicy(self.policy_pb.SetPolicyRequest(text=policy),
                                                          metadata=self.metadata, timeout=30),
            "token create": lambda: self.tokens.CreateToken(
                self.auth_pb.CreateTokenRequest(name=f"biomed-{suffix}", role=self.auth_pb.ROLE_VIEWER),
                metadata=self.metadata, timeout=30),
            "agent enroll": lambda: self.registry.EnrollAgent(
                self.registry_pb.EnrollAgentRequest(agent_id=f"gw-{suffix}"), metadata=self.metadata, timeout=30),
        }
        codes = {}
        for name, call in calls.items():
            try:
                call()
                codes[name] = self.grpc.StatusCode.OK
            except self.grpc.RpcError as error:
                codes[name] = error.code()
        return codes

    def fill(self, leave_bytes):
        """Writes the filler file until the volume has at most `leave_bytes` free (0: until ENOSPC)."""
        chunk = b"\0" * (1 << 20)
        with open(self.filler, "ab") as f:
            while True:
                st = os.statvfs(self.volume)
                free = st.f_bavail * st.f_frsize
                if leave_bytes and free <= leave_bytes:
                    break
                size = len(chunk) if not leave_bytes else min(len(chunk), free - leave_bytes)
                try:
                    f.write(chunk[:max(size, 4096)])
                    f.flush()
                except OSError as error:
                    self.assertEqual(error.errno, errno.ENOSPC)
                    break

    def expect_alive(self):
        self.assertIsNone(self.daemon.process.poll(), f"pumptrackd exited; log:\n{self.log_tail()}")

    # --- Tests -----------------------------------------------------------------------------------------------------

    def test_reserve_refuses_reports_and_peoples_writes(self):
        self.start(min_free_mb=24)
        self.assertEqual(self.report("PT-1", 1), self.grpc.StatusCode.OK)
        self.assertEqual(set(self.admin_write_codes("before").values()), {self.grpc.StatusCode.OK})
        self.wait_for_health(HEALTH_SERVING)

        self.fill(leave_bytes=12 << 20)  # below the 24 MiB reserve
        self.wait_for_health(HEALTH_NOT_SERVING)
        self.assertEqual(self.report("PT-1", 2), self.grpc.StatusCode.RESOURCE_EXHAUSTED)
        codes = self.admin_write_codes("full")
        self.assertEqual(codes, {name: self.grpc.StatusCode.RESOURCE_EXHAUSTED for name in codes}, self.log_tail())
        self.expect_alive()

        os.remove(self.filler)
        self.wait_for_health(HEALTH_SERVING)
        self.assertEqual(self.report("PT-1", 3), self.grpc.StatusCode.OK)
        self.assertEqual(set(self.admin_write_codes("after").values()), {self.grpc.StatusCode.OK})
        self.assertEqual(self.daemon.process.send_signal(signal.SIGTERM), None)
        self.assertEqual(self.daemon.process.wait(timeout=30), 0)

    def test_real_enospc_without_reserve_is_refused_not_an_abort(self):
        self.start(min_free_mb=0)
        self.assertEqual(self.report("PT-1", 1), self.grpc.StatusCode.OK)
        self.fill(leave_bytes=0)
        # Batches of 1,000 observations need new pages for the write-ahead log (past what RocksDB preallocated) and,
        # at the latest when the WAL passes 16 MB, a flush: RocksDB gets ENOSPC. Nothing else may happen.
        status = None
        for sequence in range(2, 200):
            status = self.report_many(sequence)
            if status != self.agent_pb.BATCH_STATUS_PROCESSED:
                break
            self.expect_alive()
        print(f"first refused batch: {sequence - 1} accepted before it")
        self.assertIn(status, (self.agent_pb.BATCH_STATUS_UNAVAILABLE, self.grpc.StatusCode.RESOURCE_EXHAUSTED,
                               self.grpc.StatusCode.UNAVAILABLE),
                      f"a batch was stored on a full volume; log:\n{self.log_tail()}")
        self.expect_alive()
        self.wait_for_health(HEALTH_NOT_SERVING)
        self.assertEqual(self.report("PT-1", 3000), self.grpc.StatusCode.RESOURCE_EXHAUSTED)
        codes = self.admin_write_codes("full")
        self.assertEqual(codes, {name: self.grpc.StatusCode.RESOURCE_EXHAUSTED for name in codes}, self.log_tail())
        time.sleep(1)
        self.expect_alive()
        # Nothing of RocksDB's log went to a LOG file on the full volume.
        self.assertFalse(os.path.exists(os.path.join(self.data_dir, "LOG")))
        self.daemon.process.send_signal(signal.SIGTERM)
        code = self.daemon.process.wait(timeout=30)
        self.assertNotIn(code, (-signal.SIGABRT, 134), f"pumptrackd aborted; log:\n{self.log_tail()}")


if __name__ == "__main__":
    unittest.main()
