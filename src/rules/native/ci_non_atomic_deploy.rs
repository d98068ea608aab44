//! Deploy steps that leave a half-applied release when they fail: `helm upgrade/install` without
//! `--atomic`/`--rollback-on-failure`/`--wait`, and `kubectl apply` of workloads that nothing waits
//! for (`kubectl rollout status` / `kubectl wait` later in the same job).

use super::ci_imperative_change::{HELM_VALUE_OPTS, KUBECTL_VALUE_OPTS, file_args};
use crate::pipeline::jobs::{self, Ci};
use crate::pipeline::shell::Command;
use crate::rules::{FileView, RawFinding};

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(ci) = jobs::load(file) else { return Vec::new() };
    let mut out = Vec::new();
    for job in &ci.jobs {
        let cmds: Vec<_> = Ci::commands(job).collect();
        for (n, (step, cmd)) in cmds.iter().enumerate() {
            match cmd.program() {
                Some("helm") => {
                    let Some((_, sub)) = cmd.subcommand(HELM_VALUE_OPTS) else { continue };
                    let verb = sub.text();
                    if !matches!(verb, "upgrade" | "install") || is_dry_run(cmd) {
                        continue;
                    }
                    let safe =
                        cmd.has_flag(&["--atomic", "--rollback-on-failure", "--wait", "--wait-for-jobs"]);
                    if safe.is_none() {
                        let at = cmd.invocation().map_or(sub.span, |(n, _)| n.span.cover(sub.span));
                        out.push(ci.finding(
                            step,
                            at,
                            format!("`helm {verb}` without `--atomic` (Helm 4: `--rollback-on-failure`) or `--wait` reports success as soon as the manifests are accepted: a release whose pods never become ready stays half-rolled-out; add `--atomic --timeout 5m` so a failed release is rolled back"),
                        ));
                    }
                }
                Some("kubectl" | "oc") => {
                    let Some((i, sub)) = cmd.subcommand(KUBECTL_VALUE_OPTS) else { continue };
                    if !sub.is_literal("apply") || is_dry_run(cmd) {
                        continue;
                    }
                    let rest = cmd.args().get(i + 1..).unwrap_or(&[]);
                    let files = file_args(rest);
                    let kustomize = cmd.has_flag(&["-k", "--kustomize"]).is_some();
                    if !kustomize && files.iter().all(|f| not_a_workload(f.text())) {
                        continue;
                    }
                    let waited = cmds.iter().skip(n + 1).any(|(_, later)| waits_for_rollout(later));
                    if !waited {
                        let at = cmd.invocation().map_or(sub.span, |(n, _)| n.span.cover(sub.span));
                        out.push(ci.finding(
                            step,
                            at,
                            format!("`kubectl apply` returns once the API server accepts the objects, and nothing later in job `{}` waits for the rollout: a release that never becomes ready still passes; follow it with `kubectl rollout status deployment/<name> --timeout=5m` (and `kubectl rollout undo` on failure)", job.name),
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    out
}

fn is_dry_run(cmd: &Command) -> bool {
    cmd.has_flag(&["--dry-run"]).is_some()
}

fn waits_for_rollout(cmd: &Command) -> bool {
    match cmd.program() {
        Some("kubectl" | "oc") => {
            let Some((i, sub)) = cmd.subcommand(KUBECTL_VALUE_OPTS) else { return false };
            let next = cmd.args().get(i + 1).map(|w| w.text());
            sub.is_literal("wait") || (sub.is_literal("rollout") && next == Some("status"))
        }
        Some("kubectl-argo-rollouts") => true,
        _ => false,
    }
}

/// Manifests that hold no workload by their file name (`namespace.yaml`, `rbac/`, `crds.yaml`).
fn not_a_workload(path: &str) -> bool {
    let name = path.rsplit('/').find(|s| !s.is_empty()).unwrap_or(path).to_ascii_lowercase();
    let stem = name.trim_end_matches(".yaml").trim_end_matches(".yml").trim_end_matches(".json");
    [
        "namespace",
        "namespaces",
        "ns",
        "configmap",
        "configmaps",
        "secret",
        "secrets",
        "rbac",
        "role",
        "roles",
        "rolebinding",
        "crd",
        "crds",
        "service",
        "services",
        "svc",
        "ingress",
        "pvc",
        "serviceaccount",
        "networkpolicy",
        "networkpolicies",
        "storageclass",
        "priorityclass",
    ]
    .iter()
    .any(|k| stem == *k || stem.ends_with(&format!("-{k}")) || stem.starts_with(&format!("{k}-")))
}
