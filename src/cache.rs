//! `--cache DIR`: a content-addressed cache of each unit's findings and diagnostics, so a repeat run
//! on unchanged files skips parsing and rules.
//!
//! A unit (a Terraform module folder, or one other file; see [`crate::shard::unit_key`]) is cached under
//! a SHA-256 key of: smelt's version, the run's options that change results (file size limit, parse
//! limits), every enabled rule's compiled form (metadata, message, kinds, paths, condition) and the names
//! of all known rules, and the unit's file paths and bytes. A change to any of them is a different key,
//! so entries are never invalidated, only left unused; they are kept in a few pack files, which a run
//! merges now and then, dropping the entries no run used in the last week (see [`Store`]). Files a
//! unit reads besides its own (a Terraform `file()` or module folder, a GitLab local include, the
//! local workflows and actions a GitHub file calls or is called by) are recorded with a hash of what
//! was read; an entry is used only while every one of them reads the same.
//!
//! The comparison of environments across units (`environment-divergence`) is one more entry: its key
//! is every unit's key, so any change to any input computes it again, and it records the files it read
//! outside the inputs (GitLab includes, the `.terraform.lock.hcl` beside each compared folder, missing
//! ones included) like a unit does. A pipeline's entry keeps the pipeline's jobs that name an
//! environment, so computing the comparison again does not parse every pipeline again; it then also
//! records what those pipelines' units read. A shard (`--shard`) keys and keeps the comparison the
//! same way, over every shard's inputs ([`environments_cached`]).
//!
//! The cache is an optimisation and never a source of errors: an entry that cannot be read, does not
//! parse, or names a rule this run does not have is recomputed and rewritten. Packs are written to a
//! temporary file and renamed into place, so a reader never sees half of one. smelt writes only inside
//! DIR (and a `.gitignore` in it, so the cache is never committed or checked by mistake).

use crate::discover::{Input, Origin};
use crate::engine::{CheckOptions, PipelineJobs, check_units};
use crate::envs::pipeline::EnvJob;
use crate::finding::{Diagnostic, DiagnosticCode, Finding, Level, Location, Related, Report, Suppression};
use crate::rules::Check;
use crate::rules::meta::{RuleMeta, Severity};
use crate::rules::registry::RuleSet;
use crate::shard::unit_key;
use crate::source::{Classified, Decoded, FileKind, decode};
use crate::span::{Position, Span};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Bumped when the entry format changes; old entries are then simply never looked up.
const FORMAT: &str = "v4";

/// How a cached run went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: usize,
    pub misses: usize,
    /// Units not cached at all (unreadable or oversized files, standard input).
    pub uncached: usize,
    /// The comparison of environments across units: `None` when it does not run, `Some(true)` when
    /// its results came from the cache.
    pub environments: Option<bool>,
}

/// Checks `inputs` like [`crate::engine::check`], answering each unit from the cache in `dir` when
/// it can and storing what it had to compute. The report is identical to an uncached run's.
pub fn check_cached(inputs: Vec<Input>, rules: &RuleSet, opts: &CheckOptions, dir: &Path) -> (Report, Stats) {
    let (report, stats, _) = check_cached_keyed(inputs, rules, opts, dir);
    (report, stats)
}

/// The cache key of each unit a cached check looked up, by unit ([`unit_key`]); `None` for a unit
/// that is not cached.
pub type UnitKeys = HashMap<String, Option<String>>;

/// [`check_cached`], also giving the keys its units were looked up under: a shard hands them to
/// [`environments_cached`], which would otherwise read and hash the shard's own files again.
pub fn check_cached_keyed(
    inputs: Vec<Input>,
    rules: &RuleSet,
    opts: &CheckOptions,
    dir: &Path,
) -> (Report, Stats, UnitKeys) {
    crate::engine::with_threads(opts.jobs, || check_in_pool(inputs, rules, opts, dir))
}

/// One unit's share of a report.
struct UnitResult {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    sources: BTreeMap<String, Arc<str>>,
    files_checked: usize,
    /// Its pipelines' jobs, for the comparison of environments, and what the unit read outside its
    /// files (which the comparison then answers for too, as it reads those jobs).
    jobs: Vec<PipelineJobs>,
    reads: BTreeMap<String, Option<String>>,
}

enum Outcome {
    /// Answered from the entry under this key.
    Hit(UnitResult, String),
    /// Computed: store under this key (if any) once checked.
    Miss(Vec<Input>, Option<String>),
}

impl Outcome {
    fn key(&self) -> Option<&str> {
        match self {
            Outcome::Hit(_, key) | Outcome::Miss(_, Some(key)) => Some(key),
            Outcome::Miss(_, None) => None,
        }
    }
}

fn check_in_pool(
    inputs: Vec<Input>,
    rules: &RuleSet,
    opts: &CheckOptions,
    dir: &Path,
) -> (Report, Stats, UnitKeys) {
    // Environments are compared across units: that pass needs every input, and is cached as a whole.
    let all = opts.environments.is_some().then(|| inputs.clone());
    let base = base_hash(rules, opts);
    let metas = metas(rules);
    let store = Store::new(dir);
    let (names, outcomes): (Vec<String>, Vec<Outcome>) = units(inputs)
        .into_par_iter()
        .map(|(name, unit)| (name, lookup(unit, &base, &metas, &store, opts)))
        .unzip();
    let keys: UnitKeys =
        names.into_iter().zip(outcomes.iter().map(|o| o.key().map(str::to_string))).collect();

    // The pass reads only the inputs (whose bytes every unit key covers), the files it records as
    // read, and each pipeline's jobs as its unit found them (with what that unit read). Its key is
    // every unit's key: any change to any input misses it. Unlike a missed unit, it
    // reads the inputs from disk again: a file edited during the run can leave an entry computed from
    // the new text under the old text's key (keeping every unit's bytes until here would close that,
    // at the cost of holding them in every warm run).
    let mut environments = None;
    let mut environments_key = None;
    if let (Some(all), Some(settings)) = (&all, &opts.environments) {
        let key = environments_hash(&base, settings, outcomes.iter().map(Outcome::key));
        match key.as_deref().and_then(|k| stored_environments(&store, k, &metas, opts)) {
            Some(result) => environments = Some(result),
            None => environments_key = Some((all, key)),
        }
    }

    let mut stats = Stats { environments: all.as_ref().map(|_| environments.is_some()), ..Stats::default() };
    let mut results = Vec::with_capacity(outcomes.len());
    let mut misses = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Hit(r, _) => {
                stats.hits += 1;
                results.push(r);
            }
            Outcome::Miss(inputs, key) => {
                if key.is_some() {
                    stats.misses += 1
                } else {
                    stats.uncached += 1
                }
                misses.push((inputs, key));
            }
        }
    }
    let keep = |key: Option<String>, report: Report, jobs: Vec<PipelineJobs>| {
        if let Some(key) = key {
            store.put(&key, &entry(&key, &report, &jobs));
        }
        UnitResult {
            findings: report.findings,
            diagnostics: report.diagnostics,
            sources: report.sources,
            files_checked: report.files_checked,
            jobs,
            reads: report.reads,
        }
    };
    let computed: Vec<UnitResult> = misses
        .into_par_iter()
        .map(|(inputs, key)| {
            let (report, jobs) = check_units(inputs, rules, opts);
            keep(key, report, jobs)
        })
        .collect();
    results.extend(computed);
    // The comparison takes every pipeline's jobs from its unit, cached or just checked: it then
    // parses only the files it compares, not every pipeline again.
    let computed_environments = environments_key.map(|(all, key)| {
        let found = results
            .iter_mut()
            .filter(|r| !r.jobs.is_empty())
            .map(|r| (std::mem::take(&mut r.jobs), std::mem::take(&mut r.reads)));
        let report = compare_with(all, found, rules, opts);
        keep(key, report, Vec::new())
    });
    results.extend(environments.or(computed_environments));
    store.flush();
    (merge(results, rules), stats, keys)
}

