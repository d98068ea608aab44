//! The lexer: splits template source into text and action tokens, applying `{{-`/`-}}` trimming.

use crate::span::Span;

#[derive(Clone, Debug, PartialEq)]
pub enum Tok {
    /// Literal text between actions (already trimmed); the span covers the kept text.
    Text(String),
    LeftDelim,
    RightDelim,
    /// `{{/* … */}}`: the whole action, dropped by the parser.
    Comment,
    Ident(String),
    /// `.name` (without the dot).
    Field(String),
    /// `$` or `$name` (with the `$`).
    Variable(String),
    Dot,
    Bool(bool),
    Nil,
    /// Number text as written.
    Number(String),
    /// A character constant's value.
    Char(char),
    Str(String),
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
    Eof,
}

#[derive(Clone, Debug)]
pub struct Token {
    pub tok: Tok,
    pub span: Span,
    /// Whitespace separates this token from the previous one inside an action.
    pub space_before: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LexError {
    pub offset: usize,
    pub message: String,
}

fn err<T>(offset: usize, message: impl Into<String>) -> Result<T, LexError> {
    Err(LexError { offset, message: message.into() })
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Tokenizes a whole template. Every loop advances through `src`, so lexing is linear.
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut pos = 0usize;
    let mut trim_next_text = false;
    while pos <= bytes.len() {
        // Text up to the next `{{`.
        let next = src[pos..].find("{{").map(|i| pos + i);
        let text_end = next.unwrap_or(bytes.len());
        let mut start = pos;
        let mut end = text_end;
        if trim_next_text {
            while start < end && is_space(bytes[start]) {
                start += 1;
            }
        }
        let Some(open) = next else {
            push_text(&mut out, src, start, end);
            break;
        };
        let trim_left =
            bytes.get(open + 2) == Some(&b'-') && bytes.get(open + 3).is_some_and(|&b| is_space(b));
        if trim_left {
            while end > start && is_space(bytes[end - 1]) {
                end -= 1;
            }
        }
        push_text(&mut out, src, start, end);
        let mut p = open + 2;
        if trim_left {
            p += 2;
        }
        out.push(Token { tok: Tok::LeftDelim, span: Span::new(open, p), space_before: false });
        // Comment?
        let after_ws = if trim_left { skip_space(bytes, p) } else { p };
        if src[after_ws..].starts_with("/*") {
            let Some(close) = src[after_ws + 2..].find("*/").map(|i| after_ws + 2 + i + 2) else {
                return err(open, "unclosed comment");
            };
            let (end_pos, trim_right) = match_right_delim(src, close)
                .or_else(|| match_right_delim(src, skip_space(bytes, close)).filter(|(_, t)| *t))
                .map_or_else(|| err(close, "comment ends before closing delimiter"), Ok)?;
            out.pop();
            out.push(Token { tok: Tok::Comment, span: Span::new(open, end_pos), space_before: false });
            pos = end_pos;
            trim_next_text = trim_right;
            continue;
        }
        let (end_pos, trim_right) = lex_action(src, p, &mut out)?;
        pos = end_pos;
        trim_next_text = trim_right;
    }
    out.push(Token { tok: Tok::Eof, span: Span::new(src.len(), src.len()), space_before: false });
    Ok(out)
}

fn push_text(out: &mut Vec<Token>, src: &str, start: usize, end: usize) {
    if start < end {
        out.push(Token {
            tok: Tok::Text(src[start..end].to_string()),
            span: Span::new(start, end),
            space_before: false,
        });
    }
}

fn skip_space(bytes: &[u8], mut p: usize) -> usize {
    while p < bytes.len() && is_space(bytes[p]) {
        p += 1;
    }
    p
}

/// At `p`: `}}` gives (after, false); ` -}}` (space, dash) gives (after, true).
fn match_right_delim(src: &str, p: usize) -> Option<(usize, bool)> {
    let rest = src.get(p..)?;
    if rest.starts_with("}}") {
        return Some((p + 2, false));
    }
    let b = rest.as_bytes();
    if b.len() >= 4 && is_space(b[0]) {
        let q = skip_space(b, 0);
        if rest[q..].starts_with("-}}") {
            return Some((p + q + 3, true));
        }
    }
    None
}

/// Lexes the inside of one action starting at `p`; returns the position after `}}` and the right trim.
fn lex_action(src: &str, mut p: usize, out: &mut Vec<Token>) -> Result<(usize, bool), LexError> {
    let bytes = src.as_bytes();
    let mut space = false;
    let mut paren_depth = 0usize;
    loop {
        if let Some((end, trim)) = match_right_delim(src, p) {
            if paren_depth > 0 {
                return err(p, "unclosed left paren");
            }
            out.push(Token { tok: Tok::RightDelim, span: Span::new(p, end), space_before: space });
            return Ok((end, trim));
        }
        let Some(c) = src[p..].chars().next() else {
            return err(p, "unclosed action");
        };
        if is_space(bytes[p]) {
            let q = skip_space(bytes, p);
            if src[q..].starts_with("-}}") {
                if paren_depth > 0 {
                    return err(q, "unclosed left paren");
                }
                out.push(Token { tok: Tok::RightDelim, span: Span::new(q, q + 3), space_before: true });
                return Ok((q + 3, true));
            }
            p = q;
            space = true;
            continue;
        }
        let start = p;
        let tok = match c {
            '(' => {
                paren_depth += 1;
                p += 1;
                Tok::LParen
            }
            ')' => {
                if paren_depth == 0 {
                    return err(p, "unexpected right paren");
                }
                paren_depth -= 1;
                p += 1;
                Tok::RParen
            }
            '|' => {
                p += 1;
                Tok::Pipe
            }
            ',' => {
                p += 1;
                Tok::Comma
            }
            '=' => {
                p += 1;
                Tok::Assign
            }
            ':' => {
                if bytes.get(p + 1) != Some(&b'=') {
                    return err(p, "expected :=");
                }
                p += 2;
                Tok::Declare
            }
            '"' => {
                let (s, end) = lex_quote(src, p)?;
                p = end;
                Tok::Str(s)
            }
            '`' => {
                let Some(close) = src[p + 1..].find('`') else {
                    return err(p, "unterminated raw quoted string");
                };
                let s = src[p + 1..p + 1 + close].to_string();
                p = p + 1 + close + 1;
                Tok::Str(s)
            }
            '\'' => {
                let (ch, end) = lex_char(src, p)?;
                p = end;
                Tok::Char(ch)
            }
            '$' => {
                p += 1;
                p = scan_alnum(src, p);
                Tok::Variable(src[start..p].to_string())
            }
            '.' => {
                if bytes.get(p + 1).is_some_and(|b| b.is_ascii_digit()) {
                    p = scan_number(src, p);
                    Tok::Number(src[start..p].to_string())
                } else {
                    p += 1;
                    let q = scan_alnum(src, p);
                    if q == p {
                        Tok::Dot
                    } else {
                        p = q;
                        Tok::Field(src[start + 1..p].to_string())
                    }
                }
            }
            '+' | '-' | '0'..='9' => {
                p = scan_number(src, p);
                if p == start + 1 && !c.is_ascii_digit() {
                    return err(start, format!("bad character {c:?}"));
                }
                Tok::Number(src[start..p].to_string())
            }
            c if is_alnum(c) => {
                p = scan_alnum(src, p);
                match &src[start..p] {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    "nil" => Tok::Nil,
                    w => Tok::Ident(w.to_string()),
                }
            }
            c => return err(p, format!("bad character {c:?}")),
        };
        out.push(Token { tok, span: Span::new(start, p), space_before: space });
        space = false;
    }
}

fn scan_alnum(src: &str, mut p: usize) -> usize {
    for c in src[p..].chars() {
        if !is_alnum(c) {
            break;
        }
        p += c.len_utf8();
    }
    p
}

fn scan_number(src: &str, mut p: usize) -> usize {
    let b = src.as_bytes();
    if matches!(b.get(p), Some(b'+' | b'-')) {
        p += 1;
    }
    let mut prev = 0u8;
    while let Some(&c) = b.get(p) {
        let ok = c.is_ascii_alphanumeric()
            || c == b'_'
            || c == b'.'
            || (matches!(c, b'+' | b'-') && matches!(prev, b'e' | b'E' | b'p' | b'P'));
        if !ok {
            break;
        }
        prev = c;
        p += 1;
    }
    p
}

fn lex_quote(src: &str, start: usize) -> Result<(String, usize), LexError> {
    let mut out = String::new();
    let mut chars = src[start + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((out, start + 1 + i + 1)),
            '\n' => break,
            '\\' => {
                let Some((_, e)) = chars.next() else { break };
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'f' => out.push('\x0c'),
                    'v' => out.push('\x0b'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    '\'' => out.push('\''),
                    'x' | 'u' | 'U' => {
                        let n = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v = 0u32;
                        for _ in 0..n {
                            let d = chars.next().and_then(|(_, h)| h.to_digit(16));
                            let Some(d) = d else { return err(start, "invalid escape in quoted string") };
                            v = v * 16 + d;
                        }
                        if e == 'x' {
                            // A byte; non-ASCII bytes cannot be represented in a Rust string: use U+FFFD.
                            out.push(if v < 0x80 { char::from(v as u8) } else { '\u{fffd}' });
                        } else {
                            let Some(ch) = char::from_u32(v) else {
                                return err(start, "invalid escape in quoted string");
                            };
                            out.push(ch);
                        }
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8).unwrap_or(0);
                        for _ in 0..2 {
                            let d = chars.next().and_then(|(_, h)| h.to_digit(8));
                            let Some(d) = d else { return err(start, "invalid escape in quoted string") };
                            v = v * 8 + d;
                        }
                        out.push(if v < 0x80 { char::from(v as u8) } else { '\u{fffd}' });
                    }
                    _ => return err(start, "invalid escape in quoted string"),
                }
            }
            c => out.push(c),
        }
    }
    err(start, "unterminated quoted string")
}

fn lex_char(src: &str, start: usize) -> Result<(char, usize), LexError> {
    let rest = &src[start + 1..];
    let Some(close) = rest.find('\'') else { return err(start, "unterminated character constant") };
    let mut close = close;
    // `'\''`: the first quote found is escaped.
    if rest.starts_with("\\'") {
        close = 2;
    }
    let body = &rest[..close];
    if body == "\"" {
        return Ok(('"', start + 3));
    }
    let quoted = format!("\"{}\"", if body == "\\'" { "'" } else { body });
    let (s, _) = lex_quote(&quoted, 0)
        .map_err(|_| LexError { offset: start, message: "malformed character constant".into() })?;
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok((c, start + 1 + close + 1)),
        _ => err(start, "malformed character constant"),
    }
}
