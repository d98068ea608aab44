//! The function table: Go's `text/template` builtins ([`Funcs::go`]) and Helm's set ([`Funcs::helm`]):
//! Sprig v3 and Helm's own functions, grouped by kind in the submodules.
//!
//! Each function follows the Go original: its parameter types (a Go `string` parameter refuses an
//! `int`, a `map[string]interface{}` parameter takes nil as an empty map), Sprig's conversions of
//! `interface{}` numbers (`cast.ToInt64`, `cast.ToFloat64`), the Go type of its result (`add` gives an
//! `int64`, `splitList` a `[]string`) and its errors (Sprig functions that panic are errors too).
//!
//! The table holds exactly the names Helm 4.2.3 defines (a test checks it). Not implemented, each an
//! error naming the function on its template line: `genCA`, `genCAWithKey`, `genSelfSignedCert(WithKey)`,
//! `genSignedCert(WithKey)`, `buildCustomCert`, `genPrivateKey`, `derivePassword`, `encryptAES`,
//! `decryptAES` (fresh key material on every render, and a cryptography stack smelt does not carry; see
//! `crypto.rs`) and `getHostByName` (smelt never queries DNS). Time zones other than UTC are UTC
//! (`dates.rs`).

mod builtins;
mod case;
mod conv;
mod crypto;
mod dates;
mod defaults;
mod dicts;
mod encoding;
mod gotime;
mod helm;
mod json;
mod lists;
mod math;
mod network;
mod paths;
mod random;
mod regex;
mod semver;
mod strings;
mod toml;
mod types;
mod yaml_in;

use std::collections::HashMap;

use super::exec::{CallError, State};
use super::value::{Dict, Elem, List, Value};

pub use conv::{strval, to_float64, to_int64};
pub use json::json_float;

/// How many arguments a function takes (checked before the call, with Go's message).
#[derive(Clone, Copy, Debug)]
pub enum Arity {
    Exact(usize),
    AtLeast(usize),
}

/// A template function. It may call back into the template set through [`State`] (`include`, `tpl`).
/// The executor calls it only with an argument count that its [`Arity`] allows, so it may index them.
pub type Func = fn(&mut State<'_>, Vec<Value>) -> Result<Value, CallError>;

#[derive(Clone, Copy)]
pub struct FuncDef {
    pub func: Func,
    pub arity: Arity,
}

#[derive(Clone, Default)]
pub struct Funcs {
    map: HashMap<String, FuncDef>,
}

impl Funcs {
    pub fn get(&self, name: &str) -> Option<&FuncDef> {
        self.map.get(name)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// Adds or replaces a function.
    pub fn insert(&mut self, name: &str, arity: Arity, func: Func) {
        self.map.insert(name.to_string(), FuncDef { func, arity });
    }

    /// The names in the table, sorted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.map.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }

    /// The builtins of Go's `text/template`.
    pub fn go() -> Funcs {
        let mut f = Funcs::default();
        builtins::register(&mut f);
        f
    }

    /// The functions Helm gives templates: Go's builtins, Sprig v3 (less `env` and `expandenv`, which
    /// Helm removes) and Helm's own.
    pub fn helm() -> Funcs {
        let mut f = Funcs::go();
        strings::register(&mut f);
        case::register(&mut f);
        paths::register(&mut f);
        random::register(&mut f);
        lists::register(&mut f);
        dicts::register(&mut f);
        math::register(&mut f);
        defaults::register(&mut f);
        types::register(&mut f);
        encoding::register(&mut f);
        regex::register(&mut f);
        semver::register(&mut f);
        crypto::register(&mut f);
        dates::register(&mut f);
        network::register(&mut f);
        helm::register(&mut f);
        f
    }
}

pub(crate) fn sized(s: &State<'_>, out: String) -> Result<Value, CallError> {
    s.check_size(out.len())?;
    Ok(Value::Str(out))
}

/// Go's message for a value of the wrong type passed to a typed parameter.
pub fn wrong_type(want: &str, got: &Value) -> CallError {
    match got {
        Value::Nil => CallError::Msg(format!("invalid value; expected {want}")),
        v => CallError::Msg(format!("wrong type for value; expected {want}; got {}", v.type_name())),
    }
}

/// Argument `i` is not of the Go type `want`: located at that argument, as Go reports it.
pub fn arg_type(a: &[Value], i: usize, want: &str) -> CallError {
    let message = match wrong_type(want, &a[i]) {
        CallError::Msg(m) => m,
        other => return other,
    };
    CallError::Arg { index: i, want: want.to_string(), message }
}

/// A `string` parameter: only strings are accepted, as in Go.
pub fn string_arg(a: &[Value], i: usize) -> Result<&str, CallError> {
    a[i].as_str().ok_or_else(|| arg_type(a, i, "string"))
}

/// An `int` parameter.
pub fn int_arg(a: &[Value], i: usize) -> Result<i64, CallError> {
    match &a[i] {
        Value::Int(n) => Ok(*n),
        _ => Err(arg_type(a, i, "int")),
    }
}

/// A `float64` parameter (an integer literal converts, as Go converts constants).
pub fn float_arg(a: &[Value], i: usize) -> Result<f64, CallError> {
    match &a[i] {
        Value::Float(f) => Ok(*f),
        Value::Int(n) => Ok(*n as f64),
        _ => Err(arg_type(a, i, "float64")),
    }
}

/// A `bool` parameter.
pub fn bool_arg(a: &[Value], i: usize) -> Result<bool, CallError> {
    match &a[i] {
        Value::Bool(b) => Ok(*b),
        _ => Err(arg_type(a, i, "bool")),
    }
}

/// A `map[string]interface{}` parameter: nil is a nil map (`None`), as Go passes it.
pub fn map_arg(a: &[Value], i: usize) -> Result<Option<&Dict>, CallError> {
    match &a[i] {
        Value::Map(m) if matches!(m.elem, Elem::Interface | Elem::Values) => Ok(Some(m)),
        Value::Nil => Ok(None),
        _ => Err(arg_type(a, i, "map[string]interface {}")),
    }
}

/// Go's `reflect.Kind` name of a value, as Sprig's messages (`Cannot push on type string`) and
/// `kindOf` print it.
pub fn kind_name(v: &Value) -> &'static str {
    match v {
        Value::Nil => "invalid",
        Value::Bool(_) => "bool",
        Value::Int(_) => "int",
        Value::Int64(_) => "int64",
        Value::Float(_) => "float64",
        Value::Str(_) => "string",
        Value::List(_) => "slice",
        Value::Map(_) => "map",
        Value::Object(o) => o.kind(),
    }
}

/// A slice or array given to a Sprig list function (`first`, `append`, …), which reflect on their
/// argument: any other kind is Sprig's error, and nil is the nil dereference Go panics with.
pub fn reflect_list<'v>(v: &'v Value, what: &str) -> Result<&'v List, CallError> {
    match v {
        Value::List(l) => Ok(l),
        Value::Nil => Err(nil_deref()),
        v => Err(format!("Cannot {what} on type {}", kind_name(v)).into()),
    }
}

pub fn nil_deref() -> CallError {
    "runtime error: invalid memory address or nil pointer dereference".into()
}

/// A `[]string` result.
pub fn string_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::List(List::typed(items.into_iter().map(Value::Str).collect(), Elem::String))
}
