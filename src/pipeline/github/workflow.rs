//! A read-only view of a GitHub Actions workflow or composite action over the model: triggers,
//! permissions (with job → workflow inheritance), jobs, steps, reusable workflow calls.
//!
//! Everything borrows from [`crate::model::Node`]; nothing is parsed twice. Shapes GitHub would reject
//! are skipped, not guessed at.

use crate::model::{Entry, Node, Value};
use crate::span::Span;

/// An event that starts the workflow (`on: push`, `on: [push, pull_request]`, `on: {push: …}`).
#[derive(Clone, Debug)]
pub struct Trigger<'a> {
    pub name: String,
    /// The event name as written.
    pub span: Span,
    /// Its configuration in the map form (`branches`, `types`, `inputs`…).
    pub config: Option<&'a Node>,
}

/// Events that run with a write token and secrets in the base repository's context, whatever the
/// code or data they are handed.
pub const PRIVILEGED_TRIGGERS: &[&str] = &["pull_request_target", "workflow_run"];

#[derive(Clone, Debug, PartialEq)]
pub enum Permissions {
    /// No `permissions:` key.
    Absent,
    ReadAll(Span),
    WriteAll(Span),
    /// `permissions: {}`: no scope at all.
    Empty(Span),
    /// Scope by scope: `(scope, level, level span)`.
    Scopes(Vec<(String, String, Span)>),
    /// An expression or a shape we cannot read.
    Unknown(Span),
}

impl Permissions {
    pub fn of(node: Option<&Node>) -> Permissions {
        let Some(n) = node else { return Permissions::Absent };
        match &n.value {
            Value::Str(s) if s == "read-all" => Permissions::ReadAll(n.span),
            Value::Str(s) if s == "write-all" => Permissions::WriteAll(n.span),
            Value::Map(entries) if entries.is_empty() => Permissions::Empty(n.span),
            Value::Map(entries) => Permissions::Scopes(
                entries
                    .iter()
                    .map(|e| (e.key.clone(), e.value.scalar_text().unwrap_or_default(), e.value.span))
                    .collect(),
            ),
            _ => Permissions::Unknown(n.span),
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Permissions::Absent)
    }
}

/// A workflow (`.github/workflows/*.yml`) or an action (`action.yml`) document.
#[derive(Clone, Copy, Debug)]
pub struct Workflow<'a> {
    pub doc: &'a Node,
}

#[derive(Clone, Debug)]
pub struct Job<'a> {
    pub id: &'a str,
    pub key_span: Span,
    pub node: &'a Node,
}

#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    pub node: &'a Node,
    /// Position in its job's `steps` list.
    pub index: usize,
}

impl<'a> Workflow<'a> {
    pub fn new(doc: &'a Node) -> Workflow<'a> {
        Workflow { doc }
    }

    /// The `on` entry (its key span and value).
    pub fn on(&self) -> Option<(Span, &'a Node)> {
        self.doc.entries().iter().find(|e| e.key == "on").map(|e| (e.key_span, &e.value))
    }

    pub fn triggers(&self) -> Vec<Trigger<'a>> {
        let Some((_, on)) = self.on() else { return Vec::new() };
        match &on.value {
            Value::Str(s) => vec![Trigger { name: s.clone(), span: on.span, config: None }],
            Value::List(items) => items
                .iter()
                .filter_map(|i| Some(Trigger { name: i.as_str()?.to_string(), span: i.span, config: None }))
                .collect(),
            Value::Map(entries) => entries
                .iter()
                .map(|e| Trigger { name: e.key.clone(), span: e.key_span, config: Some(&e.value) })
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn trigger(&self, name: &str) -> Option<Trigger<'a>> {
        self.triggers().into_iter().find(|t| t.name == name)
    }

    /// Only called by other workflows (`on: workflow_call` and nothing else): its token is the
    /// caller's.
    pub fn is_reusable_only(&self) -> bool {
        let t = self.triggers();
        !t.is_empty() && t.iter().all(|t| t.name == "workflow_call")
    }

    /// The workflow-level `permissions` entry (key span, value).
    pub fn permissions_entry(&self) -> Option<(Span, &'a Node)> {
        self.doc.entries().iter().find(|e| e.key == "permissions").map(|e| (e.key_span, &e.value))
    }

    pub fn permissions(&self) -> Permissions {
        Permissions::of(self.doc.get("permissions"))
    }

    pub fn jobs(&self) -> Vec<Job<'a>> {
        self.doc
            .get("jobs")
            .map(|j| {
                j.entries().iter().map(|e| Job { id: &e.key, key_span: e.key_span, node: &e.value }).collect()
            })
            .unwrap_or_default()
    }

