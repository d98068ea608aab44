//! HCL (Terraform) parsing and lowering into the model, differential: wherever the fast lowering
//! (hcl-edit) takes the input, it must give what the tree-sitter lowering gives.
#![no_main]
use libfuzzer_sys::fuzz_target;
use smelt::parse::Limits;
use smelt::parse::hcl::{parse, parse_fast, parse_tree_sitter};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits::default();
    let _ = parse(text, &limits);
    let Some(fast) = parse_fast(text, &limits) else { return };
    let slow = parse_tree_sitter(text, &limits);
    let (fast, slow) = (format!("{fast:#?}"), format!("{slow:#?}"));
    assert!(fast == slow, "the lowerings differ for {text:?}\n--- fast\n{fast}\n--- tree-sitter\n{slow}");
});
