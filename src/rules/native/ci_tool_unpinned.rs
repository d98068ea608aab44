//! Tools installed in CI scripts at a version that moves: downloads from `…/latest/…` or a branch
//! (`raw.githubusercontent.com/o/r/main/…`), install scripts piped into a shell with no version
//! anywhere, `pip install git+…` without a tag or commit, `go install …@latest`, `npx …@latest`,
//! `cargo install --git` without `--rev`/`--tag`, `helm plugin install URL` without `--version`,
//! `gh release download` without a tag.

use crate::pipeline::jobs::{self, Ci, Step};
use crate::pipeline::shell::{Command, Word, WordKind};
use crate::rules::{FileView, RawFinding};
use regex::Regex;
use std::sync::LazyLock;

/// Programs that run a script read from standard input.
const INTERPRETERS: &[&str] =
    &["sh", "bash", "zsh", "dash", "ksh", "ash", "python", "python3", "perl", "ruby", "node"];
/// Refs that name a branch (or the newest thing), not a fixed version.
const MOVING_REFS: &[&str] =
    &["main", "master", "head", "develop", "dev", "trunk", "latest", "stable", "nightly", "edge", "next"];

/// `1.2`, `v3`, `1.2.3-rc1`, a commit SHA: something that names one version.
static VERSION: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i)(\bv?\d+\.\d+|/v\d+\b|[0-9a-f]{40}|@sha256:)").ok());

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(ci) = jobs::load(file) else { return Vec::new() };
    let mut out = Vec::new();
    for (step, cmd) in ci.jobs.iter().flat_map(Ci::commands) {
        check_command(ci, step, cmd, &mut out);
    }
    out
}

fn check_command(ci: &Ci, step: &Step, cmd: &Command, out: &mut Vec<RawFinding>) {
    let Some(program) = cmd.program() else { return };
    let mut flag = |w: &Word, detail: String| out.push(ci.finding(step, w.span, detail));
    match program {
        "curl" | "wget" => {
            for w in cmd.args().iter().filter(|w| is_url(w)) {
                if let Some(why) = moving_url(w.text()) {
                    flag(
                        w,
                        format!(
                            "`{program}` downloads `{}`, {why}: the job gets whatever is there today, so the same commit builds differently tomorrow; download a versioned release (`…/download/v1.2.3/…`) or a commit-pinned URL, and check its checksum",
                            w.text()
                        ),
                    );
                } else if let Some(shell) = piped_unversioned(step, cmd, w) {
                    flag(
                        w,
                        format!(
                            "`{program} {} | {shell}` runs an install script with no version in its URL or arguments: it installs whatever is newest when the job runs; pass the version the script takes (`-s -- --version 1.2.3`, `VERSION=1.2.3`) or download a versioned release and check its checksum",
                            w.text()
                        ),
                    );
                }
            }
        }
        "pip" | "pip3" | "uv" | "pipx" | "python" | "python3" => {
            if !installs(cmd, program) {
                return;
            }
            for w in cmd.args() {
                if let Some(why) = moving_pip_spec(w.text()) {
                    flag(
                        w,
                        format!(
                            "`{}` installs {why}: every run can get different code; pin a tag or commit (`git+https://…@v1.2.3`) or install a released version (`tool==1.2.3`)",
                            w.text()
                        ),
                    );
                }
            }
        }
        "go" => {
            let Some((i, sub)) = cmd.subcommand(&[]) else { return };
            if !matches!(sub.text(), "install" | "get" | "run") {
                return;
            }
            for w in cmd.args().iter().skip(i + 1) {
                if let Some((_, r)) = w.text().rsplit_once('@')
                    && is_moving_ref(r)
                {
                    flag(
                        w,
                        format!(
                            "`go {} {}` fetches the newest commit of that module at `@{r}`: pin a version (`@v1.2.3`)",
                            sub.text(),
                            w.text()
                        ),
                    );
                }
            }
        }
        "npx" | "npm" | "pnpm" | "yarn" | "bunx" | "uvx" => {
            let runs_packages = matches!(program, "npx" | "bunx" | "uvx")
                || cmd.subcommand(&[]).is_some_and(|(_, w)| {
                    matches!(w.text(), "install" | "i" | "add" | "exec" | "x" | "dlx" | "global")
                });
            if !runs_packages {
                return;
            }
            for w in cmd.args() {
                let t = w.text();
                let Some(at) = t.rfind('@').filter(|&i| i > 0) else { continue };
                let (name, r) = (&t[..at], &t[at + 1..]);
                let package = !name.starts_with('-')
                    && !name.contains("://")
                    && (!name.contains('/') || name.starts_with('@'));
                if package && is_moving_ref(r) {
                    flag(
                        w,
                        format!(
                            "`{program} {t}` installs whatever `{r}` points to when the job runs: pin a version (`{name}@1.2.3`)"
                        ),
                    );
                }
            }
        }
        "cargo" => {
            let Some((_, sub)) =
                cmd.subcommand(&["--git", "--branch", "--tag", "--rev", "--version", "--root"])
            else {
                return;
            };
            if !sub.is_literal("install") {
                return;
            }
            let git = cmd.args().iter().position(|w| w.text() == "--git" || w.text().starts_with("--git="));
            let pinned = cmd.has_flag(&["--rev", "--tag"]).is_some();
            if let Some(i) = git.filter(|_| !pinned)
                && let Some(w) = cmd.args().get(i)
            {
                flag(w, "`cargo install --git` without `--rev` or `--tag` builds the newest commit of the default (or given) branch: pin `--rev <commit>` or `--tag v1.2.3`".to_string());
            }
        }
        "helm" => {
            let args = cmd.args();
            let is_plugin_install = args.first().is_some_and(|w| w.is_literal("plugin"))
                && args.get(1).is_some_and(|w| w.is_literal("install"));
            if is_plugin_install
                && cmd.has_flag(&["--version"]).is_none()
                && let Some(w) = args.get(2).filter(|w| is_url(w))
            {
                flag(
                    w,
                    format!(
                        "`helm plugin install {}` without `--version` installs the plugin's newest commit: add `--version v1.2.3`",
                        w.text()
                    ),
                );
            }
        }
        "gh" => {
            let args = cmd.args();
            let is_download = args.first().is_some_and(|w| w.is_literal("release"))
                && args.get(1).is_some_and(|w| w.is_literal("download"));
            if !is_download {
                return;
            }
            let takes_value =
                ["-R", "--repo", "-p", "--pattern", "-D", "--dir", "-O", "--output", "-A", "--archive"];
            let mut i = 2;
            let mut tag = None;
            while let Some(w) = args.get(i) {
                let t = w.text();
                if !t.starts_with('-') {
                    tag = Some(w);
                    break;
                }
                i += if takes_value.contains(&t) { 2 } else { 1 };
            }
            if tag.is_none()
                && let Some(w) = args.get(1)
            {
                flag(w, "`gh release download` without a tag downloads the latest release, which changes with every release: name the tag (`gh release download v1.2.3 …`)".to_string());
            }
        }
        _ => {}
    }
}

