"""Prometheus tests: the real pumptrackd with a simulated fleet (pumptrack-agent over mutual TLS), scraped by a real
Prometheus on loopback. Checks the live exposition with `promtool check metrics`, evaluates every query of the
Grafana dashboard through Prometheus' HTTP API (dashboard variables substituted) and requires data, and checks the
service-health metrics this service exports.

Metrics another part of the service has not landed yet are listed in PENDING_METRICS: panels whose queries use one
are skipped (and printed). Empty the list as they land; every other panel must return data.

Environment: PUMPTRACKD, PUMPTRACK_AGENT, PUMPTRACK_CLI, PUMPTRACK_SOURCE_DIR.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import grpc

PUMPTRACKD = os.environ["PUMPTRACKD"]
AGENT = os.environ["PUMPTRACK_AGENT"]
CLI = os.environ["PUMPTRACK_CLI"]
SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]
MAKE_PKI = os.path.join(SOURCE_DIR, "scripts", "make-pki")
DASHBOARD = os.path.join(SOURCE_DIR, "helm", "pumptrack", "files", "dashboards", "pumptrack.json")

# Fleet-state metric families owned by the findings/custody work, not exported yet. Panels using them are skipped.
PENDING_METRICS = []

SCRAPE_INTERVAL = "1s"
# What Grafana would use for $__rate_interval at this scrape interval and a short time range (>= 4 scrapes).
RATE_INTERVAL = "15s"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http_get(url, timeout=10):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.read().decode()


def wait_for(what, predicate, timeout=60, interval=0.5):
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = predicate()
            if result:
                return result
        except (OSError, ValueError):
            pass
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def metric_names(expr):
    """The metric names a PromQL expression selects (identifiers directly followed by { or [ or used bare)."""
    names = set(re.findall(r"\b(pumptrack_[a-zA-Z0-9_]+|up)\b", expr))
    # Histogram series names refer to their family.
    return names | {re.sub(r"_(bucket|sum|count)$", "", n) for n in names}


def dashboard_targets(dashboard):
    """(panel title, expr) for every target of every panel, rows' nested panels included."""
    def walk(panels):
        for panel in panels:
            yield from walk(panel.get("panels", []))
            for target in panel.get("targets", []):
                if target.get("expr"):
                    yield panel["title"], target["expr"]
    return list(walk(dashboard["panels"]))


class Fleet:
    """pumptrackd over TLS with two enrolled simulated agents reporting every second, and a Prometheus scraping it."""

    def __init__(self):
        self.workdir = tempfile.mkdtemp(prefix="pumptrack-prom-")
        self.processes = []
        self.logs = []
        self.pki = os.path.join(self.workdir, "pki")
        self.data_dir = os.path.join(self.workdir, "data")
        subprocess.run([MAKE_PKI, self.pki, "gw-a", "gw-b"], check=True, capture_output=True)
        created = subprocess.run([PUMPTRACKD, "token", "create", f"--data_dir={self.data_dir}", "--role=admin",
                                  "--name=prom-admin"], capture_output=True, text=True, check=True)
        self.token = created.stdout.strip().splitlines()[-1]

        ready_file = os.path.join(self.workdir, "ready.json")
        self.health_port = free_port()
        self.daemon = self.spawn("pumptrackd", [
            PUMPTRACKD, f"--data_dir={self.data_dir}", "--grpc_listen=127.0.0.1:0", "--metrics_listen=127.0.0.1:0",
            "--http_listen=",
            f"--health_listen=127.0.0.1:{self.health_port}",
            f"--tls_cert={self.pki}/server.pem", f"--tls_key={self.pki}/server.key",
            f"--tls_client_ca={self.pki}/ca.pem", f"--ready_file={ready_file}",
            # The simulator's hospital as policy, and silent pumps flagged quickly, so the fleet panels have data.
            f"--policy={os.path.join(SOURCE_DIR, 'examples', 'hospital-policy.textproto')}", "--missing_after=3s"])
        wait_for("pumptrackd's ready file", lambda: os.path.exists(ready_file) or self.daemon.poll() is not None, 30)
        if self.daemon.poll() is not None:
            raise AssertionError(f"pumptrackd exited:\n{self.read_log('pumptrackd')}")
        with open(ready_file) as f:
            ready = json.load(f)
        self.server = ready["grpc"]
        self.metrics = ready["metrics"]

        for agent, pumps in (("gw-a", 300), ("gw-b", 200)):
            self.cli("agents", "enroll", agent)
            self.spawn(agent, [AGENT, f"--server={self.server}", f"--tls_ca={self.pki}/ca.pem",
                               f"--tls_cert={self.pki}/agents/{agent}.pem", f"--tls_key={self.pki}/agents/{agent}.key",
                               f"--sim_pumps={pumps}", f"--sim_prefix={agent.upper()}", "--interval=1s",
                               "--sim_faults=0.1"])

        self.prometheus_port = free_port()
        self.prometheus_url = f"http://127.0.0.1:{self.prometheus_port}"
        config = os.path.join(self.workdir, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"global:\n  scrape_interval: {SCRAPE_INTERVAL}\n  evaluation_interval: {SCRAPE_INTERVAL}\n"
                    f"scrape_configs:\n  - job_name: pumptrack\n    static_configs:\n"
                    f"      - targets: ['{self.metrics}']\n")
        self.spawn("prometheus", [
            "prometheus", f"--config.file={config}", f"--storage.tsdb.path={self.workdir}/tsdb",
            f"--web.listen-address=127.0.0.1:{self.prometheus_port}", "--storage.tsdb.retention.time=1h",
            "--log.level=warn"])
        wait_for("Prometheus to be ready", lambda: "Ready" in http_get(f"{self.prometheus_url}/-/ready"), 60)

    def spawn(self, name, argv):
        log = open(os.path.join(self.workdir, f"{name}.log"), "wb")
        self.logs.append(log)
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def read_log(self, name):
        with open(os.path.join(self.workdir, f"{name}.log"), "rb") as f:
            return f.read().decode(errors="replace")

    def cli(self, *args, check=True):
        env = dict(os.environ, PUMPTRACK_SERVER=self.server, PUMPTRACK_TOKEN=self.token)
        result = subprocess.run([CLI, f"--ca={self.pki}/ca.pem", *args], capture_output=True, text=True, env=env,
                                timeout=60)
        if check and result.returncode != 0:
            raise AssertionError(f"pumptrack {' '.join(args)}: {result.stderr}")
        return result

    def scrape(self):
        return http_get(f"http://{self.metrics}/metrics")

    def query(self, expr):
        url = f"{self.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
        body = json.loads(http_get(url))
        if body["status"] != "success":
            raise AssertionError(f"{expr}: {body}")
        return body["data"]["result"]

    def label_values(self, label, match):
        url = f"{self.prometheus_url}/api/v1/label/{label}/values?" + urllib.parse.urlencode({"match[]": match})
        return json.loads(http_get(url))["data"]

    def stop(self):
        for process in reversed(self.processes):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def sample(text, name, labels=None):
    """The value of one sample in an exposition, or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        match = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match.group(3) or ""))
        if all(found.get(k) == v for k, v in (labels or {}).items()):
            return float(match.group(4))
    return None


class PrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fleet = Fleet()
        try:
            # Traffic the service-health panels show: queries, a NOT_FOUND, and enough agent rounds for rate().
            cls.fleet.cli("devices", "list", "--limit=5")
            wait_for("500 pumps reported", lambda: (sample(cls.fleet.scrape(), "pumptrack_reports_total",
                                                           {"result": "accepted"}) or 0) >= 1000, 60)
            cls.fleet.cli("devices", "get", "NO-SUCH-PUMP", check=False)
            # A pump on its way to the ICU, for the check-out panels.
            cls.fleet.cli("custody", "checkout", "GW-A-00001", "--to=icu-1", "--reason=prometheus test", "--due=2h")
            wait_for("Prometheus to scrape pumptrackd",
                     lambda: cls.fleet.query('rate(pumptrack_reports_total{result="accepted"}[15s]) > 0'), 60)
        except BaseException:
            cls.fleet.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.fleet.stop()

    def test_live_scrape_passes_promtool_check_metrics(self):
        body = self.fleet.scrape()
        checked = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
        self.assertEqual(checked.returncode, 0, checked.stdout + checked.stderr)
        self.assertEqual((checked.stdout + checked.stderr).strip(), "")

    def test_custody_metrics_count_the_check_out_and_par_levels(self):
        body = self.fleet.scrape()
        self.assertEqual(sample(body, "pumptrack_checkouts_open"), 1)
        self.assertEqual(sample(body, "pumptrack_checkouts_overdue"), 0)
        self.assertEqual(sample(body, "pumptrack_unit_par_level", {"unit": "icu-1"}), 8)
        self.assertIsNotNone(sample(body, "pumptrack_unit_available", {"unit": "icu-1"}))

    def test_no_label_names_a_device_and_series_do_not_grow_with_the_fleet(self):
        body = self.fleet.scrape()
        self.assertNotRegex(body, r"GW-[AB]-\d{5}")
        self.assertNotRegex(body, r'(asset_tag|serial|device_id)="')
        series = [l for l in body.splitlines() if l and not l.startswith("#")]
        self.assertLess(len(series), 2000)

    def test_every_dashboard_panel_returns_data(self):
        with open(DASHBOARD) as f:
            dashboard = json.load(f)
        variables = {}
        for var in dashboard["templating"]["list"]:
            if var["type"] != "query":
                continue
            if var.get("includeAll") and "allValue" in var:
                variables[var["name"]] = var["allValue"]
                continue
            definition = var["query"]["query"] if isinstance(var["query"], dict) else var["query"]
            match = re.fullmatch(r"label_values\((.+),\s*(\w+)\)", definition)
            self.assertIsNotNone(match, definition)
            values = self.fleet.label_values(match.group(2), match.group(1))
            self.assertTrue(values, f"dashboard variable ${var['name']} has no values: {definition}")
            variables[var["name"]] = values[0]
        self.assertEqual(variables["job"], "pumptrack")

        def substitute(expr):
            expr = expr.replace("$__rate_interval", RATE_INTERVAL).replace("$__interval", SCRAPE_INTERVAL)
            expr = expr.replace("$__range", "1m")
            for name in sorted(variables, key=len, reverse=True):
                expr = expr.replace("${" + name + "}", variables[name]).replace("$" + name, variables[name])
            self.assertNotIn("$", expr)
            return expr

        targets = dashboard_targets(dashboard)
        self.assertGreater(len(targets), 20)
        # Fresh traffic for the gRPC rate panels.
        self.fleet.cli("devices", "list", "--limit=5")
        self.fleet.cli("devices", "get", "NO-SUCH-PUMP", check=False)
        time.sleep(2)
        skipped, empty, checked = [], [], 0
        for title, expr in targets:
            pending = sorted(metric_names(expr) & set(PENDING_METRICS))
            if pending:
                skipped.append(f"{title}: {', '.join(pending)}")
                continue
            checked += 1
            if not self.fleet.query(substitute(expr)):
                empty.append(f"{title}: {substitute(expr)}")
        print(f"\n{checked} panel queries returned data; skipped {len(skipped)} waiting for PENDING_METRICS:")
        for line in skipped:
            print(f"  SKIPPED {line}")
        self.assertEqual(empty, [], "panel queries without data")
        self.assertGreater(checked, 15)

    def test_grpc_requests_are_counted_by_method_and_code(self):
        labels = {"method": "/pumptrack.v1.InventoryService/GetDevice", "code": "NOT_FOUND"}
        before = sample(self.fleet.scrape(), "pumptrack_grpc_requests_total", labels) or 0
        self.assertEqual(self.fleet.cli("devices", "get", "NO-SUCH-PUMP", check=False).returncode != 0, True)
        after = sample(self.fleet.scrape(), "pumptrack_grpc_requests_total", labels)
        self.assertEqual(after, before + 1)
        body = self.fleet.scrape()
        self.assertGreaterEqual(sample(body, "pumptrack_grpc_request_duration_seconds_count",
                                       {"method": "/pumptrack.v1.InventoryService/GetDevice"}), after)
        # Every served method has its series from the start; none is labelled with anything else.
        methods = set(re.findall(r'pumptrack_grpc_request_duration_seconds_count\{method="([^"]+)"\}', body))
        self.assertIn("/pumptrack.v1.AgentService/ReportStream", methods)
        self.assertIn("/grpc.health.v1.Health/Check", methods)
        self.assertIn("unknown", methods)
        self.assertTrue(all(m == "unknown" or re.fullmatch(r"/[\w.]+/\w+", m) for m in methods), methods)

    def test_agents_connected_audit_storage_and_build_info(self):
        body = self.fleet.scrape()
        # Enrolled agents; open report streams (an agent holds one per round, so 0 to 2 at any moment).
        self.assertEqual(sample(body, "pumptrack_agents", {"state": "enrolled"}), 2)
        self.assertEqual(sample(body, "pumptrack_agents", {"state": "revoked"}), 0)
        self.assertIn(sample(body, "pumptrack_agent_streams"), (0, 1, 2))
        # Two enrolments are audited.
        self.assertGreaterEqual(sample(body, "pumptrack_audit_log_entries"), 2)
        self.assertGreater(sample(body, "pumptrack_rocksdb_wal_syncs_total"), 10)
        self.assertEqual(sample(body, "pumptrack_rocksdb_background_errors_total"), 0)
        self.assertGreater(sample(body, "pumptrack_rocksdb_memtable_bytes", {"column_family": "devices"}), 0)
        self.assertIsNotNone(sample(body, "pumptrack_rocksdb_live_data_bytes", {"column_family": "history"}))
        self.assertIsNotNone(sample(body, "pumptrack_rocksdb_pending_compaction_bytes", {"column_family": "devices"}))
        self.assertEqual(sample(body, "pumptrack_build_info", {"version": "0.1.0"}), 1)
        # WAL syncs follow the group commits (each a synced write) and audited writes.
        commits = sample(body, "pumptrack_commit_duration_seconds_count")
        self.assertGreaterEqual(sample(body, "pumptrack_rocksdb_wal_syncs_total"), commits)

    def test_health_port_answers_grpc_health_in_plaintext(self):
        with grpc.insecure_channel(f"127.0.0.1:{self.fleet.health_port}") as channel:
            check = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=lambda _: b"",
                                        response_deserializer=lambda raw: raw)
            # HealthCheckResponse{status: SERVING (1)}
            self.assertEqual(check(None, timeout=10), b"\x08\x01")
            other = channel.unary_unary("/pumptrack.v1.InventoryService/ListDevices",
                                        request_serializer=lambda _: b"", response_deserializer=lambda raw: raw)
            with self.assertRaises(grpc.RpcError) as refused:
                other(None, timeout=10)
            self.assertEqual(refused.exception.code(), grpc.StatusCode.UNIMPLEMENTED)


if __name__ == "__main__":
    unittest.main()
