//! The executor: walks parsed trees against a [`Value`], following Go's `text/template/exec.go`.

use std::collections::HashMap;
use std::sync::Arc;

use super::funcs::{Arity, Funcs};
use super::parse::{Branch, Command, Node, Pipe, Term, TermKind, Tree, line_of};
use super::value::Value;
use crate::span::Span;

/// Bounds on one execution. Exceeding any of them is an [`ErrorKind::Limit`] error, never a hang.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Nesting of `template`/`include` calls.
    pub max_depth: usize,
    /// Bytes written, counting the output of every nested `include`.
    pub max_output: usize,
    /// Nodes, commands and loop iterations executed.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits { max_depth: 100, max_output: 64 << 20, max_steps: 50_000_000 }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Parse errors, unknown templates, type errors, failing functions.
    Template,
    /// A limit of [`Limits`] was reached.
    Limit,
    /// `fail` or `required` (a message the chart author wrote).
    User,
}

/// An execution error, located in the template source where the failing action is.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecError {
    pub kind: ErrorKind,
    /// The template (file or `define`) being executed.
    pub template: String,
    /// The file the failing node is in, and the node's span and line there.
    pub file: String,
    pub span: Span,
    pub line: usize,
    /// Byte column in the line, counted from 0 as Go's error messages do.
    pub col: usize,
    /// The failing node's source text (Go's `at <…>`), shortened to 20 bytes.
    pub context: String,
    pub message: String,
}

impl std::fmt::Display for ExecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "template: {}:{}:{}: executing {:?} at <{}>: {}",
            self.file, self.line, self.col, self.template, self.context, self.message
        )
    }
}

impl std::error::Error for ExecError {}

/// An error raised by a function; the executor adds the location.
#[derive(Clone, Debug, PartialEq)]
pub enum CallError {
    Msg(String),
    User(String),
    /// An error from a nested execution (`include`), already located.
    Nested(Box<ExecError>),
    /// Argument `index` is not of the parameter's Go type `want`: Go reports this at the argument,
    /// before calling the function (so without `error calling …`).
    Arg {
        index: usize,
        want: String,
        message: String,
    },
}

impl From<String> for CallError {
    fn from(s: String) -> CallError {
        CallError::Msg(s)
    }
}

impl From<&str> for CallError {
    fn from(s: &str) -> CallError {
        CallError::Msg(s.to_string())
    }
}

/// A parsed template with the file it came from.
#[derive(Clone, Debug)]
pub struct Entry {
    pub tree: Arc<Tree>,
    pub file: Arc<str>,
    pub source: Arc<str>,
}

/// What a traced execution records for the top-level template: which node wrote each stretch of the
/// output, and which watched containers (the caller's values maps and lists) were read while writing it.
/// This is the raw material of Helm's source map ([`crate::helm::sourcemap`]).
#[derive(Debug, Default)]
pub struct Trace {
    /// Container ids ([`Value::container_id`]) whose reads are recorded; reads of others are not.
    pub watched: std::collections::HashSet<usize>,
    /// In output order; each starts where the previous one ends.
    pub segments: Vec<Segment>,
    touched: Vec<Touch>,
    /// Reads by enclosing `with`/`range` pipelines, which name what the actions inside print.
    context: Vec<Touch>,
}

/// A stretch of the top-level output and the template node that wrote it.
#[derive(Clone, Debug)]
pub struct Segment {
    /// Byte offset in the output where the stretch starts.
    pub out: usize,
    /// The template file the node is in, and its span there.
    pub file: Arc<str>,
    pub span: Span,
    /// True when the stretch is a verbatim copy of `span` (template text), so offsets map one to one.
    pub verbatim: bool,
    /// Watched containers read while writing it (and by enclosing `with`/`range`).
    pub touched: Vec<Touch>,
}

/// A read of a watched container: of its field `key`, or of the container itself as a whole.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touch {
    pub container: usize,
    pub key: Option<String>,
}

/// Control flow out of a list of nodes.
enum Flow {
    Normal,
    Break,
    Continue,
}

