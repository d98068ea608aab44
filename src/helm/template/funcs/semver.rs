//! `semver` and `semverCompare` with Masterminds/semver v3's rules, which differ from Cargo's (and so
//! from the `semver` crate): a leading `v` and missing minor/patch are accepted (`v1.2` is 1.2.0),
//! `x`/`*` wildcards, hyphen ranges (`1.2 - 1.4`), `||`, and a prerelease version only satisfies an
//! AND group in which some constraint names a prerelease (the `>=1.19-0` idiom). The regular
//! expressions are Masterminds' own.

use std::cmp::Ordering;
use std::sync::{Arc, LazyLock};

use regex::Regex;

use super::super::exec::CallError;
use super::super::value::{Object, Value};
use super::{Arity, Funcs, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("semver", Exact(1), |_, a| {
        let v = Version::parse(string_arg(&a[0])?)?;
        Ok(Value::Object(Arc::new(v)))
    });
    f.insert("semverCompare", Exact(2), |_, a| {
        let c = Constraints::parse(string_arg(&a[0])?)?;
        let v = Version::parse(string_arg(&a[1])?)?;
        Ok(Value::Bool(c.check(&v)))
    });
}

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

fn re(s: String) -> Option<Regex> {
    Regex::new(&s).ok()
}

static VERSION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    re(r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$".into())
});
static CONSTRAINT: LazyLock<Option<Regex>> = LazyLock::new(|| re(format!(r"^\s*({OPS})\s*({CV})\s*$")));
static RANGE: LazyLock<Option<Regex>> = LazyLock::new(|| re(format!(r"\s*({CV})\s+-\s+({CV})\s*")));
static FIND: LazyLock<Option<Regex>> = LazyLock::new(|| re(format!(r"({OPS})\s*({CV})")));
static VALID: LazyLock<Option<Regex>> =
    LazyLock::new(|| re(format!(r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$")));

fn regex(r: &'static LazyLock<Option<Regex>>) -> Result<&'static Regex, CallError> {
    r.as_ref().ok_or_else(|| "semver: internal regular expression failed to compile".into())
}

/// A Masterminds `*semver.Version`.
#[derive(Clone, Debug, PartialEq)]
pub struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    metadata: String,
    original: String,
}

impl Version {
    pub fn parse(s: &str) -> Result<Version, CallError> {
        let m = regex(&VERSION)?.captures(s).ok_or_else(|| CallError::from("invalid semantic version"))?;
        let num = |i: usize| -> Result<u64, CallError> {
            match m.get(i) {
                None => Ok(0),
                Some(g) => g
                    .as_str()
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|e| CallError::Msg(format!("error parsing version segment: {e}"))),
            }
        };
        let pre = m.get(5).map_or("", |g| g.as_str()).to_string();
        for part in pre.split('.').filter(|_| !pre.is_empty()) {
            if part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()) {
                return Err("version segment starts with 0".into());
            }
        }
        Ok(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre,
            metadata: m.get(8).map_or("", |g| g.as_str()).to_string(),
            original: s.to_string(),
        })
    }

    fn string(&self) -> String {
        let mut s = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            s.push('-');
            s.push_str(&self.pre);
        }
        if !self.metadata.is_empty() {
            s.push('+');
            s.push_str(&self.metadata);
        }
        s
    }

    fn compare(&self, o: &Version) -> Ordering {
        let base = (self.major, self.minor, self.patch).cmp(&(o.major, o.minor, o.patch));
        if base != Ordering::Equal {
            return base;
        }
        match (self.pre.is_empty(), o.pre.is_empty()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Greater,
            (false, true) => Ordering::Less,
            (false, false) => compare_pre(&self.pre, &o.pre),
        }
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..pa.len().max(pb.len()) {
        let (s, o) = (pa.get(i).copied().unwrap_or(""), pb.get(i).copied().unwrap_or(""));
        let d = compare_pre_part(s, o);
        if d != Ordering::Equal {
            return d;
        }
    }
    Ordering::Equal
}

fn compare_pre_part(s: &str, o: &str) -> Ordering {
    if s == o {
        return Ordering::Equal;
    }
    let (sn, on) = (s.parse::<u64>().ok(), o.parse::<u64>().ok());
    if o.is_empty() {
        return if sn.is_some() { Ordering::Greater } else { Ordering::Less };
    }
    if s.is_empty() {
        return if on.is_some() { Ordering::Less } else { Ordering::Greater };
    }
    match (sn, on) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => s.cmp(o),
    }
}

