"""Helpers shared by the end-to-end Python tests that run the real pumptrackd on a port they choose (tests/agents,
tests/hl7, tests/advisories): pick a free port, start and stop the daemon on it, call the CLI as the admin, read
logs and scrape metrics.

A test class mixes in FixedPortDaemon and sets self.workdir, self.data_dir, self.pki (made by scripts/make-pki),
self.port and self.admin_token in its setUp; tests/e2e/e2e_test.py's Daemon starts the process.
"""
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
from e2e_test import CLI, PUMPTRACKD, Daemon  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def offline_admin_token(data_dir, name):
    """Creates an admin token in a data directory no daemon is using (pumptrackd token create); returns the secret."""
    result = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={data_dir}", "--role=admin",
                             f"--name={name}"], capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def read(path):
    with open(path, "rb") as f:
        return f.read().decode(errors="replace")


def scrape(port):
    """The metrics at http://127.0.0.1:<port>/metrics as {series: value}."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    values = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            values[name] = float(value)
    return values


class FixedPortDaemon:
    """start_daemon/stop_daemon/cli/devices/wait_for_log for a unittest.TestCase (see the module docstring)."""

    daemon_flags = ()

    def start_daemon(self, *flags):
        # The same port every time, so that an agent started while the service is down finds it once it is up.
        self.daemon = Daemon(self.workdir, self.data_dir, self.pki,
                             [f"--grpc_listen=127.0.0.1:{self.port}", *self.daemon_flags, *flags])
        self.assertEqual(self.daemon.port, self.port)

    def stop_daemon(self):
        self.daemon.stop()
        self.daemon = None

    def run_cli(self, *args, timeout=120):
        env = dict(os.environ, PUMPTRACK_SERVER=f"127.0.0.1:{self.port}", PUMPTRACK_TOKEN=self.admin_token)
        return subprocess.run([CLI, f"--ca={self.pki}/ca.pem", *args], capture_output=True, text=True, env=env,
                              timeout=timeout)

    def cli(self, *args):
        result = self.run_cli(*args)
        self.assertEqual(result.returncode, 0, f"pumptrack {' '.join(args)}:\n{result.stderr}")
        return result.stdout

    def cli_json(self, *args):
        return json.loads(self.cli(*args, "--output=json"))

    def devices(self):
        return {d["identity"]["assetTag"]: d for d in json.loads(self.cli("devices", "list", "--output=json"))}

    def wait_for_log(self, path, pattern, timeout=60, process=None):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, read(path))
            if match:
                return match
            if process is not None and process.poll() is not None:
                break
            time.sleep(0.05)
        self.fail(f"no {pattern!r} in {path} within {timeout} s:\n{read(path)}")
