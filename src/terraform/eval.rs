//! The evaluator proper: variables, locals, references, templates, conditionals and operators.

use foldhash::HashMap;
use std::sync::Arc;

use super::modules::ModuleInput;
use super::types::Type;
use super::{functions, iterate, policy, prune};
use crate::model::{Entry, Expr, Node, Value, format_number};
use crate::span::Span;

/// Deepest expression nesting evaluated; deeper expressions stay unknown.
const MAX_EVAL_DEPTH: usize = 64;
/// Deepest document nesting searched for expressions to replace.
const MAX_WALK_DEPTH: usize = 300;
/// Evaluation steps (and copied nodes) one module may cost.
const BUDGET: usize = 2_000_000;
/// Largest value (in nodes) an expression may produce.
pub(super) const MAX_VALUE_NODES: usize = 100_000;
/// Longest string an expression may produce.
pub(super) const MAX_STRING: usize = 1 << 20;

/// One file of a module (or a `.tfvars` file beside it).
pub struct ModuleFile<'a> {
    pub path: &'a str,
    /// The file's text (for spans inside strings, such as a policy in a heredoc); may be empty.
    pub text: &'a str,
    pub docs: &'a [Node],
}

/// Where a value came from: the variable default, `.tfvars` entry or local that set it.
#[derive(Clone, Debug, PartialEq)]
pub struct Origin {
    pub path: String,
    pub span: Span,
}

/// The module's documents after evaluation, per input file: `None` when nothing changed. `origins`
/// lists, per file, the span of each replaced expression and where its value was set; `skipped`, the
/// blocks left out because their `count` or `for_each` is known to create nothing.
#[derive(Debug, Default)]
pub struct EvalOutput {
    pub docs: Vec<Option<Vec<Node>>>,
    pub origins: Vec<Vec<(Span, Origin)>>,
    pub skipped: Vec<Vec<Span>>,
}

/// Reads the files `file()`, `fileexists()` and `templatefile()` name. Paths are display paths
/// (relative to where smelt runs, or absolute); the reader answers `None` for anything it will not
/// read (outside the scanned root, too large, not text), which leaves the call unknown.
pub trait FileReader {
    fn read(&self, path: &str) -> Option<Arc<str>>;
    fn exists(&self, path: &str) -> Option<bool>;
}

/// Where the evaluated module sits.
pub struct Env<'a> {
    /// `path.module`: the module's folder relative to the root module's (`.` for the root itself).
    pub module_path: String,
    /// The root module's folder as a display path: relative paths in `file()` start there.
    pub root_dir: String,
    pub files: Option<&'a dyn FileReader>,
}

impl<'a> Env<'a> {
    /// The environment of a folder checked as a root module.
    pub fn root(dir: &str, files: Option<&'a dyn FileReader>) -> Env<'a> {
        Env { module_path: ".".to_string(), root_dir: dir.to_string(), files }
    }
}

/// A value the command line sets for a root module's variables: a `--var-file` or a `--var`.
pub enum CliValue<'a> {
    File(ModuleFile<'a>),
    /// `--var name=text`: `literal` is `text` as a string, `parsed` is `text` read as an expression
    /// (used for variables of a collection or structural type, as Terraform does).
    Var {
        name: &'a str,
        literal: &'a Node,
        parsed: Option<&'a Node>,
    },
}

/// Where a `--var` value is said to come from: not a file, so findings get no related location.
pub const COMMAND_LINE: &str = "<command line>";

/// Why an expression has no value: it cannot be known statically, or Terraform would reject it
/// (which `try` and `can` react to).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Fail {
    Unknown,
    Error,
}

pub(super) type Ev = Result<Node, Fail>;

enum LocalState {
    InProgress,
    Done(Ev, Option<Origin>),
}

/// A variable's value, the file that set it, and its type.
#[derive(Clone)]
struct Var<'a> {
    value: &'a Node,
    path: &'a str,
    ty: Type,
}

