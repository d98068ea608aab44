//! Variable type constraints (`type = map(object({ a = optional(bool, true) }))`) and the conversion
//! Terraform applies to a variable's value: primitives converted, `optional` attributes filled in with
//! their defaults, attributes the type does not name dropped, sets de-duplicated.

use super::eval::{Ev, Fail, same, to_bool, to_number};
use crate::model::{Entry, Expr, Node, Value, format_number};

/// Deepest type expression read; a deeper one leaves the variable unknown.
const MAX_TYPE_DEPTH: usize = 32;

#[derive(Clone, Debug, PartialEq)]
pub(super) enum Type {
    Any,
    String,
    Number,
    Bool,
    List(Box<Type>),
    Set(Box<Type>),
    Map(Box<Type>),
    Tuple(Vec<Type>),
    Object(Vec<Attr>),
}

#[derive(Clone, Debug, PartialEq)]
pub(super) struct Attr {
    name: String,
    ty: Type,
    optional: bool,
    default: Option<Node>,
}

impl Type {
    /// Reads a `type` expression; `None` for one this does not understand.
    pub(super) fn parse(node: &Node) -> Option<Type> {
        parse(node, 0)
    }

    /// Whether a `--var` value for this type is taken as a literal string (primitive types and no
    /// type at all) rather than parsed as an expression.
    pub(super) fn is_primitive(&self) -> bool {
        matches!(self, Type::String | Type::Number | Type::Bool)
    }
}

fn parse(node: &Node, depth: usize) -> Option<Type> {
    if depth > MAX_TYPE_DEPTH {
        return None;
    }
    let Value::Expr(expr) = &node.value else { return None };
    match expr.as_ref() {
        Expr::Reference(parts) if parts.len() == 1 => match parts.first()?.as_str() {
            "any" => Some(Type::Any),
            "string" => Some(Type::String),
            "number" => Some(Type::Number),
            "bool" => Some(Type::Bool),
            // Terraform 0.11 spellings, still accepted.
            "list" => Some(Type::List(Box::new(Type::Any))),
            "map" => Some(Type::Map(Box::new(Type::Any))),
            _ => None,
        },
        Expr::Call { name, args, expand: false } => match (name.as_str(), args.as_slice()) {
            ("list", [t]) => Some(Type::List(Box::new(parse(t, depth + 1)?))),
            ("set", [t]) => Some(Type::Set(Box::new(parse(t, depth + 1)?))),
            ("map", [t]) => Some(Type::Map(Box::new(parse(t, depth + 1)?))),
            ("tuple", [t]) => {
                let items: Option<Vec<Type>> = t.items().iter().map(|i| parse(i, depth + 1)).collect();
                matches!(t.value, Value::List(_)).then_some(())?;
                Some(Type::Tuple(items?))
            }
            ("object", [t]) => {
                let Value::Map(entries) = &t.value else { return None };
                let attrs: Option<Vec<Attr>> = entries.iter().map(|e| attribute(e, depth)).collect();
                Some(Type::Object(attrs?))
            }
            _ => None,
        },
        _ => None,
    }
}

/// `name = type` or `name = optional(type[, default])` inside `object({ … })`.
fn attribute(entry: &Entry, depth: usize) -> Option<Attr> {
    let name = entry.key.clone();
    if let Value::Expr(e) = &entry.value.value
        && let Expr::Call { name: f, args, .. } = e.as_ref()
        && f == "optional"
    {
        let (ty, default) = match args.as_slice() {
            [t] => (parse(t, depth + 1)?, None),
            [t, d] => (parse(t, depth + 1)?, Some(d.clone())),
            _ => return None,
        };
        // A default that is itself an expression would need evaluating in the module's scope.
        if let Some(d) = &default {
            let mut unknown = false;
            d.walk(&mut |n| unknown |= n.is_unknown());
            if unknown {
                return None;
            }
        }
        return Some(Attr { name, ty, optional: true, default });
    }
    Some(Attr { name, ty: parse(&entry.value, depth + 1)?, optional: false, default: None })
}

/// `value` converted to `ty` the way Terraform converts a variable's value.
pub(super) fn convert(value: Node, ty: &Type) -> Ev {
    convert_at(value, ty, 0)
}

