//! `smelt config`, and the `--config` / `--no-config` flags `smelt check` shares with it.

use super::{EXIT_CLEAN, fail, load_rules, write_stdout};
use crate::config::{Config, Overrides, Source};
use crate::rules::meta::Severity;
use crate::rules::registry::select;
use clap::Args;
use std::path::{Path, PathBuf};

#[derive(Debug, Args)]
pub struct ConfigFileArgs {
    /// Use this configuration file instead of looking for smelt.toml above the first checked path.
    #[arg(long, value_name = "FILE", conflicts_with = "no_config")]
    config: Option<PathBuf>,

    /// Ignore any smelt.toml: built-in defaults and the command line only.
    #[arg(long)]
    no_config: bool,
}

impl ConfigFileArgs {
    /// The configuration for a run that checks `start` (first), with the command line on top.
    pub fn resolve(&self, start: &Path, overrides: Overrides) -> Result<Config, String> {
        let source = match (&self.config, self.no_config) {
            (_, true) => Source::None,
            (Some(file), false) => Source::File(file),
            (None, false) => Source::Discover(start),
        };
        crate::config::resolve(source, overrides)
    }
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The path whose configuration to show (smelt.toml is looked for from here up).
    #[arg(default_value = ".")]
    path: PathBuf,

    #[command(flatten)]
    file: ConfigFileArgs,

    /// As for `smelt check`: replaces the file's `select`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,

    /// As for `smelt check`: added to the file's `ignore`.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,

    /// As for `smelt check`.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    min_severity: Option<Severity>,

    /// As for `smelt check`: added to the file's `rule-dirs`.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,

    /// As for `smelt check`.
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,

    /// As for `smelt check`.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<usize>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::ALL
        .into_iter()
        .find(|sev| sev.to_string() == s)
        .ok_or_else(|| "expected info, low, medium, high or critical".to_string())
}

/// Prints the effective configuration; exit 2 when it is invalid (the same checks as `smelt check`).
pub fn run(args: ConfigArgs) -> u8 {
    let overrides = Overrides {
        select: args.select,
        ignore: args.ignore,
        min_severity: args.min_severity,
        rule_dirs: args.rule_dirs,
        max_file_size: args.max_file_size,
        jobs: args.jobs,
    };
    let config = match args.file.resolve(&args.path, overrides) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let checked = load_rules(&config.rule_dirs.value)
        .and_then(|r| config.configure_rules(r).map_err(crate::config::render_errors))
        .and_then(|r| select(r, &config.select.value, &config.ignore.value, config.min_severity.value));
    if let Err(e) = checked {
        return fail(e);
    }
    match write_stdout(&crate::config::show::render(&config)) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => fail(e),
    }
}
