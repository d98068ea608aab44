//! Encodings: base64/base32 (Sprig), JSON (Sprig and Helm), YAML and TOML (Helm).

use data_encoding::{BASE32, BASE64};

use super::super::exec::CallError;
use super::super::value::Value;
use super::super::yaml::{to_yaml, to_yaml_indented};
use super::json::{from_json, to_json};
use super::yaml_in::from_yaml;
use super::{Arity, Funcs, sized, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("b64enc", Exact(1), |s, a| sized(s, BASE64.encode(string_arg(&a[0])?.as_bytes())));
    f.insert("b64dec", Exact(1), |_, a| {
        Ok(Value::Str(decode(string_arg(&a[0])?, "base64", |t| BASE64.decode(t))))
    });
    f.insert("b32enc", Exact(1), |s, a| sized(s, BASE32.encode(string_arg(&a[0])?.as_bytes())));
    f.insert("b32dec", Exact(1), |_, a| {
        Ok(Value::Str(decode(string_arg(&a[0])?, "base32", |t| BASE32.decode(t))))
    });

    // Sprig's JSON: errors are swallowed (an empty string, a nil) except in the `must` forms.
    f.insert("toJson", Exact(1), |s, a| sized(s, to_json(&a[0], true, false).unwrap_or_default()));
    f.insert("mustToJson", Exact(1), |s, a| sized(s, to_json(&a[0], true, false).map_err(CallError::Msg)?));
    f.insert("toPrettyJson", Exact(1), |s, a| sized(s, to_json(&a[0], true, true).unwrap_or_default()));
    f.insert("mustToPrettyJson", Exact(1), |s, a| {
        sized(s, to_json(&a[0], true, true).map_err(CallError::Msg)?)
    });
    f.insert("toRawJson", Exact(1), |s, a| sized(s, to_json(&a[0], false, false).unwrap_or_default()));
    f.insert("mustToRawJson", Exact(1), |s, a| {
        sized(s, to_json(&a[0], false, false).map_err(CallError::Msg)?)
    });
    f.insert("mustFromJson", Exact(1), |_, a| from_json(string_arg(&a[0])?).map_err(CallError::Msg));
    // Helm's: a map (or list) with the error in it instead of failing.
    f.insert("fromJson", Exact(1), |_, a| {
        Ok(match from_json(string_arg(&a[0])?) {
            Ok(v @ Value::Map(_)) => v,
            Ok(Value::Nil) => Value::map(Default::default()),
            Ok(v) => error_map(format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&v)
            )),
            Err(e) => error_map(e),
        })
    });
    f.insert("fromJsonArray", Exact(1), |_, a| {
        Ok(match from_json(string_arg(&a[0])?) {
            Ok(v @ Value::List(_)) => v,
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(v) => Value::list(vec![Value::Str(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&v)
            ))]),
            Err(e) => Value::list(vec![Value::Str(e)]),
        })
    });

    f.insert("toYaml", Exact(1), |s, a| sized(s, yaml_or_empty(&a[0], false)));
    f.insert("mustToYaml", Exact(1), |s, a| {
        check_encodable(&a[0])?;
        sized(s, yaml_or_empty(&a[0], false))
    });
    f.insert("toYamlPretty", Exact(1), |s, a| sized(s, yaml_or_empty(&a[0], true)));
    f.insert("fromYaml", Exact(1), |_, a| {
        Ok(match from_yaml(string_arg(&a[0])?) {
            Ok(v @ Value::Map(_)) => v,
            Ok(Value::Nil) => Value::map(Default::default()),
            Ok(v) => error_map(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&v)
            )),
            Err(e) => error_map(e),
        })
    });
    f.insert("fromYamlArray", Exact(1), |_, a| {
        Ok(match from_yaml(string_arg(&a[0])?) {
            Ok(v @ Value::List(_)) => v,
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(v) => Value::list(vec![Value::Str(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&v)
            ))]),
            Err(e) => Value::list(vec![Value::Str(e)]),
        })
    });
    f.insert("toToml", Exact(1), |s, a| sized(s, super::toml::to_toml(&a[0]).unwrap_or_else(|e| e)));
    f.insert("mustToToml", Exact(1), |s, a| sized(s, super::toml::to_toml(&a[0]).map_err(CallError::Msg)?));
    f.insert("fromToml", Exact(1), |_, a| {
        Ok(super::toml::from_toml(string_arg(&a[0])?).unwrap_or_else(error_map))
    });
}

/// Go's decoders ignore line breaks; an error becomes the result string, as Sprig returns it.
fn decode<E: std::fmt::Display>(s: &str, name: &str, dec: impl Fn(&[u8]) -> Result<Vec<u8>, E>) -> String {
    let clean: Vec<u8> = s.bytes().filter(|&b| b != b'\n' && b != b'\r').collect();
    match dec(&clean) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            let at =
                e.to_string().split_whitespace().find_map(|w| w.trim_end_matches(',').parse::<usize>().ok());
            format!("illegal {name} data at input byte {}", at.unwrap_or(0))
        }
    }
}

fn error_map(message: String) -> Value {
    let mut m = std::collections::BTreeMap::new();
    m.insert("Error".to_string(), Value::Str(message));
    Value::map(m)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::Map(_) => "object",
        Value::Str(_) => "string",
        Value::Bool(_) => "bool",
        Value::Nil => "null",
        _ => "number",
    }
}

/// Helm's `toYaml` goes through JSON: a value JSON cannot hold (NaN, infinity) gives an empty string.
fn yaml_or_empty(v: &Value, indent_lists: bool) -> String {
    if check_encodable(v).is_err() {
        return String::new();
    }
    let out = if indent_lists { to_yaml_indented(v) } else { to_yaml(v) };
    out.strip_suffix('\n').unwrap_or(&out).to_string()
}

fn check_encodable(v: &Value) -> Result<(), CallError> {
    to_json(v, false, false).map(|_| ()).map_err(CallError::Msg)
}
