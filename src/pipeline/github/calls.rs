//! Local reusable workflows (`jobs.<id>.uses: ./.github/workflows/x.yml`) and local composite actions
//! (`steps[*].uses: ./.github/actions/x`): the file a call runs, the calls of a file, and the inputs
//! that callers fill with values an outsider controls.
//!
//! Files are read through the [`Workspace`] (the run's inputs and editor buffers, then the disk),
//! inside the repository only: a local `uses` path is relative to the repository folder, the one
//! holding `.github/`. Looking for callers reads the workflows of `.github/workflows` and the actions
//! under `.github/`, and parses only those whose text names the callee.

use super::expr::{self, Segment};
use super::taint;
use super::workflow::{Workflow, env_entry};
use crate::model::{Entry, Node};
use crate::parse::{Limits, yaml};
use crate::rules::OtherFile;
use crate::span::Span;
use crate::workspace::{Workspace, join, parent};
use std::sync::Arc;

/// How many calls deep an input is followed (a workflow passing its input to an action that passes it
/// to another).
const MAX_DEPTH: usize = 3;
/// How deep below `.github/` actions are looked for.
const ACTION_DEPTH: usize = 4;
/// At most this many files naming a callee are parsed when looking for its calls.
const MAX_CALLER_FILES: usize = 200;

/// A workflow or action file read through the workspace, with its first document.
#[derive(Clone, Debug)]
pub struct GithubFile {
    pub file: Arc<OtherFile>,
    pub doc: Node,
}

impl GithubFile {
    pub fn read(ws: &Workspace, root: &str, rel: &str) -> Option<GithubFile> {
        let (path, text) = ws.read(root, rel)?;
        let doc = yaml::parse(&text, &Limits::default()).docs.into_iter().next()?;
        Some(GithubFile { file: Arc::new(OtherFile { path, text }), doc })
    }

    pub fn path(&self) -> &str {
        &self.file.path
    }

    pub fn workflow(&self) -> Workflow<'_> {
        Workflow::new(&self.doc)
    }
}

/// The repository folder of a file under `.github/` (the part of its path before that folder).
pub fn repo_root(path: &str) -> Option<&str> {
    if path.starts_with(".github/") {
        return Some("");
    }
    path.rfind("/.github/").and_then(|i| path.get(..i))
}

/// The repository folder of any GitHub file: before `.github/`, else the nearest folder above the
/// file that has a `.github/workflows` folder.
pub fn find_root(ws: &Workspace, path: &str) -> Option<String> {
    if let Some(root) = repo_root(path) {
        return Some(root.to_string());
    }
    let mut dir = parent(path);
    for _ in 0..8 {
        if !ws.list(dir, ".github/workflows", 0).is_empty() {
            return Some(dir.to_string());
        }
        if dir.is_empty() {
            return None;
        }
        dir = parent(dir);
    }
    None
}

/// The repository-relative target of a local `uses` (`./.github/actions/x/` → `.github/actions/x`),
/// or `None` for a remote or Docker one. `""` is the repository folder itself (`uses: ./`).
/// GitHub's self-repository form `$/.github/actions/x` names the same files, read at the running
/// commit instead of from the workspace.
pub fn local_target(uses: &str) -> Option<String> {
    let uses = uses.trim();
    let rest = uses.strip_prefix("./").or_else(|| uses.strip_prefix("$/"))?;
    let rest = rest.trim_end_matches('/');
    (!rest.contains('@') && !rest.contains("..")).then(|| rest.to_string())
}

/// The composite (or other) action a step's local `uses` names.
pub fn resolve_action(ws: &Workspace, root: &str, uses: &str) -> Option<GithubFile> {
    let dir = local_target(uses)?;
    ["action.yml", "action.yaml"].iter().find_map(|name| {
        let rel = if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") };
        GithubFile::read(ws, root, &rel)
    })
}

/// The reusable workflow a job's local `uses` names.
pub fn resolve_workflow(ws: &Workspace, root: &str, uses: &str) -> Option<GithubFile> {
    let rel = local_target(uses)?;
    GithubFile::read(ws, root, &rel)
}

/// One call of a local workflow or action.
#[derive(Clone, Debug)]
pub struct CallSite {
    pub caller: Arc<GithubFile>,
    /// The calling job's id (`None` for a step of a composite action).
    pub job: Option<String>,
    /// The calling step's index, for an action call.
    pub step: Option<usize>,
    pub uses_span: Span,
}

