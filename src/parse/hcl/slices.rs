//! Where a large file can be cut into slices of whole top-level blocks, so that each slice is parsed
//! (with tree-sitter's included ranges, offsets unchanged) and lowered on its own, and its syntax
//! tree freed before the next: tree-sitter's tree takes ~60 bytes per byte of input, so a 5 MB file
//! held its whole tree (~300 MB) while it was lowered.
//!
//! A cut goes at the start of a line that begins with a name (a block or attribute) while nothing is
//! open: no bracket, string, interpolation, comment or heredoc. The scan below is only a guess about
//! that; the caller parses every slice and gives up on slicing (parsing the file whole) if any slice
//! has a syntax error, which a cut inside an open construct always causes in the slice before it.

/// A byte range of the text with tree-sitter's row/column of its ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Slice {
    pub start: usize,
    pub end: usize,
    pub start_point: tree_sitter::Point,
    pub end_point: tree_sitter::Point,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    Brace,
    Bracket,
    Paren,
    Str,
    /// `${` or `%{` inside a string or heredoc: closed by its `}`.
    Interp,
}

/// Slices of at least `target` bytes (the last may be shorter) covering the whole text, or `None`
/// when the scan gets lost (unbalanced brackets, an unterminated string or comment).
pub(super) fn slices(text: &str, target: usize) -> Option<Vec<Slice>> {
    let b = text.as_bytes();
    let mut open: Vec<Open> = Vec::new();
    let mut cuts = vec![(0usize, 0usize)];
    let (mut i, mut row) = (0usize, 0usize);
    while i < b.len() {
        let c = b[i];
        let in_str = open.last() == Some(&Open::Str);
        if c == b'\n' {
            row += 1;
            i += 1;
            let starts_name = b.get(i).is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_');
            let last = cuts.last().map_or(0, |c| c.0);
            if open.is_empty() && starts_name && i - last >= target {
                cuts.push((i, row));
            }
            continue;
        }
        if in_str {
            match c {
                b'\\' => i += 1,
                b'"' => {
                    open.pop();
                }
                b'$' | b'%' if b.get(i + 1) == Some(&b'{') => {
                    open.push(Open::Interp);
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        match c {
            b'"' => open.push(Open::Str),
            b'{' => open.push(Open::Brace),
            b'[' => open.push(Open::Bracket),
            b'(' => open.push(Open::Paren),
            b'}' | b']' | b')' => {
                let closed = open.pop();
                let matching = matches!(
                    (c, closed),
                    (b'}', Some(Open::Brace | Open::Interp))
                        | (b']', Some(Open::Bracket))
                        | (b')', Some(Open::Paren))
                );
                if !matching {
                    return None;
                }
            }
            b'#' => {
                i = line_end(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                i = line_end(b, i);
                continue;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let close = text.get(i + 2..)?.find("*/")? + i + 2;
                row += count_lines(b.get(i..close)?);
                i = close + 2;
                continue;
            }
            b'<' if b.get(i + 1) == Some(&b'<') => {
                if let Some(end) = heredoc_end(text, i) {
                    row += count_lines(b.get(i..end)?);
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
    if !open.is_empty() {
        return None;
    }
    let end_point = point_at(b, b.len(), row);
    let mut out = Vec::with_capacity(cuts.len());
    for (k, &(start, start_row)) in cuts.iter().enumerate() {
        let (end, end_point) = match cuts.get(k + 1) {
            Some(&(next, next_row)) => (next, tree_sitter::Point::new(next_row, 0)),
            None => (b.len(), end_point),
        };
        out.push(Slice { start, end, start_point: tree_sitter::Point::new(start_row, 0), end_point });
    }
    Some(out)
}

/// Block keywords that start a top-level block at the start of a line.
const BLOCK_KEYWORDS: [&str; 12] = [
    "resource",
    "data",
    "module",
    "variable",
    "output",
    "locals",
    "provider",
    "terraform",
    "moved",
    "import",
    "check",
    "removed",
];

/// Slices of at least `target` bytes cut before lines that start a top-level block (a block keyword
/// at column 0 followed by a label or `{`), whatever the scan says is open: for a file the scan in
/// [`slices`] gets lost in, which is nearly always a broken one. `None` if there is no such line.
pub(super) fn resync_slices(text: &str, target: usize) -> Option<Vec<Slice>> {
    let b = text.as_bytes();
    let mut cuts = vec![(0usize, 0usize)];
    let (mut pos, mut row) = (0usize, 0usize);
    for line in text.split_inclusive('\n') {
        let last = cuts.last().map_or(0, |c| c.0);
        if pos - last >= target && starts_block(line) {
            cuts.push((pos, row));
        }
        pos += line.len();
        row += 1;
    }
    if cuts.len() < 2 {
        return None;
    }
    let end_point = point_at(b, b.len(), count_lines(b));
    Some(
        cuts.iter()
            .enumerate()
            .map(|(k, &(start, start_row))| {
                let (end, end_point) = match cuts.get(k + 1) {
                    Some(&(next, next_row)) => (next, tree_sitter::Point::new(next_row, 0)),
                    None => (b.len(), end_point),
                };
                Slice { start, end, start_point: tree_sitter::Point::new(start_row, 0), end_point }
            })
            .collect(),
    )
}

/// `resource "…`, `locals {`: a block keyword at column 0, then a label or the body.
fn starts_block(line: &str) -> bool {
    BLOCK_KEYWORDS.iter().any(|k| {
        line.strip_prefix(k).is_some_and(|rest| {
            rest.trim_start_matches([' ', '\t']).starts_with(['"', '{']) && rest.starts_with([' ', '\t', '{'])
        })
    })
}

/// The offset of the line break ending the line at `i` (or the end of the text).
fn line_end(b: &[u8], i: usize) -> usize {
    b.get(i..).and_then(|r| r.iter().position(|&c| c == b'\n')).map_or(b.len(), |p| i + p)
}

fn count_lines(b: &[u8]) -> usize {
    b.iter().filter(|&&c| c == b'\n').count()
}

/// `<<EOF` / `<<-EOF` at `at`: the offset just before the line break after the closing marker line,
/// or `None` when this is not a heredoc opener.
fn heredoc_end(text: &str, at: usize) -> Option<usize> {
    let rest = text.get(at + 2..)?;
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let marker_len = rest.bytes().take_while(|c| c.is_ascii_alphanumeric() || *c == b'_').count();
    let marker = rest.get(..marker_len).filter(|m| !m.is_empty())?;
    let after = rest.get(marker_len..)?;
    let body_start = text.len() - after.len() + after.find('\n')? + 1;
    let mut pos = body_start;
    for line in text.get(body_start..)?.split_inclusive('\n') {
        if line.trim() == marker {
            return Some(pos + line.trim_end_matches(['\n', '\r']).len());
        }
        pos += line.len();
    }
    None
}

/// Row and column of byte `at`, given the row count reached there.
fn point_at(b: &[u8], at: usize, row: usize) -> tree_sitter::Point {
    let line_start = b.get(..at).and_then(|r| r.iter().rposition(|&c| c == b'\n')).map_or(0, |p| p + 1);
    tree_sitter::Point::new(row, at - line_start)
}
