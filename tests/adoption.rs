//! Issue 7's "done when", end to end: a legacy repository with hundreds of findings adopts smelt with a
//! committed baseline and a config, and a custom policy pack reports alongside the built-in rules in
//! every output format.

#[path = "support/cli.rs"]
mod cli;

use cli::{json, root, smelt, stderr, stdout, write};

/// 120 modules, each with three findings: 360 findings of legacy debt.
fn legacy_repo(dir: &std::path::Path) {
    for i in 0..120 {
        write(
            dir,
            &format!("infra/svc{i:03}/main.tf"),
            &format!(
                "resource \"aws_db_instance\" \"db{i}\" {{\n  identifier          = \"svc{i}\"\n  username            = \"admin\"\n  skip_final_snapshot = true\n  deletion_protection = false\n  storage_encrypted   = true\n  enabled_cloudwatch_logs_exports = [\"postgresql\"]\n}}\n"
            ),
        );
    }
    write(
        dir,
        "legacy/old.tf",
        "resource \"tls_private_key\" \"k\" {\n  algorithm = \"RSA\"\n  rsa_bits  = 1024\n}\n",
    );
    write(
        dir,
        "smelt.toml",
        "min-severity = \"low\"\n\n[rules.tf-default-admin-username]\nseverity = \"high\"\n\n[[ignore-paths]]\npaths = [\"legacy/**\"]\nrules = [\"all\"]\nreason = \"decommissioned in Q3; tracked in OPS-42\"\n",
    );
}

#[test]
fn a_legacy_repository_adopts_smelt_and_ci_reports_only_the_new_finding() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path();
    legacy_repo(repo);

    let before = smelt(&["check", ".", "--format", "json"], repo);
    assert_eq!(before.status.code(), Some(1), "{}", stderr(&before));
    let before = json(&stdout(&before));
    assert_eq!(before["summary"]["findings"], 360, "{}", before["summary"]);

    let adopt = smelt(&["check", ".", "--write-baseline", "smelt-baseline.json", "--format", "json"], repo);
    assert!(adopt.status.code() == Some(0), "{}{}", stdout(&adopt), stderr(&adopt));

    let clean = smelt(&["check", ".", "--baseline", "smelt-baseline.json", "--format", "json"], repo);
    assert_eq!(clean.status.code(), Some(0), "{}", stdout(&clean));

    // A change: unrelated lines inserted above old findings, and one new problem in the changed file.
    let changed = repo.join("infra/svc007/main.tf");
    let text = std::fs::read_to_string(&changed).expect("read");
    let text = format!(
        "# owned by the payments team\n\n{}\nresource \"aws_security_group_rule\" \"ssh\" {{\n  type        = \"ingress\"\n  from_port   = 22\n  to_port     = 22\n  protocol    = \"tcp\"\n  cidr_blocks = [\"0.0.0.0/0\"]\n}}\n",
        text
    );
    std::fs::write(&changed, text).expect("write");

    let ci = smelt(&["check", ".", "--baseline", "smelt-baseline.json", "--format", "json"], repo);
    assert_eq!(ci.status.code(), Some(1));
    let report = json(&stdout(&ci));
    let active: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .collect();
    assert_eq!(active.len(), 1, "{active:#?}");
    assert_eq!(active[0]["name"], "tf-security-group-open-ingress");
    assert_eq!(active[0]["path"], "infra/svc007/main.tf");
    assert_eq!(active[0]["line"], 17);
    assert_eq!(report["baseline"]["matched"], 360, "{}", report["baseline"]);
}

#[test]
fn a_custom_pack_reports_in_every_format_alongside_built_in_rules() {
    let pack = root().join("fixtures/rules/company");
    let pack = pack.to_str().expect("utf-8 path");
    let tested = smelt(&["test-rules", pack], &root());
    assert_eq!(tested.status.code(), Some(0), "{}{}", stdout(&tested), stderr(&tested));

    let tmp = tempfile::tempdir().expect("tempdir");
    write(
        tmp.path(),
        "s3.tf",
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\"\n}\n\nresource \"aws_db_instance\" \"db\" {\n  skip_final_snapshot = true\n}\n",
    );
    for (format, custom, builtin) in [
        ("human", "s3-data-classification", "tf-db-skip-final-snapshot"),
        ("json", "\"ACME001\"", "\"R101\""),
        ("sarif", "\"ACME001\"", "\"R101\""),
        ("gitlab", "s3-data-classification", "tf-db-skip-final-snapshot"),
        ("github", "s3-data-classification", "tf-db-skip-final-snapshot"),
        ("junit", "s3-data-classification", "tf-db-skip-final-snapshot"),
    ] {
        let out = smelt(&["check", ".", "--rules", pack, "--format", format, "--color", "never"], tmp.path());
        assert_eq!(out.status.code(), Some(1), "{format}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.contains(custom), "{format} output lacks the custom rule:\n{text}");
        assert!(text.contains(builtin), "{format} output lacks the built-in rule:\n{text}");
    }
}
