// Validates rendered Kubernetes manifests. Reads a YAML stream on stdin; prints one JSON line per object:
// {"apiVersion", "kind", "name", "checked": "kubernetes-models" | "structural", "errors": [...]}.
// Core kinds are validated by kubernetes-models (the Kubernetes OpenAPI schemas). CRDs that kubernetes-models does not
// carry (ServiceMonitor, PrometheusRule, cert-manager Certificate) get structural checks of the fields the chart sets.
//
// With --values FILE --schema FILE instead, validates chart values against values.schema.json with ajv and prints
// {"valid": bool, "errors": [...]}. With --yaml-to-json FILE, prints FILE's YAML as JSON.
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

function validateValues(valuesFile, schemaFile) {
  const Ajv = require("ajv");
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));
  const valid = validate(JSON.parse(fs.readFileSync(valuesFile, "utf8")));
  const errors = (validate.errors || []).map((e) => `${e.instancePath || "/"} ${e.message}`);
  console.log(JSON.stringify({ valid, errors }));
}

function modelFor(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion : `${apiVersion}`;
  let module;
  try {
    module = require(`kubernetes-models/${group}`);
  } catch (e) {
    return null;
  }
  return module[kind] || null;
}

const isString = (v) => typeof v === "string" && v.length > 0;
const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// Minimal structural checks for the CRDs the chart may render.
const crdChecks = {
  "monitoring.coreos.com/v1/ServiceMonitor": (o, errors) => {
    const spec = o.spec || {};
    if (!isObject(spec.selector) || !isObject(spec.selector.matchLabels)) errors.push("spec.selector.matchLabels");
    if (!Array.isArray(spec.endpoints) || spec.endpoints.length === 0) errors.push("spec.endpoints");
    for (const ep of spec.endpoints || []) {
      if (!isString(ep.port)) errors.push("spec.endpoints[].port must be a port name");
      if (ep.interval !== undefined && !/^([0-9]+(ms|s|m|h))+$/.test(ep.interval)) errors.push("endpoint interval");
    }
  },
  "monitoring.coreos.com/v1/PrometheusRule": (o, errors) => {
    const groups = (o.spec || {}).groups;
    if (!Array.isArray(groups) || groups.length === 0) errors.push("spec.groups");
    for (const g of groups || []) {
      if (!isString(g.name)) errors.push("group name");
      if (!Array.isArray(g.rules) || g.rules.length === 0) errors.push(`group ${g.name}: rules`);
      for (const r of g.rules || []) {
        if (!isString(r.alert) && !isString(r.record)) errors.push("rule needs alert or record");
        if (!isString(r.expr)) errors.push(`rule ${r.alert}: expr must be a string`);
        if (r.labels !== undefined && !Object.values(r.labels).every((v) => typeof v === "string")) {
          errors.push(`rule ${r.alert}: labels must be strings`);
        }
      }
    }
  },
  "cert-manager.io/v1/Certificate": (o, errors) => {
    const spec = o.spec || {};
    if (!isString(spec.secretName)) errors.push("spec.secretName");
    if (!isObject(spec.issuerRef) || !isString(spec.issuerRef.name)) errors.push("spec.issuerRef.name");
    if (!Array.isArray(spec.dnsNames) || spec.dnsNames.length === 0) errors.push("spec.dnsNames");
    for (const d of ["duration", "renewBefore"]) {
      if (spec[d] !== undefined && !/^([0-9]+(\.[0-9]+)?(ns|us|ms|s|m|h))+$/.test(spec[d])) errors.push(`spec.${d}`);
    }
  },
};

function validateManifests(text) {
  for (const doc of yaml.loadAll(text)) {
    if (doc === null || doc === undefined) continue;
    const errors = [];
    const apiVersion = doc.apiVersion;
    const kind = doc.kind;
    const name = doc.metadata && doc.metadata.name;
    if (!isString(apiVersion) || !isString(kind)) errors.push("apiVersion and kind are required");
    if (!isString(name)) errors.push("metadata.name is required");
    let checked = "none";
    const crd = crdChecks[`${apiVersion}/${kind}`];
    if (crd) {
      checked = "structural";
      crd(doc, errors);
    } else {
      const Model = modelFor(apiVersion, kind);
      if (!Model) {
        errors.push(`no schema for ${apiVersion} ${kind}`);
      } else {
        checked = "kubernetes-models";
        try {
          new Model(doc).validate();
        } catch (e) {
          errors.push(String(e.message || e));
        }
      }
    }
    console.log(JSON.stringify({ apiVersion, kind, name, checked, errors, object: doc }));
  }
}

const args = process.argv.slice(2);
if (args[0] === "--yaml-to-json") {
  console.log(JSON.stringify(yaml.load(fs.readFileSync(args[1], "utf8"))));
} else if (args[0] === "--values") {
  validateValues(args[1], args[3]);
} else {
  validateManifests(fs.readFileSync(0, "utf8"));
}
