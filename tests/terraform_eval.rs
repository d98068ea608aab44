//! Terraform's partial evaluator end to end: rules fire on values set in variable defaults, `.tfvars`
//! files and locals (with a related location where the value was set), and never on values smelt
//! cannot know.

#[path = "support/cli.rs"]
mod cli;

use cli::{copy_dir, json, root, smelt, stderr, stdout, write};
use std::path::Path;

/// `(path:line, rule, related "path:line" locations)` for every finding under `dir`.
fn findings(dir: &str) -> Vec<(String, String, Vec<String>)> {
    findings_with(dir, &[], &root())
}

/// [`findings`] with more arguments, run in `cwd`; suppressed findings are marked `(suppressed)`.
fn findings_with(dir: &str, more: &[&str], cwd: &Path) -> Vec<(String, String, Vec<String>)> {
    let mut args = vec!["check", dir, "--format", "json", "--select", "tf-db-skip-final-snapshot"];
    args.extend(more);
    let out = smelt(&args, cwd);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report = json(&stdout(&out));
    assert_eq!(report["summary"]["errors"], 0, "{}", report["errors"]);
    let at = |v: &serde_json::Value| format!("{}:{}", v["path"].as_str().unwrap_or(""), v["line"]);
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let related = f["related"].as_array().map(|r| r.iter().map(at).collect()).unwrap_or_default();
            let suppressed = if f["suppressed"].is_null() { "" } else { " (suppressed)" };
            (at(f), format!("{}{suppressed}", f["name"].as_str().unwrap_or("")), related)
        })
        .collect()
}

#[test]
fn a_variable_default_makes_a_rule_fire_with_the_default_as_related_location() {
    let found = findings("fixtures/terraform-eval/defaults");
    let rule = "tf-db-skip-final-snapshot".to_string();
    assert_eq!(
        found,
        [
            (
                "fixtures/terraform-eval/defaults/main.tf:10".to_string(),
                rule.clone(),
                vec!["fixtures/terraform-eval/defaults/variables.tf:3".to_string()]
            ),
            (
                "fixtures/terraform-eval/defaults/main.tf:15".to_string(),
                rule,
                vec!["fixtures/terraform-eval/defaults/variables.tf:12".to_string()]
            ),
        ]
    );
}

#[test]
fn tfvars_override_defaults_and_auto_tfvars_come_last() {
    // terraform.tfvars sets `skip = false`; prod.auto.tfvars sets `env = "prod"` over terraform.tfvars.
    assert_eq!(findings("fixtures/terraform-eval/overridden"), []);
}

#[test]
fn values_smelt_cannot_know_never_fire() {
    assert_eq!(findings("fixtures/terraform-eval/unknown"), []);
}

#[test]
fn cached_and_sharded_runs_see_the_tfvars_too() {
    let cache = std::env::temp_dir().join(format!("smelt-eval-cache-{}", std::process::id()));
    let cache = cache.to_string_lossy().into_owned();
    for args in [vec!["--cache", cache.as_str()], vec!["--cache", cache.as_str()], vec!["--shard", "1/1"]] {
        let mut argv = vec![
            "check",
            "fixtures/terraform-eval/overridden",
            "--format",
            "json",
            "--select",
            "tf-db-skip-final-snapshot",
        ];
        argv.extend(args.iter().copied());
        let out = smelt(&argv, &root());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stdout(&out));
    }
    let _ = std::fs::remove_dir_all(&cache);
}

#[test]
fn a_local_module_is_checked_with_the_callers_arguments() {
    // db/ defaults to `skip = false`; app/ passes `true` (its own default) to one call, an unknown to
    // another, and nothing to a third: only the first fires, at db/'s line, related to app/'s argument
    // and to the default behind it.
    assert_eq!(
        findings("fixtures/terraform-eval/modules"),
        [(
            "fixtures/terraform-eval/modules/db/main.tf:7".to_string(),
            "tf-db-skip-final-snapshot".to_string(),
            vec![
                "fixtures/terraform-eval/modules/app/main.tf:7".to_string(),
                "fixtures/terraform-eval/modules/app/main.tf:2".to_string()
            ]
        )]
    );
}

