//! Terraform's built-in functions, for known arguments. A function not listed here, or called in a
//! way not modelled, gives an unknown value, never a guess.

use std::net::Ipv4Addr;

use super::eval::{Ctx, Ev, Fail, MAX_STRING, MAX_VALUE_NODES, count_nodes, same, to_bool, to_number};
use crate::model::{Entry, Node, Value, format_number};
use crate::span::Span;

pub(super) fn call(ctx: &mut Ctx<'_>, span: Span, name: &str, args: &[Node], depth: usize) -> Ev {
    // `try` and `can` look at how their arguments fail, so they evaluate them themselves.
    match name {
        "try" => {
            for arg in args {
                match ctx.eval(arg, depth + 1) {
                    Ok(v) => return Ok(v),
                    Err(Fail::Error) => continue,
                    Err(Fail::Unknown) => return Err(Fail::Unknown),
                }
            }
            return Err(Fail::Error);
        }
        "can" => {
            let [arg] = args else { return Err(Fail::Unknown) };
            return match ctx.eval(arg, depth + 1) {
                Ok(_) => Ok(Node::new(span, Value::Bool(true))),
                Err(Fail::Error) => Ok(Node::new(span, Value::Bool(false))),
                Err(Fail::Unknown) => Err(Fail::Unknown),
            };
        }
        "coalesce" => {
            for arg in args {
                let v = ctx.eval(arg, depth + 1)?;
                match &v.value {
                    Value::Null => continue,
                    Value::Str(s) if s.is_empty() => continue,
                    _ => return Ok(v),
                }
            }
            return Err(Fail::Error);
        }
        _ => {}
    }
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(ctx.eval(arg, depth + 1)?);
    }
    let value = apply(name, values)?;
    Ok(Node::new(span, value))
}

