//! Comparing one group's environments key by key, and saying which way each difference goes.
//!
//! For a compared version key (module versions, images, charts …), an environment is reported when its
//! value differs from the environment before it in promotion order (the nearest earlier stage; with
//! several environments at that stage, the value most of them have). For a protection, an environment
//! is reported when the protection is off there but on in an environment before it or beside it: a
//! later stage may be stricter than an earlier one, never looser.
//!
//! Values that name their own environment (`db-prod`, `registry/staging/app`) compare equal; a key an
//! environment does not set counts as unset only where its parent is there (the resource, the
//! container) and the files are complete (a values file with its chart's defaults).

use super::facts::{Fact, Facts, Loc, Value, display};
use super::keys::{Keys, Protection};
use super::names::neutral;
use std::collections::BTreeSet;

/// One environment's side of a group.
pub struct Side<'a> {
    pub env: &'a str,
    pub order: i64,
    pub facts: &'a Facts,
    /// Words that name this environment, neutralised in values before comparing.
    pub words: Vec<String>,
}

/// A difference, at the environment that drifted.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    pub at: Loc,
    pub message: String,
    pub related: Vec<(Loc, String)>,
}

/// What one environment has for a key.
enum State<'a> {
    Set(&'a Fact),
    /// Not set, where its parent (at this fact) is.
    Unset(&'a Fact),
}

impl State<'_> {
    fn at(&self) -> &Loc {
        match self {
            State::Set(f) | State::Unset(f) => &f.at,
        }
    }

    fn text(&self) -> Option<&str> {
        match self {
            State::Set(f) => f.value.text(),
            State::Unset(_) => None,
        }
    }

    fn shown(&self) -> String {
        match self {
            State::Set(Fact { value: Value::Scalar(s), .. }) => {
                format!("`{}`", crate::rules::truncate(s, 60))
            }
            State::Set(_) => "set".to_string(),
            State::Unset(_) => "not set".to_string(),
        }
    }
}

/// Every divergence between `sides` (one group, any order).
pub fn compare(sides: &[Side<'_>], keys: &Keys) -> Vec<Divergence> {
    let mut sides: Vec<&Side> = sides.iter().collect();
    sides.sort_by(|a, b| (a.order, a.env).cmp(&(b.order, b.env)));
    let paths: BTreeSet<&Vec<String>> = sides
        .iter()
        .flat_map(|s| s.facts.map.keys())
        .filter(|p| keys.version(p) || keys.protection(p).is_some())
        .collect();
    let mut out: Vec<Divergence> = Vec::new();
    for path in paths {
        let states: Vec<(&Side, State)> =
            sides.iter().filter_map(|s| state(s.facts, path).map(|st| (*s, st))).collect();
        if states.len() < 2 {
            continue;
        }
        let label = states
            .iter()
            .find_map(|(_, st)| match st {
                State::Set(f) => f.label.clone(),
                State::Unset(_) => None,
            })
            .unwrap_or_else(|| display(path));
        let found = match keys.protection(path) {
            Some(p) => protections(&states, p, &label),
            None => versions(&states, &label),
        };
        for d in found {
            if !out.iter().any(|o| o.at == d.at) {
                out.push(d);
            }
        }
    }
    out
}

fn state<'a>(facts: &'a Facts, path: &[String]) -> Option<State<'a>> {
    match facts.map.get(path) {
        Some(f) if f.ambiguous => None,
        Some(f) => Some(State::Set(f)),
        None if facts.complete && path.len() > 1 => facts.map.get(&path[..path.len() - 1]).map(State::Unset),
        None if facts.complete => facts.root.as_ref().map(State::Unset),
        None => None,
    }
}

