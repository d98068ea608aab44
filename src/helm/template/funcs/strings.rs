//! Sprig's string functions (`strings.go`, goutils and xstrings), paths (`base`, `dir`, …) and
//! random strings.

use super::super::exec::{CallError, State};
use super::super::value::{Elem, Value};
use super::{Arity, Funcs, int_arg, sized, string_arg, string_list, strval};
use crate::helm::template::value::go_quote;

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("quote", AtLeast(0), |_, a| {
        let parts: Vec<String> =
            a.iter().filter(|v| !matches!(v, Value::Nil)).map(|v| go_quote(&strval(v))).collect();
        Ok(Value::Str(parts.join(" ")))
    });
    f.insert("squote", AtLeast(0), |_, a| {
        let parts: Vec<String> =
            a.iter().filter(|v| !matches!(v, Value::Nil)).map(|v| format!("'{}'", strval(v))).collect();
        Ok(Value::Str(parts.join(" ")))
    });
    f.insert("cat", AtLeast(0), |s, a| {
        let parts: Vec<String> =
            a.iter().filter(|v| !matches!(v, Value::Nil)).map(Value::to_go_string).collect();
        sized(s, parts.join(" "))
    });
    f.insert("toString", Exact(1), |_, a| Ok(Value::Str(strval(&a[0]))));
    f.insert("trim", Exact(1), |_, a| Ok(Value::Str(string_arg(&a, 0)?.trim_matches(is_space).to_string())));
    f.insert("trimAll", Exact(2), trim_all);
    f.insert("trimall", Exact(2), trim_all);
    f.insert("trimPrefix", Exact(2), |_, a| {
        let (p, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(Value::str(s.strip_prefix(p).unwrap_or(s)))
    });
    f.insert("trimSuffix", Exact(2), |_, a| {
        let (p, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(Value::str(s.strip_suffix(p).unwrap_or(s)))
    });
    f.insert("contains", Exact(2), |_, a| Ok(Value::Bool(string_arg(&a, 1)?.contains(string_arg(&a, 0)?))));
    f.insert("hasPrefix", Exact(2), |_, a| {
        Ok(Value::Bool(string_arg(&a, 1)?.starts_with(string_arg(&a, 0)?)))
    });
    f.insert("hasSuffix", Exact(2), |_, a| Ok(Value::Bool(string_arg(&a, 1)?.ends_with(string_arg(&a, 0)?))));
    f.insert("replace", Exact(3), replace);
    f.insert("repeat", Exact(2), |s, a| {
        let n = int_arg(&a, 0)?;
        let text = string_arg(&a, 1)?;
        let Ok(n) = usize::try_from(n) else { return Err("strings: negative Repeat count".into()) };
        s.check_size(n.saturating_mul(text.len()))?;
        sized(s, text.repeat(n))
    });
    f.insert("substr", Exact(3), substr);
    f.insert("trunc", Exact(2), |_, a| {
        let c = int_arg(&a, 0)?;
        let s = string_arg(&a, 1)?;
        let len = s.len() as i64;
        let out = if c < 0 && len + c > 0 {
            bytes_str(s, (len + c) as usize, s.len())
        } else if c >= 0 && len > c {
            bytes_str(s, 0, c as usize)
        } else {
            s.to_string()
        };
        Ok(Value::Str(out))
    });
    f.insert("abbrev", Exact(2), |_, a| {
        let width = int_arg(&a, 0)?;
        let s = string_arg(&a, 1)?;
        Ok(Value::Str(if width < 4 { s.to_string() } else { abbreviate(s, 0, width as usize) }))
    });
    f.insert("abbrevboth", Exact(3), |_, a| {
        let (left, right) = (int_arg(&a, 0)?, int_arg(&a, 1)?);
        let s = string_arg(&a, 2)?;
        if right < 4 || (left > 0 && right < 7) {
            return Ok(Value::str(s));
        }
        Ok(Value::Str(abbreviate(s, left.max(0) as usize, right as usize)))
    });
    f.insert("nospace", Exact(1), |_, a| {
        Ok(Value::Str(string_arg(&a, 0)?.chars().filter(|&c| !is_space(c)).collect()))
    });
    f.insert("initials", Exact(1), |_, a| {
        let mut out = String::new();
        let mut gap = true;
        for b in string_arg(&a, 0)?.bytes() {
            let c = char::from(b);
            if is_space(c) {
                gap = true;
            } else if gap {
                out.push(c);
                gap = false;
            }
        }
        Ok(Value::Str(out))
    });
    f.insert("wrap", Exact(2), |s, a| {
        let n = int_arg(&a, 0)?;
        sized(s, wrap(string_arg(&a, 1)?, n, "\n", false))
    });
    f.insert("wrapWith", Exact(3), |s, a| {
        let n = int_arg(&a, 0)?;
        let sep = string_arg(&a, 1)?;
        sized(s, wrap(string_arg(&a, 2)?, n, if sep.is_empty() { "\n" } else { sep }, true))
    });
    f.insert("plural", Exact(3), |_, a| {
        let (one, many) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(Value::str(if int_arg(&a, 2)? == 1 { one } else { many }))
    });
    f.insert("indent", Exact(2), |s, a| indent(s, &a, ""));
    f.insert("nindent", Exact(2), |s, a| indent(s, &a, "\n"));
    f.insert("splitList", Exact(2), |_, a| {
        let (sep, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(string_list(go_split(s, sep, -1)))
    });
    f.insert("split", Exact(2), |_, a| {
        let (sep, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(split_map(go_split(s, sep, -1)))
    });
    f.insert("splitn", Exact(3), |_, a| {
        let sep = string_arg(&a, 0)?;
        let n = int_arg(&a, 1)?;
        Ok(split_map(go_split(string_arg(&a, 2)?, sep, n)))
    });
    f.insert("join", Exact(2), |s, a| {
        let sep = string_arg(&a, 0)?;
        sized(s, to_strings(&a[1]).join(sep))
    });
    f.insert("toStrings", Exact(1), |_, a| Ok(string_list(to_strings(&a[0]))));
    f.insert("sortAlpha", Exact(1), |_, a| {
        let mut items = match &a[0] {
            Value::List(_) => to_strings(&a[0]),
            v => vec![strval(v)],
        };
        items.sort();
        Ok(string_list(items))
    });
}

/// Go's `unicode.IsSpace`.
pub fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\u{85}' | '\u{a0}')
        || (c as u32 > 0xff && c.is_whitespace())
}

/// A byte range of `s` as Go slices strings (a cut inside a character keeps the bytes; Rust strings
/// cannot, so they become U+FFFD).
fn bytes_str(s: &str, from: usize, to: usize) -> String {
    String::from_utf8_lossy(s.as_bytes().get(from..to).unwrap_or_default()).into_owned()
}

fn trim_all(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let (cut, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
    Ok(Value::str(s.trim_matches(|c: char| cut.contains(c))))
}

fn replace(s: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let (old, new, src) = (string_arg(&a, 0)?, string_arg(&a, 1)?, string_arg(&a, 2)?);
    let n = if old.is_empty() { src.chars().count() + 1 } else { src.matches(old).count() };
    s.check_size(src.len().saturating_add(n.saturating_mul(new.len())))?;
    if old.is_empty() {
        // Go inserts `new` before every character and at the end.
        let mut out = String::with_capacity(src.len() + n * new.len());
        for c in src.chars() {
            out.push_str(new);
            out.push(c);
        }
        out.push_str(new);
        return Ok(Value::Str(out));
    }
    Ok(Value::Str(src.replace(old, new)))
}

fn substr(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let (start, end) = (int_arg(&a, 0)?, int_arg(&a, 1)?);
    let s = string_arg(&a, 2)?;
    let len = s.len() as i64;
    let (lo, hi) = if start < 0 {
        (0, end)
    } else if end < 0 || end > len {
        (start, len)
    } else {
        (start, end)
    };
    if lo < 0 || hi < 0 || hi > len {
        return Err(format!("runtime error: slice bounds out of range [:{hi}] with length {len}").into());
    }
    if lo > hi {
        return Err(format!("runtime error: slice bounds out of range [{lo}:{hi}]").into());
    }
    Ok(Value::Str(bytes_str(s, lo as usize, hi as usize)))
}

/// goutils' `AbbreviateFull` (byte offsets, as Go's).
fn abbreviate(s: &str, offset: usize, max: usize) -> String {
    let len = s.len();
    if s.is_empty() || len <= max {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    if offset <= 4 {
        return format!("{}...", bytes_str(s, 0, max - 3));
    }
    if max < 7 {
        return s.to_string();
    }
    if offset + max - 3 < len {
        return format!("...{}", abbreviate(&bytes_str(s, offset, len), 0, max - 3));
    }
    format!("...{}", bytes_str(s, len - (max - 3), len))
}

/// goutils' `WrapCustom`.
fn wrap(s: &str, width: i64, newline: &str, long_words: bool) -> String {
    let b = s.as_bytes();
    let width = usize::try_from(width.max(1)).unwrap_or(1);
    let len = b.len();
    let mut offset = 0;
    let mut out: Vec<u8> = Vec::with_capacity(len + len / width.max(1) * newline.len());
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        match b[offset..end].iter().rposition(|&c| c == b' ') {
            Some(sp) => {
                out.extend_from_slice(&b[offset..offset + sp]);
                out.extend_from_slice(newline.as_bytes());
                offset += sp + 1;
            }
            None if long_words => {
                out.extend_from_slice(&b[offset..offset + width]);
                out.extend_from_slice(newline.as_bytes());
                offset += width;
            }
            None => {
                let end = width + offset;
                match b[end..].iter().position(|&c| c == b' ') {
                    Some(i) => {
                        out.extend_from_slice(&b[offset..end + i]);
                        out.extend_from_slice(newline.as_bytes());
                        offset = end + i + 1;
                    }
                    None => {
                        out.extend_from_slice(&b[offset..]);
                        offset = len;
                    }
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// Sprig's `indent`/`nindent`; the result size is checked before it is built.
fn indent(s: &State<'_>, a: &[Value], prefix: &str) -> Result<Value, CallError> {
    let n = int_arg(a, 0)?;
    let text = string_arg(a, 1)?;
    let Ok(n) = usize::try_from(n) else { return Err("strings: negative Repeat count".into()) };
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    s.check_size(lines.saturating_mul(n).saturating_add(text.len()))?;
    let pad = " ".repeat(n);
    sized(s, format!("{prefix}{pad}{}", text.replace('\n', &format!("\n{pad}"))))
}

/// Go's `strings.SplitN` (`n < 0`: all; `n == 0`: none; an empty separator splits characters).
pub fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let mut out: Vec<String> = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if out.len() + 1 == limit {
                out.push(chars[i..].iter().collect());
                return out;
            }
            out.push(c.to_string());
        }
        return out;
    }
    s.splitn(limit, sep).map(str::to_string).collect()
}

fn split_map(parts: Vec<String>) -> Value {
    let m = parts.into_iter().enumerate().map(|(i, p)| (format!("_{i}"), Value::Str(p))).collect();
    Value::Map(super::super::value::Dict::typed(m, Elem::String))
}

/// Sprig's `strslice`: a list's non-nil elements as strings; nil is empty; anything else is one string.
pub fn to_strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.iter().filter(|x| !matches!(x, Value::Nil)).map(strval).collect(),
        Value::Nil => Vec::new(),
        v => vec![strval(v)],
    }
}
