//! Finding the environments and the files that describe the same thing in each of them.
//!
//! Each file of an environment gets a *role*: its path with the environment's name replaced by
//! `{env}` (`envs/prod/main.tf` → `envs/{env}/main.tf`, `charts/web/values-prod.yaml` →
//! `charts/web/values-{env}.yaml`). Files with the same role in different environments are
//! counterparts, compared as a *group*:
//!
//! - a Terraform folder per environment (`envs/{env}`): its `.tf` files, with the `.tfvars` files in it;
//! - one Terraform folder with a `.tfvars` file per environment (`prod.tfvars`, `vars/staging.tfvars`),
//!   each evaluated with the folder's shared files as `terraform plan -var-file=…` would;
//! - YAML per environment (Helm values, manifests, `Chart.yaml`, kustomizations), on top of the chart's
//!   own `values.yaml` when the file is a values file inside a chart;
//! - pipeline jobs by their `environment:` (GitHub) or `environment: name:` (GitLab).
//!
//! Declared environments (`[[environments]]` in `smelt.toml`) replace the convention: a file belongs to
//! the environment whose `paths` match it, and its role is its path below the matching pattern's fixed
//! folders (`infra/live/**` and `infra/stage/**` both give `main.tf` the role `{env}/main.tf`).

use super::config::Settings;
use super::names::{self, token};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the detection needs to know about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Terraform,
    TerraformVars,
    /// Any other YAML (or JSON) that is not a pipeline: values files, manifests, kustomizations.
    Yaml,
    /// A Helm chart's `Chart.yaml`.
    Chart,
    /// Pipelines are grouped by their jobs' environments, not by path.
    Pipeline,
}

#[derive(Clone, Debug)]
pub struct Candidate {
    pub path: String,
    pub kind: Kind,
}

/// A pipeline job that deploys to a named environment.
#[derive(Clone, Debug, Serialize)]
pub struct JobRef {
    /// `GitHub Actions` or `GitLab CI`.
    pub system: &'static str,
    /// The pipeline file: jobs of one file, or of files named for their environment
    /// (`deploy-staging.yml`, `deploy-prod.yml`), are compared with each other.
    pub file: String,
    pub job: String,
    pub environment: String,
}

/// [`JobRef`] as read back from the cache, where [`JobRef::system`] is any string: only the CI
/// systems smelt knows are taken (a damaged entry is then recomputed).
#[derive(Deserialize)]
struct StoredJobRef {
    system: String,
    file: String,
    job: String,
    environment: String,
}

impl<'de> Deserialize<'de> for JobRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<JobRef, D::Error> {
        let j = StoredJobRef::deserialize(d)?;
        let system = ["GitHub Actions", "GitLab CI"]
            .into_iter()
            .find(|s| *s == j.system)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown CI system `{}`", j.system)))?;
        Ok(JobRef { system, file: j.file, job: j.job, environment: j.environment })
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Environment {
    pub name: String,
    /// Place in the promotion order: lower is promoted first.
    pub order: i64,
    /// The line of its `[[environments]]` entry, when declared.
    pub line: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum GroupKind {
    /// A Terraform folder per environment.
    TerraformFolders,
    /// One Terraform folder, a `.tfvars` file per environment.
    TerraformVars,
    /// `.tfvars` files per environment with no module beside them: compared as they are.
    Vars,
    Yaml,
    Pipeline,
}

impl GroupKind {
    pub fn label(self) -> &'static str {
        match self {
            GroupKind::TerraformFolders => "terraform folders",
            GroupKind::TerraformVars => "terraform variable files",
            GroupKind::Vars => "variable files",
            GroupKind::Yaml => "yaml",
            GroupKind::Pipeline => "pipeline",
        }
    }
}

/// One environment's part of a group.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Member {
    pub env: String,
    pub order: i64,
    /// The environment's own files, in the order they apply.
    pub files: Vec<String>,
    /// Terraform: the folder evaluated for this environment.
    pub folder: Option<String>,
    /// Pipelines: indexes of its jobs in the job list.
    pub jobs: Vec<usize>,
}

/// Counterpart files (or jobs) in different environments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    pub kind: GroupKind,
    /// The role (`envs/{env}`), the shared folder, or the pipeline.
    pub label: String,
    /// Files every environment of the group reads: the module's `.tf` files and automatic `.tfvars`
    /// beside per-environment `.tfvars`, a chart's `values.yaml` under per-environment values.
    pub shared: Vec<String>,
    /// In promotion order.
    pub members: Vec<Member>,
}

impl Group {
    /// A group is compared when at least two environments have a part in it.
    pub fn compared(&self) -> bool {
        self.members.len() >= 2
    }
}

