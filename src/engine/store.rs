//! The run's files between reading and checking.
//!
//! Every input is read up front: rules look other files up by path (a GitLab include, a called
//! workflow), so every text must be there before the first unit runs. Models are different: they are
//! the bulk of a run's memory (about ten bytes per byte of source), so each file is parsed when a unit
//! first needs it and loses its model as soon as its own unit is done. What is left of it (text, line
//! index, comments, parse issues) is what later passes need for locations and suppressions.
//!
//! A file whose model a later unit reads is kept whole instead: a folder that a local `module` block
//! calls, a `.tfvars` file beside a module, a file the environments pass compares. These are marked
//! before the units run ([`Store::keep`]), from the texts and paths alone. A file marked too late is
//! parsed again when asked for: correct, only slower, and it is then kept.

use super::timings::{Phase, timed};
use super::{CheckOptions, Loaded, Read, diag, internal_message};
use crate::finding::{Diagnostic, DiagnosticCode, Level};
use crate::model::ParsedFile;
use crate::source::{FileKind, Syntax};
use foldhash::HashMap;
use parking_lot::Mutex;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub(super) struct Store {
    slots: Vec<Slot>,
    /// The first file with each path (as a scan in order would find).
    by_path: HashMap<String, usize>,
    /// Each folder's files, in run order.
    by_dir: HashMap<String, Vec<usize>>,
    /// Internal errors while parsing (a bug in a parser): the file is left out, the run goes on.
    failures: Mutex<Vec<Diagnostic>>,
}

struct Slot {
    path: String,
    kind: FileKind,
    syntax: Syntax,
    text: Arc<str>,
    keep: AtomicBool,
    state: Mutex<State>,
}

enum State {
    /// Read, not parsed yet.
    Read(Read),
    Parsed(Arc<Loaded>),
    /// Its unit is done: the model is gone, the rest stays.
    Done(Arc<Loaded>),
    /// Parsing panicked.
    Failed,
}

impl Store {
    pub(super) fn new(reads: Vec<Read>) -> Store {
        use rayon::prelude::*;
        // Before the first unit, with nothing else to run beside it: on every thread.
        let slots: Vec<Slot> = reads
            .into_par_iter()
            .map(|r| Slot {
                path: r.path.clone(),
                kind: r.kind,
                syntax: r.syntax,
                text: r.text.clone(),
                keep: AtomicBool::new(false),
                state: Mutex::new(State::Read(r)),
            })
            .collect();
        let (by_path, by_dir) = rayon::join(
            || {
                let mut by_path = HashMap::with_capacity_and_hasher(slots.len(), Default::default());
                for (i, s) in slots.iter().enumerate() {
                    by_path.entry(s.path.clone()).or_insert(i);
                }
                by_path
            },
            || {
                let mut by_dir: HashMap<String, Vec<usize>> = HashMap::default();
                for (i, s) in slots.iter().enumerate() {
                    // Most files share their folder with the file before: no key copy for those.
                    match by_dir.get_mut(dir_of(&s.path)) {
                        Some(files) => files.push(i),
                        None => _ = by_dir.insert(dir_of(&s.path).to_string(), vec![i]),
                    }
                }
                by_dir
            },
        );
        Store { slots, by_path, by_dir, failures: Mutex::new(Vec::new()) }
    }

    pub(super) fn len(&self) -> usize {
        self.slots.len()
    }

    pub(super) fn path(&self, i: usize) -> &str {
        self.slots.get(i).map_or("", |s| &s.path)
    }

    pub(super) fn kind(&self, i: usize) -> Option<FileKind> {
        self.slots.get(i).map(|s| s.kind)
    }

    pub(super) fn text(&self, i: usize) -> Option<&Arc<str>> {
        self.slots.get(i).map(|s| &s.text)
    }

    pub(super) fn index_of(&self, path: &str) -> Option<usize> {
        self.by_path.get(path).copied()
    }

    /// A folder's files, in run order.
    pub(super) fn in_dir(&self, dir: &str) -> &[usize] {
        self.by_dir.get(dir).map_or(&[][..], |v| &v[..])
    }

    /// Keeps the file's model until the end of the run: a later unit or pass reads it.
    pub(super) fn keep(&self, i: usize) {
        if let Some(s) = self.slots.get(i) {
            s.keep.store(true, Ordering::Relaxed);
        }
    }

