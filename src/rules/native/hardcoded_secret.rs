//! Hard-coded secrets: literal values that are credentials, found two ways.
//!
//! 1. Known token formats anywhere in a literal string (AWS access key IDs, GitHub and GitLab tokens,
//!    Slack and Stripe keys, Google API keys, private key blocks, JWTs), whatever the key is called.
//! 2. Secret-named keys (`password`, `client_secret`, `DB_PASSWORD` in an env list…) holding a literal
//!    that is not a placeholder; for weakly named keys (`token`, `key`, `auth`) only a random-looking
//!    (high-entropy) value counts.
//!
//! Never a reference: variables, data sources, `${{ secrets.X }}` and `$(VAR)` are `Expr` nodes or are
//! recognised as placeholders, so they never fire.

use crate::model::{Node, Value};
use crate::rules::{FileView, RawFinding, documents};
use crate::source::FileKind;
use crate::span::Span;
use regex::Regex;
use std::sync::LazyLock;

struct Patterns {
    /// All of [`TOKENS`] in one: most strings hold none, and one pass with the literal prefilter this
    /// builds rules them out (eight separate searches were most of the rule's cost).
    any_token: Regex,
    /// The fewest bytes any token can be: shorter strings (most of them) skip the search.
    min_token_len: usize,
    strong_key: Regex,
    weak_key: Regex,
    not_secret_key: Regex,
    placeholder: Regex,
}

