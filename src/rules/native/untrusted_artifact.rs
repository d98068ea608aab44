//! Artifact poisoning under `workflow_run`: the privileged workflow downloads an artifact that the
//! triggering run uploaded — a run a pull request from a fork controls — into its workspace, then
//! runs code there. The artifact's files can replace the scripts, lock files and configuration the
//! next step reads, or feed `$GITHUB_ENV`. GitHub Security Lab's safe form (unzip, then read a number
//! as data) is left alone: only a later step that runs something other than data handling counts.

use crate::model::Node;
use crate::pipeline::github::workflow::Step;
use crate::pipeline::shell;
use crate::span::Span;

/// Commands that only move, unpack or read files as data: running them over a poisoned artifact
/// executes nothing from it.
const DATA_ONLY: &[&str] = &[
    "unzip",
    "tar",
    "gunzip",
    "gzip",
    "zcat",
    "cat",
    "echo",
    "printf",
    "ls",
    "mkdir",
    "cp",
    "mv",
    "rm",
    "jq",
    "test",
    "[",
    "[[",
    "cd",
    "head",
    "tail",
    "wc",
    "grep",
    "find",
    "sha256sum",
    "sha1sum",
    "md5sum",
    "file",
    "stat",
    "true",
    "false",
    "exit",
    "set",
    "read",
    "tee",
    "sort",
    "uniq",
    "diff",
    "cmp",
    "touch",
    "cut",
    "tr",
    "sed",
    "awk",
    "gh",
    "curl",
];

/// Where an artifact of the triggering run is downloaded into the workspace: the span naming the
/// run (or the download call) and a description.
pub fn download(text: &str, step: &Step<'_>) -> Option<(Span, String)> {
    let action = step.action()?;
    let (_, uses_span) = step.uses()?;
    let name = step.with("name").and_then(Node::as_str).map(|n| format!(" `{n}`")).unwrap_or_default();
    match action.as_str() {
        // Without `run-id` it downloads from its own run, which is trusted.
        "actions/download-artifact" => {
            let run = step.with("run-id")?;
            (mentions_workflow_run(run) && in_workspace(step.with("path")))
                .then(|| (run.span, format!("the triggering run's artifact{name}")))
        }
        // Always downloads another workflow's artifacts.
        "dawidd6/action-download-artifact" => in_workspace(step.with("path")).then(|| {
            let span = step.with("run_id").map_or(uses_span, |n| n.span);
            (span, format!("another run's artifact{name} with `{action}`"))
        }),
        "actions/github-script" => {
            let script = step.with("script")?;
            let src = script.as_str()?;
            if !src.contains("downloadArtifact") || src.contains("runner.temp") || src.contains("RUNNER_TEMP")
            {
                return None;
            }
            let region = text.get(script.span.range()).unwrap_or("");
            let span = region.find("downloadArtifact").map_or(script.span, |i| {
                let start = script.span.start as usize + i;
                Span::new(start, start + "downloadArtifact".len())
            });
            Some((span, "the triggering run's artifact with `actions/github-script`".to_string()))
        }
        _ => None,
    }
}

fn mentions_workflow_run(node: &Node) -> bool {
    node.as_str().is_some_and(|s| s.contains("github.event.workflow_run."))
}

/// Whether a download `path:` is in the workspace (the default) rather than the runner's temp folder.
fn in_workspace(path: Option<&Node>) -> bool {
    let Some(p) = path.and_then(Node::as_str) else { return true };
    let p = p.trim();
    !(p.contains("runner.temp") || p.contains("RUNNER_TEMP") || p.starts_with("/tmp"))
}

/// A later step that runs code the artifact may have replaced, or hands its contents to the runner
/// as environment (`>> $GITHUB_ENV`, `$GITHUB_PATH`).
pub fn runs_code(step: &Step<'_>) -> Option<(Span, String)> {
    let Some(run) = step.node.entries().iter().find(|e| e.key == "run") else {
        return super::gha_untrusted_checkout::runs_action(step);
    };
    let script = shell::parse_shared(run.value.as_str()?);
    for cmd in &script.commands {
        if cmd.redirects.iter().any(|r| {
            let t = r.target.text();
            t.contains("GITHUB_ENV") || t.contains("GITHUB_PATH")
        }) {
            return Some((run.key_span, "writes to `$GITHUB_ENV`/`$GITHUB_PATH` after it".to_string()));
        }
        match cmd.program() {
            Some(p) if DATA_ONLY.contains(&p) => {}
            Some(p) => return Some((run.key_span, format!("runs `{p}` in the workspace it landed in"))),
            None if cmd.name.is_none() => {}
            None => return Some((run.key_span, "runs a command in the workspace it landed in".to_string())),
        }
    }
    None
}
