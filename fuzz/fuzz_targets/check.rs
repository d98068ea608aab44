//! The whole single-file check, with every built-in rule, on one in-memory file. The first byte picks
//! the file's name (and so its kind); the rest is its content, bytes as they come.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smelt::discover::Input;
use smelt::engine::{CheckOptions, check_units};
use smelt::rules::meta::Severity;
use smelt::rules::registry::{RuleSet, builtin, select};
use std::sync::OnceLock;

const NAMES: [&str; 9] = [
    "main.tf",
    "main.tf.json",
    "prod.tfvars",
    ".github/workflows/ci.yml",
    "action.yml",
    ".gitlab-ci.yml",
    "k8s/deploy.yaml",
    "chart/Chart.yaml",
    "vars.tfvars.json",
];

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| {
        let all = builtin().unwrap_or_else(|e| panic!("built-in rules load: {e:?}"));
        select(all, &[], &[], Severity::Info).unwrap_or_else(|e| panic!("{e}"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else { return };
    let name = NAMES[first as usize % NAMES.len()];
    let inputs = vec![Input::from_memory(name, rest.to_vec())];
    // `check_units` runs in rayon's global pool: `check` builds a pool per call, whose threads
    // LeakSanitizer reports as leaks when they outlive the call (seen in the first run).
    let report = check_units(inputs, rules(), &CheckOptions::default());
    // An internal error is a caught panic: a bug in smelt even though the run survived it.
    assert!(
        !report.diagnostics.iter().any(|d| d.code == smelt::finding::DiagnosticCode::InternalError),
        "internal error: {:?}",
        report.diagnostics
    );
});
