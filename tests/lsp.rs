//! `smelt lsp` spoken to over JSON-RPC, as an editor would: the real binary on stdin/stdout.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(20);
const RULE: &str = "tf-db-skip-final-snapshot";

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: Receiver<Value>,
    /// Messages received while waiting for something else.
    backlog: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn spawn() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smelt"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start smelt lsp: {e}"));
        let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
        let (tx, incoming) = channel();
        std::thread::spawn(move || {
            let mut out = BufReader::new(stdout);
            loop {
                let mut length = None;
                let mut line = String::new();
                loop {
                    line.clear();
                    if out.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let h = line.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    if let Some(v) = h.strip_prefix("Content-Length: ") {
                        length = v.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.unwrap_or(0)];
                if out.read_exact(&mut body).is_err() {
                    return;
                }
                let value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                if tx.send(value).is_err() {
                    return;
                }
            }
        });
        let stdin = child.stdin.take();
        Client { child, stdin, incoming, backlog: Vec::new(), next_id: 0 }
    }

    fn initialized(capabilities: Value, options: Value) -> (Client, Value) {
        let mut c = Client::spawn();
        let result = c
            .request("initialize", json!({ "capabilities": capabilities, "initializationOptions": options }));
        c.notify("initialized", json!({}));
        (c, result)
    }

    fn write_raw(&mut self, body: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap_or_else(|| panic!("stdin closed"));
        let _ = write!(stdin, "Content-Length: {}\r\n\r\n", body.len());
        let _ = stdin.write_all(body);
        let _ = stdin.flush();
    }

    fn send(&mut self, msg: Value) {
        self.write_raw(msg.to_string().as_bytes());
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its whole response.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait(|m| m["id"] == json!(id) && m.get("method").is_none())
    }

    /// Sends a request and returns its `result`, failing on an error response.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let response = self.call(method, params);
        assert!(response.get("error").is_none(), "{method} failed: {response}");
        response["result"].clone()
    }

    fn wait(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.backlog.iter().position(&wanted) {
            return self.backlog.remove(i);
        }
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.incoming.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(m) if wanted(&m) => return m,
                Ok(m) => self.backlog.push(m),
                Err(e) => panic!("no matching message ({e:?}); received: {:#?}", self.backlog),
            }
        }
    }

    /// The next `publishDiagnostics` for `uri` with `version`.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        let m = self.wait(|m| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && m["params"]["version"] == json!(version)
        });
        m["params"]["diagnostics"].as_array().cloned().unwrap_or_default()
    }

    fn open(&mut self, uri: &str, text: &str) {
        let lang = if uri.ends_with(".tf") { "terraform" } else { "yaml" };
        self.notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": lang, "version": 1, "text": text } }),
        );
    }

    /// `shutdown`, `exit`, and the exit code.
    fn finish(mut self) -> i32 {
        let result = self.call("shutdown", Value::Null);
        assert_eq!(result["result"], Value::Null, "{result}");
        self.notify("exit", Value::Null);
        self.exit_code()
    }

    fn exit_code(&mut self) -> i32 {
        drop(self.stdin.take());
        let deadline = Instant::now() + TIMEOUT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "smelt lsp did not exit");
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lsp").join(rel)
}

