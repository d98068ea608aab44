//! Pipelines that change infrastructure around its declared state: `kubectl edit/patch/scale/set/
//! delete/annotate/label`, `kubectl apply` of manifests that are not in the repository (a URL, or
//! stdin fed by `echo`/a heredoc/a download), `terraform apply -target` or `-auto-approve` without a
//! saved plan, and `helm upgrade/install --set` overriding what values files declare.

use crate::pipeline::jobs::{self, Ci, Step};
use crate::pipeline::shell::{Command, Word};
use crate::rules::{FileView, RawFinding};

/// kubectl's global options that take a value.
pub const KUBECTL_VALUE_OPTS: &[&str] = &[
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--cluster",
    "--user",
    "-s",
    "--server",
    "--token",
    "--as",
];
const TERRAFORM_VALUE_OPTS: &[&str] = &[];
pub const HELM_VALUE_OPTS: &[&str] = &["-n", "--namespace", "--kube-context", "--kubeconfig"];

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(ci) = jobs::load(file) else { return Vec::new() };
    let mut out = Vec::new();
    for (step, cmd) in ci.jobs.iter().flat_map(Ci::commands) {
        match cmd.program() {
            Some("kubectl" | "oc") => kubectl(ci, step, cmd, &mut out),
            Some("terraform" | "tofu") => terraform(ci, step, cmd, &mut out),
            Some("helm") => helm(ci, step, cmd, &mut out),
            _ => {}
        }
    }
    out
}

/// From the program name to the end of `w`: `kubectl patch`.
fn head(cmd: &Command, w: &Word) -> crate::span::Span {
    cmd.invocation().map_or(w.span, |(n, _)| n.span.cover(w.span))
}

fn kubectl(ci: &Ci, step: &Step, cmd: &Command, out: &mut Vec<RawFinding>) {
    let Some((i, sub)) = cmd.subcommand(KUBECTL_VALUE_OPTS) else { return };
    let Some(verb) = sub.value.as_deref() else { return };
    let rest = cmd.args().get(i + 1..).unwrap_or(&[]);
    let files: Vec<&Word> = file_args(rest);
    match verb {
        "edit" | "patch" | "scale" | "set" | "annotate" | "label" | "autoscale" => {
            out.push(ci.finding(
                step,
                head(cmd, sub),
                format!("`kubectl {verb}` changes the cluster directly: the manifests in the repository no longer describe what runs, and the next apply silently reverts it; change the manifest and apply it (or let GitOps sync it)"),
            ));
        }
        // Deleting what a manifest file declares is declarative; deleting by name is not.
        "delete" if files.is_empty() => out.push(ci.finding(
            step,
            head(cmd, sub),
            "`kubectl delete` by name removes live objects outside the declared state; remove them from the manifests (with `kubectl apply --prune` or GitOps) or delete with `-f` the file that declares them".into(),
        )),
        "apply" | "create" | "replace" => {
            for f in files {
                let t = f.text();
                let remote = t.starts_with("http://") || t.starts_with("https://");
                let stdin = t == "-" && fed_from_outside(step, cmd);
                if remote || stdin {
                    let what = if remote { format!("`{t}`, a URL") } else { "stdin written by the script".into() };
                    out.push(ci.finding(
                        step,
                        f.span,
                        format!("`kubectl {verb} -f` applies {what}: what runs is not the reviewed manifest in the repository; commit the manifest (or vendor the upstream one, pinned) and apply that file"),
                    ));
                }
            }
        }
        _ => {}
    }
}

/// The values of `-f`/`--filename` options.
pub fn file_args(args: &[Word]) -> Vec<&Word> {
    let mut out = Vec::new();
    let mut it = args.iter();
    while let Some(w) = it.next() {
        let t = w.text();
        if t == "-f" || t == "--filename" {
            out.extend(it.next());
        } else if t.starts_with("--filename=") || (t.starts_with("-f") && t.len() > 2 && !t.starts_with("--"))
        {
            out.push(w);
        }
    }
    out
}

