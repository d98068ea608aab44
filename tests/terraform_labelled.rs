//! The labelled Terraform corpus in `fixtures/terraform-labelled/<rule>/`: KICS-style positive and
//! negative cases, each a file (`positive1.tf`) or a folder of files (`positive2/`) checked as a
//! module of its own. A positive marks every line that must fire with `# expect: <rule>`; a negative
//! must have no finding of the rule. Prints recall and the false-positive rate, and fails on any miss,
//! finding on an unmarked line, or flagged negative.

#[path = "support/cli.rs"]
mod cli;

use cli::{copy_dir, json, root, smelt, stderr, stdout};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One case: the rule it is labelled for, its name (`tf-x/positive1`), whether it is a positive, and
/// the `(file, line)` pairs marked `# expect: <rule>`.
struct Case {
    rule: String,
    name: String,
    positive: bool,
    expected: BTreeSet<(String, usize)>,
}

fn marked_lines(file: &Path, rule: &str) -> Vec<usize> {
    let text = fs::read_to_string(file).expect("readable fixture");
    let marker = format!("# expect: {rule}");
    text.lines().enumerate().filter(|(_, l)| l.trim_end().ends_with(&marker)).map(|(i, _)| i + 1).collect()
}

/// Copies every case into its own folder under `scratch` (`<rule>/<case>/`) and describes it.
fn collect(corpus: &Path, scratch: &Path) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut rules: Vec<PathBuf> =
        fs::read_dir(corpus).expect("corpus").flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    rules.sort();
    for rule_dir in rules {
        let rule = rule_dir.file_name().expect("name").to_string_lossy().into_owned();
        let mut entries: Vec<PathBuf> =
            fs::read_dir(&rule_dir).expect("rule dir").flatten().map(|e| e.path()).collect();
        entries.sort();
        for entry in entries {
            let file_name = entry.file_name().expect("name").to_string_lossy().into_owned();
            let stem = file_name.trim_end_matches(".tf").to_string();
            let positive = stem.starts_with("positive");
            assert!(
                positive || stem.starts_with("negative"),
                "{}: cases are named positive* or negative*",
                entry.display()
            );
            let target = scratch.join(&rule).join(&stem);
            let files: Vec<(String, PathBuf)> = if entry.is_dir() {
                copy_dir(&entry, &target);
                let mut files: Vec<(String, PathBuf)> = fs::read_dir(&entry)
                    .expect("case dir")
                    .flatten()
                    .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
                    .collect();
                files.sort();
                files
            } else {
                fs::create_dir_all(&target).expect("mkdir");
                fs::copy(&entry, target.join("main.tf")).expect("copy");
                vec![("main.tf".to_string(), entry.clone())]
            };
            let expected: BTreeSet<(String, usize)> = files
                .iter()
                .flat_map(|(name, path)| {
                    marked_lines(path, &rule).into_iter().map(move |l| (name.clone(), l))
                })
                .collect();
            let name = format!("{rule}/{stem}");
            assert_eq!(
                positive,
                !expected.is_empty(),
                "{name}: only positives mark `# expect: {rule}` lines"
            );
            cases.push(Case { rule: rule.clone(), name, positive, expected });
        }
    }
    cases
}

#[test]
fn labelled_terraform_corpus() {
    let corpus = root().join("fixtures/terraform-labelled");
    let scratch = tempfile::tempdir().expect("tempdir");
    let cases = collect(&corpus, scratch.path());
    let rules: BTreeSet<&str> = cases.iter().map(|c| c.rule.as_str()).collect();
    assert!(rules.len() >= 40, "the corpus covers {} rules", rules.len());

    let select = rules.iter().copied().collect::<Vec<_>>().join(",");
    let out = smelt(&["check", ".", "--format", "json", "--select", &select], scratch.path());
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report = json(&stdout(&out));
    assert_eq!(report["summary"]["errors"], 0, "{}", report["errors"]);
    // (rule, case folder, file, line) of every finding.
    let findings: Vec<(String, String, String, usize)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| {
            let path = Path::new(f["path"].as_str()?);
            let rel = path.strip_prefix(scratch.path()).unwrap_or(path);
            let parts: Vec<String> = rel
                .components()
                .filter_map(|c| match c {
                    std::path::Component::Normal(p) => Some(p.to_string_lossy().into_owned()),
                    _ => None,
                })
                .collect();
            let [rule_dir, case, file] = parts.as_slice() else { return None };
            let name = f["name"].as_str()?.to_string();
            let line = usize::try_from(f["line"].as_u64()?).ok()?;
            (name == *rule_dir).then(|| (name, case.clone(), file.clone(), line))
        })
        .collect();

    let (mut expected_total, mut found_total, mut negatives, mut flagged) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        let stem = case.name.rsplit('/').next().unwrap_or_default();
        let got: BTreeSet<(String, usize)> = findings
            .iter()
            .filter(|(rule, c, _, _)| *rule == case.rule && c == stem)
            .map(|(_, _, file, line)| (file.clone(), *line))
            .collect();
        if case.positive {
            expected_total += case.expected.len();
            found_total += case.expected.intersection(&got).count();
            for (file, line) in case.expected.difference(&got) {
                failures.push(format!("{}: missed {file}:{line}", case.name));
            }
            for (file, line) in got.difference(&case.expected) {
                failures.push(format!("{}: finding on unmarked line {file}:{line}", case.name));
            }
        } else {
            negatives += 1;
            if !got.is_empty() {
                flagged += 1;
                failures.push(format!("{}: negative flagged at {got:?}", case.name));
            }
        }
    }
    let recall = 100.0 * found_total as f64 / expected_total.max(1) as f64;
    let fp_rate = 100.0 * flagged as f64 / negatives.max(1) as f64;
    println!(
        "labelled corpus: {} rules, {} positive lines found of {expected_total} ({recall:.1}% recall), \
         {flagged} of {negatives} negatives flagged ({fp_rate:.1}%)",
        rules.len(),
        found_total
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
