"""Tests of the Helm chart helm/pumptrack, rendered without helm (tests/helm/render: Go text/template + sprig with
Helm's functions) and validated against the Kubernetes schemas of the npm package kubernetes-models (CRDs:
structural checks, see validate.js) and against values.schema.json (ajv).

Environment: PUMPTRACK_SOURCE_DIR, HELM_TOOLS (where tests/helm/setup-tools put the renderer and node_modules).
"""
import json
import os
import subprocess
import tempfile
import unittest

SOURCE_DIR = os.environ["PUMPTRACK_SOURCE_DIR"]
TOOLS = os.environ["HELM_TOOLS"]
CHART = os.path.join(SOURCE_DIR, "helm", "pumptrack")
HERE = os.path.join(SOURCE_DIR, "tests", "helm")
VALUES = os.path.join(HERE, "values")
RENDER = os.path.join(TOOLS, "render")
NODE_ENV = dict(os.environ, NODE_PATH=os.path.join(TOOLS, "node_modules"))
SCHEMA = os.path.join(CHART, "values.schema.json")


def render(*args, check=True):
    """Renders the chart; returns (objects as validate.js reports them, notes, coalesced values, stderr)."""
    with tempfile.TemporaryDirectory() as tmp:
        notes_path = os.path.join(tmp, "NOTES.txt")
        values_path = os.path.join(tmp, "values.json")
        rendered = subprocess.run([RENDER, "-chart", CHART, "-name", "pt", "-namespace", "clinical",
                                   "-notes", notes_path, "-values-out", values_path, *args],
                                  capture_output=True, text=True)
        if not check:
            return None, None, None, rendered
        if rendered.returncode != 0:
            raise AssertionError(f"render {args} failed: {rendered.stderr}")
        validated = subprocess.run(["node", os.path.join(HERE, "validate.js")], input=rendered.stdout,
                                   capture_output=True, text=True, env=NODE_ENV, check=True)
        objects = [json.loads(line) for line in validated.stdout.splitlines() if line.strip()]
        schema = subprocess.run(["node", os.path.join(HERE, "validate.js"), "--values", values_path, "--schema", SCHEMA],
                                capture_output=True, text=True, env=NODE_ENV, check=True)
        with open(notes_path) as f:
            notes = f.read()
        with open(values_path) as f:
            values = json.load(f)
        return objects, notes, (values, json.loads(schema.stdout)), rendered


def by_kind(objects, kind):
    return [o["object"] for o in objects if o["kind"] == kind]