/// The token formats: a name, and the pattern of the token itself.
const TOKENS: [(&str, &str); 8] = [
    ("AWS access key ID", r"\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b"),
    ("GitHub token", r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b"),
    ("GitLab token", r"\bglpat-[0-9A-Za-z_-]{20,}\b"),
    ("Slack token", r"\bxox[baprs]-[0-9A-Za-z-]{10,}\b"),
    ("Stripe secret key", r"\b[sr]k_live_[0-9A-Za-z]{20,}\b"),
    ("Google API key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ("private key", r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----"),
    ("JSON Web Token", r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
];

/// Each token format on its own, to name the one found: compiled only once a string holds a token
/// (most runs hold none, and compiling these was a third of the rule's start-up).
static TOKEN_REGEXES: LazyLock<Option<Vec<(&str, Regex)>>> =
    LazyLock::new(|| TOKENS.iter().map(|&(name, re)| Regex::new(re).ok().map(|r| (name, r))).collect());

static PATTERNS: LazyLock<Option<Patterns>> = LazyLock::new(|| {
    let any_token_source = TOKENS.iter().map(|(_, re)| format!("(?:{re})")).collect::<Vec<_>>().join("|");
    let any_token = Regex::new(&any_token_source).ok()?;
    let min_token_len =
        regex_syntax::parse(&any_token_source).ok()?.properties().minimum_len().unwrap_or_default();
    Some(Patterns {
        any_token,
        min_token_len,
        strong_key: Regex::new(
            r"(?i)(passw(or)?d|passwd|\bpwd\b|_pwd$|secret|private[_-]?key|api[_-]?key|access[_-]?key|client[_-]?secret|credentials?$|auth[_-]?token|access[_-]?token|bearer)",
        )
        .ok()?,
        weak_key: Regex::new(r"(?i)(token|(^|[_-])key$|^auth$|signature|salt)").ok()?,
        // Keys that name, locate, size or configure a secret rather than hold one.
        not_secret_key: Regex::new(
            r"(?i)(_arn|arn$|_ids?$|_name$|^name$|_names$|_file$|_path$|_paths$|_length$|_len$|_version$|_type$|_policy$|_count$|_ttl$|_enabled$|^enabled?_|_rotation|_days$|_url$|_uri$|_endpoint$|_kms|kms_|_ref$|secretref|_env$|_hash$|_source$|_policy_|_id_|_mode$|_format$|_header|_expir|_timeout|_reset|_required|_regex|_pattern|_prompt|_description|_prefix$|_suffix$|_key_name$|_location$|_store|_vault|_manager|_provider$|_min|_max|_changed|_set$|^use_|_usage$|^existing_|_secret_name|_selector|_annotation|_label)",
        )
        .ok()?,
        placeholder: Regex::new(
            r"(?ix)^(
                \$\{.*\} | \$\(.*\) | \$[A-Za-z_][A-Za-z0-9_]*
              | \{\{.*\}\}
              | <[^>]*>
              | .*\$\{\{.*\}\}.*
              | (x+|\*+|\.+|-+|_+|\#+|\?+)
              | (change[-_ ]?me|changeit|replace[-_ ]?me|your[-_ ].*|example.*|.*example|dummy|placeholder|redacted|none|null|nil|undefined|todo|tbd|fixme|test|secret|password|passwd|string|value|true|false|yes|no|on|off|enabled|disabled|required|optional|inherit|read|write|none|auto|generated|random)
              # Only metasyntactic and test words (`foobar_secret`, `fake-token`, `test_password`):
              # the dummy credentials test suites hand to mocked services.
              | ((foo|bar|baz|qux|foobar|fake|mock|mocked|dummy|test|testing|sample|my|some|secret|password|passwd|key|token|access|value)[-_.]?)+
              | (arn|vault|secret|ssm|awskms|gcpkms|azurekv|ref|env|file|sops|op)://?.* | arn:.*
              | /.* | \./.* | ~/.*
            )$",
        )
        .ok()?,
    })
});

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(p) = PATTERNS.as_ref() else { return Vec::new() };
    let mut out = Vec::new();
    // Terraform values can come from elsewhere (a variable's default, a caller's argument, a local):
    // the secret is reported where it is written, not at every place it flows to.
    let written_here = |node: &Node| {
        file.kind != FileKind::Terraform
            || file.text.get(node.span.range()).is_some_and(|src| src.starts_with(['"', '<']))
    };
    for doc in documents(file) {
        doc.walk(&mut |node| check_node(p, file.text, node, &written_here, &mut out));
    }
    out.sort_by_key(|f| f.span);
    out.dedup_by_key(|f| f.span);
    out
}

thread_local! {
    /// Whether a key can name a secret, by key. Keys repeat within a file (`name`, `image`, `value`
    /// in every container) and across files: each is judged once per thread, not once per entry.
    static KEY_NAMES_SECRET: std::cell::RefCell<foldhash::HashMap<Box<str>, bool>> =
        std::cell::RefCell::new(foldhash::HashMap::default());
}

/// Distinct keys remembered per thread before the memo starts over (a bound on its memory).
const KEY_MEMO_CAP: usize = 4096;

/// Whether a literal under `key` may be a secret: false for a key named neither strongly nor weakly
/// like one.
fn may_name_secret(p: &Patterns, key: &str) -> bool {
    KEY_NAMES_SECRET.with_borrow_mut(|memo| {
        if let Some(&names) = memo.get(key) {
            return names;
        }
        let key_snake = snake_case(key);
        let names = p.strong_key.is_match(&key_snake) || p.weak_key.is_match(&key_snake);
        if memo.len() >= KEY_MEMO_CAP {
            memo.clear();
        }
        memo.insert(key.into(), names);
        names
    })
}

fn check_node(
    p: &Patterns,
    text: &str,
    node: &Node,
    written_here: &dyn Fn(&Node) -> bool,
    out: &mut Vec<RawFinding>,
) {
    // Token formats, in any literal string: point at the token itself when the source spells it out
    // verbatim (a key on line 9 of a `run: |` script, not the script's first line).
    if let Value::Str(s) = &node.value
        && written_here(node)
        && let Some((name, token)) = token_match(p, s)
    {
        let span = text
            .get(node.span.range())
            .and_then(|src| src.find(token))
            .map(|at| Span::new(node.span.start as usize + at, node.span.start as usize + at + token.len()))
            .unwrap_or(node.span);
        out.push(found(span, None, name));
        return;
    }
    let Value::Map(entries) = &node.value else { return };
    // `{name: DB_PASSWORD, value: hunter2}`: environment lists in Kubernetes and ECS.
    if let Some((name, value)) = node.named_value()
        && written_here(value)
        && may_name_secret(p, name)
        && let Some(what) = secret_in(p, name, value)
    {
        out.push(found(value.span, Some(name), what));
    }
    for e in entries.iter().filter(|e| matches!(e.value.value, Value::Str(_)) && written_here(&e.value)) {
        if !may_name_secret(p, &e.key) {
            continue;
        }
        if let Some(what) = secret_in(p, &e.key, &e.value) {
            out.push(found(e.value.span, Some(&e.key), what));
        }
    }
}

fn found(span: Span, key: Option<&str>, what: &str) -> RawFinding {
    let detail = match key {
        Some(k) => format!("{what} in `{k}`"),
        None => what.to_string(),
    };
    RawFinding { span, key: key.map(str::to_string), detail: Some(detail), ..RawFinding::default() }
}

fn token_kind(p: &Patterns, s: &str) -> Option<&'static str> {
    token_match(p, s).map(|(name, _)| name)
}

