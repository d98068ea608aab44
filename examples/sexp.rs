fn main() {
    let text = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let mut p = tree_sitter::Parser::new();
    p.set_language(&tree_sitter_hcl::LANGUAGE.into()).unwrap();
    let t = p.parse(&text, None).unwrap();
    print_node(t.root_node(), &text, 0);
}
fn print_node(n: tree_sitter::Node, text: &str, d: usize) {
    let s = &text[n.byte_range()];
    let s = if s.len() > 40 { &s[..40] } else { s };
    println!("{}{} {:?}", "  ".repeat(d), n.kind(), s);
    let mut c = n.walk();
    for ch in n.children(&mut c) {
        print_node(ch, text, d + 1);
    }
}
