//! The fast HCL lowering (hcl-edit) against the tree-sitter lowering: wherever the fast path takes
//! a file, both must give the same `ParsedFile`; where it cannot, parsing falls back to
//! tree-sitter, with its diagnostics.

use std::path::{Path, PathBuf};

use smelt::model::Value;
use smelt::parse::Limits;
use smelt::parse::hcl::{parse, parse_fast, parse_tree_sitter};

/// Runs both lowerings; panics on a difference. True when the fast path took the text.
fn check(text: &str, what: &str) -> bool {
    let limits = Limits::default();
    let slow = parse_tree_sitter(text, &limits);
    let Some(fast) = parse_fast(text, &limits) else { return false };
    let (f, s) = (format!("{fast:#?}"), format!("{slow:#?}"));
    if f != s {
        let at = f.lines().zip(s.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let context = |t: &str| {
            let lines: Vec<&str> = t.lines().skip(at.saturating_sub(12)).take(24).map(str::trim).collect();
            lines.join(" ")
        };
        // The source line of the last span start before the difference.
        let offset = f
            .lines()
            .take(at)
            .filter_map(|l| l.trim().strip_prefix("start: ")?.trim_end_matches(',').parse::<usize>().ok())
            .last()
            .unwrap_or(0);
        let line_start = text.get(..offset).and_then(|t| t.rfind('\n')).map_or(0, |i| i + 1);
        let line = text.get(line_start..).and_then(|t| t.lines().next()).unwrap_or("");
        panic!(
            "{what}: the lowerings differ near byte {offset}: {line:?}\n--- fast\n{}\n--- tree-sitter\n{}",
            context(&f),
            context(&s)
        );
    }
    true
}

fn hcl_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            hcl_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "tf" || e == "tfvars" || e == "hcl") {
            out.push(path);
        }
    }
}

#[test]
fn fixtures_lower_the_same_both_ways() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    hcl_files(&root.join("fixtures"), &mut files);
    hcl_files(&root.join("rules"), &mut files);
    files.sort();
    assert!(files.len() > 100, "{} fixture files", files.len());
    let (mut fast, mut clean) = (0, 0);
    let mut missed = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let took = check(&text, &path.display().to_string());
        fast += usize::from(took);
        if parse_tree_sitter(&text, &Limits::default()).issues.is_empty() {
            clean += 1;
            if !took {
                missed.push(path.display().to_string());
            }
        }
    }
    eprintln!(
        "fast path took {fast} of {} files; valid files it left to tree-sitter: {missed:#?}",
        files.len()
    );
    // Every valid file but a handful of deliberate odd spellings goes the fast way.
    assert!(missed.len() * 20 <= clean, "{} of {clean} valid files fell back: {missed:#?}", missed.len());
}

/// `SMELT_HCL_DIRS=dir1:dir2 cargo test --test hcl_lowerings extra_dirs` also compares every HCL
/// file under those folders (a bench corpus, a checkout of public modules).
#[test]
fn extra_dirs_lower_the_same_both_ways() {
    let Ok(dirs) = std::env::var("SMELT_HCL_DIRS") else { return };
    let mut files = Vec::new();
    for dir in dirs.split(':') {
        hcl_files(Path::new(dir), &mut files);
    }
    let fast = files
        .iter()
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| check(&t, &p.display().to_string())))
        .count();
    eprintln!("fast path took {fast} of {} files", files.len());
}

