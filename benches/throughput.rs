//! Throughput of smelt's phases on a deterministic synthetic monorepo.
//!
//! ```text
//! cargo bench --bench throughput                      # 2,000 files, one job per core, 5 runs
//! cargo bench --bench throughput -- --files 5000 --jobs 2 --runs 7
//! ```
//!
//! See `benches/README.md` for what each phase measures and how the corpus is built.

#![allow(clippy::print_stdout, clippy::print_stderr, clippy::unwrap_used)]

mod corpus;

use rayon::prelude::*;
use smelt::discover::{DiscoverOptions, Input, discover};
use smelt::engine::{CheckOptions, check};
use smelt::finding::Report;
use smelt::parse::Limits;
use smelt::report::{Format, RenderOptions, render};
use smelt::rules::meta::Severity;
use smelt::rules::registry::{RuleSet, builtin, select};
use smelt::source::{Classified, Syntax, classify};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const USAGE: &str = "\
usage: cargo bench --bench throughput [-- OPTIONS]

  --files N    corpus size in files (default 2000)
  --jobs J     worker threads for every phase (default: one per core)
  --runs R     measured runs; the median is reported (default 5)
  --warmup W   unmeasured runs first, to warm caches (default 1)";

struct Args {
    files: usize,
    jobs: usize,
    runs: usize,
    warmup: usize,
}

fn parse_args() -> Result<Args, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = Args { files: 2000, jobs: cores, runs: 5, warmup: 1 };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        let slot = match flag.as_str() {
            // cargo passes `--bench` to every bench binary.
            "--bench" => continue,
            "-h" | "--help" => return Err(String::new()),
            "--files" => &mut args.files,
            "--jobs" | "-j" => &mut args.jobs,
            "--runs" => &mut args.runs,
            "--warmup" => &mut args.warmup,
            _ => return Err(format!("unknown argument `{arg}`")),
        };
        let value = inline.or_else(|| it.next()).ok_or_else(|| format!("`{flag}` needs a value"))?;
        *slot = value.parse().map_err(|_| format!("`{flag}` needs a number, not `{value}`"))?;
    }
    if args.files == 0 || args.jobs == 0 || args.runs == 0 {
        return Err("--files, --jobs and --runs must be at least 1".into());
    }
    Ok(args)
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    Walk,
    Read,
    Parse,
    ParseHcl,
    ParseYaml,
    Check,
    Render,
    EndToEnd,
}

impl Phase {
    const ALL: [Phase; 8] = [
        Phase::Walk,
        Phase::Read,
        Phase::Parse,
        Phase::ParseHcl,
        Phase::ParseYaml,
        Phase::Check,
        Phase::Render,
        Phase::EndToEnd,
    ];

