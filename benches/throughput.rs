//! Throughput of smelt's phases on a deterministic synthetic monorepo.
//!
//! ```text
//! cargo bench --bench throughput                      # 2,000 files, one job per core, 5 runs
//! cargo bench --bench throughput -- --files 5000 --jobs 2 --runs 7
//! cargo bench --bench throughput -- --sizes 100,1000,10000 --runs 3
//! ```
//!
//! See `benches/README.md` for what each phase measures and how the corpus is built.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

mod corpus;

// The allocator the `smelt` binary uses (src/main.rs), so the bench measures what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rayon::prelude::*;
use smelt::cache::check_cached;
use smelt::discover::{DiscoverOptions, Input, discover};
use smelt::engine::timings::{Phase as CheckPhase, Timings};
use smelt::engine::{CheckOptions, check};
use smelt::finding::Report;
use smelt::parse::Limits;
use smelt::report::{Format, RenderOptions, render};
use smelt::rules::meta::Severity;
use smelt::rules::registry::{RuleSet, builtin, select};
use smelt::source::{Classified, FileKind, Syntax, classify};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo bench --bench throughput [-- OPTIONS]

  --files N      corpus size in files (default 2000)
  --sizes A,B,C  several corpus sizes in one run, e.g. 100,1000,10000 (then --files is ignored)
  --jobs J       worker threads for every phase (default: one per core)
  --runs R       measured runs; the median is reported (default 5)
  --warmup W     unmeasured runs first, to warm caches (default 1)
  --no-memory    skip the peak-memory runs (each is a fresh child process)
  --select R,S   check with only these rules (names, codes or families, as `smelt check --select`):
                 what the engine costs around a few rules, or one rule's cost at scale";

struct Args {
    sizes: Vec<usize>,
    jobs: usize,
    runs: usize,
    warmup: usize,
    memory: bool,
    /// `--select`: the rules the check runs (empty: every built-in rule).
    select: Vec<String>,
    /// Internal: run one phase in this (child) process and print its peak memory.
    child: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = Args {
        sizes: vec![2000],
        jobs: cores,
        runs: 5,
        warmup: 1,
        memory: true,
        select: Vec::new(),
        child: None,
    };
    let mut it = std::env::args().skip(1);
    let number = |flag: &str, value: &str| -> Result<usize, String> {
        value.parse().map_err(|_| format!("`{flag}` needs a number, not `{value}`"))
    };
    let mut sizes_given = false;
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        match flag.as_str() {
            // cargo passes `--bench` to every bench binary.
            "--bench" => continue,
            "-h" | "--help" => return Err(String::new()),
            "--no-memory" => {
                args.memory = false;
                continue;
            }
            _ => {}
        }
        let value = inline.or_else(|| it.next()).ok_or_else(|| format!("`{flag}` needs a value"))?;
        match flag.as_str() {
            "--files" if !sizes_given => args.sizes = vec![number(&flag, &value)?],
            "--files" => {}
            "--sizes" => {
                args.sizes = value.split(',').map(|v| number(&flag, v.trim())).collect::<Result<_, _>>()?;
                sizes_given = true;
            }
            "--jobs" | "-j" => args.jobs = number(&flag, &value)?,
            "--runs" => args.runs = number(&flag, &value)?,
            "--warmup" => args.warmup = number(&flag, &value)?,
            "--select" => args.select = value.split(',').map(|v| v.trim().to_string()).collect(),
            "--child" => args.child = Some(value),
            _ => return Err(format!("unknown argument `{arg}`")),
        }
    }
    if args.sizes.is_empty() || args.sizes.contains(&0) || args.jobs == 0 || args.runs == 0 {
        return Err("--files, --sizes, --jobs and --runs must be at least 1".into());
    }
    Ok(args)
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Walk,
    Read,
    Tree,
    Parse,
    ParseHcl,
    ParseYaml,
    Check,
    CheckClocked,
    CheckHcl,
    CacheCold,
    CacheWarm,
    CacheEdited,
    Render,
    EndToEnd,
}

