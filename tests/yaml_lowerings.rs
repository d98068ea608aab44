//! The fast YAML lowering (saphyr-parser events) against the tree-sitter lowering: wherever the fast
//! path takes a file, both must give the same `ParsedFile`; where it cannot, parsing falls back and
//! gives tree-sitter's diagnostics.

use std::path::Path;

use smelt::model::{ParseIssueKind, ParsedFile};
use smelt::parse::Limits;
use smelt::parse::yaml::{Schema, parse, parse_events, parse_tree_sitter};

/// `ParsedFile`'s `PartialEq` says NaN != NaN; the debug text compares `.nan` scalars as equal.
fn same(a: &ParsedFile, b: &ParsedFile) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// Runs both lowerings; panics on a difference. True when the fast path took the text.
fn check(text: &str, schema: Schema, what: &str) -> bool {
    let limits = Limits::default();
    let slow = parse_tree_sitter(text, &limits, schema);
    let Some(fast) = parse_events(text, &limits, schema) else { return false };
    if !same(&fast, &slow) {
        let (f, s) = (format!("{fast:#?}"), format!("{slow:#?}"));
        let at = f.lines().zip(s.lines()).position(|(a, b)| a != b).unwrap_or(0);
        let context = |t: &str| t.lines().skip(at.saturating_sub(8)).take(16).collect::<Vec<_>>().join("\n");
        panic!(
            "{what} ({schema:?}): the lowerings differ\n--- text\n{text}\n--- fast\n{}\n--- tree-sitter\n{}",
            context(&f),
            context(&s)
        );
    }
    true
}

fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

#[test]
fn fixtures_lower_the_same_both_ways() {
    let mut files = Vec::new();
    yaml_files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures"), &mut files);
    files.sort();
    assert!(files.len() > 50, "{} fixture files", files.len());
    let (mut fast, mut clean) = (0, 0);
    let mut missed = Vec::new();
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let what = path.display().to_string();
        let took = check(&text, Schema::Core, &what);
        check(&text, Schema::Yaml11, &what);
        fast += usize::from(took);
        if parse_tree_sitter(&text, &Limits::default(), Schema::Core).issues.is_empty() {
            clean += 1;
            if !took {
                missed.push(what);
            }
        }
    }
    eprintln!("{fast} of {} fixture files took the fast path; {clean} have no issues", files.len());
    // Valid files must take the fast path: falling back is for broken input.
    assert!(missed.len() * 20 <= clean, "valid files that fell back: {missed:#?}");
}