#[derive(Clone, Debug, Default)]
pub struct Detection {
    /// Every environment found, in promotion order.
    pub environments: Vec<Environment>,
    /// Compared groups first, in label order; then files of one environment only.
    pub groups: Vec<Group>,
    /// Whether environments came from `smelt.toml` (else by convention).
    pub declared: bool,
}

impl Detection {
    /// Every file the comparison reads.
    pub fn files(&self) -> BTreeSet<&str> {
        compared_files(self.groups.iter())
    }
}

/// An environment a path belongs to, and the path's role.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Assigned {
    env: String,
    order: i64,
    role: String,
}

/// One environment's files for a group, before grouping.
struct Part {
    kind: GroupKind,
    label: String,
    shared: Vec<String>,
    assigned: Assigned,
    files: Vec<String>,
    folder: Option<String>,
}

/// Finds the environments of `candidates` and `jobs` and groups their counterparts.
pub fn detect(candidates: &[Candidate], jobs: &[JobRef], settings: &Settings) -> Detection {
    Layout::new(candidates, settings).with_jobs(jobs, settings)
}

/// The groups of files, before pipeline jobs join them: which files the comparison reads does not
/// depend on the jobs (pipeline groups hold only the jobs' own files), so a check can know them
/// before it has parsed a pipeline.
pub struct Layout {
    groups: BTreeMap<(GroupKind, String), Group>,
}

impl Layout {
    pub fn new(candidates: &[Candidate], settings: &Settings) -> Layout {
        Layout { groups: file_groups(candidates, settings) }
    }

    /// Every file the comparison reads, besides the pipelines whose jobs it compares.
    pub fn files(&self) -> BTreeSet<&str> {
        compared_files(self.groups.values())
    }

    /// The detection, with `jobs` grouped by environment.
    pub fn with_jobs(self, jobs: &[JobRef], settings: &Settings) -> Detection {
        let mut groups = self.groups;
        for (i, job) in jobs.iter().enumerate() {
            let Some(a) = assign_name(&job.environment, settings) else { continue };
            let label = by_convention(&job.file, true).map_or_else(|| job.file.clone(), |r| r.role);
            let g = groups.entry((GroupKind::Pipeline, label.clone())).or_insert_with(|| Group {
                kind: GroupKind::Pipeline,
                label,
                shared: Vec::new(),
                members: Vec::new(),
            });
            let m = member_of(g, &a);
            m.jobs.push(i);
            if !m.files.contains(&job.file) {
                m.files.push(job.file.clone());
            }
        }

        let mut groups: Vec<Group> = groups.into_values().collect();
        for g in &mut groups {
            g.shared.sort();
            g.members.sort_by(|a, b| (a.order, &a.env).cmp(&(b.order, &b.env)));
        }
        groups.sort_by_key(|g| !g.compared());
        let mut environments: BTreeMap<String, Environment> = BTreeMap::new();
        for m in groups.iter().flat_map(|g| &g.members) {
            let line = settings.declared.iter().find(|d| d.name == m.env).map(|d| d.line);
            environments.entry(m.env.clone()).or_insert(Environment {
                name: m.env.clone(),
                order: m.order,
                line,
            });
        }
        let mut environments: Vec<Environment> = environments.into_values().collect();
        environments.sort_by(|a, b| (a.order, &a.name).cmp(&(b.order, &b.name)));
        Detection { environments, groups, declared: !settings.declared.is_empty() }
    }
}

fn compared_files<'g>(groups: impl Iterator<Item = &'g Group>) -> BTreeSet<&'g str> {
    groups
        .filter(|g| g.compared())
        .flat_map(|g| g.shared.iter().chain(g.members.iter().flat_map(|m| m.files.iter())))
        .map(String::as_str)
        .collect()
}

