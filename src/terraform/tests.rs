use super::*;
use crate::model::{Entry, Node, ParsedFile, Value};
use crate::parse::{Limits, hcl};

fn parse(text: &str) -> ParsedFile {
    hcl::parse(text, &Limits::default())
}

/// Evaluates module `files` with `vars` files beside it; returns the evaluated first document of each.
fn run(files: &[(&str, &str)], vars: &[(&str, &str)]) -> (Vec<Node>, EvalOutput) {
    let parsed: Vec<ParsedFile> = files.iter().map(|(_, t)| parse(t)).collect();
    let var_parsed: Vec<ParsedFile> = vars.iter().map(|(_, t)| parse(t)).collect();
    let module: Vec<ModuleFile> =
        files.iter().zip(&parsed).map(|((p, t), f)| ModuleFile { path: p, text: t, docs: &f.docs }).collect();
    let var_files: Vec<ModuleFile> = vars
        .iter()
        .zip(&var_parsed)
        .map(|((p, t), f)| ModuleFile { path: p, text: t, docs: &f.docs })
        .collect();
    let dir = files.first().and_then(|(p, _)| p.rsplit_once('/')).map_or("", |(d, _)| d);
    let out = evaluate_module(&module, &var_files, &[], &Env::root(dir, None));
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
    assert_eq!(known_with(vars, "var.o"), "{a=true}", "optional() fills in its default");
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
        "path.cwd",
        "terraform.workspace",
        "\"${aws_s3_bucket.b.id}-x\"",
        "[for s in aws_x.y.list : s]",
        "[for s in [1, 2] : s if aws_x.y.z]",
        "aws_instance.web[*].id",
        "timestamp()",
        "uuid()",
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
    assert_eq!(known("{ a = { b = [1, 2] } }.a"), "{b=[1,2]}");
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
        (
            "format(\"%5s|%-3d|%03d|%.2f|%q|%t\", \"a\", 7, 7, 1.005, \"x\", true)",
            "\"    a|7  |007|1.00|\\\"x\\\"|true\"",
        ),
        ("format(\"%x\", 255)", "unknown"),
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
        ("cidrsubnet(\"fd00::/48\", 8, 1)", "\"fd00:0:0:100::/56\""),
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
    let calls = local_calls("root", &[ModuleFile { path: "root/main.tf", text: "", docs: &caller.docs }]);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].child_dir.as_deref(), Some("root/child"));
    let names: Vec<&str> = calls[0].inputs.iter().map(|i| i.name).collect();
    assert_eq!(names, ["a", "b"]);
    let env = Env { module_path: "child".into(), root_dir: "root".into(), files: None };
    let files = [ModuleFile { path: "root/child/main.tf", text: "", docs: &child.docs }];
    let out = evaluate_call(&files, &calls[0].inputs, &env);
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

#[test]
fn for_expressions() {
    let prelude = "locals {\n  m = { b = 2, a = 1 }\n  l = [\"x\", \"y\", \"x\"]\n  users = [{ name = \"a\", admin = true }, { name = \"b\", admin = false }, { name = \"c\", admin = true }]\n}";
    let cases = [
        ("[for s in local.l : upper(s)]", "[\"X\",\"Y\",\"X\"]"),
        ("[for i, s in local.l : \"${i}-${s}\" if s != \"y\"]", "[\"0-x\",\"2-x\"]"),
        ("[for k, v in local.m : \"${k}=${v}\"]", "[\"a=1\",\"b=2\"]"),
        ("{ for k, v in local.m : v => k }", "{1=\"a\",2=\"b\"}"),
        ("{ for s in local.l : s => s... }", "{x=[\"x\",\"x\"],y=[\"y\"]}"),
        ("{ for s in local.l : s => s }", "unknown"),
        ("{ for u in local.users : u.name => u.admin if u.admin }", "{a=true,c=true}"),
        ("[for k, v in toset(local.l) : k]", "[\"x\",\"y\"]"),
        ("[for s in local.l : [for t in [1, 2] : \"${s}${t}\"]][1]", "[\"y1\",\"y2\"]"),
        ("[for s in \"str\" : s]", "unknown"),
    ];
    for (expr, want) in cases {
        assert_eq!(known_with(prelude, expr), want, "{expr}");
    }
}

