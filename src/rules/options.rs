//! Rule options: a rule file declares `[options]` with defaults, conditions use them as test values
//! (`one_of = { option = "trusted-owners" }`), and `smelt.toml` sets them per rule. Options are
//! substituted into the condition tables before they are compiled, so evaluating a rule costs the same
//! with or without them.

use std::collections::BTreeMap;
use toml::Value as Toml;

/// One `[options]` entry of a rule file.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleOption {
    pub name: String,
    pub default: Toml,
    pub description: String,
}

/// The condition tables of a rule as written, kept to compile them again with other option values.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConditionSource {
    pub when: Option<Toml>,
    pub filter: Option<Toml>,
}

impl super::Rule {
    /// Compiles the rule's conditions again with `set` on top of the option defaults.
    pub fn set_options(&mut self, set: &BTreeMap<String, Toml>) -> Result<(), String> {
        let values = values(&self.options, set)?;
        if let super::Check::Environments(_) = self.check {
            self.check = super::Check::Environments(crate::envs::Keys::compile(&values)?);
        }
        let compile = |v: &Toml| {
            substitute(v, &values).and_then(|v| super::load::condition(&v, super::pattern::Compile::Eager))
        };
        if let Some(when) = &self.source.when {
            self.check = super::Check::Condition(super::Compiled::new(compile(when)?));
        }
        if let Some(filter) = &self.source.filter {
            self.filter = Some(compile(filter)?);
        }
        Ok(())
    }
}

/// Reads a rule file's `[options]` table: `name = { default = …, description = "…" }`.
pub fn declared(table: &toml::Table) -> Result<Vec<RuleOption>, String> {
    let mut out = Vec::new();
    for (name, spec) in table {
        let Toml::Table(spec) = spec else {
            return Err(format!(
                "option `{name}` must be a table: `{name} = {{ default = …, description = \"…\" }}`"
            ));
        };
        if let Some(k) = spec.keys().find(|k| !["default", "description"].contains(&k.as_str())) {
            return Err(format!("option `{name}`: unknown key `{k}` (default, description)"));
        }
        let Some(default) = spec.get("default") else {
            return Err(format!("option `{name}` needs a `default`"));
        };
        if matches!(default, Toml::Table(_) | Toml::Datetime(_)) {
            return Err(format!("option `{name}`: a default is a string, number, boolean or array of them"));
        }
        let description = match spec.get("description") {
            Some(Toml::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
            _ => return Err(format!("option `{name}` needs a `description` saying what it changes")),
        };
        out.push(RuleOption { name: name.clone(), default: default.clone(), description });
    }
    Ok(out)
}

/// The option values of a run: the defaults, with `set` on top. A value must have its default's type
/// (an array's items, that of the default's items).
pub fn values(
    declared: &[RuleOption],
    set: &BTreeMap<String, Toml>,
) -> Result<BTreeMap<String, Toml>, String> {
    let mut out: BTreeMap<String, Toml> =
        declared.iter().map(|o| (o.name.clone(), o.default.clone())).collect();
    for (name, value) in set {
        let Some(decl) = declared.iter().find(|o| o.name == *name) else {
            let names: Vec<&str> = declared.iter().map(|o| o.name.as_str()).collect();
            let hint = if names.is_empty() {
                " (the rule has no options)".to_string()
            } else {
                crate::config::suggest(name, &names)
            };
            return Err(format!("unknown option `{name}`{hint}"));
        };
        check_type(&decl.default, value)
            .map_err(|want| format!("option `{name}` must be {want}, found {}", type_name(value)))?;
        out.insert(name.clone(), value.clone());
    }
    Ok(out)
}

fn check_type(default: &Toml, value: &Toml) -> Result<(), String> {
    let ok = match (default, value) {
        (Toml::Array(d), Toml::Array(v)) => match d.first() {
            Some(first) => v.iter().all(|x| same_type(first, x)),
            // An empty default list is a list of strings (names, owners, registries).
            None => v.iter().all(|x| matches!(x, Toml::String(_))),
        },
        (d, v) => same_type(d, v),
    };
    if ok {
        return Ok(());
    }
    Err(match default {
        Toml::Array(d) => match d.first() {
            Some(first) => format!(
                "an array of {}s",
                type_name(first).trim_start_matches("a ").trim_start_matches("an ")
            ),
            None => "an array of strings".to_string(),
        },
        d => type_name(d).to_string(),
    })
}

fn same_type(a: &Toml, b: &Toml) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
        || matches!((a, b), (Toml::Float(_), Toml::Integer(_)))
}

