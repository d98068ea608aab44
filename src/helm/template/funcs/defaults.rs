//! Sprig's defaults and flow functions (`defaults.go`): `default`, `empty`, `coalesce`, `all`, `any`,
//! `ternary`, and `fail`.

use super::super::exec::CallError;
use super::super::value::Value;
use super::{Arity, Funcs, bool_arg, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    // Sprig's `empty` is Go's truth negated for every type templates see (a struct is never empty).
    f.insert("default", AtLeast(1), |_, a| {
        Ok(if a.len() < 2 || !a[1].truthy() { a[0].clone() } else { a[1].clone() })
    });
    f.insert("empty", Exact(1), |_, a| Ok(Value::Bool(!a[0].truthy())));
    f.insert("coalesce", AtLeast(0), |_, a| Ok(a.iter().find(|v| v.truthy()).cloned().unwrap_or_default()));
    f.insert("all", AtLeast(0), |_, a| Ok(Value::Bool(a.iter().all(Value::truthy))));
    f.insert("any", AtLeast(0), |_, a| Ok(Value::Bool(a.iter().any(Value::truthy))));
    f.insert("ternary", Exact(3), |_, a| Ok(if bool_arg(&a, 2)? { a[0].clone() } else { a[1].clone() }));
    f.insert("hello", Exact(0), |_, _| Ok(Value::str("Hello!")));
    f.insert("fail", Exact(1), |_, a| Err(CallError::User(string_arg(&a, 0)?.to_string())));
}
