//! The fast YAML lowering: saphyr-parser's event stream, several times faster than tree-sitter-yaml,
//! turned into exactly the [`ParsedFile`] the tree-sitter lowering makes of the same text.
//!
//! It only answers for files it can vouch for. On a parse error, a limit (depth, alias budget, deep
//! block columns), an issue of any kind, or a construct whose result it cannot pin down, it answers
//! `None` and the caller lowers the file through tree-sitter, which also gives the diagnostics. Every
//! scalar is decoded from its source span with the tree-sitter path's own functions and compared
//! with saphyr's decoding: a mismatch means the spans or the semantics differ, so it gives up.
//!
//! saphyr reports no comments, so they are recovered from the text: a `#` at a line start or after
//! whitespace starts one, except inside a quoted scalar or a block scalar's content.

use std::borrow::Cow;

use saphyr_parser::{Event, Marker, Parser, ScalarStyle, Tag};

use super::lower::Size;
use super::{Limits, Lowerer, Schema, scalar};
use crate::model::{Comment, Entry, Node, ParsedFile, Value};
use crate::span::Span;

/// The fast path cannot vouch for this file; lower it through tree-sitter.
struct Bail;

type Res<T> = Result<T, Bail>;

/// Lowers `text` like the tree-sitter path would, or `None` when only that path can say.
pub(super) fn lower(text: &str, limits: &Limits, schema: Schema) -> Option<ParsedFile> {
    // A BOM is dropped when files are decoded; a stray one, or a bare `\r` line break, is left to
    // tree-sitter, as are lines deep enough to need its column guard.
    if needs_tree_sitter(text) || block_lines_need_tree_sitter(text) {
        return None;
    }
    let mut b = Builder::new(text, limits, schema);
    b.run().ok()?;
    if tab_in_indentation(text, &b.block_bodies) {
        return None;
    }
    let comments = comments(text, &b.excluded);
    let mut out = b.low.finish();
    if !out.issues.is_empty() {
        return None;
    }
    out.comments = comments;
    Some(out)
}

/// Whether the text holds a character YAML does not allow (controls other than tab and line
/// breaks, C1 controls but NEL, U+FFFE/U+FFFF), a BOM or a bare `\r` line break: saphyr lets some
/// of them through where tree-sitter reports them.
fn needs_tree_sitter(text: &str) -> bool {
    let b = text.as_bytes();
    // Nearly every file is printable ASCII, tabs and `\n`: a branch-free pass over 64-byte blocks
    // (which the compiler vectorises) settles it; anything else gets the byte-by-byte look.
    let plain = |c: u8| (0x20..0x7f).contains(&c) | (c == b'\n') | (c == b'\t');
    if b.chunks(64).all(|block| block.iter().fold(true, |ok, &c| ok & plain(c))) {
        return false;
    }
    disallowed_bytes(b)
}

fn disallowed_bytes(b: &[u8]) -> bool {
    b.iter().enumerate().any(|(i, &c)| match c {
        b'\t' | b'\n' => false,
        b'\r' => b.get(i + 1) != Some(&b'\n'),
        0..=0x1f | 0x7f => true,
        0xc2 => matches!(b.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9f)),
        0xef => {
            matches!((b.get(i + 1), b.get(i + 2)), (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf)))
        }
        _ => false,
    })
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    BlockMap,
    FlowMap,
    BlockSeq,
    FlowSeq,
    /// `[a: 1]`: a flow pair inside a flow sequence, a one-entry map.
    Pair,
}

impl Kind {
    fn is_map(self) -> bool {
        matches!(self, Kind::BlockMap | Kind::FlowMap | Kind::Pair)
    }

    fn is_flow(self) -> bool {
        matches!(self, Kind::FlowMap | Kind::FlowSeq | Kind::Pair)
    }
}

/// A map or list being built.
struct Frame {
    kind: Kind,
    start: usize,
    /// End of the source read into this collection so far.
    end: usize,
    /// The column of a block collection, which a block scalar's indentation indicator counts from.
    column: Option<usize>,
    tag: Option<Box<str>>,
    anchor: Option<String>,
    items: Vec<Node>,
    entries: Vec<Entry>,
    key: Option<(String, Span)>,
    /// Where the current pair ends if its value is empty.
    pair_end: usize,
    size: Size,
}

