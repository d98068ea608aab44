//! GitLab `include:` of configuration that can change under the pipeline: `project:` without a `ref`
//! or with a branch-looking one, `remote:` URLs, and components at `~latest` or a branch.

use crate::pipeline::gitlab::IncludeKind;
use crate::pipeline::jobs::{self, System};
use crate::rules::{FileView, RawFinding};

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(ci) = jobs::load(file).filter(|c| c.system == System::GitLab) else { return Vec::new() };
    let mut out = Vec::new();
    for inc in &ci.includes {
        let finding = match (inc.kind, &inc.git_ref) {
            (IncludeKind::Project, None) => Some((
                inc.target_span,
                format!(
                    "`include: project: {}` has no `ref`: it follows the default branch of that project, so any push there changes what this pipeline runs; pin `ref:` to a commit SHA (or a protected tag)",
                    inc.target
                ),
            )),
            (IncludeKind::Project, Some((r, span))) if !is_pinned(r) => Some((
                *span,
                format!(
                    "`ref: {r}` of `include: project: {}` looks like a branch: every push to it changes what this pipeline runs; pin it to a commit SHA (or a protected tag)",
                    inc.target
                ),
            )),
            (IncludeKind::Remote, _) => Some((
                inc.target_span,
                format!(
                    "`include: remote: {}` runs whatever that URL serves at pipeline time, unreviewed; vendor the file into the repository or include it from a project at a pinned `ref`",
                    inc.target
                ),
            )),
            (IncludeKind::Component, _) => {
                let version = inc.target.rsplit_once('@').map(|(_, v)| v);
                match version {
                    Some(v) if is_pinned(v) => None,
                    Some(v) => Some((
                        inc.target_span,
                        format!(
                            "component `{}` is used at `{v}`, which moves; pin it to a released version or a commit SHA",
                            inc.target
                        ),
                    )),
                    None => Some((
                        inc.target_span,
                        format!(
                            "component `{}` has no version; pin it to a released version or a commit SHA",
                            inc.target
                        ),
                    )),
                }
            }
            _ => None,
        };
        if let Some((span, detail)) = finding {
            out.push(ci.sources.finding(span, detail));
        }
    }
    out
}

/// A commit SHA or a version tag (`v1.2.3`, `1.4`); anything else (`main`, `develop`, `~latest`,
/// `$VAR`) can move.
fn is_pinned(r: &str) -> bool {
    let r = r.trim();
    let sha = r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit());
    let version = r.strip_prefix('v').unwrap_or(r);
    let tag = version
        .split(['.', '-', '+'])
        .next()
        .is_some_and(|major| !major.is_empty() && major.bytes().all(|b| b.is_ascii_digit()))
        && version.contains('.');
    sha || tag
}
