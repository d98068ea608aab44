//! The GitHub Actions expression parser (`${{ … }}`): finding occurrences in a string and parsing each.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smelt::pipeline::github::expr;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(e) = expr::parse(text) {
            let _ = e.contexts();
            let _ = e.dataflow_contexts();
            let _ = e.context_path();
        }
        let _ = expr::find(text);
    }
});
