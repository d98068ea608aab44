//! Rendering a chart as `helm template` does: values coalesced (chart defaults, subchart scoping,
//! `global`, `condition`/`tags`, `--values` files, `--set`), every template of every enabled chart in
//! one template set, each manifest template executed with its chart's `.Values`, `.Chart`, `.Release`,
//! `.Capabilities`, `.Template` and `.Files`. A template that fails costs an error on its line; the
//! others still render.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::chart::{Chart, SourceFile};
use super::objects;
use super::template::exec::Segment;
use super::template::{ErrorKind, Funcs, Limits, Templates, Value};
use super::values::{self, Kind, Provenance, Tree};
use crate::parse::{self, yaml};
use crate::span::Span;

#[derive(Clone, Debug)]
pub struct RenderOptions {
    pub release: String,
    pub namespace: String,
    /// `--values` files, in order (later ones win).
    pub values: Vec<SourceFile>,
    /// `--set` arguments, applied after the values files.
    pub set: Vec<String>,
    pub limits: Limits,
    /// For `smelt check`: values files per chart folder (smelt.toml's `[helm] values`), the files
    /// relative to the chart folder.
    pub chart_values: Vec<(std::path::PathBuf, Vec<String>)>,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            release: "release-name".into(),
            namespace: "default".into(),
            values: Vec::new(),
            set: Vec::new(),
            limits: Limits { max_depth: 100, max_output: 16 << 20, max_steps: 20_000_000 },
            chart_values: Vec::new(),
        }
    }
}

/// One manifest template's output and where each stretch of it came from.
#[derive(Debug)]
pub struct RenderedTemplate {
    pub source: SourceFile,
    pub output: String,
    /// Output offsets → template nodes (and values read), in output order.
    pub segments: Vec<Segment>,
}

/// Why a template (or a values file, or the chart) could not be rendered.
#[derive(Clone, Debug, PartialEq)]
pub struct RenderError {
    /// The file to report it on (as reports show paths), and where in it.
    pub path: Arc<str>,
    pub span: Option<Span>,
    pub message: String,
    /// A limit (depth, output, steps) rather than a template error.
    pub limit: bool,
    /// `fail` or `required`: the chart asks for values it was not given, not a broken template.
    pub user: bool,
}

#[derive(Debug, Default)]
pub struct Rendered {
    /// Manifest templates in Helm name order (partials, `NOTES.txt` and library charts excluded).
    pub templates: Vec<RenderedTemplate>,
    pub errors: Vec<RenderError>,
    /// Every template and values file by path, for reports and source mapping.
    pub sources: BTreeMap<Arc<str>, SourceFile>,
    /// Template name (Helm's) → path as reports show it.
    pub paths: HashMap<String, Arc<str>>,
    pub provenance: Provenance,
}

impl Rendered {
    /// The report path of a Helm template name (or the name itself when unknown: `<tpl>`).
    pub fn path_of(&self, name: &str) -> Arc<str> {
        self.paths.get(name).cloned().unwrap_or_else(|| Arc::from(name))
    }
}

/// A chart with its coalesced values, and its enabled subcharts likewise. A subchart used under an
/// `alias` is a renamed copy.
struct Scoped {
    chart: Chart,
    values: Tree,
    is_root: bool,
    subs: Vec<Scoped>,
}

