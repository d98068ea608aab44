//! End-to-end tests of the `smelt` binary: exit codes, every output format over the example
//! repository (snapshots in `snapshots/`), determinism, and robustness against bad files.

#[path = "support/cli.rs"]
mod cli;
use cli::{assert_matches_documented_schema, root, smelt, stderr, stdout};

#[path = "support/sarif_schema.rs"]
mod sarif_schema;

use std::process::{Command, Output, Stdio};

fn example(format: &str) -> Output {
    smelt(&["check", "fixtures/example", "--format", format, "--color", "never"], &root())
}

#[test]
fn example_human_output() {
    let out = example("human");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    snapshot!("example-human", stdout(&out));
}

#[test]
fn example_json_output() {
    let out = example("json");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(json["version"], 1);
    assert_matches_documented_schema(&json);
    snapshot!("example-json", text);
}

#[test]
fn example_sarif_output_validates() {
    let out = example("sarif");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let sarif: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    if let Err(errors) = sarif_schema::validate_sarif(&sarif) {
        panic!("SARIF does not validate:\n{}", errors.join("\n"));
    }
    snapshot!("example-sarif", text);
}

/// Each of the seven sins (and one drift and one rollback rule) fires on the line written for it.
#[test]
fn example_shows_every_sin_on_its_line() {
    let out = example("json");
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
    let found: Vec<(String, String, u64)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| {
            (
                f["smell"].as_str().unwrap_or("").to_string(),
                f["path"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let expected = [
        ("hardcoded-secret", "fixtures/example/infra/prod/providers.tf", 13),
        ("hardcoded-secret", "fixtures/example/infra/prod/database.tf", 8),
        ("empty-password", "fixtures/example/infra/prod/prod.tfvars", 2),
        ("admin-by-default", "fixtures/example/infra/prod/database.tf", 7),
        ("unrestricted-network", "fixtures/example/infra/prod/network.tf", 12),
        ("suspicious-comment", "fixtures/example/infra/prod/network.tf", 6),
        ("plaintext-transport", "fixtures/example/infra/prod/network.tf", 38),
        ("weak-crypto", "fixtures/example/infra/prod/network.tf", 50),
        ("unpinned-version", "fixtures/example/k8s/api.yaml", 18),
        ("unpinned-version", "fixtures/example/.github/workflows/deploy.yml", 23),
        ("unprotected-stateful-resource", "fixtures/example/infra/prod/database.tf", 9),
    ];
    for (smell, path, line) in expected {
        assert!(
            found.iter().any(|(s, p, l)| s == smell && p == path && *l == line),
            "no {smell} finding at {path}:{line}; found {found:#?}"
        );
    }
}

#[test]
fn output_is_identical_across_job_counts() {
    let run = |jobs: &str| {
        let out = smelt(&["check", "fixtures", "--format", "json", "--jobs", jobs], &root());
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        out.stdout
    };
    let one = run("1");
    assert_eq!(one, run("2"));
    assert_eq!(one, run("2"));
}

#[test]
fn exit_codes() {
    let clean = smelt(&["check", "fixtures/clean"], &root());
    assert_eq!(clean.status.code(), Some(0), "{}{}", stdout(&clean), stderr(&clean));
    assert!(stdout(&clean).contains("No findings"));

    assert_eq!(smelt(&["check", "fixtures/example"], &root()).status.code(), Some(1));

    let missing = smelt(&["check", "no/such/dir"], &root());
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("no/such/dir"), "{}", stderr(&missing));

    let bad_select = smelt(&["check", "fixtures/clean", "--select", "hardcoded-secrets"], &root());
    assert_eq!(bad_select.status.code(), Some(2));
    assert!(stderr(&bad_select).contains("did you mean `hardcoded-secret`"), "{}", stderr(&bad_select));

    assert_eq!(smelt(&["check", "--format", "xml"], &root()).status.code(), Some(2));
    assert_eq!(smelt(&["check", "--no-such-flag"], &root()).status.code(), Some(2));
    assert_eq!(smelt(&["--help"], &root()).status.code(), Some(0));
}

#[test]
fn min_severity_and_selection_filter_findings() {
    let count = |args: &[&str]| {
        let mut all = vec!["check", "fixtures/example", "--format", "json"];
        all.extend_from_slice(args);
        let out = smelt(&all, &root());
        let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("valid JSON");
        json["findings"]
            .as_array()
            .map(|a| a.iter().filter(|f| f["suppressed"].is_null()).count())
            .unwrap_or(0)
    };
    let all = count(&[]);
    let critical = count(&["--min-severity", "critical"]);
    let drift = count(&["--select", "drift"]);
    let no_secrets = count(&["--ignore", "hardcoded-secret,S102"]);
    assert!(critical > 0 && critical < all, "{critical} of {all}");
    assert!(drift > 0 && drift < all);
    assert!(no_secrets < all);
    assert_eq!(count(&["--select", "unpinned-version", "--ignore", "drift"]), 0);
}

#[test]
fn sarif_to_a_file_and_human_to_stdout_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("out.sarif");
    let arg = format!("sarif={}", sarif.display());
    let out = smelt(
        &["check", "fixtures/example", "--format", "human", "--format", &arg, "--color", "never"],
        &root(),
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("hardcoded-secret"));
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).expect("sarif written")).expect("json");
    assert_eq!(written["version"], "2.1.0");
    let two_stdout = smelt(&["check", "fixtures/example", "--format", "json", "--format", "sarif"], &root());
    assert_eq!(two_stdout.status.code(), Some(2));
}