fn type_name(v: &Toml) -> &'static str {
    match v {
        Toml::String(_) => "a string",
        Toml::Integer(_) => "an integer",
        Toml::Float(_) => "a number",
        Toml::Boolean(_) => "a boolean",
        Toml::Datetime(_) => "a date",
        Toml::Array(_) => "an array",
        Toml::Table(_) => "a table",
    }
}

/// Whether a condition holds an `{ option = … }` table anywhere, that is, whether [`substitute`] would
/// change it (or report an error).
pub fn mentions_option(v: &Toml) -> bool {
    match v {
        Toml::Table(t) if t.len() == 1 && t.contains_key("option") => true,
        Toml::Table(t) => t.values().any(mentions_option),
        Toml::Array(items) => items.iter().any(mentions_option),
        _ => false,
    }
}

/// Replaces every `{ option = "name" }` table in a condition with the option's value.
pub fn substitute(v: &Toml, values: &BTreeMap<String, Toml>) -> Result<Toml, String> {
    Ok(match v {
        Toml::Table(t) if t.len() == 1 && t.contains_key("option") => {
            let Some(Toml::String(name)) = t.get("option") else {
                return Err("`option` takes the name of an option declared in `[options]`".to_string());
            };
            match values.get(name) {
                Some(value) => value.clone(),
                None => {
                    let names: Vec<&str> = values.keys().map(String::as_str).collect();
                    let hint = if names.is_empty() {
                        " (the rule declares no `[options]`)".to_string()
                    } else {
                        crate::config::suggest(name, &names)
                    };
                    return Err(format!("unknown option `{name}`{hint}"));
                }
            }
        }
        Toml::Table(t) => Toml::Table(
            t.iter().map(|(k, v)| Ok((k.clone(), substitute(v, values)?))).collect::<Result<_, String>>()?,
        ),
        Toml::Array(items) => {
            Toml::Array(items.iter().map(|i| substitute(i, values)).collect::<Result<_, _>>()?)
        }
        other => other.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl() -> Vec<RuleOption> {
        let t: toml::Table = toml::from_str(
            "owners = { default = [], description = \"d\" }\nlimit = { default = 3, description = \"d\" }",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        declared(&t).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn values_are_typed_by_their_defaults() {
        let set = |k: &str, v: Toml| BTreeMap::from([(k.to_string(), v)]);
        let owners = Toml::Array(vec![Toml::String("acme".into())]);
        let ok = values(&decl(), &set("owners", owners.clone())).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(ok["owners"], owners);
        assert_eq!(ok["limit"], Toml::Integer(3));
        assert_eq!(
            values(&decl(), &set("limit", Toml::String("x".into()))),
            Err("option `limit` must be an integer, found a string".to_string())
        );
        assert_eq!(
            values(&decl(), &set("owner", Toml::Array(vec![]))),
            Err("unknown option `owner` (did you mean `owners`?)".to_string())
        );
    }

    /// `gha-action-unpinned` with `trusted-owners`: the owner's actions pass, others still fire.
    #[test]
    fn trusted_owners_silence_their_actions() {
        use crate::discover::Input;
        use crate::engine::{CheckOptions, check};
        let workflow = "on: push\njobs:\n  b:\n    runs-on: x\n    steps:\n      - uses: acme/setup@v1\n      - uses: actions/checkout@v4\n      - uses: ./local\n";
        let run = |owners: Option<&[&str]>| {
            let mut rules = crate::rules::registry::builtin().unwrap_or_else(|e| panic!("{e:?}"));
            rules.retain(|r| r.meta.name == "gha-action-unpinned");
            if let Some(owners) = owners {
                let list = Toml::Array(owners.iter().map(|o| Toml::String(o.to_string())).collect());
                let set = BTreeMap::from([("trusted-owners".to_string(), list)]);
                rules[0].set_options(&set).unwrap_or_else(|e| panic!("{e}"));
            }
            let set = crate::rules::registry::select(rules, &[], &[], crate::rules::meta::Severity::Info)
                .unwrap_or_else(|e| panic!("{e}"));
            let inputs = vec![Input::from_memory(".github/workflows/ci.yml", workflow.as_bytes().to_vec())];
            check(inputs, &set, &CheckOptions::default())
                .findings
                .iter()
                .map(|f| f.location.start.line)
                .collect::<Vec<_>>()
        };
        assert_eq!(run(None), [6, 7]);
        assert_eq!(run(Some(&["acme"])), [7]);
        assert_eq!(run(Some(&["acme", "actions"])), Vec::<u32>::new());
        assert_eq!(run(Some(&["acm"])), [6, 7], "owners compare exactly");
    }

    #[test]
    fn rule_files_declare_options_and_reject_unknown_ones() {
        let rule = |options: &str, cond: &str| {
            let text = format!(
                "code = \"X1\"\nname = \"x-rule\"\nfamily = \"drift\"\nsmell = \"unpinned-version\"\nseverity = \"low\"\nprecision = \"high\"\nsummary = \"s\"\nmessage = \"m\"\nhelp = \"h\"\ndocs = \"d\"\n{options}\n[scope]\nkinds = [\"kubernetes\"]\n\n[when]\n{cond}\n\n[[examples.bad]]\npath = \"a.yaml\"\ncode = 'x'\n[[examples.good]]\npath = \"a.yaml\"\ncode = 'x'\n"
            );
            crate::rules::load_rule("x-rule.toml", &text).map(|r| r.options).map_err(|e| e.to_string())
        };
        let ok = rule(
            "[options]\nregistries = { default = [\"ghcr.io\"], description = \"Allowed registries\" }\n",
            "path = 'image'\ncapture = '^([^/]+)/'\none_of = { option = 'registries' }",
        );
        assert_eq!(ok.map(|o| o.len()), Ok(1));
        let unknown = rule("", "path = 'image'\none_of = { option = 'registries' }");
        assert_eq!(
            unknown,
            Err("x-rule.toml:15: unknown option `registries` (the rule declares no `[options]`)".to_string())
        );
        let no_description =
            rule("[options]\nregistries = { default = [] }\n", "path = 'image'\nexists = true");
        assert!(no_description.is_err_and(|e| e.contains("needs a `description`")));
        let no_group = rule("", "path = 'image'\ncapture = '^x'\nequals = 'x'");
        assert!(no_group.is_err_and(|e| e.contains("needs a group")), "capture without a group");
    }

    #[test]
    fn substitutes_option_tables() {
        let cond: Toml = toml::from_str("not = { path = 'a', one_of = { option = 'owners' } }")
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(mentions_option(&cond));
        let plain: Toml =
            toml::from_str("any = [{ path = 'a', one_of = ['option'] }, { path = 'option', exists = true }]")
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(!mentions_option(&plain));
        let values = BTreeMap::from([("owners".to_string(), Toml::Array(vec![Toml::String("x".into())]))]);
        let out = substitute(&cond, &values).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.to_string(), "{ not = { one_of = [\"x\"], path = \"a\" } }");
        let missing = substitute(&cond, &BTreeMap::new());
        assert_eq!(missing, Err("unknown option `owners` (the rule declares no `[options]`)".to_string()));
    }
}
