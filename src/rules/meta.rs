//! What a rule is, as every output format and the language server see it.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    Security,
    Drift,
    Rollback,
}

/// The smell vocabulary of `SMELLS.md`: a public contract, so a tag is added there first and never renamed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Smell {
    HardcodedSecret,
    EmptyPassword,
    AdminByDefault,
    ExcessivePermissions,
    UnrestrictedNetwork,
    PublicExposure,
    PlaintextTransport,
    WeakCrypto,
    UnencryptedStorage,
    MissingAuditLogging,
    PrivilegedContainer,
    ScriptInjection,
    UntrustedCheckout,
    SuspiciousComment,
    UnpinnedVersion,
    IgnoredChanges,
    UnmanagedState,
    ImperativeChange,
    EnvironmentDivergence,
    NoRevisionHistory,
    MissingHealthCheck,
    UnsafeRollout,
    NonAtomicDeploy,
    MissingRollbackPath,
    UnprotectedStatefulResource,
}

impl Smell {
    pub const ALL: [Smell; 25] = [
        Smell::HardcodedSecret,
        Smell::EmptyPassword,
        Smell::AdminByDefault,
        Smell::ExcessivePermissions,
        Smell::UnrestrictedNetwork,
        Smell::PublicExposure,
        Smell::PlaintextTransport,
        Smell::WeakCrypto,
        Smell::UnencryptedStorage,
        Smell::MissingAuditLogging,
        Smell::PrivilegedContainer,
        Smell::ScriptInjection,
        Smell::UntrustedCheckout,
        Smell::SuspiciousComment,
        Smell::UnpinnedVersion,
        Smell::IgnoredChanges,
        Smell::UnmanagedState,
        Smell::ImperativeChange,
        Smell::EnvironmentDivergence,
        Smell::NoRevisionHistory,
        Smell::MissingHealthCheck,
        Smell::UnsafeRollout,
        Smell::NonAtomicDeploy,
        Smell::MissingRollbackPath,
        Smell::UnprotectedStatefulResource,
    ];

    /// The family SMELLS.md files this smell under.
    pub fn family(self) -> Family {
        use Smell::*;
        match self {
            UnpinnedVersion | IgnoredChanges | UnmanagedState | ImperativeChange | EnvironmentDivergence => {
                Family::Drift
            }
            NoRevisionHistory
            | MissingHealthCheck
            | UnsafeRollout
            | NonAtomicDeploy
            | MissingRollbackPath
            | UnprotectedStatefulResource => Family::Rollback,
            _ => Family::Security,
        }
    }

    /// The CWE SMELLS.md gives the smell, if any.
    pub fn cwe(self) -> Option<u32> {
        use Smell::*;
        Some(match self {
            HardcodedSecret => 798,
            EmptyPassword => 258,
            AdminByDefault => 250,
            ExcessivePermissions => 732,
            UnrestrictedNetwork => 284,
            PublicExposure => 200,
            PlaintextTransport => 319,
            WeakCrypto => 327,
            UnencryptedStorage => 311,
            MissingAuditLogging => 778,
            PrivilegedContainer => 250,
            ScriptInjection => 94,
            UntrustedCheckout => 829,
            SuspiciousComment => 546,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] =
        [Severity::Info, Severity::Low, Severity::Medium, Severity::High, Severity::Critical];

    /// GitHub code scanning's `security-severity` score: it buckets >= 9 critical, >= 7 high,
    /// >= 4 medium, > 0 low.
    pub fn security_score(self) -> &'static str {
        match self {
            Severity::Critical => "9.5",
            Severity::High => "8.0",
            Severity::Medium => "5.5",
            Severity::Low => "3.0",
            Severity::Info => "1.0",
        }
    }
}

/// How often a finding of this rule is a true positive (SARIF `precision`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    Low,
    Medium,
    High,
    VeryHigh,
}

macro_rules! display_as_serde {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match serde_json::to_value(self) {
                    Ok(serde_json::Value::String(s)) => f.write_str(&s),
                    _ => Err(fmt::Error),
                }
            }
        }
    )*};
}
display_as_serde!(Family, Smell, Severity, Precision);

/// Everything about a rule except how it matches: what reports, docs and editors show.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleMeta {
    /// Short stable code, e.g. `S101`.
    pub code: String,
    /// Kebab-case name, unique: the name users select, ignore and suppress by.
    pub name: String,
    pub family: Family,
    pub smell: Smell,
    pub severity: Severity,
    pub precision: Precision,
    pub cwe: Option<u32>,
    /// One line: what is wrong (SARIF `shortDescription`).
    pub summary: String,
    /// How to fix it, in one or two sentences (shown under every finding).
    pub help: String,
    /// Full Markdown documentation: what it flags, why it matters, how to fix, references.
    pub docs: String,
    /// Where the rule was loaded from (`rules/…` for built-ins), for error messages.
    pub origin: String,
    /// A safe edit that fixes a finding by replacing the value it underlines (`[fix]`).
    pub fix: Option<ValueFix>,
}

/// `[fix]`: replace the underlined value with `replace`, offered only when the value is written as one
/// of `when` (a literal, so a variable, template action or expression is never rewritten).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValueFix {
    /// What the editor shows, e.g. "Set `deletion_protection = true`".
    pub title: String,
    pub replace: String,
    pub when: Vec<String>,
}

impl RuleMeta {
    /// SARIF/JSON tags: family, smell, then the CWE.
    pub fn tags(&self) -> Vec<String> {
        let mut tags = vec![self.family.to_string(), self.smell.to_string()];
        if let Some(cwe) = self.cwe {
            tags.push(format!("external/cwe/cwe-{cwe}"));
        }
        tags
    }
}

#[cfg(test)]
impl RuleMeta {
    /// A security rule with placeholder text, for tests that need a rule but not its content.
    pub(crate) fn for_tests(name: &str) -> RuleMeta {
        RuleMeta {
            code: "T1".into(),
            name: name.into(),
            family: Family::Security,
            smell: Smell::HardcodedSecret,
            severity: Severity::High,
            precision: Precision::High,
            cwe: None,
            summary: "s".into(),
            help: "h".into(),
            docs: "d".into(),
            origin: "test".into(),
            fix: None,
        }
    }
}
