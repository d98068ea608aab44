//! Go's `time.Time` (in UTC) as a template host object: `Format`/`Parse` with Go's reference-time
//! layouts, and `time.Duration`'s printing and parsing.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use super::super::value::{Object, Value};
use crate::date::Date;

/// A `time.Time` in UTC: seconds since the epoch and nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Time {
    pub secs: i64,
    pub nanos: u32,
}

/// Seconds from 0001-01-01 (Go's zero time) to the Unix epoch.
const ZERO_TIME: i64 = -62_135_596_800;

/// Month names as Go's `time` package spells them (`Format` and `Parse` share them).
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
impl Time {
    pub fn now() -> Time {
        let d = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        Time { secs: d.as_secs() as i64, nanos: d.subsec_nanos() }
    }

    pub fn nanos_since(&self, earlier: &Time) -> i128 {
        (i128::from(self.secs) - i128::from(earlier.secs)) * 1_000_000_000 + i128::from(self.nanos)
            - i128::from(earlier.nanos)
    }

    pub fn add(self, d: i128) -> Time {
        let total = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos) + d;
        Time { secs: total.div_euclid(1_000_000_000) as i64, nanos: total.rem_euclid(1_000_000_000) as u32 }
    }

    fn civil(&self) -> (Date, i64) {
        let days = self.secs.div_euclid(86_400);
        (Date::from_days_since_epoch(days), self.secs.rem_euclid(86_400))
    }

    /// Go's `Time.Format` with its reference-time layout.
    pub fn format(&self, layout: &str) -> String {
        const DAYS: [&str; 7] =
            ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];
        let (date, sod) = self.civil();
        let (hour, min, sec) = (sod / 3600, sod / 60 % 60, sod % 60);
        let weekday = DAYS[self.secs.div_euclid(86_400).rem_euclid(7) as usize];
        let month = MONTHS[(date.month - 1) as usize];
        let yday = days_from_civil(date.year, date.month, date.day) - days_from_civil(date.year, 1, 1) + 1;
        let mut out = String::new();
        let mut rest = layout;
        while !rest.is_empty() {
            let (tok, len) = next_token(rest);
            let h12 = if hour % 12 == 0 { 12 } else { hour % 12 };
            match tok {
                Tok::Lit => {
                    let c = rest.chars().next().unwrap_or(' ');
                    out.push(c);
                    rest = &rest[c.len_utf8()..];
                    continue;
                }
                Tok::Year4 => out.push_str(&format!("{:04}", date.year)),
                Tok::Year2 => out.push_str(&format!("{:02}", date.year.rem_euclid(100))),
                Tok::MonthLong => out.push_str(month),
                Tok::MonthShort => out.push_str(&month[..3]),
                Tok::Month2 => out.push_str(&format!("{:02}", date.month)),
                Tok::Month1 => out.push_str(&date.month.to_string()),
                Tok::DayLong => out.push_str(weekday),
                Tok::DayShort => out.push_str(&weekday[..3]),
                Tok::Day2 => out.push_str(&format!("{:02}", date.day)),
                Tok::DayPad => out.push_str(&format!("{:>2}", date.day)),
                Tok::Day1 => out.push_str(&date.day.to_string()),
                Tok::YearDay => out.push_str(&format!("{yday:03}")),
                Tok::Hour24 => out.push_str(&format!("{hour:02}")),
                Tok::Hour12 => out.push_str(&h12.to_string()),
                Tok::Hour12Pad => out.push_str(&format!("{h12:02}")),
                Tok::Min2 => out.push_str(&format!("{min:02}")),
                Tok::Min1 => out.push_str(&min.to_string()),
                Tok::Sec2 => out.push_str(&format!("{sec:02}")),
                Tok::Sec1 => out.push_str(&sec.to_string()),
                Tok::PmUpper => out.push_str(if hour >= 12 { "PM" } else { "AM" }),
                Tok::PmLower => out.push_str(if hour >= 12 { "pm" } else { "am" }),
                Tok::ZoneName => out.push_str("UTC"),
                Tok::ZoneZ(_) => out.push('Z'),
                Tok::Offset(colon, secs) => {
                    out.push_str(match (colon, secs) {
                        (true, _) => "+00:00",
                        (false, true) => "+00",
                        (false, false) => "+0000",
                    });
                }
                Tok::Frac(sep, digits, trim) => {
                    let s = format!("{:09}", self.nanos);
                    let mut s = s[..digits].to_string();
                    if trim {
                        s = s.trim_end_matches('0').to_string();
                    }
                    if !s.is_empty() {
                        out.push(sep);
                        out.push_str(&s);
                    }
                }
            }
            rest = &rest[len..];
        }
        out
    }

    /// Go's `time.Parse` for numeric fields, month and day names, fractions and UTC offsets.
    pub fn parse(layout: &str, value: &str) -> Result<Time, String> {
        let err = || format!("parsing time {value:?} as {layout:?}: cannot parse {value:?} as {layout:?}");
        let (mut year, mut month, mut day, mut hour, mut min, mut sec, mut nanos, mut offset) =
            (0i32, 1u32, 1u32, 0i64, 0i64, 0i64, 0u32, 0i64);
        let mut pm: Option<bool> = None;
        let (mut l, mut v) = (layout, value);
        let num = |v: &mut &str, min: usize, max: usize| -> Option<i64> {
            let n = v.bytes().take(max).take_while(u8::is_ascii_digit).count();
            if n < min {
                return None;
            }
            let x = v[..n].parse().ok();
            *v = &v[n..];
            x
        };
        while !l.is_empty() {
            let (tok, len) = next_token(l);
            match tok {
                Tok::Lit => {
                    let c = l.chars().next().unwrap_or(' ');
                    v = v.strip_prefix(c).ok_or_else(err)?;
                    l = &l[c.len_utf8()..];
                    continue;
                }
                Tok::Year4 => year = num(&mut v, 4, 4).ok_or_else(err)? as i32,
                Tok::Year2 => {
                    let y = num(&mut v, 2, 2).ok_or_else(err)? as i32;
                    year = if y >= 69 { 1900 + y } else { 2000 + y };
                }
                Tok::Month2 => month = num(&mut v, 2, 2).ok_or_else(err)? as u32,
                Tok::Month1 => month = num(&mut v, 1, 2).ok_or_else(err)? as u32,
                Tok::MonthLong | Tok::MonthShort => {
                    const M: [&str; 12] =
                        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
                    let names = if matches!(tok, Tok::MonthLong) { MONTHS } else { M };
                    let i = names.iter().position(|n| v.starts_with(n)).ok_or_else(err)?;
                    v = &v[names[i].len()..];
                    month = i as u32 + 1;
                }
                Tok::DayLong | Tok::DayShort => {
                    let n = v.bytes().take_while(u8::is_ascii_alphabetic).count();
                    if n < 3 {
                        return Err(err());
                    }
                    v = &v[n..];
                }
                Tok::Day2 => day = num(&mut v, 2, 2).ok_or_else(err)? as u32,
                Tok::DayPad => {
                    v = v.strip_prefix(' ').unwrap_or(v);
                    day = num(&mut v, 1, 2).ok_or_else(err)? as u32;
                }
                Tok::Day1 => day = num(&mut v, 1, 2).ok_or_else(err)? as u32,
                Tok::YearDay => {
                    num(&mut v, 3, 3).ok_or_else(err)?;
                }
                Tok::Hour24 => hour = num(&mut v, 2, 2).ok_or_else(err)?,
                Tok::Hour12 => hour = num(&mut v, 1, 2).ok_or_else(err)?,
                Tok::Hour12Pad => hour = num(&mut v, 2, 2).ok_or_else(err)?,
                Tok::Min2 => min = num(&mut v, 2, 2).ok_or_else(err)?,
                Tok::Min1 => min = num(&mut v, 1, 2).ok_or_else(err)?,
                Tok::Sec2 | Tok::Sec1 => {
                    sec = num(&mut v, if matches!(tok, Tok::Sec2) { 2 } else { 1 }, 2).ok_or_else(err)?;
                    // Go accepts a fraction after the seconds even when the layout has none.
                    if v.starts_with('.') && !l[len..].starts_with('.') {
                        let n = v[1..].bytes().take_while(u8::is_ascii_digit).count();
                        if n > 0 {
                            nanos = frac_nanos(&v[1..1 + n]);
                            v = &v[1 + n..];
                        }
                    }
                }
                Tok::PmUpper | Tok::PmLower => {
                    let p = v.get(..2).ok_or_else(err)?.to_ascii_uppercase();
                    pm = Some(match p.as_str() {
                        "PM" => true,
                        "AM" => false,
                        _ => return Err(err()),
                    });
                    v = &v[2..];
                }
                Tok::ZoneName => {
                    let n = v.bytes().take_while(u8::is_ascii_uppercase).count();
                    if n < 3 {
                        return Err(err());
                    }
                    v = &v[n..];
                }
                Tok::ZoneZ(colon) | Tok::Offset(colon, _) => {
                    if matches!(tok, Tok::ZoneZ(_)) && v.starts_with('Z') {
                        v = &v[1..];
                    } else {
                        let sign = match v.as_bytes().first() {
                            Some(b'+') => 1,
                            Some(b'-') => -1,
                            _ => return Err(err()),
                        };
                        v = &v[1..];
                        let h = num(&mut v, 2, 2).ok_or_else(err)?;
                        let short = matches!(tok, Tok::Offset(_, true));
                        let m = if short {
                            0
                        } else {
                            if colon {
                                v = v.strip_prefix(':').ok_or_else(err)?;
                            }
                            num(&mut v, 2, 2).ok_or_else(err)?
                        };
                        offset = sign * (h * 3600 + m * 60);
                    }
                }
                Tok::Frac(sep, digits, trim) => {
                    if let Some(r) = v.strip_prefix(sep) {
                        let n = r.bytes().take_while(u8::is_ascii_digit).count();
                        if (!trim && n != digits) || n == 0 {
                            return Err(err());
                        }
                        nanos = frac_nanos(&r[..n]);
                        v = &r[n..];
                    } else if !trim {
                        return Err(err());
                    }
                }
            }
            l = &l[len..];
        }
        if !v.is_empty() {
            return Err(format!("parsing time {value:?}: extra text: {v:?}"));
        }
        if let Some(p) = pm {
            if hour > 12 {
                return Err(format!("parsing time {value:?}: hour out of range"));
            }
            hour = hour % 12 + if p { 12 } else { 0 };
        }
        let valid = (1..=12).contains(&month)
            && day >= 1
            && Date::parse(&format!("{year:04}-{month:02}-{day:02}")).is_some()
            && hour < 24
            && min < 60
            && sec < 60;
        if !valid {
            return Err(format!("parsing time {value:?}: day out of range"));
        }
        let days = days_from_civil(year, month, day);
        Ok(Time { secs: days * 86_400 + hour * 3600 + min * 60 + sec - offset, nanos })
    }

    fn go_string(&self) -> String {
        let t = self.format("2006-01-02 15:04:05.999999999");
        format!("{t} +0000 UTC")
    }
}

