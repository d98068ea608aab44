//! The check pipeline: read every input in parallel, then check each unit (a Terraform module
//! folder, or one file) in parallel: parse its files, run the rules, apply suppressions. A unit's
//! models are freed when it is done, unless a later reader needs them (see `engine/store.rs`). Then the
//! environments are compared across units, and the findings returned in a sorted [`Report`].
//!
//! Each file is read and parsed, and each unit checked, inside `catch_unwind`: a bug in smelt costs
//! that file an `internal-error` diagnostic, never the run.

use crate::discover::{Input, Origin};
use crate::finding::{Diagnostic, DiagnosticCode, Finding, Level, Location, Related, Report, Suppression};
use crate::model::{Expr, Node, ParseIssueKind, ParsedFile, Value};
use crate::parse::{self, Limits};
use crate::rules::registry::RuleSet;
use crate::rules::{FileView, OtherFile, RawFinding, RawRelated};
use crate::source::{Classified, Decoded, FileKind, Syntax, decode, decode_owned, looks_like_kubernetes};
use crate::span::{LineIndex, Span};
use crate::suppress;
use crate::workspace::Workspace;
use rayon::prelude::*;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

mod environments;
pub use environments::{PipelineJobs, check_environments, check_environments_with, detect_environments};
mod store;
use store::Store;

mod terraform;
pub mod timings;
pub use terraform::{TerraformOptions, TfVar, read_fact};
use timings::{Phase, timed};

#[derive(Clone, Debug)]
pub struct CheckOptions {
    /// Worker threads; 0 means one per core.
    pub jobs: usize,
    /// Files larger than this many bytes are skipped with a note.
    pub max_file_size: u64,
    pub limits: Limits,
    /// How environments are found for `environment-divergence`; `None` leaves the cross-unit pass out
    /// (a caller that runs it on its own, as `--shard` does).
    pub environments: Option<Arc<crate::envs::Settings>>,
    /// How Helm charts are rendered (release name, namespace, render limits).
    pub helm: crate::helm::render::RenderOptions,
    pub terraform: TerraformOptions,
    /// Texts that stand in for files on disk when a check reads a file it was not given (a called
    /// workflow, an include): the editor's unsaved buffers, by display path.
    pub buffers: BTreeMap<String, Arc<str>>,
    /// Whether such files are read from disk when not in memory (off for rule examples, which must
    /// give the same result wherever they run).
    pub read_disk: bool,
    /// When set, each phase's time is added here (the throughput bench reads it).
    pub timings: Option<Arc<timings::Timings>>,
}

impl Default for CheckOptions {
    fn default() -> CheckOptions {
        CheckOptions {
            jobs: 0,
            max_file_size: 5 * 1024 * 1024,
            limits: Limits::default(),
            environments: Some(Arc::default()),
            helm: Default::default(),
            terraform: TerraformOptions::default(),
            buffers: BTreeMap::new(),
            read_disk: true,
            timings: None,
        }
    }
}

/// A file read, decoded and parsed.
pub(crate) struct Loaded {
    pub(crate) path: String,
    pub(crate) kind: FileKind,
    pub(crate) text: Arc<str>,
    pub(crate) index: LineIndex,
    pub(crate) parsed: ParsedFile,
    /// Where it is on disk, for units that read more files beside it (a Helm chart's folder).
    pub(crate) disk: Option<std::path::PathBuf>,
}

/// Runs the rules in `rules` over `inputs`.
pub fn check(inputs: Vec<Input>, rules: &RuleSet, opts: &CheckOptions) -> Report {
    with_threads(opts.jobs, || check_in_pool(inputs, rules, opts))
}

/// Runs `work` in a pool of `jobs` threads (0: one per core), or on this thread if the pool cannot
/// be made: what `--jobs` means for the check, the cache and the output alike.
pub fn with_threads<R: Send>(jobs: usize, work: impl FnOnce() -> R + Send) -> R {
    match rayon::ThreadPoolBuilder::new().num_threads(jobs).build() {
        Ok(pool) => pool.install(work),
        Err(_) => work(),
    }
}

/// [`check`] in the current rayon pool, without the cross-unit pass (for callers already inside one,
/// like the cache, which checks unit by unit and runs the comparison of environments once), and
/// with each pipeline's jobs that name an environment, which that comparison reads
/// ([`check_environments_with`]). The jobs' reads outside the inputs (GitLab includes) are recorded
/// in the report's reads like the rules' own, so an entry holding them is used only while they stay
/// the same.
pub fn check_units(inputs: Vec<Input>, rules: &RuleSet, opts: &CheckOptions) -> (Report, Vec<PipelineJobs>) {
    check_pool(inputs, rules, &CheckOptions { environments: None, ..opts.clone() }, Jobs::Recorded)
}

fn check_in_pool(inputs: Vec<Input>, rules: &RuleSet, opts: &CheckOptions) -> Report {
    check_pool(inputs, rules, opts, Jobs::ForThePass).0
}

/// Which pipeline jobs the per-unit pass reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Jobs {
    /// Those the run's own comparison of environments needs (none when it does not run), through a
    /// view of the workspace that records no reads: the comparison's key covers every input.
    ForThePass,
    /// Every pipeline's, recording what they read: for a caller that keeps them per unit.
    Recorded,
}