fn convert_at(value: Node, ty: &Type, depth: usize) -> Ev {
    if depth > MAX_TYPE_DEPTH {
        return Err(Fail::Unknown);
    }
    if value.is_unknown() {
        return Err(Fail::Unknown);
    }
    let span = value.span;
    let converted = match (ty, value.value) {
        (_, Value::Null) => Value::Null,
        (Type::Any, v) => v,
        (Type::Bool, v) => Value::Bool(to_bool(&Node::new(span, v))?),
        (Type::Number, v) => Value::Number(to_number(&Node::new(span, v))?),
        (Type::String, Value::Str(s)) => Value::Str(s),
        (Type::String, Value::Number(n)) => Value::Str(format_number(n)),
        (Type::String, Value::Bool(b)) => Value::Str(b.to_string()),
        (Type::List(t) | Type::Set(t), Value::List(items)) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                out.push(convert_at(item, t, depth + 1)?);
            }
            let out = if **t == Type::Any {
                unify(Node::new(span, Value::List(out)))?
            } else {
                Node::new(span, Value::List(out))
            };
            if matches!(ty, Type::Set(_)) {
                return Ok(super::functions::as_set(span, out.items().to_vec()));
            }
            out.value
        }
        (Type::Map(t), Value::Map(entries)) => {
            let mut out = Vec::with_capacity(entries.len());
            for e in entries {
                out.push(Entry { value: convert_at(e.value, t, depth + 1)?, ..e });
            }
            if **t == Type::Any {
                return unify(Node::new(span, Value::Map(out)));
            }
            Value::Map(out)
        }
        (Type::Tuple(types), Value::List(items)) if types.len() == items.len() => {
            let mut out = Vec::with_capacity(items.len());
            for (item, t) in items.into_iter().zip(types) {
                out.push(convert_at(item, t, depth + 1)?);
            }
            Value::List(out)
        }
        (Type::Object(attrs), Value::Map(entries)) => {
            let mut out = Vec::with_capacity(attrs.len());
            for attr in attrs {
                let given = entries.iter().find(|e| e.key == attr.name);
                let given_value = given.map(|e| e.value.clone()).filter(|v| !matches!(v.value, Value::Null));
                let value = match (given_value, &attr.default) {
                    (Some(v), _) => convert_at(v, &attr.ty, depth + 1)?,
                    (None, Some(d)) => convert_at(Node { span, ..d.clone() }, &attr.ty, depth + 1)?,
                    (None, None) if attr.optional || given.is_some() => Node::new(span, Value::Null),
                    (None, None) => return Err(Fail::Error),
                };
                let key_span = given.map_or(span, |e| e.key_span);
                out.push(Entry { key: attr.name.clone(), key_span, value });
            }
            Value::Map(out)
        }
        _ => return Err(Fail::Error),
    };
    Ok(Node::new(span, converted))
}

/// `list(any)`, `map(any)`: Terraform gives the collection one element type, turning mixed strings,
/// numbers and booleans into strings. Other mixes are left unknown rather than guessed at.
fn unify(node: Node) -> Ev {
    let items: Vec<&Node> = match &node.value {
        Value::List(items) => items.iter().collect(),
        Value::Map(entries) => entries.iter().map(|e| &e.value).collect(),
        _ => return Ok(node),
    };
    let kind = |n: &Node| match n.value {
        Value::Str(_) => 1,
        Value::Number(_) => 2,
        Value::Bool(_) => 3,
        Value::Null => 0,
        _ => 4,
    };
    let kinds: Vec<u8> = items.iter().map(|n| kind(n)).filter(|k| *k != 0).collect();
    let mixed = kinds.windows(2).any(|w| w[0] != w[1]);
    if !mixed {
        // Lists of maps (or of lists) could still differ in shape: equal shapes only.
        let structured: Vec<&&Node> = items.iter().filter(|n| kind(n) == 4).collect();
        let uniform = structured.windows(2).all(|w| same_shape(w[0], w[1]));
        return if uniform { Ok(node) } else { Err(Fail::Unknown) };
    }
    if kinds.contains(&4) {
        return Err(Fail::Unknown);
    }
    let to_string = |n: Node| match n.value {
        Value::Number(x) => Node { value: Value::Str(format_number(x)), ..n },
        Value::Bool(b) => Node { value: Value::Str(b.to_string()), ..n },
        _ => n,
    };
    let value = match node.value {
        Value::List(items) => Value::List(items.into_iter().map(to_string).collect()),
        Value::Map(entries) => {
            Value::Map(entries.into_iter().map(|e| Entry { value: to_string(e.value), ..e }).collect())
        }
        v => v,
    };
    Ok(Node { value, ..node })
}

/// Same keys (for maps) or same length (for lists) at the top: Terraform's object/tuple types.
fn same_shape(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len() && x.iter().all(|e| y.iter().any(|f| f.key == e.key))
        }
        (Value::List(_), Value::List(_)) => true,
        _ => same(a, b),
    }
}
