"""scripts/demo stops on Ctrl-C (issue #14, item 1) and shows the second wave's features.

Runs the real scripts/demo against the binaries ctest built (DEMO_SKIP_BUILD=1, a small fleet, its own DEMO_VAR),
waits until it is serving and refreshing, sends SIGINT the way a terminal's Ctrl-C does (to the whole foreground
process group) or to the script alone, and checks that the demo exits within a few seconds with status 130 and that
no pumptrackd or pumptrack-agent of that run is left.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]
DEMO = os.path.join(SOURCE_DIR, "scripts", "demo")
# How long the demo may take to stop after SIGINT: it stops the agent and pumptrackd (graceful, well under 5 s).
STOP_BUDGET_SECONDS = 8


def live_processes():
    """(pid, process group, command line) of every live process (zombies excluded)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            yield int(pid), int(fields[2]), cmdline


def processes_in_group(pgid):
    """PIDs of live processes in process group `pgid`."""
    return [pid for pid, group, _ in live_processes() if group == pgid]


def processes_mentioning(text):
    """(pid, command line) of live processes whose command line contains `text`."""
    return [(pid, cmdline) for pid, _, cmdline in live_processes() if text in cmdline]


class DemoTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-demo-test-")
        self.var = os.path.join(self.workdir, "var")
        self.out_path = os.path.join(self.workdir, "demo.out")
        self.demo = None

    def tearDown(self):
        if self.demo is not None and self.demo.poll() is None:
            os.killpg(self.demo.pid, signal.SIGKILL)
            self.demo.wait()
        for pid, _ in processes_mentioning(self.var):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.workdir, ignore_errors=True)

    def output(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def start_demo_and_wait_for_a_refresh(self):
        env = dict(os.environ, DEMO_SKIP_BUILD="1", DEMO_VAR=self.var, DEMO_PUMPS="20", DEMO_INTERVAL="1s",
                   DEMO_REFRESH="30", DEMO_FAULTS="0.1")
        with open(self.out_path, "wb") as out:
            # A session of its own: its process group stands for the terminal's foreground job.
            self.demo = subprocess.Popen([DEMO], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env, start_new_session=True)
        deadline = time.monotonic() + 90
        while "=== audit log ===" not in self.output():
            if self.demo.poll() is not None:
                self.fail(f"the demo ended early with {self.demo.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                self.fail(f"the demo did not reach its refresh loop:\n{self.output()}")
            time.sleep(0.2)
        time.sleep(1)  # into the refresh loop's wait
        started = processes_mentioning(self.var)
        self.assertTrue(any("pumptrackd" in cmd for _, cmd in started), started)
        self.assertTrue(any("pumptrack-agent" in cmd for _, cmd in started), started)

    def expect_prompt_clean_exit(self):
        sent = time.monotonic()
        try:
            status = self.demo.wait(timeout=STOP_BUDGET_SECONDS)
        except subprocess.TimeoutExpired:
            self.fail(f"the demo still runs {STOP_BUDGET_SECONDS} s after SIGINT:\n{self.output()[-3000:]}")
        took = time.monotonic() - sent
        self.assertEqual(status, 130, self.output()[-3000:])
        self.assertEqual(processes_mentioning(self.var), [], "left running after the demo ended")
        self.assertEqual(processes_in_group(self.demo.pid), [], "processes of the demo's group left running")
        out = self.output()
        self.assertIn("stopping the simulated fleet and pumptrackd", out)
        tail = out.split("stopping the simulated fleet and pumptrackd", 1)[1]
        self.assertNotIn("cannot reach", tail)
        self.assertNotIn("Traceback", tail)
        print(f"demo stopped {took:.2f} s after SIGINT")

    def test_ctrl_c_stops_the_demo_and_everything_it_started(self):
        self.start_demo_and_wait_for_a_refresh()
        os.killpg(self.demo.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
        self.expect_prompt_clean_exit()
        out = self.output()
        # Item 7: the findings table of the demo reads in words, not enum names.
        self.assertNotIn("FINDING_KIND_", out)
        self.assert_engineering_round_shown(out)

    def assert_engineering_round_shown(self, out):
        """The demo shows the second wave too: an advisory, a CMMS import, a PM, a FHIR export, utilization."""
        self.assertNotIn("round failed", out)
        self.assertIn("imported PUMPTRACK-DEMO-2026-001 revision 1", out)
        affected = re.search(r"imported PUMPTRACK-DEMO-2026-001 revision 1 .*; (\d+) pumps affected", out)
        self.assertIsNotNone(affected, out)
        self.assertGreater(int(affected.group(1)), 0, "the demo advisory matched no simulated FlowMax pump")
        self.assertIn("Imported 8 records", out)
        self.assertRegex(out, r"Recorded pm #2 for PT-00002")
        self.assertRegex(out, r"PT-00003 .* OVERDUE")
        self.assertRegex(out, r": [1-9]\d* Device resources")
        findings = out.split("=== open findings by kind", 1)[1].split("=== riskiest units", 1)[0]
        # At least the pumps matched at import (a FlowMax pump first heard after it is flagged when it reports).
        vulnerable = re.search(r"\nvulnerable +(\d+) ", findings)
        self.assertIsNotNone(vulnerable, findings)
        self.assertGreaterEqual(int(vulnerable.group(1)), int(affected.group(1)))
        self.assertRegex(findings, r"\nmaintenance overdue +\d+ ")
        # The simulator's worn battery modules (DEMO_WORN_BATTERIES, 1 of the test's 20 pumps at the default).
        self.assertRegex(findings, r"\nbattery degraded +[1-9]\d* ")
        self.assertRegex(out, r"PUMPS +INFUSING +IDLE +ALARM +OFF")

    def test_sigint_to_the_script_alone_stops_it(self):
        self.start_demo_and_wait_for_a_refresh()
        os.kill(self.demo.pid, signal.SIGINT)
        self.expect_prompt_clean_exit()


if __name__ == "__main__":
    unittest.main()
