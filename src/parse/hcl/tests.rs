use super::*;
use crate::model::{ParseIssueKind, Step};

fn lower(text: &str) -> ParsedFile {
    parse(text, &Limits::default())
}

fn root(file: &ParsedFile) -> &Node {
    assert_eq!(file.docs.len(), 1);
    &file.docs[0]
}

/// Follows map keys (first match at each level).
fn at<'a>(node: &'a Node, path: &[&str]) -> &'a Node {
    path.iter().fold(node, |n, k| n.get(k).unwrap_or_else(|| panic!("no {k} in {n:?}")))
}

fn expr(node: &Node) -> &Expr {
    match &node.value {
        Value::Expr(e) => e,
        other => panic!("not an expression: {other:?}"),
    }
}

fn reference(node: &Node) -> Vec<&str> {
    match expr(node) {
        Expr::Reference(parts) => parts.iter().map(String::as_str).collect(),
        other => panic!("not a reference: {other:?}"),
    }
}

fn value_of(text: &str) -> Node {
    let file = lower(text);
    assert!(file.issues.is_empty(), "{:?}", file.issues);
    root(&file).get("a").expect("attribute a").clone()
}

#[test]
fn blocks_lower_to_nested_maps_with_spans() {
    let text = "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"my-logs\"\n}\n";
    let file = lower(text);
    assert!(file.issues.is_empty());
    let doc = root(&file);
    assert_eq!(doc.span, Span::new(0, text.len()));
    let entry = &doc.entries()[0];
    assert_eq!(entry.key, "resource");
    assert_eq!(&text[entry.key_span.range()], "resource");
    let block_text = &text[..text.len() - 1];
    assert_eq!(&text[entry.value.span.range()], block_text);
    let by_type = &entry.value.entries()[0];
    assert_eq!(by_type.key, "aws_s3_bucket");
    assert_eq!(&text[by_type.key_span.range()], "\"aws_s3_bucket\"");
    let by_name = &by_type.value.entries()[0];
    assert_eq!(by_name.key, "logs");
    assert_eq!(&text[by_name.value.span.range()], block_text);
    let attr = &by_name.value.entries()[0];
    assert_eq!(attr.key, "bucket");
    assert_eq!(&text[attr.key_span.range()], "bucket");
    assert_eq!(attr.value.as_str(), Some("my-logs"));
    assert_eq!(&text[attr.value.span.range()], "\"my-logs\"");
}

#[test]
fn repeated_blocks_stay_separate_entries() {
    let text = r#"
resource "aws_security_group" "sg" {
  ingress { from_port = 22 }
  ingress {
    from_port = 443
  }
}
resource "aws_s3_bucket" "b" {}
"#;
    let file = lower(text);
    let doc = root(&file);
    let resources: Vec<_> = doc.entries().iter().filter(|e| e.key == "resource").collect();
    assert_eq!(resources.len(), 2);
    let sg = at(doc, &["resource", "aws_security_group", "sg"]);
    let ingress: Vec<_> = sg.entries().iter().filter(|e| e.key == "ingress").collect();
    assert_eq!(ingress.len(), 2);
    assert_eq!(ingress[0].value.get("from_port").and_then(Node::as_number), Some(22.0));
    assert_eq!(ingress[1].value.get("from_port").and_then(Node::as_number), Some(443.0));
    assert_eq!(&text[ingress[0].value.span.range()], "ingress { from_port = 22 }");
    let b = at(&resources[1].value, &["aws_s3_bucket", "b"]);
    assert!(b.entries().is_empty());
}

