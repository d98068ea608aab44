//! A rule's regex, compiled when a condition first needs it.
//!
//! Compiling every regex of the built-in rules was half of smelt's start-up (about 195 patterns, most
//! of them for file kinds a given run never sees), so built-in rules compile theirs on first use. Their
//! patterns are checked by a test that loads every built-in rule and compiles each one
//! ([`super::Rule::compile_patterns`]); rules from user folders and patterns built from configuration
//! options are compiled at load, so a broken one is reported there with its file and line.

use regex::Regex;
use std::sync::OnceLock;

/// When a rule's regexes are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compile {
    /// While the rule loads; a bad pattern is a load error.
    Eager,
    /// On first use (built-in rules, whose patterns a test compiles).
    Lazy,
}

pub struct Pattern {
    source: String,
    /// `None` when the pattern does not compile: only possible for a lazy built-in pattern, which the
    /// built-in rules test rules out; it then matches nothing.
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    pub fn new(source: &str, when: Compile) -> Result<Pattern, String> {
        let pattern = Pattern { source: source.to_string(), compiled: OnceLock::new() };
        if when == Compile::Eager {
            let re = compile(source)?;
            pattern.compiled.get_or_init(|| Some(re));
        }
        Ok(pattern)
    }

    /// The compiled regex, compiling it now if this is its first use.
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled.get_or_init(|| compile(&self.source).ok()).as_ref()
    }

    /// Compiles the pattern now, reporting why it does not compile.
    pub fn check(&self) -> Result<(), String> {
        match self.regex() {
            Some(_) => Ok(()),
            None => compile(&self.source).map(drop),
        }
    }

    /// How many groups the pattern captures (not counting the whole match), without compiling it.
    pub fn groups(&self) -> Result<usize, String> {
        match self.compiled.get() {
            Some(Some(re)) => Ok(re.captures_len() - 1),
            // The syntax check `Regex::new` starts with, with its default settings and messages.
            _ => regex_syntax::Parser::new()
                .parse(&self.source)
                .map(|hir| hir.properties().explicit_captures_len())
                .map_err(|e| format!("invalid regex: {e}")),
        }
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(text))
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The whole strings the pattern matches, when it is a few fixed names anchored at both ends:
    /// names and groups of alternative names (`^(containers|initContainers)$`,
    /// `^host(Network|PID|IPC)$`), nothing else. A key test a path step can then do by comparing
    /// names (see `load::condition`). `None` for any other pattern. Read by hand rather than with
    /// `regex-syntax`: its parser cost ~56 K instructions per pattern at every start-up, as much as
    /// the steps save on a thousand files.
    pub fn fixed_strings(&self) -> Option<Vec<String>> {
        let body = self.source.strip_prefix('^')?.strip_suffix('$')?;
        let name_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
        let mut strings = vec![String::new()];
        let mut rest = body;
        while !rest.is_empty() {
            let alternatives: Vec<&str> = if let Some(group) = rest.strip_prefix('(') {
                let end = group.find(')')?;
                let inner = &group[..end];
                rest = &group[end + 1..];
                inner.strip_prefix("?:").unwrap_or(inner).split('|').collect()
            } else {
                let end = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
                let (name, after) = rest.split_at(end);
                if name.is_empty() {
                    return None;
                }
                rest = after;
                vec![name]
            };
            if !alternatives.iter().all(|a| a.chars().all(name_char)) {
                return None;
            }
            strings =
                strings.iter().flat_map(|s| alternatives.iter().map(move |a| format!("{s}{a}"))).collect();
            if strings.len() > FIXED_STRINGS_MAX {
                return None;
            }
        }
        Some(strings)
    }
}

/// The source alone: whether the regex is compiled yet must not show (the cache hashes conditions'
/// debug output into its keys).
impl std::fmt::Debug for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

/// The most strings [`Pattern::fixed_strings`] gives: more are left to the regex.
const FIXED_STRINGS_MAX: usize = 16;

/// Compiled regexes by source, shared by every pattern that spells the same one: rules repeat theirs
/// (`image-unpinned` has one regex on twelve paths), and a `Regex` is a handle to shared state.
static COMPILED: std::sync::Mutex<Option<foldhash::HashMap<String, Regex>>> = std::sync::Mutex::new(None);

/// Distinct sources kept before the cache starts over (configuration reloads in the language server
/// can bring new ones).
const CACHE_CAP: usize = 4096;

