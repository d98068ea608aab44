//! Sprig's URL functions (`urlParse`, `urlJoin`, with Go's `net/url` rules) and `getHostByName`,
//! which would query DNS: smelt never reaches the network, so it is an error naming the function.

use std::collections::BTreeMap;

use super::super::exec::CallError;
use super::super::value::Value;
use super::{Arity, Funcs, kind_name, map_arg, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("urlParse", Exact(1), |_, a| {
        let u = parse(string_arg(&a, 0)?)?;
        let mut m = BTreeMap::new();
        let hostname = hostname(&u.host);
        for (k, v) in [
            ("scheme", u.scheme),
            ("host", u.host),
            ("hostname", hostname),
            ("path", u.path),
            ("query", u.query),
            ("opaque", u.opaque),
            ("fragment", u.fragment),
            ("userinfo", u.userinfo),
        ] {
            m.insert(k.to_string(), Value::Str(v));
        }
        Ok(Value::map(m))
    });
    f.insert("urlJoin", Exact(1), |_, a| {
        let m = map_arg(&a, 0)?;
        let get = |k: &str| -> Result<String, CallError> {
            match m.and_then(|m| m.get(k)) {
                None => Ok(String::new()),
                Some(Value::Str(s)) => Ok(s),
                Some(v) => Err(format!(
                    "unable to parse {k} key, must be of type string, but {} found",
                    kind_name(&v)
                )
                .into()),
            }
        };
        let u = Url {
            scheme: get("scheme")?,
            host: get("host")?,
            path: get("path")?,
            query: get("query")?,
            opaque: get("opaque")?,
            fragment: get("fragment")?,
            userinfo: get("userinfo")?,
        };
        Ok(Value::Str(u.to_string()))
    });
    f.insert("getHostByName", Exact(1), |_, _| {
        Err("smelt does not query DNS: this template was not rendered".into())
    });
}

#[derive(Default)]
struct Url {
    scheme: String,
    host: String,
    path: String,
    query: String,
    opaque: String,
    fragment: String,
    userinfo: String,
}

fn unescape(s: &str) -> Result<String, CallError> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            let Some(x) = hex else {
                let bad = s.get(i..(i + 3).min(s.len())).unwrap_or("%");
                return Err(format!("unable to parse url: parse {s:?}: invalid URL escape {bad:?}").into());
            };
            out.push(x);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Go's `url.Parse` for the parts Sprig reports.
fn parse(raw: &str) -> Result<Url, CallError> {
    let mut u = Url::default();
    let (rest, frag) = match raw.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (raw, None),
    };
    if let Some(f) = frag {
        u.fragment = unescape(f)?;
    }
    let mut rest = rest.to_string();
    let scheme_end = rest.find(':').filter(|&i| {
        let s = &rest[..i];
        s.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if let Some(i) = scheme_end {
        u.scheme = rest[..i].to_ascii_lowercase();
        rest = rest[i + 1..].to_string();
    } else if rest.starts_with(':') {
        return Err("unable to parse url: parse \":\": missing protocol scheme".into());
    }
    if let Some((r, q)) = rest.split_once('?') {
        u.query = q.to_string();
        rest = r.to_string();
    }
    if !rest.starts_with('/') && !u.scheme.is_empty() {
        u.opaque = rest;
        return Ok(u);
    }
    if u.scheme.is_empty()
        && !rest.starts_with('/')
        && rest.split('/').next().is_some_and(|seg| seg.contains(':'))
    {
        return Err(format!(
            "unable to parse url: parse {raw:?}: first path segment in URL cannot contain colon"
        )
        .into());
    }
    if let Some(auth) = rest.strip_prefix("//") {
        let (authority, path) = match auth.find('/') {
            Some(i) => (&auth[..i], &auth[i..]),
            None => (auth, ""),
        };
        let host = match authority.rfind('@') {
            Some(i) => {
                u.userinfo = authority[..i].to_string();
                &authority[i + 1..]
            }
            None => authority,
        };
        u.host = unescape(host)?;
        u.path = unescape(path)?;
    } else {
        u.path = unescape(&rest)?;
    }
    Ok(u)
}

fn hostname(host: &str) -> String {
    if let Some(h) = host.strip_prefix('[') {
        return h.split(']').next().unwrap_or("").to_string();
    }
    match host.rfind(':') {
        Some(i) if host[i + 1..].bytes().all(|b| b.is_ascii_digit()) => host[..i].to_string(),
        _ => host.to_string(),
    }
}

/// Go's path escaping in `URL.EscapedPath` (`encodePath`).
fn escape_path(p: &str) -> String {
    let mut out = String::new();
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.scheme.is_empty() {
            write!(f, "{}:", self.scheme)?;
        }
        if !self.opaque.is_empty() {
            f.write_str(&self.opaque)?;
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || !self.userinfo.is_empty() {
                if !self.host.is_empty() || !self.path.is_empty() || !self.userinfo.is_empty() {
                    f.write_str("//")?;
                }
                if !self.userinfo.is_empty() {
                    write!(f, "{}@", self.userinfo)?;
                }
                f.write_str(&self.host)?;
            }
            if !self.path.is_empty() && !self.path.starts_with('/') && !self.host.is_empty() {
                f.write_str("/")?;
            }
            f.write_str(&escape_path(&self.path))?;
        }
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        if !self.fragment.is_empty() {
            write!(f, "#{}", escape_path(&self.fragment))?;
        }
        Ok(())
    }
}
