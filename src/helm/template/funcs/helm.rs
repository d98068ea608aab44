//! Helm's own functions that reach the template set or the cluster: `include`, `tpl`, `required`,
//! `lookup`. (`toYaml`, `fromYaml` & co. are in `encoding.rs`.)

use std::collections::BTreeMap;

use super::super::exec::{CallError, ErrorKind};
use super::super::value::Value;
use super::{Arity, Funcs, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("required", Exact(2), |_, a| {
        let msg = string_arg(&a, 0)?;
        match &a[1] {
            Value::Nil => Err(CallError::User(msg.to_string())),
            Value::Str(s) if s.is_empty() => Err(CallError::User(msg.to_string())),
            v => Ok(v.clone()),
        }
    });
    f.insert("include", Exact(2), |s, a| {
        let name = string_arg(&a, 0)?.to_string();
        s.call_template(&name, &a[1], crate::span::Span::default()).map(Value::Str).map_err(CallError::Nested)
    });
    f.insert("tpl", Exact(2), |s, a| {
        let src = string_arg(&a, 0)?.to_string();
        // An error inside the string is reported at the `tpl` call (the string has no file), with
        // Helm's wording; one in a named template it includes keeps that template's location.
        s.execute_inline(&src, &a[1]).map(Value::Str).map_err(|e| match e {
            CallError::Nested(inner) if inner.file == "<tpl>" && inner.kind != ErrorKind::Limit => {
                let msg = format!("error during tpl function execution for {src:?}: {inner}");
                if inner.kind == ErrorKind::User { CallError::User(msg) } else { CallError::Msg(msg) }
            }
            e => e,
        })
    });
    // `helm template` has no cluster: every lookup finds nothing, which is an empty map.
    f.insert("lookup", Exact(4), |_, a| {
        for i in 0..a.len() {
            string_arg(&a, i)?;
        }
        Ok(Value::map(BTreeMap::new()))
    });
}
