//! Go's `text/template` builtins: `and`, `or`, `not`, `len`, `index`, `slice`, `print`, `printf`,
//! `println`, `eq`, `ne`, `lt`, `le`, `gt`, `ge`, `html`, `js`, `urlquery`, `call`.

use super::super::exec::{CallError, State};
use super::super::format::{go_sprint, go_sprintf, go_sprintln};
use super::super::value::Value;
use super::{Arity, Funcs, sized, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    // `and`/`or` are evaluated lazily by the executor; these entries only declare them.
    f.insert("and", AtLeast(1), |_, _| Err("unreachable".into()));
    f.insert("or", AtLeast(1), |_, _| Err("unreachable".into()));
    f.insert("not", Exact(1), |_, a| Ok(Value::Bool(!a[0].truthy())));
    f.insert("len", Exact(1), |_, a| length(&a[0]));
    f.insert("index", AtLeast(1), index);
    f.insert("slice", AtLeast(1), slice);
    f.insert("print", AtLeast(0), |s, a| sized(s, go_sprint(&a)));
    f.insert("println", AtLeast(0), |s, a| sized(s, go_sprintln(&a)));
    f.insert("printf", AtLeast(1), |s, a| {
        let format = string_arg(&a, 0)?;
        sized(s, go_sprintf(format, &a[1..]))
    });
    f.insert("eq", AtLeast(1), |_, a| eq(&a[0], &a[1..]).map(Value::Bool));
    f.insert("ne", Exact(2), |_, a| eq(&a[0], &a[1..]).map(|b| Value::Bool(!b)));
    f.insert("lt", Exact(2), |_, a| lt(&a[0], &a[1]).map(Value::Bool));
    f.insert("le", Exact(2), |_, a| Ok(Value::Bool(lt(&a[0], &a[1])? || eq(&a[0], &a[1..])?)));
    f.insert("gt", Exact(2), |_, a| Ok(Value::Bool(!(lt(&a[0], &a[1])? || eq(&a[0], &a[1..])?))));
    f.insert("ge", Exact(2), |_, a| Ok(Value::Bool(!lt(&a[0], &a[1])?)));
    f.insert("html", AtLeast(0), |_, a| Ok(Value::Str(html_escape(&eval_args(&a)))));
    f.insert("js", AtLeast(0), |_, a| Ok(Value::Str(js_escape(&eval_args(&a)))));
    f.insert("urlquery", AtLeast(0), |_, a| Ok(Value::Str(query_escape(&eval_args(&a)))));
    f.insert("call", AtLeast(1), |_, a| Err(format!("non-function of type {}", a[0].type_name()).into()));
}

fn length(v: &Value) -> Result<Value, CallError> {
    match v {
        Value::Str(s) => Ok(Value::Int(s.len() as i64)),
        Value::List(l) => Ok(Value::Int(l.len() as i64)),
        Value::Map(m) => Ok(Value::Int(m.len() as i64)),
        Value::Nil => Err("len of nil pointer".into()),
        v => Err(format!("len of type {}", v.type_name()).into()),
    }
}

fn index_of(i: &Value, len: usize, cap_ok: bool) -> Result<usize, CallError> {
    let (Value::Int(i) | Value::Int64(i)) = i else {
        return Err(format!("cannot index slice/array with type {}", i.type_name()).into());
    };
    let limit = if cap_ok { len + 1 } else { len };
    match usize::try_from(*i) {
        Ok(u) if u < limit => Ok(u),
        _ => Err(format!("index out of range: {i}").into()),
    }
}

fn index(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let mut item = a[0].clone();
    if item == Value::Nil {
        return Err("index of untyped nil".into());
    }
    for idx in &a[1..] {
        item = match &item {
            Value::List(l) => l[index_of(idx, l.len(), false)?].clone(),
            Value::Str(s) => Value::Int(i64::from(s.as_bytes()[index_of(idx, s.len(), false)?])),
            Value::Map(m) => match idx {
                Value::Str(k) => m.get(k).unwrap_or_default(),
                other => return Err(format!("value has type {}; should be string", other.type_name()).into()),
            },
            Value::Nil => return Err("index of nil pointer".into()),
            other => return Err(format!("can't index item of type {}", other.type_name()).into()),
        };
    }
    Ok(item)
}

