//! GitLab CI pipelines, merged the way GitLab merges them.
//!
//! A `.gitlab-ci.yml` and its local `include:` files (read by [`include`], inside the repository only)
//! are deep-merged, the main file winning; then every job gets its `extends` chain (multi-level, in
//! order, cycles detected), the `default:` keywords it does not set itself, and its `!reference` tags
//! replaced by what they point at ([`merge`]). YAML anchors and `<<` merges were already resolved by the
//! YAML lowering.
//!
//! Every file gets its own range of one offset space (see [`crate::pipeline::jobs::Sources`]), so a
//! merged value keeps the span of the line the user wrote, in whichever file that is.

pub mod include;
pub mod merge;

use crate::model::{Node, Value};
use crate::pipeline::jobs::Sources;
use crate::span::Span;
use crate::workspace::Workspace;
pub use include::{Include, IncludeKind};

/// Top-level keys that are not jobs.
const GLOBAL_KEYS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "types",
    "spec",
];

/// A merged GitLab pipeline.
#[derive(Debug)]
pub struct Pipeline {
    pub sources: Sources,
    /// Every `include:` entry of every file read, in reading order.
    pub includes: Vec<Include>,
    /// Visible jobs (not `.hidden`), merged: `extends`, `default:`, `!reference` applied.
    pub jobs: Vec<Job>,
}

#[derive(Debug)]
pub struct Job {
    pub name: String,
    pub name_span: Span,
    /// The merged job map.
    pub node: Node,
}

impl Job {
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.node.get(key)
    }

    /// `when:` of the job (`on_success` when unset).
    pub fn when(&self) -> &str {
        self.get("when").and_then(Node::as_str).unwrap_or("on_success")
    }

    /// `environment:` as a name and, for the map form, `action` and `on_stop`.
    pub fn environment(&self) -> Option<Environment<'_>> {
        let env = self.get("environment")?;
        match &env.value {
            Value::Str(_) => Some(Environment { name: env, action: None, on_stop: None }),
            Value::Map(_) => Some(Environment {
                name: env.get("name")?,
                action: env.get("action").and_then(Node::as_str),
                on_stop: env.get("on_stop").and_then(Node::as_str),
            }),
            _ => None,
        }
    }

    /// Script lines of `key` (`script`, `before_script`, `after_script`), nested lists flattened as
    /// GitLab does (a `!reference` to another list lands as a nested list).
    pub fn script_lines(&self, key: &str) -> Vec<&Node> {
        let mut out = Vec::new();
        if let Some(n) = self.get(key) {
            flatten(n, 0, &mut out);
        }
        out
    }
}

fn flatten<'a>(n: &'a Node, depth: usize, out: &mut Vec<&'a Node>) {
    match &n.value {
        Value::Str(_) => out.push(n),
        Value::List(items) if depth < 10 => items.iter().for_each(|i| flatten(i, depth + 1, out)),
        _ => {}
    }
}

#[derive(Debug)]
pub struct Environment<'a> {
    /// The name node (a string, possibly with `$VARIABLES`).
    pub name: &'a Node,
    pub action: Option<&'a str>,
    pub on_stop: Option<&'a str>,
}

impl Environment<'_> {
    pub fn name(&self) -> &str {
        self.name.as_str().unwrap_or("")
    }
}

/// Builds the pipeline of the `.gitlab-ci.yml` at `path` (display path; local includes are read
/// through `workspace`, from the folder holding it) whose text and first document are given.
pub fn load(path: &str, text: &str, doc: &Node, workspace: &Workspace) -> Pipeline {
    let mut sources = Sources::single(path, text);
    let mut includes = Vec::new();
    let included = include::read_all(path, doc, workspace, &mut sources, &mut includes);
    // Merged into an empty map, a file with no includes and no repeated top-level key gives its own
    // entries back: its jobs are then read from the file's model, without copying it first.
    let merged = (!included.is_empty() || repeats_a_key(doc)).then(|| {
        // Included files first, in order; the main file last, so its keys win.
        let mut config = Node::new(doc.span, Value::Map(Vec::new()));
        for inc in included {
            merge::deep_merge_owned(&mut config, inc);
        }
        merge::deep_merge(&mut config, doc);
        config
    });
    let jobs = merge::jobs(merged.as_ref().unwrap_or(doc));
    Pipeline { sources, includes, jobs }
}

/// A top-level key written twice: merging then folds the two (GitLab's reading of such a file).
fn repeats_a_key(doc: &Node) -> bool {
    let entries = doc.entries();
    let mut keys: Vec<&str> = entries.iter().map(|e| e.key.as_str()).collect();
    keys.sort_unstable();
    keys.windows(2).any(|w| w[0] == w[1])
}

