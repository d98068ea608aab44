//! Which keys are compared across environments, from the rule's options (`versions`, `protections`,
//! `ignore`; defaults in `rules/common/environment-divergence.toml`).
//!
//! A key pattern is a dotted path (`image.tag`, `module.*.version`) matched against the end of a
//! value's path, segment by segment, ignoring case; `*` in a segment matches any run of characters.
//! A protection is a pattern with the test that says the setting is on: `readinessProbe` (present),
//! `deletion_protection = true`, `skip_final_snapshot != true` (on unless set to `true`),
//! `backup_retention_period > 0`.

use std::collections::BTreeMap;
use toml::Value as Toml;

/// A compiled key pattern.
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    pub text: String,
    segments: Vec<String>,
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, String> {
        let segments: Vec<String> = text.trim().split('.').map(|s| s.trim().to_ascii_lowercase()).collect();
        if segments.iter().any(String::is_empty) {
            return Err(format!("`{text}` is not a key pattern like `image.tag` or `module.*.version`"));
        }
        Ok(Pattern { text: text.trim().to_string(), segments })
    }

    /// Whether the pattern matches the end of `path`.
    pub fn matches(&self, path: &[String]) -> bool {
        if self.segments.len() > path.len() {
            return false;
        }
        let tail = &path[path.len() - self.segments.len()..];
        self.segments.iter().zip(tail).all(|(p, s)| wildcard(p.as_bytes(), s.as_bytes()))
    }
}

/// `*` matches any run of characters; everything else matches itself, ignoring ASCII case (`pattern`
/// is lowercase already). Runs once per key and pattern, so it does not allocate.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    let same = |a: &[u8], b: &[u8]| a.len() == b.len() && a.eq_ignore_ascii_case(b);
    let mut pieces = pattern.split(|&c| c == b'*');
    let head = pieces.next().unwrap_or_default();
    let rest: Vec<&[u8]> = pieces.collect();
    if rest.is_empty() {
        return same(pattern, text);
    }
    if text.len() < head.len() || !same(head, &text[..head.len()]) {
        return false;
    }
    let mut remaining = &text[head.len()..];
    for (i, piece) in rest.iter().enumerate() {
        if i + 1 == rest.len() {
            return remaining.len() >= piece.len()
                && same(piece, &remaining[remaining.len() - piece.len()..]);
        }
        match (0..=remaining.len().saturating_sub(piece.len()))
            .find(|&at| remaining.len() >= at + piece.len() && same(piece, &remaining[at..at + piece.len()]))
        {
            Some(at) => remaining = &remaining[at + piece.len()..],
            None => return false,
        }
    }
    true
}

/// When a protective setting counts as on.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// Present, and not `false`, `null`, `0` or empty.
    Present,
    Equals(String),
    /// On unless set to this value (so on when absent).
    NotEquals(String),
    Above(f64),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Protection {
    pub pattern: Pattern,
    pub test: Test,
}

impl Protection {
    pub fn parse(text: &str) -> Result<Protection, String> {
        let (key, test) = if let Some((k, v)) = text.split_once("!=") {
            (k, Test::NotEquals(literal(v)))
        } else if let Some((k, v)) = text.split_once('=') {
            (k, Test::Equals(literal(v)))
        } else if let Some((k, v)) = text.split_once('>') {
            let n = v
                .trim()
                .parse::<f64>()
                .map_err(|_| format!("`{text}`: `>` takes a number, as in `backup_retention_period > 0`"))?;
            (k, Test::Above(n))
        } else {
            (text, Test::Present)
        };
        Ok(Protection { pattern: Pattern::parse(key)?, test })
    }

    /// Whether a value (`None`: not set) has the protection on.
    pub fn is_on(&self, value: Option<&str>) -> bool {
        match (&self.test, value) {
            (Test::Present, Some(v)) => !matches!(v, "false" | "null" | "0" | "" | "[]" | "{}"),
            (Test::Equals(want), Some(v)) => v.eq_ignore_ascii_case(want),
            (Test::NotEquals(not), Some(v)) => !v.eq_ignore_ascii_case(not),
            (Test::NotEquals(_), None) => true,
            (Test::Above(n), Some(v)) => v.parse::<f64>().is_ok_and(|x| x > *n),
            (_, None) => false,
        }
    }

    /// What "on" means, for messages: `= true`, `present`.
    pub fn describe(&self) -> String {
        match &self.test {
            Test::Present => "set".to_string(),
            Test::Equals(v) => format!("`{v}`"),
            Test::NotEquals(v) => format!("not `{v}`"),
            Test::Above(n) => format!("above {}", crate::model::format_number(*n)),
        }
    }
}

fn literal(v: &str) -> String {
    v.trim().trim_matches('"').to_string()
}

/// Patterns by their last segment, so a key is tested only against the patterns that can match it
/// (most end in a plain word: `version`, `tag`, `readinessProbe`).
#[derive(Clone, Debug, Default, PartialEq)]
struct Index {
    by_last: BTreeMap<String, Vec<usize>>,
    /// Patterns whose last segment has a `*`.
    wild: Vec<usize>,
}

