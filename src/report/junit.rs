//! JUnit XML, for CI systems that show test reports (GitLab `artifacts:reports:junit`, Jenkins, Azure
//! Pipelines, …).
//!
//! One `<testsuite>` per enabled rule, named after the rule, so a dashboard reads as "which policies
//! pass". Each finding is a `<testcase>` named `path:line:column` with a `<failure>`; a suppressed
//! finding is a `<skipped>` test case carrying the suppression's reason; a rule with no finding has one
//! passing test case, `no findings`. Diagnostics go in a last suite, `smelt diagnostics`: an
//! error-level one is an `<error>`, the others pass with their message as `<system-out>`.

use super::{RenderOptions, code_name, level_name};
use crate::finding::{Diagnostic, Finding, Level, Report};
use std::fmt::Write as _;

pub(super) fn render(report: &Report, _opts: &RenderOptions) -> String {
    let mut suites = String::new();
    let (mut tests, mut failures, mut errors, mut skipped) = (0, 0, 0, 0);
    for rule in &report.rules {
        let findings: Vec<&Finding> = report.findings.iter().filter(|f| f.rule.name == rule.name).collect();
        let failed = findings.iter().filter(|f| f.suppressed.is_none()).count();
        let skip = findings.len() - failed;
        let count = findings.len().max(1);
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{count}\" failures=\"{failed}\" errors=\"0\" skipped=\"{skip}\">",
            escape(&rule.name)
        );
        if findings.is_empty() {
            let _ =
                writeln!(suites, "    <testcase name=\"no findings\" classname=\"{}\"/>", escape(&rule.name));
        }
        for f in &findings {
            testcase(&mut suites, f);
        }
        suites.push_str("  </testsuite>\n");
        tests += count;
        failures += failed;
        skipped += skip;
    }
    if !report.diagnostics.is_empty() {
        let errored = report.diagnostics.iter().filter(|d| d.level == Level::Error).count();
        let _ = writeln!(
            suites,
            "  <testsuite name=\"smelt diagnostics\" tests=\"{}\" failures=\"0\" errors=\"{errored}\" skipped=\"0\">",
            report.diagnostics.len()
        );
        for d in &report.diagnostics {
            diagnostic(&mut suites, d);
        }
        suites.push_str("  </testsuite>\n");
        tests += report.diagnostics.len();
        errors += errored;
    }
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"smelt\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"{skipped}\">"
    );
    out.push_str(&suites);
    out.push_str("</testsuites>\n");
    out
}

fn testcase(out: &mut String, f: &Finding) {
    let l = &f.location;
    let name = format!("{}:{}:{}", l.path, l.start.line, l.start.column);
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\">",
        escape(&name),
        escape(&f.rule.name),
        escape(&l.path)
    );
    match &f.suppressed {
        Some(s) => {
            let _ = writeln!(
                out,
                "      <skipped message=\"{}\"/>",
                escape(&format!("suppressed: {}", s.reason))
            );
        }
        None => {
            let body = format!(
                "{name}: {} {} [{}]: {}\n{}",
                f.severity, f.rule.name, f.rule.code, f.message, f.rule.help
            );
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                escape(&f.message),
                f.severity,
                escape_text(&body)
            );
        }
    }
    out.push_str("    </testcase>\n");
}

fn diagnostic(out: &mut String, d: &Diagnostic) {
    let name = match &d.location {
        Some(l) => format!("{}:{}:{}", d.path, l.start.line, l.start.column),
        None => d.path.clone(),
    };
    let code = code_name(d.code);
    let _ = writeln!(
        out,
        "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\">",
        escape(&name),
        escape(&code),
        escape(&d.path)
    );
    let text = format!("{name}: {} {code}: {}", level_name(d.level), d.message);
    if d.level == Level::Error {
        let _ = writeln!(
            out,
            "      <error message=\"{}\" type=\"{code}\">{}</error>",
            escape(&d.message),
            escape_text(&text)
        );
    } else {
        let _ = writeln!(out, "      <system-out>{}</system-out>", escape_text(&text));
    }
    out.push_str("    </testcase>\n");
}

/// Escapes element content: as [`escape`], but line breaks and tabs stay as they are.
fn escape_text(s: &str) -> String {
    escape(s).replace("&#10;", "\n").replace("&#9;", "\t")
}

/// Escapes text for an XML attribute or element. Characters XML 1.0 cannot hold at all (most control
/// characters) become U+FFFD; line breaks and tabs become character references so attributes keep them.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_drops_what_xml_cannot_hold() {
        assert_eq!(
            escape("a<b & \"c\" 'd'>\n\u{1}"),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt;&#10;\u{FFFD}"
        );
    }
}
