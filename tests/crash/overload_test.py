"""Overload: the real pumptrackd (--insecure) under a burst far beyond what it can commit, and a reconnect storm.

test_burst_10x_is_shed_memory_bounded_no_ack_lost
    Measures the service's durable throughput T (reports/s) on this machine with a short steady load, then offers 10x
    T reports at once: many streams, every batch sent without waiting for acknowledgements (pre-encoded, so the client
    is not the bottleneck). The bounded ingest queue must shed part of it (BATCH_STATUS_OVERLOADED, the stream form of
    RESOURCE_EXHAUSTED; unary calls get RESOURCE_EXHAUSTED), pumptrackd's memory must stay bounded (RSS from /proc),
    and after a kill -9 and restart every pump's last sequence must be exactly the highest one acknowledged for it:
    nothing acknowledged is lost and nothing refused is stored.

test_1000_agents_reconnecting_at_once_are_all_served
    1,000 enrolled agents, each on its own connection with its own long-lived ReportStream, report; pumptrackd is
    killed (kill -9) and restarted on the same port; every stream breaks, all 1,000 reconnect at the same moment, and
    every one of them has its next report accepted.

Environment: PUMPTRACKD, PUMPTRACK_SOURCE_DIR.
"""
import asyncio
import os
import resource
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

from crash_test import Daemon, generate_stubs, last_sequences, observation

PUMPTRACKD = os.environ["PUMPTRACKD"]
QUEUE = 10_000           # --ingest_queue: observations that may wait for the writer
RSS_GROWTH_LIMIT = 384 << 20  # queue, in-flight batches, flow-control windows and memtables (see PERFORMANCE.md)
STREAMS = 40
PUMPS_PER_STREAM = 100   # one batch carries each of a stream's pumps once
REPORT_STREAM = "/pumptrack.v1.AgentService/ReportStream"


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def length_delimited(field, payload):
    return varint(field << 3 | 2) + varint(len(payload)) + payload


