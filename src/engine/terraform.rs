//! Terraform units: a module folder evaluated (see [`crate::terraform`]), and the findings its
//! module calls cause inside the modules it calls — nested local modules and, after `terraform init`,
//! the copies in `.terraform/modules` — reported at the module's line with related locations back
//! to the caller's argument.
//!
//! Files outside the checked units (a module folder that was not scanned, a `.terraform` copy, a
//! file `file()` names) are read from disk only inside the scanned roots, and every such read is
//! recorded with a hash of what was read, so the cache can tell when a unit's result is stale.

use super::store::{Store, dir_of, local_module_sources};
use super::{Loaded, apply_suppressions, finding, fingerprint, load, location};
use crate::discover::Input;
use crate::finding::{Finding, Related};
use crate::model::{Node, ParsedFile};
use crate::rules::registry::RuleSet;
use crate::rules::{FileView, OtherFile, RawFinding};
use crate::source::FileKind;
use crate::span::Span;
use crate::terraform::{
    CliValue, Env, FileReader, ModuleFile, Origin, calls, evaluate_call, evaluate_module, join, modules_json,
    relative,
};
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// Deepest chain of module calls followed from one unit.
const MAX_CALL_DEPTH: usize = 8;
/// Module calls evaluated per unit (each checks the called folder twice).
const MAX_CALLS: usize = 64;

/// A `--var-file` or `--var` as given on the command line.
#[derive(Clone, Debug)]
pub enum TfVar {
    File { path: String, text: Arc<str> },
    Var { name: String, value: String },
}

/// The Terraform settings of a run.
#[derive(Clone, Debug, Default)]
pub struct TerraformOptions {
    /// `--var-file` and `--var`, in the order given: applied to every module folder checked.
    pub vars: Vec<TfVar>,
    /// Folders (canonical paths) inside which smelt may read files the checked ones point to:
    /// module folders, `.terraform/modules` copies, `file()` paths. Empty: none are read.
    pub read_roots: Vec<PathBuf>,
}

/// The command line's values, parsed once per run.
pub(super) struct TfRun {
    vars: Vec<ParsedVar>,
    read_roots: Vec<PathBuf>,
    max_file_size: u64,
}

enum ParsedVar {
    File { path: String, parsed: ParsedFile },
    Var { name: String, literal: Node, parsed: Option<Node> },
}

impl TfRun {
    pub(super) fn new(opts: &super::CheckOptions) -> (TfRun, Vec<Loaded>) {
        let mut files = Vec::new();
        let mut vars = Vec::new();
        for v in &opts.terraform.vars {
            match v {
                TfVar::File { path, text } => {
                    let input = Input::from_memory(path, text.as_bytes().to_vec());
                    let (loaded, _) = load(&input, opts);
                    if let Some(loaded) = loaded {
                        vars.push(ParsedVar::File {
                            path: loaded.path.clone(),
                            parsed: loaded.parsed.clone(),
                        });
                        files.push(loaded);
                    }
                }
                TfVar::Var { name, value } => {
                    let literal = Node::new(Span::default(), crate::model::Value::Str(value.clone()));
                    let source = format!("v = {value}\n");
                    let file = crate::parse::hcl::parse(&source, &opts.limits);
                    let parsed =
                        file.issues.is_empty().then(|| file.docs.first()?.get("v").cloned()).flatten();
                    let parsed = parsed.map(|mut n| {
                        n.set_span_deep(Span::default());
                        n
                    });
                    vars.push(ParsedVar::Var { name: name.clone(), literal, parsed });
                }
            }
        }
        let run =
            TfRun { vars, read_roots: opts.terraform.read_roots.clone(), max_file_size: opts.max_file_size };
        (run, files)
    }

