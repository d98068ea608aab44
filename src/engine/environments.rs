//! The cross-unit pass: environments compared with each other (see [`crate::envs`]).
//!
//! It runs once per run, after the per-unit rules, over every input. The per-unit pass reads each
//! pipeline's jobs while the pipeline's model is at hand ([`pipeline_jobs`]) and keeps the models of
//! the files compared ([`keep_compared`]); the others the comparison needs are read here: Helm values
//! files (a chart's unit renders with them, but no rule reads them as files), and the
//! `.terraform.lock.hcl` beside each Terraform folder (read from disk beside the folder's files, as
//! GitLab includes are). Problems reading those extra files are not reported: they are not checked
//! files, only compared ones. Findings go through the same suppressions, fingerprints and report as
//! every other.

use super::store::Store;
use super::{
    CheckOptions, Loaded, Pass, Read, SuppressTarget, UnitResult, fingerprint_in, load, location, parse_read,
    read, read_input, suppress_in,
};
use crate::discover::{Input, Origin};
use crate::envs::detect::{Candidate, Detection, GroupKind, Kind, Layout};
use crate::envs::pipeline::EnvJob;
use crate::envs::{self, LOCK_FILE, Library, Source};
use crate::finding::{Finding, Related, Report};
use crate::model::ParsedFile;
use crate::rules::registry::RuleSet;
use crate::rules::{Check, OtherFile, RawFinding};
use crate::source::{Classified, Decoded, FileKind, decode};
use crate::span::LineIndex;
use crate::workspace::Workspace;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

/// A file read only for the comparison.
struct Extra {
    path: String,
    text: Arc<str>,
    index: LineIndex,
    parsed: ParsedFile,
}

/// Everything the comparison reads: the per-unit pass's files, and those loaded here.
struct Prepared {
    files: Vec<Arc<Loaded>>,
    own: Vec<Loaded>,
    extra: Vec<Extra>,
    detection: Detection,
    jobs: Vec<EnvJob>,
    /// What was read outside the inputs (GitLab includes from disk, lock files), as [`read_fact`]
    /// keys and facts: the cache keeps the pass's results only while these stay the same.
    ///
    /// [`read_fact`]: crate::engine::read_fact
    reads: BTreeMap<String, Option<String>>,
}

impl Prepared {
    fn texts(&self) -> BTreeMap<&str, SuppressTarget<'_>> {
        let extra = self.extra.iter().map(|e| SuppressTarget {
            path: &e.path,
            text: &e.text,
            index: &e.index,
            parsed: &e.parsed,
        });
        self.files
            .iter()
            .map(|f| &**f)
            .chain(&self.own)
            .map(Loaded::target)
            .chain(extra)
            .map(|t| (t.path, t))
            .collect()
    }

    fn library(&self) -> Library<'_> {
        self.texts().into_iter().map(|(p, t)| (p, Source { text: t.text, parsed: t.parsed })).collect()
    }
}

/// A pipeline's jobs that name an environment, and the GitLab includes read to find them, by the
/// pipeline's path.
pub type PipelineJobs = (String, Vec<EnvJob>, Vec<(String, Arc<str>)>);

/// The jobs of a pipeline (`None` for any other file), read from its model; `loaded`: the GitLab
/// pipeline merged with its includes, if the CI rules already merged it.
pub(super) fn pipeline_jobs(
    f: &Loaded,
    loaded: Option<&crate::pipeline::gitlab::Pipeline>,
    workspace: &Workspace,
) -> Option<PipelineJobs> {
    let (jobs, included) = match (f.kind, f.parsed.docs.first()) {
        (FileKind::GithubWorkflow, Some(doc)) => (envs::pipeline::github(&f.path, &f.text, doc), Vec::new()),
        (FileKind::GitlabCi, Some(_)) if let Some(p) = loaded => envs::pipeline::gitlab_loaded(&f.path, p),
        (FileKind::GitlabCi, Some(doc)) => envs::pipeline::gitlab(&f.path, &f.text, doc, workspace),
        (FileKind::GithubWorkflow | FileKind::GitlabCi, None) => (Vec::new(), Vec::new()),
        _ => return None,
    };
    Some((f.path.clone(), jobs, included))
}

