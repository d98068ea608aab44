//! Rules: data files under `rules/` (and user folders), the condition language, and native checks.
//!
//! A rule file holds everything about a rule: metadata, the condition (or the name of a native check
//! written in Rust), its docs and its examples. Built-in rules are embedded at build time; every one of
//! their examples runs as a test (`examples.rs`).

pub mod condition;
pub mod dispatch;
pub mod docs;
pub mod examples;
pub mod load;
pub mod meta;
pub mod native;
pub mod options;
pub mod path;
pub mod pattern;
pub mod registry;

use crate::model::{Node, ParsedFile};
use crate::source::FileKind;
use crate::span::Span;
use condition::{Condition, Scope, Truth, block_address};
use meta::RuleMeta;
use path::{Hit, Path};
use std::sync::Arc;

pub use crate::workspace::Workspace;

pub use load::{LoadError, load_rule};

#[derive(Debug)]
pub struct Rule {
    pub meta: Arc<RuleMeta>,
    /// Message template: `{key}`, `{value}`, `{subject}` and `{detail}` are filled from the match.
    pub message: String,
    pub kinds: Vec<FileKind>,
    /// Paths from each document root to the subjects the rule looks at (none: the document itself).
    pub select: Vec<Path>,
    /// Subjects must satisfy this first (e.g. a Kubernetes `kind`).
    pub filter: Option<Condition>,
    pub check: Check,
    pub examples: Vec<Example>,
    /// The severity findings get: the rule file's, or the configuration's override.
    pub severity: meta::Severity,
    /// Whether an in-source suppression may silence a finding (rule file or configuration policy).
    pub suppressible: bool,
    /// The options the rule declares, with their defaults.
    pub options: Vec<options::RuleOption>,
    /// The conditions as written, compiled again when the configuration sets options.
    pub source: options::ConditionSource,
}

#[derive(Debug)]
pub enum Check {
    Condition(Compiled),
    Native(native::NativeFn),
    /// Environment divergence: compares files of different units, so the engine runs it once per run
    /// after the per-unit rules (see [`crate::envs`]), with the keys the rule's options name.
    Environments(crate::envs::Keys),
}

/// A rule's own example: `bad` ones mark each line that must fire with a trailing `# expect`; `good`
/// ones must produce nothing.
#[derive(Clone, Debug)]
pub struct Example {
    pub good: bool,
    pub path: String,
    pub code: String,
    /// The 1-based line of the rule file on which the example's first line of code sits (0: unknown).
    pub line: usize,
    /// Other files checked with it (`[[examples.bad.also]]`: the other environments of a
    /// cross-file rule), as `(path, code)`; findings must not land in them.
    pub also: Vec<(String, String)>,
}

/// One file as a rule sees it.
pub struct FileView<'a> {
    pub path: &'a str,
    pub kind: FileKind,
    pub text: &'a str,
    pub parsed: &'a ParsedFile,
    /// The pipeline view (jobs, steps, parsed scripts, GitLab includes read from disk), built once
    /// for every CI rule that asks: see [`crate::pipeline::jobs::load`].
    pub ci: std::cell::OnceCell<Option<crate::pipeline::jobs::Ci>>,
    /// A GitLab pipeline merged with its includes: read once for the CI view and for the jobs the
    /// environments pass compares (see [`FileView::gitlab`]).
    gitlab: std::cell::OnceCell<Option<crate::pipeline::gitlab::Pipeline>>,
    /// The other files of the repository the check may read (includes, called workflows and actions,
    /// their callers): the run's inputs and editor buffers first, then the disk.
    pub workspace: &'a Workspace,
    /// What the file's documents hold at their roots, built for the first condition rule that runs:
    /// see [`dispatch`].
    index: std::cell::OnceCell<dispatch::Index<'a>>,
}

impl<'a> FileView<'a> {
    pub fn new(
        path: &'a str,
        kind: FileKind,
        text: &'a str,
        parsed: &'a ParsedFile,
        workspace: &'a Workspace,
    ) -> FileView<'a> {
        FileView {
            path,
            kind,
            text,
            parsed,
            ci: std::cell::OnceCell::new(),
            gitlab: std::cell::OnceCell::new(),
            workspace,
            index: std::cell::OnceCell::new(),
        }
    }

    /// The GitLab pipeline (`None` for any other file, or one without a document), merged with its
    /// includes on first use. Its includes are read through the view's workspace, which records them.
    pub fn gitlab(&self) -> Option<&crate::pipeline::gitlab::Pipeline> {
        self.gitlab
            .get_or_init(|| match self.kind {
                FileKind::GitlabCi => documents(self)
                    .next()
                    .map(|doc| crate::pipeline::gitlab::load(self.path, self.text, doc, self.workspace)),
                _ => None,
            })
            .as_ref()
    }

    /// [`FileView::gitlab`] if something already asked for it.
    pub fn gitlab_if_loaded(&self) -> Option<&crate::pipeline::gitlab::Pipeline> {
        self.gitlab.get().and_then(Option::as_ref)
    }

    pub fn index(&self) -> &dispatch::Index<'a> {
        self.index.get_or_init(|| dispatch::Index::new(&self.parsed.docs))
    }
}

