//! The server loop: initialize, then dispatch messages until `exit`, re-checking documents after a
//! quiet period (`recv_timeout` on the connection's receiver is the debounce timer).

use super::actions::{self, Cursor, SELECT_COMMAND};
use super::analysis::{self, Style, Unit};
use super::config::{self, Settings};
use super::position::{self, Encoding};
use super::{log, uri};
use crate::engine::{CheckOptions, check};
use crate::finding::Finding;
use crate::span::LineIndex;
use crossbeam_channel::RecvTimeoutError;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionProviderCapability, Diagnostic, DiagnosticOptions,
    DiagnosticServerCapabilities, ExecuteCommandOptions, HoverProviderCapability, PositionEncodingKind,
    PublishDiagnosticsParams, SaveOptions, ServerCapabilities, ServerInfo, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

/// What the client said it can do (read from the raw capabilities, so one odd field cannot fail
/// `initialize`).
#[derive(Clone, Copy, Debug)]
struct Features {
    pull: bool,
    refresh: bool,
    cursor: Cursor,
    watch_registration: bool,
}

struct Doc {
    uri: Uri,
    path: String,
    text: String,
    version: i32,
    checked: Option<Checked>,
}

struct Checked {
    version: i32,
    /// Bumped on every check: the pull `resultId`.
    generation: u64,
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
}

struct Server<'a> {
    conn: &'a Connection,
    enc: Encoding,
    features: Features,
    settings: Settings,
    workspace: config::Workspace,
    root: Option<PathBuf>,
    docs: BTreeMap<String, Doc>,
    /// Documents waiting for their quiet period to end, and when it ends.
    pending: BTreeMap<String, Instant>,
    generation: u64,
    next_id: i32,
    shutdown: bool,
}

/// Runs a session on `conn`. Returns the process exit code: 0 for `exit` after `shutdown`, 1 otherwise.
pub fn serve(conn: &Connection, mut settings: Settings) -> u8 {
    let Some((id, params)) = wait_for_initialize(conn) else { return 1 };
    if let Err(e) = settings.merge_options(&params["initializationOptions"]) {
        log(&e);
    }
    let caps = &params["capabilities"];
    let utf8 = caps["general"]["positionEncodings"]
        .as_array()
        .is_some_and(|a| a.iter().any(|e| e.as_str() == Some("utf-8")));
    let enc = if utf8 { Encoding::Utf8 } else { Encoding::Utf16 };
    let pull = match settings.diagnostic_mode.as_str() {
        "push" => false,
        "pull" => true,
        _ => caps["textDocument"]["diagnostic"].is_object(),
    };
    let cursor = if caps["workspace"]["workspaceEdit"]["snippetEditSupport"] == json!(true) {
        Cursor::Snippet
    } else if caps["window"]["showDocument"]["support"] == json!(true) {
        Cursor::ShowDocument
    } else {
        Cursor::Plain
    };
    let features = Features {
        pull,
        refresh: caps["workspace"]["diagnostics"]["refreshSupport"] == json!(true),
        cursor,
        watch_registration: caps["workspace"]["didChangeWatchedFiles"]["dynamicRegistration"] == json!(true),
    };
    let root = params["workspaceFolders"][0]["uri"]
        .as_str()
        .or(params["rootUri"].as_str())
        .and_then(|u| u.parse::<Uri>().ok())
        .and_then(|u| uri::to_path(&u))
        .map(PathBuf::from);
    let (workspace, problem) = match config::load(&settings, root.as_deref()) {
        Ok(w) => (w, None),
        Err(e) => (config::fallback(), Some(e)),
    };
    let result = json!({
        "capabilities": capabilities(enc, pull),
        "serverInfo": ServerInfo { name: "smelt".into(), version: Some(env!("CARGO_PKG_VERSION").into()) },
    });
    send(conn, Response::new_ok(id, result).into());
    let mut server = Server {
        conn,
        enc,
        features,
        settings,
        workspace,
        root,
        docs: BTreeMap::new(),
        pending: BTreeMap::new(),
        generation: 0,
        next_id: 0,
        shutdown: false,
    };
    if let Some(e) = problem {
        server.config_problem(&e);
    }
    server.run()
}