/// When the comparison runs, keeps the models of the files it compares until it has run, and returns
/// how they group (see [`crate::envs::detect::Layout`]). `None` when it does not run.
pub(super) fn keep_compared(
    inputs: &[Input],
    store: &Store,
    rules: &RuleSet,
    opts: &CheckOptions,
) -> Option<Layout> {
    let settings = opts.environments.as_ref()?;
    let rule = rules.rules.iter().find(|r| r.is_cross_unit())?;
    if !matches!(rule.check, Check::Environments(_)) {
        return None;
    }
    let layout = Layout::new(&candidates(inputs), settings);
    for path in layout.files() {
        if let Some(i) = store.index_of(path) {
            store.keep(i);
        }
    }
    Some(layout)
}

/// Runs `environment-divergence` after the per-unit pass: `files` are the files it loaded, `jobs` the
/// pipelines' jobs it read. The last part of the result is what it read outside the inputs (see
/// [`Prepared::reads`]).
pub(super) fn pass(
    inputs: &[Input],
    files: &[Arc<Loaded>],
    layout: Layout,
    jobs: Vec<PipelineJobs>,
    rules: &RuleSet,
    opts: &CheckOptions,
) -> UnitResult {
    let Some(settings) = &opts.environments else { return Default::default() };
    let Some(rule) = rules.rules.iter().find(|r| r.is_cross_unit()) else { return Default::default() };
    let Check::Environments(keys) = &rule.check else { return Default::default() };
    // Only the files the comparison reads: the compared ones (kept whole), and the pipelines whose
    // jobs were read (what is left of them: their comments, for suppressions).
    let compared = layout.files();
    let read: BTreeSet<&str> = jobs.iter().map(|(path, _, _)| path.as_str()).collect();
    let files: Vec<Arc<Loaded>> = files
        .iter()
        .filter(|f| compared.contains(f.path.as_str()) || read.contains(f.path.as_str()))
        .cloned()
        .collect();
    drop((compared, read));
    let prepared = prepare(inputs, files, jobs, Some(layout), settings, opts);
    let library = prepared.library();
    let found = envs::divergences(&prepared.detection, &prepared.jobs, &library, keys);
    let texts = prepared.texts();
    let mut by_file: BTreeMap<&str, Vec<Finding>> = BTreeMap::new();
    for d in found {
        let Some(file) = texts.get(d.at.path.as_str()) else { continue };
        let raw = RawFinding { span: d.at.span, detail: Some(d.message), ..RawFinding::default() };
        let related = d
            .related
            .iter()
            .filter_map(|(at, message)| {
                let t = texts.get(at.path.as_str())?;
                Some(Related {
                    location: location(t.path, t.text, t.index, at.span),
                    message: message.clone(),
                })
            })
            .collect();
        by_file.entry(file.path).or_default().push(Finding {
            rule: rule.meta.clone(),
            location: location(file.path, file.text, file.index, d.at.span),
            message: rule.message_for(&raw),
            related,
            severity: rule.severity,
            fingerprint: String::new(),
            suppressed: None,
        });
    }
    // Every compared file answers for its `environment-divergence` suppressions, used or not.
    for path in prepared.detection.files() {
        by_file.entry(path).or_default();
    }
    let (mut findings, mut diagnostics) = (Vec::new(), Vec::new());
    let mut shown = BTreeSet::new();
    // Files whose suppression comments no per-unit pass applies: those read here, and `Chart.yaml`
    // (its unit renders the chart, whose findings land in the templates).
    let charts =
        prepared.files.iter().map(|f| &**f).chain(&prepared.own).filter(|f| f.kind == FileKind::HelmChart);
    let read_here: BTreeSet<&str> =
        prepared.extra.iter().map(|e| e.path.as_str()).chain(charts.map(|f| f.path.as_str())).collect();
    for (path, mut list) in by_file {
        let Some(file) = texts.get(path) else { continue };
        let first_look = read_here.contains(path);
        diagnostics.extend(suppress_in(file, &mut list, &mut [], &[], rules, Pass::CrossUnit { first_look }));
        fingerprint_in(file, &mut list);
        shown.extend(list.iter().flat_map(|f| {
            std::iter::once(f.location.path.clone()).chain(f.related.iter().map(|r| r.location.path.clone()))
        }));
        findings.extend(list);
    }
    let others = texts
        .iter()
        .filter(|(p, _)| shown.contains(**p))
        .map(|(p, t)| Arc::new(OtherFile { path: p.to_string(), text: t.text.into() }))
        .collect();
    drop(texts);
    (findings, diagnostics, others, prepared.reads)
}

