//! Helm charts: loaded ([`chart`]), their values merged with origins ([`values`]), rendered in-process
//! by a Go `text/template` engine ([`template`], [`render`]) with a source map from every rendered byte
//! back to the template and values lines that produced it ([`sourcemap`]).
//!
//! [`template`] is hand-written: no maintained crate implements Go's `text/template` (gtmpl 0.7 lacks
//! reassignment, `break`/`continue`, a correct `range … else`, sorted map iteration and a function
//! signature able to express `include`/`tpl`; see `/work/shared/FACTS.md`).

pub mod chart;
pub(crate) mod check;
pub mod manifests;
pub mod objects;
pub mod render;
pub mod sourcemap;
pub mod template;
pub mod values;