struct Builder<'a> {
    text: &'a str,
    bytes: &'a [u8],
    low: Lowerer<'a>,
    /// Byte offset of each character: saphyr's markers count characters. Empty for ASCII text.
    offsets: Vec<usize>,
    /// Just past the last source token read.
    pos: usize,
    stack: Vec<Frame>,
    /// Quoted scalars and block scalar contents, in source order: no comment starts inside them.
    excluded: Vec<(usize, usize)>,
    /// Block scalar contents, in source order: the only place a tab may lead a line.
    block_bodies: Vec<(usize, usize)>,
}

impl<'a> Builder<'a> {
    fn new(text: &'a str, limits: &Limits, schema: Schema) -> Builder<'a> {
        let mut low = Lowerer::new(text, limits);
        low.schema = schema;
        let offsets = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(i, _)| i).chain([text.len()]).collect()
        };
        Builder {
            text,
            bytes: text.as_bytes(),
            low,
            offsets,
            pos: 0,
            stack: Vec::new(),
            excluded: Vec::new(),
            block_bodies: Vec::new(),
        }
    }

    fn byte(&self, m: Marker) -> Res<usize> {
        if self.offsets.is_empty() {
            Some(m.index()).filter(|&i| i <= self.text.len()).ok_or(Bail)
        } else {
            self.offsets.get(m.index()).copied().ok_or(Bail)
        }
    }

    fn at(&self, i: usize) -> Option<u8> {
        self.bytes.get(i).copied()
    }

    fn src(&self, start: usize, end: usize) -> Res<&'a str> {
        self.text.get(start..end).ok_or(Bail)
    }

    /// The first offset from `i` that is not whitespace or a comment.
    fn skip_space(&self, i: usize) -> usize {
        self.skip_space_and_comments(i).0
    }

    /// The first offset from `i` that is not whitespace or a comment, and the end of the last
    /// comment before it (`i` if none).
    fn skip_space_and_comments(&self, mut i: usize) -> (usize, usize) {
        let mut comment_end = i;
        loop {
            match self.at(i) {
                Some(b' ' | b'\t' | b'\r' | b'\n') => i += 1,
                Some(b'#') if i == 0 || is_space(self.at(i - 1)) => {
                    i = line_end(self.bytes, i);
                    // tree-sitter's comment leaves out a CRLF's `\r`.
                    comment_end = if i > 0 && self.at(i - 1) == Some(b'\r') { i - 1 } else { i };
                }
                _ => return (i, comment_end),
            }
        }
    }

    /// Lines after the first inside a flow scalar or flow collection must be indented past the
    /// block collection holding it. saphyr lets some through at its column; tree-sitter does not.
    fn check_continuations(&self, start: usize, end: usize) -> Res<()> {
        let Some(column) = self.stack.iter().rev().find_map(|f| f.column) else { return Ok(()) };
        let inside = self.bytes.get(start..end).unwrap_or(&[]);
        for (i, _) in inside.iter().enumerate().filter(|&(_, &b)| b == b'\n') {
            let line = start + i + 1;
            let indent = self.bytes.get(line..).map_or(0, |l| l.iter().take_while(|&&b| b == b' ').count());
            let blank = matches!(self.at(line + indent), None | Some(b'\n' | b'\r'));
            if !blank && indent <= column {
                return Err(Bail);
            }
        }
        Ok(())
    }

    /// Where tree-sitter ends a block collection whose last child ends at `end`: the end of the
    /// text if only space and comments follow, else after the comments before the next token.
    fn block_end(&self, end: usize) -> usize {
        let (next, comment_end) = self.skip_space_and_comments(end);
        if next >= self.bytes.len() { next } else { comment_end }
    }

    fn run(&mut self) -> Res<()> {
        let mut parser = Parser::new_from_str(self.text);
        while let Some(next) = parser.next_event() {
            let (event, span) = next.map_err(|_| Bail)?;
            let (s, e) = (self.byte(span.start)?, self.byte(span.end)?);
            match event {
                Event::StreamStart | Event::Nothing => {}
                Event::StreamEnd => return Ok(()),
                Event::DocumentStart(explicit) => {
                    // Anchors are scoped to their document.
                    self.low.anchors.clear();
                    self.pos = self.pos.max(if explicit { e } else { s });
                }
                Event::DocumentEnd => {
                    if self.src(s, e)? == "..." {
                        self.pos = self.pos.max(e);
                    }
                }
                Event::Scalar(value, style, anchor, tag) => self.scalar(value, style, anchor, tag, s, e)?,
                Event::Alias(_) => {
                    self.prepare_child()?;
                    let raw = self.src(s, e)?;
                    if !raw.starts_with('*') {
                        return Err(Bail);
                    }
                    let issues = self.low.out.issues.len();
                    let (node, size) = self.low.alias_named(Span::new(s, e), raw, self.stack.len());
                    if self.low.out.issues.len() > issues {
                        return Err(Bail);
                    }
                    self.pos = e;
                    self.deliver(node, size, e)?;
                }
                Event::SequenceStart(anchor, tag) => self.open(false, anchor, tag.is_some(), s, e)?,
                Event::MappingStart(anchor, tag) => self.open(true, anchor, tag.is_some(), s, e)?,
                Event::SequenceEnd | Event::MappingEnd => self.close(s, e)?,
            }
        }
        Ok(())
    }

    /// Reads the indicators (`-`, `?`, `:`, `,`) before the next child of the innermost collection.
    /// Returns where the tree-sitter path places that child if it turns out empty.
    fn prepare_child(&mut self) -> Res<usize> {
        let Some(top) = self.stack.last() else { return Ok(self.pos) };
        let (kind, expecting_value) = (top.kind, top.key.is_some());
        let mut p = self.skip_space(self.pos);
        if kind.is_flow() && !expecting_value && self.at(p) == Some(b',') {
            p = self.skip_space(p + 1);
        }
        match kind {
            Kind::BlockSeq => {
                if self.at(p) != Some(b'-') {
                    return Err(Bail);
                }
                self.pos = p + 1;
                Ok(p + 1)
            }
            Kind::FlowSeq => {
                self.pos = p;
                Ok(p)
            }
            _ if !expecting_value => {
                let explicit = self.at(p) == Some(b'?') && is_space_or_end(self.at(p + 1));
                if let Some(top) = self.stack.last_mut() {
                    top.pair_end = if explicit { p + 1 } else { p };
                }
                self.pos = if explicit { p + 1 } else { p };
                Ok(p)
            }
            _ => {
                if self.at(p) == Some(b':') {
                    self.pos = p + 1;
                    return Ok(p + 1);
                }
                Ok(self.stack.last().map_or(p, |t| t.pair_end))
            }
        }
    }

    /// Reads the properties saphyr found at `at`: an anchor and a tag, in either order. Returns the
    /// anchor's name, the tag as written and the end of the properties.
    fn props(&self, at: usize, anchor: bool, tag: bool) -> Res<(Option<String>, Option<Box<str>>, usize)> {
        let (mut name, mut tag_text, mut i) = (None, None, at);
        for k in 0..usize::from(anchor) + usize::from(tag) {
            if k > 0 {
                i = self.skip_space(i);
            }
            let end = (i..self.bytes.len())
                .find(|&j| {
                    is_space(self.at(j)) || matches!(self.at(j), Some(b',' | b'[' | b']' | b'{' | b'}'))
                })
                .unwrap_or(self.bytes.len());
            let token = self.src(i, end)?;
            match token.as_bytes().first() {
                Some(b'&') if anchor && name.is_none() && token.len() > 1 => {
                    name = Some(token.get(1..).ok_or(Bail)?.to_string());
                }
                Some(b'!') if tag && tag_text.is_none() && !token.starts_with("!<") => {
                    tag_text = Some(Box::from(token));
                }
                _ => return Err(Bail),
            }
            i = end;
        }
        Ok((name, tag_text, i))
    }

    fn scalar(
        &mut self,
        value: Cow<'_, str>,
        style: ScalarStyle,
        anchor_id: usize,
        tag: Option<Cow<'_, Tag>>,
        s: usize,
        e: usize,
    ) -> Res<()> {
        let empty_at = self.prepare_child()?;
        let has_props = anchor_id > 0 || tag.is_some();
        let (anchor, tag, props_end) =
            if has_props { self.props(s, anchor_id > 0, tag.is_some())? } else { (None, None, s) };
        let start = if has_props { self.skip_space(props_end) } else { s };
        let (node, end) = match style {
            ScalarStyle::Plain if value.is_empty() => {
                // `[!]`, `{a: &x}`: properties on an empty node right before a flow indicator,
                // which tree-sitter-yaml reads as an unclosed collection (a cargo fuzz find).
                if has_props && matches!(self.at(props_end), Some(b']' | b'}' | b',')) {
                    return Err(Bail);
                }
                if has_props {
                    (Node::new(Span::new(s, props_end), Value::Null), props_end)
                } else if self.stack.is_empty() {
                    // A document with no content: the tree-sitter path keeps no root for it.
                    return Ok(());
                } else {
                    (Node::new(Span::new(empty_at, empty_at), Value::Null), empty_at)
                }
            }
            ScalarStyle::Plain => {
                let raw = self.src(start, e)?;
                if !plain_first(raw.as_bytes()) {
                    return Err(Bail);
                }
                // A key spelled like an indicator (`-u:`, `?x:`) after a compact sequence is where
                // tree-sitter-yaml and YAML part ways (a fuzz find): leave those files to it.
                if raw.starts_with(['-', '?', ':']) && self.at(self.skip_space(e)) == Some(b':') {
                    return Err(Bail);
                }
                let multiline = raw.contains('\n');
                if multiline {
                    self.check_continuations(start, e)?;
                }
                let same = if multiline { scalar::fold_plain(raw) == value } else { raw == value };
                if !same {
                    return Err(Bail);
                }
                let value = value.into_owned();
                let v = if tag.as_deref() == Some("!!str") {
                    Value::Str(value)
                } else if self.low.schema == Schema::Yaml11 {
                    scalar::plain_value_yaml11(value)
                } else {
                    scalar::plain_value(value)
                };
                (Node::new(Span::new(start, e), v), e)
            }
            ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => {
                // saphyr's span can run on over a comment after the closing quote.
                let q = if style == ScalarStyle::DoubleQuoted { b'"' } else { b'\'' };
                let e = quoted_end(self.bytes, start, q).ok_or(Bail)?;
                let raw = self.src(start, e)?;
                if scalar::fold_quoted(super::strip_quotes(raw), q == b'"') != value {
                    return Err(Bail);
                }
                self.check_continuations(start, e)?;
                // A quoted scalar continued at column 0 (`'\n.'`, a cargo fuzz find) is one
                // tree-sitter-yaml reads as unclosed: leave it to tree-sitter.
                if raw.split('\n').skip(1).any(|l| l.starts_with(|c: char| !matches!(c, ' ' | '\t' | '\r'))) {
                    return Err(Bail);
                }
                self.excluded.push((start, e));
                (Node::new(Span::new(start, e), Value::Str(value.into_owned())), e)
            }
            ScalarStyle::Literal | ScalarStyle::Folded => {
                let header = if has_props { start } else { self.skip_space(self.pos) };
                let indicator = if style == ScalarStyle::Literal { b'|' } else { b'>' };
                if self.at(header) != Some(indicator) || e < header {
                    return Err(Bail);
                }
                // saphyr's end may sit after the next line's indentation; tree-sitter's is on the
                // last content line, and `scalar::block` only needs it not to pass the next line.
                let line_start = self.text.get(..e).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
                let indent_only = self.bytes.get(line_start..e).is_some_and(|l| l.iter().all(|&b| b == b' '));
                let end = if indent_only && line_start > header { line_start } else { e };
                let parent_indent = self.stack.last().and_then(|f| f.column);
                let (decoded, content_end) = scalar::block(self.text, header, end, parent_indent);
                if decoded != value {
                    return Err(Bail);
                }
                let body = line_end(self.bytes, header) + 1;
                if content_end > body {
                    self.excluded.push((body, content_end));
                    self.block_bodies.push((body, content_end));
                }
                // tree-sitter's node (which its parent's span ends with) leaves out trailing blanks.
                let mut extent = content_end;
                while extent > header + 1 && matches!(self.at(extent - 1), Some(b' ' | b'\t')) {
                    extent -= 1;
                }
                (Node::new(Span::new(header, content_end), Value::Str(decoded)), extent)
            }
        };
        let mut node = node;
        node.tag = tag.map(Into::into);
        self.low.anchor(anchor, &node, Size::LEAF);
        self.pos = self.pos.max(end);
        self.deliver(node, Size::LEAF, end)
    }

    fn open(&mut self, is_map: bool, anchor_id: usize, has_tag: bool, s: usize, e: usize) -> Res<()> {
        let child_at = self.prepare_child()?;
        let depth = self.stack.len();
        if depth >= self.low.limits.max_depth {
            return Err(Bail);
        }
        let has_props = anchor_id > 0 || has_tag;
        let (anchor, tag, props_end) =
            if has_props { self.props(s, anchor_id > 0, has_tag)? } else { (None, None, s) };
        let parent = self.stack.last().map(|f| f.kind);
        let parent_flow = parent.is_some_and(Kind::is_flow);
        // saphyr's span of `[` / `{` may run on over the space after it.
        let at = if has_props { self.skip_space(props_end) } else { s };
        let bracket = if is_map { b'{' } else { b'[' };
        let (kind, start) = if e > at && self.at(at) == Some(bracket) {
            (if is_map { Kind::FlowMap } else { Kind::FlowSeq }, at)
        } else if parent == Some(Kind::FlowSeq) && is_map && !has_props {
            (Kind::Pair, child_at)
        } else if parent_flow {
            return Err(Bail);
        } else if is_map {
            (Kind::BlockMap, e)
        } else {
            let dash = self.skip_space(if has_props { props_end } else { self.pos });
            if self.at(dash) != Some(b'-') {
                return Err(Bail);
            }
            (Kind::BlockSeq, dash)
        };
        // A block collection as a block mapping's value starts on a later line than its `:`; saphyr
        // takes `: :` and `:\t:` on one line as a nested mapping, tree-sitter reports them.
        let is_value = self.stack.last().is_some_and(|f| f.kind == Kind::BlockMap && f.key.is_some());
        if matches!(kind, Kind::BlockMap | Kind::BlockSeq)
            && is_value
            && !self.bytes.get(self.pos.min(start)..start).is_some_and(|gap| gap.contains(&b'\n'))
        {
            return Err(Bail);
        }
        let column = match kind {
            Kind::BlockMap | Kind::BlockSeq => {
                Some(start - self.text.get(..start).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1))
            }
            _ => None,
        };
        self.pos = if matches!(kind, Kind::FlowMap | Kind::FlowSeq) { start + 1 } else { start };
        self.stack.push(Frame {
            kind,
            start,
            end: start,
            column,
            tag,
            anchor,
            items: Vec::new(),
            entries: Vec::new(),
            key: None,
            pair_end: start,
            size: Size { nodes: 1, height: 1 },
        });
        Ok(())
    }

    fn close(&mut self, s: usize, e: usize) -> Res<()> {
        let f = self.stack.pop().ok_or(Bail)?;
        if f.key.is_some() {
            return Err(Bail);
        }
        let end = match f.kind {
            Kind::FlowMap | Kind::FlowSeq => {
                let close = if f.kind == Kind::FlowMap { b'}' } else { b']' };
                if self.at(s) != Some(close) || e <= s {
                    return Err(Bail);
                }
                if !self.stack.last().is_some_and(|p| p.kind.is_flow()) {
                    self.check_continuations(f.start, s + 1)?;
                }
                self.pos = s + 1;
                s + 1
            }
            Kind::Pair => f.end,
            Kind::BlockMap | Kind::BlockSeq => self.block_end(f.end),
        };
        let value =
            if f.kind.is_map() { Value::Map(self.low.merge(f.entries)) } else { Value::List(f.items) };
        let mut node = Node::new(Span::new(f.start, end), value);
        node.tag = f.tag.map(Into::into);
        let size = Size { nodes: f.size.nodes, height: f.size.height.max(1) };
        self.low.anchor(f.anchor, &node, size);
        self.deliver(node, size, end)
    }

    /// Hands a finished node to the collection that asked for it, or makes it a document's root.
    /// `end` is where its source ends (an alias's copy keeps the anchored node's span).
    fn deliver(&mut self, node: Node, size: Size, end: usize) -> Res<()> {
        let Some(top) = self.stack.last_mut() else {
            self.low.out.docs.push(node);
            return Ok(());
        };
        top.size.nodes = top.size.nodes.saturating_add(size.nodes);
        top.size.height = top.size.height.max(size.height + 1);
        top.end = top.end.max(end);
        if !top.kind.is_map() {
            top.items.push(node);
        } else if let Some((key, key_span)) = top.key.take() {
            top.entries.push(Entry { key, key_span, value: node });
        } else {
            top.pair_end = top.pair_end.max(end);
            let key = self.low.key_text(&node);
            if let Some(top) = self.stack.last_mut() {
                top.key = Some((key, node.span));
            }
        }
        Ok(())
    }
}

