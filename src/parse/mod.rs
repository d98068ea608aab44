//! Parsers: tree-sitter syntax trees lowered into the [`crate::model`].

pub mod hcl;
pub mod yaml;

/// Bounds that keep hostile input from exhausting time, stack or memory.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Deepest nesting of maps, lists and expressions lowered; deeper nodes become a `Limit` issue.
    pub max_depth: usize,
    /// Most nodes that YAML aliases may copy into one file before expansion stops with a `Limit` issue.
    pub max_alias_nodes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_depth: 256, max_alias_nodes: 100_000 }
    }
}

/// Node kind names by id. `tree_sitter::Node::kind` measures and UTF-8-checks the C string on every
/// call, which was a tenth of the lowering's cost; the names are read once per language instead.
pub(crate) struct NodeKinds {
    language: fn() -> tree_sitter::Language,
    names: std::sync::OnceLock<Vec<Box<str>>>,
}

impl NodeKinds {
    pub(crate) const fn new(language: fn() -> tree_sitter::Language) -> NodeKinds {
        NodeKinds { language, names: std::sync::OnceLock::new() }
    }

    /// The same text as `node.kind()`.
    pub(crate) fn of<'t>(&'static self, node: tree_sitter::Node<'t>) -> &'t str {
        let names = self.names.get_or_init(|| {
            let language = (self.language)();
            (0..language.node_kind_count())
                .map(|id| u16::try_from(id).ok().and_then(|id| language.node_kind_for_id(id)).unwrap_or(""))
                .map(Box::from)
                .collect()
        });
        match names.get(usize::from(node.kind_id())) {
            Some(name) if !name.is_empty() => name,
            // `ERROR` has an id past the table.
            _ => node.kind(),
        }
    }
}

#[cfg(test)]
mod kind_tests {
    use super::NodeKinds;

    static HCL: NodeKinds = NodeKinds::new(|| tree_sitter_hcl::LANGUAGE.into());

    #[test]
    fn kind_names_match_tree_sitter() {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&tree_sitter_hcl::LANGUAGE.into()).unwrap_or_else(|e| panic!("{e}"));
        let tree = parser
            .parse("a = { b = [1, \"x${y}\"] }\nresource \"t\" \"n\" { = }\n# c\n", None)
            .unwrap_or_else(|| panic!("no tree"));
        let mut stack = vec![tree.root_node()];
        let mut seen = 0;
        while let Some(n) = stack.pop() {
            assert_eq!(HCL.of(n), n.kind());
            seen += 1;
            stack.extend((0..n.child_count()).filter_map(|i| n.child(i)));
        }
        assert!(seen > 20);
    }
}
