//! Go's `path` functions (`base`, `dir`, `clean`, `ext`, `isAbs`) and their `os…` twins, which are
//! `path/filepath`'s and the same on Linux, where Helm runs.

use super::super::value::Value;
use super::{Arity, Funcs, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("base", Exact(1), |_, a| Ok(Value::Str(path_base(string_arg(&a, 0)?))));
    f.insert("dir", Exact(1), |_, a| Ok(Value::Str(path_dir(string_arg(&a, 0)?))));
    f.insert("clean", Exact(1), |_, a| Ok(Value::Str(path_clean(string_arg(&a, 0)?))));
    f.insert("ext", Exact(1), |_, a| Ok(Value::Str(path_ext(string_arg(&a, 0)?))));
    f.insert("isAbs", Exact(1), |_, a| Ok(Value::Bool(string_arg(&a, 0)?.starts_with('/'))));
    f.insert("osBase", Exact(1), |_, a| Ok(Value::Str(path_base(string_arg(&a, 0)?))));
    f.insert("osDir", Exact(1), |_, a| Ok(Value::Str(path_dir(string_arg(&a, 0)?))));
    f.insert("osClean", Exact(1), |_, a| Ok(Value::Str(path_clean(string_arg(&a, 0)?))));
    f.insert("osExt", Exact(1), |_, a| Ok(Value::Str(path_ext(string_arg(&a, 0)?))));
    f.insert("osIsAbs", Exact(1), |_, a| Ok(Value::Bool(string_arg(&a, 0)?.starts_with('/'))));
}

/// Go's `path.Clean`.
pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => return String::new(),
            '.' => return p[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}
