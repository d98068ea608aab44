use super::*;
use crate::model::{Node, ParsedFile, Value};
use crate::parse::{Limits, hcl};

fn parse(text: &str) -> ParsedFile {
    hcl::parse(text, &Limits::default())
}

/// Evaluates module `files` with `vars` files beside it; returns the evaluated first document of each.
fn run(files: &[(&str, &str)], vars: &[(&str, &str)]) -> (Vec<Node>, EvalOutput) {
    let parsed: Vec<ParsedFile> = files.iter().map(|(_, t)| parse(t)).collect();
    let var_parsed: Vec<ParsedFile> = vars.iter().map(|(_, t)| parse(t)).collect();
    let module: Vec<ModuleFile> =
        files.iter().zip(&parsed).map(|((p, _), f)| ModuleFile { path: p, docs: &f.docs }).collect();
    let var_files: Vec<ModuleFile> =
        vars.iter().zip(&var_parsed).map(|((p, _), f)| ModuleFile { path: p, docs: &f.docs }).collect();
    let out = evaluate_module(&module, &var_files);
    let docs = parsed
        .iter()
        .zip(&out.docs)
        .map(|(p, d)| d.as_ref().map_or_else(|| p.docs[0].clone(), |d| d[0].clone()))
        .collect();
    (docs, out)
}

/// The value of `locals { out = EXPR }` after evaluation, with `prelude` in the same file.
fn value_of(prelude: &str, expr: &str) -> Node {
    let text = format!("{prelude}\nlocals {{\n  out = {expr}\n}}\n");
    let (docs, _) = run(&[("main.tf", &text)], &[]);
    let locals: Vec<&Node> =
        docs[0].entries().iter().filter(|e| e.key == "locals").map(|e| &e.value).collect();
    locals.iter().find_map(|l| l.get("out")).cloned().unwrap_or_else(|| panic!("no out in {text}"))
}

fn known(expr: &str) -> String {
    known_with("", expr)
}

/// The evaluated value as JSON-ish text, or `unknown`.
fn known_with(prelude: &str, expr: &str) -> String {
    show(&value_of(prelude, expr))
}

fn show(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(x) => crate::model::format_number(*x),
        Value::Str(s) => format!("{s:?}"),
        Value::List(items) => format!("[{}]", items.iter().map(show).collect::<Vec<_>>().join(",")),
        Value::Map(es) => {
            format!(
                "{{{}}}",
                es.iter().map(|e| format!("{}={}", e.key, show(&e.value))).collect::<Vec<_>>().join(",")
            )
        }
        Value::Expr(_) => "unknown".into(),
    }
}

#[test]
fn variable_defaults_and_types() {
    let vars = "variable \"a\" {\n  default = \"x\"\n}\nvariable \"b\" {\n  type = bool\n  default = \"true\"\n}\nvariable \"c\" {}\nvariable \"v\" {\n  default = 3\n  validation {\n    condition = var.v > 0\n    error_message = \"no\"\n  }\n}\nvariable \"o\" {\n  type = object({ a = optional(bool, true) })\n  default = {}\n}\n";
    assert_eq!(known_with(vars, "var.a"), "\"x\"");
    assert_eq!(known_with(vars, "var.b"), "true");
    assert_eq!(known_with(vars, "var.c"), "unknown", "no default, no tfvars");
    assert_eq!(known_with(vars, "var.v"), "3", "validation does not stop evaluation");
    assert_eq!(known_with(vars, "var.o"), "unknown", "optional() defaults are not modelled");
    assert_eq!(known_with(vars, "var.missing"), "unknown");
}

#[test]
fn tfvars_override_defaults_in_order() {
    let main = "variable \"a\" {\n  default = 1\n}\nvariable \"b\" {}\nvariable \"c\" {\n  default = 1\n}\nresource \"x\" \"y\" {\n  a = var.a\n  b = var.b\n  c = var.c\n}\n";
    let (docs, out) = run(
        &[("m/main.tf", main)],
        &[
            ("m/z.auto.tfvars", "a = 4\n"),
            ("m/terraform.tfvars", "a = 2\nb = 2\nundeclared = 1\n"),
            ("m/a.auto.tfvars", "a = 3\nc = aws_x.y\n"),
            ("m/prod.tfvars", "b = 9\n"),
        ],
    );
    let body = docs[0].get("resource").and_then(|r| r.get("x")).and_then(|r| r.get("y")).expect("body");
    assert_eq!(show(body.get("a").expect("a")), "4", "the last auto.tfvars in name order wins");
    assert_eq!(show(body.get("b").expect("b")), "2", "prod.tfvars needs -var-file");
    assert_eq!(show(body.get("c").expect("c")), "unknown", "a tfvars value that is not literal");
    let origin =
        &out.origins[0].iter().find(|(s, _)| *s == body.get("a").expect("a").span).expect("origin").1;
    assert_eq!(origin.path, "m/z.auto.tfvars");
}

