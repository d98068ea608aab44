//! Sprig's dict functions (`dict.go`). `set`, `unset`, `merge` and `mergeOverwrite` change the map
//! they are given, as in Go, and every reference to that map sees it.

use std::collections::BTreeMap;

use super::super::collections::MAX_WALK;
use super::super::exec::{CallError, State};
use super::super::value::{Dict, Elem, List, MAX_NESTING, Value, Walk};
use super::{Arity, Funcs, map_arg, string_arg, string_list, strval};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("dict", AtLeast(0), |_, a| {
        let mut m = BTreeMap::new();
        for pair in a.chunks(2) {
            let v = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
            m.insert(strval(&pair[0]), v);
        }
        Ok(Value::map(m))
    });
    f.insert("get", Exact(2), |_, a| {
        let key = string_arg(&a, 1)?;
        Ok(map_arg(&a, 0)?.and_then(|m| m.get(key)).unwrap_or_else(|| Value::str("")))
    });
    f.insert("set", Exact(3), |_, a| {
        let key = string_arg(&a, 1)?;
        let Some(m) = map_arg(&a, 0)? else { return Err("assignment to entry in nil map".into()) };
        m.insert(key.to_string(), a[2].clone());
        Ok(Value::Map(m.retyped(Elem::Interface)))
    });
    f.insert("unset", Exact(2), |_, a| {
        let key = string_arg(&a, 1)?;
        match map_arg(&a, 0)? {
            Some(m) => {
                m.remove(key);
                Ok(Value::Map(m.retyped(Elem::Interface)))
            }
            // A nil map prints as `map[]`.
            None => Ok(Value::map(BTreeMap::new())),
        }
    });
    f.insert("hasKey", Exact(2), |_, a| {
        let key = string_arg(&a, 1)?;
        Ok(Value::Bool(map_arg(&a, 0)?.is_some_and(|m| m.contains_key(key))))
    });
    f.insert("pluck", AtLeast(1), |_, a| {
        let key = string_arg(&a, 0)?;
        let mut out = Vec::new();
        for i in 1..a.len() {
            if let Some(v) = map_arg(&a, i)?.and_then(|m| m.get(key)) {
                out.push(v);
            }
        }
        Ok(Value::list(out))
    });
    f.insert("keys", AtLeast(0), |_, a| {
        // Go's map order is random; sorted is one of the orders Helm can give (charts sort anyway).
        let mut out = Vec::new();
        for i in 0..a.len() {
            if let Some(m) = map_arg(&a, i)? {
                out.extend(m.keys());
            }
        }
        Ok(string_list(out))
    });
    f.insert("values", Exact(1), |_, a| {
        Ok(Value::list(map_arg(&a, 0)?.map(|m| m.read().values().cloned().collect()).unwrap_or_default()))
    });
    f.insert("pick", AtLeast(1), |_, a| {
        let m = map_arg(&a, 0)?;
        let mut out = BTreeMap::new();
        for i in 1..a.len() {
            let k = string_arg(&a, i)?;
            if let Some(v) = m.and_then(|m| m.get(k)) {
                out.insert(k.to_string(), v);
            }
        }
        Ok(Value::map(out))
    });
    f.insert("omit", AtLeast(1), |_, a| {
        let mut keys = Vec::new();
        for i in 1..a.len() {
            keys.push(string_arg(&a, i)?);
        }
        let mut out = map_arg(&a, 0)?.map(Dict::snapshot).unwrap_or_default();
        out.retain(|k, _| !keys.contains(&k.as_str()));
        Ok(Value::map(out))
    });
    for name in ["merge", "mustMerge"] {
        f.insert(name, AtLeast(1), |s, a| merge_all(s, a, false));
    }
    for name in ["mergeOverwrite", "mustMergeOverwrite"] {
        f.insert(name, AtLeast(1), |s, a| merge_all(s, a, true));
    }
    for name in ["deepCopy", "mustDeepCopy"] {
        f.insert(name, Exact(1), |_, a| match &a[0] {
            Value::Nil => Err("reflect: call of reflect.Value.Type on zero Value".into()),
            v => deep_copy(v, 0, &mut Walk::default()),
        });
    }
    f.insert("dig", AtLeast(0), |_, a| {
        let n = a.len();
        if n < 3 {
            return Err("dig needs at least three arguments".into());
        }
        let default = &a[n - 2];
        let mut cur = match &a[n - 1] {
            Value::Map(m) if m.elem == Elem::Interface => m.clone(),
            v => return Err(super::wrong_type("map[string]interface {}", v)),
        };
        let mut keys = Vec::new();
        for i in 0..n - 2 {
            keys.push(string_arg(&a, i)?);
        }
        for (i, k) in keys.iter().enumerate() {
            let Some(v) = cur.get(k) else { return Ok(default.clone()) };
            if i + 1 == keys.len() {
                return Ok(v);
            }
            match v {
                Value::Map(m) if m.elem == Elem::Interface => cur = m,
                v => {
                    return Err(format!(
                        "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                        v.type_name()
                    )
                    .into());
                }
            }
        }
        Ok(default.clone())
    });
}