#[test]
fn literals_of_every_kind() {
    let file = lower(
        "n = null\nt = true\nf = false\ni = 42\nx = 2.5\ne = 1.5e3\nneg = -1\ns = \"hi\"\nempty = \"\"\n",
    );
    let doc = root(&file);
    assert_eq!(doc.get("n").map(|n| &n.value), Some(&Value::Null));
    assert_eq!(doc.get("t").and_then(Node::as_bool), Some(true));
    assert_eq!(doc.get("f").and_then(Node::as_bool), Some(false));
    assert_eq!(doc.get("i").and_then(Node::as_number), Some(42.0));
    assert_eq!(doc.get("x").and_then(Node::as_number), Some(2.5));
    assert_eq!(doc.get("e").and_then(Node::as_number), Some(1500.0));
    assert_eq!(doc.get("neg").and_then(Node::as_number), Some(-1.0));
    assert_eq!(doc.get("s").and_then(Node::as_str), Some("hi"));
    assert_eq!(doc.get("empty").and_then(Node::as_str), Some(""));
}

#[test]
fn string_escapes_are_decoded() {
    let a = value_of(r#"a = "x\n\t\"q\" \\ \u00e9 \U0001F600 $${lit} %%{d}""#);
    assert_eq!(a.as_str(), Some("x\n\t\"q\" \\ é 😀 ${lit} %{d}"));
}

#[test]
fn templates_keep_literal_parts_and_expressions() {
    let text = "a = \"pre-${var.env} ${upper(local.x)}-post\"\n";
    let a = value_of(text);
    assert_eq!(&text[a.span.range()], "\"pre-${var.env} ${upper(local.x)}-post\"");
    let Expr::Template(parts) = expr(&a) else { panic!("{a:?}") };
    let shown: Vec<_> = parts.iter().map(|p| &text[p.span.range()]).collect();
    assert_eq!(shown, ["pre-", "var.env", " ", "upper(local.x)", "-post"]);
    assert_eq!(parts[0].as_str(), Some("pre-"));
    assert_eq!(reference(&parts[1]), ["var", "env"]);
    assert_eq!(parts[2].as_str(), Some(" "));
    assert!(matches!(expr(&parts[3]), Expr::Call { name, .. } if name == "upper"));
}

#[test]
fn template_strip_markers_and_directives() {
    let a = value_of("a = \"x  ${~ var.y ~}  z%{ if true }t%{ endif }\"");
    let Expr::Template(parts) = expr(&a) else { panic!() };
    assert_eq!(parts[0].as_str(), Some("x"));
    assert_eq!(reference(&parts[1]), ["var", "y"]);
    assert_eq!(parts[2].as_str(), Some("z"));
    let Expr::Conditional { then, otherwise, .. } = expr(&parts[3]) else { panic!("{:?}", parts[3]) };
    assert_eq!(then.as_str(), Some("t"));
    assert_eq!(otherwise.as_str(), Some(""));
}

#[test]
fn directives_become_conditionals_and_joined_for_expressions() {
    let text = "a = \"%{ if var.on }on ${var.x}%{ else }off%{ endif }\"\nb = \"%{ for k, v in var.m }${k}%{ endfor }\"\n";
    let file = lower(text);
    assert!(file.issues.is_empty(), "{:?}", file.issues);
    let doc = root(&file);
    let Expr::Template(parts) = expr(doc.get("a").expect("a")) else { panic!() };
    let Expr::Conditional { cond, then, otherwise } = expr(&parts[0]) else { panic!("{:?}", parts[0]) };
    assert_eq!(reference(cond), ["var", "on"]);
    let Expr::Template(then_parts) = expr(then) else { panic!("{then:?}") };
    assert_eq!(then_parts[0].as_str(), Some("on "));
    assert_eq!(&text[then_parts[0].span.range()], "on ");
    assert_eq!(reference(&then_parts[1]), ["var", "x"]);
    assert_eq!(otherwise.as_str(), Some("off"));
    let Expr::Template(parts) = expr(doc.get("b").expect("b")) else { panic!() };
    let Expr::Call { name, args, .. } = expr(&parts[0]) else { panic!("{:?}", parts[0]) };
    assert_eq!(name, "join");
    let Expr::For(each) = expr(&args[1]) else { panic!("{:?}", args[1]) };
    assert_eq!((each.key_var.as_deref(), each.value_var.as_str()), (Some("k"), "v"));
    assert_eq!(reference(&each.collection), ["var", "m"]);
}

#[test]
fn a_broken_directive_stays_unknown() {
    let file = lower("a = \"%{ if }x%{ endif }\"\n");
    assert!(!file.issues.is_empty());
}

#[test]
fn heredocs() {
    let text = "a = <<EOF\nhello\n  world $${x}\nEOF\nb = <<-EOT\n    one\n\n      two\n    EOT\nc = <<EOF\n  x ${var.y}\nEOF\nd = <<EOF\nEOF\n";
    let file = lower(text);
    assert!(file.issues.is_empty(), "{:?}", file.issues);
    let doc = root(&file);
    let a = doc.get("a").expect("a");
    assert_eq!(a.as_str(), Some("hello\n  world ${x}\n"));
    assert_eq!(&text[a.span.range()], "<<EOF\nhello\n  world $${x}\nEOF");
    assert_eq!(doc.get("b").and_then(Node::as_str), Some("one\n\n  two\n"));
    let c = doc.get("c").expect("c");
    let Expr::Template(parts) = expr(c) else { panic!("{c:?}") };
    assert_eq!(parts[0].as_str(), Some("  x "));
    assert_eq!(&text[parts[0].span.range()], "  x ");
    assert_eq!(reference(&parts[1]), ["var", "y"]);
    assert_eq!(parts[2].as_str(), Some("\n"));
    assert_eq!(doc.get("d").and_then(Node::as_str), Some(""));
}

#[test]
fn flush_heredoc_with_interpolation_keeps_relative_indent() {
    let a = value_of("a = <<-EOT\n    x\n      ${var.y}\n    EOT\n");
    let Expr::Template(parts) = expr(&a) else { panic!("{a:?}") };
    assert_eq!(parts[0].as_str(), Some("x\n  "));
    assert_eq!(parts[2].as_str(), Some("\n"));
}

#[test]
fn tuples_and_objects() {
    let text = "a = [1, \"two\", [true], { Name = \"n\", \"k-2\": 2, (var.k) = 3 }]\n";
    let a = value_of(text);
    let items = a.items();
    assert_eq!(items.len(), 4);
    assert_eq!(items[0].as_number(), Some(1.0));
    assert_eq!(items[1].as_str(), Some("two"));
    assert_eq!(items[2].items()[0].as_bool(), Some(true));
    let keys: Vec<_> = items[3].entries().iter().map(|e| e.key.as_str()).collect();
    assert_eq!(keys, ["Name", "k-2", "(var.k)"]);
    assert_eq!(&text[items[3].entries()[1].key_span.range()], "\"k-2\"");
    assert_eq!(&text[items[3].span.range()], "{ Name = \"n\", \"k-2\": 2, (var.k) = 3 }");
}

#[test]
fn references_with_index_and_splat() {
    let text = "a = [var.x, data.aws_iam_policy_document.p.json, aws_instance.web[0].id, local.m[\"k\"], aws_instance.web[*].id, module.m.out.*.id[0], aws_instance.w[count.index].id, x.0]\n";
    let a = value_of(text);
    let items = a.items();
    assert_eq!(reference(&items[0]), ["var", "x"]);
    assert_eq!(reference(&items[1]), ["data", "aws_iam_policy_document", "p", "json"]);
    assert_eq!(reference(&items[2]), ["aws_instance", "web", "[0]", "id"]);
    assert_eq!(reference(&items[3]), ["local", "m", "[\"k\"]"]);
    assert_eq!(reference(&items[7]), ["x", "[0]"]);
    assert_eq!(&text[items[2].span.range()], "aws_instance.web[0].id");
    // A splat or a computed index makes a traversal on the reference before it.
    let Expr::Traverse { base, steps } = expr(&items[4]) else { panic!("{:?}", items[4]) };
    assert_eq!(reference(base), ["aws_instance", "web"]);
    assert_eq!(&text[base.span.range()], "aws_instance.web");
    assert!(matches!(steps.as_slice(), [Step::Splat(inner)] if inner == &[Step::Attr("id".into())]));
    // The legacy `.*` takes only the attributes after it: `[0]` indexes the result.
    let Expr::Traverse { base, steps } = expr(&items[5]) else { panic!() };
    assert_eq!(reference(base), ["module", "m", "out"]);
    assert!(matches!(steps.as_slice(), [Step::Splat(_), Step::Index(i)] if i.as_number() == Some(0.0)));
    let Expr::Traverse { base, steps } = expr(&items[6]) else { panic!() };
    assert_eq!(reference(base), ["aws_instance", "w"]);
    let [Step::Index(i), Step::Attr(id)] = steps.as_slice() else { panic!("{steps:?}") };
    assert_eq!(reference(i), ["count", "index"]);
    assert_eq!(id, "id");
}

#[test]
fn steps_on_values_and_for_expressions() {
    let file = lower(
        "a = f(1)[0]\nb = { k = 1 }.k\nc = (var.x).y\nd = [for k, v in var.m : upper(v) if k != \"x\"]\ne = { for s in var.l : s.k => s.v... }\nf = concat(var.l...)\n",
    );
    assert!(file.issues.is_empty(), "{:?}", file.issues);
    let doc = root(&file);
    let Expr::Traverse { base, steps } = expr(doc.get("a").expect("a")) else { panic!() };
    assert!(matches!(expr(base), Expr::Call { name, .. } if name == "f"));
    assert!(matches!(steps.as_slice(), [Step::Index(_)]));
    let Expr::Traverse { base, steps } = expr(doc.get("b").expect("b")) else { panic!() };
    assert_eq!(base.get("k").and_then(Node::as_number), Some(1.0));
    assert_eq!(steps, &[Step::Attr("k".into())]);
    let Expr::Traverse { base, .. } = expr(doc.get("c").expect("c")) else { panic!() };
    assert_eq!(reference(base), ["var", "x"]);
    let Expr::For(f) = expr(doc.get("d").expect("d")) else { panic!() };
    assert_eq!((f.key_var.as_deref(), f.value_var.as_str()), (Some("k"), "v"));
    assert_eq!(reference(&f.collection), ["var", "m"]);
    assert!(f.key.is_none() && f.cond.is_some() && !f.group);
    let Expr::For(f) = expr(doc.get("e").expect("e")) else { panic!() };
    assert_eq!(f.key.as_ref().map(reference), Some(vec!["s", "k"]));
    assert!(f.group && f.cond.is_none());
    let Expr::Call { expand, args, .. } = expr(doc.get("f").expect("f")) else { panic!() };
    assert!(*expand);
    assert_eq!(reference(&args[0]), ["var", "l"]);
}

#[test]
fn function_calls_nest() {
    let text = "a = jsonencode({ k = lower(var.x) }, provider::aws::arn_parse(\"arn\"))\n";
    let a = value_of(text);
    let Expr::Call { name, args, .. } = expr(&a) else { panic!() };
    assert_eq!(name, "jsonencode");
    assert_eq!(args.len(), 2);
    let inner = args[0].get("k").expect("k");
    let Expr::Call { name, args: inner_args, .. } = expr(inner) else { panic!() };
    assert_eq!(name, "lower");
    assert_eq!(reference(&inner_args[0]), ["var", "x"]);
    assert_eq!(&text[inner.span.range()], "lower(var.x)");
    assert!(matches!(expr(&args[1]), Expr::Call { name, .. } if name == "provider::aws::arn_parse"));
}

#[test]
fn operations_and_conditionals_keep_structure() {
    let file = lower(
        "c = var.a ? 1 : 2\nb = 1 + 2\nf = [for s in var.l : s]\np = (var.x)\nq = (1 + 2)\nr = (\"s\")\nn = !true\nm = -var.x\n",
    );
    let doc = root(&file);
    let Expr::Conditional { cond, then, otherwise } = expr(doc.get("c").expect("c")) else { panic!() };
    assert_eq!(reference(cond), ["var", "a"]);
    assert_eq!((then.as_number(), otherwise.as_number()), (Some(1.0), Some(2.0)));
    let Expr::Op { op, operands } = expr(doc.get("b").expect("b")) else { panic!() };
    assert_eq!(op, "+");
    assert_eq!(operands.iter().map(|n| n.as_number()).collect::<Vec<_>>(), [Some(1.0), Some(2.0)]);
    assert!(matches!(expr(doc.get("f").expect("f")), Expr::For(_)));
    assert_eq!(reference(doc.get("p").expect("p")), ["var", "x"]);
    let q = doc.get("q").expect("q");
    assert!(matches!(expr(q), Expr::Op { op, .. } if op == "+"));
    assert_eq!(q.span.len(), "(1 + 2)".len(), "the span covers the parentheses");
    assert_eq!(doc.get("r").and_then(Node::as_str), Some("s"));
    assert!(
        matches!(expr(doc.get("n").expect("n")), Expr::Op { op, operands } if op == "!" && operands.len() == 1)
    );
    // tree-sitter-hcl reads `-var.x` as `(-var).x`: the steps go back to the operand.
    let Expr::Op { op, operands } = expr(doc.get("m").expect("m")) else { panic!() };
    assert_eq!((op.as_str(), reference(&operands[0])), ("-", vec!["var", "x"]));
    let text = "t = 1 + var.a.b[0] == local.c.d\n";
    let file = lower(text);
    let t = root(&file).get("t").expect("t");
    assert_eq!(file_text_of(t, text), "1 + var.a.b[0] == local.c.d");
    let Expr::Op { op, operands } = expr(t) else { panic!("{t:?}") };
    assert_eq!(op, "==");
    assert_eq!(reference(&operands[1]), ["local", "c", "d"]);
    assert_eq!(file_text_of(&operands[1], text), "local.c.d");
    let Expr::Op { op, operands } = expr(&operands[0]) else { panic!() };
    assert_eq!(op, "+");
    assert_eq!(reference(&operands[1]), ["var", "a", "b", "[0]"]);
    assert_eq!(file_text_of(&operands[1], text), "var.a.b[0]");
    let file = lower("e = var.a.b == \"x\"\nk = f(1)[0] + 2\np = (1 + 2) * (3)\n");
    let Expr::Op { op, operands } = expr(root(&file).get("p").expect("p")) else { panic!() };
    assert_eq!(op, "*");
    assert!(matches!(expr(&operands[0]), Expr::Op { op, .. } if op == "+"));
    assert_eq!(operands[1].as_number(), Some(3.0));
    let Expr::Op { op, operands } = expr(root(&file).get("e").expect("e")) else { panic!() };
    assert_eq!(op, "==");
    assert_eq!(reference(&operands[0]), ["var", "a", "b"]);
    assert_eq!(&file_text_of(&operands[0], "e = var.a.b == \"x\"\n"), "var.a.b");
    assert_eq!(operands[1].as_str(), Some("x"));
    let Expr::Op { operands, .. } = expr(root(&file).get("k").expect("k")) else { panic!() };
    assert!(matches!(expr(&operands[0]), Expr::Traverse { .. }));
}

fn file_text_of(node: &Node, text: &str) -> String {
    text.get(node.span.range()).unwrap_or("").to_string()
}

#[test]
fn comments_of_all_kinds() {
    let text = "# hash\na = 1 // slashes\n/* block\n   comment */\nb = \"# not a comment\"\n";
    let file = lower(text);
    let comments: Vec<_> = file.comments.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(comments, ["# hash", "// slashes", "/* block\n   comment */"]);
    for c in &file.comments {
        assert_eq!(&text[c.span.range()], c.text);
    }
}

fn line_of(text: &str, span: Span) -> usize {
    text[..span.start as usize].matches('\n').count() + 1
}

#[test]
fn missing_brace_is_reported_and_the_rest_is_lowered() {
    let text = "variable \"v\" {}\n\nresource \"a\" \"b\" {\n  x = 1\n";
    let file = lower(text);
    assert_eq!(file.issues.len(), 1, "{:?}", file.issues);
    let issue = &file.issues[0];
    assert_eq!(issue.kind, ParseIssueKind::Syntax);
    assert!(issue.message.contains("expected '}' to close the block \"resource\""), "{}", issue.message);
    assert!(issue.message.contains("line 3"), "{}", issue.message);
    let doc = root(&file);
    assert!(doc.get("variable").is_some());
    assert_eq!(at(doc, &["resource", "a", "b", "x"]).as_number(), Some(1.0));
}

#[test]
fn stray_token_does_not_swallow_the_next_block() {
    let text = "resource \"a\" \"b\" {\n  x = 1\n}\n= 5\nresource \"c\" \"d\" {\n  y = 2\n}\n";
    let file = lower(text);
    assert_eq!(file.issues.len(), 1, "{:?}", file.issues);
    let issue = &file.issues[0];
    assert_eq!(line_of(text, issue.span), 4);
    assert_eq!(issue.message, "unexpected '=' — expected an attribute name or block");
    let doc = root(&file);
    let resources: Vec<_> = doc.entries().iter().filter(|e| e.key == "resource").collect();
    assert_eq!(resources.len(), 2);
    assert_eq!(at(&resources[1].value, &["c", "d", "y"]).as_number(), Some(2.0));
}

#[test]
fn missing_value_is_reported() {
    let text = "a = 1\nb =\nc = 3\n";
    let file = lower(text);
    assert_eq!(file.issues.len(), 1, "{:?}", file.issues);
    assert_eq!(line_of(text, file.issues[0].span), 2);
    assert!(file.issues[0].message.contains("missing value for \"b\""), "{}", file.issues[0].message);
    let doc = root(&file);
    assert_eq!(doc.get("a").and_then(Node::as_number), Some(1.0));
    assert_eq!(doc.get("c").and_then(Node::as_number), Some(3.0));
}

#[test]
fn unterminated_string() {
    for text in ["a = \"open\nb = 2\n", "a = \"open\nb = \"x\"\nc = 1\n"] {
        let file = lower(text);
        assert_eq!(file.issues.len(), 1, "{text:?}: {:?}", file.issues);
        assert!(file.issues[0].message.starts_with("unterminated string"));
        assert_eq!(line_of(text, file.issues[0].span), 1);
        assert!(root(&file).get("b").is_some(), "{text:?}: {:?}", root(&file));
    }
}

#[test]
fn unclosed_list_is_reported_inside_a_block() {
    let text = "x {\n  a = [1, 2\n}\ny = 1\n";
    let file = lower(text);
    assert!(file.issues.iter().any(|i| i.message.contains("']'")), "{:?}", file.issues);
    assert_eq!(root(&file).get("y").and_then(Node::as_number), Some(1.0));
}

#[test]
fn garbage_yields_few_issues() {
    let text = "}}}}} ==== \"\" {{ ]] ((\n".repeat(200);
    let file = lower(&text);
    assert!(!file.issues.is_empty());
    assert!(file.issues.len() <= MAX_ISSUES);
}

fn on_small_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(256 * 1024)
        .spawn(f)
        .expect("spawn")
        .join()
        .expect("no stack overflow");
}

