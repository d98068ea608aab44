//! What a file is (its kind) and how its bytes become text.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The kinds of file smelt understands. Rules name the kinds they target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// `.tf` and `.tf.json`: one module per folder.
    Terraform,
    /// `.tfvars` and `.tfvars.json`.
    TerraformVars,
    /// `.github/workflows/*.y?ml`.
    GithubWorkflow,
    /// `action.y?ml` anywhere.
    GithubAction,
    /// `.gitlab-ci.yml`.
    GitlabCi,
    /// Any other YAML whose documents carry `apiVersion` and `kind`.
    Kubernetes,
    /// `Chart.yaml`: a Helm chart's root. Its templates are listed, not yet rendered.
    HelmChart,
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FileKind::Terraform => "terraform",
            FileKind::TerraformVars => "terraform-vars",
            FileKind::GithubWorkflow => "github-workflow",
            FileKind::GithubAction => "github-action",
            FileKind::GitlabCi => "gitlab-ci",
            FileKind::Kubernetes => "kubernetes",
            FileKind::HelmChart => "helm-chart",
        })
    }
}

/// The syntax a file is parsed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    Hcl,
    /// JSON is parsed as YAML (a superset), which keeps a span on every node.
    Json,
    Yaml,
}

/// How a path is classified before reading. Kubernetes needs a look at the content, so plain YAML
/// files are only candidates until then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Classified {
    Kind(FileKind, Syntax),
    /// A `.yaml`/`.yml` file outside any known location: a Kubernetes manifest if its content says so.
    MaybeKubernetes,
    /// A file inside a Helm chart's `templates/` (Go templates, not YAML until rendered).
    HelmTemplate,
    Unknown,
}

/// Classifies a forward-slash path by its name and place alone.
pub fn classify(path: &str) -> Classified {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let is_yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    if lower.ends_with(".tf") {
        return Classified::Kind(FileKind::Terraform, Syntax::Hcl);
    }
    if lower.ends_with(".tf.json") {
        return Classified::Kind(FileKind::Terraform, Syntax::Json);
    }
    if lower.ends_with(".tfvars") {
        return Classified::Kind(FileKind::TerraformVars, Syntax::Hcl);
    }
    if lower.ends_with(".tfvars.json") {
        return Classified::Kind(FileKind::TerraformVars, Syntax::Json);
    }
    if !is_yaml {
        return Classified::Unknown;
    }
    let dir = path.get(..path.len() - name.len()).unwrap_or("");
    if dir.ends_with(".github/workflows/") {
        return Classified::Kind(FileKind::GithubWorkflow, Syntax::Yaml);
    }
    if lower == "action.yml" || lower == "action.yaml" {
        return Classified::Kind(FileKind::GithubAction, Syntax::Yaml);
    }
    if lower == ".gitlab-ci.yml" || lower == ".gitlab-ci.yaml" {
        return Classified::Kind(FileKind::GitlabCi, Syntax::Yaml);
    }
    if name == "Chart.yaml" {
        return Classified::Kind(FileKind::HelmChart, Syntax::Yaml);
    }
    Classified::MaybeKubernetes
}

/// Cheap content test for a Kubernetes manifest: some document has top-level `apiVersion` and `kind`.
pub fn looks_like_kubernetes(text: &str) -> bool {
    let mut api = false;
    let mut kind = false;
    for line in text.lines() {
        api |= line.starts_with("apiVersion:");
        kind |= line.starts_with("kind:");
        if api && kind {
            return true;
        }
    }
    false
}

/// Text decoded from a file's bytes, and what had to be done to it.
#[derive(Debug, PartialEq)]
pub enum Decoded {
    Text {
        text: String,
        invalid_utf8_at: Option<usize>,
    },
    /// NUL bytes: not a text file.
    Binary,
}

/// Decodes bytes as UTF-8 text. A BOM is dropped (editors do not count it either). Each byte that is
/// not valid UTF-8 becomes one `?`, so byte offsets still match the file and the rest is still checked.
pub fn decode(bytes: &[u8]) -> Decoded {
    decode_owned(bytes.to_vec())
}

