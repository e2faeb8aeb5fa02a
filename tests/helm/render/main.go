// Command render renders a Helm chart the way `helm template` does, for tests on a machine without helm: Go
// text/template with sprig and Helm's own functions (include, tpl, required, toYaml, fromYaml, toJson, fromJson,
// lookup), the built-in objects (.Values, .Release, .Chart, .Capabilities, .Template, .Files) and Helm's value
// coalescing (later -f files override earlier ones; maps merge, anything else replaces; null deletes a key).
//
//	render -chart DIR [-f values.yaml]... [-set-file key=path]... [-name RELEASE] [-namespace NS] [-notes FILE]
//	       [-values-out FILE]
//
// Prints the rendered manifests as one YAML stream ("# Source: chart/templates/x.yaml" before each document), in
// template name order, skipping templates that render to whitespace only, as helm does. NOTES.txt is rendered into
// -notes when given. Templates whose names start with "_" only define named templates.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig"
	yaml "gopkg.in/yaml.v3"
)

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// files implements .Files: chart files by path relative to the chart root.
type files map[string][]byte

func (f files) Get(name string) string      { return string(f[name]) }
func (f files) GetBytes(name string) []byte { return f[name] }

func loadYAMLMap(data []byte) (map[string]interface{}, error) {
	out := map[string]interface{}{}
	if err := yaml.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	if out == nil {
		out = map[string]interface{}{}
	}
	return out, nil
}

// loadValues reads values as helm does (sigs.k8s.io/yaml: YAML to JSON to Go), so every number is a float64 and
// templates see what they see under helm (e.g. 4194304 prints as 4.194304e+06 unless piped through int64).
func loadValues(data []byte) (map[string]interface{}, error) {
	parsed, err := loadYAMLMap(data)
	if err != nil {
		return nil, err
	}
	asJSON, err := json.Marshal(parsed)
	if err != nil {
		return nil, err
	}
	out := map[string]interface{}{}
	if err := json.Unmarshal(asJSON, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// coalesce merges src into dst as helm does for user values over chart defaults: src wins, nested maps merge,
// a null in src removes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, v := range src {
		if v == nil {
			delete(dst, k)
			continue
		}
		if sm, ok := v.(map[string]interface{}); ok {
			if dm, ok := dst[k].(map[string]interface{}); ok {
				dst[k] = coalesce(dm, sm)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}

// setPath sets a dotted key (helm --set-file) to a string value.
func setPath(values map[string]interface{}, key string, value string) {
	parts := strings.Split(key, ".")
	m := values
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[p] = next
		}
		m = next
	}
	m[parts[len(parts)-1]] = value
}

// toYAML is helm's toYaml: the YAML of v without the trailing newline; "" on error.
func toYAML(v interface{}) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	enc.Close()
	return strings.TrimSuffix(buf.String(), "\n")
}

// fromYAML is helm's fromYaml: a map, or {"Error": message} when the text is not a YAML map.
func fromYAML(s string) map[string]interface{} {
	m, err := loadYAMLMap([]byte(s))
	if err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return m
}

func toJSON(v interface{}) string {
	data, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(data)
}

func fromJSON(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return map[string]interface{}{"Error": err.Error()}
	}
	return m
}

type renderer struct {
	tmpl *template.Template
}

