//! What `smelt envs` prints: the environments found, their order, and which files (or pipeline
//! jobs) of each are compared with which.

use super::detect::{Detection, Group, GroupKind};
use super::pipeline::EnvJob;
use serde_json::{Value, json};
use std::fmt::Write as _;

/// Bumped when the JSON shape changes.
const JSON_VERSION: u32 = 1;

pub fn human(d: &Detection, jobs: &[EnvJob], config_file: &str) -> String {
    let mut out = String::new();
    if d.environments.is_empty() {
        out.push_str("No environments found: no folder, file or pipeline job is named like one (dev, test, staging, prod …)\nand smelt.toml declares none. See docs/environments.md.\n");
        return out;
    }
    let how = if d.declared { format!("declared in {config_file}") } else { "by convention".to_string() };
    let _ = writeln!(out, "Environments ({how}), in promotion order:");
    let width = d.environments.iter().map(|e| e.name.len()).max().unwrap_or(0);
    for e in &d.environments {
        let at = e.line.map(|l| format!("  ({config_file}:{l})")).unwrap_or_default();
        let _ = writeln!(out, "  {:<width$}  order {}{at}", e.name, e.order);
    }
    let (compared, alone): (Vec<&Group>, Vec<&Group>) = d.groups.iter().partition(|g| g.compared());
    if !compared.is_empty() {
        out.push_str("\nCompared:\n");
        for g in compared {
            group(&mut out, g, jobs, width);
        }
    }
    if !alone.is_empty() {
        out.push_str("\nIn one environment only (nothing to compare with):\n");
        for g in alone {
            group(&mut out, g, jobs, width);
        }
    }
    out
}

fn group(out: &mut String, g: &Group, jobs: &[EnvJob], width: usize) {
    let over = if g.shared.is_empty() {
        String::new()
    } else {
        let what = if g.kind == GroupKind::Yaml { "over" } else { "with" };
        format!(" ({what} {})", g.shared.join(", "))
    };
    let _ = writeln!(out, "  {} {}{over}", g.kind.label(), g.label);
    for m in &g.members {
        let lines: Vec<String> = if g.kind == GroupKind::Pipeline {
            m.jobs
                .iter()
                .filter_map(|&i| jobs.get(i))
                .map(|j| format!("{} (job {})", j.job.file, j.job.job))
                .collect()
        } else {
            m.files.clone()
        };
        for (i, line) in lines.iter().enumerate() {
            let name = if i == 0 { m.env.as_str() } else { "" };
            let _ = writeln!(out, "    {name:<width$}  {line}");
        }
    }
}

pub fn json(d: &Detection, jobs: &[EnvJob], config_file: &str) -> Value {
    let environments: Vec<Value> = d
        .environments
        .iter()
        .map(|e| {
            let mut v = json!({ "name": e.name, "order": e.order });
            if let Some(line) = e.line {
                v["declared"] = json!({ "path": config_file, "line": line });
            }
            v
        })
        .collect();
    let groups: Vec<Value> = d
        .groups
        .iter()
        .map(|g| {
            let members: Vec<Value> = g
                .members
                .iter()
                .map(|m| {
                    let mut v = json!({ "environment": m.env, "files": m.files });
                    if g.kind == GroupKind::Pipeline {
                        let js: Vec<Value> = m
                            .jobs
                            .iter()
                            .filter_map(|&i| jobs.get(i))
                            .map(|j| json!({ "system": j.job.system, "file": j.job.file, "job": j.job.job, "environment": j.job.environment }))
                            .collect();
                        v["jobs"] = json!(js);
                    }
                    v
                })
                .collect();
            json!({
                "kind": g.kind.label().replace(' ', "-"),
                "role": g.label,
                "compared": g.compared(),
                "shared": g.shared,
                "members": members,
            })
        })
        .collect();
    json!({
        "version": JSON_VERSION,
        "source": if d.declared { "declared" } else { "convention" },
        "environments": environments,
        "groups": groups,
    })
}
