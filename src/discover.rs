//! Finding the files to check: a parallel, .gitignore-aware walk, then classification by path.

use crate::finding::{Diagnostic, DiagnosticCode, Level};
use crate::source::{Classified, classify};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One file to check, from disk or from memory (stdin, an editor buffer, a rule example).
#[derive(Clone, Debug)]
pub struct Input {
    /// Display path: as walked from the given root, forward slashes, no leading `./`.
    pub path: String,
    pub origin: Origin,
    pub class: Classified,
}

#[derive(Clone, Debug)]
pub enum Origin {
    Disk(PathBuf),
    Memory(Arc<[u8]>),
}

impl Input {
    pub fn from_memory(path: &str, bytes: impl Into<Arc<[u8]>>) -> Input {
        let path = display_path(Path::new(path));
        Input { class: classify(&path), path, origin: Origin::Memory(bytes.into()) }
    }
}

#[derive(Clone, Debug)]
pub struct DiscoverOptions {
    /// Honour .gitignore, .ignore and git's exclude files.
    pub honour_ignore_files: bool,
    pub threads: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    #[error("{0}: no such file or directory")]
    NotFound(String),
}

/// Folders that are never the user's own configuration.
const SKIPPED_DIRS: [&str; 3] = [".git", ".terraform", "node_modules"];

/// `paths` sorted and without duplicates, in [`Path`]'s order (component by component), which
/// compares each pair's components again at every step of a sort: each path's components are
/// encoded once into bytes that sort the same way (a component's kind, its bytes, then a 0, which no
/// file name holds).
fn sorted(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    use std::path::Component;
    let key = |p: &Path| -> Vec<u8> {
        let mut key = Vec::with_capacity(p.as_os_str().len() + 8);
        for c in p.components() {
            let kind = match c {
                Component::Prefix(_) => 1,
                Component::RootDir => 2,
                Component::CurDir => 3,
                Component::ParentDir => 4,
                Component::Normal(_) => 5,
            };
            key.push(kind);
            key.extend_from_slice(c.as_os_str().as_encoded_bytes());
            key.push(0);
        }
        key
    };
    let mut keyed: Vec<(Vec<u8>, PathBuf)> = paths.into_iter().map(|p| (key(&p), p)).collect();
    keyed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    keyed.into_iter().map(|(_, p)| p).collect()
}

/// Walks `roots` and returns the files smelt knows how to check, sorted by path, plus notes about
/// what could not be walked. Symlinks are not followed, so the walk never leaves the given roots.
pub fn discover(
    roots: &[PathBuf],
    opts: &DiscoverOptions,
) -> Result<(Vec<Input>, Vec<Diagnostic>), DiscoverError> {
    if let Some(missing) = roots.iter().find(|r| std::fs::symlink_metadata(r).is_err()) {
        return Err(DiscoverError::NotFound(missing.display().to_string()));
    }
    let Some((first, rest)) = roots.split_first() else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut builder = ignore::WalkBuilder::new(first);
    rest.iter().for_each(|r| {
        builder.add(r);
    });
    builder
        .hidden(false)
        .follow_links(false)
        .git_ignore(opts.honour_ignore_files)
        .git_global(opts.honour_ignore_files)
        .git_exclude(opts.honour_ignore_files)
        .ignore(opts.honour_ignore_files)
        .parents(opts.honour_ignore_files)
        .require_git(false)
        .threads(opts.threads.max(1))
        .filter_entry(|e| {
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && e.depth() > 0 && SKIPPED_DIRS.iter().any(|d| e.file_name() == *d))
        });

    let found: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
    let problems: Mutex<Vec<Diagnostic>> = Mutex::new(Vec::new());
    builder.build_parallel().run(|| {
        Box::new(|entry| {
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    if let Ok(mut v) = found.lock() {
                        v.push(e.into_path());
                    }
                }
                Ok(e) if e.file_type().is_some_and(|t| !t.is_dir()) => {
                    if let (Some(note), Ok(mut v)) = (not_regular(&e), problems.lock()) {
                        v.push(note);
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    if let Ok(mut v) = problems.lock() {
                        v.push(walk_problem(&err));
                    }
                }
            }
            ignore::WalkState::Continue
        })
    });
    let paths = sorted(found.into_inner().unwrap_or_default());
    let mut diagnostics = problems.into_inner().unwrap_or_default();

    let display: Vec<String> = paths.iter().map(|p| display_path(p)).collect();
    let charts: BTreeSet<String> = display
        .iter()
        .filter_map(|p| p.strip_suffix("Chart.yaml"))
        .filter(|dir| dir.is_empty() || dir.ends_with('/'))
        .map(str::to_string)
        .collect();
    let mut inputs = Vec::new();
    for (path, shown) in paths.into_iter().zip(display) {
        // In a chart's `templates/`, or in a chart under another chart's `charts/` (rendered as that
        // chart's dependency, not alone). The chart folders are looked up among the path's own
        // folders, not tried one by one.
        let folders = std::iter::once(0).chain(shown.match_indices('/').map(|(i, _)| i + 1));
        let in_chart = folders.filter(|&end| charts.contains(&shown[..end])).any(|end| {
            let rest = &shown[end..];
            rest.starts_with("templates/") || rest.starts_with("charts/")
        });
        let class = if in_chart { Classified::HelmTemplate } else { classify(&shown) };
        if matches!(class, Classified::Unknown | Classified::HelmTemplate) {
            continue;
        }
        inputs.push(Input { path: shown, origin: Origin::Disk(path), class });
    }
    diagnostics.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((inputs, diagnostics))
}

