//! Every key of `smelt.toml`, and every error with its line and suggestion.

use super::*;

fn ok(text: &str) -> Config {
    parse(text, "smelt.toml").unwrap_or_else(|e| panic!("{e:?}"))
}

fn errors(text: &str) -> Vec<String> {
    match parse(text, "smelt.toml") {
        Ok(_) => panic!("expected errors for:\n{text}"),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

const FULL: &str = r#"select = ["security", "drift"]
ignore = ["suspicious-comment"]
min-severity = "low"
rule-dirs = ["policies/"]
max-file-size = 1048576
jobs = 4

[rules.hardcoded-secret]
severity = "critical"
suppressible = false

[rules.gha-action-unpinned]
options = { trusted-owners = ["acme"] }

[[ignore-paths]]
paths = ["legacy/**", "vendor"]
rules = ["all"]
reason = "frozen code, replaced in Q3"

[helm]
values = { "charts/web" = ["values.yaml", "values-prod.yaml"] }

[[environments]]
name = "staging"
order = 1
paths = ["envs/staging/**"]

[[environments]]
name = "prod"
order = 2
paths = ["envs/prod/**"]
"#;

#[test]
fn reads_every_key() {
    let c = ok(FULL);
    assert_eq!(c.select, Sourced { value: vec!["security".into(), "drift".into()], origin: Origin::File(1) });
    assert_eq!(c.ignore.value, ["suspicious-comment"]);
    assert_eq!(c.min_severity, Sourced { value: Severity::Low, origin: Origin::File(3) });
    assert_eq!(c.rule_dirs.value, [PathBuf::from("policies/")]);
    assert_eq!(c.max_file_size, Sourced { value: 1_048_576, origin: Origin::File(5) });
    assert_eq!(c.jobs, Sourced { value: 4, origin: Origin::File(6) });
    assert_eq!(
        c.rules[0],
        RuleSettings {
            name: "hardcoded-secret".into(),
            line: 8,
            severity: Some((Severity::Critical, 9)),
            suppressible: Some((false, 10)),
            options: Vec::new(),
        }
    );
    assert_eq!(c.rules[1].name, "gha-action-unpinned");
    assert_eq!(c.rules[1].options[0].name, "trusted-owners");
    assert_eq!(c.rules[1].options[0].value, toml::Value::Array(vec![toml::Value::String("acme".into())]));
    assert_eq!(c.rules[1].options[0].line, 13);
    let ignore = &c.ignore_paths[0];
    assert_eq!(
        (ignore.rules.as_slice(), ignore.reason.as_str(), ignore.line),
        (&["all".to_string()][..], "frozen code, replaced in Q3", 15)
    );
    assert!(ignore.globs.is_match("legacy/a/b.tf"));
    assert!(ignore.globs.is_match("vendor/x/main.tf"));
    assert!(!ignore.globs.is_match("src/legacy/a.tf"));
    assert_eq!(
        c.helm_values,
        [HelmValues {
            chart: "charts/web".into(),
            files: vec!["values.yaml".into(), "values-prod.yaml".into()],
            line: 21
        }]
    );
    let envs: Vec<(&str, i64, usize)> =
        c.environments.iter().map(|e| (e.name.as_str(), e.order, e.line)).collect();
    assert_eq!(envs, [("staging", 1, 23), ("prod", 2, 28)]);
    assert!(c.environments[1].globs.is_match("envs/prod/main.tf"));
}

#[test]
fn empty_file_is_the_defaults() {
    let c = ok("# nothing yet\n");
    assert_eq!(c.select.origin, Origin::Default);
    assert_eq!(c.max_file_size.value, super::super::DEFAULT_MAX_FILE_SIZE);
    assert_eq!(c.jobs.value, 0);
}

#[test]
fn unknown_keys_name_the_line_and_the_nearest_key() {
    assert_eq!(
        errors("select = []\n\n[rules.hardcoded-secret]\nseverty = \"low\"\n"),
        ["smelt.toml:4: unknown key `severty` in [rules.hardcoded-secret] (did you mean `severity`?)"]
    );
    assert_eq!(
        errors("min_severity = \"low\"\n"),
        ["smelt.toml:1: unknown key `min_severity` at the top level (did you mean `min-severity`?)"]
    );
    assert_eq!(
        errors("[[ignore-paths]]\npath = [\"a\"]\nrules = [\"all\"]\nreason = \"r\"\n"),
        [
            "smelt.toml:1: [[ignore-paths]] needs `paths`",
            "smelt.toml:2: unknown key `path` in [[ignore-paths]] (did you mean `paths`?)",
        ]
    );
    assert_eq!(
        errors("[helm]\nvalue = {}\n"),
        ["smelt.toml:2: unknown key `value` in [helm] (did you mean `values`?)"]
    );
    assert_eq!(
        errors("[[environments]]\nname = \"prod\"\norder = 1\npaths = [\"p\"]\nprod = true\n"),
        ["smelt.toml:5: unknown key `prod` in [[environments]] (expected one of: name, order, paths)"]
    );
    assert_eq!(
        errors("colour = true\n"),
        [
            "smelt.toml:1: unknown key `colour` at the top level (expected one of: select, ignore, min-severity, rule-dirs, max-file-size, jobs, rules, ignore-paths, helm, environments)"
        ]
    );
}

#[test]
fn bad_values_name_the_line() {
    let cases: &[(&str, &str)] = &[
        (
            "select = \"security\"\n",
            "smelt.toml:1: `select` must be an array of strings, found `\"security\"`",
        ),
        ("ignore = [\"a\", 1]\n", "smelt.toml:1: `ignore` must be an array of strings, found an array"),
        (
            "\nmin-severity = \"hihg\"\n",
            "smelt.toml:2: `min-severity` must be one of info, low, medium, high, critical; found `hihg` (did you mean `high`?)",
        ),
        ("max-file-size = 0\n", "smelt.toml:1: `max-file-size` must be a number of bytes above 0, found `0`"),
        ("jobs = -1\n", "smelt.toml:1: `jobs` must be a number of threads (0: one per core), found `-1`"),
        (
            "jobs = \"4\"\n",
            "smelt.toml:1: `jobs` must be a number of threads (0: one per core), found `\"4\"`",
        ),
        (
            "rules = [\"policies/\"]\n",
            "smelt.toml:1: `rules` holds one `[rules.<name>]` table per rule; list extra rule folders in `rule-dirs`",
        ),
        ("[rules]\nx = 1\n", "smelt.toml:2: `rules.x` must be a table (`[rules.x]`)"),
        (
            "[rules.x]\nseverity = 3\n",
            "smelt.toml:2: `severity` must be one of info, low, medium, high, critical; found an integer",
        ),
        (
            "[rules.x]\nsuppressible = \"no\"\n",
            "smelt.toml:2: `suppressible` must be true or false, found `\"no\"`",
        ),
        (
            "[rules.x]\noptions = [1]\n",
            "smelt.toml:2: `options` must be a table (`options = { name = value }`), found an array",
        ),
        (
            "[[ignore-paths]]\npaths = [\"a\"]\nrules = [\"all\"]\n",
            "smelt.toml:1: [[ignore-paths]] needs a `reason`: say why these findings are acceptable",
        ),
        (
            "[[ignore-paths]]\npaths = [\"a\"]\nrules = [\"all\"]\nreason = \" \"\n",
            "smelt.toml:4: `reason` must say why these findings are acceptable",
        ),
        (
            "[[ignore-paths]]\npaths = []\nrules = [\"all\"]\nreason = \"r\"\n",
            "smelt.toml:2: `paths` must list at least one entry",
        ),
        (
            "[[ignore-paths]]\npaths = [\"a/[b\"]\nrules = [\"all\"]\nreason = \"r\"\n",
            "smelt.toml:2: invalid path pattern `a/[b`: unclosed character class; missing ']'",
        ),
        (
            "[[ignore-paths]]\npaths = [\"/abs\"]\nrules = [\"all\"]\nreason = \"r\"\n",
            "smelt.toml:2: path pattern `/abs` must be relative to the configuration file",
        ),
        (
            "ignore-paths = { paths = [] }\n",
            "smelt.toml:1: `ignore-paths` must be a list of [[ignore-paths]] tables, found a table",
        ),
        ("helm = 1\n", "smelt.toml:1: `helm` must be a table, found an integer"),
        (
            "[helm]\nvalues = [\"x\"]\n",
            "smelt.toml:2: `helm.values` maps chart folders to values files (`{ \"charts/web\" = [\"values-prod.yaml\"] }`), found an array",
        ),
        ("[helm.values]\n\"charts/web\" = []\n", "smelt.toml:2: `charts/web`: list at least one values file"),
        (
            "[helm.values]\n\"/charts/web\" = [\"v.yaml\"]\n",
            "smelt.toml:2: chart folder `/charts/web` must be relative to the configuration file",
        ),
        ("[[environments]]\norder = 1\npaths = [\"p\"]\n", "smelt.toml:1: [[environments]] needs a `name`"),
        (
            "[[environments]]\nname = \"prod\"\npaths = [\"p\"]\n",
            "smelt.toml:1: environment `prod` needs an `order` (its place in the promotion order)",
        ),
        (
            "[[environments]]\nname = \"prod\"\norder = \"last\"\npaths = [\"p\"]\n",
            "smelt.toml:3: `order` must be a whole number from 0 (first promoted), found `\"last\"`",
        ),
        (
            "[[environments]]\nname = \"prod\"\norder = 1\npaths = [\"p\"]\n[[environments]]\nname = \"prod\"\norder = 2\npaths = [\"q\"]\n",
            "smelt.toml:6: environment `prod` is already declared on line 1",
        ),
        ("[[environments]]\nname = \"prod\"\norder = 1\n", "smelt.toml:1: [[environments]] needs `paths`"),
        ("select = [\n", "smelt.toml:2: invalid array\nexpected `]`"),
    ];
    for (text, want) in cases {
        assert_eq!(errors(text), [want.to_string()], "for:\n{text}");
    }
}

#[test]
fn every_error_is_reported_in_line_order() {
    let got = errors("jobs = -1\n[rules.x]\nseverty = \"low\"\n[helm]\nvalue = 1\n");
    let lines: Vec<&str> = got.iter().map(|e| e.split(':').nth(1).unwrap_or("")).collect();
    assert_eq!(lines, ["1", "3", "5"]);
}
