//! The files of a repository that a check may read besides the one it checks: a GitLab pipeline's
//! local includes, the reusable workflows and local actions a GitHub workflow calls, the workflows that
//! call an action.
//!
//! The run's own inputs come first (and, in the editor, the unsaved buffers), then the disk. Reads stay
//! inside the repository folder they are asked about (no `..`, no absolute paths, no symlinks out of
//! it), skip files over [`MAX_FILE_BYTES`], and listings are bounded, so a hostile repository cannot
//! make a check read the machine or walk forever.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

/// Files larger than this are not read.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;
/// A listing stops after this many entries (files and folders) looked at.
pub const MAX_LISTED: usize = 5_000;
/// Folders never listed: not the user's configuration, and often huge.
const SKIPPED_DIRS: [&str; 3] = [".git", "node_modules", ".terraform"];

/// Texts by display path (forward slashes), read before the disk.
#[derive(Clone, Debug)]
pub struct Workspace {
    /// Shared, so a view that records nothing ([`Workspace::unrecorded`]) costs no copy.
    memory: Arc<BTreeMap<String, Arc<str>>>,
    /// Whether files not in memory are read from disk (not for rule examples, which must not depend
    /// on the folder they run in).
    disk: bool,
    /// What was read from disk, as [`fact`] keys and their facts: the cache keeps a unit's results
    /// only while these stay the same.
    reads: Arc<Mutex<BTreeMap<String, Option<String>>>>,
}

impl Default for Workspace {
    fn default() -> Workspace {
        Workspace::new(BTreeMap::new(), true)
    }
}

impl Workspace {
    pub fn new(memory: BTreeMap<String, Arc<str>>, disk: bool) -> Workspace {
        Workspace { memory: Arc::new(memory), disk, reads: Arc::default() }
    }

    /// The same files, with reads that go unrecorded: for a pass whose reads are not the unit's.
    pub fn unrecorded(&self) -> Workspace {
        Workspace { memory: self.memory.clone(), disk: self.disk, reads: Arc::default() }
    }

    /// The disk reads so far (see [`fact`]), emptied.
    pub fn take_reads(&self) -> BTreeMap<String, Option<String>> {
        self.reads.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default()
    }

    fn record(&self, key: String, fact: Option<String>) {
        if let Ok(mut reads) = self.reads.lock() {
            reads.insert(key, fact);
        }
    }

    pub fn insert(&mut self, path: &str, text: Arc<str>) {
        Arc::make_mut(&mut self.memory).insert(path.to_string(), text);
    }

    /// The file at `rel` (forward slashes, relative to the repository folder `root`; a leading `./`
    /// or `/` is ignored), as its display path and text. `None` when it does not exist, is not a
    /// regular file, is too large, is not UTF-8 text, or would leave `root`.
    pub fn read(&self, root: &str, rel: &str) -> Option<(String, Arc<str>)> {
        let rel = clean(rel)?;
        let shown = join(root, &rel);
        if let Some(text) = self.memory.get(&shown) {
            return Some((shown, text.clone()));
        }
        if !self.disk {
            return None;
        }
        let found = read_disk(root, &rel).map(|text| (shown, text));
        self.record(format!("ws-file:{root}\n{rel}"), found.as_ref().map(|(_, t)| hash(t.as_bytes())));
        found
    }

    /// The files under the folder `dir` of the repository at `root`, at most `depth` folders down
    /// (0: the folder's own files), as paths relative to `root`, sorted. From memory and disk; folders
    /// reached through symlinks are not entered.
    pub fn list(&self, root: &str, dir: &str, depth: usize) -> Vec<String> {
        let Some(dir) = clean_dir(dir) else { return Vec::new() };
        let mut out = std::collections::BTreeSet::new();
        let prefix = match (root.is_empty(), dir.is_empty()) {
            (true, true) => String::new(),
            (true, false) => format!("{dir}/"),
            (false, true) => format!("{root}/"),
            (false, false) => format!("{root}/{dir}/"),
        };
        for path in self.memory.keys().filter(|p| p.starts_with(&prefix)) {
            let below = &path[prefix.len()..];
            if below.matches('/').count() <= depth {
                let rel = if dir.is_empty() { below.to_string() } else { format!("{dir}/{below}") };
                out.insert(rel);
            }
        }
        if self.disk {
            let listed = list_disk(root, &dir, depth);
            self.record(format!("ws-list:{root}\n{dir}\n{depth}"), Some(hash(listed.join("\n").as_bytes())));
            out.extend(listed);
        }
        out.into_iter().collect()
    }
}

/// What a recorded read (a key of [`Workspace::take_reads`]) finds on disk now, computed as the read
/// did: a hash of the file's text or of the listing. `None` for a key that is not a workspace read.
pub fn fact(key: &str) -> Option<Option<String>> {
    if let Some(rest) = key.strip_prefix("ws-file:") {
        let (root, rel) = rest.split_once('\n')?;
        return Some(read_disk(root, rel).map(|t| hash(t.as_bytes())));
    }
    let rest = key.strip_prefix("ws-list:")?;
    let mut parts = rest.splitn(3, '\n');
    let (root, dir, depth) = (parts.next()?, parts.next()?, parts.next()?.parse().ok()?);
    Some(Some(hash(list_disk(root, dir, depth).join("\n").as_bytes())))
}

