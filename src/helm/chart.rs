//! Loading a Helm chart: `Chart.yaml` (v1 or v2), `values.yaml`, `templates/`, the other files
//! (`.Files`), and subcharts under `charts/` (folders and `.tgz` archives), offline and bounded.
//!
//! A chart is first read into a flat list of files ([`ChartFiles`]) from a folder, an archive or the
//! editor's buffers, then assembled by [`Chart::from_files`]: one code path for every source.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use crate::model::Node;
use crate::parse::{Limits, yaml};

/// Bounds on what one chart (with its subcharts) may hold: a hostile archive or folder costs a
/// diagnostic, not the run's memory.
pub const MAX_FILES: usize = 5_000;
pub const MAX_BYTES: u64 = 64 << 20;
/// Subcharts of subcharts of …: deeper nesting is reported, not loaded.
pub const MAX_DEPTH: usize = 8;

/// A chart's files by path relative to the chart root (`templates/deploy.yaml`), in path order.
#[derive(Clone, Debug, Default)]
pub struct ChartFiles {
    pub files: BTreeMap<String, Arc<[u8]>>,
}

/// A file of a chart that is shown to people: its path for reports and its text.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// Path as reports show it (relative to the scanned root, or `chart.tgz!/templates/x.yaml`).
    pub path: Arc<str>,
    /// Helm's name for it (`web/templates/x.yaml`, `web/charts/db/templates/y.yaml`).
    pub name: String,
    pub text: Arc<str>,
}

/// A dependency declared in `Chart.yaml` (v2) or `requirements.yaml` (v1).
#[derive(Clone, Debug, Default)]
pub struct Dependency {
    pub name: String,
    pub alias: Option<String>,
    pub condition: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Chart {
    /// The chart's `name` from `Chart.yaml`.
    pub name: String,
    /// `Chart.yaml` as written (for `.Chart`).
    pub metadata: Node,
    pub metadata_file: SourceFile,
    pub values: Option<SourceFile>,
    pub templates: Vec<SourceFile>,
    /// Everything else, for `.Files`.
    pub files: BTreeMap<String, Arc<[u8]>>,
    pub dependencies: Vec<Dependency>,
    /// Loaded subcharts, each with the name it was found under in `charts/`.
    pub subcharts: Vec<Chart>,
    /// Problems found while loading (a subchart that could not be read, …), with the file they concern.
    pub problems: Vec<(String, String)>,
}

/// Why a chart could not be loaded at all.
#[derive(Debug)]
pub struct LoadError {
    pub path: String,
    pub message: String,
}

/// Reads a chart folder from disk: no symlinks followed, `.helmignore` honoured, bounded.
pub fn read_dir(dir: &Path) -> Result<ChartFiles, String> {
    let mut out = ChartFiles::default();
    let mut total = 0u64;
    let walker = ignore::WalkBuilder::new(dir)
        .standard_filters(false)
        .hidden(false)
        .follow_links(false)
        .max_depth(Some(64))
        .add_custom_ignore_filename(".helmignore")
        .build();
    for entry in walker {
        let entry = entry.map_err(|e| e.to_string())?;
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else { continue };
        let rel = rel.to_string_lossy().replace('\\', "/");
        if rel == ".helmignore" {
            continue;
        }
        let len = entry.metadata().map(|m| m.len()).unwrap_or(0);
        total += len;
        if out.files.len() >= MAX_FILES || total > MAX_BYTES {
            return Err(format!("chart is over the limit of {MAX_FILES} files or {MAX_BYTES} bytes"));
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| format!("cannot read {rel}: {e}"))?;
        out.files.insert(rel, bytes.into());
    }
    Ok(out)
}

/// Reads a chart archive (`.tgz`): its single top folder is the chart root. Bounded in files and in
/// decompressed bytes, so a gzip bomb stops at the limit.
pub fn read_archive(bytes: &[u8]) -> Result<ChartFiles, String> {
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz.take(MAX_BYTES + 1));
    let mut out = ChartFiles::default();
    let mut total = 0u64;
    let entries = archive.entries().map_err(|e| format!("not a chart archive: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("corrupt chart archive: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let path = entry.path().map_err(|e| e.to_string())?.to_string_lossy().replace('\\', "/");
        // `chart-name/templates/x.yaml`: drop the top folder; refuse paths that climb out.
        let Some((_, rel)) = path.split_once('/') else { continue };
        if rel.split('/').any(|c| c == "..") || rel.starts_with('/') {
            return Err(format!("chart archive entry `{path}` points outside the chart"));
        }
        // The header says how big the file is: refuse before inflating it.
        let declared = entry.header().size().unwrap_or(u64::MAX);
        if out.files.len() >= MAX_FILES || total.saturating_add(declared) > MAX_BYTES {
            return Err(format!("chart archive is over the limit of {MAX_FILES} files or {MAX_BYTES} bytes"));
        }
        let mut buf = Vec::new();
        entry
            .by_ref()
            .take(MAX_BYTES.saturating_sub(total) + 1)
            .read_to_end(&mut buf)
            .map_err(|e| format!("corrupt chart archive: {e}"))?;
        total += buf.len() as u64;
        if out.files.len() >= MAX_FILES || total > MAX_BYTES {
            return Err(format!("chart archive is over the limit of {MAX_FILES} files or {MAX_BYTES} bytes"));
        }
        out.files.insert(rel.to_string(), buf.into());
    }
    Ok(out)
}

fn text_of(bytes: &[u8]) -> Arc<str> {
    let s = String::from_utf8_lossy(bytes);
    Arc::from(s.strip_prefix('\u{feff}').unwrap_or(&s))
}

impl Chart {
    /// Assembles a chart from its files. `shown` is the chart root as reports show it (`charts/web`,
    /// or `""` for the scanned root); `prefix` is the Helm name prefix of its parent (`""` at the top,
    /// `web/charts/` for a subchart of `web`).
    pub fn from_files(files: ChartFiles, shown: &str, prefix: &str) -> Result<Chart, LoadError> {
        Chart::assemble(files, shown, prefix, 0)
    }

