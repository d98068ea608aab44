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

    /// Output format, optionally written to a file: `human`, `json`, `sarif`, `sarif=results.sarif`.
    /// Repeat to produce several in one run; at most one may go to standard output.
    #[arg(long = "format", short = 'f', value_name = "FORMAT[=FILE]", default_value = "human")]
    formats: Vec<FormatArg>,

    /// Only run these rules: names, codes, families (security, drift, rollback) or smells, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,

    /// Don't run these rules: names, codes, families or smells, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,

    /// Only report findings of rules at or above this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::Info)]
    min_severity: SeverityArg,

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

    /// Skip files larger than this many bytes (with a note naming them).
    #[arg(long, value_name = "BYTES", default_value_t = 5 * 1024 * 1024)]
    max_file_size: u64,
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
            _ => return Err(format!("unknown format `{name}` (human, json, sarif)")),
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
    let min_severity = match args.min_severity {
        SeverityArg::Info => Severity::Info,
        SeverityArg::Low => Severity::Low,
        SeverityArg::Medium => Severity::Medium,
        SeverityArg::High => Severity::High,
        SeverityArg::Critical => Severity::Critical,
    };
    let rules =
        match load_rules(&args.rule_dirs).and_then(|r| select(r, &args.select, &args.ignore, min_severity)) {
            Ok(r) => r,
            Err(e) => return fail(e),
        };
    let jobs = args.jobs.unwrap_or(0);
    let (inputs, mut walk_diagnostics) = match inputs(&args, jobs) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let opts = CheckOptions { jobs, max_file_size: args.max_file_size, ..CheckOptions::default() };
    let mut report = check(inputs, &rules, &opts);
    report.diagnostics.append(&mut walk_diagnostics);
    report.diagnostics.sort_by(|a, b| {
        (&a.path, a.location.as_ref().map(|l| l.start)).cmp(&(&b.path, b.location.as_ref().map(|l| l.start)))
    });

    let width = 100;
    for f in &args.formats {
        let color = f.file.is_none()
            && match args.color {
                ColorArg::Always => true,
                ColorArg::Never => false,
                ColorArg::Auto => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
            };
        let opts = RenderOptions { color, tool_version: env!("CARGO_PKG_VERSION"), width };
        let text = render(&report, f.format, &opts);
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
    let failed = report.active_findings().next().is_some()
        || report.diagnostics.iter().any(|d| d.level == Level::Error);
    if failed { EXIT_FINDINGS } else { EXIT_CLEAN }
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
