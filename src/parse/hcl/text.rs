//! String-level helpers: escape decoding, heredoc indentation, and naming a token for a message.

/// Decodes the escapes of a quoted HCL string literal. Unknown or malformed escapes are kept as
/// written: Terraform rejects them, but a linter is better served by the text than by nothing.
pub(super) fn decode_quoted(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let (decoded, used) = match c {
            '\\' => decode_backslash(rest),
            '$' | '%' => decode_template_escape(rest),
            _ => (None, 0),
        };
        match decoded {
            Some(s) => {
                out.push_str(&s);
                rest = rest.get(used..).unwrap_or("");
            }
            None => {
                out.push(c);
                rest = rest.get(c.len_utf8()..).unwrap_or("");
            }
        }
    }
    out
}

/// Heredocs know no backslash escapes, only `$${` and `%%{`; their CRLF line ends become `\n`.
pub(super) fn decode_heredoc(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(c) = rest.chars().next() {
        let (decoded, used) = match c {
            '$' | '%' => decode_template_escape(rest),
            '\r' if rest.starts_with("\r\n") => (Some("\n".to_string()), 2),
            _ => (None, 0),
        };
        match decoded {
            Some(s) => {
                out.push_str(&s);
                rest = rest.get(used..).unwrap_or("");
            }
            None => {
                out.push(c);
                rest = rest.get(c.len_utf8()..).unwrap_or("");
            }
        }
    }
    out
}

/// `$${` and `%%{` stand for a literal `${` / `%{`.
fn decode_template_escape(rest: &str) -> (Option<String>, usize) {
    if rest.starts_with("$${") {
        (Some("${".to_string()), 3)
    } else if rest.starts_with("%%{") {
        (Some("%{".to_string()), 3)
    } else {
        (None, 0)
    }
}

/// Decodes one backslash escape at the start of `rest`, returning the text and the bytes used.
fn decode_backslash(rest: &str) -> (Option<String>, usize) {
    let simple = match rest.get(1..2) {
        Some("n") => Some('\n'),
        Some("r") => Some('\r'),
        Some("t") => Some('\t'),
        Some("\"") => Some('"'),
        Some("\\") => Some('\\'),
        _ => None,
    };
    if let Some(c) = simple {
        return (Some(c.to_string()), 2);
    }
    let digits = match rest.get(1..2) {
        Some("u") => 4,
        Some("U") => 8,
        _ => return (None, 0),
    };
    let decoded = rest
        .get(2..2 + digits)
        .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .and_then(char::from_u32);
    match decoded {
        Some(c) => (Some(c.to_string()), 2 + digits),
        None => (None, 0),
    }
}

/// Byte ranges `<<-` removes from `content`: Terraform strips the smallest indentation found at the
/// start of the literal lines, ignoring blank lines, and counts a line that starts with an
/// interpolation as indented by zero. `literals` are the byte ranges (relative to `content`) of the
/// literal text between interpolations, `parts` the offsets where interpolations/directives start.
pub(super) fn heredoc_indent_cuts(
    content: &str,
    literals: &[(usize, usize)],
    parts: &[usize],
) -> Vec<(usize, usize)> {
    // Each line start that lies in literal text, with its indentation (in characters and bytes).
    let mut indented: Vec<(usize, usize)> = Vec::new();
    let mut min_chars = usize::MAX;
    let line_starts = std::iter::once(0)
        .chain(content.match_indices('\n').map(|(i, _)| i + 1))
        .filter(|&p| p < content.len());
    for start in line_starts {
        let Some(&(_, lit_end)) = literals.iter().find(|&&(s, e)| s <= start && start < e) else {
            // A line that starts with an interpolation counts as unindented; a "line" that starts
            // inside a multi-line interpolation is no line of the template at all.
            if parts.contains(&start) {
                min_chars = 0;
            }
            continue;
        };
        let line_end =
            content.get(start..lit_end).and_then(|s| s.find('\n')).map_or(lit_end, |i| start + i + 1);
        let token = content.get(start..line_end).unwrap_or("");
        let trimmed = token.trim_start();
        if trimmed.is_empty() && token.ends_with('\n') {
            continue;
        }
        let space_bytes = token.len() - trimmed.len();
        let chars = token.get(..space_bytes).map_or(0, |s| s.chars().count());
        min_chars = min_chars.min(chars);
        indented.push((start, line_end));
    }
    if min_chars == 0 || min_chars == usize::MAX {
        return Vec::new();
    }
    indented
        .into_iter()
        .map(|(start, end)| {
            let token = content.get(start..end).unwrap_or("");
            let bytes: usize = token.chars().take(min_chars).map(char::len_utf8).sum();
            (start, start + bytes)
        })
        .collect()
}

/// The first token of `rest`, as a user would name it in "unexpected …".
pub(super) fn first_token(rest: &str) -> Option<&str> {
    let rest = rest.trim_start();
    let first = rest.chars().next()?;
    let end = if first.is_alphanumeric() || first == '_' {
        rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == ':')).unwrap_or(rest.len())
    } else if first == '"' {
        // The quoted string up to its closing quote on the same line.
        let line = rest.find(['\n', '\r']).unwrap_or(rest.len());
        rest.get(1..line).and_then(|s| s.find('"')).map_or(line, |i| i + 2)
    } else {
        const OPERATORS: [&str; 13] =
            ["...", "==", "!=", "<=", ">=", "&&", "||", "=>", "${", "%{", "<<", "::", "[*]"];
        OPERATORS.iter().find(|op| rest.starts_with(*op)).map_or(first.len_utf8(), |op| op.len())
    };
    let token = rest.get(..end).unwrap_or(rest);
    // Keep messages short when the token is a long string or identifier.
    match token.char_indices().nth(40) {
        Some((i, _)) => token.get(..i),
        None => Some(token),
    }
}