#[test]
fn splats_and_steps_on_values() {
    let prelude = "locals {\n  users = [{ name = \"a\", keys = [1, 2] }, { name = \"b\", keys = [3] }]\n  one = { name = \"solo\" }\n  k = \"name\"\n}";
    let cases = [
        ("local.users[*].name", "[\"a\",\"b\"]"),
        ("local.users.*.name", "[\"a\",\"b\"]"),
        ("local.users[*].keys[0]", "[1,3]"),
        ("local.users.*.keys[0]", "[1,2]"),
        ("local.one[*].name", "[\"solo\"]"),
        ("local.one[local.k]", "\"solo\""),
        ("local.users[1][local.k]", "\"b\""),
        ("local.users[5]", "unknown"),
        ("try(local.users[5].name, \"none\")", "\"none\""),
        ("concat([1], [2])[1]", "2"),
        ("(local.one).name", "\"solo\""),
        ("concat([[1], [2, 3]]...)", "[1,2,3]"),
        ("max([3, 9, 4]...)", "9"),
    ];
    for (expr, want) in cases {
        assert_eq!(known_with(prelude, expr), want, "{expr}");
    }
}

#[test]
fn variable_types_convert_and_fill_optional_defaults() {
    let vars = r#"
variable "rules" {
  type = map(object({
    port     = number
    cidrs    = optional(list(string), ["10.0.0.0/8"])
    public   = optional(bool, false)
    note     = optional(string)
  }))
  default = {
    ssh = { port = "22", public = true }
    web = { port = 443, cidrs = ["0.0.0.0/0"], extra = "dropped" }
  }
}
variable "ports" {
  type    = set(number)
  default = [443, 80, 443]
}
variable "tags" {
  type    = map(string)
  default = { a = 1, b = true }
}
variable "mixed" {
  type    = list(any)
  default = ["a", 1]
}
variable "strict" {
  type     = string
  nullable = false
  default  = "fallback"
}
variable "weird" {
  type    = list(lookup_type)
  default = ["x"]
}
"#;
    assert_eq!(
        known_with(vars, "var.rules"),
        "{ssh={port=22,cidrs=[\"10.0.0.0/8\"],public=true,note=null},web={port=443,cidrs=[\"0.0.0.0/0\"],public=false,note=null}}"
    );
    assert_eq!(known_with(vars, "var.ports"), "[80,443]");
    assert_eq!(known_with(vars, "var.tags"), "{a=\"1\",b=\"true\"}");
    assert_eq!(known_with(vars, "var.mixed"), "[\"a\",\"1\"]");
    assert_eq!(known_with(vars, "var.weird"), "unknown", "a type this does not read");
    let (docs, _) = run(
        &[("m/main.tf", &format!("{vars}\nlocals {{\n  out = var.strict\n}}\n"))],
        &[("m/terraform.tfvars", "strict = null\n")],
    );
    let out = docs[0].entries().iter().filter(|e| e.key == "locals").find_map(|e| e.value.get("out"));
    assert_eq!(out.map(show).as_deref(), Some("\"fallback\""), "nullable = false: null means the default");
}

#[test]
fn blocks_that_create_nothing_are_left_out() {
    let main = r#"
variable "create" {
  default = false
}
resource "aws_db_instance" "off" {
  count               = var.create ? 1 : 0
  skip_final_snapshot = true
}
resource "aws_db_instance" "none" {
  for_each            = {}
  skip_final_snapshot = true
}
resource "aws_db_instance" "on" {
  count = var.create ? 0 : 2
  dynamic "ingress" {
    for_each = []
    content {}
  }
  dynamic "egress" {
    for_each = var.unknown
    content {}
  }
}
resource "aws_db_instance" "maybe" {
  count = length(aws_x.y.list)
}
module "skipped" {
  source = "./m"
  count  = 0
}
"#;
    let (docs, out) = run(&[("main.tf", main)], &[]);
    let dbs: Vec<&Entry> = docs[0]
        .entries()
        .iter()
        .filter(|e| e.key == "resource")
        .flat_map(|r| r.value.entries())
        .flat_map(|t| t.value.entries())
        .collect();
    let names: Vec<&str> = dbs.iter().map(|e| e.key.as_str()).collect();
    assert_eq!(names, ["on", "maybe"]);
    let on = &dbs[0].value;
    let dynamic: Vec<&str> =
        on.get("dynamic").expect("dynamic").entries().iter().map(|e| e.key.as_str()).collect();
    assert_eq!(dynamic, ["egress"], "an unknown for_each may create nothing: it stays dynamic");
    assert!(docs[0].get("module").is_some_and(|m| m.entries().is_empty()));
    assert_eq!(out.skipped[0].len(), 4, "two resources, a dynamic block and a module");
}

