//! End-to-end tests of `smelt test-rules`, and a replay of `docs/tutorial-custom-rules.md` that keeps
//! every file, command and output in it true (`SMELT_UPDATE_DOCS=1` rewrites the outputs).

#[path = "support/cli.rs"]
mod cli;
use cli::{root, smelt, stderr, stdout};

use std::path::{Path, PathBuf};

const FIXTURE: &str = "fixtures/rules/company/s3-data-classification.toml";

fn fixture() -> String {
    std::fs::read_to_string(root().join(FIXTURE)).expect("fixture")
}

/// A temporary pack holding one rule file, written from the company fixture through `edit`.
fn pack(edit: impl Fn(String) -> String) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("s3-data-classification.toml"), edit(fixture())).expect("write");
    dir
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf8")
}

#[test]
fn a_passing_pack_passes() {
    let out = smelt(&["test-rules", "fixtures/rules/company"], &root());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok   s3-data-classification (2 examples)\n\n1 rule, 2 examples: 2 passed, 0 failed\n"
    );
}

#[test]
fn builtin_rules_pass_without_a_folder() {
    let out = smelt(&["test-rules"], &root());
    assert_eq!(out.status.code(), Some(0), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("ok   tf-db-skip-final-snapshot ("), "{text}");
    assert!(!text.contains("s3-data-classification"), "{text}");
    assert!(text.trim_end().ends_with(" failed") && text.contains(" 0 failed"), "{text}");
}

#[test]
fn a_failing_example_names_the_rule_example_and_line() {
    // The marker moves from the block header (where the rule fires) to the line below it.
    let dir = pack(|t| {
        t.replacen(
            "resource \"aws_s3_bucket\" \"logs\" { # expect\n  bucket = \"acme-logs\"\n",
            "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"acme-logs\" # expect\n",
            1,
        )
    });
    let out = smelt(&["test-rules", path_str(dir.path())], &root());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    let origin = format!("{}/s3-data-classification.toml", dir.path().display());
    for needle in [
        "FAIL s3-data-classification (2 examples, 1 failed)\n",
        &format!("  bad example #1 (s3.tf) at {origin}:"),
        "    expected to fire on: lines 2, 5\n",
        "    fired on:            lines 1, 5\n",
        "    line 1 fired but is not marked `# expect`: aws_s3_bucket.logs has no `data-classification` tag",
        "    line 2 is marked `# expect` but the rule did not fire\n",
        // The example's code around the failing line, the failing line marked.
        "        1 | resource \"aws_s3_bucket\" \"logs\" {\n        2 >   bucket = \"acme-logs\" # expect\n",
        "\n1 rule, 2 examples: 1 passed, 1 failed\n",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // The location points at the failing line in the rule file.
    let line = fixture().lines().position(|l| l.starts_with("  bucket = \"acme-logs\"")).expect("line") + 1;
    assert!(text.contains(&format!("    --> {origin}:{line}\n")), "{text}");

    let out = smelt(&["test-rules", path_str(dir.path()), "--format", "json"], &root());
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).expect("json");
    assert_eq!(json["summary"], serde_json::json!({ "rules": 1, "examples": 2, "passed": 1, "failed": 1 }));
    let example = &json["rules"][0]["examples"][0];
    assert_eq!(example["kind"], "bad");
    assert_eq!(example["expected"], serde_json::json!([2, 5]));
    assert_eq!(example["failures"][1]["problem"], "missed");
    assert_eq!(example["failures"][1]["line"], 2);
    assert_eq!(example["failures"][1]["file_line"], line);
}

#[test]
fn a_good_example_that_fires_fails() {
    let dir = pack(|t| t.replace("data-classification = \"internal\"", "classification = \"internal\""));
    let out = smelt(&["test-rules", path_str(dir.path())], &root());
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("  good example #1 (s3.tf) at "), "{text}");
    assert!(text.contains("    expected to fire on: nothing\n    fired on:            line 1\n"), "{text}");
}

#[test]
fn a_broken_rule_file_fails_loudly_with_file_and_line() {
    let dir = pack(|t| t.replace("exists = false", "exist = false"));
    let out = smelt(&["test-rules", path_str(dir.path())], &root());
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    let err = stderr(&out);
    let line = fixture().lines().position(|l| l == "[when]").expect("[when]") + 1;
    let at = format!("{}/s3-data-classification.toml:{line}: ", dir.path().display());
    assert!(err.contains(&at), "{at:?} not in {err}");
    assert!(err.contains("exist"), "{err}");
    assert!(stdout(&out).is_empty());

    let empty = tempfile::tempdir().expect("tempdir");
    let out = smelt(&["test-rules", path_str(empty.path())], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no rule files"), "{}", stderr(&out));

    let out = smelt(&["test-rules", "no/such/folder"], &root());
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(stderr(&out), "smelt: error: no/such/folder: no such folder\n");
}

#[test]
fn a_pack_may_not_reuse_a_builtin_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let builtin = std::fs::read_to_string(root().join("rules/terraform/tf-db-skip-final-snapshot.toml"));
    let Ok(text) = builtin else {
        // The built-in rule moved; the name check is covered by the registry's own tests then.
        return;
    };
    std::fs::write(dir.path().join("tf-db-skip-final-snapshot.toml"), text).expect("write");
    let out = smelt(&["test-rules", path_str(dir.path())], &root());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is already used by"), "{}", stderr(&out));
}