fn merge_all(_: &mut State<'_>, a: Vec<Value>, overwrite: bool) -> Result<Value, CallError> {
    let dst = match map_arg(&a, 0)? {
        Some(m) => m.retyped(Elem::Interface),
        None => Dict::default(),
    };
    for i in 1..a.len() {
        if let Some(src) = map_arg(&a, i)? {
            merge_into(&dst, src, overwrite, 0, &mut Walk::default())?;
        }
    }
    Ok(Value::Map(dst))
}

/// mergo's `Merge` (with `WithOverride` when `overwrite`) of two `map[string]interface{}`: nested maps
/// merge into the destination's own maps; otherwise a key is set when the destination lacks it or
/// holds an empty value, or always when overwriting (but a non-empty destination is never replaced by
/// a map or a list unless overwriting replaces it with a list).
fn merge_into(
    dst: &Dict,
    src: &Dict,
    overwrite: bool,
    depth: usize,
    walk: &mut Walk,
) -> Result<(), CallError> {
    if dst.ptr_eq(src) {
        return Ok(());
    }
    if !walk.enter(depth) {
        return Err(
            format!("the maps nest deeper than {MAX_NESTING} levels or hold over {MAX_WALK} values").into()
        );
    }
    for (key, sv) in src.entries() {
        let dv = dst.get(&key);
        match &sv {
            Value::Nil => {
                if overwrite {
                    dst.insert(key, Value::Nil);
                }
                continue;
            }
            Value::Map(sm) => {
                if let Some(Value::Map(dm)) = &dv {
                    merge_into(dm, sm, overwrite, depth + 1, walk)?;
                }
            }
            Value::List(_) => {
                let dst_empty = dst.is_empty();
                let keep = match &dv {
                    None | Some(Value::Nil) => Value::List(List::new(Vec::new())),
                    Some(v) => v.clone(),
                };
                let set = if overwrite || dst_empty { sv.clone() } else { keep };
                dst.insert(key.clone(), set);
            }
            _ => {}
        }
        let dst_empty_val = dv.as_ref().is_none_or(|v| !v.truthy());
        if !dst_empty_val
            && (matches!(sv, Value::List(_)) || matches!((&sv, &dv), (Value::Map(_), Some(Value::Map(_)))))
        {
            continue;
        }
        if overwrite || dv.is_none() || dst_empty_val {
            dst.insert(key, sv);
        }
    }
    Ok(())
}

/// copystructure's deep copy: new maps and lists all the way down.
fn deep_copy(v: &Value, depth: usize, walk: &mut Walk) -> Result<Value, CallError> {
    if !walk.enter(depth) {
        return Err(format!(
            "the value nests deeper than {MAX_NESTING} levels or holds over {MAX_WALK} values"
        )
        .into());
    }
    Ok(match v {
        Value::List(l) => {
            let mut items = Vec::with_capacity(l.len());
            for x in l.iter() {
                items.push(deep_copy(x, depth + 1, walk)?);
            }
            Value::List(List::typed(items, l.elem))
        }
        Value::Map(m) => {
            let mut out = BTreeMap::new();
            for (k, x) in m.entries() {
                out.insert(k, deep_copy(&x, depth + 1, walk)?);
            }
            Value::Map(Dict::typed(out, m.elem))
        }
        v => v.clone(),
    })
}