fn check_pool(
    inputs: Vec<Input>,
    rules: &RuleSet,
    opts: &CheckOptions,
    want: Jobs,
) -> (Report, Vec<PipelineJobs>) {
    let read: Vec<(Option<Read>, Vec<Diagnostic>)> = inputs
        .par_iter()
        .map(|input| {
            catch_unwind(AssertUnwindSafe(|| read_input(input, opts))).unwrap_or_else(|_| {
                let message = internal_message("reading");
                (None, vec![diag(DiagnosticCode::InternalError, Level::Error, &input.path, None, message)])
            })
        })
        .collect();
    let mut diagnostics = Vec::new();
    let mut read_files = Vec::new();
    for (file, diags) in read {
        diagnostics.extend(diags);
        read_files.extend(file);
    }

    let clock = opts.timings.as_deref();
    let assembling = std::time::Instant::now();
    let (tf, var_files) = terraform::TfRun::new(opts);
    let store = Store::new(read_files);
    // Three independent looks at the run's paths and texts before the first unit: on every thread.
    let ((workspace, units), layout) = rayon::join(
        || {
            let mut workspace = Workspace::new(opts.buffers.clone(), opts.read_disk);
            for i in 0..store.len() {
                if let Some(text) = store.text(i) {
                    workspace.insert(store.path(i), text.clone());
                }
            }
            (workspace, group_units(&store))
        },
        || {
            rayon::join(
                || terraform::keep_called_folders(&store),
                || environments::keep_compared(&inputs, &store, rules, opts),
            )
            .1
        },
    );
    // The pipelines' jobs are read while their models are at hand (see [`Jobs`] for whose reads are
    // recorded).
    let jobs_workspace = match want {
        Jobs::ForThePass => layout.as_ref().map(|_| workspace.unrecorded()),
        Jobs::Recorded => Some(workspace.clone()),
    };
    let mut assembled = assembling.elapsed();

    let checked: Vec<(UnitResult, Vec<environments::PipelineJobs>)> = units
        .par_iter()
        .map(|unit| {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let members: Vec<Arc<Loaded>> = unit.iter().filter_map(|&i| store.model(i, opts)).collect();
                let env = jobs_workspace.as_ref();
                check_unit(&members, &store, rules, &tf, &var_files, opts, &workspace, env)
            }))
            .unwrap_or_else(|_| {
                let diags = unit
                    .iter()
                    .map(|&i| {
                        let message = internal_message("checking");
                        diag(DiagnosticCode::InternalError, Level::Error, store.path(i), None, message)
                    })
                    .collect();
                ((Vec::new(), diags, Vec::new(), BTreeMap::new()), Vec::new())
            });
            for &i in unit {
                store.release(i, opts);
            }
            result
        })
        .collect();

    let assembling = std::time::Instant::now();
    let mut jobs = Vec::new();
    let mut results = Vec::with_capacity(checked.len());
    for (result, j) in checked {
        results.push(result);
        jobs.extend(j);
    }
    let (files, failures) = store.finish();
    // The comparison across units needs only the files and the jobs: it runs beside the collecting,
    // sorting and picking of the texts to show, which it takes longer than.
    let (kept_jobs, pass_jobs) = match want {
        Jobs::Recorded => (jobs, Vec::new()),
        Jobs::ForThePass => (Vec::new(), jobs),
    };
    let (cross, (mut findings, mut diagnostics, mut others, reads, mut sources)) = rayon::join(
        || layout.map(|layout| environments::pass(&inputs, &files, layout, pass_jobs, rules, opts)),
        || {
            let (mut findings, mut others, mut reads) = (Vec::new(), Vec::new(), BTreeMap::new());
            for (f, d, o, r) in results {
                findings.extend(f);
                diagnostics.extend(d);
                others.extend(o);
                reads.extend(r);
            }
            reads.extend(workspace.take_reads());
            diagnostics.extend(failures);
            for f in files.iter().map(|f| &**f).chain(&var_files) {
                diagnostics.extend(parse_diagnostics(f));
            }
            sort(&mut findings, &mut diagnostics);
            let mut sources = BTreeMap::new();
            add_sources(&mut sources, &findings, &diagnostics, &files, &var_files, &others);
            (findings, diagnostics, others, reads, sources)
        },
    );
    if let Some((f, d, o, _)) = cross {
        others.extend(o);
        add_sources(&mut sources, &f, &d, &files, &var_files, &others);
        findings.extend(f);
        diagnostics.extend(d);
        // Two sorted runs: the sort merges them.
        sort(&mut findings, &mut diagnostics);
    }
    let mut rule_metas: Vec<_> = rules.rules.iter().map(|r| r.meta.clone()).collect();
    rule_metas.sort_by(|a, b| a.code.cmp(&b.code));
    let files_checked = files.len();
    assembled += assembling.elapsed();
    if let Some(t) = clock {
        t.add(Phase::Assemble, assembled);
    }
    // What is left of the files (texts, line indexes, the models kept for later readers), freed on
    // every thread.
    timed(clock, Phase::Free, || files.into_par_iter().for_each(drop));
    let report = Report {
        findings,
        diagnostics,
        rules: rule_metas,
        sources,
        files_checked,
        reads,
        ..Report::default()
    };
    (report, kept_jobs)
}

