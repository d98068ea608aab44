//! `smelt envs`: which environments smelt finds, in which order, and which files of each it compares.

use super::{EXIT_CLEAN, fail, write_stdout};
use crate::discover::{DiscoverOptions, discover};
use crate::engine::{CheckOptions, detect_environments};
use clap::{Args, ValueEnum};
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct EnvsArgs {
    /// The folder (or files) to look in.
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,

    /// `human` or `json`.
    #[arg(long, short = 'f', value_enum, default_value_t = EnvsFormat::Human)]
    format: EnvsFormat,

    /// Also look at files that .gitignore, .ignore and git's exclude files hide.
    #[arg(long)]
    no_ignore: bool,

    /// Which smelt.toml to use (its `[[environments]]` replace detection by convention).
    #[command(flatten)]
    config: super::config::ConfigFileArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum EnvsFormat {
    Human,
    Json,
}

pub fn run(args: EnvsArgs) -> u8 {
    let start = args.paths.first().cloned().unwrap_or_else(|| PathBuf::from("."));
    let config = match args.config.resolve(&start, crate::config::Overrides::default()) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let threads = std::thread::available_parallelism().map(usize::from).unwrap_or(2);
    let walk = DiscoverOptions { honour_ignore_files: !args.no_ignore, threads };
    let (inputs, _) = match discover(&args.paths, &walk) {
        Ok(x) => x,
        Err(e) => return fail(e),
    };
    let settings = crate::envs::Settings::from_config(&config);
    let opts = CheckOptions {
        max_file_size: config.max_file_size.value,
        environments: Some(Arc::new(settings)),
        ..CheckOptions::default()
    };
    let (detection, jobs) = detect_environments(&inputs, &opts);
    let shown = if config.file_name.is_empty() { crate::config::FILE_NAME } else { &config.file_name };
    let text = match args.format {
        EnvsFormat::Human => crate::envs::show::human(&detection, &jobs, shown),
        EnvsFormat::Json => {
            let value = crate::envs::show::json(&detection, &jobs, shown);
            format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default())
        }
    };
    match write_stdout(&text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => fail(format!("cannot write output: {e}")),
    }
}