/// A fixture's `file://` URI and text.
fn read_fixture(rel: &str) -> (String, String) {
    let path = fixture(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    (file_uri(&path), text)
}

/// The rule codes of a list of LSP diagnostics.
fn codes(d: &[Value]) -> Vec<String> {
    d.iter().map(|x| x["code"].as_str().unwrap_or("").to_string()).collect()
}

fn file_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn main_tf() -> (String, String) {
    let path = fixture("module/main.tf");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    (file_uri(&path), text)
}

/// 0-based line and the column of byte `offset` in UTF-16 units and in bytes.
fn columns(text: &str, offset: usize) -> (u64, u64, u64) {
    let line_start = text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
    let line = text[..offset].matches('\n').count() as u64;
    let prefix = &text[line_start..offset];
    (line, prefix.encode_utf16().count() as u64, prefix.len() as u64)
}

fn push_client() -> Value {
    json!({ "textDocument": { "publishDiagnostics": { "relatedInformation": true } } })
}

#[test]
fn utf16_session_diagnoses_fixes_and_suppresses() {
    let (mut c, init) = Client::initialized(push_client(), Value::Null);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    assert_eq!(init["capabilities"]["textDocumentSync"]["change"], 2, "incremental sync");
    assert!(init["capabilities"].get("diagnosticProvider").is_none(), "push only for this client");
    let (uri, text) = main_tf();
    c.open(&uri, &text);
    let diags = c.diagnostics(&uri, 1);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let d = &diags[0];
    let at = text.find("true").unwrap_or(0);
    let (line, utf16, _) = columns(&text, at);
    assert_eq!(d["range"]["start"], json!({ "line": line, "character": utf16 }));
    assert_eq!(d["range"]["end"], json!({ "line": line, "character": utf16 + 4 }));
    assert_eq!(d["code"], RULE);
    assert_eq!(d["source"], "smelt");
    assert_eq!(d["severity"], 1, "high severity is an Error");
    assert!(d.get("codeDescription").is_none(), "no docs base URL configured");

    // Hover over the finding shows the rule's docs; elsewhere, nothing.
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": utf16 + 1 } }),
    );
    let docs = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(docs.starts_with(&format!("# {RULE} (R101)")), "{hover}");
    assert_eq!(hover["contents"]["kind"], "markdown");
    let nothing = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(nothing, Value::Null);

    // The suppression action: a comment line above, same indentation, `reason` to replace.
    let actions = c.request(
        "textDocument/codeAction",
        json!({
            "textDocument": { "uri": uri },
            "range": d["range"],
            "context": { "diagnostics": [d] },
        }),
    );
    let actions = actions.as_array().cloned().unwrap_or_default();
    assert_eq!(actions.len(), 1, "{actions:#?}");
    let a = &actions[0];
    assert_eq!(a["title"], format!("Suppress `{RULE}` with a reason"));
    assert_eq!(a["kind"], "quickfix");
    assert!(a.get("command").is_none(), "this client cannot be asked to show a selection");
    let change = &a["edit"]["documentChanges"][0];
    assert_eq!(change["textDocument"], json!({ "uri": uri, "version": 1 }));
    assert_eq!(
        change["edits"][0],
        json!({
            "range": { "start": { "line": line, "character": 0 }, "end": { "line": line, "character": 0 } },
            "newText": format!("  # smelt: ignore[{RULE}] reason\n"),
        })
    );

    // An incremental edit that fixes it: `true` → `false`.
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": d["range"], "text": "false" }],
        }),
    );
    assert_eq!(c.diagnostics(&uri, 2), Vec::<Value>::new());

    // Applying the suppression (to the original text) also clears it, and the reason is accepted.
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 3 },
            "contentChanges": [
                { "text": text },
                { "range": change["edits"][0]["range"], "text": "# smelt: ignore[tf-db-skip-final-snapshot] recreated from backups nightly\n" },
            ],
        }),
    );
    assert_eq!(c.diagnostics(&uri, 3), Vec::<Value>::new());
    assert_eq!(c.finish(), 0);
}

#[test]
fn utf8_when_the_client_offers_it_and_snippets_and_docs_links() {
    let caps = json!({
        "general": { "positionEncodings": ["utf-8", "utf-16"] },
        "workspace": { "workspaceEdit": { "snippetEditSupport": true } },
    });
    let (mut c, init) =
        Client::initialized(caps, json!({ "docsBaseUrl": "https://smelt.example/docs/rules/" }));
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let (uri, text) = main_tf();
    c.open(&uri, &text);
    let diags = c.diagnostics(&uri, 1);
    let (line, _, bytes) = columns(&text, text.find("true").unwrap_or(0));
    assert_eq!(diags[0]["range"]["start"], json!({ "line": line, "character": bytes }));
    assert_eq!(diags[0]["codeDescription"]["href"], format!("https://smelt.example/docs/rules/{RULE}.md"));

    // A hover and a code action at UTF-8 positions.
    let hover = c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": line, "character": bytes + 2 } }),
    );
    assert!(hover["contents"]["value"].as_str().unwrap_or_default().contains(RULE));
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diags[0]["range"], "context": { "diagnostics": [] } }),
    );
    let edit = &actions[0]["edit"]["documentChanges"][0]["edits"][0];
    assert_eq!(
        edit["snippet"],
        json!({ "kind": "snippet", "value": format!("  # smelt: ignore[{RULE}] ${{1:reason}}\n") })
    );
    assert_eq!(c.finish(), 0);
}