/// The comparison of environments over `inputs` alone, for `--shard` with `--cache`: a shard checks
/// its own units, but compares every shard's. It reads and hashes every input (checking none) except
/// the units in `known`, whose keys the shard's own cached check just looked them up under (see
/// [`check_cached_keyed`]). It takes the comparison from the cache in `dir` under the key
/// [`check_cached`] gives it, while no input and nothing it read changed. Otherwise it computes it,
/// with the jobs of the pipelines whose entries are in `dir` (the shard's own), and stores it. The
/// flag: whether it came from the cache.
pub fn environments_cached(
    inputs: &[Input],
    rules: &RuleSet,
    opts: &CheckOptions,
    dir: &Path,
    known: &UnitKeys,
) -> (Report, bool) {
    crate::engine::with_threads(opts.jobs, || {
        let Some(settings) = &opts.environments else { return (Report::default(), false) };
        let base = base_hash(rules, opts);
        let metas = metas(rules);
        let store = Store::new(dir);
        let keyed: Vec<(Option<String>, bool)> = units(inputs.iter().cloned())
            .into_par_iter()
            .map(|(name, unit)| {
                let pipeline = unit.iter().any(|i| {
                    matches!(i.class, Classified::Kind(FileKind::GithubWorkflow | FileKind::GitlabCi, _))
                });
                // The shard's own units were just looked up: their files are not read again.
                let key = match known.get(&name) {
                    Some(key) => key.clone(),
                    None => unit_files(&unit, opts).map(|files| unit_hash(&base, &files)),
                };
                (key, pipeline)
            })
            .collect();
        let key = environments_hash(&base, settings, keyed.iter().map(|(k, _)| k.as_deref()));
        if let Some(r) = key.as_deref().and_then(|k| stored_environments(&store, k, &metas, opts)) {
            let report = Report {
                findings: r.findings,
                diagnostics: r.diagnostics,
                sources: r.sources,
                ..Report::default()
            };
            return (report, true);
        }
        // As in a cached run: each pipeline's jobs from its entry, with what its unit read.
        let entries: Vec<Entry> = keyed
            .par_iter()
            .filter_map(|(k, pipeline)| k.as_ref().filter(|_| *pipeline))
            .filter_map(|k| store.get(k).filter(|e| e.key == *k && fresh(e, opts)))
            .collect();
        let report =
            compare_with(inputs, entries.into_iter().map(|e| (jobs_of(e.jobs), e.reads)), rules, opts);
        if let Some(key) = key {
            store.put(&key, &entry(&key, &report, &[]));
        }
        store.flush();
        (report, false)
    })
}

/// The inputs by unit, with the unit's name ([`unit_key`]), in the order of those names: the order
/// the comparison's key takes them in.
fn units(inputs: impl IntoIterator<Item = Input>) -> Vec<(String, Vec<Input>)> {
    let mut units: BTreeMap<String, Vec<Input>> = BTreeMap::new();
    for input in inputs {
        units.entry(unit_key(&input.path, input.class)).or_default().push(input);
    }
    units.into_iter().collect()
}

/// The rules' metadata by name, for restoring entries.
fn metas(rules: &RuleSet) -> HashMap<&str, &Arc<RuleMeta>> {
    rules.rules.iter().map(|r| (r.meta.name.as_str(), &r.meta)).collect()
}

/// The comparison's entry under `key`, while what it read reads the same.
fn stored_environments(
    store: &Store,
    key: &str,
    metas: &HashMap<&str, &Arc<RuleMeta>>,
    opts: &CheckOptions,
) -> Option<UnitResult> {
    let e = store.get(key).filter(|e| fresh(e, opts))?;
    restore(e, key, metas, &[])
}

/// The comparison computed again, with each pipeline's jobs as its unit found them (`found`: the
/// jobs and what the unit read). The comparison answers for those reads too: a GitLab include
/// outside the inputs can change the jobs while every input, and so the comparison's key, stays the
/// same.
fn compare_with(
    inputs: &[Input],
    found: impl IntoIterator<Item = (Vec<PipelineJobs>, BTreeMap<String, Option<String>>)>,
    rules: &RuleSet,
    opts: &CheckOptions,
) -> Report {
    let (mut known, mut reads) = (Vec::new(), BTreeMap::new());
    for (jobs, r) in found {
        known.extend(jobs);
        reads.extend(r);
    }
    let mut report = crate::engine::check_environments_with(inputs, known, rules, opts);
    report.reads.extend(reads);
    report
}

/// The key of the comparison of environments: the run's base, the comparison's settings and every
/// unit's key, in order. `None` (not cached) when some unit has no key.
fn environments_hash<'k>(
    base: &[u8],
    settings: &crate::envs::Settings,
    keys: impl IntoIterator<Item = Option<&'k str>>,
) -> Option<String> {
    let mut h = Sha256::new();
    h.update(base);
    let settings = settings.cache_key();
    for field in ["environments", settings.as_str()] {
        h.update((field.len() as u64).to_le_bytes());
        h.update(field.as_bytes());
    }
    for key in keys {
        h.update(key?.as_bytes());
    }
    Some(data_encoding::HEXLOWER.encode(&h.finalize()))
}