fn apply(name: &str, args: Vec<Node>) -> Result<Value, Fail> {
    let v = |i: usize| args.get(i).map(|n| &n.value);
    Ok(match (name, args.len()) {
        ("lookup", 2 | 3) => {
            let Some(Value::Map(entries)) = v(0) else { return Err(Fail::Error) };
            let key = text(args.get(1))?;
            match entries.iter().find(|e| e.key == key) {
                Some(e) => e.value.value.clone(),
                None => args.get(2).map(|d| d.value.clone()).ok_or(Fail::Error)?,
            }
        }
        ("merge", _) => {
            let mut out: Vec<Entry> = Vec::new();
            for arg in &args {
                match &arg.value {
                    Value::Null => {}
                    Value::Map(entries) => {
                        for e in entries {
                            match out.iter_mut().find(|o| o.key == e.key) {
                                Some(o) => o.value = e.value.clone(),
                                None => out.push(e.clone()),
                            }
                        }
                    }
                    _ => return Err(Fail::Error),
                }
            }
            Value::Map(out)
        }
        ("concat", _) => {
            let mut out = Vec::new();
            for arg in args {
                let Value::List(items) = arg.value else { return Err(Fail::Error) };
                out.extend(items);
            }
            Value::List(out)
        }
        ("format", n) if n >= 1 => Value::Str(format(&text(args.first())?, args.get(1..).unwrap_or(&[]))?),
        ("join", n) if n >= 2 => {
            let sep = text(args.first())?;
            let mut parts = Vec::new();
            for list in args.iter().skip(1) {
                let Value::List(items) = &list.value else { return Err(Fail::Error) };
                for item in items {
                    parts.push(text(Some(item))?);
                }
            }
            Value::Str(bounded(parts.join(&sep))?)
        }
        ("split", 2) => {
            let (sep, s) = (text(args.first())?, text(args.get(1))?);
            if sep.is_empty() {
                return Err(Fail::Unknown);
            }
            let span = args.get(1).map_or_else(Span::default, |n| n.span);
            Value::List(s.split(sep.as_str()).map(|p| Node::new(span, Value::Str(p.to_string()))).collect())
        }
        ("lower", 1) => Value::Str(text(args.first())?.to_lowercase()),
        ("upper", 1) => Value::Str(text(args.first())?.to_uppercase()),
        ("tostring", 1) => match v(0) {
            Some(Value::Null) => Value::Null,
            _ => Value::Str(text(args.first())?),
        },
        ("tonumber", 1) => match v(0) {
            Some(Value::Null) => Value::Null,
            _ => Value::Number(to_number(&args[0])?),
        },
        ("tobool", 1) => match v(0) {
            Some(Value::Null) => Value::Null,
            _ => Value::Bool(to_bool(&args[0])?),
        },
        ("tolist", 1) => match v(0) {
            Some(Value::List(items)) => Value::List(items.clone()),
            _ => return Err(Fail::Error),
        },
        ("toset", 1) => match v(0) {
            Some(Value::List(items)) => {
                let mut out: Vec<Node> = Vec::new();
                for item in items {
                    if !out.iter().any(|o| same(o, item)) {
                        out.push(item.clone());
                    }
                }
                // Terraform orders a set of strings lexically.
                if out.iter().all(|n| n.as_str().is_some()) {
                    out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
                }
                Value::List(out)
            }
            _ => return Err(Fail::Error),
        },
        ("tomap", 1) => match v(0) {
            Some(Value::Map(entries)) => Value::Map(entries.clone()),
            _ => return Err(Fail::Error),
        },
        ("length", 1) => match v(0) {
            Some(Value::List(items)) => Value::Number(items.len() as f64),
            Some(Value::Map(entries)) => Value::Number(entries.len() as f64),
            Some(Value::Str(s)) => Value::Number(s.chars().count() as f64),
            _ => return Err(Fail::Error),
        },
        ("contains", 2) => match (v(0), args.get(1)) {
            (Some(Value::List(items)), Some(needle)) => Value::Bool(items.iter().any(|i| same(i, needle))),
            _ => return Err(Fail::Error),
        },
        ("element", 2) => {
            let Some(Value::List(items)) = v(0) else { return Err(Fail::Error) };
            let i = to_number(&args[1])?;
            if items.is_empty() || i < 0.0 || i.fract() != 0.0 {
                return Err(Fail::Error);
            }
            let i = (i as usize) % items.len();
            items.get(i).map(|n| n.value.clone()).ok_or(Fail::Error)?
        }
        ("keys", 1) => match v(0) {
            Some(Value::Map(entries)) => {
                let mut keys: Vec<&Entry> = entries.iter().collect();
                keys.sort_by(|a, b| a.key.cmp(&b.key));
                Value::List(
                    keys.into_iter().map(|e| Node::new(e.key_span, Value::Str(e.key.clone()))).collect(),
                )
            }
            _ => return Err(Fail::Error),
        },
        ("jsonencode", 1) => {
            let json = to_json(&args[0], 0)?;
            Value::Str(bounded(json.to_string())?)
        }
        ("jsondecode", 1) => {
            let s = text(args.first())?;
            let json: serde_json::Value = serde_json::from_str(&s).map_err(|_| Fail::Error)?;
            let node = from_json(&json, args[0].span, 0)?;
            if count_nodes(&node, MAX_VALUE_NODES) >= MAX_VALUE_NODES {
                return Err(Fail::Unknown);
            }
            node.value
        }
        ("cidrsubnet", 3) => {
            let prefix = text(args.first())?;
            let (bits, num) = (to_number(&args[1])?, to_number(&args[2])?);
            Value::Str(cidrsubnet(&prefix, bits, num)?)
        }
        _ => return Err(Fail::Unknown),
    })
}

