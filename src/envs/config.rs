//! Environments declared in `smelt.toml` (`[[environments]]`): names, promotion order, and the files
//! of each. When any are declared, they replace detection by convention.

use globset::GlobSet;
use std::path::{Path, PathBuf};

/// How environments are found in a run.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub declared: Vec<DeclaredEnv>,
    /// The configuration file, for `smelt envs` (`smelt.toml`).
    pub file_name: String,
    /// Absolute folders: declared patterns are relative to `root`, checked paths to `cwd`.
    root: PathBuf,
    cwd: PathBuf,
}

/// One `[[environments]]` entry.
#[derive(Clone, Debug)]
pub struct DeclaredEnv {
    pub name: String,
    pub order: i64,
    /// Each pattern as written, with its compiled globs.
    pub patterns: Vec<(String, GlobSet)>,
    /// The line of its `[[environments]]` header.
    pub line: usize,
}

impl Settings {
    /// Everything in these settings that changes what the comparison finds, as text: for the cache's
    /// key of the pass (the compiled globs are left out: the patterns they come from are in).
    pub fn cache_key(&self) -> String {
        let declared: Vec<_> = self
            .declared
            .iter()
            .map(|e| (&e.name, e.order, e.patterns.iter().map(|(p, _)| p).collect::<Vec<_>>(), e.line))
            .collect();
        format!("{declared:?} {:?} {:?} {:?}", self.file_name, self.root, self.cwd)
    }

    pub fn from_config(config: &crate::config::Config) -> Settings {
        let cwd = std::env::current_dir().map(|c| c.canonicalize().unwrap_or(c)).unwrap_or_default();
        let root = cwd.join(&config.root);
        let root = root.canonicalize().unwrap_or_else(|_| crate::config::normalise(&root));
        let declared = config
            .environments
            .iter()
            .map(|e| DeclaredEnv {
                name: e.name.clone(),
                order: e.order,
                patterns: e
                    .paths
                    .iter()
                    .filter_map(|p| {
                        crate::config::compile_globs(std::slice::from_ref(p)).ok().map(|g| (p.clone(), g))
                    })
                    .collect(),
                line: e.line,
            })
            .collect();
        Settings { declared, file_name: config.file_name.clone(), root, cwd }
    }

    /// Declared environments for tests: patterns relative to the working folder.
    #[cfg(test)]
    pub fn declared_here(envs: &[(&str, i64, &[&str])]) -> Settings {
        let declared = envs
            .iter()
            .enumerate()
            .map(|(i, (name, order, paths))| DeclaredEnv {
                name: name.to_string(),
                order: *order,
                patterns: paths
                    .iter()
                    .filter_map(|p| {
                        crate::config::compile_globs(&[p.to_string()]).ok().map(|g| (p.to_string(), g))
                    })
                    .collect(),
                line: i + 1,
            })
            .collect();
        Settings { declared, file_name: "smelt.toml".into(), root: PathBuf::new(), cwd: PathBuf::new() }
    }

    /// A checked path (relative to the working folder, or absolute) relative to the configuration
    /// file's folder, as declared patterns are written; `None` outside it.
    pub fn relative(&self, path: &str) -> Option<String> {
        let joined = self.cwd.join(path);
        let absolute = crate::config::normalise(&joined);
        let rel = absolute.strip_prefix(&self.root).ok()?;
        Some(crate::discover::display_path(Path::new(rel)))
    }
}