#[test]
fn deep_nesting_is_cut_without_overflowing_the_stack() {
    on_small_stack(|| {
        let n = 100_000;
        let lists = format!("a = {}{}\n", "[".repeat(n), "]".repeat(n));
        let file = lower(&lists);
        let limits: Vec<_> = file.issues.iter().filter(|i| i.kind == ParseIssueKind::Limit).collect();
        assert_eq!(limits.len(), 1, "{:?}", file.issues);
        assert_eq!(limits[0].message, "nesting deeper than 256 levels");
        let mut deepest = root(&file).get("a").expect("a");
        while let [only] = deepest.items() {
            deepest = only;
        }
        assert!(matches!(expr(deepest), Expr::Other(_)));

        let parens = format!("a = {}1{}\n", "(".repeat(n), ")".repeat(n));
        let file = lower(&parens);
        assert_eq!(root(&file).get("a").and_then(Node::as_number), Some(1.0));

        let blocks = format!("{}{}", "b {\n".repeat(10_000), "}\n".repeat(10_000));
        let file = lower(&blocks);
        assert!(file.issues.iter().any(|i| i.kind == ParseIssueKind::Limit));

        let unclosed = format!("a = {}\n", "[{".repeat(n));
        let file = lower(&unclosed);
        assert!(!file.issues.is_empty());
    });
}

