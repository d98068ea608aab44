//! CI pipelines: GitHub Actions and GitLab CI models, and the shell scripts their jobs run.
//!
//! `jobs` is the system-neutral view the script rules work on: every job of a GitHub workflow,
//! composite action or GitLab pipeline, with its scripts (parsed by `shell`), its environment and how
//! it reacts to failure.

pub mod github;
pub mod gitlab;
pub mod jobs;
pub mod shell;
