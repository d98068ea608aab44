//! What a pipeline job deploys with, per environment: the actions it uses (and their inputs), the
//! container images it runs, the chart versions its `helm upgrade/install` commands pin, and its
//! variables. Jobs are found by their `environment:` (GitHub) or `environment: name:` (GitLab).
//!
//! Facts are keyed by what they are about, not by job: `[action, "uses"]` for an action's ref,
//! `[repository, "image"]` for an image's tag, `[chart, "chart", "version"]` for a chart's version, and
//! `["variables", NAME]`, so jobs named differently per environment still line up.

use super::detect::JobRef;
use super::facts::{Fact, Facts, Loc, Value};
use crate::model::Node;
use crate::pipeline::gitlab;
use crate::pipeline::jobs::Sources;
use crate::pipeline::shell::{self, Embedded};
use crate::span::Span;
use crate::workspace::Workspace;
use std::sync::Arc;

/// A job that deploys to a named environment, and what it deploys with.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct EnvJob {
    pub job: JobRef,
    pub facts: Facts,
}

/// The jobs of a GitHub workflow that name an environment.
pub fn github(path: &str, text: &str, doc: &Node) -> Vec<EnvJob> {
    let mut out = Vec::new();
    let Some(jobs) = doc.get("jobs") else { return out };
    let sources = Sources::single(path, text);
    for e in jobs.entries() {
        let job = &e.value;
        let Some(environment) =
            job.get("environment").and_then(|n| n.get("name").or(Some(n))).and_then(Node::as_str)
        else {
            continue;
        };
        let mut facts = Facts::new(true);
        let mut add = Adder { sources: &sources, facts: &mut facts };
        if let Some(uses) = job.get("uses") {
            add.uses(uses, job.get("with"));
        }
        add.image(job.get("container").map(|c| c.get("image").unwrap_or(c)));
        for s in job.get("services").map(Node::entries).unwrap_or(&[]) {
            add.image(Some(s.value.get("image").unwrap_or(&s.value)));
        }
        add.variables(job.get("env"));
        for step in job.get("steps").map(Node::items).unwrap_or(&[]) {
            if let Some(uses) = step.get("uses") {
                add.uses(uses, step.get("with"));
            }
            if let Some(run) = step.get("run") {
                add.script(run);
            }
        }
        out.push(EnvJob {
            job: JobRef {
                system: "GitHub Actions",
                file: path.to_string(),
                job: e.key.clone(),
                environment: environment.to_string(),
            },
            facts,
        });
    }
    out
}

/// The jobs of a GitLab pipeline (merged with its local includes, read through `workspace`, with
/// `extends` and `default:`) that name an environment, and the included files they were read from.
pub fn gitlab(
    path: &str,
    text: &str,
    doc: &Node,
    workspace: &Workspace,
) -> (Vec<EnvJob>, Vec<(String, Arc<str>)>) {
    gitlab_loaded(path, &gitlab::load(path, text, doc, workspace))
}

/// [`gitlab`] of a pipeline already merged with its includes (by the CI rules).
pub fn gitlab_loaded(path: &str, p: &gitlab::Pipeline) -> (Vec<EnvJob>, Vec<(String, Arc<str>)>) {
    let mut out = Vec::new();
    for j in &p.jobs {
        let Some(env) = j.environment() else { continue };
        if env.action.is_some_and(|a| a == "stop") {
            continue;
        }
        let mut facts = Facts::new(true);
        let mut add = Adder { sources: &p.sources, facts: &mut facts };
        add.image(j.get("image").map(|i| i.get("name").unwrap_or(i)));
        for s in j.get("services").map(Node::items).unwrap_or(&[]) {
            add.image(Some(s.get("name").unwrap_or(s)));
        }
        add.variables(j.get("variables"));
        for key in ["before_script", "script", "after_script"] {
            for line in j.script_lines(key) {
                add.script(line);
            }
        }
        out.push(EnvJob {
            job: JobRef {
                system: "GitLab CI",
                file: path.to_string(),
                job: j.name.clone(),
                environment: env.name().to_string(),
            },
            facts,
        });
    }
    let read = p.sources.files.iter().skip(1).map(|f| (f.path.clone(), f.text.clone())).collect();
    (out, read)
}

struct Adder<'a> {
    /// The offset space spans are in (GitLab: the pipeline with its includes).
    sources: &'a Sources,
    facts: &'a mut Facts,
}