def rss_bytes(pid, field):
    """VmRSS or VmHWM of a process, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise AssertionError(f"no {field} in /proc/{pid}/status")


class OverloadTest(unittest.TestCase):
    def setUp(self):
        import grpc
        self.grpc = grpc
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-overload-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.data_dir = os.path.join(self.workdir, "data")
        (self.agent_pb, self.agent_grpc, self.device_pb, self.inventory_pb, self.inventory_grpc, self.registry_pb,
         self.registry_grpc) = generate_stubs(os.path.join(self.workdir, "py"))
        result = subprocess.run([PUMPTRACKD, "token", "create", "--role=admin", "--name=overload-admin",
                                 f"--data_dir={self.data_dir}"], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.metadata = (("authorization", f"Bearer {result.stdout.strip().splitlines()[-1]}"),)
        self.daemon = None
        self.addCleanup(lambda: self.daemon and self.daemon.kill())

    def start_daemon(self, listen="127.0.0.1:0"):
        # A small ingest queue, so that a burst is shed.
        self.daemon = Daemon(self.workdir, self.data_dir, listen, [f"--ingest_queue={QUEUE}", "--block_cache_mb=16"])

    def restart_after_kill_9(self, same_port=False):
        target = self.daemon.target
        self.daemon.kill()
        self.start_daemon(target if same_port else "127.0.0.1:0")

    def enroll(self, agent_ids):
        channel = self.grpc.insecure_channel(self.daemon.target)
        stub = self.registry_grpc.AgentRegistryServiceStub(channel)
        futures = [stub.EnrollAgent.future(self.registry_pb.EnrollAgentRequest(agent_id=agent_id),
                                           metadata=self.metadata, timeout=60) for agent_id in agent_ids]
        for future in futures:
            future.result()
        channel.close()

    def last_sequences(self):
        return last_sequences(self.inventory_pb, self.inventory_grpc, self.daemon.target, self.metadata)

    def observation_base(self, tag):
        """The encoded Observation of `tag` without its sequence (field 3), which encode_batch appends."""
        return observation(self.device_pb, tag).SerializeToString()

    def encode_batch(self, batch_id, agent_id, bases, sequence):
        """A ReportBatch, encoded by hand from pre-encoded observations: batch_id = 1, agent = 2 (on the first batch
        of a stream), observations = 3; each observation gets `sequence` (field 3, varint)."""
        parts = [varint(1 << 3) + varint(batch_id)]
        if batch_id == 1:
            parts.append(length_delimited(2, self.device_pb.AgentInfo(agent_id=agent_id).SerializeToString()))
        seq = varint(3 << 3) + varint(sequence)
        for base in bases:
            parts.append(length_delimited(3, base + seq))
        return b"".join(parts)

    def run_streams(self, batches_per_stream, window, results):
        """STREAMS streams, each sending `batches_per_stream` batches of its pumps (sequence = batch id, continuing
        from results['next'][stream]) with at most `window` unacknowledged (None: all at once). Records acks."""
        channel = self.grpc.insecure_channel(self.daemon.target)
        call = channel.stream_stream(REPORT_STREAM, request_serializer=None,
                                     response_deserializer=self.agent_pb.ReportBatchAck.FromString)
        pb = self.agent_pb
        errors = []

        def one_stream(s):
            agent_id = f"burst-gw-{s}"
            tags = [f"OV{s:02d}-{p:04d}" for p in range(PUMPS_PER_STREAM)]
            first = results["next"][s]
            try:
                bases = [self.observation_base(tag) for tag in tags]
                encoded = [self.encode_batch(b + 1, agent_id, bases, first + b) for b in range(batches_per_stream)]
                gate = threading.Semaphore(window or len(encoded))

                def requests():
                    for batch in encoded:
                        gate.acquire()
                        yield batch

                for ack in call(requests(), timeout=60):
                    gate.release()
                    sequence = first + ack.batch_id - 1
                    with results["lock"]:
                        if ack.status == pb.BATCH_STATUS_PROCESSED:
                            for tag, result in zip(tags, ack.results):
                                self.assertEqual(result.result, pb.REPORT_RESULT_ACCEPTED, f"{tag}: {result.reason}")
                                results["acked"][tag] = max(results["acked"].get(tag, 0), sequence)
                            results["accepted"] += len(ack.results)
                        elif ack.status == pb.BATCH_STATUS_OVERLOADED:
                            results["shed"] += PUMPS_PER_STREAM
                        else:
                            results["other"].append(ack.status)
            except Exception as error:  # noqa: BLE001 - reported below
                errors.append(error)
            results["next"][s] = first + batches_per_stream

        threads = [threading.Thread(target=one_stream, args=(s,)) for s in range(STREAMS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        elapsed = time.monotonic() - started
        channel.close()
        self.assertFalse(errors, f"streams failed: {errors[:3]}")
        return elapsed

    def test_burst_10x_is_shed_memory_bounded_no_ack_lost(self):
        self.start_daemon()
        self.enroll([f"burst-gw-{s}" for s in range(STREAMS)])
        results = {"lock": threading.Lock(), "acked": {}, "accepted": 0, "shed": 0, "other": [],
                   "next": [1] * STREAMS}

        # Steady load, each stream with 2 batches in flight: the service's durable throughput on this machine.
        elapsed = self.run_streams(batches_per_stream=10, window=2, results=results)
        throughput = results["accepted"] / elapsed
        self.assertGreater(results["accepted"], 0)
        print(f"steady: {results['accepted']} accepted in {elapsed:.2f} s = {throughput:.0f} reports/s "
              f"({results['shed']} shed)", flush=True)

        # The burst: 10x that throughput, offered all at once.
        burst = 10 * throughput
        batches = max(2, int(burst / (STREAMS * PUMPS_PER_STREAM)) + 1)
        offered = batches * STREAMS * PUMPS_PER_STREAM
        pid = self.daemon.process.pid
        rss_before = rss_bytes(pid, "VmRSS")
        accepted_before, shed_before = results["accepted"], results["shed"]
        peak = [rss_before]
        sampling = threading.Event()

        def sample():
            while not sampling.is_set():
                peak[0] = max(peak[0], rss_bytes(pid, "VmRSS"))
                time.sleep(0.01)

        sampler = threading.Thread(target=sample)
        sampler.start()
        elapsed = self.run_streams(batches_per_stream=batches, window=None, results=results)
        sampling.set()
        sampler.join()
        rss_after = rss_bytes(pid, "VmRSS")
        accepted = results["accepted"] - accepted_before
        shed = results["shed"] - shed_before
        print(f"burst: {offered} offered ({offered / max(throughput, 1):.1f} s of capacity) in {elapsed:.2f} s: "
              f"{accepted} accepted, {shed} shed; RSS {rss_before >> 20} MiB before, peak {peak[0] >> 20} MiB, "
              f"{rss_after >> 20} MiB after", flush=True)
        self.assertEqual(results["other"], [])
        self.assertEqual(accepted + shed, offered)
        self.assertGreater(shed, 0, "a 10x burst must be shed in part")
        self.assertGreater(accepted, 0, "the service must keep committing during a burst")
        self.assertLess(peak[0] - rss_before, RSS_GROWTH_LIMIT,
                        f"RSS grew by {(peak[0] - rss_before) >> 20} MiB during the burst")

        # Nothing acknowledged is lost, nothing refused is stored: after kill -9, each pump's last sequence is exactly
        # the highest acknowledged.
        self.restart_after_kill_9()
        found = self.last_sequences()
        self.assertEqual(len(results["acked"]), STREAMS * PUMPS_PER_STREAM)
        for tag, sequence in results["acked"].items():
            self.assertEqual(found.get(tag), sequence, f"{tag}: acknowledged {sequence}")

    def test_1000_agents_reconnecting_at_once_are_all_served(self):
        agents = 1000
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 4 * agents:
            resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8 * agents), hard))
        self.start_daemon()
        agent_ids = [f"storm-gw-{a:04d}" for a in range(agents)]
        self.enroll(agent_ids)
        pb = self.agent_pb
        grpc = self.grpc

        def batch(agent, sequence):
            observation = self.device_pb.Observation.FromString(self.observation_base(f"ST-{agent:04d}") +
                                                                varint(3 << 3) + varint(sequence))
            return pb.ReportBatch(batch_id=1, agent=self.device_pb.AgentInfo(agent_id=agent_ids[agent]),
                                  observations=[observation])

        async def reconnect(stub, agent, deadline):
            """Opens a new stream on the agent's channel (which reconnects to the restarted service) until its next
            report is accepted; tries again after a refusal or a broken stream. Returns the number of attempts."""
            attempts = 0
            while time.monotonic() < deadline:
                attempts += 1
                try:
                    call = stub.ReportStream(wait_for_ready=True, timeout=max(1.0, deadline - time.monotonic()))
                    await call.write(batch(agent, 2))
                    await call.done_writing()
                    acks = [ack async for ack in call]
                    if acks and acks[0].status == pb.BATCH_STATUS_PROCESSED:
                        self.assertEqual(acks[0].results[0].result, pb.REPORT_RESULT_ACCEPTED)
                        return attempts
                except grpc.aio.AioRpcError as error:
                    if error.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED):
                        raise
                await asyncio.sleep(0.05 * (agent % 10))
            raise AssertionError(f"{agent_ids[agent]} was not served again before the deadline")

        async def agent_life(stub, agent, connected, all_connected, restarted):
            # Connected: one long-lived stream, its first report accepted.
            call = stub.ReportStream(wait_for_ready=True, timeout=120)
            await call.write(batch(agent, 1))
            ack = await call.read()
            self.assertEqual(ack.status, pb.BATCH_STATUS_PROCESSED)
            self.assertEqual(ack.results[0].result, pb.REPORT_RESULT_ACCEPTED)
            connected[0] += 1
            if connected[0] == agents:
                all_connected.set()
            # The service dies under it: the stream breaks.
            try:
                await call.read()
            except grpc.aio.AioRpcError:
                pass
            await restarted.wait()
            return await reconnect(stub, agent, time.monotonic() + 60)

        async def storm():
            # Each agent its own connection (a local subchannel pool: channels share no transport).
            channels = [grpc.aio.insecure_channel(self.daemon.target, options=[("grpc.use_local_subchannel_pool", 1)])
                        for _ in range(agents)]
            try:
                stubs = [self.agent_grpc.AgentServiceStub(channel) for channel in channels]
                connected, all_connected, restarted = [0], asyncio.Event(), asyncio.Event()
                started = time.monotonic()
                lives = [asyncio.ensure_future(agent_life(stubs[a], a, connected, all_connected, restarted))
                         for a in range(agents)]
                await asyncio.wait_for(all_connected.wait(), timeout=60)
                print(f"{agents} agents connected, each with an open stream, in {time.monotonic() - started:.2f} s",
                      flush=True)
                # kill -9 and restart on the same port: every stream breaks and every agent reconnects at once.
                await asyncio.get_running_loop().run_in_executor(None, lambda: self.restart_after_kill_9(True))
                restarted.set()
                started = time.monotonic()
                attempts = await asyncio.gather(*lives)
                return time.monotonic() - started, sum(attempts)
            finally:
                await asyncio.gather(*(channel.close() for channel in channels))

        elapsed, attempts = asyncio.run(storm())
        print(f"{agents} agents reconnected at once: all served in {elapsed:.2f} s ({attempts} streams opened)",
              flush=True)
        found = self.last_sequences()
        for agent in range(agents):
            self.assertEqual(found.get(f"ST-{agent:04d}"), 2, agent_ids[agent])


if __name__ == "__main__":
    unittest.main()