def one(objects, kind, name=None):
    found = [o for o in by_kind(objects, kind) if name is None or o["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def server_container(objects):
    statefulset = one(objects, "StatefulSet")
    return statefulset, statefulset["spec"]["template"]["spec"]["containers"][0]


class ChartTest(unittest.TestCase):
    VALUE_SETS = {
        "default": [],
        "cert-manager": ["-f", os.path.join(VALUES, "cert-manager.yaml")],
        "monitoring": ["-f", os.path.join(VALUES, "monitoring.yaml")],
        "simulator": ["-f", os.path.join(VALUES, "simulator.yaml")],
        "sizing": ["-f", os.path.join(VALUES, "sizing.yaml")],
        "backup": ["-f", os.path.join(VALUES, "backup.yaml")],
        "console": ["-f", os.path.join(VALUES, "console.yaml")],
        "ldap": ["-f", os.path.join(VALUES, "ldap.yaml")],
        "everything": ["-f", os.path.join(VALUES, "cert-manager.yaml"), "-f", os.path.join(VALUES, "monitoring.yaml"),
                       "-f", os.path.join(VALUES, "simulator.yaml"), "-f", os.path.join(VALUES, "console.yaml")],
    }

    def test_every_value_set_renders_valid_objects_and_values(self):
        for name, args in self.VALUE_SETS.items():
            with self.subTest(values=name):
                objects, notes, (values, schema), _ = render(*args)
                self.assertTrue(schema["valid"], schema["errors"])
                self.assertTrue(objects)
                for o in objects:
                    self.assertEqual(o["errors"], [], f"{name}: {o['kind']} {o['name']}")
                    self.assertIn(o["checked"], ("kubernetes-models", "structural"))
                kinds = {o["kind"] for o in objects}
                self.assertTrue({"StatefulSet", "Service", "ServiceAccount"} <= kinds, kinds)
                self.assertIn("pt-pumptrack-grpc.clinical.svc:50051", notes)
                print(f"{name}: " + ", ".join(f"{o['kind']}/{o['name']} ({o['checked']})" for o in objects))

    def test_schema_refuses_invalid_values(self):
        _, _, (_, schema), _ = render("-f", os.path.join(VALUES, "invalid.yaml"))
        self.assertFalse(schema["valid"])
        joined = "\n".join(schema["errors"])
        self.assertIn("/persistence/size must be string", joined)
        self.assertIn("/config/logLevel", joined)
        self.assertIn("additional properties", joined)
        self.assertIn("/backup/retention must be >= 1", joined)
        self.assertIn("/backup/schedule must match pattern", joined)

    def test_backup_cronjob_runs_backup_create_onto_its_own_volume(self):
        objects, *_ = render()
        self.assertEqual(by_kind(objects, "CronJob"), [])
        self.assertEqual(by_kind(objects, "PersistentVolumeClaim"), [])

        objects, *_ = render(*self.VALUE_SETS["backup"])
        claim = one(objects, "PersistentVolumeClaim", "pt-pumptrack-backup")
        self.assertEqual(claim["spec"]["resources"]["requests"]["storage"], "50Gi")
        self.assertEqual(claim["spec"]["storageClassName"], "backup-hdd")
        self.assertEqual(claim["metadata"]["annotations"]["helm.sh/resource-policy"], "keep")
        # The server writes the backups, so its pod mounts the backup volume (not inside the data volume).
        statefulset, container = server_container(objects)
        volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["backup"]["persistentVolumeClaim"]["claimName"], "pt-pumptrack-backup")
        server_mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        self.assertEqual(server_mounts["backup"], "/var/lib/pumptrack-backup")

        cronjob = one(objects, "CronJob", "pt-pumptrack-backup")
        self.assertEqual(cronjob["spec"]["schedule"], "15 3 * * *")
        self.assertEqual(cronjob["spec"]["concurrencyPolicy"], "Forbid")
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        self.assertEqual(pod["restartPolicy"], "Never")
        self.assertTrue(pod["securityContext"]["runAsNonRoot"])
        self.assertFalse(pod["automountServiceAccountToken"])
        job = pod["containers"][0]
        self.assertTrue(job["securityContext"]["readOnlyRootFilesystem"])
        self.assertEqual(job["securityContext"]["capabilities"]["drop"], ["ALL"])
        self.assertIn("limits", job["resources"])
        script = job["args"][0]
        self.assertIn('backup create --dest="$dest"', script)
        self.assertIn('backup verify --dir="$dest" 1', script)
        self.assertIn("--ca=/etc/pumptrack/server-ca/ca.crt", script)
        self.assertNotIn("--insecure", script)
        env = {e["name"]: e for e in job["env"]}
        self.assertEqual(env["PUMPTRACK_SERVER"]["value"], "pt-pumptrack-grpc.clinical.svc:50051")
        self.assertEqual(env["PUMPTRACK_TOKEN"]["valueFrom"]["secretKeyRef"],
                         {"name": "pumptrack-backup-token", "key": "token"})
        self.assertEqual(env["BACKUP_RETENTION"]["value"], "14")
        self.assertEqual(env["BACKUP_ROOT"]["value"], "/var/lib/pumptrack-backup")
        # Same volume at the same path as in the server pod, on the same node (a ReadWriteOnce volume works).
        job_volumes = {v["name"]: v for v in pod["volumes"]}
        self.assertEqual(job_volumes["backup"]["persistentVolumeClaim"]["claimName"], "pt-pumptrack-backup")
        self.assertEqual({m["name"]: m["mountPath"] for m in job["volumeMounts"]}["backup"],
                         server_mounts["backup"])
        self.assertEqual(job_volumes["server-ca"]["secret"]["secretName"], "pumptrack-tls")
        affinity = pod["affinity"]["podAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0]
        self.assertEqual(affinity["topologyKey"], "kubernetes.io/hostname")
        self.assertEqual(affinity["labelSelector"]["matchLabels"]["app.kubernetes.io/component"], "server")
        # The NetworkPolicy lets the backup pods reach gRPC.
        policy = one(objects, "NetworkPolicy")
        grpc_from = policy["spec"]["ingress"][0]["from"]
        self.assertIn("backup", [p["podSelector"]["matchLabels"].get("app.kubernetes.io/component")
                                 for p in grpc_from if "podSelector" in p])

        # Without a token Secret the chart refuses to render.
        with tempfile.NamedTemporaryFile("w", suffix=".yaml") as f:
            f.write("backup:\n  enabled: true\n")
            f.flush()
            _, _, _, refused = render("-f", f.name, check=False)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("backup.tokenSecret", refused.stderr)

    def test_probes_are_native_grpc_on_the_health_port(self):
        objects, *_ = render()
        _, container = server_container(objects)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        for probe in ("livenessProbe", "readinessProbe"):
            self.assertEqual(set(container[probe]) & {"grpc", "httpGet", "tcpSocket", "exec"}, {"grpc"}, probe)
            self.assertEqual(container[probe]["grpc"]["port"], ports["health"])
        self.assertIn(f"--health_listen=0.0.0.0:{ports['health']}", container["args"])

    def test_runs_non_root_read_only_without_capabilities(self):
        for name, args in self.VALUE_SETS.items():
            objects, *_ = render(*args)
            for workload in by_kind(objects, "StatefulSet") + by_kind(objects, "Deployment"):
                pod = workload["spec"]["template"]["spec"]
                self.assertTrue(pod["securityContext"]["runAsNonRoot"], name)
                self.assertEqual(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault")
                self.assertFalse(pod["automountServiceAccountToken"])
                for c in pod["containers"]:
                    sc = c["securityContext"]
                    self.assertTrue(sc["runAsNonRoot"])
                    self.assertTrue(sc["readOnlyRootFilesystem"])
                    self.assertFalse(sc["allowPrivilegeEscalation"])
                    self.assertEqual(sc["capabilities"]["drop"], ["ALL"])
                    self.assertIn("limits", c["resources"])

    def test_one_replica_and_pvc_size_and_resources_from_values(self):
        objects, *_ = render()
        statefulset, container = server_container(objects)
        self.assertEqual(statefulset["spec"]["replicas"], 1)
        claim = statefulset["spec"]["volumeClaimTemplates"][0]
        self.assertEqual(claim["spec"]["resources"]["requests"]["storage"], "10Gi")
        self.assertNotIn("storageClassName", claim["spec"])
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        self.assertEqual(mounts[claim["metadata"]["name"]], "/var/lib/pumptrack")
        self.assertIn("--data_dir=/var/lib/pumptrack/data", container["args"])

        objects, *_ = render(*self.VALUE_SETS["sizing"])
        statefulset, container = server_container(objects)
        claim = statefulset["spec"]["volumeClaimTemplates"][0]
        self.assertEqual(claim["spec"]["resources"]["requests"]["storage"], "250Gi")
        self.assertEqual(claim["spec"]["storageClassName"], "fast-ssd")
        self.assertEqual(container["resources"], {"requests": {"cpu": "2", "memory": "4Gi"},
                                                  "limits": {"cpu": "4", "memory": "8Gi"}})
        self.assertIn("--ingest_queue=500000", container["args"])
        self.assertIn("--worker_threads=8", container["args"])
        self.assertIn("--max_stream_inflight_observations=4000", container["args"])
        self.assertIn("--max_message_bytes=16777216", container["args"])  # not 1.6777216e+07
        # tls.enabled=false is plaintext (--insecure) with no TLS flags or volume.
        self.assertIn("--insecure", container["args"])
        self.assertFalse([a for a in container["args"] if a.startswith("--tls_")])
        self.assertEqual(by_kind(objects, "NetworkPolicy"), [])
        self.assertEqual(by_kind(objects, "ConfigMap"), [])

    def test_policy_configmap_holds_the_given_file_byte_for_byte(self):
        policy = ('# a site\nsite {\n  facility { id: "general" name: "General \\"Main\\" Campus" }\n}\n'
                  'models { model: "Sigma Spectrum"\tallowed_firmware: "8.1" }\n\n# trailing: ümlaut\n')
        with tempfile.NamedTemporaryFile("w", suffix=".textproto", delete=False) as f:
            f.write(policy)
        self.addCleanup(os.remove, f.name)
        objects, *_ = render("--set-file", f"policy.content={f.name}")
        configmap = one(objects, "ConfigMap", "pt-pumptrack-policy")
        self.assertEqual(configmap["data"]["policy.textproto"], policy)
        statefulset, container = server_container(objects)
        self.assertIn("--policy=/etc/pumptrack/policy.textproto", container["args"])
        mount = [m for m in container["volumeMounts"] if m["mountPath"] == "/etc/pumptrack/policy.textproto"][0]
        volume = [v for v in statefulset["spec"]["template"]["spec"]["volumes"] if v["name"] == mount["name"]][0]
        self.assertEqual(volume["configMap"]["name"], "pt-pumptrack-policy")
        # A policy change rolls the pod.
        default_objects, *_ = render()
        annotation = lambda objs: one(objs, "StatefulSet")["spec"]["template"]["metadata"]["annotations"]
        self.assertNotEqual(annotation(objects)["checksum/policy"], annotation(default_objects)["checksum/policy"])

    def test_network_policy_opens_grpc_to_agents_and_metrics_to_prometheus_only(self):
        objects, *_ = render()
        policy = one(objects, "NetworkPolicy")
        _, container = server_container(objects)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        self.assertEqual(policy["spec"]["policyTypes"], ["Ingress"])
        rules = {r["ports"][0]["port"]: r for r in policy["spec"]["ingress"]}
        self.assertEqual(set(rules), {ports["grpc"], ports["metrics"], ports["console"]})
        self.assertEqual(rules[ports["grpc"]]["from"],
                         [{"podSelector": {"matchLabels": {"app.kubernetes.io/component": "agent"}}}])
        self.assertEqual(rules[ports["metrics"]]["from"][0]["namespaceSelector"]["matchLabels"],
                         {"kubernetes.io/metadata.name": "monitoring"})
        self.assertEqual(policy["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/component"], "server")

    def test_console_has_a_service_an_optional_ingress_and_a_network_policy_rule(self):
        objects, notes, *_ = render()
        _, container = server_container(objects)
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        self.assertEqual(ports["console"], 8443)
        self.assertIn("--http_listen=0.0.0.0:8443", container["args"])
        self.assertIn("--http_rate_limit=50", container["args"])
        service = one(objects, "Service", "pt-pumptrack-console")
        self.assertEqual(service["spec"]["ports"], [{"name": "console", "port": 8443, "targetPort": "console",
                                                     "protocol": "TCP", "appProtocol": "https"}])
        self.assertEqual(service["spec"]["selector"]["app.kubernetes.io/component"], "server")
        self.assertEqual(by_kind(objects, "Ingress"), [])
        policy = one(objects, "NetworkPolicy")
        rule = [r for r in policy["spec"]["ingress"] if r["ports"][0]["port"] == 8443]
        self.assertEqual(len(rule), 1)
        self.assertNotIn("from", rule[0])  # default: any peer may open the console (it authenticates every call)
        self.assertIn("https://pt-pumptrack-console.clinical.svc:8443/", notes)

        objects, notes, *_ = render(*self.VALUE_SETS["console"])
        ingress = one(objects, "Ingress")
        self.assertEqual(ingress["spec"]["ingressClassName"], "nginx")
        self.assertEqual(ingress["spec"]["tls"], [{"hosts": ["pumptrack.hospital.example"],
                                                   "secretName": "pumptrack-console-tls"}])
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        self.assertEqual(backend, {"name": "pt-pumptrack-console", "port": {"name": "console"}})
        self.assertEqual(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/backend-protocol"], "HTTPS")
        self.assertEqual(ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"], "256k")
        self.assertEqual(one(objects, "Service", "pt-pumptrack-console")["spec"]["ports"][0]["port"], 443)
        rule = [r for r in one(objects, "NetworkPolicy")["spec"]["ingress"] if r["ports"][0]["port"] == 8443][0]
        self.assertEqual(rule["from"][0]["namespaceSelector"]["matchLabels"],
                         {"kubernetes.io/metadata.name": "ingress-nginx"})
        self.assertIn("https://pumptrack.hospital.example/", notes)

        # Disabled: no port, no Service, no rule, and pumptrackd is told so.
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("console:\n  enabled: false\n  ingress:\n    enabled: true\n")
        self.addCleanup(os.remove, f.name)
        objects, *_ = render("-f", f.name)
        _, container = server_container(objects)
        self.assertIn("--http_listen=", container["args"])
        self.assertNotIn("console", {p["name"] for p in container["ports"]})
        self.assertEqual([s for s in by_kind(objects, "Service") if s["metadata"]["name"].endswith("-console")], [])
        self.assertEqual(by_kind(objects, "Ingress"), [])
        self.assertEqual(len(one(objects, "NetworkPolicy")["spec"]["ingress"]), 2)

        # With cert-manager the server certificate also names the console's Service and Ingress host.
        objects, *_ = render(*self.VALUE_SETS["everything"])
        names = one(objects, "Certificate")["spec"]["dnsNames"]
        self.assertIn("pt-pumptrack-console.clinical.svc", names)
        self.assertIn("pumptrack.hospital.example", names)

    def test_tls_from_existing_secret_or_cert_manager(self):
        objects, *_ = render()
        statefulset, container = server_container(objects)
        volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["tls"]["secret"]["secretName"], "pumptrack-tls")
        self.assertIn("--tls_client_ca=/etc/pumptrack/tls/ca.crt", container["args"])
        self.assertEqual(by_kind(objects, "Certificate"), [])

        objects, *_ = render(*self.VALUE_SETS["cert-manager"])
        statefulset, _ = server_container(objects)
        certificate = one(objects, "Certificate")
        volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["tls"]["secret"]["secretName"], certificate["spec"]["secretName"])
        self.assertIn("pt-pumptrack-grpc.clinical.svc", certificate["spec"]["dnsNames"])
        self.assertIn("pumptrack.hospital.example", certificate["spec"]["dnsNames"])
        self.assertEqual(certificate["spec"]["issuerRef"]["name"], "hospital-ca")

        _, _, _, failed = render("--set", "x", check=False)  # unknown flag: the renderer refuses
        self.assertNotEqual(failed.returncode, 0)
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
            f.write("tls:\n  existingSecret: ''\n")
        self.addCleanup(os.remove, f.name)
        _, _, _, failed = render("-f", f.name, check=False)
        self.assertNotEqual(failed.returncode, 0)
        self.assertIn("tls.existingSecret is required", failed.stderr)

    def test_ldap_settings_with_the_bind_password_from_a_secret(self):
        objects, *_ = render()
        _, container = server_container(objects)
        self.assertFalse([a for a in container["args"] if a.startswith("--ldap_")])

        objects, *_ = render(*self.VALUE_SETS["ldap"])
        statefulset, container = server_container(objects)
        args = container["args"]
        self.assertIn("--ldap_url=ldaps://dc1.hospital.example:636", args)
        self.assertIn("--ldap_user_filter=(sAMAccountName={user})", args)
        self.assertIn("--ldap_bind_password_file=/etc/pumptrack/ldap-bind/password", args)
        self.assertIn("--ldap_ca=/etc/pumptrack/ldap-ca/ca.crt", args)
        self.assertIn("--ldap_group_map=/etc/pumptrack/ldap/group-map.txt", args)
        self.assertFalse([a for a in args if "password" in a and not a.startswith("--ldap_bind_password_file=")])
        volumes = {v["name"]: v for v in statefulset["spec"]["template"]["spec"]["volumes"]}
        self.assertEqual(volumes["ldap-bind"]["secret"]["secretName"], "pumptrack-ldap")
        self.assertEqual(volumes["ldap-ca"]["secret"]["secretName"], "hospital-ca")
        config = one(objects, "ConfigMap", "pt-pumptrack-ldap")
        self.assertIn("CN=Biomed,OU=Groups,DC=hospital,DC=example", config["data"]["group-map.txt"])

    def test_monitoring_objects_ship_the_rules_file_and_dashboard_unchanged(self):
        objects, *_ = render(*self.VALUE_SETS["monitoring"])
        rule = one(objects, "PrometheusRule")
        rules_file = os.path.join(CHART, "files", "pumptrack.rules.yml")
        parsed = subprocess.run(["node", os.path.join(HERE, "validate.js"), "--yaml-to-json", rules_file],
                                capture_output=True, text=True, env=NODE_ENV, check=True)
        self.assertEqual(rule["spec"], json.loads(parsed.stdout))
        self.assertIn("PumptrackSealBroken", [r.get("alert") for g in rule["spec"]["groups"] for r in g["rules"]])
        configmap = one(objects, "ConfigMap", "pt-pumptrack-dashboard")
        self.assertEqual(configmap["metadata"]["labels"]["grafana_dashboard"], "1")
        self.assertEqual(configmap["metadata"]["namespace"], "monitoring")
        with open(os.path.join(CHART, "files", "dashboards", "pumptrack.json")) as f:
            dashboard = f.read()
        self.assertEqual(configmap["data"]["pumptrack.json"], dashboard.rstrip("\n"))
        json.loads(configmap["data"]["pumptrack.json"])
        monitor = one(objects, "ServiceMonitor")
        metrics_service = one(objects, "Service", "pt-pumptrack-metrics")
        self.assertEqual(monitor["spec"]["endpoints"][0]["port"], metrics_service["spec"]["ports"][0]["name"])
        self.assertTrue(all(metrics_service["metadata"]["labels"].get(k) == v
                            for k, v in monitor["spec"]["selector"]["matchLabels"].items()))
        self.assertEqual(monitor["metadata"]["labels"]["release"], "kube-prometheus-stack")
        objects, *_ = render()
        self.assertFalse({"PrometheusRule", "ServiceMonitor"} & {o["kind"] for o in objects})

    def test_simulator_reports_to_the_grpc_service(self):
        objects, *_ = render(*self.VALUE_SETS["simulator"])
        deployment = one(objects, "Deployment")
        agent = deployment["spec"]["template"]["spec"]["containers"][0]
        self.assertEqual(agent["command"], ["/usr/local/bin/pumptrack-agent"])
        self.assertIn("--server=pt-pumptrack-grpc.clinical.svc:50051", agent["args"])
        self.assertIn("--sim_pumps=1200", agent["args"])
        self.assertEqual(deployment["spec"]["template"]["spec"]["volumes"][0]["secret"]["secretName"],
                         "pumptrack-demo-agent")
        # The NetworkPolicy lets the simulator's pods reach gRPC.
        policy = one(objects, "NetworkPolicy")
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        grpc_from = policy["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
        self.assertTrue(all(labels.get(k) == v for k, v in grpc_from.items()))
        objects, *_ = render()
        self.assertEqual(by_kind(objects, "Deployment"), [])


if __name__ == "__main__":
    unittest.main()