    fn assemble(files: ChartFiles, shown: &str, prefix: &str, depth: usize) -> Result<Chart, LoadError> {
        let join = |rel: &str| -> Arc<str> {
            if shown.is_empty() { Arc::from(rel) } else { Arc::from(format!("{shown}/{rel}")) }
        };
        let meta_path = join("Chart.yaml");
        let Some(meta_bytes) = files.files.get("Chart.yaml") else {
            return Err(LoadError { path: meta_path.to_string(), message: "no Chart.yaml".into() });
        };
        let meta_text = text_of(meta_bytes);
        let parsed = yaml::parse(&meta_text, &Limits::default());
        let Some(metadata) = parsed.docs.into_iter().next().filter(|d| !d.entries().is_empty()) else {
            return Err(LoadError {
                path: meta_path.to_string(),
                message: "Chart.yaml is not a YAML map with the chart's name and version".into(),
            });
        };
        let Some(name) = metadata.get("name").and_then(|n| n.scalar_text()).filter(|n| !n.is_empty()) else {
            return Err(LoadError {
                path: meta_path.to_string(),
                message: "Chart.yaml has no `name`".into(),
            });
        };
        let helm_prefix = format!("{prefix}{name}/");
        let mut deps_node = metadata.get("dependencies").cloned();
        if deps_node.is_none()
            && let Some(req) = files.files.get("requirements.yaml")
        {
            let req = text_of(req);
            deps_node = yaml::parse(&req, &Limits::default())
                .docs
                .into_iter()
                .next()
                .and_then(|d| d.get("dependencies").cloned());
        }
        let dependencies = deps_node.map(|d| d.items().iter().map(dependency).collect()).unwrap_or_default();

        let mut chart = Chart {
            name: name.clone(),
            metadata,
            metadata_file: SourceFile {
                path: meta_path,
                name: format!("{helm_prefix}Chart.yaml"),
                text: meta_text,
            },
            values: None,
            templates: Vec::new(),
            files: BTreeMap::new(),
            dependencies,
            subcharts: Vec::new(),
            problems: Vec::new(),
        };
        let mut sub_dirs: BTreeMap<String, ChartFiles> = BTreeMap::new();
        for (rel, bytes) in files.files {
            if rel == "Chart.yaml" || rel == "requirements.yaml" || rel == "requirements.lock" {
                continue;
            }
            if rel == "values.yaml" {
                chart.values = Some(SourceFile {
                    path: join(&rel),
                    name: format!("{helm_prefix}{rel}"),
                    text: text_of(&bytes),
                });
            } else if rel.starts_with("templates/") {
                chart.templates.push(SourceFile {
                    path: join(&rel),
                    name: format!("{helm_prefix}{rel}"),
                    text: text_of(&bytes),
                });
            } else if let Some(sub) = rel.strip_prefix("charts/") {
                match sub.split_once('/') {
                    Some((dir, inner)) => {
                        sub_dirs.entry(dir.to_string()).or_default().files.insert(inner.to_string(), bytes);
                    }
                    None if sub.ends_with(".tgz") || sub.ends_with(".tar.gz") => {
                        chart.load_subchart_archive(&join(&rel), &bytes, &helm_prefix, depth);
                    }
                    None => {}
                }
            } else {
                chart.files.insert(rel, bytes);
            }
        }
        for (dir, sub_files) in sub_dirs {
            let shown_sub = join(&format!("charts/{dir}"));
            if !sub_files.files.contains_key("Chart.yaml") {
                continue;
            }
            chart.add_subchart(sub_files, &shown_sub, &helm_prefix, depth);
        }
        Ok(chart)
    }

