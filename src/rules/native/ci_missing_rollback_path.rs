//! A pipeline that deploys to production with no way back prepared: no rollback job, no failure
//! handler (GitHub `if: failure()`, GitLab `when: on_failure`), and no environment to roll back
//! through (GitLab `environment` with `on_stop` / a job with `action: stop`). A job deploys to
//! production when its environment is named like production, or when it runs deploy commands only on
//! the default branch.

use super::ci_imperative_change::{HELM_VALUE_OPTS, KUBECTL_VALUE_OPTS};
use crate::pipeline::jobs::{self, Ci, Job, System};
use crate::pipeline::shell::Command;
use crate::rules::{FileView, RawFinding};

pub fn check(file: &FileView<'_>) -> Vec<RawFinding> {
    let Some(ci) = jobs::load(file) else { return Vec::new() };
    let pipeline_safe = ci.jobs.iter().any(|j| j.on_failure || is_rollback_job(j));
    if pipeline_safe {
        return Vec::new();
    }
    let mut out = Vec::new();
    for job in &ci.jobs {
        let Some(why) = deploys_to_production(job) else { continue };
        if job_safe(ci, job) {
            continue;
        }
        let at = job.environment.as_ref().map_or(job.span, |e| e.span);
        let missing = match ci.system {
            System::GitLab => {
                "no rollback job, no `when: on_failure` job, and its environment has no `on_stop`"
            }
            System::GitHub => "no rollback job and no `if: failure()` step or job",
        };
        out.push(ci.sources.finding(
            at,
            format!("job `{}` deploys to production ({why}) but the pipeline has {missing}: when the release goes bad, the way back is an improvised manual procedure; add a rollback job (e.g. a manual job running `helm rollback` or `kubectl rollout undo`) or a failure handler, or deploy with `helm upgrade --atomic`", job.name),
        ));
    }
    out
}

fn is_prod_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| matches!(part, "prod" | "production" | "live" | "prd"))
}

fn deploys_to_production(job: &Job) -> Option<String> {
    match &job.environment {
        Some(env) if env.action.as_deref().is_some_and(|a| a != "start") => None,
        Some(env) if is_prod_name(&env.name) => Some(format!("environment `{}`", env.name)),
        Some(_) => None,
        None if job.default_branch => {
            let cmd = Ci::commands(job).map(|(_, c)| c).find(|c| deploy_command(c).is_some())?;
            Some(format!("`{}` on the default branch", deploy_command(cmd).unwrap_or("deploy")))
        }
        None => None,
    }
}

fn deploy_command(cmd: &Command) -> Option<&'static str> {
    match cmd.program()? {
        "kubectl" | "oc" => {
            let (_, sub) = cmd.subcommand(KUBECTL_VALUE_OPTS)?;
            sub.is_literal("apply").then_some("kubectl apply")
        }
        "helm" => {
            let (_, sub) = cmd.subcommand(HELM_VALUE_OPTS)?;
            (sub.is_literal("upgrade") || sub.is_literal("install")).then_some("helm upgrade")
        }
        "terraform" | "tofu" => {
            let (_, sub) = cmd.subcommand(&[])?;
            sub.is_literal("apply").then_some("terraform apply")
        }
        _ => None,
    }
}

fn rolls_back(cmd: &Command) -> bool {
    match cmd.program() {
        Some("helm") => cmd.subcommand(HELM_VALUE_OPTS).is_some_and(|(_, s)| s.is_literal("rollback")),
        Some("kubectl" | "oc") => cmd.subcommand(KUBECTL_VALUE_OPTS).is_some_and(|(i, s)| {
            s.is_literal("rollout") && cmd.args().get(i + 1).is_some_and(|w| w.is_literal("undo"))
        }),
        Some("argocd") => cmd.args().iter().any(|w| w.is_literal("rollback")),
        _ => false,
    }
}

fn is_rollback_job(job: &Job) -> bool {
    let name = job.name.to_ascii_lowercase();
    ["rollback", "roll-back", "roll_back", "revert", "undo"].iter().any(|k| name.contains(k))
        || Ci::commands(job).any(|(_, c)| rolls_back(c))
}

/// The job rolls itself back (`helm --atomic`, a failure step, a rollback command), or its environment
/// can be stopped.
fn job_safe(ci: &Ci, job: &Job) -> bool {
    let atomic = Ci::commands(job).any(|(_, c)| {
        c.program() == Some("helm") && c.has_flag(&["--atomic", "--rollback-on-failure"]).is_some()
    });
    let failure_step = job.steps.iter().any(|s| s.on_failure);
    let stoppable = job.environment.as_ref().is_some_and(|e| {
        e.stoppable
            || ci.jobs.iter().any(|o| {
                o.environment
                    .as_ref()
                    .is_some_and(|x| x.name == e.name && x.action.as_deref() == Some("stop"))
            })
    });
    atomic || failure_step || stoppable
}
