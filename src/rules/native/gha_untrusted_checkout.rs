//! `pull_request_target` / `workflow_run` / `issue_comment` workflows that check out the pull
//! request's code and then run it.
//!
//! These triggers run in the base repository with a write token and its secrets, whoever opened the
//! pull request (or wrote the comment: `issue_comment` is how "/ok-to-test" bots are built). Checking out the head (`ref: ${{ github.event.pull_request.head.sha }}`,
//! `refs/pull/N/merge`, `gh pr checkout`, `workflow_run.head_sha`) is harmless on its own; running
//! anything afterwards (a `run:` step, a local action, a build action) runs the fork's code — its
//! build scripts, test hooks, `package.json` scripts — with those privileges. Jobs guarded to the same
//! repository (`head.repo.full_name == github.repository`) are skipped.

use crate::model::Node;
use crate::pipeline::github::expr::{SourceMap, path_text};
use crate::pipeline::github::workflow::{Job, PRIVILEGED_TRIGGERS, Step, Workflow};

/// Triggers whose jobs run in the base repository's context and can be made to check out a pull
/// request: the privileged pull request triggers, and comments on pull requests.
fn checkout_trigger(name: &str) -> bool {
    PRIVILEGED_TRIGGERS.contains(&name) || name == "issue_comment"
}
use super::untrusted_artifact;
use crate::rules::{FileView, RawFinding, RawRelated, documents};
use crate::span::Span;

/// Contexts that name the pull request's (or triggering run's) head commit, branch or fork.
const HEAD_CONTEXTS: &[&str] = &[
    "github.event.pull_request.head.sha",
    "github.event.pull_request.head.ref",
    "github.event.pull_request.head.repo.full_name",
    "github.event.pull_request.merge_commit_sha",
    "github.event.pull_request.number",
    "github.event.number",
    "github.head_ref",
    "github.event.workflow_run.head_sha",
    "github.event.workflow_run.head_branch",
    "github.event.workflow_run.head_commit.id",
    "github.event.workflow_run.head_repository.full_name",
    "github.event.workflow_run.pull_requests.*.head.sha",
    "github.event.workflow_run.pull_requests.*.head.ref",
    "github.event.workflow_run.pull_requests.*.number",
];

/// Actions that build or run the checked-out code.
const BUILD_ACTIONS: &[&str] = &[
    "docker/build-push-action",
    "gradle/gradle-build-action",
    "gradle/actions/setup-gradle",
    "pre-commit/action",
    "github/codeql-action/autobuild",
    "pypa/cibuildwheel",
    "goreleaser/goreleaser-action",
    "cypress-io/github-action",
];

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let mut out = Vec::new();
    for doc in documents(file) {
        let wf = Workflow::new(doc);
        let triggers = wf.triggers();
        let Some(trigger) = triggers.iter().find(|t| checkout_trigger(&t.name)) else {
            continue;
        };
        let workflow_run = triggers.iter().find(|t| t.name == "workflow_run");
        for job in wf.jobs() {
            if same_repo_guard(job.condition()) {
                continue;
            }
            let steps = job.steps();
            for (i, step) in steps.iter().enumerate() {
                if same_repo_guard(step.condition()) {
                    continue;
                }
                let later = steps.get(i + 1..).unwrap_or(&[]);
                let (span, detail, run_span, trigger, source) = if let Some((span, what)) =
                    untrusted_checkout(file.text, step)
                {
                    let Some((run_span, run_what)) = later.iter().find_map(runs_code) else { continue };
                    let detail = format!(
                        "job `{}` runs on `{}`, in the base repository's context with its token and secrets, checks out {what}, and then {run_what}: the fork's build scripts and hooks run with those privileges",
                        job_name(&job),
                        trigger.name,
                    );
                    (span, detail, run_span, trigger, "runs code from the untrusted checkout")
                } else if let Some(trigger) = workflow_run
                    && let Some((span, what)) = untrusted_artifact::download(file.text, step)
                {
                    let Some((run_span, run_what)) = later.iter().find_map(untrusted_artifact::runs_code)
                    else {
                        continue;
                    };
                    let detail = format!(
                        "job `{}` runs on `workflow_run`, in the base repository's context with its token and secrets, downloads {what} into its workspace, and then {run_what}: a pull request's run chose those files, so they can replace what this step executes",
                        job_name(&job),
                    );
                    (span, detail, run_span, trigger, "runs code over the downloaded artifact")
                } else {
                    continue;
                };
                out.push(RawFinding {
                    span,
                    detail: Some(detail),
                    related: vec![
                        RawRelated::here(
                            trigger.span,
                            format!("`{}`: runs in the base repository's context", trigger.name),
                        ),
                        RawRelated::here(run_span, source),
                    ],
                    ..RawFinding::default()
                });
                break;
            }
        }
    }
    out
}

