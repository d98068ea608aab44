//! The built-in objects templates see besides `.Values`: `.Chart`, `.Release`, `.Template`,
//! `.Capabilities` and `.Files`, as `helm template` provides them (Helm SDK v4, checked against it).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::chart::Chart;
use super::template::Value;
use super::template::value::Object;
use crate::model::{self, Node};

/// The Kubernetes version `helm template` assumes without a cluster (Helm SDK v4.2's default).
pub const KUBE_VERSION: (u32, u32, u32) = (1, 36, 0);

/// API versions `helm template` reports as available without a cluster (Helm SDK v4.2's default set).
const API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// `.Release` for `helm template` (an install).
pub fn release(name: &str, namespace: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("Name".into(), Value::str(name));
    m.insert("Namespace".into(), Value::str(namespace));
    m.insert("Service".into(), Value::str("Helm"));
    m.insert("IsInstall".into(), Value::Bool(true));
    m.insert("IsUpgrade".into(), Value::Bool(false));
    m.insert("Revision".into(), Value::Int(1));
    Value::map(m)
}

/// `.Template`: the template's Helm name and its `templates/` folder.
pub fn template(name: &str) -> Value {
    let base = name.rsplit_once("/templates/").map_or(name, |(b, _)| b);
    let mut m = BTreeMap::new();
    m.insert("Name".into(), Value::str(name));
    m.insert("BasePath".into(), Value::str(format!("{base}/templates")));
    Value::map(m)
}

/// `.Chart`: `Chart.yaml`'s fields under their Go names, with Helm's defaults for the missing ones.
pub fn chart(c: &Chart, is_root: bool) -> Value {
    let meta = &c.metadata;
    let text = |k: &str| Value::str(meta.get(k).and_then(Node::scalar_text).unwrap_or_default());
    let list = |k: &str| meta.get(k).map(yaml_value).unwrap_or_else(|| Value::list(Vec::new()));
    let mut m = BTreeMap::new();
    m.insert("APIVersion".into(), Value::str(c.api_version()));
    m.insert(
        "Annotations".into(),
        meta.get("annotations").map(yaml_value).unwrap_or_else(|| Value::map(BTreeMap::new())),
    );
    for (go, yaml) in [
        ("AppVersion", "appVersion"),
        ("Condition", "condition"),
        ("Description", "description"),
        ("Home", "home"),
        ("Icon", "icon"),
        ("KubeVersion", "kubeVersion"),
        ("Name", "name"),
        ("Tags", "tags"),
        ("Type", "type"),
        ("Version", "version"),
    ] {
        m.insert(go.into(), text(yaml));
    }
    // An aliased dependency is renamed to its alias.
    m.insert("Name".into(), Value::str(&c.name));
    m.insert(
        "Deprecated".into(),
        Value::Bool(meta.get("deprecated").and_then(Node::as_bool).unwrap_or(false)),
    );
    m.insert("IsRoot".into(), Value::Bool(is_root));
    m.insert("Dependencies".into(), list("dependencies"));
    m.insert("Keywords".into(), list("keywords"));
    m.insert("Maintainers".into(), list("maintainers"));
    m.insert("Sources".into(), list("sources"));
    Value::map(m)
}

/// A YAML node as a template value (numbers as float64, as Helm reads YAML).
pub fn yaml_value(n: &Node) -> Value {
    match &n.value {
        model::Value::Null => Value::Nil,
        model::Value::Bool(b) => Value::Bool(*b),
        model::Value::Number(x) => Value::Float(*x),
        model::Value::Str(s) => Value::str(s.clone()),
        model::Value::List(items) => Value::list(items.iter().map(yaml_value).collect()),
        model::Value::Map(entries) => {
            Value::map(entries.iter().map(|e| (e.key.clone(), yaml_value(&e.value))).collect())
        }
        model::Value::Expr(_) => Value::Nil,
    }
}

/// `.Capabilities`.
pub fn capabilities() -> Value {
    let (major, minor, patch) = KUBE_VERSION;
    let mut helm = BTreeMap::new();
    helm.insert("Version".into(), Value::str("v4.2"));
    helm.insert("GitCommit".into(), Value::str(""));
    helm.insert("GitTreeState".into(), Value::str(""));
    helm.insert("GoVersion".into(), Value::str(""));
    let mut m = BTreeMap::new();
    m.insert(
        "KubeVersion".into(),
        Value::Object(Arc::new(KubeVersion {
            version: format!("v{major}.{minor}.{patch}"),
            major: major.to_string(),
            minor: minor.to_string(),
        })),
    );
    m.insert("APIVersions".into(), Value::Object(Arc::new(ApiVersions)));
    m.insert("HelmVersion".into(), Value::map(helm));
    Value::map(m)
}

