//! GitHub Actions expressions: the `${{ … }}` language.
//!
//! [`parse`] turns the text between `${{` and `}}` into an [`Expr`] tree in which every node keeps its
//! byte span relative to that text; [`find`] locates every `${{ … }}` in a (decoded) YAML string; and
//! [`SourceMap`] maps a span inside a decoded string back to the file, so a finding underlines the
//! exact `github.event.pull_request.title` rather than the whole `run:` block.
//!
//! Parsing never panics: malformed input yields a [`ParseError`], which rules treat as unknown.

use crate::span::Span;

/// Nesting deeper than this is refused (bounded recursion on hostile input).
const MAX_DEPTH: usize = 64;

#[derive(Clone, Debug, PartialEq)]
pub struct Expr {
    /// Relative to the expression text (what is between `${{` and `}}`).
    pub span: Span,
    pub kind: ExprKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ExprKind {
    Null,
    Bool(bool),
    Number(f64),
    /// A string literal, unescaped (`'it''s'` is `it's`).
    Str(String),
    /// A bare name: a context (`github`, `inputs`) at the head of a property chain.
    Ident(String),
    /// `base.name`; `name_span` is the name's span.
    Property {
        base: Box<Expr>,
        name: String,
        name_span: Span,
    },
    /// `base[index]`.
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    /// `base.*` or `base[*]`: the object filter.
    Star {
        base: Box<Expr>,
    },
    /// `name(args…)`.
    Call {
        name: String,
        args: Vec<Expr>,
    },
    Not(Box<Expr>),
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    And,
    Or,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Relative to the expression text.
    pub span: Span,
    pub message: String,
}

/// One step of a context path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Segment {
    /// A property (lower-cased: contexts are case-insensitive).
    Name(String),
    /// `[0]`, `[*]`, `.*` or an index that is not a literal.
    Any,
}

impl Expr {
    /// The context path of a property chain (`github.event.commits[0].message` →
    /// `github`, `event`, `commits`, any, `message`), or `None` when the chain does not start at a
    /// context name (`fromJSON(x).y`).
    pub fn context_path(&self) -> Option<Vec<Segment>> {
        let mut out = Vec::new();
        let mut at = self;
        loop {
            match &at.kind {
                ExprKind::Ident(name) => {
                    out.push(Segment::Name(name.to_ascii_lowercase()));
                    out.reverse();
                    return Some(out);
                }
                ExprKind::Property { base, name, .. } => {
                    out.push(Segment::Name(name.to_ascii_lowercase()));
                    at = base;
                }
                ExprKind::Index { base, index } => {
                    out.push(match &index.kind {
                        ExprKind::Str(s) => Segment::Name(s.to_ascii_lowercase()),
                        _ => Segment::Any,
                    });
                    at = base;
                }
                ExprKind::Star { base } => {
                    out.push(Segment::Any);
                    at = base;
                }
                _ => return None,
            }
        }
    }

    /// Every maximal context reference in the expression (`a.b` in `contains(a.b, 'x')`).
    pub fn contexts(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.collect_contexts(&mut out, false);
        out
    }

    /// The context references whose value can become (part of) the expression's value. Comparisons,
    /// `!`, `contains`, `startsWith`, `endsWith`, `hashFiles` and the status functions yield booleans
    /// or hashes, so what they read does not flow into the result; `a && b` yields `b` (or a falsy
    /// `a`, which is empty), `a || b` either side, `format`/`join`/`toJSON`/`fromJSON` their arguments.
    pub fn dataflow_contexts(&self) -> Vec<&Expr> {
        let mut out = Vec::new();
        self.collect_contexts(&mut out, true);
        out
    }

