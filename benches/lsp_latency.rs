//! Re-check latency of `smelt lsp` after an edit: the time from sending an incremental `didChange` to
//! receiving the `publishDiagnostics` for that version, with the debounce set to 0 so only smelt's own
//! work is measured (the server runs in-process on an in-memory connection; JSON encoding is included,
//! the stdio pipe is not). Also the same through pull diagnostics, and `engine::check` alone.
//!
//! `cargo bench --bench lsp_latency` (options: `--edits N`, default 50).

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};
use smelt::discover::Input;
use smelt::engine::{CheckOptions, check};
use smelt::rules::meta::Severity;
use smelt::rules::registry;
use std::io::Write;
use std::time::{Duration, Instant};

// The allocator the `smelt` binary uses (src/main.rs), so the bench measures what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let edits = args
        .iter()
        .position(|a| a == "--edits")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(50usize);
    let mut rows = Vec::new();
    for lines in [500usize, 5_000] {
        let text = terraform(lines);
        rows.push(measure("push (didChange → publishDiagnostics)", &text, edits, false));
        rows.push(measure("pull (didChange + textDocument/diagnostic)", &text, edits, true));
        rows.push(engine_only(&text, edits));
    }
    let chart_row = measure_chart(edits);
    let mut out = String::new();
    out.push_str(&format!("\n{edits} edits each, debounce 0, release build\n\n"));
    out.push_str("| file | lines | bytes | path | p50 ms | p95 ms | max ms | findings |\n");
    out.push_str("|---|---|---|---|---|---|---|---|\n");
    for r in rows {
        out.push_str(&format!(
            "| main.tf | {} | {} | {} | {:.2} | {:.2} | {:.2} | {} |\n",
            r.lines, r.bytes, r.what, r.p50, r.p95, r.max, r.findings
        ));
    }
    out.push_str(&format!(
        "| a template of a 50-template Helm chart | {} | {} | push (didChange → publishDiagnostics, chart re-rendered) | {:.2} | {:.2} | {:.2} | {} |\n",
        chart_row.lines, chart_row.bytes, chart_row.p50, chart_row.p95, chart_row.max, chart_row.findings
    ));
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}

/// A chart of 50 Deployment templates on disk: editing one template (a literal `privileged:` value)
/// re-renders the whole chart with the buffer over the disk, as the editor does.
fn measure_chart(edits: usize) -> Row {
    let dir = std::env::temp_dir().join(format!("smelt-lsp-chart-{}", std::process::id()));
    let templates = dir.join("templates");
    let _ = std::fs::create_dir_all(&templates);
    let _ = std::fs::write(dir.join("Chart.yaml"), "apiVersion: v2\nname: big\nversion: 1.0.0\n");
    let _ = std::fs::write(
        dir.join("values.yaml"),
        "image:\n  repository: nginx\n  tag: \"1.27.2\"\nreplicas: 2\n",
    );
    let _ = std::fs::write(
        templates.join("_helpers.tpl"),
        "{{- define \"big.labels\" -}}\napp.kubernetes.io/name: {{ .Chart.Name }}\napp.kubernetes.io/instance: {{ .Release.Name }}\n{{- end -}}\n",
    );
    let template = |i: usize| {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{{{ .Release.Name }}}}-svc-{i}\n  labels:\n    {{{{- include \"big.labels\" . | nindent 4 }}}}\nspec:\n  replicas: {{{{ .Values.replicas }}}}\n  template:\n    spec:\n      automountServiceAccountToken: false\n      containers:\n        - name: svc-{i}\n          image: \"{{{{ .Values.image.repository }}}}:{{{{ .Values.image.tag }}}}\"\n          securityContext:\n            privileged: false\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true\n            runAsNonRoot: true\n            capabilities:\n              drop: [\"ALL\"]\n"
        )
    };
    for i in 0..50 {
        let _ = std::fs::write(templates.join(format!("svc-{i}.yaml")), template(i));
    }
    let text = template(0);
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || smelt::lsp::serve(&server, smelt::lsp::Settings::default()));
    let _ = request(
        &client,
        0,
        "initialize",
        json!({ "capabilities": {}, "initializationOptions": { "debounceMs": 0 } }),
    );
    notify(&client, "initialized", json!({}));
    let uri = format!("file://{}", templates.join("svc-0.yaml").display());
    notify(
        &client,
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "yaml", "version": 0, "text": text } }),
    );
    let line = text.lines().position(|l| l.contains("privileged:")).unwrap_or(0);
    let col = text.lines().nth(line).and_then(|l| l.find(": ")).map(|c| c + 2).unwrap_or(0);
    let (ms, findings) = toggle(&client, &uri, (line, col), "false", edits, false);
    let _ = request(&client, -1, "shutdown", Value::Null);
    notify(&client, "exit", Value::Null);
    let _ = thread.join();
    let _ = std::fs::remove_dir_all(&dir);
    row("chart", &text, ms, findings)
}

struct Row {
    what: &'static str,
    lines: usize,
    bytes: usize,
    p50: f64,
    p95: f64,
    max: f64,
    findings: usize,
}