/// [`decode`], taking the bytes: valid UTF-8 (nearly every file) becomes the text without a copy.
pub fn decode_owned(mut bytes: Vec<u8>) -> Decoded {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    if memchr::memchr(0, &bytes).is_some() {
        return Decoded::Binary;
    }
    match String::from_utf8(bytes) {
        Ok(text) => Decoded::Text { text, invalid_utf8_at: None },
        Err(e) => lossy(e.as_bytes()),
    }
}

/// Invalid UTF-8 read as `?`, with the offset of the first invalid byte.
fn lossy(bytes: &[u8]) -> Decoded {
    let mut text = String::with_capacity(bytes.len());
    let mut first_invalid = None;
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        if !chunk.invalid().is_empty() {
            first_invalid.get_or_insert(text.len());
            text.extend(std::iter::repeat_n('?', chunk.invalid().len()));
        }
    }
    Decoded::Text { text, invalid_utf8_at: first_invalid }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decoding the bytes read from disk (taken, not copied) gives what decoding a borrowed copy does.
    #[test]
    fn owned_bytes_decode_like_borrowed_ones() {
        let samples: [&[u8]; 7] = [
            b"",
            b"a = 1\n",
            b"\xEF\xBB\xBFa = 1\n",
            b"\xEF\xBB\xBF",
            b"a = \"\xff\xfe\"\nb = 2",
            b"\x00\x01",
            b"x\xEF\xBB\xBF",
        ];
        for bytes in samples {
            assert_eq!(decode_owned(bytes.to_vec()), decode(bytes), "{bytes:?}");
        }
    }

    #[test]
    fn classifies_by_name_and_place() {
        use Classified::*;
        assert_eq!(classify("infra/main.tf"), Kind(FileKind::Terraform, Syntax::Hcl));
        assert_eq!(classify("infra/main.tf.json"), Kind(FileKind::Terraform, Syntax::Json));
        assert_eq!(classify("prod.tfvars"), Kind(FileKind::TerraformVars, Syntax::Hcl));
        assert_eq!(classify(".github/workflows/ci.yaml"), Kind(FileKind::GithubWorkflow, Syntax::Yaml));
        assert_eq!(classify("a/.github/workflows/ci.yml"), Kind(FileKind::GithubWorkflow, Syntax::Yaml));
        assert_eq!(classify("tools/lint/action.yml"), Kind(FileKind::GithubAction, Syntax::Yaml));
        assert_eq!(classify(".gitlab-ci.yml"), Kind(FileKind::GitlabCi, Syntax::Yaml));
        assert_eq!(classify("chart/Chart.yaml"), Kind(FileKind::HelmChart, Syntax::Yaml));
        assert_eq!(classify("k8s/deploy.yaml"), MaybeKubernetes);
        assert_eq!(classify("README.md"), Unknown);
        assert_eq!(classify("main.tf.bak"), Unknown);
    }

    #[test]
    fn decoding_keeps_offsets() {
        match decode(b"\xEF\xBB\xBFa = 1\n") {
            Decoded::Text { text, invalid_utf8_at } => {
                assert_eq!(text, "a = 1\n");
                assert_eq!(invalid_utf8_at, None);
            }
            Decoded::Binary => panic!("text expected"),
        }
        match decode(b"a = \"\xff\xfe\"\nb = 2") {
            Decoded::Text { text, invalid_utf8_at } => {
                assert_eq!(text, "a = \"??\"\nb = 2");
                assert_eq!(invalid_utf8_at, Some(5));
            }
            Decoded::Binary => panic!("text expected"),
        }
        assert!(matches!(decode(b"\x00\x01\x02"), Decoded::Binary));
    }

    #[test]
    fn kubernetes_needs_api_version_and_kind() {
        assert!(looks_like_kubernetes("apiVersion: v1\nkind: Pod\n"));
        assert!(looks_like_kubernetes("a: 1\n---\nkind: Pod\napiVersion: v1\n"));
        assert!(!looks_like_kubernetes("kind: Pod\n"));
        assert!(!looks_like_kubernetes("spec:\n  apiVersion: v1\n  kind: x\n"));
    }
}
