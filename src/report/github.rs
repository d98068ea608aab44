//! GitHub Actions workflow commands: one `::error file=…,line=…::message` line per active finding and
//! per diagnostic, which the runner turns into annotations on the pull request's diff.
//!
//! Severity maps to the command: critical and high are `error`, medium and low `warning`, info
//! `notice`. Suppressed findings are left out. Values are escaped as the runner expects: in the
//! message `%`, `\r` and `\n`; in properties also `:` and `,`.

use super::{RenderOptions, code_name};
use crate::finding::{Diagnostic, Finding, Level, Report};
use crate::rules::meta::Severity;
use std::fmt::Write as _;

pub(super) fn render(report: &Report, _opts: &RenderOptions) -> String {
    let mut out = String::new();
    for f in report.active_findings() {
        finding(&mut out, f);
    }
    for d in &report.diagnostics {
        diagnostic(&mut out, d);
    }
    out
}

fn finding(out: &mut String, f: &Finding) {
    let command = match f.severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium | Severity::Low => "warning",
        Severity::Info => "notice",
    };
    let l = &f.location;
    let title = format!("{} [{}] ({})", f.rule.name, f.rule.code, f.severity);
    let _ = writeln!(
        out,
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        property(&l.path),
        l.start.line.max(1),
        l.start.column.max(1),
        l.end.line.max(1),
        l.end.column.max(1),
        property(&title),
        data(&format!("{}\n{}", f.message, f.rule.help)),
    );
}

fn diagnostic(out: &mut String, d: &Diagnostic) {
    let command = match d.level {
        Level::Error => "error",
        Level::Warning => "warning",
        Level::Note => "notice",
    };
    let mut props = format!("file={}", property(&d.path));
    if let Some(l) = &d.location {
        let _ = write!(props, ",line={},col={}", l.start.line.max(1), l.start.column.max(1));
    }
    let title = format!("smelt {}", code_name(d.code));
    let _ = writeln!(out, "::{command} {props},title={}::{}", property(&title), data(&d.message));
}

/// Escapes a command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// Escapes a command property's value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(data("50%\r\ndone: a,b"), "50%25%0D%0Adone: a,b");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