impl Adder<'_> {
    fn loc(&self, span: Span) -> Loc {
        match self.sources.locate(span).and_then(|(i, local)| Some((self.sources.files.get(i)?, local))) {
            Some((f, local)) => Loc { path: f.path.clone(), span: local },
            None => {
                Loc { path: self.sources.files.first().map(|f| f.path.clone()).unwrap_or_default(), span }
            }
        }
    }

    fn add(&mut self, path: &[&str], value: Value, span: Span, label: Option<String>) {
        let at = self.loc(span);
        let fact = Fact { value, at, used: None, ambiguous: false, label };
        self.facts.add(path.iter().map(|s| s.to_string()).collect(), fact);
    }

    fn tree(&mut self, path: &[&str], span: Span) {
        self.add(path, Value::Tree { list: false, empty: false }, span, None);
    }

    /// `uses: owner/repo[/path]@ref` (or `docker://image`), with its `with:` inputs.
    fn uses(&mut self, uses: &Node, with: Option<&Node>) {
        let Some(text) = uses.as_str() else { return };
        if let Some(image) = text.strip_prefix("docker://") {
            return self.image_text(image, uses.span);
        }
        if text.starts_with('.') {
            return;
        }
        let Some((name, reference)) = text.rsplit_once('@') else { return };
        self.tree(&[name], uses.span);
        self.add(&[name, "uses"], scalar(reference), uses.span, Some(format!("action `{name}`")));
        for e in with.map(Node::entries).unwrap_or(&[]) {
            let Some(v) = e.value.scalar_text() else { continue };
            self.tree(&[name, "with"], e.key_span);
            let label = Some(format!("`{name}` input `{}`", e.key));
            self.add(&[name, "with", &e.key], scalar(&v), e.value.span, label);
        }
    }

    fn image(&mut self, node: Option<&Node>) {
        if let Some(n) = node
            && let Some(text) = n.as_str()
        {
            self.image_text(text, n.span);
        }
    }

    /// `registry:5000/app:1.2@sha256:…` → repository `registry:5000/app`, version the digest, else the
    /// tag, else `latest`.
    fn image_text(&mut self, image: &str, span: Span) {
        let (name, digest) = match image.split_once('@') {
            Some((n, d)) => (n, Some(d)),
            None => (image, None),
        };
        let slash = name.rfind('/').map_or(0, |i| i + 1);
        let (repo, tag) = match name[slash..].rfind(':') {
            Some(i) => (&name[..slash + i], Some(&name[slash + i + 1..])),
            None => (name, None),
        };
        if repo.contains('$') {
            return;
        }
        let version = digest.or(tag).unwrap_or("latest");
        self.tree(&[repo], span);
        self.add(&[repo, "image"], scalar(version), span, Some(format!("image `{repo}`")));
    }

    fn variables(&mut self, vars: Option<&Node>) {
        let Some(vars) = vars else { return };
        for e in vars.entries() {
            let value = e.value.get("value").unwrap_or(&e.value);
            let Some(v) = value.scalar_text() else { continue };
            self.tree(&["variables"], e.key_span);
            self.add(&["variables", &e.key], scalar(&v), value.span, Some(format!("variable `{}`", e.key)));
        }
    }

    /// Chart versions pinned by `helm upgrade|install|template … CHART --version X` in a script.
    fn script(&mut self, node: &Node) {
        let Some(decoded) = node.as_str() else { return };
        let sources = self.sources;
        let Some((file, local)) =
            sources.locate(node.span).and_then(|(i, l)| Some((sources.files.get(i)?, l)))
        else {
            return;
        };
        let embedded = Embedded::new(decoded, &file.text, local);
        // Spans go back to the pipeline's offset space, where `loc` finds their file again.
        let to_file = |s: Span| {
            let l = embedded.source_span(s);
            Span::new(l.start as usize + file.base, l.end as usize + file.base)
        };
        for cmd in &shell::parse_shared(decoded).commands {
            let Some((chart, version)) = helm_chart(cmd) else { continue };
            let name = chart.text().to_string();
            self.tree(&[&name], to_file(chart.span));
            self.tree(&[&name, "chart"], to_file(chart.span));
            if let Some(v) = version {
                let label = Some(format!("chart `{name}` version"));
                self.add(&[&name, "chart", "version"], scalar(v.text()), to_file(v.span), label);
            }
        }
    }
}

/// A literal value, or unknown when it is filled in at run time (`${{ … }}`, `$VERSION`).
fn scalar(text: &str) -> Value {
    if text.contains('$') { Value::Unknown } else { Value::Scalar(text.to_string()) }
}