/// The SHA-256 of `bytes` in lower-case hex: the fact a recorded read keeps of a file or listing.
pub(crate) fn hash(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(bytes))
}

fn clean_dir(dir: &str) -> Option<String> {
    match dir.trim() {
        "" | "." | "./" | "/" => Some(String::new()),
        d => clean(d),
    }
}

fn list_disk(root: &str, dir: &str, depth: usize) -> Vec<String> {
    let mut out = std::collections::BTreeSet::new();
    let start = disk_root(root).join(dir);
    let mut budget = MAX_LISTED;
    walk(&start, dir, depth, &mut budget, &mut out);
    out.into_iter().collect()
}

/// The text of `rel` (already cleaned) under `root` on disk, if it stays inside `root`, is a
/// regular file within the size limit and is UTF-8 text without NUL bytes.
fn read_disk(root: &str, rel: &str) -> Option<Arc<str>> {
    let root_dir = disk_root(root);
    let (root_real, file_real) = (root_dir.canonicalize().ok()?, root_dir.join(rel).canonicalize().ok()?);
    if !file_real.starts_with(&root_real) {
        return None;
    }
    let meta = std::fs::metadata(&file_real).ok()?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        return None;
    }
    let bytes = std::fs::read(&file_real).ok()?;
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok().map(Arc::from)
}

fn walk(
    folder: &Path,
    rel: &str,
    depth: usize,
    budget: &mut usize,
    out: &mut std::collections::BTreeSet<String>,
) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let Some(name) = entry.file_name().to_str().map(str::to_string) else { continue };
        let Ok(kind) = entry.file_type() else { continue };
        let child = if rel.is_empty() { name.clone() } else { format!("{rel}/{name}") };
        if kind.is_file() {
            out.insert(child);
        } else if kind.is_dir() && depth > 0 && !SKIPPED_DIRS.contains(&name.as_str()) {
            walk(&entry.path(), &child, depth - 1, budget, out);
        }
    }
}

/// `root` joined with a relative path, as a display path.
pub fn join(root: &str, rel: &str) -> String {
    if root.is_empty() || root == "." {
        rel.to_string()
    } else {
        format!("{}/{rel}", root.trim_end_matches('/'))
    }
}

/// The folder holding `path` (`""` for a file in the current folder).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A relative path made of plain names only: `./a/b` and `/a/b` become `a/b`; `..`, empty paths and
/// Windows prefixes are refused.
fn clean(rel: &str) -> Option<String> {
    let rel = rel.trim();
    let rel = rel.strip_prefix("./").unwrap_or(rel).trim_start_matches('/').trim_end_matches('/');
    if rel.is_empty() || rel.contains('\\') {
        return None;
    }
    let path = Path::new(rel);
    if !path.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir)) {
        return None;
    }
    let parts: Vec<&str> = rel.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn disk_root(root: &str) -> PathBuf {
    if root.is_empty() { PathBuf::from(".") } else { PathBuf::from(root) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_first_then_disk_and_never_outside() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_string_lossy().replace('\\', "/");
        std::fs::create_dir_all(dir.path().join("ci/sub")).unwrap();
        std::fs::write(dir.path().join("ci/a.yml"), "on disk").unwrap();
        std::fs::write(dir.path().join("ci/sub/b.yml"), "deeper").unwrap();
        std::fs::write(dir.path().join("outside.yml"), "no").unwrap();
        let mut ws = Workspace::default();
        ws.insert(&format!("{root}/ci/a.yml"), "in memory".into());
        ws.insert(&format!("{root}/ci/c.yml"), "only in memory".into());
        assert_eq!(ws.read(&root, "./ci/a.yml").map(|(_, t)| t.to_string()).as_deref(), Some("in memory"));
        assert_eq!(ws.read(&root, "/ci/sub/b.yml").map(|(_, t)| t.to_string()).as_deref(), Some("deeper"));
        let ci = format!("{root}/ci");
        assert!(ws.read(&ci, "../outside.yml").is_none());
        assert!(ws.read(&ci, "").is_none());
        assert_eq!(ws.list(&root, "ci", 0), ["ci/a.yml", "ci/c.yml"]);
        assert_eq!(ws.list(&root, "ci", 1), ["ci/a.yml", "ci/c.yml", "ci/sub/b.yml"]);
        assert!(ws.list(&root, "../", 3).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_out_of_the_repository_are_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.yml"), "secret").unwrap();
        let repo = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret.yml"), repo.path().join("link.yml")).unwrap();
        std::os::unix::fs::symlink(outside.path(), repo.path().join("dir")).unwrap();
        let root = repo.path().to_string_lossy().to_string();
        let ws = Workspace::default();
        assert!(ws.read(&root, "link.yml").is_none());
        assert!(ws.read(&root, "dir/secret.yml").is_none());
        assert!(ws.list(&root, "", 3).iter().all(|p| !p.starts_with("dir/")));
    }
}