impl Phase {
    const ALL: [Phase; 14] = [
        Phase::Walk,
        Phase::Read,
        Phase::Tree,
        Phase::Parse,
        Phase::ParseHcl,
        Phase::ParseYaml,
        Phase::Check,
        Phase::CheckClocked,
        Phase::CheckHcl,
        Phase::CacheCold,
        Phase::CacheWarm,
        Phase::CacheEdited,
        Phase::Render,
        Phase::EndToEnd,
    ];

    fn label(self) -> &'static str {
        match self {
            Phase::Walk => "walk (`discover`)",
            Phase::Read => "read (all files into memory)",
            Phase::Tree => "syntax trees alone (tree-sitter, no lowering)",
            Phase::Parse => "parse-only (classify + parse + lower)",
            Phase::ParseHcl => "· parse-only, Terraform files alone",
            Phase::ParseYaml => "· parse-only, YAML files alone",
            Phase::Check => "full check (`engine::check`)",
            Phase::CheckClocked => "· full check with the phase clock (for the tables below)",
            Phase::CheckHcl => "· full check, Terraform files alone",
            Phase::CacheCold => "· full check with `--cache`, empty cache (every entry written)",
            Phase::CacheWarm => "· full check with `--cache`, unchanged tree (every entry reused)",
            Phase::CacheEdited => "· full check with `--cache`, one Terraform file edited since",
            Phase::Render => "render (JSON)",
            Phase::EndToEnd => "walk + check + render",
        }
    }
}

fn check_phase_label(p: CheckPhase) -> &'static str {
    match p {
        CheckPhase::Read => "read + decode + line index",
        CheckPhase::Parse => "parse (syntax tree + lowering)",
        CheckPhase::Evaluate => "Terraform evaluation + module calls",
        CheckPhase::Helm => "Helm: render + parse output + its rules",
        CheckPhase::Rules => "rules",
        CheckPhase::Findings => "findings: locations, suppressions, fingerprints",
        CheckPhase::Assemble => "group units, compare environments, collect, sort",
        CheckPhase::Free => "free the models (each unit's, then what is left)",
    }
}

/// What one parse-only pass saw; compared across runs and used so the work is not optimised away.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ParseTally {
    hcl_files: usize,
    yaml_files: usize,
    hcl_docs: usize,
    yaml_docs: usize,
    comments: usize,
    issues: usize,
}

impl ParseTally {
    fn add(self, o: ParseTally) -> ParseTally {
        ParseTally {
            hcl_files: self.hcl_files + o.hcl_files,
            yaml_files: self.yaml_files + o.yaml_files,
            hcl_docs: self.hcl_docs + o.hcl_docs,
            yaml_docs: self.yaml_docs + o.yaml_docs,
            comments: self.comments + o.comments,
            issues: self.issues + o.issues,
        }
    }
}

fn syntax_of(path: &str) -> Option<Syntax> {
    match classify(path) {
        Classified::Kind(_, syntax) => Some(syntax),
        Classified::MaybeKubernetes => Some(Syntax::Yaml),
        Classified::HelmTemplate | Classified::Unknown => None,
    }
}

/// The parser smelt would pick for this path, on text already in memory.
fn parse_one(path: &str, text: &str, limits: &Limits) -> ParseTally {
    let Some(syntax) = syntax_of(path) else { return ParseTally::default() };
    let parsed = match syntax {
        Syntax::Hcl => smelt::parse::hcl::parse(text, limits),
        Syntax::Yaml | Syntax::Json => smelt::parse::yaml::parse(text, limits),
    };
    let hcl = syntax == Syntax::Hcl;
    ParseTally {
        hcl_files: usize::from(hcl),
        yaml_files: usize::from(!hcl),
        hcl_docs: if hcl { parsed.docs.len() } else { 0 },
        yaml_docs: if hcl { 0 } else { parsed.docs.len() },
        comments: parsed.comments.len(),
        issues: parsed.issues.len(),
    }
}

