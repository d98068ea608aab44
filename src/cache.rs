//! `--cache DIR`: a content-addressed cache of each unit's findings and diagnostics, so a repeat run
//! on unchanged files skips parsing and rules.
//!
//! A unit (a Terraform module folder, or one other file; see [`crate::shard::unit_key`]) is cached under
//! a SHA-256 key of: smelt's version, the run's options that change results (file size limit, parse
//! limits), every enabled rule's compiled form (metadata, message, kinds, paths, condition) and the names
//! of all known rules, and the unit's file paths and bytes. A change to any of them is a different key,
//! so entries are never invalidated, only left unused (delete the folder to reclaim space).
//!
//! The cache is an optimisation and never a source of errors: an entry that cannot be read, does not
//! parse, or names a rule this run does not have is recomputed and rewritten. Entries are written to a
//! temporary file and renamed into place, so a reader never sees half an entry. smelt writes only inside
//! DIR (and a `.gitignore` in it, so the cache is never committed or checked by mistake).

use crate::discover::{Input, Origin};
use crate::engine::{CheckOptions, check_units};
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
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped when the entry format changes; old entries are then simply never looked up.
const FORMAT: &str = "v2";

/// How a cached run went.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub hits: usize,
    pub misses: usize,
    /// Units not cached at all (unreadable or oversized files, standard input).
    pub uncached: usize,
}

/// Checks `inputs` like [`crate::engine::check`], answering each unit from the cache in `dir` when
/// it can and storing what it had to compute. The report is identical to an uncached run's.
pub fn check_cached(inputs: Vec<Input>, rules: &RuleSet, opts: &CheckOptions, dir: &Path) -> (Report, Stats) {
    let run = || check_in_pool(inputs, rules, opts, dir);
    match rayon::ThreadPoolBuilder::new().num_threads(opts.jobs).build() {
        Ok(pool) => pool.install(run),
        Err(_) => run(),
    }
}

/// One unit's share of a report.
struct UnitResult {
    findings: Vec<Finding>,
    diagnostics: Vec<Diagnostic>,
    sources: BTreeMap<String, Arc<str>>,
    files_checked: usize,
}

enum Outcome {
    Hit(UnitResult),
    /// Computed: store under this key (if any) once checked.
    Miss(Vec<Input>, Option<String>),
}

fn check_in_pool(inputs: Vec<Input>, rules: &RuleSet, opts: &CheckOptions, dir: &Path) -> (Report, Stats) {
    // Environments are compared across units, so that pass is not cached: it runs on every input.
    let environments =
        opts.environments.is_some().then(|| crate::engine::check_environments(&inputs, rules, opts));
    let mut units: BTreeMap<String, Vec<Input>> = BTreeMap::new();
    for input in inputs {
        units.entry(unit_key(&input.path, input.class)).or_default().push(input);
    }
    let base = base_hash(rules, opts);
    let metas: HashMap<&str, &Arc<RuleMeta>> =
        rules.rules.iter().map(|r| (r.meta.name.as_str(), &r.meta)).collect();
    let store = Store::new(dir);
    let outcomes: Vec<Outcome> = units
        .into_values()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|unit| lookup(unit, &base, &metas, &store, opts))
        .collect();

    let mut stats = Stats::default();
    let mut results = Vec::with_capacity(outcomes.len());
    let mut misses = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Hit(r) => {
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
    let computed: Vec<UnitResult> = misses
        .into_par_iter()
        .map(|(inputs, key)| {
            let report = check_units(inputs, rules, opts);
            if let Some(key) = key {
                store.put(&key, &entry(&key, &report));
            }
            UnitResult {
                findings: report.findings,
                diagnostics: report.diagnostics,
                sources: report.sources,
                files_checked: report.files_checked,
            }
        })
        .collect();
    results.extend(computed);
    if let Some(envs) = environments {
        let (findings, diagnostics, sources) = (envs.findings, envs.diagnostics, envs.sources);
        results.push(UnitResult { findings, diagnostics, sources, files_checked: 0 });
    }
    (merge(results, rules), stats)
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
    let mut files: Vec<(String, Arc<[u8]>)> = Vec::with_capacity(unit.len());
    for input in &unit {
        let bytes: Arc<[u8]> = match &input.origin {
            Origin::Memory(_) => return Outcome::Miss(unit, None),
            Origin::Disk(p) => {
                let small = std::fs::metadata(p).is_ok_and(|m| m.len() <= opts.max_file_size);
                match std::fs::read(p) {
                    Ok(b) if small => b.into(),
                    _ => return Outcome::Miss(unit, None),
                }
            }
        };
        files.push((input.path.clone(), bytes));
    }
    // GitLab CI rules read local includes themselves: files outside the unit, which its key cannot
    // cover. A pipeline that never says `include` reads none.
    let gitlab = unit.iter().any(|i| matches!(i.class, Classified::Kind(FileKind::GitlabCi, _)));
    if gitlab && files.iter().any(|(_, b)| b.windows(7).any(|w| w == b"include")) {
        return Outcome::Miss(unit, None);
    }
    // A Helm chart's findings come from every file of its folder (templates, values, subcharts): all
    // of them are part of its key, and the engine reads the folder itself, so it keeps its disk input.
    let chart = unit.iter().any(|i| matches!(i.class, Classified::Kind(FileKind::HelmChart, _)));
    if chart {
        let dir = unit.iter().find_map(|i| match &i.origin {
            Origin::Disk(p) => p.parent().map(Path::to_path_buf),
            Origin::Memory(_) => None,
        });
        let Some(chart_files) = dir.and_then(|d| crate::helm::chart::read_dir(&d).ok()) else {
            return Outcome::Miss(unit, None);
        };
        let root = unit.first().map_or("", |i| i.path.strip_suffix("Chart.yaml").unwrap_or(&i.path));
        files = chart_files.files.into_iter().map(|(rel, b)| (format!("{root}{rel}"), b)).collect();
        let key = unit_hash(base, &files);
        return match store.get(&key).and_then(|e| restore(e, &key, metas, &files)) {
            Some(result) => Outcome::Hit(result),
            None => Outcome::Miss(unit, Some(key)),
        };
    }
    // Likewise GitHub workflows and actions that call local ones (`uses: ./…`), or that local callers
    // fill with inputs (reusable workflows, composite actions): their findings depend on those files.
    let github = unit
        .iter()
        .any(|i| matches!(i.class, Classified::Kind(FileKind::GithubWorkflow | FileKind::GithubAction, _)));
    if github && files.iter().any(|(_, b)| reads_other_files(b)) {
        return Outcome::Miss(unit, None);
    }
    let key = unit_hash(base, &files);
    let fresh =
        |e: &Entry| e.reads.iter().all(|(k, v)| crate::engine::read_fact(k, opts.max_file_size) == *v);
    if let Some(result) = store.get(&key).filter(fresh).and_then(|e| restore(e, &key, metas, &files)) {
        return Outcome::Hit(result);
    }
    // The bytes are already read: hand them to the engine so it does not read the files again.
    let inputs = files.into_iter().map(|(path, bytes)| Input::from_memory(&path, bytes)).collect();
    Outcome::Miss(inputs, Some(key))
}