/// A Terraform file of about `lines` lines: databases (half with a finding), security groups, buckets.
fn terraform(lines: usize) -> String {
    let mut out = String::new();
    let mut i = 0u32;
    while out.lines().count() < lines {
        let skip = if i.is_multiple_of(2) { "true" } else { "false" };
        out.push_str(&format!(
            "resource \"aws_db_instance\" \"db_{i}\" {{\n  identifier          = \"db-{i}\"\n  engine              = \"postgres\"\n  instance_class      = \"db.t3.micro\"\n  skip_final_snapshot = {skip}\n  tags = {{\n    team = \"data\"\n  }}\n}}\n\nresource \"aws_security_group\" \"sg_{i}\" {{\n  name = \"sg-{i}\"\n  ingress {{\n    from_port   = 443\n    to_port     = 443\n    protocol    = \"tcp\"\n    cidr_blocks = [\"10.0.0.0/8\"]\n  }}\n}}\n\n"
        ));
        i += 1;
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

fn row(what: &'static str, text: &str, mut ms: Vec<f64>, findings: usize) -> Row {
    ms.sort_by(f64::total_cmp);
    Row {
        what,
        lines: text.lines().count(),
        bytes: text.len(),
        p50: percentile(&ms, 0.5),
        p95: percentile(&ms, 0.95),
        max: ms.last().copied().unwrap_or(0.0),
        findings,
    }
}

fn recv(client: &Connection, wanted: impl Fn(&Message) -> bool) -> Message {
    loop {
        match client.receiver.recv_timeout(Duration::from_secs(60)) {
            Ok(m) if wanted(&m) => return m,
            Ok(_) => {}
            Err(e) => panic!("the server did not answer: {e}"),
        }
    }
}

fn notify(client: &Connection, method: &str, params: Value) {
    let _ = client.sender.send(Notification::new(method.into(), params).into());
}

fn request(client: &Connection, id: i32, method: &str, params: Value) -> Value {
    let _ = client.sender.send(Request::new(RequestId::from(id), method.into(), params).into());
    match recv(client, |m| matches!(m, Message::Response(r) if r.id == RequestId::from(id))) {
        Message::Response(r) => r.response_result.unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

fn measure(what: &'static str, text: &str, edits: usize, pull: bool) -> Row {
    let (server, client) = Connection::memory();
    let thread = std::thread::spawn(move || smelt::lsp::serve(&server, smelt::lsp::Settings::default()));
    let caps = if pull { json!({ "textDocument": { "diagnostic": {} } }) } else { json!({}) };
    let _ = request(
        &client,
        0,
        "initialize",
        json!({ "capabilities": caps, "initializationOptions": { "debounceMs": 0 } }),
    );
    notify(&client, "initialized", json!({}));
    let uri = "file:///bench/module/main.tf";
    notify(
        &client,
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "terraform", "version": 0, "text": text } }),
    );
    // The edited line: the first database's `skip_final_snapshot` value, toggled on every edit.
    let line = text.lines().position(|l| l.contains("skip_final_snapshot")).unwrap_or(0);
    let col = text.lines().nth(line).and_then(|l| l.find("= ")).map(|c| c + 2).unwrap_or(0);
    let current = if text.lines().nth(line).is_some_and(|l| l.ends_with("true")) { "true" } else { "false" };
    let (ms, findings) = toggle(&client, uri, (line, col), current, edits, pull);
    let _ = request(&client, -1, "shutdown", Value::Null);
    notify(&client, "exit", Value::Null);
    let _ = thread.join();
    row(what, text, ms, findings)
}

/// Sends `edits` incremental edits that toggle the `true`/`false` at `(line, col)` (starting from
/// `current`) and times each until its diagnostics arrive (pushed, or pulled with `pull`). Returns the
/// times in ms and the last diagnostic count.
fn toggle(
    client: &Connection,
    uri: &str,
    (line, col): (usize, usize),
    mut current: &'static str,
    edits: usize,
    pull: bool,
) -> (Vec<f64>, usize) {
    let mut ms = Vec::with_capacity(edits);
    let mut findings = 0;
    for version in 1..=edits as i32 {
        let next = if current == "true" { "false" } else { "true" };
        let range = json!({ "start": { "line": line, "character": col }, "end": { "line": line, "character": col + current.len() } });
        let start = Instant::now();
        notify(
            client,
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": range, "text": next }] }),
        );
        let diagnostics = if pull {
            request(client, version + 1, "textDocument/diagnostic", json!({ "textDocument": { "uri": uri } }))
                ["items"]
                .clone()
        } else {
            match recv(
                client,
                |m| matches!(m, Message::Notification(n) if n.method == "textDocument/publishDiagnostics" && n.params["version"] == json!(version)),
            ) {
                Message::Notification(n) => n.params["diagnostics"].clone(),
                _ => Value::Null,
            }
        };
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        findings = diagnostics.as_array().map(Vec::len).unwrap_or(0);
        current = next;
    }
    (ms, findings)
}

fn engine_only(text: &str, edits: usize) -> Row {
    let rules = registry::builtin().unwrap_or_default();
    let rules = registry::select(rules, &[], &[], Severity::Info).unwrap_or_default();
    let opts = CheckOptions { jobs: 1, ..CheckOptions::default() };
    let mut ms = Vec::with_capacity(edits);
    let mut findings = 0;
    for _ in 0..edits {
        let start = Instant::now();
        let report =
            check(vec![Input::from_memory("/bench/main.tf", text.as_bytes().to_vec())], &rules, &opts);
        ms.push(start.elapsed().as_secs_f64() * 1000.0);
        findings = report.findings.len();
    }
    row("engine::check alone (jobs 1)", text, ms, findings)
}
