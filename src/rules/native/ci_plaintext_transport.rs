//! Plaintext and unverified downloads in CI scripts: `curl`/`wget` of `http://` URLs, TLS verification
//! turned off (`-k`, `--insecure`, `--no-check-certificate`), and downloads piped straight into a
//! shell (`curl … | sh`, `bash <(curl …)`, `sh -c "$(curl …)"`).

use crate::pipeline::jobs::{self, Ci, Step};
use crate::pipeline::shell::{Command, Word};
use crate::rules::{FileView, RawFinding};

/// Programs that run code read from standard input or from a file argument.
const INTERPRETERS: &[&str] =
    &["sh", "bash", "zsh", "dash", "ksh", "ash", "python", "python3", "perl", "ruby", "node"];
/// curl's short options that take a value: letters after one of them in a cluster are its value.
const CURL_VALUE_SHORT: &str = "bcdeoADEFHKmoPQrtTuUwxXyYzC";

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(ci) = jobs::load(file) else { return Vec::new() };
    let mut out = Vec::new();
    for (step, cmd) in ci.jobs.iter().flat_map(Ci::commands) {
        check_command(ci, step, cmd, &mut out);
    }
    out
}

fn check_command(ci: &Ci, step: &Step, cmd: &Command, out: &mut Vec<RawFinding>) {
    let Some(program) = cmd.program() else { return };
    if matches!(program, "curl" | "wget") {
        for w in cmd.args() {
            if is_plain_http(w) {
                out.push(ci.finding(
                    step,
                    w.span,
                    format!("`{program}` downloads `{}` over plaintext HTTP: anyone on the network path can read or replace what the job receives; use `https://`", w.text()),
                ));
            }
            if let Some(flag) = insecure_flag(program, w) {
                out.push(ci.finding(
                    step,
                    w.span,
                    format!("`{program} {flag}` turns off TLS certificate verification, so a man in the middle can serve anything; remove it and trust the right CA instead (`--cacert`, `--ca-certificate`)"),
                ));
            }
        }
        // `curl … | sh`: the next stage runs what was downloaded.
        if let Some(next) = step.script.downstream(cmd).next()
            && let Some(shell) = next.program().filter(|p| INTERPRETERS.contains(p))
        {
            let reads_stdin = next.args().iter().all(|a| a.text().starts_with('-'));
            if reads_stdin {
                let at = next.invocation().map_or(next.span, |(n, _)| n.span);
                out.push(ci.finding(
                        step,
                        at,
                        format!("`{program} … | {shell}` runs whatever the server sends, unreviewed and unverified; download to a file, check its checksum or signature, then run it (or install a pinned package)"),
                    ));
            }
        }
    }
    // `bash <(curl …)`, `sh -c "$(curl …)"`: a download as the interpreter's program.
    if INTERPRETERS.contains(&program) {
        for w in cmd.args() {
            let wraps_download =
                step.script.commands.iter().any(|inner| {
                    w.span.contains(inner.span) && matches!(inner.program(), Some("curl" | "wget"))
                });
            if wraps_download {
                out.push(ci.finding(
                    step,
                    w.span,
                    format!("`{program}` runs a script straight from a download, unreviewed and unverified; download to a file, check its checksum or signature, then run it"),
                ));
            }
        }
    }
}

fn is_plain_http(w: &Word) -> bool {
    let t = w.text().trim_matches(['"', '\'']);
    let Some(rest) = t.get(..7).filter(|p| p.eq_ignore_ascii_case("http://")).and(t.get(7..)) else {
        return false;
    };
    let host = rest.split(['/', ':', '?']).next().unwrap_or("");
    // Loopback and in-cluster names never leave the machine or the cluster network.
    let local = matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "0.0.0.0")
        || host.ends_with(".localhost")
        || host.ends_with(".svc")
        || host.ends_with(".svc.cluster.local")
        || host.starts_with('$')
        || !host.contains('.');
    !local && !w.opaque
}

fn insecure_flag(program: &str, w: &Word) -> Option<&'static str> {
    let t = w.value.as_deref()?;
    match (program, t) {
        ("curl", "--insecure" | "--proxy-insecure") => Some("--insecure"),
        ("wget", "--no-check-certificate") => Some("--no-check-certificate"),
        ("curl", short) if short.starts_with('-') && !short.starts_with("--") => {
            for c in short.chars().skip(1) {
                if c == 'k' {
                    return Some("-k");
                }
                if CURL_VALUE_SHORT.contains(c) {
                    return None;
                }
            }
            None
        }
        _ => None,
    }
}
