//! Sprig's date functions (`date.go`) over a `time.Time` host object, in UTC: smelt has no time-zone
//! database, so `Local` and every named zone are UTC (Helm in a container usually runs in UTC too).
//! `now`, `ago` and `date` of a non-time value read the clock, so their output differs on each run,
//! as in Helm.

use super::super::exec::CallError;
use super::super::value::{Object, Value};
use super::gotime::{Time, format_duration, parse_duration};
use super::{Arity, Funcs, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("now", Exact(0), |_, _| Ok(time_value(Time::now())));
    f.insert("date", Exact(2), |_, a| Ok(Value::Str(time_of(&a[1]).format(string_arg(&a, 0)?))));
    for name in ["dateInZone", "date_in_zone"] {
        f.insert(name, Exact(3), |_, a| {
            string_arg(&a, 2)?;
            Ok(Value::Str(time_of(&a[1]).format(string_arg(&a, 0)?)))
        });
    }
    f.insert("htmlDate", Exact(1), |_, a| Ok(Value::Str(time_of(&a[0]).format("2006-01-02"))));
    f.insert("htmlDateInZone", Exact(2), |_, a| {
        string_arg(&a, 1)?;
        Ok(Value::Str(time_of(&a[0]).format("2006-01-02")))
    });
    f.insert("toDate", Exact(2), |_, a| {
        Ok(time_value(Time::parse(string_arg(&a, 0)?, string_arg(&a, 1)?).unwrap_or_default()))
    });
    f.insert("mustToDate", Exact(2), |_, a| {
        let (layout, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Time::parse(layout, s).map(time_value).map_err(CallError::Msg)
    });
    f.insert("unixEpoch", Exact(1), |_, a| Ok(Value::Str(time_arg(&a[0])?.secs.to_string())));
    for name in ["dateModify", "date_modify"] {
        f.insert(name, Exact(2), |_, a| {
            let t = time_arg(&a[1])?;
            Ok(time_value(parse_duration(string_arg(&a, 0)?).map_or(t, |d| t.add(d))))
        });
    }
    for name in ["mustDateModify", "must_date_modify"] {
        f.insert(name, Exact(2), |_, a| {
            let t = time_arg(&a[1])?;
            let d = parse_duration(string_arg(&a, 0)?).map_err(CallError::Msg)?;
            Ok(time_value(t.add(d)))
        });
    }
    f.insert("ago", Exact(1), |_, a| {
        let t = match &a[0] {
            Value::Int(i) | Value::Int64(i) => Time { secs: *i, nanos: 0 },
            v => time_of(v),
        };
        let d = Time::now().nanos_since(&t);
        // Rounded to whole seconds, half away from zero, as Go's `Duration.Round`.
        let rounded = (d + d.signum() * 500_000_000) / 1_000_000_000 * 1_000_000_000;
        Ok(Value::Str(format_duration(rounded)))
    });
    f.insert("duration", Exact(1), |_, a| {
        let n: i64 = match &a[0] {
            Value::Str(s) => s.parse().unwrap_or(0),
            Value::Int64(i) => *i,
            _ => 0,
        };
        Ok(Value::Str(format_duration(i128::from(n) * 1_000_000_000)))
    });
    f.insert("durationRound", Exact(1), |_, a| {
        let d: i128 = match &a[0] {
            Value::Str(s) => parse_duration(s).unwrap_or(0),
            Value::Int64(i) => i128::from(*i),
            Value::Object(o) if o.type_name() == "time.Time" => Time::now().nanos_since(&time_of(&a[0])),
            _ => 0,
        };
        Ok(Value::Str(duration_round(d)))
    });
}

/// The time a Sprig date function takes: a `time.Time`, or seconds since the epoch as an `int` or
/// `int64`; anything else is now.
fn time_of(v: &Value) -> Time {
    match v {
        Value::Int(i) | Value::Int64(i) => Time { secs: *i, nanos: 0 },
        Value::Object(o) if o.type_name() == "time.Time" => time_from_object(o.as_ref()),
        _ => Time::now(),
    }
}

fn time_from_object(o: &dyn Object) -> Time {
    let secs = match o.field("Unix") {
        Some(Value::Int64(s)) => s,
        _ => 0,
    };
    let nanos = match o.field("Nanosecond") {
        Some(Value::Int(n)) => n as u32,
        _ => 0,
    };
    Time { secs, nanos }
}

/// A `time.Time` parameter.
fn time_arg(v: &Value) -> Result<Time, CallError> {
    match v {
        Value::Object(o) if o.type_name() == "time.Time" => Ok(time_from_object(o.as_ref())),
        v => Err(super::wrong_type("time.Time", v)),
    }
}

fn time_value(t: Time) -> Value {
    t.into_value()
}

/// Sprig's `durationRound`: the largest whole unit (y = 365 days, mo = 30 days).
fn duration_round(d: i128) -> String {
    let u = d.unsigned_abs();
    let h: u128 = 3_600_000_000_000;
    let units: [(u128, &str); 6] = [
        (h * 24 * 365, "y"),
        (h * 24 * 30, "mo"),
        (h * 24, "d"),
        (h, "h"),
        (60_000_000_000, "m"),
        (1_000_000_000, "s"),
    ];
    for (size, name) in units {
        if u > size {
            return format!("{}{name}", u / size);
        }
    }
    "0s".into()
}
