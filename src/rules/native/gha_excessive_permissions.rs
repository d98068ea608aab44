//! GitHub Actions tokens and secrets handed out more widely than a job needs.
//!
//! - a job that runs with the default `GITHUB_TOKEN` scope: neither it nor the workflow sets
//!   `permissions:` (reusable workflows, `on: workflow_call` only, get their caller's token and are
//!   skipped);
//! - `permissions: write-all`, at the workflow or a job;
//! - a write scope no step of the job uses, when every step is understood (see
//!   [`scopes`]): a job's own `permissions:`, the permissions a job passes to a local reusable
//!   workflow, and a workflow-level write scope that reaches jobs that do not use it;
//! - `secrets: inherit` on a reusable workflow call: every secret of the repository, not the ones the
//!   called workflow uses (named, for a local one);
//! - `toJSON(secrets)`: every secret at once, into one value.

use crate::model::Node;
use crate::pipeline::github::calls;
use crate::pipeline::github::expr::{
    ExprKind, Segment, SourceMap, contains_ignore_ascii_case, has_expression,
};
use crate::pipeline::github::scopes::{self, Repo, Usage};
use crate::pipeline::github::workflow::{Job, Permissions, Workflow};
use crate::pipeline::jobs;
use crate::rules::{FileView, RawFinding, documents};
use crate::span::Span;
use std::cell::OnceCell;