/// Whether a GitHub workflow or action's findings can depend on other files of the repository.
fn reads_other_files(bytes: &[u8]) -> bool {
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    has(b"./") || has(b"$/") || has(b"workflow_call") || has(b"inputs.")
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
    if files.iter().any(|(_, b)| b.windows(6).any(|w| w == b"until=")) {
        let days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        h.update(days.to_le_bytes());
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
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

fn entry(key: &str, report: &Report) -> Entry {
    Entry {
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
    // The texts code frames need: the same files the engine would have kept.
    let mut sources = BTreeMap::new();
    for (path, bytes) in files {
        let referenced = findings
            .iter()
            .any(|x| x.location.path == *path || x.related.iter().any(|r| r.location.path == *path))
            || diagnostics.iter().any(|d| d.path == *path && d.location.is_some());
        if !referenced {
            continue;
        }
        let Decoded::Text { text, .. } = decode(bytes) else {
            return None;
        };
        sources.insert(path.clone(), Arc::from(text));
    }
    // Files outside the unit that findings point into (a module the unit calls): read again, they
    // were checked unchanged above.
    let outside: Vec<String> = findings
        .iter()
        .map(|f| f.location.path.clone())
        .filter(|p| !files.iter().any(|(path, _)| path == p))
        .collect();
    for path in outside {
        let bytes = std::fs::read(&path).ok()?;
        let Decoded::Text { text, .. } = decode(&bytes) else { return None };
        sources.insert(path, Arc::from(text));
    }
    Some(UnitResult { findings, diagnostics, sources, files_checked: e.files_checked })
}

// ---- the folder ----

struct Store {
    root: PathBuf,
    counter: AtomicU64,
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
        Store { root, counter: AtomicU64::new(0) }
    }

    fn path(&self, key: &str) -> PathBuf {
        let fan = key.get(..2).unwrap_or("00");
        self.root.join(fan).join(format!("{key}.json"))
    }

    fn get(&self, key: &str) -> Option<Entry> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Best effort: a cache that cannot be written only makes the next run slower.
    fn put(&self, key: &str, entry: &Entry) {
        let Ok(bytes) = serde_json::to_vec(entry) else {
            return;
        };
        let path = self.path(key);
        let Some(folder) = path.parent() else {
            return;
        };
        if std::fs::create_dir_all(folder).is_err() {
            return;
        }
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let tmp = folder.join(format!(".{key}.{}.{n}.tmp", std::process::id()));
        if std::fs::write(&tmp, bytes).is_err() || std::fs::rename(&tmp, &path).is_err() {
            let _ = std::fs::remove_file(&tmp);
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

        // Corrupt every entry: each is recomputed (and rewritten), never fatal.
        for fan in std::fs::read_dir(cache.path().join(FORMAT)).into_iter().flatten().flatten() {
            for e in std::fs::read_dir(fan.path()).into_iter().flatten().flatten() {
                std::fs::write(e.path(), "{\"key\": tru").unwrap_or_else(|e| panic!("{e}"));
            }
        }
        let (again, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (0, 3));
        assert_eq!(json(&again), plain);

        // Editing one file misses only its unit.
        write(tree.path(), "k8s/app.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: b}\n");
        let (_, stats) = check_cached(inputs(tree.path()), &rules, &opts, cache.path());
        assert_eq!((stats.hits, stats.misses), (2, 1));
        assert!(cache.path().join(".gitignore").exists());
    }
}
