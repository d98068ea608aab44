//! `include:` entries: every form is recorded; local files are read from disk, inside the repository
//! (the folder holding `.gitlab-ci.yml`) only, with a size limit. Remote, project, template and
//! component includes are recorded, never fetched.

use crate::model::{Entry, Node, Value};
use crate::parse::{Limits, yaml};
use crate::pipeline::jobs::Sources;
use crate::span::Span;
use std::path::{Component, Path, PathBuf};

/// Local include files larger than this are not read.
pub const MAX_INCLUDE_BYTES: u64 = 1024 * 1024;
/// At most this many local files are read per pipeline (GitLab's own limit is 150 includes).
pub const MAX_INCLUDED_FILES: usize = 100;

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
    /// For a local include: whether the file was found and read.
    pub read: bool,
}

/// Records the includes of `doc` and of every local file it pulls in (breadth first); returns the
/// included documents, with spans shifted into `sources`' offset space, in include order.
pub fn read_all(path: &str, doc: &Node, sources: &mut Sources, out: &mut Vec<Include>) -> Vec<Node> {
    let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut docs = Vec::new();
    let mut queue = vec![doc.clone()];
    let mut read_paths: Vec<String> = vec![path.to_string()];
    while let Some(next) = (!queue.is_empty()).then(|| queue.remove(0)) {
        for mut inc in entries(&next) {
            if inc.kind == IncludeKind::Local
                && read_paths.len() <= MAX_INCLUDED_FILES
                && let Some((shown, text)) = read_local(dir, &inc.target)
            {
                if !read_paths.contains(&shown) {
                    read_paths.push(shown.clone());
                    let base = sources.add(&shown, &text);
                    let parsed = yaml::parse(&text, &Limits::default());
                    for mut d in parsed.docs.into_iter().take(1) {
                        shift(&mut d, base);
                        queue.push(d.clone());
                        docs.push(d);
                    }
                }
                inc.read = true;
            }
            out.push(inc);
        }
    }
    docs
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
    })
}

fn is_url(s: &str) -> bool {
    let l = s.trim().to_ascii_lowercase();
    l.starts_with("https://") || l.starts_with("http://")
}

/// Reads a local include relative to the repository folder `dir`, refusing anything that could leave
/// it (`..`, variables, globs, symlinks out of the folder) or is too large. Returns its display path
/// and text.
fn read_local(dir: &str, target: &str) -> Option<(String, String)> {
    let rel = target.trim().trim_start_matches('/');
    if rel.is_empty() || rel.contains(['$', '*', '?', '[']) {
        return None;
    }
    let rel_path = Path::new(rel);
    if !rel_path.components().all(|c| matches!(c, Component::Normal(_))) {
        return None;
    }
    let root = if dir.is_empty() { PathBuf::from(".") } else { PathBuf::from(dir) };
    let file = root.join(rel_path);
    let (root_real, file_real) = (root.canonicalize().ok()?, file.canonicalize().ok()?);
    if !file_real.starts_with(&root_real) {
        return None;
    }
    let meta = std::fs::metadata(&file_real).ok()?;
    if !meta.is_file() || meta.len() > MAX_INCLUDE_BYTES {
        return None;
    }
    let text = std::fs::read_to_string(&file_real).ok()?;
    let shown = if dir.is_empty() { rel.to_string() } else { format!("{dir}/{rel}") };
    Some((shown, text))
}

/// Moves every span of `n` by `by` bytes.
pub fn shift(n: &mut Node, by: usize) {
    let mv = |s: &mut Span| *s = Span::new(s.start as usize + by, s.end as usize + by);
    let mut stack: Vec<&mut Node> = vec![n];
    while let Some(node) = stack.pop() {
        mv(&mut node.span);
        match &mut node.value {
            Value::List(items) => stack.extend(items.iter_mut()),
            Value::Map(entries) => {
                for Entry { key_span, value, .. } in entries.iter_mut() {
                    mv(key_span);
                    stack.push(value);
                }
            }
            _ => {}
        }
    }
}