    fn cli_values(&self) -> Vec<CliValue<'_>> {
        self.vars
            .iter()
            .map(|v| match v {
                ParsedVar::File { path, parsed } => {
                    CliValue::File(ModuleFile { path, text: "", docs: &parsed.docs })
                }
                ParsedVar::Var { name, literal, parsed } => {
                    CliValue::Var { name, literal, parsed: parsed.as_ref() }
                }
            })
            .collect()
    }

    /// Whether `path` (a display path) lies inside a read root; symbolic links are resolved first,
    /// so a link cannot lead outside.
    fn allowed(&self, path: &str) -> bool {
        if self.read_roots.is_empty() {
            return false;
        }
        let p = Path::new(path);
        // A path in a folder that does not exist (`.terraform/modules/modules.json` before `terraform
        // init`, asked for every module folder) resolves to nothing: one look at the folder instead
        // of resolving each part of both paths.
        if let Some(folder) = p.parent().filter(|d| !d.as_os_str().is_empty())
            && std::fs::metadata(folder).is_err()
        {
            return false;
        }
        let resolved = std::fs::canonicalize(p)
            .or_else(|_| p.parent().map_or(Err(std::io::ErrorKind::NotFound.into()), std::fs::canonicalize));
        resolved.is_ok_and(|r| self.read_roots.iter().any(|root| r.starts_with(root)))
    }
}

/// What a unit read outside itself: `file:PATH` or `dir:PATH` → a hash of what was there.
pub(super) type Reads = RefCell<BTreeMap<String, Option<String>>>;

/// The current state of a recorded read (see [`Reads`]), computed exactly as the check did, so the
/// cache can compare it with the recorded one.
pub fn read_fact(key: &str, max_file_size: u64) -> Option<String> {
    if let Some(fact) = crate::workspace::fact(key) {
        return fact;
    }
    let hash = crate::workspace::hash;
    if let Some(path) = key.strip_prefix("file:") {
        return read_bytes(path, max_file_size).map(|b| hash(&b));
    }
    let path = key.strip_prefix("dir:")?;
    Some(hash(list_dir(path)?.join("\n").as_bytes()))
}

fn read_bytes(path: &str, max: u64) -> Option<Vec<u8>> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() || meta.len() > max {
        return None;
    }
    std::fs::read(path).ok()
}

/// The Terraform files (`.tf`, `.tf.json`, `.tfvars`, `.tfvars.json`) in a folder, by name.
fn list_dir(dir: &str) -> Option<Vec<String>> {
    let on_disk = if dir.is_empty() { "." } else { dir };
    let mut names: Vec<String> = std::fs::read_dir(on_disk)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| {
            matches!(
                crate::source::classify(n),
                crate::source::Classified::Kind(FileKind::Terraform | FileKind::TerraformVars, _)
            )
        })
        .collect();
    names.sort();
    Some(names)
}

/// Reads for `file()` and module folders, recorded in [`Reads`].
struct Disk<'r> {
    run: &'r TfRun,
    reads: &'r Reads,
}

impl Disk<'_> {
    fn bytes(&self, path: &str) -> Option<Vec<u8>> {
        if !self.run.allowed(path) {
            return None;
        }
        let key = format!("file:{path}");
        let bytes = read_bytes(path, self.run.max_file_size);
        let fact = read_fact(&key, self.run.max_file_size);
        self.reads.borrow_mut().insert(key, fact);
        bytes
    }

    fn dir(&self, dir: &str) -> Option<Vec<String>> {
        if !self.run.allowed(if dir.is_empty() { "." } else { dir }) {
            return None;
        }
        let key = format!("dir:{dir}");
        self.reads.borrow_mut().insert(key.clone(), read_fact(&key, self.run.max_file_size));
        list_dir(dir)
    }
}

impl FileReader for Disk<'_> {
    fn read(&self, path: &str) -> Option<Arc<str>> {
        String::from_utf8(self.bytes(path)?).ok().map(Arc::from)
    }

    fn exists(&self, path: &str) -> Option<bool> {
        if !self.run.allowed(path) {
            return None;
        }
        let key = format!("file:{path}");
        let fact = read_fact(&key, self.run.max_file_size);
        let exists = std::fs::metadata(path).is_ok_and(|m| m.is_file());
        self.reads.borrow_mut().insert(key, fact);
        Some(exists)
    }
}

