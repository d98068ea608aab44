//! Sprig's list functions (`list.go`, `numeric.go`'s `until`/`untilStep`/`seq`). Lists are never
//! changed in place: every function returns a new `[]interface{}`. The `must*` forms return the error
//! that the plain forms raise by panicking; in a template both are an error.

use super::super::exec::{CallError, State};
use super::super::value::{Elem, List, Value};
use super::{Arity, Funcs, int_arg, kind_name, nil_deref, reflect_list, sized, to_int64};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("list", AtLeast(0), |_, a| Ok(Value::list(a)));
    f.insert("tuple", AtLeast(0), |_, a| Ok(Value::list(a)));
    for name in ["append", "push", "mustAppend", "mustPush"] {
        f.insert(name, Exact(2), |_, a| {
            let mut items = reflect_list(&a[0], "push")?.to_vec();
            items.push(a[1].clone());
            Ok(Value::list(items))
        });
    }
    for name in ["prepend", "mustPrepend"] {
        f.insert(name, Exact(2), |_, a| {
            let l = reflect_list(&a[0], "prepend")?;
            let mut items = Vec::with_capacity(l.len() + 1);
            items.push(a[1].clone());
            items.extend(l.iter().cloned());
            Ok(Value::list(items))
        });
    }
    for name in ["first", "mustFirst"] {
        f.insert(name, Exact(1), |_, a| {
            Ok(reflect_list(&a[0], "find first")?.first().cloned().unwrap_or_default())
        });
    }
    for name in ["last", "mustLast"] {
        f.insert(name, Exact(1), |_, a| {
            Ok(reflect_list(&a[0], "find last")?.last().cloned().unwrap_or_default())
        });
    }
    for name in ["rest", "mustRest"] {
        f.insert(name, Exact(1), |_, a| {
            let l = reflect_list(&a[0], "find rest")?;
            Ok(Value::list(l.get(1..).unwrap_or_default().to_vec()))
        });
    }
    for name in ["initial", "mustInitial"] {
        f.insert(name, Exact(1), |_, a| {
            let l = reflect_list(&a[0], "find initial")?;
            Ok(Value::list(l.get(..l.len().saturating_sub(1)).unwrap_or_default().to_vec()))
        });
    }
    for name in ["reverse", "mustReverse"] {
        f.insert(name, Exact(1), |_, a| {
            Ok(Value::list(reflect_list(&a[0], "find reverse")?.iter().rev().cloned().collect()))
        });
    }
    for name in ["compact", "mustCompact"] {
        f.insert(name, Exact(1), |_, a| {
            Ok(Value::list(reflect_list(&a[0], "compact")?.iter().filter(|v| v.truthy()).cloned().collect()))
        });
    }
    for name in ["uniq", "mustUniq"] {
        f.insert(name, Exact(1), |_, a| {
            let mut out: Vec<Value> = Vec::new();
            for v in reflect_list(&a[0], "find uniq")?.iter() {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        });
    }
    for name in ["without", "mustWithout"] {
        f.insert(name, AtLeast(1), |_, a| {
            let l = reflect_list(&a[0], "find without")?;
            Ok(Value::list(l.iter().filter(|v| !a[1..].contains(v)).cloned().collect()))
        });
    }
    for name in ["has", "mustHas"] {
        f.insert(name, Exact(2), |_, a| match &a[1] {
            Value::Nil => Ok(Value::Bool(false)),
            h => Ok(Value::Bool(reflect_list(h, "find has")?.contains(&a[0]))),
        });
    }
    for name in ["slice", "mustSlice"] {
        f.insert(name, AtLeast(1), slice);
    }
    f.insert("concat", AtLeast(0), |_, a| {
        let mut out = Vec::new();
        for l in &a {
            match l {
                Value::List(l) => out.extend(l.iter().cloned()),
                Value::Nil => return Err(nil_deref()),
                v => return Err(format!("Cannot concat type {} as list", kind_name(v)).into()),
            }
        }
        Ok(Value::list(out))
    });
    for name in ["chunk", "mustChunk"] {
        f.insert(name, Exact(2), |_, a| {
            let size = int_arg(&a, 0)?;
            let l = match &a[1] {
                Value::List(l) => l,
                Value::Nil => return Err(nil_deref()),
                v => return Err(format!("Cannot chunk type {}", kind_name(v)).into()),
            };
            let Ok(size) = usize::try_from(size) else {
                return Err("runtime error: makeslice: len out of range".into());
            };
            if size == 0 {
                return Err("runtime error: makeslice: len out of range".into());
            }
            let chunks = l.chunks(size).map(|c| Value::list(c.to_vec())).collect();
            Ok(Value::List(List::typed(chunks, Elem::Slices)))
        });
    }
    f.insert("until", Exact(1), |s, a| {
        let n = int_arg(&a, 0)?;
        int_list(s, until_step(0, n, if n < 0 { -1 } else { 1 }, s)?)
    });
    f.insert("untilStep", Exact(3), |s, a| {
        let (start, stop, step) = (int_arg(&a, 0)?, int_arg(&a, 1)?, int_arg(&a, 2)?);
        int_list(s, until_step(start, stop, step, s)?)
    });
    f.insert("seq", AtLeast(0), seq);
}

