//! Helm charts end to end: rendering matches real Helm (`fixtures/helm/oracle.json`, made by
//! `fixtures/helm/gen_oracle.py`), findings land on template lines with the values line that set the
//! value, `smelt render` prints what was checked, and a failing template costs only itself.

#[path = "support/cli.rs"]
mod cli;
use cli::{json, root, smelt, stderr, stdout};

use smelt::helm::chart::{Chart, read_dir};
use smelt::helm::render::{RenderOptions, render};
use smelt::model::{Node, Value};
use std::path::Path;

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// A YAML node as JSON, without spans, for comparing objects rather than text.
fn plain(n: &Node) -> serde_json::Value {
    match &n.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => (*b).into(),
        Value::Number(x) => serde_json::json!(x),
        Value::Str(s) => s.clone().into(),
        Value::List(items) => items.iter().map(plain).collect(),
        Value::Map(entries) => {
            entries.iter().map(|e| (e.key.clone(), plain(&e.value))).collect::<serde_json::Map<_, _>>().into()
        }
        Value::Expr(e) => format!("{e:?}").into(),
    }
}

fn objects(text: &str) -> Vec<serde_json::Value> {
    let parsed = smelt::parse::yaml::parse(text, &smelt::parse::Limits::default());
    assert!(parsed.issues.is_empty(), "does not parse: {:?}\n{text}", parsed.issues);
    parsed.docs.iter().map(plain).filter(|v| !v.is_null()).collect()
}

#[test]
fn fixture_charts_render_to_the_objects_helm_renders() {
    let oracle = std::fs::read_to_string(root().join("fixtures/helm/oracle.json")).expect("oracle");
    let oracle: serde_json::Value = serde_json::from_str(&oracle).expect("oracle is JSON");
    let charts = oracle.as_object().expect("map of charts");
    assert!(charts.len() >= 2);
    let mut compared = 0;
    for (name, templates) in charts {
        let files = read_dir(&root().join("fixtures/helm").join(name)).expect("chart reads");
        let chart = Chart::from_files(files, name, "").expect("chart loads");
        let rendered = render(&chart, &RenderOptions::default());
        assert!(rendered.errors.is_empty(), "{name}: {:?}", rendered.errors);
        for (template, want) in templates.as_object().expect("templates") {
            let want = want.as_str().expect("text");
            let got = rendered.templates.iter().find(|t| &t.source.name == template);
            let got_objects = got.map(|t| objects(&t.output)).unwrap_or_default();
            assert_eq!(got_objects, objects(want), "{template} differs from Helm's rendering");
            compared += 1;
        }
    }
    assert!(compared >= 10, "only {compared} templates compared");
}

fn findings_of(path: &str) -> Vec<serde_json::Value> {
    let out = smelt(&["check", path, "--format", "json"], &root());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    json(&stdout(&out))["findings"].as_array().expect("findings").clone()
}