/// A member's evaluated copy (`None`: unchanged), where substituted values were set, and the blocks
/// left out because they create nothing.
pub(super) type Evaluated = (Option<ParsedFile>, Vec<(Span, Origin)>, Vec<Span>);

/// Keeps the models of the folders local `module` blocks call, and of the `.tfvars` files beside
/// `.tf` files: units other than their own read them (see [`super::store`]).
pub(super) fn keep_called_folders(store: &Store) {
    use rayon::prelude::*;
    let mut called: Vec<String> = (0..store.len())
        .into_par_iter()
        .flat_map_iter(|i| match store.kind(i) {
            Some(FileKind::Terraform) => store
                .text(i)
                .map(|text| local_module_sources(dir_of(store.path(i)), text))
                .unwrap_or_default(),
            Some(FileKind::TerraformVars) => {
                let beside_module = store
                    .in_dir(dir_of(store.path(i)))
                    .iter()
                    .any(|&j| store.kind(j) == Some(FileKind::Terraform));
                if beside_module {
                    store.keep(i);
                }
                Vec::new()
            }
            _ => Vec::new(),
        })
        .collect();
    called.sort_unstable();
    called.dedup();
    for dir in &called {
        keep_folder(store, dir);
    }
}

/// Keeps a folder's Terraform files and variable files.
fn keep_folder(store: &Store, dir: &str) {
    for &i in store.in_dir(dir) {
        if matches!(store.kind(i), Some(FileKind::Terraform | FileKind::TerraformVars)) {
            store.keep(i);
        }
    }
}

/// A Terraform unit's files after partial evaluation, one entry per member (empty for other units).
pub(super) fn evaluate(
    members: &[&Loaded],
    files: &Store,
    run: &TfRun,
    reads: &Reads,
    opts: &super::CheckOptions,
) -> Vec<Evaluated> {
    if members.is_empty() || !members.iter().all(|f| f.kind == FileKind::Terraform) {
        return Vec::new();
    }
    let folder = members.first().map_or("", |f| dir_of(&f.path));
    let vars: Vec<Arc<Loaded>> = files
        .in_dir(folder)
        .iter()
        .filter(|&&i| files.kind(i) == Some(FileKind::TerraformVars))
        .filter_map(|&i| files.model(i, opts))
        .collect();
    let vars: Vec<&Loaded> = vars.iter().map(|f| &**f).collect();
    evaluate_folder(folder, members, &vars, run, reads)
}

fn evaluate_folder(
    folder: &str,
    members: &[&Loaded],
    vars: &[&Loaded],
    run: &TfRun,
    reads: &Reads,
) -> Vec<Evaluated> {
    let module: Vec<ModuleFile> = members.iter().map(|f| module_file(f, &f.parsed)).collect();
    let vars: Vec<ModuleFile> = vars.iter().map(|f| module_file(f, &f.parsed)).collect();
    let disk = Disk { run, reads };
    let env = Env::root(folder, Some(&disk));
    let out = evaluate_module(&module, &vars, &run.cli_values(), &env);
    let copies = members.iter().zip(out.docs).map(|(f, docs)| docs.map(|docs| copy(f, docs)));
    copies.zip(out.origins).zip(out.skipped).map(|((c, o), s)| (c, o, s)).collect()
}

fn module_file<'a>(f: &'a Loaded, parsed: &'a ParsedFile) -> ModuleFile<'a> {
    ModuleFile { path: &f.path, text: &f.text, docs: &parsed.docs }
}

fn copy(f: &Loaded, docs: Vec<Node>) -> ParsedFile {
    ParsedFile { docs, comments: f.parsed.comments.clone(), issues: f.parsed.issues.clone() }
}

