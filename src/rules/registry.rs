//! The built-in rules (embedded from `rules/` at build time), user rule folders, and selection.

use super::load::load_rule_with;
use super::meta::Severity;
use super::pattern::Compile;
use super::{LoadError, Rule};
use include_dir::{Dir, include_dir};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

static BUILTIN: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/rules");

/// Every built-in rule, sorted by code. Their regexes compile on first use (see [`super::pattern`]).
pub fn builtin() -> Result<Vec<Rule>, Vec<LoadError>> {
    let mut files = Vec::new();
    collect_embedded(&BUILTIN, &mut files);
    load_all(files.into_iter().map(|(p, t)| (format!("rules/{p}"), t.to_string())), Compile::Lazy)
}

fn collect_embedded(dir: &'static Dir<'static>, out: &mut Vec<(String, &'static str)>) {
    for f in dir.files() {
        let path = f.path().to_string_lossy().replace('\\', "/");
        if path.ends_with(".toml")
            && let Some(text) = f.contents_utf8()
        {
            out.push((path, text));
        }
    }
    dir.dirs().for_each(|d| collect_embedded(d, out));
}

/// Every `*.toml` rule file under `dir`, recursively.
pub fn load_dir(dir: &Path) -> Result<Vec<Rule>, Vec<LoadError>> {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for entry in ignore::WalkBuilder::new(dir).hidden(false).build() {
        match entry {
            Ok(e) if e.path().extension().is_some_and(|x| x == "toml") && e.path().is_file() => {
                let origin = crate::discover::display_path(e.path());
                match std::fs::read_to_string(e.path()) {
                    Ok(text) => files.push((origin, text)),
                    Err(err) => errors.push(LoadError { origin, line: 1, message: err.to_string() }),
                }
            }
            Ok(_) => {}
            Err(err) => errors.push(LoadError {
                origin: dir.display().to_string(),
                line: 1,
                message: err.to_string(),
            }),
        }
    }
    if !dir.is_dir() {
        errors.push(LoadError {
            origin: dir.display().to_string(),
            line: 1,
            message: "not a directory".into(),
        });
    }
    match (load_all(files.into_iter(), Compile::Eager), errors.is_empty()) {
        (Ok(rules), true) => Ok(rules),
        (Ok(_), false) => Err(errors),
        (Err(mut more), _) => {
            errors.append(&mut more);
            Err(errors)
        }
    }
}

fn load_all(
    files: impl Iterator<Item = (String, String)>,
    when: Compile,
) -> Result<Vec<Rule>, Vec<LoadError>> {
    // Parsing the rule files' TOML is most of start-up, and the files are independent: on a run
    // of a few hundred files, start-up is a third of the wall time.
    let files: Vec<(String, String)> = files.collect();
    let loaded: Vec<Result<Rule, LoadError>> =
        files.par_iter().map(|(origin, text)| load_rule_with(origin, text, when)).collect();
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    for result in loaded {
        match result {
            Ok(r) => rules.push(r),
            Err(e) => errors.push(e),
        }
    }
    errors.extend(duplicates(&rules));
    if errors.is_empty() {
        rules.sort_by(|a, b| a.meta.code.cmp(&b.meta.code));
        Ok(rules)
    } else {
        errors.sort_by(|a, b| (&a.origin, a.line).cmp(&(&b.origin, b.line)));
        Err(errors)
    }
}

fn duplicates(rules: &[Rule]) -> Vec<LoadError> {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    let mut errors = Vec::new();
    for r in rules {
        for id in [r.meta.code.as_str(), r.meta.name.as_str()] {
            if let Some(first) = seen.insert(id, &r.meta.origin) {
                errors.push(LoadError {
                    origin: r.meta.origin.clone(),
                    line: 1,
                    message: format!("`{id}` is already used by {first}"),
                });
            }
        }
    }
    errors
}

/// Merges built-in and user rules, checking that names and codes stay unique.
pub fn combine(mut builtin: Vec<Rule>, user: Vec<Rule>) -> Result<Vec<Rule>, Vec<LoadError>> {
    builtin.extend(user);
    let errors = duplicates(&builtin);
    if !errors.is_empty() {
        return Err(errors);
    }
    builtin.sort_by(|a, b| a.meta.code.cmp(&b.meta.code));
    Ok(builtin)
}

/// The rules a run uses.
#[derive(Debug, Default)]
pub struct RuleSet {
    pub rules: Vec<Arc<Rule>>,
    /// Names and codes of every loaded rule, enabled or not (suppressions may name disabled rules).
    pub known: Vec<String>,
    /// `rules` by what they select, built on first use (see [`RuleSet::router`]): change `rules`
    /// before a set's first check, or build a new set, never after.
    router: std::sync::OnceLock<super::dispatch::Router>,
}

impl RuleSet {
    pub fn new(rules: Vec<Arc<Rule>>, known: Vec<String>) -> RuleSet {
        RuleSet { rules, known, router: Default::default() }
    }

    /// Which of `rules` can match a file, by the keys it holds.
    pub fn router(&self) -> &super::dispatch::Router {
        self.router.get_or_init(|| super::dispatch::Router::new(&self.rules))
    }
}

/// Picks rules by `--select`/`--ignore` selectors (rule name, code, family or smell; `all`) and by
/// minimum severity. An unknown selector is an error that suggests the nearest one.
pub fn select(
    rules: Vec<Rule>,
    select: &[String],
    ignore: &[String],
    min_severity: Severity,
) -> Result<RuleSet, String> {
    let matches = |r: &Rule, sel: &str| selects(&r.meta, sel);
    for sel in select.iter().chain(ignore) {
        let known = rules.iter().any(|r| matches(r, sel))
            || super::meta::Smell::ALL.iter().any(|s| s.to_string() == *sel)
            || ["security", "drift", "rollback"].contains(&sel.as_str());
        if !known {
            let nearest =
                rules.iter().map(|r| r.meta.name.as_str()).min_by_key(|n| distance(sel, n)).unwrap_or("all");
            return Err(format!("unknown rule, family or smell `{sel}` (did you mean `{nearest}`?)"));
        }
    }
    let mut known: Vec<String> =
        rules.iter().flat_map(|r| [r.meta.name.clone(), r.meta.code.clone()]).collect();
    known.sort();
    let rules = rules
        .into_iter()
        .filter(|r| select.is_empty() || select.iter().any(|s| matches(r, s)))
        .filter(|r| !ignore.iter().any(|s| matches(r, s)))
        .filter(|r| r.severity >= min_severity)
        .map(Arc::new)
        .collect();
    Ok(RuleSet::new(rules, known))
}

/// Whether a selector (`all`, a rule name or code, a family or a smell) picks the rule.
pub fn selects(meta: &super::meta::RuleMeta, sel: &str) -> bool {
    sel == "all"
        || sel == meta.name
        || sel.eq_ignore_ascii_case(&meta.code)
        || sel == meta.family.to_string()
        || sel == meta.smell.to_string()
}

fn distance(a: &str, b: &str) -> usize {
    // Cheap similarity: shared prefix and length difference are enough to suggest a rule name.
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    a.len().max(b.len()) - common
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built-in rules compile their regexes on first use, so this is where a bad one is caught.
    #[test]
    fn builtin_rules_load_and_every_regex_compiles() {
        let rules = builtin().unwrap_or_else(|errs| panic!("built-in rules must load: {errs:#?}"));
        let broken: Vec<String> = rules
            .iter()
            .filter_map(|r| r.compile_patterns().err().map(|m| format!("{}: {m}", r.meta.origin)))
            .collect();
        assert!(broken.is_empty(), "{broken:#?}");
    }

    #[test]
    fn user_rules_report_a_bad_regex_at_load() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let rule = "code = \"X1\"\nname = \"bad-regex\"\nfamily = \"drift\"\nsmell = \"unpinned-version\"\nseverity = \"low\"\nprecision = \"high\"\nsummary = \"s\"\nmessage = \"m\"\nhelp = \"h\"\ndocs = \"d\"\n\n[scope]\nkinds = [\"kubernetes\"]\n\n[when]\npath = 'image'\nmatches = ':(latest'\n\n[[examples.bad]]\npath = \"a.yaml\"\ncode = 'x'\n[[examples.good]]\npath = \"a.yaml\"\ncode = 'x'\n";
        std::fs::write(dir.path().join("bad-regex.toml"), rule).unwrap_or_else(|e| panic!("{e}"));
        let errors = load_dir(dir.path()).err().unwrap_or_default();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].origin.ends_with("bad-regex.toml"), "{errors:?}");
        assert_eq!(errors[0].line, 15, "the `[when]` table");
        assert!(errors[0].message.starts_with("`matches`: invalid regex: "), "{errors:?}");
        assert!(errors[0].message.contains("unclosed group"), "{errors:?}");
    }
}
