"""Crash safety: kill -9 pumptrackd under load, again and again, and lose nothing that was acknowledged.

The test runs the real pumptrackd (--insecure, with an offline admin token and enrolled agents) and drives it with its
own gRPC client: several agents stream ReportBatches of many pumps, each pump's sequence always increasing, and record
every acknowledged (asset tag, sequence). At a random moment pumptrackd gets SIGKILL. Then, with the daemon stopped,
`ldb checkconsistency` must pass on a copy of the crashed data directory (a copy, so that ldb's own recovery does not
stand in for pumptrackd's), pumptrackd is restarted on the crashed directory, and every pump's last sequence must be at
least the highest one acknowledged for it. Repeated KILLS times (at least 10).

Environment: PUMPTRACKD, PUMPTRACK_SOURCE_DIR; optional CRASH_KILLS (default 12), CRASH_SEED (default: random, printed).
"""
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

PUMPTRACKD = os.environ["PUMPTRACKD"]
SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]
LDB = shutil.which("ldb") or "/usr/bin/ldb"
KILLS = int(os.environ.get("CRASH_KILLS", "12"))
AGENTS = 4
PUMPS_PER_AGENT = 50
BATCH = 25
INFLIGHT = 4


def generate_stubs(out_dir, extra_protos=()):
    """Compiles the project's .proto files to Python in out_dir and imports them; `extra_protos` (e.g. "auth.proto")
    are compiled too, for the caller to import."""
    proto_root = os.path.join(SOURCE_DIR, "proto")
    os.makedirs(out_dir, exist_ok=True)
    protos = [os.path.join("pumptrack", "v1", f) for f in ("device.proto", "agent_service.proto",
                                                           "inventory_service.proto", "agent_registry.proto",
                                                           *extra_protos)]
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "common"))
    from python_stubs import compile_protos  # noqa: E402
    compile_protos(proto_root, out_dir, protos)
    sys.path.insert(0, out_dir)
    from pumptrack.v1 import agent_registry_pb2, agent_registry_pb2_grpc, agent_service_pb2, agent_service_pb2_grpc, \
        device_pb2, inventory_service_pb2, inventory_service_pb2_grpc  # noqa: E402
    return (agent_service_pb2, agent_service_pb2_grpc, device_pb2, inventory_service_pb2, inventory_service_pb2_grpc,
            agent_registry_pb2, agent_registry_pb2_grpc)


def observation(device_pb, tag, sequence=0, room="512"):
    """A valid, compliant Observation of pump `tag` (sequence 0: none set)."""
    pb = device_pb
    o = pb.Observation()
    o.identity.asset_tag = tag
    o.identity.serial_number = "SN-" + tag
    o.identity.manufacturer = "Acme Medical"
    o.identity.model = "Infusia 500"
    o.observed_at.GetCurrentTime()
    if sequence:
        o.sequence = sequence
    o.location.facility = "general"
    o.location.building = "north"
    o.location.floor = "5"
    o.location.unit = "5-west"
    o.location.room = room
    o.location.source = pb.LOCATION_SOURCE_RTLS
    o.location.confidence = 0.9
    o.firmware_version = "12.1.3"
    o.operating_state = pb.OPERATING_STATE_IDLE
    return o


def last_sequences(inventory_pb, inventory_grpc, target, metadata):
    """Every pump's last sequence as the service at `target` reports it (ListDevices, all pages): {tag: sequence}."""
    import grpc
    channel = grpc.insecure_channel(target)
    stub = inventory_grpc.InventoryServiceStub(channel)
    found, page_token = {}, ""
    while True:
        response = stub.ListDevices(inventory_pb.ListDevicesRequest(page_size=1000, page_token=page_token),
                                    metadata=metadata, timeout=30)
        for device in response.devices:
            found[device.identity.asset_tag] = device.last_observation.sequence
        page_token = response.next_page_token
        if not page_token:
            break
    channel.close()
    return found