/// Adds the texts of the files that code frames will show for these findings and diagnostics (and
/// only those) that `sources` does not hold yet: a checked file's, else one a rule read itself (a
/// GitLab local include).
fn add_sources(
    sources: &mut BTreeMap<String, Arc<str>>,
    findings: &[Finding],
    diagnostics: &[Diagnostic],
    files: &[Arc<Loaded>],
    var_files: &[Loaded],
    others: &[Arc<OtherFile>],
) {
    let shown: foldhash::HashSet<&str> = findings
        .iter()
        .flat_map(|x| std::iter::once(&x.location).chain(x.related.iter().map(|r| &r.location)))
        .map(|l| l.path.as_str())
        .chain(diagnostics.iter().filter(|d| d.location.is_some()).map(|d| d.path.as_str()))
        .filter(|p| !sources.contains_key(*p))
        .collect();
    if shown.is_empty() {
        return;
    }
    for f in files.iter().map(|f| &**f).chain(var_files).filter(|f| shown.contains(f.path.as_str())) {
        sources.insert(f.path.clone(), f.text.clone());
    }
    for o in others.iter().filter(|o| shown.contains(o.path.as_str())) {
        sources.entry(o.path.clone()).or_insert_with(|| o.text.clone());
    }
}

/// The order of every report: findings by path, line, column, rule name; diagnostics by path, line,
/// column, code (duplicates dropped). Stable, so findings of one file keep the engine's order on ties.
fn sort(findings: &mut [Finding], diagnostics: &mut Vec<Diagnostic>) {
    // Paths share long prefixes: comparing them is most of a big run's sort, on every thread.
    findings.par_sort_by(|a, b| {
        (&a.location.path, a.location.start, a.location.end, &a.rule.name).cmp(&(
            &b.location.path,
            b.location.start,
            b.location.end,
            &b.rule.name,
        ))
    });
    diagnostics.sort_by(|a, b| {
        (&a.path, a.location.as_ref().map(|l| l.start), a.code, &a.message).cmp(&(
            &b.path,
            b.location.as_ref().map(|l| l.start),
            b.code,
            &b.message,
        ))
    });
    diagnostics.dedup();
}

/// Sorts a report assembled from parts (cached units) exactly as [`check`] sorts a whole run.
pub fn sort_report(report: &mut Report) {
    sort(&mut report.findings, &mut report.diagnostics);
}

fn internal_message(phase: &str) -> String {
    format!(
        "internal error while {phase} this file; the rest of the run went on. Please report it with the file attached."
    )
}

pub(crate) fn diag(
    code: DiagnosticCode,
    level: Level,
    path: &str,
    location: Option<Location>,
    message: String,
) -> Diagnostic {
    Diagnostic { code, level, path: path.to_string(), location, message }
}

/// A file read, decoded and classified, not parsed yet.
pub(crate) struct Read {
    path: String,
    kind: FileKind,
    syntax: Syntax,
    text: Arc<str>,
    index: LineIndex,
    disk: Option<std::path::PathBuf>,
}

/// Reads, decodes, classifies and parses one input.
fn load(input: &Input, opts: &CheckOptions) -> (Option<Loaded>, Vec<Diagnostic>) {
    let (read, diags) = read_input(input, opts);
    (read.map(|r| parse_read(r, opts)), diags)
}

/// Parses a file read by [`read_input`].
fn parse_read(read: Read, opts: &CheckOptions) -> Loaded {
    let parsed = parse_text(&read.text, read.syntax, opts);
    let Read { path, kind, text, index, disk, .. } = read;
    Loaded { path, kind, text, index, parsed, disk }
}

fn parse_text(text: &str, syntax: Syntax, opts: &CheckOptions) -> ParsedFile {
    timed(opts.timings.as_deref(), Phase::Parse, || match syntax {
        Syntax::Hcl => parse::hcl::parse(text, &opts.limits),
        Syntax::Yaml => parse::yaml::parse(text, &opts.limits),
        Syntax::Json => {
            let mut parsed = parse::yaml::parse(text, &opts.limits);
            parsed.docs.iter_mut().for_each(json_templates);
            parsed
        }
    })
}

/// Reads, decodes and classifies one input; `None` for a file no rule reads (or that cannot be read,
/// with a diagnostic saying why).
fn read_input(input: &Input, opts: &CheckOptions) -> (Option<Read>, Vec<Diagnostic>) {
    let path = input.path.as_str();
    let note = |code, level, message: String| vec![diag(code, level, path, None, message)];
    let (kind, syntax) = match input.class {
        Classified::Kind(kind, syntax) => (Some(kind), syntax),
        Classified::MaybeKubernetes => (None, Syntax::Yaml),
        Classified::HelmTemplate | Classified::Unknown => return (None, Vec::new()),
    };
    let clock = opts.timings.as_deref();
    let reading = std::time::Instant::now();
    let bytes = match read(input, opts.max_file_size) {
        Ok(b) => b,
        Err((code, level, message)) => return (None, note(code, level, message)),
    };
    let decoded = match bytes {
        std::borrow::Cow::Owned(b) => decode_owned(b),
        std::borrow::Cow::Borrowed(b) => decode(b),
    };
    let (text, invalid_at) = match decoded {
        Decoded::Binary if kind.is_none() => return (None, Vec::new()),
        Decoded::Binary => {
            return (
                None,
                note(
                    DiagnosticCode::BinaryFile,
                    Level::Warning,
                    "skipped: binary data (NUL bytes), not a text file".into(),
                ),
            );
        }
        Decoded::Text { text, invalid_utf8_at } => (text, invalid_utf8_at),
    };
    let kind = match kind {
        Some(k) => k,
        None if looks_like_kubernetes(&text) => FileKind::Kubernetes,
        None => return (None, Vec::new()),
    };
    let index = LineIndex::new(&text);
    let mut diags = Vec::new();
    if let Some(at) = invalid_at {
        let location = location(path, &text, &index, Span::new(at, at + 1));
        diags.push(diag(
            DiagnosticCode::InvalidUtf8,
            Level::Warning,
            path,
            Some(location),
            "not valid UTF-8: invalid bytes were read as `?` and the file was still checked".into(),
        ));
    }
    let text: Arc<str> = text.into();
    let disk = match &input.origin {
        Origin::Disk(p) => Some(p.clone()),
        Origin::Memory(_) => None,
    };
    if let Some(t) = clock {
        t.add(Phase::Read, reading.elapsed());
    }
    (Some(Read { path: path.to_string(), kind, syntax, text, index, disk }), diags)
}

