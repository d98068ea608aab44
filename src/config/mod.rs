//! `smelt.toml`: the repository's configuration (`docs/configuration.md` documents every key).
//!
//! The file is found by walking up from the first checked path to the first folder holding a `.git`
//! (or the filesystem root), or named with `--config`. Every setting remembers where it came from —
//! the default, a line of the file, or the command line — for `smelt config` and for error messages.
//! Reading the file checks its shape ([`parse`]); checking names against the loaded rules happens when
//! the configuration is applied to them ([`apply`]).

pub mod apply;
mod parse;
pub mod show;
pub mod tree;

pub(crate) use parse::{compile_globs, suggest};

use crate::rules::meta::Severity;
use globset::GlobSet;
use std::path::{Component, Path, PathBuf};

pub const FILE_NAME: &str = "smelt.toml";
/// `--max-file-size` when neither the file nor the command line sets it.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 5 * 1024 * 1024;

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    /// A line of the configuration file.
    File(usize),
    CommandLine,
    /// A list the file sets and the command line extends (`ignore`, `rule-dirs`).
    FileAndCommandLine(usize),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    fn default(value: T) -> Sourced<T> {
        Sourced { value, origin: Origin::Default }
    }
}

/// The effective configuration of a run: defaults, then the file, then the command line.
#[derive(Clone, Debug)]
pub struct Config {
    /// The configuration file, as found or given; `None` when there is none (or `--no-config`).
    pub file: Option<PathBuf>,
    /// How errors and `smelt config` name the file (relative to the working folder when inside it).
    pub file_name: String,
    /// The folder relative paths in the file start from: the file's own folder.
    pub root: PathBuf,
    pub select: Sourced<Vec<String>>,
    pub ignore: Sourced<Vec<String>>,
    pub min_severity: Sourced<Severity>,
    /// Extra rule folders, resolved (file entries against `root`, command-line ones as given).
    pub rule_dirs: Sourced<Vec<PathBuf>>,
    pub max_file_size: Sourced<u64>,
    /// Worker threads; 0 means one per core.
    pub jobs: Sourced<usize>,
    /// `[rules.<name>]` tables, in file order.
    pub rules: Vec<RuleSettings>,
    /// `[[ignore-paths]]` entries, in file order.
    pub ignore_paths: Vec<IgnorePaths>,
    /// `[helm] values`: values files per chart folder.
    pub helm_values: Vec<HelmValues>,
    /// `[[environments]]`, in file order.
    pub environments: Vec<Environment>,
}

/// `[rules.<name>]`.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleSettings {
    /// The rule's name (or code) as written.
    pub name: String,
    /// Line of the table header.
    pub line: usize,
    pub severity: Option<(Severity, usize)>,
    pub suppressible: Option<(bool, usize)>,
    pub options: Vec<OptionSetting>,
}

/// One entry of `[rules.<name>] options`.
#[derive(Clone, Debug, PartialEq)]
pub struct OptionSetting {
    pub name: String,
    pub value: toml::Value,
    pub line: usize,
}

/// `[[ignore-paths]]`: findings of `rules` in files matching `paths` are suppressed with `reason`.
#[derive(Clone, Debug)]
pub struct IgnorePaths {
    pub paths: Vec<String>,
    pub globs: GlobSet,
    /// Selectors, as for `select` (`all`, names, codes, families, smells).
    pub rules: Vec<String>,
    pub reason: String,
    pub line: usize,
}

/// `[helm] values = { "charts/web" = ["values-prod.yaml"] }`: the values files to render a chart with.
#[derive(Clone, Debug, PartialEq)]
pub struct HelmValues {
    /// Chart folder, relative to the configuration file.
    pub chart: String,
    /// Values files, relative to the chart folder, in the order they are applied.
    pub files: Vec<String>,
    pub line: usize,
}

/// `[[environments]]`: a deployment environment, the files that describe it, and its place in the
/// promotion order (dev before staging before prod).
#[derive(Clone, Debug)]
pub struct Environment {
    pub name: String,
    pub order: i64,
    pub paths: Vec<String>,
    pub globs: GlobSet,
    pub line: usize,
}

/// A configuration file that cannot be used. Displays as `file:line: message`.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub message: String,
}

/// What the command line sets; it wins over the file (see `docs/configuration.md`).
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Replaces the file's `select` when not empty.
    pub select: Vec<String>,
    /// Added to the file's `ignore`.
    pub ignore: Vec<String>,
    pub min_severity: Option<Severity>,
    /// Added to the file's `rule-dirs`.
    pub rule_dirs: Vec<PathBuf>,
    pub max_file_size: Option<u64>,
    pub jobs: Option<usize>,
}

