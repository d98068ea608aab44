//! A rule's documentation page, generated from its rule file: what `smelt explain` prints and what
//! `docs/rules/<name>.md` holds (a test fails when the checked-in pages are stale).

use super::Rule;
use super::examples::strip_markers;
use std::fmt::Write as _;

pub fn render_markdown(rule: &Rule) -> String {
    let m = &rule.meta;
    let mut out = String::new();
    let _ = writeln!(out, "# {} ({})\n", m.name, m.code);
    let _ = writeln!(out, "{}\n", m.summary);
    let _ = writeln!(out, "| family | smell | severity | precision | CWE | applies to |");
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    let cwe = m.cwe.map(|c| format!("CWE-{c}")).unwrap_or_else(|| "—".into());
    let kinds: Vec<String> = rule.kinds.iter().map(|k| k.to_string()).collect();
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} |\n",
        m.family,
        m.smell,
        m.severity,
        m.precision,
        cwe,
        kinds.join(", ")
    );
    let _ = writeln!(out, "{}\n", m.docs);
    let _ = writeln!(out, "## How to fix\n\n{}\n", m.help);
    if !rule.options.is_empty() {
        let _ = writeln!(
            out,
            "## Options\n\nSet in `smelt.toml` with `[rules.{}] options = {{ … }}` (see `docs/configuration.md`).\n",
            m.name
        );
        let _ = writeln!(out, "| option | default | what it does |\n|---|---|---|");
        for o in &rule.options {
            let _ = writeln!(out, "| `{}` | `{}` | {} |", o.name, o.default, o.description);
        }
        let _ = writeln!(out);
    }
    for (title, good) in [("Flagged", false), ("Not flagged", true)] {
        let examples: Vec<_> = rule.examples.iter().filter(|e| e.good == good).collect();
        if examples.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title}\n");
        for e in examples {
            let (code, lines) = strip_markers(&e.code);
            let lang = fence_lang(&e.path);
            let marked = if lines.is_empty() {
                String::new()
            } else {
                let l: Vec<String> = lines.iter().map(u32::to_string).collect();
                format!(" — fires on line {}", l.join(", "))
            };
            let _ = writeln!(out, "`{}`{marked}\n\n```{lang}\n{}\n```\n", e.path, code.trim_end());
            for (path, code) in &e.also {
                let lang = fence_lang(path);
                let _ = writeln!(out, "with `{path}`\n\n```{lang}\n{}\n```\n", code.trim_end());
            }
        }
    }
    if let Some(fix) = &m.fix {
        let _ = writeln!(
            out,
            "Quick fix in the editor (`smelt lsp`): {} — replaces {} with `{}`.\n",
            fix.title,
            fix.when.iter().map(|w| format!("`{w}`")).collect::<Vec<_>>().join(" or "),
            fix.replace
        );
    }
    if rule.suppressible {
        let _ = writeln!(
            out,
            "Suppress a finding with a reason: `# smelt: ignore[{}] <why this is acceptable>`",
            m.name
        );
    } else {
        let _ = writeln!(
            out,
            "Policy makes this rule unsuppressible: a `# smelt: ignore[{}]` comment does not apply.",
            m.name
        );
    }
    out
}

/// `docs/rules/README.md`: every rule by family, then by smell, so a reader can start from either.
pub fn render_index(rules: &[Rule]) -> String {
    use super::meta::{Family, Smell};
    let mut out = String::from(
        "# Rules\n\nGenerated from `rules/`; do not edit. `smelt explain NAME` prints the same pages.\n",
    );
    for family in [Family::Security, Family::Drift, Family::Rollback] {
        let _ = writeln!(
            out,
            "\n## {family}\n\n| code | name | smell | severity | summary |\n|---|---|---|---|---|"
        );
        for r in rules.iter().filter(|r| r.meta.family == family) {
            let m = &r.meta;
            let _ = writeln!(
                out,
                "| {} | [{}]({}.md) | {} | {} | {} |",
                m.code, m.name, m.name, m.smell, m.severity, m.summary
            );
        }
    }
    let _ = writeln!(out, "\n## By smell\n\n| smell | family | rules |\n|---|---|---|");
    for smell in Smell::ALL {
        let names: Vec<String> = rules
            .iter()
            .filter(|r| r.meta.smell == smell)
            .map(|r| format!("[{}]({}.md)", r.meta.name, r.meta.name))
            .collect();
        let listed = if names.is_empty() { "—".to_string() } else { names.join(", ") };
        let _ = writeln!(out, "| {smell} | {} | {listed} |", smell.family());
    }
    out
}

fn fence_lang(path: &str) -> &'static str {
    if path.ends_with(".tf") || path.ends_with(".tfvars") {
        "hcl"
    } else if path.ends_with(".json") {
        "json"
    } else {
        "yaml"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::registry::builtin;
    use std::path::PathBuf;

    /// `docs/rules/*.md` are generated from the rule files; set `SMELT_UPDATE_DOCS=1` to regenerate.
    #[test]
    fn rule_docs_are_current() {
        let rules = builtin().unwrap_or_else(|e| panic!("built-in rules must load: {e:#?}"));
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/rules");
        let update = std::env::var_os("SMELT_UPDATE_DOCS").is_some();
        let mut stale = Vec::new();
        let mut expected_files = vec!["README.md".to_string()];
        let index = render_index(&rules);
        let mut pages: Vec<(String, String)> =
            rules.iter().map(|r| (format!("{}.md", r.meta.name), render_markdown(r))).collect();
        pages.push(("README.md".into(), index));
        expected_files.extend(rules.iter().map(|r| format!("{}.md", r.meta.name)));
        for (name, text) in pages {
            let path = dir.join(&name);
            if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
                if update {
                    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
                    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
                } else {
                    stale.push(name);
                }
            }
        }
        let orphans: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
            .unwrap_or_default();
        let orphans: Vec<&String> = orphans.iter().filter(|f| !expected_files.contains(f)).collect();
        assert!(orphans.is_empty(), "docs/rules has pages for no rule: {orphans:?}");
        assert!(
            stale.is_empty(),
            "stale rule docs {stale:?}: run `SMELT_UPDATE_DOCS=1 cargo test rule_docs_are_current`"
        );
    }
}
