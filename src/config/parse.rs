//! Reading `smelt.toml` into a [`Config`]: every key is known, every value has the right type, and each
//! error names the line and, for a misspelt key, the nearest valid one.

use super::tree::{self, Item, Key, Val};
use super::{
    Config, ConfigError, Environment, HelmValues, IgnorePaths, OptionSetting, Origin, RuleSettings, Sourced,
};
use crate::rules::load::edit_distance;
use crate::rules::meta::Severity;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::collections::BTreeMap;
use std::path::PathBuf;

const TOP: &[&str] = &[
    "select",
    "ignore",
    "min-severity",
    "rule-dirs",
    "max-file-size",
    "jobs",
    "rules",
    "ignore-paths",
    "helm",
    "environments",
];
const RULE: &[&str] = &["severity", "suppressible", "options"];
const IGNORE_PATHS: &[&str] = &["paths", "rules", "reason"];
const HELM: &[&str] = &["values"];
const ENVIRONMENT: &[&str] = &["name", "order", "paths"];
const SEVERITIES: &[&str] = &["info", "low", "medium", "high", "critical"];

struct Parser<'a> {
    text: &'a str,
    file: &'a str,
    errors: Vec<ConfigError>,
}

pub(super) fn parse(text: &str, file: &str) -> Result<Config, Vec<ConfigError>> {
    let mut p = Parser { text, file, errors: Vec::new() };
    let doc = match tree::parse(text) {
        Ok(doc) => doc,
        Err((offset, message)) => {
            let message = message.trim().to_string();
            return Err(vec![ConfigError { file: file.to_string(), line: p.line(offset), message }]);
        }
    };
    let mut config = Config::defaults();
    config.file_name = file.to_string();
    if let Val::Table(entries) = &doc.value {
        for (key, item) in entries {
            p.top(&mut config, key, item);
        }
    }
    if p.errors.is_empty() {
        Ok(config)
    } else {
        p.errors.sort_by_key(|e| e.line);
        Err(p.errors)
    }
}

