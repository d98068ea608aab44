//! The rule packs on the real-world-shaped fixture repositories: every finding as one
//! `path:line:col rule message` line, snapshotted, so a rule change shows its effect in review.

#[path = "support/cli.rs"]
mod cli;

use cli::{json, root, smelt, stderr, stdout};

fn findings(dir: &str) -> String {
    findings_with(dir, false)
}

/// As [`findings`], each line followed by the finding's related locations (`  ↳ path:line message`).
fn findings_with(dir: &str, related: bool) -> String {
    let out = smelt(&["check", dir, "--format", "json"], &root());
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", stderr(&out));
    let report = json(&stdout(&out));
    assert_eq!(report["summary"]["errors"], 0, "{}", report["errors"]);
    let mut lines = String::new();
    for f in report["findings"].as_array().expect("findings") {
        let suppressed = if f["suppressed"].is_null() { "" } else { " (suppressed)" };
        lines.push_str(&format!(
            "{}:{}:{} {} {}{suppressed}\n",
            f["path"].as_str().unwrap_or(""),
            f["line"],
            f["column"],
            f["name"].as_str().unwrap_or(""),
            f["message"].as_str().unwrap_or("")
        ));
        for r in f["related"].as_array().into_iter().flatten().filter(|_| related) {
            lines.push_str(&format!(
                "  ↳ {}:{} {}\n",
                r["path"].as_str().unwrap_or(""),
                r["line"],
                r["message"].as_str().unwrap_or("")
            ));
        }
    }
    lines
}

#[test]
fn kubernetes_fixtures() {
    let text = findings("fixtures/kubernetes");
    assert!(!text.contains("fixtures/kubernetes/payments/"), "the hardened app must stay clean:\n{text}");
    snapshot!("packs-kubernetes", text);
}

#[test]
fn terraform_fixtures() {
    snapshot!("packs-terraform", findings("fixtures/terraform"));
}

/// A terraform-aws-modules-style repository: a module (`variables.tf`, `main.tf`, `outputs.tf`) whose
/// companion resources are switched on and off by `count`, and `examples/complete` calling it with
/// `source = "../../"`. Findings inside the module carry the caller's argument that caused them.
#[test]
fn terraform_module_repository() {
    snapshot!("packs-terraform-modules", findings_with("fixtures/terraform-modules", true));
}