pub(super) struct Ctx<'a> {
    /// The value each variable has, with where it was set; `None`: unknown.
    vars: HashMap<&'a str, Option<Var<'a>>>,
    locals: HashMap<&'a str, (&'a Node, &'a str)>,
    local_state: HashMap<&'a str, LocalState>,
    /// Names bound by the `for` expressions (or `templatefile` variables) being evaluated, innermost
    /// last.
    pub(super) scopes: Vec<(String, Node)>,
    /// Evaluating a `templatefile` template: only its own variables are in scope.
    pub(super) isolated: bool,
    pub(super) env: &'a Env<'a>,
    /// Inside a `resource` or `data` block, where policy documents are decoded.
    in_resource: bool,
    /// The text of the file being evaluated.
    pub(super) text: &'a str,
    budget: usize,
    /// The first variable or local the current expression's value came through.
    origin: Option<Origin>,
    /// Set when an evaluation hit the depth limit: its unknown depends on where it started, so a
    /// local evaluated then is not cached.
    cut: bool,
}

/// Evaluates `files` (one module folder, checked as a root module) with `vars_files` (the `.tfvars`
/// files in the same folder) and the command line's values.
pub fn evaluate_module(
    files: &[ModuleFile<'_>],
    vars_files: &[ModuleFile<'_>],
    cli: &[CliValue<'_>],
    env: &Env<'_>,
) -> EvalOutput {
    evaluate(Ctx::new(files, vars_files, cli, None, env), files)
}

/// Evaluates `files` (a child module folder) as called with `inputs`: a variable the call sets takes
/// the caller's value (unknown if the caller's is), one it leaves out keeps its default; `.tfvars`
/// files beside the child are not read (Terraform reads them only for the root module).
pub fn evaluate_call(files: &[ModuleFile<'_>], inputs: &[ModuleInput<'_>], env: &Env<'_>) -> EvalOutput {
    evaluate(Ctx::new(files, &[], &[], Some(inputs), env), files)
}

fn evaluate<'a>(mut ctx: Ctx<'a>, files: &[ModuleFile<'a>]) -> EvalOutput {
    let mut out = EvalOutput::default();
    for file in files {
        ctx.text = file.text;
        let mut origins = Vec::new();
        let mut skipped = Vec::new();
        let mut copies = Vec::with_capacity(file.docs.len());
        for doc in file.docs {
            let mut copy = None;
            ctx.replace_in(doc, &mut copy, 0, &mut origins);
            if let Some(pruned) = prune::prune(copy.as_ref().unwrap_or(doc), &mut skipped) {
                copy = Some(pruned);
            }
            copies.push(copy);
        }
        // Only the documents nothing changed are copied (a Terraform file has one: none is).
        let changed = copies.iter().any(Option::is_some).then(|| {
            file.docs.iter().zip(copies).map(|(doc, copy)| copy.unwrap_or_else(|| doc.clone())).collect()
        });
        out.docs.push(changed);
        out.origins.push(origins);
        out.skipped.push(skipped);
    }
    out
}

/// The body of each `kind "name" { … }` block in `doc`.
fn blocks<'a>(doc: &'a Node, kind: &str) -> impl Iterator<Item = (&'a str, &'a Node)> {
    doc.entries()
        .iter()
        .filter(move |e| e.key == kind)
        .flat_map(|e| e.value.entries().iter().map(|b| (b.key.as_str(), &b.value)))
}

/// The order Terraform reads automatic variable files in: `terraform.tfvars(.json)`, then
/// `*.auto.tfvars(.json)` by name. Other `.tfvars` files are only read with `-var-file`.
fn vars_file_rank(path: &str) -> Option<(u8, &str)> {
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "terraform.tfvars" => Some((0, name)),
        "terraform.tfvars.json" => Some((1, name)),
        _ if name.ends_with(".auto.tfvars") || name.ends_with(".auto.tfvars.json") => Some((2, name)),
        _ => None,
    }
}

impl<'a> Ctx<'a> {
    pub(super) fn new(
        files: &[ModuleFile<'a>],
        vars_files: &[ModuleFile<'a>],
        cli: &[CliValue<'a>],
        inputs: Option<&[ModuleInput<'a>]>,
        env: &'a Env<'a>,
    ) -> Ctx<'a> {
        let mut vars: HashMap<&str, Option<Decl>> = HashMap::default();
        let mut locals = HashMap::default();
        for file in files {
            for doc in file.docs {
                for (name, body) in blocks(doc, "variable") {
                    vars.insert(name, variable(body, file.path));
                }
                for locals_block in doc.entries().iter().filter(|e| e.key == "locals") {
                    for e in locals_block.value.entries() {
                        locals.insert(e.key.as_str(), (&e.value, file.path));
                    }
                }
            }
        }
        let mut ranked: Vec<_> =
            vars_files.iter().filter_map(|f| vars_file_rank(f.path).map(|r| (r, f))).collect();
        ranked.sort_by(|a, b| a.0.cmp(&b.0));
        let set = |vars: &mut HashMap<&str, Option<Decl<'a>>>, name: &str, value: &'a Node, path| {
            // Values for undeclared variables are ignored (Terraform warns about them).
            if let Some(Some(decl)) = vars.get_mut(name) {
                decl.value = Some((value, path));
            }
        };
        for (_, file) in ranked {
            for e in file.docs.iter().flat_map(|d| d.entries()) {
                set(&mut vars, &e.key, &e.value, file.path);
            }
        }
        for value in cli {
            match value {
                CliValue::File(file) => {
                    for e in file.docs.iter().flat_map(|d| d.entries()) {
                        set(&mut vars, &e.key, &e.value, file.path);
                    }
                }
                CliValue::Var { name, literal, parsed } => {
                    let Some(Some(decl)) = vars.get_mut(name) else { continue };
                    // Terraform reads `-var` values of string, number and bool variables (and of
                    // untyped ones) literally, and parses the rest as expressions.
                    let primitive = decl.ty.is_primitive() || !decl.typed;
                    match (primitive, parsed) {
                        (true, _) => decl.value = Some((literal, COMMAND_LINE)),
                        (false, Some(parsed)) => decl.value = Some((parsed, COMMAND_LINE)),
                        (false, None) => {
                            vars.insert(name, None);
                        }
                    }
                }
            }
        }
        for input in inputs.unwrap_or_default() {
            let Some(slot) = vars.get_mut(input.name) else { continue };
            let mut unknown = false;
            input.value.walk(&mut |n| unknown |= n.is_unknown());
            // The caller's expression means something in the caller, not here: unknown stays unknown.
            match slot {
                Some(decl) if !unknown => decl.value = Some((input.value, input.path)),
                _ => *slot = None,
            }
        }
        let vars = vars.into_iter().map(|(name, decl)| (name, decl.and_then(Decl::resolve))).collect();
        Ctx {
            vars,
            locals,
            local_state: HashMap::default(),
            scopes: Vec::new(),
            isolated: false,
            env,
            in_resource: false,
            text: "",
            budget: BUDGET,
            origin: None,
            cut: false,
        }
    }

    /// Replaces known expressions under `node`; `copy` is filled with a changed copy of `node`.
    pub(super) fn replace_in(
        &mut self,
        node: &Node,
        copy: &mut Option<Node>,
        depth: usize,
        origins: &mut Vec<(Span, Origin)>,
    ) {
        if depth > MAX_WALK_DEPTH || self.budget == 0 {
            return;
        }
        match &node.value {
            Value::Expr(_) => {
                self.origin = None;
                if let Ok(mut value) = self.eval(node, 0)
                    && !matches!(value.value, Value::Null)
                {
                    respan(&mut value, node.span);
                    if let Some(origin) = self.origin.take() {
                        origins.push((node.span, origin));
                    }
                    *copy = Some(value);
                }
            }
            Value::List(items) => {
                let mut edits = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let mut inner = None;
                    self.replace_in(item, &mut inner, depth + 1, origins);
                    edits.extend(inner.map(|inner| (i, inner)));
                }
                if !edits.is_empty() {
                    *copy = Some(node.list_with(edits));
                }
            }
            Value::Map(entries) => {
                let mut edits = Vec::new();
                for (i, entry) in entries.iter().enumerate() {
                    // A variable's own declaration is not an expression to evaluate.
                    if depth == 0 && entry.key == "variable" {
                        continue;
                    }
                    let mut inner = None;
                    if depth == 0 {
                        self.in_resource = matches!(entry.key.as_str(), "resource" | "data");
                    }
                    if self.in_resource && depth >= 3 && policy::is_policy_attribute(&entry.key) {
                        inner = policy::decode(self, &entry.value, depth, origins);
                    }
                    if inner.is_none() {
                        self.replace_in(&entry.value, &mut inner, depth + 1, origins);
                    }
                    if let Some(inner) = inner {
                        let changed =
                            Entry { key: entry.key.clone(), key_span: entry.key_span, value: inner };
                        edits.push((i, vec![changed]));
                    }
                }
                if !edits.is_empty() {
                    *copy = Some(node.map_with(edits));
                }
            }
            _ => {}
        }
    }

    /// The first variable or local the last evaluation's value came through, cleared.
    pub(super) fn take_origin(&mut self) -> Option<Origin> {
        self.origin.take()
    }

    pub(super) fn spend(&mut self, cost: usize) -> Result<(), Fail> {
        if self.budget < cost {
            self.budget = 0;
            return Err(Fail::Unknown);
        }
        self.budget -= cost;
        Ok(())
    }

    pub(super) fn eval(&mut self, node: &Node, depth: usize) -> Ev {
        if depth > MAX_EVAL_DEPTH {
            self.cut = true;
            return Err(Fail::Unknown);
        }
        self.spend(1)?;
        match &node.value {
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::Str(_) => Ok(node.clone()),
            Value::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.eval(item, depth + 1)?);
                }
                Ok(Node::new(node.span, Value::List(out)))
            }
            Value::Map(entries) => {
                let mut out = Vec::with_capacity(entries.len());
                for e in entries {
                    let value = self.eval(&e.value, depth + 1)?;
                    out.push(Entry { key: e.key.clone(), key_span: e.key_span, value });
                }
                Ok(Node::new(node.span, Value::Map(out)))
            }
            Value::Expr(expr) => {
                let value = match expr.as_ref() {
                    Expr::Reference(parts) => self.reference(parts, depth)?,
                    Expr::Template(parts) => self.template(node.span, parts, depth)?,
                    Expr::Conditional { cond, then, otherwise } => {
                        self.conditional(cond, then, otherwise, depth)?
                    }
                    Expr::Op { op, operands } => self.operation(node.span, op, operands, depth)?,
                    Expr::Call { name, args, expand } => {
                        functions::call(self, node.span, name, args, *expand, depth)?
                    }
                    Expr::For(f) => iterate::for_expr(self, node.span, f, depth)?,
                    Expr::Traverse { base, steps } => {
                        let base = self.eval(base, depth + 1)?;
                        iterate::apply_steps(self, base, steps, depth)?
                    }
                    Expr::Other(_) => return Err(Fail::Unknown),
                };
                if !within_size(&value) {
                    return Err(Fail::Unknown);
                }
                Ok(value)
            }
        }
    }

    fn reference(&mut self, parts: &[String], depth: usize) -> Ev {
        let Some(root) = parts.first() else { return Err(Fail::Unknown) };
        if let Some((_, bound)) = self.scopes.iter().rev().find(|(name, _)| name == root) {
            let mut value = bound.clone();
            for step in parts.iter().skip(1) {
                value = step_into(value, step)?;
            }
            return Ok(value);
        }
        let Some(name) = parts.get(1) else { return Err(Fail::Unknown) };
        if self.isolated {
            return Err(Fail::Unknown);
        }
        let base = match root.as_str() {
            "var" => self.var(name, depth)?,
            "local" => self.local(name, depth)?,
            "path" => self.path(name)?,
            _ => return Err(Fail::Unknown),
        };
        let mut value = base;
        for step in parts.iter().skip(2) {
            value = step_into(value, step)?;
        }
        Ok(value)
    }

    /// `path.module` and `path.root`, relative to the root module's folder as Terraform gives them;
    /// `path.cwd` depends on where Terraform runs.
    fn path(&self, name: &str) -> Ev {
        let value = match name {
            "module" => self.env.module_path.clone(),
            "root" => ".".to_string(),
            _ => return Err(Fail::Unknown),
        };
        Ok(Node::new(Span::default(), Value::Str(value)))
    }

    /// Runs `f` outside any `for` or template scope: variables and locals see only module scope.
    fn in_module_scope<T>(&mut self, f: impl FnOnce(&mut Self) -> T) -> T {
        let scopes = std::mem::take(&mut self.scopes);
        let isolated = std::mem::replace(&mut self.isolated, false);
        let out = f(self);
        self.scopes = scopes;
        self.isolated = isolated;
        out
    }

    fn var(&mut self, name: &str, depth: usize) -> Ev {
        let Some(Some(var)) = self.vars.get(name).cloned() else {
            return Err(Fail::Unknown);
        };
        let value = self.in_module_scope(|ctx| ctx.eval(var.value, depth + 1))?;
        self.spend(count_nodes(&value, MAX_VALUE_NODES))?;
        if self.origin.is_none() {
            self.origin = Some(Origin { path: var.path.to_string(), span: var.value.span });
        }
        super::types::convert(value, &var.ty)
    }

    fn local(&mut self, name: &str, depth: usize) -> Ev {
        let name: &'a str = match self.locals.get_key_value(name) {
            Some((k, _)) => k,
            None => return Err(Fail::Unknown),
        };
        let (result, origin) = match self.local_state.get(name) {
            // A cycle: Terraform rejects it; nothing here can be known.
            Some(LocalState::InProgress) => return Err(Fail::Unknown),
            Some(LocalState::Done(result, origin)) => (result.clone(), origin.clone()),
            None => {
                let Some(&(node, path)) = self.locals.get(name) else { return Err(Fail::Unknown) };
                self.local_state.insert(name, LocalState::InProgress);
                let outer = self.origin.take();
                let outer_cut = std::mem::take(&mut self.cut);
                let result = self.in_module_scope(|ctx| ctx.eval(node, depth + 1));
                let origin =
                    self.origin.take().or_else(|| Some(Origin { path: path.to_string(), span: node.span }));
                self.origin = outer;
                if self.cut {
                    self.local_state.remove(name);
                } else {
                    self.local_state.insert(name, LocalState::Done(result.clone(), origin.clone()));
                }
                self.cut |= outer_cut;
                (result, origin)
            }
        };
        if let Ok(v) = &result {
            self.spend(count_nodes(v, MAX_VALUE_NODES))?;
        }
        if self.origin.is_none() {
            self.origin = origin;
        }
        result
    }

    pub(super) fn template(&mut self, span: Span, parts: &[Node], depth: usize) -> Ev {
        // `"${x}"` alone is `x` itself, whatever its type.
        if let [only] = parts
            && only.is_unknown()
        {
            return self.eval(only, depth + 1);
        }
        let mut out = String::new();
        for part in parts {
            let value = self.eval(part, depth + 1)?;
            match &value.value {
                Value::Str(s) => out.push_str(s),
                Value::Number(n) => out.push_str(&format_number(*n)),
                Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
                _ => return Err(Fail::Error),
            }
            if out.len() > MAX_STRING {
                return Err(Fail::Unknown);
            }
        }
        Ok(Node::new(span, Value::Str(out)))
    }

    fn conditional(&mut self, cond: &Node, then: &Node, otherwise: &Node, depth: usize) -> Ev {
        match self.eval(cond, depth + 1).and_then(|c| to_bool(&c)) {
            Ok(true) => self.eval(then, depth + 1),
            Ok(false) => self.eval(otherwise, depth + 1),
            Err(Fail::Error) => Err(Fail::Error),
            // Either branch may be taken: known only when both give the same value.
            Err(Fail::Unknown) => {
                let saved = self.origin.clone();
                let a = self.eval(then, depth + 1);
                let b = self.eval(otherwise, depth + 1);
                match (a, b) {
                    (Ok(a), Ok(b)) if same(&a, &b) => Ok(a),
                    _ => {
                        self.origin = saved;
                        Err(Fail::Unknown)
                    }
                }
            }
        }
    }

    fn operation(&mut self, span: Span, op: &str, operands: &[Node], depth: usize) -> Ev {
        let value = match (op, operands) {
            ("!", [a]) => Value::Bool(!to_bool(&self.eval(a, depth + 1)?)?),
            ("-", [a]) => Value::Number(-to_number(&self.eval(a, depth + 1)?)?),
            ("&&" | "||", [a, b]) => {
                let stop = op == "||";
                // `false && x` is false and `true || x` true whatever `x` is.
                let left = self.eval(a, depth + 1).and_then(|v| to_bool(&v));
                if left == Ok(stop) {
                    Value::Bool(stop)
                } else {
                    let right = self.eval(b, depth + 1).and_then(|v| to_bool(&v));
                    match (left, right) {
                        (_, Ok(r)) if r == stop => Value::Bool(stop),
                        (Ok(_), Ok(_)) => Value::Bool(!stop),
                        (Err(e), _) | (_, Err(e)) => return Err(e),
                    }
                }
            }
            ("==" | "!=", [a, b]) => {
                let (a, b) = (self.eval(a, depth + 1)?, self.eval(b, depth + 1)?);
                Value::Bool(same(&a, &b) == (op == "=="))
            }
            (_, [a, b]) => {
                let (a, b) = (self.eval(a, depth + 1)?, self.eval(b, depth + 1)?);
                let (a, b) = (to_number(&a)?, to_number(&b)?);
                match op {
                    "+" => Value::Number(a + b),
                    "-" => Value::Number(a - b),
                    "*" => Value::Number(a * b),
                    "/" if b != 0.0 => Value::Number(a / b),
                    "%" if b != 0.0 => Value::Number(a % b),
                    "/" | "%" => return Err(Fail::Error),
                    "<" => Value::Bool(a < b),
                    ">" => Value::Bool(a > b),
                    "<=" => Value::Bool(a <= b),
                    ">=" => Value::Bool(a >= b),
                    _ => return Err(Fail::Unknown),
                }
            }
            _ => return Err(Fail::Unknown),
        };
        Ok(Node::new(span, value))
    }
}

