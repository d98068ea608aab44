//! The GitHub Actions security rules over `fixtures/github`, a repository-like folder of workflows
//! whose jobs are named by outcome: every `vulnerable-N` job (or step marked `# vulnerable-N`) must
//! produce a finding, nothing under a `not-vulnerable-N` may. The full JSON output is snapshotted in
//! `snapshots/github-json.snap`.

use std::path::PathBuf;
use std::process::{Command, Output};

const RULES: &str = "gha-script-injection,gha-untrusted-checkout,gha-excessive-permissions";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn check(format: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_smelt"))
        .args(["check", "fixtures/github/.github", "--select", RULES, "--format", format, "--color", "never"])
        .current_dir(root())
        .env_remove("NO_COLOR")
        .output()
        .expect("smelt runs")
}

macro_rules! snapshot {
    ($name:expr, $value:expr) => {
        insta::with_settings!({ snapshot_path => "../snapshots", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!($name, $value);
        })
    };
}

/// The nearest outcome label at or above `line` (1-based): a job key or a comment naming it.
fn label_at(text: &str, line: usize) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[..line.min(lines.len())].iter().rev().find_map(|l| {
        let t = l.trim_start().trim_start_matches('#').trim_start().trim_start_matches("- ");
        let word: String = t.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-').collect();
        let is_label = (word.starts_with("vulnerable-") || word.starts_with("not-vulnerable-"))
            && word.rsplit('-').next().is_some_and(|n| n.parse::<u32>().is_ok());
        is_label.then_some(word)
    })
}

#[test]
fn github_fixtures_json() {
    let out = check("json");
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    let json: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert!(json["diagnostics"].as_array().is_none_or(|d| d.iter().all(|x| x["code"] != "parse-error")));
    snapshot!("github-json", text);
}

#[test]
fn github_fixtures_findings_match_their_outcome_names() {
    let out = check("json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let findings = json["findings"].as_array().expect("findings");
    let mut flagged = std::collections::BTreeSet::new();
    for f in findings {
        let path = f["path"].as_str().expect("path");
        let line = f["line"].as_u64().expect("line") as usize;
        let text = std::fs::read_to_string(root().join(path)).expect("fixture");
        let label = label_at(&text, line);
        if let Some(l) = &label {
            assert!(!l.starts_with("not-"), "{path}:{line} fires under `{l}`: {}", f["message"]);
            flagged.insert((path.to_string(), l.clone()));
        }
    }
    let dir = root().join("fixtures/github");
    let mut files = Vec::new();
    for e in std::fs::read_dir(dir.join(".github/actions")).expect("actions") {
        files.push(e.expect("entry").path().join("action.yml"));
    }
    for e in std::fs::read_dir(dir.join(".github/workflows")).expect("workflows") {
        files.push(e.expect("entry").path());
    }
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture");
        let rel = file.strip_prefix(root()).expect("inside").to_string_lossy().replace('\\', "/");
        for (i, _) in text.lines().enumerate() {
            let Some(l) = label_at(&text, i + 1).filter(|l| l.starts_with("vulnerable-")) else { continue };
            assert!(flagged.contains(&(rel.clone(), l.clone())), "{rel}: `{l}` produced no finding");
        }
    }
}

/// An input of a local reusable workflow or composite action, filled by a caller with a pull request's
/// title or branch and pasted into a script: the finding is in the callee, where the value becomes
/// code, with the caller's `with:` line as a related location.
#[test]
fn inputs_of_local_workflows_and_actions_carry_the_callers_values() {
    let out = check("json");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    let findings = json["findings"].as_array().expect("findings");
    let at = |path: &str, line: u64| {
        findings
            .iter()
            .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(path)) && f["line"] == line)
            .unwrap_or_else(|| panic!("no finding at {path}:{line}"))
    };
    let title = at("workflows/check-title.yml", 17);
    assert_eq!(title["name"], "gha-script-injection");
    let related = &title["related"][0];
    assert!(related["path"].as_str().is_some_and(|p| p.ends_with("workflows/pr-checks.yml")));
    assert_eq!(related["line"], 13);
    let branch = at("actions/describe/action.yml", 14);
    assert_eq!(branch["related"][0]["line"], 24);
    assert!(
        branch["message"]
            .as_str()
            .is_some_and(|m| m.contains("`.github/workflows/pr-checks.yml` (job `describe`)"))
    );
}

/// The labelled corpus (fixtures/github/corpus/README.md): smelt fires on exactly the lines marked
/// `# expect: <rule>`, never on a `# known-miss` line (update the label when that changes).
#[test]
fn corpus_findings_are_exactly_the_labelled_lines() {
    let rules = "gha-script-injection,gha-untrusted-checkout,gha-excessive-permissions,gha-action-unpinned,image-unpinned";
    let out = Command::new(env!("CARGO_BIN_EXE_smelt"))
        .args(["check", "fixtures/github/corpus", "--no-config", "--select", rules, "--format", "json"])
        .current_dir(root())
        .output()
        .expect("smelt runs");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert!(json["errors"].as_array().is_some_and(Vec::is_empty), "{}", json["errors"]);
    let mut found = std::collections::BTreeSet::new();
    for f in json["findings"].as_array().expect("findings") {
        let path = f["path"].as_str().expect("path").to_string();
        found.insert((
            path,
            f["line"].as_u64().expect("line"),
            f["name"].as_str().expect("name").to_string(),
        ));
    }
    let (mut expected, mut missed) = (std::collections::BTreeSet::new(), std::collections::BTreeSet::new());
    let mut files = Vec::new();
    let mut dirs = vec![root().join("fixtures/github/corpus/.github")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(d).expect("dir") {
            let p = e.expect("entry").path();
            if p.is_dir() { dirs.push(p) } else { files.push(p) }
        }
    }
    assert!(files.len() >= 40, "the corpus has {} files", files.len());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("fixture");
        let rel = file.strip_prefix(root()).expect("inside").to_string_lossy().replace('\\', "/");
        for (i, line) in text.lines().enumerate() {
            for (marker, set) in [("expect: ", &mut expected), ("known-miss: ", &mut missed)] {
                let Some((_, rules)) = line
                    .split_once(&format!("# {marker}"))
                    .or_else(|| line.split_once(&format!("// {marker}")))
                else {
                    continue;
                };
                for r in rules.split(',') {
                    set.insert((rel.clone(), i as u64 + 1, r.trim().to_string()));
                }
            }
        }
    }
    let missing: Vec<_> = expected.difference(&found).collect();
    let extra: Vec<_> = found.difference(&expected).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not found: {missing:#?}\nnot labelled: {extra:#?}");
    assert!(missed.is_disjoint(&found), "a known miss is found now: label it `expect`");
}