fn is_space(b: Option<u8>) -> bool {
    matches!(b, Some(b' ' | b'\t' | b'\r' | b'\n'))
}

fn is_space_or_end(b: Option<u8>) -> bool {
    b.is_none() || is_space(b)
}

/// Whether YAML lets a plain scalar start this way: not with an indicator, except `-`, `?` and
/// `:` before a character that is not space. saphyr takes some others inside flow collections.
fn plain_first(raw: &[u8]) -> bool {
    match raw.first() {
        Some(b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|' | b'>' | b'\'' | b'"') => {
            false
        }
        Some(b'%' | b'@' | b'`') => false,
        Some(b'-' | b'?' | b':') => !is_space_or_end(raw.get(1).copied()),
        _ => true,
    }
}

/// Just past the closing quote of the quoted scalar opening at `start`.
fn quoted_end(bytes: &[u8], start: usize, quote: u8) -> Option<usize> {
    if bytes.get(start) != Some(&quote) {
        return None;
    }
    let mut i = start + 1;
    while let Some(&b) = bytes.get(i) {
        // An escape in double quotes, a doubled quote in single quotes: two characters, no end.
        let pair = if quote == b'"' { b == b'\\' } else { b == quote && bytes.get(i + 1) == Some(&quote) };
        if pair {
            i += 2;
        } else if b == quote {
            return Some(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// Whether a line starts (after indentation) with the explicit-key indicator `? `: rare in real
/// files, and where the two lowerings place empty nodes differently (`? > `, a cargo fuzz find).
/// One pass over the lines for what [`super::deep_block_line`] and [`explicit_block_key`] ask:
/// whether a line's block structure reaches past the column tree-sitter's guard needs, or a line
/// starts an explicit `? key` (saphyr and tree-sitter read those differently).
fn block_lines_need_tree_sitter(text: &str) -> bool {
    let b = text.as_bytes();
    let mut start = 0;
    while start < b.len() {
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |n| start + n + 1);
        let line = &b[start..end];
        let indent = line.iter().take_while(|&&c| c == b' ' || c == b'\t').count();
        if line.get(indent) == Some(&b'?')
            && matches!(line.get(indent + 1), None | Some(b' ' | b'\t' | b'\r' | b'\n'))
        {
            return true;
        }
        if super::block_column(line) > super::MAX_BLOCK_COLUMN {
            return true;
        }
        start = end;
    }
    false
}

#[cfg(test)]
fn explicit_block_key(text: &str) -> bool {
    text.lines().any(|l| {
        let t = l.trim_start_matches([' ', '\t']);
        t.strip_prefix('?').is_some_and(|r| r.is_empty() || r.starts_with([' ', '\t', '\r']))
    })
}

/// The offset of the `\n` ending the line that holds `i`, or the text's length.
fn line_end(bytes: &[u8], i: usize) -> usize {
    bytes.get(i..).and_then(|r| r.iter().position(|&b| b == b'\n')).map_or(bytes.len(), |n| i + n)
}

/// Whether a tab stands in a line's indentation (or right after a block indicator that starts the
/// line) outside a block scalar. YAML forbids it in indentation, saphyr lets some through and
/// tree-sitter reports them.
fn tab_in_indentation(text: &str, bodies: &[(usize, usize)]) -> bool {
    let bytes = text.as_bytes();
    text.match_indices('\t').any(|(t, _)| {
        let line_start =
            bytes.get(..t).and_then(|b| b.iter().rposition(|&c| c == b'\n')).map_or(0, |i| i + 1);
        // Block indicators before it count as indentation too (`-\t:`, a cargo fuzz find).
        let leading = bytes
            .get(line_start..t)
            .is_some_and(|b| b.iter().all(|&c| matches!(c, b' ' | b'\t' | b'-' | b'?' | b':')));
        // The last body starting at or before the tab is the only one that can hold it.
        let before = bodies.partition_point(|&(start, _)| start <= t);
        leading && before.checked_sub(1).and_then(|i| bodies.get(i)).is_none_or(|&(_, end)| t >= end)
    })
}

/// Every comment outside `excluded` (sorted, disjoint ranges), in source order.
fn comments(text: &str, excluded: &[(usize, usize)]) -> Vec<Comment> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut ranges = excluded.iter().peekable();
    let mut from = 0;
    while let Some(off) = text.get(from..).and_then(|t| t.find('#')) {
        let at = from + off;
        while ranges.next_if(|&&(_, end)| end <= at).is_some() {}
        let inside = ranges.peek().is_some_and(|&&(start, _)| start <= at);
        if inside || !(at == 0 || is_space(bytes.get(at - 1).copied())) {
            from = at + 1;
            continue;
        }
        let end = line_end(bytes, at);
        let body = text.get(at..end).unwrap_or("").trim_end_matches('\r');
        out.push(Comment { span: Span::new(at, at + body.len()), text: body.to_string() });
        from = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fused line scan and the vectorised byte check answer what the separate scans answer, on
    /// every YAML fixture, the fuzz corpus (when present) and spellings at the edges.
    #[test]
    fn fused_pre_scans_agree_with_the_separate_ones() {
        let mut texts: Vec<String> = [
            "",
            "a: 1\n",
            "? a\n: b\n",
            "?\n",
            "  ?\tx",
            "?x: 1\n",
            "- ? a\n",
            "a: 1\r\n? b\r\n",
            "?\r\n",
            "a\rb: 1\n",
            "a: \u{85}\n",
            "a: \u{80}\n",
            "\u{feff}a: 1\n",
            "a: \u{fffe}\n",
            "a: é\n",
            "a:\tb\n",
            "a: \u{7f}\n",
            "a: \u{1}\n",
            "last line ?",
        ]
        .map(String::from)
        .to_vec();
        texts.push(format!("{}- a\n", " ".repeat(101)));
        texts.push(format!("{}- a\n", " ".repeat(99)));
        texts.push(format!("{}x\n", "- ".repeat(51)));
        texts.push(format!("{}&anchor x\n", " ".repeat(95)));
        texts.push(format!("{}\n{}?\n", "x".repeat(200), " ".repeat(120)));
        let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut dirs = vec![root.join("fixtures"), root.join("fuzz/corpus/yaml")];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for p in entries.flatten().map(|e| e.path()) {
                if p.is_dir() {
                    dirs.push(p);
                } else if let Ok(text) = std::fs::read_to_string(&p) {
                    texts.push(text);
                }
            }
        }
        assert!(texts.len() > 100, "{}", texts.len());
        for t in &texts {
            assert_eq!(needs_tree_sitter(t), disallowed_bytes(t.as_bytes()), "{t:?}");
            let separate = crate::parse::yaml::deep_block_line(t).is_some() || explicit_block_key(t);
            assert_eq!(block_lines_need_tree_sitter(t), separate, "{t:?}");
        }
    }
}
