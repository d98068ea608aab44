//! Sprig's regular expressions (`regex.go`). Go's `regexp` is RE2, which the `regex` crate follows
//! (replacement templates `$1`/`${name}` included); Unicode classes (`\d`, `\w`) are wider here.

use regex::{NoExpand, Regex};

use super::super::exec::CallError;
use super::super::value::Value;
use super::{Arity, Funcs, int_arg, sized, string_arg, string_list};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    // `regexMatch` alone swallows a bad pattern (false); the other plain forms panic, which is an error.
    f.insert("regexMatch", Exact(2), |_, a| {
        string_arg(&a, 0)?;
        let s = string_arg(&a, 1)?;
        Ok(Value::Bool(compile(&a, 0).is_ok_and(|re| re.is_match(s))))
    });
    f.insert("mustRegexMatch", Exact(2), |_, a| {
        Ok(Value::Bool(compile(&a, 0)?.is_match(string_arg(&a, 1)?)))
    });
    for name in ["regexFind", "mustRegexFind"] {
        f.insert(name, Exact(2), |_, a| {
            let re = compile(&a, 0)?;
            Ok(Value::str(re.find(string_arg(&a, 1)?).map_or("", |m| m.as_str())))
        });
    }
    for name in ["regexFindAll", "mustRegexFindAll"] {
        f.insert(name, Exact(3), |_, a| {
            let re = compile(&a, 0)?;
            let s = string_arg(&a, 1)?;
            let n = int_arg(&a, 2)?;
            let limit = usize::try_from(n).unwrap_or(usize::MAX);
            Ok(string_list(re.find_iter(s).take(limit).map(|m| m.as_str().to_string())))
        });
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        f.insert(name, Exact(3), |s, a| {
            let re = compile(&a, 0)?;
            let (text, repl) = (string_arg(&a, 1)?, string_arg(&a, 2)?);
            sized(s, re.replace_all(text, repl).into_owned())
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        f.insert(name, Exact(3), |s, a| {
            let re = compile(&a, 0)?;
            let (text, repl) = (string_arg(&a, 1)?, string_arg(&a, 2)?);
            sized(s, re.replace_all(text, NoExpand(repl)).into_owned())
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        f.insert(name, Exact(3), |_, a| {
            let re = compile(&a, 0)?;
            let s = string_arg(&a, 1)?;
            Ok(string_list(split(&re, string_arg(&a, 0)?, s, int_arg(&a, 2)?)))
        });
    }
    f.insert("regexQuoteMeta", Exact(1), |_, a| {
        let mut out = String::new();
        for c in string_arg(&a, 0)?.chars() {
            if r"\.+*?()|[]{}^$".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
        Ok(Value::Str(out))
    });
}

/// Go reads a `{` that does not start a repetition (`{2}`, `{1,}`, `{1,3}`) as a literal brace; the
/// `regex` crate refuses it, so such braces are escaped first.
fn go_braces(p: &str) -> String {
    let b = p.as_bytes();
    let mut out = String::with_capacity(p.len() + 4);
    let (mut i, mut class) = (0, false);
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            let end = (i + 1 + p[i + 1..].chars().next().map_or(0, char::len_utf8)).min(b.len());
            out.push_str(&p[i..end]);
            i = end;
            continue;
        }
        if class {
            class = c != b']';
        } else if c == b'[' {
            class = true;
            // `[]` and `[^]` take the `]` as a member.
            let skip =
                if p[i + 1..].starts_with("^]") { 2 } else { usize::from(p[i + 1..].starts_with(']')) };
            out.push_str(&p[i..=i + skip]);
            i += skip + 1;
            continue;
        } else if c == b'{' && !repetition(&p[i + 1..]) {
            out.push_str("\\{");
            i += 1;
            continue;
        }
        let len = p[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&p[i..i + len]);
        i += len;
    }
    out
}

/// Whether `s` (after a `{`) is `n}`, `n,}` or `n,m}`.
fn repetition(s: &str) -> bool {
    let digits = |t: &str| t.bytes().take_while(u8::is_ascii_digit).count();
    let n = digits(s);
    if n == 0 {
        return false;
    }
    let rest = &s[n..];
    if rest.starts_with('}') {
        return true;
    }
    let Some(rest) = rest.strip_prefix(',') else { return false };
    let m = digits(rest);
    rest[m..].starts_with('}')
}

fn compile(a: &[Value], i: usize) -> Result<Regex, CallError> {
    let p = string_arg(a, i)?;
    Regex::new(&go_braces(p)).map_err(|e| {
        let detail = e.to_string();
        let last = detail
            .lines()
            .rev()
            .find(|l| l.starts_with("error:"))
            .unwrap_or(&detail)
            .trim_start_matches("error: ");
        CallError::Msg(format!("error parsing regexp: {last}: `{p}`"))
    })
}

/// Go's `Regexp.Split`.
fn split(re: &Regex, expr: &str, s: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !expr.is_empty() && s.is_empty() {
        return vec![String::new()];
    }
    let limit = usize::try_from(n).unwrap_or(usize::MAX);
    let mut out = Vec::new();
    let (mut beg, mut end) = (0, 0);
    for m in re.find_iter(s).take(limit) {
        if n > 0 && out.len() == limit - 1 {
            break;
        }
        end = m.start();
        if m.end() != 0 {
            out.push(s[beg..end].to_string());
        }
        beg = m.end();
    }
    if end != s.len() {
        out.push(s[beg..].to_string());
    }
    out
}