/// The finding of `rule` at `path:line`, with its related `(path, line)` pairs.
fn at(findings: &[serde_json::Value], rule: &str, path: &str, line: u64) -> Vec<(String, u64)> {
    let f = findings
        .iter()
        .find(|f| f["name"] == rule && f["path"] == path && f["line"] == line)
        .unwrap_or_else(|| {
            let all: Vec<String> =
                findings.iter().map(|f| format!("{} {}:{}", f["name"], f["path"], f["line"])).collect();
            panic!("no {rule} at {path}:{line}; found:\n{}", all.join("\n"))
        });
    f["related"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| (r["path"].as_str().unwrap_or("").to_string(), r["line"].as_u64().unwrap_or(0)))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn findings_point_at_the_template_line_and_the_values_line() {
    let f = findings_of("fixtures/helm/web");
    let values = |line| ("fixtures/helm/web/values.yaml".to_string(), line);
    let deploy = "fixtures/helm/web/templates/deployment.yaml";
    // `privileged: true` comes from `{{- toYaml .Values.securityContext | nindent 12 }}` (line 36) and
    // values line 27; each hardening finding names its own values entry.
    assert_eq!(at(&f, "k8s-privileged-container", deploy, 36), vec![values(27)]);
    assert_eq!(at(&f, "k8s-dangerous-capability", deploy, 36), vec![values(30)]);
    assert_eq!(at(&f, "k8s-writable-root-filesystem", deploy, 36), vec![values(31)]);
    // The image line names both halves of the image; the tag `latest` is values line 8.
    assert_eq!(at(&f, "image-unpinned", deploy, 37), vec![values(5), values(8)]);
    // A LoadBalancer Service: the type comes from values line 36.
    assert_eq!(
        at(&f, "k8s-load-balancer-unrestricted", "fixtures/helm/web/templates/service.yaml", 8),
        vec![values(36)]
    );
    // The parent chart empties the subchart's password: found in the subchart's template, set in the
    // parent's values.
    let pw = at(&f, "empty-password", "fixtures/helm/web/charts/redis/templates/statefulset.yaml", 20);
    assert_eq!(pw, vec![values(84)]);
    // Findings on literal template text have no values line.
    assert_eq!(at(&f, "k8s-ingress-without-tls", "fixtures/helm/web/templates/ingress.yaml", 12), vec![]);
    // Every finding is in a file that exists (never in rendered text nobody wrote).
    assert!(f.iter().all(|x| root().join(x["path"].as_str().unwrap_or("")).exists()));

    let f = findings_of("fixtures/helm/api");
    let values = |line| ("fixtures/helm/api/values.yaml".to_string(), line);
    let deploy = "fixtures/helm/api/templates/deployment.yaml";
    // A secret passed through `tpl` of a values list (bitnami's `common.tplvalues.render`) is still
    // traced to its values line.
    assert_eq!(at(&f, "hardcoded-secret", deploy, 40), vec![values(62)]);
    assert_eq!(at(&f, "k8s-host-namespace", deploy, 25), vec![values(44)]);
    assert_eq!(at(&f, "k8s-revision-history-disabled", deploy, 12), vec![values(23)]);
    assert_eq!(at(&f, "k8s-recreate-strategy", deploy, 14), vec![values(26)]);
    assert_eq!(at(&f, "k8s-rbac-wildcard", "fixtures/helm/api/templates/rbac.yaml", 9), vec![values(78)]);
    // Two reasons to flag one securityContext: each finding points at its own values entry.
    let root_findings: Vec<_> = f.iter().filter(|x| x["name"] == "k8s-run-as-root").collect();
    let mut lines: Vec<u64> = root_findings
        .iter()
        .flat_map(|x| x["related"].as_array().cloned().unwrap_or_default())
        .filter_map(|r| r["line"].as_u64())
        .collect();
    lines.sort();
    assert_eq!(lines, vec![36, 37]);
}

#[test]
fn render_prints_like_helm_template() {
    let out = smelt(&["render", "fixtures/helm/web"], &root());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    snapshot!("helm-render-web", stdout(&out));
    let out = smelt(&["render", "fixtures/helm/api", "--show-origins"], &root());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    snapshot!("helm-render-api-origins", stdout(&out));
}

#[test]
fn render_takes_values_files_and_set() {
    let dir = tempfile::tempdir().expect("tmp");
    let prod = dir.path().join("prod.yaml");
    std::fs::write(&prod, "image:\n  tag: \"2.5.1\"\nredis:\n  enabled: false\n").expect("write");
    let prod = prod.to_string_lossy().to_string();
    let out = smelt(
        &["render", "fixtures/helm/web", "--values", &prod, "--set", "replicaCount=5", "--release", "shop"],
        &root(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("registry.example.com/shop/web:2.5.1"), "{text}");
    assert!(text.contains("replicas: 5"), "{text}");
    assert!(text.contains("name: shop-web"), "{text}");
    assert!(!text.contains("StatefulSet"), "the disabled subchart is not rendered:\n{text}");
}

fn write(dir: &Path, path: &str, text: &str) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, text).expect("write");
}

#[test]
fn a_failing_template_costs_only_itself() {
    let dir = tempfile::tempdir().expect("tmp");
    let c = dir.path();
    write(c, "Chart.yaml", "apiVersion: v2\nname: mixed\nversion: 0.1.0\n");
    write(c, "values.yaml", "image: nginx:latest\n");
    write(
        c,
        "templates/broken.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: {{ required \"dbHost is required\" .Values.dbHost }}\n",
    );
    write(c, "templates/unknown.yaml", "kind: Pod\nx: {{ nosuchfunc 1 }}\n");
    write(
        c,
        "templates/loop.yaml",
        "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}\n",
    );
    write(
        c,
        "templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: {{ .Values.image }}\n",
    );
    let out = smelt(&["check", ".", "--format", "json"], c);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report = json(&stdout(&out));
    let diags = report["errors"].as_array().expect("errors");
    let diag = |path: &str| {
        diags
            .iter()
            .find(|d| d["path"] == path)
            .unwrap_or_else(|| panic!("no diagnostic for {path}: {diags:#?}"))
    };
    let broken = diag("templates/broken.yaml");
    assert_eq!((broken["code"].as_str(), broken["line"].as_u64()), (Some("render-error"), Some(6)));
    assert_eq!(broken["level"], "warning", "a chart asking for values is not broken");
    assert!(broken["message"].as_str().unwrap_or("").contains("dbHost is required"), "{broken}");
    let unknown = diag("templates/unknown.yaml");
    assert_eq!(unknown["line"].as_u64(), Some(2), "{unknown}");
    assert!(unknown["message"].as_str().unwrap_or("").contains("nosuchfunc"), "{unknown}");
    assert_eq!(diag("templates/loop.yaml")["code"], "limit-exceeded");
    // The good template is still checked, at its own line.
    let findings = report["findings"].as_array().expect("findings");
    let image = findings.iter().find(|f| f["name"] == "image-unpinned").expect("image-unpinned");
    assert_eq!((image["path"].as_str(), image["line"].as_u64()), (Some("templates/pod.yaml"), Some(8)));
}