/// A `dynamic` block is one block with its `content`: what variables set is known, what the iterator
/// gives is not, and the block spans the `dynamic` block.
#[test]
fn dynamic_blocks_are_analysed_once_with_the_iterator_unknown() {
    let main = r#"
variable "cidrs" {
  default = ["0.0.0.0/0"]
}
resource "aws_security_group" "a" {
  dynamic "ingress" {
    for_each = length(var.cidrs) > 0 ? [22] : []
    content {
      from_port   = ingress.value
      cidr_blocks = var.cidrs
      dynamic "nested" {
        for_each = { a = 1 }
        content {
          x = 1
        }
      }
    }
  }
}
"#;
    let (docs, _) = run(&[("main.tf", main)], &[]);
    let sg = docs[0]
        .get("resource")
        .and_then(|r| r.get("aws_security_group"))
        .and_then(|t| t.get("a"))
        .expect("a");
    assert!(sg.get("dynamic").is_none());
    let ingress = sg.get("ingress").expect("ingress");
    assert!(main[ingress.span.range()].starts_with("dynamic \"ingress\" {"), "spans the dynamic block");
    assert_eq!(show(ingress.get("cidr_blocks").expect("cidrs")), "[\"0.0.0.0/0\"]");
    assert_eq!(show(ingress.get("from_port").expect("port")), "unknown");
    assert_eq!(ingress.get("nested").and_then(|n| n.get("x")).and_then(Node::as_number), Some(1.0));
}