fn int_list(_: &State<'_>, items: Vec<i64>) -> Result<Value, CallError> {
    Ok(Value::List(List::typed(items.into_iter().map(Value::Int).collect(), Elem::Int)))
}

/// Sprig's `untilStep`; the length is checked against the output limit before the list is built.
fn until_step(start: i64, stop: i64, step: i64, s: &State<'_>) -> Result<Vec<i64>, CallError> {
    let count = if stop < start {
        if step >= 0 {
            return Ok(Vec::new());
        }
        (i128::from(start) - i128::from(stop) + i128::from(-step) - 1) / i128::from(-step)
    } else {
        if step <= 0 {
            return Ok(Vec::new());
        }
        (i128::from(stop) - i128::from(start) + i128::from(step) - 1) / i128::from(step)
    };
    // Each element costs at least a byte to print; the output limit bounds the list too.
    s.check_size(usize::try_from(count).unwrap_or(usize::MAX))?;
    let mut out = Vec::with_capacity(count as usize);
    let mut i = start;
    for _ in 0..count {
        out.push(i);
        i = i.wrapping_add(step);
    }
    Ok(out)
}

fn seq(s: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let mut p = Vec::with_capacity(a.len());
    for i in 0..a.len() {
        p.push(int_arg(&a, i)?);
    }
    let items = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step(1, end.wrapping_add(inc), inc, s)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step(*start, end.wrapping_add(step), step, s)?
        }
        [start, step, end] => {
            let inc = if end < start { -1 } else { 1 };
            if end < start && *step > 0 {
                return Ok(Value::str(""));
            }
            until_step(*start, end.wrapping_add(inc), *step, s)?
        }
        _ => return Ok(Value::str("")),
    };
    let out: Vec<String> = items.iter().map(i64::to_string).collect();
    sized(s, out.join(" "))
}

/// Sprig's `slice`: indices through `cast.ToInt`; out-of-range indices are Go's slice panic.
fn slice(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let l = match &a[0] {
        Value::List(l) => l,
        Value::Nil => return Err(nil_deref()),
        v => return Err(format!("list should be type of slice or array but {}", kind_name(v)).into()),
    };
    if l.is_empty() {
        return Ok(Value::Nil);
    }
    let len = l.len() as i64;
    let start = a.get(1).map_or(0, to_int64);
    let end = if a.len() < 3 { len } else { to_int64(&a[2]) };
    if end < 0 || end > len {
        return Err(format!("reflect: slice index out of range: {end} with length {len}").into());
    }
    if start < 0 || start > end {
        return Err(format!("reflect.Value.Slice: slice index out of bounds [{start}:{end}]").into());
    }
    Ok(Value::List(List::typed(l[start as usize..end as usize].to_vec(), l.elem)))
}
