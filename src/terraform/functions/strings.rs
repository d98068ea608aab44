//! String functions. Terraform's regular expressions are Go's RE2 syntax, which the `regex` crate
//! shares (the one difference that matters here: `\d`, `\w` and `\b` also match non-ASCII digits and
//! letters in Rust).

use super::{integer, list, string_node, text};
use crate::model::{Entry, Node, Value, format_number};
use crate::span::Span;
use crate::terraform::eval::{Fail, MAX_STRING, to_number};
use regex::Regex;

/// Largest compiled regular expression accepted; a bigger one stays unknown.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Most matches `regexall` returns before giving up.
const MAX_MATCHES: usize = 10_000;

/// `Ok(None)`: not one of these functions.
pub(super) fn apply(name: &str, span: Span, args: &[Node]) -> Result<Option<Node>, Fail> {
    let s = |i: usize| text(args.get(i));
    let out = |v: String| string_node(span, v).map(Some);
    let yes = |b: bool| Ok(Some(Node::new(span, Value::Bool(b))));
    match (name, args.len()) {
        ("format", n) if n >= 1 => out(format(&s(0)?, args.get(1..).unwrap_or_default())?),
        ("formatlist", n) if n >= 1 => formatlist(span, &s(0)?, args.get(1..).unwrap_or_default()).map(Some),
        ("join", n) if n >= 2 => {
            let sep = s(0)?;
            let mut parts = Vec::new();
            for l in args.iter().skip(1) {
                for item in list(Some(l))? {
                    parts.push(text(Some(item))?);
                }
            }
            out(parts.join(&sep))
        }
        ("split", 2) => {
            let (sep, whole) = (s(0)?, s(1)?);
            let parts: Vec<Node> = if sep.is_empty() {
                whole.chars().map(|c| Node::new(span, Value::Str(c.to_string()))).collect()
            } else {
                whole.split(sep.as_str()).map(|p| Node::new(span, Value::Str(p.to_string()))).collect()
            };
            Ok(Some(Node::new(span, Value::List(parts))))
        }
        ("lower", 1) => out(s(0)?.to_lowercase()),
        ("upper", 1) => out(s(0)?.to_uppercase()),
        ("title", 1) => out(title(&s(0)?)),
        ("strrev", 1) => out(s(0)?.chars().rev().collect()),
        ("trimspace", 1) => out(s(0)?.trim().to_string()),
        ("trim", 2) => {
            let cut = s(1)?;
            out(s(0)?.trim_matches(|c| cut.contains(c)).to_string())
        }
        ("trimprefix", 2) => {
            let (whole, prefix) = (s(0)?, s(1)?);
            out(whole.strip_prefix(prefix.as_str()).unwrap_or(&whole).to_string())
        }
        ("trimsuffix", 2) => {
            let (whole, suffix) = (s(0)?, s(1)?);
            out(whole.strip_suffix(suffix.as_str()).unwrap_or(&whole).to_string())
        }
        ("chomp", 1) => out(s(0)?.trim_end_matches(['\n', '\r']).to_string()),
        ("startswith", 2) => yes(s(0)?.starts_with(&s(1)?)),
        ("endswith", 2) => yes(s(0)?.ends_with(&s(1)?)),
        ("strcontains", 2) => yes(s(0)?.contains(&s(1)?)),
        ("substr", 3) => out(substr(&s(0)?, integer(args.get(1), true)?, integer(args.get(2), true)?)?),
        ("indent", 2) => {
            let pad = " ".repeat(integer(args.first(), false)?.min(MAX_STRING as i64) as usize);
            let whole = s(1)?;
            out(whole.lines().collect::<Vec<_>>().join(&format!("\n{pad}"))
                + if whole.ends_with('\n') { "\n" } else { "" })
        }
        ("replace", 3) => {
            let (whole, find, with) = (s(0)?, s(1)?, s(2)?);
            match find.strip_prefix('/').and_then(|f| f.strip_suffix('/')).filter(|_| find.len() > 1) {
                Some(pattern) => out(compile(pattern)?.replace_all(&whole, with.as_str()).into_owned()),
                None if find.is_empty() => Err(Fail::Unknown),
                None => out(whole.replace(&find, &with)),
            }
        }
        ("regex", 2) => {
            let re = compile(&s(0)?)?;
            let whole = s(1)?;
            let caps = re.captures(&whole).ok_or(Fail::Error)?;
            Ok(Some(captures(span, &re, &caps)?))
        }
        ("regexall", 2) => {
            let re = compile(&s(0)?)?;
            let whole = s(1)?;
            let mut matches = Vec::new();
            for caps in re.captures_iter(&whole) {
                if matches.len() >= MAX_MATCHES {
                    return Err(Fail::Unknown);
                }
                matches.push(captures(span, &re, &caps)?);
            }
            Ok(Some(Node::new(span, Value::List(matches))))
        }
        ("basename", 1) => {
            let p = s(0)?;
            out(p.trim_end_matches('/').rsplit('/').next().unwrap_or("").to_string())
        }
        ("dirname", 1) => {
            let p = s(0)?;
            out(match p.trim_end_matches('/').rsplit_once('/') {
                Some(("", _)) => "/".to_string(),
                Some((dir, _)) => dir.to_string(),
                None => ".".to_string(),
            })
        }
        _ => Ok(None),
    }
}