#[test]
fn more_functions() {
    let cases = [
        ("flatten([[1, [2]], [], [3]])", "[1,2,3]"),
        ("distinct([1, 2, 1])", "[1,2]"),
        ("keys({ b = 1, a = 2 })", "[\"a\",\"b\"]"),
        ("values({ b = 1, a = 2 })", "[2,1]"),
        ("slice([1, 2, 3, 4], 1, 3)", "[2,3]"),
        ("zipmap([\"a\", \"b\"], [1, 2])", "{a=1,b=2}"),
        ("range(3)", "[0,1,2]"),
        ("range(1, 7, 3)", "[1,4]"),
        ("range(3, 0)", "[3,2,1]"),
        ("compact([\"a\", \"\", null, \"b\"])", "[\"a\",\"b\"]"),
        ("coalescelist([], [1], [2])", "[1]"),
        ("one([]) == null", "true"),
        ("one([\"x\"])", "\"x\""),
        ("one([1, 2])", "unknown"),
        ("sum([1, 2.5])", "3.5"),
        ("min(3, 1, 2)", "1"),
        ("abs(-2)", "2"),
        ("ceil(1.2)", "2"),
        ("floor(1.8)", "1"),
        ("index([\"a\", \"b\"], \"b\")", "1"),
        ("reverse([1, 2])", "[2,1]"),
        ("alltrue([true, \"true\"])", "true"),
        ("anytrue([])", "false"),
        ("setunion([\"b\"], [\"a\", \"b\"])", "[\"a\",\"b\"]"),
        ("setintersection([\"a\", \"b\"], [\"b\", \"c\"])", "[\"b\"]"),
        ("setproduct([\"a\", \"b\"], [1])", "[[\"a\",1],[\"b\",1]]"),
        ("replace(\"a-b-c\", \"-\", \"_\")", "\"a_b_c\""),
        ("replace(\"v1.2.3\", \"/v(\\\\d+)\\\\..*/\", \"major $1\")", "\"major 1\""),
        ("regex(\"^([a-z]+)-(\\\\d+)$\", \"web-42\")", "[\"web\",\"42\"]"),
        ("regex(\"(?P<name>[a-z]+)\", \"web-42\")", "{name=\"web\"}"),
        ("regex(\"[0-9]+\", \"web-42\")", "\"42\""),
        ("regex(\"x\", \"abc\")", "unknown"),
        ("regexall(\"[0-9]\", \"a1b2\")", "[\"1\",\"2\"]"),
        ("trimspace(\"  x \\n\")", "\"x\""),
        ("trim(\"?!hello?!\", \"!?\")", "\"hello\""),
        ("trimprefix(\"arn:aws\", \"arn:\")", "\"aws\""),
        ("trimsuffix(\"a.tf\", \".tf\")", "\"a\""),
        ("substr(\"hello\", 1, 3)", "\"ell\""),
        ("substr(\"hello\", -3, -1)", "\"llo\""),
        ("startswith(\"hello\", \"he\")", "true"),
        ("endswith(\"hello\", \"x\")", "false"),
        ("strcontains(\"hello\", \"ll\")", "true"),
        ("title(\"hello world\")", "\"Hello World\""),
        ("formatlist(\"%s-%s\", [\"a\", \"b\"], \"x\")", "[\"a-x\",\"b-x\"]"),
        ("jsondecode(jsonencode({ a = [1] }))", "{a=[1]}"),
        ("yamldecode(\"a: 1\\nb: [x, true]\\n\")", "{a=1,b=[\"x\",true]}"),
        ("yamldecode(\"a: 1\\n---\\nb: 2\\n\")", "unknown"),
        (
            "yamlencode({ b = [1, { c = \"d\" }], a = \"x\" })",
            "\"\\\"a\\\": \\\"x\\\"\\n\\\"b\\\":\\n- 1\\n- \\\"c\\\": \\\"d\\\"\\n\"",
        ),
        ("base64encode(\"hello\")", "\"aGVsbG8=\""),
        ("base64decode(\"aGVsbG8=\")", "\"hello\""),
        ("md5(\"hello\")", "\"5d41402abc4b2a76b9719d911017c592\""),
        ("sha1(\"hello\")", "\"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d\""),
        ("sha256(\"hello\")", "\"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\""),
        ("cidrhost(\"10.0.0.0/24\", 5)", "\"10.0.0.5\""),
        ("cidrhost(\"10.0.0.0/24\", -2)", "\"10.0.0.254\""),
        ("cidrnetmask(\"10.0.0.0/12\")", "\"255.240.0.0\""),
        ("cidrsubnet(\"fd00::/48\", 16, 1)", "\"fd00:0:0:1::/64\""),
        ("cidrsubnets(\"10.0.0.0/16\", 8, 8, 4)", "[\"10.0.0.0/24\",\"10.0.1.0/24\",\"10.0.16.0/20\"]"),
        ("tomap({ a = \"b\" })", "{a=\"b\"}"),
        ("tolist(toset([\"b\", \"a\"]))", "[\"a\",\"b\"]"),
        ("tobool(\"true\")", "true"),
        ("sensitive(\"s\")", "\"s\""),
        ("nonsensitive(\"s\")", "\"s\""),
        ("file(\"x.txt\")", "unknown"),
    ];
    for (expr, want) in cases {
        assert_eq!(known(expr), want, "{expr}");
    }
}

/// Answers reads from a fixed set of files, for `file()` and `templatefile()`.
struct Files(Vec<(&'static str, &'static str)>);

impl FileReader for Files {
    fn read(&self, path: &str) -> Option<std::sync::Arc<str>> {
        self.0.iter().find(|(p, _)| *p == path).map(|(_, t)| std::sync::Arc::from(*t))
    }
    fn exists(&self, path: &str) -> Option<bool> {
        Some(self.0.iter().any(|(p, _)| *p == path))
    }
}

#[test]
fn template_directives() {
    assert_eq!(known("\"a%{ if true }b%{ else }c%{ endif }d\""), "\"abd\"");
    assert_eq!(known("\"a%{ if 1 > 2 }b%{ endif }d\""), "\"ad\"");
    assert_eq!(known("\"%{ for x in [1, 2, 3] }<${x}>%{ endfor }\""), "\"<1><2><3>\"");
    assert_eq!(known("\"%{ for k, v in { a = 1, b = 2 } }${k}=${v};%{ endfor }\""), "\"a=1;b=2;\"");
    assert_eq!(known("\"%{ for i, x in [\"p\", \"q\"] }${i}${x}%{ endfor }\""), "\"0p1q\"");
    assert_eq!(
        known("\"%{ for x in [1, 2] }%{ if x == 2 }two%{ else }${x},%{ endif }%{ endfor }\""),
        "\"1,two\""
    );
    assert_eq!(known("\"x%{ if aws_x.y.z }b%{ endif }\""), "unknown", "an unknown condition");
    assert_eq!(known("\"x%{ if aws_x.y.z }b%{ else }b%{ endif }\""), "\"xb\"", "both branches agree");
    assert_eq!(known("\"%{ for x in aws_x.y.z }${x}%{ endfor }\""), "unknown");
    // `~` strips the whitespace (newlines included) on its side of the marker.
    let heredoc = "<<-EOT\n    [\n    %{~ for x in [\"a\", \"b\"] ~}\n      \"${x}\",\n    %{~ endfor ~}\n    ]\n    EOT";
    assert_eq!(known(heredoc), "\"[\\\"a\\\",\\\"b\\\",]\\n\"");
    let plain = "<<-EOT\n  %{ if true }\n  yes\n  %{ endif }\n  EOT";
    assert_eq!(known(plain), "\"\\nyes\\n\\n\"");
}

