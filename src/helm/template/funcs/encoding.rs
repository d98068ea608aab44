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
    f.insert("b64enc", Exact(1), |s, a| sized(s, BASE64.encode(string_arg(&a, 0)?.as_bytes())));
    f.insert("b64dec", Exact(1), |_, a| {
        Ok(Value::Str(match go_base64_decode(string_arg(&a, 0)?.as_bytes()) {
            Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
            Err(at) => format!("illegal base64 data at input byte {at}"),
        }))
    });
    f.insert("b32enc", Exact(1), |s, a| sized(s, BASE32.encode(string_arg(&a, 0)?.as_bytes())));
    f.insert("b32dec", Exact(1), |_, a| {
        Ok(Value::Str(decode(string_arg(&a, 0)?, "base32", |t| BASE32.decode(t))))
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
    f.insert("mustFromJson", Exact(1), |_, a| from_json(string_arg(&a, 0)?).map_err(CallError::Msg));
    // Helm's: a map (or list) with the error in it instead of failing.
    f.insert("fromJson", Exact(1), |_, a| {
        Ok(match from_json(string_arg(&a, 0)?) {
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
        Ok(match from_json(string_arg(&a, 0)?) {
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
        Ok(match from_yaml(string_arg(&a, 0)?) {
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
        Ok(match from_yaml(string_arg(&a, 0)?) {
            Ok(v @ Value::List(_)) => v,
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(v) => Value::list(vec![Value::Str(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&v)
            ))]),
            Err(e) => Value::list(vec![Value::Str(e)]),
        })
    });
    f.insert("toToml", Exact(1), |s, a| {
        if matches!(a[0], Value::Nil) {
            return Err("reflect: call of reflect.Value.Type on zero Value".into());
        }
        sized(s, super::toml::to_toml(&a[0]).unwrap_or_else(|e| e))
    });
    f.insert("mustToToml", Exact(1), |s, a| sized(s, super::toml::to_toml(&a[0]).map_err(CallError::Msg)?));
    f.insert("fromToml", Exact(1), |_, a| {
        Ok(super::toml::from_toml(string_arg(&a, 0)?).unwrap_or_else(error_map))
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

/// Go's `base64.StdEncoding.DecodeString`: line breaks skipped, padding required, trailing bits not
/// checked; an error is the byte offset Go reports.
fn go_base64_decode(src: &[u8]) -> Result<Vec<u8>, usize> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => Some(c - b'A'),
        b'a'..=b'z' => Some(c - b'a' + 26),
        b'0'..=b'9' => Some(c - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    };
    let skip_breaks = |mut i: usize| {
        while i < src.len() && matches!(src[i], b'\n' | b'\r') {
            i += 1;
        }
        i
    };
    let mut out = Vec::with_capacity(src.len() / 4 * 3);
    let mut si = 0;
    while si < src.len() {
        let mut buf = [0u8; 4];
        let mut len = 4;
        let mut j = 0;
        let mut trailing = None;
        while j < 4 {
            if si == src.len() {
                if j == 0 {
                    return Ok(out);
                }
                return Err(si - j);
            }
            let c = src[si];
            si += 1;
            if let Some(v) = value(c) {
                buf[j] = v;
                j += 1;
                continue;
            }
            if matches!(c, b'\n' | b'\r') {
                continue;
            }
            if c != b'=' || j < 2 {
                return Err(si - 1);
            }
            if j == 2 {
                si = skip_breaks(si);
                if si == src.len() {
                    return Err(src.len());
                }
                if src[si] != b'=' {
                    return Err(si - 1);
                }
                si += 1;
            }
            si = skip_breaks(si);
            if si < src.len() {
                trailing = Some(si);
            }
            len = j;
            break;
        }
        let n = (u32::from(buf[0]) << 18)
            | (u32::from(buf[1]) << 12)
            | (u32::from(buf[2]) << 6)
            | u32::from(buf[3]);
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..len - 1]);
        if let Some(at) = trailing {
            return Err(at);
        }
        if len < 4 {
            break;
        }
    }
    Ok(out)
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
