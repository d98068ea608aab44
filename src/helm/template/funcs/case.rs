//! Case conversions: Go's `strings.ToUpper`/`ToLower`/`Title`, goutils' `Uncapitalize` and
//! `SwapCase`, and xstrings' `ToCamelCase`, `ToSnakeCase` and `ToKebabCase` (v1.5's word splitter).

use super::super::value::Value;
use super::strings::is_space;
use super::{Arity, Funcs, string_arg};

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("upper", Exact(1), |_, a| Ok(Value::Str(map_chars(string_arg(&a, 0)?, to_upper))));
    f.insert("lower", Exact(1), |_, a| Ok(Value::Str(map_chars(string_arg(&a, 0)?, to_lower))));
    f.insert("title", Exact(1), |_, a| Ok(Value::Str(title(string_arg(&a, 0)?))));
    f.insert("untitle", Exact(1), |_, a| Ok(Value::Str(untitle(string_arg(&a, 0)?))));
    f.insert("swapcase", Exact(1), |_, a| Ok(Value::Str(swapcase(string_arg(&a, 0)?))));
    f.insert("camelcase", Exact(1), |_, a| Ok(Value::Str(camelcase(string_arg(&a, 0)?))));
    f.insert("snakecase", Exact(1), |_, a| Ok(Value::Str(join_words(string_arg(&a, 0)?, '_'))));
    f.insert("kebabcase", Exact(1), |_, a| Ok(Value::Str(join_words(string_arg(&a, 0)?, '-'))));
}

/// Go's `unicode.ToUpper` per character (no multi-character expansions such as ß → SS).
pub fn to_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

pub fn to_lower(c: char) -> char {
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn map_chars(s: &str, f: fn(char) -> char) -> String {
    s.chars().map(f).collect()
}

/// `strings.Title`: the first letter of each word upper-cased; words are split at characters that
/// are not letters, digits, `_` or (outside ASCII) anything but spaces.
fn title(s: &str) -> String {
    let mut prev = ' ';
    s.chars()
        .map(|c| {
            let sep = if prev.is_ascii() {
                !(prev.is_ascii_alphanumeric() || prev == '_')
            } else {
                !(prev.is_alphanumeric()) && is_space(prev)
            };
            prev = c;
            if sep { to_upper(c) } else { c }
        })
        .collect()
}

/// goutils' `Uncapitalize`: the first letter of each whitespace-separated word lower-cased.
fn untitle(s: &str) -> String {
    let mut next = true;
    s.chars()
        .map(|c| {
            if is_space(c) {
                next = true;
                c
            } else if next {
                next = false;
                to_lower(c)
            } else {
                c
            }
        })
        .collect()
}

/// goutils' `SwapCase`: upper to lower; lower to title case at a word start, else to upper.
fn swapcase(s: &str) -> String {
    let mut white = true;
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                white = false;
                to_lower(c)
            } else if c.is_lowercase() {
                // Title case at a word start is upper case for every cased letter Go knows.
                white = false;
                to_upper(c)
            } else {
                white = is_space(c);
                c
            }
        })
        .collect()
}

/// xstrings' `ToCamelCase`: connectors (`_`, `-`, space) removed and the letter after them upper-cased;
/// in a word that starts with a capital, the capitals right after it are lower-cased (`FOO` → `Foo`);
/// leading, doubled and trailing connectors are kept once.
fn camelcase(s: &str) -> String {
    let is_conn = is_connector;
    if let Some(last) = s.chars().last()
        && s.chars().all(is_conn)
    {
        // Only connectors: xstrings writes them, then the last one again.
        return format!("{s}{last}");
    }
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(&c) = chars.peek() {
        if !is_conn(c) {
            break;
        }
        out.push(c);
        chars.next();
    }
    let (mut word_start, mut prev_conn, mut caps) = (true, false, false);
    while let Some(c) = chars.next() {
        if is_conn(c) {
            if prev_conn || chars.peek().is_none() {
                out.push(c);
            }
            prev_conn = true;
            word_start = true;
            continue;
        }
        prev_conn = false;
        if word_start {
            caps = c.is_uppercase();
            out.push(to_upper(c));
            word_start = false;
        } else if caps && c.is_uppercase() {
            out.push(to_lower(c));
        } else {
            caps = false;
            out.push(c);
        }
    }
    out
}

#[derive(Clone, Copy, PartialEq)]
enum Word {
    Invalid,
    Number,
    Upper,
    Alphabet,
    Connector,
    Punct,
    Other,
}

fn is_connector(c: char) -> bool {
    c == '-' || c == '_' || is_space(c)
}

/// xstrings' `isAlphabet`: a letter, CJK excepted.
fn is_alphabet(c: char) -> bool {
    c.is_alphabetic() && (c as u32) < 0x3400
}

