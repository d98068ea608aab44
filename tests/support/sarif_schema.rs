//! Validates SARIF output against the official SARIF 2.1.0 schema, for integration tests.
//!
//! Include it from a test crate with
//! `#[path = "support/sarif_schema.rs"] mod sarif_schema;`
//! and call `sarif_schema::validate_sarif(&value)`. The schema lives in `shared/` beside the repository
//! (CI clones it there), so the path is resolved from `CARGO_MANIFEST_DIR`.

use std::path::PathBuf;
use std::sync::OnceLock;

pub fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/sarif-schema-2.1.0.json")
}

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        let path = schema_path();
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read the SARIF schema at {}: {e}", path.display()));
        let schema: serde_json::Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("the SARIF schema is not JSON: {e}"));
        jsonschema::validator_for(&schema)
            .unwrap_or_else(|e| panic!("the SARIF schema does not compile: {e}"))
    })
}

/// `Ok` when `sarif` validates; otherwise every violation as `"/json/pointer: message"`.
pub fn validate_sarif(sarif: &serde_json::Value) -> Result<(), Vec<String>> {
    let errors: Vec<String> =
        validator().iter_errors(sarif).map(|e| format!("{}: {e}", e.instance_path)).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}