/// A rule's condition, with what is worked out from it once rather than on every file: the literal
/// a document must hold for it to be true (see [`Condition::needed_literal`]). Built only by
/// [`Compiled::new`], so the two cannot drift apart when options compile the condition again.
pub struct Compiled {
    pub cond: Condition,
    needed: Option<condition::Literal>,
}

impl Compiled {
    pub fn new(cond: Condition) -> Compiled {
        // Only worth a look at every node when the condition would otherwise walk them all.
        let needed = cond.needed_literal().filter(|_| cond.walks_descendants()).cloned();
        Compiled { cond, needed }
    }
}

/// The condition alone: what the cache keys a rule's logic on.
impl std::fmt::Debug for Compiled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.cond.fmt(f)
    }
}

/// What a rule reports, before the engine turns it into a [`crate::finding::Finding`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RawFinding {
    pub span: Span,
    pub key: Option<String>,
    pub value: Option<String>,
    pub subject: Option<String>,
    pub detail: Option<String>,
    /// When the finding is in another file than the one checked (a GitLab local include): that file;
    /// `span` is then an offset into its text.
    pub file: Option<Arc<OtherFile>>,
    /// Annotated secondary locations ("the privileged trigger", "the caller passes the title here").
    pub related: Vec<RawRelated>,
}

/// A secondary location of a [`RawFinding`].
#[derive(Clone, Debug, PartialEq)]
pub struct RawRelated {
    pub span: Span,
    pub message: String,
    /// The file `span` is in, when it is not the finding's own file.
    pub file: Option<Arc<OtherFile>>,
}

impl RawRelated {
    /// A location in the same file as the finding.
    pub fn here(span: Span, message: impl Into<String>) -> RawRelated {
        RawRelated { span, message: message.into(), file: None }
    }
}

/// A file a rule read itself (a GitLab local include, a workflow calling an action) that a finding
/// points into.
#[derive(Clone, Debug, PartialEq)]
pub struct OtherFile {
    pub path: String,
    pub text: Arc<str>,
}

impl Rule {
    pub fn applies_to(&self, kind: FileKind) -> bool {
        self.kinds.contains(&kind)
    }

    /// Compiles every regex of the rule's conditions now (built-in rules compile theirs on first use),
    /// naming the first one that does not compile.
    pub fn compile_patterns(&self) -> Result<(), String> {
        let mut patterns = Vec::new();
        if let Check::Condition(compiled) = &self.check {
            compiled.cond.patterns(&mut patterns);
        }
        if let Some(filter) = &self.filter {
            filter.patterns(&mut patterns);
        }
        for p in patterns {
            p.check().map_err(|m| format!("`{}`: {m}", p.as_str()))?;
        }
        Ok(())
    }

    /// Whether the rule compares files of different units (run once per run, not per file).
    pub fn is_cross_unit(&self) -> bool {
        matches!(self.check, Check::Environments(_))
    }

    /// Runs the rule on one file. `unit` holds every document of the file's unit (its Terraform module),
    /// for references between blocks.
    pub fn run(&self, file: &FileView<'_>, unit: &[&Node]) -> Vec<RawFinding> {
        self.run_if(file, unit, Rule::may_match)
    }

    /// [`Rule::run`] for a rule a [`dispatch::Router`] picked for the file: its `select` is known to
    /// reach something there, so only the `kind` filter is left to check.
    pub fn run_routed(&self, file: &FileView<'_>, unit: &[&Node]) -> Vec<RawFinding> {
        self.run_if(file, unit, Rule::kind_may_match)
    }

