//! From a stretch of rendered output back to what the user wrote: the template bytes (text copied
//! verbatim maps byte for byte; an action's output maps to the action) and, when the action printed
//! values, the values entries that set them.

use std::sync::Arc;

use super::template::Value;
use super::template::exec::Segment;
use super::template::funcs::strval;
use super::values::{Origin, Provenance};
use crate::span::Span;

/// Where a span of rendered output came from.
#[derive(Clone, Debug, PartialEq)]
pub struct Mapped {
    /// The template file (Helm name) and the span there.
    pub file: Arc<str>,
    pub span: Span,
}

/// The template location of `span` (output offsets): the segment holding its start.
pub fn locate(segments: &[Segment], span: Span) -> Option<Mapped> {
    let i = segment_at(segments, span.start as usize)?;
    let seg = &segments[i];
    let next = segments.get(i + 1).map_or(usize::MAX, |n| n.out);
    let offset = span.start as usize - seg.out;
    let mapped = if seg.verbatim {
        let start = seg.span.start as usize + offset;
        let len = (span.end as usize).min(next).saturating_sub(span.start as usize);
        Span::new(start, (start + len.max(1)).min(seg.span.end as usize).max(start))
    } else {
        seg.span
    };
    Some(Mapped { file: Arc::clone(&seg.file), span: mapped })
}

fn segment_at(segments: &[Segment], at: usize) -> Option<usize> {
    match segments.partition_point(|s| s.out <= at) {
        0 => None,
        n => Some(n - 1),
    }
}

/// The values entries that explain the rendered text at `span`: values read by the actions that
/// wrote it, kept when the rendered text shows them (a scalar's text, or an entry with the same key
/// and value inside a map or list the action printed whole with `toYaml`).
pub fn value_origins(segments: &[Segment], output: &str, span: Span, prov: &Provenance) -> Vec<Origin> {
    // Only the finding's first line: a finding on a whole object (`spec:`) is not about the values
    // printed somewhere inside it.
    let line_end =
        output.get(span.range()).and_then(|t| t.find('\n')).map_or(span.end, |i| span.start + i as u32);
    let span = Span { start: span.start, end: line_end };
    let Some(first) = segment_at(segments, span.start as usize) else { return Vec::new() };
    let text = output.get(span.range()).unwrap_or("");
    let (mut key, scalar) = key_value(text);
    if key.is_none() {
        // A finding on a value (`runAsUser: 0` underlining `0`): its key is before it on the line.
        let before = output.get(..span.start as usize).unwrap_or("");
        let line = &before[before.rfind('\n').map_or(0, |i| i + 1)..];
        key = line.trim().trim_start_matches("- ").strip_suffix(':').map(str::trim).filter(|k| !k.is_empty());
    }
    let mut out: Vec<Origin> = Vec::new();
    let mut push = |o: &Origin| {
        if !out.contains(o) {
            out.push(o.clone());
        }
    };
    let segs =
        segments[first..].iter().take_while(|s| s.out < (span.end as usize).max(span.start as usize + 1));
    for seg in segs.filter(|s| !s.verbatim) {
        for touch in &seg.touched {
            let Some(container) = prov.get(touch.container) else { continue };
            match &touch.key {
                Some(k) => {
                    let Some(child) = child(&container.value, k) else { continue };
                    let Some(Some(origin)) = container.entries.get(k) else { continue };
                    match child.container_id() {
                        None => {
                            let shown = strval(&child);
                            let shows =
                                if shown.is_empty() { scalar.is_none() } else { text.contains(&shown) };
                            if shows {
                                push(origin);
                            }
                        }
                        Some(id) => {
                            if let Some(o) = find_entry(prov, id, key, scalar, 0) {
                                push(&o);
                            }
                        }
                    }
                }
                None => {
                    if let Some(o) = find_entry(prov, touch.container, key, scalar, 0) {
                        push(&o);
                    }
                }
            }
        }
    }
    out
}

fn child(v: &Value, key: &str) -> Option<Value> {
    match v {
        Value::Map(m) => m.get(key),
        Value::List(l) => key.parse::<usize>().ok().and_then(|i| l.get(i).cloned()),
        _ => None,
    }
}

/// `key: value` on the first line of a rendered YAML snippet (`- key: value` too).
fn key_value(text: &str) -> (Option<&str>, Option<&str>) {
    let line = text.lines().next().unwrap_or("").trim().trim_start_matches("- ");
    let split = if line.starts_with(['"', '\'']) {
        None
    } else {
        line.split_once(": ").or_else(|| line.strip_suffix(':').map(|k| (k, "")))
    };
    match split {
        Some((k, v)) => {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
            (Some(k.trim()), (!v.is_empty()).then_some(v))
        }
        None => (None, Some(line.trim_matches(|c| c == '"' || c == '\'')).filter(|s| !s.is_empty())),
    }
}

/// An entry under container `id` with this key (and this scalar text, when there is one).
fn find_entry(
    prov: &Provenance,
    id: usize,
    key: Option<&str>,
    scalar: Option<&str>,
    depth: usize,
) -> Option<Origin> {
    let container = prov.get(id)?;
    if depth > 32 {
        return None;
    }
    for (k, origin) in &container.entries {
        let Some(v) = child(&container.value, k) else { continue };
        match v.container_id() {
            Some(inner) => {
                if key == Some(k.as_str()) && scalar.is_none() {
                    return origin.clone();
                }
                if let Some(o) = find_entry(prov, inner, key, scalar, depth + 1) {
                    return Some(o);
                }
            }
            None => {
                let key_matches = key.is_none_or(|want| want == k);
                let value_matches = scalar.is_none_or(|want| strval(&v) == want);
                if key_matches && value_matches && (key.is_some() || scalar.is_some()) {
                    return origin.clone();
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(out: usize, start: usize, end: usize, verbatim: bool) -> Segment {
        Segment { out, file: Arc::from("t.yaml"), span: Span::new(start, end), verbatim, touched: Vec::new() }
    }

    #[test]
    fn verbatim_text_maps_byte_for_byte_and_actions_map_to_the_action() {
        // Template `a: {{ .x }}\nb: 1\n` rendered as `a: 5\nb: 1\n`.
        let segments = vec![seg(0, 0, 3, true), seg(3, 3, 11, false), seg(4, 11, 17, true)];
        assert_eq!(locate(&segments, Span::new(0, 4)).map(|m| m.span), Some(Span::new(0, 3)));
        assert_eq!(locate(&segments, Span::new(3, 4)).map(|m| m.span), Some(Span::new(3, 11)));
        assert_eq!(locate(&segments, Span::new(5, 9)).map(|m| m.span), Some(Span::new(12, 16)));
        assert_eq!(locate(&[], Span::new(0, 1)), None);
    }

    #[test]
    fn key_value_reads_the_first_line() {
        assert_eq!(key_value("privileged: true"), (Some("privileged"), Some("true")));
        assert_eq!(key_value("- name: x\n  y: 1"), (Some("name"), Some("x")));
        assert_eq!(key_value("\"nginx:latest\""), (None, Some("nginx:latest")));
        assert_eq!(key_value("securityContext:\n  a: 1"), (Some("securityContext"), None));
    }
}