    /// A composite action's `runs.steps`.
    pub fn composite_steps(&self) -> Vec<Step<'a>> {
        steps_of(self.doc.get("runs"))
    }

    /// Every step list of the file: each job's, and a composite action's, with the job (if any).
    pub fn all_steps(&self) -> Vec<(Option<Job<'a>>, Vec<Step<'a>>)> {
        let mut out: Vec<(Option<Job<'a>>, Vec<Step<'a>>)> =
            self.jobs().into_iter().map(|j| (Some(j.clone()), j.steps())).collect();
        let composite = self.composite_steps();
        if !composite.is_empty() {
            out.push((None, composite));
        }
        out
    }

    /// The workflow-level `env` map.
    pub fn env(&self) -> Option<&'a Node> {
        self.doc.get("env")
    }
}

impl<'a> Job<'a> {
    pub fn steps(&self) -> Vec<Step<'a>> {
        steps_of(Some(self.node))
    }

    pub fn permissions(&self) -> Permissions {
        Permissions::of(self.node.get("permissions"))
    }

    /// The permissions the job's token gets: its own, or the workflow's when it has none.
    pub fn effective_permissions(&self, wf: &Workflow<'_>) -> Permissions {
        match self.permissions() {
            Permissions::Absent => wf.permissions(),
            p => p,
        }
    }

    /// A reusable workflow call (`jobs.x.uses`).
    pub fn uses(&self) -> Option<&'a Node> {
        self.node.get("uses")
    }

    /// `secrets: inherit` on a reusable workflow call: its span.
    pub fn secrets_inherit(&self) -> Option<Span> {
        self.node.get("secrets").filter(|s| s.as_str() == Some("inherit")).map(|s| s.span)
    }

    pub fn env(&self) -> Option<&'a Node> {
        self.node.get("env")
    }

    /// The job's `if:` condition text.
    pub fn condition(&self) -> Option<&'a str> {
        self.node.get("if").and_then(Node::as_str)
    }
}

impl<'a> Step<'a> {
    /// `uses:` text and span.
    pub fn uses(&self) -> Option<(&'a str, Span)> {
        self.node.get("uses").and_then(|u| Some((u.as_str()?, u.span)))
    }

    /// The action name without its ref, lower-cased: `actions/checkout` for `actions/checkout@v4`.
    pub fn action(&self) -> Option<String> {
        let (uses, _) = self.uses()?;
        let name = uses.split('@').next().unwrap_or(uses).trim();
        Some(name.to_ascii_lowercase())
    }

    /// A local action (`uses: ./path`, or the self-repository form `uses: $/path`).
    pub fn is_local_action(&self) -> bool {
        self.uses().is_some_and(|(u, _)| u.starts_with("./") || u.starts_with("$/"))
    }

    pub fn with(&self, input: &str) -> Option<&'a Node> {
        self.node.get("with")?.get(input)
    }

    pub fn run(&self) -> Option<&'a Node> {
        self.node.get("run")
    }

    pub fn env(&self) -> Option<&'a Node> {
        self.node.get("env")
    }

    pub fn shell(&self) -> Option<&'a str> {
        self.node.get("shell").and_then(Node::as_str)
    }

    pub fn condition(&self) -> Option<&'a str> {
        self.node.get("if").and_then(Node::as_str)
    }
}