const CASES: &[&str] = &[
    "",
    "a: 1\n",
    "# only\n# comments\n",
    "---\n",
    "--- # c\n...\n",
    "---\na: 1\n---\n- b\n...\n---\n\"s\"\n...\n",
    "# head\n---\na: 1\n---\n# only a comment\n---\n- b\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "a: [1, b, {c: d, e}, [x: y]]\n",
    "{a, b: , c: d, : e}\n",
    "[a: , : b, c]\n",
    "a: {x: 1,\n  y: [2, 3],   # after\n  z: \"q\" }\n",
    "? a\n: b\n? c\n? [x, y]\n: z\n",
    "? |\n  block key\n: v\n",
    "base: &base\n  a: 1\n  b: 2\nother: &o {c: 3, a: 9}\nuse:\n  b: 20\n  <<: [*base, *o]\ncopy: *base\n",
    "x: &x {k: v}\ny:\n  <<: *x\n  k: own\n",
    "a: &a\nb: *a\nc: &c !t\nd: !!str\ne: &e !!str x\n",
    "- &a [1, 2]\n- *a\n- &a 3\n- *a\n",
    "a: |\n  x\n   y\n\n  z\n\nb: |-\n  x\n\nc: |+\n  x\n\n\nd: >\n  one\n  two\n\n  three\n    more\n  four\ne: >-\n  f\nf: |2\n    lead\n  g\ng: >+\n  k\n",
    "- |2-\n   x\n  y\n- >+\n  folded\n  lines\n\n- |\n  # not a comment\n  text\n# a comment\n",
    "a: | # header comment\n  body\nb: >\n\n  leading blank\n",
    "--- |1\n  x\n",
    "a: |\n  x",
    "a: |\n\nb: 1\n",
    "a: \"t\\tn\\n\\\"q\\\" \\x41\\u00e9\\U0001F600\"\nb: 'it''s'\nc: \"one\n  two\n\n  three\"\nd: plain\n  folded\n\n  text\ne: \"join\\\n   ed\"\n",
    "a: |\r\n  x\r\n  y\r\nb: \"p\r\n  q\"\r\nc: plain\r\n  more\r\n# note\r\n",
    "a:\tb\nc: 'x\ty'\n",
    "k\u{e9}y: \"v\u{e4}lue \u{1F600}\" # c\u{f6}mment\nlist: [\u{e9}, b]\n",
    "a: b#c\nd: e #f\ng: \"h # i\"\nj: 'k #l' # m\nurl: http://x/#frag\n",
    "a: 1 # c1\nb: # c2\n  - x # c3\n  # c4\n  - y\n# c5\n",
    "a: [1, # inside\n  2]\n",
    "script:\n  - !reference [.setup, script]\n  - !custom value\n  - !!str 12\n  - !!int \"3\"\n",
    "a: true\nb: FALSE\nc: ~\nd:\ne: 0x10\nf: -1.5e2\ng: .inf\nh: yes\ni: '1'\nj: !!str 12\nk: null\nl: .nan\nm: 0755\nn: 1_000\no: on\n",
    "1: one\ntrue: t\n~: n\n[a]: list key\n{b: c}: map key\n",
    "- \n-\n- x\n- - y\n  -\n",
    "a:\n- x\n-\nb: 1\n",
    "- a: 1\n  b: |2\n     two\n- c\n",
    "on:\n  push:\n    branches: [main]\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: |\n          echo hi\n          make test\n",
    "a: 'multi\n  line\n\n  single'\n",
    "a: \"trailing \\\n\"\n",
    "key:    value   \nother:  'x'   \n",
    "a:\n  # leading comment\n  b: 1\n",
    "a: &anchor\n  # comment between\n  b: 1\n",
    "a: !t\n  - 1\n",
    "- - - deep\n    - x\n  - y\n",
    "a: 1\n...\n# after end\n---\nb: 2\n",
    "\"quoted key\": 1\n'single': 2\n\"a:b\": 3\n",
    "a:\n  b:\n    c:\n      d: [[[1]]]\n",
    "a: x\n  # comment inside plain?\n",
    "- [a, b]: c\n",
    "json: {\"a\": 1, \"b\": [true, null], \"c\": \"\\u00e9\"}\n",
    "a: -\nb: - x\n",
    "a:\r\n  b: 1\r\n  # c\r\nd: 2\r\n",
    "a: >\r\n  x\r\n  y\r\n\r\n  z\r\nb: 1 # c\r\n",
    "--- >\n text\n--- [1, 2]\n--- \"x\"\n--- hello\n",
    "hello\nworld\n",
    "&a a: 1\n*a : 2\n",
    "{a: }\n",
    "a:\n  # c\n  - x\n",
    "a:\n  <<: {b: 1}\n  c: 2\n",
    "- ? a\n  : b\n",
    "a: 1\n...\nb: 2\n",
    "a   : 1\n\"b\"   : 2\n",
    "a: |2\n\n   x\n",
    "a: |-\n  x\n\n\n# end\n",
    "- a\n  # c\n-   b\n\n\n",
    "k: [a, b]   # c\nl: {x: 1}  \n",
    "a: 'x' # c\nb: \"y\"# not a comment?\n",
    "a: &x\n  - 1\nb: *x\nc: [*x, *x]\n",
    "? - a\n  - b\n: c\n",
    "a:\n  - b: 1\n    c: 2\n  - d\n",
    "a: !!binary |\n  R0lG\n",
    "a: !<tag:yaml.org,2002:str> x\n",
    "%TAG !e! tag:example.com,2000:\n---\na: !e!foo x\n",
    "a: \"\\\"\"\nb: '\\'\nc: \"\\\\\"\n",
    "a: x:y\nb: -1\nc: - \n",
    "- [a, [b, {c: [d]}]]\n- {a: {b: {c: d}}}\n",
    "a: >-\n\n  x\n\n  y\n\n",
    "a:\n\n\n  b: 1\n\n\n",
    "a: b\n  c\n  # not part\nd: e\n",
    // Found by mutation fuzzing.
    "on:\n  workflow_call:\n   \t inputs:\n      target: x\n",
    "paths: [{ path: /, pathType: Prefix}]\nb: [ 1 ]\nc: { d: e }  \n",
    "k:\n  a: |\n    x  \n\nb: 1\nc:\n  d: |\n    y\t\n",
    "a: \"trailing \\\n\"\n",
    "<<: [|2*node-cache, *rules-mr]\n",
    "NODE: [\"18\",|2 \"20\"]\nSHARD: [\"1/2\",>+ \"2/2\"]\n",
    // Found by cargo fuzz: a control character inside a block scalar.
    "run: |\n  echo \"x\"\u{4}  exit 1\n  fi\n",
    "a: \"x\u{7f}\"\nb: \u{85}c\n",
    ":\t:",
    // Found by cargo fuzz: a key spelled like an indicator after a compact sequence.
    " :\n -\n -u:",
    "a:\n- 1\n-u: 2\n",
    "a:\n  - 1\n  ?x: 2\n",
    "[!]",
    "-\t:",
    "? > ",
    "'\n.'",
    "\"a\nb\"\n",
    "? |\n  k\n: v\n",
    "- a\n-\tb: 1\n",
    "?\tx\n",
    "[&a, !b]\n",
    "{a: !t}\n",
    "a: : b\nc:\n  d: 1\n",
    "a: *undefined\n",
    "a: [1, 2\nb: 3\n",
    "good: 1\nalso: 2\n  bad: 3\n",
];

