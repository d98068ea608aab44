//! Environment divergence: where dev, staging and production have drifted apart in the code itself.
//!
//! The engine runs this once per run, after the per-unit rules, over every file it was given
//! (`engine/environments.rs`). [`detect`] finds the environments (by convention, or declared in
//! `smelt.toml`) and groups the files that describe the same thing in each; [`facts`] reads what each
//! environment says (Terraform evaluated, so `version = var.x` resolves; Helm values over the chart's
//! defaults; pipeline jobs by what they deploy with); [`compare`] reports each key that drifted, at the
//! environment that drifted, with the others as related locations. `docs/environments.md` is the
//! user's guide.

pub mod compare;
pub mod config;
pub mod detect;
pub mod facts;
pub mod keys;
pub mod names;
pub mod pipeline;
pub mod show;

use crate::model::{Node, ParsedFile};
use compare::{Divergence, Side};
use detect::{Detection, Group, GroupKind, Member};
use facts::{Facts, Loc, Origins, read_doc, read_terraform};
use pipeline::EnvJob;
use std::collections::BTreeMap;

pub use config::Settings;
pub use keys::Keys;

/// The `native` name rule files use for this check.
pub const NATIVE: &str = "environment-divergence";

/// The lock file beside a Terraform folder, read with it.
pub const LOCK_FILE: &str = ".terraform.lock.hcl";

/// A parsed file the comparison reads.
#[derive(Clone, Copy, Debug)]
pub struct Source<'a> {
    pub text: &'a str,
    pub parsed: &'a ParsedFile,
}

/// Every file the comparison may read, by path.
pub type Library<'a> = BTreeMap<&'a str, Source<'a>>;

/// The divergences of every compared group.
pub fn divergences(
    detection: &Detection,
    jobs: &[EnvJob],
    library: &Library<'_>,
    keys: &Keys,
) -> Vec<Divergence> {
    use rayon::prelude::*;
    let groups: Vec<&Group> = detection.groups.iter().filter(|g| g.compared()).collect();
    let found: Vec<Vec<Divergence>> =
        groups.par_iter().map(|g| group_divergences(g, jobs, library, keys)).collect();
    found.into_iter().flatten().collect()
}

/// One group's divergences.
fn group_divergences(group: &Group, jobs: &[EnvJob], library: &Library<'_>, keys: &Keys) -> Vec<Divergence> {
    let all: Vec<Facts> = group.members.iter().map(|m| member_facts(group, m, jobs, library)).collect();
    let sides: Vec<Side> = group
        .members
        .iter()
        .zip(&all)
        .map(|(m, facts)| Side {
            env: &m.env,
            order: m.order,
            facts,
            words: names::name_words(&m.env, names::token(&m.env).map(|t| t.stage)),
        })
        .collect();
    compare::compare(&sides, keys)
}

/// What one environment says in a group.
fn member_facts(group: &Group, m: &Member, jobs: &[EnvJob], library: &Library<'_>) -> Facts {
    match group.kind {
        GroupKind::TerraformFolders => {
            let tf: Vec<&String> = m.files.iter().filter(|f| is_terraform(f)).collect();
            let vars = m.files.iter().filter(|f| f.ends_with(".tfvars") || f.ends_with(".tfvars.json"));
            let (auto, explicit): (Vec<&String>, Vec<&String>) = vars.partition(|f| is_auto_vars(f));
            let mut facts = terraform(&tf, &auto, &explicit, library);
            if let Some(folder) = &m.folder {
                let lock =
                    if folder.is_empty() { LOCK_FILE.to_string() } else { format!("{folder}/{LOCK_FILE}") };
                if let Some((path, src)) = library.get_key_value(lock.as_str()) {
                    for doc in &src.parsed.docs {
                        read_doc(doc, path, vec!["lock".to_string()], &Origins::new(), &mut facts);
                    }
                }
            }
            facts
        }
        GroupKind::TerraformVars => {
            let (tf, auto): (Vec<&String>, Vec<&String>) = group.shared.iter().partition(|f| is_terraform(f));
            let explicit: Vec<&String> = m.files.iter().collect();
            terraform(&tf, &auto, &explicit, library)
        }
        GroupKind::Vars => {
            let mut facts = Facts::new(true);
            for (path, src) in m.files.iter().filter_map(|f| library.get_key_value(f.as_str())) {
                for doc in &src.parsed.docs {
                    read_doc(doc, path, Vec::new(), &Origins::new(), &mut facts);
                }
            }
            facts
        }
        GroupKind::Yaml => yaml(&group.shared, &m.files, library),
        GroupKind::Pipeline => {
            let mut facts = Facts::new(true);
            for job in m.jobs.iter().filter_map(|&i| jobs.get(i)) {
                for (path, fact) in &job.facts.map {
                    facts.add(path.clone(), fact.clone());
                }
            }
            facts
        }
    }
}

