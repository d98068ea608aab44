//! JSON as Go's `encoding/json` writes and reads it for `interface{}` values: sorted map keys, HTML
//! characters escaped unless asked not to, floats in Go's shortest form (`1e+21`, `1e-7`), every
//! number read back as a float64.

use super::super::value::{MAX_NESTING, MAX_PRINT, MAX_WALK, Value, Walk, go_float_g};

/// `json.Marshal` (or `MarshalIndent` with two spaces when `pretty`). Go refuses NaN and infinities.
pub fn to_json(v: &Value, escape_html: bool, pretty: bool) -> Result<String, String> {
    let mut out = String::new();
    write(v, escape_html, if pretty { Some(0) } else { None }, 0, &mut Walk::default(), &mut out)?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<usize>) {
    if let Some(n) = indent {
        out.push('\n');
        out.push_str(&"  ".repeat(n));
    }
}

fn write(
    v: &Value,
    html: bool,
    indent: Option<usize>,
    depth: usize,
    walk: &mut Walk,
    out: &mut String,
) -> Result<(), String> {
    if !walk.enter(depth) || out.len() > MAX_PRINT {
        return Err(format!(
            "json: the value nests deeper than {MAX_NESTING} levels, holds over {MAX_WALK} values or is larger than {MAX_PRINT} bytes"
        ));
    }
    let inner = indent.map(|n| n + 1);
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)?),
        Value::Str(s) => quote(s, html, out),
        Value::List(l) => {
            if l.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, x) in l.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                write(x, html, inner, depth + 1, walk, out)?;
            }
            newline(out, indent);
            out.push(']');
        }
        Value::Map(m) => {
            let m = m.read();
            if m.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, inner);
                quote(k, html, out);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write(x, html, inner, depth + 1, walk, out)?;
            }
            newline(out, indent);
            out.push('}');
        }
        Value::Object(o) => write(&o.to_data(), html, indent, depth + 1, walk, out)?,
    }
    Ok(())
}

/// Go's float encoding: shortest digits, exponent form below 1e-6 and from 1e21, `e-07` → `e-7`.
pub fn json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!("json: unsupported value: {}", go_float_g(f, None, false)));
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        return Ok(format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.unsigned_abs())
            .replace("e-0", "e-")
            .replace("e+0", "e+"));
    }
    Ok(format!("{f}"))
}

fn quote(s: &str, html: bool, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '<' | '>' | '&' if html => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// `json.Unmarshal` into an `interface{}`: objects, arrays, strings, bools, nil and float64 numbers.
pub fn from_json(s: &str) -> Result<Value, String> {
    let v: serde_json::Value = serde_json::from_str(s).map_err(|e| go_json_error(s, &e))?;
    Ok(convert(&v))
}

fn convert(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::list(a.iter().map(convert).collect()),
        serde_json::Value::Object(o) => Value::map(o.iter().map(|(k, v)| (k.clone(), convert(v))).collect()),
    }
}

/// The common Go messages for malformed JSON; anything rarer keeps serde's wording.
fn go_json_error(s: &str, e: &serde_json::Error) -> String {
    if s.trim().is_empty() || e.is_eof() {
        return "unexpected end of JSON input".into();
    }
    let offset: usize = s.lines().take(e.line().saturating_sub(1)).map(|l| l.len() + 1).sum::<usize>()
        + e.column().saturating_sub(1);
    match s[offset.min(s.len())..].chars().next() {
        Some(c) if e.classify() == serde_json::error::Category::Syntax => {
            format!("invalid character {} looking for beginning of value", go_char(c))
        }
        _ => e.to_string(),
    }
}

fn go_char(c: char) -> String {
    match c {
        '\'' => "'\\''".into(),
        '"' => "'\"'".into(),
        c => format!("'{c}'"),
    }
}