/// Spellings where two parsers are most likely to part ways. Each must lower the same both ways,
/// and the valid ones must take the fast path.
const CASES: &[&str] = &[
    "a = 1 + 2 * 3 - 4 / 5 % 6\n",
    "a = !x && y || z\n",
    "a = x.y == 1 && z.w != 2 || q.r > 3\n",
    "a = var.create && var.vpc_id != null ? 1 : 0\n",
    "a = a.b + c.d * e.f\n",
    "a = -x\nb = - 1\nc = -1.5e3\nd = -(1)\n",
    "a = (1 + 2) * 3\nb = ((x))\nc = (x).y\nd = ((1 + 2)) * 3\ne = !(x)\n",
    "a = x ? y : z ? w : v\n",
    "a = var.a.b[0][\"k\"]\nb = x.0.y\nc = x[var.k].z\nd = x[0][1]\n",
    "a = var.l[*].id\nb = var.l.*.id[0]\nc = f()[*].x\nd = x.y[*]\ne = a[*].b[*].c\n",
    "a = f(x)[0].y\nb = {a = 1}.a\nc = [for v in l : v][0]\n",
    "a = [for k, v in m : upper(v) if k != \"x\"]\nb = {for k, v in m : k => v...}\n",
    "a = concat(l...)\nb = f()\nc = f(1, [2], {x = 3},)\n",
    "a = \"a\\nb\\\"c$${x}%%{y}\\u00e9\\t\"\n",
    "a = \"pre-${var.x}-${~ y ~}-post\"\n",
    "a = \"%{ if c ~}yes%{~ else }no%{ endif }\"\n",
    "a = \"%{ for k, v in m }${k}=${v},%{ endfor }\"\n",
    "a = <<EOT\nline ${x}\n  # not a comment\nEOT\n",
    "a = <<-EOT\n    one\n      two ${x}\n    %{ if y }three%{ endif }\n    EOT\n",
    "a = <<-EOT\n\t\tx\n\t\t%{ for v in l ~}\n\t\t${v}\n\t\t%{~ endfor }\n\tEOT\n",
    "a = <<EOT\nEOT\n",
    "# one\n// two\n/* three\n spans */\nresource \"x\" \"y\" { # four\n  a = 1 // five\n  /* six */ b = 2\n}\n",
    "a = \"#not a comment\" # but this is\nb = \"// nor this\"\nc = \"/* nor */\"\n",
    "a = \"${ x /* inside */ }\"\n",
    "a = [\n  1, # one\n  2,\n]\n",
    "a = 1\r\nb = \"x\" # crlf\r\nc {\r\n  d = 2\r\n}\r\n",
    "o = {\n  a = 1\n  \"b\" = 2\n  c: 3,\n  (var.k) = 4\n  \"${x}\" = 5\n  d.e = 6\n}\n",
    "block a b {\n}\nblock \"a\" {}\none { b = 1 }\nempty {}\n",
    "a {\n  b {\n    c { d = [[[{}]]] }\n  }\n}\n",
    "a = 0x1F\nb = 1.\nc = 1e3\nd = 1.5E-3\n",
    "a = null\nb = true\nc = false\nd = \"\"\n",
    "a = provider::aws::arn_parse(\"x\")\n",
    "{\n  a = 1\n}\n",
    "a = x\n  .y\n",
    "a = \"\\\\${x}\"\n",
    "a = \"$\"\nb = \"%\"\nc = \"$$\"\nd = \"${\"x\"}\"\n",
    "a = <<EOT\n$${x} %%{y}\nEOT\n",
    "a = x.y.z == \"s\" ? f(x) : [for v in x.list : v.id]\n",
    "a = !var.enabled\nb = !(a && b)\n",
    "a = 1 < 2 == true\nb = x >= 1 && y <= 2\n",
    "v = \"é ${ü}\"\n",
    // cargo fuzz finds (the `hcl` target), minimised.
    "# ''\0'''''\0f\0é''''''''' }\n",
    "etarrofrm {\n  required_version = \">= 1.rs {\n    aw:s = {\n      sourcQ8Xh2Tk9v\"\n}\n",
    "a = \"one\ntwo\"\nb = \"x${y}\nz\"\n",
    "terro =\" =\">= 1.q% random",
    "a = b == f(x).y\nc = !f(x).y\nd = x > [1][0]\n",
    "torfffff=  -\">= \">--0",
    "a = --1\nb = - -2\nc = -(-3)\n",
    "tf=-0.eeeeeeeeeeee",
];

#[test]
fn tricky_spellings_lower_the_same_both_ways() {
    let limits = Limits::default();
    let mut fell_back = Vec::new();
    for case in CASES {
        let took = check(case, case);
        let valid = parse_tree_sitter(case, &limits).issues.is_empty();
        if valid && !took {
            fell_back.push(*case);
        }
    }
    // Deliberate fallbacks: a traversal step on the next line (tree-sitter-hcl accepts more than
    // HCL), a namespaced provider function, a `.tfvars` file written as one object, and traversal
    // steps on a literal or inside an operation (three cases among the fuzz finds).
    assert!(fell_back.len() <= 6, "valid cases that fell back: {fell_back:#?}");
}

#[test]
fn parse_takes_the_fast_path_with_the_same_result() {
    let text = "resource \"aws_s3_bucket\" \"b\" {\n  bucket = \"x-${var.env}\" # name\n}\n";
    let limits = Limits::default();
    let parsed = parse(text, &limits);
    assert_eq!(Some(&parsed), parse_fast(text, &limits).as_ref());
    assert_eq!(parsed, parse_tree_sitter(text, &limits));
    assert_eq!(parsed.comments.len(), 1);
    let bucket = parsed.docs[0].get("resource").and_then(|r| r.get("aws_s3_bucket")).and_then(|r| r.get("b"));
    assert!(bucket.and_then(|b| b.get("bucket")).is_some_and(|n| matches!(n.value, Value::Expr(_))));
}

/// The fast path takes nesting up to its bracket cap on a thread with Rust's default 2 MiB stack
/// (rayon's workers), even unoptimised; deeper files go to tree-sitter.
#[test]
fn nesting_at_the_fast_path_cap_fits_a_default_thread_stack() {
    let run = || {
        let n = 31;
        let cases = [
            format!("a = {}{}\n", "[".repeat(n), "]".repeat(n)),
            format!("a = {}1{}\n", "(".repeat(n), ")".repeat(n)),
            format!("{}{}", "b {\n".repeat(n), "}\n".repeat(n)),
            format!("a = {}1{}\n", "\"${".repeat(n / 2), "}\"".repeat(n / 2)),
            format!("a = {}1{}\n", "{x = ".repeat(n), "}".repeat(n)),
        ];
        for case in &cases {
            assert!(check(case, case), "fell back: {case}");
        }
        let deeper = format!("a = {}{}\n", "[".repeat(40), "]".repeat(40));
        assert!(parse_fast(&deeper, &Limits::default()).is_none());
        assert!(parse(&deeper, &Limits::default()).issues.is_empty());
    };
    let thread = std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(run);
    thread.unwrap_or_else(|e| panic!("{e}")).join().unwrap_or_else(|_| panic!("overflow or failure"));
}
