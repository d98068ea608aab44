//! The values templates compute with, and Go's `%v` printing of them.

use std::collections::BTreeMap;
use std::sync::Arc;

pub use super::collections::{Dict, Elem, List, MAX_NESTING, MAX_PRINT, MAX_WALK, Walk};

/// A template value: the Go types Helm's templates see.
///
/// There is no separate "missing" marker: Helm executes templates with `missingkey=zero` on
/// `map[string]interface{}` data, where a missing key and a key set to `null` are the same nil value.
#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    /// Go's `int`: integer literals, `len`, `int`, `atoi`.
    Int(i64),
    /// Go's `int64`: Sprig's integer arithmetic (`add`, `sub`, `int64`, …) and TOML integers.
    Int64(i64),
    Float(f64),
    Str(String),
    List(List),
    Map(Dict),
    /// A host object with fields and methods (Helm's `.Files`, `.Capabilities`, a `time.Time`, …).
    Object(Arc<dyn Object>),
}

/// A value with methods, as Go structs passed to templates have: `.Files.Get "x"` calls `get`.
pub trait Object: Send + Sync + std::fmt::Debug {
    /// The Go type name, for messages and `%T`.
    fn type_name(&self) -> &'static str;
    /// A field, or a method called without arguments; `None` if there is none by that name.
    fn field(&self, name: &str) -> Option<Value>;
    /// A method called with arguments; `None` if there is no such method.
    fn call(&self, method: &str, args: &[Value]) -> Option<Result<Value, String>>;
    /// The entries `range` iterates over, in order, for objects that are maps in Go (`.Files`).
    fn entries(&self) -> Option<Vec<(String, Value)>> {
        None
    }
    /// What `{{ . }}` prints (Go's `%v` of the struct).
    fn to_go_string(&self) -> String {
        format!("{{{}}}", self.type_name())
    }
    /// Go's `reflect.Kind` name (`struct`, `ptr`), for `kindOf`.
    fn kind(&self) -> &'static str {
        "struct"
    }
    /// The value `toJson`/`toYaml` encode this object as (Go marshals a struct's exported fields).
    fn to_data(&self) -> Value {
        Value::map(BTreeMap::new())
    }
}

impl PartialEq for dyn Object {
    fn eq(&self, other: &dyn Object) -> bool {
        std::ptr::addr_eq(self, other)
    }
}

/// Structural equality (Go's `reflect.DeepEqual` on the same types); a map equals itself.
impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        deep_equal(self, other, 0, &mut Walk::default())
    }
}

fn deep_equal(a: &Value, b: &Value, depth: usize, walk: &mut Walk) -> bool {
    if !walk.enter(depth) {
        return false;
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) | (Value::Int64(x), Value::Int64(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.elem == y.elem
                && x.len() == y.len()
                && x.iter().zip(y.iter()).all(|(p, q)| deep_equal(p, q, depth + 1, walk))
        }
        (Value::Map(x), Value::Map(y)) => {
            if x.ptr_eq(y) {
                return true;
            }
            if x.elem != y.elem {
                return false;
            }
            let (x, y) = (x.read(), y.read());
            x.len() == y.len()
                && x.iter()
                    .zip(y.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && deep_equal(v1, v2, depth + 1, walk))
        }
        (Value::Object(x), Value::Object(y)) => **x == **y,
        _ => false,
    }
}

