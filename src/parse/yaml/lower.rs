//! Syntax tree → model, with an explicit stack of open collections instead of recursion: in a debug
//! build each recursive level costs kilobytes of stack, and `max_depth` levels of that would not fit
//! in a small thread stack.

use std::collections::HashSet;

use tree_sitter::Node as TsNode;

use super::{Kind, Lowerer, scalar};
use crate::model::{Entry, Node, Value};
use crate::span::Span;

/// An anchored node and what cloning it costs. `node` is `None` when it was too big to keep: any
/// alias to it would blow the alias budget anyway.
pub(super) struct Anchor {
    node: Option<Node>,
    size: Size,
}

/// Nodes in a subtree and its collection height, tracked bottom-up so anchors cost O(1) to price.
#[derive(Clone, Copy, Default)]
pub(super) struct Size {
    pub(super) nodes: usize,
    pub(super) height: usize,
}

impl Size {
    pub(super) const LEAF: Size = Size { nodes: 1, height: 0 };
}

/// Where a finished child goes in the collection that asked for it.
#[derive(Clone, Copy)]
enum Slot {
    Item,
    Key,
    Value,
}

enum Task<'t> {
    Node(TsNode<'t>),
    /// No node in the source (`key:`, `-`, `{a}`): null, placed at this offset.
    Empty(usize),
    /// `[a: 1]`: a flow pair inside a list is a one-entry map.
    Pair(TsNode<'t>),
}

/// A map or list being built.
struct Frame<'t> {
    span: Span,
    tag: Option<Box<str>>,
    anchor: Option<String>,
    depth: usize,
    is_map: bool,
    tasks: std::vec::IntoIter<(Slot, Task<'t>)>,
    slot: Slot,
    items: Vec<Node>,
    entries: Vec<Entry>,
    key: Option<(String, Span)>,
    size: Size,
}

enum Started<'t> {
    Done(Node, Size),
    Open(Frame<'t>),
    /// An ERROR node with nothing salvageable.
    Nothing(Span),
}

impl Lowerer<'_> {
    /// Lowers the value `n` (a document's content or a broken region); `None` if nothing is usable.
    pub(super) fn lower<'t>(&mut self, n: TsNode<'t>) -> Option<Node> {
        let mut stack: Vec<Frame<'t>> = Vec::new();
        let mut started = self.start(n, 0);
        loop {
            let (node, size) = match started {
                Started::Open(frame) => {
                    stack.push(frame);
                    started = self.next(&mut stack)?;
                    continue;
                }
                Started::Done(node, size) => (node, size),
                Started::Nothing(span) if !stack.is_empty() => {
                    (Self::unknown(span, ""), Size { nodes: 1, height: 0 })
                }
                Started::Nothing(_) => return None,
            };
            match stack.last_mut() {
                None => return Some(node),
                Some(top) => self.deliver(top, node, size),
            }
            started = self.next(&mut stack)?;
        }
    }

    /// Starts the next task of the innermost open collection, closing collections that are done.
    /// `None` never happens while a frame is open; it only ends `lower` defensively.
    fn next<'t>(&mut self, stack: &mut Vec<Frame<'t>>) -> Option<Started<'t>> {
        loop {
            let top = stack.last_mut()?;
            if let Some((slot, task)) = top.tasks.next() {
                top.slot = slot;
                let depth = top.depth + 1;
                return Some(match task {
                    Task::Node(n) => self.start(n, depth),
                    Task::Empty(at) => {
                        Started::Done(Node::new(Span::new(at, at), Value::Null), Size { nodes: 1, height: 0 })
                    }
                    Task::Pair(p) => self.collection(p, None, None, depth),
                });
            }
            let frame = stack.pop()?;
            let (node, size) = self.close(frame);
            match stack.last_mut() {
                None => return Some(Started::Done(node, size)),
                Some(parent) => self.deliver(parent, node, size),
            }
        }
    }

    fn deliver<'t>(&self, frame: &mut Frame<'t>, node: Node, size: Size) {
        frame.size.nodes = frame.size.nodes.saturating_add(size.nodes);
        frame.size.height = frame.size.height.max(size.height + 1);
        match frame.slot {
            Slot::Item => frame.items.push(node),
            Slot::Key => frame.key = Some((self.key_text(&node), node.span)),
            Slot::Value => {
                let (key, key_span) = frame.key.take().unwrap_or_default();
                frame.entries.push(Entry { key, key_span, value: node });
            }
        }
    }

    fn close<'t>(&mut self, f: Frame<'t>) -> (Node, Size) {
        let value = if f.is_map { Value::Map(self.merge(f.entries)) } else { Value::List(f.items) };
        let mut node = Node::new(f.span, value);
        node.tag = f.tag.map(Into::into);
        let size = Size { nodes: f.size.nodes, height: f.size.height.max(1) };
        self.anchor(f.anchor, &node, size);
        (node, size)
    }

    pub(super) fn anchor(&mut self, name: Option<String>, node: &Node, size: Size) {
        let Some(name) = name else { return };
        // Keeping a copy of every anchored subtree could be quadratic for nested anchors, so copies
        // share the alias budget's scale.
        let keep = size.nodes <= self.limits.max_alias_nodes
            && self.anchor_nodes_kept.saturating_add(size.nodes)
                <= self.limits.max_alias_nodes.saturating_mul(4);
        if keep {
            self.anchor_nodes_kept = self.anchor_nodes_kept.saturating_add(size.nodes);
        }
        self.anchors.insert(name, Anchor { node: keep.then(|| node.clone()), size });
    }

    /// Reads a node's properties and lowers its content, or opens a frame if it is a collection.
    fn start<'t>(&mut self, n: TsNode<'t>, depth: usize) -> Started<'t> {
        let (mut anchor, mut tag, mut content) = (None, None, None);
        let mut n = n;
        // ERROR regions and documents wrap the value to lower; unwrap them without recursion.
        for _ in 0..self.limits.max_depth {
            match n.ty() {
                "flow_node" | "block_node" => {
                    let mut cursor = n.walk();
                    for c in n.named_children(&mut cursor) {
                        match c.ty() {
                            "anchor" => anchor = c.named_child(0).map(|a| self.src(a).to_string()),
                            "tag" => tag = Some(self.src(c)),
                            "comment" | "ERROR" => {}
                            _ => content = content.or(Some(c)),
                        }
                    }
                    break;
                }
                "document" => {
                    let mut cursor = n.walk();
                    let inner = n.named_children(&mut cursor).find(|c| super::is_value(c.ty()));
                    match inner {
                        Some(inner) => n = inner,
                        None => return Started::Nothing(self.span(n)),
                    }
                }
                "ERROR" => {
                    let mut cursor = n.walk();
                    let kids: Vec<TsNode<'t>> = n.named_children(&mut cursor).collect();
                    if kids.iter().any(|k| k.ty().ends_with("_pair") || k.ty() == "block_sequence_item") {
                        content = Some(n);
                        break;
                    }
                    let inner = kids.into_iter().find(|k| super::is_value(k.ty()) || k.ty() == "document");
                    match inner {
                        Some(inner) => n = inner,
                        None => return Started::Nothing(self.span(n)),
                    }
                }
                _ => {
                    content = Some(n);
                    break;
                }
            }
        }
        let leaf = Size { nodes: 1, height: 0 };
        let Some(c) = content else {
            // Only properties (`key: !!null`, `&a`): an empty scalar.
            let mut node = Node::new(self.span(n), Value::Null);
            node.tag = tag.map(Into::into);
            self.anchor(anchor, &node, leaf);
            return Started::Done(node, leaf);
        };
        let span = self.span(c);
        let raw = self.src(c);
        let value = match c.ty() {
            "plain_scalar" if tag == Some("!!str") => Value::Str(scalar::fold_plain(raw)),
            "plain_scalar" if self.schema == super::Schema::Yaml11 => {
                scalar::plain_value_yaml11(scalar::fold_plain(raw))
            }
            "plain_scalar" => scalar::plain_value(scalar::fold_plain(raw)),
            "double_quote_scalar" => Value::Str(scalar::fold_quoted(super::strip_quotes(raw), true)),
            "single_quote_scalar" => Value::Str(scalar::fold_quoted(super::strip_quotes(raw), false)),
            "block_scalar" => {
                let (start, end) = (self.base + c.start_byte(), self.base + c.end_byte());
                let (s, content_end) = scalar::block(self.text, start, end, super::block_parent_indent(c));
                let mut node = Node::new(Span::new(start, content_end), Value::Str(s));
                node.tag = tag.map(Into::into);
                self.anchor(anchor, &node, leaf);
                return Started::Done(node, leaf);
            }
            "alias" => {
                let (mut node, size) = self.alias(c, depth);
                node.tag = tag.map(Into::into).or(node.tag);
                return Started::Done(node, size);
            }
            "block_mapping" | "flow_mapping" | "block_sequence" | "flow_sequence" | "flow_pair" | "ERROR" => {
                return self.collection(c, tag, anchor, depth);
            }
            _ => Value::Str(raw.to_string()),
        };
        let mut node = Node::new(span, value);
        node.tag = tag.map(Into::into);
        self.anchor(anchor, &node, leaf);
        Started::Done(node, leaf)
    }

    fn collection<'t>(
        &mut self,
        c: TsNode<'t>,
        tag: Option<&str>,
        anchor: Option<String>,
        depth: usize,
    ) -> Started<'t> {
        let span = self.span(c);
        if depth >= self.limits.max_depth {
            self.depth_limit(span);
            return Started::Done(Self::unknown(span, self.src(c)), Size { nodes: 1, height: 0 });
        }
        let mut cursor = c.walk();
        let kids: Vec<TsNode<'t>> = c.named_children(&mut cursor).collect();
        let is_map = match c.ty() {
            "block_mapping" | "flow_mapping" | "flow_pair" => true,
            "ERROR" => kids.iter().any(|k| k.ty().ends_with("_pair")),
            _ => false,
        };
        let mut tasks = Vec::new();
        // A flow pair stands for itself when a list holds it.
        let kids = if c.ty() == "flow_pair" { vec![c] } else { kids };
        for k in kids {
            let (start, end) = (self.base + k.start_byte(), self.base + k.end_byte());
            match (is_map, k.ty()) {
                (true, "block_mapping_pair" | "flow_pair") => {
                    let key = k.child_by_field_name("key").map_or(Task::Empty(start), Task::Node);
                    let value = k.child_by_field_name("value").map_or(Task::Empty(end), Task::Node);
                    tasks.extend([(Slot::Key, key), (Slot::Value, value)]);
                }
                (true, "flow_node") => {
                    tasks.extend([(Slot::Key, Task::Node(k)), (Slot::Value, Task::Empty(end))])
                }
                (false, "block_sequence_item") => {
                    let mut cursor = k.walk();
                    let value = k.named_children(&mut cursor).find(|v| super::is_value(v.ty()));
                    tasks.push((Slot::Item, value.map_or(Task::Empty(start + 1), Task::Node)));
                }
                (false, "flow_pair") => tasks.push((Slot::Item, Task::Pair(k))),
                (false, kind) if super::is_value(kind) && c.ty() != "ERROR" => {
                    tasks.push((Slot::Item, Task::Node(k)))
                }
                _ => {}
            }
        }
        Started::Open(Frame {
            span,
            tag: tag.map(Into::into),
            anchor,
            depth,
            is_map,
            tasks: tasks.into_iter(),
            slot: Slot::Item,
            items: Vec::new(),
            entries: Vec::new(),
            key: None,
            size: Size { nodes: 1, height: 1 },
        })
    }

    fn depth_limit(&mut self, span: Span) {
        if !self.depth_limit_hit {
            self.depth_limit_hit = true;
            let msg = format!(
                "nesting deeper than {} levels; the content below was not read",
                self.limits.max_depth
            );
            self.limit(span, msg);
        }
    }

    fn alias<'t>(&mut self, c: TsNode<'t>, depth: usize) -> (Node, Size) {
        self.alias_named(self.span(c), self.src(c), depth)
    }

    /// The copy of the anchored node that the alias `raw` (`*name`) at `span` stands for, or an
    /// unknown node and an issue when there is none or it would break a limit.
    pub(super) fn alias_named(&mut self, span: Span, raw: &str, depth: usize) -> (Node, Size) {
        let name = raw.trim_start_matches('*');
        let unknown = |raw| (Self::unknown(span, raw), Size { nodes: 1, height: 0 });
        let Some(anchor) = self.anchors.get(name) else {
            self.syntax(
                span,
                format!("alias '{raw}' refers to no anchor '&{name}' defined before it in this document"),
            );
            return unknown(raw);
        };
        let size = anchor.size;
        if depth.saturating_add(size.height) > self.limits.max_depth {
            self.depth_limit(span);
            return unknown(raw);
        }
        let used = self.alias_budget_used.saturating_add(size.nodes);
        let node = anchor.node.as_ref().filter(|_| used <= self.limits.max_alias_nodes).cloned();
        let Some(node) = node else {
            if !self.alias_limit_hit {
                self.alias_limit_hit = true;
                let msg = format!(
                    "YAML aliases expand to more than {} nodes; expansion stopped here",
                    self.limits.max_alias_nodes
                );
                self.limit(span, msg);
            }
            return unknown(raw);
        };
        self.alias_budget_used = used;
        (node, size)
    }

    pub(super) fn key_text(&self, key: &Node) -> String {
        match &key.value {
            Value::Str(s) => s.clone(),
            Value::Null if key.span.is_empty() => String::new(),
            _ => self.text.get(key.span.range()).unwrap_or("").to_string(),
        }
    }

    /// Applies `<<` merge keys: merged entries go after the map's own, and never override a key the
    /// map spells out itself, wherever it appears.
    pub(super) fn merge(&self, entries: Vec<Entry>) -> Vec<Entry> {
        let is_merge = |e: &Entry| e.key == "<<" && self.text.get(e.key_span.range()) == Some("<<");
        let mergeable = |n: &Node| match &n.value {
            Value::Map(_) => true,
            Value::List(items) => items.iter().all(|i| matches!(i.value, Value::Map(_))),
            _ => false,
        };
        if !entries.iter().any(|e| is_merge(e) && mergeable(&e.value)) {
            return entries;
        }
        let (merges, mut own): (Vec<Entry>, Vec<Entry>) =
            entries.into_iter().partition(|e| is_merge(e) && mergeable(&e.value));
        let mut seen: HashSet<String> = own.iter().map(|e| e.key.clone()).collect();
        for m in merges {
            let sources = match m.value.value {
                Value::Map(entries) => vec![entries],
                Value::List(items) => items
                    .into_iter()
                    .map(|i| match i.value {
                        Value::Map(e) => e,
                        _ => Vec::new(),
                    })
                    .collect(),
                _ => Vec::new(),
            };
            // Within `<<: [*a, *b]` the earlier source wins, as YAML specifies.
            for entry in sources.into_iter().flatten() {
                if seen.insert(entry.key.clone()) {
                    own.push(entry);
                }
            }
        }
        own
    }
}