fn frac_nanos(digits: &str) -> u32 {
    let mut d = digits.chars().take(9).collect::<String>();
    while d.len() < 9 {
        d.push('0');
    }
    d.parse().unwrap_or(0)
}

/// Days from 1970-01-01 to a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[derive(Clone, Copy)]
enum Tok {
    Lit,
    Year4,
    Year2,
    MonthLong,
    MonthShort,
    Month2,
    Month1,
    DayLong,
    DayShort,
    Day2,
    DayPad,
    Day1,
    YearDay,
    Hour24,
    Hour12,
    Hour12Pad,
    Min2,
    Min1,
    Sec2,
    Sec1,
    PmUpper,
    PmLower,
    ZoneName,
    /// `Z07:00` (colon) or `Z0700`.
    ZoneZ(bool),
    /// `-07:00` (colon), `-0700`, or `-07` (hours only).
    Offset(bool, bool),
    /// `.000` / `,999`: separator, digits, trailing zeros trimmed.
    Frac(char, usize, bool),
}

/// The layout element at the start of `s` (Go's `nextStdChunk`) and its length.
fn next_token(s: &str) -> (Tok, usize) {
    const TABLE: &[(&str, Tok)] = &[
        ("January", Tok::MonthLong),
        ("Jan", Tok::MonthShort),
        ("Monday", Tok::DayLong),
        ("Mon", Tok::DayShort),
        ("MST", Tok::ZoneName),
        ("2006", Tok::Year4),
        ("Z07:00", Tok::ZoneZ(true)),
        ("Z0700", Tok::ZoneZ(false)),
        ("Z07", Tok::ZoneZ(false)),
        ("-07:00", Tok::Offset(true, false)),
        ("-0700", Tok::Offset(false, false)),
        ("-07", Tok::Offset(false, true)),
        ("002", Tok::YearDay),
        ("01", Tok::Month2),
        ("02", Tok::Day2),
        ("03", Tok::Hour12Pad),
        ("04", Tok::Min2),
        ("05", Tok::Sec2),
        ("06", Tok::Year2),
        ("_2", Tok::DayPad),
        ("15", Tok::Hour24),
        ("PM", Tok::PmUpper),
        ("pm", Tok::PmLower),
        ("1", Tok::Month1),
        ("2", Tok::Day1),
        ("3", Tok::Hour12),
        ("4", Tok::Min1),
        ("5", Tok::Sec1),
    ];
    let b = s.as_bytes();
    if matches!(b.first(), Some(b'.' | b',')) && matches!(b.get(1), Some(b'0' | b'9')) {
        let d = b[1];
        let n = b[1..].iter().take_while(|&&c| c == d).count();
        // A fraction only when no digit follows the run (Go's rule).
        if !b.get(1 + n).is_some_and(u8::is_ascii_digit) {
            return (Tok::Frac(char::from(b[0]), n.min(9), d == b'9'), 1 + n);
        }
    }
    for (pat, tok) in TABLE {
        if s.starts_with(pat) {
            // `Jan`/`Mon` must not be followed by a lower-case letter (`Monday` is a word, `Month` is not).
            if matches!(tok, Tok::MonthShort | Tok::DayShort) && b.get(3).is_some_and(u8::is_ascii_lowercase)
            {
                continue;
            }
            return (*tok, pat.len());
        }
    }
    (Tok::Lit, 0)
}