/// tree-sitter's syntax tree alone, with the grammar smelt uses, and nothing after it: the floor
/// under smelt's own parse (which adds an error scan and the lowering into the model).
fn tree_only(path: &str, text: &str) -> usize {
    let language: tree_sitter::Language = match syntax_of(path) {
        Some(Syntax::Hcl) => tree_sitter_hcl::LANGUAGE.into(),
        Some(Syntax::Yaml | Syntax::Json) => tree_sitter_yaml::LANGUAGE.into(),
        None => return 0,
    };
    let mut parser = tree_sitter::Parser::new();
    parser.set_language(&language).unwrap();
    parser.parse(text, None).map_or(0, |t| t.root_node().child_count() as usize)
}

fn is_hcl(path: &str) -> bool {
    matches!(classify(path), Classified::Kind(_, Syntax::Hcl))
}

fn read_all(inputs: &[Input]) -> Vec<(String, String)> {
    inputs
        .par_iter()
        .map(|input| {
            let text = match &input.origin {
                smelt::discover::Origin::Disk(p) => std::fs::read_to_string(p).unwrap(),
                smelt::discover::Origin::Memory(b) => String::from_utf8_lossy(b).into_owned(),
            };
            (input.path.clone(), text)
        })
        .collect()
}

/// `inputs` with a comment appended to the first Terraform file, which is then read from memory: a
/// user's edit that changes no finding.
fn edited_one(mut inputs: Vec<Input>) -> Vec<Input> {
    let tf = inputs.iter_mut().find(|i| matches!(i.class, Classified::Kind(FileKind::Terraform, _)));
    if let Some(input) = tf {
        let mut bytes = match &input.origin {
            smelt::discover::Origin::Disk(p) => std::fs::read(p).unwrap(),
            smelt::discover::Origin::Memory(b) => b.to_vec(),
        };
        bytes.extend_from_slice(b"\n# edited\n");
        *input = Input::from_memory(&input.path, bytes);
    }
    inputs
}

fn median(samples: &[Duration]) -> Duration {
    let mut v = samples.to_vec();
    v.sort();
    let mid = v.len() / 2;
    if v.len().is_multiple_of(2) { (v[mid - 1] + v[mid]) / 2 } else { v[mid] }
}

fn fmt_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 { format!("{ms:.0} ms") } else { format!("{ms:.2} ms") }
}

fn load_rules(picked: &[String]) -> RuleSet {
    let rules = builtin().unwrap_or_else(|errors| {
        for e in errors {
            eprintln!("rule load error: {}:{}: {}", e.origin, e.line, e.message);
        }
        panic!("the built-in rules do not load");
    });
    select(rules, picked, &[], Severity::Info).unwrap_or_else(|e| panic!("--select: {e}"))
}

/// The process's peak resident memory so far (`VmHWM`), in bytes.
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Child mode: one phase on a fresh process, then its peak memory on stdout (`peak_bytes N`).
/// `base`: rules loaded and the walk done; `parse`: plus every file read and parsed (results kept,
/// as the check keeps them); `check`: the base plus one full check and its JSON.
fn child(mode: &str, args: &Args) {
    let corpus = corpus::ensure(&corpus::default_base(), args.sizes[0]).unwrap();
    let rules = load_rules(&args.select);
    let walk_opts = DiscoverOptions { honour_ignore_files: true, threads: args.jobs };
    let (inputs, _) = discover(std::slice::from_ref(&corpus.root), &walk_opts).unwrap();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.jobs).build().unwrap();
    let limits = Limits::default();
    match mode {
        "base" => {}
        "parse" => {
            let texts = pool.install(|| read_all(&inputs));
            let parsed: Vec<_> = pool.install(|| {
                texts
                    .par_iter()
                    .filter_map(|(p, t)| {
                        let syntax = syntax_of(p)?;
                        Some(match syntax {
                            Syntax::Hcl => smelt::parse::hcl::parse(t, &limits),
                            _ => smelt::parse::yaml::parse(t, &limits),
                        })
                    })
                    .collect()
            });
            std::hint::black_box(&parsed);
        }
        "check" => {
            let report = check(inputs, &rules, &CheckOptions { jobs: args.jobs, ..CheckOptions::default() });
            std::hint::black_box(render(&report, Format::Json, &RenderOptions::default()).len());
        }
        _ => panic!("unknown child mode `{mode}`"),
    }
    println!("peak_bytes {}", peak_rss().unwrap_or(0));
}

