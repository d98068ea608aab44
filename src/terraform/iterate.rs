//! `for` expressions, splats and steps (`.a`, `[i]`) on computed values.

use super::eval::{Ctx, Ev, Fail, Key, MAX_VALUE_NODES, get, to_bool};
use super::functions::{SET_TAG, text};
use crate::model::{Entry, ForExpr, Node, Step, Value};
use crate::span::Span;

/// Applies traversal steps to a known value.
pub(super) fn apply_steps(ctx: &mut Ctx<'_>, mut value: Node, steps: &[Step], depth: usize) -> Ev {
    for step in steps {
        ctx.spend(1)?;
        value = match step {
            Step::Attr(name) => get(value, Key::Name(name.clone()))?,
            Step::Index(index) => {
                let index = ctx.eval(index, depth + 1)?;
                let key = match &index.value {
                    Value::Number(n) if *n >= 0.0 && n.fract() == 0.0 => Key::Index(*n as usize),
                    Value::Str(s) => Key::Name(s.clone()),
                    _ => return Err(Fail::Error),
                };
                get(value, key)?
            }
            Step::Splat(inner) => {
                let span = value.span;
                // A splat on a single value treats it as a one-element list; on null, an empty one.
                let items = match value.value {
                    Value::List(items) => items,
                    Value::Null => Vec::new(),
                    Value::Expr(_) => return Err(Fail::Unknown),
                    other => vec![Node::new(span, other)],
                };
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(apply_steps(ctx, item, inner, depth + 1)?);
                }
                Node::new(span, Value::List(out))
            }
        };
    }
    Ok(value)
}

/// `[for k, v in coll : value if cond]` / `{ for k, v in coll : key => value... if cond }`. A list
/// is walked by index, a map by key in lexical order (as Terraform does), a set by element.
pub(super) fn for_expr(ctx: &mut Ctx<'_>, span: Span, f: &ForExpr, depth: usize) -> Ev {
    let collection = ctx.eval(&f.collection, depth + 1)?;
    let is_set = collection.tag() == Some(SET_TAG);
    let pairs: Vec<(Node, Node)> = match collection.value {
        Value::List(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let key = if is_set { v.clone() } else { Node::new(v.span, Value::Number(i as f64)) };
                (key, v)
            })
            .collect(),
        Value::Map(mut entries) => {
            entries.sort_by(|a, b| a.key.cmp(&b.key));
            entries.into_iter().map(|e| (Node::new(e.key_span, Value::Str(e.key)), e.value)).collect()
        }
        Value::Expr(_) => return Err(Fail::Unknown),
        _ => return Err(Fail::Error),
    };
    ctx.spend(pairs.len())?;
    let mut items = Vec::new();
    let mut entries: Vec<Entry> = Vec::new();
    for (key, value) in pairs {
        let bound = ctx.scopes.len();
        if let Some(k) = &f.key_var {
            ctx.scopes.push((k.clone(), key));
        }
        ctx.scopes.push((f.value_var.clone(), value));
        let result = element(ctx, f, depth);
        ctx.scopes.truncate(bound);
        let Some((key, value)) = result? else { continue };
        match key {
            None => items.push(value),
            Some(key) => {
                let name = text(Some(&key))?;
                match entries.iter_mut().find(|e| e.key == name) {
                    Some(existing) if f.group => {
                        if let Value::List(list) = &mut existing.value.value {
                            list.push(value);
                        }
                    }
                    // Two elements with one key and no `...`: Terraform stops with an error.
                    Some(_) => return Err(Fail::Error),
                    None => {
                        let value =
                            if f.group { Node::new(value.span, Value::List(vec![value])) } else { value };
                        entries.push(Entry { key: name, key_span: key.span, value });
                    }
                }
            }
        }
        if items.len() + entries.len() >= MAX_VALUE_NODES {
            return Err(Fail::Unknown);
        }
    }
    if f.key.is_some() {
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(Node::new(span, Value::Map(entries)))
    } else {
        Ok(Node::new(span, Value::List(items)))
    }
}

/// One element of a `for`: `None` when its `if` is false.
fn element(ctx: &mut Ctx<'_>, f: &ForExpr, depth: usize) -> Result<Option<(Option<Node>, Node)>, Fail> {
    if let Some(cond) = &f.cond {
        let keep = ctx.eval(cond, depth + 1)?;
        if !to_bool(&keep)? {
            return Ok(None);
        }
    }
    let key = match &f.key {
        Some(k) => Some(ctx.eval(k, depth + 1)?),
        None => None,
    };
    let value = ctx.eval(&f.value, depth + 1)?;
    Ok(Some((key, value)))
}