#[test]
fn crlf_line_endings() {
    let text = "# note\r\nresource \"a\" \"b\" {\r\n  x = \"y\"\r\n  h = <<-EOF\r\n    one\r\n    two\r\n  EOF\r\n}\r\n";
    let file = lower(text);
    assert!(file.issues.is_empty(), "{:?}", file.issues);
    assert_eq!(file.comments[0].text, "# note");
    let b = at(root(&file), &["resource", "a", "b"]);
    assert_eq!(b.get("x").and_then(Node::as_str), Some("y"));
    assert_eq!(b.get("h").and_then(Node::as_str), Some("one\ntwo\n"));
}

#[test]
fn empty_file() {
    let file = lower("");
    assert_eq!(file.docs, vec![Node::new(Span::new(0, 0), Value::Map(Vec::new()))]);
    assert!(file.issues.is_empty() && file.comments.is_empty());
    let file = lower("  \n# only a comment\n");
    assert!(root(&file).entries().is_empty());
    assert_eq!(file.comments.len(), 1);
}

#[test]
fn tfvars_files() {
    let text = "region = \"eu-west-1\"\ninstance_count = 3\ntags = {\n  team = \"x\"\n}\n";
    let file = lower(text);
    assert!(file.issues.is_empty());
    let doc = root(&file);
    assert_eq!(doc.get("region").and_then(Node::as_str), Some("eu-west-1"));
    assert_eq!(doc.get("instance_count").and_then(Node::as_number), Some(3.0));
    assert_eq!(at(doc, &["tags", "team"]).as_str(), Some("x"));
}

