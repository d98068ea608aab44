//! `smelt check`.

use super::{EXIT_CLEAN, EXIT_FINDINGS, fail, load_rules, write_stdout};
use crate::discover::{DiscoverOptions, Input, discover};
use crate::engine::{CheckOptions, check};
use crate::finding::Level;
use crate::report::{Format, RenderOptions, render};
use crate::rules::meta::Severity;
use crate::rules::registry::select;
use clap::{Args, ValueEnum};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::str::FromStr;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files or folders to check; `-` reads one file from standard input (see --stdin-filename).
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// Output format, optionally written to a file: `human`, `json`, `sarif`, `gitlab` (Code Quality),
    /// `github` (workflow-command annotations), `junit` (XML), e.g. `sarif=results.sarif`.
    /// Repeat to produce several in one run; at most one may go to standard output.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=FILE]", default_value = "human")]
    formats: Vec<FormatArg>,

    /// Only run these rules: names, codes, families (security, drift, rollback) or smells, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,

    /// Don't run these rules: names, codes, families or smells, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,

    /// Only report findings of rules at or above this severity [default: info, or smelt.toml's].
    #[arg(long, value_enum)]
    min_severity: Option<SeverityArg>,

    /// Worker threads (default: one per core). Output is identical whatever the number.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,

    /// Also check files that .gitignore, .ignore and git's exclude files hide.
    #[arg(long)]
    no_ignore: bool,

    /// Colour in human output.
    #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
    color: ColorArg,

    /// File name (and so kind) of the content read from standard input with `-`, e.g. `main.tf`.
    #[arg(long, value_name = "PATH")]
    stdin_filename: Option<String>,

    /// Load more rules from this folder of rule files (same format as the built-in `rules/`). Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,

    /// Skip files larger than this many bytes (with a note naming them) [default: 5 MiB, or smelt.toml's].
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,

    /// A Terraform variables file to read after `terraform.tfvars` and `*.auto.tfvars`, as
    /// `terraform plan -var-file` does. Repeatable; later files and --var win.
    #[arg(long = "var-file", value_name = "FILE")]
    var_files: Vec<PathBuf>,

    /// Set a Terraform variable, as `terraform plan -var 'NAME=VALUE'` does (string, number and bool
    /// variables take VALUE as written; others parse it: `--var 'cidrs=["10.0.0.0/8"]'`). Repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    vars: Vec<String>,

    /// Which smelt.toml to use (see `smelt config`).
    #[command(flatten)]
    config: super::config::ConfigFileArgs,

    /// Baselines, sharding and caching (boxed: clap's arguments live in an enum).
    #[command(flatten)]
    scale: Box<ScaleArgs>,
}

#[derive(Debug, Args)]
struct ScaleArgs {
    /// Only report findings that are not in this baseline file (see --write-baseline); say how many it
    /// matched and which of its entries match nothing any more.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,

    /// Write the run's active findings to this baseline file. They then do not fail the run.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,

    /// Check only shard K of N (e.g. `2/3`): units (a Terraform module folder, or one file) are spread
    /// by a stable hash of their path, so N parallel CI jobs together find what one full run finds.
    #[arg(long, value_name = "K/N")]
    shard: Option<crate::shard::Shard>,

    /// Keep each unit's results in this folder, keyed by its content and the rules; an unchanged unit
    /// is not parsed or checked again. Written nowhere else.
    #[arg(long, value_name = "DIR")]
    cache: Option<PathBuf>,
}

#[derive(Clone, Debug)]
struct FormatArg {
    format: Format,
    file: Option<PathBuf>,
}

