//! TOML as Helm's `toToml` (BurntSushi/toml's encoder) writes it and `fromToml` reads it.

use std::collections::BTreeMap;

use super::super::value::{MAX_NESTING, MAX_PRINT, Value, Walk, go_float};

/// BurntSushi's `Encode` of a map: plain keys first, then `[table]`s (indented by depth) and
/// `[[array tables]]`; nil values are left out.
pub fn to_toml(v: &Value) -> Result<String, String> {
    let Value::Map(m) = v else {
        // A bare value is written as itself (`"x"`).
        return inline(v, 0, &mut Walk::default())
            .map(|s| format!("{s}\n"))
            .map(|s| s.trim_end_matches('\n').to_string());
    };
    let mut out = String::new();
    write_table(&m.snapshot(), &[], &mut out, 0, &mut Walk::default())?;
    Ok(out)
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn is_array_of_tables(v: &Value) -> bool {
    matches!(v, Value::List(l) if !l.is_empty() && l.iter().all(is_table))
}

fn write_table(
    m: &BTreeMap<String, Value>,
    path: &[String],
    out: &mut String,
    depth: usize,
    walk: &mut Walk,
) -> Result<(), String> {
    if !walk.enter(depth) || out.len() > MAX_PRINT {
        return Err(too_big());
    }
    let indent = "  ".repeat(path.len());
    for (k, v) in m {
        if matches!(v, Value::Nil) || is_table(v) || is_array_of_tables(v) {
            continue;
        }
        out.push_str(&format!("{indent}{} = {}\n", key(k), inline(v, depth, walk)?));
    }
    for (k, v) in m {
        let mut sub = path.to_vec();
        sub.push(k.clone());
        let name: Vec<String> = sub.iter().map(|s| key(s)).collect();
        let sub_indent = "  ".repeat(sub.len() - 1);
        match v {
            Value::Map(t) => {
                // BurntSushi separates top-level tables by a blank line, nested ones not.
                if !out.is_empty() && sub.len() == 1 {
                    out.push('\n');
                }
                out.push_str(&format!("{sub_indent}[{}]\n", name.join(".")));
                write_table(&t.snapshot(), &sub, out, depth + 1, walk)?;
            }
            Value::List(l) if is_array_of_tables(v) => {
                for t in l.iter() {
                    if let Value::Map(t) = t {
                        if !out.is_empty() && sub.len() == 1 {
                            out.push('\n');
                        }
                        out.push_str(&format!("{sub_indent}[[{}]]\n", name.join(".")));
                        write_table(&t.snapshot(), &sub, out, depth + 1, walk)?;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn key(k: &str) -> String {
    if !k.is_empty() && k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        k.to_string()
    } else {
        quote(k)
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn too_big() -> String {
    format!("toml: the value nests deeper than {MAX_NESTING} levels or is too large")
}

fn inline(v: &Value, depth: usize, walk: &mut Walk) -> Result<String, String> {
    if !walk.enter(depth) {
        return Err(too_big());
    }
    Ok(match v {
        Value::Nil => return Err("toml: cannot encode array with nil element".into()),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        Value::Float(f) if f.is_nan() => "nan".into(),
        Value::Float(f) if f.is_infinite() => {
            if *f > 0.0 {
                "inf".into()
            } else {
                "-inf".into()
            }
        }
        // `strconv.FormatFloat(f, 'g', -1, 64)`, with `.0` added to a plain integer.
        Value::Float(f) => {
            let s = go_float(*f);
            if s.contains(['.', 'e']) { s } else { format!("{s}.0") }
        }
        Value::Str(s) => quote(s),
        Value::List(l) => {
            let mut parts = Vec::with_capacity(l.len());
            for x in l.iter() {
                parts.push(inline(x, depth + 1, walk)?);
            }
            format!("[{}]", parts.join(", "))
        }
        Value::Map(m) => {
            let mut parts = Vec::new();
            for (k, x) in m.entries() {
                if !matches!(x, Value::Nil) {
                    parts.push(format!("{} = {}", key(&k), inline(&x, depth + 1, walk)?));
                }
            }
            format!("{{{}}}", parts.join(", "))
        }
        Value::Object(o) => inline(&o.to_data(), depth + 1, walk)?,
    })
}

/// BurntSushi's decode into `interface{}`: integers are int64, floats float64, dates their text.
pub fn from_toml(s: &str) -> Result<Value, String> {
    let table: toml::Table = s.parse().map_err(|e: toml::de::Error| format!("toml: {}", e.message()))?;
    Ok(convert(&toml::Value::Table(table)))
}

fn convert(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::Str(s.clone()),
        toml::Value::Integer(i) => Value::Int64(*i),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::Str(d.to_string()),
        toml::Value::Array(a) => Value::list(a.iter().map(convert).collect()),
        toml::Value::Table(t) => Value::map(t.iter().map(|(k, v)| (k.clone(), convert(v))).collect()),
    }
}