#[test]
fn show_document_clients_get_the_reason_selected_and_indentation_is_kept() {
    let caps = json!({ "window": { "showDocument": { "support": true } } });
    let (mut c, _) = Client::initialized(caps, Value::Null);
    let uri = file_uri(&fixture("indented/main.tf"));
    let text = concat!(
        "resource \"aws_db_instance\" \"db\" {\n    skip_final_snapshot = true\n",
        "    storage_encrypted   = true\n    deletion_protection = true\n",
        "    enabled_cloudwatch_logs_exports = [\"postgresql\"]\n}\n"
    );
    c.open(&uri, text);
    let diags = c.diagnostics(&uri, 1);
    assert_eq!(diags.len(), 1, "{diags:#?}");
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": diags[0]["range"], "context": { "diagnostics": diags } }),
    );
    let a = &actions[0];
    assert_eq!(
        a["edit"]["documentChanges"][0]["edits"][0]["newText"],
        format!("    # smelt: ignore[{RULE}] reason\n")
    );
    let head = format!("    # smelt: ignore[{RULE}] ").len() as u64;
    assert_eq!(a["command"]["command"], "smelt.selectRange");
    let selection =
        json!({ "start": { "line": 1, "character": head }, "end": { "line": 1, "character": head + 6 } });
    assert_eq!(a["command"]["arguments"], json!([uri, selection]));
    // Running the command asks the client to select the word.
    let result = c.call(
        "workspace/executeCommand",
        json!({ "command": "smelt.selectRange", "arguments": a["command"]["arguments"] }),
    );
    assert_eq!(result["result"], Value::Null, "{result}");
    let show = c.wait(|m| m["method"] == "window/showDocument");
    assert_eq!(show["params"]["selection"], selection);
    assert_eq!(c.finish(), 0);
}

#[test]
fn pull_diagnostics_when_the_client_supports_them() {
    let caps = json!({ "textDocument": { "diagnostic": { "dynamicRegistration": false } } });
    let (mut c, init) = Client::initialized(caps, Value::Null);
    assert_eq!(init["capabilities"]["diagnosticProvider"]["interFileDependencies"], true);
    let (uri, text) = main_tf();
    c.open(&uri, &text);
    let report = c.request("textDocument/diagnostic", json!({ "textDocument": { "uri": uri } }));
    assert_eq!(report["kind"], "full");
    assert_eq!(report["items"][0]["code"], RULE);
    let again = c.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri }, "previousResultId": report["resultId"] }),
    );
    assert_eq!(again, json!({ "kind": "unchanged", "resultId": report["resultId"] }));
    // An edit makes the next pull a full, empty report; nothing was pushed meanwhile.
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": report["items"][0]["range"], "text": "false" }],
        }),
    );
    let after = c.request(
        "textDocument/diagnostic",
        json!({ "textDocument": { "uri": uri }, "previousResultId": report["resultId"] }),
    );
    assert_eq!((after["kind"].clone(), after["items"].clone()), (json!("full"), json!([])));
    assert!(
        !c.backlog.iter().any(|m| m["method"] == "textDocument/publishDiagnostics"),
        "a pull client gets no pushed diagnostics"
    );
    assert_eq!(c.finish(), 0);
}

