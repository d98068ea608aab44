//! Scalar text as YAML means it: core-schema typing, escapes, line folding, block scalars.

use crate::model::Value;

/// Types a plain scalar by the YAML 1.2 core schema.
pub fn plain_value(s: String) -> Value {
    match s.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => core_number(&s).map_or(Value::Str(s), Value::Number),
    }
}

/// Types a plain scalar as go-yaml v2 does (YAML 1.1): more booleans, Go's integer syntax (`0x`,
/// `0o`, `0b`, a leading-`0` octal, `_` separators) and `_` in floats.
pub fn plain_value_yaml11(s: String) -> Value {
    match s.as_str() {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" | "true" | "True" | "TRUE" => {
            Value::Bool(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" | "false" | "False" | "FALSE" => {
            Value::Bool(false)
        }
        _ => yaml11_number(&s).map_or(Value::Str(s), Value::Number),
    }
}

fn yaml11_number(s: &str) -> Option<f64> {
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match plain.as_bytes().first()? {
        b'-' => (true, &plain[1..]),
        b'+' => (false, &plain[1..]),
        _ => (false, plain.as_str()),
    };
    let radix = |digits: &str, radix: u32| {
        let ok = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
        ok.then(|| {
            digits
                .chars()
                .filter_map(|c| c.to_digit(radix))
                .fold(0.0, |n, d| n * f64::from(radix) + f64::from(d))
        })
    };
    let int = if let Some(h) = body.strip_prefix("0x") {
        radix(h, 16)
    } else if let Some(o) = body.strip_prefix("0o") {
        radix(o, 8)
    } else if let Some(b) = body.strip_prefix("0b") {
        radix(b, 2)
    } else if body.len() > 1 && body.starts_with('0') && body.bytes().all(|b| b.is_ascii_digit()) {
        radix(&body[1..], 8)
    } else {
        None
    };
    if let Some(n) = int {
        return Some(if neg { -n } else { n });
    }
    match body {
        ".inf" | ".Inf" | ".INF" => return Some(if neg { f64::NEG_INFINITY } else { f64::INFINITY }),
        ".nan" | ".NaN" | ".NAN" if plain == body => return Some(f64::NAN),
        _ => {}
    }
    core_number(&plain).filter(|n| n.is_finite())
}