/// Reads a unit's files and looks its key up. Only units whose every file could be read (and is under
/// the size limit) are cached; the others go to the engine as they are, which reports their problems.
fn lookup(
    unit: Vec<Input>,
    base: &[u8],
    metas: &HashMap<&str, &Arc<RuleMeta>>,
    store: &Store,
    opts: &CheckOptions,
) -> Outcome {
    let Some(files) = unit_files(&unit, opts) else { return Outcome::Miss(unit, None) };
    // The engine reads a chart's folder itself, so a chart's unit keeps its disk input.
    if is_chart(&unit) {
        let key = unit_hash(base, &files);
        return match store.get(&key).and_then(|e| restore(e, &key, metas, &files)) {
            Some(result) => Outcome::Hit(result, key),
            None => Outcome::Miss(unit, Some(key)),
        };
    }
    // GitLab local includes, and the local workflows and actions a GitHub file calls or is called
    // by, are read through the workspace, which records each read: the entry is used only while
    // every recorded file and listing is unchanged.
    let key = unit_hash(base, &files);
    if let Some(result) =
        store.get(&key).filter(|e| fresh(e, opts)).and_then(|e| restore(e, &key, metas, &files))
    {
        return Outcome::Hit(result, key);
    }
    // The bytes are already read: hand them to the engine so it does not read the files again.
    let inputs = files.into_iter().map(|(path, bytes)| Input::from_memory(&path, bytes)).collect();
    Outcome::Miss(inputs, Some(key))
}

/// The files a unit's key covers, read now; `None` for a unit that is not cached (standard input, an
/// unreadable or oversized file, a chart folder that cannot be read). A Helm chart's findings come
/// from every file of its folder (templates, values, subcharts): all of them are part of its key.
fn unit_files(unit: &[Input], opts: &CheckOptions) -> Option<Vec<(String, Arc<[u8]>)>> {
    let mut files: Vec<(String, Arc<[u8]>)> = Vec::with_capacity(unit.len());
    for input in unit {
        if matches!(input.origin, Origin::Memory(_)) {
            return None;
        }
        // As the engine reads: one path lookup, and nothing read from what is not a regular file
        // (a FIFO swapped in since the walk would block); the engine reports the file then.
        let bytes = crate::engine::read(input, opts.max_file_size).ok()?;
        files.push((input.path.clone(), Arc::from(bytes.into_owned())));
    }
    if !is_chart(unit) {
        return Some(files);
    }
    let dir = unit.iter().find_map(|i| match &i.origin {
        Origin::Disk(p) => p.parent().map(Path::to_path_buf),
        Origin::Memory(_) => None,
    });
    let chart_files = crate::helm::chart::read_dir(&dir?).ok()?;
    let root = unit.first().map_or("", |i| i.path.strip_suffix("Chart.yaml").unwrap_or(&i.path));
    Some(chart_files.files.into_iter().map(|(rel, b)| (format!("{root}{rel}"), b)).collect())
}

fn is_chart(unit: &[Input]) -> bool {
    unit.iter().any(|i| matches!(i.class, Classified::Kind(FileKind::HelmChart, _)))
}

/// Whether every file and listing an entry records as read outside its inputs reads the same now.
fn fresh(e: &Entry, opts: &CheckOptions) -> bool {
    e.reads.iter().all(|(k, v)| crate::engine::read_fact(k, opts.max_file_size) == *v)
}

/// Everything but the unit's files that decides a unit's findings.
fn base_hash(rules: &RuleSet, opts: &CheckOptions) -> Vec<u8> {
    let mut h = Sha256::new();
    let mut field = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    field("smelt-cache");
    field(FORMAT);
    field(env!("CARGO_PKG_VERSION"));
    field(&opts.max_file_size.to_string());
    field(&format!("{:?}", opts.limits));
    // How charts are rendered: release, namespace, limits and which values files each chart gets.
    let helm = &opts.helm;
    field(&format!(
        "{} {} {:?} {:?} {:?}",
        helm.release, helm.namespace, helm.limits, helm.set, helm.chart_values
    ));
    // `--var-file`/`--var` values and the roots files may be read from change what Terraform units mean.
    field(&format!("{:?}", opts.terraform));
    for rule in &rules.rules {
        field(&format!("{:?}", rule.meta));
        field(&rule.message);
        // Configuration changes a rule's severity and suppression policy without changing its file.
        field(&format!("{:?} {:?}", rule.severity, rule.suppressible));
        field(&format!("{:?} {:?} {:?}", rule.kinds, rule.select, rule.filter));
        match &rule.check {
            // Native checks are Rust code: covered by the version (their address is not stable).
            Check::Native(_) => field("native"),
            Check::Condition(c) => field(&format!("{c:?}")),
            Check::Environments(keys) => field(&format!("{keys:?}")),
        }
    }
    field(&rules.known.join("\n"));
    h.finalize().to_vec()
}

fn unit_hash(base: &[u8], files: &[(String, Arc<[u8]>)]) -> String {
    unit_hash_on(base, files, today())
}

/// Days since 1970: the calendar day expiring suppressions and pack entries' ages go by.
fn today() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 86_400)
}