/// "value set here": the variable default, `.tfvars` entry or local a finding's value came from.
pub(super) fn value_origin(
    found: &mut Finding,
    raw: &RawFinding,
    origins: &[(Span, Origin)],
    files: &Store,
    more: &[&Loaded],
    opts: &super::CheckOptions,
) {
    if raw.file.is_some() {
        return;
    }
    let Some((_, origin)) = find_origin(origins, raw.span) else { return };
    let in_run = files.get(&origin.path, opts);
    if let Some(f) = in_run.as_deref().or_else(|| more.iter().copied().find(|f| f.path == origin.path)) {
        let at = location(&f.path, &f.text, &f.index, origin.span);
        found.related.push(Related { location: at, message: "value set here".to_string() });
    }
}

/// The origin recorded for the expression that ends where `span` ends, inside it.
fn find_origin(origins: &[(Span, Origin)], span: Span) -> Option<&(Span, Origin)> {
    origins.iter().find(|(s, _)| span.contains(*s) && s.end == span.end)
}

/// A finding a module call causes inside the called module, with the lines (0-based) of the
/// calling unit's file whose suppressions cover it: the `module` block's first line and the line of
/// the argument the value came from.
pub(super) struct CallFinding {
    pub finding: Finding,
    pub caller: String,
    pub cover: Vec<usize>,
}

/// A folder's files: from the run when it read them, else from disk.
struct Folder {
    tf: Vec<Src>,
    vars: Vec<Src>,
}

#[derive(Clone)]
enum Src {
    Run(Arc<Loaded>),
    Disk(Rc<Loaded>),
}

impl std::ops::Deref for Src {
    type Target = Loaded;
    fn deref(&self) -> &Loaded {
        match self {
            Src::Run(f) => f,
            Src::Disk(f) => f,
        }
    }
}

/// One step of a chain of calls: the caller's evaluation origins, by file.
struct Hop {
    origins: HashMap<String, Vec<(Span, Origin)>>,
}

/// Per file of a folder, `(rule index, span)` of what each rule flags when it is checked on its own.
type OwnSpans = Vec<Vec<(usize, Span)>>;

struct Walk<'a> {
    files: &'a Store,
    rules: &'a RuleSet,
    run: &'a TfRun,
    reads: &'a Reads,
    opts: &'a super::CheckOptions,
    workspace: &'a crate::workspace::Workspace,
    root: String,
    /// `terraform init`'s record of module folders, by key.
    installed: Vec<(String, String)>,
    folders: HashMap<String, Rc<Folder>>,
    /// Per folder: the spans each rule flags when the folder is checked on its own.
    own: HashMap<String, Rc<OwnSpans>>,
    calls_left: usize,
    out: Vec<CallFinding>,
    /// Files read from disk that findings point into (their text goes to the report).
    shown: Vec<Arc<OtherFile>>,
}

/// The findings the unit's module calls cause inside the modules they call, and the files read from
/// disk that those findings point into.
#[allow(clippy::too_many_arguments)]
pub(super) fn check_calls(
    members: &[&Loaded],
    views: &[&ParsedFile],
    evaluated: &[Evaluated],
    files: &Store,
    rules: &RuleSet,
    run: &TfRun,
    reads: &Reads,
    opts: &super::CheckOptions,
    workspace: &crate::workspace::Workspace,
) -> (Vec<CallFinding>, Vec<Arc<OtherFile>>) {
    let folder = members.first().map_or("", |f| dir_of(&f.path)).to_string();
    let mut walk = Walk {
        files,
        rules,
        run,
        reads,
        opts,
        workspace,
        root: folder.clone(),
        installed: Vec::new(),
        folders: HashMap::new(),
        own: HashMap::new(),
        calls_left: MAX_CALLS,
        out: Vec::new(),
        shown: Vec::new(),
    };
    let record = join(&folder, ".terraform/modules/modules.json");
    let disk = Disk { run, reads };
    if let Some(text) = record.and_then(|p| disk.bytes(&p)).and_then(|b| String::from_utf8(b).ok()) {
        walk.installed = modules_json(&text);
    }
    let caller: Vec<ModuleFile> = members.iter().zip(views).map(|(f, p)| module_file(f, p)).collect();
    let origins = members.iter().zip(evaluated).map(|(f, e)| (f.path.clone(), e.1.clone())).collect();
    let mut chain = vec![Hop { origins }];
    let mut stack = vec![folder.clone()];
    walk.calls(&folder, &caller, "", &mut chain, &mut stack, None);
    let mut out = walk.out;
    out.sort_by(|a, b| {
        (&a.finding.location.path, a.finding.location.span, &a.finding.rule.name).cmp(&(
            &b.finding.location.path,
            b.finding.location.span,
            &b.finding.rule.name,
        ))
    });
    out.dedup_by(|a, b| {
        a.finding.location == b.finding.location
            && a.finding.rule.name == b.finding.rule.name
            && a.finding.related == b.finding.related
    });
    (out, walk.shown)
}