fn steps_of(node: Option<&Node>) -> Vec<Step<'_>> {
    node.and_then(|n| n.get("steps"))
        .map(|s| s.items().iter().enumerate().map(|(index, node)| Step { node, index }).collect())
        .unwrap_or_default()
}

/// The entry defining env variable `name` as the step sees it: step, then job, then workflow `env`
/// (matched case-insensitively, as `${{ env.x }}` is).
pub fn env_entry<'a>(
    wf: &Workflow<'a>,
    job: Option<&Job<'a>>,
    step: &Step<'a>,
    name: &str,
) -> Option<&'a Entry> {
    let lookup = |env: Option<&'a Node>| {
        env.and_then(|e| e.entries().iter().find(|x| x.key.eq_ignore_ascii_case(name)))
    };
    lookup(step.env()).or_else(|| lookup(job.and_then(Job::env))).or_else(|| lookup(wf.env()))
}

/// The value of env variable `name` as the step sees it.
pub fn env_value<'a>(
    wf: &Workflow<'a>,
    job: Option<&Job<'a>>,
    step: &Step<'a>,
    name: &str,
) -> Option<&'a Node> {
    env_entry(wf, job, step, name).map(|e| &e.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::yaml;

    fn doc(text: &str) -> Node {
        yaml::parse(text, &crate::parse::Limits::default()).docs.into_iter().next().unwrap()
    }

    #[test]
    fn triggers_in_every_form() {
        let names =
            |t: &str| Workflow::new(&doc(t)).triggers().into_iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(names("on: push\n"), ["push"]);
        assert_eq!(names("on: [push, pull_request_target]\n"), ["push", "pull_request_target"]);
        assert_eq!(
            names("on:\n  push:\n    branches: [main]\n  workflow_run: {}\n"),
            ["push", "workflow_run"]
        );
        assert!(names("name: x\n").is_empty());
    }

    #[test]
    fn permissions_are_inherited() {
        let d = doc(
            "permissions: read-all\non: push\njobs:\n  a:\n    runs-on: x\n  b:\n    permissions: write-all\n  c:\n    permissions: {}\n  d:\n    permissions:\n      contents: write\n",
        );
        let wf = Workflow::new(&d);
        let jobs = wf.jobs();
        let eff: Vec<Permissions> = jobs.iter().map(|j| j.effective_permissions(&wf)).collect();
        assert!(matches!(eff[0], Permissions::ReadAll(_)));
        assert!(matches!(eff[1], Permissions::WriteAll(_)));
        assert!(matches!(eff[2], Permissions::Empty(_)));
        let Permissions::Scopes(s) = &eff[3] else { panic!() };
        assert_eq!((s[0].0.as_str(), s[0].1.as_str()), ("contents", "write"));
    }

    #[test]
    fn steps_reusable_calls_and_composites() {
        let d = doc(
            "on: push\njobs:\n  call:\n    uses: ./.github/workflows/x.yml\n    secrets: inherit\n  build:\n    env: {A: job}\n    steps:\n      - uses: actions/checkout@v4\n        with: {ref: main}\n      - run: make\n        env: {A: step}\n",
        );
        let wf = Workflow::new(&d);
        let jobs = wf.jobs();
        assert!(jobs[0].uses().is_some() && jobs[0].secrets_inherit().is_some());
        let steps = jobs[1].steps();
        assert_eq!(steps[0].action().as_deref(), Some("actions/checkout"));
        assert_eq!(steps[0].with("ref").and_then(Node::as_str), Some("main"));
        assert_eq!(env_value(&wf, Some(&jobs[1]), &steps[1], "A").and_then(Node::as_str), Some("step"));
        assert_eq!(env_value(&wf, Some(&jobs[1]), &steps[0], "A").and_then(Node::as_str), Some("job"));
        let a = doc("name: a\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n");
        let wf = Workflow::new(&a);
        assert_eq!(wf.composite_steps()[0].shell(), Some("bash"));
        assert_eq!(wf.all_steps().len(), 1);
    }
}