/// Version keys: each environment against the one before it.
fn versions(states: &[(&Side, State)], label: &str) -> Vec<Divergence> {
    // Only scalars and unset keys are compared; at least one environment must set a value.
    let compared: Vec<(&Side, &State, Option<String>)> = states
        .iter()
        .filter_map(|(side, st)| match st {
            State::Set(Fact { value: Value::Scalar(s), .. }) => {
                Some((*side, st, Some(neutral(s, &side.words))))
            }
            State::Unset(_) => Some((*side, st, None)),
            State::Set(_) => None,
        })
        .collect();
    if compared.len() < 2 || compared.iter().all(|(_, _, v)| v.is_none()) {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, (side, st, value)) in compared.iter().enumerate() {
        let earlier: Vec<_> = compared.iter().filter(|(s, _, _)| s.order < side.order).collect();
        let reference = match earlier.iter().map(|(s, _, _)| s.order).max() {
            Some(nearest) => {
                majority(earlier.iter().filter(|(s, _, _)| s.order == nearest).map(|(_, _, v)| v))
            }
            None => majority(compared.iter().filter(|(s, _, _)| s.order == side.order).map(|(_, _, v)| v)),
        };
        if reference.as_ref() == Some(value) {
            continue;
        }
        let others: Vec<(&str, String, &Loc)> = compared
            .iter()
            .enumerate()
            .rev()
            .filter(|(j, _)| *j != i)
            .map(|(_, (s, st, _))| (s.env, st.shown(), st.at()))
            .collect();
        let shown = st.shown();
        let mut message = format!("{label}: {}", phrase(&[side.env], &shown));
        let groups = by_value(&others);
        if let Some((alike, _)) = groups.iter().find(|(_, v)| *v == shown) {
            message.push_str(&format!(", like {}", list(alike)));
        }
        for (names, value) in groups.iter().filter(|(_, v)| *v != shown) {
            message.push_str(&format!("; {}", phrase(names, value)));
        }
        out.push(divergence(side, st, message, &others));
    }
    out
}

/// Protections: an environment where it is off, when an earlier (or same-stage) one has it on.
fn protections(states: &[(&Side, State)], p: &Protection, label: &str) -> Vec<Divergence> {
    let judged: Vec<(&Side, &State, bool)> = states
        .iter()
        .filter(|(_, st)| !matches!(st, State::Set(Fact { value: Value::Unknown, .. })))
        .map(|(side, st)| (*side, st, p.is_on(st.text())))
        .collect();
    let mut out = Vec::new();
    for (side, st, on) in &judged {
        if *on {
            continue;
        }
        let stricter: Vec<(&str, String, &Loc)> = judged
            .iter()
            .rev()
            .filter(|(s, _, on)| *on && s.order <= side.order && s.env != side.env)
            .map(|(s, st, _)| (s.env, st.shown(), st.at()))
            .collect();
        if stricter.is_empty() {
            continue;
        }
        let names: Vec<&str> = stricter.iter().map(|(n, _, _)| *n).collect();
        let mut values: Vec<String> = Vec::new();
        for (_, v, _) in &stricter {
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
        let verb = if names.len() == 1 { "is" } else { "are" };
        let mut message = format!(
            "{label}: {} is unprotected ({}) where {} {verb} protected ({})",
            side.env,
            st.shown(),
            list(&names),
            values.join(", ")
        );
        if !matches!(p.test, super::keys::Test::Present) {
            message.push_str(&format!("; protected means {}", p.describe()));
        }
        out.push(divergence(side, st, message, &stricter));
    }
    out
}

fn divergence(side: &Side, st: &State, message: String, others: &[(&str, String, &Loc)]) -> Divergence {
    // Environments whose value is written in one place (a chart's defaults) share one location.
    let mut shared: Vec<(&Loc, Vec<&str>, &str)> = Vec::new();
    for (env, shown, at) in others {
        match shared.iter_mut().find(|(l, _, s)| l == at && s == shown) {
            Some((_, names, _)) => names.push(env),
            None => shared.push((at, vec![env], shown)),
        }
    }
    let mut related: Vec<(Loc, String)> = shared
        .into_iter()
        .map(|(at, names, shown)| (at.clone(), format!("{}: {shown}", list(&names))))
        .collect();
    if let State::Set(Fact { used: Some(used), .. }) = st {
        related.insert(0, (used.clone(), format!("{}'s value is used here", side.env)));
    }
    Divergence { at: st.at().clone(), message, related }
}

/// The value most of `values` have; on a tie, the first of them.
fn majority<'v>(values: impl Iterator<Item = &'v Option<String>>) -> Option<Option<String>> {
    let values: Vec<&Option<String>> = values.collect();
    let mut best: Option<(&Option<String>, usize)> = None;
    for v in &values {
        let n = values.iter().filter(|x| x == &v).count();
        if best.is_none_or(|(_, m)| n > m) {
            best = Some((v, n));
        }
    }
    best.map(|(v, _)| v.clone())
}

/// Environments grouped by what they show, in the order given.
fn by_value<'e>(others: &[(&'e str, String, &Loc)]) -> Vec<(Vec<&'e str>, String)> {
    let mut out: Vec<(Vec<&str>, String)> = Vec::new();
    for (env, shown, _) in others {
        match out.iter_mut().find(|(_, s)| s == shown) {
            Some((names, _)) => names.push(env),
            None => out.push((vec![env], shown.clone())),
        }
    }
    out
}