/// The groups of Terraform folders, variable files and YAML, by kind and label.
fn file_groups(candidates: &[Candidate], settings: &Settings) -> BTreeMap<(GroupKind, String), Group> {
    let declared = !settings.declared.is_empty();
    let assign = |path: &str, whole_name: bool| {
        if declared { by_declaration(path, settings) } else { by_convention(path, whole_name) }
    };
    let mut parts = Vec::new();
    let mut by_dir: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        by_dir.entry(parent(&c.path)).or_default().push(c);
    }
    let in_dir = |dir: &str| by_dir.get(dir).map_or(&[][..], |v| &v[..]);

    // Terraform folders per environment, with the variable files inside them.
    let mut env_folders: BTreeMap<&str, Assigned> = BTreeMap::new();
    for c in candidates.iter().filter(|c| c.kind == Kind::Terraform) {
        if let Some(a) = assign(&c.path, false) {
            env_folders.insert(parent(&c.path), Assigned { role: parent(&a.role).to_string(), ..a });
        }
    }
    for (dir, a) in &env_folders {
        let files = in_dir(dir)
            .iter()
            .filter(|c| matches!(c.kind, Kind::Terraform | Kind::TerraformVars))
            .map(|c| c.path.clone())
            .collect();
        parts.push(Part {
            kind: GroupKind::TerraformFolders,
            label: a.role.clone(),
            shared: Vec::new(),
            assigned: a.clone(),
            files,
            folder: Some(dir.to_string()),
        });
    }

    // Variable files per environment: for the nearest shared module above them, or on their own.
    let tf_dirs: BTreeSet<&str> =
        candidates.iter().filter(|c| c.kind == Kind::Terraform).map(|c| parent(&c.path)).collect();
    for c in candidates.iter().filter(|c| c.kind == Kind::TerraformVars) {
        if env_folders.contains_key(parent(&c.path)) {
            continue;
        }
        let Some(a) = assign(&c.path, true) else { continue };
        let module = ancestors(parent(&c.path)).find(|d| tf_dirs.contains(d) && !env_folders.contains_key(d));
        // Terraform reads a module's automatic variable files whichever environment is planned.
        if module == Some(parent(&c.path)) && is_auto_vars(&c.path) {
            continue;
        }
        let part = match module {
            Some(dir) => Part {
                kind: GroupKind::TerraformVars,
                label: if dir.is_empty() { ".".to_string() } else { dir.to_string() },
                shared: in_dir(dir)
                    .iter()
                    .filter(|x| {
                        x.kind == Kind::Terraform || (x.kind == Kind::TerraformVars && is_auto_vars(&x.path))
                    })
                    .map(|x| x.path.clone())
                    .collect(),
                assigned: a,
                files: vec![c.path.clone()],
                folder: Some(dir.to_string()),
            },
            None => Part {
                kind: GroupKind::Vars,
                label: a.role.clone(),
                shared: Vec::new(),
                assigned: a,
                files: vec![c.path.clone()],
                folder: None,
            },
        };
        parts.push(part);
    }

    // YAML per environment, over the chart's defaults for values files.
    let paths: BTreeSet<&str> = candidates.iter().map(|c| c.path.as_str()).collect();
    let charts: BTreeSet<&str> =
        candidates.iter().filter(|c| c.kind == Kind::Chart).map(|c| parent(&c.path)).collect();
    for c in candidates.iter().filter(|c| matches!(c.kind, Kind::Yaml | Kind::Chart)) {
        let Some(a) = assign(&c.path, true) else { continue };
        // The chart's own values.yaml is the base, unless the chart itself is this environment's.
        let base = match c.kind {
            Kind::Chart => None,
            _ => ancestors(parent(&c.path))
                .find(|d| charts.contains(d))
                .filter(|d| assign(&join(d, "Chart.yaml"), false).is_none_or(|x| x.env != a.env))
                .and_then(|d| {
                    ["values.yaml", "values.yml"]
                        .iter()
                        .map(|n| join(d, n))
                        .find(|p| paths.contains(p.as_str()) && *p != c.path)
                }),
        };
        parts.push(Part {
            kind: GroupKind::Yaml,
            label: a.role.clone(),
            shared: base.into_iter().collect(),
            assigned: a,
            files: vec![c.path.clone()],
            folder: None,
        });
    }

    let mut groups: BTreeMap<(GroupKind, String), Group> = BTreeMap::new();
    for part in parts {
        let g = groups.entry((part.kind, part.label.clone())).or_insert_with(|| Group {
            kind: part.kind,
            label: part.label.clone(),
            shared: Vec::new(),
            members: Vec::new(),
        });
        for s in part.shared {
            if !g.shared.contains(&s) {
                g.shared.push(s);
            }
        }
        let m = member_of(g, &part.assigned);
        for f in part.files {
            if !m.files.contains(&f) {
                m.files.push(f);
            }
        }
        m.files.sort();
        m.folder = m.folder.take().or(part.folder);
    }
    groups
}

fn member_of<'g>(g: &'g mut Group, a: &Assigned) -> &'g mut Member {
    let i = match g.members.iter().position(|m| m.env == a.env) {
        Some(i) => i,
        None => {
            g.members.push(Member { env: a.env.clone(), order: a.order, ..Member::default() });
            g.members.len() - 1
        }
    };
    &mut g.members[i]
}

/// The folder of a path (`""` at the top).
pub fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() { name.to_string() } else { format!("{dir}/{name}") }
}

/// `dir`, then each folder above it, ending with `""`.
fn ancestors(dir: &str) -> impl Iterator<Item = &str> {
    let mut next = Some(dir);
    std::iter::from_fn(move || {
        let d = next?;
        next = if d.is_empty() { None } else { Some(parent(d)) };
        Some(d)
    })
}