/// Peak memory of `mode` on a fresh child process (see [`child`]), in MB.
fn measure_peak(mode: &str, files: usize, args: &Args) -> Option<f64> {
    let exe = std::env::current_exe().ok()?;
    let mut command = std::process::Command::new(exe);
    command.args(["--child", mode, "--files", &files.to_string(), "--jobs", &args.jobs.to_string()]);
    if !args.select.is_empty() {
        command.args(["--select", &args.select.join(",")]);
    }
    let out = command.output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let bytes: u64 = text.lines().find_map(|l| l.strip_prefix("peak_bytes "))?.trim().parse().ok()?;
    Some(bytes as f64 / 1e6)
}

/// One size's figures, for the summary across sizes.
struct Summary {
    files: usize,
    bytes: u64,
    parse: Duration,
    check: Duration,
    findings: usize,
    peaks: [Option<f64>; 3],
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}\n");
            }
            eprintln!("{USAGE}");
            std::process::exit(if msg.is_empty() { 0 } else { 2 });
        }
    };
    if let Some(mode) = &args.child {
        child(mode, &args);
        return;
    }
    let rules = load_rules(&args.select);
    let mut summaries = Vec::new();
    for &files in &args.sizes {
        summaries.push(run_size(&args, files, &rules));
    }
    if summaries.len() > 1 {
        print_summary(&summaries, &args);
    }
}