/// The input's bytes, or why they were not read: a size over `max` (checked before reading when the
/// file is on disk) or an I/O error.
pub(crate) fn read(
    input: &Input,
    max: u64,
) -> Result<std::borrow::Cow<'_, [u8]>, (DiagnosticCode, Level, String)> {
    let too_large = |len: u64| {
        let message = format!("skipped: {len} bytes is over the {max}-byte limit (--max-file-size)");
        (DiagnosticCode::FileTooLarge, Level::Note, message)
    };
    let unreadable =
        |e: std::io::Error| (DiagnosticCode::ReadError, Level::Error, format!("cannot read: {e}"));
    // Bytes from disk are handed over as read: decoding then takes them without a copy.
    let bytes: std::borrow::Cow<'_, [u8]> = match &input.origin {
        Origin::Memory(b) => std::borrow::Cow::Borrowed(b),
        Origin::Disk(p) => match read_file(p, max).map_err(unreadable)? {
            FromDisk::Bytes(bytes) => std::borrow::Cow::Owned(bytes),
            FromDisk::TooLarge(len) => return Err(too_large(len)),
            FromDisk::NotRegular => {
                let message = "skipped: not a regular file (a FIFO, socket or device)".to_string();
                return Err((DiagnosticCode::ReadError, Level::Note, message));
            }
        },
    };
    // A file can grow between the look and the read; memory inputs are only checked here.
    if bytes.len() as u64 > max {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// What reading a file on disk gave.
#[derive(Debug, PartialEq)]
pub(crate) enum FromDisk {
    Bytes(Vec<u8>),
    /// Its size when opened, over the limit: not read.
    TooLarge(u64),
    /// A FIFO, socket or device (swapped in after the walk, or named by the editor): not read.
    NotRegular,
}

/// Opens the file and looks at what was opened before reading a byte: one path lookup per file,
/// where a `stat` by path and then an open took two (path lookups were ~2.5% of a 10,000-file run's
/// CPU samples). The walk already saw a regular file; if something else was swapped in since, the open
/// neither blocks (a FIFO, `O_NONBLOCK`) nor takes a terminal (`O_NOCTTY`), and nothing is read
/// from it. The buffer is sized from that look (`std::fs::read` would ask for the size again), and
/// at most one byte over `max` is read, so a file that grew past the limit since is caught without
/// reading it all.
pub(crate) fn read_file(path: &std::path::Path, max: u64) -> std::io::Result<FromDisk> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK | libc::O_NOCTTY);
    let file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(FromDisk::NotRegular);
    }
    if meta.len() > max {
        return Ok(FromDisk::TooLarge(meta.len()));
    }
    read_to_limit(file, meta.len(), max).map(FromDisk::Bytes)
}

