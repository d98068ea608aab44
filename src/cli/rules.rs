//! `smelt rules` and `smelt explain`.

use super::{EXIT_CLEAN, fail, load_rules, write_stdout};
use crate::rules::Rule;
use clap::{Args, ValueEnum};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `table` for people, `json` for tools.
    #[arg(long, value_enum, default_value_t = ListFormat::Table)]
    format: ListFormat,
    /// Also list the rules in this folder. Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Rule name or code, e.g. `hardcoded-secret` or `S101`.
    rule: String,
    /// Also look in this folder of rules. Repeatable.
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,
}

/// One rule in `smelt rules --format json` (its own output struct, versioned with the JSON output).
#[derive(Serialize)]
struct RuleJson<'a> {
    code: &'a str,
    name: &'a str,
    family: String,
    smell: String,
    severity: String,
    precision: String,
    cwe: Option<u32>,
    summary: &'a str,
    kinds: Vec<String>,
    origin: &'a str,
}

pub fn list(args: RulesArgs) -> u8 {
    let rules = match load_rules(&args.rule_dirs) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let text = match args.format {
        ListFormat::Json => {
            let items: Vec<RuleJson<'_>> = rules.iter().map(rule_json).collect();
            match serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "rules": items })) {
                Ok(s) => s + "\n",
                Err(e) => return fail(e),
            }
        }
        ListFormat::Table => table(&rules),
    };
    match write_stdout(&text) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => fail(e),
    }
}

fn rule_json(r: &Rule) -> RuleJson<'_> {
    let m = &r.meta;
    RuleJson {
        code: &m.code,
        name: &m.name,
        family: m.family.to_string(),
        smell: m.smell.to_string(),
        severity: m.severity.to_string(),
        precision: m.precision.to_string(),
        cwe: m.cwe,
        summary: &m.summary,
        kinds: r.kinds.iter().map(|k| k.to_string()).collect(),
        origin: &m.origin,
    }
}

fn table(rules: &[Rule]) -> String {
    let name_w = rules.iter().map(|r| r.meta.name.len()).max().unwrap_or(4).max(4);
    let smell_w = rules.iter().map(|r| r.meta.smell.to_string().len()).max().unwrap_or(5).max(5);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<6} {:<name_w$} {:<8} {:<smell_w$} {:<8} SUMMARY",
        "CODE", "NAME", "FAMILY", "SMELL", "SEVERITY"
    );
    for r in rules {
        let m = &r.meta;
        let _ = writeln!(
            out,
            "{:<6} {:<name_w$} {:<8} {:<smell_w$} {:<8} {}",
            m.code,
            m.name,
            m.family.to_string(),
            m.smell.to_string(),
            m.severity.to_string(),
            m.summary
        );
    }
    let _ = writeln!(out, "\n{} rules. `smelt explain NAME` shows a rule's documentation.", rules.len());
    out
}

pub fn explain(args: ExplainArgs) -> u8 {
    let rules = match load_rules(&args.rule_dirs) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let Some(rule) =
        rules.iter().find(|r| r.meta.name == args.rule || r.meta.code.eq_ignore_ascii_case(&args.rule))
    else {
        let names: Vec<&str> = rules.iter().map(|r| r.meta.name.as_str()).collect();
        return fail(format!(
            "no rule named `{}`; `smelt rules` lists them ({} in all)",
            args.rule,
            names.len()
        ));
    };
    match write_stdout(&crate::rules::docs::render_markdown(rule)) {
        Ok(()) => EXIT_CLEAN,
        Err(e) => fail(e),
    }
}
