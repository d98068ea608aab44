//! Calls of local modules (`module "x" { source = "./mod" … }`): the child folder is evaluated again
//! with the arguments the caller passes.

use super::eval::ModuleFile;
use crate::model::{Node, Value};

/// One argument a caller passes to a module variable, evaluated in the caller (unknown stays an
/// expression) and at its span in the caller's file `path`.
pub struct ModuleInput<'a> {
    pub name: &'a str,
    pub value: &'a Node,
    pub path: &'a str,
}

/// A `module` block whose `source` is a local path.
pub struct Call<'a> {
    /// The child folder, as a display path like the caller's (`""` for the current folder).
    pub child_dir: String,
    pub inputs: Vec<ModuleInput<'a>>,
}

/// Meta-arguments of a `module` block: not variables of the child.
const META: &[&str] = &["source", "version", "count", "for_each", "providers", "depends_on"];

/// Every local module call in `files` (the caller module, already evaluated), `folder` being the
/// caller's folder.
pub fn local_calls<'a>(folder: &str, files: &[ModuleFile<'a>]) -> Vec<Call<'a>> {
    let mut calls = Vec::new();
    for file in files {
        for doc in file.docs {
            for block in doc.entries().iter().filter(|e| e.key == "module") {
                for call in block.value.entries() {
                    let body = &call.value;
                    let Some(source) = body.get("source").and_then(Node::as_str) else { continue };
                    if !(source.starts_with("./")
                        || source.starts_with("../")
                        || source == "."
                        || source == "..")
                    {
                        continue;
                    }
                    let Some(child_dir) = join(folder, source) else { continue };
                    let inputs = body
                        .entries()
                        .iter()
                        .filter(|e| !META.contains(&e.key.as_str()))
                        .filter(|e| !matches!(e.value.value, Value::Null))
                        .map(|e| ModuleInput { name: &e.key, value: &e.value, path: file.path })
                        .collect();
                    calls.push(Call { child_dir, inputs });
                }
            }
        }
    }
    calls
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