/// `production runs `3.2.0``, `staging and dev run `4.0.1``, `dev does not set it`.
fn phrase(names: &[&str], shown: &str) -> String {
    let one = names.len() == 1;
    match shown {
        "not set" => format!("{} {} not set it", list(names), if one { "does" } else { "do" }),
        "set" => format!("{} {} it", list(names), if one { "sets" } else { "set" }),
        v => format!("{} {} {v}", list(names), if one { "runs" } else { "run" }),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envs::facts::{Origins, read_doc};
    use crate::envs::names::name_words;
    use crate::parse::{Limits, yaml};
    use std::collections::BTreeMap;

    fn facts(text: &str, path: &str) -> Facts {
        let parsed = yaml::parse(text, &Limits::default());
        let mut out = Facts::new(true);
        read_doc(&parsed.docs[0], path, Vec::new(), &Origins::new(), &mut out);
        out
    }

    fn keys() -> Keys {
        let options = BTreeMap::from([
            ("versions".to_string(), toml::Value::Array(vec!["tag".into(), "version".into()])),
            (
                "protections".to_string(),
                toml::Value::Array(vec!["tls.enabled = true".into(), "readinessProbe".into()]),
            ),
            ("ignore".to_string(), toml::Value::Array(vec!["ignored.tag".into()])),
        ]);
        Keys::compile(&options).unwrap_or_else(|e| panic!("{e}"))
    }

    fn run(envs: &[(&str, i64, &str)]) -> Vec<(String, String)> {
        let all: Vec<Facts> = envs.iter().map(|(n, _, t)| facts(t, &format!("{n}.yaml"))).collect();
        let sides: Vec<Side> = envs
            .iter()
            .zip(&all)
            .map(|((n, o, _), f)| Side { env: n, order: *o, facts: f, words: name_words(n, None) })
            .collect();
        compare(&sides, &keys()).into_iter().map(|d| (d.at.path, d.message)).collect()
    }

    #[test]
    fn the_environment_that_drifted_is_reported() {
        let found = run(&[
            ("dev", 0, "image:\n  tag: 4.0.1\n"),
            ("staging", 2, "image:\n  tag: 4.0.1\n"),
            ("production", 3, "image:\n  tag: 3.2.0\n"),
        ]);
        assert_eq!(
            found,
            [(
                "production.yaml".to_string(),
                "image.tag: production runs `3.2.0`; staging and dev run `4.0.1`".to_string()
            )]
        );
    }

    #[test]
    fn a_rollout_in_progress_is_reported_where_it_stopped() {
        let found = run(&[
            ("dev", 0, "image:\n  tag: 2\n"),
            ("staging", 2, "image:\n  tag: 1\n"),
            ("prod", 3, "image:\n  tag: 1\n"),
        ]);
        assert_eq!(
            found,
            [(
                "staging.yaml".to_string(),
                "image.tag: staging runs `1`, like prod; dev runs `2`".to_string()
            )]
        );
    }

    #[test]
    fn names_of_environments_and_ignored_keys_are_not_differences() {
        let found = run(&[
            ("staging", 2, "image:\n  tag: app-staging\nignored:\n  tag: 1\n"),
            ("prod", 3, "image:\n  tag: app-prod\nignored:\n  tag: 2\n"),
        ]);
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn a_later_stage_may_be_stricter_but_not_looser() {
        let stricter = run(&[("dev", 0, "tls:\n  enabled: false\n"), ("prod", 3, "tls:\n  enabled: true\n")]);
        assert!(stricter.is_empty(), "{stricter:?}");
        let looser = run(&[
            ("staging", 2, "tls:\n  enabled: true\nweb:\n  readinessProbe: {path: /}\n"),
            ("prod", 3, "tls:\n  enabled: false\nweb:\n  port: 80\n"),
        ]);
        assert_eq!(
            looser,
            [
                ("prod.yaml".to_string(), "tls.enabled: prod is unprotected (`false`) where staging is protected (`true`); protected means `true`".to_string()),
                ("prod.yaml".to_string(), "web.readinessProbe: prod is unprotected (not set) where staging is protected (set)".to_string()),
            ]
        );
    }

    #[test]
    fn unset_keys_count_only_under_a_parent() {
        let found =
            run(&[("staging", 2, "web:\n  image:\n    tag: 1\n"), ("prod", 3, "web:\n  image: {}\n")]);
        assert_eq!(
            found,
            [("prod.yaml".to_string(), "web.image.tag: prod does not set it; staging runs `1`".to_string())]
        );
        let no_parent = run(&[("staging", 2, "web:\n  image:\n    tag: 1\n"), ("prod", 3, "other: 1\n")]);
        assert!(no_parent.is_empty(), "{no_parent:?}");
    }
}
