//! Collection, number and type-conversion functions.

use super::{as_set, boolean, integer, list, number, text};
use crate::model::{Entry, Node, Value};
use crate::span::Span;
use crate::terraform::eval::{Fail, MAX_VALUE_NODES, count_nodes, same, to_bool, to_number};

/// Most elements `range` produces (Terraform's own limit).
const MAX_RANGE: usize = 1024;

/// `Ok(None)`: not one of these functions.
pub(super) fn apply(name: &str, span: Span, args: &[Node]) -> Result<Option<Node>, Fail> {
    let arg = |i: usize| args.get(i);
    let v = |i: usize| args.get(i).map(|n| &n.value);
    let node = |value: Value| Ok(Some(Node::new(span, value)));
    match (name, args.len()) {
        ("length", 1) => match v(0) {
            Some(Value::List(items)) => node(Value::Number(items.len() as f64)),
            Some(Value::Map(entries)) => node(Value::Number(entries.len() as f64)),
            Some(Value::Str(s)) => node(Value::Number(s.chars().count() as f64)),
            _ => Err(Fail::Error),
        },
        ("lookup", 2 | 3) => {
            let Some(Value::Map(entries)) = v(0) else { return Err(Fail::Error) };
            let key = text(arg(1))?;
            match entries.iter().find(|e| e.key == key) {
                Some(e) => Ok(Some(e.value.clone())),
                None => arg(2).cloned().map(Some).ok_or(Fail::Error),
            }
        }
        ("merge", _) => {
            let mut out: Vec<Entry> = Vec::new();
            for a in args {
                match &a.value {
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
            node(Value::Map(out))
        }
        ("concat", _) => {
            let mut out = Vec::new();
            for a in args {
                out.extend(list(Some(a))?.iter().cloned());
            }
            node(Value::List(out))
        }
        ("flatten", 1) => {
            let mut out = Vec::new();
            flatten(list(arg(0))?, &mut out, 0)?;
            node(Value::List(out))
        }
        ("distinct", 1) => {
            let mut out: Vec<Node> = Vec::new();
            for item in list(arg(0))? {
                if !out.iter().any(|o| same(o, item)) {
                    out.push(item.clone());
                }
            }
            node(Value::List(out))
        }
        ("contains", 2) => {
            let needle = arg(1).ok_or(Fail::Error)?;
            node(Value::Bool(list(arg(0))?.iter().any(|i| same(i, needle))))
        }
        ("index", 2) => {
            let needle = arg(1).ok_or(Fail::Error)?;
            let at = list(arg(0))?.iter().position(|i| same(i, needle)).ok_or(Fail::Error)?;
            node(Value::Number(at as f64))
        }
        ("keys", 1) => {
            let entries = sorted_entries(arg(0))?;
            node(Value::List(entries.into_iter().map(|e| Node::new(e.key_span, Value::Str(e.key))).collect()))
        }
        ("values", 1) => {
            let entries = sorted_entries(arg(0))?;
            node(Value::List(entries.into_iter().map(|e| e.value).collect()))
        }
        ("element", 2) => {
            let items = list(arg(0))?;
            let i = integer(arg(1), false)? as usize;
            if items.is_empty() {
                return Err(Fail::Error);
            }
            Ok(items.get(i % items.len()).cloned())
        }
        ("slice", 3) => {
            let items = list(arg(0))?;
            let (start, end) = (integer(arg(1), false)? as usize, integer(arg(2), false)? as usize);
            if start > end || end > items.len() {
                return Err(Fail::Error);
            }
            node(Value::List(items.get(start..end).unwrap_or_default().to_vec()))
        }
        ("reverse", 1) => node(Value::List(list(arg(0))?.iter().rev().cloned().collect())),
        ("sort", 1) => {
            let mut items: Vec<String> =
                list(arg(0))?.iter().map(|i| text(Some(i))).collect::<Result<_, _>>()?;
            items.sort();
            node(Value::List(items.into_iter().map(|s| Node::new(span, Value::Str(s))).collect()))
        }
        ("chunklist", 2) => {
            let items = list(arg(0))?;
            let size = integer(arg(1), false)? as usize;
            let chunks: Vec<Node> = if size == 0 {
                vec![Node::new(span, Value::List(items.to_vec()))]
            } else {
                items.chunks(size).map(|c| Node::new(span, Value::List(c.to_vec()))).collect()
            };
            node(Value::List(chunks))
        }
        ("zipmap", 2) => {
            let (keys, values) = (list(arg(0))?, list(arg(1))?);
            if keys.len() != values.len() {
                return Err(Fail::Error);
            }
            let mut out: Vec<Entry> = Vec::with_capacity(keys.len());
            for (k, value) in keys.iter().zip(values) {
                let key = text(Some(k))?;
                out.retain(|e| e.key != key);
                out.push(Entry { key, key_span: k.span, value: value.clone() });
            }
            node(Value::Map(out))
        }
        ("range", 1..=3) => {
            let nums: Vec<f64> = args.iter().map(|a| number(Some(a))).collect::<Result<_, _>>()?;
            let (start, limit, step) = match nums.as_slice() {
                [limit] => (0.0, *limit, 1.0),
                [start, limit] => (*start, *limit, if limit >= start { 1.0 } else { -1.0 }),
                [start, limit, step] => (*start, *limit, *step),
                _ => return Err(Fail::Error),
            };
            if step == 0.0 || (step > 0.0 && start > limit) || (step < 0.0 && start < limit) {
                return Err(Fail::Error);
            }
            let mut out = Vec::new();
            let mut at = start;
            while (step > 0.0 && at < limit) || (step < 0.0 && at > limit) {
                if out.len() >= MAX_RANGE {
                    return Err(Fail::Error);
                }
                out.push(Node::new(span, Value::Number(at)));
                at += step;
            }
            node(Value::List(out))
        }
        ("compact", 1) => {
            let mut out = Vec::new();
            for item in list(arg(0))? {
                match &item.value {
                    Value::Null => {}
                    Value::Str(s) if s.is_empty() => {}
                    Value::Str(_) | Value::Number(_) | Value::Bool(_) => {
                        out.push(Node::new(item.span, Value::Str(text(Some(item))?)))
                    }
                    _ => return Err(Fail::Error),
                }
            }
            node(Value::List(out))
        }
        ("coalescelist", _) => {
            for a in args {
                if !list(Some(a))?.is_empty() {
                    return Ok(Some(a.clone()));
                }
            }
            Err(Fail::Error)
        }
        ("one", 1) => match list(arg(0))? {
            [] => node(Value::Null),
            [only] => Ok(Some(only.clone())),
            _ => Err(Fail::Error),
        },
        ("sum", 1) => {
            let items = list(arg(0))?;
            if items.is_empty() {
                return Err(Fail::Error);
            }
            let mut total = 0.0;
            for item in items {
                total += to_number(item)?;
            }
            node(Value::Number(total))
        }
        ("min" | "max", n) if n >= 1 => {
            let nums: Vec<f64> = args.iter().map(|a| number(Some(a))).collect::<Result<_, _>>()?;
            let pick = if name == "min" { f64::min } else { f64::max };
            node(Value::Number(nums.into_iter().reduce(pick).unwrap_or_default()))
        }
        ("abs", 1) => node(Value::Number(number(arg(0))?.abs())),
        ("ceil", 1) => node(Value::Number(number(arg(0))?.ceil())),
        ("floor", 1) => node(Value::Number(number(arg(0))?.floor())),
        ("signum", 1) => node(Value::Number(number(arg(0))?.signum())),
        ("pow", 2) => node(Value::Number(number(arg(0))?.powf(number(arg(1))?))),
        ("parseint", 2) => {
            let (s, base) = (text(arg(0))?, integer(arg(1), false)?);
            if !(2..=62).contains(&base) {
                return Err(Fail::Error);
            }
            // Bases over 36 use upper-case letters as more digits: rare, left unknown.
            if base > 36 {
                return Err(Fail::Unknown);
            }
            let n = i64::from_str_radix(&s, base as u32).map_err(|_| Fail::Error)?;
            node(Value::Number(n as f64))
        }
        ("alltrue" | "anytrue", 1) => {
            let items = list(arg(0))?;
            let mut bools = Vec::with_capacity(items.len());
            for item in items {
                bools.push(to_bool(item)?);
            }
            let result = if name == "alltrue" { bools.iter().all(|b| *b) } else { bools.iter().any(|b| *b) };
            node(Value::Bool(result))
        }
        ("setunion", n) if n >= 1 => {
            let mut all = Vec::new();
            for a in args {
                all.extend(list(Some(a))?.iter().cloned());
            }
            Ok(Some(as_set(span, all)))
        }
        ("setintersection", n) if n >= 1 => {
            let first = list(arg(0))?;
            let rest: Vec<&[Node]> = args.iter().skip(1).map(|a| list(Some(a))).collect::<Result<_, _>>()?;
            let kept: Vec<Node> =
                first.iter().filter(|i| rest.iter().all(|r| r.iter().any(|o| same(o, i)))).cloned().collect();
            Ok(Some(as_set(span, kept)))
        }
        ("setsubtract", 2) => {
            let (a, b) = (list(arg(0))?, list(arg(1))?);
            let kept: Vec<Node> = a.iter().filter(|i| !b.iter().any(|o| same(o, i))).cloned().collect();
            Ok(Some(as_set(span, kept)))
        }
        ("setproduct", n) if n >= 1 => {
            let lists: Vec<&[Node]> = args.iter().map(|a| list(Some(a))).collect::<Result<_, _>>()?;
            let total = lists.iter().try_fold(1usize, |acc, l| acc.checked_mul(l.len().max(1)));
            if total.is_none_or(|t| t > MAX_VALUE_NODES / 4) {
                return Err(Fail::Unknown);
            }
            let mut product: Vec<Vec<Node>> = vec![Vec::new()];
            for l in &lists {
                product = product
                    .into_iter()
                    .flat_map(|prefix| {
                        l.iter().map(move |item| {
                            let mut next = prefix.clone();
                            next.push(item.clone());
                            next
                        })
                    })
                    .collect();
            }
            let rows = product.into_iter().map(|row| Node::new(span, Value::List(row))).collect();
            node(Value::List(rows))
        }
        ("tostring", 1) => match v(0) {
            Some(Value::Null) => node(Value::Null),
            _ => node(Value::Str(text(arg(0))?)),
        },
        ("tonumber", 1) => match v(0) {
            Some(Value::Null) => node(Value::Null),
            _ => node(Value::Number(number(arg(0))?)),
        },
        ("tobool", 1) => match v(0) {
            Some(Value::Null) => node(Value::Null),
            _ => node(Value::Bool(boolean(arg(0))?)),
        },
        ("tolist", 1) => match v(0) {
            Some(Value::List(items)) => node(Value::List(items.clone())),
            Some(Value::Null) => node(Value::Null),
            _ => Err(Fail::Error),
        },
        ("toset", 1) => match v(0) {
            Some(Value::List(items)) => Ok(Some(as_set(span, items.clone()))),
            Some(Value::Null) => node(Value::Null),
            _ => Err(Fail::Error),
        },
        ("tomap", 1) => match v(0) {
            Some(Value::Map(entries)) => node(Value::Map(entries.clone())),
            Some(Value::Null) => node(Value::Null),
            _ => Err(Fail::Error),
        },
        ("sensitive" | "nonsensitive", 1) => Ok(arg(0).cloned()),
        _ => Ok(None),
    }
    .and_then(|out| match out {
        Some(n) if count_nodes(&n, MAX_VALUE_NODES) >= MAX_VALUE_NODES => Err(Fail::Unknown),
        other => Ok(other),
    })
}

fn flatten(items: &[Node], out: &mut Vec<Node>, depth: usize) -> Result<(), Fail> {
    if depth > 64 {
        return Err(Fail::Unknown);
    }
    for item in items {
        match &item.value {
            Value::List(inner) => flatten(inner, out, depth + 1)?,
            _ => out.push(item.clone()),
        }
    }
    Ok(())
}

/// A map's entries in key order, as `keys` and `values` return them.
fn sorted_entries(node: Option<&Node>) -> Result<Vec<Entry>, Fail> {
    let Some(Value::Map(entries)) = node.map(|n| &n.value) else { return Err(Fail::Error) };
    let mut entries = entries.clone();
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    Ok(entries)
}
