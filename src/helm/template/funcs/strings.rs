//! Sprig's string functions (`strings.go`, goutils and xstrings), paths (`base`, `dir`, …) and
//! random strings.

use super::super::exec::{CallError, State};
use super::super::value::{Elem, Value};
use super::{Arity, Funcs, int_arg, sized, string_arg, string_list, strval};
use crate::helm::template::value::go_quote;

pub fn register(f: &mut Funcs) {
    use Arity::*;
    f.insert("quote", AtLeast(0), |_, a| {
        let parts: Vec<String> =
            a.iter().filter(|v| !matches!(v, Value::Nil)).map(|v| go_quote(&strval(v))).collect();
        Ok(Value::Str(parts.join(" ")))
    });
    f.insert("squote", AtLeast(0), |_, a| {
        let parts: Vec<String> =
            a.iter().filter(|v| !matches!(v, Value::Nil)).map(|v| format!("'{}'", strval(v))).collect();
        Ok(Value::Str(parts.join(" ")))
    });
    f.insert("cat", AtLeast(0), |s, a| {
        let parts: Vec<String> =
            a.iter().filter(|v| !matches!(v, Value::Nil)).map(Value::to_go_string).collect();
        sized(s, parts.join(" "))
    });
    f.insert("toString", Exact(1), |_, a| Ok(Value::Str(strval(&a[0]))));
    f.insert("upper", Exact(1), |_, a| Ok(Value::Str(map_chars(string_arg(&a, 0)?, to_upper))));
    f.insert("lower", Exact(1), |_, a| Ok(Value::Str(map_chars(string_arg(&a, 0)?, to_lower))));
    f.insert("title", Exact(1), |_, a| Ok(Value::Str(title(string_arg(&a, 0)?))));
    f.insert("untitle", Exact(1), |_, a| Ok(Value::Str(untitle(string_arg(&a, 0)?))));
    f.insert("swapcase", Exact(1), |_, a| Ok(Value::Str(swapcase(string_arg(&a, 0)?))));
    f.insert("camelcase", Exact(1), |_, a| Ok(Value::Str(camelcase(string_arg(&a, 0)?))));
    f.insert("snakecase", Exact(1), |_, a| Ok(Value::Str(join_words(string_arg(&a, 0)?, '_'))));
    f.insert("kebabcase", Exact(1), |_, a| Ok(Value::Str(join_words(string_arg(&a, 0)?, '-'))));
    f.insert("trim", Exact(1), |_, a| Ok(Value::Str(string_arg(&a, 0)?.trim_matches(is_space).to_string())));
    f.insert("trimAll", Exact(2), trim_all);
    f.insert("trimall", Exact(2), trim_all);
    f.insert("trimPrefix", Exact(2), |_, a| {
        let (p, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(Value::str(s.strip_prefix(p).unwrap_or(s)))
    });
    f.insert("trimSuffix", Exact(2), |_, a| {
        let (p, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(Value::str(s.strip_suffix(p).unwrap_or(s)))
    });
    f.insert("contains", Exact(2), |_, a| Ok(Value::Bool(string_arg(&a, 1)?.contains(string_arg(&a, 0)?))));
    f.insert("hasPrefix", Exact(2), |_, a| {
        Ok(Value::Bool(string_arg(&a, 1)?.starts_with(string_arg(&a, 0)?)))
    });
    f.insert("hasSuffix", Exact(2), |_, a| Ok(Value::Bool(string_arg(&a, 1)?.ends_with(string_arg(&a, 0)?))));
    f.insert("replace", Exact(3), replace);
    f.insert("repeat", Exact(2), |s, a| {
        let n = int_arg(&a, 0)?;
        let text = string_arg(&a, 1)?;
        let Ok(n) = usize::try_from(n) else { return Err("strings: negative Repeat count".into()) };
        s.check_size(n.saturating_mul(text.len()))?;
        sized(s, text.repeat(n))
    });
    f.insert("substr", Exact(3), substr);
    f.insert("trunc", Exact(2), |_, a| {
        let c = int_arg(&a, 0)?;
        let s = string_arg(&a, 1)?;
        let len = s.len() as i64;
        let out = if c < 0 && len + c > 0 {
            bytes_str(s, (len + c) as usize, s.len())
        } else if c >= 0 && len > c {
            bytes_str(s, 0, c as usize)
        } else {
            s.to_string()
        };
        Ok(Value::Str(out))
    });
    f.insert("abbrev", Exact(2), |_, a| {
        let width = int_arg(&a, 0)?;
        let s = string_arg(&a, 1)?;
        Ok(Value::Str(if width < 4 { s.to_string() } else { abbreviate(s, 0, width as usize) }))
    });
    f.insert("abbrevboth", Exact(3), |_, a| {
        let (left, right) = (int_arg(&a, 0)?, int_arg(&a, 1)?);
        let s = string_arg(&a, 2)?;
        if right < 4 || (left > 0 && right < 7) {
            return Ok(Value::str(s));
        }
        Ok(Value::Str(abbreviate(s, left.max(0) as usize, right as usize)))
    });
    f.insert("nospace", Exact(1), |_, a| {
        Ok(Value::Str(string_arg(&a, 0)?.chars().filter(|&c| !is_space(c)).collect()))
    });
    f.insert("initials", Exact(1), |_, a| {
        let mut out = String::new();
        let mut gap = true;
        for b in string_arg(&a, 0)?.bytes() {
            let c = char::from(b);
            if is_space(c) {
                gap = true;
            } else if gap {
                out.push(c);
                gap = false;
            }
        }
        Ok(Value::Str(out))
    });
    f.insert("wrap", Exact(2), |s, a| {
        let n = int_arg(&a, 0)?;
        sized(s, wrap(string_arg(&a, 1)?, n, "\n", false))
    });
    f.insert("wrapWith", Exact(3), |s, a| {
        let n = int_arg(&a, 0)?;
        let sep = string_arg(&a, 1)?;
        sized(s, wrap(string_arg(&a, 2)?, n, if sep.is_empty() { "\n" } else { sep }, true))
    });
    f.insert("plural", Exact(3), |_, a| {
        let (one, many) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(Value::str(if int_arg(&a, 2)? == 1 { one } else { many }))
    });
    f.insert("indent", Exact(2), |s, a| indent(s, &a, ""));
    f.insert("nindent", Exact(2), |s, a| indent(s, &a, "\n"));
    f.insert("splitList", Exact(2), |_, a| {
        let (sep, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(string_list(go_split(s, sep, -1)))
    });
    f.insert("split", Exact(2), |_, a| {
        let (sep, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
        Ok(split_map(go_split(s, sep, -1)))
    });
    f.insert("splitn", Exact(3), |_, a| {
        let sep = string_arg(&a, 0)?;
        let n = int_arg(&a, 1)?;
        Ok(split_map(go_split(string_arg(&a, 2)?, sep, n)))
    });
    f.insert("join", Exact(2), |s, a| {
        let sep = string_arg(&a, 0)?;
        sized(s, to_strings(&a[1]).join(sep))
    });
    f.insert("toStrings", Exact(1), |_, a| Ok(string_list(to_strings(&a[0]))));
    f.insert("sortAlpha", Exact(1), |_, a| {
        let mut items = match &a[0] {
            Value::List(_) => to_strings(&a[0]),
            v => vec![strval(v)],
        };
        items.sort();
        Ok(string_list(items))
    });
    f.insert("base", Exact(1), |_, a| Ok(Value::Str(path_base(string_arg(&a, 0)?))));
    f.insert("dir", Exact(1), |_, a| Ok(Value::Str(path_dir(string_arg(&a, 0)?))));
    f.insert("clean", Exact(1), |_, a| Ok(Value::Str(path_clean(string_arg(&a, 0)?))));
    f.insert("ext", Exact(1), |_, a| Ok(Value::Str(path_ext(string_arg(&a, 0)?))));
    f.insert("isAbs", Exact(1), |_, a| Ok(Value::Bool(string_arg(&a, 0)?.starts_with('/'))));
    f.insert("osBase", Exact(1), |_, a| Ok(Value::Str(path_base(string_arg(&a, 0)?))));
    f.insert("osDir", Exact(1), |_, a| Ok(Value::Str(path_dir(string_arg(&a, 0)?))));
    f.insert("osClean", Exact(1), |_, a| Ok(Value::Str(path_clean(string_arg(&a, 0)?))));
    f.insert("osExt", Exact(1), |_, a| Ok(Value::Str(path_ext(string_arg(&a, 0)?))));
    f.insert("osIsAbs", Exact(1), |_, a| Ok(Value::Bool(string_arg(&a, 0)?.starts_with('/'))));
    // Random values differ on every render, as they do in Helm (nothing can make them match).
    f.insert("randAlphaNum", Exact(1), |s, a| random_string(s, &a, ALNUM));
    f.insert("randAlpha", Exact(1), |s, a| random_string(s, &a, ALPHA));
    f.insert("randNumeric", Exact(1), |s, a| random_string(s, &a, b"0123456789"));
    f.insert("randAscii", Exact(1), |s, a| random_string(s, &a, ASCII));
    f.insert("shuffle", Exact(1), |_, a| {
        let mut chars: Vec<char> = string_arg(&a, 0)?.chars().collect();
        for i in (1..chars.len()).rev() {
            let j = (super::crypto::random_u64()? % (i as u64 + 1)) as usize;
            chars.swap(i, j);
        }
        Ok(Value::Str(chars.into_iter().collect()))
    });
}

const ALPHA: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const ASCII: &[u8] =
    b" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~";

fn random_string(s: &State<'_>, a: &[Value], alphabet: &[u8]) -> Result<Value, CallError> {
    let n = int_arg(a, 0)?;
    let Ok(n) = usize::try_from(n) else {
        return Err(format!("Requested random string length {n} is less than 0.").into());
    };
    s.check_size(n)?;
    let bytes = super::crypto::random_bytes(n)?;
    Ok(Value::Str(bytes.iter().map(|b| char::from(alphabet[usize::from(*b) % alphabet.len()])).collect()))
}

/// Go's `unicode.IsSpace`.
pub fn is_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0b' | '\x0c' | '\r' | ' ' | '\u{85}' | '\u{a0}')
        || (c as u32 > 0xff && c.is_whitespace())
}

/// A byte range of `s` as Go slices strings (a cut inside a character keeps the bytes; Rust strings
/// cannot, so they become U+FFFD).
fn bytes_str(s: &str, from: usize, to: usize) -> String {
    String::from_utf8_lossy(s.as_bytes().get(from..to).unwrap_or_default()).into_owned()
}

/// Go's `unicode.ToUpper` per character (no multi-character expansions such as ß → SS).
fn to_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

fn to_lower(c: char) -> char {
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

fn trim_all(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let (cut, s) = (string_arg(&a, 0)?, string_arg(&a, 1)?);
    Ok(Value::str(s.trim_matches(|c: char| cut.contains(c))))
}

fn replace(s: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let (old, new, src) = (string_arg(&a, 0)?, string_arg(&a, 1)?, string_arg(&a, 2)?);
    let n = if old.is_empty() { src.chars().count() + 1 } else { src.matches(old).count() };
    s.check_size(src.len().saturating_add(n.saturating_mul(new.len())))?;
    if old.is_empty() {
        // Go inserts `new` before every character and at the end.
        let mut out = String::with_capacity(src.len() + n * new.len());
        for c in src.chars() {
            out.push_str(new);
            out.push(c);
        }
        out.push_str(new);
        return Ok(Value::Str(out));
    }
    Ok(Value::Str(src.replace(old, new)))
}

fn substr(_: &mut State<'_>, a: Vec<Value>) -> Result<Value, CallError> {
    let (start, end) = (int_arg(&a, 0)?, int_arg(&a, 1)?);
    let s = string_arg(&a, 2)?;
    let len = s.len() as i64;
    let (lo, hi) = if start < 0 {
        (0, end)
    } else if end < 0 || end > len {
        (start, len)
    } else {
        (start, end)
    };
    if lo < 0 || hi < 0 || hi > len {
        return Err(format!("runtime error: slice bounds out of range [:{hi}] with length {len}").into());
    }
    if lo > hi {
        return Err(format!("runtime error: slice bounds out of range [{lo}:{hi}]").into());
    }
    Ok(Value::Str(bytes_str(s, lo as usize, hi as usize)))
}

/// goutils' `AbbreviateFull` (byte offsets, as Go's).
fn abbreviate(s: &str, offset: usize, max: usize) -> String {
    let len = s.len();
    if s.is_empty() || len <= max {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < max - 3 {
        offset = len - (max - 3);
    }
    if offset <= 4 {
        return format!("{}...", bytes_str(s, 0, max - 3));
    }
    if max < 7 {
        return s.to_string();
    }
    if offset + max - 3 < len {
        return format!("...{}", abbreviate(&bytes_str(s, offset, len), 0, max - 3));
    }
    format!("...{}", bytes_str(s, len - (max - 3), len))
}

/// goutils' `WrapCustom`.
fn wrap(s: &str, width: i64, newline: &str, long_words: bool) -> String {
    let b = s.as_bytes();
    let width = usize::try_from(width.max(1)).unwrap_or(1);
    let len = b.len();
    let mut offset = 0;
    let mut out: Vec<u8> = Vec::with_capacity(len + len / width.max(1) * newline.len());
    while len - offset > width {
        if b[offset] == b' ' {
            offset += 1;
            continue;
        }
        let end = (width + offset + 1).min(len);
        match b[offset..end].iter().rposition(|&c| c == b' ') {
            Some(sp) => {
                out.extend_from_slice(&b[offset..offset + sp]);
                out.extend_from_slice(newline.as_bytes());
                offset += sp + 1;
            }
            None if long_words => {
                out.extend_from_slice(&b[offset..offset + width]);
                out.extend_from_slice(newline.as_bytes());
                offset += width;
            }
            None => {
                let end = width + offset;
                match b[end..].iter().position(|&c| c == b' ') {
                    Some(i) => {
                        out.extend_from_slice(&b[offset..end + i]);
                        out.extend_from_slice(newline.as_bytes());
                        offset = end + i + 1;
                    }
                    None => {
                        out.extend_from_slice(&b[offset..]);
                        offset = len;
                    }
                }
            }
        }
    }
    out.extend_from_slice(&b[offset..]);
    String::from_utf8_lossy(&out).into_owned()
}

/// Sprig's `indent`/`nindent`; the result size is checked before it is built.
fn indent(s: &State<'_>, a: &[Value], prefix: &str) -> Result<Value, CallError> {
    let n = int_arg(a, 0)?;
    let text = string_arg(a, 1)?;
    let Ok(n) = usize::try_from(n) else { return Err("strings: negative Repeat count".into()) };
    let lines = text.bytes().filter(|&b| b == b'\n').count() + 1;
    s.check_size(lines.saturating_mul(n).saturating_add(text.len()))?;
    let pad = " ".repeat(n);
    sized(s, format!("{prefix}{pad}{}", text.replace('\n', &format!("\n{pad}"))))
}

/// Go's `strings.SplitN` (`n < 0`: all; `n == 0`: none; an empty separator splits characters).
pub fn go_split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let limit = if n < 0 { usize::MAX } else { n as usize };
    if sep.is_empty() {
        let chars: Vec<char> = s.chars().collect();
        let mut out: Vec<String> = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            if out.len() + 1 == limit {
                out.push(chars[i..].iter().collect());
                return out;
            }
            out.push(c.to_string());
        }
        return out;
    }
    s.splitn(limit, sep).map(str::to_string).collect()
}

fn split_map(parts: Vec<String>) -> Value {
    let m = parts.into_iter().enumerate().map(|(i, p)| (format!("_{i}"), Value::Str(p))).collect();
    Value::Map(super::super::value::Dict::typed(m, Elem::String))
}

/// Sprig's `strslice`: a list's non-nil elements as strings; nil is empty; anything else is one string.
pub fn to_strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.iter().filter(|x| !matches!(x, Value::Nil)).map(strval).collect(),
        Value::Nil => Vec::new(),
        v => vec![strval(v)],
    }
}

/// Go's `path.Clean`.
pub fn path_clean(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in p.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let body = parts.join("/");
    match (rooted, body.is_empty()) {
        (true, _) => format!("/{body}"),
        (false, true) => ".".into(),
        (false, false) => body,
    }
}

fn path_base(p: &str) -> String {
    if p.is_empty() {
        return ".".into();
    }
    let t = p.trim_end_matches('/');
    if t.is_empty() {
        return "/".into();
    }
    t.rsplit('/').next().unwrap_or(t).to_string()
}

fn path_dir(p: &str) -> String {
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    path_clean(dir)
}

fn path_ext(p: &str) -> String {
    for (i, c) in p.char_indices().rev() {
        match c {
            '/' => return String::new(),
            '.' => return p[i..].to_string(),
            _ => {}
        }
    }
    String::new()
}