#[test]
fn files_are_read_relative_to_the_root_module() {
    let files = Files(vec![
        ("root/policy.json", "{\"a\": 1}"),
        ("root/mod/user_data.sh", "#!/bin/sh\necho ${name} ${port + 1}\n"),
        ("root/mod/loop.tpl", "%{ for x in xs }${x}%{ endfor }"),
    ]);
    let text = "locals {\n  a = jsondecode(file(\"policy.json\"))\n  b = templatefile(\"${path.module}/user_data.sh\", { name = \"web\", port = 80 })\n  c = fileexists(\"nope\")\n  d = templatefile(\"mod/loop.tpl\", { xs = [1] })\n  e = file(\"../outside\")\n  f = templatefile(\"mod/user_data.sh\", { name = var.x, port = 1 })\n}\n";
    let parsed = parse(text);
    let module = [ModuleFile { path: "root/main.tf", text, docs: &parsed.docs }];
    let own = Env { module_path: ".".into(), root_dir: "root".into(), files: Some(&files) };
    let out = evaluate_module(&module, &[], &[], &own);
    let doc = out.docs[0].as_ref().expect("changed")[0].clone();
    let locals = doc.get("locals").expect("locals");
    let get = |k: &str| show(locals.get(k).expect(k));
    assert_eq!(get("a"), "{a=1}");
    assert_eq!(get("b"), "unknown", "path.module is `.` for the root: root/./user_data.sh does not exist");
    assert_eq!(get("c"), "false");
    assert_eq!(get("d"), "\"1\"", "template directives are evaluated");
    assert_eq!(get("e"), "unknown", "outside the root folder");
    assert_eq!(get("f"), "unknown", "templatefile sees only its own variables");
    let called = Env { module_path: "mod".into(), root_dir: "root".into(), files: Some(&files) };
    let out = evaluate_module(&module, &[], &[], &called);
    let doc = out.docs[0].as_ref().expect("changed")[0].clone();
    assert_eq!(
        show(doc.get("locals").and_then(|l| l.get("b")).expect("b")),
        "\"#!/bin/sh\\necho web 81\\n\""
    );
}

#[test]
fn command_line_values_come_last_in_the_order_given() {
    let main = "variable \"a\" {\n  default = 1\n}\nvariable \"s\" {\n  type = string\n}\nvariable \"l\" {\n  type = list(string)\n}\nvariable \"untyped\" {}\nlocals {\n  a = var.a\n  s = var.s\n  l = var.l\n  u = var.untyped\n}\n";
    let parsed = parse(main);
    let auto = parse("a = 2\n");
    let file_a = parse("a = 3\ns = \"from-file\"\n");
    let literal = |s: &str| Node::new(crate::span::Span::default(), Value::Str(s.to_string()));
    let (lit_a, lit_s, lit_l, lit_u) =
        (literal("4"), literal("[\"x\"]"), literal("[\"a\", \"b\"]"), literal("[1]"));
    let parsed_l = parse("v = [\"a\", \"b\"]\n");
    let parsed_l = parsed_l.docs[0].get("v").expect("v").clone();
    let module = [ModuleFile { path: "m/main.tf", text: main, docs: &parsed.docs }];
    let vars = [ModuleFile { path: "m/x.auto.tfvars", text: "", docs: &auto.docs }];
    let cli = [
        CliValue::File(ModuleFile { path: "prod.tfvars", text: "", docs: &file_a.docs }),
        CliValue::Var { name: "a", literal: &lit_a, parsed: None },
        CliValue::Var { name: "s", literal: &lit_s, parsed: None },
        CliValue::Var { name: "l", literal: &lit_l, parsed: Some(&parsed_l) },
        CliValue::Var { name: "untyped", literal: &lit_u, parsed: None },
    ];
    let out = evaluate_module(&module, &vars, &cli, &Env::root("m", None));
    let doc = out.docs[0].as_ref().expect("changed")[0].clone();
    let locals = doc.get("locals").expect("locals");
    let get = |k: &str| show(locals.get(k).expect(k));
    assert_eq!(get("a"), "\"4\"", "--var after --var-file after *.auto.tfvars (untyped: a string)");
    assert_eq!(get("s"), "\"[\\\"x\\\"]\"", "a string variable takes the text literally");
    assert_eq!(get("l"), "[\"a\",\"b\"]", "a list variable parses it");
    assert_eq!(get("u"), "\"[1]\"", "an untyped variable takes the text literally");
}