/// How the command line picks the configuration file.
#[derive(Clone, Copy, Debug)]
pub enum Source<'a> {
    /// Walk up from this path (the first checked path).
    Discover(&'a Path),
    /// `--config FILE`.
    File(&'a Path),
    /// `--no-config`.
    None,
}

impl Config {
    /// Built-in defaults only.
    pub fn defaults() -> Config {
        Config {
            file: None,
            file_name: String::new(),
            root: PathBuf::from("."),
            select: Sourced::default(Vec::new()),
            ignore: Sourced::default(Vec::new()),
            min_severity: Sourced::default(Severity::Info),
            rule_dirs: Sourced::default(Vec::new()),
            max_file_size: Sourced::default(DEFAULT_MAX_FILE_SIZE),
            jobs: Sourced::default(0),
            rules: Vec::new(),
            ignore_paths: Vec::new(),
            helm_values: Vec::new(),
            environments: Vec::new(),
        }
    }

    /// Reads a configuration file. `Err` lists every problem, each naming the file and line.
    pub fn load(path: &Path) -> Result<Config, Vec<ConfigError>> {
        let file_name = display_name(path);
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ConfigError { file: file_name.clone(), line: 1, message: format!("cannot read: {e}") }]
        })?;
        let mut config = parse::parse(&text, &file_name)?;
        config.root = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if config.root.as_os_str().is_empty() {
            config.root = PathBuf::from(".");
        }
        for dir in &mut config.rule_dirs.value {
            *dir = config.root.join(&*dir);
        }
        config.file = Some(path.to_path_buf());
        config.file_name = file_name;
        Ok(config)
    }

    /// Parses configuration text (no file: relative paths start at the working folder).
    pub fn from_text(text: &str, file_name: &str) -> Result<Config, Vec<ConfigError>> {
        parse::parse(text, file_name)
    }

    /// The command line's settings, on top of the file's.
    pub fn override_with(&mut self, o: Overrides) {
        if !o.select.is_empty() {
            self.select = Sourced { value: o.select, origin: Origin::CommandLine };
        }
        extend(&mut self.ignore, o.ignore);
        extend(&mut self.rule_dirs, o.rule_dirs);
        if let Some(s) = o.min_severity {
            self.min_severity = Sourced { value: s, origin: Origin::CommandLine };
        }
        if let Some(n) = o.max_file_size {
            self.max_file_size = Sourced { value: n, origin: Origin::CommandLine };
        }
        if let Some(n) = o.jobs {
            self.jobs = Sourced { value: n, origin: Origin::CommandLine };
        }
    }

    /// `smelt.toml:7`, `default`, `command line`.
    pub fn describe(&self, origin: &Origin) -> String {
        match origin {
            Origin::Default => "default".to_string(),
            Origin::File(line) => format!("{}:{line}", self.file_name),
            Origin::CommandLine => "command line".to_string(),
            Origin::FileAndCommandLine(line) => format!("{}:{line} + command line", self.file_name),
        }
    }

    pub(crate) fn error(&self, line: usize, message: String) -> ConfigError {
        ConfigError { file: self.file_name.clone(), line, message }
    }
}

fn extend<T>(setting: &mut Sourced<Vec<T>>, more: Vec<T>) {
    if more.is_empty() {
        return;
    }
    setting.origin = match setting.origin {
        Origin::File(line) | Origin::FileAndCommandLine(line) => Origin::FileAndCommandLine(line),
        _ => Origin::CommandLine,
    };
    setting.value.extend(more);
}

/// The configuration of a run: the file `source` picks (if any), with the command line on top.
/// Errors are ready to print: one `file:line: message` per line.
pub fn resolve(source: Source<'_>, overrides: Overrides) -> Result<Config, String> {
    let file = match source {
        Source::None => None,
        Source::File(p) => {
            if !p.is_file() {
                return Err(format!("config file {} not found", p.display()));
            }
            Some(p.to_path_buf())
        }
        Source::Discover(start) => find(start),
    };
    let mut config = match file {
        Some(f) => Config::load(&f).map_err(render_errors)?,
        None => Config::defaults(),
    };
    config.override_with(overrides);
    Ok(config)
}

pub fn render_errors(errors: Vec<ConfigError>) -> String {
    errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// The `smelt.toml` that applies to `start`: in its folder (its parent, for a file) or the nearest
/// folder above, stopping at the first folder that holds `.git` and at the filesystem root.
pub fn find(start: &Path) -> Option<PathBuf> {
    let absolute =
        if start.is_absolute() { start.to_path_buf() } else { std::env::current_dir().ok()?.join(start) };
    let absolute = absolute.canonicalize().unwrap_or_else(|_| normalise(&absolute));
    let mut dir = if absolute.is_file() { absolute.parent()?.to_path_buf() } else { absolute };
    loop {
        let candidate = dir.join(FILE_NAME);
        if candidate.is_file() {
            return Some(candidate);
        }
        if dir.join(".git").exists() {
            return None;
        }
        dir = dir.parent()?.to_path_buf();
    }
}

/// `smelt.toml` when the file is in the working folder, `infra/smelt.toml` below it, else absolute.
fn display_name(path: &Path) -> String {
    let cwd = std::env::current_dir().ok().and_then(|c| c.canonicalize().ok());
    let absolute = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let shown = cwd.and_then(|c| absolute.strip_prefix(c).ok().map(Path::to_path_buf)).unwrap_or(absolute);
    crate::discover::display_path(&shown)
}

/// Removes `.` and `..` components without touching the filesystem.
pub(crate) fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}