/// Everything `file` holds, in a buffer sized for the `len` it had when looked at, but at most one
/// byte over `max`: a file that grew past the limit since is caught without reading it all.
fn read_to_limit(file: impl std::io::Read, len: u64, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(usize::try_from(len.min(max)).unwrap_or(0));
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// In Terraform's JSON syntax a string holding `${…}` is a template: read as one, so its references
/// are evaluated (a string that does not parse as a template stays unknown).
fn json_templates(node: &mut Node) {
    match &mut node.value {
        Value::Str(s) if s.contains("${") => {
            let text = std::mem::take(s);
            *node = match parse::hcl::template(&text, node.span, &Limits::default()) {
                Some(template) => template,
                None => Node::new(node.span, Value::Expr(Box::new(Expr::Other(text)))),
            };
        }
        Value::List(items) => items.iter_mut().for_each(json_templates),
        Value::Map(entries) => entries.iter_mut().for_each(|e| json_templates(&mut e.value)),
        _ => {}
    }
}

fn parse_diagnostics(f: &Loaded) -> Vec<Diagnostic> {
    f.parsed
        .issues
        .iter()
        .map(|issue| {
            let code = match issue.kind {
                ParseIssueKind::Syntax => DiagnosticCode::ParseError,
                ParseIssueKind::Limit => DiagnosticCode::LimitExceeded,
            };
            let loc = location(&f.path, &f.text, &f.index, issue.span);
            diag(code, Level::Error, &f.path, Some(loc), issue.message.clone())
        })
        .collect()
}

/// Terraform files are checked together per folder (a module); every other file on its own.
fn group_units(files: &Store) -> Vec<Vec<usize>> {
    let mut modules: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut units = Vec::new();
    for i in 0..files.len() {
        if files.kind(i) == Some(FileKind::Terraform) {
            modules.entry(store::dir_of(files.path(i))).or_default().push(i);
        } else {
            units.push(vec![i]);
        }
    }
    units.extend(modules.into_values());
    units
}

/// A unit's findings, diagnostics, the other files (GitLab includes, module folders read from disk)
/// its findings point into, and what it read outside itself (see [`terraform::Reads`]).
pub(crate) type UnitResult =
    (Vec<Finding>, Vec<Diagnostic>, Vec<Arc<OtherFile>>, BTreeMap<String, Option<String>>);

/// Checks one unit. With `env_jobs` (a workspace that records no reads), also reads its pipelines'
/// jobs for the environments pass, while their models (and a GitLab pipeline the CI rules merged
/// with its includes) are at hand.
#[allow(clippy::too_many_arguments)]
fn check_unit(
    members: &[Arc<Loaded>],
    files: &Store,
    rules: &RuleSet,
    tf: &terraform::TfRun,
    var_files: &[Loaded],
    opts: &CheckOptions,
    workspace: &Workspace,
    env_jobs: Option<&Workspace>,
) -> (UnitResult, Vec<environments::PipelineJobs>) {
    let members: Vec<&Loaded> = members.iter().map(|f| &**f).collect();
    let reads = terraform::Reads::default();
    let clock = opts.timings.as_deref();
    if let [chart] = members[..]
        && chart.kind == FileKind::HelmChart
    {
        return (timed(clock, Phase::Helm, || check_chart(chart, rules, opts)), Vec::new());
    }
    let evaluated = timed(clock, Phase::Evaluate, || terraform::evaluate(&members, files, tf, &reads, opts));
    let views: Vec<&ParsedFile> = members
        .iter()
        .enumerate()
        .map(|(i, f)| evaluated.get(i).and_then(|e| e.0.as_ref()).unwrap_or(&f.parsed))
        .collect();
    let docs: Vec<&Node> = views.iter().flat_map(|p| p.docs.iter()).collect();
    let (mut calls, mut others) = if evaluated.is_empty() {
        (Vec::new(), Vec::new())
    } else {
        timed(clock, Phase::Evaluate, || {
            terraform::check_calls(&members, &views, &evaluated, files, rules, tf, &reads, opts, workspace)
        })
    };
    let var_refs: Vec<&Loaded> = var_files.iter().collect();
    let mut findings = Vec::new();
    let mut diagnostics = Vec::new();
    let mut rule_runs = Vec::new();
    let mut jobs = Vec::new();
    for (i, file) in members.into_iter().enumerate() {
        let started = std::time::Instant::now();
        let mut in_rules = std::time::Duration::ZERO;
        let parsed = views.get(i).copied().unwrap_or(&file.parsed);
        let view = FileView::new(&file.path, file.kind, &file.text, parsed, workspace);
        let origins = evaluated.get(i).map_or(&[][..], |e| &e.1[..]);
        let mut file_findings = Vec::new();
        let routed = rules.router().candidates(view.index());
        let picked = routed.iter().filter_map(|&r| Some(r).zip(rules.rules.get(r)));
        for (r, rule) in picked.filter(|(_, rule)| rule.applies_to(file.kind)) {
            let running = clock.map(|_| std::time::Instant::now());
            let raws = rule.run_routed(&view, &docs);
            if let Some(took) = running.map(|r| r.elapsed()) {
                in_rules += took;
                rule_runs.push((r, took));
            }
            for raw in raws {
                others.extend(raw.file.clone());
                others.extend(raw.related.iter().filter_map(|r| r.file.clone()));
                let mut found = finding(rule, file, &raw);
                terraform::value_origin(&mut found, &raw, origins, files, &var_refs, opts);
                file_findings.push(found);
            }
        }
        // A bug in reading the jobs costs the environments pass this pipeline's jobs (they are not
        // read again there), not the unit its findings.
        let mut in_jobs = std::time::Duration::ZERO;
        if let Some(ws) = env_jobs {
            let reading = clock.map(|_| std::time::Instant::now());
            let read = catch_unwind(AssertUnwindSafe(|| {
                environments::pipeline_jobs(file, view.gitlab_if_loaded(), ws)
            }));
            in_jobs = reading.map_or(in_jobs, |r| r.elapsed());
            jobs.extend(read.unwrap_or_else(|_| {
                let message = internal_message("reading the environments of");
                diagnostics.push(diag(
                    DiagnosticCode::InternalError,
                    Level::Error,
                    &file.path,
                    None,
                    message,
                ));
                Some((file.path.clone(), Vec::new(), Vec::new()))
            }));
        }
        let mut via: Vec<(Finding, Vec<usize>)> = Vec::new();
        calls.retain_mut(|c| {
            if c.caller != file.path {
                return true;
            }
            via.push((c.finding.clone(), std::mem::take(&mut c.cover)));
            false
        });
        let unchecked: Vec<(usize, usize)> = evaluated.get(i).map_or_else(Vec::new, |e| {
            e.2.iter()
                .map(|s| {
                    (file.index.line_of(s.start), file.index.line_of(s.end.saturating_sub(1).max(s.start)))
                })
                .collect()
        });
        diagnostics.extend(apply_suppressions(file, &mut file_findings, &mut via, &unchecked, rules));
        diagnostics.extend(apply_other_suppressions(file, &mut file_findings, &others, rules));
        fingerprint(file, &mut file_findings);
        findings.extend(file_findings);
        findings.extend(via.into_iter().map(|(f, _)| f));
        if let Some(t) = clock {
            t.add(Phase::Rules, in_rules);
            // The environments pass's share: what it reads of the pipeline.
            t.add(Phase::Assemble, in_jobs);
            t.add(Phase::Findings, started.elapsed().saturating_sub(in_rules + in_jobs));
        }
    }
    if let Some(t) = clock {
        t.add_rules(&rule_runs);
    }
    ((findings, diagnostics, others, reads.into_inner()), jobs)
}

/// A Helm chart is rendered from its folder on disk; one given only as text (no folder) is noted.
fn check_chart(chart: &Loaded, rules: &RuleSet, opts: &CheckOptions) -> UnitResult {
    match chart.disk.as_deref().and_then(std::path::Path::parent) {
        Some(dir) => crate::helm::check::check_chart(chart, dir, rules, &opts.helm, &opts.buffers),
        None => {
            let message = "Helm chart given without its folder: its templates were not rendered".to_string();
            (
                Vec::new(),
                vec![diag(DiagnosticCode::NotChecked, Level::Note, &chart.path, None, message)],
                Vec::new(),
                BTreeMap::new(),
            )
        }
    }
}

pub(crate) fn finding(rule: &crate::rules::Rule, file: &Loaded, raw: &RawFinding) -> Finding {
    let other_index = raw.file.as_ref().map(|o| LineIndex::new(&o.text));
    let at = |span: Span| match (&raw.file, &other_index) {
        (Some(o), Some(index)) => location(&o.path, &o.text, index, span),
        _ => location(&file.path, &file.text, &file.index, span),
    };
    let related_at = |r: &RawRelated| match &r.file {
        Some(o) if o.path == file.path => location(&file.path, &file.text, &file.index, r.span),
        Some(o) => location(&o.path, &o.text, &LineIndex::new(&o.text), r.span),
        None => at(r.span),
    };
    Finding {
        rule: rule.meta.clone(),
        location: at(raw.span),
        message: rule.message_for(raw),
        related: raw
            .related
            .iter()
            .map(|r| Related { location: related_at(r), message: r.message.clone() })
            .collect(),
        severity: rule.severity,
        fingerprint: String::new(),
        suppressed: None,
    }
}

pub fn location(path: &str, text: &str, index: &LineIndex, span: Span) -> Location {
    Location {
        path: path.to_string(),
        span,
        start: index.position(text, span.start),
        end: index.position(text, span.end),
    }
}

/// Applies `file`'s suppressions to its findings and to `via`, findings elsewhere (inside a called
/// module) that its lines cover; `unchecked` line ranges (blocks that create nothing) hold
/// suppressions that cannot be judged unused.
pub(crate) fn apply_suppressions(
    file: &Loaded,
    findings: &mut [Finding],
    via: &mut [(Finding, Vec<usize>)],
    unchecked: &[(usize, usize)],
    rules: &RuleSet,
) -> Vec<Diagnostic> {
    suppress_in(&file.target(), findings, via, unchecked, rules, Pass::Unit)
}

/// Applies the suppression comments of files a unit's findings point into without being checked
/// themselves (GitLab local includes). Their unused suppressions are not reported: another pipeline
/// including the same file may need them.
fn apply_other_suppressions(
    file: &Loaded,
    findings: &mut [Finding],
    others: &[Arc<OtherFile>],
    rules: &RuleSet,
) -> Vec<Diagnostic> {
    let mut paths: Vec<String> =
        findings.iter().map(|f| f.location.path.clone()).filter(|p| *p != file.path).collect();
    paths.sort_unstable();
    paths.dedup();
    let mut out = Vec::new();
    for path in &paths {
        let Some(other) = others.iter().find(|o| o.path == *path) else { continue };
        if !other.text.contains("smelt:") {
            continue;
        }
        let parsed = match crate::source::classify(path) {
            Classified::Kind(_, Syntax::Hcl) => parse::hcl::parse(&other.text, &Limits::default()),
            _ => parse::yaml::parse(&other.text, &Limits::default()),
        };
        let index = LineIndex::new(&other.text);
        let target = SuppressTarget { path, text: &other.text, index: &index, parsed: &parsed };
        out.extend(suppress_in(&target, findings, &mut [], &[], rules, Pass::Other));
    }
    out
}

/// A file whose suppression comments apply to the findings located in it (and whose text their
/// fingerprints read).
struct SuppressTarget<'a> {
    path: &'a str,
    text: &'a str,
    index: &'a LineIndex,
    parsed: &'a ParsedFile,
}

