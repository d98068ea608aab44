//! The system-neutral view of a CI file that the script rules work on: its jobs, each with the shell
//! scripts it runs (parsed, with a way back to the YAML), its environment, and how it reacts to
//! failure. Built from a GitHub workflow or composite action, or a merged GitLab pipeline.

use super::gitlab::{self, Include};
use super::shell::{self, Embedded, Script};
use crate::model::{Node, Value};
use crate::rules::{FileView, OtherFile, RawFinding, documents};
use crate::source::FileKind;
use crate::span::Span;
use std::sync::Arc;

/// One file of a pipeline, at `base` in the pipeline's offset space.
#[derive(Clone, Debug)]
pub struct SourceFile {
    pub path: String,
    pub text: Arc<str>,
    pub base: usize,
}

/// The files of a pipeline (the checked file first, then local includes), laid end to end in one
/// offset space, so that a span alone says which file it is in.
#[derive(Clone, Debug, Default)]
pub struct Sources {
    pub files: Vec<SourceFile>,
}

impl Sources {
    pub fn single(path: &str, text: &str) -> Sources {
        Sources { files: vec![SourceFile { path: path.to_string(), text: text.into(), base: 0 }] }
    }

    /// Adds a file; returns its base offset.
    pub fn add(&mut self, path: &str, text: &str) -> usize {
        let base = self.files.last().map_or(0, |f| f.base + f.text.len() + 1);
        self.files.push(SourceFile { path: path.to_string(), text: text.into(), base });
        base
    }

    /// The file holding `span`, and the span inside that file.
    pub fn locate(&self, span: Span) -> Option<(usize, Span)> {
        let at = span.start as usize;
        let i = self.files.partition_point(|f| f.base <= at).checked_sub(1)?;
        let f = self.files.get(i)?;
        Some((i, Span::new(at - f.base, (span.end as usize).saturating_sub(f.base))))
    }

    /// A finding at `span` (in the offset space); in another file than the checked one if need be.
    pub fn finding(&self, span: Span, detail: String) -> RawFinding {
        let (i, local) = self.locate(span).unwrap_or((0, span));
        self.finding_in(i, local, detail)
    }