/// `pip install`, `python -m pip install`, `uv pip install`, `uv tool install`, `pipx install|run`.
fn installs(cmd: &Command, program: &str) -> bool {
    let words: Vec<&str> = cmd.args().iter().take(4).map(Word::text).collect();
    match program {
        "pip" | "pip3" => words.first() == Some(&"install"),
        "pipx" => matches!(words.first(), Some(&("install" | "run"))),
        "uv" => matches!(words.as_slice(), ["pip", "install", ..] | ["tool", "install" | "run", ..]),
        _ => matches!(words.as_slice(), ["-m", "pip", "install", ..]),
    }
}

fn is_url(w: &Word) -> bool {
    let t = w.text().to_ascii_lowercase();
    !w.opaque && (t.starts_with("https://") || t.starts_with("http://"))
}

fn is_moving_ref(r: &str) -> bool {
    MOVING_REFS.contains(&r.to_ascii_lowercase().as_str()) || r.starts_with("refs/heads/")
}

/// Why a download URL moves: a `latest` path segment, or a branch in a raw-file or archive URL.
fn moving_url(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let rest = rest.split(['?', '#']).next().unwrap_or(rest);
    let parts: Vec<&str> = rest.split('/').collect();
    let host = parts.first().copied().unwrap_or("").to_ascii_lowercase();
    if parts.iter().skip(1).any(|p| p.eq_ignore_ascii_case("latest")) {
        return Some("a `latest` URL".into());
    }
    // The position of the ref in the path, by host.
    let branch = match (host.as_str(), parts.as_slice()) {
        ("raw.githubusercontent.com", [_, _, _, r, ..]) => Some(*r),
        ("github.com", [_, _, _, "raw" | "blob", r, ..]) => Some(*r),
        ("github.com", [_, _, _, "archive", "refs", "heads", ..]) => return Some("a branch archive".into()),
        ("github.com", [_, _, _, "archive", file]) => {
            file.strip_suffix(".tar.gz").or_else(|| file.strip_suffix(".zip"))
        }
        ("codeload.github.com", [_, _, _, _, r, ..]) => Some(*r),
        ("gitlab.com", _) | ("bitbucket.org", _) => {
            parts.iter().position(|p| *p == "raw").and_then(|i| parts.get(i + 1)).copied()
        }
        ("cdn.jsdelivr.net", [_, "gh", _, repo, ..]) => repo.rsplit_once('@').map(|(_, r)| r),
        _ => None,
    }?;
    is_moving_ref(branch).then(|| format!("the `{branch}` branch"))
}