/// The state of one execution; functions receive it to call back into the template set.
pub struct State<'a> {
    templates: &'a HashMap<String, Entry>,
    funcs: &'a Funcs,
    limits: Limits,
    vars: Vec<(String, Value)>,
    depth: usize,
    steps: u64,
    written: usize,
    /// The template being executed (for error locations).
    current: Option<Entry>,
    /// Templates defined while executing (by `tpl`), looked up before the set's.
    overlay: HashMap<String, Entry>,
    /// Stack address when execution started, to bound the stack that nesting uses.
    stack_base: usize,
    /// Set by [`State::execute_traced`].
    trace: Option<Trace>,
}

/// Stack that one execution may use: nesting (template calls inside nested blocks inside parentheses)
/// past this is an [`ErrorKind::Limit`] error, well before a 2 MiB thread stack overflows.
pub const STACK_BUDGET: usize = 768 << 10;

fn stack_address() -> usize {
    let marker = 0u8;
    std::hint::black_box(&raw const marker).addr()
}

impl<'a> State<'a> {
    pub fn new(templates: &'a HashMap<String, Entry>, funcs: &'a Funcs, limits: Limits) -> State<'a> {
        State {
            templates,
            funcs,
            limits,
            vars: Vec::new(),
            depth: 0,
            steps: 0,
            written: 0,
            current: None,
            overlay: HashMap::new(),
            stack_base: stack_address(),
            trace: None,
        }
    }

    /// [`State::execute`], recording a [`Trace`] of the top-level template's output.
    pub fn execute_traced(
        &mut self,
        name: &str,
        data: &Value,
        watched: std::collections::HashSet<usize>,
    ) -> (Result<String, Box<ExecError>>, Trace) {
        self.trace = Some(Trace { watched, ..Trace::default() });
        let out = self.execute(name, data);
        (out, self.trace.take().unwrap_or_default())
    }

    /// True while the node being executed writes straight into the top-level template's output.
    fn tracing_top(&self) -> bool {
        self.depth == 1 && self.trace.is_some()
    }

    fn touch(&mut self, v: &Value, key: Option<&str>) {
        if let (Some(t), Some(id)) = (&mut self.trace, v.container_id())
            && t.watched.contains(&id)
        {
            let touch = Touch { container: id, key: key.map(str::to_string) };
            if !t.touched.contains(&touch) {
                t.touched.push(touch);
            }
        }
    }

    /// Starts recording what the next top-level node reads.
    fn begin_node(&mut self) {
        if self.depth == 1
            && let Some(t) = &mut self.trace
        {
            t.touched.clear();
        }
    }

    /// Records that the output from `at` on was written by the node at `span`.
    fn segment(&mut self, at: usize, span: Span, verbatim: bool) {
        if !self.tracing_top() {
            return;
        }
        let Some(file) = self.current.as_ref().map(|e| Arc::clone(&e.file)) else { return };
        if let Some(t) = &mut self.trace {
            let mut touched = t.context.clone();
            touched.append(&mut t.touched);
            t.segments.push(Segment { out: at, file, span, verbatim, touched });
        }
    }

    /// Executes the named template with `data` as dot and `$`, returning its output.
    pub fn execute(&mut self, name: &str, data: &Value) -> Result<String, Box<ExecError>> {
        self.call_template(name, data, Span::default())
    }

    fn error(&self, span: Span, kind: ErrorKind, message: impl Into<String>) -> Box<ExecError> {
        let (template, file, line, col, context) = match &self.current {
            Some(e) => {
                let start = (span.start as usize).min(e.source.len());
                let line_start =
                    e.source.as_bytes()[..start].iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let mut context = self.text(span);
                if context.len() > 20 {
                    let cut = (0..=20).rev().find(|&i| context.is_char_boundary(i)).unwrap_or(0);
                    context.truncate(cut);
                    context.push_str("...");
                }
                (
                    e.tree.name.clone(),
                    e.file.to_string(),
                    line_of(&e.source, start),
                    start - line_start,
                    context,
                )
            }
            None => (String::new(), String::new(), 0, 0, String::new()),
        };
        Box::new(ExecError { kind, template, file, span, line, col, context, message: message.into() })
    }

    fn fail(&self, span: Span, message: impl Into<String>) -> Box<ExecError> {
        self.error(span, ErrorKind::Template, message)
    }

    fn step(&mut self, span: Span) -> Result<(), Box<ExecError>> {
        // Stacks grow down on every platform Rust supports well; a stack growing up reads as 0 used.
        if self.stack_base.saturating_sub(stack_address()) > STACK_BUDGET {
            return Err(self.error(span, ErrorKind::Limit, "template nesting too deep"));
        }
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(self.error(
                span,
                ErrorKind::Limit,
                format!("execution exceeded {} steps", self.limits.max_steps),
            ));
        }
        Ok(())
    }

    fn write(&mut self, out: &mut String, s: &str, span: Span) -> Result<(), Box<ExecError>> {
        self.written += s.len();
        if self.written > self.limits.max_output {
            return Err(self.error(
                span,
                ErrorKind::Limit,
                format!("output exceeds the limit of {} bytes", self.limits.max_output),
            ));
        }
        out.push_str(s);
        Ok(())
    }

    /// Checks a function's result string against the output limit (for functions that build strings).
    pub fn check_size(&self, len: usize) -> Result<(), CallError> {
        if len > self.limits.max_output {
            return Err(CallError::Msg(format!(
                "result exceeds the limit of {} bytes",
                self.limits.max_output
            )));
        }
        Ok(())
    }

    /// Runs template `name` with `data` (what `template` and `include` do).
    pub fn call_template(&mut self, name: &str, data: &Value, span: Span) -> Result<String, Box<ExecError>> {
        let Some(entry) = self.overlay.get(name).or_else(|| self.templates.get(name)).cloned() else {
            return Err(self.fail(span, format!("template {name:?} not defined")));
        };
        self.run(entry, data, span)
    }

    /// Parses `src` and executes it with `data`, with access to every defined template: Helm's `tpl`.
    /// Errors are located in `src`, named `<tpl>`; `define`s in `src` stay visible for this execution.
    pub fn execute_inline(&mut self, src: &str, data: &Value) -> Result<String, CallError> {
        let name = self.current.as_ref().map_or_else(|| "<tpl>".to_string(), |e| e.tree.name.clone());
        let funcs = self.funcs;
        let trees = super::parse::parse(&name, src, &|f| funcs.contains(f))
            .map_err(|e| CallError::Msg(e.to_string()))?;
        let file: Arc<str> = Arc::from("<tpl>");
        let source: Arc<str> = Arc::from(src);
        let mut trees = trees.into_iter().map(|t| Entry {
            tree: Arc::new(t),
            file: Arc::clone(&file),
            source: Arc::clone(&source),
        });
        let Some(main) = trees.next() else { return Ok(String::new()) };
        for e in trees {
            self.overlay.insert(e.tree.name.clone(), e);
        }
        self.run(main, data, Span::default()).map_err(CallError::Nested)
    }

    fn run(&mut self, entry: Entry, data: &Value, span: Span) -> Result<String, Box<ExecError>> {
        if self.depth >= self.limits.max_depth {
            return Err(self.error(
                span,
                ErrorKind::Limit,
                format!("exceeded maximum template depth ({})", self.limits.max_depth),
            ));
        }
        self.depth += 1;
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$".to_string(), data.clone())]);
        let tree = Arc::clone(&entry.tree);
        let saved_current = self.current.replace(entry);
        let mut out = String::new();
        let result = self.walk(data, &tree.root, &mut out);
        self.current = saved_current;
        self.vars = saved_vars;
        self.depth -= 1;
        result.map(|_| out)
    }

    fn walk(&mut self, dot: &Value, nodes: &[Node], out: &mut String) -> Result<Flow, Box<ExecError>> {
        for node in nodes {
            self.step(node.span())?;
            match node {
                Node::Text { span, text } => {
                    let at = out.len();
                    self.write(out, text, *span)?;
                    if self.tracing_top() {
                        let exact = self.verbatim_span(*span, text);
                        self.segment(at, exact, true);
                    }
                }
                Node::Action { span, pipe } => {
                    self.begin_node();
                    let v = self.pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        let s = match &v {
                            Value::Nil => "<no value>".to_string(),
                            v => v.to_go_string(),
                        };
                        let at = out.len();
                        self.write(out, &s, *span)?;
                        self.segment(at, *span, false);
                    }
                }
                Node::If(b) | Node::With(b) => {
                    let is_with = matches!(node, Node::With(_));
                    let mark = self.vars.len();
                    self.begin_node();
                    let v = self.pipeline(dot, &b.pipe)?;
                    let flow = if v.truthy() {
                        let inner = if is_with { &v } else { dot };
                        let pushed = if is_with { self.push_context() } else { 0 };
                        let flow = self.walk(inner, &b.list, out);
                        self.pop_context(pushed);
                        flow?
                    } else if let Some(e) = &b.else_list {
                        self.walk(dot, e, out)?
                    } else {
                        Flow::Normal
                    };
                    self.vars.truncate(mark);
                    if !matches!(flow, Flow::Normal) {
                        return Ok(flow);
                    }
                }
                Node::Range(b) => self.range(dot, b, out)?,
                Node::Template { span, name, pipe } => {
                    let data = match pipe {
                        Some(p) => self.pipeline(dot, p)?,
                        None => Value::Nil,
                    };
                    self.begin_node();
                    let s = self.call_template(name, &data, *span)?;
                    // The output was already counted while the called template wrote it.
                    let at = out.len();
                    out.push_str(&s);
                    self.segment(at, *span, false);
                }
                Node::Break(_) => return Ok(Flow::Break),
                Node::Continue(_) => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn range(&mut self, dot: &Value, b: &Branch, out: &mut String) -> Result<(), Box<ExecError>> {
        let mark = self.vars.len();
        // Evaluate without declaring: the range variables are set per iteration.
        self.begin_node();
        let v = self.pipeline_value(dot, &b.pipe)?;
        let pushed = self.push_context();
        let result = self.range_items(dot, b, v, mark, out);
        self.pop_context(pushed);
        result
    }

    fn range_items(
        &mut self,
        dot: &Value,
        b: &Branch,
        v: Value,
        mark: usize,
        out: &mut String,
    ) -> Result<(), Box<ExecError>> {
        let decl = &b.pipe.decl;
        if !b.pipe.is_assign {
            for name in decl {
                self.vars.push((name.clone(), Value::Nil));
            }
        }
        let items: Box<dyn Iterator<Item = (Value, Value)> + '_> = match &v {
            Value::Nil => Box::new(std::iter::empty()),
            Value::List(l) => Box::new(l.iter().enumerate().map(|(i, x)| (Value::Int(i as i64), x.clone()))),
            // As Go: the sorted keys are taken first, each value when its turn comes (the body may `set`).
            Value::Map(m) => {
                Box::new(m.keys().into_iter().map(|k| (Value::Str(k.clone()), m.get(&k).unwrap_or_default())))
            }
            Value::Object(o) if o.entries().is_some() => {
                Box::new(o.entries().unwrap_or_default().into_iter().map(|(k, x)| (Value::Str(k), x)))
            }
            Value::Int(n) | Value::Int64(n) => {
                if decl.len() > 1 {
                    return Err(self
                        .fail(b.pipe.span, format!("can't use {n} to iterate over more than one variable")));
                }
                Box::new((0..(*n).max(0)).map(|i| (Value::Int(i), Value::Int(i))))
            }
            other => {
                return Err(
                    self.fail(b.pipe.span, format!("range can't iterate over {}", other.to_go_string()))
                );
            }
        };
        let mut items = items.peekable();
        if items.peek().is_none() {
            if let Some(e) = &b.else_list {
                self.walk(dot, e, out)?;
            }
            self.vars.truncate(mark);
            return Ok(());
        }
        for (key, elem) in items {
            self.step(b.span)?;
            match decl.len() {
                0 => {}
                1 => self.set_var(&decl[0], elem.clone(), b.pipe.span)?,
                _ => {
                    self.set_var(&decl[0], key, b.pipe.span)?;
                    self.set_var(&decl[1], elem.clone(), b.pipe.span)?;
                }
            }
            let inner_mark = self.vars.len();
            let flow = self.walk(&elem, &b.list, out)?;
            self.vars.truncate(inner_mark);
            if matches!(flow, Flow::Break) {
                break;
            }
        }
        self.vars.truncate(mark);
        Ok(())
    }

    /// Makes what the current top-level `with`/`range` pipeline read part of every segment inside it.
    fn push_context(&mut self) -> usize {
        if self.depth != 1 {
            return 0;
        }
        let Some(t) = &mut self.trace else { return 0 };
        let n = t.touched.len();
        let touched: Vec<Touch> = t.touched.drain(..).collect();
        t.context.extend(touched);
        n
    }

    fn pop_context(&mut self, n: usize) {
        if let Some(t) = &mut self.trace {
            let keep = t.context.len().saturating_sub(n);
            t.context.truncate(keep);
        }
    }

    /// The exact bytes of `text` inside the text token at `span` (trimming removed whitespace around it).
    fn verbatim_span(&self, span: Span, text: &str) -> Span {
        let src = self.current.as_ref().and_then(|e| e.source.get(span.range())).unwrap_or("");
        match src.find(text) {
            Some(i) => Span::new(span.start as usize + i, span.start as usize + i + text.len()),
            None => span,
        }
    }

    fn set_var(&mut self, name: &str, v: Value, span: Span) -> Result<(), Box<ExecError>> {
        match self.vars.iter_mut().rev().find(|(n, _)| n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.fail(span, format!("undefined variable: {name}"))),
        }
    }

    fn var(&self, name: &str, span: Span) -> Result<Value, Box<ExecError>> {
        match self.vars.iter().rev().find(|(n, _)| n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => Err(self.fail(span, format!("undefined variable: {name}"))),
        }
    }

    /// Evaluates a pipeline and declares or assigns its variables.
    fn pipeline(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value, Box<ExecError>> {
        let v = self.pipeline_value(dot, pipe)?;
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, v.clone(), pipe.span)?;
            } else {
                self.vars.push((name.clone(), v.clone()));
            }
        }
        Ok(v)
    }

    fn pipeline_value(&mut self, dot: &Value, pipe: &Pipe) -> Result<Value, Box<ExecError>> {
        let mut value: Option<Value> = None;
        for cmd in &pipe.cmds {
            value = Some(self.command(dot, cmd, value)?);
        }
        Ok(value.unwrap_or_default())
    }

    fn command(&mut self, dot: &Value, cmd: &Command, fin: Option<Value>) -> Result<Value, Box<ExecError>> {
        self.step(cmd.span)?;
        let Some(first) = cmd.args.first() else {
            return Err(self.fail(cmd.span, "empty command"));
        };
        if let TermKind::Func(name) = &first.kind
            && first.fields.is_empty()
        {
            return self.call(dot, name, first.span, cmd.span, &cmd.args[1..], fin);
        }
        if cmd.args.len() > 1 || fin.is_some() {
            // A method call on an object: `.Files.Get "x"`, `.Capabilities.APIVersions.Has "v1"`.
            if let Some((method, receiver_fields)) = first.fields.split_last() {
                let receiver =
                    Term { span: first.span, kind: first.kind.clone(), fields: receiver_fields.to_vec() };
                if let Value::Object(obj) = self.term(dot, &receiver)? {
                    let mut vals = Vec::with_capacity(cmd.args.len());
                    for a in &cmd.args[1..] {
                        vals.push(self.arg(dot, a)?);
                    }
                    vals.extend(fin);
                    return match obj.call(method, &vals) {
                        Some(Ok(v)) => Ok(v),
                        Some(Err(m)) => Err(self.fail(cmd.span, format!("error calling {method}: {m}"))),
                        None => Err(self.fail(
                            first.span,
                            format!("can't evaluate field {method} in type {}", obj.type_name()),
                        )),
                    };
                }
            }
            return Err(self
                .fail(first.span, format!("can't give argument to non-function {}", self.text(first.span))));
        }
        self.term(dot, first)
    }

    fn text(&self, span: Span) -> String {
        self.current.as_ref().and_then(|e| e.source.get(span.range())).unwrap_or("").to_string()
    }

    fn term(&mut self, dot: &Value, t: &Term) -> Result<Value, Box<ExecError>> {
        let base = match &t.kind {
            TermKind::Dot => dot.clone(),
            TermKind::Var(name) => self.var(name, t.span)?,
            TermKind::Func(name) => self.call(dot, name, t.span, t.span, &[], None)?,
            TermKind::Pipe(p) => self.pipeline(dot, p)?,
            TermKind::Nil => {
                if t.fields.is_empty() {
                    return Err(self.fail(t.span, "nil is not a command"));
                }
                Value::Nil
            }
            TermKind::Bool(b) => Value::Bool(*b),
            TermKind::Int(i) => Value::Int(*i),
            TermKind::Float(f) => Value::Float(*f),
            TermKind::Str(s) => Value::Str(s.clone()),
        };
        // A nil held by a variable, a pipeline or dot is Go's invalid value: its fields are nil, not an
        // error (`(.Values.global).imageRegistry`); a nil met part-way along the chain is an error.
        if matches!(base, Value::Nil) && !matches!(t.kind, TermKind::Nil) {
            return Ok(Value::Nil);
        }
        let mut v = base;
        if t.fields.is_empty() && self.trace.is_some() {
            self.touch(&v, None);
        }
        for f in &t.fields {
            if self.trace.is_some() {
                self.touch(&v, Some(f));
            }
            v = match &v {
                Value::Map(m) => m.get(f).unwrap_or_default(),
                Value::Object(o) => match o.field(f) {
                    Some(v) => v,
                    None => {
                        return Err(
                            self.fail(t.span, format!("can't evaluate field {f} in type {}", o.type_name()))
                        );
                    }
                },
                Value::Nil => {
                    return Err(self.fail(t.span, format!("nil pointer evaluating interface {{}}.{f}")));
                }
                other => {
                    return Err(
                        self.fail(t.span, format!("can't evaluate field {f} in type {}", other.type_name()))
                    );
                }
            };
        }
        Ok(v)
    }

    /// An argument: like a term, but a bare `nil` is allowed.
    fn arg(&mut self, dot: &Value, t: &Term) -> Result<Value, Box<ExecError>> {
        if matches!(t.kind, TermKind::Nil) && t.fields.is_empty() {
            return Ok(Value::Nil);
        }
        self.term(dot, t)
    }

    fn call(
        &mut self,
        dot: &Value,
        name: &str,
        span: Span,
        cmd_span: Span,
        args: &[Term],
        fin: Option<Value>,
    ) -> Result<Value, Box<ExecError>> {
        // `and` and `or` evaluate their arguments lazily.
        if name == "and" || name == "or" {
            let n = args.len() + usize::from(fin.is_some());
            if n == 0 {
                return Err(
                    self.fail(span, format!("wrong number of args for {name}: want at least 1 got 0"))
                );
            }
            let mut last = Value::Nil;
            for a in args {
                last = self.arg(dot, a)?;
                if last.truthy() != (name == "and") {
                    return Ok(last);
                }
            }
            return Ok(fin.unwrap_or(last));
        }
        let Some(def) = self.funcs.get(name) else {
            return Err(self.fail(span, format!("function {name:?} not defined")));
        };
        let mut vals = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.arg(dot, a)?);
        }
        if let Some(f) = fin {
            vals.push(f);
        }
        if self.trace.is_some() {
            for v in &vals {
                self.touch(v, None);
            }
        }
        let n = vals.len();
        let ok = match def.arity {
            Arity::Exact(k) => n == k,
            Arity::AtLeast(k) => n >= k,
        };
        if !ok {
            let want = match def.arity {
                Arity::Exact(k) => k.to_string(),
                Arity::AtLeast(k) => format!("at least {k}"),
            };
            return Err(self.fail(span, format!("wrong number of args for {name}: want {want} got {n}")));
        }
        match (def.func)(self, vals) {
            Ok(v) => Ok(v),
            Err(CallError::Msg(m)) => Err(self.fail(cmd_span, format!("error calling {name}: {m}"))),
            Err(CallError::User(m)) => {
                Err(self.error(cmd_span, ErrorKind::User, format!("error calling {name}: {m}")))
            }
            // Keep the innermost location: that is the line to fix (Go only nests the messages).
            Err(CallError::Nested(e)) => Err(e),
            Err(CallError::Arg { index, want, message }) => Err(match args.get(index) {
                // A constant is converted, not checked: Go's message names the literal.
                Some(t)
                    if t.fields.is_empty()
                        && matches!(
                            t.kind,
                            TermKind::Int(_) | TermKind::Float(_) | TermKind::Str(_) | TermKind::Bool(_)
                        ) =>
                {
                    let want = if want == "int" { "integer" } else { want.as_str() };
                    self.fail(t.span, format!("expected {want}; found {}", self.text(t.span)))
                }
                Some(t) => self.fail(t.span, message),
                // The piped value: Go reports it at the last argument, or at the function.
                None => self.fail(args.last().map_or(span, |t| t.span), message),
            }),
        }
    }
}