    /// A finding at `local`, a span inside file `i`.
    pub fn finding_in(&self, i: usize, local: Span, detail: String) -> RawFinding {
        let file = match self.files.get(i) {
            Some(f) if i > 0 => Some(Arc::new(OtherFile { path: f.path.clone(), text: f.text.clone() })),
            _ => None,
        };
        RawFinding { span: local, detail: Some(detail), file, ..RawFinding::default() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum System {
    GitHub,
    GitLab,
}

/// One shell script of a job: a GitHub `run:` or one GitLab `script` line.
#[derive(Debug)]
pub struct Step {
    /// `run`, `script`, `before_script` or `after_script`.
    pub key: &'static str,
    /// Index of the file in [`Ci::sources`].
    pub file: usize,
    pub embedded: Embedded,
    pub script: std::sync::Arc<Script>,
    /// A GitHub step guarded by `if: failure()` (or `always()`).
    pub on_failure: bool,
}

#[derive(Debug)]
pub struct Environment {
    pub name: String,
    /// The name's span (offset space).
    pub span: Span,
    /// GitLab: `on_stop` set, or this job stops the environment (`action: stop`).
    pub stoppable: bool,
    pub action: Option<String>,
}

#[derive(Debug)]
pub struct Job {
    pub name: String,
    /// The job's key (offset space).
    pub span: Span,
    pub steps: Vec<Step>,
    pub environment: Option<Environment>,
    /// GitLab `when: on_failure`, GitHub job `if: failure()`.
    pub on_failure: bool,
    /// Runs only for the default branch (GitLab `rules`/`only`, GitHub `if:` on the ref or a workflow
    /// that only runs on pushes to main/master).
    pub default_branch: bool,
    /// Variables the job declares (GitLab `variables`, GitHub `env`), with their literal text.
    pub variables: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct Ci {
    pub system: System,
    pub sources: Sources,
    pub jobs: Vec<Job>,
    /// GitLab `include:` entries (all files).
    pub includes: Vec<Include>,
}

impl Ci {
    pub fn finding(&self, step: &Step, in_script: Span, detail: String) -> RawFinding {
        let local = step.embedded.source_span(in_script);
        self.sources.finding_in(step.file, local, detail)
    }

    /// The parsed script of the checked file's scalar at `span` (a `run:` or `script:` value).
    pub fn script_at(&self, span: Span) -> Option<&Script> {
        self.jobs
            .iter()
            .flat_map(|j| &j.steps)
            .find(|s| s.file == 0 && s.embedded.node_span == span)
            .map(|s| &*s.script)
    }

    /// Every command of a job in run order, with its step.
    pub fn commands(job: &Job) -> impl Iterator<Item = (&Step, &shell::Command)> {
        job.steps.iter().flat_map(|s| s.script.commands.iter().map(move |c| (s, c)))
    }
}

/// The CI view of a file, when it is a pipeline file. Built on first use and kept on the view, so
/// the rules of one file share one parse of its scripts and one read of its includes.
pub fn load<'v>(file: &'v FileView<'_>) -> Option<&'v Ci> {
    file.ci.get_or_init(|| build(file)).as_ref()
}

fn build(file: &FileView<'_>) -> Option<Ci> {
    match file.kind {
        FileKind::GithubWorkflow | FileKind::GithubAction => Some(github(file)),
        FileKind::GitlabCi => file.gitlab().map(gitlab),
        _ => None,
    }
}

fn script_step(sources: &Sources, key: &'static str, node: &Node, on_failure: bool) -> Option<Step> {
    let decoded = node.as_str()?;
    let (file, local) = sources.locate(node.span)?;
    let text = &sources.files.get(file)?.text;
    let embedded = Embedded::new(decoded, text, local);
    let script = shell::parse_shared(decoded);
    Some(Step { key, file, embedded, script, on_failure })
}

fn text_of(n: &Node) -> String {
    n.scalar_text().unwrap_or_default()
}

fn is_failure_if(n: Option<&Node>) -> bool {
    n.is_some_and(|n| text_of(n).contains("failure()"))
}

fn github(file: &FileView<'_>) -> Ci {
    let sources = Sources::single(file.path, file.text);
    let mut jobs = Vec::new();
    let Some(doc) = documents(file).next() else {
        return Ci { system: System::GitHub, sources, jobs, includes: Vec::new() };
    };
    let push_main =
        push_branches(doc).is_some_and(|b| !b.is_empty() && b.iter().all(|x| is_default_branch(x)));
    let mut job_nodes: Vec<(String, Span, &Node)> = doc
        .get("jobs")
        .map(|j| j.entries().iter().map(|e| (e.key.clone(), e.key_span, &e.value)).collect())
        .unwrap_or_default();
    if let Some(runs) = doc.get("runs").filter(|r| r.get("steps").is_some()) {
        let name = doc.get("name").map(text_of).unwrap_or_else(|| "action".into());
        job_nodes.push((name, runs.span, runs));
    }
    for (name, span, job) in job_nodes {
        let windows = job.get("runs-on").map(text_of).is_some_and(|r| r.contains("windows"));
        let default_shell = job
            .get("defaults")
            .and_then(|d| d.get("run"))
            .and_then(|r| r.get("shell"))
            .or_else(|| doc.get("defaults").and_then(|d| d.get("run")).and_then(|r| r.get("shell")))
            .map(text_of);
        let mut steps = Vec::new();
        for step in job.get("steps").map(Node::items).unwrap_or(&[]) {
            let Some(run) = step.get("run") else { continue };
            let shell = step.get("shell").map(text_of).or_else(|| default_shell.clone());
            let posix = match shell.as_deref() {
                Some(s) => s.starts_with("bash") || s.starts_with("sh"),
                None => !windows,
            };
            if posix {
                steps.extend(script_step(&sources, "run", run, is_failure_if(step.get("if"))));
            }
        }
        let environment = job.get("environment").and_then(|e| {
            let n = if matches!(e.value, Value::Map(_)) { e.get("name")? } else { e };
            Some(Environment { name: text_of(n), span: n.span, stoppable: false, action: None })
        });
        let job_if = job.get("if").map(text_of).unwrap_or_default();
        let variables = job
            .get("env")
            .map(|e| e.entries().iter().map(|x| (x.key.clone(), text_of(&x.value))).collect())
            .unwrap_or_default();
        jobs.push(Job {
            name,
            span,
            steps,
            environment,
            on_failure: job_if.contains("failure()"),
            default_branch: push_main
                || job_if.contains("refs/heads/main")
                || job_if.contains("refs/heads/master"),
            variables,
        });
    }
    Ci { system: System::GitHub, sources, jobs, includes: Vec::new() }
}

/// `on.push.branches` of a workflow.
fn push_branches(doc: &Node) -> Option<Vec<String>> {
    let on = doc.get("on")?;
    let push = on.get("push")?;
    Some(push.get("branches")?.items().iter().map(text_of).collect())
}

pub fn is_default_branch(s: &str) -> bool {
    matches!(s.trim(), "main" | "master" | "$CI_DEFAULT_BRANCH" | "${CI_DEFAULT_BRANCH}")
}

fn gitlab(p: &gitlab::Pipeline) -> Ci {
    let mut jobs = Vec::new();
    for j in &p.jobs {
        let mut steps = Vec::new();
        for key in ["before_script", "script", "after_script"] {
            for line in j.script_lines(key) {
                steps.extend(script_step(&p.sources, key, line, false));
            }
        }
        let environment = j.environment().map(|e| Environment {
            name: e.name().to_string(),
            span: e.name.span,
            stoppable: e.on_stop.is_some() || e.action == Some("stop"),
            action: e.action.map(str::to_string),
        });
        let variables = j
            .get("variables")
            .map(|v| {
                v.entries()
                    .iter()
                    .map(|x| {
                        let value = x.value.get("value").unwrap_or(&x.value);
                        (x.key.clone(), text_of(value))
                    })
                    .collect()
            })
            .unwrap_or_default();
        jobs.push(Job {
            name: j.name.clone(),
            span: j.name_span,
            steps,
            environment,
            on_failure: j.when() == "on_failure",
            default_branch: gitlab_default_branch(j),
            variables,
        });
    }
    Ci { system: System::GitLab, sources: p.sources.clone(), jobs, includes: p.includes.clone() }
}

/// `rules: - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH` (or `== "main"`), `only: [main]`.
fn gitlab_default_branch(j: &gitlab::Job) -> bool {
    let rules_say = j.get("rules").is_some_and(|r| {
        r.items().iter().any(|rule| {
            let cond = rule.get("if").map(text_of).unwrap_or_default();
            let when_never = rule.get("when").and_then(Node::as_str) == Some("never");
            !when_never
                && cond.contains("==")
                && (cond.contains("CI_DEFAULT_BRANCH")
                    || ["\"main\"", "'main'", "\"master\"", "'master'"].iter().any(|b| cond.contains(b)))
        })
    });
    let only = j.get("only");
    let only_refs = only.map(|o| o.get("refs").unwrap_or(o));
    let only_says = only_refs.is_some_and(|o| o.items().iter().any(|i| is_default_branch(&text_of(i))));
    rules_say || only_says
}