#[test]
fn bad_requests_are_answered_and_never_fatal() {
    let mut c = Client::spawn();
    // Before initialize: requests are refused, the session goes on.
    let early = c.call("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002);
    let _ = c.request(
        "initialize",
        json!({ "capabilities": {}, "initializationOptions": { "maxFileSize": 4096 } }),
    );
    c.notify("initialized", json!({}));

    // Malformed JSON, and JSON that is no JSON-RPC message.
    c.write_raw(b"{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": ");
    let parse_error = c.wait(|m| m["error"]["code"] == -32700);
    assert_eq!(parse_error["id"], Value::Null);
    c.write_raw(b"[1, 2, 3]");
    c.wait(|m| m["error"]["code"] == -32600);

    // Unknown methods: requests get MethodNotFound, notifications are ignored.
    let unknown = c.call("smelt/doesNotExist", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    c.notify("smelt/alsoUnknown", json!({}));

    // Edits to a document that was never opened; requests about it are refused with InvalidParams.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": "file:///never/opened.tf", "version": 2 }, "contentChanges": [{ "text": "x" }] }),
    );
    let closed = c.call(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///never/opened.tf" }, "position": { "line": 0, "character": 0 } }),
    );
    assert_eq!(closed["error"]["code"], -32602);
    // Params of the wrong shape.
    let bad = c.call("textDocument/hover", json!({ "textDocument": { "uri": 7 } }));
    assert_eq!(bad["error"]["code"], -32602);

    // Positions far out of range are clamped: an answer, no error.
    let (uri, text) = main_tf();
    c.open(&uri, &text);
    assert_eq!(c.diagnostics(&uri, 1).len(), 1);
    let far = json!({ "line": 9999, "character": 9999 });
    let hover = c.request("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": far }));
    assert_eq!(hover, Value::Null);
    c.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": { "start": far, "end": far }, "text": "\n# appended\n" }],
        }),
    );
    assert_eq!(c.diagnostics(&uri, 2).len(), 1, "the appended comment changes nothing");

    // A document over the size limit: one informational diagnostic, not checked.
    let giant_uri = file_uri(&fixture("module/giant.tf"));
    let giant = "resource \"aws_db_instance\" \"x\" {\n  skip_final_snapshot = true\n}\n".repeat(100);
    c.open(&giant_uri, &giant);
    let d = c.diagnostics(&giant_uri, 1);
    assert_eq!(d.len(), 1, "{d:#?}");
    assert_eq!((d[0]["severity"].clone(), d[0]["code"].clone()), (json!(3), json!("not-checked")));

    // A parse error is a diagnostic too.
    let broken = file_uri(&fixture("broken/main.tf"));
    c.open(&broken, "resource \"a\" \"b\" {\n  x = \n");
    let d = c.diagnostics(&broken, 1);
    assert!(d.iter().any(|d| d["code"] == "parse-error"), "{d:#?}");

    // After shutdown, requests are refused; exit then ends the process with 0.
    let shutdown = c.call("shutdown", Value::Null);
    assert_eq!(shutdown["result"], Value::Null);
    let late = c.call("textDocument/hover", json!({}));
    assert_eq!(late["error"]["code"], -32600);
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code(), 0);
}

#[test]
fn exit_without_shutdown_is_code_1() {
    let (mut c, _) = Client::initialized(json!({}), Value::Null);
    c.notify("exit", Value::Null);
    assert_eq!(c.exit_code(), 1);
    let (mut c, _) = Client::initialized(json!({}), Value::Null);
    assert_eq!(c.exit_code(), 1, "end of input without shutdown");
}

#[test]
fn terraform_modules_are_checked_with_unsaved_sibling_buffers() {
    let (mut c, _) = Client::initialized(push_client(), Value::Null);
    let (uri, text) = main_tf();
    c.open(&uri, &text);
    assert_eq!(c.diagnostics(&uri, 1).len(), 1);
    // An unsaved sibling buffer is checked with the module, and its findings are pushed for it; editing
    // it re-publishes both open documents of the module.
    let sibling = file_uri(&fixture("module/variables.tf"));
    c.open(
        &sibling,
        concat!(
            "resource \"aws_db_instance\" \"b\" {\n  skip_final_snapshot = true\n",
            "  storage_encrypted   = true\n  deletion_protection = true\n",
            "  enabled_cloudwatch_logs_exports = [\"postgresql\"]\n}\n"
        ),
    );
    assert_eq!(c.diagnostics(&sibling, 1).len(), 1);
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": sibling, "version": 2 }, "contentChanges": [{ "text": "variable \"x\" {}\n" }] }),
    );
    assert_eq!(c.diagnostics(&sibling, 2).len(), 0);
    assert_eq!(c.diagnostics(&uri, 1).len(), 1, "the other open file of the module is re-published");
    assert_eq!(c.finish(), 0);
}

