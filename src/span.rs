//! Byte spans inside, line/column at the edges.
//!
//! Every node of the model keeps a [`Span`] of byte offsets into the decoded file text. Positions for
//! people and tools are computed from a [`LineIndex`] only when a finding leaves the engine, in the unit
//! each consumer wants: characters for humans and JSON, UTF-16 code units for SARIF and editors.

use serde::{Deserialize, Serialize};

/// A half-open byte range `[start, end)` into a file's text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: clamp_u32(start), end: clamp_u32(end.max(start)) }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.end == self.start
    }

    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

fn clamp_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A position as people read it: 1-based line, 1-based column.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: u32,
    /// 1-based column counted in Unicode scalar values (what an editor's status bar shows).
    pub column: u32,
    /// 1-based column counted in UTF-16 code units (SARIF's default `columnKind`, LSP's default).
    pub utf16_column: u32,
}

/// Offsets of line starts, for turning byte offsets into positions.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        // memchr's vectorised search: every file of a run gets an index, and a byte-by-byte scan was
        // 1.4% of a check's instructions.
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| clamp_u32(i + 1)));
        LineIndex { starts }
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }

    /// 0-based line containing `offset`.
    pub fn line_of(&self, offset: u32) -> usize {
        match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        }
    }

    /// Byte offset where the 0-based `line` starts (clamped to the last line).
    pub fn line_start(&self, line: usize) -> u32 {
        self.starts.get(line).copied().unwrap_or_else(|| self.starts.last().copied().unwrap_or(0))
    }

    /// Byte span of the 0-based `line`, without its line terminator (`\n` or `\r\n`).
    pub fn line_span(&self, text: &str, line: usize) -> Span {
        let start = self.line_start(line) as usize;
        let mut end = self.starts.get(line + 1).map(|&s| s as usize).unwrap_or(text.len());
        let bytes = text.as_bytes();
        while end > start && matches!(bytes.get(end - 1), Some(b'\n' | b'\r')) {
            end -= 1;
        }
        Span::new(start, end)
    }

    pub fn position(&self, text: &str, offset: u32) -> Position {
        let offset = offset.min(clamp_u32(text.len()));
        let line = self.line_of(offset);
        let start = self.line_start(line) as usize;
        let mut end = offset as usize;
        while end > start && !text.is_char_boundary(end) {
            end -= 1;
        }
        let prefix = text.get(start..end).unwrap_or("");
        // Most lines are ASCII up to the offset: one byte, one character, one UTF-16 unit.
        let (chars, units) = if prefix.is_ascii() {
            (prefix.len(), prefix.len())
        } else {
            (prefix.chars().count(), prefix.encode_utf16().count())
        };
        Position {
            line: clamp_u32(line + 1),
            column: clamp_u32(chars + 1),
            utf16_column: clamp_u32(units + 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_utf16_units() {
        let text = "a: 1\nbé: \"𝄞x\"\r\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.line_count(), 3);
        let x = text.find('x').unwrap() as u32;
        let p = idx.position(text, x);
        assert_eq!((p.line, p.column, p.utf16_column), (2, 7, 8));
        // An ASCII prefix (the fast path) and a non-ASCII one after it on the same line.
        let one = idx.position(text, 3);
        assert_eq!((one.line, one.column, one.utf16_column), (1, 4, 4));
        let quote = idx.position(text, text.find('"').unwrap() as u32);
        assert_eq!((quote.line, quote.column, quote.utf16_column), (2, 5, 5));
        assert_eq!(&text[idx.line_span(text, 1).range()], "bé: \"𝄞x\"");
        assert_eq!(idx.position(text, text.len() as u32).line, 3);
    }

    /// Line starts from the vectorised search are those of a byte-by-byte scan, edges included.
    #[test]
    fn line_starts_match_a_plain_scan() {
        let long = "x".repeat(100) + "\n" + &"y\n".repeat(40) + "é\r\n\n";
        for text in ["", "\n", "a", "a\n", "\n\nb", "a\r\nb\r\n", long.as_str()] {
            let idx = LineIndex::new(text);
            let plain: Vec<usize> = std::iter::once(0)
                .chain(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1))
                .collect();
            assert_eq!(idx.line_count(), plain.len(), "{text:?}");
            for (line, start) in plain.iter().enumerate() {
                assert_eq!(idx.line_start(line) as usize, *start, "{text:?} line {line}");
            }
        }
    }

    #[test]
    fn offsets_past_the_end_are_clamped() {
        let idx = LineIndex::new("ab");
        assert_eq!(idx.position("ab", 99).column, 3);
    }
}
