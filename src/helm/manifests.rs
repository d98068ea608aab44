//! Rendered templates as `helm template` prints them: split into documents, empty ones dropped,
//! sorted in Helm's install order (by kind, stable within a kind).

use super::render::RenderedTemplate;
use crate::span::Span;

/// One rendered YAML document and the template that produced it.
#[derive(Clone, Debug)]
pub struct Manifest<'r> {
    pub template: &'r RenderedTemplate,
    /// The document's bytes in the template's output (without the `---` separator).
    pub span: Span,
    pub kind: String,
}

impl Manifest<'_> {
    pub fn text(&self) -> &str {
        self.template.output.get(self.span.range()).unwrap_or("")
    }
}

/// Helm's `InstallOrder`: kinds a later one depends on come first.
const INSTALL_ORDER: &[&str] = &[
    "PriorityClass",
    "Namespace",
    "NetworkPolicy",
    "ResourceQuota",
    "LimitRange",
    "PodSecurityPolicy",
    "PodDisruptionBudget",
    "ServiceAccount",
    "Secret",
    "SecretList",
    "ConfigMap",
    "StorageClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "CustomResourceDefinition",
    "ClusterRole",
    "ClusterRoleList",
    "ClusterRoleBinding",
    "ClusterRoleBindingList",
    "Role",
    "RoleList",
    "RoleBinding",
    "RoleBindingList",
    "Service",
    "DaemonSet",
    "Pod",
    "ReplicationController",
    "ReplicaSet",
    "Deployment",
    "HorizontalPodAutoscaler",
    "StatefulSet",
    "Job",
    "CronJob",
    "IngressClass",
    "Ingress",
    "APIService",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// The documents of every template, in the order `helm template` prints them.
pub fn manifests(templates: &[RenderedTemplate]) -> Vec<Manifest<'_>> {
    let mut out = Vec::new();
    for t in templates {
        for span in documents(&t.output) {
            let text = &t.output[span.range()];
            let kind = text
                .lines()
                .find_map(|l| l.strip_prefix("kind:"))
                .map(|k| k.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
                .unwrap_or_default();
            out.push(Manifest { template: t, span, kind });
        }
    }
    let rank = |k: &str| INSTALL_ORDER.iter().position(|o| *o == k).unwrap_or(INSTALL_ORDER.len());
    out.sort_by_key(|m| rank(&m.kind));
    out
}

/// The non-empty YAML documents of a text, split at `---` lines.
fn documents(text: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let is_sep = line.starts_with("---") && line[3..].trim().is_empty();
        if is_sep {
            push_doc(text, start, at, &mut out);
            start = at + line.len();
        }
        at += line.len();
    }
    push_doc(text, start, text.len(), &mut out);
    out
}

fn push_doc(text: &str, start: usize, end: usize, out: &mut Vec<Span>) {
    let body = &text[start..end];
    let meaningful = body.lines().any(|l| {
        let l = l.trim();
        !l.is_empty() && !l.starts_with('#')
    });
    if meaningful {
        let lead = body.len() - body.trim_start_matches('\n').len();
        out.push(Span::new(start + lead, start + body.trim_end().len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_documents_and_drops_empty_ones() {
        let text = "\n---\n# only a comment\n---\nkind: A\n---\n\nkind: B\nx: 1\n";
        let docs: Vec<&str> = documents(text).iter().map(|s| &text[s.range()]).collect();
        assert_eq!(docs, vec!["kind: A", "kind: B\nx: 1"]);
    }
}