/// A workflow is checked with the local actions and reusable workflows it calls, and an action with the
/// workflows that call it, from the open buffers first: editing a caller's `with:` re-publishes the
/// called action's diagnostics, and editing a called workflow re-publishes its caller's.
#[test]
fn workflows_are_checked_with_the_local_files_they_call_using_unsaved_buffers() {
    let (mut c, _) = Client::initialized(push_client(), Value::Null);
    let read = |rel: &str| read_fixture(&format!("github/.github/{rel}"));
    let (pr, pr_text) = read("workflows/pr.yml");
    let (action, action_text) = read("actions/describe/action.yml");
    let (docs, docs_text) = read("workflows/docs.yml");

    // The caller passes `contents: write` to docs.yml (on disk), whose job never pushes.
    c.open(&pr, &pr_text);
    assert_eq!(codes(&c.diagnostics(&pr, 1)), ["gha-excessive-permissions"]);

    // The action pastes an input the caller fills with the branch name: the finding is in the action,
    // with the caller's `with:` line as related information.
    c.open(&action, &action_text);
    let found = c.diagnostics(&action, 1);
    assert_eq!(codes(&found), ["gha-script-injection"]);
    let related = &found[0]["relatedInformation"][0]["location"];
    assert_eq!(related["uri"], json!(pr));
    let with_line = pr_text.lines().position(|l| l.contains("head_ref")).unwrap_or(0);
    assert_eq!(related["range"]["start"]["line"], json!(with_line));

    // The caller's unsaved edit (a commit SHA instead of the branch name) clears the action's finding.
    let safe = pr_text.replace("${{ github.head_ref }}", "${{ github.sha }}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": pr, "version": 2 }, "contentChanges": [{ "text": safe }] }),
    );
    assert_eq!(codes(&c.diagnostics(&pr, 2)), ["gha-excessive-permissions"]);
    assert!(c.diagnostics(&action, 1).is_empty(), "the action is re-checked with the caller's buffer");

    // An unsaved docs.yml that pushes uses the write access its caller passes: the caller is clean.
    let pushes = docs_text.replace("make docs", "make docs && git push");
    c.open(&docs, &pushes);
    assert!(c.diagnostics(&docs, 1).is_empty());
    assert!(c.diagnostics(&pr, 2).is_empty(), "the caller is re-checked with the called workflow's buffer");
    assert_eq!(c.finish(), 0);
}