/// The check lets go of a file's model when its unit is done, keeping the folders local `module`
/// blocks call, found by reading `source = "../…"` in the `.tf` texts. A call that reading misses (in
/// JSON syntax here) still sees the called folder after its unit is done (`base/` is checked before
/// `service/` on one thread): it is parsed again.
#[test]
fn a_module_call_in_json_syntax_reaches_a_folder_already_checked() {
    let out = findings_with("fixtures/terraform-eval/modules-json", &["--jobs", "1"], &root());
    assert_eq!(
        out,
        [(
            "fixtures/terraform-eval/modules-json/base/main.tf:7".to_string(),
            "tf-db-skip-final-snapshot".to_string(),
            vec!["fixtures/terraform-eval/modules-json/service/main.tf.json:5".to_string()]
        )]
    );
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn for_expressions_optional_defaults_and_empty_counts() {
    // `scratch` reads the databases' settings through `for`, `values()[*]` and `contains`; the
    // resource with `count = 0` and the one with an empty `for_each` are not analysed; the one with a
    // `for_each` over the databases is analysed once with `each.value` unknown.
    assert_eq!(
        findings("fixtures/terraform-eval/features"),
        [(
            "fixtures/terraform-eval/features/main.tf:19".to_string(),
            "tf-db-skip-final-snapshot".to_string(),
            strings(&["fixtures/terraform-eval/features/variables.tf:9"])
        )]
    );
}

#[test]
fn templates_in_tf_json_strings_are_evaluated() {
    assert_eq!(
        findings("fixtures/terraform-eval/json"),
        [(
            "fixtures/terraform-eval/json/main.tf.json:10".to_string(),
            "tf-db-skip-final-snapshot".to_string(),
            strings(&["fixtures/terraform-eval/json/main.tf.json:3"])
        )]
    );
}

#[test]
fn var_files_and_vars_apply_in_the_order_given() {
    let dir = "fixtures/terraform-eval/varfiles";
    let (dev, prod) = (
        "fixtures/terraform-eval/varfiles/envs/dev.tfvars",
        "fixtures/terraform-eval/varfiles/envs/prod.tfvars",
    );
    assert_eq!(findings(dir), [], "the defaults keep snapshots");
    let flagged = vec![(
        "fixtures/terraform-eval/varfiles/main.tf:12".to_string(),
        "tf-db-skip-final-snapshot".to_string(),
        strings(&["fixtures/terraform-eval/varfiles/envs/dev.tfvars:2"]),
    )];
    assert_eq!(findings_with(dir, &["--var-file", dev], &root()), flagged);
    assert_eq!(findings_with(dir, &["--var-file", prod, "--var-file", dev], &root()), flagged);
    assert_eq!(findings_with(dir, &["--var-file", dev, "--var-file", prod], &root()), []);
    assert_eq!(findings_with(dir, &["--var-file", dev, "--var", "keep_snapshots=true"], &root()), []);
    assert_eq!(findings_with(dir, &["--var", "keep_snapshots=true", "--var-file", dev], &root()).len(), 1);
    let out = smelt(&["check", dir, "--var", "novalue"], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("NAME=VALUE"), "{}", stderr(&out));
    let out = smelt(&["check", dir, "--var-file", "no/such.tfvars"], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no/such.tfvars"), "{}", stderr(&out));
}

#[test]
fn nested_modules_are_followed_and_a_suppression_on_the_call_covers_them() {
    // staging → platform → db with `ephemeral = true`; prod does the same for its preview copy under
    // a suppression on the `module` block; the self-calling `loop` module stops at the cycle.
    let db = "fixtures/terraform-eval/nested/modules/db/main.tf:12".to_string();
    let platform = "fixtures/terraform-eval/nested/modules/platform/main.tf:13";
    assert_eq!(
        findings("fixtures/terraform-eval/nested"),
        [
            (
                db.clone(),
                "tf-db-skip-final-snapshot (suppressed)".to_string(),
                strings(&[platform, "fixtures/terraform-eval/nested/envs/prod/main.tf:5"])
            ),
            (
                db,
                "tf-db-skip-final-snapshot".to_string(),
                strings(&[platform, "fixtures/terraform-eval/nested/envs/staging/main.tf:4"])
            ),
        ]
    );
    let out = smelt(&["check", "fixtures/terraform-eval/nested", "--format", "json"], &root());
    let report = json(&stdout(&out));
    assert_eq!(report["summary"]["errors"], 0);
    let unused =
        report["diagnostics"].as_array().into_iter().flatten().filter(|d| d["code"] == "unused-suppression");
    assert_eq!(unused.count(), 0, "{}", report["diagnostics"]);
}

#[test]
fn modules_installed_by_terraform_init_are_used_offline() {
    assert_eq!(
        findings("fixtures/terraform-eval/installed"),
        [(
            "fixtures/terraform-eval/installed/.terraform/modules/rds/modules/instance/main.tf:11"
                .to_string(),
            "tf-db-skip-final-snapshot".to_string(),
            strings(&[
                "fixtures/terraform-eval/installed/.terraform/modules/rds/main.tf:14",
                "fixtures/terraform-eval/installed/main.tf:6"
            ])
        )]
    );
}

#[test]
fn cached_and_sharded_runs_follow_module_calls_when_only_one_side_changes() {
    let tmp = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("fixtures/terraform-eval/nested"), tmp.path());
    let cache = tmp.path().join(".cache");
    let cache = cache.to_string_lossy().into_owned();
    let run = |extra: &[&str]| {
        let mut args = vec!["--cache", cache.as_str()];
        args.extend(extra);
        findings_with(".", &args, tmp.path()).into_iter().filter(|f| !f.1.contains("suppressed")).count()
    };
    assert_eq!(run(&[]), 1);
    assert_eq!(run(&[]), 1, "from the cache");
    assert_eq!(
        findings_with(".", &["--shard", "1/2"], tmp.path()).len()
            + findings_with(".", &["--shard", "2/2"], tmp.path()).len(),
        2
    );
    // Only the caller changes: staging stops passing `ephemeral = true`.
    let staging = std::fs::read_to_string(tmp.path().join("envs/staging/main.tf")).expect("read");
    write(tmp.path(), "envs/staging/main.tf", &staging.replace("ephemeral   = true", "ephemeral   = false"));
    assert_eq!(run(&[]), 0);
    // Only the called module changes: its default now skips the snapshot everywhere it is called.
    write(tmp.path(), "envs/staging/main.tf", &staging);
    assert_eq!(run(&[]), 1);
    let db = std::fs::read_to_string(tmp.path().join("modules/db/main.tf")).expect("read");
    write(
        tmp.path(),
        "modules/db/main.tf",
        &db.replace("skip_final_snapshot = var.skip_final_snapshot", "skip_final_snapshot = false"),
    );
    assert_eq!(run(&[]), 0, "the callers' cached entries saw the module change");
}

#[test]
fn policies_in_strings_are_checked_at_their_own_lines() {
    let out = smelt(
        &[
            "check",
            "fixtures/terraform-eval/policies",
            "--format",
            "json",
            "--select",
            "tf-iam-policy-document-wildcard-action",
        ],
        &root(),
    );
    let report = json(&stdout(&out));
    let found: Vec<(String, Vec<String>)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let related =
                f["related"].as_array().into_iter().flatten().map(|r| r["line"].to_string()).collect();
            (format!("{}:{}", f["path"].as_str().unwrap_or(""), f["line"]), related)
        })
        .collect();
    // The jsonencode statement's actions come from a variable default (related), the heredoc's are
    // literal; the one whose actions are unknown does not fire.
    assert_eq!(
        found,
        [
            ("fixtures/terraform-eval/policies/main.tf:20".to_string(), strings(&["3"])),
            ("fixtures/terraform-eval/policies/main.tf:39".to_string(), vec![]),
        ]
    );
}