#[test]
fn stdin_with_a_file_name() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smelt"))
        .args(["check", "-", "--stdin-filename", "infra/db.tf", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"resource \"aws_db_instance\" \"x\" {\n  skip_final_snapshot = true\n}\n")
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let findings = json["findings"].as_array().expect("findings");
    let skip = findings.iter().find(|f| f["name"] == "tf-db-skip-final-snapshot").expect("finding");
    assert_eq!(skip["path"], "infra/db.tf");
    assert_eq!(skip["line"], 2);

    let no_name = smelt(&["check", "-"], &root());
    assert_eq!(no_name.status.code(), Some(2));
}

#[test]
fn rules_and_explain() {
    let out = smelt(&["rules", "--format", "json"], &root());
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let rules = json["rules"].as_array().expect("rules");
    assert!(rules.len() >= 13);
    for family in ["security", "drift", "rollback"] {
        assert!(rules.iter().any(|r| r["family"] == family), "no {family} rule");
    }
    let table = smelt(&["rules"], &root());
    assert!(stdout(&table).contains("hardcoded-secret"));

    let explain = smelt(&["explain", "S101"], &root());
    assert_eq!(explain.status.code(), Some(0));
    let text = stdout(&explain);
    assert!(text.starts_with("# hardcoded-secret (S101)"), "{text}");
    assert!(text.contains("## Why it matters") && text.contains("## Flagged"));
    assert_eq!(smelt(&["explain", "nope"], &root()).status.code(), Some(2));
}

#[test]
fn user_rule_folders_load_and_broken_rules_fail_loudly() {
    let out = smelt(
        &[
            "check",
            "fixtures/example/infra",
            "--rules",
            "fixtures/rules/company",
            "--select",
            "s3-data-classification",
            "--format",
            "json",
        ],
        &root(),
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("s3.tf"),
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n}\n",
    )
    .expect("write");
    let rules = root().join("fixtures/rules/company");
    let out =
        smelt(&["check", ".", "--rules", rules.to_str().expect("utf8"), "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(json["findings"][0]["rule"], "ACME001");
    assert_eq!(json["findings"][0]["line"], 1);

    let broken = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        broken.path().join("bad-rule.toml"),
        "code = \"X1\"\nname = \"bad-rule\"\nfamily = \"security\"\nsmell = \"hardcoded-secrets\"\n",
    )
    .expect("write");
    let out = smelt(&["check", "fixtures/clean", "--rules", broken.path().to_str().expect("utf8")], &root());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad-rule.toml:4"), "{err}");
    assert!(err.contains("hardcoded-secrets"), "{err}");

    // Built-in rules compile their regexes on first use; a user's are compiled at load.
    let company = std::fs::read_to_string(root().join("fixtures/rules/company/s3-data-classification.toml"))
        .expect("read");
    let bad_regex = tempfile::tempdir().expect("tempdir");
    let when = company.find("[when]").expect("the rule has a [when]");
    let line = company[..when].matches('\n').count() + 1;
    let text = company.replacen("exists = false", "matches = '(unclosed'", 1);
    std::fs::write(bad_regex.path().join("s3-data-classification.toml"), text).expect("write");
    let out =
        smelt(&["check", "fixtures/clean", "--rules", bad_regex.path().to_str().expect("utf8")], &root());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains(&format!("s3-data-classification.toml:{line}: ")), "{err}");
    assert!(err.contains("invalid regex") && err.contains("unclosed group"), "{err}");
}

#[test]
fn suppressions_need_reasons_and_must_match() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("db.tf"),
        "resource \"aws_db_instance\" \"a\" {\n  # smelt: ignore[tf-db-skip-final-snapshot]\n  skip_final_snapshot = true\n}\n\n# smelt: ignore[tf-deletion-protection-disabled] kept off for the migration window\nresource \"aws_db_instance\" \"b\" {\n  deletion_protection = false\n}\n\nresource \"aws_db_instance\" \"c\" { # smelt: ignore[tf-db-skip-final-snapshot] nothing to skip here\n  engine = \"postgres\"\n}\n",
    )
    .expect("write");
    let select = "tf-db-skip-final-snapshot,tf-deletion-protection-disabled";
    let out = smelt(&["check", ".", "--format", "json", "--select", select], dir.path());
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let findings = json["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 2);
    assert!(findings.iter().all(|f| !f["suppressed"].is_null()), "{findings:#?}");
    assert_eq!(findings[1]["suppressed"]["reason"], "kept off for the migration window");
    let codes: Vec<(&str, u64)> = json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["code"].as_str().unwrap_or(""), e["line"].as_u64().unwrap_or(0)))
        .collect();
    assert_eq!(codes, [("suppression-without-reason", 2), ("unused-suppression", 11)]);
    assert_eq!(json["summary"]["suppressed"], 2);
}

