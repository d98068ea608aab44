//! Applying a [`Config`] to a run: per-rule settings on the loaded rules (checked against their names
//! and declared options), and `[[ignore-paths]]` on the findings of a report.

use super::{Config, ConfigError, Origin};
use crate::finding::{Location, Report, Suppression};
use crate::rules::Rule;
use crate::rules::meta::{Family, Smell};
use crate::rules::registry::selects;
use crate::span::{Position, Span};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

impl Config {
    /// Applies `[rules.<name>]` (severity, suppressible, options) to the loaded rules, and checks that
    /// every rule name and selector the file uses exists. Errors name the file's lines.
    pub fn configure_rules(&self, mut rules: Vec<Rule>) -> Result<Vec<Rule>, Vec<ConfigError>> {
        let mut errors = Vec::new();
        let names: Vec<String> = rules.iter().map(|r| r.meta.name.clone()).collect();
        let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let families = [Family::Security, Family::Drift, Family::Rollback].map(|f| f.to_string());
        let smells = Smell::ALL.map(|s| s.to_string());
        let selector_refs: Vec<&str> = name_refs
            .iter()
            .copied()
            .chain(families.iter().chain(&smells).map(String::as_str))
            .chain(["all"])
            .collect();
        for settings in &self.rules {
            let Some(rule) = rules
                .iter_mut()
                .find(|r| r.meta.name == settings.name || r.meta.code.eq_ignore_ascii_case(&settings.name))
            else {
                let hint = super::suggest(&settings.name, &name_refs);
                let message = format!("unknown rule `{}` in [rules.{}]{hint}", settings.name, settings.name);
                errors.push(self.error(settings.line, message));
                continue;
            };
            if let Some((severity, _)) = settings.severity {
                rule.severity = severity;
            }
            if let Some((suppressible, _)) = settings.suppressible {
                rule.suppressible = suppressible;
            }
            let mut set = BTreeMap::new();
            for option in &settings.options {
                let one = BTreeMap::from([(option.name.clone(), option.value.clone())]);
                match crate::rules::options::values(&rule.options, &one) {
                    Ok(_) => {
                        set.insert(option.name.clone(), option.value.clone());
                    }
                    Err(m) => {
                        errors.push(self.error(option.line, format!("{m} in [rules.{}]", settings.name)))
                    }
                }
            }
            let compiled = if set.is_empty() { Ok(()) } else { rule.set_options(&set) };
            if let Err(m) = compiled {
                let line = settings.options.first().map(|o| o.line).unwrap_or(settings.line);
                errors.push(self.error(line, format!("[rules.{}] options: {m}", settings.name)));
            }
        }
        let mut check = |selectors: &[String], line: usize, place: &str| {
            for sel in selectors {
                if !known_selector(&rules, sel) {
                    let hint = super::suggest(sel, &selector_refs);
                    errors.push(
                        self.error(line, format!("unknown rule, family or smell `{sel}` in {place}{hint}")),
                    );
                }
            }
        };
        if let Origin::File(line) = self.select.origin {
            check(&self.select.value, line, "`select`");
        }
        if let Origin::File(line) = self.ignore.origin {
            check(&self.ignore.value, line, "`ignore`");
        }
        for entry in &self.ignore_paths {
            check(&entry.rules, entry.line, "[[ignore-paths]] `rules`");
        }
        if errors.is_empty() {
            Ok(rules)
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }

    /// Marks the active findings that an `[[ignore-paths]]` entry covers as suppressed, with the
    /// entry's reason; the suppression points at the entry in the configuration file. Finding paths
    /// are relative to the working folder (or absolute); patterns, to the configuration file's folder.
    pub fn apply_path_ignores(&self, report: &mut Report) {
        if self.ignore_paths.is_empty() {
            return;
        }
        let cwd = std::env::current_dir().ok().map(|c| c.canonicalize().unwrap_or(c)).unwrap_or_default();
        let root = absolute(&cwd, &self.root);
        let mut relative: HashMap<String, Option<String>> = HashMap::new();
        for finding in report.findings.iter_mut().filter(|f| f.suppressed.is_none()) {
            let rel = relative
                .entry(finding.location.path.clone())
                .or_insert_with(|| {
                    let path = absolute(&cwd, Path::new(&finding.location.path));
                    path.strip_prefix(&root).ok().map(crate::discover::display_path)
                })
                .clone();
            let Some(rel) = rel else { continue };
            let Some(entry) = self
                .ignore_paths
                .iter()
                .find(|e| e.globs.is_match(&rel) && e.rules.iter().any(|sel| selects(&finding.rule, sel)))
            else {
                continue;
            };
            let at = Position { line: entry.line as u32, column: 1, utf16_column: 1 };
            finding.suppressed = Some(Suppression {
                reason: entry.reason.clone(),
                location: Location {
                    path: self.file_name.clone(),
                    span: Span::new(0, 0),
                    start: at,
                    end: at,
                },
            });
        }
    }
}

fn known_selector(rules: &[Rule], sel: &str) -> bool {
    rules.iter().any(|r| selects(&r.meta, sel))
        || Smell::ALL.iter().any(|s| s.to_string() == sel)
        || [Family::Security, Family::Drift, Family::Rollback].iter().any(|f| f.to_string() == sel)
}

/// `path` made absolute against `cwd`, resolving symbolic links when it exists.
fn absolute(cwd: &Path, path: &Path) -> PathBuf {
    let joined = cwd.join(path);
    joined.canonicalize().unwrap_or_else(|_| super::normalise(&joined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::builtin;

    fn rules() -> Vec<Rule> {
        builtin().unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn configure(text: &str) -> Result<Vec<Rule>, Vec<String>> {
        let config = Config::from_text(text, "smelt.toml").map_err(|e| vec![format!("{e:?}")])?;
        config.configure_rules(rules()).map_err(|e| e.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn sets_severity_suppressible_and_options() {
        let text = "[rules.hardcoded-secret]\nseverity = \"low\"\nsuppressible = false\n\n[rules.D102]\noptions = { trusted-owners = [\"acme\"] }\n";
        let rules = configure(text).unwrap_or_else(|e| panic!("{e:?}"));
        let secret = rules.iter().find(|r| r.meta.name == "hardcoded-secret").expect("rule");
        assert_eq!(secret.severity, crate::rules::meta::Severity::Low);
        assert_eq!(secret.meta.severity, crate::rules::meta::Severity::Critical);
        assert!(!secret.suppressible);
        let gha = rules.iter().find(|r| r.meta.name == "gha-action-unpinned").expect("rule");
        assert!(gha.suppressible);
    }

    #[test]
    fn names_unknown_rules_options_and_selectors_with_their_lines() {
        let text = "select = [\"securty\"]\n\n[rules.hardcoded-secrets]\nseverity = \"low\"\n\n[rules.gha-action-unpinned]\noptions = { trusted-owner = [\"acme\"] }\n\n[rules.image-unpinned]\noptions = { trusted-owners = [1] }\n\n[[ignore-paths]]\npaths = [\"legacy\"]\nrules = [\"al\"]\nreason = \"r\"\n";
        let errors = configure(text).expect_err("errors");
        assert_eq!(
            errors,
            [
                "smelt.toml:1: unknown rule, family or smell `securty` in `select` (did you mean `security`?)",
                "smelt.toml:3: unknown rule `hardcoded-secrets` in [rules.hardcoded-secrets] (did you mean `hardcoded-secret`?)",
                "smelt.toml:7: unknown option `trusted-owner` (did you mean `trusted-owners`?) in [rules.gha-action-unpinned]",
                "smelt.toml:10: unknown option `trusted-owners` (the rule has no options) in [rules.image-unpinned]",
                "smelt.toml:12: unknown rule, family or smell `al` in [[ignore-paths]] `rules` (did you mean `all`?)",
            ]
        );
    }

    #[test]
    fn option_values_must_have_the_declared_type() {
        let text = "[rules.gha-action-unpinned]\noptions = { trusted-owners = \"acme\" }\n";
        let errors = configure(text).expect_err("errors");
        assert_eq!(
            errors,
            [
                "smelt.toml:2: option `trusted-owners` must be an array of strings, found a string in [rules.gha-action-unpinned]"
            ]
        );
    }
}