impl Time {
    /// The time as a template value (a `time.Time` host object).
    pub fn into_value(self) -> Value {
        Value::Object(Arc::new(self))
    }
}

impl Object for Time {
    fn type_name(&self) -> &'static str {
        "time.Time"
    }
    fn to_go_string(&self) -> String {
        self.go_string()
    }
    fn to_data(&self) -> Value {
        Value::Str(self.format("2006-01-02T15:04:05.999999999Z07:00"))
    }
    fn field(&self, name: &str) -> Option<Value> {
        let (date, sod) = self.civil();
        Some(match name {
            "Unix" => Value::Int64(self.secs),
            "UnixMilli" => {
                Value::Int64(self.secs.wrapping_mul(1000).wrapping_add(i64::from(self.nanos / 1_000_000)))
            }
            "UnixNano" => {
                Value::Int64(self.secs.wrapping_mul(1_000_000_000).wrapping_add(i64::from(self.nanos)))
            }
            "Nanosecond" => Value::Int(i64::from(self.nanos)),
            "Year" => Value::Int(i64::from(date.year)),
            "Day" => Value::Int(i64::from(date.day)),
            "Hour" => Value::Int(sod / 3600),
            "Minute" => Value::Int(sod / 60 % 60),
            "Second" => Value::Int(sod % 60),
            "YearDay" => Value::Int(
                days_from_civil(date.year, date.month, date.day) - days_from_civil(date.year, 1, 1) + 1,
            ),
            "Month" => Value::Str(self.format("January")),
            "Weekday" => Value::Str(self.format("Monday")),
            "UTC" | "Local" => self.into_value(),
            "IsZero" => Value::Bool(self.secs == ZERO_TIME && self.nanos == 0),
            "String" => Value::Str(self.go_string()),
            _ => return None,
        })
    }
    fn call(&self, method: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match (method, args) {
            ("Format", [Value::Str(l)]) => Some(Ok(Value::Str(self.format(l)))),
            ("Format", _) => Some(Err("wrong type for value; expected string".into())),
            _ => None,
        }
    }
}

