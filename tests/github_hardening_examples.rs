//! GitHub's own examples of each Actions security problem (Security hardening docs and GitHub
//! Security Lab's "pwn request" write-ups), reproduced in `fixtures/github/corpus`: smelt must report
//! each on the line the example is about, and stay silent on the documented safe variants.
//! `zizmor_agrees` also runs zizmor over the same files when it is installed (`cargo test --
//! --ignored`); zizmor is a peer, never a dependency.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

const DIR: &str = "fixtures/github/corpus/.github/workflows";

/// (file, line, smelt rule, zizmor audit) for each documented example.
const POSITIVES: &[(&str, u64, &str, &str)] = &[
    // "Example of a script injection attack": the PR title in `run:`.
    ("si-pr-title-check.yml", 12, "gha-script-injection", "template-injection"),
    // An issue title pasted into a script.
    ("si-issue-title.yml", 12, "gha-script-injection", "template-injection"),
    // pull_request_target + checkout of the head SHA + build.
    ("prt-checkout-head-build.yml", 15, "gha-untrusted-checkout", "dangerous-triggers"),
    // workflow_run artifact poisoning.
    ("prt-workflow-run-artifact.yml", 22, "gha-untrusted-checkout", "dangerous-triggers"),
    // `permissions: write-all`.
    ("ep-write-all.yml", 6, "gha-excessive-permissions", "excessive-permissions"),
    // A third-party action by tag.
    ("uu-third-party-tag.yml", 13, "gha-action-unpinned", "unpinned-uses"),
];

/// The documented safe variants: nothing of these rules may fire.
const NEGATIVES: &[&str] = &[
    "si-pr-title-env.yml",
    "prt-workflow-run-artifact-safe.yml",
    "prt-workflow-run-comment.yml",
    "prt-labeler.yml",
    "ep-read-only.yml",
    "uu-pinned.yml",
];

const RULES: &str =
    "gha-script-injection,gha-untrusted-checkout,gha-excessive-permissions,gha-action-unpinned";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn smelt(files: &[&str]) -> BTreeSet<(String, u64, String)> {
    let paths: Vec<String> = files.iter().map(|f| format!("{DIR}/{f}")).collect();
    let out = Command::new(env!("CARGO_BIN_EXE_smelt"))
        .args(["check", "--no-config", "--select", RULES, "--format", "json"])
        .args(&paths)
        .current_dir(root())
        .output()
        .expect("smelt runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    json["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let path = f["path"].as_str().expect("path");
            let name = path.rsplit('/').next().expect("file name").to_string();
            (name, f["line"].as_u64().expect("line"), f["name"].as_str().expect("rule").to_string())
        })
        .collect()
}

#[test]
fn smelt_reports_each_documented_example_on_its_line() {
    let files: Vec<&str> = POSITIVES.iter().map(|p| p.0).collect();
    let found = smelt(&files);
    for (file, line, rule, _) in POSITIVES {
        assert!(
            found.contains(&(file.to_string(), *line, rule.to_string())),
            "{rule} not reported at {file}:{line}; smelt reported {found:?}"
        );
    }
}

#[test]
fn smelt_is_silent_on_the_documented_safe_variants() {
    let found = smelt(NEGATIVES);
    assert!(found.is_empty(), "findings on safe variants: {found:?}");
}

/// zizmor (1.32, `--offline`) flags the same examples: on the same line, or for `dangerous-triggers`
/// (which points at the trigger) in the same file. `--persona auditor`: the default persona hides
/// `write-all` on a `schedule` or `push` workflow.
#[test]
#[ignore = "needs zizmor on PATH (pip install zizmor==1.32.0)"]
fn zizmor_agrees() {
    for (file, line, _, audit) in POSITIVES {
        let out = Command::new("zizmor")
            .args(["--offline", "--persona", "auditor", "--format", "json", &format!("{DIR}/{file}")])
            .current_dir(root())
            .output()
            .expect("zizmor runs");
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
        let hit = json.as_array().expect("findings").iter().any(|f| {
            f["ident"] == *audit
                && f["locations"].as_array().is_some_and(|locs| {
                    locs.iter().any(|l| {
                        l["symbolic"]["kind"] == "Primary"
                            && (*audit == "dangerous-triggers"
                                || l["concrete"]["location"]["start_point"]["row"].as_u64() == Some(line - 1))
                    })
                })
        });
        assert!(hit, "zizmor does not report {audit} at {file}:{line}");
    }
}
