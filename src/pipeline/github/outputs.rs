//! Step outputs that carry a value an outsider controls, for `${{ steps.<id>.outputs.<name> }}`:
//!
//! - an `actions/github-script` step whose script returns a field of the event payload an outsider
//!   writes (`return context.payload.pull_request.body`): its `result`;
//! - a `run:` step that writes `name=…` to `$GITHUB_OUTPUT` with such a value, inline
//!   (`${{ github.event.issue.title }}`) or through an environment variable set from one;
//! - on pull request triggers, actions whose outputs list the pull request's file or branch names
//!   (`tj-actions/changed-files`, `dorny/paths-filter`, `tj-actions/branch-names`): a file name can
//!   hold `$(…)`.
//!
//! Anything else an output may hold is unknown, and unknown is never flagged.

use super::expr::{self, Expr, path_text};
use super::taint::{TAINTED, tainted, tainted_source};
use super::workflow::{Job, Step, Workflow, env_value};
use crate::model::Node;
use crate::pipeline::shell::{self, Embedded};
use crate::span::Span;

/// Where an output's outsider-controlled value comes from.
#[derive(Clone, Debug, PartialEq)]
pub struct TaintedOutput {
    /// The context or payload field (`github.event.pull_request.title`, `the pull request's file names`).
    pub source: String,
    pub who: &'static str,
    /// Where the step sets it (in the file).
    pub span: Span,
}

/// Which outputs of an action hold names from the pull request.
type Outputs = fn(&str) -> bool;

/// Actions whose outputs hold names from the pull request, which outputs, and what they hold.
const NAME_OUTPUTS: &[(&str, Outputs, &str)] = &[
    (
        "tj-actions/changed-files",
        |o| o.contains("files") && !o.ends_with("_count"),
        "the pull request's file names",
    ),
    ("dorny/paths-filter", |o| o.ends_with("_files"), "the pull request's file names"),
    ("tj-actions/branch-names", |o| o.contains("branch"), "the pull request's branch name"),
];