func (r *renderer) funcs() template.FuncMap {
	f := sprig.TxtFuncMap()
	// Helm removes these for security.
	delete(f, "env")
	delete(f, "expandenv")
	f["toYaml"] = toYAML
	f["fromYaml"] = fromYAML
	f["toJson"] = toJSON
	f["fromJson"] = fromJSON
	f["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, errors.New(msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, errors.New(msg)
		}
		return v, nil
	}
	f["include"] = func(name string, data interface{}) (string, error) {
		var buf bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	f["tpl"] = func(text string, data interface{}) (string, error) {
		clone, err := r.tmpl.Clone()
		if err != nil {
			return "", err
		}
		t, err := clone.New("tpl").Option("missingkey=zero").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	// No cluster here: lookup finds nothing, as under `helm template`.
	f["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	return f
}

func run() error {
	chartDir := flag.String("chart", "", "chart directory")
	release := flag.String("name", "pumptrack", "release name")
	namespace := flag.String("namespace", "default", "release namespace")
	notesOut := flag.String("notes", "", "write the rendered NOTES.txt here")
	valuesOut := flag.String("values-out", "", "write the coalesced values (what values.schema.json checks) here as JSON")
	var valueFiles, setFiles multiFlag
	flag.Var(&valueFiles, "f", "values file (repeatable; later wins)")
	flag.Var(&setFiles, "set-file", "key=path: set a value to a file's contents (repeatable)")
	flag.Parse()
	if *chartDir == "" {
		return errors.New("-chart is required")
	}

	chartYAML, err := os.ReadFile(filepath.Join(*chartDir, "Chart.yaml"))
	if err != nil {
		return err
	}
	chartMeta, err := loadYAMLMap(chartYAML)
	if err != nil {
		return fmt.Errorf("Chart.yaml: %w", err)
	}
	// .Chart fields are capitalised (Name, Version, AppVersion, ...).
	chart := map[string]interface{}{}
	for k, v := range chartMeta {
		chart[strings.ToUpper(k[:1])+k[1:]] = v
	}

	chartFiles := files{}
	templates := map[string]string{}
	err = filepath.WalkDir(*chartDir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(*chartDir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			templates[rel] = string(data)
		} else if rel != "Chart.yaml" && rel != "values.yaml" && rel != "values.schema.json" {
			chartFiles[rel] = data
		}
		return nil
	})
	if err != nil {
		return err
	}

	defaults, err := os.ReadFile(filepath.Join(*chartDir, "values.yaml"))
	if err != nil {
		return err
	}
	values, err := loadValues(defaults)
	if err != nil {
		return fmt.Errorf("values.yaml: %w", err)
	}
	for _, vf := range valueFiles {
		data, err := os.ReadFile(vf)
		if err != nil {
			return err
		}
		override, err := loadValues(data)
		if err != nil {
			return fmt.Errorf("%s: %w", vf, err)
		}
		values = coalesce(values, override)
	}
	for _, sf := range setFiles {
		key, p, ok := strings.Cut(sf, "=")
		if !ok {
			return fmt.Errorf("-set-file %q: want key=path", sf)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		setPath(values, key, string(data))
	}

	if *valuesOut != "" {
		data, err := json.MarshalIndent(values, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(*valuesOut, data, 0o644); err != nil {
			return err
		}
	}

	chartName, _ := chartMeta["name"].(string)
	r := &renderer{}
	r.tmpl = template.New(chartName).Funcs(r.funcs()).Option("missingkey=zero")
	names := make([]string, 0, len(templates))
	for name := range templates {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		full := path.Join(chartName, name)
		if _, err := r.tmpl.New(full).Parse(templates[name]); err != nil {
			return fmt.Errorf("parse %s: %w", full, err)
		}
	}

	top := func(name string) map[string]interface{} {
		return map[string]interface{}{
			"Values": values,
			"Release": map[string]interface{}{
				"Name": *release, "Namespace": *namespace, "Service": "Helm", "IsInstall": true, "IsUpgrade": false,
				"Revision": 1,
			},
			"Chart": chart,
			"Capabilities": map[string]interface{}{
				"KubeVersion": map[string]interface{}{"Version": "v1.29.0", "Major": "1", "Minor": "29",
					"GitVersion": "v1.29.0"},
				"APIVersions": apiVersions{"v1": true, "apps/v1": true, "networking.k8s.io/v1": true},
			},
			"Template": map[string]interface{}{"Name": name, "BasePath": path.Join(chartName, "templates")},
			"Files":    chartFiles,
		}
	}

	var out bytes.Buffer
	for _, name := range names {
		base := path.Base(name)
		if strings.HasPrefix(base, "_") {
			continue
		}
		full := path.Join(chartName, name)
		var buf bytes.Buffer
		if err := r.tmpl.ExecuteTemplate(&buf, full, top(full)); err != nil {
			return fmt.Errorf("render %s: %w", full, err)
		}
		text := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			if *notesOut != "" {
				if err := os.WriteFile(*notesOut, []byte(text), 0o644); err != nil {
					return err
				}
			}
			continue
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s\n", full, strings.TrimSpace(text))
	}
	_, err = os.Stdout.Write(out.Bytes())
	return err
}

// apiVersions implements .Capabilities.APIVersions.Has.
type apiVersions map[string]bool

func (a apiVersions) Has(v string) bool { return a[v] }

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "render:", err)
		os.Exit(1)
	}
}