#[test]
fn never_panics_on_odd_input() {
    for text in [
        "\"",
        "<<",
        "<<EOF\n",
        "a = <<EOF\nx",
        "a = \"${",
        "a = \"\\u12\"",
        "a = 0x1F",
        "{ a = 1 }",
        "a.b = 1",
        "é = \"ü\"",
        "a = [*]",
        "a = \"%{ if }\"",
    ] {
        let _ = lower(text);
    }
    assert_eq!(root(&lower("a = 0x1F")).get("a").and_then(Node::as_number), Some(31.0));
}

/// A string or heredoc left open swallows the rest of the file into one error region that starts at
/// the enclosing block; the issue must point at the string's own line.
#[test]
fn unterminated_strings_and_heredocs_are_reported_on_their_own_line() {
    for (text, want) in [
        ("locals {\n  x = \"abc\n}\n", "unterminated string"),
        ("locals {\n  x = <<EOT\nabc\n", "heredoc"),
        ("# a \"quoted\" comment\nlocals {\n  y = \"ok\"\n  x = <<-EOF\n    abc\n", "heredoc"),
    ] {
        let file = lower(text);
        let issue = file.issues.first().unwrap_or_else(|| panic!("no issue for {text:?}"));
        let line = text[..issue.span.start as usize].matches('\n').count() + 1;
        let expected_line = text.lines().position(|l| l.contains("\"abc") || l.contains("<<")).map(|i| i + 1);
        assert_eq!(Some(line), expected_line, "{text:?}: {issue:?}");
        assert!(issue.message.contains(want), "{text:?}: {}", issue.message);
    }
}