/// What `steps.<id>.outputs.<name>` holds when it is outsider-controlled. `steps` are the job's, and
/// only those before `before` can have run; `pr` says whether the workflow runs on pull requests.
pub fn step_output(
    text: &str,
    at: (&Workflow<'_>, Option<&Job<'_>>),
    steps: &[Step<'_>],
    before: usize,
    id: &str,
    name: &str,
    pr: bool,
) -> Option<TaintedOutput> {
    let step = steps.iter().take(before).find(|s| {
        s.node.get("id").and_then(Node::as_str).is_some_and(|s_id| s_id.eq_ignore_ascii_case(id))
    })?;
    let action = step.action().unwrap_or_default();
    if action == "actions/github-script" && name.eq_ignore_ascii_case("result") {
        return script_result(step);
    }
    if let Some((_, keep, source)) = NAME_OUTPUTS.iter().find(|(a, _, _)| *a == action) {
        let span = step.uses().map_or(step.node.span, |(_, s)| s);
        return (pr && keep(&name.to_ascii_lowercase())).then(|| TaintedOutput {
            source: source.to_string(),
            who: "whoever opens the pull request",
            span,
        });
    }
    let run = step.run()?;
    written_output(text, at, step, run, name)
}

/// `return context.payload.<field>` (or `${{ github.event.<field> }}`) in a github-script step.
fn script_result(step: &Step<'_>) -> Option<TaintedOutput> {
    let script = step.with("script")?;
    let code = script.as_str()?;
    if !code.contains("return") {
        return None;
    }
    if let Some(source) = tainted_source(code) {
        let who = expr::parse(&source).ok()?.context_path().and_then(|p| tainted(&p))?;
        return Some(TaintedOutput { source, who, span: script.span });
    }
    TAINTED.iter().filter(|(p, _)| !p.contains('*')).find_map(|(pattern, who)| {
        let field = pattern.strip_prefix("github.event.")?;
        let js = format!("context.payload.{field}");
        let at = code.find(&js)?;
        // `context.payload.issue.title_x` is another field.
        let next = code.as_bytes().get(at + js.len()).copied().unwrap_or(b' ');
        (!(next.is_ascii_alphanumeric() || next == b'_')).then_some(TaintedOutput {
            source: js,
            who,
            span: script.span,
        })
    })
}

/// `echo "name=…" >> "$GITHUB_OUTPUT"` with an outsider's value.
fn written_output(
    text: &str,
    (wf, job): (&Workflow<'_>, Option<&Job<'_>>),
    step: &Step<'_>,
    run: &Node,
    name: &str,
) -> Option<TaintedOutput> {
    let code = run.as_str()?;
    if !code.contains("GITHUB_OUTPUT") {
        return None;
    }
    let script = shell::parse_shared(code);
    let embedded = Embedded::new(code, text, run.span);
    for cmd in &script.commands {
        if !matches!(cmd.program(), Some("echo" | "printf")) {
            continue;
        }
        if !cmd.redirects.iter().any(|r| r.target.raw.contains("GITHUB_OUTPUT")) {
            continue;
        }
        let words: Vec<&str> = cmd.args().iter().map(|w| w.raw.as_str()).collect();
        let line = words.join(" ");
        let unquoted = line.trim_start_matches(['"', '\'']);
        let Some((key, value)) = unquoted.split_once('=') else { continue };
        if !key.trim().eq_ignore_ascii_case(name) {
            continue;
        }
        let span = embedded.source_span(cmd.span);
        if let Some(source) = tainted_source(value) {
            let who = expr::parse(&source).ok()?.context_path().and_then(|p| tainted(&p))?;
            return Some(TaintedOutput { source, who, span });
        }
        for w in cmd.args() {
            for v in &w.vars {
                let Some(env) = env_value(wf, job, step, &v.name).and_then(Node::as_str) else { continue };
                let Some(source) = tainted_source(env) else { continue };
                let who = expr::parse(&source).ok().and_then(|e| e.context_path()).and_then(|p| tainted(&p));
                if let Some(who) = who {
                    return Some(TaintedOutput { source, who, span });
                }
            }
        }
    }
    None
}

/// `steps.<id>.outputs.<name>` as `(id, name)`.
pub fn output_ref(c: &Expr) -> Option<(String, String)> {
    let path = c.context_path()?;
    let text = path_text(&path);
    let mut parts = text.splitn(4, '.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("steps"), Some(id), Some("outputs"), Some(name)) if !name.contains('.') => {
            Some((id.to_string(), name.to_string()))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};

    fn output(text: &str, pr: bool) -> Option<TaintedOutput> {
        let doc = yaml::parse(text, &Limits::default()).docs.into_iter().next().unwrap();
        let wf = Workflow::new(&doc);
        let job = wf.jobs().into_iter().next().unwrap();
        let steps = job.steps();
        let last = steps.len() - 1;
        let c = expr::find(steps[last].run().and_then(Node::as_str).unwrap())[0].parsed.clone().unwrap();
        let (id, name) = output_ref(&c).unwrap();
        step_output(text, (&wf, Some(&job)), &steps, last, &id, &name, pr)
    }

    #[test]
    fn outputs_that_carry_outsider_values() {
        let head = "on: pull_request\njobs:\n  a:\n    runs-on: x\n    steps:\n";
        let script = format!(
            "{head}      - id: b\n        uses: actions/github-script@v7\n        with:\n          script: return context.payload.pull_request.body\n      - run: echo ${{{{ steps.b.outputs.result }}}}\n"
        );
        assert_eq!(
            output(&script, true).map(|o| o.source).as_deref(),
            Some("context.payload.pull_request.body")
        );
        let number = script.replace("pull_request.body", "pull_request.number");
        assert!(output(&number, true).is_none());
        let run = format!(
            "{head}      - id: t\n        env:\n          T: ${{{{ github.event.pull_request.title }}}}\n        run: echo \"title=$T\" >> \"$GITHUB_OUTPUT\"\n      - run: echo ${{{{ steps.t.outputs.title }}}}\n"
        );
        assert_eq!(output(&run, true).map(|o| o.source).as_deref(), Some("github.event.pull_request.title"));
        let other = run.replace("outputs.title", "outputs.other");
        assert!(output(&other, true).is_none());
        let files = format!(
            "{head}      - id: c\n        uses: tj-actions/changed-files@v45\n      - run: echo ${{{{ steps.c.outputs.all_changed_files }}}}\n"
        );
        assert!(output(&files, true).is_some());
        assert!(output(&files, false).is_none(), "on push, file names come from people who can push");
    }
}
