//! End-to-end tests of `smelt.toml`, `smelt config` and suppression policy (expiry, unsuppressible
//! rules): the binary on temporary repositories.

#[path = "support/cli.rs"]
mod cli;
use cli::{smelt, stderr, stdout};

use std::path::{Path, PathBuf};

/// A temporary repository (with `.git`, so discovery stops there) holding `files`.
fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join(".git")).expect(".git");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

fn json(args: &[&str], cwd: &Path) -> (Option<i32>, serde_json::Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--format", "json"]);
    let out = smelt(&all, cwd);
    let value = serde_json::from_str(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", stdout(&out), stderr(&out)));
    (out.status.code(), value)
}

/// `(name, line, suppression kind or "")` of every finding.
fn findings(json: &serde_json::Value) -> Vec<(String, u64, String)> {
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["suppressed"]["kind"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn codes(json: &serde_json::Value) -> Vec<String> {
    json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["code"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The settings that keep a database clean of every other rule, so tests see one finding.
macro_rules! safe_db {
    () => {
        "  storage_encrypted   = true\n  deletion_protection = true\n  enabled_cloudwatch_logs_exports = [\"postgresql\"]\n"
    };
}

const DB: &str =
    concat!("resource \"aws_db_instance\" \"a\" {\n  skip_final_snapshot = true\n", safe_db!(), "}\n");
const WORKFLOW: &str = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: acme/setup@v1\n      - uses: actions/checkout@v4\n      - uses: docker/login-action@v3\n      - uses: docker/build-push-action@v6\n";

#[test]
fn config_is_found_by_walking_up_and_stops_at_git() {
    let dir = repo(&[("smelt.toml", "ignore = [\"tf-db-skip-final-snapshot\"]\n"), ("infra/prod/db.tf", DB)]);
    let (code, out) = json(&["infra/prod"], dir.path());
    assert_eq!(code, Some(0), "{out}");
    assert!(findings(&out).is_empty());
    // From inside a subfolder too.
    let (code, _) = json(&["."], &dir.path().join("infra"));
    assert_eq!(code, Some(0));

    // A nested repository (its own .git) does not see the outer smelt.toml.
    let inner = dir.path().join("vendor/other");
    std::fs::create_dir_all(inner.join(".git")).expect(".git");
    std::fs::write(inner.join("db.tf"), DB).expect("write");
    let (code, out) = json(&["."], &inner);
    assert_eq!(code, Some(1));
    assert_eq!(findings(&out), [("tf-db-skip-final-snapshot".to_string(), 2, String::new())]);
}

#[test]
fn config_flag_and_no_config() {
    let dir = repo(&[
        ("smelt.toml", "select = [\"security\"]\n"),
        ("ci/strict.toml", "min-severity = \"low\"\nignore = [\"rollback\"]\n"),
        ("db.tf", DB),
    ]);
    assert_eq!(json(&["."], dir.path()).0, Some(0), "smelt.toml selects security only");
    assert_eq!(json(&[".", "--config", "ci/strict.toml"], dir.path()).0, Some(0));
    let (code, out) = json(&[".", "--no-config"], dir.path());
    assert_eq!(code, Some(1));
    assert_eq!(findings(&out).len(), 1);

    let missing = smelt(&["check", ".", "--config", "nope.toml"], dir.path());
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("nope.toml"), "{}", stderr(&missing));
    let both = smelt(&["check", ".", "--config", "ci/strict.toml", "--no-config"], dir.path());
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn command_line_overrides_and_extends_the_file() {
    let dir =
        repo(&[("smelt.toml", "select = [\"security\"]\nmin-severity = \"critical\"\n"), ("db.tf", DB)]);
    assert_eq!(json(&["."], dir.path()).0, Some(0));
    // --select replaces the file's select; --min-severity replaces its min-severity.
    let (code, out) = json(&[".", "--select", "rollback", "--min-severity", "info"], dir.path());
    assert_eq!(code, Some(1), "{out}");
    // --ignore adds to the file's ignore.
    let (code, _) =
        json(&[".", "--select", "rollback", "--min-severity", "info", "--ignore", "R101"], dir.path());
    assert_eq!(code, Some(0));
}

#[test]
fn invalid_config_is_a_usage_error_naming_line_and_nearest_key() {
    let dir = repo(&[
        ("smelt.toml", "select = [\"security\"]\n\n[rules.hardcoded-secret]\nseverty = \"low\"\n"),
        ("db.tf", DB),
    ]);
    let out = smelt(&["check", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        stderr(&out),
        "smelt: error: smelt.toml:4: unknown key `severty` in [rules.hardcoded-secret] (did you mean `severity`?)\n"
    );
    let config = smelt(&["config"], dir.path());
    assert_eq!(config.status.code(), Some(2));

    std::fs::write(dir.path().join("smelt.toml"), "[rules.tf-db-skip-final-snapshots]\nseverity = \"low\"\n")
        .expect("write");
    let out = smelt(&["check", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("smelt.toml:1: unknown rule `tf-db-skip-final-snapshots` in [rules.tf-db-skip-final-snapshots] (did you mean `tf-db-skip-final-snapshot`?)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn severity_override_shows_in_json_and_counts_for_min_severity() {
    let dir =
        repo(&[("smelt.toml", "[rules.tf-db-skip-final-snapshot]\nseverity = \"low\"\n"), ("db.tf", DB)]);
    let (_, out) = json(&["."], dir.path());
    assert_eq!(out["findings"][0]["severity"], "low");
    assert_eq!(out["summary"]["by_severity"]["low"], 1);
    let (code, _) = json(&[".", "--min-severity", "medium"], dir.path());
    assert_eq!(code, Some(0), "the overridden severity is below medium");
}

#[test]
fn path_ignores_suppress_with_their_reason() {
    let dir = repo(&[
        (
            "smelt.toml",
            "[[ignore-paths]]\npaths = [\"legacy\"]\nrules = [\"rollback\"]\nreason = \"frozen; replaced in Q3\"\n",
        ),
        ("legacy/db.tf", DB),
        ("live/db.tf", DB),
    ]);
    let (code, out) = json(&["."], dir.path());
    assert_eq!(code, Some(1));
    let f = &out["findings"];
    assert_eq!(f[0]["path"], "legacy/db.tf");
    assert_eq!(
        f[0]["suppressed"],
        serde_json::json!({ "kind": "config", "reason": "frozen; replaced in Q3", "path": "smelt.toml", "line": 1 })
    );
    assert_eq!(f[1]["path"], "live/db.tf");
    assert!(f[1]["suppressed"].is_null());
    assert_eq!(out["summary"]["suppressed"], 1);

    let sarif = smelt(&["check", ".", "--format", "sarif"], dir.path());
    let sarif: serde_json::Value = serde_json::from_str(&stdout(&sarif)).expect("sarif");
    let result = &sarif["runs"][0]["results"][0];
    assert_eq!(result["suppressions"][0]["kind"], "external");
    assert_eq!(result["suppressions"][0]["justification"], "frozen; replaced in Q3");

    // Run from below the config folder: patterns still start at smelt.toml's folder.
    let (code, out) = json(&["."], &dir.path().join("legacy"));
    assert_eq!(code, Some(0), "{out}");
}

#[test]
fn trusted_owners_option_silences_their_actions() {
    let dir = repo(&[(".github/workflows/ci.yml", WORKFLOW)]);
    let lines = |out: &serde_json::Value| findings(out).into_iter().map(|f| f.1).collect::<Vec<_>>();
    let check = || json(&[".", "--select", "gha-action-unpinned"], dir.path()).1;
    assert_eq!(lines(&check()), [6, 7, 8, 9]);
    std::fs::write(
        dir.path().join("smelt.toml"),
        "[rules.gha-action-unpinned]\noptions = { trusted-owners = [\"acme\"] }\n",
    )
    .expect("write");
    assert_eq!(lines(&check()), [7, 8, 9]);

    // GitHub's own actions, and one action by name.
    std::fs::write(
        dir.path().join("smelt.toml"),
        "[rules.gha-action-unpinned]\noptions = { trusted-owners = [\"actions\"], trusted-actions = [\"docker/login-action\"] }\n",
    )
    .expect("write");
    assert_eq!(lines(&check()), [6, 9]);

    std::fs::write(
        dir.path().join("smelt.toml"),
        "[rules.gha-action-unpinned]\noptions = { trusted-owners = \"acme\" }\n",
    )
    .expect("write");
    let bad = smelt(&["check", "."], dir.path());
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        stderr(&bad)
            .contains("smelt.toml:2: option `trusted-owners` must be an array of strings, found a string"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn expired_suppressions_bring_findings_back() {
    let tf = concat!(
        "resource \"aws_db_instance\" \"old\" {\n  # smelt: ignore[tf-db-skip-final-snapshot] until=2001-01-31 migration window\n  skip_final_snapshot = true\n",
        safe_db!(),
        "}\n\nresource \"aws_db_instance\" \"new\" {\n  # smelt: ignore[tf-db-skip-final-snapshot] until=2999-12-31 rebuilt nightly\n  skip_final_snapshot = true\n",
        safe_db!(),
        "}\n\nresource \"aws_db_instance\" \"bad\" {\n  # smelt: ignore[tf-db-skip-final-snapshot] until=2026-02-30 typo\n  skip_final_snapshot = true\n",
        safe_db!(),
        "}\n"
    );
    let dir = repo(&[("db.tf", tf)]);
    let (code, out) = json(&["."], dir.path());
    assert_eq!(code, Some(1));
    let got = findings(&out);
    assert_eq!(
        got,
        [
            ("tf-db-skip-final-snapshot".to_string(), 3, String::new()),
            ("tf-db-skip-final-snapshot".to_string(), 11, "in-source".to_string()),
            ("tf-db-skip-final-snapshot".to_string(), 19, String::new()),
        ]
    );
    assert_eq!(codes(&out), ["expired-suppression", "invalid-suppression"]);
    let errors = out["errors"].as_array().expect("errors");
    assert_eq!(errors[0]["line"], 2);
    assert!(errors[0]["message"].as_str().unwrap_or("").contains("expired on 2001-01-31"), "{}", errors[0]);
    assert_eq!(errors[1]["line"], 18);
}

#[test]
fn unsuppressible_rules_ignore_suppressions() {
    let tf = concat!(
        "resource \"aws_db_instance\" \"a\" {\n  # smelt: ignore[tf-db-skip-final-snapshot] we really mean it\n  skip_final_snapshot = true\n",
        safe_db!(),
        "}\n"
    );
    let dir = repo(&[("db.tf", tf)]);
    let (code, out) = json(&["."], dir.path());
    assert_eq!(code, Some(0), "suppressed without policy");

    std::fs::write(
        dir.path().join("smelt.toml"),
        "[rules.tf-db-skip-final-snapshot]\nsuppressible = false\n",
    )
    .expect("write");
    let (code, out2) = json(&["."], dir.path());
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(findings(&out2), [("tf-db-skip-final-snapshot".to_string(), 3, String::new())]);
    assert_eq!(codes(&out2), ["suppression-not-allowed"]);
    assert!(out2["errors"][0]["message"].as_str().unwrap_or("").contains("policy forbids suppressing"));
}

#[test]
fn smelt_config_shows_each_setting_and_its_origin() {
    let text = r#"# Company defaults
select = ["security", "rollback"]
min-severity = "low"
rule-dirs = ["policies"]

[rules.hardcoded-secret]
severity = "critical"
suppressible = false

[rules.gha-action-unpinned]
options = { trusted-owners = ["acme", "acme-labs"] }

[[ignore-paths]]
paths = ["legacy/**"]
rules = ["all"]
reason = "frozen, replaced by services/ in Q3"

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
    let dir = repo(&[("smelt.toml", text), ("policies/.keep", "")]);
    let out = smelt(&["config", "--ignore", "suspicious-comment", "--jobs", "2"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let shown = stdout(&out);
    assert!(toml::from_str::<toml::Table>(&shown).is_ok(), "`smelt config` prints valid TOML:\n{shown}");
    snapshot!("config-show", shown);

    let none = smelt(&["config", "--no-config"], dir.path());
    assert_eq!(none.status.code(), Some(0));
    snapshot!("config-show-defaults", stdout(&none));
}

/// `smelt.toml`'s example in docs/configuration.md is valid and complete.
#[test]
fn documented_example_is_valid() {
    let doc =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/configuration.md"))
            .expect("docs/configuration.md");
    let example =
        doc.split("```toml\n").nth(1).and_then(|rest| rest.split("```").next()).expect("a toml example");
    let dir = repo(&[("smelt.toml", example), ("policies/.keep", "")]);
    let out = smelt(&["config"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    for key in ["select", "ignore", "min-severity", "rule-dirs", "max-file-size", "jobs"] {
        assert!(
            example.contains(&format!("\n{key} = ")) || example.starts_with(&format!("{key} = ")),
            "{key}"
        );
    }
    for table in ["[rules.", "[[ignore-paths]]", "[helm]", "[[environments]]", "options = ", "suppressible"] {
        assert!(example.contains(table), "{table}");
    }
}