impl CallSite {
    /// The node holding the call: the job (workflow call) or the step (action call).
    pub fn node(&self) -> Option<&Node> {
        fn step_of(n: &Node, i: usize) -> Option<&Node> {
            n.get("steps")?.items().get(i)
        }
        let doc = &self.caller.doc;
        match (&self.job, self.step) {
            (Some(job), None) => doc.get("jobs")?.get(job),
            (Some(job), Some(i)) => step_of(doc.get("jobs")?.get(job)?, i),
            (None, Some(i)) => step_of(doc.get("runs")?, i),
            (None, None) => None,
        }
    }

    /// The `with:` entry that sets input `name` (input names are case-insensitive).
    pub fn with_input(&self, name: &str) -> Option<&Entry> {
        self.node()?.get("with")?.entries().iter().find(|e| e.key.eq_ignore_ascii_case(name))
    }

    /// How the call is named in messages: `.github/workflows/ci.yml` (job `build`), with the path
    /// from the repository folder.
    pub fn describe(&self) -> String {
        let path = self.caller.path();
        let shown = match repo_root(path) {
            Some("") | None => path,
            Some(root) => path.get(root.len() + 1..).unwrap_or(path),
        };
        match &self.job {
            Some(job) => format!("`{shown}` (job `{job}`)"),
            None => format!("`{shown}`"),
        }
    }
}

/// What a callee at `path` is called by: a reusable workflow's callers are jobs, an action's steps.
enum Callee {
    Workflow(String),
    Action(String),
}

fn callee_of(path: &str, root: &str) -> Option<Callee> {
    let rel = if root.is_empty() { path } else { path.strip_prefix(root)?.strip_prefix('/')? };
    let name = rel.rsplit('/').next().unwrap_or(rel);
    if name == "action.yml" || name == "action.yaml" {
        return Some(Callee::Action(parent(rel).to_string()));
    }
    (parent(rel) == ".github/workflows").then(|| Callee::Workflow(rel.to_string()))
}

/// Every call of the workflow or action at `path` (a display path) from the repository's workflows
/// and the actions under `.github/`.
pub fn callers(ws: &Workspace, path: &str) -> Vec<CallSite> {
    let Some(root) = find_root(ws, path) else { return Vec::new() };
    let Some(callee) = callee_of(path, &root) else { return Vec::new() };
    let needle = match &callee {
        Callee::Workflow(rel) | Callee::Action(rel) => rel.clone(),
    };
    let mut candidates: Vec<String> = ws
        .list(&root, ".github/workflows", 0)
        .into_iter()
        .filter(|p| p.ends_with(".yml") || p.ends_with(".yaml"))
        .collect();
    candidates.extend(
        ws.list(&root, ".github", ACTION_DEPTH)
            .into_iter()
            .filter(|p| p.ends_with("/action.yml") || p.ends_with("/action.yaml")),
    );
    candidates.sort();
    candidates.dedup();
    let mut out = Vec::new();
    let mut parsed = 0;
    for rel in candidates {
        if join(&root, &rel) == path {
            continue;
        }
        let Some((shown, text)) = ws.read(&root, &rel) else { continue };
        if !(text.contains(needle.as_str())
            || needle.is_empty() && (text.contains("./") || text.contains("$/")))
        {
            continue;
        }
        parsed += 1;
        if parsed > MAX_CALLER_FILES {
            break;
        }
        let Some(doc) = yaml::parse(&text, &Limits::default()).docs.into_iter().next() else { continue };
        let caller = Arc::new(GithubFile { file: Arc::new(OtherFile { path: shown, text }), doc });
        out.extend(calls_in(&caller, &callee));
    }
    out
}

fn calls_in(caller: &Arc<GithubFile>, callee: &Callee) -> Vec<CallSite> {
    let wf = caller.workflow();
    let names = |uses: &Node, target: &str| uses.as_str().and_then(local_target).is_some_and(|t| t == target);
    let mut out = Vec::new();
    for job in wf.jobs() {
        match callee {
            Callee::Workflow(target) => {
                if let Some(u) = job.uses().filter(|u| names(u, target)) {
                    out.push(CallSite {
                        caller: caller.clone(),
                        job: Some(job.id.to_string()),
                        step: None,
                        uses_span: u.span,
                    });
                }
            }
            Callee::Action(target) => {
                for step in job.steps() {
                    if let Some(u) = step.node.get("uses").filter(|u| names(u, target)) {
                        out.push(CallSite {
                            caller: caller.clone(),
                            job: Some(job.id.to_string()),
                            step: Some(step.index),
                            uses_span: u.span,
                        });
                    }
                }
            }
        }
    }
    if let Callee::Action(target) = callee {
        for step in wf.composite_steps() {
            if let Some(u) = step.node.get("uses").filter(|u| names(u, target)) {
                out.push(CallSite {
                    caller: caller.clone(),
                    job: None,
                    step: Some(step.index),
                    uses_span: u.span,
                });
            }
        }
    }
    out
}

