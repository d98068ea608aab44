//! Go's `text/template`, hand-written in Rust.
//!
//! No maintained crate implements Go's `text/template` (gtmpl 0.7, from 2021, lacks reassignment,
//! `break`/`continue`, a correct `range … else`, sorted map iteration and a function signature able to
//! express `include`/`tpl`), so this module implements it following Go's `text/template/parse` and
//! `exec.go`: `{{ }}` actions with `{{-`/`-}}` trimming, comments, pipelines, variables (`:=`, `=`),
//! field chains, `if`/`else if`, `range` (with `$i, $v :=`, `else`, `break`, `continue`, integers),
//! `with`/`else with`, `define`/`template`/`block`, Go truthiness and Go's printing of values.
//!
//! Choices, all matching Helm:
//! - Missing map keys evaluate to nil (`missingkey=zero`); a field of a nil met along a field chain is
//!   an error (`nil pointer evaluating interface {}.x`), but a field of a nil held by a variable, a
//!   parenthesized pipeline or dot is nil (Go's invalid value: `(.Values.global).imageRegistry`).
//! - Maps are shared by reference, as Go maps are ([`value::Dict`]): `set`/`unset`/`merge` change the map
//!   every other reference sees. Slices and maps remember their Go type (`[]string` from `splitList`,
//!   `common.Values` for `.Values`, which the chart loader should mark with [`value::Elem::Values`]).
//! - A nil printed by an action prints `<no value>`, as Go does; [`Templates::render_helm`] then removes
//!   every `<no value>` from the output, exactly as Helm's engine does after executing each template.
//! - Functions live in a [`Funcs`] table ([`Funcs::go`] for Go's builtins, [`Funcs::helm`] adds
//!   Sprig/Helm functions); a function receives the execution [`State`], so `include` can call back into
//!   the template set.
//! - Host objects with methods (Helm's `.Files.Get "x"`, `.Capabilities.APIVersions.Has "v1"`) are
//!   [`value::Object`]s inside a [`Value`].
//! - `tpl` parses and runs a string with access to the set ([`State::execute_inline`]).
//! - Execution is bounded by [`Limits`] (template call depth, bytes written, steps), by
//!   [`exec::STACK_BUDGET`] (stack used by nesting) and parsing by [`parse::MAX_NESTING`]: hostile
//!   templates give an error, never a hang or a stack overflow.
//! - Values are what the caller passes: Helm's values are float64 everywhere (they go through JSON), so
//!   `eq .Values.replicas 2` is an error in Helm; the chart loader should produce `Value::Float` for them.
//!   Sprig's integer arithmetic gives `Value::Int64` (Go's `int64`), literals and `len` `Value::Int`.
//! - Walking a value (printing, encoding, comparing, copying, merging) is bounded in depth, node count
//!   and size ([`collections::MAX_NESTING`], [`collections::MAX_WALK`], [`collections::MAX_PRINT`]):
//!   Go lets a map contain itself, and a map shared at every level prints exponentially large.
//!
//! `testdata/helm_oracle.json` holds cases rendered by real Helm 4.2.3 (see `testdata/gen_helm_oracle.py`;
//! one or more per function, with edge cases and errors); the tests check that this engine gives the
//! same output, or an error on the same line. Random and clock functions are checked by their shape.
//!
//! Every node keeps its byte span in its file, and errors carry the file and line.

pub mod collections;
pub mod exec;
pub mod format;
pub mod funcs;
pub mod lex;
pub mod parse;
pub mod value;
pub mod yaml;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::Arc;

pub use exec::{CallError, Entry, ErrorKind, ExecError, Limits, State};
pub use funcs::{Arity, Func, Funcs};
pub use parse::{ParseError, Tree};
pub use value::Value;

/// A set of named templates (files and their `define`s) sharing one function table.
#[derive(Clone)]
pub struct Templates {
    entries: HashMap<String, Entry>,
    funcs: Arc<Funcs>,
    pub limits: Limits,
}

impl Templates {
    pub fn new(funcs: Funcs) -> Templates {
        Templates { entries: HashMap::new(), funcs: Arc::new(funcs), limits: Limits::default() }
    }

    /// Parses `src` as the template `name` (its file) and adds it and its `define`s to the set. As in Go,
    /// a later definition replaces an earlier one unless it is empty (only whitespace).
    pub fn add(&mut self, name: &str, src: &str) -> Result<(), ParseError> {
        let funcs = Arc::clone(&self.funcs);
        let trees = parse::parse(name, src, &|f| funcs.contains(f))?;
        let file: Arc<str> = Arc::from(name);
        let source: Arc<str> = Arc::from(src);
        for tree in trees {
            if parse::is_empty(&tree)
                && self.entries.get(&tree.name).is_some_and(|e| !parse::is_empty(&e.tree))
            {
                continue;
            }
            let entry = Entry { tree: Arc::new(tree), file: Arc::clone(&file), source: Arc::clone(&source) };
            self.entries.insert(entry.tree.name.clone(), entry);
        }
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.entries.get(name)
    }

    /// Executes the template `name` with `data` as dot and `$`, as Go's `ExecuteTemplate` does.
    pub fn execute(&self, name: &str, data: &Value) -> Result<String, Box<ExecError>> {
        State::new(&self.entries, &self.funcs, self.limits).execute(name, data)
    }

    /// [`Templates::execute`], recording which node wrote each stretch of output and which of the
    /// `watched` containers it read ([`exec::Trace`]). The output is Go's, before Helm's post-processing.
    pub fn execute_traced(
        &self,
        name: &str,
        data: &Value,
        watched: std::collections::HashSet<usize>,
    ) -> (Result<String, Box<ExecError>>, exec::Trace) {
        State::new(&self.entries, &self.funcs, self.limits).execute_traced(name, data, watched)
    }

    /// [`Templates::execute`], then Helm's post-processing: every `<no value>` is removed.
    pub fn render_helm(&self, name: &str, data: &Value) -> Result<String, Box<ExecError>> {
        self.execute(name, data).map(|s| s.replace("<no value>", ""))
    }
}
