//! Expected outputs are what Go's `text/template` (and Helm, for the Sprig/Helm functions) print.

use std::collections::BTreeMap;

use super::*;

mod functions;

fn values(json: &str) -> Value {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(v) => Value::from(&v),
        Err(e) => panic!("bad test JSON: {e}"),
    }
}

fn try_render(src: &str, data: &str) -> Result<String, String> {
    let mut t = Templates::new(Funcs::helm());
    t.add("t", src).map_err(|e| e.to_string())?;
    t.execute("t", &values(data)).map_err(|e| e.to_string())
}

fn render(src: &str, data: &str) -> String {
    match try_render(src, data) {
        Ok(s) => s,
        Err(e) => panic!("{src:?} failed: {e}"),
    }
}

fn render_err(src: &str, data: &str) -> String {
    match try_render(src, data) {
        Ok(s) => panic!("{src:?} rendered {s:?}, expected an error"),
        Err(e) => e,
    }
}

#[test]
fn text_and_fields() {
    assert_eq!(render("hello {{ .name }}!", r#"{"name":"world"}"#), "hello world!");
    assert_eq!(render("{{ .a.b.c }}", r#"{"a":{"b":{"c":3}}}"#), "3");
    assert_eq!(render("{{ . }}", r#"{"b":2,"a":1}"#), "map[a:1 b:2]");
    assert_eq!(render("{{ .l }}", r#"{"l":["a","b",1,true,null]}"#), "[a b 1 true <nil>]");
    assert_eq!(render("{{ .missing }}", r#"{}"#), "<no value>");
    assert_eq!(render("{{ .n }}", r#"{"n":null}"#), "<no value>");
    assert_eq!(
        render("{{ 1.5 }} {{ 1e6 }} {{ 3.0 }} {{ 0.00001 }} {{ 123456.0 }}", "{}"),
        "1.5 1e+06 3 1e-05 123456"
    );
    assert_eq!(
        render("{{ 0x1F }} {{ 0o17 }} {{ 017 }} {{ 1_000 }} {{ -3 }} {{ 'a' }}", "{}"),
        "31 15 15 1000 -3 97"
    );
    assert_eq!(render(r#"{{ "a\tb\"c" }}{{ `raw\n` }}"#, "{}"), "a\tb\"craw\\n");
}

#[test]
fn trimming_and_comments() {
    assert_eq!(render("a  \n  {{- 1 -}}  \n  b", "{}"), "a1b");
    assert_eq!(render("a {{- /* c */ -}} b", "{}"), "ab");
    assert_eq!(render("a {{/* comment */}} b", "{}"), "a  b");
    assert_eq!(render("{{ 3 -}} x", "{}"), "3x");
    assert_eq!(render("x {{- 3 }}", "{}"), "x3");
    assert_eq!(render("{{-3}}", "{}"), "-3");
    assert_eq!(render("line1\n{{- if true }}\nyes\n{{- end }}\n", "{}"), "line1\nyes\n");
}

#[test]
fn nil_field_errors_like_helm() {
    let e = render_err("{{ .a.b }}", "{}");
    assert!(e.contains("nil pointer evaluating interface {}.b"), "{e}");
    assert!(render_err("{{ .a.b }}", r#"{"a":"s"}"#).contains("can't evaluate field b in type string"));
}

#[test]
fn if_else_chains_and_truthiness() {
    let t = "{{ if .a }}A{{ else if .b }}B{{ else }}C{{ end }}";
    assert_eq!(render(t, r#"{"a":1}"#), "A");
    assert_eq!(render(t, r#"{"b":"x"}"#), "B");
    assert_eq!(render(t, r#"{"a":0,"b":""}"#), "C");
    for empty in ["0", "0.0", "\"\"", "false", "null", "[]", "{}"] {
        assert_eq!(
            render("{{ if .v }}T{{ else }}F{{ end }}", &format!(r#"{{"v":{empty}}}"#)),
            "F",
            "{empty}"
        );
    }
    for full in ["1", "0.5", "\"0\"", "true", "[0]", "{\"a\":null}"] {
        assert_eq!(render("{{ if .v }}T{{ else }}F{{ end }}", &format!(r#"{{"v":{full}}}"#)), "T", "{full}");
    }
}

#[test]
fn with_and_else_with() {
    assert_eq!(render("{{ with .a }}{{ .b }}{{ end }}", r#"{"a":{"b":"x"}}"#), "x");
    assert_eq!(render("{{ with .a }}{{ .b }}{{ else }}none{{ end }}", r#"{}"#), "none");
    assert_eq!(render("{{ with .a }}A{{ else with .b }}{{ . }}{{ else }}C{{ end }}", r#"{"b":"B"}"#), "B");
    assert_eq!(render("{{ with $x := .a }}{{ $x }}{{ . }}{{ end }}", r#"{"a":"v"}"#), "vv");
}

#[test]
fn range_forms() {
    assert_eq!(render("{{ range .l }}[{{ . }}]{{ end }}", r#"{"l":[1,2,3]}"#), "[1][2][3]");
    assert_eq!(
        render("{{ range $i, $v := .l }}{{ $i }}={{ $v }} {{ end }}", r#"{"l":["a","b"]}"#),
        "0=a 1=b "
    );
    assert_eq!(
        render("{{ range $k, $v := . }}{{ $k }}:{{ $v }},{{ end }}", r#"{"z":1,"a":2,"m":3}"#),
        "a:2,m:3,z:1,"
    );
    assert_eq!(render("{{ range $v := . }}{{ $v }}{{ end }}", r#"{"b":1,"a":2}"#), "21");
    assert_eq!(render("{{ range .l }}x{{ else }}empty{{ end }}", r#"{"l":[]}"#), "empty");
    assert_eq!(render("{{ range .l }}x{{ else }}empty{{ end }}", r#"{}"#), "empty");
    assert_eq!(render("{{ range .l }}{{ . }}{{ else }}empty{{ end }}", r#"{"l":[1]}"#), "1");
    assert_eq!(render("{{ range 3 }}{{ . }}{{ end }}", "{}"), "012");
    assert_eq!(render("{{ range $i := 3 }}{{ $i }}{{ end }}", "{}"), "012");
    assert_eq!(
        render("{{ range .l }}{{ if eq . 3 }}{{ break }}{{ end }}{{ . }}{{ end }}", r#"{"l":[1,2,3,4]}"#),
        "12"
    );
    assert_eq!(
        render("{{ range .l }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}", r#"{"l":[1,2,3]}"#),
        "13"
    );
    assert_eq!(
        render(
            "{{ range $a := .x }}{{ range $b := $.y }}{{ $a }}{{ $b }} {{ end }}{{ end }}",
            r#"{"x":[1,2],"y":["a","b"]}"#
        ),
        "1a 1b 2a 2b "
    );
    assert!(render_err("{{ range .s }}{{ end }}", r#"{"s":"str"}"#).contains("range can't iterate over str"));
}

#[test]
fn variables_scope_and_assignment() {
    assert_eq!(render("{{ $x := 1 }}{{ $x }}{{ $x = 2 }}{{ $x }}", "{}"), "12");
    // Assignment inside a range changes the outer variable (Go 1.11+).
    assert_eq!(render("{{ $n := 0 }}{{ range .l }}{{ $n = . }}{{ end }}{{ $n }}", r#"{"l":[1,2,3]}"#), "3");
    // A variable declared in a block ends with it.
    assert!(
        render_err("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}", "{}").contains("undefined variable \"$y\"")
    );
    assert_eq!(render("{{ $ }}", r#"{"a":1}"#), "map[a:1]");
    assert_eq!(render("{{ with .a }}{{ $.b }}{{ end }}", r#"{"a":1,"b":2}"#), "2");
    assert_eq!(render("{{ $x := .m }}{{ $x.k }}", r#"{"m":{"k":"v"}}"#), "v");
    assert_eq!(render("{{ (dict \"a\" (dict \"b\" 5)).a.b }}", "{}"), "5");
    assert!(render_err("{{ $z = 1 }}", "{}").contains("undefined variable"));
}

#[test]
fn builtins() {
    assert_eq!(
        render("{{ and 1 0 2 }} {{ and 1 2 }} {{ or 0 \"\" }} {{ or 0 3 }} {{ not 0 }}", "{}"),
        "0 2  3 true"
    );
    // `and` short-circuits: the failing call is never made.
    assert_eq!(render("{{ and false (fail \"x\") }}", "{}"), "false");
    assert_eq!(render("{{ len .l }} {{ len \"héllo\" }} {{ len . }}", r#"{"l":[1,2]}"#), "2 6 1");
    assert_eq!(
        render(
            "{{ index .l 1 }} {{ index .m \"k\" }} {{ index .n \"a\" 0 }}",
            r#"{"l":[1,2],"m":{"k":"v"},"n":{"a":[7]}}"#
        ),
        "2 v 7"
    );
    assert_eq!(render("{{ index .m \"missing\" }}", r#"{"m":{}}"#), "<no value>");
    assert!(render_err("{{ index .l 5 }}", r#"{"l":[1]}"#).contains("index out of range: 5"));
    // Sprig's `slice` replaces Go's builtin in Helm: lists only.
    assert_eq!(render("{{ slice .l 1 }} {{ slice .l 0 1 }}", r#"{"l":[1,2,3]}"#), "[2 3] [1]");
    assert!(
        render_err("{{ slice \"abcd\" 1 3 }}", "{}")
            .contains("list should be type of slice or array but string")
    );
    assert_eq!(render("{{ print \"a\" 1 2 \"b\" }}|{{ println 1 \"x\" }}|", "{}"), "a1 2b|1 x\n|");
    assert_eq!(
        render(
            "{{ eq 1 1 }} {{ eq \"a\" \"b\" \"a\" }} {{ ne 1 2 }} {{ lt 1 2 }} {{ le 2 2 }} {{ gt \"b\" \"a\" }} {{ ge 1 2 }}",
            "{}"
        ),
        "true true true true true true false"
    );
    assert_eq!(render("{{ eq .missing nil }} {{ eq .s nil }}", r#"{"s":"x"}"#), "true false");
    assert!(render_err("{{ eq 1 1.0 }}", "{}").contains("incompatible types for comparison"));
    assert!(render_err("{{ lt true false }}", "{}").contains("invalid type for comparison"));
    assert_eq!(render("{{ html \"<a href='x'>&\" }}", "{}"), "&lt;a href=&#39;x&#39;&gt;&amp;");
    assert_eq!(render("{{ js \"it's <b>\" }}", "{}"), "it\\'s \\u003Cb\\u003E");
    assert_eq!(render("{{ urlquery \"a b&c=d/é\" }}", "{}"), "a+b%26c%3Dd%2F%C3%A9");
    assert_eq!(render("{{ \"x\" | printf \"%s-%s\" \"a\" }}", "{}"), "a-x");
    assert!(render_err("{{ call .f }}", r#"{"f":1}"#).contains("error calling call"));
}

#[test]
fn printf_verbs() {
    let cases = [
        (r#"{{ printf "%d|%5d|%-5d|%05d|%+d" 42 42 42 42 42 }}"#, "42|   42|42   |00042|+42"),
        (r#"{{ printf "%s|%q|%v|%10s|%-4s|" "a" "b\n" "c" "right" "l" }}"#, "a|\"b\\n\"|c|     right|l   |"),
        (r#"{{ printf "%x %X %o %b %c %U" 255 255 8 5 65 65 }}"#, "ff FF 10 101 A U+0041"),
        (
            r#"{{ printf "%f %.2f %e %g %G %8.3f" 3.14159 3.14159 1234.5678 0.000012 1e21 2.5 }}"#,
            "3.141590 3.14 1.234568e+03 1.2e-05 1E+21    2.500",
        ),
        (r#"{{ printf "%t %v %v" true .m .l }}"#, "true map[a:1] [x y]"),
        (
            r#"{{ printf "%d" "x" }}|{{ printf "%s" 5 }}|{{ printf "%s" .nope }}"#,
            "%!d(string=x)|%!s(int=5)|%!s(<nil>)",
        ),
        (
            r#"{{ printf "%d %d" 1 }}|{{ printf "%d" 1 2 }}|{{ printf "100%%" }}"#,
            "1 %!d(MISSING)|1%!(EXTRA int=2)|100%",
        ),
        (
            r#"{{ printf "%q" .l }} {{ printf "%x" "hi" }} {{ printf "%T" 1.5 }}"#,
            "[\"x\" \"y\"] 6869 float64",
        ),
        (r#"{{ printf "%v %.3g %g" 100000000.0 3.14159 100.0 }}"#, "1e+08 3.14 100"),
    ];
    for (src, want) in cases {
        assert_eq!(render(src, r#"{"m":{"a":1},"l":["x","y"]}"#), want, "{src}");
    }
}

#[test]
fn define_template_block() {
    let src = r#"{{ define "item" }}<{{ . }}>{{ end }}{{ range .l }}{{ template "item" . }}{{ end }}|{{ block "b" .x }}default {{ . }}{{ end }}"#;
    assert_eq!(render(src, r#"{"l":[1,2],"x":"X"}"#), "<1><2>|default X");
    assert_eq!(render(r#"{{ define "n" }}{{ . }}{{ end }}{{ template "n" }}"#, "{}"), "<no value>");
    // A later non-empty definition replaces an earlier one; an empty one does not.
    let mut t = Templates::new(Funcs::helm());
    assert!(t.add("a", r#"{{ define "x" }}first{{ end }}"#).is_ok());
    assert!(t.add("b", r#"{{ define "x" }}second{{ end }}{{ define "y" }}Y{{ end }}"#).is_ok());
    assert!(t.add("c", r#"{{ define "y" }}  {{ end }}{{ template "x" }}{{ template "y" }}"#).is_ok());
    assert_eq!(t.execute("c", &Value::Nil).ok().as_deref(), Some("secondY"));
    assert!(render_err(r#"{{ template "nope" }}"#, "{}").contains("template \"nope\" not defined"));
}

#[test]
fn include_with_indent() {
    let src = "{{- define \"labels\" -}}\napp: {{ .name }}\ntier: web\n{{- end -}}\nmetadata:\n  labels:\n    {{- include \"labels\" . | nindent 4 }}\n  x: {{ include \"labels\" . | indent 2 | trim }}\n";
    assert_eq!(
        render(src, r#"{"name":"api"}"#),
        "metadata:\n  labels:\n    app: api\n    tier: web\n  x: app: api\n  tier: web\n"
    );
}

#[test]
fn sprig_and_helm_functions() {
    assert_eq!(
        render(r#"{{ .a | default "d" }} {{ .b | default "d" }} {{ default 5 0 }}"#, r#"{"b":"set"}"#),
        "d set 5"
    );
    assert_eq!(
        render(
            r#"{{ quote "a\"b" }} {{ .n | quote }} {{ squote "x" }} {{ quote 1 2 }}|{{ quote .missing }}|"#,
            r#"{"n":3}"#
        ),
        r#""a\"b" "3" 'x' "1" "2"||"#
    );
    assert_eq!(render(r#"{{ upper "ab" }} {{ lower "AB" }} {{ trim "  x \n" }}"#, "{}"), "AB ab x");
    assert_eq!(
        render(
            r#"{{ list 1 "a" }} {{ dict "b" 1 "a" 2 }} {{ hasKey (dict "a" 1) "a" }} {{ ternary "y" "n" false }}"#,
            "{}"
        ),
        "[1 a] map[a:2 b:1] true n"
    );
    assert_eq!(render(r#"{{ required "need x" .x }}"#, r#"{"x":"v"}"#), "v");
    let e = render_err("line1\n{{ required \"x is required\" .x }}", "{}");
    assert!(e.contains("t:2:") && e.contains("x is required"), "{e}");
    assert!(render_err(r#"{{ fail "boom" }}"#, "{}").contains("boom"));
    assert!(
        render_err(r#"{{ upper 3 }}"#, "{}")
            .contains("t:1:9: executing \"t\" at <3>: expected string; found 3")
    );
    assert!(render_err(r#"{{ .x | upper }}"#, "{}").contains("invalid value; expected string"));
}

#[test]
fn to_yaml_output() {
    let data = r#"{"m":{"b":[1,"two",{"k":"v","j":null}],"a":{"x":true,"y":"yes","z":"1.5"},"e":{},"l":[],"s":"multi\nline","q":"a: b","f":2.5,"big":1000000.0}}"#;
    let want = "a:\n  x: true\n  \"y\": \"yes\"\n  z: \"1.5\"\nb:\n- 1\n- two\n- j: null\n  k: v\nbig: 1000000\ne: {}\nf: 2.5\nl: []\nq: 'a: b'\ns: |-\n  multi\n  line";
    assert_eq!(render("{{ toYaml .m }}", data), want);
    assert_eq!(render("{{ toYaml .l }}", r#"{"l":[[1,2],[]]}"#), "- - 1\n  - 2\n- []");
    assert_eq!(render("{{ toYaml .s }}|{{ toYaml .n }}", r#"{"s":"plain"}"#), "plain|null");
}

#[test]
fn parse_errors_carry_lines() {
    let cases = [
        ("a\n{{ nosuch 1 }}", "t:2: function \"nosuch\" not defined"),
        ("a\nb\n{{ if .x }}", "t:3: unexpected EOF in if"),
        ("{{ end }}", "t:1: unexpected {{end}}"),
        ("\n{{ .a", "t:2: unclosed action"),
        ("{{ break }}", "{{break}} outside {{range}}"),
        ("{{ $x }}", "undefined variable \"$x\""),
        ("{{ \"abc }}", "unterminated quoted string"),
        ("{{ 1 | 2 }}", "non executable command in pipeline stage 2"),
        ("{{ if true }}{{ else }}{{ else }}{{ end }}", "expected end"),
        ("{{ .a\"b\" }}", "in operand"),
        ("{{ if true }}{{ define \"x\" }}{{ end }}{{ end }}", "unexpected <define>"),
        ("{{/* unclosed }}", "unclosed comment"),
    ];
    for (src, want) in cases {
        let e = render_err(src, "{}");
        assert!(e.contains(want), "{src:?}: {e:?} does not contain {want:?}");
    }
}

#[test]
fn exec_errors_carry_lines_and_arity() {
    let e = render_err("x\ny\n{{ quote }}{{ upper 1 2 }}", "{}");
    assert!(e.contains("t:3:") && e.contains("wrong number of args for upper: want 1 got 2"), "{e}");
    let e = render_err("{{ 1 2 }}", "{}");
    assert!(e.contains("can't give argument to non-function 1"), "{e}");
}

#[test]
fn limits_stop_hostile_templates() {
    let mut t = Templates::new(Funcs::helm());
    assert!(t.add("rec", "{{ define \"r\" }}{{ template \"r\" . }}{{ end }}{{ template \"r\" . }}").is_ok());
    let e = t.execute("rec", &Value::Nil).err();
    assert!(
        e.as_ref()
            .is_some_and(|e| e.kind == ErrorKind::Limit && e.message.contains("maximum template depth")),
        "{e:?}"
    );

    let mut t = Templates::new(Funcs::helm());
    assert!(t.add("inc", "{{ define \"r\" }}{{ include \"r\" . }}{{ end }}{{ include \"r\" . }}").is_ok());
    let e = t.execute("inc", &Value::Nil).err();
    assert!(e.is_some_and(|e| e.kind == ErrorKind::Limit), "include recursion");

    let mut t = Templates::new(Funcs::helm());
    t.limits.max_output = 1000;
    assert!(t.add("big", "{{ range 100000 }}xxxxxxxxxx{{ end }}").is_ok());
    let e = t.execute("big", &Value::Nil).err();
    assert!(
        e.is_some_and(|e| e.kind == ErrorKind::Limit && e.message.contains("output exceeds")),
        "output limit"
    );

    let mut t = Templates::new(Funcs::helm());
    t.limits.max_steps = 10_000;
    assert!(t.add("loop", "{{ range 1000 }}{{ range 1000 }}{{ end }}{{ end }}").is_ok());
    let e = t.execute("loop", &Value::Nil).err();
    assert!(e.is_some_and(|e| e.kind == ErrorKind::Limit && e.message.contains("steps")), "step limit");

    // Exponential growth through include and indent is caught by the output limit.
    let mut t = Templates::new(Funcs::helm());
    t.limits.max_output = 1 << 16;
    let mut src = String::from("{{ define \"d0\" }}xxxxxxxx{{ end }}");
    for i in 1..40 {
        src.push_str(&format!(
            "{{{{ define \"d{i}\" }}}}{{{{ include \"d{}\" . }}}}{{{{ include \"d{}\" . }}}}{{{{ end }}}}",
            i - 1,
            i - 1
        ));
    }
    src.push_str("{{ include \"d39\" . }}");
    assert!(t.add("exp", &src).is_ok());
    assert!(t.execute("exp", &Value::Nil).is_err());

    // Indenting many lines by a huge amount is refused before the string is built.
    let many_lines = format!("{{{{ nindent 100000000 \"{}\" }}}}", "\\n".repeat(10_000));
    assert!(try_render(&many_lines, "{}").is_err_and(|e| e.contains("exceeds the limit")));

    // Deep nesting is a parse error, not a stack overflow.
    let deep = format!("{{{{ {}1{} }}}}", "(".repeat(500), ")".repeat(500));
    assert!(try_render(&deep, "{}").is_err_and(|e| e.contains("nesting")));
    let deep_if = format!("{}{}", "{{ if true }}".repeat(500), "{{ end }}".repeat(500));
    assert!(try_render(&deep_if, "{}").is_err_and(|e| e.contains("nesting")));
}

#[test]
fn helm_render_drops_no_value() {
    let mut t = Templates::new(Funcs::helm());
    assert!(t.add("x", "a: {{ .Values.missing }}|{{ printf \"%v\" .Values.missing }}").is_ok());
    let data = values(r#"{"Values":{}}"#);
    assert_eq!(t.render_helm("x", &data).ok().as_deref(), Some("a: |<nil>"));
}

#[test]
fn function_table_is_extensible() {
    let mut f = Funcs::helm();
    f.insert("double", Arity::Exact(1), |_, a| match &a[0] {
        Value::Int(i) => Ok(Value::Int(i * 2)),
        v => Err(funcs::wrong_type("int", v)),
    });
    let mut t = Templates::new(f);
    assert!(t.add("t", "{{ 21 | double }}").is_ok());
    assert_eq!(t.execute("t", &Value::Nil).ok().as_deref(), Some("42"));
}

const HELPERS: &str = r#"{{/* Expand the name of the chart. */}}
{{- define "app.name" -}}
{{- default .Chart.Name .Values.nameOverride | trim -}}
{{- end }}

{{- define "app.labels" -}}
app.kubernetes.io/name: {{ include "app.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.name" . }}
  labels:
    {{- include "app.labels" . | nindent 4 }}
spec:
  replicas: {{ .Values.replicaCount }}
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default "latest" }}"
          {{- with .Values.env }}
          env:
            {{- range $k, $v := . }}
            - name: {{ $k }}
              value: {{ $v | quote }}
            {{- end }}
          {{- end }}
          {{- if .Values.resources }}
          resources:
            {{- toYaml .Values.resources | nindent 12 }}
          {{- end }}
      {{- with .Values.nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
"#;

#[test]
fn helm_style_deployment() {
    let mut t = Templates::new(Funcs::helm());
    assert!(t.add("app/templates/_helpers.tpl", HELPERS).is_ok());
    if let Err(e) = t.add("app/templates/deployment.yaml", DEPLOYMENT) {
        panic!("{e}");
    }
    let data = values(
        r#"{"Chart":{"Name":"web"},"Release":{"Name":"rel"},"Values":{
            "replicaCount":2,"image":{"repository":"nginx","tag":""},
            "env":{"B":"2","A":"x y"},
            "resources":{"limits":{"cpu":"100m","memory":"128Mi"}},
            "nodeSelector":{"disktype":"ssd","kubernetes.io/os":"linux"},
            "tolerations":[]}}"#,
    );
    let want = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app.kubernetes.io/name: web
    app.kubernetes.io/instance: rel
spec:
  replicas: 2
  template:
    spec:
      containers:
        - name: web
          image: "nginx:latest"
          env:
            - name: A
              value: "x y"
            - name: B
              value: "2"
          resources:
            limits:
              cpu: 100m
              memory: 128Mi
      nodeSelector:
        disktype: ssd
        kubernetes.io/os: linux
"#;
    match t.render_helm("app/templates/deployment.yaml", &data) {
        Ok(out) => assert_eq!(out, want),
        Err(e) => panic!("{e}"),
    }
    // Errors inside an included define point at the helper file.
    let mut m = BTreeMap::new();
    m.insert("Values".to_string(), Value::map(BTreeMap::new()));
    let e = t.render_helm("app/templates/deployment.yaml", &Value::map(m)).err();
    assert!(e.is_some_and(|e| e.file == "app/templates/_helpers.tpl" && e.line == 3), "error location");
}

fn floats(v: &Value) -> Value {
    match v {
        Value::Int(i) => Value::Float(*i as f64),
        Value::List(l) => Value::list(l.iter().map(floats).collect()),
        Value::Map(m) => Value::map(m.entries().iter().map(|(k, x)| (k.clone(), floats(x))).collect()),
        v => v.clone(),
    }
}

/// Cases rendered by real Helm (Helm SDK v4.2.3 through helm-python-sdk; `testdata/gen_helm_oracle.py`).
/// Values are float64 in Helm (they go through JSON), hence [`floats`].
#[test]
fn matches_real_helm() {
    let cases: serde_json::Value = match serde_json::from_str(include_str!("../testdata/helm_oracle.json")) {
        Ok(v) => v,
        Err(e) => panic!("bad oracle JSON: {e}"),
    };
    let line_re = regex::Regex::new(r"t\.txt:(\d+)").ok();
    let mut failures = Vec::new();
    let cases = cases.as_array().map(Vec::as_slice).unwrap_or_default();
    assert!(cases.len() >= 50, "oracle cases missing");
    for c in cases {
        let name = c["name"].as_str().unwrap_or_default();
        let mut t = Templates::new(Funcs::helm());
        let mut parsed = Ok(());
        for (file, text) in c["files"].as_object().into_iter().flatten() {
            parsed = parsed.and(t.add(&format!("web/templates/{file}"), text.as_str().unwrap_or_default()));
        }
        parsed = parsed.and(t.add("web/templates/t.txt", c["src"].as_str().unwrap_or_default()));
        let vals = match floats(&Value::from(&c["values"])) {
            Value::Nil => Value::map(BTreeMap::new()),
            v => v,
        };
        let data = values(&format!(
            r#"{{"Chart":{{"Name":"web","Version":"0.1.0","AppVersion":""}},"Release":{{"Name":"rel","Namespace":"ns","IsInstall":true,"Service":"Helm","Revision":1}},"Capabilities":{{"KubeVersion":{{"Version":"v1.36.0","GitVersion":"v1.36.0","Major":"1","Minor":"36"}}}},"Values":{}}}"#,
            "null"
        ));
        let Value::Map(top) = data else { continue };
        // Helm's `.Values` is a `common.Values`, a named map type (`typeOf` shows it, `dig` refuses it).
        let vals = match vals {
            Value::Map(m) => Value::Map(m.retyped(value::Elem::Values)),
            v => v,
        };
        top.insert("Values".into(), vals);
        let got: Result<String, (usize, String)> = match parsed {
            Err(e) => Err((e.line, e.to_string())),
            Ok(()) => {
                t.render_helm("web/templates/t.txt", &Value::Map(top)).map_err(|e| (e.line, e.to_string()))
            }
        };
        match (got, c["want"].as_str()) {
            (Ok(g), Some(w)) if g == w => {}
            (Err((line, msg)), None) => {
                let helm = c["helm_error"].as_str().unwrap_or_default();
                let want_line =
                    line_re.as_ref().and_then(|r| r.captures(helm)).and_then(|m| m[1].parse::<usize>().ok());
                if want_line.is_some_and(|l| l != line) {
                    failures.push(format!("{name}: error on line {line}, Helm says {helm:?} ({msg})"));
                }
            }
            (got, want) => failures.push(format!("{name}:\n got: {got:?}\nwant: {want:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[derive(Debug)]
struct Files;

impl value::Object for Files {
    fn type_name(&self) -> &'static str {
        "chartutil.Files"
    }
    fn field(&self, name: &str) -> Option<Value> {
        (name == "Count").then_some(Value::Int(1))
    }
    fn call(&self, method: &str, args: &[Value]) -> Option<Result<Value, String>> {
        match (method, args) {
            ("Get", [Value::Str(p)]) => Some(Ok(Value::str(format!("contents of {p}")))),
            ("Get", _) => Some(Err("Get takes one string".into())),
            _ => None,
        }
    }
}

#[test]
fn objects_have_fields_and_methods() {
    let mut m = BTreeMap::new();
    m.insert("Files".to_string(), Value::Object(std::sync::Arc::new(Files)));
    let data = Value::map(m);
    let mut t = Templates::new(Funcs::helm());
    assert!(t.add("t", r#"{{ .Files.Get "a.txt" }}|{{ "b" | .Files.Get }}|{{ .Files.Count }}|{{ $f := .Files }}{{ $f.Get "c" | upper }}"#).is_ok());
    assert_eq!(
        t.execute("t", &data).ok().as_deref(),
        Some("contents of a.txt|contents of b|1|CONTENTS OF C")
    );
    assert!(t.add("e", r#"{{ .Files.Nope "x" }}"#).is_ok());
    assert!(
        t.execute("e", &data)
            .is_err_and(|e| e.message.contains("can't evaluate field Nope in type chartutil.Files"))
    );
}

/// Random token soup must give output or an error, never a panic or a hang.
#[test]
fn random_templates_never_panic() {
    const FRAGMENTS: &[&str] = &[
        "{{",
        "}}",
        "{{- ",
        " -}}",
        "if ",
        "range ",
        "end",
        "else ",
        "with ",
        ".a",
        ".b.c",
        "$x",
        "$",
        " := ",
        " = ",
        " | ",
        "(",
        ")",
        "\"s\"",
        "`r`",
        "'c'",
        "'",
        "\"",
        "1",
        "-1",
        "1e9",
        "0x",
        "define ",
        "\"d\"",
        "template ",
        "block ",
        "break",
        "continue",
        " ",
        "\n",
        "é",
        "/*",
        "*/",
        "printf ",
        "\"%v %d %5.2f %\"",
        "include ",
        "nindent ",
        "toYaml ",
        ".",
        ",",
        "nil",
        "true",
        "index ",
        "slice ",
        "len ",
        "range 5",
        "$i, $v := ",
        "{{ define \"d\" }}{{ include \"d\" . }}{{ end }}",
        "indent 999999999 ",
    ];
    let data = values(r#"{"a":[1,"x",{"k":null}],"b":{"c":{"d":2.5}},"x":"str"}"#);
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..5000 {
        let n = 1 + (next() % 24) as usize;
        let src: String = (0..n).map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize]).collect();
        let mut t = Templates::new(Funcs::helm());
        t.limits = Limits { max_depth: 20, max_output: 1 << 16, max_steps: 100_000 };
        if t.add("t", &src).is_ok() {
            let _ = t.execute("t", &data);
        }
    }
}

/// The worst nesting the limits allow (deepest parse nesting inside every level of template recursion)
/// must fit in a test thread's 2 MiB stack.
#[test]
fn deepest_allowed_recursion_fits_the_stack() {
    let depth = parse::MAX_NESTING - 6;
    let body = format!(
        "{}{{{{ include \"r\" (len (print (list 1 (dict \"a\" .)))) }}}}{}",
        "{{ with $x := 1 }}{{ range $i := 1 }}".repeat(depth / 2),
        "{{ end }}{{ end }}".repeat(depth / 2)
    );
    let src = format!("{{{{ define \"r\" }}}}{body}{{{{ end }}}}{{{{ include \"r\" . }}}}");
    let mut t = Templates::new(Funcs::helm());
    if let Err(e) = t.add("t", &src) {
        panic!("{e}");
    }
    let e = t.execute("t", &Value::Nil).err();
    assert!(e.is_some_and(|e| e.kind == ErrorKind::Limit), "depth limit reached");
    let mut t = Templates::new(Funcs::helm());
    t.limits.max_steps = 1000;
    assert!(t.add("big", "{{ range 9223372036854775807 }}{{ end }}").is_ok());
    assert!(t.execute("big", &Value::Nil).is_err_and(|e| e.kind == ErrorKind::Limit));
}

#[test]
fn tpl_renders_strings_from_values() {
    let mut t = Templates::new(Funcs::helm());
    let src = "{{ define \"n\" }}N{{ end }}{{ tpl .Values.s . }}|{{ tpl \"{{ define \\\"m\\\" }}M{{ end }}{{ template \\\"m\\\" }}\" . }}";
    if let Err(e) = t.add("t", src) {
        panic!("{e}");
    }
    let data = values(r#"{"Values":{"s":"{{ .Values.name }}-{{ include \"n\" . }}","name":"x"}}"#);
    assert_eq!(t.execute("t", &data).ok().as_deref(), Some("x-N|M"));
    // Errors inside the string point into it; a recursive tpl stops at the depth limit.
    assert!(t.add("bad", "{{ tpl \"a\\n{{ nosuch }}\" . }}").is_ok());
    assert!(t.execute("bad", &data).is_err_and(|e| e.message.contains("function \"nosuch\" not defined")));
    assert!(t.add("loop", "{{ tpl .Values.s . }}").is_ok());
    let data = values(r#"{"Values":{"s":"{{ tpl $.Values.s $ }}"}}"#);
    assert!(t.execute("loop", &data).is_err_and(|e| e.kind == ErrorKind::Limit));
}
