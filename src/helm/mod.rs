//! Helm chart rendering.
//!
//! [`template`] is a hand-written implementation of Go's `text/template`: no maintained crate implements
//! it (gtmpl 0.7 lacks reassignment, `break`/`continue`, a correct `range … else`, sorted map iteration
//! and a function signature able to express `include`/`tpl`; see `/work/shared/FACTS.md`).

pub mod template;