#[test]
fn tricky_cases_lower_the_same_both_ways() {
    let mut fast = 0;
    for (i, text) in CASES.iter().enumerate() {
        let took = check(text, Schema::Core, &format!("case {i}"));
        check(text, Schema::Yaml11, &format!("case {i}"));
        fast += usize::from(took);
    }
    assert!(fast * 3 >= CASES.len() * 2, "only {fast} of {} cases took the fast path", CASES.len());
}

#[test]
fn common_shapes_take_the_fast_path() {
    for text in [
        "a: 1\nb: [x, y]\nc:\n  - d: |\n      text\n",
        "# c\nk: \"v\" # c2\n---\n- 1\n",
        "x: &x {k: v}\ny:\n  <<: *x\n",
    ] {
        assert!(parse_events(text, &Limits::default(), Schema::Core).is_some(), "{text}");
    }
}

#[test]
fn broken_files_fall_back_to_tree_sitter_diagnostics() {
    let limits = Limits::default();
    for text in [
        "good: 1\nalso: 2\n  bad: 3\nlater: 4\n---\nnext: ok\n",
        "a: 1\nb: \"open\nc: 3\n",
        "a: [1, 2\nb: 3\n",
        "a:\n\tb: 1\n",
        "key: value: other\n",
        "a: \"bad \\q escape\"\n",
        "a: *nope\n",
    ] {
        assert!(parse_events(text, &limits, Schema::Core).is_none(), "{text}");
        let f = parse(text, &limits);
        assert!(f.issues.iter().any(|i| i.kind == ParseIssueKind::Syntax), "{text}: {:?}", f.issues);
        assert!(same(&f, &parse_tree_sitter(text, &limits, Schema::Core)), "{text}");
    }
    let f = parse("a: [1, 2\nb: 3\n", &limits);
    assert!(f.issues[0].message.contains("expected ']'"), "{:?}", f.issues);
}

#[test]
fn limits_fall_back_to_tree_sitter() {
    let limits = Limits::default();
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let mut bomb =
        String::from("a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n");
    for (prev, name) in
        ["a", "b", "c", "d", "e", "f", "g", "h"].iter().zip(["b", "c", "d", "e", "f", "g", "h", "i"])
    {
        bomb.push_str(&format!("{name}: &{name} [{}]\n", vec![format!("*{prev}"); 9].join(",")));
    }
    let block: String = (0..400).map(|i| format!("{}k{i}:\n", " ".repeat(i))).collect();
    for text in [deep, bomb, block] {
        assert!(parse_events(&text, &limits, Schema::Core).is_none());
        let f = parse(&text, &limits);
        assert!(f.issues.iter().any(|i| i.kind == ParseIssueKind::Limit), "{:?}", f.issues);
    }
}