pub fn render(chart: &Chart, opts: &RenderOptions) -> Rendered {
    let mut out = Rendered::default();
    for s in chart.sources() {
        out.sources.insert(Arc::clone(&s.path), s.clone());
        out.paths.insert(s.name.clone(), Arc::clone(&s.path));
    }
    for (path, message) in &chart.problems {
        out.errors.push(RenderError {
            path: Arc::from(path.as_str()),
            span: None,
            message: message.clone(),
            limit: false,
            user: false,
        });
    }

    // User values: `--values` files in order, then `--set`.
    let mut user = Tree::empty_map();
    for f in &opts.values {
        out.sources.insert(Arc::clone(&f.path), f.clone());
        if let Some(t) = values_tree(f, &mut out.errors) {
            user = values::overlay(user, t);
        }
    }
    for arg in &opts.set {
        if let Err(message) = values::apply_set(&mut user, arg) {
            out.errors.push(RenderError {
                path: Arc::from("--set"),
                span: None,
                message,
                limit: false,
                user: false,
            });
        }
    }
    let defaults = chart
        .values
        .as_ref()
        .and_then(|f| values_tree(f, &mut out.errors))
        .map(values::drop_nulls)
        .unwrap_or_else(Tree::empty_map);
    let top = scope(chart.clone(), values::merge(defaults, user), true, &mut out.errors);

    register_renamed(&top, &mut out.paths);
    let mut set = Templates::new(Funcs::helm());
    set.limits = opts.limits;
    let mut all: Vec<&SourceFile> = Vec::new();
    collect_templates(&top, &mut all);
    // Helm's order: deeper paths first, then reverse lexical, so a parent's `define` overrides a
    // subchart's of the same name.
    all.sort_by(|a, b| {
        let depth = |s: &str| s.matches('/').count();
        depth(&b.name).cmp(&depth(&a.name)).then_with(|| b.name.cmp(&a.name))
    });
    for t in &all {
        if let Err(e) = set.add(&t.name, &t.text) {
            let line_span = line_span(&t.text, e.line);
            out.errors.push(RenderError {
                path: Arc::clone(&t.path),
                span: line_span,
                message: format!("template does not parse: {}", e.message),
                limit: false,
                user: false,
            });
        }
    }
    let release = objects::release(&opts.release, &opts.namespace);
    let capabilities = objects::capabilities();
    let mut jobs = Vec::new();
    collect_jobs(&top, &mut out.provenance, &release, &capabilities, &mut jobs);
    let watched = out.provenance.ids();
    // Helm's execution order: deeper paths first, then reverse lexical (as templates are parsed).
    jobs.sort_by(|a, b| {
        let depth = |s: &str| s.matches('/').count();
        depth(&b.0.name).cmp(&depth(&a.0.name)).then_with(|| b.0.name.cmp(&a.0.name))
    });
    for (source, data) in jobs {
        if let Value::Map(m) = &data {
            m.insert("Template".to_string(), objects::template(&source.name));
        }
        if set.get(&source.name).is_none() {
            continue; // did not parse: already reported
        }
        let (result, trace) = set.execute_traced(&source.name, &data, watched.clone());
        match result {
            Ok(text) => {
                let (output, segments) = strip_no_value(text, trace.segments);
                out.templates.push(RenderedTemplate { source: source.clone(), output, segments });
            }
            Err(e) => {
                // An error inside `tpl` text (no file of its own) is reported on the calling template.
                let (path, span) = match out.paths.get(&e.file) {
                    Some(p) => (Arc::clone(p), (e.span != Span::default() || e.line > 0).then_some(e.span)),
                    None => (Arc::clone(&source.path), None),
                };
                out.errors.push(RenderError {
                    path,
                    span,
                    message: e.to_string(),
                    limit: e.kind == ErrorKind::Limit,
                    user: e.kind == ErrorKind::User,
                });
            }
        }
    }
    out.templates.sort_by(|a, b| a.source.name.cmp(&b.source.name));
    out
}

fn values_tree(f: &SourceFile, errors: &mut Vec<RenderError>) -> Option<Tree> {
    let parsed = yaml::parse(&f.text, &parse::Limits::default());
    if let Some(issue) = parsed.issues.first() {
        errors.push(RenderError {
            path: Arc::clone(&f.path),
            span: Some(issue.span),
            message: format!("values file does not parse: {}", issue.message),
            limit: false,
            user: false,
        });
        return None;
    }
    let doc = parsed.docs.into_iter().next()?;
    let tree = values::from_yaml(&f.path, &f.text, &doc, "");
    match tree.kind {
        Kind::Map(_) => Some(tree),
        Kind::Scalar(Value::Nil) => None,
        _ => {
            errors.push(RenderError {
                path: Arc::clone(&f.path),
                span: Some(doc.span),
                message: "values file is not a YAML map".into(),
                limit: false,
                user: false,
            });
            None
        }
    }
}

/// Coalesces a chart's values with its subcharts', decides which subcharts are enabled, and copies
/// each subchart's resulting values back under its key (so the parent sees `.Values.sub.x`).
fn scope(chart: Chart, mut values: Tree, is_root: bool, errors: &mut Vec<RenderError>) -> Scoped {
    let global = values.get("global").cloned();
    let mut subs = Vec::new();
    // Each dependency names a subchart (twice under two aliases, if so declared); subcharts in
    // `charts/` that no dependency names are rendered as they are, as Helm does.
    let mut uses: Vec<(&Chart, Option<&super::chart::Dependency>)> = Vec::new();
    for sub in &chart.subcharts {
        let named: Vec<&super::chart::Dependency> =
            chart.dependencies.iter().filter(|d| d.name == sub.name).collect();
        if named.is_empty() {
            uses.push((sub, None));
        }
        uses.extend(named.into_iter().map(|d| (sub, Some(d))));
    }
    for (sub, dep) in uses {
        if let Some(d) = dep
            && !enabled(d, &values)
        {
            continue;
        }
        let sub = match dep.and_then(|d| d.alias.as_deref()) {
            Some(alias) if alias != sub.name => renamed(sub, alias),
            _ => sub.clone(),
        };
        let key = sub.name.clone();
        let defaults = sub
            .values
            .as_ref()
            .and_then(|f| values_tree(f, errors))
            .map(values::drop_nulls)
            .unwrap_or_else(Tree::empty_map);
        let mut over = values.get(&key).cloned().unwrap_or_else(Tree::empty_map);
        // A subchart always gets `global`: its own, with the parent's over it (Helm's coalesceGlobals).
        let own_global = defaults.get("global").cloned().unwrap_or_else(Tree::empty_map);
        if let Kind::Map(m) = &mut over.kind {
            let over_global = m.remove("global").unwrap_or_else(Tree::empty_map);
            let g = values::merge(
                values::merge(own_global, over_global),
                global.clone().unwrap_or_else(Tree::empty_map),
            );
            m.insert("global".into(), g);
        }
        let scoped = scope(sub, values::merge(defaults, over), false, errors);
        if let Kind::Map(m) = &mut values.kind {
            m.insert(key, scoped.values.clone());
        }
        subs.push(scoped);
    }
    Scoped { chart, values, is_root, subs }
}

