//! Checks the condition language cannot express, written in Rust. Each is still described by a rule
//! file under `rules/` (`native = "name"`), which carries its metadata, docs and examples.

mod hardcoded_secret;
mod suspicious_comment;

use super::{FileView, RawFinding};

pub type NativeFn = fn(&FileView<'_>) -> Vec<RawFinding>;

/// The registry of native checks, by the name rule files use.
const NATIVE: &[(&str, NativeFn)] =
    &[("hardcoded-secret", hardcoded_secret::check), ("suspicious-comment", suspicious_comment::check)];

pub fn lookup(name: &str) -> Option<NativeFn> {
    NATIVE.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
