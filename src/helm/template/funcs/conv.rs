//! Sprig's conversions of `interface{}` arguments: `strval` and spf13/cast's `ToInt64`, `ToInt` and
//! `ToFloat64`, which Sprig's math uses and which turn anything unconvertible into 0.

use super::super::value::Value;

/// Sprig's `strval`: strings as they are, anything else as `%v`.
pub fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.clone(),
        v => v.to_go_string(),
    }
}

/// `cast.ToInt64`: numbers truncate, strings parse (with Go's base prefixes, after trimming a zero
/// decimal part such as `12.00`), booleans are 0 or 1, and everything else is 0.
pub fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i,
        Value::Float(f) => go_float_to_int(*f),
        Value::Bool(b) => i64::from(*b),
        Value::Str(s) => parse_go_int(trim_zero_decimal(s)).unwrap_or(0),
        _ => 0,
    }
}

/// `cast.ToFloat64`.
pub fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(i) | Value::Int64(i) => *i as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => f64::from(u8::from(*b)),
        Value::Str(s) => parse_go_float(s).unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Go's `int64(f)` conversion as amd64 does it: out-of-range values and NaN become the minimum.
pub fn go_float_to_int(f: f64) -> i64 {
    // 2⁶³, exactly: i64's range is [-2⁶³, 2⁶³).
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.is_nan() || !(-LIMIT..LIMIT).contains(&f) { i64::MIN } else { f as i64 }
}

/// cast's `trimZeroDecimal`: `12.000` → `12`; anything else unchanged.
fn trim_zero_decimal(s: &str) -> &str {
    let b = s.as_bytes();
    let mut found_zero = false;
    for i in (0..b.len()).rev() {
        match b[i] {
            b'.' if found_zero => return &s[..i],
            b'.' => {}
            b'0' => found_zero = true,
            _ => return s,
        }
    }
    s
}

/// Go's `strconv.ParseInt(s, 0, 64)`: sign, `0x`/`0o`/`0b`/leading-`0` octal prefixes and `_`
/// separators between digits (only with a prefix, as Go requires).
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (neg, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits, prefixed) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d.to_string(), true)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d.to_string(), true)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, lower[1..].to_string(), true)
    } else {
        (10, lower.clone(), false)
    };
    if digits.contains('_') && (!prefixed || !underscores_ok(&lower)) {
        return None;
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(&digits, radix).ok()?;
    if neg {
        if magnitude == 1 << 63 { Some(i64::MIN) } else { i64::try_from(magnitude).ok().map(|m| -m) }
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's `underscoreOK`: underscores only between digits (or right after a base prefix).
fn underscores_ok(s: &str) -> bool {
    let b = s.as_bytes();
    let mut saw = '^';
    let mut i = 0;
    let hex = b.len() >= 2 && b[0] == b'0' && matches!(b[1], b'x' | b'o' | b'b');
    if b.len() >= 2 && b[0] == b'0' {
        saw = '0';
        i = if hex { 2 } else { 1 };
    }
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() {
            saw = '0';
        } else if c == b'_' {
            if saw != '0' {
                return false;
            }
            saw = '_';
        } else {
            return false;
        }
        i += 1;
    }
    saw != '_'
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms that matter: decimal, exponent, `inf`/`nan`, hex
/// integers and `_` separators are refused where Go refuses them.
pub fn parse_go_float(s: &str) -> Option<f64> {
    let t = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = t.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return s.parse().ok();
    }
    if lower.starts_with("0x") {
        return parse_go_int(s).map(|i| i as f64);
    }
    if s.contains('_') {
        return None;
    }
    let ok = t.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if ok { s.parse().ok() } else { None }
}