/// [`unit_hash`] on the day `today` (days since 1970).
fn unit_hash_on(base: &[u8], files: &[(String, Arc<[u8]>)], today: u64) -> String {
    let mut h = Sha256::new();
    h.update(base);
    for (path, bytes) in files {
        h.update((path.len() as u64).to_le_bytes());
        h.update(path.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    // A suppression with an expiry date (`until=`) changes meaning with the calendar: such units are
    // cached for the current day only.
    if files.iter().any(|(_, b)| memchr::memmem::find(b, b"until=").is_some()) {
        h.update(today.to_le_bytes());
    }
    data_encoding::HEXLOWER.encode(&h.finalize())
}

/// Sorts and joins unit results exactly as the engine sorts a whole run.
fn merge(results: Vec<UnitResult>, rules: &RuleSet) -> Report {
    let mut report = Report::default();
    for r in results {
        report.findings.extend(r.findings);
        report.diagnostics.extend(r.diagnostics);
        report.sources.extend(r.sources);
        report.files_checked += r.files_checked;
    }
    crate::engine::sort_report(&mut report);
    let mut metas: Vec<_> = rules.rules.iter().map(|r| r.meta.clone()).collect();
    metas.sort_by(|a, b| a.code.cmp(&b.code));
    report.rules = metas;
    report
}

// ---- entries ----

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    /// What the unit read outside itself (module folders, `file()`), with hashes: the entry is
    /// stale when any of them changed.
    #[serde(default)]
    reads: BTreeMap<String, Option<String>>,
    files_checked: usize,
    findings: Vec<CFinding>,
    diagnostics: Vec<CDiagnostic>,
    /// The jobs of the unit's pipeline that name an environment (none for other units).
    #[serde(default)]
    jobs: Vec<CJobs>,
}

/// A pipeline's jobs, and the GitLab includes read to find them (their texts, which the comparison
/// shows and applies suppressions from).
#[derive(Serialize, Deserialize)]
struct CJobs {
    path: String,
    jobs: Vec<EnvJob>,
    included: Vec<(String, String)>,
}

#[derive(Serialize, Deserialize)]
struct CLocation {
    path: String,
    span: [u32; 2],
    start: [u32; 3],
    end: [u32; 3],
}

#[derive(Serialize, Deserialize)]
struct CFinding {
    rule: String,
    location: CLocation,
    message: String,
    related: Vec<(CLocation, String)>,
    severity: Severity,
    fingerprint: String,
    suppressed: Option<(String, CLocation)>,
}

#[derive(Serialize, Deserialize)]
struct CDiagnostic {
    code: DiagnosticCode,
    level: Level,
    path: String,
    location: Option<CLocation>,
    message: String,
}

fn entry(key: &str, report: &Report, jobs: &[PipelineJobs]) -> Entry {
    Entry {
        jobs: jobs
            .iter()
            .map(|(path, jobs, included)| CJobs {
                path: path.clone(),
                jobs: jobs.clone(),
                included: included.iter().map(|(p, t)| (p.clone(), t.to_string())).collect(),
            })
            .collect(),
        key: key.to_string(),
        reads: report.reads.clone(),
        files_checked: report.files_checked,
        findings: report
            .findings
            .iter()
            .map(|f| CFinding {
                rule: f.rule.name.clone(),
                location: save(&f.location),
                message: f.message.clone(),
                related: f.related.iter().map(|r| (save(&r.location), r.message.clone())).collect(),
                severity: f.severity,
                fingerprint: f.fingerprint.clone(),
                suppressed: f.suppressed.as_ref().map(|s| (s.reason.clone(), save(&s.location))),
            })
            .collect(),
        diagnostics: report
            .diagnostics
            .iter()
            .map(|d| CDiagnostic {
                code: d.code,
                level: d.level,
                path: d.path.clone(),
                location: d.location.as_ref().map(save),
                message: d.message.clone(),
            })
            .collect(),
    }
}

fn save(l: &Location) -> CLocation {
    let pos = |p: Position| [p.line, p.column, p.utf16_column];
    CLocation { path: l.path.clone(), span: [l.span.start, l.span.end], start: pos(l.start), end: pos(l.end) }
}

fn load(l: CLocation) -> Location {
    let pos = |p: [u32; 3]| Position { line: p[0], column: p[1], utf16_column: p[2] };
    Location {
        path: l.path,
        span: Span { start: l.span[0], end: l.span[1] },
        start: pos(l.start),
        end: pos(l.end),
    }
}

/// Turns an entry back into findings; `None` (recompute) if it is for another key or names a rule
/// this run does not have.
fn restore(
    e: Entry,
    key: &str,
    metas: &HashMap<&str, &Arc<RuleMeta>>,
    files: &[(String, Arc<[u8]>)],
) -> Option<UnitResult> {
    if e.key != key {
        return None;
    }
    let mut findings = Vec::with_capacity(e.findings.len());
    for f in e.findings {
        let rule = Arc::clone(metas.get(f.rule.as_str())?);
        findings.push(Finding {
            rule,
            location: load(f.location),
            message: f.message,
            related: f
                .related
                .into_iter()
                .map(|(l, message)| Related { location: load(l), message })
                .collect(),
            severity: f.severity,
            fingerprint: f.fingerprint,
            suppressed: f.suppressed.map(|(reason, l)| Suppression { reason, location: load(l) }),
        });
    }
    let diagnostics: Vec<Diagnostic> = e
        .diagnostics
        .into_iter()
        .map(|d| Diagnostic {
            code: d.code,
            level: d.level,
            path: d.path,
            location: d.location.map(load),
            message: d.message,
        })
        .collect();
    // The texts code frames need, as the engine keeps them: of every file a finding points at (its
    // location or a related one) or a diagnostic points into. Files outside `files` (a module the unit
    // calls, the other environment a divergence compares with) are read again.
    let shown: std::collections::BTreeSet<&str> = findings
        .iter()
        .flat_map(|x| std::iter::once(&x.location).chain(x.related.iter().map(|r| &r.location)))
        .map(|l| l.path.as_str())
        .chain(diagnostics.iter().filter(|d| d.location.is_some()).map(|d| d.path.as_str()))
        .collect();
    let mut sources = BTreeMap::new();
    for path in shown {
        let read;
        let bytes: &[u8] = match files.iter().find(|(p, _)| p == path) {
            Some((_, bytes)) => bytes,
            // Gone since: its code frame is left out, as the engine leaves out a file it has no text
            // of. (A file the unit read is covered by the entry's reads, checked before.)
            // Read as the engine reads: nothing from what is not a regular file any more.
            None => match read_regular(Path::new(path)) {
                Some(bytes) => {
                    read = bytes;
                    &read
                }
                None => continue,
            },
        };
        let Decoded::Text { text, .. } = decode(bytes) else {
            return None;
        };
        sources.insert(path.to_string(), Arc::from(text));
    }
    let jobs = jobs_of(e.jobs);
    Some(UnitResult { findings, diagnostics, sources, files_checked: e.files_checked, jobs, reads: e.reads })
}

fn jobs_of(jobs: Vec<CJobs>) -> Vec<PipelineJobs> {
    jobs.into_iter()
        .map(|j| (j.path, j.jobs, j.included.into_iter().map(|(p, t)| (p, Arc::from(t))).collect()))
        .collect()
}

/// A regular file's bytes; `None` when it cannot be read or is something else (a FIFO would block
/// the run). One path lookup, as the engine reads its inputs.
fn read_regular(path: &Path) -> Option<Vec<u8>> {
    match crate::engine::read_file(path, u64::MAX) {
        Ok(crate::engine::FromDisk::Bytes(bytes)) => Some(bytes),
        _ => None,
    }
}

// ---- the folder ----

/// Packs a folder holds before a run merges them into one.
const MAX_PACKS: usize = 8;

/// Days a merge keeps an entry that no run has used since: another branch, another configuration or
/// another shard sharing the folder may still need it.
const KEEP_DAYS: u64 = 7;

/// The first line of a pack: where each entry sits in the rest.
#[derive(Serialize, Deserialize)]
struct PackHeader {
    /// Each entry's key, its start and end in the bytes after the header's line, and the day it was
    /// written or last kept by a merge that used it (days since 1970), for [`KEEP_DAYS`].
    entries: Vec<(String, usize, usize, u64)>,
}

/// A pack read at the start of the run.
struct Pack {
    path: PathBuf,
    bytes: Vec<u8>,
}

/// The entries of a cache folder: `DIR/v4/*.pack`, each a header line ([`PackHeader`]) followed by
/// the entries' JSON, one after the other. A run reads every pack once and writes at most one: the
/// entries it computed, or, once the folder holds [`MAX_PACKS`], those merged with every entry it
/// used and every entry less than [`KEEP_DAYS`] old, after which the packs it merged are deleted (an
/// entry's age starts again when a merging run uses it). One
/// file per entry, as before, cost a file creation per unit on a first run (slow on ext4 after many
/// deletions) and an open, a look and two reads per unit on every run.
///
/// A pack is written to a temporary file and renamed into place, so a reader never sees half of one.
/// Two runs sharing a folder at the same time can only lose each other's new entries (they are
/// computed again next time), never mix them up: every entry holds its own key, checked on use.
struct Store {
    root: PathBuf,
    packs: Vec<Pack>,
    /// The newest copy of each entry: its pack, start, end and day.
    index: HashMap<String, (usize, usize, usize, u64)>,
    /// Packs whose header cannot be read: deleted by the next merge.
    unreadable: Vec<PathBuf>,
    used: parking_lot::Mutex<std::collections::HashSet<String>>,
    fresh: parking_lot::Mutex<Vec<(String, Vec<u8>)>>,
    today: u64,
}

/// The packs in `root`, oldest first: names start with the time they were written, so a later copy
/// of an entry wins.
fn pack_paths(root: &Path) -> Vec<PathBuf> {
    let mut packs: Vec<PathBuf> = std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "pack"))
        .collect();
    packs.sort();
    packs
}

