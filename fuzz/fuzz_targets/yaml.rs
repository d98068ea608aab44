//! YAML (and JSON) parsing and lowering into the model, differential: wherever the fast lowering
//! (saphyr-parser events) takes the input, it must give what the tree-sitter lowering gives.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smelt::parse::Limits;
use smelt::parse::yaml::{Schema, parse, parse_events, parse_tree_sitter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits::default();
    let _ = parse(text, &limits);
    for schema in [Schema::Core, Schema::Yaml11] {
        let Some(fast) = parse_events(text, &limits, schema) else { return };
        let slow = parse_tree_sitter(text, &limits, schema);
        // Debug text, not `==`: a `.nan` scalar is not equal to itself.
        let (fast, slow) = (format!("{fast:#?}"), format!("{slow:#?}"));
        assert!(fast == slow, "{schema:?}: the lowerings differ for {text:?}\n--- fast\n{fast}\n--- tree-sitter\n{slow}");
    }
});