    fn label(self) -> &'static str {
        match self {
            Phase::Walk => "walk (`discover`)",
            Phase::Read => "read (all files into memory)",
            Phase::Parse => "parse-only (classify + parse)",
            Phase::ParseHcl => "· parse-only, Terraform files alone",
            Phase::ParseYaml => "· parse-only, YAML files alone",
            Phase::Check => "full check (`engine::check`)",
            Phase::Render => "render (JSON)",
            Phase::EndToEnd => "walk + check + render",
        }
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

/// The parser smelt would pick for this path, on text already in memory.
fn parse_one(path: &str, text: &str, limits: &Limits) -> ParseTally {
    let syntax = match classify(path) {
        Classified::Kind(_, syntax) => syntax,
        Classified::MaybeKubernetes => Syntax::Yaml,
        Classified::HelmTemplate | Classified::Unknown => return ParseTally::default(),
    };
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

fn load_rules() -> RuleSet {
    let rules = builtin().unwrap_or_else(|errors| {
        for e in errors {
            eprintln!("rule load error: {}:{}: {}", e.origin, e.line, e.message);
        }
        panic!("the built-in rules do not load");
    });
    select(rules, &[], &[], Severity::Info).unwrap()
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

    let started = Instant::now();
    let corpus = corpus::ensure(&corpus::default_base(), args.files).unwrap();
    println!(
        "corpus: {} ({} in {})",
        corpus::describe(&corpus),
        if corpus.regenerated { "generated" } else { "reused" },
        fmt_duration(started.elapsed())
    );
    let rules = load_rules();
    let roots = [corpus.root.clone()];
    let walk_opts = DiscoverOptions { honour_ignore_files: true, threads: args.jobs };
    let check_opts = CheckOptions { jobs: args.jobs, ..CheckOptions::default() };
    let limits = Limits::default();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.jobs).build().unwrap();

    let mut samples: BTreeMap<Phase, Vec<Duration>> = BTreeMap::new();
    let mut findings: Option<usize> = None;
    let mut tally: Option<ParseTally> = None;
    let mut last_report: Option<Report> = None;
    let mut json_bytes = 0;
    let mut subsets: Option<[(usize, u64); 2]> = None;
    for run in 0..args.warmup + args.runs {
        let t = Instant::now();
        let (inputs, walk_notes) = discover(&roots, &walk_opts).unwrap();
        let walk = t.elapsed();
        assert!(walk_notes.is_empty(), "the walk reported problems: {walk_notes:?}");
        assert_eq!(
            inputs.len(),
            corpus.files,
            "discover found a different number of files than were generated"
        );

        let t = Instant::now();
        let texts = pool.install(|| read_all(&inputs));
        let read = t.elapsed();

        let t = Instant::now();
        let seen = pool.install(|| {
            texts
                .par_iter()
                .map(|(path, text)| parse_one(path, text, &limits))
                .reduce(ParseTally::default, ParseTally::add)
        });
        let parse = t.elapsed();
        assert_eq!(*tally.get_or_insert(seen), seen, "parse results differ between runs");
        let (hcl, yaml): (Vec<_>, Vec<_>) = texts.iter().partition(|(p, _)| is_hcl(p));
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

        let t = Instant::now();
        let report = check(inputs, &rules, &check_opts);
        let checked = t.elapsed();
        let n = report.findings.len();
        assert!(n > 0, "the full check found nothing: the rules have no work to do");
        assert_eq!(*findings.get_or_insert(n), n, "finding count differs between runs");

        let t = Instant::now();
        let json = render(&report, Format::Json, &RenderOptions::default());
        let rendered = t.elapsed();
        json_bytes = json.len();
        last_report = Some(report);

        if run >= args.warmup {
            for (phase, d) in [
                (Phase::Walk, walk),
                (Phase::Read, read),
                (Phase::Parse, parse),
                (Phase::ParseHcl, parse_hcl),
                (Phase::ParseYaml, parse_yaml),
                (Phase::Check, checked),
                (Phase::Render, rendered),
                (Phase::EndToEnd, walk + checked + rendered),
            ] {
                samples.entry(phase).or_default().push(d);
            }
        }
    }

    let report = last_report.unwrap();
    let tally = tally.unwrap();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "settings: --files {} --jobs {} --runs {} (median of {}, after {} warm-up), {} cores, {} rules",
        args.files,
        args.jobs,
        args.runs,
        args.runs,
        args.warmup,
        cores,
        rules.rules.len()
    );
    println!(
        "parsed: {} HCL files -> {} docs, {} YAML files -> {} docs, {} comments, {} parse issues",
        tally.hcl_files, tally.hcl_docs, tally.yaml_files, tally.yaml_docs, tally.comments, tally.issues
    );
    if tally.yaml_files > 0 && tally.yaml_docs == 0 {
        println!("warning: the YAML parser returned no documents: YAML numbers measure an unfinished parser");
    }
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
            Phase::ParseHcl => hcl,
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
    let ratio = parse_median.as_secs_f64() / median(&samples[&Phase::Check]).as_secs_f64().max(1e-9);
    println!();
    println!(
        "full-check throughput / parse-only throughput = {ratio:.2} (a full check costs {:.1}x a bare parse)",
        1.0 / ratio
    );
}