fn core_number(s: &str) -> Option<f64> {
    let radix = |digits: &str, radix: u32| {
        let ok = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
        // Fold in f64 so that a huge literal is a large number rather than a parse failure.
        ok.then(|| {
            digits
                .chars()
                .filter_map(|c| c.to_digit(radix))
                .fold(0.0, |n, d| n * f64::from(radix) + f64::from(d))
        })
    };
    if let Some(hex) = s.strip_prefix("0x") {
        return radix(hex, 16);
    }
    if let Some(oct) = s.strip_prefix("0o") {
        return radix(oct, 8);
    }
    if matches!(s, ".nan" | ".NaN" | ".NAN") {
        return Some(f64::NAN);
    }
    let (neg, unsigned) = match s.as_bytes().first() {
        Some(b'-') => (true, s.get(1..)?),
        Some(b'+') => (false, s.get(1..)?),
        _ => (false, s),
    };
    if matches!(unsigned, ".inf" | ".Inf" | ".INF") {
        return Some(if neg { f64::NEG_INFINITY } else { f64::INFINITY });
    }
    // [0-9]* ( . [0-9]* )? ( [eE] [-+]? [0-9]+ )? with at least one mantissa digit. Checked by hand
    // because Rust's float parser also takes `inf`, `NaN` and `infinity`, which YAML calls strings.
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (unsigned.get(..i)?, Some(unsigned.get(i + 1..)?)),
        None => (unsigned, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = digits(int) && digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    if mantissa_ok && exponent_ok { s.parse().ok() } else { None }
}

/// Folds a multi-line plain scalar: a line break becomes a space, each blank line a `\n`.
pub fn fold_plain(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank = 0;
    for (i, line) in raw.split('\n').enumerate() {
        let line = line.trim_matches([' ', '\t', '\r']);
        if i == 0 {
            out.push_str(line);
        } else if line.is_empty() {
            blank += 1;
        } else {
            push_fold(&mut out, blank);
            out.push_str(line);
            blank = 0;
        }
    }
    out
}

fn push_fold(out: &mut String, blank_lines: usize) {
    if blank_lines == 0 {
        out.push(' ');
    } else {
        out.extend(std::iter::repeat_n('\n', blank_lines));
    }
}

/// Decodes the inside of a quoted scalar: escapes (double) or `''` (single), and line folding.
pub fn fold_quoted(inner: &str, double: bool) -> String {
    let mut out = String::with_capacity(inner.len());
    // Whitespace before a line break is dropped, except what an escape produced.
    let mut keep = 0;
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if double => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if matches!(e, '\r' | '\n') {
                    // An escaped line break joins the lines without a space.
                    if e == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    while chars.next_if(|c| matches!(c, ' ' | '\t')).is_some() {}
                } else {
                    let hex = |n: usize, chars: &mut std::iter::Peekable<std::str::Chars>| {
                        let digits: String =
                            (0..n).filter_map(|_| chars.next_if(char::is_ascii_hexdigit)).collect();
                        u32::from_str_radix(&digits, 16).ok().and_then(char::from_u32).unwrap_or('\u{FFFD}')
                    };
                    let decoded = match e {
                        '0' => '\0',
                        'a' => '\u{7}',
                        'b' => '\u{8}',
                        't' | '\t' => '\t',
                        'n' => '\n',
                        'v' => '\u{B}',
                        'f' => '\u{C}',
                        'r' => '\r',
                        'e' => '\u{1B}',
                        'N' => '\u{85}',
                        '_' => '\u{A0}',
                        'L' => '\u{2028}',
                        'P' => '\u{2029}',
                        'x' => hex(2, &mut chars),
                        'u' => hex(4, &mut chars),
                        'U' => hex(8, &mut chars),
                        ' ' | '"' | '/' | '\\' => e,
                        _ => {
                            out.push('\\');
                            e
                        }
                    };
                    out.push(decoded);
                }
                keep = out.len();
            }
            '\'' if !double && chars.peek() == Some(&'\'') => {
                chars.next();
                out.push('\'');
                keep = out.len();
            }
            '\r' | '\n' => {
                while out.len() > keep && out.ends_with([' ', '\t']) {
                    out.pop();
                }
                let mut breaks = 0;
                let mut c = c;
                loop {
                    if c == '\r' && chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    breaks += 1;
                    while chars.next_if(|c| matches!(c, ' ' | '\t')).is_some() {}
                    match chars.next_if(|c| matches!(c, '\r' | '\n')) {
                        Some(next) => c = next,
                        None => break,
                    }
                }
                push_fold(&mut out, breaks - 1);
                keep = out.len();
            }
            _ => out.push(c),
        }
    }
    out
}

/// The first escape YAML does not define in a double-quoted string starting at `rest` (after the
/// opening quote), as (offset, escape text).
pub fn bad_escape(rest: &str) -> Option<(usize, String)> {
    let mut iter = rest.char_indices();
    while let Some((i, c)) = iter.next() {
        match c {
            '"' => return None,
            '\\' => {
                let (_, e) = iter.next()?;
                if !"0abt\tnvfreN_LPxuU \"/\\\r\n".contains(e) {
                    return Some((i, format!("\\{e}")));
                }
            }
            _ => {}
        }
    }
    None
}