/// The cross-unit pass on its own, loading what it needs (for `--cache` and `--shard`, whose per-unit
/// checks do not see every file).
pub fn check_environments(inputs: &[Input], rules: &RuleSet, opts: &CheckOptions) -> Report {
    check_environments_with(inputs, Vec::new(), rules, opts)
}

/// [`check_environments`], given the jobs of some pipelines (from [`crate::engine::check_units`],
/// kept by the cache): those pipelines are not parsed again, and are read only when the comparison
/// shows them. The caller answers for what reading those jobs read (their units' reads).
pub fn check_environments_with(
    inputs: &[Input],
    known: Vec<PipelineJobs>,
    rules: &RuleSet,
    opts: &CheckOptions,
) -> Report {
    let Some(settings) = &opts.environments else { return Report::default() };
    let layout = Layout::new(&candidates(inputs), settings);
    let (findings, diagnostics, others, reads) = pass(inputs, &[], layout, known, rules, opts);
    let sources = others.iter().map(|o| (o.path.clone(), o.text.clone())).collect();
    Report { findings, diagnostics, sources, reads, ..Report::default() }
}

/// The environments `smelt envs` shows: what the comparison would compare, and the pipeline jobs.
pub fn detect_environments(inputs: &[Input], opts: &CheckOptions) -> (Detection, Vec<EnvJob>) {
    let settings = opts.environments.clone().unwrap_or_default();
    let p = prepare(inputs, Vec::new(), Vec::new(), None, &settings, opts);
    (p.detection, p.jobs)
}

/// What every input is to the detection.
fn candidates(inputs: &[Input]) -> Vec<Candidate> {
    inputs
        .iter()
        .filter_map(|i| kind_of(i.class).map(|kind| Candidate { path: i.path.clone(), kind }))
        .collect()
}

