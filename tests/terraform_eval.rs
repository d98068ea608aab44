//! Terraform's partial evaluator end to end: rules fire on values set in variable defaults, `.tfvars`
//! files and locals (with a related location where the value was set), and never on values smelt
//! cannot know.

#[path = "support/cli.rs"]
mod cli;

use cli::{json, root, smelt, stderr, stdout};

/// `(path:line, rule, related "path:line" locations)` for every finding under `dir`.
fn findings(dir: &str) -> Vec<(String, String, Vec<String>)> {
    let out = smelt(&["check", dir, "--format", "json", "--select", "tf-db-skip-final-snapshot"], &root());
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
            (at(f), f["name"].as_str().unwrap_or("").to_string(), related)
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
    // another, and nothing to a third: only the first fires, at db/'s line, related to app/'s argument.
    assert_eq!(
        findings("fixtures/terraform-eval/modules"),
        [(
            "fixtures/terraform-eval/modules/db/main.tf:7".to_string(),
            "tf-db-skip-final-snapshot".to_string(),
            vec!["fixtures/terraform-eval/modules/app/main.tf:7".to_string()]
        )]
    );
}