impl Parser<'_> {
    fn line(&self, offset: usize) -> usize {
        crate::rules::load::line_of(self.text, offset)
    }

    fn err(&mut self, offset: usize, message: String) {
        let line = self.line(offset);
        self.errors.push(ConfigError { file: self.file.to_string(), line, message });
    }

    fn unknown(&mut self, key: &Key, place: &str, valid: &[&str]) {
        let message = format!("unknown key `{}` {place}{}", key.name, suggest(&key.name, valid));
        self.err(key.span.start, message);
    }

    fn top(&mut self, config: &mut Config, key: &Key, item: &Item) {
        let line = self.line(key.span.start);
        let origin = Origin::File(line);
        match key.name.as_str() {
            "select" | "ignore" => {
                let Some(list) = self.strings(key, item) else { return };
                let setting = Sourced { value: list, origin };
                if key.name == "select" {
                    config.select = setting;
                } else {
                    config.ignore = setting;
                }
            }
            "min-severity" => {
                if let Some(s) = self.severity(key, item) {
                    config.min_severity = Sourced { value: s, origin };
                }
            }
            "rule-dirs" => {
                let Some(list) = self.strings(key, item) else { return };
                config.rule_dirs = Sourced { value: list.into_iter().map(PathBuf::from).collect(), origin };
            }
            "max-file-size" => match item.value {
                Val::Int(n) if n > 0 => config.max_file_size = Sourced { value: n as u64, origin },
                _ => self.err(
                    item.span.start,
                    format!("`max-file-size` must be a number of bytes above 0, found {}", shown(item)),
                ),
            },
            "jobs" => match item.value {
                Val::Int(n) if n >= 0 => config.jobs = Sourced { value: n as usize, origin },
                _ => self.err(
                    item.span.start,
                    format!("`jobs` must be a number of threads (0: one per core), found {}", shown(item)),
                ),
            },
            "rules" => self.rules(config, item),
            "ignore-paths" => {
                for entry in self.tables(key, item, "[[ignore-paths]]") {
                    if let Some(ignore) = self.ignore_paths(entry) {
                        config.ignore_paths.push(ignore);
                    }
                }
            }
            "helm" => self.helm(config, item),
            "environments" => {
                for entry in self.tables(key, item, "[[environments]]") {
                    if let Some(env) = self.environment(entry, &config.environments) {
                        config.environments.push(env);
                    }
                }
            }
            _ => self.unknown(key, "at the top level", TOP),
        }
    }

    fn rules(&mut self, config: &mut Config, item: &Item) {
        let Val::Table(rules) = &item.value else {
            let message = if matches!(item.value, Val::Array(_)) {
                "`rules` holds one `[rules.<name>]` table per rule; list extra rule folders in `rule-dirs`"
                    .to_string()
            } else {
                format!("`rules` must be a table of `[rules.<name>]` tables, found {}", item.value.kind())
            };
            return self.err(item.span.start, message);
        };
        for (name, body) in rules {
            let place = format!("in [rules.{}]", name.name);
            let Val::Table(entries) = &body.value else {
                self.err(
                    name.span.start,
                    format!("`rules.{}` must be a table (`[rules.{}]`)", name.name, name.name),
                );
                continue;
            };
            let mut settings = RuleSettings {
                name: name.name.clone(),
                line: self.line(name.span.start),
                severity: None,
                suppressible: None,
                options: Vec::new(),
            };
            for (key, value) in entries {
                let line = self.line(key.span.start);
                match key.name.as_str() {
                    "severity" => settings.severity = self.severity(key, value).map(|s| (s, line)),
                    "suppressible" => match value.value {
                        Val::Bool(b) => settings.suppressible = Some((b, line)),
                        _ => self.err(
                            value.span.start,
                            format!("`suppressible` must be true or false, found {}", shown(value)),
                        ),
                    },
                    "options" => match &value.value {
                        Val::Table(options) => {
                            for (option, v) in options {
                                settings.options.push(OptionSetting {
                                    name: option.name.clone(),
                                    value: v.value.to_toml(),
                                    line: self.line(option.span.start),
                                });
                            }
                        }
                        _ => self.err(
                            value.span.start,
                            format!(
                                "`options` must be a table (`options = {{ name = value }}`), found {}",
                                value.value.kind()
                            ),
                        ),
                    },
                    _ => self.unknown(key, &place, RULE),
                }
            }
            config.rules.push(settings);
        }
    }

    fn ignore_paths(&mut self, entry: &Item) -> Option<IgnorePaths> {
        let fields = self.fields(entry, "in [[ignore-paths]]", IGNORE_PATHS);
        let line = self.line(entry.span.start);
        let mut ok = true;
        let paths = self.required_strings(&fields, "paths", entry, "[[ignore-paths]]");
        let rules = self.required_strings(&fields, "rules", entry, "[[ignore-paths]]");
        let reason = match fields.get("reason") {
            Some((_, Item { value: Val::Str(s), .. })) if !s.trim().is_empty() => s.trim().to_string(),
            Some((_, v)) => {
                self.err(v.span.start, "`reason` must say why these findings are acceptable".to_string());
                ok = false;
                String::new()
            }
            None => {
                self.err(
                    entry.span.start,
                    "[[ignore-paths]] needs a `reason`: say why these findings are acceptable".to_string(),
                );
                ok = false;
                String::new()
            }
        };
        let (paths, rules) = (paths?, rules?);
        let globs = self.globs(&paths, fields.get("paths").map(|(_, v)| v.span.start).unwrap_or(0))?;
        ok.then_some(IgnorePaths { paths, globs, rules, reason, line })
    }

    fn helm(&mut self, config: &mut Config, item: &Item) {
        let Val::Table(_) = &item.value else {
            return self.err(item.span.start, format!("`helm` must be a table, found {}", item.value.kind()));
        };
        let fields = self.fields(item, "in [helm]", HELM);
        let Some((_, values)) = fields.get("values") else { return };
        let Val::Table(charts) = &values.value else {
            return self.err(
                values.span.start,
                format!(
                    "`helm.values` maps chart folders to values files (`{{ \"charts/web\" = [\"values-prod.yaml\"] }}`), found {}",
                    values.value.kind()
                ),
            );
        };
        for (chart, files) in charts {
            let Some(list) = self.strings(chart, files) else { continue };
            if list.is_empty() {
                self.err(files.span.start, format!("`{}`: list at least one values file", chart.name));
                continue;
            }
            if chart.name.starts_with('/') {
                self.err(
                    chart.span.start,
                    format!("chart folder `{}` must be relative to the configuration file", chart.name),
                );
                continue;
            }
            let line = self.line(chart.span.start);
            config.helm_values.push(HelmValues { chart: chart.name.clone(), files: list, line });
        }
    }

    fn environment(&mut self, entry: &Item, seen: &[Environment]) -> Option<Environment> {
        let fields = self.fields(entry, "in [[environments]]", ENVIRONMENT);
        let line = self.line(entry.span.start);
        let name = match fields.get("name") {
            Some((_, Item { value: Val::Str(s), span })) => {
                if s.trim().is_empty() {
                    self.err(span.start, "`name` must not be empty".to_string());
                    return None;
                }
                if let Some(first) = seen.iter().find(|e| e.name == *s) {
                    self.err(
                        span.start,
                        format!("environment `{s}` is already declared on line {}", first.line),
                    );
                    return None;
                }
                s.clone()
            }
            Some((_, v)) => {
                self.err(v.span.start, format!("`name` must be a string, found {}", v.value.kind()));
                return None;
            }
            None => {
                self.err(entry.span.start, "[[environments]] needs a `name`".to_string());
                return None;
            }
        };
        let order = match fields.get("order") {
            Some((_, Item { value: Val::Int(n), .. })) if *n >= 0 => *n,
            Some((_, v)) => {
                self.err(
                    v.span.start,
                    format!("`order` must be a whole number from 0 (first promoted), found {}", shown(v)),
                );
                return None;
            }
            None => {
                self.err(
                    entry.span.start,
                    format!("environment `{name}` needs an `order` (its place in the promotion order)"),
                );
                return None;
            }
        };
        let paths = self.required_strings(&fields, "paths", entry, "[[environments]]")?;
        let globs = self.globs(&paths, fields.get("paths").map(|(_, v)| v.span.start).unwrap_or(0))?;
        Some(Environment { name, order, paths, globs, line })
    }

    /// The entries of a table, checking their keys against `valid`.
    fn fields<'i>(
        &mut self,
        table: &'i Item,
        place: &str,
        valid: &[&str],
    ) -> BTreeMap<&'i str, (&'i Key, &'i Item)> {
        let mut out = BTreeMap::new();
        if let Val::Table(entries) = &table.value {
            for (key, value) in entries {
                if valid.contains(&key.name.as_str()) {
                    out.insert(key.name.as_str(), (key, value));
                } else {
                    self.unknown(key, place, valid);
                }
            }
        }
        out
    }

    /// `[[name]]`: an array of tables.
    fn tables<'i>(&mut self, key: &Key, item: &'i Item, header: &str) -> Vec<&'i Item> {
        let Val::Array(items) = &item.value else {
            self.err(
                key.span.start,
                format!("`{}` must be a list of {header} tables, found {}", key.name, item.value.kind()),
            );
            return Vec::new();
        };
        let mut out = Vec::new();
        for i in items {
            if matches!(i.value, Val::Table(_)) {
                out.push(i);
            } else {
                self.err(i.span.start, format!("each `{}` entry must be a table ({header})", key.name));
            }
        }
        out
    }

    fn required_strings(
        &mut self,
        fields: &BTreeMap<&str, (&Key, &Item)>,
        name: &str,
        table: &Item,
        header: &str,
    ) -> Option<Vec<String>> {
        let Some((key, value)) = fields.get(name) else {
            self.err(table.span.start, format!("{header} needs `{name}`"));
            return None;
        };
        let list = self.strings(key, value)?;
        if list.is_empty() {
            self.err(value.span.start, format!("`{name}` must list at least one entry"));
            return None;
        }
        Some(list)
    }

    fn strings(&mut self, key: &Key, item: &Item) -> Option<Vec<String>> {
        let bad = |p: &mut Self, at: usize| {
            p.err(at, format!("`{}` must be an array of strings, found {}", key.name, shown(item)));
            None
        };
        let Val::Array(items) = &item.value else { return bad(self, item.span.start) };
        let mut out = Vec::new();
        for i in items {
            match &i.value {
                Val::Str(s) => out.push(s.clone()),
                _ => return bad(self, i.span.start),
            }
        }
        Some(out)
    }

    fn severity(&mut self, key: &Key, item: &Item) -> Option<Severity> {
        let found = match &item.value {
            Val::Str(s) => match severity(s) {
                Some(sev) => return Some(sev),
                None => format!("`{s}`{}", suggest(s, SEVERITIES)),
            },
            _ => item.value.kind().to_string(),
        };
        self.err(
            item.span.start,
            format!("`{}` must be one of {}; found {found}", key.name, SEVERITIES.join(", ")),
        );
        None
    }

    fn globs(&mut self, patterns: &[String], at: usize) -> Option<GlobSet> {
        match compile_globs(patterns) {
            Ok(set) => Some(set),
            Err(message) => {
                self.err(at, message);
                None
            }
        }
    }
}