/// Loads what the comparison reads beyond `files`, and reads the pipelines' jobs (those in `read`
/// were read by the per-unit pass). `layout`, when given, is the detection's grouping of `inputs`.
fn prepare(
    inputs: &[Input],
    files: Vec<Arc<Loaded>>,
    read: Vec<PipelineJobs>,
    layout: Option<Layout>,
    settings: &envs::Settings,
    opts: &CheckOptions,
) -> Prepared {
    let loaded: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut read: HashMap<String, PipelineJobs> = read.into_iter().map(|r| (r.0.clone(), r)).collect();
    let from_units: Vec<(&Loaded, Option<PipelineJobs>)> = files
        .iter()
        .map(|f| &**f)
        .filter(|f| matches!(f.kind, FileKind::GithubWorkflow | FileKind::GitlabCi))
        .map(|f| (f, read.remove(&f.path)))
        .collect();
    // Pipelines first: their jobs say which environments they deploy to. Those whose jobs are known
    // already are read later, and only if the comparison shows them; the others are read now.
    let pipelines: Vec<(&Input, Option<PipelineJobs>)> = inputs
        .iter()
        .filter(|i| kind_of(i.class) == Some(Kind::Pipeline) && !loaded.contains(i.path.as_str()))
        .map(|i| (i, read.remove(&i.path)))
        .collect();
    let own_reads: Vec<Read> = pipelines
        .par_iter()
        .filter(|(_, known)| known.is_none())
        .filter_map(|(i, _)| read_input(i, opts).0)
        .collect();
    drop(loaded);
    // GitLab includes are read as the per-unit pass reads them; only needed for pipelines whose jobs
    // the per-unit pass did not read.
    let mut workspace = Workspace::new(opts.buffers.clone(), opts.read_disk);
    if !own_reads.is_empty() || from_units.iter().any(|(_, done)| done.is_none()) {
        for f in &files {
            workspace.insert(&f.path, f.text.clone());
        }
        for r in &own_reads {
            workspace.insert(&r.path, r.text.clone());
        }
    }
    let mut per_file: Vec<PipelineJobs> = from_units
        .into_par_iter()
        .filter_map(|(f, done)| done.or_else(|| pipeline_jobs(f, None, &workspace)))
        .collect();
    // The pipelines read here are parsed for their jobs and nothing else (the comparison reads a
    // pipeline through its jobs): each keeps only its text, line index and comments after that, so
    // the pass does not hold every pipeline's model at once (`--cache` and `--shard` run it with
    // none of the per-unit pass's reads).
    let (mut own, own_jobs): (Vec<Loaded>, Vec<Option<PipelineJobs>>) = own_reads
        .into_par_iter()
        .map(|r| {
            let mut loaded = parse_read(r, opts);
            let jobs = pipeline_jobs(&loaded, None, &workspace);
            loaded.parsed.docs = Vec::new();
            (loaded, jobs)
        })
        .unzip();
    // In input order, known or read here alike: the detection numbers the jobs in this order.
    let mut own_jobs: HashMap<String, PipelineJobs> =
        own_jobs.into_iter().flatten().map(|j| (j.0.clone(), j)).collect();
    let mut known_paths = Vec::new();
    for (input, known) in pipelines {
        if known.is_some() {
            known_paths.push(input);
        }
        per_file.extend(known.or_else(|| own_jobs.remove(&input.path)));
    }
    let mut jobs = Vec::new();
    let mut extra = Vec::new();
    for (_, found, included) in per_file {
        jobs.extend(found);
        extra.extend(included.into_iter().map(|(path, text)| yaml_extra(path, text, opts)));
    }
    let refs: Vec<_> = jobs.iter().map(|j| j.job.clone()).collect();
    let layout = layout.unwrap_or_else(|| Layout::new(&candidates(inputs), settings));
    let detection = layout.with_jobs(&refs, settings);

    // The other files the comparison reads. A pipeline whose jobs were known is read only when the
    // comparison shows it, and parsed only for suppression comments, if it has any: the comparison
    // reads a pipeline through its jobs.
    let needed = detection.files();
    let shown_known: Vec<Loaded> = known_paths
        .par_iter()
        .filter(|i| needed.contains(i.path.as_str()))
        .filter_map(|i| read_input(i, opts).0)
        .map(|r| match r.text.contains("smelt:") {
            true => {
                let mut loaded = parse_read(r, opts);
                loaded.parsed.docs = Vec::new();
                loaded
            }
            false => {
                let Read { path, kind, text, index, disk, .. } = r;
                Loaded { path, kind, text, index, parsed: ParsedFile::default(), disk }
            }
        })
        .collect();
    own.extend(shown_known);
    let have: BTreeSet<&str> = files
        .iter()
        .map(|f| f.path.as_str())
        .chain(own.iter().map(|f| f.path.as_str()))
        .chain(known_paths.iter().map(|i| i.path.as_str()))
        .chain(extra.iter().map(|e| e.path.as_str()))
        .collect();
    let wanted: Vec<&Input> = inputs
        .iter()
        .filter(|i| needed.contains(i.path.as_str()) && !have.contains(i.path.as_str()))
        .collect();
    drop(have);
    let read_here: Vec<(Option<Loaded>, Option<Extra>)> = wanted
        .par_iter()
        .map(|i| match load(i, opts).0 {
            Some(l) => (Some(l), None),
            None => (None, read_extra(i, opts)),
        })
        .collect();
    for (l, e) in read_here {
        own.extend(l);
        extra.extend(e);
    }
    let mut detection = detection;
    let mut reads = workspace.take_reads();
    let (locks, lock_reads) = lock_files(inputs, &detection, opts);
    reads.extend(lock_reads);
    for lock in locks {
        // Listed with its folder's files, for `smelt envs` and for its suppressions.
        let folder = crate::envs::detect::parent(&lock.path);
        for m in detection.groups.iter_mut().flat_map(|g| g.members.iter_mut()) {
            if m.folder.as_deref() == Some(folder) && !m.files.contains(&lock.path) {
                m.files.push(lock.path.clone());
            }
        }
        extra.push(lock);
    }
    Prepared { files, own, extra, detection, jobs, reads }
}

