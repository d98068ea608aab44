//! A deterministic YAML emitter for template values, shaped like Helm's `toYaml`
//! (`sigs.k8s.io/yaml`: JSON, then go-yaml v2 style: sorted keys, 2-space indentation, sequences not
//! indented under their key, literal blocks for multi-line strings, quotes only where YAML 1.1 needs them).

use std::sync::LazyLock;

use regex::Regex;

use super::value::{MAX_PRINT, Value, Walk, go_float};

/// The YAML text of `v`, ending with a newline (Helm's `toYaml` trims it).
pub fn to_yaml(v: &Value) -> String {
    emit(v, false)
}

/// As [`to_yaml`], with sequences indented under their key (go-yaml v3 with `SetIndent(2)`, which
/// Helm's `toYamlPretty` uses).
pub fn to_yaml_indented(v: &Value) -> String {
    emit(v, true)
}

struct Emitter {
    out: String,
    indent_lists: bool,
    walk: Walk,
}

fn emit(v: &Value, indent_lists: bool) -> String {
    let mut e = Emitter { out: String::new(), indent_lists, walk: Walk::default() };
    let v = data(v);
    match &v {
        Value::Map(m) if !m.is_empty() => e.map(&v, 0, 0),
        Value::List(l) if !l.is_empty() => e.list(&v, 0, 0),
        v => {
            let text = e.scalar_at(v, 2, 0);
            e.out.push_str(&text);
            e.out.push('\n');
        }
    }
    e.out
}

/// Host objects are encoded as the data they marshal to (a `time.Time` as its RFC 3339 text).
fn data(v: &Value) -> Value {
    match v {
        Value::Object(o) => o.to_data(),
        v => v.clone(),
    }
}

impl Emitter {
    fn map(&mut self, v: &Value, indent: usize, depth: usize) {
        let Value::Map(m) = v else { return };
        let pad = " ".repeat(indent);
        for (k, x) in m.entries() {
            self.out.push_str(&pad);
            self.out.push_str(&quote_key(&k));
            self.out.push(':');
            let x = data(&x);
            match &x {
                _ if !self.walk.enter(depth + 1) || self.out.len() > MAX_PRINT => self.out.push_str(" ...\n"),
                Value::Map(c) if !c.is_empty() => {
                    self.out.push('\n');
                    self.map(&x, indent + 2, depth + 1);
                }
                Value::List(c) if !c.is_empty() => {
                    self.out.push('\n');
                    let at = if self.indent_lists { indent + 2 } else { indent };
                    self.list(&x, at, depth + 1);
                }
                x => {
                    self.out.push(' ');
                    let col = indent + quote_key(&k).chars().count() + 2;
                    let text = self.scalar_at(x, indent + 2, col);
                    self.out.push_str(&text);
                    self.out.push('\n');
                }
            }
        }
    }

    /// A scalar starting at column `col`; go-yaml v2 (`toYaml`) folds long plain and quoted strings
    /// at spaces past column 80, continuing at `indent`; go-yaml v3 (`toYamlPretty`) does not.
    fn scalar_at(&self, v: &Value, indent: usize, col: usize) -> String {
        // go-yaml v3 encodes floats itself (`strconv.FormatFloat(f, 'g', -1, 64)`), not through JSON.
        if let (Value::Float(f), true) = (v, self.indent_lists)
            && f.is_finite()
        {
            return go_float(*f);
        }
        let text = scalar(v, indent);
        match v {
            Value::Str(_) if !self.indent_lists => fold(&text, indent, col),
            _ => text,
        }
    }

    fn list(&mut self, v: &Value, indent: usize, depth: usize) {
        let Value::List(items) = v else { return };
        let pad = " ".repeat(indent);
        for x in items.iter() {
            let x = data(x);
            match &x {
                _ if !self.walk.enter(depth + 1) || self.out.len() > MAX_PRINT => {
                    self.out.push_str(&pad);
                    self.out.push_str("- ...\n");
                }
                Value::Map(c) if !c.is_empty() => {
                    let mut child = Emitter {
                        out: String::new(),
                        indent_lists: self.indent_lists,
                        walk: std::mem::take(&mut self.walk),
                    };
                    child.map(&x, indent + 2, depth + 1);
                    self.walk = child.walk;
                    self.out.push_str(&pad);
                    self.out.push_str("- ");
                    self.out.push_str(child.out.get(indent + 2..).unwrap_or_default());
                }
                Value::List(c) if !c.is_empty() => {
                    let mut child = Emitter {
                        out: String::new(),
                        indent_lists: self.indent_lists,
                        walk: std::mem::take(&mut self.walk),
                    };
                    child.list(&x, indent + 2, depth + 1);
                    self.walk = child.walk;
                    self.out.push_str(&pad);
                    self.out.push_str("- ");
                    self.out.push_str(child.out.get(indent + 2..).unwrap_or_default());
                }
                x => {
                    self.out.push_str(&pad);
                    self.out.push_str("- ");
                    let text = self.scalar_at(x, indent + 2, indent + 2);
                    self.out.push_str(&text);
                    self.out.push('\n');
                }
            }
        }
    }
}