impl Object for Version {
    fn type_name(&self) -> &'static str {
        "*semver.Version"
    }
    fn kind(&self) -> &'static str {
        "ptr"
    }
    fn to_go_string(&self) -> String {
        self.string()
    }
    fn to_data(&self) -> Value {
        Value::Str(self.string())
    }
    fn field(&self, name: &str) -> Option<Value> {
        Some(match name {
            "Major" => Value::Int64(self.major as i64),
            "Minor" => Value::Int64(self.minor as i64),
            "Patch" => Value::Int64(self.patch as i64),
            "Prerelease" => Value::Str(self.pre.clone()),
            "Metadata" => Value::Str(self.metadata.clone()),
            "Original" => Value::Str(self.original.clone()),
            "String" => Value::Str(self.string()),
            _ => return None,
        })
    }
    fn call(&self, method: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let other = || match args {
            [Value::Object(o)] if o.type_name() == "*semver.Version" => {
                Version::parse(&o.to_go_string()).map_err(|e| format!("{e:?}"))
            }
            _ => Err("wrong type for value; expected *semver.Version".to_string()),
        };
        let cmp = |f: fn(Ordering) -> Value| Some(other().map(|o| f(self.compare(&o))));
        match method {
            "Compare" => cmp(|o| Value::Int(o as i64)),
            "LessThan" => cmp(|o| Value::Bool(o == Ordering::Less)),
            "GreaterThan" => cmp(|o| Value::Bool(o == Ordering::Greater)),
            "Equal" => cmp(|o| Value::Bool(o == Ordering::Equal)),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Gt,
    Lt,
    Ge,
    Le,
    Tilde,
    Caret,
}

struct Constraint {
    op: Op,
    con: Version,
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

pub struct Constraints {
    groups: Vec<(Vec<Constraint>, bool)>,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraints {
    pub fn parse(c: &str) -> Result<Constraints, CallError> {
        let c = rewrite_range(c)?;
        let mut groups = Vec::new();
        for part in c.split("||") {
            if !regex(&VALID)?.is_match(part) {
                return Err(format!("improper constraint: {part}").into());
            }
            let found: Vec<&str> = regex(&FIND)?.find_iter(part).map(|m| m.as_str()).collect();
            let found = if found.is_empty() { vec![part] } else { found };
            let mut cs = Vec::new();
            for s in found {
                cs.push(parse_constraint(s)?);
            }
            let has_pre = cs.iter().any(|c| !c.con.pre.is_empty());
            groups.push((cs, has_pre));
        }
        Ok(Constraints { groups })
    }

    pub fn check(&self, v: &Version) -> bool {
        self.groups.iter().any(|(cs, pre)| cs.iter().all(|c| c.check(v, *pre)))
    }
}

fn rewrite_range(c: &str) -> Result<String, CallError> {
    let mut out = c.to_string();
    for m in regex(&RANGE)?.captures_iter(c) {
        let (Some(all), Some(a), Some(b)) = (m.get(0), m.get(1), m.get(11)) else { continue };
        out = out.replacen(all.as_str(), &format!(">= {}, <= {}", a.as_str(), b.as_str()), 1);
    }
    Ok(out)
}

fn parse_constraint(c: &str) -> Result<Constraint, CallError> {
    if c.is_empty() {
        let con = Version::parse("0.0.0")?;
        return Ok(Constraint {
            op: Op::TildeOrEqual,
            con,
            dirty: true,
            minor_dirty: false,
            patch_dirty: false,
        });
    }
    let m =
        regex(&CONSTRAINT)?.captures(c).ok_or_else(|| CallError::Msg(format!("improper constraint: {c}")))?;
    let g = |i: usize| m.get(i).map_or("", |x| x.as_str());
    let op = match g(1) {
        "" | "=" => Op::TildeOrEqual,
        "!=" => Op::NotEqual,
        ">" => Op::Gt,
        "<" => Op::Lt,
        ">=" | "=>" => Op::Ge,
        "<=" | "=<" => Op::Le,
        "~" | "~>" => Op::Tilde,
        _ => Op::Caret,
    };
    let (mut ver, mut dirty, mut minor_dirty, mut patch_dirty) = (g(2).to_string(), false, false, false);
    if is_x(g(3)) || g(3).is_empty() {
        ver = format!("0.0.0{}", g(6));
        dirty = true;
    } else if is_x(g(4).trim_start_matches('.')) || g(4).is_empty() {
        minor_dirty = true;
        dirty = true;
        ver = format!("{}.0.0{}", g(3), g(6));
    } else if is_x(g(5).trim_start_matches('.')) || g(5).is_empty() {
        dirty = true;
        patch_dirty = true;
        ver = format!("{}{}.0{}", g(3), g(4), g(6));
    }
    let con = Version::parse(&ver).map_err(|_| CallError::from("constraint Parser Error"))?;
    Ok(Constraint { op, con, dirty, minor_dirty, patch_dirty })
}

impl Constraint {
    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !include_pre && !v.pre.is_empty() {
            return false;
        }
        let c = &self.con;
        match self.op {
            Op::TildeOrEqual if self.dirty => self.tilde(v),
            Op::TildeOrEqual => v.compare(c) == Ordering::Equal,
            Op::NotEqual => self.not_equal(v),
            Op::Gt => {
                if !self.dirty {
                    return v.compare(c) == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                if self.patch_dirty {
                    return v.minor > c.minor;
                }
                v.compare(c) == Ordering::Greater
            }
            Op::Lt => v.compare(c) == Ordering::Less,
            Op::Ge => v.compare(c) != Ordering::Less,
            Op::Le => {
                if !self.dirty {
                    return v.compare(c) != Ordering::Greater;
                }
                if v.major > c.major {
                    return false;
                }
                !(v.major == c.major && v.minor > c.minor && !self.minor_dirty)
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v),
        }
    }

    fn not_equal(&self, v: &Version) -> bool {
        let c = &self.con;
        if self.dirty {
            if c.major != v.major {
                return true;
            }
            if c.minor != v.minor && !self.minor_dirty {
                return true;
            }
            if self.minor_dirty {
                return false;
            }
            if c.patch != v.patch && !self.patch_dirty {
                return true;
            }
            if self.patch_dirty {
                if !v.pre.is_empty() || !c.pre.is_empty() {
                    return compare_pre(&v.pre, &c.pre) != Ordering::Equal;
                }
                return false;
            }
        }
        v.compare(c) != Ordering::Equal
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        if v.major != c.major {
            return false;
        }
        v.minor == c.minor || self.minor_dirty
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if c.major == 0 && v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if c.minor == 0 && v.minor > 0 {
            return false;
        }
        c.patch == v.patch
    }
}
