//! Terraform's built-in functions, for known arguments. A function not listed here, or called in a
//! way not modelled, gives an unknown value, never a guess; an unknown argument gives an unknown
//! result.

mod collections;
mod encoding;
mod files;
mod network;
mod strings;

use super::eval::{Ctx, Ev, Fail, MAX_STRING, same, to_bool, to_number};
use crate::model::{Node, Value, format_number};
use crate::span::Span;

/// The tag a set (from `toset`, a `set(…)` variable) carries, so that `for` walks it by element.
pub(super) const SET_TAG: &str = "set";

pub(super) fn call(
    ctx: &mut Ctx<'_>,
    span: Span,
    name: &str,
    args: &[Node],
    expand: bool,
    depth: usize,
) -> Ev {
    // `try` and `can` look at how their arguments fail, so they evaluate them themselves.
    match name {
        "try" if !expand => {
            for arg in args {
                match ctx.eval(arg, depth + 1) {
                    Ok(v) => return Ok(v),
                    Err(Fail::Error) => continue,
                    Err(Fail::Unknown) => return Err(Fail::Unknown),
                }
            }
            return Err(Fail::Error);
        }
        "can" if !expand => {
            let [arg] = args else { return Err(Fail::Unknown) };
            return match ctx.eval(arg, depth + 1) {
                Ok(_) => Ok(Node::new(span, Value::Bool(true))),
                Err(Fail::Error) => Ok(Node::new(span, Value::Bool(false))),
                Err(Fail::Unknown) => Err(Fail::Unknown),
            };
        }
        // Values Terraform only knows while applying.
        "timestamp" | "uuid" | "plantimestamp" | "bcrypt" | "uuidv5" => return Err(Fail::Unknown),
        "templatefile" => return files::templatefile(ctx, span, args, depth),
        _ => {}
    }
    let mut values = Vec::with_capacity(args.len());
    for arg in args {
        values.push(ctx.eval(arg, depth + 1)?);
    }
    if expand {
        // `f(a, list...)`: the list's elements are the last arguments.
        let Some(last) = values.pop() else { return Err(Fail::Error) };
        match last.value {
            Value::List(items) => values.extend(items),
            _ => return Err(Fail::Error),
        }
    }
    match name {
        "file" | "fileexists" | "filebase64" => return files::read(ctx, span, name, &values),
        "coalesce" => {
            return values
                .into_iter()
                .find(|v| !matches!(&v.value, Value::Null) && v.as_str() != Some(""))
                .ok_or(Fail::Error);
        }
        _ => {}
    }
    let value = apply(name, span, values)?;
    Ok(value)
}

/// A function of known values; `Err(Unknown)` for one that is not modelled.
fn apply(name: &str, span: Span, args: Vec<Node>) -> Ev {
    if let Some(v) = collections::apply(name, span, &args)? {
        return Ok(v);
    }
    if let Some(v) = strings::apply(name, span, &args)? {
        return Ok(v);
    }
    if let Some(v) = encoding::apply(name, span, &args)? {
        return Ok(v);
    }
    if let Some(v) = network::apply(name, span, &args)? {
        return Ok(v);
    }
    Err(Fail::Unknown)
}

/// A primitive as Terraform converts it to a string.
pub(super) fn text(node: Option<&Node>) -> Result<String, Fail> {
    match node.map(|n| &n.value) {
        Some(Value::Str(s)) => Ok(s.clone()),
        Some(Value::Number(n)) => Ok(format_number(*n)),
        Some(Value::Bool(b)) => Ok(b.to_string()),
        Some(Value::Expr(_)) | None => Err(Fail::Unknown),
        _ => Err(Fail::Error),
    }
}

fn number(node: Option<&Node>) -> Result<f64, Fail> {
    to_number(node.ok_or(Fail::Error)?)
}

/// A whole number argument (an index, a count); negative ones allowed when `signed`.
fn integer(node: Option<&Node>, signed: bool) -> Result<i64, Fail> {
    let n = number(node)?;
    if n.fract() != 0.0 || n.abs() > 1e15 || (!signed && n < 0.0) {
        return Err(Fail::Error);
    }
    Ok(n as i64)
}

fn boolean(node: Option<&Node>) -> Result<bool, Fail> {
    to_bool(node.ok_or(Fail::Error)?)
}

/// The elements of a list (or set) argument.
fn list(node: Option<&Node>) -> Result<&[Node], Fail> {
    match node.map(|n| &n.value) {
        Some(Value::List(items)) => Ok(items),
        Some(Value::Expr(_)) => Err(Fail::Unknown),
        _ => Err(Fail::Error),
    }
}

fn bounded(s: String) -> Result<String, Fail> {
    if s.len() > MAX_STRING { Err(Fail::Unknown) } else { Ok(s) }
}

fn string_node(span: Span, s: String) -> Ev {
    Ok(Node::new(span, Value::Str(bounded(s)?)))
}

/// `items` as a Terraform set: duplicates dropped, strings and numbers in their sorted order.
pub(super) fn as_set(span: Span, items: Vec<Node>) -> Node {
    let mut out: Vec<Node> = Vec::with_capacity(items.len());
    for item in items {
        if !out.iter().any(|o| same(o, &item)) {
            out.push(item);
        }
    }
    if out.iter().all(|n| n.as_str().is_some()) {
        out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    } else if out.iter().all(|n| n.as_number().is_some()) {
        out.sort_by(|a, b| a.as_number().partial_cmp(&b.as_number()).unwrap_or(std::cmp::Ordering::Equal));
    }
    let mut node = Node::new(span, Value::List(out));
    node.tag = Some(SET_TAG.into());
    node
}