impl Loaded {
    fn target(&self) -> SuppressTarget<'_> {
        SuppressTarget { path: &self.path, text: &self.text, index: &self.index, parsed: &self.parsed }
    }
}

/// Which pass applies a file's suppressions, and so which of their problems it reports.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The per-unit rules over a unit's own file: the comments' own problems, and unused suppressions
    /// of per-unit rules.
    Unit,
    /// The per-unit rules over a file the unit's findings point into without checking it (a GitLab
    /// include): the comments' own problems, but no unused ones (another pipeline including the same
    /// file may need them).
    Other,
    /// The cross-unit pass: unused suppressions of the cross-unit rules only, and the comments' own
    /// problems only in files no per-unit rule read (`first_look`: Helm values files, `Chart.yaml`).
    CrossUnit { first_look: bool },
}

impl Pass {
    fn reports_comments(self) -> bool {
        matches!(self, Pass::Unit | Pass::Other | Pass::CrossUnit { first_look: true })
    }

    /// Whether this pass answers for an unused suppression of a rule that is (or is not) cross-unit.
    fn reports_unused(self, cross_unit: bool) -> bool {
        match self {
            Pass::Unit => !cross_unit,
            Pass::Other => false,
            Pass::CrossUnit { .. } => cross_unit,
        }
    }
}