fn scalar(v: &Value, indent: usize) -> String {
    match v {
        Value::Nil => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Int64(i) => i.to_string(),
        // JSON writes integral floats below 1e21 as integers, which YAML then reads back as ints.
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        Value::Float(f) => go_float(*f),
        Value::Str(s) => quote_str(s, indent),
        Value::Map(_) | Value::Object(_) => "{}".into(),
        Value::List(_) => "[]".into(),
    }
}

/// go-yaml v2's line folding (`best_width` 80): at the first space of a run, once the line is past
/// column 80 and another word follows, the line breaks and continues at `indent`. Quoted styles do
/// not break at their first or last character; a double-quoted break before a second space writes a
/// `\` so the space survives. Block literals are never folded.
fn fold(text: &str, indent: usize, col: usize) -> String {
    const WIDTH: usize = 80;
    let chars: Vec<char> = text.chars().collect();
    let (style, lo, hi) = match chars.first() {
        Some('|') => return text.to_string(),
        Some(q @ ('\'' | '"')) if chars.len() >= 2 => (*q, 1, chars.len() - 1),
        _ => (' ', 0, chars.len()),
    };
    let mut out = String::with_capacity(text.len() + 8);
    let (mut col, mut spaces) = (col, false);
    for (p, &c) in chars.iter().enumerate() {
        let inside = p >= lo && p < hi;
        if c != ' ' || !inside {
            out.push(c);
            col += 1;
            spaces = false;
            continue;
        }
        let next_space = p + 1 < hi && chars[p + 1] == ' ';
        let edge = p == lo || p + 1 == hi;
        let can = !spaces
            && col > WIDTH
            && match style {
                '"' => !edge,
                '\'' => !edge && !next_space,
                _ => !next_space,
            };
        if can {
            out.push('\n');
            out.push_str(&" ".repeat(indent));
            col = indent;
            if style == '"' && next_space {
                out.push('\\');
                col += 1;
            }
        } else {
            out.push(' ');
            col += 1;
        }
        spaces = true;
    }
    out
}

fn quote_key(k: &str) -> String {
    if k.contains('\n') { double_quoted(k) } else { quote_str(k, 0) }
}

static INT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[-+]?(0b[01_]+|0x[0-9a-fA-F_]+|0o?[0-7_]+|[0-9][0-9_]*)$").ok());
static FLOAT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^([-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$").ok()
});
static BASE60: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$").ok());
static TIMESTAMP: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}.*)?$").ok()
});

fn matches(re: &LazyLock<Option<Regex>>, s: &str) -> bool {
    re.as_ref().is_some_and(|r| r.is_match(s))
}

/// Whether a plain scalar would be read back as something other than this string (YAML 1.1).
fn resolves_to_non_string(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true",
        "True", "TRUE", "false", "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "<<",
    ];
    WORDS.contains(&s)
        || matches(&INT, s)
        || matches(&FLOAT, s)
        || matches(&BASE60, s)
        || matches(&TIMESTAMP, s)
}

fn printable(c: char) -> bool {
    c == '\n' || (' '..='~').contains(&c) || (c as u32 >= 0xa0 && !c.is_control() && c != '\u{feff}')
}

fn plain_allowed(s: &str) -> bool {
    let b = s.as_bytes();
    let Some(&first) = b.first() else { return false };
    let followed_by_space = |i: usize| b.get(i + 1).is_none_or(|c| *c == b' ');
    if matches!(
        first,
        b'#' | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    ) || (matches!(first, b'?' | b':' | b'-') && followed_by_space(0))
    {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") || s.starts_with(' ') || s.ends_with(' ') {
        return false;
    }
    if s.contains(": ") || s.ends_with(':') || s.contains(" #") {
        return false;
    }
    true
}

fn quote_str(s: &str, indent: usize) -> String {
    if !s.chars().all(printable) {
        return double_quoted(s);
    }
    if s.contains('\n') {
        return literal(s, indent);
    }
    if resolves_to_non_string(s) {
        return double_quoted(s);
    }
    if plain_allowed(s) {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "''"))
}

fn literal(s: &str, indent: usize) -> String {
    // A line with trailing spaces before a break cannot be a block scalar in go-yaml.
    if s.split('\n').rev().skip(1).any(|l| l.ends_with(' ')) {
        return double_quoted(s);
    }
    let chomp = if !s.ends_with('\n') {
        "-"
    } else if s.ends_with("\n\n") || s == "\n" {
        "+"
    } else {
        ""
    };
    let indicator = if s.starts_with(' ') || s.starts_with('\n') { "2" } else { "" };
    let pad = " ".repeat(indent.max(2));
    let mut out = format!("|{indicator}{chomp}");
    let body = s.strip_suffix('\n').unwrap_or(s);
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\0' => out.push_str("\\0"),
            c if !printable(c) => {
                let n = c as u32;
                if n <= 0xff {
                    out.push_str(&format!("\\x{n:02X}"));
                } else {
                    out.push_str(&format!("\\u{n:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