/// Decodes a block scalar (`|` or `>`) whose header starts at `start` and whose last content line
/// ends at `end` (tree-sitter's span, which leaves out trailing blank lines). Returns the string and
/// the end of its last content line. `parent_indent` is the column an explicit indentation
/// indicator is relative to.
pub fn block(text: &str, start: usize, end: usize, parent_indent: Option<usize>) -> (String, usize) {
    let header_end = text.get(start..).and_then(|t| t.find('\n')).map_or(text.len(), |i| start + i + 1);
    let header = text.get(start..header_end).unwrap_or("");
    let folded = header.starts_with('>');
    let indicators = header.get(1..).unwrap_or("").split([' ', '\t', '#', '\r', '\n']).next().unwrap_or("");
    let keep = indicators.contains('+');
    let strip = indicators.contains('-');
    let explicit = indicators.chars().find_map(|c| c.to_digit(10)).map(|d| d as usize);

    // Content lines up to tree-sitter's end, then the blank lines after it (they matter for `+`).
    let mut lines: Vec<(&str, bool, usize)> = Vec::new();
    let mut pos = header_end;
    for line in text.get(header_end..).unwrap_or("").split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let blank = body.trim_start_matches(' ').is_empty();
        if pos >= end.max(header_end) && !blank {
            break;
        }
        lines.push((body, blank, pos));
        pos += line.len();
    }
    let indent = match explicit {
        Some(m) => parent_indent.map_or(m, |p| p + m),
        None => lines
            .iter()
            .find(|(_, blank, _)| !blank)
            .map_or(0, |(l, _, _)| l.len() - l.trim_start_matches(' ').len()),
    };
    let content: Vec<Option<&str>> = lines
        .iter()
        .map(|&(l, blank, _)| {
            if blank && l.len() <= indent {
                return None;
            }
            let indented = l.bytes().take(indent).all(|b| b == b' ');
            Some(if indented { l.get(indent..).unwrap_or("") } else { l.trim_start_matches(' ') })
        })
        .collect();
    let first = content.iter().position(Option::is_some);
    let last = content.iter().rposition(Option::is_some);
    let (Some(first), Some(last)) = (first, last) else {
        let s = if keep { "\n".repeat(content.len()) } else { String::new() };
        return (s, start + header.trim_end().len());
    };
    let mut out = "\n".repeat(first);
    let mut prev: Option<&str> = None;
    let mut blank = 0;
    for line in content.get(first..=last).unwrap_or(&[]) {
        let Some(line) = line else {
            blank += 1;
            continue;
        };
        if let Some(p) = prev {
            let more = |l: &str| l.starts_with([' ', '\t']);
            if folded && !more(p) && !more(line) {
                push_fold(&mut out, blank);
            } else {
                out.extend(std::iter::repeat_n('\n', blank + 1));
            }
        }
        out.push_str(line);
        prev = Some(line);
        blank = 0;
    }
    if !strip {
        out.push('\n');
    }
    if keep {
        out.extend(std::iter::repeat_n('\n', content.len() - 1 - last));
    }
    // The span ends with the last content line, not the blank lines after it.
    let content_end = lines.get(last).map_or(end, |(l, _, at)| at + l.len());
    (out, content_end)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn core_schema_numbers() {
        for (s, n) in [
            ("1", 1.0),
            ("-2", -2.0),
            ("+3.5", 3.5),
            ("0x1F", 31.0),
            ("0o17", 15.0),
            (".5", 0.5),
            ("1e3", 1000.0),
            ("2.", 2.0),
        ] {
            assert_eq!(core_number(s), Some(n), "{s}");
        }
        assert_eq!(core_number("-.inf"), Some(f64::NEG_INFINITY));
        assert!(core_number(".NaN").is_some_and(f64::is_nan));
        for s in ["inf", "nan", "1_000", "0x", "1e", ".", "1.2.3", "12abc", "infinity", "-"] {
            assert_eq!(core_number(s), None, "{s}");
        }
    }

    #[test]
    fn quoted_folding_and_escapes() {
        assert_eq!(fold_quoted(r"a\tb\x41\u00e9\U0001F600\\\/", true), "a\tbAé😀\\/");
        assert_eq!(fold_quoted("a  \n  b\n\n  c", true), "a b\nc");
        assert_eq!(fold_quoted("a\\\n   b", true), "ab");
        assert_eq!(fold_quoted("a\\t\n b", true), "a\t b");
        assert_eq!(fold_quoted("it''s\r\n  ok", false), "it's ok");
        assert_eq!(bad_escape(r#"x\qy""#), Some((1, r"\q".into())));
        assert_eq!(bad_escape(r#"x\n" \q"#), None);
    }
}