    fn load_subchart_archive(&mut self, shown: &str, bytes: &[u8], helm_prefix: &str, depth: usize) {
        match read_archive(bytes) {
            Ok(files) => {
                let before = self.problems.len();
                self.add_subchart(files, &format!("{shown}!"), helm_prefix, depth);
                // What is wrong inside an archive is reported on the archive, the file people see.
                for p in &mut self.problems[before..] {
                    if p.0 == format!("{shown}!/Chart.yaml") {
                        p.0 = shown.to_string();
                    }
                }
            }
            Err(message) => self.problems.push((shown.to_string(), message)),
        }
    }

    fn add_subchart(&mut self, files: ChartFiles, shown: &str, helm_prefix: &str, depth: usize) {
        if depth + 1 > MAX_DEPTH {
            self.problems.push((
                shown.to_string(),
                format!("subcharts nested more than {MAX_DEPTH} deep were not loaded"),
            ));
            return;
        }
        match Chart::assemble(files, shown, &format!("{helm_prefix}charts/"), depth + 1) {
            Ok(sub) => self.subcharts.push(sub),
            Err(e) => self.problems.push((e.path, e.message)),
        }
    }

    /// `metadata.apiVersion`, `v1` when absent.
    pub fn api_version(&self) -> String {
        self.metadata.get("apiVersion").and_then(|n| n.scalar_text()).unwrap_or_else(|| "v1".into())
    }

    /// A library chart (`type: library`) has only helpers: its templates are not rendered.
    pub fn is_library(&self) -> bool {
        self.metadata.get("type").and_then(|n| n.as_str()) == Some("library")
    }