    /// The file with its model, parsed now if nothing has needed it yet (and again if its unit is
    /// done and it was not kept). `None` when parsing it hit a bug (an internal-error diagnostic).
    pub(super) fn model(&self, i: usize, opts: &CheckOptions) -> Option<Arc<Loaded>> {
        let slot = self.slots.get(i)?;
        let mut state = slot.state.lock();
        let mut before = None;
        let read = match std::mem::replace(&mut *state, State::Failed) {
            State::Parsed(f) => {
                *state = State::Parsed(f.clone());
                return Some(f);
            }
            State::Failed => return None,
            State::Read(read) => read,
            // Asked for after its unit let it go: a reader nobody foresaw. Parse it again, and keep it
            // for the next one.
            State::Done(f) => {
                slot.keep.store(true, Ordering::Relaxed);
                before = Some(f.clone());
                Read {
                    path: f.path.clone(),
                    kind: f.kind,
                    syntax: slot.syntax,
                    text: f.text.clone(),
                    index: f.index.clone(),
                    disk: f.disk.clone(),
                }
            }
        };
        match catch_unwind(AssertUnwindSafe(|| super::parse_read(read, opts))) {
            Ok(loaded) => {
                let loaded = Arc::new(loaded);
                *state = State::Parsed(loaded.clone());
                Some(loaded)
            }
            // A second parse that fails leaves what the first one left (its locations, its comments).
            Err(_) if before.is_some() => {
                *state = before.map_or(State::Failed, State::Done);
                None
            }
            Err(_) => {
                let message = internal_message("parsing");
                let d = diag(DiagnosticCode::InternalError, Level::Error, &slot.path, None, message);
                self.failures.lock().push(d);
                None
            }
        }
    }

    /// The file as it is now, for its text, line index and comments: with its model if it still has
    /// one (parsed now if it was never parsed).
    pub(super) fn get(&self, path: &str, opts: &CheckOptions) -> Option<Arc<Loaded>> {
        let i = self.index_of(path)?;
        let slot = self.slots.get(i)?;
        if let State::Done(f) = &*slot.state.lock() {
            return Some(f.clone());
        }
        self.model(i, opts)
    }

    /// The file's unit is done: its model goes, unless something later reads it.
    pub(super) fn release(&self, i: usize, opts: &CheckOptions) {
        let Some(slot) = self.slots.get(i) else { return };
        if slot.keep.load(Ordering::Relaxed) {
            return;
        }
        let mut state = slot.state.lock();
        if !matches!(*state, State::Parsed(_)) {
            // Never parsed (its unit failed first) or already done: nothing to free.
            return;
        }
        let State::Parsed(f) = std::mem::replace(&mut *state, State::Failed) else { return };
        let (rest, model) = match Arc::try_unwrap(f) {
            Ok(mut whole) => {
                let model = std::mem::take(&mut whole.parsed.docs);
                (whole, Some(model))
            }
            // A module call in another unit still reads it: that unit frees the model when done.
            Err(shared) => (
                Loaded {
                    path: shared.path.clone(),
                    kind: shared.kind,
                    text: shared.text.clone(),
                    index: shared.index.clone(),
                    parsed: ParsedFile {
                        docs: Vec::new(),
                        comments: shared.parsed.comments.clone(),
                        issues: shared.parsed.issues.clone(),
                    },
                    disk: shared.disk.clone(),
                },
                None,
            ),
        };
        *state = State::Done(Arc::new(rest));
        drop(state);
        timed(opts.timings.as_deref(), Phase::Free, || drop(model));
    }

    /// Every file as it ends the run (without the ones whose parse failed), in run order, and the
    /// internal errors of those.
    pub(super) fn finish(self) -> (Vec<Arc<Loaded>>, Vec<Diagnostic>) {
        let files = self
            .slots
            .into_iter()
            .filter_map(|s| match s.state.into_inner() {
                State::Parsed(f) | State::Done(f) => Some(f),
                State::Read(_) | State::Failed => None,
            })
            .collect();
        (files, self.failures.into_inner())
    }
}