impl Default for Time {
    fn default() -> Time {
        Time { secs: ZERO_TIME, nanos: 0 }
    }
}

/// Go's `Duration.String`: `1h2m3.5s`, `1.5ms`, `0s`.
pub fn format_duration(d: i128) -> String {
    if d == 0 {
        return "0s".into();
    }
    let neg = d < 0;
    let u = d.unsigned_abs();
    let sign = if neg { "-" } else { "" };
    if u < 1_000_000_000 {
        let (unit, div) = if u < 1_000 {
            ("ns", 1)
        } else if u < 1_000_000 {
            ("µs", 1_000)
        } else {
            ("ms", 1_000_000)
        };
        return format!("{sign}{}{unit}", frac(u, div));
    }
    let secs = u / 1_000_000_000;
    let (h, m) = (secs / 3600, secs / 60 % 60);
    let s = frac(u % 60_000_000_000, 1_000_000_000);
    let mut out = String::from(sign);
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if h > 0 || m > 0 {
        out.push_str(&format!("{m}m"));
    }
    out.push_str(&format!("{s}s"));
    out
}

fn frac(v: u128, div: u128) -> String {
    let (whole, rest) = (v / div, v % div);
    if rest == 0 {
        return whole.to_string();
    }
    let width = div.to_string().len() - 1;
    let r = format!("{rest:0width$}");
    format!("{whole}.{}", r.trim_end_matches('0'))
}

/// Go's `time.ParseDuration`, in nanoseconds.
pub fn parse_duration(s: &str) -> Result<i128, String> {
    let err = || format!("time: invalid duration {}", super::super::value::go_quote(s));
    let (neg, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(err());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest.bytes().take_while(|b| b.is_ascii_digit() || *b == b'.').count();
        if n == 0 || &rest[..n] == "." {
            return Err(err());
        }
        let value: f64 = rest[..n].parse().map_err(|_| err())?;
        rest = &rest[n..];
        let u = rest.bytes().take_while(|b| !b.is_ascii_digit() && *b != b'.').count();
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            "" => return Err(format!("time: missing unit in duration {}", super::super::value::go_quote(s))),
            other => {
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    super::super::value::go_quote(other),
                    super::super::value::go_quote(s)
                ));
            }
        };
        rest = &rest[u..];
        total += value * unit;
    }
    if total > 9.223_372_036_854_775e18 {
        return Err(err());
    }
    let ns = total.round() as i128;
    Ok(if neg { -ns } else { ns })
}