fn slice(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let len = match &a[0] {
        Value::List(l) => l.len(),
        Value::Str(s) => s.len(),
        Value::Nil => return Err("slice of untyped nil".into()),
        other => return Err(format!("can't slice item of type {}", other.type_name()).into()),
    };
    if a.len() > 4 || (a.len() == 4 && matches!(a[0], Value::Str(_))) {
        return Err(format!("too many slice indexes: {}", a.len() - 1).into());
    }
    let lo = match a.get(1) {
        Some(i) => index_of(i, len, true)?,
        None => 0,
    };
    let hi = match a.get(2) {
        Some(i) => index_of(i, len, true)?,
        None => len,
    };
    if lo > hi {
        return Err(format!("invalid slice index: {lo} > {hi}").into());
    }
    match &a[0] {
        Value::List(l) => Ok(Value::list(l[lo..hi].to_vec())),
        Value::Str(s) => s
            .get(lo..hi)
            .map(|x| Value::Str(x.to_string()))
            .ok_or_else(|| "slice splits a UTF-8 character".into()),
        _ => Err("can't slice".into()),
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Nil,
    Bool,
    Int,
    Float,
    Str,
    Other,
}

fn kind(v: &Value) -> Kind {
    match v {
        Value::Nil => Kind::Nil,
        Value::Bool(_) => Kind::Bool,
        Value::Int(_) | Value::Int64(_) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) => Kind::Str,
        _ => Kind::Other,
    }
}

/// Go's `eq`: true when `a` equals any of `rest`.
fn eq(a: &Value, rest: &[Value]) -> Result<bool, CallError> {
    if rest.is_empty() {
        return Err("missing argument for comparison".into());
    }
    let k1 = kind(a);
    for b in rest {
        let k2 = kind(b);
        let truth = if k1 != k2 {
            if k1 != Kind::Nil && k2 != Kind::Nil {
                return Err(incompatible(a, b));
            }
            false
        } else {
            match (a, b) {
                (Value::Nil, Value::Nil) => true,
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (Value::Str(x), Value::Str(y)) => x == y,
                _ => {
                    return Err(format!("non-comparable type {}: {}", a.to_go_string(), a.type_name()).into());
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(a: &Value, b: &Value) -> Result<bool, CallError> {
    match (a, b) {
        (Value::Int(x) | Value::Int64(x), Value::Int(y) | Value::Int64(y)) => Ok(x < y),
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        (Value::Str(x), Value::Str(y)) => Ok(x < y),
        _ if !matches!(kind(a), Kind::Int | Kind::Float | Kind::Str)
            || !matches!(kind(b), Kind::Int | Kind::Float | Kind::Str) =>
        {
            Err("invalid type for comparison".into())
        }
        _ => Err(incompatible(a, b)),
    }
}

fn incompatible(a: &Value, b: &Value) -> CallError {
    CallError::Msg(format!("incompatible types for comparison: {} and {}", a.type_name(), b.type_name()))
}

/// The argument handling of `html`, `js` and `urlquery`: one string as is, else `fmt.Sprint`.
fn eval_args(a: &[Value]) -> String {
    match a {
        [Value::Str(s)] => s.clone(),
        // Go's `printableValue` turns a nil into the string `<no value>` before printing.
        _ => go_sprint(
            &a.iter()
                .map(|v| if matches!(v, Value::Nil) { Value::str("<no value>") } else { v.clone() })
                .collect::<Vec<_>>(),
        ),
    }
}

fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if (c as u32) < 0x20 || c.is_control() || matches!(c, '\u{2028}' | '\u{2029}') => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

pub fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