fn compile(source: &str) -> Result<Regex, String> {
    let cache = || COMPILED.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(re) = cache().as_ref().and_then(|c| c.get(source)) {
        return Ok(re.clone());
    }
    // Compiled outside the lock, so threads compiling different patterns do not wait for each other.
    let re = Regex::new(source).map_err(|e| format!("invalid regex: {e}"))?;
    let mut cache = cache();
    let cache = cache.get_or_insert_with(Default::default);
    if cache.len() >= CACHE_CAP {
        cache.clear();
    }
    Ok(cache.entry(source.to_string()).or_insert(re).clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lazy_patterns_compile_on_first_use() {
        let p = Pattern::new("^a+$", Compile::Lazy).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.compiled.get().is_none(), "not compiled at load");
        let before = format!("{p:?}");
        assert!(p.is_match("aaa"));
        assert!(p.compiled.get().is_some());
        assert_eq!(format!("{p:?}"), before, "compiling does not show");
        assert_eq!(before, r#"Pattern("^a+$")"#);
    }

    #[test]
    fn bad_patterns_fail_at_load_when_eager_and_match_nothing_when_lazy() {
        let eager = Pattern::new("(unclosed", Compile::Eager).map(drop);
        assert!(eager.is_err_and(|e| e.starts_with("invalid regex: ") && e.contains("unclosed group")));
        let lazy = Pattern::new("(unclosed", Compile::Lazy).unwrap_or_else(|e| panic!("{e}"));
        assert!(!lazy.is_match("(unclosed"));
        assert!(lazy.check().is_err_and(|e| e.contains("unclosed group")));
        assert_eq!(lazy.groups(), eager_error("(unclosed"));
    }

    fn eager_error(source: &str) -> Result<usize, String> {
        Pattern::new(source, Compile::Eager).map(|_| 0)
    }

    /// Patterns with the same source share one compiled regex; different sources do not.
    #[test]
    fn same_sources_share_a_compiled_regex() {
        let a = Pattern::new("^shared-[0-9]+$", Compile::Lazy).unwrap_or_else(|e| panic!("{e}"));
        let b = Pattern::new("^shared-[0-9]+$", Compile::Eager).unwrap_or_else(|e| panic!("{e}"));
        let c = Pattern::new("^other-[0-9]+$", Compile::Eager).unwrap_or_else(|e| panic!("{e}"));
        assert!(a.is_match("shared-1") && b.is_match("shared-22") && !a.is_match("other-1"));
        assert!(c.is_match("other-1") && !c.is_match("shared-1"));
        let cached = |source: &str| {
            COMPILED
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .as_ref()
                .is_some_and(|c| c.contains_key(source))
        };
        assert!(cached("^shared-[0-9]+$") && cached("^other-[0-9]+$"));
        assert!(Pattern::new("(bad", Compile::Eager).is_err());
        assert!(!cached("(bad"), "a pattern that does not compile is not cached");
    }

    #[test]
    fn fixed_strings_are_found_only_in_patterns_anchored_at_both_ends() {
        let fixed = |source: &str| {
            Pattern::new(source, Compile::Lazy).unwrap_or_else(|e| panic!("{e}")).fixed_strings()
        };
        let strings = |v: &[&str]| Some(v.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(fixed("^privileged$"), strings(&["privileged"]));
        assert_eq!(
            fixed("^(containers|initContainers|ephemeralContainers)$"),
            strings(&["containers", "initContainers", "ephemeralContainers"])
        );
        assert_eq!(fixed("^host(Network|PID|IPC)$"), strings(&["hostNetwork", "hostPID", "hostIPC"]));
        assert_eq!(fixed("^not_(actions|resources)$"), strings(&["not_actions", "not_resources"]));
        // Not anchored at one end, open-ended, too many strings, or not a pattern at all.
        assert_eq!(fixed("^(?:on|off)-(a|b)$"), strings(&["on-a", "on-b", "off-a", "off-b"]));
        assert_eq!(fixed("^(a|)$"), strings(&["a", ""]));
        for source in [
            "force-ssl-redirect$",
            "^privileged",
            "^(a|b)+$",
            "^[a-z]$",
            "^([^a]|a[^l])",
            "^a.b$",
            "(x$",
            "^((a|b))$",
            "^(?i)ab$",
            "^a\\d$",
            "^(a|b|c|d)(e|f|g|h)(i|j)$",
        ] {
            assert_eq!(fixed(source), None, "{source}");
        }
        // What the regex matches, and nothing else: `$` is the end of the text, not of a line.
        for source in ["^(ab|cd)$", "^x(a|)$", "^(?:ab)-c$"] {
            let p = Pattern::new(source, Compile::Lazy).unwrap_or_else(|e| panic!("{e}"));
            let listed = p.fixed_strings().unwrap_or_default();
            assert!(!listed.is_empty(), "{source}");
            for text in ["ab", "cd", "abcd", "ab\n", "xab", "", "x", "xa", "ab-c", "(?:ab)-c"] {
                assert_eq!(listed.iter().any(|s| s == text), p.is_match(text), "{source} on {text:?}");
            }
        }
    }

    #[test]
    fn groups_are_counted_with_or_without_compiling() {
        for (source, groups) in [("^a", 0), ("^([^/]+)/(?:x)", 1), ("(?P<o>a)(b)", 2)] {
            for when in [Compile::Eager, Compile::Lazy] {
                let p = Pattern::new(source, when).unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(p.groups(), Ok(groups), "{source} {when:?}");
            }
        }
    }
}