fn suppress_in(
    file: &SuppressTarget<'_>,
    findings: &mut [Finding],
    via: &mut [(Finding, Vec<usize>)],
    unchecked: &[(usize, usize)],
    rules: &RuleSet,
    pass: Pass,
) -> Vec<Diagnostic> {
    let known = |name: &str| rules.known.binary_search_by(|k| k.as_str().cmp(name)).is_ok();
    let (mut sups, problems) = suppress::collect(file.text, file.index, file.parsed, known);
    let mut out: Vec<Diagnostic> = problems
        .into_iter()
        .filter(|_| pass.reports_comments())
        .map(|p| {
            let level = if p.code == DiagnosticCode::SuppressionWithoutReason {
                Level::Error
            } else {
                Level::Warning
            };
            diag(
                p.code,
                level,
                file.path,
                Some(location(file.path, file.text, file.index, p.span)),
                p.message,
            )
        })
        .collect();
    let today = crate::date::Date::today_utc();
    let expired = |s: &suppress::Suppression| s.until.is_some_and(|d| d < today);
    for s in sups.iter().filter(|s| expired(s) && pass.reports_comments()) {
        out.push(diag(
            DiagnosticCode::ExpiredSuppression,
            Level::Warning,
            file.path,
            Some(location(file.path, file.text, file.index, s.span)),
            format!(
                "suppression of `{}` expired on {}: its findings are reported again; fix them or renew the date",
                s.rules.join("`, `"),
                s.until.map(|d| d.to_string()).unwrap_or_default()
            ),
        ));
    }
    let unsuppressible = |name: &str| rules.rules.iter().any(|r| r.meta.name == name && !r.suppressible);
    let own = findings.iter_mut().filter_map(|f| {
        // A finding in another file (a GitLab include) is not covered by this file's comments.
        let line = f.location.start.line as usize - 1;
        (f.location.path == file.path).then(|| (f, vec![line]))
    });
    let through_calls = via.iter_mut().map(|(f, lines)| (f, lines.clone()));
    for (f, lines) in own.chain(through_calls) {
        let Some(s) = sups.iter_mut().find(|s| {
            !expired(s)
                && lines.iter().any(|line| (s.lines.0..=s.lines.1).contains(line))
                && s.rules.iter().any(|r| *r == f.rule.name || r.eq_ignore_ascii_case(&f.rule.code))
        }) else {
            continue;
        };
        s.used = true;
        if unsuppressible(&f.rule.name) {
            out.push(diag(
                DiagnosticCode::SuppressionNotAllowed,
                Level::Warning,
                file.path,
                Some(location(file.path, file.text, file.index, s.span)),
                format!(
                    "policy forbids suppressing `{}` (`suppressible = false`): the finding stays; fix it instead",
                    f.rule.name
                ),
            ));
            continue;
        }
        f.suppressed = Some(Suppression {
            reason: s.reason.clone(),
            location: location(file.path, file.text, file.index, s.span),
        });
    }
    // Each pass answers for its own rules' unused suppressions.
    let enabled = |name: &str| {
        rules.rules.iter().any(|r| {
            (r.meta.name == name || r.meta.code.eq_ignore_ascii_case(name))
                && pass.reports_unused(r.is_cross_unit())
        })
    };
    let in_unchecked =
        |s: &suppress::Suppression| unchecked.iter().any(|&(a, b)| s.lines.0 >= a && s.lines.0 <= b + 1);
    for s in sups
        .iter()
        .filter(|s| !s.used && !expired(s) && !in_unchecked(s) && s.rules.iter().all(|r| enabled(r)))
    {
        out.push(diag(
            DiagnosticCode::UnusedSuppression,
            Level::Warning,
            file.path,
            Some(location(file.path, file.text, file.index, s.span)),
            format!("unused suppression: no `{}` finding here; remove it", s.rules.join("`, `")),
        ));
    }
    out
}

/// A fingerprint that survives edits elsewhere in the file and moving the file: the rule, the text of
/// the finding's line and span (whitespace-normalised), and how many identical ones came before it.
pub(crate) fn fingerprint(file: &Loaded, findings: &mut [Finding]) {
    fingerprint_in(&file.target(), findings);
}

/// [`fingerprint`] over a file's text, for files read without being checked.
fn fingerprint_in(file: &SuppressTarget<'_>, findings: &mut [Finding]) {
    findings.sort_by(|a, b| (a.location.span, &a.rule.name).cmp(&(b.location.span, &b.rule.name)));
    let mut seen: foldhash::HashMap<String, usize> = foldhash::HashMap::default();
    for f in findings.iter_mut() {
        let line_no = f.location.start.line as usize - 1;
        let own = f.location.path == file.path;
        let line = if own { file.text.get(file.index.line_span(file.text, line_no).range()) } else { None };
        let line = line.unwrap_or("");
        let snippet = if own { file.text.get(f.location.span.range()).unwrap_or("") } else { &f.message };
        let mut key = String::with_capacity(f.rule.name.len() + line.len() + snippet.len() + 2);
        key.push_str(&f.rule.name);
        key.push('\0');
        normalise_into(line, &mut key);
        key.push('\0');
        normalise_into(snippet, &mut key);
        // The bytes of `{key}\0{n}`, hashed as before: fingerprints are kept in baselines.
        let hasher = Sha256::new().chain_update(&key);
        let n = {
            let n = seen.entry(key).or_insert(0);
            *n += 1;
            *n
        };
        let digest = hasher.chain_update(b"\0").chain_update(n.to_string()).finalize();
        f.fingerprint = data_encoding::HEXLOWER.encode(digest.get(..16).unwrap_or_default());
    }
}

