//! `include:` entries: every form is recorded; local files (and `*`/`**` wildcards, as GitLab expands
//! them) are read through the [`Workspace`] — editor buffers, then the disk — inside the repository
//! (the folder holding `.gitlab-ci.yml`) only, with a size limit. An include with `rules:` may or may
//! not apply to a given pipeline run: it is read and merged as if it does. Remote, project, template
//! and component includes are recorded, never fetched.

use crate::model::{Node, Value};
use crate::parse::{Limits, yaml};
use crate::pipeline::jobs::Sources;
use crate::span::Span;
use crate::workspace::Workspace;
use globset::GlobBuilder;

/// At most this many local files are read per pipeline (GitLab's own limit is 150 includes).
pub const MAX_INCLUDED_FILES: usize = 100;
/// How deep below its fixed folder a `**` wildcard looks.
const MAX_GLOB_DEPTH: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncludeKind {
    Local,
    Remote,
    Project,
    Template,
    Component,
}

#[derive(Clone, Debug)]
pub struct Include {
    pub kind: IncludeKind,
    /// The path, URL, project or component, and its span (in the pipeline's offset space).
    pub target: String,
    pub target_span: Span,
    /// `ref:` of a project include.
    pub git_ref: Option<(String, Span)>,
    /// For a local include: whether the file (or, for a wildcard, some file) was found and read.
    pub read: bool,
    /// The include has `rules:`: it applies to some pipeline runs only.
    pub conditional: bool,
}

/// Records the includes of `doc` and of every local file it pulls in (breadth first); returns the
/// included documents, with spans shifted into `sources`' offset space, in include order.
pub fn read_all(
    path: &str,
    doc: &Node,
    workspace: &Workspace,
    sources: &mut Sources,
    out: &mut Vec<Include>,
) -> Vec<Node> {
    let root = crate::workspace::parent(path);
    let mut docs: Vec<Node> = Vec::new();
    let mut read_paths: Vec<String> = vec![path.to_string()];
    // Breadth first: the main file's includes, then those of each included file in the order read.
    // `docs` is the queue too (no copy of each document to hold in one).
    let mut includes = entries(doc);
    let mut next = 0;
    loop {
        for mut inc in std::mem::take(&mut includes) {
            if inc.kind == IncludeKind::Local {
                for rel in local_targets(workspace, root, &inc.target) {
                    if read_paths.len() > MAX_INCLUDED_FILES {
                        break;
                    }
                    let Some((shown, text)) = workspace.read(root, &rel) else { continue };
                    inc.read = true;
                    if read_paths.contains(&shown) {
                        continue;
                    }
                    read_paths.push(shown.clone());
                    let base = sources.add(&shown, &text);
                    let parsed = yaml::parse(&text, &Limits::default());
                    for mut d in parsed.docs.into_iter().take(1) {
                        d.shift(base);
                        docs.push(d);
                    }
                }
            }
            out.push(inc);
        }
        let Some(d) = docs.get(next) else { break };
        includes = entries(d);
        next += 1;
    }
    docs
}

/// The repository-relative files a local include names: itself, or what its wildcard matches
/// (`ci/*.yml`: that folder's files; `ci/**.yml` and `ci/**/*.yml`: its subfolders' too), sorted.
/// Paths with variables are not expanded.
fn local_targets(workspace: &Workspace, root: &str, target: &str) -> Vec<String> {
    let rel = target.trim().trim_start_matches("./").trim_start_matches('/');
    if rel.is_empty() || rel.contains('$') {
        return Vec::new();
    }
    if !rel.contains(['*', '?', '[']) {
        return vec![rel.to_string()];
    }
    // GitLab (Ruby's `File.fnmatch`): `ci/**.yml` is any file in `ci` or below it, `ci/**/*.yml` any
    // file in a subfolder of `ci` only.
    let pattern: Vec<String> = rel
        .split('/')
        .map(|c| match c.strip_prefix("**") {
            Some("") => "*/**".to_string(),
            Some(rest) => format!("**/*{rest}"),
            None => c.to_string(),
        })
        .collect();
    let fixed: Vec<&str> = rel.split('/').take_while(|c| !c.contains(['*', '?', '['])).collect();
    let folder = fixed.join("/");
    let below = rel.split('/').count() - fixed.len();
    let depth = if rel.contains("**") { MAX_GLOB_DEPTH } else { below.saturating_sub(1) };
    let Ok(glob) = GlobBuilder::new(&pattern.join("/")).literal_separator(true).build() else {
        return Vec::new();
    };
    let matcher = glob.compile_matcher();
    workspace.list(root, &folder, depth).into_iter().filter(|p| matcher.is_match(p)).collect()
}

/// The include entries of one file.
fn entries(doc: &Node) -> Vec<Include> {
    let Some(inc) = doc.get("include") else { return Vec::new() };
    let items: Vec<&Node> = match &inc.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![inc],
    };
    items.into_iter().filter_map(entry).collect()
}

fn entry(n: &Node) -> Option<Include> {
    if let Some(s) = n.as_str() {
        let kind = if is_url(s) { IncludeKind::Remote } else { IncludeKind::Local };
        return Some(Include {
            kind,
            target: s.to_string(),
            target_span: n.span,
            git_ref: None,
            read: false,
            conditional: false,
        });
    }
    let (kind, target) = [
        ("local", IncludeKind::Local),
        ("remote", IncludeKind::Remote),
        ("project", IncludeKind::Project),
        ("template", IncludeKind::Template),
        ("component", IncludeKind::Component),
    ]
    .into_iter()
    .find_map(|(k, kind)| n.get(k).map(|t| (kind, t)))?;
    let git_ref = n.get("ref").and_then(|r| r.scalar_text().map(|s| (s, r.span)));
    Some(Include {
        kind,
        target: target.scalar_text().unwrap_or_default(),
        target_span: target.span,
        git_ref,
        read: false,
        conditional: n.get("rules").is_some(),
    })
}

fn is_url(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l.starts_with("https://") || l.starts_with("http://")
}