/// A primitive as Terraform converts it to a string.
fn text(node: Option<&Node>) -> Result<String, Fail> {
    match node.map(|n| &n.value) {
        Some(Value::Str(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(format_number(*n)),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(Value::Expr(_)) | None => Err(Fail::Unknown),
        _ => Err(Fail::Error),
    }
}

fn bounded(s: String) -> Result<String, Fail> {
    if s.len() > MAX_STRING { Err(Fail::Unknown) } else { Ok(s) }
}

/// `format` with the verbs `%s`, `%d`, `%v` and `%%`; any other verb (widths, `%q`…) stays unknown.
fn format(spec: &str, args: &[Node]) -> Result<String, Fail> {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = spec.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('%') => out.push('%'),
            Some('s' | 'v') => out.push_str(&text(Some(next.next().ok_or(Fail::Error)?))?),
            Some('d') => {
                let n = to_number(next.next().ok_or(Fail::Error)?)?;
                if n.fract() != 0.0 {
                    return Err(Fail::Error);
                }
                out.push_str(&format_number(n));
            }
            _ => return Err(Fail::Unknown),
        }
        if out.len() > MAX_STRING {
            return Err(Fail::Unknown);
        }
    }
    Ok(out)
}

fn to_json(node: &Node, depth: usize) -> Result<serde_json::Value, Fail> {
    if depth > 128 {
        return Err(Fail::Unknown);
    }
    Ok(match &node.value {
        Value::Null => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => serde_json::Value::from(*n as i64),
        Value::Number(n) => {
            serde_json::Number::from_f64(*n).map(serde_json::Value::Number).ok_or(Fail::Error)?
        }
        Value::Str(s) => serde_json::Value::String(s.clone()),
        Value::List(items) => {
            serde_json::Value::Array(items.iter().map(|n| to_json(n, depth + 1)).collect::<Result<_, _>>()?)
        }
        Value::Map(entries) => {
            let mut map = serde_json::Map::new();
            for e in entries {
                map.insert(e.key.clone(), to_json(&e.value, depth + 1)?);
            }
            serde_json::Value::Object(map)
        }
        Value::Expr(_) => return Err(Fail::Unknown),
    })
}

fn from_json(json: &serde_json::Value, span: Span, depth: usize) -> Result<Node, Fail> {
    if depth > 128 {
        return Err(Fail::Unknown);
    }
    let value = match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(n.as_f64().ok_or(Fail::Unknown)?),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(|j| from_json(j, span, depth + 1)).collect::<Result<_, _>>()?)
        }
        serde_json::Value::Object(map) => Value::Map(
            map.iter()
                .map(|(k, j)| {
                    Ok(Entry { key: k.clone(), key_span: span, value: from_json(j, span, depth + 1)? })
                })
                .collect::<Result<_, Fail>>()?,
        ),
    };
    Ok(Node::new(span, value))
}

/// `cidrsubnet("10.0.0.0/16", 8, 2)` → `10.0.2.0/24`, IPv4 only (IPv6 stays unknown).
fn cidrsubnet(prefix: &str, newbits: f64, netnum: f64) -> Result<String, Fail> {
    let (addr, len) = prefix.split_once('/').ok_or(Fail::Error)?;
    let addr: Ipv4Addr = match addr.parse() {
        Ok(a) => a,
        Err(_) if addr.contains(':') => return Err(Fail::Unknown),
        Err(_) => return Err(Fail::Error),
    };
    let len: u32 = len.parse().map_err(|_| Fail::Error)?;
    if newbits < 0.0 || netnum < 0.0 || newbits.fract() != 0.0 || netnum.fract() != 0.0 {
        return Err(Fail::Error);
    }
    let (newbits, netnum) = (newbits as u32, netnum as u64);
    let new_len = len.checked_add(newbits).filter(|l| *l <= 32 && len <= 32).ok_or(Fail::Error)?;
    if newbits < 64 && netnum >= (1u64 << newbits) {
        return Err(Fail::Error);
    }
    let base = u32::from(addr) & mask(len);
    let shifted = if new_len == 0 { 0 } else { (netnum as u32).checked_shl(32 - new_len).unwrap_or(0) };
    Ok(format!("{}/{}", Ipv4Addr::from(base | shifted), new_len))
}

fn mask(len: u32) -> u32 {
    if len == 0 { 0 } else { u32::MAX << (32 - len) }
}