fn job_name(job: &Job<'_>) -> String {
    job.id.to_string()
}

/// `if:` conditions that only let pull requests from the repository itself through.
fn same_repo_guard(cond: Option<&str>) -> bool {
    let Some(c) = cond else { return false };
    let c: String = c.chars().filter(|ch| !ch.is_whitespace()).collect();
    c.contains("head.repo.full_name==github.repository")
        || c.contains("github.repository==github.event.pull_request.head.repo.full_name")
        || c.contains("head_repository.full_name==github.repository")
        || c.contains("github.repository==github.event.workflow_run.head_repository.full_name")
        || c.contains("head.repo.fork==false")
        || c.contains("!github.event.pull_request.head.repo.fork")
}

/// A checkout of the head: the span of what names it, and a description.
fn untrusted_checkout(text: &str, step: &Step<'_>) -> Option<(Span, String)> {
    if step.action().as_deref() == Some("actions/checkout") {
        for input in ["ref", "repository"] {
            let Some(node) = step.with(input) else { continue };
            if let Some(found) = head_reference(text, node) {
                return Some(found);
            }
        }
        return None;
    }
    // `gh pr checkout` in a script.
    let run = step.run()?;
    if !run.as_str()?.contains("gh pr checkout") {
        return None;
    }
    let region = text.get(run.span.range()).unwrap_or("");
    let span = match region.find("gh pr checkout") {
        Some(i) => {
            Span::new(run.span.start as usize + i, run.span.start as usize + i + "gh pr checkout".len())
        }
        None => run.span,
    };
    Some((span, "the pull request with `gh pr checkout`".to_string()))
}

/// A `ref:`/`repository:` value naming the head: the context inside it, or `refs/pull/…`.
fn head_reference(text: &str, node: &Node) -> Option<(Span, String)> {
    let value = node.as_str()?;
    if value.contains("refs/pull/") {
        return Some((node.span, format!("the pull request's merge commit (`{value}`)")));
    }
    let map = SourceMap::new(value, text, node.span);
    for (k, occ) in map.occurrences().iter().enumerate() {
        let Ok(expr) = &occ.parsed else { continue };
        for c in expr.contexts() {
            let Some(path) = c.context_path() else { continue };
            let p = path_text(&path);
            if HEAD_CONTEXTS.iter().any(|h| matches(h, &p)) {
                return Some((map.source_span(k, c.span), format!("the pull request's code (`{p}`)")));
            }
        }
    }
    None
}

fn matches(pattern: &str, path: &str) -> bool {
    let (p, q): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), path.split('.').collect());
    p.len() == q.len() && p.iter().zip(&q).all(|(a, b)| a == b || *a == "*" || *b == "*")
}

/// A step that runs code from the workspace.
fn runs_code(step: &Step<'_>) -> Option<(Span, String)> {
    if let Some(run) = step.node.entries().iter().find(|e| e.key == "run") {
        return Some((run.key_span, "runs a script in it".to_string()));
    }
    runs_action(step)
}

/// An action step that runs code from the workspace: a local action or a build action.
pub(super) fn runs_action(step: &Step<'_>) -> Option<(Span, String)> {
    let (uses, span) = step.uses()?;
    if uses.starts_with("$/") {
        // The action's files come from the running commit, but it runs in the checked-out workspace.
        return Some((span, format!("runs the repository's action `{uses}` in it")));
    }
    if step.is_local_action() {
        return Some((span, format!("runs the local action `{uses}` from it")));
    }
    let action = step.action()?;
    BUILD_ACTIONS.iter().any(|b| action == *b).then(|| (span, format!("builds it with `{action}`")))
}