    fn run_if(
        &self,
        file: &FileView<'_>,
        unit: &[&Node],
        may_match: fn(&Rule, &FileView<'_>) -> bool,
    ) -> Vec<RawFinding> {
        match &self.check {
            Check::Native(f) => f(file),
            // Not a per-file check: the engine's cross-unit pass runs it.
            Check::Environments(_) => Vec::new(),
            Check::Condition(_) if !may_match(self, file) => Vec::new(),
            Check::Condition(Compiled { cond, needed }) => {
                let scope = Scope { docs: unit };
                let mut out = Vec::new();
                for doc in documents(file) {
                    if needed.as_ref().is_some_and(|literal| !literal.found_in(doc)) {
                        continue;
                    }
                    // Each subject is judged as its path reaches it: no vector of them per document.
                    let mut judge = |subject: Hit<'_>| {
                        // A block whose `count` is 0 (or `for_each` empty) creates nothing to report on.
                        if !condition::may_exist(&subject)
                            || self.filter.as_ref().is_some_and(|f| !f.eval(&subject, &scope).is_true())
                        {
                            return;
                        }
                        if let Truth::True(witnesses) = cond.eval(&subject, &scope) {
                            if witnesses.is_empty() {
                                out.push(raw_finding(&subject, None));
                            }
                            for w in &witnesses {
                                out.push(raw_finding(&subject, Some(w)));
                            }
                        }
                    };
                    let root = Hit::root(doc);
                    if self.select.is_empty() {
                        judge(root);
                    } else {
                        for p in &self.select {
                            p.each_hit(root.clone(), &mut judge);
                        }
                    }
                }
                // Overlapping alternatives (`image` and `**.image`) reach the same node once.
                out.sort_by_key(|f| f.span);
                out.dedup_by_key(|f| f.span);
                out
            }
        }
    }

    /// Whether the rule's select paths and `kind` filter can reach any subject in the file (see
    /// [`dispatch`]); false means running it would find nothing.
    pub fn may_match(&self, file: &FileView<'_>) -> bool {
        let index = file.index();
        if !self.select.is_empty() && !self.select.iter().any(|p| index.path_may_match(p)) {
            return false;
        }
        self.kind_may_match(file)
    }

    /// The `kind` half of [`Rule::may_match`].
    fn kind_may_match(&self, file: &FileView<'_>) -> bool {
        let index = file.index();
        match self.filter.as_ref().and_then(dispatch::required_kinds) {
            Some(kinds) if dispatch::selects_objects(&self.select) => index.kind_may_match(kinds),
            _ => true,
        }
    }

    /// The finding's message with its placeholders filled.
    pub fn message_for(&self, raw: &RawFinding) -> String {
        let mut msg = self.message.clone();
        for (name, value) in [
            ("{key}", &raw.key),
            ("{value}", &raw.value),
            ("{subject}", &raw.subject),
            ("{detail}", &raw.detail),
        ] {
            if msg.contains(name) {
                msg = msg.replace(name, value.as_deref().unwrap_or("?"));
            }
        }
        msg
    }
}

/// The documents rules see: every one, except that Kubernetes rules only see manifests.
pub fn documents<'a>(file: &FileView<'a>) -> impl Iterator<Item = &'a Node> {
    let manifests_only = file.kind == FileKind::Kubernetes;
    file.parsed.docs.iter().filter(move |d| !manifests_only || is_manifest(d))
}

pub fn is_manifest(doc: &Node) -> bool {
    doc.get("apiVersion").is_some_and(|v| v.as_str().is_some())
        && doc.get("kind").is_some_and(|v| v.as_str().is_some())
}

fn raw_finding(subject: &Hit<'_>, witness: Option<&Hit<'_>>) -> RawFinding {
    let at = witness.unwrap_or(subject);
    let span = match (at.node.scalar_str(), at.key_span) {
        (Some(_), _) | (None, None) => at.node.span,
        (None, Some(k)) => k.cover(at.node.span),
    };
    RawFinding {
        span,
        key: at.key.map(str::to_string),
        value: at.node.scalar_str().map(|v| truncate(&v, 80)),
        subject: Some(subject_name(subject)),
        detail: None,
        file: None,
        related: Vec::new(),
    }
}

/// `aws_s3_bucket.logs` for Terraform blocks, `Kind/name` for a Kubernetes object (a document, or an
/// item of a `List` selected with `items[*]`; `Kind/prefix*` with only `generateName`, `Kind` with
/// neither), else the path of keys (`spec.containers`).
fn subject_name(subject: &Hit<'_>) -> String {
    let keys = subject.keys.to_vec();
    if let Some(addr) = block_address(&keys) {
        return addr.join(".");
    }
    if is_manifest(subject.node)
        && let Some(kind) = subject.node.get("kind").and_then(Node::as_str)
    {
        let meta = subject.node.get("metadata");
        let field = |k: &str| meta.and_then(|m| m.get(k)).and_then(Node::as_str);
        return match (field("name"), field("generateName")) {
            (Some(name), _) => format!("{kind}/{name}"),
            (None, Some(prefix)) => format!("{kind}/{prefix}*"),
            (None, None) => kind.to_string(),
        };
    }
    keys.join(".")
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}