/// A tree with a file that does not parse, a binary file and a non-UTF-8 file still reports every
/// finding of its good files, names each bad file, and exits 1.
#[test]
fn bad_files_cost_only_themselves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path();
    std::fs::create_dir_all(p.join("k8s")).expect("mkdir");
    std::fs::write(
        p.join("good.tf"),
        "resource \"aws_db_instance\" \"a\" {\n  skip_final_snapshot = true\n}\n",
    )
    .expect("write");
    std::fs::write(
        p.join("broken.tf"),
        "resource \"aws_db_instance\" \"b\" {\n  skip_final_snapshot = true\n  password = \n",
    )
    .expect("write");
    std::fs::write(p.join("binary.tf"), b"\x00\x01\x02\x03garbage\xff\xfe").expect("write");
    std::fs::write(p.join("empty.tf"), b"").expect("write");
    std::fs::write(
        p.join("bom-crlf.tf"),
        b"\xEF\xBB\xBFresource \"aws_db_instance\" \"c\" {\r\n  deletion_protection = false\r\n}\r\n",
    )
    .expect("write");
    std::fs::write(p.join("k8s/latin1.yaml"), b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xe9\nspec:\n  containers:\n    - name: app\n      image: nginx\n").expect("write");
    std::fs::write(p.join("k8s/random.bin.yaml"), [0x89u8, 0x50, 0x4e, 0x47, 0x00, 0x1a, 0xff])
        .expect("write");
    let out = smelt(&["check", ".", "--format", "json"], p);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    let at: Vec<(String, u64, String)> = json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or("").into(),
                f["line"].as_u64().unwrap_or(0),
                f["name"].as_str().unwrap_or("").into(),
            )
        })
        .collect();
    assert!(at.contains(&("good.tf".into(), 2, "tf-db-skip-final-snapshot".into())), "{at:?}");
    assert!(at.contains(&("bom-crlf.tf".into(), 2, "tf-deletion-protection-disabled".into())), "{at:?}");
    assert!(at.contains(&("k8s/latin1.yaml".into(), 8, "image-unpinned".into())), "{at:?}");
    let errors: Vec<(String, String)> = json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| (e["path"].as_str().unwrap_or("").into(), e["code"].as_str().unwrap_or("").into()))
        .collect();
    assert!(errors.contains(&("broken.tf".into(), "parse-error".into())), "{errors:?}");
    assert!(errors.contains(&("binary.tf".into(), "binary-file".into())), "{errors:?}");
    assert!(errors.contains(&("k8s/latin1.yaml".into(), "invalid-utf8".into())), "{errors:?}");
    assert!(!errors.iter().any(|(p, _)| p == "empty.tf" || p == "k8s/random.bin.yaml"), "{errors:?}");
    assert_matches_documented_schema(&json);
    let parse_error = json["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["code"] == "parse-error")
        .expect("parse error");
    assert!(parse_error["line"].as_u64().is_some(), "{parse_error}");
}

#[test]
fn oversized_files_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("big.tf"), "# padding\n".repeat(200)).expect("write");
    let out = smelt(&["check", ".", "--format", "json", "--max-file-size", "1000"], dir.path());
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(json["errors"][0]["code"], "file-too-large");
    assert_eq!(json["errors"][0]["path"], "big.tf");
}

#[cfg(unix)]
#[test]
fn symlinks_are_not_followed_out_of_the_root() {
    let outside = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        outside.path().join("secret.tf"),
        "resource \"aws_db_instance\" \"x\" {\n  skip_final_snapshot = true\n}\n",
    )
    .expect("write");
    let dir = tempfile::tempdir().expect("tempdir");
    std::os::unix::fs::symlink(outside.path(), dir.path().join("linked-dir")).expect("symlink");
    std::os::unix::fs::symlink(outside.path().join("secret.tf"), dir.path().join("linked.tf"))
        .expect("symlink");
    std::os::unix::fs::symlink(dir.path().join("nowhere.tf"), dir.path().join("dangling.tf"))
        .expect("symlink");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).expect("symlink");
    let out = smelt(&["check", ".", "--format", "json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn gitignored_files_are_skipped_unless_no_ignore() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(".gitignore"), "generated/\n").expect("write");
    std::fs::create_dir(dir.path().join("generated")).expect("mkdir");
    std::fs::write(
        dir.path().join("generated/db.tf"),
        "resource \"aws_db_instance\" \"x\" {\n  skip_final_snapshot = true\n}\n",
    )
    .expect("write");
    assert_eq!(smelt(&["check", "."], dir.path()).status.code(), Some(0));
    assert_eq!(smelt(&["check", ".", "--no-ignore"], dir.path()).status.code(), Some(1));
}
