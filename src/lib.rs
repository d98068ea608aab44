//! smelt: a linter for infrastructure-as-code and delivery pipelines.
//!
//! Data flows one way: [`discover`] finds files, [`parse`] turns them into the [`model`], [`rules`] turn
//! the model into findings, [`engine`] runs it all in parallel and applies suppressions, and [`report`]
//! renders the result. The CLI in [`cli`] is a thin layer over [`engine::check`]; nothing below it prints.

pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod date;
pub mod discover;
pub mod engine;
pub mod envs;
pub mod finding;
pub mod helm;
pub mod lsp;
pub mod model;
pub mod parse;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod shard;
pub mod source;
pub mod span;
pub mod suppress;
pub mod terraform;
pub mod workspace;