/// Helm names of aliased subcharts' templates → their files.
fn register_renamed(s: &Scoped, paths: &mut HashMap<String, Arc<str>>) {
    for t in &s.chart.templates {
        paths.entry(t.name.clone()).or_insert_with(|| Arc::clone(&t.path));
    }
    for sub in &s.subs {
        register_renamed(sub, paths);
    }
}

/// A subchart under its alias: its name, and the Helm names of its templates (and its subcharts'),
/// use the alias, as Helm renames an aliased dependency before rendering.
fn renamed(chart: &Chart, alias: &str) -> Chart {
    let mut c = chart.clone();
    let old = format!("charts/{}/", chart.name);
    let new = format!("charts/{alias}/");
    fn rewrite(c: &mut Chart, old: &str, new: &str) {
        for t in &mut c.templates {
            if let Some(i) = t.name.rfind(old) {
                t.name.replace_range(i..i + old.len(), new);
            }
        }
        for s in &mut c.subcharts {
            rewrite(s, old, new);
        }
    }
    rewrite(&mut c, &old, &new);
    c.name = alias.to_string();
    c
}

/// A dependency's `condition` (first path that holds a boolean decides), else its `tags`.
fn enabled(dep: &super::chart::Dependency, values: &Tree) -> bool {
    if let Some(cond) = &dep.condition {
        for path in cond.split(',').map(str::trim) {
            if let Some(Tree { kind: Kind::Scalar(Value::Bool(b)), .. }) = values.lookup(path) {
                return *b;
            }
        }
    }
    if !dep.tags.is_empty()
        && let Some(tags) = values.get("tags")
    {
        let states: Vec<bool> = dep
            .tags
            .iter()
            .filter_map(|t| match tags.get(t) {
                Some(Tree { kind: Kind::Scalar(Value::Bool(b)), .. }) => Some(*b),
                _ => None,
            })
            .collect();
        if !states.is_empty() {
            return states.contains(&true);
        }
    }
    true
}

fn collect_templates<'s>(s: &'s Scoped, out: &mut Vec<&'s SourceFile>) {
    out.extend(s.chart.templates.iter());
    for sub in &s.subs {
        collect_templates(sub, out);
    }
}

fn collect_jobs<'s>(
    s: &'s Scoped,
    prov: &mut Provenance,
    release: &Value,
    capabilities: &Value,
    jobs: &mut Vec<(&'s SourceFile, Value)>,
) {
    // `.Values` is a `common.Values` in Helm (what `typeOf` and `dig` see); the same map, retyped.
    let values = match s.values.to_value(prov) {
        Value::Map(m) => Value::Map(m.retyped(super::template::collections::Elem::Values)),
        other => other,
    };
    let chart = objects::chart(&s.chart, s.is_root);
    let files = Value::Object(Arc::new(objects::Files { files: Arc::new(s.chart.files.clone()) }));
    if !s.chart.is_library() {
        // One top-level map for all of a chart's templates, as Helm has: a `set $ "k" v` in one
        // template is seen by those rendered after it. `Template` is set before each one runs.
        let mut data = BTreeMap::new();
        data.insert("Values".to_string(), values.clone());
        data.insert("Chart".to_string(), chart.clone());
        data.insert("Release".to_string(), release.clone());
        data.insert("Capabilities".to_string(), capabilities.clone());
        data.insert("Files".to_string(), files.clone());
        let data = Value::map(data);
        for t in s.chart.templates.iter().filter(|t| is_manifest(&t.name)) {
            jobs.push((t, data.clone()));
        }
    }
    for sub in &s.subs {
        collect_jobs(sub, prov, release, capabilities, jobs);
    }
}

/// Rendered as a manifest: not a partial (`_helpers.tpl`) and not `NOTES.txt`.
fn is_manifest(name: &str) -> bool {
    let base = name.rsplit('/').next().unwrap_or(name);
    !base.starts_with('_') && base != "NOTES.txt"
}

/// Helm deletes every `<no value>` from a template's output; segments move with the text.
fn strip_no_value(text: String, mut segments: Vec<Segment>) -> (String, Vec<Segment>) {
    const NV: &str = "<no value>";
    if !text.contains(NV) {
        return (text, segments);
    }
    let removed: Vec<usize> = text.match_indices(NV).map(|(i, _)| i).collect();
    let shift = |at: usize| removed.iter().filter(|&&r| r < at).count() * NV.len();
    for s in &mut segments {
        s.out -= shift(s.out);
    }
    (text.replace(NV, ""), segments)
}

fn line_span(text: &str, line: usize) -> Option<Span> {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return Some(Span::new(start, start + l.trim_end().len()));
        }
        start += l.len();
    }
    None
}
