"""End to end: the faulty simulator through the real agent into the real pumptrackd under the example policy.

Every kind of finding appears, each faulty pump shows the rule its fault breaks (agents/README.md has the fault
table), and clean pumps carry no findings. Also: SIGHUP reloads the policy file, and a broken file is refused with
the current policy kept. Reads everything through the real CLI.
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

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
from e2e_test import AGENT, CLI, MAKE_PKI, PUMPTRACKD, SOURCE_DIR, Daemon  # noqa: E402

POLICY = os.path.join(SOURCE_DIR, "examples", "hospital-policy.textproto")
PUMPS = 160
FAULTS = 0.1
# The rule each fault must raise (one of them, when a fault breaks several).
FAULT_RULES = {
    1: {"firmware.blocked"},                       # firmware_not_allowed
    2: {"drug_library.unexpected"},                # stale_drug_library
    3: {"security.default_credentials"},           # default_credentials
    4: {"security.forbidden_service.telnet"},      # telnet_open
    5: {"tamper.seal_broken"},                     # broken_seal
    6: {"move.outside_home_unit"},                 # left_home_unit
    7: {"missing.exit_zone", "move.exit_zone"},    # in_exit_zone
    8: {"missing.not_seen"},                       # silent
}
KINDS = {"FINDING_KIND_MISSING", "FINDING_KIND_MISCONFIGURED", "FINDING_KIND_INSECURE", "FINDING_KIND_TAMPERED",
         "FINDING_KIND_UNAUTHORIZED_MOVE"}


def fault_of(index, fraction):
    """agents/sim/faults.h FaultOf: 0 for a clean pump, else the fault number 1-8."""
    p = round(fraction * 1_000_000)
    k = index * p // 1_000_000
    if k <= (index - 1) * p // 1_000_000:
        return 0
    return (k - 1) % 8 + 1


class FaultyFleetEndToEndTest(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-findings-e2e-")
        self.addCleanup(shutil.rmtree, self.workdir, ignore_errors=True)
        self.pki = os.path.join(self.workdir, "pki")
        self.data_dir = os.path.join(self.workdir, "data")
        subprocess.run([MAKE_PKI, self.pki, "gw-sim"], check=True, capture_output=True)
        created = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", "--role=admin",
                                  "--name=e2e-admin"], capture_output=True, text=True, check=True)
        self.token = created.stdout.strip().splitlines()[-1]
        self.policy = os.path.join(self.workdir, "policy.textproto")
        shutil.copy(POLICY, self.policy)
        self.daemon = Daemon(self.workdir, self.data_dir, self.pki,
                             [f"--policy={self.policy}", "--missing_after=10s"])
        self.addCleanup(self.daemon.stop)
        self.agent = None

    def tearDown(self):
        if self.agent is not None and self.agent.poll() is None:
            self.agent.kill()
            self.agent.wait()

    def cli(self, *args, check=True):
        env = dict(os.environ, PUMPTRACK_SERVER=self.daemon.server, PUMPTRACK_TOKEN=self.token)
        result = subprocess.run([CLI, f"--ca={self.pki}/ca.pem", *args], capture_output=True, text=True, env=env,
                                timeout=60)
        if check:
            self.assertEqual(result.returncode, 0, f"pumptrack {' '.join(args)}:\n{result.stderr}")
        return result

    def findings(self):
        return json.loads(self.cli("findings", "list", "--limit=1000", "--output=json").stdout)

    def start_agent(self):
        self.cli("agents", "enroll", "gw-sim")
        log = open(os.path.join(self.workdir, "agent.log"), "wb")
        self.agent = subprocess.Popen(
            [AGENT, f"--server={self.daemon.server}", f"--tls_ca={self.pki}/ca.pem",
             f"--tls_cert={self.pki}/agents/gw-sim.pem", f"--tls_key={self.pki}/agents/gw-sim.key",
             f"--buffer_dir={self.workdir}/buffer", f"--sim_pumps={PUMPS}", f"--sim_faults={FAULTS}",
             "--interval=1s"], stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def test_every_kind_appears_and_clean_pumps_have_none(self):
        self.start_agent()
        faulty = {f"PT-{i:05d}": fault_of(i, FAULTS) for i in range(1, PUMPS + 1) if fault_of(i, FAULTS)}
        self.assertEqual(len(faulty), 16)
        deadline = time.monotonic() + 120
        while True:
            everything = self.findings()
            # A unit's findings (PAR_LOW: fewer available pumps than its PAR level) name no pump.
            unit_findings = [f for f in everything if not f.get("assetTag")]
            findings = [f for f in everything if f.get("assetTag")]
            rules = {}
            for f in findings:
                rules.setdefault(f["assetTag"], set()).add(f["rule"])
            missing = [tag for tag, fault in faulty.items() if not FAULT_RULES[fault] & rules.get(tag, set())]
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(1)
        self.assertEqual(missing, [], f"faulty pumps without their finding; findings: {rules}")
        self.assertEqual({f["kind"] for f in findings}, KINDS)
        for f in unit_findings:
            self.assertEqual((f["kind"], f["rule"]), ("FINDING_KIND_PAR_LOW", "custody.par_low"), f)
            self.assertTrue(f["unit"], f)
        clean_with_findings = {tag: r for tag, r in rules.items() if tag not in faulty}
        self.assertEqual(clean_with_findings, {}, "clean pumps must carry no findings")
        for f in findings:
            self.assertTrue(f["reason"].endswith("."), f)
            self.assertIn("evidence", f, f)

        # Risk and the device view agree with the findings.
        risk = json.loads(self.cli("risk", "--by=device", "--output=json").stdout)
        risky = {g["key"] for g in risk}
        self.assertEqual(risky, set(rules), risk)
        device = json.loads(self.cli("devices", "get", "PT-00040", "--output=json").stdout)
        self.assertEqual(device["homeUnit"], device["lastObservation"]["location"]["unit"])
        self.assertGreater(device.get("riskScore", 0), 0)

    def test_sighup_reloads_the_policy_and_keeps_it_when_the_file_is_broken(self):
        before = json.loads(self.cli("policy", "get", "--output=json").stdout)["digest"]
        with open(self.policy, "a") as f:
            f.write("\n# edited: reloaded by SIGHUP\n")  # a new text is a new policy revision (new digest)
        self.daemon.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while json.loads(self.cli("policy", "get", "--output=json").stdout)["digest"] == before:
            self.assertLess(time.monotonic(), deadline, "SIGHUP did not reload the policy")
            time.sleep(0.2)
        reloaded = json.loads(self.cli("policy", "get", "--output=json").stdout)["digest"]
        with open(self.policy, "a") as f:
            f.write("\nsite { units { id: 42 } }\n")
        self.daemon.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while "policy not reloaded" not in self.daemon.read_log():
            self.assertLess(time.monotonic(), deadline, "the broken policy was not reported")
            time.sleep(0.2)
        self.assertEqual(json.loads(self.cli("policy", "get", "--output=json").stdout)["digest"], reloaded)
        audit = self.cli("audit", "list", "--output=json").stdout
        self.assertIn("policy.set", audit)


if __name__ == "__main__":
    unittest.main()