const TUTORIAL: &str = "docs/tutorial-custom-rules.md";

/// The finished rule of the tutorial is the company fixture, byte for byte.
#[test]
fn tutorial_rule_is_the_fixture() {
    let doc = std::fs::read_to_string(root().join(TUTORIAL)).expect("tutorial");
    let target = "rules/company/s3-data-classification.toml";
    let pieces: Vec<String> = blocks(&doc)
        .into_iter()
        .filter(|b| b.info == format!("toml append={target}"))
        .map(|b| b.body)
        .collect();
    assert!(pieces.len() >= 3, "the tutorial builds the rule in steps");
    // Every piece but the deliberately wrong example (undone in the tutorial) builds the fixture.
    let built = pieces[..3].join("\n");
    assert_eq!(built, fixture(), "the rule built in {TUTORIAL} differs from {FIXTURE}");
}

/// Replays the tutorial in a temporary repository: writes its files, runs its commands and compares
/// their output (stdout, then stderr) with what it shows. `SMELT_UPDATE_DOCS=1` rewrites the outputs.
#[test]
fn tutorial_commands_print_what_it_shows() {
    let path = root().join(TUTORIAL);
    let doc = std::fs::read_to_string(&path).expect("tutorial");
    let repo = tempfile::tempdir().expect("tempdir");
    let mut undo: Vec<(PathBuf, Option<String>)> = Vec::new();
    let mut replacements: Vec<(usize, usize, String)> = Vec::new();
    let mut stale = Vec::new();
    for step in steps(&doc) {
        match step {
            Step::Undo => {
                let (file, before) = undo.pop().expect("an undo follows a file change");
                match before {
                    Some(text) => std::fs::write(&file, text).expect("restore"),
                    None => std::fs::remove_file(&file).expect("remove"),
                }
            }
            Step::Block(b) => {
                if let Some((mode, target)) = b.info.split_once(' ').and_then(|(_, a)| a.split_once('=')) {
                    let file = repo.path().join(target);
                    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
                    let before = std::fs::read_to_string(&file).ok();
                    let text = match (mode, &before) {
                        ("append", Some(prev)) if !prev.is_empty() => format!("{prev}\n{}", b.body),
                        ("append" | "file", _) => b.body.clone(),
                        _ => panic!("unknown block mode `{mode}` in {TUTORIAL}"),
                    };
                    std::fs::write(&file, text).expect("write");
                    undo.push((file, before));
                } else if b.info == "console" {
                    let (command, shown) = b.body.split_once('\n').unwrap_or((&b.body, ""));
                    let args: Vec<&str> =
                        command.strip_prefix("$ smelt ").expect("`$ smelt …`").split(' ').collect();
                    let out = smelt(&args, repo.path());
                    // Trailing spaces (miette pads empty source lines) do not survive editors.
                    let actual: String = format!("{}{}", stdout(&out), stderr(&out))
                        .lines()
                        .map(|l| format!("{}\n", l.trim_end()))
                        .collect();
                    if actual != shown {
                        stale.push(format!("`{command}`:\n--- shown\n{shown}--- actual\n{actual}"));
                        replacements.push((b.start, b.end, format!("{command}\n{actual}")));
                    }
                }
            }
        }
    }
    if stale.is_empty() {
        return;
    }
    if std::env::var_os("SMELT_UPDATE_DOCS").is_some() {
        let mut lines: Vec<String> = doc.lines().map(str::to_string).collect();
        for (start, end, body) in replacements.into_iter().rev() {
            lines.splice(start..end, body.lines().map(str::to_string));
        }
        std::fs::write(&path, lines.join("\n") + "\n").expect("update tutorial");
        return;
    }
    panic!(
        "{TUTORIAL} is stale (run `SMELT_UPDATE_DOCS=1 cargo test --test test_rules tutorial` and review):\n{}",
        stale.join("\n")
    );
}

struct Block {
    info: String,
    body: String,
    /// Lines of the document holding the body: `start..end` (0-based, the fences excluded).
    start: usize,
    end: usize,
}

enum Step {
    Block(Block),
    /// `<!-- tutorial: undo -->`: the last file change is taken back.
    Undo,
}

fn steps(doc: &str) -> Vec<Step> {
    let lines: Vec<&str> = doc.lines().collect();
    let mut steps = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "<!-- tutorial: undo -->" {
            steps.push(Step::Undo);
        } else if let Some(info) = lines[i].strip_prefix("```") {
            let start = i + 1;
            let end = (start..lines.len()).find(|&j| lines[j] == "```").expect("closed fence");
            let body: String = lines[start..end].iter().map(|l| format!("{l}\n")).collect();
            steps.push(Step::Block(Block { info: info.trim().to_string(), body, start, end }));
            i = end;
        }
        i += 1;
    }
    steps
}

fn blocks(doc: &str) -> Vec<Block> {
    steps(doc)
        .into_iter()
        .filter_map(|s| match s {
            Step::Block(b) => Some(b),
            Step::Undo => None,
        })
        .collect()
}