/// The variable files Terraform reads by itself.
fn is_auto_vars(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "terraform.tfvars"
        || name == "terraform.tfvars.json"
        || name.ends_with(".auto.tfvars")
        || name.ends_with(".auto.tfvars.json")
}

/// A file name without the extensions smelt knows (`values-prod.yaml` → `values-prod`).
fn stem(name: &str) -> &str {
    for ext in [".tfvars.json", ".tf.json", ".tfvars", ".tf", ".yaml", ".yml", ".json"] {
        if let Some(s) = name.strip_suffix(ext) {
            return s;
        }
    }
    name
}

/// The environment a path names by convention: the deepest folder (or, when `whole_name`, the file
/// name) holding an environment's name. Every occurrence of that name becomes `{env}` in the role.
fn by_convention(path: &str, whole_name: bool) -> Option<Assigned> {
    let segments: Vec<&str> = path.split('/').collect();
    let last = segments.len().saturating_sub(1);
    let searchable = |i: usize, s: &'_ str| -> Option<names::Token> {
        if i == last { if whole_name { token(stem(s)) } else { None } } else { token(s) }
    };
    let (_, found) = segments.iter().enumerate().rev().find_map(|(i, s)| searchable(i, s).map(|t| (i, t)))?;
    let role: Vec<String> = segments
        .iter()
        .enumerate()
        .map(|(i, s)| match searchable(i, s) {
            Some(t) if t.name == found.name => format!("{}{{env}}{}", &s[..t.start], &s[t.end..]),
            _ => s.to_string(),
        })
        .collect();
    Some(Assigned { env: found.name, order: i64::from(found.stage), role: role.join("/") })
}

/// The declared environment whose `paths` match `path`, and the path's role: the environment's name
/// in it replaced by `{env}` where it appears (by convention or as declared), else the matching
/// pattern's last fixed folder (`infra/live/**` → `infra/{env}/…`), or for a pattern naming one file,
/// the file's name (`helm/blue.yaml` → `helm/{env}.yaml`).
fn by_declaration(path: &str, settings: &Settings) -> Option<Assigned> {
    let rel = settings.relative(path)?;
    let (env, pattern) = settings
        .declared
        .iter()
        .find_map(|env| env.patterns.iter().find(|(_, globs)| globs.is_match(&rel)).map(|(p, _)| (env, p)))?;
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let fixed: Vec<&str> = pattern.split('/').take_while(|s| !s.contains(['*', '?', '[', '{'])).collect();
    let words = names::name_words(&env.name, None);
    let named = |s: &str| -> Option<String> {
        if let Some(a) = by_convention(s, true) {
            return Some(a.role);
        }
        let names_env = |seg: &str| words.iter().any(|w| stem(seg).eq_ignore_ascii_case(w));
        s.split('/').any(names_env).then(|| {
            let replaced: Vec<String> = s
                .split('/')
                .map(|seg| if names_env(seg) { seg.replacen(stem(seg), "{env}", 1) } else { seg.to_string() })
                .collect();
            replaced.join("/")
        })
    };
    let role = if fixed.join("/") == rel {
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        let role =
            named(name).unwrap_or_else(|| format!("{{env}}{}", name.strip_prefix(stem(name)).unwrap_or("")));
        join(parent(&rel), &role)
    } else {
        let rest = rel.split('/').skip(fixed.len()).collect::<Vec<_>>().join("/");
        match (named(&rest), fixed.split_last()) {
            (Some(r), _) => join(&fixed.join("/"), &r),
            (None, Some((_, above))) => join(&join(&above.join("/"), "{env}"), &rest),
            (None, None) => rest,
        }
    };
    Some(Assigned { env: env.name.clone(), order: env.order, role })
}

/// The environment a pipeline's `environment:` name is: a declared one (by name, or by stage when the
/// declared name is a conventional one), or by convention. Names built at run time (`review/$CI_…`,
/// `${{ inputs.env }}`) are none.
fn assign_name(name: &str, settings: &Settings) -> Option<Assigned> {
    if name.contains('$') || name.trim().is_empty() {
        return None;
    }
    let conventional = name.split('/').find_map(token);
    if settings.declared.is_empty() {
        let t = conventional?;
        return Some(Assigned { env: t.name, order: i64::from(t.stage), role: String::new() });
    }
    let exact = settings.declared.iter().find(|d| d.name.eq_ignore_ascii_case(name.trim()));
    let by_stage = || {
        let stage = conventional.as_ref()?.stage;
        settings.declared.iter().find(|d| token(&d.name).is_some_and(|t| t.stage == stage))
    };
    let d = exact.or_else(by_stage)?;
    Some(Assigned { env: d.name.clone(), order: d.order, role: String::new() })
}

#[cfg(test)]
#[path = "detect_tests.rs"]
mod tests;