    fn collect_contexts<'a>(&'a self, out: &mut Vec<&'a Expr>, flow_only: bool) {
        if self.context_path().is_some() {
            out.push(self);
            // Indexes computed from other contexts (`x[github.event.issue.title]`) are still read.
            if !flow_only {
                self.collect_index_contexts(out);
            }
            return;
        }
        match &self.kind {
            ExprKind::Property { base, .. } | ExprKind::Star { base } => {
                base.collect_contexts(out, flow_only)
            }
            ExprKind::Index { base, index } => {
                base.collect_contexts(out, flow_only);
                if !flow_only {
                    index.collect_contexts(out, flow_only);
                }
            }
            ExprKind::Call { name, args } => {
                let yields_input =
                    matches!(name.to_ascii_lowercase().as_str(), "format" | "join" | "tojson" | "fromjson")
                        || !is_known_function(name);
                if !flow_only || yields_input {
                    args.iter().for_each(|a| a.collect_contexts(out, flow_only));
                }
            }
            ExprKind::Not(e) => {
                if !flow_only {
                    e.collect_contexts(out, flow_only);
                }
            }
            ExprKind::Binary { op, lhs, rhs } => match op {
                BinOp::Or => {
                    lhs.collect_contexts(out, flow_only);
                    rhs.collect_contexts(out, flow_only);
                }
                BinOp::And => {
                    if !flow_only {
                        lhs.collect_contexts(out, flow_only);
                    }
                    rhs.collect_contexts(out, flow_only);
                }
                _ => {
                    if !flow_only {
                        lhs.collect_contexts(out, flow_only);
                        rhs.collect_contexts(out, flow_only);
                    }
                }
            },
            ExprKind::Null
            | ExprKind::Bool(_)
            | ExprKind::Number(_)
            | ExprKind::Str(_)
            | ExprKind::Ident(_) => {}
        }
    }

    fn collect_index_contexts<'a>(&'a self, out: &mut Vec<&'a Expr>) {
        match &self.kind {
            ExprKind::Property { base, .. } | ExprKind::Star { base } => base.collect_index_contexts(out),
            ExprKind::Index { base, index } => {
                base.collect_index_contexts(out);
                index.collect_contexts(out, false);
            }
            _ => {}
        }
    }

    /// Calls `f` on this node and every node below it.
    pub fn walk<'a>(&'a self, f: &mut impl FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Property { base, .. } | ExprKind::Star { base } => base.walk(f),
            ExprKind::Index { base, index } => {
                base.walk(f);
                index.walk(f);
            }
            ExprKind::Call { args, .. } => args.iter().for_each(|a| a.walk(f)),
            ExprKind::Not(e) => e.walk(f),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            _ => {}
        }
    }
}

/// Renders a context path as `github.event.commits.*.message`.
pub fn path_text(path: &[Segment]) -> String {
    let parts: Vec<&str> = path
        .iter()
        .map(|s| match s {
            Segment::Name(n) => n.as_str(),
            Segment::Any => "*",
        })
        .collect();
    parts.join(".")
}

fn is_known_function(name: &str) -> bool {
    matches!(
        name.to_ascii_lowercase().as_str(),
        "contains"
            | "startswith"
            | "endswith"
            | "format"
            | "join"
            | "tojson"
            | "fromjson"
            | "hashfiles"
            | "success"
            | "failure"
            | "always"
            | "cancelled"
    )
}

// ---------------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Str(String),
    Dot,
    Star,
    LBracket,
    RBracket,
    LParen,
    RParen,
    Comma,
    Not,
    Op(BinOp),
}

