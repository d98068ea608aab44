//! The server's settings: `smelt lsp` flags and the client's `initializationOptions` (which win), on top
//! of the workspace's `smelt.toml` (found from the workspace root as `smelt check` finds it; see
//! `docs/configuration.md`). [`load`] runs at startup and again whenever a watched `smelt.toml` changes,
//! after which every open document is re-checked.

use crate::config::{self as smelt_config, Config, Overrides, Source};
use crate::rules::registry::{self, RuleSet};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Settings {
    pub rule_dirs: Vec<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    /// `None`: from `smelt.toml`, else 5 MB.
    pub max_file_size: Option<u64>,
    /// Quiet time after the last change before a pushed re-check.
    pub debounce: Duration,
    /// Base URL of the rule docs (e.g. a hosted `docs/rules/`); `codeDescription` is omitted without it.
    pub docs_base_url: Option<String>,
    /// `push`, `pull` or `auto` (pull when the client supports it).
    pub diagnostic_mode: String,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            rule_dirs: Vec::new(),
            select: Vec::new(),
            ignore: Vec::new(),
            max_file_size: None,
            debounce: Duration::from_millis(150),
            docs_base_url: None,
            diagnostic_mode: "auto".into(),
        }
    }
}

/// `initializationOptions`, all optional, camelCase.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct Options {
    rules: Option<Vec<PathBuf>>,
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    max_file_size: Option<u64>,
    debounce_ms: Option<u64>,
    docs_base_url: Option<String>,
    diagnostic_mode: Option<String>,
}

impl Settings {
    /// Applies the client's `initializationOptions`; an unreadable value is reported and ignored.
    pub fn merge_options(&mut self, value: &serde_json::Value) -> Result<(), String> {
        if value.is_null() {
            return Ok(());
        }
        let o: Options =
            serde_json::from_value(value.clone()).map_err(|e| format!("initializationOptions: {e}"))?;
        if let Some(v) = o.rules {
            self.rule_dirs.extend(v);
        }
        if let Some(v) = o.select {
            self.select = v;
        }
        if let Some(v) = o.ignore {
            self.ignore = v;
        }
        if let Some(v) = o.max_file_size {
            self.max_file_size = Some(v);
        }
        if let Some(v) = o.debounce_ms {
            self.debounce = Duration::from_millis(v);
        }
        self.docs_base_url = o.docs_base_url.filter(|s| !s.is_empty()).or(self.docs_base_url.take());
        if let Some(v) = o.diagnostic_mode {
            self.diagnostic_mode = v;
        }
        Ok(())
    }
}

/// What a workspace is checked with.
pub struct Workspace {
    pub rules: RuleSet,
    /// The effective configuration (`[[ignore-paths]]` is applied to every report).
    pub config: Option<Config>,
    pub max_file_size: u64,
}

/// The rules and configuration of the workspace at `root`: `smelt.toml` (if any) with the server's
/// settings on top, built-in rules plus rule folders, per-rule settings, then `select`/`ignore`.
pub fn load(settings: &Settings, root: Option<&Path>) -> Result<Workspace, String> {
    let rule_dirs = settings
        .rule_dirs
        .iter()
        .map(|d| match root {
            Some(root) if d.is_relative() => root.join(d),
            _ => d.clone(),
        })
        .collect();
    let overrides = Overrides {
        select: settings.select.clone(),
        ignore: settings.ignore.clone(),
        rule_dirs,
        max_file_size: settings.max_file_size,
        ..Overrides::default()
    };
    let source = root.map(Source::Discover).unwrap_or(Source::None);
    let config = smelt_config::resolve(source, overrides)?;
    let render = |errs: Vec<crate::rules::LoadError>| {
        errs.iter().map(|e| format!("invalid rule: {e}")).collect::<Vec<_>>().join("\n")
    };
    let builtin = registry::builtin().map_err(render)?;
    let mut user = Vec::new();
    for dir in &config.rule_dirs.value {
        user.extend(registry::load_dir(dir).map_err(render)?);
    }
    let rules = registry::combine(builtin, user).map_err(render)?;
    let rules = config.configure_rules(rules).map_err(smelt_config::render_errors)?;
    let rules =
        registry::select(rules, &config.select.value, &config.ignore.value, config.min_severity.value)?;
    Ok(Workspace { rules, max_file_size: config.max_file_size.value, config: Some(config) })
}

/// Built-in rules only, default settings: what the server falls back to when `load` fails.
pub fn fallback() -> Workspace {
    let rules = registry::builtin()
        .ok()
        .and_then(|r| registry::select(r, &[], &[], crate::rules::meta::Severity::Info).ok())
        .unwrap_or_default();
    Workspace { rules, config: None, max_file_size: 5 * 1024 * 1024 }
}