impl Store {
    fn new(dir: &Path) -> Store {
        let root = dir.join(FORMAT);
        if std::fs::create_dir_all(&root).is_ok() {
            let ignore = dir.join(".gitignore");
            if !ignore.exists() {
                let _ = std::fs::write(ignore, "# smelt's cache (--cache): never commit it\n*\n");
            }
        }
        let today = today();
        let names = pack_paths(&root);
        let mut store = Store {
            root,
            packs: Vec::new(),
            index: HashMap::new(),
            unreadable: Vec::new(),
            used: Default::default(),
            fresh: Default::default(),
            today,
        };
        for path in names {
            let read = read_regular(&path).and_then(|bytes| {
                let line = memchr::memchr(b'\n', &bytes)?;
                let header: PackHeader = serde_json::from_slice(&bytes[..line]).ok()?;
                Some((header, bytes, line + 1))
            });
            let Some((header, bytes, body)) = read else {
                store.unreadable.push(path);
                continue;
            };
            let i = store.packs.len();
            for (key, start, end, day) in header.entries {
                let (start, end) = (body.saturating_add(start), body.saturating_add(end));
                if start <= end && end <= bytes.len() {
                    store.index.insert(key, (i, start, end, day));
                }
            }
            store.packs.push(Pack { path, bytes });
        }
        store
    }

    fn bytes(&self, key: &str) -> Option<&[u8]> {
        let &(pack, start, end, _) = self.index.get(key)?;
        self.packs.get(pack)?.bytes.get(start..end)
    }

    fn get(&self, key: &str) -> Option<Entry> {
        let entry = serde_json::from_slice(self.bytes(key)?).ok()?;
        self.used.lock().insert(key.to_string());
        Some(entry)
    }

    /// Kept for [`Store::flush`].
    fn put(&self, key: &str, entry: &Entry) {
        if let Ok(bytes) = serde_json::to_vec(entry) {
            self.fresh.lock().push((key.to_string(), bytes));
        }
    }