#[test]
fn locals_chains_and_cycles() {
    let prelude = "locals {\n  a = \"x\"\n  b = \"${local.a}-y\"\n  c = local.d\n  d = local.c\n  e = local.e\n}\nlocals {\n  f = local.b\n}\n";
    assert_eq!(known_with(prelude, "local.f"), "\"x-y\"");
    assert_eq!(known_with(prelude, "local.c"), "unknown");
    assert_eq!(known_with(prelude, "local.e"), "unknown");
}

#[test]
fn unknown_stays_unknown() {
    for expr in [
        "count.index",
        "each.value",
        "aws_s3_bucket.b.arn",
        "data.aws_iam_policy_document.p.json",
        "module.m.out",
        "path.module",
        "terraform.workspace",
        "\"${aws_s3_bucket.b.id}-x\"",
        "[for s in [1] : s]",
        "nosuchfunction(1)",
        "upper(aws_x.y.name)",
    ] {
        assert_eq!(known(expr), "unknown", "{expr}");
    }
}

#[test]
fn templates_conditionals_and_operators() {
    assert_eq!(known("\"a-${1 + 2}-${true}\""), "\"a-3-true\"");
    assert_eq!(known("true ? \"a\" : \"b\""), "\"a\"");
    assert_eq!(known("1 > 2 ? \"a\" : \"b\""), "\"b\"");
    assert_eq!(known("aws_x.y.z ? \"a\" : \"b\""), "unknown");
    assert_eq!(known("aws_x.y.z ? \"a\" : \"a\""), "\"a\"", "both branches agree");
    assert_eq!(known("\"a\" == \"a\" && !false"), "true");
    assert_eq!(known("false && aws_x.y.z"), "false");
    assert_eq!(known("true || aws_x.y.z"), "true");
    assert_eq!(known("true && aws_x.y.z"), "unknown");
    assert_eq!(known("(10 - 4) * 2 / 3 % 3"), "1");
    assert_eq!(known("1 / 0"), "unknown");
    assert_eq!(known("{ a = { b = [1, 2] } }.a"), "unknown", "steps on a literal are not lowered yet");
    assert_eq!(known_with("locals {\n  m = { a = { b = [1, 2] } }\n}", "local.m.a.b[1]"), "2");
    assert_eq!(known_with("locals {\n  m = { a = 1 }\n}", "local.m[\"a\"]"), "1");
}

#[test]
fn functions() {
    let cases = [
        ("lookup({ a = 1 }, \"a\", 2)", "1"),
        ("lookup({ a = 1 }, \"b\", 2)", "2"),
        ("merge({ a = 1, b = 1 }, { b = 2 }, null)", "{a=1,b=2}"),
        ("concat([1], [2, 3])", "[1,2,3]"),
        ("coalesce(null, \"\", \"x\")", "\"x\""),
        ("try(local.m.missing, \"fallback\")", "\"fallback\""),
        ("try(aws_x.y.z, \"fallback\")", "unknown"),
        ("can(local.m.missing)", "false"),
        ("can(local.m.a)", "true"),
        ("format(\"%s-%d-%v%%\", \"a\", 2, true)", "\"a-2-true%\""),
        ("format(\"%5s\", \"a\")", "unknown"),
        ("join(\",\", [\"a\", \"b\"])", "\"a,b\""),
        ("split(\",\", \"a,b\")", "[\"a\",\"b\"]"),
        ("lower(\"AbC\")", "\"abc\""),
        ("upper(\"AbC\")", "\"ABC\""),
        ("tostring(5)", "\"5\""),
        ("tonumber(\"5\")", "5"),
        ("tolist([1])", "[1]"),
        ("toset([\"b\", \"a\", \"b\"])", "[\"a\",\"b\"]"),
        ("tomap({ a = 1 })", "{a=1}"),
        ("length([1, 2])", "2"),
        ("length(\"héllo\")", "5"),
        ("contains([\"a\"], \"a\")", "true"),
        ("element([\"a\", \"b\"], 3)", "\"b\""),
        ("jsonencode({ a = [1, \"x\", true, null] })", "\"{\\\"a\\\":[1,\\\"x\\\",true,null]}\""),
        ("jsondecode(\"{\\\"a\\\": [1, true]}\")", "{a=[1,true]}"),
        ("jsondecode(\"not json\")", "unknown"),
        ("cidrsubnet(\"10.0.0.0/16\", 8, 2)", "\"10.0.2.0/24\""),
        ("cidrsubnet(\"10.1.2.3/8\", 4, 15)", "\"10.240.0.0/12\""),
        ("cidrsubnet(\"fd00::/48\", 8, 1)", "unknown"),
        ("cidrsubnet(\"10.0.0.0/30\", 8, 1)", "unknown"),
    ];
    for (expr, want) in cases {
        assert_eq!(known_with("locals {\n  m = { a = 1 }\n}", expr), want, "{expr}");
    }
}

