//! `smelt config`: the effective configuration as TOML that smelt would read back, each setting
//! followed by a comment saying where it came from (`default`, `smelt.toml:7`, `command line`).

use super::{Config, Origin};
use std::path::Path;
use toml::Value as Toml;

/// Comments start in this column when the line is shorter.
const COMMENT_COLUMN: usize = 44;

pub fn render(config: &Config) -> String {
    let mut out = Lines::default();
    match &config.file {
        Some(_) => out.comment(&format!(
            "Effective configuration: defaults, then {}, then the command line.",
            config.file_name
        )),
        None => out.comment("Effective configuration: no smelt.toml (defaults and the command line)."),
    }
    out.comment("Each setting ends with where it came from.");
    out.blank();
    let strings = |v: &[String]| Toml::Array(v.iter().cloned().map(Toml::String).collect());
    let top = |out: &mut Lines, key: &str, value: Toml, origin: &Origin, note: &str| {
        out.setting(format!("{key} = {value}"), format!("{}{note}", config.describe(origin)));
    };
    top(&mut out, "select", strings(&config.select.value), &config.select.origin, select_note(config));
    top(&mut out, "ignore", strings(&config.ignore.value), &config.ignore.origin, "");
    top(
        &mut out,
        "min-severity",
        Toml::String(config.min_severity.value.to_string()),
        &config.min_severity.origin,
        "",
    );
    let dirs: Vec<String> = config.rule_dirs.value.iter().map(|d| shown_path(d)).collect();
    top(&mut out, "rule-dirs", strings(&dirs), &config.rule_dirs.origin, "");
    top(
        &mut out,
        "max-file-size",
        Toml::Integer(config.max_file_size.value as i64),
        &config.max_file_size.origin,
        " (bytes)",
    );
    let jobs_note = if config.jobs.value == 0 { " (0: one per core)" } else { "" };
    top(&mut out, "jobs", Toml::Integer(config.jobs.value as i64), &config.jobs.origin, jobs_note);

    for rule in &config.rules {
        out.blank();
        out.setting(format!("[rules.{}]", key(&rule.name)), config.describe(&Origin::File(rule.line)));
        if let Some((severity, line)) = rule.severity {
            out.setting(format!("severity = \"{severity}\""), config.describe(&Origin::File(line)));
        }
        if let Some((suppressible, line)) = rule.suppressible {
            out.setting(format!("suppressible = {suppressible}"), config.describe(&Origin::File(line)));
        }
        for option in &rule.options {
            out.setting(
                format!("options.{} = {}", key(&option.name), option.value),
                config.describe(&Origin::File(option.line)),
            );
        }
    }
    for entry in &config.ignore_paths {
        out.blank();
        out.setting("[[ignore-paths]]".to_string(), config.describe(&Origin::File(entry.line)));
        out.plain(format!("paths = {}", strings(&entry.paths)));
        out.plain(format!("rules = {}", strings(&entry.rules)));
        out.plain(format!("reason = {}", Toml::String(entry.reason.clone())));
    }
    if !config.helm_values.is_empty() {
        out.blank();
        out.plain("[helm.values]".to_string());
        for chart in &config.helm_values {
            out.setting(
                format!("{} = {}", key(&chart.chart), strings(&chart.files)),
                config.describe(&Origin::File(chart.line)),
            );
        }
    }
    for env in &config.environments {
        out.blank();
        out.setting("[[environments]]".to_string(), config.describe(&Origin::File(env.line)));
        out.plain(format!("name = {}", Toml::String(env.name.clone())));
        out.plain(format!("order = {}", env.order));
        out.plain(format!("paths = {}", strings(&env.paths)));
    }
    out.text
}

fn select_note(config: &Config) -> &'static str {
    if config.select.value.is_empty() { " (empty: every rule)" } else { "" }
}

/// A bare TOML key when it can be one, else a quoted one.
fn key(k: &str) -> String {
    let bare = !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if bare { k.to_string() } else { Toml::String(k.to_string()).to_string() }
}

/// A path relative to the working folder when it is inside it.
fn shown_path(p: &Path) -> String {
    let cwd = std::env::current_dir().ok().and_then(|c| c.canonicalize().ok());
    let absolute = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let shown = cwd.and_then(|c| absolute.strip_prefix(c).ok().map(Path::to_path_buf)).unwrap_or(absolute);
    let s = crate::discover::display_path(&shown);
    if s.is_empty() { ".".to_string() } else { s }
}

#[derive(Default)]
struct Lines {
    text: String,
}

impl Lines {
    fn comment(&mut self, c: &str) {
        self.text.push_str(&format!("# {c}\n"));
    }
    fn blank(&mut self) {
        self.text.push('\n');
    }
    fn plain(&mut self, line: String) {
        self.text.push_str(&line);
        self.text.push('\n');
    }
    fn setting(&mut self, line: String, origin: String) {
        let pad = COMMENT_COLUMN.saturating_sub(line.chars().count()).max(2);
        self.text.push_str(&format!("{line}{}# {origin}\n", " ".repeat(pad)));
    }
}