fn wait_for_initialize(conn: &Connection) -> Option<(RequestId, Value)> {
    loop {
        match conn.receiver.recv().ok()? {
            Message::Request(req) if req.method == "initialize" => return Some((req.id, req.params)),
            Message::Request(req) => send(
                conn,
                Response::new_err(
                    req.id,
                    ErrorCode::ServerNotInitialized as i32,
                    "send initialize first".into(),
                )
                .into(),
            ),
            Message::Notification(n) if n.method == "exit" => return None,
            Message::Notification(n) => log(&format!("ignored `{}` before initialize", n.method)),
            Message::Response(_) => {}
        }
    }
}

fn capabilities(enc: Encoding, pull: bool) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match enc {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
            ..TextDocumentSyncOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX]),
            ..CodeActionOptions::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![SELECT_COMMAND.into()],
            ..ExecuteCommandOptions::default()
        }),
        diagnostic_provider: pull.then(|| {
            DiagnosticServerCapabilities::Options(DiagnosticOptions {
                identifier: Some("smelt".into()),
                inter_file_dependencies: true,
                workspace_diagnostics: false,
                ..DiagnosticOptions::default()
            })
        }),
        ..ServerCapabilities::default()
    }
}

fn send(conn: &Connection, msg: Message) {
    if conn.sender.send(msg).is_err() {
        log("the client connection is closed");
    }
}

/// A request that could not be served: `(code, message)`.
type Failure = (ErrorCode, String);

