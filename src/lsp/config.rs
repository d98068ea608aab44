//! The server's settings: `smelt lsp` flags, then the client's `initializationOptions`, then (when the
//! workspace has one) `smelt.toml`.
//!
//! `smelt.toml` loading is being added in `src/config/`; until it lands, [`rule_set`] is the one place
//! it plugs in: read the workspace's config there and fold its select/ignore/rule folders into
//! `Settings` before the rules are picked. The server already calls it again whenever a watched
//! `smelt.toml` changes, and re-checks every open document.

use crate::rules::meta::Severity;
use crate::rules::registry::{self, RuleSet};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Settings {
    pub rule_dirs: Vec<PathBuf>,
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub max_file_size: u64,
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
            max_file_size: 5 * 1024 * 1024,
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
            self.max_file_size = v;
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

/// The rules to run in the workspace at `root`: built-in rules plus `rule_dirs`, picked by
/// `select`/`ignore`. This is where `smelt.toml` will be read (see the module docs).
pub fn rule_set(settings: &Settings, root: Option<&Path>) -> Result<RuleSet, String> {
    let _ = root;
    let render = |errs: Vec<crate::rules::LoadError>| {
        errs.iter().map(|e| format!("invalid rule: {e}")).collect::<Vec<_>>().join("\n")
    };
    let builtin = registry::builtin().map_err(render)?;
    let mut user = Vec::new();
    for dir in &settings.rule_dirs {
        let dir = match root {
            Some(root) if dir.is_relative() => root.join(dir),
            _ => dir.clone(),
        };
        user.extend(registry::load_dir(&dir).map_err(render)?);
    }
    let rules = registry::combine(builtin, user).map_err(render)?;
    registry::select(rules, &settings.select, &settings.ignore, Severity::Info)
}