impl Index {
    fn new<'a>(patterns: impl Iterator<Item = &'a Pattern>) -> Index {
        let mut index = Index::default();
        for (i, p) in patterns.enumerate() {
            match p.segments.last() {
                Some(last) if !last.contains('*') => index.by_last.entry(last.clone()).or_default().push(i),
                _ => index.wild.push(i),
            }
        }
        index
    }

    /// The first pattern (in list order) for which `matches` holds, among those that can match `path`.
    fn first(&self, path: &[String], matches: impl Fn(usize) -> bool) -> Option<usize> {
        let last = path.last()?.to_ascii_lowercase();
        let exact = self.by_last.get(&last).map_or(&[][..], |v| &v[..]);
        exact.iter().chain(&self.wild).copied().filter(|&i| matches(i)).min()
    }
}

/// The compiled options of the rule.
#[derive(Clone, Debug, PartialEq)]
pub struct Keys {
    /// Compared for equality: versions, sources, images.
    pub versions: Vec<Pattern>,
    /// Settings a later environment must not turn off.
    pub protections: Vec<Protection>,
    /// Never compared: expected differences.
    pub ignore: Vec<Pattern>,
    indexes: [Index; 3],
}

impl Keys {
    /// From the rule's option values (defaults with `smelt.toml`'s on top).
    pub fn compile(options: &BTreeMap<String, Toml>) -> Result<Keys, String> {
        let list = |name: &str| -> Result<Vec<String>, String> {
            match options.get(name) {
                Some(Toml::Array(items)) => items
                    .iter()
                    .map(|i| i.as_str().map(str::to_string).ok_or_else(|| format!("`{name}` lists strings")))
                    .collect(),
                Some(_) => Err(format!("`{name}` must be an array of strings")),
                None => Ok(Vec::new()),
            }
        };
        let patterns = |name: &str| -> Result<Vec<Pattern>, String> {
            list(name)?.iter().map(|p| Pattern::parse(p).map_err(|m| format!("`{name}`: {m}"))).collect()
        };
        let protections: Vec<Protection> = list("protections")?
            .iter()
            .map(|p| Protection::parse(p).map_err(|m| format!("`protections`: {m}")))
            .collect::<Result<_, _>>()?;
        let (versions, ignore) = (patterns("versions")?, patterns("ignore")?);
        let indexes = [
            Index::new(versions.iter()),
            Index::new(protections.iter().map(|p| &p.pattern)),
            Index::new(ignore.iter()),
        ];
        Ok(Keys { versions, protections, ignore, indexes })
    }

    pub fn ignored(&self, path: &[String]) -> bool {
        let [_, _, ignore] = &self.indexes;
        ignore.first(path, |i| self.ignore.get(i).is_some_and(|p| p.matches(path))).is_some()
    }

    pub fn version(&self, path: &[String]) -> bool {
        let [versions, _, _] = &self.indexes;
        !self.ignored(path)
            && versions.first(path, |i| self.versions.get(i).is_some_and(|p| p.matches(path))).is_some()
    }

    pub fn protection(&self, path: &[String]) -> Option<&Protection> {
        if self.ignored(path) {
            return None;
        }
        let [_, protections, _] = &self.indexes;
        let i =
            protections.first(path, |i| self.protections.get(i).is_some_and(|p| p.pattern.matches(path)))?;
        self.protections.get(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(s: &str) -> Vec<String> {
        s.split('.').map(str::to_string).collect()
    }

    #[test]
    fn patterns_match_the_end_of_a_path() {
        let p = |s: &str| Pattern::parse(s).unwrap_or_else(|e| panic!("{e}"));
        assert!(p("version").matches(&path("module.db.version")));
        assert!(p("module.*.version").matches(&path("module.db.version")));
        assert!(!p("module.*.version").matches(&path("terraform.required_providers.aws.version")));
        assert!(p("*_version").matches(&path("aws_db_instance.main.ENGINE_VERSION")));
        assert!(!p("*_version").matches(&path("Deployment/web.apiVersion")));
        assert!(p("image.tag").matches(&path("web.image.tag")));
        assert!(p("*probe").matches(&path("containers.web.readinessProbe")));
        assert!(p("a*b*c").matches(&["axxbyyc".to_string()]));
        assert!(!p("a*b*c").matches(&["axxcyyb".to_string()]));
        assert!(Pattern::parse("a..b").is_err());
    }

    #[test]
    fn protections_say_when_they_are_on() {
        let on =
            |spec: &str, v: Option<&str>| Protection::parse(spec).unwrap_or_else(|e| panic!("{e}")).is_on(v);
        assert!(on("deletion_protection = true", Some("true")));
        assert!(!on("deletion_protection = true", Some("false")));
        assert!(!on("deletion_protection = true", None));
        assert!(on("skip_final_snapshot != true", None));
        assert!(!on("skip_final_snapshot != true", Some("true")));
        assert!(on("backup_retention_period > 0", Some("7")));
        assert!(!on("backup_retention_period > 0", Some("0")));
        assert!(on("readinessProbe", Some("{…}")));
        assert!(!on("readinessProbe", None));
        assert!(Protection::parse("retention > many").is_err());
    }
}