/// Where a top-level call sits in the unit: its file and the lines that cover its findings.
#[derive(Clone)]
struct TopCall {
    path: String,
    block_line: usize,
}

impl<'a> Walk<'a> {
    fn calls(
        &mut self,
        folder: &str,
        caller: &[ModuleFile<'_>],
        key_prefix: &str,
        chain: &mut Vec<Hop>,
        stack: &mut Vec<String>,
        top: Option<&TopCall>,
    ) {
        for call in calls(folder, caller) {
            if self.calls_left == 0 {
                return;
            }
            let key = if key_prefix.is_empty() {
                call.name.to_string()
            } else {
                format!("{key_prefix}.{}", call.name)
            };
            let child_dir = match &call.child_dir {
                Some(dir) => Some(dir.clone()),
                None => self.installed.iter().find(|(k, _)| *k == key).and_then(|(_, d)| join(&self.root, d)),
            };
            let Some(child_dir) = child_dir else { continue };
            if stack.contains(&child_dir) || stack.len() > MAX_CALL_DEPTH {
                continue;
            }
            let here = match top {
                Some(t) => t.clone(),
                None => {
                    let Some(file) = self.files.get(call.path, self.opts) else { continue };
                    TopCall { path: call.path.to_string(), block_line: file.index.line_of(call.span.start) }
                }
            };
            let folder_files = self.folder(&child_dir);
            if folder_files.tf.is_empty() {
                continue;
            }
            self.calls_left -= 1;
            let module: Vec<ModuleFile> = folder_files.tf.iter().map(|f| module_file(f, &f.parsed)).collect();
            let disk = Disk { run: self.run, reads: self.reads };
            let env = Env {
                module_path: relative(&self.root, &child_dir),
                root_dir: self.root.clone(),
                files: Some(&disk),
            };
            let called = evaluate_call(&module, &call.inputs, &env);
            let own = self.own(&child_dir);
            let copies: Vec<Option<ParsedFile>> =
                folder_files.tf.iter().zip(called.docs).map(|(f, d)| d.map(|docs| copy(f, docs))).collect();
            let as_called: Vec<&ParsedFile> =
                folder_files.tf.iter().zip(&copies).map(|(f, c)| c.as_ref().unwrap_or(&f.parsed)).collect();
            let docs: Vec<&Node> = as_called.iter().flat_map(|p| p.docs.iter()).collect();
            for (i, file) in folder_files.tf.iter().enumerate() {
                let Some(&parsed) = as_called.get(i) else { continue };
                let view = FileView::new(&file.path, file.kind, &file.text, parsed, self.workspace);
                let origins = called.origins.get(i).map_or(&[][..], |o| &o[..]);
                let already = own.get(i).map_or(&[][..], |o| &o[..]);
                let mut found = Vec::new();
                for (r, rule) in self.rules.rules.iter().enumerate().filter(|(_, r)| r.applies_to(file.kind))
                {
                    for raw in rule.run(&view, &docs) {
                        if raw.file.is_some() || already.contains(&(r, raw.span)) {
                            continue;
                        }
                        let mut f = finding(rule, file, &raw);
                        let arg_line = self.related(&mut f, &raw, origins, chain, &here, &call, &child_dir);
                        let mut cover = vec![here.block_line];
                        cover.extend(arg_line);
                        found.push((f, cover));
                    }
                }
                if found.is_empty() {
                    continue;
                }
                let mut findings: Vec<Finding> = found.iter().map(|(f, _)| f.clone()).collect();
                // The module's own suppressions (at the flagged line) still apply.
                let _ = apply_suppressions(file, &mut findings, &mut [], &[], self.rules);
                fingerprint(file, &mut findings);
                for (f, (_, cover)) in findings.into_iter().zip(found) {
                    self.out.push(CallFinding { finding: f, caller: here.path.clone(), cover });
                }
                if let Src::Disk(d) = file {
                    self.shown.push(Arc::new(OtherFile { path: d.path.clone(), text: d.text.clone() }));
                }
            }
            let hop_origins = folder_files
                .tf
                .iter()
                .zip(&called.origins)
                .map(|(f, o)| (f.path.clone(), o.clone()))
                .collect();
            chain.push(Hop { origins: hop_origins });
            stack.push(child_dir.clone());
            let child: Vec<ModuleFile> =
                folder_files.tf.iter().zip(&as_called).map(|(f, p)| module_file(f, p)).collect();
            self.calls(&child_dir, &child, &key, chain, stack, Some(&here));
            stack.pop();
            chain.pop();
        }
    }

    /// Adds the related locations of a finding through a call: where the value was set, followed
    /// back through every caller to the outermost one; without one, the call itself. Returns the
    /// line of the unit's argument it came from, if any.
    #[allow(clippy::too_many_arguments)]
    fn related(
        &self,
        f: &mut Finding,
        raw: &RawFinding,
        origins: &[(Span, Origin)],
        chain: &[Hop],
        top: &TopCall,
        call: &crate::terraform::Call<'_>,
        child_dir: &str,
    ) -> Option<usize> {
        let mut trail: Vec<Origin> = Vec::new();
        let mut at = find_origin(origins, raw.span).map(|(_, o)| o.clone());
        let mut hops = chain.iter().rev();
        while let Some(origin) = at.take() {
            let next = hops.next().and_then(|hop| {
                let list = hop.origins.get(&origin.path)?;
                list.iter().find(|(s, _)| s.contains(origin.span)).map(|(_, o)| o.clone())
            });
            trail.push(origin);
            at = next;
        }
        let mut arg_line = None;
        let last = trail.len().saturating_sub(1);
        for (i, origin) in trail.iter().enumerate() {
            let Some(file) = self.find_file(&origin.path) else { continue };
            if origin.path == top.path {
                arg_line = Some(file.index.line_of(origin.span.start));
            }
            let message = if i == last { "value set here" } else { "passed to the module here" };
            let loc = location(&file.path, &file.text, &file.index, origin.span);
            f.related.push(Related { location: loc, message: message.to_string() });
        }
        if trail.is_empty()
            && let Some(file) = self.find_file(call.path)
        {
            let loc = location(
                &file.path,
                &file.text,
                &file.index,
                Span::new(call.span.start as usize, call.span.start as usize),
            );
            let name = child_dir.rsplit('/').next().unwrap_or(child_dir);
            let message = format!("in module `{}` ({name}) as this call sets it up", call.name);
            f.related.push(Related { location: loc, message });
        }
        arg_line
    }

    fn find_file(&self, path: &str) -> Option<Src> {
        if let Some(f) = self.files.get(path, self.opts) {
            return Some(Src::Run(f));
        }
        self.folders.get(dir_of(path)).and_then(|folder| folder.tf.iter().find(|f| f.path == path).cloned())
    }

    /// A folder's Terraform files: those the run loaded, else (inside the read roots) from disk.
    fn folder(&mut self, dir: &str) -> Rc<Folder> {
        if let Some(f) = self.folders.get(dir) {
            return f.clone();
        }
        let files = self.files;
        let in_run = files.in_dir(dir);
        let of_kind = |kind: FileKind| -> Vec<Src> {
            let of = in_run.iter().filter(|&&i| files.kind(i) == Some(kind));
            of.filter_map(|&i| files.model(i, self.opts)).map(Src::Run).collect()
        };
        let folder = if in_run.iter().any(|&i| files.kind(i) == Some(FileKind::Terraform)) {
            // Other callers of the folder read it too: kept whole from now on.
            keep_folder(files, dir);
            Folder { tf: of_kind(FileKind::Terraform), vars: of_kind(FileKind::TerraformVars) }
        } else {
            let disk = Disk { run: self.run, reads: self.reads };
            let mut folder = Folder { tf: Vec::new(), vars: Vec::new() };
            for name in disk.dir(dir).unwrap_or_default() {
                let path = if dir.is_empty() { name } else { format!("{dir}/{name}") };
                let Some(bytes) = disk.bytes(&path) else { continue };
                let (Some(loaded), _) = load(&Input::from_memory(&path, bytes), self.opts) else { continue };
                match loaded.kind {
                    FileKind::Terraform => folder.tf.push(Src::Disk(Rc::new(loaded))),
                    FileKind::TerraformVars => folder.vars.push(Src::Disk(Rc::new(loaded))),
                    _ => {}
                }
            }
            folder
        };
        let folder = Rc::new(folder);
        self.folders.insert(dir.to_string(), folder.clone());
        folder
    }

    /// The spans each rule flags in a folder checked on its own, per file (`(rule index, span)`).
    fn own(&mut self, dir: &str) -> Rc<OwnSpans> {
        if let Some(own) = self.own.get(dir) {
            return own.clone();
        }
        let folder = self.folder(dir);
        let members: Vec<&Loaded> = folder.tf.iter().map(|f| &**f).collect();
        let vars: Vec<&Loaded> = folder.vars.iter().map(|f| &**f).collect();
        let evaluated = evaluate_folder(dir, &members, &vars, self.run, self.reads);
        let views: Vec<&ParsedFile> = members
            .iter()
            .enumerate()
            .map(|(i, f)| evaluated.get(i).and_then(|e| e.0.as_ref()).unwrap_or(&f.parsed))
            .collect();
        let docs: Vec<&Node> = views.iter().flat_map(|p| p.docs.iter()).collect();
        let mut out = Vec::with_capacity(members.len());
        for (file, parsed) in members.iter().zip(&views) {
            let view = FileView::new(&file.path, file.kind, &file.text, parsed, self.workspace);
            let mut spans = Vec::new();
            for (r, rule) in self.rules.rules.iter().enumerate().filter(|(_, r)| r.applies_to(file.kind)) {
                spans.extend(rule.run(&view, &docs).into_iter().map(|raw| (r, raw.span)));
            }
            out.push(spans);
        }
        let own = Rc::new(out);
        self.own.insert(dir.to_string(), own.clone());
        own
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads stay inside the read roots: a file there, or one not there yet in a folder there; not a
    /// path in a folder that does not exist, nor one a symbolic link takes outside.
    #[test]
    fn only_paths_inside_the_read_roots_are_allowed() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let canonical = std::fs::canonicalize(root.path()).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(root.path().join("main.tf"), "x = 1\n").unwrap_or_else(|e| panic!("{e}"));
        let run = TfRun { vars: Vec::new(), read_roots: vec![canonical], max_file_size: 1 << 20 };
        let at = |rel: &str| root.path().join(rel).to_string_lossy().into_owned();
        assert!(run.allowed(&at("main.tf")));
        assert!(run.allowed(&at("not-yet.tf")));
        assert!(!run.allowed(&at(".terraform/modules/modules.json")));
        assert!(!run.allowed(&outside.path().join("main.tf").to_string_lossy()));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(outside.path(), root.path().join("out"))
                .unwrap_or_else(|e| panic!("{e}"));
            assert!(!run.allowed(&at("out/main.tf")));
        }
        let none = TfRun { vars: Vec::new(), read_roots: Vec::new(), max_file_size: 1 << 20 };
        assert!(!none.allowed(&at("main.tf")));
    }
}