pub(super) fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// The folders that local `module` blocks in a Terraform file's text call (`source = "./…"` or
/// `"../…"`), as display paths. Read from the text, before any parse: a block this misses (a source
/// split over lines, a `.tf.json` file) is still followed, at the cost of a second parse of the folder.
pub(super) fn local_module_sources(folder: &str, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for at in memchr::memmem::find_iter(text.as_bytes(), b"source") {
        let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
        if !text[line_start..at].trim().is_empty() {
            continue;
        }
        let rest = text[at + "source".len()..].trim_start_matches([' ', '\t']);
        let Some(rest) = rest.strip_prefix('=') else { continue };
        let Some(rest) = rest.trim_start_matches([' ', '\t']).strip_prefix('"') else { continue };
        let Some(end) = rest.find(['"', '\n']) else { continue };
        let source = &rest[..end];
        let local = source.starts_with("./") || source.starts_with("../") || source == "." || source == "..";
        if let Some(dir) = local.then(|| crate::terraform::join(folder, source)).flatten() {
            out.push(dir);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_module_sources_are_read_from_the_text() {
        let text = "module \"a\" {\n  source = \"../shared/net\"\n}\nmodule \"b\" {\n  source=\"./child\"\n}\n\
                    module \"c\" {\n  source = \"terraform-aws-modules/vpc/aws\"\n}\n\
                    # source = \"../commented\"\n\
                    locals {\n  x = \"source = ../not/a/line/start\"\n}\n";
        assert_eq!(local_module_sources("envs/prod", text), ["envs/shared/net", "envs/prod/child"]);
    }

    fn opts() -> CheckOptions {
        CheckOptions::default()
    }

    fn store(files: &[(&str, &str)]) -> Store {
        let reads = files
            .iter()
            .map(|(path, text)| {
                let input = crate::discover::Input::from_memory(path, text.as_bytes().to_vec());
                super::super::read_input(&input, &opts()).0.unwrap_or_else(|| panic!("{path} not read"))
            })
            .collect();
        Store::new(reads)
    }

    /// A released file keeps what locations and suppressions need, loses its model, and is parsed
    /// again (then kept) when a reader nobody foresaw asks for it.
    #[test]
    fn released_files_lose_only_their_model() {
        let s = store(&[("m/main.tf", "# smelt:ignore x -- why\nx = 1\n"), ("m/b.tf", "y = 2\n")]);
        let first = s.model(0, &opts()).unwrap_or_else(|| panic!("parsed"));
        assert_eq!(first.parsed.docs.len(), 1);
        drop(first);
        s.release(0, &opts());
        let done = s.get("m/main.tf", &opts()).unwrap_or_else(|| panic!("there"));
        assert!(done.parsed.docs.is_empty());
        assert_eq!(done.parsed.comments.len(), 1);
        assert_eq!(done.index.line_of(25), 1);
        let again = s.model(0, &opts()).unwrap_or_else(|| panic!("parsed again"));
        assert_eq!(again.parsed.docs.len(), 1);
        s.release(0, &opts());
        assert_eq!(
            s.get("m/main.tf", &opts()).map(|f| f.parsed.docs.len()),
            Some(1),
            "kept after the reparse"
        );
        // A kept file is never released; one still read elsewhere is released without its model.
        s.keep(1);
        let held = s.model(1, &opts());
        s.release(1, &opts());
        assert_eq!(s.get("m/b.tf", &opts()).map(|f| f.parsed.docs.len()), Some(1));
        drop(held);
        let (files, failures) = s.finish();
        assert_eq!(files.len(), 2);
        assert!(failures.is_empty());
    }

    /// Letting go of a file never parsed, or of one already let go, leaves it as it was.
    #[test]
    fn releasing_twice_or_before_parsing_changes_nothing() {
        let s = store(&[("a.tf", "# c\nx = 1\n"), ("b.tf", "y = 2\n")]);
        s.release(1, &opts());
        assert_eq!(s.get("b.tf", &opts()).map(|f| f.parsed.docs.len()), Some(1), "parsed when asked");
        drop(s.model(0, &opts()));
        s.release(0, &opts());
        s.release(0, &opts());
        assert!(
            s.get("a.tf", &opts()).is_some_and(|f| f.parsed.docs.is_empty() && f.parsed.comments.len() == 1)
        );
        assert_eq!(s.finish().0.len(), 2);
    }

    #[test]
    fn a_file_shared_when_released_keeps_its_model_for_the_holder() {
        let s = store(&[("a.tf", "x = 1\n")]);
        let held = s.model(0, &opts()).unwrap_or_else(|| panic!("parsed"));
        s.release(0, &opts());
        assert_eq!(held.parsed.docs.len(), 1);
        assert!(s.get("a.tf", &opts()).is_some_and(|f| f.parsed.docs.is_empty()));
    }
}
