//! `--write-baseline` and `--baseline` end to end, on a copy of the example repository: a baseline
//! hides today's findings, a new finding still shows, a moved file still matches, a fixed finding leaves
//! a stale entry to prune.

#[path = "support/cli.rs"]
mod cli;

use cli::{copy_dir, json, root, smelt, stderr, stdout};
use std::path::Path;
use std::process::Output;

/// A copy of `fixtures/example` at `<tmp>/repo`, with a baseline of it at `<tmp>/baseline.json`.
fn adopted() -> (tempfile::TempDir, usize) {
    let tmp = tempfile::tempdir().expect("temp dir");
    copy_dir(&root().join("fixtures/example"), &tmp.path().join("repo"));
    let out = smelt(&["check", "repo", "--write-baseline", "baseline.json", "-f", "json"], tmp.path());
    assert_eq!(out.status.code(), Some(0), "writing a baseline accepts today's findings: {}", stderr(&out));
    let findings = json(&stdout(&out))["summary"]["findings"].as_u64().expect("count") as usize;
    assert!(findings > 10);
    (tmp, findings)
}

fn with_baseline(tmp: &Path, format: &str) -> Output {
    smelt(&["check", "repo", "--baseline", "baseline.json", "-f", format, "--color", "never"], tmp)
}

fn edit(path: &Path, f: impl Fn(String) -> String) {
    let text = std::fs::read_to_string(path).expect("read");
    std::fs::write(path, f(text)).expect("write");
}

#[test]
fn a_baseline_is_deterministic_and_hides_every_finding_it_holds() {
    let (tmp, n) = adopted();
    let first = std::fs::read_to_string(tmp.path().join("baseline.json")).expect("baseline");
    smelt(&["check", "repo", "--write-baseline", "again.json"], tmp.path());
    assert_eq!(std::fs::read_to_string(tmp.path().join("again.json")).expect("baseline"), first);
    assert!(first.ends_with("}\n"));

    let out = with_baseline(tmp.path(), "human");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains(&format!("{n} matched by the baseline")), "{}", stdout(&out));

    let out = with_baseline(tmp.path(), "json");
    let v = json(&stdout(&out));
    assert_eq!(v["baseline"]["matched"], n);
    assert_eq!(v["baseline"]["stale"], serde_json::json!([]));
    assert_eq!(v["summary"]["findings"], 0);
}

#[test]
fn only_a_new_finding_is_reported() {
    let (tmp, n) = adopted();
    // Lines added above existing findings, and one new finding.
    edit(&tmp.path().join("repo/infra/prod/network.tf"), |t| format!("# FIXME: rotate these rules\n\n{t}"));
    let out = with_baseline(tmp.path(), "json");
    assert_eq!(out.status.code(), Some(1));
    let v = json(&stdout(&out));
    let findings = v["findings"].as_array().expect("findings");
    let active: Vec<_> = findings.iter().filter(|f| f["suppressed"].is_null()).collect();
    assert_eq!(active.len(), 1, "{active:#?}");
    assert_eq!(active[0]["name"], "suspicious-comment");
    assert_eq!(active[0]["line"], 1);
    assert_eq!(v["baseline"]["matched"], n);
}

#[test]
fn a_moved_file_still_matches() {
    let (tmp, n) = adopted();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(repo.join("deploy/k8s")).expect("mkdir");
    std::fs::rename(repo.join("k8s/api.yaml"), repo.join("deploy/k8s/api.yaml")).expect("move");
    std::fs::rename(repo.join("infra/prod"), repo.join("infra/production")).expect("move");
    let out = with_baseline(tmp.path(), "json");
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let v = json(&stdout(&out));
    assert_eq!(v["baseline"]["matched"], n);
    assert_eq!(v["baseline"]["stale"], serde_json::json!([]));
}

#[test]
fn a_fixed_finding_leaves_a_stale_entry() {
    let (tmp, n) = adopted();
    edit(&tmp.path().join("repo/infra/prod/network.tf"), |t| {
        t.replace("  # TODO: restrict SSH to the VPN range once the VPN is live\n", "")
    });
    let out = with_baseline(tmp.path(), "json");
    assert_eq!(out.status.code(), Some(0));
    let v = json(&stdout(&out));
    assert_eq!(v["baseline"]["matched"], n - 1);
    let stale = v["baseline"]["stale"].as_array().expect("stale");
    assert_eq!(stale.len(), 1);
    assert_eq!(stale[0]["rule"], "suspicious-comment");
    assert_eq!(stale[0]["path"], "repo/infra/prod/network.tf");
    assert_baseline_json(&v);

    let human = stdout(&with_baseline(tmp.path(), "human"));
    assert!(human.contains("1 entry of the baseline match"), "{human}");
    assert!(human.contains("repo/infra/prod/network.tf:6  suspicious-comment"), "{human}");
    assert!(human.contains("1 stale baseline entry"), "{human}");

    // A deleted file's entries are stale too; entries of files outside the checked paths are not.
    let out = smelt(&["check", "repo/k8s", "--baseline", "baseline.json", "-f", "json"], tmp.path());
    let v = json(&stdout(&out));
    assert_eq!(v["baseline"]["stale"], serde_json::json!([]), "{v:#}");
}

#[test]
fn a_missing_or_malformed_baseline_is_a_usage_error() {
    let (tmp, _) = adopted();
    let out = smelt(&["check", "repo", "--baseline", "nope.json"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nope.json"), "{}", stderr(&out));
    std::fs::write(tmp.path().join("bad.json"), "{\"version\": 1, \"entries\": 3}").expect("write");
    let out = smelt(&["check", "repo", "--baseline", "bad.json"], tmp.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("invalid baseline bad.json"), "{}", stderr(&out));
}

/// The `baseline` object is part of the documented JSON output.
fn assert_baseline_json(json: &serde_json::Value) {
    cli::assert_matches_documented_schema(json);
    assert!(json["baseline"].is_object(), "{json:#}");
}