class Daemon:
    """pumptrackd on loopback, plaintext (--insecure): on a free port unless `listen` names one, with `extra_args`."""

    def __init__(self, workdir, data_dir, listen="127.0.0.1:0", extra_args=()):
        self.ready_file = os.path.join(workdir, "ready.json")
        if os.path.exists(self.ready_file):
            os.remove(self.ready_file)
        self.log = open(os.path.join(workdir, "pumptrackd.log"), "ab")
        self.process = subprocess.Popen(
            [PUMPTRACKD, f"--data_dir={data_dir}", "--insecure", f"--grpc_listen={listen}", "--metrics_listen=", "--http_listen=",
             f"--ready_file={self.ready_file}", "--log_level=warn", *extra_args],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.started = time.monotonic()
        deadline = self.started + 30
        while not os.path.exists(self.ready_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"pumptrackd did not start (exit {self.process.poll()}); see {self.log.name}")
            time.sleep(0.02)
        self.ready_after = time.monotonic() - self.started
        with open(self.ready_file) as f:
            self.target = json.load(f)["grpc"]

    def kill(self):
        """SIGKILL, unless it has already exited; returns its exit status. Safe to call again."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        code = self.process.wait(timeout=30)
        self.log.close()
        return code


class CrashTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-crash-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.data_dir = os.path.join(self.workdir, "data")
        (self.agent_pb, self.agent_grpc, self.device_pb, self.inventory_pb, self.inventory_grpc, self.registry_pb,
         self.registry_grpc) = generate_stubs(os.path.join(self.workdir, "py"))
        seed = int(os.environ.get("CRASH_SEED", random.randrange(1 << 30)))
        print(f"CRASH_SEED={seed}", flush=True)
        self.random = random.Random(seed)
        self.daemon = None
        self.addCleanup(self.kill_daemon)
        # Sequences start at the clock in microseconds, as agents' do, and only grow.
        start = int(time.time() * 1e6)
        self.next_sequence = {self.tag(a, p): start for a in range(AGENTS) for p in range(PUMPS_PER_AGENT)}
        self.acknowledged = {}  # tag -> highest sequence acknowledged (ACCEPTED or DUPLICATE)
        self.acknowledged_reports = 0
        self.lock = threading.Lock()

    def kill_daemon(self):
        if self.daemon is not None and self.daemon.process.poll() is None:
            self.daemon.kill()

    @staticmethod
    def tag(agent, pump):
        return f"CR{agent}-{pump + 1:05d}"

    def offline(self, *args):
        result = subprocess.run([PUMPTRACKD, *args, f"--data_dir={self.data_dir}"], capture_output=True, text=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout

    def observation(self, tag, sequence):
        # Moves now and then, so history grows too.
        return observation(self.device_pb, tag, sequence, room=str(500 + sequence % 40))

    def stream_agent(self, agent, stop):
        """Streams batches for one agent until stop is set or the stream breaks; records acknowledgements."""
        pb = self.agent_pb
        channel = self.grpc.insecure_channel(self.daemon.target)
        stub = self.agent_grpc.AgentServiceStub(channel)
        sent = {}  # batch_id -> [(tag, sequence)]
        window = threading.Semaphore(INFLIGHT)
        tags = [self.tag(agent, p) for p in range(PUMPS_PER_AGENT)]

        def batches():
            batch_id = 0
            while not stop.is_set():
                if not window.acquire(timeout=0.1):
                    continue
                batch_id += 1
                batch = pb.ReportBatch(batch_id=batch_id)
                if batch_id == 1:
                    batch.agent.agent_id = f"crash-gw-{agent}"
                    batch.agent.agent_version = "crash-test"
                chosen = self.random.sample(tags, BATCH)
                entries = []
                with self.lock:
                    for tag in chosen:
                        self.next_sequence[tag] += 1
                        entries.append((tag, self.next_sequence[tag]))
                for tag, sequence in entries:
                    batch.observations.append(self.observation(tag, sequence))
                sent[batch_id] = entries
                yield batch

        try:
            for ack in stub.ReportStream(batches()):
                window.release()
                entries = sent.pop(ack.batch_id)
                if ack.status != pb.BATCH_STATUS_PROCESSED:
                    continue  # not taken: nothing is acknowledged
                self.assertEqual(len(ack.results), len(entries))
                with self.lock:
                    for (tag, sequence), result in zip(entries, ack.results):
                        self.assertIn(result.result, (pb.REPORT_RESULT_ACCEPTED, pb.REPORT_RESULT_DUPLICATE),
                                      f"{tag}: {result.field} {result.reason}")
                        self.acknowledged[tag] = max(self.acknowledged.get(tag, 0), sequence)
                    self.acknowledged_reports += len(entries)
        except self.grpc.RpcError as error:
            if not stop.is_set():
                self.stream_errors.append(error)
        finally:
            channel.close()

    def last_sequences(self):
        """Every pump's last sequence as the restarted service reports it."""
        return last_sequences(self.inventory_pb, self.inventory_grpc, self.daemon.target,
                              (("authorization", f"Bearer {self.admin_token}"),))

    def check_consistency(self, round_number, read_everything):
        """ldb checkconsistency (paranoid checks: every file the MANIFEST of every column family names exists with its
        size) on a copy of the crashed data directory. With read_everything, also reads every key of every column
        family (`ldb dump --count_only`, block checksums verified): checkconsistency alone does not read data."""
        copy = os.path.join(self.workdir, f"ldb-copy-{round_number}")
        shutil.copytree(self.data_dir, copy)
        try:
            result = subprocess.run([LDB, f"--db={copy}", "checkconsistency"], capture_output=True, text=True,
                                    timeout=60)
            self.assertEqual(result.returncode, 0, f"round {round_number}: ldb: {result.stdout}{result.stderr}")
            self.assertEqual(result.stdout.strip(), "OK", f"round {round_number}: ldb: {result.stdout}{result.stderr}")
            if read_everything:
                families = subprocess.run([LDB, f"--db={copy}", "list_column_families"], capture_output=True,
                                          text=True, timeout=60, check=True).stdout
                names = families[families.index("{") + 1:families.index("}")].replace(" ", "").split(",")
                self.assertIn("devices", names)
                self.assertIn("audit", names)
                for name in names:
                    dump = subprocess.run([LDB, f"--db={copy}", f"--column_family={name}", "dump", "--count_only"],
                                          capture_output=True, text=True, timeout=60)
                    self.assertEqual(dump.returncode, 0, f"ldb dump of {name}: {dump.stdout}{dump.stderr}")
                    self.assertIn("Keys in range:", dump.stdout, f"ldb dump of {name}: {dump.stdout}{dump.stderr}")
        finally:
            shutil.rmtree(copy, ignore_errors=True)

    def test_kill_9_under_load_loses_no_acknowledged_report(self):
        import grpc
        self.grpc = grpc
        self.stream_errors = []
        self.admin_token = self.offline("token", "create", "--role=admin", "--name=crash-admin").strip().splitlines()[-1]
        self.daemon = Daemon(self.workdir, self.data_dir)
        self.enroll_agents()
        for round_number in range(1, KILLS + 1):
            stop = threading.Event()
            threads = [threading.Thread(target=self.stream_agent, args=(a, stop)) for a in range(AGENTS)]
            for thread in threads:
                thread.start()
            time.sleep(self.random.uniform(0.3, 1.5))
            self.assertEqual(self.daemon.kill(), -signal.SIGKILL)
            stop.set()
            for thread in threads:
                thread.join(timeout=30)
                self.assertFalse(thread.is_alive(), "a load thread did not finish after the kill")
            with self.lock:
                acknowledged = dict(self.acknowledged)
                reports = self.acknowledged_reports
            self.check_consistency(round_number, read_everything=round_number == KILLS)
            self.daemon = Daemon(self.workdir, self.data_dir)
            found = self.last_sequences()
            for tag, sequence in acknowledged.items():
                self.assertIn(tag, found, f"round {round_number}: acknowledged pump {tag} is missing after restart")
                self.assertGreaterEqual(found[tag], sequence,
                                        f"round {round_number}: {tag} lost acknowledged sequence {sequence}")
            print(f"round {round_number}: {reports} reports of {len(acknowledged)} pumps acknowledged so far, all reflected; "
                  f"restart serving after {self.daemon.ready_after:.2f} s", flush=True)
        self.assertFalse([e for e in self.stream_errors if e.code() != self.grpc.StatusCode.UNAVAILABLE],
                         "streams failed for a reason other than the kill")
        # The load must have got somewhere, or the test proves nothing.
        self.assertEqual(len(self.acknowledged), AGENTS * PUMPS_PER_AGENT)

    def enroll_agents(self):
        """Enrols crash-gw-0.. through AgentRegistryService with the admin token, as `pumptrack agents enroll` does."""
        channel = self.grpc.insecure_channel(self.daemon.target)
        stub = self.registry_grpc.AgentRegistryServiceStub(channel)
        for agent in range(AGENTS):
            stub.EnrollAgent(self.registry_pb.EnrollAgentRequest(agent_id=f"crash-gw-{agent}"),
                             metadata=(("authorization", f"Bearer {self.admin_token}"),), timeout=30)
        channel.close()


if __name__ == "__main__":
    unittest.main()
