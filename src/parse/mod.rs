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