/// A variable as declared, with the value the sources set so far.
struct Decl<'a> {
    value: Option<(&'a Node, &'a str)>,
    default: Option<(&'a Node, &'a str)>,
    ty: Type,
    /// Whether the declaration says `type` (an untyped variable takes `--var` values literally).
    typed: bool,
    nullable: bool,
}

impl<'a> Decl<'a> {
    fn resolve(self) -> Option<Var<'a>> {
        let (mut value, mut path) = self.value?;
        // `nullable = false`: a null value means the default.
        if matches!(value.value, Value::Null)
            && !self.nullable
            && let Some((d, p)) = self.default
        {
            (value, path) = (d, p);
        }
        Some(Var { value, path, ty: self.ty })
    }
}

/// A variable's declaration: its `default` and type; `None` when its value can never be known here
/// (a type this does not read).
fn variable<'a>(body: &'a Node, path: &'a str) -> Option<Decl<'a>> {
    let ty = match body.get("type") {
        // Terraform's JSON syntax writes the type as a string holding the expression.
        Some(Node { value: Value::Str(text), .. }) => {
            let source = format!("t = {text}\n");
            let parsed = crate::parse::hcl::parse(&source, &crate::parse::Limits::default());
            Type::parse(parsed.docs.first()?.get("t")?)?
        }
        Some(t) => Type::parse(t)?,
        None => Type::Any,
    };
    let default = body.get("default").map(|d| (d, path));
    let nullable = body.get("nullable").and_then(Node::as_bool).unwrap_or(true);
    Some(Decl { value: default, default, ty, typed: body.get("type").is_some(), nullable })
}

