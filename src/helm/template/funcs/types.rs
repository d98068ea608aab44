//! Sprig's reflection functions: `typeOf`, `typeIs`, `typeIsLike`, `kindOf`, `kindIs`, `deepEqual`.

use super::super::value::Value;
use super::{Arity, Funcs, kind_name, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("typeOf", Exact(1), |_, a| Ok(Value::Str(a[0].type_name())));
    f.insert("typeIs", Exact(2), |_, a| Ok(Value::Bool(string_arg(&a, 0)? == a[1].type_name())));
    f.insert("typeIsLike", Exact(2), |_, a| {
        let (want, got) = (string_arg(&a, 0)?, a[1].type_name());
        Ok(Value::Bool(want == got || format!("*{want}") == got))
    });
    f.insert("kindOf", Exact(1), |_, a| Ok(Value::str(kind_name(&a[0]))));
    f.insert("kindIs", Exact(2), |_, a| Ok(Value::Bool(string_arg(&a, 0)? == kind_name(&a[1]))));
    f.insert("deepEqual", Exact(2), |_, a| Ok(Value::Bool(a[0] == a[1])));
}