/// A file parsed in slices (as large files are) gives exactly what the whole-file parse gives, and a
/// cut that would land inside an open construct is never taken.
#[test]
fn sliced_parse_equals_whole_parse() {
    let text = r#"# header comment
terraform {
  required_version = ">= 1.5"
}

variable "name" {
  type    = string
  default = "x}{\"${upper("a{")}"
}

locals {
  rendered = <<EOT
resource "not" "a_block" {
${var.name} %{ if true }yes%{ endif }
EOT
  list = [
    for x in ["a", "b"] : x
  ]
}
/* a block comment
resource "also_not" "a_block" {}
*/
resource "aws_s3_bucket" "a" {
  bucket = "a" // trailing
}

resource "aws_s3_bucket" "b" {
  bucket = "b"
  tags   = { Name = "b", Other = ("c") }
}
enabled = true
"#;
    let whole = parse(text, &Limits::default());
    assert!(whole.issues.is_empty(), "{:?}", whole.issues);
    for slice_bytes in [1, 16, 64, 200] {
        let sliced = super::parse_sliced(text, &Limits::default(), slice_bytes)
            .unwrap_or_else(|| panic!("no slicing at {slice_bytes} bytes"));
        assert_eq!(sliced, whole, "slices of {slice_bytes} bytes");
    }
    let cuts = super::slices::slices(text, 1).unwrap_or_default();
    let starts: Vec<&str> =
        cuts.iter().map(|s| text[s.start..].split_whitespace().next().unwrap_or("")).collect();
    assert_eq!(starts, ["#", "terraform", "variable", "locals", "resource", "resource", "enabled"]);
}

/// A broken slice is parsed on its own with recovery: its diagnostic points into it, and the blocks
/// in the other slices are lowered as usual, spans and all.
#[test]
fn a_broken_slice_is_parsed_alone_and_the_others_are_kept() {
    let text = "resource \"a\" \"one\" {\n  x = 1\n}\nresource \"a\" \"two\" {\n  y = 1 +\n}\nresource \"a\" \"three\" {\n  z = \"ok\" # note\n}\n";
    let sliced = super::parse_sliced(text, &Limits::default(), 1).expect("sliced");
    let names: Vec<String> = root(&sliced)
        .entries()
        .iter()
        .filter(|e| e.key == "resource")
        .filter_map(|e| e.value.get("a"))
        .flat_map(|a| a.entries().iter().map(|e| e.key.clone()))
        .collect();
    assert!(names.contains(&"one".to_string()) && names.contains(&"three".to_string()), "{names:?}");
    let [issue] = sliced.issues.as_slice() else { panic!("{:?}", sliced.issues) };
    let line = text[..issue.span.start as usize].matches('\n').count() + 1;
    assert!((5..=6).contains(&line), "the issue is in the broken block: line {line}");
    let three = root(&sliced)
        .entries()
        .iter()
        .filter(|e| e.key == "resource")
        .find_map(|e| e.value.get("a").and_then(|a| a.get("three")))
        .expect("three");
    let z = three.get("z").expect("z");
    assert_eq!(&text[z.span.range()], "\"ok\"");
    assert_eq!(sliced.comments.len(), 1);
    assert_eq!(&text[sliced.comments[0].span.range()], "# note");
}

/// When the scan is lost (an unclosed bracket), the file is cut before block keywords instead, and
/// the blocks after the damage are still read.
#[test]
fn an_unclosed_bracket_resyncs_at_the_next_block() {
    let text = "resource \"a\" \"zero\" {}\nresource \"a\" \"one\" {\n  x = [1, 2\n}\nresource \"a\" \"two\" {\n  y = 2\n}\n";
    assert!(super::slices::slices(text, 1).is_none());
    let sliced = super::parse_sliced(text, &Limits::default(), 1).expect("resynced");
    let issue = sliced.issues.first().expect("an issue");
    assert!(issue.message.contains("line 3"), "the file's line, not the slice's: {}", issue.message);
    let two = root(&sliced)
        .entries()
        .iter()
        .filter(|e| e.key == "resource")
        .find_map(|e| e.value.get("a").and_then(|a| a.get("two")))
        .expect("two survives");
    assert_eq!(two.get("y").and_then(Node::as_number), Some(2.0));
    assert!(super::slices::resync_slices("a = 1\nb = 2\n", 1).is_none());
}