/// Forward slashes and no leading `./`, so paths read the same on every platform and in SARIF.
pub fn display_path(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    let mut s = s.as_str();
    while let Some(rest) = s.strip_prefix("./") {
        s = rest;
    }
    s.to_string()
}

/// A note for a path of a checked kind that is not a regular file (a symlink, FIFO, socket or
/// device). It is skipped, never opened, so a FIFO cannot block the run.
fn not_regular(e: &ignore::DirEntry) -> Option<Diagnostic> {
    let path = display_path(e.path());
    if matches!(classify(&path), Classified::Unknown) {
        return None;
    }
    let what = if e.path_is_symlink() {
        "a symbolic link (links are not followed, so the check never leaves the given roots)"
    } else {
        "not a regular file (a FIFO, socket or device)"
    };
    Some(Diagnostic {
        code: DiagnosticCode::ReadError,
        level: Level::Note,
        path,
        location: None,
        message: format!("skipped: {what}"),
    })
}

fn walk_problem(err: &ignore::Error) -> Diagnostic {
    let path = walk_error_path(err).map(display_path).unwrap_or_default();
    Diagnostic {
        code: DiagnosticCode::ReadError,
        level: Level::Warning,
        path,
        location: None,
        message: format!("could not walk: {}", innermost(err)),
    }
}

fn walk_error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
            walk_error_path(err)
        }
        ignore::Error::Loop { child, .. } => Some(child),
        _ => None,
    }
}

fn innermost(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. }
        | ignore::Error::WithDepth { err, .. }
        | ignore::Error::WithLineNumber { err, .. } => innermost(err),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk's order is `Path`'s: component by component, so `a/b` sorts before `a-b` and `a.b`
    /// (a string sort would put them after), and `a//b` and `a/./b` are `a/b`.
    #[test]
    fn paths_sort_and_dedup_as_path_does() {
        let list = [
            "a-b",
            "a/b",
            "a.b",
            "a/b/c",
            "a//b",
            "a/./b",
            "a",
            "A",
            "/x",
            "/",
            "./a",
            "../z",
            "a/b!",
            "a/b.c",
            "a/b/",
            "ab",
            "a/ba",
            "a/b\u{e9}",
            "a/b c",
            "z",
            "./",
            "..",
            "a/b/c/d",
            "a!/b",
        ];
        let paths: Vec<PathBuf> = list.iter().map(PathBuf::from).collect();
        let mut expected = paths.clone();
        expected.sort();
        expected.dedup();
        assert_eq!(sorted(paths), expected);
    }

    /// Files in a chart's `templates/` and in its subcharts are rendered with the chart, not checked
    /// alone; a folder merely named like one is not.
    #[test]
    fn chart_files_are_left_to_the_chart() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let files = [
            "Chart.yaml",
            "templates/deploy.yaml",
            "charts/db/Chart.yaml",
            "charts/db/values.yaml",
            "apps/web/Chart.yaml",
            "apps/web/templates/svc.yaml",
            "apps/web/values.yaml",
            "apps/webx/templates/not-a-chart.yaml",
            "k8s/templates/plain.yaml",
        ];
        for f in files {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap_or(dir.path())).unwrap_or_else(|e| panic!("{e}"));
            std::fs::write(p, "kind: ConfigMap\n").unwrap_or_else(|e| panic!("{e}"));
        }
        let opts = DiscoverOptions { honour_ignore_files: true, threads: 1 };
        let (inputs, _) = discover(&[dir.path().to_path_buf()], &opts).unwrap_or_else(|e| panic!("{e}"));
        let root = display_path(dir.path());
        let found: Vec<&str> = inputs
            .iter()
            .map(|i| i.path.strip_prefix(&root).unwrap_or(&i.path).trim_start_matches('/'))
            .collect();
        // The root chart's own templates and subcharts are left out, and so is everything below the
        // nested chart's templates; everything else is checked.
        assert_eq!(
            found,
            [
                "Chart.yaml",
                "apps/web/Chart.yaml",
                "apps/web/values.yaml",
                "apps/webx/templates/not-a-chart.yaml",
                "k8s/templates/plain.yaml"
            ]
        );
    }
}