#[test]
fn suppressions_in_templates_apply() {
    let dir = tempfile::tempdir().expect("tmp");
    let c = dir.path();
    write(c, "Chart.yaml", "apiVersion: v2\nname: quiet\nversion: 0.1.0\n");
    write(c, "values.yaml", "tag: latest\n");
    write(
        c,
        "templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  automountServiceAccountToken: false\n  containers:\n    - name: web\n      # smelt: ignore[image-unpinned] dev-only chart, pinned by the release pipeline\n      image: nginx:{{ .Values.tag }}\n",
    );
    let out = smelt(&["check", ".", "--format", "json", "--select", "image-unpinned"], c);
    let report = json(&stdout(&out));
    let findings = report["findings"].as_array().expect("findings");
    let image = findings.iter().find(|f| f["name"] == "image-unpinned").expect("image-unpinned");
    let sup = &image["suppressed"];
    assert_eq!(
        (sup["path"].as_str(), sup["line"].as_u64()),
        (Some("templates/pod.yaml"), Some(9)),
        "{image:#}"
    );
    assert_eq!(report["summary"]["findings"], 0, "{report:#}");
}

#[test]
fn smelt_toml_helm_values_are_rendered_with() {
    let dir = tempfile::tempdir().expect("tmp");
    let c = dir.path();
    cli::copy_dir(&root().join("fixtures/helm/web"), &c.join("charts/web"));
    write(
        c,
        "charts/web/values-prod.yaml",
        "image:\n  tag: \"2.5.1\"\nsecurityContext:\n  privileged: false\n",
    );
    write(c, "smelt.toml", "[helm]\nvalues = { \"charts/web\" = [\"values-prod.yaml\"] }\n");
    let out = smelt(&["check", ".", "--format", "json"], c);
    let report = json(&stdout(&out));
    let findings = report["findings"].as_array().expect("findings");
    let names: Vec<&str> = findings.iter().filter_map(|f| f["name"].as_str()).collect();
    assert!(!names.contains(&"k8s-privileged-container"), "values-prod.yaml turns it off: {names:?}");
    let image = findings.iter().find(|f| f["name"] == "image-unpinned");
    assert!(image.is_none(), "values-prod.yaml pins the tag: {image:?}");
    // Still found, and traced to the chart's own values.yaml.
    let lb = findings.iter().find(|f| f["name"] == "k8s-load-balancer-unrestricted").expect("lb");
    assert_eq!(lb["related"][0]["path"], "charts/web/values.yaml");

    write(c, "smelt.toml", "[helm]\nvalues = { \"charts/web\" = [\"../../secrets.yaml\"] }\n");
    write(c, "secrets.yaml", "a: 1\n");
    let out = smelt(&["check", ".", "--format", "json"], c);
    let report = json(&stdout(&out));
    let errors = report["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["message"].as_str().unwrap_or("").contains("outside the chart folder")),
        "{errors:#?}"
    );
}

#[test]
fn aliased_subcharts_are_rendered_per_alias_and_findings_name_the_values_that_differ() {
    let f = findings_of("fixtures/helm/platform");
    let deploy = "fixtures/helm/platform/charts/worker/templates/deployment.yaml";
    // One subchart, two aliases: only the `emails` copy runs `latest`, set in the parent's values.
    let related = at(&f, "image-unpinned", deploy, 25);
    assert!(related.contains(&("fixtures/helm/platform/values.yaml".to_string(), 18)), "{related:?}");
    let unpinned = f.iter().filter(|x| x["name"] == "image-unpinned").count();
    assert_eq!(unpinned, 1, "billing pins 5.1.0");
    assert!(f.iter().any(|x| x["message"].as_str().unwrap_or("").contains("release-name-emails")));
}
