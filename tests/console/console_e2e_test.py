"""End-to-end tests of the web console's HTTP bridge: the real pumptrackd serving HTTPS (--http_listen, the test
PKI's server certificate), a real HTTP client (http.client), the real pumptrack-agent and CLI for the fleet.

Reuses tests/e2e's harness (Daemon, PKI, tokens, cli(), fleet()). The pages themselves are tested in tests/browser.
"""
import http.client
import json
import os
import signal
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ["PUMPTRACK_SOURCE_DIR"], "tests", "e2e"))
import e2e_test  # noqa: E402  (the harness: Daemon, tokens, cli(), run_agent())

EXAMPLE_POLICY = os.path.join(e2e_test.SOURCE_DIR, "examples", "hospital-policy.textproto")
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
LOCATE = "/api/v1/pumptrack.v1.InventoryService/Locate"


class ConsoleEndToEndTest(e2e_test.EndToEndTest):
    """Only the test_console_* methods are registered with ctest (see CMakeLists.txt)."""

    def setUp(self):
        super().setUp()
        self.manager_token = self.offline_token("asset_manager", "console-manager")
        self.viewer_token = self.offline_token("viewer", "console-viewer")

    def start_console(self, *flags):
        self.start_daemon(*flags)
        with open(self.daemon.ready_file) as f:
            self.http_address = json.load(f)["http"]
        self.host, port = self.http_address.rsplit(":", 1)
        self.port = int(port)
        self.tls = ssl.create_default_context(cafile=os.path.join(self.pki, "ca.pem"))

    def connection(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, context=self.tls, timeout=timeout)

    def request(self, method, path, body=None, token=None, content_type="application/json", headers=None):
        """Returns (status, headers dict with lower-case names, body bytes)."""
        sent = {}
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if body is not None and content_type is not None:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def call(self, method, body, token, **kwargs):
        return self.request("POST", f"/api/v1/{method}", body, token, **kwargs)

    def assert_security_headers(self, headers, what):
        self.assertEqual(headers.get("content-security-policy"), CSP, what)
        self.assertEqual(headers.get("x-content-type-options"), "nosniff", what)
        self.assertEqual(headers.get("referrer-policy"), "no-referrer", what)
        self.assertIn("max-age=", headers.get("strict-transport-security", ""), what)

    def assert_error(self, response, http_status, grpc_status, field=None):
        status, headers, body = response
        self.assertEqual(status, http_status, body)
        self.assertEqual(headers.get("content-type"), "application/json")
        self.assertEqual(headers.get("cache-control"), "no-store")
        error = json.loads(body)
        self.assertEqual(error["status"], grpc_status, error)
        self.assertIsInstance(error["code"], int)
        self.assertTrue(error["message"], error)
        if field is not None:
            self.assertEqual(error.get("field"), field, error)
        return error

    def strict_fleet(self, pumps=20):
        """The example policy with the simulated Infusia's firmware no longer allowed, and gw-a's fleet reported."""
        with open(EXAMPLE_POLICY) as f:
            text = f.read().replace('allowed: "12.1.3"', 'allowed: "12.1.4"', 1)
        strict = os.path.join(self.workdir, "strict.textproto")
        with open(strict, "w") as f:
            f.write(text)
        self.cli("policy", "set", strict)
        self.fleet("gw-a", pumps, 1)

    def open_findings(self, token):
        deadline = time.monotonic() + 20
        while True:
            status, _, body = self.call("pumptrack.v1.FindingService/ListFindings",
                                        {"state": "FINDING_STATE_OPEN"}, token)
            self.assertEqual(status, 200, body)
            findings = json.loads(body)["findings"]
            if findings or time.monotonic() > deadline:
                return findings
            time.sleep(0.2)

    def audit_entries(self):
        return [json.loads(line) for line in self.cli("audit", "export").stdout.strip().splitlines()]

    # --- scenarios -----------------------------------------------------------------------------------------------

    def test_console_refuses_bad_requests_with_the_security_headers(self):
        self.start_console()
        self.assertEqual(self.http_address.split(":")[0], "127.0.0.1")
        # The session of a valid token, any role.
        status, headers, body = self.request("GET", "/api/v1/session", token=self.viewer_token)
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body), {"name": "console-viewer", "role": "ROLE_VIEWER"})
        self.assert_security_headers(headers, "session")
        self.assertEqual(headers.get("cache-control"), "no-store")
        self.assert_error(self.request("GET", "/api/v1/session"), 401, "UNAUTHENTICATED")
        self.assert_error(self.request("GET", "/api/v1/session", token="not-a-token"), 401, "UNAUTHENTICATED")

        locate = {"device": {"assetTag": "PT-NOPE"}}
        cases = {
            "no token": (self.call("pumptrack.v1.InventoryService/Locate", locate, None), 401, "UNAUTHENTICATED", None),
            "unknown token": (self.call("pumptrack.v1.InventoryService/Locate", locate, "x" * 40), 401,
                              "UNAUTHENTICATED", None),
            "text/plain": (self.call("pumptrack.v1.InventoryService/Locate", json.dumps(locate), self.viewer_token,
                                     content_type="text/plain"), 415, "INVALID_ARGUMENT", None),
            "form": (self.call("pumptrack.v1.InventoryService/Locate", "a=b", self.viewer_token,
                               content_type="application/x-www-form-urlencoded"), 415, "INVALID_ARGUMENT", None),
            "foreign Origin": (self.call("pumptrack.v1.InventoryService/Locate", locate, self.viewer_token,
                                         headers={"Origin": "https://evil.example"}), 403, "PERMISSION_DENIED",
                               None),
            "cross-site fetch": (self.call("pumptrack.v1.InventoryService/Locate", locate, self.viewer_token,
                                           headers={"Sec-Fetch-Site": "cross-site"}), 403, "PERMISSION_DENIED",
                                 None),
            "oversize": (self.call("pumptrack.v1.InventoryService/Locate",
                                   '{"device": {"assetTag": "' + "A" * (300 << 10) + '"}}', self.viewer_token),
                         413, "RESOURCE_EXHAUSTED", None),
            "malformed JSON": (self.call("pumptrack.v1.InventoryService/Locate", '{"device": ', self.viewer_token),
                               400, "INVALID_ARGUMENT", "body"),
            "unknown field": (self.call("pumptrack.v1.InventoryService/Locate", {"devise": {}}, self.viewer_token),
                              400, "INVALID_ARGUMENT", "devise"),
            "unknown nested field": (self.call("pumptrack.v1.InventoryService/Locate",
                                               {"device": {"assetTagg": "PT-1"}}, self.viewer_token),
                                     400, "INVALID_ARGUMENT", "device.assetTagg"),
            "wrong type": (self.call("pumptrack.v1.FindingService/ListFindings", {"pageSize": "many"},
                                     self.viewer_token), 400, "INVALID_ARGUMENT", None),
            "validation": (self.call("pumptrack.v1.FindingService/AcknowledgeFinding", {"id": "F-1"},
                                     self.manager_token), 400, "INVALID_ARGUMENT", "note"),
            "not found": (self.call("pumptrack.v1.InventoryService/Locate", locate, self.viewer_token), 404,
                          "NOT_FOUND", None),
            "token admin": (self.call("pumptrack.v1.TokenService/CreateToken", {}, self.admin_token), 404,
                            "NOT_FOUND", None),
            "set policy": (self.call("pumptrack.v1.PolicyService/SetPolicy", {}, self.admin_token), 404,
                           "NOT_FOUND", None),
            "agent report": (self.call("pumptrack.v1.AgentService/Report", {}, self.admin_token), 404,
                             "NOT_FOUND", None),
            "streaming": (self.call("pumptrack.v1.FindingService/WatchFindings", {}, self.admin_token), 404,
                          "NOT_FOUND", None),
            "no such service": (self.call("pumptrack.v1.Nope/Nope", {}, self.admin_token), 404, "NOT_FOUND", None),
            "other API path": (self.request("GET", "/api/v2/anything", token=self.admin_token), 404, "NOT_FOUND",
                               None),
            "PUT": (self.request("PUT", LOCATE, json.dumps(locate), self.viewer_token), 404, "NOT_FOUND", None),
        }
        for name, (response, http_status, grpc_status, field) in cases.items():
            with self.subTest(name):
                self.assert_error(response, http_status, grpc_status, field)
                self.assert_security_headers(response[1], name)

        # No path reaches the file system; nothing outside the embedded pages is served.
        for path in ("/../CMakeLists.txt", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc%2fpasswd",
                     "/%2E%2E/service/main.cc", "//etc/passwd", "/console/web/../../README.md", "/etc/passwd",
                     "/.git/config", "/nope.html", "/api/../CMakeLists.txt"):
            with self.subTest(path):
                status, headers, body = self.request("GET", path)
                self.assertEqual(status, 404, body)
                self.assertNotIn(b"root:", body)
                self.assertNotIn(b"cmake_minimum_required", body)
                self.assert_security_headers(headers, path)

    def test_console_bridges_calls_through_the_permission_table(self):
        self.start_console()
        self.strict_fleet()
        devices = json.loads(self.call("pumptrack.v1.InventoryService/ListDevices", {"pageSize": 5},
                                       self.viewer_token)[2])["devices"]
        self.assertTrue(devices)
        tag = devices[0]["identity"]["assetTag"]
        # Locate by tag and by serial, snake_case accepted too; enums as names, defaults included.
        status, headers, body = self.call("pumptrack.v1.InventoryService/Locate", {"device": {"asset_tag": tag}},
                                          self.viewer_token)
        self.assertEqual(status, 200, body)
        self.assert_security_headers(headers, "locate")
        located = json.loads(body)
        self.assertEqual(located["identity"]["assetTag"], tag)
        self.assertIn("location", located)
        serial = located["identity"]["serialNumber"]
        status, _, body = self.call("pumptrack.v1.InventoryService/Locate", {"device": {"serialNumber": serial}},
                                    self.viewer_token, headers={"Origin": f"https://{self.http_address}"})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["identity"]["assetTag"], tag)

        findings = self.open_findings(self.viewer_token)
        self.assertTrue(findings)
        finding = findings[0]
        self.assertEqual(finding["state"], "FINDING_STATE_OPEN")
        audit_before = self.audit_entries()
        # A viewer may not acknowledge: 403, and nothing changed (the finding stays open, no audit entry).
        self.assert_error(self.call("pumptrack.v1.FindingService/AcknowledgeFinding",
                                    {"id": finding["id"], "note": "seen"}, self.viewer_token),
                          403, "PERMISSION_DENIED")
        status, _, body = self.call("pumptrack.v1.FindingService/GetFinding", {"id": finding["id"]},
                                    self.viewer_token)
        self.assertEqual(json.loads(body)["state"], "FINDING_STATE_OPEN")
        self.assertEqual(len(self.audit_entries()), len(audit_before))
        # An asset manager may, and the change is audited under their token name.
        status, _, body = self.call("pumptrack.v1.FindingService/AcknowledgeFinding",
                                    {"id": finding["id"], "note": "firmware update booked"}, self.manager_token)
        self.assertEqual(status, 200, body)
        acknowledged = json.loads(body)
        self.assertEqual(acknowledged["state"], "FINDING_STATE_ACKNOWLEDGED")
        self.assertEqual(acknowledged["acknowledgedBy"], "console-manager")
        self.assertEqual(self.audit_entries()[-1]["actor"], "console-manager")

    def test_console_events_deliver_a_finding_raised_after_connect(self):
        self.start_console()
        self.assert_error(self.request("GET", "/api/v1/events"), 401, "UNAUTHENTICATED")
        connection = self.connection(timeout=60)
        connection.request("GET", "/api/v1/events", headers={"Authorization": f"Bearer {self.viewer_token}"})
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertTrue(response.getheader("Content-Type").startswith("text/event-stream"))
        self.assertEqual(response.getheader("Cache-Control"), "no-store")
        self.assertEqual(response.readline(), b": connected\n")  # the subscription exists from here on
        self.strict_fleet(pumps=5)
        event = None
        data = None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = response.readline().decode()
            if line.startswith("event: "):
                event = line[len("event: "):].strip()
            elif line.startswith("data: ") and event == "finding":
                data = json.loads(line[len("data: "):])
                break
        self.assertIsNotNone(data, "no finding event within 30 s")
        self.assertEqual(data["type"], "TYPE_OPENED")
        self.assertTrue(data["finding"]["id"].startswith("F-"))
        # Ctrl-C with the page's stream open: pumptrackd still exits promptly and cleanly.
        started = time.monotonic()
        self.assertEqual(self.daemon.stop(sig=signal.SIGINT, timeout=15), 0, self.daemon.read_log())
        self.assertLess(time.monotonic() - started, 8)
        connection.close()

    def test_console_rate_limits_each_client(self):
        self.start_console("--http_rate_limit=2")  # bursts of 8
        statuses = [self.request("GET", "/api/v1/session", token=self.viewer_token) for _ in range(12)]
        codes = [status for status, _, _ in statuses]
        self.assertIn(429, codes)
        self.assertEqual(codes[0], 200)
        limited = statuses[codes.index(429)]
        self.assert_error(limited, 429, "RESOURCE_EXHAUSTED")
        self.assertEqual(limited[1].get("retry-after"), "1")

    def served_certificate(self):
        connection = self.connection(timeout=10)
        try:
            connection.connect()
            return connection.sock.getpeercert(binary_form=True)
        finally:
            connection.close()

    def test_console_serves_a_rotated_certificate_without_restart(self):
        self.start_console("--tls_reload_interval=1s")
        before = self.served_certificate()
        # A broken rotation (a half-written file) keeps the current certificate.
        server_pem = os.path.join(self.pki, "server.pem")
        with open(server_pem) as f:
            good_pem = f.read()
        with open(server_pem, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\ntruncated\n")
        time.sleep(1.5)  # one reload interval must pass for the server to look at the files again
        self.assertEqual(self.served_certificate(), before)
        # A new certificate from the same CA (make-pki re-issues what is missing) is served from the next handshakes.
        os.remove(server_pem)
        os.remove(os.path.join(self.pki, "server.key"))
        subprocess.run([e2e_test.MAKE_PKI, self.pki], check=True)
        with open(server_pem) as f:
            self.assertNotEqual(f.read(), good_pem)
        deadline = time.monotonic() + 15
        after = before
        while after == before and time.monotonic() < deadline:
            time.sleep(0.2)
            after = self.served_certificate()
        self.assertNotEqual(after, before, "the rotated certificate was not served within 15 s")
        status, headers, _ = self.request("GET", "/api/v1/session", token=self.viewer_token)
        self.assertEqual(status, 200)
        self.assert_security_headers(headers, "after rotation")

    def test_console_is_plain_http_only_with_insecure(self):
        # Without --insecure the console is HTTPS: a plain-HTTP request gets no HTTP answer.
        self.start_console()
        plain = http.client.HTTPConnection(self.host, self.port, timeout=10)
        with self.assertRaises((http.client.HTTPException, ConnectionError, OSError)):
            plain.request("GET", "/api/v1/session")
            plain.getresponse().read()
        plain.close()
        # An empty --http_listen disables the console.
        self.daemon.stop()
        self.start_daemon("--http_listen=")
        with open(self.daemon.ready_file) as f:
            self.assertEqual(json.load(f)["http"], "")


if __name__ == "__main__":
    import unittest
    unittest.main()