/// Go's `unicode.IsPunct` for ASCII (symbols such as `^ $ + < = > | ~` are not punctuation); other
/// characters count as punctuation only in the General Punctuation block.
fn is_punct(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_punctuation() && !"$+<=>^`|~".contains(c)
    } else {
        ('\u{2010}'..='\u{2027}').contains(&c) || ('\u{2030}'..='\u{205e}').contains(&c)
    }
}

/// xstrings' `nextWord`: the next run of one kind (an upper-case run keeps its last capital for the
/// next word when a letter follows: `HTTPStatus` → `HTTP`, `Status`).
fn next_word(s: &str) -> (Word, &str, &str) {
    let mut chars = s.char_indices().peekable();
    let Some((_, c)) = chars.next() else { return (Word::Invalid, "", "") };
    let end_while = |start: usize, pred: &dyn Fn(char) -> bool| {
        s[start..].char_indices().find(|&(_, x)| !pred(x)).map_or(s.len(), |(i, _)| start + i)
    };
    let first = c.len_utf8();
    let (kind, end) = if is_connector(c) {
        (Word::Connector, end_while(first, &is_connector))
    } else if is_punct(c) {
        (Word::Punct, end_while(first, &is_punct))
    } else if c.is_uppercase() {
        match s[first..].chars().next() {
            Some(n) if n.is_uppercase() => {
                let end = end_while(first, &|x: char| x.is_uppercase());
                let last = s[..end].chars().last().map_or(0, char::len_utf8);
                match s[end..].chars().next() {
                    Some(after) if is_alphabet(after) => (Word::Upper, end - last),
                    _ => (Word::Upper, end),
                }
            }
            Some(n) if is_alphabet(n) => {
                (Word::Upper, end_while(first, &|x: char| is_alphabet(x) && !x.is_uppercase()))
            }
            _ => (Word::Upper, first),
        }
    } else if is_alphabet(c) {
        (Word::Alphabet, end_while(first, &|x: char| is_alphabet(x) && !x.is_uppercase()))
    } else if c.is_numeric() {
        (Word::Number, end_while(first, &char::is_numeric))
    } else {
        let stop = |x: char| is_connector(x) || is_alphabet(x) || x.is_numeric() || is_punct(x);
        (Word::Other, end_while(first, &|x: char| !stop(x)))
    };
    (kind, &s[..end], &s[end..])
}

/// xstrings' `toLower`: upper-case words lower-cased; connectors become `sep`.
fn push_lower(out: &mut String, kind: Word, word: &str, sep: char) {
    if kind != Word::Upper && kind != Word::Connector {
        out.push_str(word);
        return;
    }
    for c in word.chars() {
        out.push(if is_connector(c) { sep } else { to_lower(c) });
    }
}

/// xstrings' `ToSnakeCase`/`ToKebabCase` (`camelCaseToLowerCase`): words lower-cased and joined by
/// `sep`; connectors become `sep`; a number sticks to the word before it unless letters follow it
/// (`Bld4Floor` → `bld4_floor`, `HTTP2xx` → `http_2xx`); punctuation joins without `sep`.
fn join_words(s: &str, sep: char) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    if s.is_empty() {
        return out;
    }
    let (mut kind, mut word, mut rest) = next_word(s);
    while !rest.is_empty() {
        if kind != Word::Connector {
            push_lower(&mut out, kind, word, sep);
        }
        let (prev, last) = (kind, word);
        (kind, word, rest) = next_word(rest);
        match prev {
            Word::Number => {
                while kind == Word::Alphabet || kind == Word::Number {
                    push_lower(&mut out, kind, word, sep);
                    (kind, word, rest) = next_word(rest);
                }
                if !matches!(kind, Word::Invalid | Word::Punct | Word::Connector) {
                    out.push(sep);
                }
            }
            Word::Connector => push_lower(&mut out, prev, last, sep),
            Word::Punct => {}
            _ => {
                if kind != Word::Number {
                    if kind != Word::Connector && kind != Word::Punct {
                        out.push(sep);
                    }
                    continue;
                }
                if rest.is_empty() {
                    continue;
                }
                let number = word;
                (kind, word, rest) = next_word(rest);
                if kind != Word::Alphabet {
                    push_lower(&mut out, Word::Number, number, sep);
                    if kind != Word::Connector && kind != Word::Punct {
                        out.push(sep);
                    }
                    continue;
                }
                out.push(sep);
                push_lower(&mut out, Word::Number, number, sep);
                while kind == Word::Alphabet || kind == Word::Number {
                    push_lower(&mut out, kind, word, sep);
                    (kind, word, rest) = next_word(rest);
                }
                if !matches!(kind, Word::Invalid | Word::Connector | Word::Punct) {
                    out.push(sep);
                }
            }
        }
    }
    push_lower(&mut out, kind, word, sep);
    out
}