fn lex(src: &str) -> Result<Vec<(Tok, Span)>, ParseError> {
    let bytes = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let err = |at: usize, len: usize, message: String| ParseError { span: Span::new(at, at + len), message };
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let two = bytes.get(i..i + 2);
        let tok = match b {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => {
                i += 1;
                Tok::Dot
            }
            b'*' => {
                i += 1;
                Tok::Star
            }
            b'[' => {
                i += 1;
                Tok::LBracket
            }
            b']' => {
                i += 1;
                Tok::RBracket
            }
            b'(' => {
                i += 1;
                Tok::LParen
            }
            b')' => {
                i += 1;
                Tok::RParen
            }
            b',' => {
                i += 1;
                Tok::Comma
            }
            _ if two == Some(b"==") => {
                i += 2;
                Tok::Op(BinOp::Eq)
            }
            _ if two == Some(b"!=") => {
                i += 2;
                Tok::Op(BinOp::Ne)
            }
            _ if two == Some(b"<=") => {
                i += 2;
                Tok::Op(BinOp::Le)
            }
            _ if two == Some(b">=") => {
                i += 2;
                Tok::Op(BinOp::Ge)
            }
            _ if two == Some(b"&&") => {
                i += 2;
                Tok::Op(BinOp::And)
            }
            _ if two == Some(b"||") => {
                i += 2;
                Tok::Op(BinOp::Or)
            }
            b'<' => {
                i += 1;
                Tok::Op(BinOp::Lt)
            }
            b'>' => {
                i += 1;
                Tok::Op(BinOp::Gt)
            }
            b'!' => {
                i += 1;
                Tok::Not
            }
            b'\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    let Some(rest) = src.get(i..) else {
                        return Err(err(start, 1, "unterminated string".into()));
                    };
                    let Some(q) = rest.find('\'') else {
                        return Err(err(start, src.len() - start, "unterminated string".into()));
                    };
                    s.push_str(&rest[..q]);
                    i += q + 1;
                    if bytes.get(i) == Some(&b'\'') {
                        s.push('\'');
                        i += 1;
                    } else {
                        break;
                    }
                }
                Tok::Str(s)
            }
            b'0'..=b'9' | b'-' | b'+' | b'.' => {
                let len = src[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+')))
                    .unwrap_or(src.len() - i);
                let text = &src[i..i + len];
                i += len;
                Tok::Num(
                    parse_number(text).ok_or_else(|| err(start, len, format!("invalid number `{text}`")))?,
                )
            }
            b if b.is_ascii_alphabetic() || b == b'_' => {
                let len = src[i..]
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                    .unwrap_or(src.len() - i);
                let text = &src[i..i + len];
                i += len;
                Tok::Ident(text.to_string())
            }
            _ => {
                let len = src[i..].chars().next().map_or(1, char::len_utf8);
                let text = src.get(i..i + len).unwrap_or("?");
                return Err(err(start, len, format!("unexpected character `{text}`")));
            }
        };
        out.push((tok, Span::new(start, i)));
    }
    Ok(out)
}

fn parse_number(text: &str) -> Option<f64> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let n = if let Some(hex) = body.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()? as f64
    } else if let Some(oct) = body.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()? as f64
    } else {
        body.parse::<f64>().ok().filter(|_| !body.is_empty() && !body.starts_with(['+', '-']))?
    };
    Some(if neg { -n } else { n })
}

// ---------------------------------------------------------------------------------------------------
// Parser

/// Parses the text between `${{` and `}}`.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let toks = lex(src)?;
    let mut p = Parser { toks: &toks, pos: 0, depth: 0, len: src.len() };
    if toks.is_empty() {
        return Err(ParseError { span: Span::new(0, src.len()), message: "empty expression".into() });
    }
    let e = p.or()?;
    if let Some((_, span)) = p.toks.get(p.pos) {
        return Err(ParseError { span: *span, message: "unexpected token after the expression".into() });
    }
    Ok(e)
}

