//! Terraform's partial evaluator: what a module's expressions are, where that can be known statically.
//!
//! [`evaluate_module`] takes the documents of one module folder (and the `.tfvars` files beside it) and
//! returns copies in which every expression whose value can be computed is replaced by that value,
//! keeping the span of the expression the user wrote. Variables come from their `default`, overridden by
//! `terraform.tfvars` and then `*.auto.tfvars` in lexical order; locals from `locals` blocks; then
//! templates, conditionals, operators and the common functions. Everything else — resource attributes,
//! `count`/`each`, `module.*`, `path.*`, a variable with no value — stays an [`crate::model::Expr`], so
//! rules keep treating it as unknown.

mod eval;
mod functions;
mod iterate;
mod modules;
mod policy;
mod prune;
#[cfg(test)]
mod tests;
mod types;

pub use eval::{
    COMMAND_LINE, CliValue, Env, EvalOutput, FileReader, ModuleFile, Origin, evaluate_call, evaluate_module,
};
pub use modules::{Call, ModuleInput, calls, join, local_calls, modules_json, relative};