/// Neovim, headless, as a real client: it starts `smelt lsp` on a fixture, waits for diagnostics and
/// writes them to a file.
#[test]
fn neovim_shows_the_findings() {
    if Command::new("nvim").arg("--version").output().is_err() {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED neovim_shows_the_findings: `nvim` is not installed (apt-get install -y neovim; .ci/run does it)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let tf = dir.path().join("main.tf");
    std::fs::copy(fixture("module/main.tf"), &tf).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("diagnostics.txt");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(fixture("nvim/init.lua"))
        .arg(&tf)
        .env("SMELT_BIN", env!("CARGO_BIN_EXE_smelt"))
        .env("SMELT_NVIM_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run nvim: {e}"));
    let written =
        std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("nvim wrote no diagnostics ({status}): {e}"));
    let text = std::fs::read_to_string(&tf).unwrap_or_default();
    let (line, _, bytes) = columns(&text, text.find("true").unwrap_or(0));
    // Neovim reports byte columns: lnum:col:severity:source:code:message
    let expected = format!("{line}:{bytes}:1:smelt:{RULE}:");
    assert!(
        written.lines().any(|l| l.starts_with(&expected)),
        "expected a line starting {expected:?}, got:\n{written}"
    );
    assert!(written.lines().any(|l| l == "cleared after edit"), "edits update the diagnostics:\n{written}");
    assert!(status.success(), "nvim exited with {status}");

    // A Helm chart template: the chart is rendered, the finding is on the template's line, and the
    // edit in the buffer re-renders it.
    let chart = dir.path().join("chart");
    copy_dir(&fixture("chart"), &chart);
    let template = chart.join("templates/pod.yaml");
    let text = std::fs::read_to_string(&template).unwrap_or_default().replace(
        "      securityContext:\n        {{- toYaml .Values.securityContext | nindent 8 }}\n",
        "      securityContext:\n        privileged: true\n        {{- toYaml .Values.securityContext | nindent 8 }}\n",
    );
    std::fs::write(&template, &text).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.path().join("chart-diagnostics.txt");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-u"])
        .arg(fixture("nvim/init.lua"))
        .arg(&template)
        .env("SMELT_BIN", env!("CARGO_BIN_EXE_smelt"))
        .env("SMELT_NVIM_OUT", &out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap_or_else(|e| panic!("cannot run nvim: {e}"));
    let written =
        std::fs::read_to_string(&out).unwrap_or_else(|e| panic!("nvim wrote no diagnostics ({status}): {e}"));
    let (line, _, bytes) = columns(&text, text.find("true").unwrap_or(0));
    let expected = format!("{line}:{bytes}:1:smelt:k8s-privileged-container:");
    assert!(written.lines().any(|l| l.starts_with(&expected)), "expected {expected:?}, got:\n{written}");
    assert!(written.lines().any(|l| l == "cleared after edit"), "edits re-render the chart:\n{written}");
    assert!(status.success(), "nvim exited with {status}");
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")).flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn smelt_toml_changes_recheck_open_documents() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::create_dir(dir.path().join(".git")).unwrap_or_else(|e| panic!("{e}"));
    let config = dir.path().join("smelt.toml");
    std::fs::write(&config, "select = [\"rollback\"]\n").unwrap_or_else(|e| panic!("{e}"));
    let tf = dir.path().join("main.tf");
    let (_, text) = main_tf();
    std::fs::write(&tf, &text).unwrap_or_else(|e| panic!("{e}"));
    let mut c = Client::spawn();
    let _ =
        c.request("initialize", json!({ "capabilities": push_client(), "rootUri": file_uri(dir.path()) }));
    c.notify("initialized", json!({}));
    let uri = file_uri(&tf);
    c.open(&uri, &text);
    assert_eq!(c.diagnostics(&uri, 1).len(), 1);
    std::fs::write(&config, "ignore = [\"tf-db-skip-final-snapshot\"]\n").unwrap_or_else(|e| panic!("{e}"));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&config), "type": 2 }] }),
    );
    assert_eq!(c.diagnostics(&uri, 1), Vec::<Value>::new(), "the rule is ignored now");
    // A broken smelt.toml: the built-in rules run, and the user is told.
    std::fs::write(&config, "ignore = [\"no-such-rule-at-all\"]\n").unwrap_or_else(|e| panic!("{e}"));
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({ "changes": [{ "uri": file_uri(&config), "type": 2 }] }),
    );
    let shown = c.wait(|m| m["method"] == "window/showMessage");
    assert!(shown["params"]["message"].as_str().unwrap_or_default().contains("configuration"), "{shown}");
    assert_eq!(c.diagnostics(&uri, 1).len(), 1);
    assert_eq!(c.finish(), 0);
}