/// `s` with each run of whitespace as one space and none at either end, appended to `out`.
fn normalise_into(s: &str, out: &mut String) {
    for (i, word) in s.split_whitespace().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::meta::{RuleMeta, Severity};
    use crate::rules::{Check, Rule};

    fn boom(file: &FileView<'_>) -> Vec<RawFinding> {
        assert!(!file.path.contains("boom"), "a bug in a rule");
        vec![RawFinding { span: Span::new(0, 1), ..RawFinding::default() }]
    }

    fn rule_set() -> RuleSet {
        let meta = RuleMeta::for_tests("test-rule");
        let rule = Rule {
            meta: Arc::new(meta),
            message: "found".into(),
            kinds: vec![FileKind::Terraform],
            select: Vec::new(),
            filter: None,
            check: Check::Native(boom),
            examples: Vec::new(),
            severity: Severity::High,
            suppressible: true,
            options: Vec::new(),
            source: Default::default(),
        };
        RuleSet::new(vec![Arc::new(rule)], vec!["T1".into(), "test-rule".into()])
    }

    /// A file is read whole whatever size it had when looked at (it may have changed since), and never
    /// more than one byte past the limit.
    #[test]
    fn a_file_is_read_whole_and_never_far_past_the_limit() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join("grew.tf");
        std::fs::write(&path, "0123456789").unwrap_or_else(|e| panic!("{e}"));
        let read = |max| read_file(&path, max).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(100), FromDisk::Bytes(b"0123456789".to_vec()));
        assert_eq!(read(10), FromDisk::Bytes(b"0123456789".to_vec()), "exactly at the limit");
        assert_eq!(read(9), FromDisk::TooLarge(10));
        let missing = read_file(&dir.path().join("gone.tf"), 100);
        assert!(missing.is_err(), "{missing:?}");
        // Between the look and the read, a file may change.
        let text: &[u8] = b"0123456789";
        let read = |len, max| read_to_limit(text, len, max).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read(3, 100), text, "looked at when it was shorter");
        assert_eq!(read(20, 100), text, "looked at when it was longer");
        assert_eq!(read(3, 5), b"012345", "grew past the limit since the look");
    }

    /// A FIFO named directly (not found by the walk, which notes it without opening it) is opened
    /// without blocking and not read.
    #[cfg(unix)]
    #[test]
    fn a_fifo_is_looked_at_not_read() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let fifo = dir.path().join("fifo.tf");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().is_ok_and(|s| s.success());
        assert!(made, "mkfifo");
        let (tx, rx) = std::sync::mpsc::channel();
        // On a thread: if the open blocked, the test fails after the wait instead of hanging.
        std::thread::spawn(move || {
            let input = Input {
                path: "fifo.tf".into(),
                origin: Origin::Disk(fifo),
                class: crate::source::classify("fifo.tf"),
            };
            let _ = tx.send(read(&input, 1000).map(|b| b.len()));
        });
        let got =
            rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap_or_else(|e| panic!("blocked: {e}"));
        let Err((code, level, message)) = got else { panic!("read a FIFO: {got:?}") };
        assert_eq!((code, level), (DiagnosticCode::ReadError, Level::Note));
        assert!(message.contains("not a regular file"), "{message}");
    }

    /// A panic inside a rule costs the unit it was checking an internal-error diagnostic; every other
    /// file is still checked.
    #[test]
    fn a_panicking_rule_costs_only_its_unit() {
        let inputs = vec![
            Input::from_memory("a/ok.tf", b"x = 1\n".to_vec()),
            Input::from_memory("b/boom.tf", b"x = 1\n".to_vec()),
            Input::from_memory("c/ok.tf", b"x = 1\n".to_vec()),
        ];
        let report = check(inputs, &rule_set(), &CheckOptions { jobs: 2, ..CheckOptions::default() });
        let found: Vec<&str> = report.findings.iter().map(|f| f.location.path.as_str()).collect();
        assert_eq!(found, ["a/ok.tf", "c/ok.tf"]);
        assert_eq!(report.diagnostics.len(), 1);
        assert_eq!(report.diagnostics[0].code, DiagnosticCode::InternalError);
        assert_eq!(report.diagnostics[0].path, "b/boom.tf");
    }

    #[test]
    fn fingerprints_survive_edits_above_and_differ_between_twins() {
        let run = |text: &str| {
            let inputs = vec![Input::from_memory("main.tf", text.as_bytes().to_vec())];
            let rules = crate::rules::registry::builtin().unwrap_or_else(|e| panic!("{e:?}"));
            let set = crate::rules::registry::select(
                rules,
                &["tf-db-skip-final-snapshot".into()],
                &[],
                Severity::Info,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            check(inputs, &set, &CheckOptions::default())
                .findings
                .iter()
                .map(|f| (f.location.start.line, f.fingerprint.clone()))
                .collect::<Vec<_>>()
        };
        let body = "resource \"aws_db_instance\" \"a\" {\n  skip_final_snapshot = true\n}\nresource \"aws_db_instance\" \"b\" {\n  skip_final_snapshot = true\n}\n";
        let before = run(body);
        let after = run(&format!("# a new comment\n\nvariable \"x\" {{}}\n{body}"));
        assert_eq!(before.len(), 2);
        assert_ne!(before[0].1, before[1].1, "identical lines still get distinct fingerprints");
        assert_eq!(before[0].1, after[0].1);
        assert_eq!(before[1].1, after[1].1);
        assert_eq!(after[0].0, before[0].0 + 3);
    }
}