struct Parser<'t> {
    toks: &'t [(Tok, Span)],
    pos: usize,
    depth: usize,
    len: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|(t, _)| t)
    }

    fn next(&mut self) -> Option<(Tok, Span)> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn error(&self, message: &str) -> ParseError {
        let span = self.toks.get(self.pos).map_or(Span::new(self.len, self.len), |(_, s)| *s);
        ParseError { span, message: message.to_string() }
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<Span, ParseError> {
        match self.toks.get(self.pos) {
            Some((t, s)) if t == tok => {
                self.pos += 1;
                Ok(*s)
            }
            _ => Err(self.error(&format!("expected {what}"))),
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH { Err(self.error("expression nested too deeply")) } else { Ok(()) }
    }

    fn binary(
        &mut self,
        ops: &[BinOp],
        next: fn(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut lhs = next(self)?;
        while let Some(Tok::Op(op)) = self.peek() {
            let op = *op;
            if !ops.contains(&op) {
                break;
            }
            self.pos += 1;
            let rhs = next(self)?;
            lhs = Expr {
                span: lhs.span.cover(rhs.span),
                kind: ExprKind::Binary { op, lhs: Box::new(lhs), rhs: Box::new(rhs) },
            };
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[BinOp::Or], Self::and)
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[BinOp::And], Self::equality)
    }

    fn equality(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[BinOp::Eq, BinOp::Ne], Self::comparison)
    }

    fn comparison(&mut self) -> Result<Expr, ParseError> {
        self.binary(&[BinOp::Lt, BinOp::Le, BinOp::Gt, BinOp::Ge], Self::unary)
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if self.peek() == Some(&Tok::Not) {
            self.enter()?;
            let (_, start) = self.next().ok_or_else(|| self.error("expected an expression"))?;
            let e = self.unary()?;
            self.depth -= 1;
            return Ok(Expr { span: start.cover(e.span), kind: ExprKind::Not(Box::new(e)) });
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Expr, ParseError> {
        let mut e = self.primary()?;
        loop {
            match self.peek() {
                Some(Tok::Dot) => {
                    self.pos += 1;
                    match self.next() {
                        Some((Tok::Ident(name), span)) => {
                            e = Expr {
                                span: e.span.cover(span),
                                kind: ExprKind::Property { base: Box::new(e), name, name_span: span },
                            };
                        }
                        Some((Tok::Star, span)) => {
                            e = Expr { span: e.span.cover(span), kind: ExprKind::Star { base: Box::new(e) } };
                        }
                        _ => {
                            self.pos -= 1;
                            return Err(self.error("expected a property name or `*` after `.`"));
                        }
                    }
                }
                Some(Tok::LBracket) => {
                    self.pos += 1;
                    if self.peek() == Some(&Tok::Star) {
                        self.pos += 1;
                        let end = self.expect(&Tok::RBracket, "`]`")?;
                        e = Expr { span: e.span.cover(end), kind: ExprKind::Star { base: Box::new(e) } };
                    } else {
                        self.enter()?;
                        let index = self.or()?;
                        self.depth -= 1;
                        let end = self.expect(&Tok::RBracket, "`]`")?;
                        e = Expr {
                            span: e.span.cover(end),
                            kind: ExprKind::Index { base: Box::new(e), index: Box::new(index) },
                        };
                    }
                }
                _ => return Ok(e),
            }
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let Some((tok, span)) = self.next() else {
            self.pos -= 1;
            return Err(self.error("expected an expression"));
        };
        let kind = match tok {
            Tok::Num(n) => ExprKind::Number(n),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Ident(name) if self.peek() == Some(&Tok::LParen) => {
                self.pos += 1;
                self.enter()?;
                let mut args = Vec::new();
                if self.peek() != Some(&Tok::RParen) {
                    loop {
                        args.push(self.or()?);
                        if self.peek() == Some(&Tok::Comma) {
                            self.pos += 1;
                        } else {
                            break;
                        }
                    }
                }
                let end = self.expect(&Tok::RParen, "`)` closing the call")?;
                self.depth -= 1;
                return Ok(Expr { span: span.cover(end), kind: ExprKind::Call { name, args } });
            }
            Tok::Ident(name) => match name.as_str() {
                "true" => ExprKind::Bool(true),
                "false" => ExprKind::Bool(false),
                "null" => ExprKind::Null,
                _ => ExprKind::Ident(name),
            },
            Tok::LParen => {
                self.enter()?;
                let inner = self.or()?;
                let end = self.expect(&Tok::RParen, "`)`")?;
                self.depth -= 1;
                return Ok(Expr { span: span.cover(end), kind: inner.kind });
            }
            _ => {
                self.pos -= 1;
                return Err(self.error("expected an expression"));
            }
        };
        Ok(Expr { span, kind })
    }
}

// ---------------------------------------------------------------------------------------------------
// Finding expressions in strings

/// One `${{ … }}` in a string.
#[derive(Clone, Debug, PartialEq)]
pub struct Occurrence {
    /// From `${{` to `}}` (or the end of the string when unterminated), in the string.
    pub span: Span,
    /// The text between the braces, in the string; AST spans are relative to its start.
    pub inner: Span,
    pub parsed: Result<Expr, ParseError>,
}

impl Occurrence {
    /// A span of the AST (relative to the expression text) as a span in the string.
    pub fn in_string(&self, s: Span) -> Span {
        Span::new((self.inner.start + s.start) as usize, (self.inner.start + s.end) as usize)
    }
}

/// Whether `s` holds the start of an expression, `${{`: most strings hold no `$` at all, and a
/// byte search finds that out fastest.
pub fn has_expression(s: &str) -> bool {
    let bytes = s.as_bytes();
    memchr::memchr_iter(b'$', bytes).any(|i| bytes.get(i + 1..i + 3) == Some(b"{{"))
}

/// Whether `haystack` holds `needle` (lower-case ASCII) in any case, without a lower-case copy:
/// expression function names and context names are case-insensitive.
pub fn contains_ignore_ascii_case(haystack: &str, needle: &str) -> bool {
    haystack.len() >= needle.len()
        && haystack.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Every `${{ … }}` in `s`, in order. `}}` inside a string literal does not close the expression.
pub fn find(s: &str) -> Vec<Occurrence> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = s.get(from..).and_then(|r| r.find("${{")) {
        let start = from + i;
        let inner_start = start + 3;
        let bytes = s.as_bytes();
        let mut j = inner_start;
        let mut in_str = false;
        let mut close = None;
        while let Some(&b) = bytes.get(j) {
            if b == b'\'' {
                in_str = !in_str;
            } else if !in_str && b == b'}' && bytes.get(j + 1) == Some(&b'}') {
                close = Some(j);
                break;
            }
            j += 1;
        }
        let (inner_end, end) = match close {
            Some(c) => (c, c + 2),
            None => (s.len(), s.len()),
        };
        let inner = s.get(inner_start..inner_end).unwrap_or("");
        let parsed = if close.is_some() {
            parse(inner)
        } else {
            Err(ParseError {
                span: Span::new(0, inner.len()),
                message: "`${{` is never closed by `}}`".into(),
            })
        };
        out.push(Occurrence {
            span: Span::new(start, end),
            inner: Span::new(inner_start, inner_end),
            parsed,
        });
        from = end.max(start + 3);
    }
    out
}

/// Maps spans inside a decoded YAML string back to the file.
///
/// The k-th occurrence of an expression's text in the decoded string is looked up as the k-th
/// occurrence of the same text in the file slice of the node (block scalars lose indentation, quoted
/// scalars lose quotes, but an expression on one line is written verbatim). When it is not there
/// verbatim (escapes, an expression folded over lines), spans map to the whole node.
#[derive(Clone, Debug)]
pub struct SourceMap {
    node_span: Span,
    /// For each occurrence: where its `${{` starts in the file, when found.
    starts: Vec<Option<usize>>,
    occurrences: Vec<Occurrence>,
}

impl SourceMap {
    /// `decoded` is the node's string value, `file_text` the file, `node_span` the node's span.
    pub fn new(decoded: &str, file_text: &str, node_span: Span) -> SourceMap {
        let occurrences = find(decoded);
        let region = file_text.get(node_span.range()).unwrap_or("");
        let starts = occurrences
            .iter()
            .enumerate()
            .map(|(k, occ)| {
                let text = decoded.get(occ.span.range())?;
                let nth =
                    occurrences[..k].iter().filter(|o| decoded.get(o.span.range()) == Some(text)).count();
                let at = region.match_indices(text).nth(nth)?.0;
                Some(node_span.start as usize + at)
            })
            .collect();
        SourceMap { node_span, starts, occurrences }
    }

    pub fn occurrences(&self) -> &[Occurrence] {
        &self.occurrences
    }

    /// The file span of `span` (relative to the expression text of occurrence `k`).
    pub fn source_span(&self, k: usize, span: Span) -> Span {
        let (Some(occ), Some(Some(start))) = (self.occurrences.get(k), self.starts.get(k)) else {
            return self.node_span;
        };
        let in_string = occ.in_string(span);
        let offset = (in_string.start - occ.span.start) as usize;
        Span::new(start + offset, start + offset + in_string.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(src: &str, s: Span) -> &str {
        &src[s.range()]
    }

    fn ctx(src: &str) -> Vec<String> {
        parse(src).unwrap().dataflow_contexts().iter().map(|c| at(src, c.span).to_string()).collect()
    }

    #[test]
    fn has_expression_agrees_with_a_substring_search() {
        for s in ["", "$", "${", "${{", "a $ b ${ c ${{ d", "$$${{", "echo $HOME ${VAR}", "${{x}}", "é${{"] {
            assert_eq!(has_expression(s), s.contains("${{"), "{s:?}");
        }
    }

    #[test]
    fn parses_contexts_with_spans() {
        let src = " github.event.pull_request.title ";
        let e = parse(src).unwrap();
        assert_eq!(at(src, e.span), "github.event.pull_request.title");
        assert_eq!(path_text(&e.context_path().unwrap()), "github.event.pull_request.title");
        let ExprKind::Property { name_span, .. } = &e.kind else { panic!() };
        assert_eq!(at(src, *name_span), "title");
    }

    #[test]
    fn index_star_and_case() {
        let e = parse("GitHub.Event['pull_request'].commits[0].message").unwrap();
        assert_eq!(path_text(&e.context_path().unwrap()), "github.event.pull_request.commits.*.message");
        let e = parse("github.event.commits.*.message").unwrap();
        assert_eq!(path_text(&e.context_path().unwrap()), "github.event.commits.*.message");
        let e = parse("x[*].y").unwrap();
        assert_eq!(path_text(&e.context_path().unwrap()), "x.*.y");
    }

    #[test]
    fn literals() {
        assert_eq!(parse("'it''s'").unwrap().kind, ExprKind::Str("it's".into()));
        assert_eq!(parse("-1.5").unwrap().kind, ExprKind::Number(-1.5));
        assert_eq!(parse("0xff").unwrap().kind, ExprKind::Number(255.0));
        assert_eq!(parse("2e3").unwrap().kind, ExprKind::Number(2000.0));
        assert_eq!(parse("true").unwrap().kind, ExprKind::Bool(true));
        assert_eq!(parse("null").unwrap().kind, ExprKind::Null);
    }

    #[test]
    fn operators_and_precedence() {
        let e = parse("a == 'x' && !b || c < 2").unwrap();
        let ExprKind::Binary { op: BinOp::Or, lhs, .. } = e.kind else { panic!("{e:?}") };
        assert!(matches!(lhs.kind, ExprKind::Binary { op: BinOp::And, .. }));
        let e = parse("(a || b) && c").unwrap();
        assert!(matches!(e.kind, ExprKind::Binary { op: BinOp::And, .. }));
        assert_eq!(e.span, Span::new(0, 13));
    }

    #[test]
    fn functions() {
        let src = "format('{0} {1}', github.head_ref, hashFiles('**/x'))";
        let e = parse(src).unwrap();
        let ExprKind::Call { name, args } = &e.kind else { panic!() };
        assert_eq!((name.as_str(), args.len()), ("format", 3));
        assert!(matches!(parse("success()").unwrap().kind, ExprKind::Call { .. }));
        assert!(matches!(parse("fromJSON(steps.x.outputs.y).name").unwrap().kind, ExprKind::Property { .. }));
    }

    #[test]
    fn dataflow() {
        assert_eq!(ctx("github.event.issue.title"), ["github.event.issue.title"]);
        assert!(ctx("contains(github.event.issue.title, 'x')").is_empty());
        assert!(ctx("github.event.issue.title == 'x'").is_empty());
        assert!(ctx("!github.event.issue.title").is_empty());
        assert_eq!(ctx("a && b"), ["b"]);
        assert_eq!(ctx("a || b"), ["a", "b"]);
        assert_eq!(ctx("format('{0}', github.head_ref)"), ["github.head_ref"]);
        assert_eq!(ctx("toJSON(github.event)"), ["github.event"]);
        assert_eq!(ctx("fromJSON(inputs.x).y"), ["inputs.x"]);
        assert_eq!(ctx("x[github.head_ref]"), ["x[github.head_ref]"]);
        let src = "contains(a.b, c)";
        let all: Vec<&str> = parse(src).unwrap().contexts().iter().map(|c| at(src, c.span)).collect();
        assert_eq!(all, ["a.b", "c"]);
    }

    #[test]
    fn malformed_never_panics() {
        for src in [
            "",
            " ",
            "github.",
            "a ==",
            "(a",
            "a)",
            "'open",
            "format(a,",
            "a[",
            "a[0",
            "!",
            "@",
            "a.b.",
            "..",
            "1.2.3",
            "-",
            "a b",
            "é",
            "a.é",
            "0x",
            "'é''",
            "[*]",
            "a.*.",
            "&&",
            "((((",
        ] {
            assert!(parse(src).is_err(), "{src:?} should not parse");
        }
        let deep = "(".repeat(10_000);
        assert!(parse(&deep).is_err());
        let deep = "!".repeat(10_000);
        assert!(parse(&format!("{deep}a")).is_err());
    }

    #[test]
    fn finds_expressions() {
        let s = "echo ${{ a.b }} ${{ '}}' }} ${{ c";
        let occ = find(s);
        assert_eq!(occ.len(), 3);
        assert_eq!(at(s, occ[0].span), "${{ a.b }}");
        assert_eq!(at(s, occ[1].span), "${{ '}}' }}");
        assert_eq!(occ[1].parsed.as_ref().unwrap().kind, ExprKind::Str("}}".into()));
        assert!(occ[2].parsed.is_err());
        let e = occ[0].parsed.as_ref().unwrap();
        assert_eq!(at(s, occ[0].in_string(e.span)), "a.b");
    }

    #[test]
    fn maps_block_scalars_back_to_the_file() {
        let file = "run: |\n    echo \"${{ github.head_ref }}\"\n    echo ${{ github.head_ref }}\n";
        let node = Span::new(5, file.len() - 1);
        let decoded = "echo \"${{ github.head_ref }}\"\necho ${{ github.head_ref }}";
        let map = SourceMap::new(decoded, file, node);
        let spans: Vec<&str> = (0..2)
            .map(|k| {
                let e = map.occurrences()[k].parsed.as_ref().unwrap();
                at(file, map.source_span(k, e.span))
            })
            .collect();
        assert_eq!(spans, ["github.head_ref", "github.head_ref"]);
        let second = map.source_span(1, map.occurrences()[1].parsed.as_ref().unwrap().span);
        assert_eq!(second.start as usize, file.rfind("github.head_ref").unwrap());
    }

    #[test]
    fn unmappable_expressions_fall_back_to_the_node() {
        let file = "run: \"${{ 'a\\tb' }}\"";
        let node = Span::new(5, file.len());
        let map = SourceMap::new("${{ 'a\tb' }}", file, node);
        assert_eq!(map.source_span(0, Span::new(1, 3)), node);
    }
}