impl Server<'_> {
    fn run(&mut self) -> u8 {
        loop {
            let next = self.pending.values().min().copied();
            let received = match next {
                Some(at) => self.conn.receiver.recv_timeout(at.saturating_duration_since(Instant::now())),
                None => self.conn.receiver.recv().map_err(|_| RecvTimeoutError::Disconnected),
            };
            match received {
                Ok(Message::Request(req)) => self.on_request(req),
                Ok(Message::Notification(n)) if n.method == "exit" => {
                    return if self.shutdown { 0 } else { 1 };
                }
                Ok(Message::Notification(n)) => self.on_notification(n),
                Ok(Message::Response(_)) => {}
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    log("the client closed the connection without `exit`");
                    return if self.shutdown { 0 } else { 1 };
                }
            }
            self.run_due();
        }
    }

    fn on_request(&mut self, req: Request) {
        let id = req.id.clone();
        let result = if self.shutdown && req.method != "shutdown" {
            Err((ErrorCode::InvalidRequest, "the server is shutting down".into()))
        } else {
            self.request(req)
        };
        let response = match result {
            Ok(value) => Response { id, response_result: Ok(value) },
            Err((code, message)) => Response::new_err(id, code as i32, message),
        };
        send(self.conn, response.into());
    }

    fn request(&mut self, req: Request) -> Result<Value, Failure> {
        let params = &req.params;
        match req.method.as_str() {
            "shutdown" => {
                self.shutdown = true;
                Ok(Value::Null)
            }
            "initialize" => Err((ErrorCode::InvalidRequest, "already initialized".into())),
            "textDocument/hover" => self.hover(params),
            "textDocument/codeAction" => self.code_action(params),
            "textDocument/diagnostic" => self.pull(params),
            "workspace/executeCommand" => self.execute_command(params),
            other => Err((ErrorCode::MethodNotFound, format!("unknown method `{other}`"))),
        }
    }

    fn on_notification(&mut self, n: Notification) {
        let p = &n.params;
        match n.method.as_str() {
            "initialized" => self.register_watchers(),
            "textDocument/didOpen" => self.did_open(p),
            "textDocument/didChange" => self.did_change(p),
            "textDocument/didSave" => {
                if let Some(key) = self.known_doc(p) {
                    self.check_now(&key);
                }
            }
            "textDocument/didClose" => self.did_close(p),
            "workspace/didChangeWatchedFiles" => self.did_change_watched(p),
            "workspace/didChangeConfiguration" => self.recheck_all(),
            m if m.starts_with("$/") => {}
            m => log(&format!("ignored notification `{m}`")),
        }
    }

    // --- documents -----------------------------------------------------------------------------

    fn did_open(&mut self, p: &Value) {
        let td = &p["textDocument"];
        let (Some(u), Some(text)) = (td["uri"].as_str(), td["text"].as_str()) else {
            return log("didOpen without textDocument.uri and text");
        };
        let Ok(parsed) = u.parse::<Uri>() else { return log(&format!("didOpen: invalid URI {u:?}")) };
        let path = uri::to_path(&parsed).unwrap_or_else(|| u.to_string());
        let version = td["version"].as_i64().and_then(|v| i32::try_from(v).ok()).unwrap_or(0);
        let key = parsed.as_str().to_string();
        self.docs
            .insert(key.clone(), Doc { uri: parsed, path, text: text.to_string(), version, checked: None });
        self.invalidate_module(&key);
        self.check_now(&key);
    }

    fn did_change(&mut self, p: &Value) {
        let Some(key) = self.known_doc(p) else { return };
        let enc = self.enc;
        let Some(doc) = self.docs.get_mut(&key) else { return };
        for change in p["contentChanges"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let Some(new_text) = change["text"].as_str() else { continue };
            let range = serde_json::from_value(change["range"].clone()).ok();
            position::apply_change(&mut doc.text, range, new_text, enc);
        }
        if let Some(v) = p["textDocument"]["version"].as_i64().and_then(|v| i32::try_from(v).ok()) {
            doc.version = v;
        }
        self.invalidate_module(&key);
        if !self.features.pull {
            self.pending.insert(key, Instant::now() + self.settings.debounce);
        }
    }

    fn did_close(&mut self, p: &Value) {
        let Some(key) = self.known_doc(p) else { return };
        self.invalidate_module(&key);
        self.pending.remove(&key);
        if let Some(doc) = self.docs.remove(&key)
            && !self.features.pull
        {
            self.publish_list(doc.uri, Vec::new(), None);
        }
        // Siblings now see the file as it is on disk.
        let siblings: Vec<String> =
            self.docs.iter().filter(|(_, d)| d.checked.is_none()).map(|(k, _)| k.clone()).collect();
        if !self.features.pull {
            siblings.iter().for_each(|k| self.check_now(k));
        }
    }

    fn did_change_watched(&mut self, p: &Value) {
        let changes = p["changes"].as_array().map(Vec::as_slice).unwrap_or_default();
        let config_changed =
            changes.iter().any(|c| c["uri"].as_str().is_some_and(|u| u.ends_with("/smelt.toml")));
        if config_changed {
            match config::load(&self.settings, self.root.as_deref()) {
                Ok(w) => self.workspace = w,
                Err(e) => self.config_problem(&e),
            }
        }
        self.recheck_all();
    }

    /// The key of the open document named by `params.textDocument.uri`; unknown ones are logged.
    fn known_doc(&self, p: &Value) -> Option<String> {
        let u = p["textDocument"]["uri"].as_str()?;
        let key = u.parse::<Uri>().map(|u| u.as_str().to_string()).unwrap_or_else(|_| u.to_string());
        if self.docs.contains_key(&key) {
            return Some(key);
        }
        log(&format!("ignored a notification about {u}, which is not open"));
        None
    }

    /// Forgets the results of `key` and of every open document checked together with it.
    fn invalidate_module(&mut self, key: &str) {
        let Some(doc) = self.docs.get(key) else { return };
        let group = group(&doc.path);
        for (k, d) in self.docs.iter_mut() {
            if k == key || (group.is_some() && self::group(&d.path) == group) {
                d.checked = None;
            }
        }
    }

    fn recheck_all(&mut self) {
        self.docs.values_mut().for_each(|d| d.checked = None);
        if self.features.pull {
            if self.features.refresh {
                self.request_client("workspace/diagnostic/refresh", Value::Null);
            }
            return;
        }
        let keys: Vec<String> = self.docs.keys().cloned().collect();
        for k in keys {
            if self.docs.get(&k).is_some_and(|d| d.checked.is_none()) {
                self.check_now(&k);
            }
        }
    }

    // --- checking ------------------------------------------------------------------------------

    fn run_due(&mut self) {
        let now = Instant::now();
        let due: Vec<String> =
            self.pending.iter().filter(|(_, at)| **at <= now).map(|(k, _)| k.clone()).collect();
        for key in due {
            self.check_now(&key);
        }
    }

    /// Checks `key` (and the open documents of its unit) and pushes the results unless the client pulls.
    fn check_now(&mut self, key: &str) {
        let updated = self.check(key);
        if self.features.pull {
            return;
        }
        for k in updated {
            let Some(doc) = self.docs.get(&k) else { continue };
            let Some(c) = &doc.checked else { continue };
            self.publish_list(doc.uri.clone(), c.diagnostics.clone(), Some(c.version));
        }
    }

    /// Runs the check; returns the keys of the documents whose results were replaced.
    fn check(&mut self, key: &str) -> Vec<String> {
        self.pending.remove(key);
        let Some(doc) = self.docs.get(key) else { return Vec::new() };
        let open: BTreeMap<String, &str> =
            self.docs.values().map(|d| (d.path.clone(), d.text.as_str())).collect();
        let unit = analysis::unit(&doc.path, &open, self.workspace.max_file_size);
        self.generation += 1;
        let generation = self.generation;
        let inputs = match unit {
            Unit::Skip(message) => {
                if let Some(doc) = self.docs.get_mut(key) {
                    let diagnostics = vec![analysis::note(&message)];
                    doc.checked =
                        Some(Checked { version: doc.version, generation, findings: Vec::new(), diagnostics });
                }
                return vec![key.to_string()];
            }
            Unit::Check(inputs) => inputs,
        };
        let paths: Vec<String> = analysis::covered(&inputs, &open);
        let opts = CheckOptions {
            jobs: 1,
            max_file_size: self.workspace.max_file_size,
            buffers: analysis::buffers(&open),
            ..CheckOptions::default()
        };
        let mut report = check(inputs, &self.workspace.rules, &opts);
        if let Some(config) = &self.workspace.config {
            config.apply_path_ignores(&mut report);
        }
        let style = Style { enc: self.enc, docs_base_url: self.settings.docs_base_url.as_deref() };
        let mut updated = Vec::new();
        for (k, doc) in self.docs.iter_mut() {
            if !paths.contains(&doc.path) {
                continue;
            }
            let diagnostics = analysis::diagnostics(&report, &doc.path, &doc.text, &style);
            let findings = report.findings.iter().filter(|f| f.location.path == doc.path).cloned().collect();
            doc.checked = Some(Checked { version: doc.version, generation, findings, diagnostics });
            self.pending.remove(k);
            updated.push(k.clone());
        }
        updated
    }

    /// The results of `key`, re-checking first if the document changed since.
    fn fresh(&mut self, key: &str) -> Option<&Doc> {
        let doc = self.docs.get(key)?;
        let stale = doc.checked.as_ref().is_none_or(|c| c.version != doc.version);
        if stale || self.pending.contains_key(key) {
            self.check_now(key);
        }
        self.docs.get(key)
    }

    /// A configuration that cannot be used: logged, shown once, and the built-in rules are used.
    fn config_problem(&mut self, e: &str) {
        log(&format!("{e}\nusing the built-in rules with default settings"));
        let message = format!("smelt: the configuration cannot be used, so the built-in rules run: {e}");
        send(
            self.conn,
            Notification::new("window/showMessage".into(), json!({ "type": 1, "message": message })).into(),
        );
        self.workspace = config::fallback();
    }

    fn publish_list(&self, uri: Uri, diagnostics: Vec<Diagnostic>, version: Option<i32>) {
        let params = PublishDiagnosticsParams { uri, diagnostics, version };
        send(self.conn, Notification::new("textDocument/publishDiagnostics".into(), params).into());
    }

    fn request_client(&mut self, method: &str, params: Value) {
        self.next_id += 1;
        let id = RequestId::from(format!("smelt-{}", self.next_id));
        send(self.conn, Request { id, method: method.into(), params }.into());
    }

    fn register_watchers(&mut self) {
        if !self.features.watch_registration {
            return;
        }
        // Workflows, actions and GitLab includes read from disk change what open pipelines report.
        let watchers: Vec<Value> = ["**/smelt.toml", "**/*.tf", "**/*.tf.json", "**/*.yml", "**/*.yaml"]
            .iter()
            .map(|g| json!({ "globPattern": g }))
            .collect();
        let params = json!({ "registrations": [{
            "id": "smelt-watched-files",
            "method": "workspace/didChangeWatchedFiles",
            "registerOptions": { "watchers": watchers },
        }]});
        self.request_client("client/registerCapability", params);
    }

    // --- requests ------------------------------------------------------------------------------

    fn doc_key(&self, p: &Value) -> Result<String, Failure> {
        let u = p["textDocument"]["uri"]
            .as_str()
            .ok_or_else(|| (ErrorCode::InvalidParams, "missing textDocument.uri".to_string()))?;
        let key = u.parse::<Uri>().map(|u| u.as_str().to_string()).unwrap_or_else(|_| u.to_string());
        if self.docs.contains_key(&key) {
            Ok(key)
        } else {
            Err((ErrorCode::InvalidParams, format!("{u} is not open")))
        }
    }

    fn hover(&mut self, p: &Value) -> Result<Value, Failure> {
        let key = self.doc_key(p)?;
        let pos: lsp_types::Position = serde_json::from_value(p["position"].clone())
            .map_err(|e| (ErrorCode::InvalidParams, format!("position: {e}")))?;
        let enc = self.enc;
        let rules = self.workspace.rules.rules.clone();
        let Some(doc) = self.fresh(&key) else { return Ok(Value::Null) };
        let offset = position::offset(&doc.text, &LineIndex::new(&doc.text), pos, enc);
        let findings = doc.checked.as_ref().map(|c| c.findings.as_slice()).unwrap_or_default();
        let hover = actions::hover(&doc.text, findings, &rules, offset, enc);
        Ok(serde_json::to_value(hover).unwrap_or(Value::Null))
    }

    fn code_action(&mut self, p: &Value) -> Result<Value, Failure> {
        let key = self.doc_key(p)?;
        let range: lsp_types::Range = serde_json::from_value(p["range"].clone())
            .map_err(|e| (ErrorCode::InvalidParams, format!("range: {e}")))?;
        if let Some(only) = p["context"]["only"].as_array()
            && !only.iter().any(|k| {
                k.as_str().is_some_and(|k| k == "quickfix" || "quickfix".starts_with(&format!("{k}.")))
            })
        {
            return Ok(json!([]));
        }
        let (enc, cursor) = (self.enc, self.features.cursor);
        let Some(doc) = self.fresh(&key) else { return Ok(json!([])) };
        let findings = doc.checked.as_ref().map(|c| c.findings.as_slice()).unwrap_or_default();
        let actions = actions::code_actions(&doc.uri, doc.version, &doc.text, findings, range, enc, cursor);
        Ok(Value::Array(actions))
    }

    fn pull(&mut self, p: &Value) -> Result<Value, Failure> {
        let key = self.doc_key(p)?;
        let previous = p["previousResultId"].as_str().map(str::to_string);
        let Some(doc) = self.fresh(&key) else { return Ok(Value::Null) };
        let Some(c) = &doc.checked else {
            return Err((ErrorCode::InternalError, "the document could not be checked".into()));
        };
        let result_id = c.generation.to_string();
        if previous.as_deref() == Some(result_id.as_str()) {
            return Ok(json!({ "kind": "unchanged", "resultId": result_id }));
        }
        Ok(json!({ "kind": "full", "resultId": result_id, "items": c.diagnostics }))
    }

    fn execute_command(&mut self, p: &Value) -> Result<Value, Failure> {
        if p["command"].as_str() != Some(SELECT_COMMAND) {
            return Err((ErrorCode::InvalidParams, format!("unknown command {}", p["command"])));
        }
        let args = &p["arguments"];
        let (Some(u), true) = (args[0].as_str(), args[1].is_object()) else {
            return Err((ErrorCode::InvalidParams, format!("{SELECT_COMMAND} takes a URI and a range")));
        };
        let params = json!({ "uri": u, "takeFocus": true, "selection": args[1] });
        self.request_client("window/showDocument", params);
        Ok(Value::Null)
    }
}

/// What the files checked together with `path` share: a Terraform module's folder, or a GitHub
/// repository's (its workflows and actions depend on each other through local calls).
fn group(path: &str) -> Option<String> {
    let is_tf = path.ends_with(".tf") || path.ends_with(".tf.json");
    if is_tf {
        return Some(format!("tf:{}", path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")));
    }
    if let Some(root) = analysis::helm_root(path) {
        return Some(format!("helm:{root}"));
    }
    analysis::github_root(path).map(|root| format!("github:{root}"))
}
