//! `file://` URIs ⇄ the path strings the engine uses (lsp-types 0.97's `Uri` has no `to_file_path`).

use lsp_types::Uri;
use std::str::FromStr;

/// The path of a `file:` URI, percent-decoded, with forward slashes (`/c:/x` becomes `c:/x`). `None`
/// for other schemes and for paths that do not decode to UTF-8.
pub fn to_path(uri: &Uri) -> Option<String> {
    let s = uri.as_str();
    let rest = s.strip_prefix("file://").or_else(|| s.strip_prefix("FILE://"))?;
    // `file://host/path`: keep only the path (a host other than localhost is a UNC share).
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(i) => {
            let host = &rest[..i];
            if host.eq_ignore_ascii_case("localhost") {
                &rest[i..]
            } else {
                return Some(format!("//{rest}"));
            }
        }
        None => return None,
    };
    let path = path.split(['?', '#']).next().unwrap_or(path);
    let decoded = percent_decode(path)?;
    let bytes = decoded.as_bytes();
    // Windows drive letter: `/c:/…`.
    if bytes.len() >= 3 && bytes[0] == b'/' && bytes[1].is_ascii_alphabetic() && bytes[2] == b':' {
        return Some(decoded[1..].to_string());
    }
    Some(decoded)
}

/// The `file:` URI of a path as the engine shows it (absolute, forward slashes).
pub fn from_path(path: &str) -> Option<Uri> {
    let mut out = String::from("file://");
    if !path.starts_with('/') {
        out.push('/');
    }
    for b in path.bytes() {
        let keep = b.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&b);
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' {
            let hex = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok());
            if let Some(v) = hex {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> Uri {
        Uri::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn file_uris_round_trip() {
        for path in ["/tmp/infra/main.tf", "/tmp/with space/ünïcode 𝄞.tf", "c:/work/a.tf"] {
            let u = from_path(path).unwrap_or_else(|| panic!("{path}"));
            assert_eq!(to_path(&u).as_deref(), Some(path), "{}", u.as_str());
        }
        assert_eq!(to_path(&uri("file:///C%3A/x/main.tf")).as_deref(), Some("C:/x/main.tf"));
        assert_eq!(to_path(&uri("file://localhost/etc/a.tf")).as_deref(), Some("/etc/a.tf"));
        assert_eq!(to_path(&uri("untitled:Untitled-1")), None);
    }
}
