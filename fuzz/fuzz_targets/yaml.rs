//! YAML (and JSON) parsing and lowering into the model.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = smelt::parse::yaml::parse(text, &smelt::parse::Limits::default());
    }
});