#[test]
fn policies_in_strings_are_decoded_with_their_spans() {
    let main = r#"resource "aws_iam_policy" "inline" {
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "*", Resource = aws_s3_bucket.b.arn },
      { Effect = "Deny", Action = ["s3:*"], Resource = "*" },
    ]
  })
}
resource "aws_s3_bucket_policy" "heredoc" {
  policy = <<-EOT
    {
      "Statement": [{
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": "${aws_s3_bucket.b.arn}/*"
      }]
    }
  EOT
}
resource "aws_iam_role" "r" {
  assume_role_policy = data.aws_iam_policy_document.assume.json
  inline_policy {
    policy = "{\"Statement\": {\"Effect\": \"Allow\", \"Action\": \"iam:*\", \"Resource\": \"*\"}}"
  }
}
resource "aws_sqs_queue_policy" "from_local" {
  policy = local.queue_policy
}
locals {
  queue_policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = { AWS = "*" }, Action = "sqs:*" }] })
}
"#;
    let (docs, _) = run(&[("main.tf", main)], &[]);
    let at = |path: &[&str]| {
        let mut nodes = vec![&docs[0]];
        for k in path {
            nodes = nodes
                .iter()
                .flat_map(|n| n.entries().iter().filter(|e| e.key == *k).map(|e| &e.value))
                .collect();
        }
        *nodes.first().unwrap_or_else(|| panic!("no {path:?}"))
    };
    let text_of = |n: &Node| main[n.span.range()].to_string();

    let inline = at(&["resource", "aws_iam_policy", "inline", "policy"]);
    let statements: Vec<&Node> =
        inline.entries().iter().filter(|e| e.key == "Statement").map(|e| &e.value).collect();
    assert_eq!(statements.len(), 2, "one Statement entry per statement");
    assert_eq!(statements[0].get("Action").and_then(Node::as_str), Some("*"));
    assert_eq!(text_of(statements[0].get("Action").expect("action")), "\"*\"");
    assert!(statements[0].get("Resource").is_some_and(Node::is_unknown));

    let heredoc = at(&["resource", "aws_s3_bucket_policy", "heredoc", "policy"]);
    let statement = heredoc.get("Statement").expect("statement");
    let principal = statement.get("Principal").expect("principal");
    assert_eq!(principal.as_str(), Some("*"));
    assert_eq!(text_of(principal), "\"*\"", "the span points into the heredoc");
    assert!(statement.get("Resource").is_some_and(Node::is_unknown));

    let role = at(&["resource", "aws_iam_role", "r"]);
    assert!(role.get("assume_role_policy").is_some_and(Node::is_unknown));
    let quoted = role.get("inline_policy").and_then(|p| p.get("policy")).expect("inline policy");
    let action = quoted.get("Statement").and_then(|s| s.get("Action")).expect("action");
    assert_eq!(action.as_str(), Some("iam:*"));
    assert!(text_of(action).contains("iam:*"), "{}", text_of(action));

    let from_local = at(&["resource", "aws_sqs_queue_policy", "from_local", "policy"]);
    let aws = from_local.get("Statement").and_then(|s| s.get("Principal")).and_then(|p| p.get("AWS"));
    assert_eq!(aws.and_then(Node::as_str), Some("*"));
    assert_eq!(text_of(aws.expect("aws")), "local.queue_policy");
}