impl Value {
    /// An identity for a list or map (its shared allocation), stable while the value is alive: how
    /// the source map recognises the caller's values inside a template execution.
    pub fn container_id(&self) -> Option<usize> {
        match self {
            Value::List(l) => Some(l.id()),
            Value::Map(m) => Some(m.id()),
            _ => None,
        }
    }

    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List::new(items))
    }

    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Dict::new(entries))
    }

    /// Go's truth: false, 0, "", nil and empty lists and maps are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(i) | Value::Int64(i) => *i != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::List(l) => !l.is_empty(),
            Value::Map(m) => !m.is_empty(),
            Value::Object(_) => true,
        }
    }

    /// The Go type name, as it appears in error messages and `%!d(string=x)`.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_) => "int".into(),
            Value::Int64(_) => "int64".into(),
            Value::Float(_) => "float64".into(),
            Value::Str(_) => "string".into(),
            Value::List(l) => l.type_name().into(),
            Value::Map(m) => m.type_name(),
            Value::Object(o) => o.type_name().into(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Go's `fmt.Sprint(v)` (`%v`): maps as `map[a:1 b:2]`, lists as `[a b]`, nil as `<nil>`.
    pub fn to_go_string(&self) -> String {
        let mut out = String::new();
        self.write_go(&mut out);
        out
    }

    pub fn write_go(&self, out: &mut String) {
        self.write_go_at(out, 0, &mut Walk::default());
    }

    fn write_go_at(&self, out: &mut String, depth: usize, walk: &mut Walk) {
        if !walk.enter(depth) || out.len() > MAX_PRINT {
            out.push_str("...");
            return;
        }
        match self {
            Value::Nil => out.push_str("<nil>"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) | Value::Int64(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&go_float(*f)),
            Value::Str(s) => out.push_str(s),
            Value::List(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    v.write_go_at(out, depth + 1, walk);
                }
                out.push(']');
            }
            Value::Object(o) => out.push_str(&o.to_go_string()),
            Value::Map(m) => {
                out.push_str("map[");
                for (i, (k, v)) in m.read().iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push(':');
                    v.write_go_at(out, depth + 1, walk);
                }
                out.push(']');
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::Str(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::Str(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Value {
        Value::Int(i)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Value {
        Value::Float(f)
    }
}

/// Converts JSON (e.g. parsed values) into a template value. JSON numbers that are integers become
/// `Int`; callers wanting Helm's float64-everywhere behaviour convert them afterwards.
impl From<&serde_json::Value> for Value {
    fn from(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Nil,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => {
                n.as_i64().map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::Int)
            }
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Array(a) => Value::list(a.iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => {
                Value::map(o.iter().map(|(k, v)| (k.clone(), Value::from(v))).collect())
            }
        }
    }
}

/// Decimal digits (no leading/trailing zeros, at least one) and the exponent `e` of the first digit
/// (`d.ddd × 10^e`), rounded to `prec` significant digits, or shortest round-trip when `None`.
fn digits(f: f64, prec: Option<usize>) -> (String, i32) {
    let s = match prec {
        None => format!("{:e}", f.abs()),
        Some(p) => format!("{:.*e}", p.max(1) - 1, f.abs()),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut d: String = mant.chars().filter(|c| c.is_ascii_digit()).collect();
    while d.len() > 1 && d.ends_with('0') {
        d.pop();
    }
    if d == "0" {
        return (d, 0);
    }
    (d, exp)
}

fn nonfinite(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f > 0.0 { "+Inf".into() } else { "-Inf".into() })
    } else {
        None
    }
}

/// Go's `%e` exponent: sign and at least two digits.
pub fn go_exp(exp: i32, upper: bool) -> String {
    format!("{}{}{:02}", if upper { 'E' } else { 'e' }, if exp < 0 { '-' } else { '+' }, exp.unsigned_abs())
}

/// Go's `%g` (and `%v` for floats when `prec` is `None`).
pub fn go_float_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if let Some(s) = nonfinite(f) {
        return s;
    }
    let (d, exp) = digits(f, prec);
    let nd = d.len() as i32;
    let eprec = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            if p > nd && nd > exp { nd } else { p }
        }
    };
    let sign = if f.is_sign_negative() { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let mut m = d[..1].to_string();
        if d.len() > 1 {
            m.push('.');
            m.push_str(&d[1..]);
        }
        return format!("{sign}{m}{}", go_exp(exp, upper));
    }
    format!("{sign}{}", fixed_from_digits(&d, exp))
}

/// Plain decimal notation of `d × 10^(exp - len(d) + 1)` with no trailing zeros after the point.
fn fixed_from_digits(d: &str, exp: i32) -> String {
    let nd = d.len() as i32;
    if exp < 0 {
        let zeros = "0".repeat((-exp - 1) as usize);
        return format!("0.{zeros}{d}");
    }
    if exp + 1 >= nd {
        let zeros = "0".repeat((exp + 1 - nd) as usize);
        return format!("{d}{zeros}");
    }
    let (a, b) = d.split_at((exp + 1) as usize);
    format!("{a}.{b}")
}

/// Go's `%v` of a float64.
pub fn go_float(f: f64) -> String {
    go_float_g(f, None, false)
}

/// Go's `%e` with a precision.
pub fn go_float_e(f: f64, prec: usize, upper: bool) -> String {
    if let Some(s) = nonfinite(f) {
        return s;
    }
    let s = format!("{:.*e}", prec, f);
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    format!("{mant}{}", go_exp(exp.parse().unwrap_or(0), upper))
}

/// Go's `%f` with a precision.
pub fn go_float_f(f: f64, prec: usize) -> String {
    if let Some(s) = nonfinite(f) {
        return s;
    }
    format!("{:.*}", prec, f)
}

/// Go's `strconv.Quote`.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
