//! Module calls (`module "x" { source = "./mod" … }`): the called folder is evaluated again with the
//! arguments the caller passes. Local sources are folders beside the caller; other sources are found
//! through `.terraform/modules/modules.json` (written by `terraform init`) when it is there.

use super::eval::ModuleFile;
use crate::model::{Node, Value};
use crate::span::Span;

/// One argument a caller passes to a module variable, evaluated in the caller (unknown stays an
/// expression) and at its span in the caller's file `path`.
pub struct ModuleInput<'a> {
    pub name: &'a str,
    pub value: &'a Node,
    pub path: &'a str,
}

/// A `module` block.
pub struct Call<'a> {
    /// The block's name (`module "db"` → `db`).
    pub name: &'a str,
    /// The child folder as a display path like the caller's (`""` for the current folder), for a
    /// local source; `None` for any other source.
    pub child_dir: Option<String>,
    pub inputs: Vec<ModuleInput<'a>>,
    /// The caller's file and the block's span in it.
    pub path: &'a str,
    pub span: Span,
}

/// Meta-arguments of a `module` block: not variables of the child.
const META: &[&str] = &["source", "version", "count", "for_each", "providers", "depends_on"];

/// Every module call in `files` (the caller module, already evaluated) with a known `source`,
/// `folder` being the caller's folder.
pub fn calls<'a>(folder: &str, files: &[ModuleFile<'a>]) -> Vec<Call<'a>> {
    let mut calls = Vec::new();
    for file in files {
        for doc in file.docs {
            for block in doc.entries().iter().filter(|e| e.key == "module") {
                for call in block.value.entries() {
                    let body = &call.value;
                    let Some(source) = body.get("source").and_then(Node::as_str) else { continue };
                    let local = source.starts_with("./")
                        || source.starts_with("../")
                        || source == "."
                        || source == "..";
                    let child_dir = if local {
                        let Some(dir) = join(folder, source) else { continue };
                        Some(dir)
                    } else {
                        None
                    };
                    let inputs = body
                        .entries()
                        .iter()
                        .filter(|e| !META.contains(&e.key.as_str()))
                        .filter(|e| !matches!(e.value.value, Value::Null))
                        .map(|e| ModuleInput { name: &e.key, value: &e.value, path: file.path })
                        .collect();
                    calls.push(Call { name: &call.key, child_dir, inputs, path: file.path, span: body.span });
                }
            }
        }
    }
    calls
}

/// Only the calls of local folders (see [`calls`]).
pub fn local_calls<'a>(folder: &str, files: &[ModuleFile<'a>]) -> Vec<Call<'a>> {
    calls(folder, files).into_iter().filter(|c| c.child_dir.is_some()).collect()
}

/// `folder` + relative `source`, with `.` and `..` resolved; `None` when it climbs above the scanned
/// paths (that folder was not read).
pub fn join(folder: &str, source: &str) -> Option<String> {
    let absolute = folder.starts_with('/');
    let mut parts: Vec<&str> = folder.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    Some(if absolute { format!("/{joined}") } else { joined })
}

/// `to` as a path relative to `from` (both display paths of folders): what Terraform's `path.module`
/// is for a module at `to` called from a root at `from`.
pub fn relative(from: &str, to: &str) -> String {
    let split = |p: &str| -> Vec<String> {
        p.split('/').filter(|s| !s.is_empty() && *s != ".").map(str::to_string).collect()
    };
    let (a, b) = (split(from), split(to));
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = std::iter::repeat_n("..", a.len() - common).collect();
    parts.extend(b.iter().skip(common).map(String::as_str));
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

/// The folders `terraform init` recorded, by module key (`vpc`, `vpc.subnets`), relative to the
/// root module's folder: `.terraform/modules/modules.json`.
pub fn modules_json(text: &str) -> Vec<(String, String)> {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(text) else { return Vec::new() };
    let Some(modules) = json.get("Modules").and_then(|m| m.as_array()) else { return Vec::new() };
    modules
        .iter()
        .filter_map(|m| {
            let key = m.get("Key")?.as_str()?;
            let dir = m.get("Dir")?.as_str()?;
            (!key.is_empty()).then(|| (key.to_string(), dir.replace('\\', "/")))
        })
        .collect()
}