#[derive(Debug)]
struct KubeVersion {
    version: String,
    major: String,
    minor: String,
}

impl Object for KubeVersion {
    fn type_name(&self) -> &'static str {
        "common.KubeVersion"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "Version" | "GitVersion" | "String" => Some(Value::str(&self.version)),
            "Major" => Some(Value::str(&self.major)),
            "Minor" => Some(Value::str(&self.minor)),
            _ => None,
        }
    }

    fn call(&self, _method: &str, _args: &[Value]) -> Option<Result<Value, String>> {
        None
    }

    fn to_go_string(&self) -> String {
        self.version.clone()
    }
}

#[derive(Debug)]
struct ApiVersions;

impl Object for ApiVersions {
    fn type_name(&self) -> &'static str {
        "common.VersionSet"
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn call(&self, method: &str, args: &[Value]) -> Option<Result<Value, String>> {
        (method == "Has").then(|| match args {
            [Value::Str(v)] => Ok(Value::Bool(API_VERSIONS.contains(&v.as_str()))),
            [other] => Err(format!("wrong type for value; expected string; got {}", other.type_name())),
            _ => Err(format!("wrong number of args for Has: want 1 got {}", args.len())),
        })
    }

    fn to_go_string(&self) -> String {
        format!("[{}]", API_VERSIONS.join(" "))
    }
}

/// `.Files`: the chart's files other than templates, `Chart.yaml` and `values.yaml`.
#[derive(Debug)]
pub struct Files {
    pub files: Arc<BTreeMap<String, Arc<[u8]>>>,
}

impl Files {
    fn text(&self, name: &str) -> String {
        self.files.get(name).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()
    }

    fn glob(&self, pattern: &str) -> Result<Value, String> {
        let glob = globset::GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| e.to_string())?
            .compile_matcher();
        let picked = self.files.iter().filter(|(k, _)| glob.is_match(k.as_str()));
        let files: BTreeMap<String, Arc<[u8]>> = picked.map(|(k, v)| (k.clone(), Arc::clone(v))).collect();
        Ok(Value::Object(Arc::new(Files { files: Arc::new(files) })))
    }

    /// `AsConfig`/`AsSecrets`: the files as a YAML map from base name to content.
    fn as_map(&self, encode: bool) -> Value {
        let mut m = BTreeMap::new();
        for (k, v) in self.files.iter() {
            let base = k.rsplit('/').next().unwrap_or(k).to_string();
            let content = if encode { base64(v) } else { String::from_utf8_lossy(v).into_owned() };
            m.insert(base, Value::Str(content));
        }
        let yaml = super::template::yaml::to_yaml(&Value::map(m));
        Value::Str(if self.files.is_empty() {
            String::new()
        } else {
            yaml.trim_end_matches('\n').to_string()
        })
    }
}

impl Object for Files {
    fn type_name(&self) -> &'static str {
        "files.Files"
    }

    fn field(&self, name: &str) -> Option<Value> {
        match name {
            "AsConfig" => Some(self.as_map(false)),
            "AsSecrets" => Some(self.as_map(true)),
            _ => None,
        }
    }

    fn call(&self, method: &str, args: &[Value]) -> Option<Result<Value, String>> {
        let arg = || match args {
            [Value::Str(s)] => Ok(s.as_str()),
            [other] => Err(format!("wrong type for value; expected string; got {}", other.type_name())),
            _ => Err(format!("wrong number of args for {method}: want 1 got {}", args.len())),
        };
        Some(match method {
            "Get" => arg().map(|n| Value::Str(self.text(n))),
            "GetBytes" => arg().map(|n| Value::Str(self.text(n))),
            "Lines" => arg().map(|n| {
                let text = self.text(n);
                Value::list(text.split('\n').map(Value::str).collect())
            }),
            "Glob" => arg().and_then(|p| self.glob(p)),
            _ => return None,
        })
    }

    fn to_go_string(&self) -> String {
        let items: Vec<String> =
            self.files.iter().map(|(k, v)| format!("{k}:{:?}", v.iter().collect::<Vec<_>>())).collect();
        format!("map[{}]", items.join(" "))
    }

    fn entries(&self) -> Option<Vec<(String, Value)>> {
        Some(
            self.files
                .iter()
                .map(|(k, v)| (k.clone(), Value::Str(String::from_utf8_lossy(v).into())))
                .collect(),
        )
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_go() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"a"), "YQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b"a=1\n"), "YT0xCg==");
    }
}
