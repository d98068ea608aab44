//! GitHub Actions tokens and secrets handed out more widely than a job needs.
//!
//! - a job that runs with the default `GITHUB_TOKEN` scope: neither it nor the workflow sets
//!   `permissions:` (reusable workflows, `on: workflow_call` only, get their caller's token and are
//!   skipped);
//! - `permissions: write-all`, at the workflow or a job;
//! - `secrets: inherit` on a reusable workflow call: every secret of the repository, not the ones the
//!   called workflow uses;
//! - `toJSON(secrets)`: every secret at once, into one value.

use crate::model::Node;
use crate::pipeline::github::expr::{ExprKind, SourceMap};
use crate::pipeline::github::workflow::{Permissions, Workflow};
use crate::rules::{FileView, RawFinding, documents};
use crate::span::Span;

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let mut out = Vec::new();
    for doc in documents(file) {
        let wf = Workflow::new(doc);
        if wf.on().is_none() {
            continue;
        }
        let found =
            |span: Span, detail: String| RawFinding { span, detail: Some(detail), ..RawFinding::default() };
        if let Permissions::WriteAll(span) = wf.permissions() {
            out.push(found(
                span,
                "`permissions: write-all` gives every job of the workflow a token that can push code, publish releases and packages and change the repository's settings-adjacent data; list the scopes each job needs instead (`contents: read`, …)".into(),
            ));
        }
        let workflow_absent = wf.permissions().is_absent() && !wf.is_reusable_only();
        for job in wf.jobs() {
            match job.permissions() {
                Permissions::WriteAll(span) => out.push(found(
                    span,
                    format!("`permissions: write-all` gives job `{}` a token that can write to every scope; list only the scopes it needs", job.id),
                )),
                Permissions::Absent if workflow_absent => out.push(found(
                    job.key_span,
                    format!(
                        "job `{}` runs with the default `GITHUB_TOKEN` permissions: neither it nor the workflow sets `permissions:`, so the token gets whatever the repository or organization default is (write to most scopes on repositories created before February 2023); set `permissions:` (`contents: read` to start with) on the workflow or the job",
                        job.id
                    ),
                )),
                _ => {}
            }
            if let Some(span) = job.secrets_inherit() {
                let callee = job.uses().and_then(Node::as_str).unwrap_or("the called workflow");
                out.push(found(
                    span,
                    format!("`secrets: inherit` hands every secret of the repository to `{callee}`, not only the ones it uses; pass those by name (`secrets: {{ TOKEN: ${{{{ secrets.TOKEN }}}} }}`)"),
                ));
            }
        }
        doc.walk(&mut |n| {
            let Some(s) = n.as_str() else { return };
            if !s.contains("${{") {
                return;
            }
            let map = SourceMap::new(s, file.text, n.span);
            for (k, occ) in map.occurrences().iter().enumerate() {
                let Ok(expr) = &occ.parsed else { continue };
                expr.walk(&mut |e| {
                    let ExprKind::Call { name, args } = &e.kind else { return };
                    if !name.eq_ignore_ascii_case("tojson") {
                        return;
                    }
                    let Some(arg) = args.first().filter(|a| matches!(&a.kind, ExprKind::Ident(c) if c.eq_ignore_ascii_case("secrets"))) else {
                        return;
                    };
                    out.push(found(
                        map.source_span(k, arg.span),
                        "`toJSON(secrets)` puts every secret of the repository into one value, for this step and whatever it runs; pass the secrets it needs by name".into(),
                    ));
                });
            }
        });
    }
    out
}