/// Helm options that take a value (when not written `--opt=value`).
const HELM_VALUE_OPTS: &[&str] = &[
    "-n",
    "--namespace",
    "--kube-context",
    "--kubeconfig",
    "--version",
    "-f",
    "--values",
    "--set",
    "--set-string",
    "--set-file",
    "--set-json",
    "--timeout",
    "--repo",
    "--description",
    "--post-renderer",
    "-o",
    "--output",
    "--history-max",
    "--username",
    "--password",
    "--ca-file",
    "--cert-file",
    "--key-file",
];

/// The chart of a `helm upgrade/install/template` command and its `--version` word.
fn helm_chart(cmd: &shell::Command) -> Option<(&shell::Word, Option<&shell::Word>)> {
    if cmd.program() != Some("helm") {
        return None;
    }
    let (i, verb) = cmd.subcommand(HELM_VALUE_OPTS)?;
    if !matches!(verb.text(), "upgrade" | "install" | "template") {
        return None;
    }
    let args = cmd.args().get(i + 1..)?;
    let mut positional = Vec::new();
    let mut version = None;
    let mut k = 0;
    while let Some(w) = args.get(k) {
        let t = w.text();
        if t == "--version" {
            version = args.get(k + 1);
        }
        if t.starts_with('-') {
            k += if HELM_VALUE_OPTS.contains(&t) { 2 } else { 1 };
            continue;
        }
        positional.push(w);
        k += 1;
    }
    let generated = cmd.has_flag(&["--generate-name", "-g"]).is_some();
    let chart = if generated { positional.first() } else { positional.get(1) }.copied()?;
    let local = chart.text().starts_with(['.', '/']) || chart.value.is_none();
    (!local).then_some((chart, version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};

    fn facts_of(jobs: &[EnvJob]) -> Vec<(String, String, String)> {
        jobs.iter()
            .flat_map(|j| {
                j.facts.map.iter().filter_map(|(k, f)| match &f.value {
                    Value::Scalar(s) => Some((j.job.environment.clone(), k.join("|"), s.clone())),
                    _ => None,
                })
            })
            .collect()
    }

    #[test]
    fn github_jobs_with_environments() {
        let text = "jobs:\n  deploy-prod:\n    environment: production\n    container: node:20\n    steps:\n      - uses: azure/setup-helm@v4\n        with:\n          version: v3.14.0\n      - run: helm upgrade --install web bitnami/nginx --version 15.1.0 --atomic\n  build:\n    steps:\n      - uses: actions/checkout@v4\n";
        let parsed = yaml::parse(text, &Limits::default());
        let jobs = github(".github/workflows/deploy.yml", text, &parsed.docs[0]);
        assert_eq!(jobs.len(), 1);
        let f = facts_of(&jobs);
        assert!(f.contains(&("production".into(), "node|image".into(), "20".into())), "{f:?}");
        assert!(f.contains(&("production".into(), "azure/setup-helm|uses".into(), "v4".into())), "{f:?}");
        assert!(
            f.contains(&("production".into(), "azure/setup-helm|with|version".into(), "v3.14.0".into())),
            "{f:?}"
        );
        assert!(
            f.contains(&("production".into(), "bitnami/nginx|chart|version".into(), "15.1.0".into())),
            "{f:?}"
        );
        let version =
            jobs[0].facts.map.get(&vec!["bitnami/nginx".to_string(), "chart".into(), "version".into()]);
        let span = version.map(|v| v.at.span).unwrap_or_default();
        assert_eq!(&text[span.range()], "15.1.0");
    }

    #[test]
    fn gitlab_jobs_with_environments() {
        let text = ".deploy:\n  image: alpine/helm:3.14.0\n  script:\n    - helm upgrade web oci://r/web --version 1.2.0\nprod:\n  extends: .deploy\n  environment:\n    name: production\n  variables:\n    IMAGE_TAG: \"2.0\"\nstop:\n  environment: {name: production, action: stop}\n  script: [x]\n";
        let parsed = yaml::parse(text, &Limits::default());
        let (jobs, _) = gitlab(".gitlab-ci.yml", text, &parsed.docs[0], &Workspace::default());
        assert_eq!(jobs.len(), 1);
        let f = facts_of(&jobs);
        assert!(f.contains(&("production".into(), "alpine/helm|image".into(), "3.14.0".into())), "{f:?}");
        assert!(
            f.contains(&("production".into(), "oci://r/web|chart|version".into(), "1.2.0".into())),
            "{f:?}"
        );
        assert!(f.contains(&("production".into(), "variables|IMAGE_TAG".into(), "2.0".into())), "{f:?}");
        let version =
            jobs[0].facts.map.get(&vec!["oci://r/web".to_string(), "chart".into(), "version".into()]);
        let span = version.map(|v| v.at.span).unwrap_or_default();
        assert_eq!(&text[span.range()], "1.2.0");
    }
}