fn compile(pattern: &str) -> Result<Regex, Fail> {
    regex::RegexBuilder::new(pattern).size_limit(REGEX_SIZE_LIMIT).build().map_err(|e| match e {
        regex::Error::CompiledTooBig(_) => Fail::Unknown,
        _ => Fail::Error,
    })
}

/// One match as `regex` returns it: the whole match without groups, a list of the groups, or a map
/// of named groups (mixing both is an error in Terraform).
fn captures(span: Span, re: &Regex, caps: &regex::Captures<'_>) -> Result<Node, Fail> {
    let str_node = |m: Option<regex::Match<'_>>| match m {
        Some(m) => Node::new(span, Value::Str(m.as_str().to_string())),
        None => Node::new(span, Value::Null),
    };
    let names: Vec<Option<&str>> = re.capture_names().skip(1).collect();
    if names.is_empty() {
        return Ok(str_node(caps.get(0)));
    }
    let named = names.iter().filter(|n| n.is_some()).count();
    if named == names.len() {
        let entries = names
            .iter()
            .flatten()
            .map(|n| Entry { key: n.to_string(), key_span: span, value: str_node(caps.name(n)) })
            .collect();
        return Ok(Node::new(span, Value::Map(entries)));
    }
    if named > 0 {
        return Err(Fail::Error);
    }
    Ok(Node::new(span, Value::List((1..=names.len()).map(|i| str_node(caps.get(i))).collect())))
}

/// Go's `strings.Title`: the first letter of every word upper-cased.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        at_start = !(c.is_alphanumeric() || c == '_' || c == '\'');
    }
    out
}

/// `substr` in characters; a negative offset counts from the end, a length of -1 runs to the end.
fn substr(s: &str, offset: i64, length: i64) -> Result<String, Fail> {
    let chars: Vec<char> = s.chars().collect();
    let len = chars.len() as i64;
    let start = if offset < 0 { len + offset } else { offset };
    if start < 0 || start > len || length < -1 {
        return Err(Fail::Unknown);
    }
    let end = if length == -1 { len } else { (start + length).min(len) };
    Ok(chars.get(start as usize..end as usize).unwrap_or_default().iter().collect())
}

/// `format`: the verbs `%s %d %v %t %q %f` and `%%`, with `-`/`0` flags, widths and precisions;
/// anything else (`%x`, `%[2]s`…) stays unknown.
pub(super) fn format(spec: &str, args: &[Node]) -> Result<String, Fail> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = spec.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut left = false;
        let mut zero = false;
        while let Some(&f) = chars.peek().filter(|f| matches!(f, '-' | '0')) {
            left |= f == '-';
            zero |= f == '0';
            chars.next();
        }
        let width = digits(&mut chars);
        let precision = if chars.peek() == Some(&'.') {
            chars.next();
            Some(digits(&mut chars).unwrap_or(0))
        } else {
            None
        };
        let verb = chars.next().ok_or(Fail::Error)?;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let arg = next.next().ok_or(Fail::Error)?;
        let mut piece = match verb {
            's' | 'v' => text(Some(arg))?,
            't' => match arg.value {
                Value::Bool(b) => b.to_string(),
                _ => return Err(Fail::Error),
            },
            'q' => serde_json::Value::String(text(Some(arg))?).to_string(),
            'd' => {
                let n = to_number(arg)?;
                if n.fract() != 0.0 {
                    return Err(Fail::Error);
                }
                format_number(n)
            }
            'f' => format!("{:.*}", precision.unwrap_or(6), to_number(arg)?),
            _ => return Err(Fail::Unknown),
        };
        if let (Some(p), 's' | 'v' | 'q') = (precision, verb) {
            piece = piece.chars().take(p).collect();
        }
        if let Some(w) = width {
            let pad = w.saturating_sub(piece.chars().count()).min(MAX_STRING);
            let fill = if zero && !left && matches!(verb, 'd' | 'f') { '0' } else { ' ' };
            let padding: String = std::iter::repeat_n(fill, pad).collect();
            piece = match (left, fill, piece.strip_prefix('-')) {
                (true, _, _) => piece + &padding,
                (false, '0', Some(digits)) => format!("-{padding}{digits}"),
                _ => padding + &piece,
            };
        }
        out.push_str(&piece);
        if out.len() > MAX_STRING {
            return Err(Fail::Unknown);
        }
    }
    if next.next().is_some() {
        return Err(Fail::Error);
    }
    Ok(out)
}

fn digits(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Option<usize> {
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
        chars.next();
    }
    n
}

/// `formatlist`: list arguments (all of one length) are walked together, others repeat.
fn formatlist(span: Span, spec: &str, args: &[Node]) -> Result<Node, Fail> {
    let lists: Vec<usize> = args
        .iter()
        .filter_map(|a| match &a.value {
            Value::List(items) => Some(items.len()),
            _ => None,
        })
        .collect();
    let n = lists.first().copied().unwrap_or(1);
    if lists.iter().any(|l| *l != n) {
        return Err(Fail::Error);
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Node> = args
            .iter()
            .map(|a| match &a.value {
                Value::List(items) => items.get(i).cloned().unwrap_or_else(|| a.clone()),
                _ => a.clone(),
            })
            .collect();
        out.push(Node::new(span, Value::Str(format(spec, &row)?)));
    }
    Ok(Node::new(span, Value::List(out)))
}
