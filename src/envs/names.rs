//! Environment names by convention: the words that name a stage of the promotion path (`dev`,
//! `staging`, `prod` …), found in folder names, file names and pipeline environment names.
//!
//! A name is split into parts at `-`, `_` and `.`; the part that is a stage word, with the region or
//! number qualifiers right around it (`prod-eu`, `eu-west-1-prod`, `prod2`), is the environment's
//! token. `values-prod.yaml` names `prod`, `envs/prod-eu/` names `prod-eu`, `pre-prod` is staging.

/// The stages, in promotion order, with the words that name them.
const STAGES: &[(u8, &[&str])] = &[
    (0, &["dev", "devel", "develop", "development"]),
    (1, &["test", "testing", "qa"]),
    (2, &["stage", "staging", "stg", "preprod", "preproduction", "uat"]),
    (3, &["prod", "production", "prd", "live"]),
];

/// Parts that qualify an environment without being one: regions, zones, numbers.
const QUALIFIERS: &[&str] = &[
    "eu",
    "us",
    "uk",
    "ap",
    "ca",
    "sa",
    "me",
    "af",
    "cn",
    "asia",
    "emea",
    "apac",
    "amer",
    "east",
    "west",
    "north",
    "south",
    "central",
    "northeast",
    "northwest",
    "southeast",
    "southwest",
    "a",
    "b",
    "c",
];

/// The stage (0 dev … 3 prod) a single word names, if any.
pub fn stage_of_word(word: &str) -> Option<u8> {
    // Compared without a lower-case copy: every segment of every path is looked at.
    let bare = word.trim_end_matches(|c: char| c.is_ascii_digit());
    STAGES
        .iter()
        .find(|(_, words)| words.iter().any(|w| w.eq_ignore_ascii_case(bare)))
        .map(|(stage, _)| *stage)
}

/// A human name for a stage, for `smelt envs`.
pub fn stage_name(stage: u8) -> &'static str {
    match stage {
        0 => "dev",
        1 => "test",
        2 => "staging",
        _ => "prod",
    }
}

/// The environment named inside one path segment or pipeline name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Byte range of the token in the segment.
    pub start: usize,
    pub end: usize,
    /// The token, lowercased: the environment's name.
    pub name: String,
    pub stage: u8,
}

/// The environment token in `segment` (a folder name, a file name without its extension, or a
/// pipeline environment name), if it has one.
pub fn token(segment: &str) -> Option<Token> {
    let parts = split(segment);
    let words: Vec<&str> = parts.iter().map(|(s, e)| &segment[*s..*e]).collect();
    // `pre-prod` and `pre_production` are one stage word spelt in two parts.
    let mut found = None;
    for (i, word) in words.iter().enumerate() {
        if word.eq_ignore_ascii_case("pre") && words.get(i + 1).is_some_and(|n| stage_of_word(n) == Some(3)) {
            found = Some((i, i + 1, 2));
            break;
        }
        if let Some(stage) = stage_of_word(word) {
            found = Some((i, i, stage));
            break;
        }
    }
    let (mut first, mut last, stage) = found?;
    let qualifier = |w: &str| {
        QUALIFIERS.iter().any(|q| q.eq_ignore_ascii_case(w)) || w.chars().all(|c| c.is_ascii_digit())
    };
    while first > 0 && words.get(first - 1).is_some_and(|w| qualifier(w)) {
        first -= 1;
    }
    while words.get(last + 1).is_some_and(|w| qualifier(w)) {
        last += 1;
    }
    let (start, end) = (parts.get(first)?.0, parts.get(last)?.1);
    Some(Token { start, end, name: segment[start..end].to_ascii_lowercase(), stage })
}

/// Byte ranges of the parts of `s` between `-`, `_` and `.`.
fn split(s: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if matches!(c, '-' | '_' | '.') {
            if i > start {
                out.push((start, i));
            }
            start = i + c.len_utf8();
        }
    }
    if s.len() > start {
        out.push((start, s.len()));
    }
    out
}

/// The words of a stage and of an environment's own name, which a value may hold because it names
/// its environment (`db-prod`, `registry/staging/app`): they are replaced before values are compared.
pub fn name_words(name: &str, stage: Option<u8>) -> Vec<String> {
    let mut words: Vec<String> = split(name).iter().map(|(s, e)| name[*s..*e].to_ascii_lowercase()).collect();
    if let Some((_, stage_words)) = stage.and_then(|s| STAGES.iter().find(|(n, _)| *n == s)) {
        words.extend(stage_words.iter().map(|w| w.to_string()));
    }
    words.retain(|w| !w.is_empty() && !QUALIFIERS.contains(&w.as_str()));
    words.sort();
    words.dedup();
    words
}

/// `value` with every word of `words` (whole words: runs of letters and digits) replaced by `{env}`,
/// so `db-prod` and `db-staging` compare equal.
pub fn neutral(value: &str, words: &[String]) -> String {
    let mut out = String::with_capacity(value.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if words.iter().any(|w| w.eq_ignore_ascii_case(word)) {
            out.push_str("{env}");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in value.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Option<(String, u8)> {
        token(s).map(|t| (t.name, t.stage))
    }

    #[test]
    fn tokens_in_names() {
        assert_eq!(name("prod"), Some(("prod".into(), 3)));
        assert_eq!(name("values-production"), Some(("production".into(), 3)));
        assert_eq!(name("values.staging"), Some(("staging".into(), 2)));
        assert_eq!(name("prod-eu"), Some(("prod-eu".into(), 3)));
        assert_eq!(name("eu-west-1-prod"), Some(("eu-west-1-prod".into(), 3)));
        assert_eq!(name("pre-prod"), Some(("pre-prod".into(), 2)));
        assert_eq!(name("k8s-dev"), Some(("dev".into(), 0)));
        assert_eq!(name("qa"), Some(("qa".into(), 1)));
        assert_eq!(name("prod2"), Some(("prod2".into(), 3)));
        assert_eq!(name("values"), None);
        assert_eq!(name("products"), None);
        assert_eq!(name("devices"), None);
        // Any case, as before the words were compared without a lower-case copy.
        assert_eq!(name("Values-PROD"), Some(("prod".into(), 3)));
        assert_eq!(name("PRE-Prod"), Some(("pre-prod".into(), 2)));
        assert_eq!(name("EU-West-1-Prod2"), Some(("eu-west-1-prod2".into(), 3)));
        assert_eq!(name("Staging"), Some(("staging".into(), 2)));
        let t = token("values-prod").unwrap_or_else(|| panic!("a token"));
        assert_eq!((t.start, t.end), (7, 11));
    }

    #[test]
    fn values_naming_their_environment_compare_equal() {
        let prod = name_words("prod", Some(3));
        let staging = name_words("staging", Some(2));
        assert_eq!(neutral("db-prod", &prod), neutral("db-staging", &staging));
        assert_eq!(neutral("registry/production/app:1.2", &prod), "registry/{env}/app:1.2");
        assert_eq!(neutral("products:1", &prod), "products:1");
    }
}