/// `git+https://…` with no `@ref` or a branch ref, or an archive of a branch.
fn moving_pip_spec(spec: &str) -> Option<String> {
    let spec = spec.split_once("#egg=").map_or(spec, |(s, _)| s);
    if let Some(url) = spec.strip_prefix("git+") {
        let rest = url.split_once("://").map_or(url, |(_, r)| r);
        return match rest.rsplit_once('@') {
            Some((path, r)) if path.contains('/') && !is_moving_ref(r) => None,
            Some((path, r)) if path.contains('/') => Some(format!("`{r}` of a git repository")),
            _ => Some("the default branch of a git repository".into()),
        };
    }
    let lower = spec.to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return moving_url(spec);
    }
    None
}

/// The interpreter a download is piped into, when neither the URL nor the interpreter's arguments
/// (nor a `*VERSION=` assignment on it) name a version.
fn piped_unversioned(step: &Step, cmd: &Command, url: &Word) -> Option<String> {
    let next = step.script.downstream(cmd).next()?;
    let shell = next.program().filter(|p| INTERPRETERS.contains(p))?;
    let has_version = |s: &str| VERSION.as_ref().is_some_and(|re| re.is_match(s));
    if has_version(url.text()) || url.kind != WordKind::Literal {
        return None;
    }
    if next.args().iter().any(|a| has_version(a.text()) || !a.vars.is_empty() || a.opaque) {
        return None;
    }
    let assigns_version = step.script.assignments.iter().any(|a| {
        (next.span.contains(a.span) || cmd.span.contains(a.span))
            && a.name.to_ascii_uppercase().contains("VERSION")
    });
    (!assigns_version).then(|| shell.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_urls() {
        let moving = [
            "https://github.com/o/r/releases/latest/download/tool-linux.tar.gz",
            "https://raw.githubusercontent.com/o/r/master/install.sh",
            "https://github.com/o/r/raw/main/install.sh",
            "https://github.com/o/r/archive/refs/heads/main.zip",
            "https://github.com/o/r/archive/master.tar.gz",
            "https://gitlab.com/o/r/-/raw/main/x.sh",
            "https://api.github.com/repos/o/r/releases/latest",
            "https://cdn.jsdelivr.net/gh/o/r@main/x.js",
        ];
        for u in moving {
            assert!(moving_url(u).is_some(), "{u}");
        }
        let fixed = [
            "https://github.com/o/r/releases/download/v1.2.3/tool.tar.gz",
            "https://raw.githubusercontent.com/o/r/v1.2.3/install.sh",
            "https://raw.githubusercontent.com/o/r/0123456789abcdef0123456789abcdef01234567/install.sh",
            "https://github.com/o/r/archive/v1.0.tar.gz",
            "https://example.com/latest-news.html",
        ];
        for u in fixed {
            assert!(moving_url(u).is_none(), "{u}");
        }
    }

    #[test]
    fn pip_specs() {
        assert!(moving_pip_spec("git+https://github.com/o/r").is_some());
        assert!(moving_pip_spec("git+https://github.com/o/r.git@main#egg=r").is_some());
        assert!(moving_pip_spec("git+https://github.com/o/r.git@v1.2.3").is_none());
        assert!(
            moving_pip_spec("git+ssh://git@github.com/o/r.git@1f6c3fd1a2a6b9b0b1c7e3c5d1a3f0e4b2c6d8e9")
                .is_none()
        );
        assert!(moving_pip_spec("requests==2.32.0").is_none());
        assert!(moving_pip_spec("https://github.com/o/r/archive/main.zip").is_some());
    }
}
