//! End-to-end tests of the pipeline rules over `fixtures/gitlab` (includes, `extends`, anchors,
//! `!reference`) and `fixtures/pipelines` (GitHub workflows and a composite action): the JSON output
//! is snapshotted, and every finding must sit in a `vulnerable-*` job or in an included template.

use std::path::PathBuf;
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn smelt(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smelt")).args(args).current_dir(root()).output().expect("smelt runs")
}

const PIPELINE_RULES: &str = "ci-plaintext-transport,ci-tool-unpinned,ci-imperative-change,ci-non-atomic-deploy,ci-missing-rollback-path,gitlab-script-injection,gitlab-include-unpinned";

fn check_json(path: &str) -> (serde_json::Value, String) {
    let out = smelt(&["check", path, "--format", "json", "--select", PIPELINE_RULES]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    (serde_json::from_str(&text).expect("valid JSON"), text)
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// (path, line, rule name) of every finding.
fn found(json: &serde_json::Value) -> Vec<(String, u64, String)> {
    json["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["path"].as_str().unwrap_or("").to_string(),
                        f["line"].as_u64().unwrap_or(0),
                        f["name"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn gitlab_pipeline_with_includes() {
    let (json, text) = check_json("fixtures/gitlab");
    let f = found(&json);
    let at = |path: &str, line: u64, rule: &str| f.contains(&(path.to_string(), line, rule.to_string()));
    let main = "fixtures/gitlab/.gitlab-ci.yml";
    let inc = "fixtures/gitlab/ci/deploy.yml";
    assert!(at(main, 6, "gitlab-include-unpinned"), "{f:#?}");
    assert!(at(main, 11, "gitlab-include-unpinned"), "{f:#?}");
    assert!(at(main, 37, "ci-tool-unpinned"), "{f:#?}");
    assert!(at(main, 43, "gitlab-script-injection"), "{f:#?}");
    assert!(at(main, 58, "ci-missing-rollback-path"), "{f:#?}");
    // Findings in the included template point at the template's lines.
    assert!(at(inc, 11, "ci-non-atomic-deploy"), "{f:#?}");
    assert!(at(inc, 12, "ci-imperative-change"), "{f:#?}");
    // Nothing in the safe jobs (lines 46-51 and 62-68) nor on the pinned include.
    assert!(!f.iter().any(|(p, l, _)| p == main && ((46..=51).contains(l) || *l >= 62 || *l == 9)), "{f:#?}");
    // A wildcard include with `rules:` is read; the suppression comment inside it is honoured.
    let lint = "fixtures/gitlab/ci/jobs/lint.yml";
    assert!(at(lint, 5, "ci-tool-unpinned"), "{f:#?}");
    let suppressed: Vec<(u64, &str)> = json["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|x| x["path"] == lint && !x["suppressed"].is_null())
        .map(|x| (x["line"].as_u64().unwrap_or(0), x["suppressed"]["reason"].as_str().unwrap_or("")))
        .collect();
    assert_eq!(suppressed, [(8, "the schema tool has no releases; tracked in INFRA-231")]);
    snapshot!("pipelines-gitlab-json", text);
}

#[test]
fn github_workflows_and_actions() {
    let (json, text) = check_json("fixtures/pipelines");
    let f = found(&json);
    let wf = "fixtures/pipelines/.github/workflows/deploy.yml";
    // The safe job (from line 34) and the workflow with a failure handler produce nothing.
    assert!(!f.iter().any(|(p, l, _)| p == wf && *l >= 34), "{f:#?}");
    assert!(!f.iter().any(|(p, _, _)| p.ends_with("rollback.yml")), "{f:#?}");
    assert_eq!(f.iter().filter(|(p, _, _)| p == wf).count(), 11, "{f:#?}");
    snapshot!("pipelines-github-json", text);
}
