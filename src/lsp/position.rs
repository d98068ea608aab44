//! LSP positions ⇄ byte offsets, in the encoding negotiated with the client.
//!
//! Inside smelt everything is a byte offset into the document text. LSP positions are a 0-based line
//! and a column counted in UTF-16 code units (the default) or UTF-8 bytes (when the client offers
//! `utf-8` in `general.positionEncodings`). Every conversion clamps: a line past the end means the end of
//! the text, a column past the end of a line means the end of that line, and a column inside a
//! character (in the middle of a surrogate pair or a UTF-8 sequence) means the start of that character.

use crate::span::{LineIndex, Span};
use lsp_types::{Position, Range};

/// The unit of `Position::character`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Utf16,
}

impl Encoding {
    /// How many units of this encoding `s` takes.
    pub fn len(self, s: &str) -> u32 {
        let n = match self {
            Encoding::Utf8 => s.len(),
            Encoding::Utf16 => s.encode_utf16().count(),
        };
        u32::try_from(n).unwrap_or(u32::MAX)
    }
}

/// The LSP position of byte `offset` (clamped to the text, rounded down to a character boundary).
pub fn position(text: &str, index: &LineIndex, offset: usize, enc: Encoding) -> Position {
    let mut offset = offset.min(text.len());
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line = index.line_of(u32::try_from(offset).unwrap_or(u32::MAX));
    let start = (index.line_start(line) as usize).min(offset);
    let prefix = text.get(start..offset).unwrap_or("");
    Position { line: u32::try_from(line).unwrap_or(u32::MAX), character: enc.len(prefix) }
}

pub fn range(text: &str, index: &LineIndex, span: Span, enc: Encoding) -> Range {
    Range {
        start: position(text, index, span.start as usize, enc),
        end: position(text, index, span.end as usize, enc),
    }
}

/// The byte offset of an LSP position, clamped as described in the module docs.
pub fn offset(text: &str, index: &LineIndex, pos: Position, enc: Encoding) -> usize {
    let line = pos.line as usize;
    if line >= index.line_count() {
        return text.len();
    }
    let span = index.line_span(text, line);
    let content = text.get(span.range()).unwrap_or("");
    let wanted = pos.character as usize;
    let mut units = 0usize;
    for (i, ch) in content.char_indices() {
        let width = match enc {
            Encoding::Utf8 => ch.len_utf8(),
            Encoding::Utf16 => ch.len_utf16(),
        };
        if units + width > wanted {
            return span.start as usize + i;
        }
        units += width;
    }
    span.end as usize
}

/// Replaces `range` (or the whole text when `None`) with `new_text`: one `contentChanges` entry.
pub fn apply_change(text: &mut String, range: Option<Range>, new_text: &str, enc: Encoding) {
    let Some(range) = range else {
        new_text.clone_into(text);
        return;
    };
    let index = LineIndex::new(text);
    let start = offset(text, &index, range.start, enc);
    let end = offset(text, &index, range.end, enc).max(start);
    text.replace_range(start..end, new_text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    // "é" is 2 UTF-8 bytes and 1 UTF-16 unit; "𝄞" (U+1D11E, astral) is 4 bytes and 2 UTF-16 units.
    const TEXT: &str = "a = 1\nb = \"é𝄞x\"\r\nlast";

    #[test]
    fn offsets_to_positions_in_both_encodings() {
        let idx = LineIndex::new(TEXT);
        let x = TEXT.find('x').unwrap_or(0);
        assert_eq!(position(TEXT, &idx, x, Encoding::Utf16), pos(1, 8));
        assert_eq!(position(TEXT, &idx, x, Encoding::Utf8), pos(1, 11));
        let last = TEXT.find("last").unwrap_or(0);
        assert_eq!(position(TEXT, &idx, last, Encoding::Utf16), pos(2, 0));
        assert_eq!(position(TEXT, &idx, TEXT.len() + 10, Encoding::Utf16), pos(2, 4));
        // Inside the astral character: rounded down to its start.
        let clef = TEXT.find('𝄞').unwrap_or(0);
        assert_eq!(position(TEXT, &idx, clef + 2, Encoding::Utf16), pos(1, 6));
    }

    #[test]
    fn positions_to_offsets_round_trip() {
        let idx = LineIndex::new(TEXT);
        for enc in [Encoding::Utf8, Encoding::Utf16] {
            for (o, _) in TEXT.char_indices() {
                let p = position(TEXT, &idx, o, enc);
                // A `\r` before `\n` has no position of its own: it maps to the line end.
                let expected = if TEXT[o..].starts_with("\r\n") || TEXT[o..].starts_with('\n') {
                    idx.line_span(TEXT, p.line as usize).end as usize
                } else {
                    o
                };
                assert_eq!(offset(TEXT, &idx, p, enc), expected, "{enc:?} offset {o}");
            }
        }
    }

    #[test]
    fn positions_out_of_range_are_clamped() {
        let idx = LineIndex::new(TEXT);
        let line1_end = TEXT.find("\r\n").unwrap_or(0);
        assert_eq!(offset(TEXT, &idx, pos(1, 999), Encoding::Utf16), line1_end);
        assert_eq!(offset(TEXT, &idx, pos(99, 0), Encoding::Utf16), TEXT.len());
        // Column 7 in UTF-16 is the second half of the surrogate pair: the start of "𝄞".
        let clef = TEXT.find('𝄞').unwrap_or(0);
        assert_eq!(offset(TEXT, &idx, pos(1, 7), Encoding::Utf16), clef);
        // Byte 6 of the line is the second byte of "é" (bytes 5 and 6).
        let e = TEXT.find('é').unwrap_or(0);
        assert_eq!(offset(TEXT, &idx, pos(1, 6), Encoding::Utf8), e);
    }

    #[test]
    fn incremental_changes_on_non_ascii_text() {
        let mut text = TEXT.to_string();
        // Replace "x" (UTF-16 column 8 on line 1) with "yz".
        apply_change(&mut text, Some(Range { start: pos(1, 8), end: pos(1, 9) }), "yz", Encoding::Utf16);
        assert_eq!(text, "a = 1\nb = \"é𝄞yz\"\r\nlast");
        // The same edit in UTF-8 units: "yz" starts at byte 11 of the line.
        apply_change(&mut text, Some(Range { start: pos(1, 11), end: pos(1, 13) }), "w", Encoding::Utf8);
        assert_eq!(text, "a = 1\nb = \"é𝄞w\"\r\nlast");
        // An insertion spanning lines, and a range past the end.
        apply_change(&mut text, Some(Range { start: pos(0, 5), end: pos(1, 0) }), "\n", Encoding::Utf16);
        apply_change(&mut text, Some(Range { start: pos(9, 0), end: pos(9, 9) }), "\n", Encoding::Utf16);
        assert_eq!(text, "a = 1\nb = \"é𝄞w\"\r\nlast\n");
        apply_change(&mut text, None, "all new", Encoding::Utf16);
        assert_eq!(text, "all new");
    }
}