fn found(span: Span, detail: String) -> RawFinding {
    RawFinding { span, detail: Some(detail), ..RawFinding::default() }
}

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let mut out = Vec::new();
    for doc in documents(file) {
        let wf = Workflow::new(doc);
        if wf.on().is_none() {
            continue;
        }
        let repo = Repo { ws: file.workspace, root: calls::repo_root(file.path), ci: jobs::load(file) };
        let jobs = wf.jobs();
        // Computed only for jobs whose write scopes are judged.
        let usages: Vec<OnceCell<Usage>> = jobs.iter().map(|_| OnceCell::new()).collect();
        let usage = |i: usize| usages[i].get_or_init(|| scopes::job_usage(repo, &wf, &jobs[i]));
        let inheriting: Vec<usize> = (0..jobs.len()).filter(|&i| jobs[i].permissions().is_absent()).collect();
        match wf.permissions() {
            Permissions::WriteAll(span) => {
                let needs = needs_of(inheriting.iter().map(|&i| usage(i)));
                out.push(found(
                    span,
                    format!("`permissions: write-all` gives every job of the workflow a token that can push code, publish releases and packages and change the repository's settings-adjacent data{needs}; list the scopes each job needs instead (`contents: read`, …)"),
                ));
            }
            Permissions::Scopes(scopes) => {
                for (scope, _, span) in scopes.iter().filter(|(_, l, _)| l == "write") {
                    if let Some(detail) = workflow_scope(scope, &jobs, &inheriting, &usage) {
                        out.push(found(*span, detail));
                    }
                }
            }
            _ => {}
        }
        let workflow_absent = wf.permissions().is_absent() && !wf.is_reusable_only();
        for (i, job) in jobs.iter().enumerate() {
            match job.permissions() {
                Permissions::WriteAll(span) => {
                    let needs = needs_of(std::iter::once(usage(i)));
                    out.push(found(
                        span,
                        format!("`permissions: write-all` gives job `{}` a token that can write to every scope{needs}; list only the scopes it needs", job.id),
                    ));
                }
                Permissions::Absent if workflow_absent => out.push(found(
                    job.key_span,
                    format!(
                        "job `{}` runs with the default `GITHUB_TOKEN` permissions: neither it nor the workflow sets `permissions:`, so the token gets whatever the repository or organization default is (write to most scopes on repositories created before February 2023); set `permissions:` (`contents: read` to start with) on the workflow or the job",
                        job.id
                    ),
                )),
                Permissions::Scopes(scopes) => {
                    for (scope, _, span) in scopes.iter().filter(|(_, l, _)| l == "write") {
                        let u = usage(i);
                        if u.leaves_unused(scope) {
                            out.push(found(*span, job_scope(scope, job, u)));
                        }
                    }
                }
                _ => {}
            }
            if let Some(span) = job.secrets_inherit() {
                out.push(found(span, secrets_inherit(repo, job)));
            }
        }
        doc.walk(&mut |n| {
            let Some(s) = n.as_str() else { return };
            // Function names are case-insensitive: only a string that spells `tojson` in some case
            // can call it, and mapping the others' expressions was a fifth of the rule's cost.
            if !has_expression(s) || !contains_ignore_ascii_case(s, "tojson") {
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

/// What a scope's write access is for, as a verb phrase: "none of its steps pushes …" (third person)
/// or "whose steps never push …" (`plural`).
fn writes_to(scope: &str, plural: bool) -> String {
    let (one, many) = match scope {
        "contents" => {
            ("pushes commits or tags, or creates a release", "push commits or tags, or create a release")
        }
        "id-token" => (
            "requests an OIDC token (cloud login, keyless signing, trusted publishing)",
            "request an OIDC token (cloud login, keyless signing, trusted publishing)",
        ),
        "pull-requests" => (
            "comments on, labels, creates or merges a pull request",
            "comment on, label, create or merge a pull request",
        ),
        "issues" => ("comments on, labels or edits an issue", "comment on, label or edit an issue"),
        "packages" => (
            "publishes a package or container image to GitHub Packages",
            "publish a package or container image to GitHub Packages",
        ),
        "pages" => ("deploys GitHub Pages", "deploy GitHub Pages"),
        "actions" => (
            "cancels, re-runs or dispatches workflow runs, or deletes caches",
            "cancel, re-run or dispatch workflow runs, or delete caches",
        ),
        "security-events" => ("uploads code scanning results", "upload code scanning results"),
        "attestations" => ("creates an artifact attestation", "create an artifact attestation"),
        other => return format!("{} through the `{other}` API", if plural { "write" } else { "writes" }),
    };
    (if plural { many } else { one }).to_string()
}

/// `; it runs `actions/checkout`, `npm test`` — what was looked at, so a reader can check the claim.
fn steps_list(u: &Usage) -> String {
    let mut steps: Vec<&str> = Vec::new();
    for s in &u.steps {
        if !steps.contains(&s.as_str()) {
            steps.push(s);
        }
    }
    match steps.len() {
        0 => String::new(),
        n if n <= 6 => format!("; it runs {}", steps.join(", ")),
        n => format!("; it runs {} and {} more", steps[..5].join(", "), n - 5),
    }
}

fn job_scope(scope: &str, job: &Job<'_>, u: &Usage) -> String {
    let passed = job.uses().and_then(Node::as_str);
    let subject = match passed {
        Some(callee) => format!("passed to `{callee}` by job `{}`, but none of that workflow's jobs", job.id),
        None => format!("granted to job `{}`, but none of its steps", job.id),
    };
    format!(
        "`{scope}: write` is {subject} {}{}. The write access only helps whoever compromises a step: {}",
        writes_to(scope, false),
        if passed.is_some() { String::new() } else { steps_list(u) },
        fix(scope),
    )
}

/// How to take the write access away (`id-token` has no `read` level).
fn fix(scope: &str) -> String {
    if scope == "id-token" {
        "remove `id-token: write`".into()
    } else {
        format!("use `{scope}: read` (or remove it)")
    }
}

/// A workflow-level write scope: unused by every job that inherits it, or reaching several jobs of
/// which some do not use it.
fn workflow_scope<'u>(
    scope: &str,
    jobs: &[Job<'_>],
    inheriting: &[usize],
    usage: &impl Fn(usize) -> &'u Usage,
) -> Option<String> {
    if inheriting.is_empty() {
        return None;
    }
    let names = |ix: &[usize]| ix.iter().map(|&i| format!("`{}`", jobs[i].id)).collect::<Vec<_>>().join(", ");
    let unused: Vec<usize> = inheriting.iter().copied().filter(|&i| usage(i).leaves_unused(scope)).collect();
    let using: Vec<usize> =
        inheriting.iter().copied().filter(|&i| usage(i).writes.contains_key(scope)).collect();
    if unused.len() == inheriting.len() {
        let (whom, their, steps) = match inheriting {
            [only] => (format!("job `{}`", jobs[*only].id), "its", steps_list(usage(*only))),
            _ => (format!("every job ({})", names(inheriting)), "their", String::new()),
        };
        return Some(format!(
            "`{scope}: write` is granted to {whom} through the workflow's `permissions:`, but none of {their} steps {}{steps}. The write access only helps whoever compromises a step: {}",
            writes_to(scope, false),
            fix(scope),
        ));
    }
    if inheriting.len() < 2 || using.len() == inheriting.len() {
        return None;
    }
    let need = if using.is_empty() { String::new() } else { format!(" (here: {})", names(&using)) };
    if unused.is_empty() {
        return Some(format!(
            "`{scope}: write` at the workflow level reaches all {} jobs that do not set their own `permissions:` ({}); grant it only on the jobs that need it{need} and {}",
            inheriting.len(),
            names(inheriting),
            keep(scope),
        ));
    }
    Some(format!(
        "`{scope}: write` at the workflow level also reaches {} {}, whose steps never {}; grant it only on the jobs that need it{need} and {}",
        if unused.len() == 1 { "job" } else { "jobs" },
        names(&unused),
        writes_to(scope, true),
        keep(scope),
    ))
}

fn keep(scope: &str) -> String {
    if scope == "id-token" {
        "remove it from the workflow's `permissions:`".into()
    } else {
        format!("keep the workflow at `{scope}: read`")
    }
}

/// `, and it needs only `contents: write`` when every step of the jobs is understood.
fn needs_of<'u>(usages: impl Iterator<Item = &'u Usage>) -> String {
    let mut writes: Vec<&str> = Vec::new();
    for u in usages {
        if u.unknown.is_some() || u.unknown_oidc.is_some() {
            return String::new();
        }
        writes.extend(u.writes.keys().map(String::as_str));
    }
    writes.sort_unstable();
    writes.dedup();
    if writes.is_empty() {
        return ", while no step needs any write access".into();
    }
    let list: Vec<String> = writes.iter().map(|s| format!("`{s}: write`")).collect();
    format!(", while its steps need only {}", list.join(", "))
}

/// `secrets: inherit`: for a local reusable workflow, the secrets it actually reads.
fn secrets_inherit(repo: Repo<'_>, job: &Job<'_>) -> String {
    let callee = job.uses().and_then(Node::as_str).unwrap_or("the called workflow");
    let local = repo.root.and_then(|root| calls::resolve_workflow(repo.ws, root, callee));
    let generic = format!(
        "`secrets: inherit` hands every secret of the repository to `{callee}`, not only the ones it uses; pass those by name (`secrets: {{ TOKEN: ${{{{ secrets.TOKEN }}}} }}`)"
    );
    let Some(called) = local else { return generic };
    let Some(read) = secrets_read(&called.file.text) else { return generic };
    match read.as_slice() {
        [] => format!(
            "`secrets: inherit` hands every secret of the repository to `{callee}`, which reads none; remove it"
        ),
        names => {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            let first = &names[0];
            format!(
                "`secrets: inherit` hands every secret of the repository to `{callee}`, which reads only {}; pass those by name (`secrets: {{ {first}: ${{{{ secrets.{first} }}}} }}`)",
                list.join(", ")
            )
        }
    }
}

/// The secret names a workflow reads (`secrets.NAME`, not `GITHUB_TOKEN`); `None` when it reads them
/// in a way that cannot be listed (`secrets[x]`, `toJSON(secrets)`).
fn secrets_read(text: &str) -> Option<Vec<String>> {
    let mut names: Vec<String> = Vec::new();
    for occ in crate::pipeline::github::expr::find(text) {
        let Ok(e) = &occ.parsed else { return None };
        for path in e.contexts().into_iter().filter_map(|c| c.context_path()) {
            match path.as_slice() {
                [Segment::Name(h), Segment::Name(n), ..]
                    if h == "secrets"
                        && n != "github_token"
                        && !names.iter().any(|m| m.eq_ignore_ascii_case(n)) =>
                {
                    names.push(n.to_ascii_uppercase());
                }
                [Segment::Name(h), Segment::Name(_), ..] if h == "secrets" => {}
                [Segment::Name(h), ..] if h == "secrets" => return None,
                _ => {}
            }
        }
    }
    names.sort();
    Some(names)
}
