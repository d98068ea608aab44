//! JSON-RPC over stdio, tolerant of bad input.
//!
//! lsp-server's own stdio transport ends its reader thread on the first malformed message, which would
//! end the session. This one frames messages itself: a payload that is not JSON gets a `ParseError`
//! response (`id: null`), JSON that is not a JSON-RPC message gets `InvalidRequest`, a header block
//! without `Content-Length` is logged and skipped, and reading goes on. Only end of input stops it.
//! The messages themselves are lsp-server's, and the server loop talks to an ordinary
//! [`lsp_server::Connection`], so tests can use `Connection::memory()`.

use super::log;
use lsp_server::{Connection, ErrorCode, Message};
use serde_json::{Value, json};
use std::io::{self, BufRead, Write};
use std::thread::JoinHandle;

/// The writer thread; join it after dropping the connection so every queued message is flushed.
pub struct Writer(JoinHandle<()>);

impl Writer {
    pub fn join(self) {
        if self.0.join().is_err() {
            log("the stdout writer thread panicked");
        }
    }
}

pub fn stdio() -> (Connection, Writer) {
    let (to_server, from_client) = crossbeam_channel::unbounded::<Message>();
    let (to_client, outgoing) = crossbeam_channel::unbounded::<Message>();
    let writer = std::thread::spawn(move || {
        for msg in outgoing {
            let written = msg.write(&mut io::stdout().lock());
            if let Err(e) = written {
                log(&format!("cannot write to the client: {e}"));
                return;
            }
        }
    });
    std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut input = stdin.lock();
        loop {
            let body = match read_frame(&mut input) {
                Ok(Frame::Body(b)) => b,
                Ok(Frame::Skipped(why)) => {
                    log(&why);
                    continue;
                }
                Ok(Frame::End) => return,
                Err(e) => {
                    log(&format!("cannot read from the client: {e}"));
                    return;
                }
            };
            let msg = match decode(&body) {
                Ok(msg) => msg,
                Err(reply) => {
                    write_raw(&reply);
                    continue;
                }
            };
            let exit = matches!(&msg, Message::Notification(n) if n.method == "exit");
            if to_server.send(msg).is_err() || exit {
                return;
            }
        }
    });
    (Connection { sender: to_client, receiver: from_client }, Writer(writer))
}

enum Frame {
    Body(Vec<u8>),
    /// A header block that cannot be used; the reason is logged.
    Skipped(String),
    End,
}

/// Reads one `Content-Length`-framed message. Headers may end in `\r\n` or `\n`.
fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad_header = None;
    let mut line = String::new();
    let mut any = false;
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(Frame::End);
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            if any {
                break;
            }
            continue;
        }
        any = true;
        match header.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_header = Some(header.to_string()),
                }
            }
            Some(_) => {}
            None => bad_header = Some(header.to_string()),
        }
    }
    let Some(length) = length else {
        let why = bad_header.map(|h| format!("malformed header {h:?}")).unwrap_or_default();
        return Ok(Frame::Skipped(format!("skipped a message without a valid Content-Length header {why}")));
    };
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(Frame::Body(body))
}

/// A message, or the error response to send back for a payload that is not one.
fn decode(body: &[u8]) -> Result<Message, Value> {
    if let Ok(msg) = serde_json::from_slice::<Message>(body) {
        return Ok(msg);
    }
    let value: Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            log(&format!("malformed JSON-RPC payload ({e}); answered with ParseError"));
            return Err(error_reply(Value::Null, ErrorCode::ParseError, &format!("parse error: {e}")));
        }
    };
    let id = value.get("id").filter(|id| id.is_string() || id.is_i64()).cloned().unwrap_or(Value::Null);
    log("a JSON value that is not a JSON-RPC message; answered with InvalidRequest");
    Err(error_reply(id, ErrorCode::InvalidRequest, "not a JSON-RPC request, response or notification"))
}

fn error_reply(id: Value, code: ErrorCode, message: &str) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": { "code": code as i32, "message": message } })
}

/// Writes a response lsp-server cannot express (`id: null`). The stdout lock keeps it whole even while
/// the writer thread is writing.
fn write_raw(value: &Value) {
    let text = value.to_string();
    let mut out = io::stdout().lock();
    let written = write!(out, "Content-Length: {}\r\n\r\n{text}", text.len()).and_then(|()| out.flush());
    if let Err(e) = written {
        log(&format!("cannot write to the client: {e}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_survive_bad_headers_and_payloads() {
        let data = b"Content-Length: 2\r\n\r\n{}X-Junk\r\n\r\nContent-Length: 5\n\nnot j";
        let mut input = io::Cursor::new(&data[..]);
        assert!(matches!(read_frame(&mut input), Ok(Frame::Body(b)) if b == b"{}"));
        assert!(matches!(read_frame(&mut input), Ok(Frame::Skipped(_))));
        let Ok(Frame::Body(body)) = read_frame(&mut input) else { panic!("a body") };
        let reply = decode(&body).err().unwrap_or_default();
        assert_eq!(reply["error"]["code"], -32700);
        assert_eq!(reply["id"], Value::Null);
        assert!(matches!(read_frame(&mut input), Ok(Frame::End)));
        let reply = decode(br#"{"id": 7, "params": 1}"#).err().unwrap_or_default();
        assert_eq!((reply["id"].clone(), reply["error"]["code"].clone()), (json!(7), json!(-32600)));
    }
}
