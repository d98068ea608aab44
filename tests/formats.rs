//! The CI formats (`gitlab`, `github`, `junit`) over the example repository, snapshotted in
//! `snapshots/`; and scale-out: `--shard` runs that add up to one full run, and `--cache` runs that
//! print exactly what an uncached run prints.

#[path = "support/cli.rs"]
mod cli;
use cli::{json, root, smelt, stderr, stdout};

use std::path::{Path, PathBuf};

fn example(format: &str) -> String {
    let out = smelt(&["check", "fixtures/example", "--format", format, "--color", "never"], &root());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    stdout(&out)
}

#[test]
fn example_gitlab_code_quality() {
    let text = example("gitlab");
    let issues = json(&text);
    let issues = issues.as_array().expect("an array of issues");
    let full = json(&example("json"));
    let active = full["findings"].as_array().expect("findings").iter().filter(|f| f["suppressed"].is_null());
    assert_eq!(issues.len(), active.count(), "one issue per active finding, suppressed ones left out");
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].as_str().is_some_and(|s| !s.is_empty()), "{key} in {issue}");
        }
        assert!(
            ["info", "minor", "major", "critical", "blocker"]
                .contains(&issue["severity"].as_str().expect("str"))
        );
        assert!(issue["location"]["path"].is_string());
        assert!(issue["location"]["lines"]["begin"].as_u64().is_some_and(|l| l >= 1));
        assert!(fingerprints.insert(issue["fingerprint"].to_string()), "fingerprints are unique");
    }
    snapshot!("example-gitlab", text);
}

#[test]
fn example_github_annotations() {
    let text = example("github");
    for line in text.lines() {
        let (command, rest) =
            line.trim_start_matches("::").split_once(' ').expect("a command with properties");
        assert!(["error", "warning", "notice"].contains(&command), "{line}");
        let (props, _message) = rest.split_once("::").expect("properties::message");
        assert!(props.starts_with("file="), "{line}");
        assert!(!line.contains('\r'));
    }
    assert!(text.contains("::error file=fixtures/example/infra/prod/database.tf,line=8,col=25,endLine=8,"));
    assert!(!text.contains("hunter2"), "suppressed findings are left out");
    snapshot!("example-github", text);
}

#[test]
fn example_junit_is_well_formed() {
    let text = example("junit");
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let suites = doc.root_element();
    assert_eq!(suites.tag_name().name(), "testsuites");
    let failures = doc.descendants().filter(|n| n.has_tag_name("failure")).count();
    assert_eq!(suites.attribute("failures"), Some(failures.to_string().as_str()));
    let full = json(&example("json"));
    assert_eq!(failures as u64, full["summary"]["findings"].as_u64().expect("count"));
    snapshot!("example-junit", text);
}

// ---- scale-out ----

/// Findings and errors of a JSON report, each as its JSON text, sorted.
fn sorted_results(text: &str) -> (Vec<String>, Vec<String>, u64) {
    let v = json(text);
    let mut findings: Vec<String> =
        v["findings"].as_array().expect("findings").iter().map(|f| f.to_string()).collect();
    let mut errors: Vec<String> =
        v["errors"].as_array().expect("errors").iter().map(|f| f.to_string()).collect();
    findings.sort();
    errors.sort();
    (findings, errors, v["summary"]["files_checked"].as_u64().expect("count"))
}

#[test]
fn shards_add_up_to_one_full_run() {
    let full = smelt(&["check", "fixtures/example", "-f", "json"], &root());
    let (full_findings, full_errors, full_files) = sorted_results(&stdout(&full));
    let (mut findings, mut errors, mut files) = (Vec::new(), Vec::new(), 0);
    for k in 1..=3 {
        let shard = format!("{k}/3");
        let out = smelt(&["check", "fixtures/example", "-f", "json", "--shard", &shard], &root());
        assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
        let (f, e, n) = sorted_results(&stdout(&out));
        findings.extend(f);
        errors.extend(e);
        files += n;
    }
    findings.sort();
    errors.sort();
    assert_eq!(findings, full_findings);
    assert_eq!(errors, full_errors);
    assert_eq!(files, full_files);
    // A Terraform module folder stays in one shard.
    let owners: Vec<u64> = (1..=3)
        .map(|k| {
            let out = smelt(
                &["check", "fixtures/example/infra/prod", "-f", "json", "--shard", &format!("{k}/3")],
                &root(),
            );
            json(&stdout(&out))["summary"]["files_checked"].as_u64().expect("count")
        })
        .collect();
    assert_eq!(owners.iter().filter(|&&n| n > 0).count(), 1, "{owners:?}");
}

#[test]
fn bad_shards_are_usage_errors() {
    for bad in ["0/3", "4/3", "x"] {
        let out = smelt(&["check", "fixtures/example", "--shard", bad], &root());
        assert_eq!(out.status.code(), Some(2), "{bad}");
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("readable").flatten() {
        let p = entry.path();
        if p.is_dir() { out.extend(files_under(&p)) } else { out.push(p) }
    }
    out.sort();
    out
}

#[test]
fn cached_runs_print_what_uncached_runs_print() {
    let cache = tempfile::tempdir().expect("temp dir");
    let dir = cache.path().join("smelt-cache");
    let dir_arg = dir.to_str().expect("UTF-8 path");
    let before = files_under(&root().join("fixtures/example"));
    for format in ["human", "json"] {
        let args = ["check", "fixtures/example", "-f", format, "--color", "never"];
        let plain = smelt(&args, &root());
        let with_cache = |()| smelt(&[&args[..], &["--cache", dir_arg]].concat(), &root());
        let cold = with_cache(());
        let warm = with_cache(());
        assert_eq!(stdout(&cold), stdout(&plain), "{format}: cold run");
        assert_eq!(stdout(&warm), stdout(&plain), "{format}: warm run");
        assert_eq!(warm.status.code(), plain.status.code());
    }
    assert_eq!(files_under(&root().join("fixtures/example")), before, "nothing written into the tree");
    let entries: Vec<PathBuf> =
        files_under(&dir).into_iter().filter(|p| p.extension().is_some_and(|e| e == "pack")).collect();
    assert!(!entries.is_empty());

    // Corrupt or empty packs are recomputed, never fatal.
    for (i, entry) in entries.iter().enumerate() {
        let junk: &[u8] = if i % 2 == 0 { b"" } else { b"{\"key\":\"x\",\"findings\":[" };
        std::fs::write(entry, junk).expect("write");
    }
    let args = ["check", "fixtures/example", "-f", "json", "--cache", dir_arg];
    let repaired = smelt(&args, &root());
    let plain = smelt(&args[..4], &root());
    assert_eq!(stdout(&repaired), stdout(&plain));
    assert_eq!(repaired.status.code(), Some(1), "{}", stderr(&repaired));
    let warm = smelt(&args, &root());
    assert_eq!(stdout(&warm), stdout(&plain));
}
