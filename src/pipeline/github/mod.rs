//! GitHub Actions: the `${{ … }}` expression language and a view of workflows and actions.
//!
//! Native checks in `src/rules/native/gha_*.rs` are built on these.

pub mod calls;
pub mod expr;
pub mod outputs;
pub mod scopes;
pub mod taint;
pub mod workflow;