#[test]
fn replaced_values_keep_the_span_and_record_the_origin() {
    let vars = "variable \"cidrs\" {\n  default = [\"0.0.0.0/0\"]\n}\n";
    let main = "resource \"x\" \"y\" {\n  cidr_blocks = var.cidrs\n  other = aws_x.y.id\n}\n";
    let (docs, out) = run(&[("variables.tf", vars), ("main.tf", main)], &[]);
    assert!(out.docs[0].is_none(), "variables.tf has nothing to evaluate");
    let body = docs[1].get("resource").and_then(|r| r.get("x")).and_then(|r| r.get("y")).expect("body");
    let cidrs = body.get("cidr_blocks").expect("cidrs");
    let at = main.find("var.cidrs").expect("in text");
    assert_eq!(cidrs.span.range(), at..at + "var.cidrs".len());
    assert!(cidrs.items().iter().all(|n| n.span == cidrs.span), "items point at the expression");
    assert!(body.get("other").is_some_and(Node::is_unknown));
    let (span, origin) = &out.origins[1][0];
    assert_eq!(*span, cidrs.span);
    assert_eq!(origin.path, "variables.tf");
    assert_eq!(&vars[origin.span.range()], "[\"0.0.0.0/0\"]");
}

#[test]
fn hostile_input_is_bounded() {
    // Each local doubles the last: the size limit stops it, not memory.
    let mut prelude = String::from("locals {\n  l0 = [1, 2, 3, 4, 5, 6, 7, 8]\n");
    for i in 1..40 {
        prelude.push_str(&format!("  l{i} = concat(local.l{}, local.l{})\n", i - 1, i - 1));
    }
    prelude.push_str("  s0 = \"xxxxxxxxxxxxxxxx\"\n");
    for i in 1..40 {
        prelude.push_str(&format!("  s{i} = \"${{local.s{}}}${{local.s{}}}\"\n", i - 1, i - 1));
    }
    prelude.push_str("}\n");
    assert_eq!(known_with(&prelude, "length(local.l39)"), "unknown");
    assert_eq!(known_with(&prelude, "length(local.s39)"), "unknown");
    assert_eq!(known_with(&prelude, "length(local.l3)"), "64");
    let deep = format!("{}1{}", "(".repeat(5000), ")".repeat(5000));
    let _ = known(&deep);
    let nested = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    let _ = known(&nested);
}

#[test]
fn module_sources_join_the_callers_folder() {
    assert_eq!(join("a/examples/complete", "../../").as_deref(), Some("a"));
    assert_eq!(join("examples/x", "../..").as_deref(), Some(""));
    assert_eq!(join("", "./mod").as_deref(), Some("mod"));
    assert_eq!(join("/abs/root", "../m/").as_deref(), Some("/abs/m"));
    assert_eq!(join("a", "../../up"), None);
}

#[test]
fn a_call_sets_variables_and_unknown_arguments_stay_unknown() {
    let child = parse(
        "variable \"a\" {\n  default = 1\n}\nvariable \"b\" {\n  default = 1\n}\nvariable \"c\" {\n  default = 1\n}\nresource \"x\" \"y\" {\n  a = var.a\n  b = var.b\n  c = var.c\n}\n",
    );
    let caller = parse(
        "module \"m\" {\n  source = \"./child\"\n  a = 2\n  b = aws_x.y.z\n  count = 3\n}\nmodule \"r\" {\n  source = \"hashicorp/x/aws\"\n}\n",
    );
    let calls = local_calls("root", &[ModuleFile { path: "root/main.tf", docs: &caller.docs }]);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].child_dir, "root/child");
    let names: Vec<&str> = calls[0].inputs.iter().map(|i| i.name).collect();
    assert_eq!(names, ["a", "b"]);
    let out =
        evaluate_call(&[ModuleFile { path: "root/child/main.tf", docs: &child.docs }], &calls[0].inputs);
    let doc = out.docs[0].as_ref().expect("changed")[0].clone();
    let body = doc.get("resource").and_then(|r| r.get("x")).and_then(|r| r.get("y")).expect("body");
    assert_eq!(show(body.get("a").expect("a")), "2");
    assert_eq!(show(body.get("b").expect("b")), "unknown");
    assert_eq!(show(body.get("c").expect("c")), "1", "left out: the default");
    assert_eq!(out.origins[0][0].1.path, "root/main.tf");
}

#[test]
fn a_long_chain_of_locals_is_cut_the_same_way_whatever_is_evaluated_first() {
    let mut prelude = String::from("locals {\n  c0 = \"x\"\n");
    for i in 1..100 {
        prelude.push_str(&format!("  c{i} = local.c{}\n", i - 1));
    }
    prelude.push_str("}\n");
    // Declared in order, each link is cached before the next needs it.
    assert_eq!(known_with(&prelude, "local.c99"), "\"x\"");
    // Declared in reverse, the first evaluation (from c99) runs too deep: that cut is not cached,
    // so the shallow ones still come out known.
    let reversed: String = prelude.lines().rev().map(|l| format!("{l}\n")).collect();
    let reversed = reversed.replace("}\n", "").replace("locals {\n", "");
    let reversed = format!("locals {{\n{reversed}}}\n");
    assert_eq!(known_with(&reversed, "local.c5"), "\"x\"");
}