/// A Terraform module's facts after evaluation with its variable files: `auto` as Terraform reads
/// them by itself, `explicit` as `-var-file` arguments in order. The run's own `--var-file` and
/// `--var` values are not applied: they set one root module's variables, while each environment
/// is evaluated as its own deployment would be.
fn terraform(module: &[&String], auto: &[&String], explicit: &[&String], library: &Library<'_>) -> Facts {
    use crate::terraform::{CliValue, Env, ModuleFile, evaluate_module};
    let files = |paths: &[&String]| -> Vec<ModuleFile> {
        paths
            .iter()
            .filter_map(|p| library.get_key_value(p.as_str()))
            .map(|(path, src)| ModuleFile { path, text: src.text, docs: &src.parsed.docs })
            .collect()
    };
    let (module, auto) = (files(module), files(auto));
    let explicit: Vec<CliValue> = files(explicit).into_iter().map(CliValue::File).collect();
    let folder = module.first().map_or("", |f| detect::parent(f.path));
    // No file reader: `file()` and friends stay unknown in the comparison (the per-unit check reads
    // them, inside the run's read roots).
    let evaluated = evaluate_module(&module, &auto, &explicit, &Env::root(folder, None));
    let mut facts = Facts::new(true);
    for (i, file) in module.iter().enumerate() {
        let docs: &[Node] = evaluated.docs.get(i).and_then(Option::as_ref).map_or(file.docs, |d| &d[..]);
        let origins: Origins = evaluated
            .origins
            .get(i)
            .map(|o| {
                o.iter()
                    .map(|(span, origin)| (*span, Loc { path: origin.path.clone(), span: origin.span }))
                    .collect()
            })
            .unwrap_or_default();
        for doc in docs {
            read_terraform(doc, file.path, &origins, &mut facts);
        }
    }
    facts
}

/// YAML files laid over `base` in order. Kubernetes objects are keyed by `Kind/name`.
fn yaml(base: &[String], files: &[String], library: &Library<'_>) -> Facts {
    let read = |path: &str| -> Option<(Facts, bool)> {
        let (path, src) = library.get_key_value(path)?;
        let mut facts = Facts::new(true);
        let mut whole = !src.parsed.docs.is_empty();
        for doc in &src.parsed.docs {
            let prefix = match object_name(doc) {
                Some(name) => vec![name],
                None => {
                    whole &= path.ends_with("Chart.yaml");
                    Vec::new()
                }
            };
            read_doc(doc, path, prefix, &Origins::new(), &mut facts);
        }
        Some((facts, whole))
    };
    let mut out = Facts::new(!base.is_empty());
    for path in base {
        if let Some((facts, _)) = read(path) {
            out.overlay(facts);
        }
    }
    let mut whole = true;
    for path in files {
        if let Some((facts, w)) = read(path) {
            whole &= w;
            out.overlay(facts);
        }
    }
    // Manifests and Chart.yaml say everything; a values file alone leaves the rest to the chart.
    out.complete |= whole;
    out.root = files.iter().find_map(|path| {
        let (path, src) = library.get_key_value(path.as_str())?;
        let start = src.parsed.docs.first()?.span.start as usize;
        let at = Loc { path: path.to_string(), span: crate::span::Span::new(start, start) };
        Some(facts::Fact {
            value: facts::Value::Tree { list: false, empty: false },
            at,
            used: None,
            ambiguous: false,
            label: None,
        })
    });
    out
}

/// `Deployment/web` for a Kubernetes object.
fn object_name(doc: &Node) -> Option<String> {
    if !crate::rules::is_manifest(doc) {
        return None;
    }
    let kind = doc.get("kind").and_then(Node::as_str)?;
    let name = doc.get("metadata").and_then(|m| m.get("name")).and_then(Node::as_str);
    Some(match name {
        Some(n) => format!("{kind}/{n}"),
        None => kind.to_string(),
    })
}

fn is_terraform(path: &str) -> bool {
    path.ends_with(".tf") || path.ends_with(".tf.json")
}

fn is_auto_vars(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}