/// `.name`, `[0]` or `["key"]` (a step as a [`Expr::Reference`] keeps it) applied to a known value.
fn step_into(value: Node, step: &str) -> Ev {
    let key = match step.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
        None => Key::Name(step.to_string()),
        Some(inner) => {
            let inner = inner.trim();
            if let Ok(i) = inner.parse::<usize>() {
                Key::Index(i)
            } else if let Some(s) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"'))
                && !s.contains(['\\', '$', '%', '"'])
            {
                Key::Name(s.to_string())
            } else {
                return Err(Fail::Unknown);
            }
        }
    };
    get(value, key)
}

pub(super) enum Key {
    Name(String),
    Index(usize),
}

/// An attribute, map key or list element of a known value; a missing one is an error, as in
/// Terraform (which `try` and `can` catch).
pub(super) fn get(value: Node, key: Key) -> Ev {
    match (value.value, key) {
        (Value::Map(entries), Key::Name(k)) => {
            entries.into_iter().find(|e| e.key == k).map(|e| e.value).ok_or(Fail::Error)
        }
        (Value::Map(entries), Key::Index(i)) => {
            let k = i.to_string();
            entries.into_iter().find(|e| e.key == k).map(|e| e.value).ok_or(Fail::Error)
        }
        (Value::List(items), Key::Index(i)) => items.into_iter().nth(i).ok_or(Fail::Error),
        (Value::List(items), Key::Name(k)) => match k.parse::<usize>() {
            Ok(i) => items.into_iter().nth(i).ok_or(Fail::Error),
            Err(_) => Err(Fail::Error),
        },
        (Value::Expr(_), _) => Err(Fail::Unknown),
        _ => Err(Fail::Error),
    }
}