fn run_size(args: &Args, files: usize, rules: &RuleSet) -> Summary {
    let started = Instant::now();
    let corpus = corpus::ensure(&corpus::default_base(), files).unwrap();
    println!("## {files} files\n");
    println!(
        "corpus: {} ({} in {})",
        corpus::describe(&corpus),
        if corpus.regenerated { "generated" } else { "reused" },
        fmt_duration(started.elapsed())
    );
    let roots = [corpus.root.clone()];
    let walk_opts = DiscoverOptions { honour_ignore_files: true, threads: args.jobs };
    let timings = Arc::new(Timings::default());
    let plain_opts = CheckOptions { jobs: args.jobs, ..CheckOptions::default() };
    let check_opts = CheckOptions { timings: Some(timings.clone()), ..plain_opts.clone() };
    let limits = Limits::default();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.jobs).build().unwrap();
    let cache_base = corpus::default_base().with_file_name("bench-cache").join(files.to_string());
    let _ = std::fs::remove_dir_all(&cache_base);

    let mut samples: BTreeMap<Phase, Vec<Duration>> = BTreeMap::new();
    let mut check_samples: BTreeMap<usize, Vec<Duration>> = BTreeMap::new();
    // Each rule's thread time per measured run, and the files it ran on, by index in `rules`.
    let mut rule_samples: BTreeMap<usize, (Vec<Duration>, usize)> = BTreeMap::new();
    let mut findings: Option<usize> = None;
    let mut discovered: Option<usize> = None;
    let mut tally: Option<ParseTally> = None;
    let mut last_report: Option<Report> = None;
    let mut json_bytes = 0;
    let mut subsets: Option<[(usize, u64); 2]> = None;
    for run in 0..args.warmup + args.runs {
        let t = Instant::now();
        let (inputs, walk_notes) = discover(&roots, &walk_opts).unwrap();
        let walk = t.elapsed();
        assert!(walk_notes.is_empty(), "the walk reported problems: {walk_notes:?}");
        assert!(inputs.len() <= corpus.files, "discover found files that were not generated");
        assert_eq!(*discovered.get_or_insert(inputs.len()), inputs.len(), "the walk differs between runs");

        let t = Instant::now();
        let texts = pool.install(|| read_all(&inputs));
        let read = t.elapsed();

        let t = Instant::now();
        std::hint::black_box(
            pool.install(|| texts.par_iter().map(|(path, text)| tree_only(path, text)).sum::<usize>()),
        );
        let tree = t.elapsed();

        let t = Instant::now();
        let seen = pool.install(|| {
            texts
                .par_iter()
                .map(|(path, text)| parse_one(path, text, &limits))
                .reduce(ParseTally::default, ParseTally::add)
        });
        let parse = t.elapsed();
        assert_eq!(*tally.get_or_insert(seen), seen, "parse results differ between runs");
        let (hcl, yaml): (Vec<_>, Vec<_>) =
            texts.iter().filter(|(p, _)| syntax_of(p).is_some()).partition(|(p, _)| is_hcl(p));
        let t = Instant::now();
        std::hint::black_box(pool.install(|| {
            hcl.par_iter()
                .map(|(p, text)| parse_one(p, text, &limits))
                .reduce(ParseTally::default, ParseTally::add)
        }));
        let parse_hcl = t.elapsed();
        let t = Instant::now();
        std::hint::black_box(pool.install(|| {
            yaml.par_iter()
                .map(|(p, text)| parse_one(p, text, &limits))
                .reduce(ParseTally::default, ParseTally::add)
        }));
        let parse_yaml = t.elapsed();
        if subsets.is_none() {
            let bytes = |v: &[&(String, String)]| v.iter().map(|(_, t)| t.len() as u64).sum::<u64>();
            subsets = Some([(hcl.len(), bytes(&hcl)), (yaml.len(), bytes(&yaml))]);
        }
        drop(texts);

        // The Terraform files on their own, checked with every rule: next to the Terraform parse-only
        // row, what evaluation, module calls and rules add on top of parsing HCL.
        let tf_inputs: Vec<Input> = inputs.iter().filter(|i| is_hcl(&i.path)).cloned().collect();
        let t = Instant::now();
        let tf_report = check(tf_inputs, rules, &CheckOptions { jobs: args.jobs, ..CheckOptions::default() });
        let checked_hcl = t.elapsed();
        std::hint::black_box(tf_report.findings.len());
        drop(tf_report);

        // The full check is timed as users run it, without the phase clock (two readings per rule
        // per file, plus the parse's and the read's); a second run with it gives the phase tables.
        let timed_inputs = inputs.clone();
        let inputs_for_cache = inputs.clone();
        let t = Instant::now();
        let report = check(timed_inputs, rules, &plain_opts);
        let checked = t.elapsed();
        let n = report.findings.len();
        // A rule picked with `--select` may have nothing to find in the corpus.
        assert!(
            n > 0 || !args.select.is_empty(),
            "the full check found nothing: the rules have no work to do"
        );
        assert_eq!(*findings.get_or_insert(n), n, "finding count differs between runs");
        timings.reset();
        let t = Instant::now();
        let instrumented = check(inputs, rules, &check_opts);
        let checked_with_clock = t.elapsed();
        assert_eq!(instrumented.findings.len(), n, "the phase clock changed the findings");
        drop(instrumented);

        let t = Instant::now();
        let json = render(&report, Format::Json, &RenderOptions::default());
        let rendered = t.elapsed();
        json_bytes = json.len();

        // `--cache`: into an empty folder (a new one each run: ext4 slows down creating files where
        // many were just deleted), then again on the unchanged tree. Both print what the check did.
        let cache_dir = cache_base.join(format!("run-{run}"));
        let t = Instant::now();
        let (cold, stats) = check_cached(inputs_for_cache.clone(), rules, &plain_opts, &cache_dir);
        let cache_cold = t.elapsed();
        assert_eq!((stats.hits, stats.environments), (0, Some(false)), "the cache was not empty");
        let t = Instant::now();
        let (warm, stats) = check_cached(inputs_for_cache.clone(), rules, &plain_opts, &cache_dir);
        let cache_warm = t.elapsed();
        assert_eq!((stats.misses, stats.environments), (0, Some(true)), "an unchanged tree missed the cache");
        // One file edited since: a comment appended to a Terraform file, handed over from memory (the
        // corpus on disk stays as generated). Its unit is checked again, uncached, and so is the
        // comparison of environments, which takes the pipelines' jobs from their entries.
        let edited = edited_one(inputs_for_cache);
        let t = Instant::now();
        let (after_edit, stats) = check_cached(edited, rules, &plain_opts, &cache_dir);
        let cache_edited = t.elapsed();
        assert_eq!((stats.misses, stats.uncached), (0, 1), "the edit missed more than its unit");
        for cached in [cold, warm, after_edit] {
            assert!(
                render(&cached, Format::Json, &RenderOptions::default()) == json,
                "--cache changed the report"
            );
        }
        last_report = Some(report);

        if run >= args.warmup {
            for (phase, d) in [
                (Phase::Walk, walk),
                (Phase::Read, read),
                (Phase::Tree, tree),
                (Phase::Parse, parse),
                (Phase::ParseHcl, parse_hcl),
                (Phase::ParseYaml, parse_yaml),
                (Phase::Check, checked),
                (Phase::CheckClocked, checked_with_clock),
                (Phase::CheckHcl, checked_hcl),
                (Phase::CacheCold, cache_cold),
                (Phase::CacheWarm, cache_warm),
                (Phase::CacheEdited, cache_edited),
                (Phase::Render, rendered),
                (Phase::EndToEnd, walk + checked + rendered),
            ] {
                samples.entry(phase).or_default().push(d);
            }
            for (i, p) in CheckPhase::ALL.iter().enumerate() {
                check_samples.entry(i).or_default().push(timings.get(*p));
            }
            for (i, (d, n)) in timings.rules().into_iter().enumerate().filter(|(_, (_, n))| *n > 0) {
                let entry = rule_samples.entry(i).or_default();
                entry.0.push(d);
                entry.1 = n;
            }
        }
    }

    let _ = std::fs::remove_dir_all(&cache_base);
    let report = last_report.unwrap();
    let tally = tally.unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "settings: --jobs {} --runs {} (median of {}, after {} warm-up), {} cores, {} rules",
        args.jobs,
        args.runs,
        args.runs,
        args.warmup,
        cores,
        rules.rules.len()
    );
    println!(
        "walk: {} of the {} generated files are inputs (Helm templates, helpers and other chart files are read by the chart's render)",
        discovered.unwrap_or(0),
        corpus.files
    );
    println!(
        "parsed: {} HCL files -> {} docs, {} YAML files -> {} docs, {} comments, {} parse issues",
        tally.hcl_files, tally.hcl_docs, tally.yaml_files, tally.yaml_docs, tally.comments, tally.issues
    );
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in &report.findings {
        *by_rule.entry(f.rule.name.as_str()).or_default() += 1;
    }
    let by_rule: Vec<String> = by_rule.iter().map(|(r, n)| format!("{r} {n}")).collect();
    println!(
        "findings: {} (identical in every run; {}), diagnostics: {}, JSON output: {:.0} KB",
        report.findings.len(),
        by_rule.join(", "),
        report.diagnostics.len(),
        json_bytes as f64 / 1e3
    );
    println!();

    let [hcl, yaml] = subsets.unwrap();
    let parse_median = median(&samples[&Phase::Parse]);
    let parse_mb_s = corpus.bytes as f64 / 1e6 / parse_median.as_secs_f64().max(1e-9);
    println!("| phase | median | min | max | files/s | MB/s | throughput vs parse-only |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for phase in Phase::ALL {
        let s = &samples[&phase];
        let med = median(s);
        let secs = med.as_secs_f64().max(1e-9);
        let (files, bytes) = match phase {
            Phase::ParseHcl | Phase::CheckHcl => hcl,
            Phase::ParseYaml => yaml,
            _ => (corpus.files, corpus.bytes),
        };
        let mb_s = bytes as f64 / 1e6 / secs;
        println!(
            "| {} | {} | {} | {} | {:.0} | {:.1} | {:.2}x |",
            phase.label(),
            fmt_duration(med),
            fmt_duration(*s.iter().min().unwrap()),
            fmt_duration(*s.iter().max().unwrap()),
            files as f64 / secs,
            mb_s,
            mb_s / parse_mb_s,
        );
    }
    let check_median = median(&samples[&Phase::Check]);
    let ratio = parse_median.as_secs_f64() / check_median.as_secs_f64().max(1e-9);
    println!();
    println!(
        "full-check throughput / parse-only throughput = {ratio:.2} (a full check costs {:.2}x a bare parse)",
        1.0 / ratio
    );
    let tf_ratio = median(&samples[&Phase::ParseHcl]).as_secs_f64()
        / median(&samples[&Phase::CheckHcl]).as_secs_f64().max(1e-9);
    println!(
        "Terraform alone: check throughput / parse-only throughput = {tf_ratio:.2} (evaluation, module calls and rules add {:.0}% on top of parsing HCL)",
        (1.0 / tf_ratio - 1.0) * 100.0
    );

    // Inside the check: each phase's time summed over the worker threads (so the parallel phases add
    // up to about `jobs` times the wall time), and the wall time it stands for.
    let medians: Vec<Duration> = (0..CheckPhase::ALL.len()).map(|i| median(&check_samples[&i])).collect();
    let total: f64 = medians.iter().map(Duration::as_secs_f64).sum::<f64>().max(1e-9);
    println!();
    println!("| inside the full check | thread time (median) | share | ≈ wall |");
    println!("|---|---:|---:|---:|");
    for (p, d) in CheckPhase::ALL.iter().zip(&medians) {
        let share = d.as_secs_f64() / total;
        println!(
            "| {} | {} | {:.1}% | {} |",
            check_phase_label(*p),
            fmt_duration(*d),
            share * 100.0,
            fmt_duration(check_median.mul_f64(share))
        );
    }

    // The rules phase, rule by rule: where a rule-level optimisation would pay.
    let rules_median = medians.get(CheckPhase::Rules as usize).copied().unwrap_or_default();
    let mut by_rule: Vec<(&str, Duration, usize)> = rule_samples
        .iter()
        .filter_map(|(&i, (d, n))| Some((rules.rules.get(i)?.meta.name.as_str(), median(d), *n)))
        .collect();
    by_rule.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    let shown = 12.min(by_rule.len());
    println!();
    println!(
        "| slowest rules ({shown} of {} that ran) | thread time (median) | share of rules | files | µs per file |",
        by_rule.len()
    );
    println!("|---|---:|---:|---:|---:|");
    for (name, d, n) in by_rule.iter().take(shown) {
        println!(
            "| `{name}` | {} | {:.1}% | {n} | {:.1} |",
            fmt_duration(*d),
            100.0 * d.as_secs_f64() / rules_median.as_secs_f64().max(1e-9),
            d.as_secs_f64() * 1e6 / (*n).max(1) as f64
        );
    }
    let rest: Duration = by_rule.iter().skip(shown).map(|r| r.1).sum();
    println!(
        "| the other {} | {} | {:.1}% | | |",
        by_rule.len() - shown,
        fmt_duration(rest),
        100.0 * rest.as_secs_f64() / rules_median.as_secs_f64().max(1e-9)
    );

    let mut peaks = [None; 3];
    if args.memory {
        for (slot, mode) in ["base", "parse", "check"].iter().enumerate() {
            peaks[slot] = measure_peak(mode, files, args);
        }
        let show = |p: Option<f64>| p.map_or("?".to_string(), |mb| format!("{mb:.0} MB"));
        println!();
        println!(
            "peak memory (VmHWM of a fresh process): rules + walk {}, + every file read and parsed {}, full check + JSON {}",
            show(peaks[0]),
            show(peaks[1]),
            show(peaks[2])
        );
    }
    println!();
    Summary {
        files: corpus.files,
        bytes: corpus.bytes,
        parse: parse_median,
        check: check_median,
        findings: report.findings.len(),
        peaks,
    }
}

/// Cost per file at every size: linear cost means flat µs/file.
fn print_summary(summaries: &[Summary], args: &Args) {
    println!("## Scaling (--jobs {})\n", args.jobs);
    println!(
        "| files | MB | findings | parse-only | full check | check files/s | check µs/file | check / parse-only throughput | peak memory (check) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for s in summaries {
        let secs = s.check.as_secs_f64().max(1e-9);
        println!(
            "| {} | {:.1} | {} | {} | {} | {:.0} | {:.0} | {:.2} | {} |",
            s.files,
            s.bytes as f64 / 1e6,
            s.findings,
            fmt_duration(s.parse),
            fmt_duration(s.check),
            s.files as f64 / secs,
            secs * 1e6 / s.files as f64,
            s.parse.as_secs_f64() / secs,
            s.peaks[2].map_or("?".to_string(), |mb| format!("{mb:.0} MB")),
        );
    }
}
