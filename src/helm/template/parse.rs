//! The parser: tokens to a tree of [`Node`]s, following Go's `text/template/parse`.
//!
//! Like Go, it checks at parse time that functions exist, that variables are declared before use and that
//! `break`/`continue` sit inside a `range`. Nesting is bounded by [`MAX_NESTING`].

use super::lex::{LexError, Tok, Token, lex};
use crate::span::Span;

/// Deepest nesting of control structures and parentheses accepted.
pub const MAX_NESTING: usize = 100;

#[derive(Clone, Debug)]
pub struct Tree {
    pub name: String,
    pub root: Vec<Node>,
}

#[derive(Clone, Debug)]
pub enum Node {
    Text {
        span: Span,
        text: String,
    },
    /// `{{ pipeline }}`: prints the pipeline's value unless it declares or assigns variables.
    Action {
        span: Span,
        pipe: Pipe,
    },
    If(Branch),
    With(Branch),
    Range(Branch),
    /// `{{ template "name" pipeline }}` (and the call half of `block`).
    Template {
        span: Span,
        name: String,
        pipe: Option<Pipe>,
    },
    Break(Span),
    Continue(Span),
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::Text { span, .. } | Node::Action { span, .. } | Node::Template { span, .. } => *span,
            Node::If(b) | Node::With(b) | Node::Range(b) => b.span,
            Node::Break(s) | Node::Continue(s) => *s,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Branch {
    /// From `{{if` to the closing `}}` of its `{{end}}`.
    pub span: Span,
    pub pipe: Pipe,
    pub list: Vec<Node>,
    pub else_list: Option<Vec<Node>>,
}

#[derive(Clone, Debug)]
pub struct Pipe {
    pub span: Span,
    /// Declared or assigned variables (with `$`); `range` may have two.
    pub decl: Vec<String>,
    pub is_assign: bool,
    pub cmds: Vec<Command>,
}

#[derive(Clone, Debug)]
pub struct Command {
    pub span: Span,
    pub args: Vec<Term>,
}

/// An operand, optionally followed by a field chain (`.a.b`, `$x.a`, `(pipe).a`).
#[derive(Clone, Debug)]
pub struct Term {
    pub span: Span,
    pub kind: TermKind,
    pub fields: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum TermKind {
    /// `.` (with `fields`: `.a.b`).
    Dot,
    Var(String),
    Func(String),
    Pipe(Box<Pipe>),
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParseError {
    pub template: String,
    pub line: usize,
    pub offset: usize,
    pub message: String,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "template: {}:{}: {}", self.template, self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// 1-based line of a byte offset.
pub fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// Parses `src` as the template `name`. Returns the main tree first, then every `define`/`block`.
pub fn parse(name: &str, src: &str, is_func: &dyn Fn(&str) -> bool) -> Result<Vec<Tree>, ParseError> {
    let tokens = lex(src).map_err(|LexError { offset, message }| ParseError {
        template: name.to_string(),
        line: line_of(src, offset),
        offset,
        message,
    })?;
    let mut p = Parser {
        name,
        src,
        toks: tokens,
        pos: 0,
        is_func,
        vars: vec!["$".into()],
        range_depth: 0,
        nesting: 0,
        defines: Vec::new(),
    };
    let (root, stop) = p.list()?;
    match stop {
        Stop::Eof => {}
        Stop::End(s) => return p.fail(s, "unexpected {{end}}"),
        Stop::Else(s) => return p.fail(s, "unexpected {{else}}"),
    }
    let mut trees = vec![Tree { name: name.to_string(), root }];
    trees.append(&mut p.defines);
    Ok(trees)
}

enum Stop {
    Eof,
    End(Span),
    Else(Span),
}

const KEYWORDS: &[&str] =
    &["if", "else", "end", "range", "with", "define", "template", "block", "break", "continue"];

struct Parser<'a> {
    name: &'a str,
    src: &'a str,
    toks: Vec<Token>,
    pos: usize,
    is_func: &'a dyn Fn(&str) -> bool,
    vars: Vec<String>,
    range_depth: usize,
    nesting: usize,
    defines: Vec<Tree>,
}

impl Parser<'_> {
    fn fail<T>(&self, span: Span, msg: impl Into<String>) -> Result<T, ParseError> {
        Err(ParseError {
            template: self.name.to_string(),
            line: line_of(self.src, span.start as usize),
            offset: span.start as usize,
            message: msg.into(),
        })
    }

    fn peek(&self) -> &Token {
        // The token list always ends with Eof and `pos` never passes it.
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn peek_at(&self, n: usize) -> &Token {
        &self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn describe(t: &Tok) -> String {
        match t {
            Tok::Text(_) => "text".into(),
            Tok::LeftDelim => "\"{{\"".into(),
            Tok::RightDelim => "\"}}\"".into(),
            Tok::Comment => "comment".into(),
            Tok::Ident(s) if KEYWORDS.contains(&s.as_str()) => format!("<{s}>"),
            Tok::Ident(s) => format!("identifier {s:?}"),
            Tok::Field(s) => format!("field .{s}"),
            Tok::Variable(s) => format!("variable {s}"),
            Tok::Dot => "\".\"".into(),
            Tok::Bool(b) => b.to_string(),
            Tok::Nil => "nil".into(),
            Tok::Number(n) => format!("number {n}"),
            Tok::Char(c) => format!("character {c:?}"),
            Tok::Str(s) => format!("string {s:?}"),
            Tok::LParen => "\"(\"".into(),
            Tok::RParen => "\")\"".into(),
            Tok::Pipe => "\"|\"".into(),
            Tok::Declare => "\":=\"".into(),
            Tok::Assign => "\"=\"".into(),
            Tok::Comma => "\",\"".into(),
            Tok::Eof => "EOF".into(),
        }
    }

    fn expect_right(&mut self, context: &str) -> Result<Span, ParseError> {
        let t = self.next();
        if t.tok == Tok::RightDelim {
            return Ok(t.span);
        }
        self.fail(t.span, format!("unexpected {} in {context}", Self::describe(&t.tok)))
    }

    fn enter(&mut self, span: Span) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return self.fail(span, format!("nesting deeper than {MAX_NESTING} levels"));
        }
        Ok(())
    }

    fn list(&mut self) -> Result<(Vec<Node>, Stop), ParseError> {
        let mut out = Vec::new();
        loop {
            let t = self.next();
            match t.tok {
                Tok::Eof => return Ok((out, Stop::Eof)),
                Tok::Text(text) => out.push(Node::Text { span: t.span, text }),
                Tok::Comment => {}
                Tok::LeftDelim => {
                    let open = t.span;
                    let kw = match &self.peek().tok {
                        Tok::Ident(k) if KEYWORDS.contains(&k.as_str()) => Some(k.clone()),
                        _ => None,
                    };
                    match kw.as_deref() {
                        Some("end") => {
                            self.next();
                            let close = self.expect_right("end")?;
                            return Ok((out, Stop::End(open.cover(close))));
                        }
                        Some("else") => {
                            self.next();
                            return Ok((out, Stop::Else(open)));
                        }
                        Some(k @ ("if" | "with" | "range")) => {
                            let k = k.to_string();
                            self.next();
                            out.push(self.control(&k, open)?);
                        }
                        Some("define") => {
                            self.next();
                            if self.nesting > 0 {
                                return self.fail(open, "unexpected <define> in command");
                            }
                            self.define(open, false)?;
                        }
                        Some("block") => {
                            self.next();
                            out.push(self.define(open, true)?);
                        }
                        Some("template") => {
                            self.next();
                            let (name, _) = self.template_name("template")?;
                            let pipe = if self.peek().tok == Tok::RightDelim {
                                None
                            } else {
                                Some(self.pipeline("template", Tok::RightDelim)?)
                            };
                            let close = self.expect_right("template")?;
                            out.push(Node::Template { span: open.cover(close), name, pipe });
                        }
                        Some(k @ ("break" | "continue")) => {
                            let k = k.to_string();
                            self.next();
                            if self.range_depth == 0 {
                                return self.fail(open, format!("{{{{{k}}}}} outside {{{{range}}}}"));
                            }
                            let close = self.expect_right(&k)?;
                            let span = open.cover(close);
                            out.push(if k == "break" { Node::Break(span) } else { Node::Continue(span) });
                        }
                        _ => {
                            let pipe = self.pipeline("command", Tok::RightDelim)?;
                            let close = self.expect_right("command")?;
                            out.push(Node::Action { span: open.cover(close), pipe });
                        }
                    }
                }
                other => return self.fail(t.span, format!("unexpected {}", Self::describe(&other))),
            }
        }
    }

    fn template_name(&mut self, context: &str) -> Result<(String, Span), ParseError> {
        let t = self.next();
        match t.tok {
            Tok::Str(s) => Ok((s, t.span)),
            other => self.fail(t.span, format!("unexpected {} in {context}", Self::describe(&other))),
        }
    }

    /// `define` (returns nothing useful) or `block` (returns the template call).
    fn define(&mut self, open: Span, is_block: bool) -> Result<Node, ParseError> {
        let context = if is_block { "block clause" } else { "define clause" };
        let (name, _) = self.template_name(context)?;
        let pipe = if is_block { Some(self.pipeline(context, Tok::RightDelim)?) } else { None };
        let head_close = self.expect_right(context)?;
        self.enter(open)?;
        let saved_vars = std::mem::replace(&mut self.vars, vec!["$".into()]);
        let saved_range = std::mem::replace(&mut self.range_depth, 0);
        let (root, stop) = self.list()?;
        self.vars = saved_vars;
        self.range_depth = saved_range;
        self.nesting -= 1;
        let close = match stop {
            Stop::End(s) => s,
            Stop::Else(s) => return self.fail(s, format!("unexpected {{{{else}}}} in {context}")),
            Stop::Eof => return self.fail(open, format!("unexpected EOF in {context}")),
        };
        // Within one file, two non-empty definitions of a name are an error, as in Go.
        let tree = Tree { name: name.clone(), root };
        match self.defines.iter_mut().find(|t| t.name == name) {
            Some(old) if is_empty(old) => *old = tree,
            Some(_) if is_empty(&tree) => {}
            Some(_) => return self.fail(open, format!("multiple definition of template {name:?}")),
            None => self.defines.push(tree),
        }
        let span = if is_block { open.cover(close) } else { open.cover(head_close) };
        Ok(Node::Template { span, name, pipe })
    }

    fn control(&mut self, kind: &str, open: Span) -> Result<Node, ParseError> {
        self.enter(open)?;
        let mark = self.vars.len();
        let pipe = self.pipeline(kind, Tok::RightDelim)?;
        self.expect_right(kind)?;
        if kind == "range" {
            self.range_depth += 1;
        }
        let (list, stop) = self.list()?;
        if kind == "range" {
            self.range_depth -= 1;
        }
        let (else_list, close) = match stop {
            Stop::End(s) => (None, s),
            Stop::Eof => return self.fail(open, format!("unexpected EOF in {kind}")),
            Stop::Else(else_open) => {
                let chained =
                    matches!(&self.peek().tok, Tok::Ident(k) if (k == "if" || k == "with") && k == kind);
                if chained {
                    self.next();
                    let nested = self.control(kind, else_open)?;
                    let close = nested.span();
                    (Some(vec![nested]), close)
                } else {
                    self.expect_right("else")?;
                    let (else_list, stop) = self.list()?;
                    match stop {
                        Stop::End(s) => (Some(else_list), s),
                        Stop::Else(s) => {
                            return self.fail(s, format!("expected end; found {{{{else}}}} in {kind}"));
                        }
                        Stop::Eof => return self.fail(open, format!("unexpected EOF in {kind}")),
                    }
                }
            }
        };
        self.vars.truncate(mark);
        self.nesting -= 1;
        let branch = Branch { span: open.cover(close), pipe, list, else_list };
        Ok(match kind {
            "if" => Node::If(branch),
            "with" => Node::With(branch),
            _ => Node::Range(branch),
        })
    }

    /// A pipeline up to (not including) `end` (`}}` or `)`).
    fn pipeline(&mut self, context: &str, end: Tok) -> Result<Pipe, ParseError> {
        let start = self.peek().span;
        let mut decl = Vec::new();
        let mut is_assign = false;
        // Declarations: `$x :=`, `$x =`, `$i, $v :=` (range only).
        if let Tok::Variable(v) = &self.peek().tok {
            let v = v.clone();
            let t1 = self.peek_at(1).tok.clone();
            match t1 {
                Tok::Declare | Tok::Assign => {
                    let sp = self.next().span;
                    self.next();
                    decl.push((v, sp));
                    is_assign = t1 == Tok::Assign;
                }
                Tok::Comma if context == "range" => {
                    if let (Tok::Variable(v2), d @ (Tok::Declare | Tok::Assign)) =
                        (self.peek_at(2).tok.clone(), self.peek_at(3).tok.clone())
                    {
                        let sp = self.peek().span;
                        self.next();
                        self.next();
                        self.next();
                        self.next();
                        decl.push((v, sp));
                        decl.push((v2, sp));
                        is_assign = d == Tok::Assign;
                    } else {
                        let sp = self.peek_at(1).span;
                        return self.fail(sp, "too many declarations in range");
                    }
                }
                Tok::Comma => {
                    let sp = self.peek_at(1).span;
                    return self.fail(sp, format!("too many declarations in {context}"));
                }
                _ => {}
            }
        }
        let mut cmds = Vec::new();
        loop {
            let t = self.peek();
            if t.tok == end {
                break;
            }
            if t.tok == Tok::Eof {
                return self.fail(t.span, format!("unclosed action in {context}"));
            }
            let cmd = self.command(&end)?;
            cmds.push(cmd);
            if self.peek().tok == Tok::Pipe {
                let sp = self.next().span;
                if self.peek().tok == end {
                    return self.fail(sp, "missing command after |");
                }
            }
        }
        // Variables become visible after their declaring pipeline, as in Go.
        for (v, sp) in &decl {
            if is_assign {
                if !self.vars.contains(v) {
                    return self.fail(*sp, format!("undefined variable {v:?}"));
                }
            } else {
                self.vars.push(v.clone());
            }
        }
        if cmds.is_empty() {
            return self.fail(start, format!("missing value for {context}"));
        }
        for (i, c) in cmds.iter().enumerate().skip(1) {
            if let Some(first) = c.args.first()
                && matches!(
                    first.kind,
                    TermKind::Bool(_)
                        | TermKind::Dot
                        | TermKind::Nil
                        | TermKind::Int(_)
                        | TermKind::Float(_)
                        | TermKind::Str(_)
                )
                && first.fields.is_empty()
            {
                return self.fail(c.span, format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        let end_span = cmds.last().map_or(start, |c| c.span);
        Ok(Pipe {
            span: start.cover(end_span),
            decl: decl.into_iter().map(|(v, _)| v).collect(),
            is_assign,
            cmds,
        })
    }

    fn command(&mut self, end: &Tok) -> Result<Command, ParseError> {
        let mut args: Vec<Term> = Vec::new();
        loop {
            let t = self.peek().clone();
            if t.tok == *end || t.tok == Tok::Pipe {
                break;
            }
            if !args.is_empty() && !t.space_before {
                return self.fail(t.span, format!("unexpected {} in operand", Self::describe(&t.tok)));
            }
            args.push(self.operand()?);
        }
        let Some(first) = args.first() else {
            let t = self.peek().clone();
            return self.fail(t.span, format!("empty command (unexpected {})", Self::describe(&t.tok)));
        };
        let span = first.span.cover(args.last().map_or(first.span, |a| a.span));
        Ok(Command { span, args })
    }

    fn operand(&mut self) -> Result<Term, ParseError> {
        let t = self.next();
        let span = t.span;
        let kind = match t.tok {
            Tok::Dot => TermKind::Dot,
            Tok::Field(f) => {
                let mut term = Term { span, kind: TermKind::Dot, fields: vec![f] };
                self.fields(&mut term);
                return Ok(term);
            }
            Tok::Variable(v) => {
                if !self.vars.contains(&v) {
                    return self.fail(span, format!("undefined variable {v:?}"));
                }
                TermKind::Var(v)
            }
            Tok::Ident(name) => {
                if KEYWORDS.contains(&name.as_str()) {
                    return self.fail(span, format!("unexpected <{name}> in command"));
                }
                if !(self.is_func)(&name) {
                    return self.fail(span, format!("function {name:?} not defined"));
                }
                TermKind::Func(name)
            }
            Tok::LParen => {
                self.enter(span)?;
                let pipe = self.pipeline("parenthesized pipeline", Tok::RParen)?;
                let close = self.next();
                self.nesting -= 1;
                let mut term = Term {
                    span: span.cover(close.span),
                    kind: TermKind::Pipe(Box::new(pipe)),
                    fields: Vec::new(),
                };
                self.fields(&mut term);
                return Ok(term);
            }
            Tok::Nil => TermKind::Nil,
            Tok::Bool(b) => TermKind::Bool(b),
            Tok::Str(s) => TermKind::Str(s),
            Tok::Char(c) => TermKind::Int(i64::from(u32::from(c))),
            Tok::Number(n) => match parse_number(&n) {
                Some(k) => k,
                None => return self.fail(span, format!("bad number syntax: {n:?}")),
            },
            other => return self.fail(span, format!("unexpected {} in operand", Self::describe(&other))),
        };
        let mut term = Term { span, kind, fields: Vec::new() };
        if matches!(term.kind, TermKind::Var(_) | TermKind::Func(_) | TermKind::Dot) {
            self.fields(&mut term);
        } else if let Tok::Field(_) = self.peek().tok
            && !self.peek().space_before
        {
            let sp = self.peek().span;
            return self.fail(sp, "unexpected . after term");
        }
        Ok(term)
    }

    fn fields(&mut self, term: &mut Term) {
        while let Tok::Field(f) = &self.peek().tok {
            if self.peek().space_before {
                break;
            }
            let f = f.clone();
            let sp = self.next().span;
            term.fields.push(f);
            term.span = term.span.cover(sp);
        }
    }
}

/// Only whitespace text: Go's `IsEmptyTree`, which never replaces an existing definition.
pub fn is_empty(tree: &Tree) -> bool {
    tree.root.iter().all(|n| matches!(n, Node::Text { text, .. } if text.trim().is_empty()))
}

/// Go number syntax: integers in any base (with `_`), else floats.
fn parse_number(text: &str) -> Option<TermKind> {
    let clean: String = text.chars().filter(|&c| c != '_').collect();
    let (neg, body) = match clean.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, clean.strip_prefix('+').unwrap_or(&clean)),
    };
    let lower = body.to_ascii_lowercase();
    let int = if let Some(h) = lower.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else if let Some(o) = lower.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()
    } else if let Some(b) = lower.strip_prefix("0b") {
        i64::from_str_radix(b, 2).ok()
    } else if lower.len() > 1 && lower.starts_with('0') && lower.bytes().all(|b| b.is_ascii_digit()) {
        i64::from_str_radix(&lower[1..], 8).ok()
    } else if lower.bytes().all(|b| b.is_ascii_digit()) {
        lower.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Some(TermKind::Int(if neg { i.checked_neg()? } else { i }));
    }
    if lower.starts_with("0x")
        || lower.is_empty()
        || !lower.starts_with(|c: char| c.is_ascii_digit() || c == '.')
    {
        return None;
    }
    let f: f64 = lower.parse().ok()?;
    Some(TermKind::Float(if neg { -f } else { f }))
}