/// What the detection makes of an input.
fn kind_of(class: Classified) -> Option<Kind> {
    match class {
        Classified::Kind(FileKind::Terraform, _) => Some(Kind::Terraform),
        Classified::Kind(FileKind::TerraformVars, _) => Some(Kind::TerraformVars),
        Classified::Kind(FileKind::GithubWorkflow | FileKind::GitlabCi, _) => Some(Kind::Pipeline),
        Classified::Kind(FileKind::Kubernetes, _) | Classified::MaybeKubernetes => Some(Kind::Yaml),
        Classified::Kind(FileKind::HelmChart, _) => Some(Kind::Chart),
        Classified::Kind(FileKind::GithubAction, _) | Classified::HelmTemplate | Classified::Unknown => None,
    }
}

/// A YAML (values, `Chart.yaml`) or HCL (lock) file no per-unit rule reads; `None` when it cannot be
/// read or is not text.
fn read_extra(input: &Input, opts: &CheckOptions) -> Option<Extra> {
    let bytes = read(input, opts.max_file_size).ok()?;
    let Decoded::Text { text, .. } = decode(&bytes) else { return None };
    let parsed = if input.path.ends_with(".hcl") {
        crate::parse::hcl::parse(&text, &opts.limits)
    } else {
        crate::parse::yaml::parse(&text, &opts.limits)
    };
    let index = LineIndex::new(&text);
    Some(Extra { path: input.path.clone(), text: text.into(), index, parsed })
}

fn yaml_extra(path: String, text: Arc<str>, opts: &CheckOptions) -> Extra {
    let parsed = crate::parse::yaml::parse(&text, &opts.limits);
    let index = LineIndex::new(&text);
    Extra { path, text, index, parsed }
}

/// The `.terraform.lock.hcl` beside each environment's Terraform folder, when its files are on disk;
/// and, for each folder, what its lock file is now (missing ones too: one that appears changes the
/// comparison), as [`crate::engine::read_fact`] keys and facts.
fn lock_files(
    inputs: &[Input],
    detection: &Detection,
    opts: &CheckOptions,
) -> (Vec<Extra>, BTreeMap<String, Option<String>>) {
    let folders: BTreeSet<&str> = detection
        .groups
        .iter()
        .filter(|g| g.compared() && g.kind == GroupKind::TerraformFolders)
        .flat_map(|g| g.members.iter().filter_map(|m| m.folder.as_deref()))
        .collect();
    let mut on_disk: BTreeMap<&str, &std::path::Path> = BTreeMap::new();
    for i in inputs {
        let dir = crate::envs::detect::parent(&i.path);
        if let (true, Origin::Disk(p)) = (folders.contains(dir), &i.origin)
            && let Some(parent) = p.parent()
        {
            on_disk.entry(dir).or_insert(parent);
        }
    }
    let locks: Vec<Input> = on_disk
        .into_iter()
        .map(|(folder, disk)| Input {
            path: if folder.is_empty() { LOCK_FILE.to_string() } else { format!("{folder}/{LOCK_FILE}") },
            origin: Origin::Disk(disk.join(LOCK_FILE)),
            class: Classified::Unknown,
        })
        .collect();
    let reads = locks
        .iter()
        .filter_map(|i| match &i.origin {
            Origin::Disk(p) => Some(p),
            Origin::Memory(_) => None,
        })
        .map(|p| match p.to_str() {
            Some(p) => {
                let key = format!("file:{p}");
                let fact = crate::engine::read_fact(&key, opts.max_file_size);
                (key, fact)
            }
            // A path the facts cannot name: a fact no later look matches, so an entry is never reused.
            None => (format!("unnamed:{}", p.display()), Some(String::new())),
        })
        .collect();
    let found = locks
        .par_iter()
        .filter(|i| matches!(&i.origin, Origin::Disk(p) if p.is_file()))
        .filter_map(|i| read_extra(i, opts))
        .collect();
    (found, reads)
}