/// A Helm chart's template is checked by rendering the chart, with open buffers over the disk: an
/// unsaved edit to `values.yaml` re-renders the chart and re-publishes the open template, whose
/// finding carries the values line as related information.
#[test]
fn helm_templates_are_checked_by_rendering_the_chart_with_unsaved_values() {
    let (mut c, _) = Client::initialized(push_client(), Value::Null);
    let read = |rel: &str| read_fixture(&format!("chart/{rel}"));
    let (pod, pod_text) = read("templates/pod.yaml");
    let (values, values_text) = read("values.yaml");
    c.open(&pod, &pod_text);
    assert!(c.diagnostics(&pod, 1).is_empty(), "{:#?}", c.diagnostics(&pod, 1));

    // Opening the values file re-renders the chart: both open documents are published.
    c.open(&values, &values_text);
    assert!(c.diagnostics(&pod, 1).is_empty());
    assert!(c.diagnostics(&values, 1).is_empty());
    let latest = values_text.replace("\"1.27.2\"", "latest");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": values, "version": 2 }, "contentChanges": [{ "text": latest }] }),
    );
    // Published in path order: the template, then the values file.
    let found = c.diagnostics(&pod, 1);
    assert_eq!(codes(&found), ["image-unpinned"], "{found:#?}");
    assert_eq!(found[0]["range"]["start"]["line"], json!(11), "the template's image line");
    let related = &found[0]["relatedInformation"];
    let tag = related
        .as_array()
        .and_then(|r| r.iter().find(|r| r["message"].as_str().unwrap_or("").contains("image.tag")));
    let tag = tag.unwrap_or_else(|| panic!("no values line in {related:#}"));
    assert_eq!(
        (tag["location"]["uri"].clone(), tag["location"]["range"]["start"]["line"].clone()),
        (json!(values), json!(2))
    );
    assert!(c.diagnostics(&values, 2).is_empty(), "findings are on the template, not the values file");
    assert_eq!(c.finish(), 0);
}

/// A rule with a safe fix offers it as the preferred quick fix, an edit of the underlined value only;
/// applying it (as the client would) clears the finding.
#[test]
fn safe_fixes_are_offered_as_preferred_quick_fixes() {
    let (mut c, _) = Client::initialized(push_client(), Value::Null);
    let uri = file_uri(&fixture("fix/main.tf"));
    let text = "resource \"aws_rds_cluster\" \"orders\" {\n  engine              = \"aurora-postgresql\"\n  deletion_protection = false\n}\n";
    c.open(&uri, text);
    let d = c.diagnostics(&uri, 1);
    let found = d.iter().find(|d| d["code"] == "tf-deletion-protection-disabled").expect("finding");
    let actions = c.request(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": uri }, "range": found["range"], "context": { "diagnostics": [found] } }),
    );
    let actions = actions.as_array().cloned().unwrap_or_default();
    let fix = actions.iter().find(|a| a["isPreferred"] == true).unwrap_or_else(|| panic!("{actions:#?}"));
    assert_eq!(fix["kind"], "quickfix");
    let edit = &fix["edit"]["documentChanges"][0]["edits"][0];
    assert_eq!(edit["newText"], "true");
    assert_eq!(edit["range"], found["range"], "only the value is replaced");
    let fixed = text.replace("deletion_protection = false", "deletion_protection = true");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    let after = c.diagnostics(&uri, 2);
    assert!(after.iter().all(|d| d["code"] != "tf-deletion-protection-disabled"), "{after:#?}");
    assert_eq!(c.finish(), 0);
}

/// Hundreds of edits in a burst (typing fast): the server keeps up, answers a request in between, and
/// publishes the final version's diagnostics; then the client vanishes mid-session (its pipe closes
/// without `shutdown`) and the server exits on its own instead of hanging.
#[test]
fn rapid_edits_then_the_client_disappears() {
    let (mut c, _) = Client::initialized(push_client(), Value::Null);
    let uri = file_uri(&fixture("burst/main.tf"));
    c.open(&uri, "");
    let _ = c.diagnostics(&uri, 1);
    let mut text = String::new();
    for v in 2..=300 {
        text.push_str(if v % 2 == 0 {
            "resource \"aws_db_instance\" \"x"
        } else {
            "\" { skip_final_snapshot = true }\n"
        });
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": uri, "version": v }, "contentChanges": [{ "text": text }] }),
        );
    }
    let hover = c.call(
        "textDocument/hover",
        json!({ "textDocument": { "uri": uri }, "position": { "line": 0, "character": 0 } }),
    );
    assert!(hover.get("error").is_none(), "{hover}");
    let last = c.diagnostics(&uri, 300);
    // 150 resource headers, 149 of them closed: the last one is still being typed.
    assert_eq!(last.iter().filter(|d| d["code"] == "tf-db-skip-final-snapshot").count(), 149);
    assert!(last.iter().any(|d| d["code"] == "parse-error"), "the unfinished block is a parse error");
    assert_eq!(c.exit_code(), 1, "end of input without shutdown ends the server");
}