/// An input of a workflow or action that a caller fills with a value an outsider controls.
#[derive(Clone, Debug)]
pub struct TaintedInput {
    /// The input's name as the callee declares or reads it (lower-cased).
    pub input: String,
    /// The context the value comes from (`github.event.pull_request.title`).
    pub source: String,
    /// Who sets that context.
    pub who: &'static str,
    /// The call passing it, and the `with:` value that does (in the caller's file).
    pub call: CallSite,
    pub with_span: Span,
    /// Where the value entered further up, for nested calls (a workflow passing its own input on),
    /// outermost first.
    pub upstream: Vec<Hop>,
}

/// A `with:` value further up a chain of calls.
#[derive(Clone, Debug)]
pub struct Hop {
    pub file: Arc<OtherFile>,
    pub span: Span,
    pub input: String,
}

/// The inputs of the workflow or action at `path` that some caller fills with a value an outsider
/// controls, directly or through its own inputs (up to [`MAX_DEPTH`] calls up).
pub fn tainted_inputs(ws: &Workspace, path: &str) -> Vec<TaintedInput> {
    tainted_inputs_at(ws, path, 0)
}

fn tainted_inputs_at(ws: &Workspace, path: &str, depth: usize) -> Vec<TaintedInput> {
    if depth >= MAX_DEPTH {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut caller_inputs: Option<(String, Vec<TaintedInput>)> = None;
    for call in callers(ws, path) {
        let Some(with) = call.node().and_then(|n| n.get("with")) else { continue };
        for entry in with.entries() {
            let Some(value) = entry.value.as_str() else { continue };
            for occ in expr::find(value) {
                let Ok(e) = &occ.parsed else { continue };
                for c in e.dataflow_contexts() {
                    let Some(ctx) = c.context_path() else { continue };
                    let mut push = |source: String, who: &'static str, upstream: Vec<Hop>| {
                        out.push(TaintedInput {
                            input: entry.key.to_ascii_lowercase(),
                            source,
                            who,
                            call: call.clone(),
                            with_span: entry.value.span,
                            upstream,
                        })
                    };
                    if let Some(who) = taint::tainted(&ctx) {
                        push(expr::path_text(&ctx), who, Vec::new());
                        continue;
                    }
                    match ctx.as_slice() {
                        [Segment::Name(head), Segment::Name(name)] if head == "env" => {
                            if let Some((source, who)) = env_source(&call, name) {
                                push(source, who, Vec::new());
                            }
                        }
                        [Segment::Name(head), Segment::Name(name)] if head == "inputs" => {
                            let caller_path = call.caller.path().to_string();
                            if caller_inputs.as_ref().is_none_or(|(p, _)| *p != caller_path) {
                                let found = tainted_inputs_at(ws, &caller_path, depth + 1);
                                caller_inputs = Some((caller_path, found));
                            }
                            let upstream = caller_inputs.as_ref().map_or(&[][..], |(_, t)| &t[..]);
                            for up in upstream.iter().filter(|t| t.input == *name) {
                                let mut hops = up.upstream.clone();
                                hops.push(Hop {
                                    file: up.call.caller.file.clone(),
                                    span: up.with_span,
                                    input: up.input.clone(),
                                });
                                push(up.source.clone(), up.who, hops);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| (a.call.caller.path(), a.with_span).cmp(&(b.call.caller.path(), b.with_span)));
    out.dedup_by(|a, b| {
        a.input == b.input && a.with_span == b.with_span && a.call.caller.path() == b.call.caller.path()
    });
    out
}

/// `env.NAME` as a step calling an action sees it, when it holds a value an outsider controls.
fn env_source(call: &CallSite, name: &str) -> Option<(String, &'static str)> {
    let wf = call.caller.workflow();
    let job = call.job.as_deref().and_then(|id| wf.jobs().into_iter().find(|j| j.id == id));
    let steps = match &job {
        Some(j) => j.steps(),
        None => wf.composite_steps(),
    };
    let step = steps.into_iter().find(|s| Some(s.index) == call.step)?;
    let entry = env_entry(&wf, job.as_ref(), &step, name)?;
    let source = taint::tainted_source(entry.value.as_str()?)?;
    let who = expr::parse(&source).ok()?.context_path().and_then(|p| taint::tainted(&p))?;
    Some((source, who))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ws(files: &[(&str, &str)]) -> Workspace {
        let mut ws = Workspace::new(Default::default(), false);
        for (p, t) in files {
            ws.insert(p, (*t).into());
        }
        ws
    }

    #[test]
    fn local_targets_and_roots() {
        assert_eq!(local_target("./.github/actions/x/").as_deref(), Some(".github/actions/x"));
        assert_eq!(local_target("./").as_deref(), Some(""));
        assert_eq!(local_target("$/.github/actions/x").as_deref(), Some(".github/actions/x"));
        assert_eq!(local_target("$/").as_deref(), Some(""));
        assert_eq!(local_target("actions/checkout@v4"), None);
        assert_eq!(local_target("./../x"), None);
        assert_eq!(repo_root("r/.github/workflows/a.yml"), Some("r"));
        assert_eq!(repo_root(".github/actions/x/action.yml"), Some(""));
        assert_eq!(repo_root("action.yml"), None);
        let w = ws(&[("r/.github/workflows/t.yml", "on: push\n"), ("r/action.yml", "name: a\n")]);
        assert_eq!(find_root(&w, "r/action.yml").as_deref(), Some("r"));
    }

    #[test]
    fn tainted_inputs_through_workflows_and_actions() {
        let w = ws(&[
            (
                "r/.github/workflows/pr.yml",
                "on: pull_request_target\njobs:\n  call:\n    uses: ./.github/workflows/lint.yml\n    with:\n      title: ${{ github.event.pull_request.title }}\n      number: ${{ github.event.pull_request.number }}\n",
            ),
            (
                "r/.github/workflows/lint.yml",
                "on:\n  workflow_call:\n    inputs:\n      title: {type: string}\njobs:\n  lint:\n    runs-on: x\n    steps:\n      - uses: ./.github/actions/greet\n        with:\n          who: ${{ inputs.title }}\n",
            ),
            (
                "r/.github/actions/greet/action.yml",
                "runs:\n  using: composite\n  steps:\n    - run: echo ${{ inputs.who }}\n      shell: bash\n",
            ),
            (
                "r/.github/workflows/other.yml",
                "on: issue_comment\njobs:\n  a:\n    runs-on: x\n    env:\n      BODY: ${{ github.event.comment.body }}\n    steps:\n      - uses: ./.github/actions/greet/\n        with:\n          who: ${{ env.BODY }}\n",
            ),
        ]);
        let lint = tainted_inputs(&w, "r/.github/workflows/lint.yml");
        assert_eq!(lint.len(), 1);
        assert_eq!(
            (lint[0].input.as_str(), lint[0].source.as_str()),
            ("title", "github.event.pull_request.title")
        );
        assert_eq!(lint[0].call.describe(), "`.github/workflows/pr.yml` (job `call`)");
        let greet = tainted_inputs(&w, "r/.github/actions/greet/action.yml");
        let found: Vec<(&str, &str, Vec<String>)> = greet
            .iter()
            .map(|t| {
                (
                    t.call.caller.path(),
                    t.source.as_str(),
                    t.upstream.iter().map(|h| h.file.path.clone()).collect(),
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "r/.github/workflows/lint.yml",
                    "github.event.pull_request.title",
                    vec!["r/.github/workflows/pr.yml".to_string()]
                ),
                ("r/.github/workflows/other.yml", "github.event.comment.body", vec![]),
            ]
        );
    }

    /// Workflows that call each other (GitHub rejects it, a repository can still hold it) end.
    #[test]
    fn call_cycles_end() {
        let a = "on:\n  workflow_call:\n    inputs: {x: {type: string}}\njobs:\n  j:\n    uses: ./.github/workflows/b.yml\n    with:\n      x: ${{ inputs.x }}\n";
        let b = a.replace("b.yml", "a.yml");
        let w = ws(&[("r/.github/workflows/a.yml", a), ("r/.github/workflows/b.yml", &b)]);
        assert!(tainted_inputs(&w, "r/.github/workflows/a.yml").is_empty());
        let repo = super::super::scopes::Repo { ws: &w, root: Some("r"), ci: None };
        let callee = GithubFile::read(&w, "r", ".github/workflows/a.yml")
            .map(|f| super::super::scopes::workflow_usage(repo, &f));
        assert!(callee.is_some_and(|u| u.unknown.is_some()), "the depth limit makes the end unknown");
    }
}