impl FromStr for FormatArg {
    type Err = String;
    fn from_str(s: &str) -> Result<FormatArg, String> {
        let (name, file) = match s.split_once('=') {
            Some((n, f)) if !f.is_empty() => (n, Some(PathBuf::from(f))),
            Some(_) => return Err(format!("`{s}`: give a file name after `=`")),
            None => (s, None),
        };
        let format = match name {
            "human" => Format::Human,
            "json" => Format::Json,
            "sarif" => Format::Sarif,
            "gitlab" => Format::Gitlab,
            "github" => Format::Github,
            "junit" => Format::Junit,
            _ => return Err(format!("unknown format `{name}` (human, json, sarif, gitlab, github, junit)")),
        };
        Ok(FormatArg { format, file })
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum SeverityArg {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

#[derive(Clone, Copy, Debug, PartialEq, ValueEnum)]
enum ColorArg {
    Auto,
    Always,
    Never,
}

pub fn run(args: CheckArgs) -> u8 {
    if args.formats.iter().filter(|f| f.file.is_none()).count() > 1 {
        return fail(
            "at most one --format can write to standard output; give the others a file (`sarif=out.sarif`)",
        );
    }
    let min_severity = args.min_severity.map(|s| match s {
        SeverityArg::Info => Severity::Info,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    });
    let overrides = crate::config::Overrides {
        select: args.select.clone(),
        ignore: args.ignore.clone(),
        min_severity,
        rule_dirs: args.rule_dirs.clone(),
        max_file_size: args.max_file_size,
        jobs: args.jobs,
    };
    let start = match (args.paths.first(), &args.stdin_filename) {
        (Some(p), Some(name)) if p.as_os_str() == "-" => PathBuf::from(name),
        (Some(p), _) => p.clone(),
        (None, _) => PathBuf::from("."),
    };
    let config = match args.config.resolve(&start, overrides) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let rules = match load_rules(&config.rule_dirs.value)
        .and_then(|r| config.configure_rules(r).map_err(crate::config::render_errors))
        .and_then(|r| select(r, &config.select.value, &config.ignore.value, config.min_severity.value))
    {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let baseline = match args.scale.baseline.as_deref().map(crate::baseline::read).transpose() {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let jobs = config.jobs.value;
    let (mut inputs, mut walk_diagnostics) = match inputs(&args, jobs) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let all_inputs = args.scale.shard.map(|_| inputs.clone());
    if let Some(shard) = args.scale.shard {
        inputs = shard.filter(inputs);
        walk_diagnostics
            .retain(|d| shard.owns(&crate::shard::unit_key(&d.path, crate::source::classify(&d.path))));
    }
    let checked: std::collections::HashSet<String> = inputs.iter().map(|i| i.path.clone()).collect();
    let terraform = match terraform_options(&args) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let mut opts = CheckOptions {
        jobs,
        max_file_size: config.max_file_size.value,
        terraform,
        environments: Some(std::sync::Arc::new(crate::envs::Settings::from_config(&config))),
        ..CheckOptions::default()
    };
    opts.helm.chart_values =
        config.helm_values.iter().map(|h| (config.root.join(&h.chart), h.files.clone())).collect();
    // A shard checks its own units, but compares environments across all of them and keeps what
    // lands in its units.
    let unit_opts = match all_inputs {
        Some(_) => CheckOptions { environments: None, ..opts.clone() },
        None => opts.clone(),
    };
    let (mut report, keys) = match &args.scale.cache {
        Some(dir) => {
            let (report, _, keys) = crate::cache::check_cached_keyed(inputs, &rules, &unit_opts, dir);
            (report, keys)
        }
        None => (check(inputs, &rules, &unit_opts), crate::cache::UnitKeys::default()),
    };
    if let (Some(shard), Some(all)) = (args.scale.shard, all_inputs) {
        let envs = match &args.scale.cache {
            Some(dir) => crate::cache::environments_cached(&all, &rules, &opts, dir, &keys).0,
            None => crate::engine::check_environments(&all, &rules, &opts),
        };
        let ours = |p: &str| shard.owns(&crate::shard::unit_key(p, crate::source::classify(p)));
        report.findings.extend(envs.findings.into_iter().filter(|f| ours(&f.location.path)));
        report.diagnostics.extend(envs.diagnostics.into_iter().filter(|d| ours(&d.path)));
        report.sources.extend(envs.sources);
        crate::engine::sort_report(&mut report);
    }
    report.diagnostics.append(&mut walk_diagnostics);
    report.diagnostics.sort_by(|a, b| {
        (&a.path, a.location.as_ref().map(|l| l.start)).cmp(&(&b.path, b.location.as_ref().map(|l| l.start)))
    });
    config.apply_path_ignores(&mut report);
    if let Some(path) = &args.scale.write_baseline {
        let text = crate::baseline::write(&report, env!("CARGO_PKG_VERSION"));
        if let Err(e) = std::fs::write(path, text) {
            return fail(format!("cannot write baseline {}: {e}", path.display()));
        }
    }
    if let (Some(entries), Some(path)) = (&baseline, &args.scale.baseline) {
        apply_baseline(&mut report, path, entries, &checked, args.scale.shard);
    }

    let width = 100;
    for f in &args.formats {
        let color = f.file.is_none()
            && match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
        let opts = RenderOptions { color, tool_version: env!("CARGO_PKG_VERSION"), width };
        // Human output draws its frames on several threads: as many as the check used (`-j`).
        let text = crate::engine::with_threads(jobs, || render(&report, f.format, &opts));
        let written = match &f.file {
            Some(path) => {
                std::fs::write(path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
            None => write_stdout(&text).map_err(|e| format!("cannot write output: {e}")),
        };
        if let Err(e) = written {
            return fail(e);
        }
    }
    let failed = (args.scale.write_baseline.is_none() && report.active_findings().next().is_some())
        || report.diagnostics.iter().any(|d| d.level == Level::Error);
    if failed { EXIT_FINDINGS } else { EXIT_CLEAN }
}

/// `--var-file` and `--var` in the order given (clap keeps each flag's own order; the command line's
/// interleaving is recovered from the arguments), and the folders smelt may read outside the checked
/// files: the paths given.
fn terraform_options(args: &CheckArgs) -> Result<crate::engine::TerraformOptions, String> {
    use crate::engine::TfVar;
    let mut files = args.var_files.iter();
    let mut vars = args.vars.iter();
    let mut out = Vec::new();
    for flag in var_flag_order() {
        let next = if flag { files.next().map(Ok) } else { vars.next().map(Err) };
        match next {
            Some(Ok(path)) => {
                let text = std::fs::read(path)
                    .map_err(|e| format!("cannot read --var-file {}: {e}", path.display()))?;
                let text = String::from_utf8(text)
                    .map_err(|_| format!("--var-file {}: not UTF-8 text", path.display()))?;
                let path = crate::discover::display_path(path);
                out.push(TfVar::File { path, text: text.into() });
            }
            Some(Err(var)) => {
                let Some((name, value)) = var.split_once('=').filter(|(n, _)| !n.trim().is_empty()) else {
                    return Err(format!("--var `{var}`: write NAME=VALUE"));
                };
                out.push(TfVar::Var { name: name.trim().to_string(), value: value.to_string() });
            }
            None => {}
        }
    }
    // Whatever the argument scan missed (an abbreviation clap accepted) goes last, files first.
    for path in files {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read --var-file {}: {e}", path.display()))?;
        out.push(TfVar::File { path: crate::discover::display_path(path), text: text.into() });
    }
    for var in vars {
        let Some((name, value)) = var.split_once('=') else {
            return Err(format!("--var `{var}`: write NAME=VALUE"));
        };
        out.push(TfVar::Var { name: name.trim().to_string(), value: value.to_string() });
    }
    let read_roots = if args.paths.iter().any(|p| p.as_os_str() == "-") {
        Vec::new()
    } else {
        args.paths
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .map(|p| if p.is_file() { p.parent().map(Into::into).unwrap_or(p) } else { p })
            .collect()
    };
    Ok(crate::engine::TerraformOptions { vars: out, read_roots })
}

/// For each `--var-file` (true) and `--var` (false) on the command line, in order.
fn var_flag_order() -> Vec<bool> {
    let mut order = Vec::new();
    for arg in std::env::args().skip(1) {
        if arg == "--" {
            break;
        }
        match arg.as_str() {
            "--var-file" => order.push(true),
            "--var" => order.push(false),
            _ if arg.starts_with("--var-file=") => order.push(true),
            _ if arg.starts_with("--var=") => order.push(false),
            _ => {}
        }
    }
    order
}

type Inputs = (Vec<Input>, Vec<crate::finding::Diagnostic>);

fn inputs(args: &CheckArgs, jobs: usize) -> Result<Inputs, u8> {
    if args.paths.iter().any(|p| p.as_os_str() == "-") {
        if args.paths.len() > 1 {
            return Err(fail("`-` (standard input) cannot be combined with other paths"));
        }
        let Some(name) = &args.stdin_filename else {
            return Err(fail(
                "reading standard input needs --stdin-filename (e.g. main.tf) to know what kind of file it is",
            ));
        };
        let mut bytes = Vec::new();
        if let Err(e) = std::io::stdin().lock().read_to_end(&mut bytes) {
            return Err(fail(format!("cannot read standard input: {e}")));
        }
        return Ok((vec![Input::from_memory(name, bytes)], Vec::new()));
    }
    let threads =
        if jobs == 0 { std::thread::available_parallelism().map(usize::from).unwrap_or(2) } else { jobs };
    let opts = DiscoverOptions { honour_ignore_files: !args.no_ignore, threads };
    discover(&args.paths, &opts).map_err(fail)
}

/// Drops the findings `entries` match. An unmatched entry is stale when its file was checked in this run,
/// or when its file is gone (and, with --shard, its unit is this shard's, so one shard lists it).
fn apply_baseline(
    report: &mut crate::finding::Report,
    file: &std::path::Path,
    entries: &[crate::baseline::Entry],
    checked: &std::collections::HashSet<String>,
    shard: Option<crate::shard::Shard>,
) {
    let exists = |p: &str| std::path::Path::new(p).exists();
    let ours = |p: &str| shard.is_none_or(|s| s.owns(&crate::shard::unit_key(p, crate::source::classify(p))));
    let in_scope = |p: &str| checked.contains(p) || (!exists(p) && ours(p));
    crate::baseline::apply(report, &file.display().to_string(), entries, exists, in_scope);
}