pub(super) fn to_bool(node: &Node) -> Result<bool, Fail> {
    match &node.value {
        Value::Bool(b) => Ok(*b),
        Value::Str(s) if s == "true" => Ok(true),
        Value::Str(s) if s == "false" => Ok(false),
        Value::Expr(_) => Err(Fail::Unknown),
        _ => Err(Fail::Error),
    }
}

pub(super) fn to_number(node: &Node) -> Result<f64, Fail> {
    match &node.value {
        Value::Number(n) => Ok(*n),
        Value::Str(s) => s.trim().parse::<f64>().ok().filter(|n| n.is_finite()).ok_or(Fail::Error),
        Value::Expr(_) => Err(Fail::Unknown),
        _ => Err(Fail::Error),
    }
}

/// Structural equality, ignoring spans.
pub(super) fn same(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Number(x), Value::Number(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|e| y.iter().any(|f| f.key == e.key && same(&e.value, &f.value)))
        }
        _ => false,
    }
}

/// How many nodes `node` holds, counting up to `max` (then `max`).
pub(super) fn count_nodes(node: &Node, max: usize) -> usize {
    let mut count = 0usize;
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        count += 1;
        if count >= max {
            return max;
        }
        match &n.value {
            Value::List(items) => stack.extend(items.iter()),
            Value::Map(entries) => stack.extend(entries.iter().map(|e| &e.value)),
            _ => {}
        }
    }
    count
}

fn within_size(node: &Node) -> bool {
    match &node.value {
        Value::Str(s) => s.len() <= MAX_STRING,
        Value::List(_) | Value::Map(_) => count_nodes(node, MAX_VALUE_NODES) < MAX_VALUE_NODES,
        _ => true,
    }
}

/// Gives `node` and everything below it `span`: a value computed elsewhere (a default in another file)
/// is reported at the expression that uses it.
pub(super) fn respan(node: &mut Node, span: Span) {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        n.span = span;
        match &mut n.value {
            Value::List(items) => stack.extend(items.iter_mut()),
            Value::Map(entries) => stack.extend(entries.iter_mut().map(|e| {
                e.key_span = span;
                &mut e.value
            })),
            _ => {}
        }
    }
}