/// The kind of the first known token in `s`, and the token's text.
fn token_match<'s>(p: &Patterns, s: &'s str) -> Option<(&'static str, &'s str)> {
    if s.len() < p.min_token_len || !p.any_token.is_match(s) {
        return None;
    }
    TOKEN_REGEXES.as_deref().unwrap_or_default().iter().find_map(|(name, re)| {
        let m = re.find(s)?;
        // AWS documents its example keys with the suffix EXAMPLE; they are not credentials.
        (!m.as_str().ends_with("EXAMPLE")).then_some((*name, m.as_str()))
    })
}

/// `secretName` → `secret_name`, so camelCase keys (Kubernetes, Helm values) read like snake_case ones.
fn snake_case(key: &str) -> String {
    let mut out = String::with_capacity(key.len() + 4);
    let mut prev_lower = false;
    for c in key.chars() {
        if c.is_ascii_uppercase() && prev_lower {
            out.push('_');
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// What kind of secret a literal under `key` is, if it is one.
fn secret_in(p: &Patterns, key: &str, value: &Node) -> Option<&'static str> {
    let Value::Str(s) = &value.value else { return None };
    let s = s.trim();
    let key = &snake_case(key);
    // Most keys (`image`, `replicas`, `runs-on`) are named neither strongly nor weakly like a secret,
    // and then nothing below can fire: the costlier tests run only for the others.
    let strong = p.strong_key.is_match(key);
    if !strong && !p.weak_key.is_match(key) {
        return None;
    }
    if s.is_empty()
        || p.not_secret_key.is_match(key)
        || p.placeholder.is_match(s)
        || token_kind(p, s).is_some()
    {
        return None;
    }
    if strong {
        let what = if key.to_ascii_lowercase().contains("pass") || key.to_ascii_lowercase().contains("pwd") {
            "password"
        } else {
            "secret"
        };
        return (s.chars().count() >= 4 && !s.contains(char::is_whitespace)).then_some(what);
    }
    looks_random(s).then_some("secret")
}

/// Long, single-word, mixing letters and digits, and high in Shannon entropy: what generated keys and
/// tokens look like (and label keys such as `app.kubernetes.io/name` do not).
fn looks_random(s: &str) -> bool {
    if s.len() < 16 || s.contains(char::is_whitespace) {
        return false;
    }
    if !(s.bytes().any(|b| b.is_ascii_digit()) && s.bytes().any(|b| b.is_ascii_alphabetic())) {
        return false;
    }
    let mut counts = [0usize; 256];
    s.bytes().for_each(|b| counts[b as usize] += 1);
    let n = s.len() as f64;
    let entropy: f64 = counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / n).map(|q| -q * q.log2()).sum();
    entropy >= 3.5
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> &'static Patterns {
        PATTERNS.as_ref().expect("patterns compile")
    }
    fn s(v: &str) -> Node {
        Node::new(Span::default(), Value::Str(v.into()))
    }

    #[test]
    fn token_formats() {
        assert_eq!(token_kind(p(), "AKIAABCDEFGHIJKLMNOP"), Some("AWS access key ID"));
        assert_eq!(token_kind(p(), "AKIAIOSFODNN7EXAMPLE"), None);
        assert_eq!(token_kind(p(), &format!("ghp_{}", "a1B2".repeat(9))), Some("GitHub token"));
        assert_eq!(token_kind(p(), "-----BEGIN RSA PRIVATE KEY-----\nMIIE"), Some("private key"));
        assert_eq!(token_kind(p(), "not a token"), None);
    }

    /// The per-thread key memo gives what judging the key afresh gives, before and after it fills.
    #[test]
    fn key_memo_agrees_with_the_patterns() {
        let fresh =
            |k: &str| p().strong_key.is_match(&snake_case(k)) || p().weak_key.is_match(&snake_case(k));
        let keys =
            ["password", "adminPassword", "image", "name", "api_key", "token", "replicas", "secretName"];
        for round in 0..3 {
            for k in keys {
                assert_eq!(may_name_secret(p(), k), fresh(k), "{k} (round {round})");
            }
            // Fill the memo past its bound: it starts over and still answers the same.
            (0..KEY_MEMO_CAP).for_each(|i| {
                may_name_secret(p(), &format!("filler_{i}"));
            });
        }
    }

    /// The length gate before the token search: the shortest token of each kind still gets through.
    #[test]
    fn shortest_tokens_pass_the_length_gate() {
        let shortest = [
            ("AKIA".to_string() + "ABCDEFGHIJKLMNOP", "AWS access key ID"),
            ("xoxb-".to_string() + "0123456789", "Slack token"),
            ("glpat-".to_string() + &"a".repeat(20), "GitLab token"),
            ("sk_live_".to_string() + &"a".repeat(20), "Stripe secret key"),
        ];
        // `xox[baprs]-` and ten characters is the shortest of the eight formats.
        assert_eq!(p().min_token_len, "xoxb-0123456789".len());
        for (token, kind) in shortest {
            assert!(token.len() >= p().min_token_len, "{token}");
            assert_eq!(token_kind(p(), &token), Some(kind), "{token}");
        }
    }

    #[test]
    fn secret_named_keys() {
        assert_eq!(secret_in(p(), "master_password", &s("hunter22")), Some("password"));
        assert_eq!(secret_in(p(), "DB_PASSWORD", &s("s3cr3t!")), Some("password"));
        assert_eq!(secret_in(p(), "client_secret", &s("9f8e7d6c5b4a")), Some("secret"));
        assert_eq!(secret_in(p(), "password", &s("${{ secrets.DB }}")), None);
        assert_eq!(secret_in(p(), "password", &s("changeme")), None);
        assert_eq!(secret_in(p(), "password", &s("<your password>")), None);
        assert_eq!(secret_in(p(), "password_length", &s("16")), None);
        assert_eq!(secret_in(p(), "secret_name", &s("prod/db")), None);
        assert_eq!(secret_in(p(), "kms_key_id", &s("alias/aws/rds")), None);
        assert_eq!(secret_in(p(), "password", &s("")), None);
        assert_eq!(secret_in(p(), "token", &s("short")), None);
        assert_eq!(secret_in(p(), "token", &s("q8Zr2LmX9vTb4KpW7nYc")), Some("secret"));
        assert_eq!(secret_in(p(), "key", &s("app.kubernetes.io/name")), None);
        assert_eq!(secret_in(p(), "secretName", &s("tls-cert")), None);
        assert_eq!(secret_in(p(), "existingSecret", &s("db-credentials")), None);
        assert_eq!(secret_in(p(), "secrets", &s("inherit")), None);
        assert_eq!(secret_in(p(), "id-token", &s("write")), None);
        assert_eq!(
            secret_in(p(), "ssh_authorized_key", &s("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9 ops@example")),
            None
        );
        assert_eq!(secret_in(p(), "adminPassword", &s("Pr0d-Adm1n!")), Some("password"));
        assert_eq!(secret_in(p(), "AWS_SECRET_ACCESS_KEY", &s("foobar_secret")), None);
        assert_eq!(secret_in(p(), "API_TOKEN", &s("fake-token")), None);
        assert_eq!(secret_in(p(), "DB_PASSWORD", &s("test_password")), None);
        assert_eq!(secret_in(p(), "DB_PASSWORD", &s("foobar_s3cr3t_91")), Some("password"));
    }
}
