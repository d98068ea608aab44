//! Checks the condition language cannot express, written in Rust. Each is still described by a rule
//! file under `rules/` (`native = "name"`), which carries its metadata, docs and examples.

mod ci_imperative_change;
mod ci_missing_rollback_path;
mod ci_non_atomic_deploy;
mod ci_plaintext_transport;
mod ci_tool_unpinned;
mod gha_excessive_permissions;
mod gha_script_injection;
mod gha_untrusted_checkout;
mod gitlab_include_unpinned;
mod gitlab_script_injection;
mod hardcoded_secret;
mod suspicious_comment;
mod untrusted_artifact;

use super::{FileView, RawFinding};

pub type NativeFn = fn(&FileView<'_>) -> Vec<RawFinding>;

/// The registry of native checks, by the name rule files use.
const NATIVE: &[(&str, NativeFn)] = &[
    ("hardcoded-secret", hardcoded_secret::check),
    ("suspicious-comment", suspicious_comment::check),
    ("ci-plaintext-transport", ci_plaintext_transport::check),
    ("ci-tool-unpinned", ci_tool_unpinned::check),
    ("ci-imperative-change", ci_imperative_change::check),
    ("ci-non-atomic-deploy", ci_non_atomic_deploy::check),
    ("ci-missing-rollback-path", ci_missing_rollback_path::check),
    ("gitlab-script-injection", gitlab_script_injection::check),
    ("gha-script-injection", gha_script_injection::check),
    ("gha-untrusted-checkout", gha_untrusted_checkout::check),
    ("gha-excessive-permissions", gha_excessive_permissions::check),
    ("gitlab-include-unpinned", gitlab_include_unpinned::check),
];

pub fn lookup(name: &str) -> Option<NativeFn> {
    NATIVE.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