pub(super) fn severity(s: &str) -> Option<Severity> {
    Severity::ALL.into_iter().find(|sev| sev.to_string() == s)
}

/// Globs relative to the configuration file's folder: `*` stays within a folder, `**` crosses folders,
/// and a pattern also matches everything below it (`legacy` covers `legacy/a/b.tf`).
pub(crate) fn compile_globs(patterns: &[String]) -> Result<GlobSet, String> {
    let mut builder = GlobSetBuilder::new();
    for p in patterns {
        let trimmed = p.trim_start_matches("./").trim_end_matches('/');
        if trimmed.is_empty() || trimmed.starts_with('/') {
            return Err(format!("path pattern `{p}` must be relative to the configuration file"));
        }
        for pattern in [trimmed.to_string(), format!("{trimmed}/**")] {
            let glob = GlobBuilder::new(&pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("invalid path pattern `{p}`: {}", e.kind()))?;
            builder.add(glob);
        }
    }
    builder.build().map_err(|e| format!("invalid path patterns: {e}"))
}

/// ` (did you mean `x`?)` when a valid name is close, else the list of valid names.
pub(crate) fn suggest(word: &str, valid: &[&str]) -> String {
    let nearest = valid.iter().min_by_key(|v| edit_distance(word, v));
    match nearest {
        Some(n) if edit_distance(word, n) <= (word.len() / 2).max(2) => format!(" (did you mean `{n}`?)"),
        _ => format!(" (expected one of: {})", valid.join(", ")),
    }
}

/// A value as it would be written, for "found …" in messages.
fn shown(item: &Item) -> String {
    match &item.value {
        Val::Str(s) => format!("`\"{s}\"`"),
        Val::Int(n) => format!("`{n}`"),
        Val::Float(f) => format!("`{f}`"),
        Val::Bool(b) => format!("`{b}`"),
        other => other.kind().to_string(),
    }
}

#[cfg(test)]
#[path = "parse_tests.rs"]
mod tests;