/// A top-level key that names a job (hidden or not).
pub fn is_job_key(key: &str, value: &Node) -> bool {
    !GLOBAL_KEYS.contains(&key) && matches!(value.value, Value::Map(_))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};

    fn pipeline(text: &str) -> Pipeline {
        let parsed = yaml::parse(text, &Limits::default());
        load(".gitlab-ci.yml", text, &parsed.docs[0], &Workspace::default())
    }

    #[test]
    fn extends_default_and_references_merge() {
        let text = r#"
default:
  before_script: [echo default]
.base:
  image: alpine:3.20
  variables: {A: "1", B: "2"}
  script: [echo base]
.deploy:
  extends: .base
  variables: {B: "3"}
  environment: {name: production, on_stop: stop}
deploy:
  extends: [.deploy]
  script:
    - !reference [.base, script]
    - echo mine
loop-a:
  extends: loop-b
loop-b:
  extends: loop-a
"#;
        let p = pipeline(text);
        let names: Vec<&str> = p.jobs.iter().map(|j| j.name.as_str()).collect();
        assert_eq!(names, ["deploy", "loop-a", "loop-b"]);
        let d = &p.jobs[0];
        assert_eq!(d.get("image").and_then(Node::as_str), Some("alpine:3.20"));
        let vars = d.get("variables").map(|v| v.entries().len());
        assert_eq!(vars, Some(2));
        assert_eq!(d.get("variables").and_then(|v| v.get("B")).and_then(Node::as_str), Some("3"));
        let lines: Vec<&str> = d.script_lines("script").iter().filter_map(|n| n.as_str()).collect();
        assert_eq!(lines, ["echo base", "echo mine"]);
        let before: Vec<&str> = d.script_lines("before_script").iter().filter_map(|n| n.as_str()).collect();
        assert_eq!(before, ["echo default"]);
        let env = d.environment().map(|e| (e.name().to_string(), e.on_stop.map(str::to_string)));
        assert_eq!(env, Some(("production".into(), Some("stop".into()))));
        // The merged `image` keeps the span of the line in `.base`.
        let img = d.get("image").map(|n| n.span).unwrap_or_default();
        assert_eq!(&text[img.range()], "alpine:3.20");
    }

    /// Jobs read straight from a file with no includes are the jobs of the file merged into an empty
    /// map, as every pipeline was read before: with repeated top-level keys (folded by the merge),
    /// `extends`, `default:` and `!reference`, and for a file that is not a map.
    #[test]
    fn jobs_read_without_a_copy_equal_the_merged_ones() {
        let texts = [
            ".base: {image: alpine, variables: {A: '1'}}\ndefault: {tags: [x]}\nbuild:\n  extends: .base\n  script: [!reference [.base, image]]\n",
            "a:\n  script: [echo 1]\n  variables: {X: '1'}\na:\n  variables: {Y: '2'}\nb: {script: [echo 2]}\n",
            "a: {script: [one]}\na: plain\nb: {extends: a}\n",
            "- not\n- a map\n",
            "just text\n",
        ];
        for text in texts {
            let doc = yaml::parse(text, &Limits::default())
                .docs
                .into_iter()
                .next()
                .unwrap_or_else(|| panic!("a doc"));
            let mut config = Node::new(doc.span, Value::Map(Vec::new()));
            merge::deep_merge(&mut config, &doc);
            let merged = merge::jobs(&config);
            let read = load(".gitlab-ci.yml", text, &doc, &Workspace::default()).jobs;
            let shape = |jobs: &[Job]| -> Vec<(String, Span, Node)> {
                jobs.iter().map(|j| (j.name.clone(), j.name_span, j.node.clone())).collect()
            };
            assert_eq!(shape(&read), shape(&merged), "{text}");
        }
        // The repeated key really is folded: both `variables` of `a` reach its job.
        let text = texts[1];
        let doc =
            yaml::parse(text, &Limits::default()).docs.into_iter().next().unwrap_or_else(|| panic!("a doc"));
        let jobs = load(".gitlab-ci.yml", text, &doc, &Workspace::default()).jobs;
        let vars = jobs[0].get("variables").map(|v| v.entries().len());
        assert_eq!(vars, Some(2));
    }

    /// `*` and `**` wildcards expand as GitLab expands them, from the editor's buffers (or disk), and an
    /// include with `rules:` is read as possibly applying.
    #[test]
    fn wildcard_and_conditional_includes() {
        let mut ws = Workspace::default();
        for (path, text) in [
            ("memrepo/ci/a.yml", "a-job:\n  script: [echo a]\n"),
            ("memrepo/ci/b.yaml", "b-job:\n  script: [echo b]\n"),
            ("memrepo/ci/deep/c.yml", "c-job:\n  script: [echo c]\n"),
            ("memrepo/other/d.yml", "d-job:\n  script: [echo d]\n"),
            ("memrepo/rules.yml", "r-job:\n  script: [echo r]\n"),
        ] {
            ws.insert(path, text.into());
        }
        let names = |main: &str| {
            let parsed = yaml::parse(main, &Limits::default());
            let p = load("memrepo/.gitlab-ci.yml", main, &parsed.docs[0], &ws);
            let jobs: Vec<String> = p.jobs.iter().map(|j| j.name.clone()).collect();
            (jobs, p.includes)
        };
        let (jobs, incs) = names("include:\n  - local: 'ci/*.yml'\n");
        assert_eq!(jobs, ["a-job"]);
        assert!(incs[0].read);
        let (jobs, _) = names("include: '/ci/**.y*ml'\n");
        assert_eq!(jobs, ["a-job", "b-job", "c-job"]);
        let (jobs, _) = names("include:\n  - local: ci/**/*.yml\n");
        assert_eq!(jobs, ["c-job"]);
        let (jobs, incs) = names(
            "include:\n  - local: rules.yml\n    rules:\n      - if: $CI_COMMIT_BRANCH == 'main'\n  - local: 'nowhere/*.yml'\n",
        );
        assert_eq!(jobs, ["r-job"]);
        assert!(incs[0].conditional && incs[0].read);
        assert!(!incs[1].read);
    }
}