    /// Every template and values file of the chart and its subcharts.
    pub fn sources(&self) -> Vec<&SourceFile> {
        let mut out: Vec<&SourceFile> = self.templates.iter().chain(self.values.iter()).collect();
        out.push(&self.metadata_file);
        for s in &self.subcharts {
            out.extend(s.sources());
        }
        out
    }
}

fn dependency(node: &Node) -> Dependency {
    let text = |k: &str| node.get(k).and_then(|n| n.scalar_text()).filter(|s| !s.is_empty());
    Dependency {
        name: text("name").unwrap_or_default(),
        alias: text("alias"),
        condition: text("condition"),
        tags: node
            .get("tags")
            .map(|t| t.items().iter().filter_map(|n| n.scalar_text()).collect())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(list: &[(&str, &str)]) -> ChartFiles {
        ChartFiles { files: list.iter().map(|(p, t)| (p.to_string(), Arc::from(t.as_bytes()))).collect() }
    }

    #[test]
    fn assembles_templates_values_files_and_subcharts() {
        let chart = Chart::from_files(
            files(&[
                ("Chart.yaml", "apiVersion: v2\nname: web\nversion: 1.0.0\ndependencies:\n  - name: db\n    condition: db.enabled\n"),
                ("values.yaml", "replicas: 2\n"),
                ("templates/deploy.yaml", "kind: Deployment\n"),
                ("templates/_helpers.tpl", "{{ define \"x\" }}{{ end }}"),
                ("README.md", "hi"),
                ("charts/db/Chart.yaml", "name: db\nversion: 2.0.0\n"),
                ("charts/db/templates/sts.yaml", "kind: StatefulSet\n"),
            ]),
            "deploy/web",
            "",
        )
        .expect("chart");
        assert_eq!(chart.name, "web");
        assert_eq!(chart.templates.len(), 2);
        assert_eq!(&*chart.templates[0].path, "deploy/web/templates/_helpers.tpl");
        assert_eq!(chart.templates[1].name, "web/templates/deploy.yaml");
        assert!(chart.files.contains_key("README.md"));
        assert_eq!(chart.dependencies[0].condition.as_deref(), Some("db.enabled"));
        let db = &chart.subcharts[0];
        assert_eq!(db.templates[0].name, "web/charts/db/templates/sts.yaml");
        assert_eq!(&*db.templates[0].path, "deploy/web/charts/db/templates/sts.yaml");
        assert_eq!(db.api_version(), "v1");
    }

    #[test]
    fn a_chart_without_a_name_is_an_error() {
        let err = Chart::from_files(files(&[("Chart.yaml", "version: 1\n")]), "", "").expect_err("no name");
        assert!(err.message.contains("name"), "{}", err.message);
    }

    #[test]
    fn archives_load_and_bad_archives_are_problems() {
        let mut tgz = Vec::new();
        {
            let gz = flate2::write::GzEncoder::new(&mut tgz, flate2::Compression::fast());
            let mut tar = tar::Builder::new(gz);
            for (p, t) in [("db/Chart.yaml", "name: db\nversion: 1.0.0\n"), ("db/templates/a.yaml", "a: 1\n")]
            {
                let mut h = tar::Header::new_gnu();
                h.set_size(t.len() as u64);
                h.set_mode(0o644);
                h.set_cksum();
                tar.append_data(&mut h, p, t.as_bytes()).expect("append");
            }
            tar.into_inner().expect("tar").finish().expect("gz");
        }
        let mut f = files(&[("Chart.yaml", "name: web\nversion: 1.0.0\n")]);
        f.files.insert("charts/db-1.0.0.tgz".into(), tgz.into());
        f.files.insert("charts/broken-1.0.0.tgz".into(), Arc::from(&b"not gzip"[..]));
        let chart = Chart::from_files(f, "", "").expect("chart");
        assert_eq!(chart.subcharts.len(), 1);
        assert_eq!(&*chart.subcharts[0].templates[0].path, "charts/db-1.0.0.tgz!/templates/a.yaml");
        assert_eq!(chart.problems.len(), 1, "{:?}", chart.problems);
        assert_eq!(chart.problems[0].0, "charts/broken-1.0.0.tgz");
    }
}