    /// Writes the run's new entries as one pack, merged with the packs already there when they are
    /// [`MAX_PACKS`] or more. Best effort: a cache that cannot be written only makes the next run
    /// slower.
    fn flush(&self) {
        let fresh = std::mem::take(&mut *self.fresh.lock());
        let merge = self.packs.len() + self.unreadable.len() >= MAX_PACKS;
        if fresh.is_empty() && !merge {
            return;
        }
        // Each entry with its day: a used one's is today, an unused one keeps its own (a merge must
        // not make an old entry new again).
        let mut entries: BTreeMap<&str, (&[u8], u64)> = BTreeMap::new();
        if merge {
            let used = self.used.lock();
            for (key, &(pack, start, end, day)) in &self.index {
                let Some(pack) = self.packs.get(pack) else { continue };
                let day = if used.contains(key) { self.today } else { day };
                if self.today.saturating_sub(day) < KEEP_DAYS {
                    entries.insert(key, (pack.bytes.get(start..end).unwrap_or_default(), day));
                }
            }
        }
        entries.extend(fresh.iter().map(|(k, b)| (k.as_str(), (b.as_slice(), self.today))));
        let mut header = PackHeader { entries: Vec::with_capacity(entries.len()) };
        let mut at = 0;
        for (key, (bytes, day)) in &entries {
            header.entries.push((key.to_string(), at, at + bytes.len(), *day));
            at += bytes.len();
        }
        let stamp =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name = format!("{stamp:024}-{}", std::process::id());
        let (tmp, path) = (self.root.join(format!(".{name}.tmp")), self.root.join(format!("{name}.pack")));
        // Written entry by entry: the pack is not assembled in memory a second time.
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut out = std::io::BufWriter::new(std::fs::File::create(&tmp)?);
            serde_json::to_writer(&mut out, &header)?;
            out.write_all(b"\n")?;
            for (bytes, _) in entries.values() {
                out.write_all(bytes)?;
            }
            out.flush()
        };
        if write().is_err() || std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
            return;
        }
        if merge {
            for old in self.packs.iter().map(|p| &p.path).chain(&self.unreadable) {
                let _ = std::fs::remove_file(old);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RuleSet {
        let all = crate::rules::registry::builtin().unwrap_or_else(|e| panic!("{e:?}"));
        crate::rules::registry::select(all, &[], &[], Severity::Info).unwrap_or_else(|e| panic!("{e}"))
    }

    fn write(dir: &Path, path: &str, text: &str) {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap_or(dir)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
    }

    fn inputs(root: &Path) -> Vec<Input> {
        let opts = crate::discover::DiscoverOptions { honour_ignore_files: true, threads: 2 };
        crate::discover::discover(&[root.to_path_buf()], &opts).unwrap_or_else(|e| panic!("{e}")).0
    }

    fn json(r: &Report) -> String {
        crate::report::render(r, crate::report::Format::Json, &crate::report::RenderOptions::default())
    }

    /// A unit with an expiring suppression gets a new key every day; others keep theirs.
    #[test]
    fn only_units_with_an_expiry_date_change_key_with_the_day() {
        let file = |text: &str| vec![("main.tf".to_string(), Arc::<[u8]>::from(text.as_bytes()))];
        let expiring = file("# smelt: ignore[tf-db-skip-final-snapshot] until=2030-01-01 restore drill\n");
        assert_ne!(unit_hash_on(b"base", &expiring, 20_000), unit_hash_on(b"base", &expiring, 20_001));
        let plain =
            file("# smelt: ignore[tf-db-skip-final-snapshot] restore drill (until= is not at the start)\n");
        let plain_without = file("# smelt: ignore[tf-db-skip-final-snapshot] restore drill\n");
        assert_ne!(unit_hash_on(b"base", &plain, 1), unit_hash_on(b"base", &plain, 2));
        assert_eq!(unit_hash_on(b"base", &plain_without, 1), unit_hash_on(b"base", &plain_without, 2));
    }

    /// A severity override or a suppression policy from `smelt.toml` must not be served from a cache
    /// written without it.
    #[test]
    fn configuration_of_a_rule_is_part_of_the_key() {
        let opts = CheckOptions::default();
        let plain = base_hash(&rules(), &opts);
        let mut overridden = rules();
        let first = overridden.rules.remove(0);
        let mut changed = Arc::try_unwrap(first).unwrap_or_else(|_| panic!("rule is shared"));
        changed.severity = Severity::Info;
        changed.suppressible = !changed.suppressible;
        overridden.rules.insert(0, Arc::new(changed));
        assert_ne!(plain, base_hash(&overridden, &opts));
        assert_eq!(plain, base_hash(&rules(), &opts));
    }

    #[test]
    fn warm_runs_match_cold_runs_and_survive_corrupt_entries() {
        let tree = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(
            tree.path(),
            "infra/main.tf",
            "resource \"aws_db_instance\" \"a\" {\n  skip_final_snapshot = true\n  password = \"hunter2hunter2\"\n}\n",
        );
        write(tree.path(), "infra/vars.tf", "variable \"x\" {\n  default = \"0.0.0.0/0\"\n}\n");
        write(
            tree.path(),
            "k8s/app.yaml",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n    - {name: a, image: nginx}\n",
        );
        write(tree.path(), "broken.tf", "resource \"x\" {\n");
        let (rules, opts) = (rules(), CheckOptions::default());
        let plain = json(&crate::engine::check(inputs(tree.path()), &rules, &opts));

        let (cold, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (0, 3));
        assert_eq!(json(&cold), plain);
        let (warm, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (3, 0));
        assert_eq!(json(&warm), plain);
        assert_eq!(warm.sources, cold.sources);

        // Corrupt every entry, keeping the packs' headers: each is recomputed (and rewritten), never
        // fatal.
        for pack in packs(cache.path()) {
            let bytes = std::fs::read(&pack).unwrap_or_else(|e| panic!("{e}"));
            let body = bytes.iter().position(|&b| b == b'\n').map_or(0, |i| i + 1);
            let mut broken = bytes[..body].to_vec();
            broken.extend(bytes[body..].iter().map(|&b| if b == b'"' { b'\'' } else { b }));
            std::fs::write(&pack, broken).unwrap_or_else(|e| panic!("{e}"));
        }
        let (again, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (0, 3));
        assert_eq!(json(&again), plain);
        // Packs that are not packs at all: ignored, and their entries computed again.
        for pack in packs(cache.path()) {
            std::fs::write(&pack, "{\"entries\": tru").unwrap_or_else(|e| panic!("{e}"));
        }
        let (again, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (0, 3));
        assert_eq!(json(&again), plain);
        let (_, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (3, 0));

        // Editing one file misses only its unit.
        write(tree.path(), "k8s/app.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n");
        let (_, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (2, 1));
        assert!(cache.path().join(".gitignore").exists());
    }

    fn packs(cache: &Path) -> Vec<PathBuf> {
        pack_paths(&cache.join(FORMAT))
    }

    fn header(pack: &Path) -> (PackHeader, Vec<u8>) {
        let bytes = std::fs::read(pack).unwrap_or_else(|e| panic!("{e}"));
        let line = bytes.iter().position(|&b| b == b'\n').unwrap_or_else(|| panic!("no header"));
        let header = serde_json::from_slice(&bytes[..line]).unwrap_or_else(|e| panic!("{e}"));
        (header, bytes[line..].to_vec())
    }

    /// Each run that computes something writes one pack. Once there are `MAX_PACKS`, the next run
    /// merges them into one, with what it used and what is less than `KEEP_DAYS` old: an old entry
    /// nobody used is dropped, and the folder stays small.
    #[test]
    fn packs_are_merged_keeping_what_is_used_or_recent() {
        let tree = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let (rules, opts) = (rules(), CheckOptions::default());
        write(
            tree.path(),
            "infra/main.tf",
            "resource \"aws_db_instance\" \"a\" {\n  skip_final_snapshot = true\n}\n",
        );
        let pod = |name: &str| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  containers:\n    - {{name: a, image: nginx}}\n"
            )
        };
        let run = |name: &str| {
            write(tree.path(), "k8s/app.yaml", &pod(name));
            check_cached(inputs(tree.path()), &rules, &opts, cache.path()).1
        };
        for i in 0..MAX_PACKS {
            run(&format!("v{i}"));
            assert_eq!(packs(cache.path()).len(), i + 1, "one pack per run that computed something");
        }
        // Every entry made old: the next run's merge keeps only what it uses, and what it computes.
        let age = |days: u64| {
            for pack in packs(cache.path()) {
                let (mut h, body) = header(&pack);
                h.entries.iter_mut().for_each(|e| e.3 = e.3.saturating_sub(days));
                let mut out = serde_json::to_vec(&h).unwrap_or_else(|e| panic!("{e}"));
                out.extend(body);
                std::fs::write(&pack, out).unwrap_or_else(|e| panic!("{e}"));
            }
        };
        age(KEEP_DAYS);
        let stats = run("merged");
        assert_eq!((stats.hits, stats.misses), (1, 1));
        let merged = packs(cache.path());
        assert_eq!(merged.len(), 1, "{merged:?}");
        // The Terraform unit (used), the new pod, and the new comparison of environments.
        assert_eq!(header(&merged[0]).0.entries.len(), 3);
        let stats = check_cached(inputs(tree.path()), &rules, &opts, cache.path()).1;
        assert_eq!((stats.hits, stats.misses), (2, 0));
        let plain = json(&crate::engine::check(inputs(tree.path()), &rules, &opts));
        assert_eq!(json(&check_cached(inputs(tree.path()), &rules, &opts, cache.path()).0), plain);
        // Recent packs are merged whole: another branch may come back to them.
        for i in 1..=MAX_PACKS {
            run(&format!("w{i}"));
        }
        let merged = packs(cache.path());
        assert_eq!(merged.len(), 1, "{merged:?}");
        // Each run added a pod and a comparison.
        assert_eq!(header(&merged[0]).0.entries.len(), 3 + 2 * MAX_PACKS);
        let stats = run("w1");
        assert_eq!((stats.hits, stats.misses, stats.environments), (2, 0, Some(true)), "an earlier version");
        // A merge keeps an unused entry's day: it does not make it new again. Five days on, another
        // merge keeps them all; two more days, and only what the merging run used is left.
        age(KEEP_DAYS - 2);
        let days = |pack: &Path| {
            header(pack).0.entries.iter().map(|e| e.3).collect::<std::collections::BTreeSet<_>>()
        };
        let before = days(&packs(cache.path())[0]);
        for i in 1..MAX_PACKS {
            run(&format!("x{i}"));
        }
        let stats = run("w1");
        assert_eq!((stats.hits, stats.misses), (2, 0));
        let merged = packs(cache.path());
        assert_eq!(merged.len(), 1, "{merged:?}");
        assert!(days(&merged[0]).is_superset(&before), "unused entries keep their day");
        assert_eq!(header(&merged[0]).0.entries.len(), 3 + 2 * MAX_PACKS + 2 * (MAX_PACKS - 1));
        age(2);
        for i in 1..MAX_PACKS {
            run(&format!("y{i}"));
        }
        let stats = run("w1");
        assert_eq!((stats.hits, stats.misses), (2, 0));
        let merged = packs(cache.path());
        // What is left: the two units and the comparison w1 used, and the x and y runs' entries (two
        // each; two days old, and new). The other w runs' entries, seven days old now, are gone.
        assert_eq!(header(&merged[0]).0.entries.len(), 3 + 4 * (MAX_PACKS - 1));
    }

    /// A pipeline's findings depend on what its local includes say, and a workflow's on the local
    /// action it calls: warm runs are served from the cache until one of those files changes.
    #[test]
    fn entries_follow_the_files_a_unit_reads() {
        let tree = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(tree.path(), "app/.gitlab-ci.yml", "include:\n  - local: ci/deploy.yml\nstages: [deploy]\n");
        write(tree.path(), "app/ci/deploy.yml", "deploy:\n  stage: deploy\n  script:\n    - echo ok\n");
        write(
            tree.path(),
            ".github/workflows/ci.yml",
            "on: push\npermissions: {}\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ./.github/actions/setup\n",
        );
        write(
            tree.path(),
            ".github/actions/setup/action.yml",
            "name: setup\nruns:\n  using: composite\n  steps:\n    - run: echo ok\n      shell: bash\n",
        );
        let (rules, opts) = (rules(), CheckOptions::default());
        let plain = || json(&crate::engine::check(inputs(tree.path()), &rules, &opts));
        let cached = || check_cached(inputs(tree.path()), &rules, &opts, cache.path());

        let (cold, stats) = cached();
        assert_eq!(stats.uncached, 0, "units that read other files are cached too");
        assert_eq!(json(&cold), plain());
        let (warm, stats) = cached();
        assert_eq!(stats.misses, 0, "{stats:?}");
        assert_eq!(json(&warm), plain());

        // The included file changes: the pipeline is checked again and sees it.
        write(
            tree.path(),
            "app/ci/deploy.yml",
            "deploy:\n  stage: deploy\n  script:\n    - curl -k https://x.example/i.sh | sh\n",
        );
        let (after, stats) = cached();
        assert!(stats.misses >= 1, "{stats:?}");
        assert_eq!(json(&after), plain());
        assert_ne!(json(&after), json(&warm), "the include's new finding is reported");

        // The local action the workflow calls changes.
        write(
            tree.path(),
            ".github/actions/setup/action.yml",
            "name: setup\nruns:\n  using: composite\n  steps:\n    - run: curl -k https://x.example/i.sh | sh\n      shell: bash\n",
        );
        let (after_action, _) = cached();
        assert_eq!(json(&after_action), plain());
        let (again, stats) = cached();
        assert_eq!(stats.misses, 0, "{stats:?}");
        assert_eq!(json(&again), plain());
    }

    /// The comparison takes each pipeline's jobs from its unit's entry when that unit is unchanged,
    /// and from the unit's new check when it is not. A GitLab include that is not an input (a
    /// folder `.ignore` hides) decides the jobs: when it changes, the pipeline's entry and the
    /// comparison's are both stale, although no input changed.
    #[test]
    fn the_comparison_reads_the_jobs_the_units_found() {
        let tree = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(tree.path(), ".ignore", "ci/\n");
        let template = |version: &str| {
            format!(
                ".deploy:\n  stage: deploy\n  image: alpine/helm:{version}\n  script:\n    - helm upgrade --install api ./chart --atomic\n"
            )
        };
        write(tree.path(), "ci/deploy.yml", &template("3.15.2"));
        write(
            tree.path(),
            ".gitlab-ci.yml",
            "include:\n  - local: ci/deploy.yml\nstages: [deploy]\ndeploy-staging:\n  extends: .deploy\n  environment:\n    name: staging\ndeploy-production:\n  extends: .deploy\n  image: alpine/helm:3.11.1\n  environment:\n    name: production\n",
        );
        write(tree.path(), "main.tf", "terraform {}\n");
        let rules = rules();
        let opts = CheckOptions { environments: Some(Arc::default()), ..CheckOptions::default() };
        let plain = || crate::engine::check(inputs(tree.path()), &rules, &opts);
        let cached = || check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        let divergences = |r: &Report| {
            r.findings
                .iter()
                .filter(|f| f.rule.name == "environment-divergence")
                .map(|f| f.message.clone())
                .collect::<Vec<_>>()
        };
        let expected = plain();
        assert_eq!(divergences(&expected).len(), 1, "{:#?}", expected.findings);
        let (cold, stats) = cached();
        assert_eq!(stats.environments, Some(false));
        assert_eq!(json(&cold), json(&expected));

        // Another input changes: the pipeline's jobs come from its entry.
        write(tree.path(), "main.tf", "terraform {}\n# changed\n");
        let (after, stats) = cached();
        assert_eq!((stats.environments, stats.misses), (Some(false), 1), "only `main.tf` is checked again");
        assert_eq!(json(&after), json(&plain()));
        assert_eq!(divergences(&after), divergences(&expected));

        // The include changes, and with it the staging job's image: nothing diverges any more.
        write(tree.path(), "ci/deploy.yml", &template("3.11.1"));
        let now = plain();
        assert!(divergences(&now).is_empty(), "{:#?}", now.findings);
        let (after, stats) = cached();
        assert_eq!((stats.environments, stats.misses), (Some(false), 1), "the pipeline's entry is stale");
        assert_eq!(json(&after), json(&now));
        let (warm, stats) = cached();
        assert_eq!((stats.environments, stats.misses), (Some(true), 0));
        assert_eq!(json(&warm), json(&now));
    }

    /// With `--shard` and `--cache`, each shard compares every shard's environments: the comparison
    /// comes from the shard's cache while no input changed, with the jobs of the shard's own
    /// pipelines from their entries, and gives what the uncached comparison gives.
    #[test]
    fn a_shard_takes_the_comparison_from_its_cache() {
        let tree = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/envs/pipelines");
        copy_dir(&fixture, tree.path());
        let rules = rules();
        let opts = CheckOptions { environments: Some(Arc::default()), ..CheckOptions::default() };
        let unit_opts = CheckOptions { environments: None, ..opts.clone() };
        let plain = || json(&crate::engine::check_environments(&inputs(tree.path()), &rules, &opts));
        let expected = plain();
        assert!(expected.contains("environment-divergence"), "{expected}");
        for k in 1..=2 {
            let shard = crate::shard::Shard { index: k, count: 2 };
            let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let run = || {
                let own = shard.filter(inputs(tree.path()));
                // Which units a shard gets depends on their paths, here under a random folder.
                let units =
                    own.iter().map(|i| unit_key(&i.path, i.class)).collect::<std::collections::BTreeSet<_>>();
                let (_, _, keys) = check_cached_keyed(own, &rules, &unit_opts, cache.path());
                assert_eq!(
                    keys.keys().collect::<std::collections::BTreeSet<_>>(),
                    units.iter().collect(),
                    "shard {k}"
                );
                assert!(keys.values().all(Option::is_some), "shard {k}: {keys:?}");
                environments_cached(&inputs(tree.path()), &rules, &opts, cache.path(), &keys)
            };
            let (cold, cached) = run();
            assert!(!cached, "shard {k}: an empty cache");
            assert_eq!(json(&cold), expected, "shard {k}");
            let (warm, cached) = run();
            assert!(cached, "shard {k}: nothing changed");
            assert_eq!(json(&warm), expected, "shard {k}");
            // The keys the shard's own check handed over are the ones reading its files gives.
            let none = UnitKeys::default();
            let (alone, cached) =
                environments_cached(&inputs(tree.path()), &rules, &opts, cache.path(), &none);
            assert!(cached, "shard {k}: the same key without the check's keys");
            assert_eq!(json(&alone), expected, "shard {k}");
        }
        // A pipeline changes: the comparison is computed again, and sees the change.
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let none = UnitKeys::default();
        let (_, cached) = environments_cached(&inputs(tree.path()), &rules, &opts, cache.path(), &none);
        assert!(!cached);
        let gitlab = tree.path().join("gitlab/.gitlab-ci.yml");
        let text = std::fs::read_to_string(&gitlab).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&gitlab, text.replace("alpine/helm:3.11.1", "alpine/helm:3.15.2"))
            .unwrap_or_else(|e| panic!("{e}"));
        let (after, cached) = environments_cached(&inputs(tree.path()), &rules, &opts, cache.path(), &none);
        assert!(!cached, "the pipeline changed");
        assert_eq!(json(&after), plain());
        assert_ne!(json(&after), expected, "production's image no longer diverges");
    }

    fn copy_dir(from: &Path, to: &Path) {
        for e in std::fs::read_dir(from).unwrap_or_else(|e| panic!("{e}")).flatten() {
            let target = to.join(e.file_name());
            if e.path().is_dir() {
                std::fs::create_dir_all(&target).unwrap_or_else(|e| panic!("{e}"));
                copy_dir(&e.path(), &target);
            } else {
                std::fs::copy(e.path(), &target).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }

    /// The comparison of environments is cached as a whole: a warm run takes it from the cache, with
    /// the texts its code frames show, until an input or a file it read outside the inputs (a
    /// `.terraform.lock.hcl`, which is not checked) changes or appears.
    #[test]
    fn the_comparison_of_environments_is_cached_until_what_it_read_changes() {
        let tree = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cache = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/envs/terraform-folders");
        copy_dir(&fixture, tree.path());
        let rules = rules();
        let opts = CheckOptions { environments: Some(Arc::default()), ..CheckOptions::default() };
        let plain = || crate::engine::check(inputs(tree.path()), &rules, &opts);
        let cached = || check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        let divergences =
            |r: &Report| r.findings.iter().filter(|f| f.rule.name == "environment-divergence").count();

        let (cold, stats) = cached();
        assert_eq!(stats.environments, Some(false));
        let expected = plain();
        assert!(divergences(&expected) > 0, "the fixture's environments diverge");
        assert_eq!(json(&cold), json(&expected));
        let (warm, stats) = cached();
        assert_eq!((stats.environments, stats.misses), (Some(true), 0));
        assert_eq!(json(&warm), json(&expected));
        assert_eq!(warm.sources, expected.sources, "code frames show the same texts");

        // The lock files are read beside the folders, not checked: a new provider version in one.
        let lock = tree.path().join("envs/prod/.terraform.lock.hcl");
        let text = std::fs::read_to_string(&lock).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&lock, text.replace("5.31.0", "5.99.0")).unwrap_or_else(|e| panic!("{e}"));
        let (after, stats) = cached();
        assert_eq!((stats.environments, stats.misses), (Some(false), 0), "the units are unchanged");
        assert_eq!(json(&after), json(&plain()));
        assert_ne!(json(&after), json(&warm), "the new version is compared");

        // A lock file that was missing appears.
        std::fs::remove_file(&lock).unwrap_or_else(|e| panic!("{e}"));
        let (without, _) = cached();
        assert_eq!(json(&without), json(&plain()));
        std::fs::write(&lock, text).unwrap_or_else(|e| panic!("{e}"));
        let (back, stats) = cached();
        assert_eq!(stats.environments, Some(false), "one entry per key: the last run's reads");
        assert_eq!(json(&back), json(&expected));
        let (_, stats) = cached();
        assert_eq!(stats.environments, Some(true));

        // Any changed input changes the key.
        let main = tree.path().join("envs/dev/main.tf");
        let text = std::fs::read_to_string(&main).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&main, format!("{text}\n")).unwrap_or_else(|e| panic!("{e}"));
        let (_, stats) = cached();
        assert_eq!((stats.environments, stats.misses), (Some(false), 1));
    }
}