/// `kubectl apply -f -` fed by a heredoc or by an earlier stage that writes literal YAML or downloads
/// it (`echo`, `printf`, `cat <<EOF`, `curl`), rather than one that renders files from the repository
/// (`kustomize build`, `helm template`, `envsubst < file`).
fn fed_from_outside(step: &Step, cmd: &Command) -> bool {
    if !cmd.heredocs.is_empty() {
        return true;
    }
    let Some((p, pos)) = cmd.pipeline else { return false };
    let Some(prev) = step
        .script
        .pipelines
        .get(p)
        .and_then(|pl| pos.checked_sub(1).and_then(|i| pl.commands.get(i)))
        .and_then(|&i| step.script.commands.get(i))
    else {
        return false;
    };
    match prev.program() {
        Some("echo" | "printf" | "curl" | "wget") => true,
        Some("cat") => !prev.heredocs.is_empty(),
        _ => false,
    }
}

fn terraform(ci: &Ci, step: &Step, cmd: &Command, out: &mut Vec<RawFinding>) {
    // `terraform -chdir=infra apply`: global options come first.
    let Some((i, sub)) = cmd.subcommand(TERRAFORM_VALUE_OPTS) else { return };
    if !sub.is_literal("apply") {
        return;
    }
    let rest = cmd.args().get(i + 1..).unwrap_or(&[]);
    let mut skip_next = false;
    let mut plan_file = false;
    let mut auto_approve = None;
    for (k, w) in rest.iter().enumerate() {
        if skip_next {
            skip_next = false;
            continue;
        }
        let t = w.text();
        let opt = t.trim_start_matches('-');
        if t.starts_with('-') && (opt == "target" || opt.starts_with("target=")) {
            skip_next = opt == "target";
            let shown = if opt == "target" {
                rest.get(k + 1).map_or(t.to_string(), |v| format!("{t} {}", v.text()))
            } else {
                t.to_string()
            };
            out.push(ci.finding(
                step,
                w.span,
                format!("`terraform apply {shown}` applies part of the configuration: the rest of the state drifts from the code, and the next full plan holds surprises; apply the whole configuration (split it into smaller root modules if it is too big)"),
            ));
        } else if t.starts_with('-') && (opt == "auto-approve" || opt == "auto-approve=true") {
            auto_approve = Some(w);
        } else if t.starts_with('-')
            && ["var", "var-file", "lock-timeout", "parallelism", "state", "state-out", "backup"]
                .contains(&opt)
        {
            skip_next = true;
        } else if !t.starts_with('-') {
            plan_file = true;
        }
    }
    if let (Some(w), false) = (auto_approve, plan_file) {
        out.push(ci.finding(
            step,
            w.span,
            "`terraform apply -auto-approve` without a saved plan applies whatever the plan is at that moment, unreviewed; run `terraform plan -out=tfplan`, review it (or gate on it), then `terraform apply tfplan`".into(),
        ));
    }
}

fn helm(ci: &Ci, step: &Step, cmd: &Command, out: &mut Vec<RawFinding>) {
    let Some((_, sub)) = cmd.subcommand(HELM_VALUE_OPTS) else { return };
    if !(sub.is_literal("upgrade") || sub.is_literal("install")) {
        return;
    }
    let args = cmd.args();
    for (k, w) in args.iter().enumerate() {
        let t = w.text();
        let opt = t.split_once('=').map_or(t, |(h, _)| h);
        if !matches!(opt, "--set" | "--set-string" | "--set-file" | "--set-json" | "--set-literal") {
            continue;
        }
        let value = if opt == t { args.get(k + 1) } else { Some(w) };
        let assignment = value.map(|v| {
            if opt == t {
                v.text().to_string()
            } else {
                t.get(opt.len() + 1..).unwrap_or_default().to_string()
            }
        });
        let assignment = assignment.unwrap_or_default();
        if only_release_identity(&assignment) {
            continue;
        }
        let at = value.map_or(w.span, |v| w.span.cover(v.span));
        out.push(ci.finding(
            step,
            at,
            format!("`helm {} {opt} {}` overrides chart values inline: the release no longer matches the values files in the repository and the override is lost on the next upgrade without it; put the value in a reviewed values file (`-f values-prod.yaml`)", sub.text(), assignment),
        ));
    }
}

/// `image.tag=$CI_COMMIT_SHA`, `version=1.2.3`: setting what to release is the documented use of
/// `--set`, not an override of configuration.
fn only_release_identity(assignment: &str) -> bool {
    !assignment.is_empty()
        && assignment.split(',').all(|kv| {
            let key = kv.split_once('=').map_or(kv, |(k, _)| k).trim_matches(['"', '\'']);
            let last = key.rsplit('.').next().unwrap_or(key).to_ascii_lowercase();
            matches!(last.as_str(), "tag" | "digest" | "version" | "appversion" | "imagetag" | "sha")
        })
}
