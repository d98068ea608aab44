//! Hostile input: every case runs the binary on a generated tree holding one good file (with a known
//! finding) and something nasty, and asserts a diagnostic naming the nasty file (with its line where it
//! has one), no crash (exit 0 or 1, never a panic or a signal), and the good file's finding intact.
//! A hang fails the test: each run is killed after [`TIMEOUT`]. Wall time itself is not asserted.

#[path = "support/cli.rs"]
mod cli;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIMEOUT: Duration = Duration::from_secs(60);
const GOOD: &str = "resource \"aws_db_instance\" \"good\" {\n  skip_final_snapshot = true\n}\n";

/// Runs `smelt check . --format json` plus `extra` in `dir`, killing it after `timeout`. Returns the
/// exit code and the JSON report.
fn check_with(dir: &Path, extra: &[&str], timeout: Duration) -> (i32, Value) {
    let out_dir = tempfile::tempdir().expect("tempdir");
    let out_path = out_dir.path().join("out.json");
    let out = std::fs::File::create(&out_path).expect("create");
    let err_path = out_dir.path().join("err.txt");
    let err = std::fs::File::create(&err_path).expect("create");
    let mut child = Command::new(env!("CARGO_BIN_EXE_smelt"))
        .args(["check", ".", "--format", "json"])
        .args(extra)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("smelt starts");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            panic!("smelt did not finish within {timeout:?} in {}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let code = status.code().unwrap_or_else(|| panic!("killed by a signal: {status:?}\n{stderr}"));
    assert!(code == 0 || code == 1, "exit {code} (expected 0 or 1)\n{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    let text = std::fs::read_to_string(&out_path).expect("output");
    (code, cli::json(&text))
}

fn check(dir: &Path) -> Value {
    check_with(dir, &[], TIMEOUT).1
}

/// A tree with `good.tf` and nothing else yet.
fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("good.tf"), GOOD).expect("write");
    dir
}

fn put(dir: &Path, path: &str, bytes: impl AsRef<[u8]>) {
    let p = dir.join(path);
    std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
    std::fs::write(p, bytes).expect("write");
}

fn findings(report: &Value) -> Vec<(String, u64, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap_or("").to_string();
            (path, f["line"].as_u64().unwrap_or(0), f["name"].as_str().unwrap_or("").to_string())
        })
        .collect()
}

fn assert_good_intact(report: &Value) {
    let found = findings(report);
    let good = ("good.tf".to_string(), 2, "tf-db-skip-final-snapshot".to_string());
    assert!(found.contains(&good), "good file's finding lost: {found:?}\n{report:#}");
}

/// The diagnostic for `path` with `code`, and its line (asserted when `line` is given).
fn assert_diag(report: &Value, path: &str, code: &str, line: Option<u64>) -> Value {
    let errors = report["errors"].as_array().expect("errors");
    let hit = errors.iter().find(|e| e["path"] == path && e["code"] == code);
    let Some(hit) = hit else { panic!("no `{code}` diagnostic for {path}: {errors:#?}") };
    if let Some(line) = line {
        assert_eq!(hit["line"].as_u64(), Some(line), "{hit:#}");
    }
    hit.clone()
}

/// Deterministic pseudo-random bytes (xorshift64*), so a failure reproduces.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.max(1);
    (0..len)
        .map(|_| {
            x ^= x >> 12;
            x ^= x << 25;
            x ^= x >> 27;
            (x.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

#[test]
fn yaml_alias_bomb_stops_with_a_limit_diagnostic() {
    let dir = tree();
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\na: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        bomb.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
    }
    put(dir.path(), "k8s/bomb.yaml", bomb);
    let report = check(dir.path());
    let d = assert_diag(&report, "k8s/bomb.yaml", "limit-exceeded", None);
    assert!(d["message"].as_str().unwrap_or("").contains("aliases"), "{d:#}");
    assert!(d["line"].as_u64().is_some(), "{d:#}");
    assert_good_intact(&report);
}

const DEEP: usize = 50_000;

#[test]
fn yaml_flow_nesting_50000_deep() {
    let dir = tree();
    put(
        dir.path(),
        "k8s/flow.yaml",
        format!("apiVersion: v1\nkind: Pod\nspec: {}{}\n", "[".repeat(DEEP), "]".repeat(DEEP)),
    );
    let report = check(dir.path());
    assert_diag(&report, "k8s/flow.yaml", "limit-exceeded", Some(3));
    assert_good_intact(&report);
}

#[test]
fn yaml_block_nesting_50000_deep() {
    let dir = tree();
    // Compact block sequences: `- - - …` opens one block level per two columns.
    put(dir.path(), "k8s/seq.yaml", format!("apiVersion: v1\nkind: Pod\nspec:\n{}x\n", "- ".repeat(DEEP)));
    // Indented block mappings, one level per line.
    let mut maps = String::from("apiVersion: v1\nkind: Pod\nspec:\n");
    for i in 1..2_000 {
        maps.push_str(&format!("{}a:\n", " ".repeat(i)));
    }
    put(dir.path(), "k8s/maps.yaml", maps);
    let report = check(dir.path());
    assert_diag(&report, "k8s/seq.yaml", "limit-exceeded", Some(4));
    assert_diag(&report, "k8s/maps.yaml", "limit-exceeded", None);
    assert_good_intact(&report);
}

#[test]
fn hcl_expression_nesting_50000_deep() {
    let dir = tree();
    put(
        dir.path(),
        "list/main.tf",
        format!("locals {{\n  x = {}{}\n}}\n", "[".repeat(DEEP), "]".repeat(DEEP)),
    );
    put(
        dir.path(),
        "call/main.tf",
        format!("locals {{\n  x = {}1{}\n}}\n", "f(".repeat(DEEP), ")".repeat(DEEP)),
    );
    // Parentheses unwrap iteratively: the value inside is still seen, so the rule fires on line 2.
    let parens = format!(
        "resource \"aws_db_instance\" \"p\" {{\n  skip_final_snapshot = {}true{}\n}}\n",
        "(".repeat(DEEP),
        ")".repeat(DEEP)
    );
    put(dir.path(), "paren/main.tf", parens);
    let report = check(dir.path());
    assert_diag(&report, "list/main.tf", "limit-exceeded", Some(2));
    assert_diag(&report, "call/main.tf", "limit-exceeded", Some(2));
    let deep = ("paren/main.tf".to_string(), 2, "tf-db-skip-final-snapshot".to_string());
    assert!(findings(&report).contains(&deep), "{report:#}");
    assert_good_intact(&report);
}

#[test]
fn hcl_block_nesting_50000_deep() {
    let dir = tree();
    put(dir.path(), "blocks/main.tf", format!("{}{}", "a {\n".repeat(DEEP), "}\n".repeat(DEEP)));
    let report = check(dir.path());
    assert_diag(&report, "blocks/main.tf", "limit-exceeded", Some(257));
    assert_good_intact(&report);
}

#[test]
fn a_5_mb_single_line_is_checked() {
    let dir = tree();
    let text = format!(
        "locals {{\n  x = \"{}\"\n}}\nresource \"aws_db_instance\" \"long\" {{\n  skip_final_snapshot = true\n}}\n",
        "a".repeat(5_000_000)
    );
    put(dir.path(), "long/main.tf", text);
    let report = check(dir.path());
    let long = ("long/main.tf".to_string(), 5, "tf-db-skip-final-snapshot".to_string());
    assert!(findings(&report).contains(&long), "{:?}", findings(&report));
    assert_good_intact(&report);
}

#[test]
fn a_50_mb_file_is_skipped_with_a_note() {
    let dir = tree();
    let f = std::fs::File::create(dir.path().join("big.tf")).expect("create");
    f.set_len(50_000_000).expect("sparse 50 MB");
    let report = check(dir.path());
    let d = assert_diag(&report, "big.tf", "file-too-large", None);
    assert_eq!(d["level"], "note");
    assert_good_intact(&report);
}

/// Slow in a debug build (minutes): `cargo test --release --test hostile -- --ignored`.
#[test]
#[ignore = "slow: a 50 MB Terraform file parsed in full"]
fn a_50_mb_file_is_checked_when_the_limit_is_raised() {
    let dir = tree();
    let mut text = String::with_capacity(50_100_000);
    let mut n = 0;
    while text.len() < 50_000_000 {
        text.push_str(&format!(
            "resource \"aws_s3_bucket\" \"b{n}\" {{\n  bucket = \"name-{n}\"\n  tags = {{ team = \"x\", n = {n} }}\n}}\n"
        ));
        n += 1;
    }
    text.push_str("resource \"aws_db_instance\" \"last\" {\n  skip_final_snapshot = true\n}\n");
    let last_line = text.lines().count() as u64 - 1;
    put(dir.path(), "big/main.tf", text);
    let (_, report) = check_with(dir.path(), &["--max-file-size", "100000000"], Duration::from_secs(900));
    let last = ("big/main.tf".to_string(), last_line, "tf-db-skip-final-snapshot".to_string());
    assert!(findings(&report).contains(&last), "{:?}", findings(&report));
    assert_good_intact(&report);
}

#[test]
fn invalid_utf8_nul_bytes_bom_crlf_and_empty_files() {
    let dir = tree();
    put(dir.path(), "utf8/main.tf", b"locals {\n  x = \"caf\xe9\"\n}\n");
    put(dir.path(), "nul/main.tf", b"locals {\n  x = \"a\x00b\"\n}\n");
    put(
        dir.path(),
        "bom/main.tf",
        b"\xEF\xBB\xBFresource \"aws_db_instance\" \"c\" {\r\n  skip_final_snapshot = true\r\n}\r\n",
    );
    put(dir.path(), "bom/.github/workflows/ci.yml", b"\xEF\xBB\xBFon: push\r\njobs:\r\n  a:\r\n    runs-on: ubuntu-latest\r\n    steps:\r\n      - uses: actions/checkout@v4\r\n");
    put(dir.path(), "empty/main.tf", b"");
    put(dir.path(), "empty/.gitlab-ci.yml", b"");
    put(dir.path(), "empty/k8s.yaml", b"");
    let report = check(dir.path());
    assert_diag(&report, "utf8/main.tf", "invalid-utf8", Some(2));
    assert_diag(&report, "nul/main.tf", "binary-file", None);
    let found = findings(&report);
    let bom = ("bom/main.tf".to_string(), 2, "tf-db-skip-final-snapshot".to_string());
    assert!(found.contains(&bom), "{found:?}");
    assert!(
        found.iter().any(|f| f.0 == "bom/.github/workflows/ci.yml" && f.1 == 6),
        "an unpinned action on line 6 of the BOM + CRLF workflow: {found:?}"
    );
    let errors = report["errors"].as_array().expect("errors");
    assert!(!errors.iter().any(|e| e["path"].as_str().unwrap_or("").starts_with("empty/")), "{errors:#?}");
    assert!(!errors.iter().any(|e| e["path"].as_str().unwrap_or("").starts_with("bom/")), "{errors:#?}");
    assert_good_intact(&report);
}

#[test]
fn random_bytes_named_tf_and_yaml() {
    let dir = tree();
    let mut names = Vec::new();
    for seed in 1..=4u64 {
        let bytes = random_bytes(seed, 64 * 1024);
        // Without NULs, so the parsers see them rather than the binary-file check.
        let text: Vec<u8> = bytes.iter().map(|&b| if b == 0 { b'{' } else { b }).collect();
        for (name, data) in [
            (format!("r{seed}/raw.tf"), bytes.clone()),
            (format!("r{seed}/text.tf"), text.clone()),
            (format!("r{seed}/.gitlab-ci.yml"), text.clone()),
            (format!("r{seed}/.github/workflows/raw.yml"), bytes.clone()),
            (format!("r{seed}/.github/workflows/text.yml"), text),
        ] {
            put(dir.path(), &name, data);
            names.push(name);
        }
    }
    let report = check(dir.path());
    let errors = report["errors"].as_array().expect("errors");
    for name in names {
        assert!(errors.iter().any(|e| e["path"] == name.as_str()), "no diagnostic for {name}: {errors:#?}");
    }
    assert_good_intact(&report);
}

#[test]
fn unterminated_strings_and_heredocs() {
    let dir = tree();
    put(dir.path(), "string/main.tf", "locals {\n  x = \"abc\n}\n");
    put(dir.path(), "heredoc/main.tf", "locals {\n  x = <<EOT\nabc\n");
    put(dir.path(), "k8s/string.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"abc\n");
    put(dir.path(), "k8s/single.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 'abc\n");
    let report = check(dir.path());
    for path in ["string/main.tf", "heredoc/main.tf", "k8s/string.yaml", "k8s/single.yaml"] {
        let d = assert_diag(&report, path, "parse-error", None);
        assert!(d["line"].as_u64().is_some(), "{d:#}");
    }
    // The Terraform ones point at the string's own line, not the block that swallowed the file.
    for path in ["string/main.tf", "heredoc/main.tf"] {
        let d = assert_diag(&report, path, "parse-error", None);
        assert_eq!(d["line"], 2, "{d:#}");
    }
    assert_good_intact(&report);
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_symlinks_are_skipped_with_a_note() {
    let dir = tree();
    let p = dir.path();
    std::os::unix::fs::symlink("b.tf", p.join("a.tf")).expect("symlink");
    std::os::unix::fs::symlink("a.tf", p.join("b.tf")).expect("symlink");
    std::os::unix::fs::symlink("nowhere.tf", p.join("dangling.tf")).expect("symlink");
    std::fs::create_dir(p.join("sub")).expect("mkdir");
    std::os::unix::fs::symlink("..", p.join("sub/loop")).expect("symlink");
    let report = check(p);
    for path in ["a.tf", "b.tf", "dangling.tf"] {
        let d = assert_diag(&report, path, "read-error", None);
        assert_eq!(d["level"], "note", "{d:#}");
    }
    assert_good_intact(&report);
    assert_eq!(report["summary"]["files_checked"], 1);
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().expect("mkfifo runs").success();
    assert!(ok, "mkfifo {}", path.display());
}

#[cfg(unix)]
#[test]
fn a_fifo_does_not_block_the_run() {
    let dir = tree();
    mkfifo(&dir.path().join("fifo.tf"));
    mkfifo(&dir.path().join("pipe.yaml"));
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_dir = cache.path().to_string_lossy().to_string();
    // With `--cache` too, which reads every unit's files itself to key it.
    for extra in [&[][..], &["--cache", &cache_dir][..]] {
        let (_, report) = check_with(dir.path(), extra, TIMEOUT);
        let d = assert_diag(&report, "fifo.tf", "read-error", None);
        assert!(d["message"].as_str().unwrap_or("").contains("not a regular file"), "{d:#}");
        assert_diag(&report, "pipe.yaml", "read-error", None);
        assert_good_intact(&report);
    }
}

#[cfg(unix)]
#[test]
#[allow(clippy::print_stderr)]
fn a_directory_without_read_permission() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree();
    put(dir.path(), "locked/main.tf", GOOD);
    let locked = dir.path().join("locked");
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    if std::fs::read_dir(&locked).is_ok() {
        // Root (or CAP_DAC_OVERRIDE) reads it anyway: nothing to test here.
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        eprintln!("skipped: running with permission to read a mode-000 folder (root?)");
        return;
    }
    let report = check(dir.path());
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_diag(&report, "locked", "read-error", None);
    assert_good_intact(&report);
}

/// Discovery, then the file goes away (or turns into a FIFO) before it is read.
fn discover(root: &Path) -> Vec<smelt::discover::Input> {
    let opts = smelt::discover::DiscoverOptions { honour_ignore_files: true, threads: 1 };
    let (inputs, _) = smelt::discover::discover(&[root.to_path_buf()], &opts).expect("discover");
    inputs
}

fn run_engine(inputs: Vec<smelt::discover::Input>) -> smelt::finding::Report {
    let rules = smelt::rules::registry::builtin().expect("built-in rules");
    let set =
        smelt::rules::registry::select(rules, &[], &[], smelt::rules::meta::Severity::Info).expect("select");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(smelt::engine::check(inputs, &set, &smelt::engine::CheckOptions::default()));
    });
    rx.recv_timeout(TIMEOUT).expect("the check finishes (a FIFO must not block it)")
}

fn engine_findings(report: &smelt::finding::Report) -> Vec<(String, u32)> {
    report.findings.iter().map(|f| (f.location.path.clone(), f.location.start.line)).collect()
}

#[test]
fn a_file_that_disappears_between_discovery_and_reading() {
    let dir = tree();
    put(dir.path(), "gone.tf", GOOD);
    let inputs = discover(dir.path());
    assert_eq!(inputs.len(), 2);
    std::fs::remove_file(dir.path().join("gone.tf")).expect("rm");
    let report = run_engine(inputs);
    let d =
        report.diagnostics.iter().find(|d| d.path.ends_with("gone.tf")).expect("a diagnostic for gone.tf");
    assert_eq!(d.code, smelt::finding::DiagnosticCode::ReadError);
    let found = engine_findings(&report);
    assert!(found.iter().any(|(p, l)| p.ends_with("good.tf") && *l == 2), "{found:?}");
}

#[cfg(unix)]
#[test]
fn a_file_replaced_by_a_fifo_after_discovery_is_not_opened() {
    let dir = tree();
    put(dir.path(), "swap.tf", GOOD);
    let inputs = discover(dir.path());
    let swap: PathBuf = dir.path().join("swap.tf");
    std::fs::remove_file(&swap).expect("rm");
    mkfifo(&swap);
    let report = run_engine(inputs);
    let d =
        report.diagnostics.iter().find(|d| d.path.ends_with("swap.tf")).expect("a diagnostic for swap.tf");
    assert_eq!(d.code, smelt::finding::DiagnosticCode::ReadError);
    let found = engine_findings(&report);
    assert!(found.iter().any(|(p, l)| p.ends_with("good.tf") && *l == 2), "{found:?}");
}

/// The same swap under `--cache`, which reads every unit's files itself to key it: not opened
/// either, and reported like an uncached run reports it.
#[cfg(unix)]
#[test]
fn a_file_replaced_by_a_fifo_after_discovery_does_not_block_a_cached_run() {
    let dir = tree();
    let cache = tempfile::tempdir().expect("tempdir");
    put(dir.path(), "swap.tf", GOOD);
    let inputs = discover(dir.path());
    let swap: PathBuf = dir.path().join("swap.tf");
    std::fs::remove_file(&swap).expect("rm");
    mkfifo(&swap);
    let rules = smelt::rules::registry::builtin().expect("built-in rules");
    let set =
        smelt::rules::registry::select(rules, &[], &[], smelt::rules::meta::Severity::Info).expect("select");
    let (tx, rx) = std::sync::mpsc::channel();
    let cache_dir = cache.path().to_path_buf();
    std::thread::spawn(move || {
        let opts = smelt::engine::CheckOptions::default();
        let _ = tx.send(smelt::cache::check_cached(inputs, &set, &opts, &cache_dir));
    });
    let (report, _) = rx.recv_timeout(TIMEOUT).expect("the cached check finishes (a FIFO must not block it)");
    let d =
        report.diagnostics.iter().find(|d| d.path.ends_with("swap.tf")).expect("a diagnostic for swap.tf");
    assert_eq!(d.code, smelt::finding::DiagnosticCode::ReadError);
    let found = engine_findings(&report);
    assert!(found.iter().any(|(p, l)| p.ends_with("good.tf") && *l == 2), "{found:?}");
}

const CHART: &str = "apiVersion: v2\nname: evil\nversion: 0.1.0\n";

/// A chart whose templates recurse forever, loop a hundred million times, or write gigabytes: each
/// gets a `limit-exceeded` diagnostic on its line, and the other files of the run are still checked.
#[test]
fn runaway_helm_templates_hit_render_limits() {
    let dir = tree();
    let d = dir.path();
    put(d, "chart/Chart.yaml", CHART);
    put(
        d,
        "chart/templates/recurse.yaml",
        "{{- define \"r\" }}{{ include \"r\" . }}{{ end }}\nx: {{ include \"r\" . }}\n",
    );
    put(d, "chart/templates/loop.yaml", "a: 1\n{{ range 100000000 }}{{ end }}\n");
    put(
        d,
        "chart/templates/huge.yaml",
        "{{ range 1000000 }}{{ range 1000000 }}xxxxxxxxxxxxxxxx{{ end }}{{ end }}\n",
    );
    put(d, "chart/templates/tpl.yaml", "{{ tpl \"{{ tpl .Values.t $ }}\" $ }}\n");
    put(d, "chart/values.yaml", "t: \"{{ tpl .Values.t $ }}\"\n");
    let report = check(d);
    assert_diag(&report, "chart/templates/recurse.yaml", "limit-exceeded", Some(1));
    assert_diag(&report, "chart/templates/loop.yaml", "limit-exceeded", Some(2));
    assert_diag(&report, "chart/templates/huge.yaml", "limit-exceeded", Some(1));
    // `tpl` runs text from values: the error is reported on the template that called it.
    assert_diag(&report, "chart/templates/tpl.yaml", "limit-exceeded", None);
    assert_good_intact(&report);
}

/// A `.tgz` subchart that is a gzip bomb (128 MiB of zeros, twice the chart limit) or not an archive at all: a diagnostic
/// naming the archive, and the parent chart is still rendered and checked.
#[test]
fn hostile_subchart_archives() {
    use std::io::Read;
    let dir = tree();
    let d = dir.path();
    put(d, "chart/Chart.yaml", CHART);
    put(
        d,
        "chart/templates/pod.yaml",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n    - name: c\n      image: nginx:latest\n",
    );
    // A real chart archive whose second file inflates to 128 MiB of zeros.
    let mut bomb = Vec::new();
    {
        let mut tar = tar::Builder::new(flate2_compat::encoder(&mut bomb));
        let meta = b"apiVersion: v2\nname: bomb\nversion: 1.0.0\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(meta.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "bomb/Chart.yaml", &meta[..]).expect("append");
        let size = 128u64 << 20;
        let mut h = tar::Header::new_gnu();
        h.set_size(size);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "bomb/files/zeros.bin", std::io::repeat(0).take(size)).expect("append");
        tar.into_inner().expect("tar").finish().expect("gzip");
    }
    assert!(bomb.len() < 4 << 20, "the bomb is small on disk: {}", bomb.len());
    put(d, "chart/charts/bomb-1.0.0.tgz", &bomb);
    put(d, "chart/charts/junk-1.0.0.tgz", random_bytes(7, 4096));
    let report = check(d);
    let diag = |path: &str| {
        report["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .any(|e| e["path"] == path && e["code"] == "render-error")
    };
    assert!(diag("chart/charts/bomb-1.0.0.tgz"), "{report:#}");
    let bomb = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .find(|e| e["path"] == "chart/charts/bomb-1.0.0.tgz");
    assert!(bomb.is_some_and(|e| e["message"].as_str().unwrap_or("").contains("limit")), "{bomb:?}");
    assert!(diag("chart/charts/junk-1.0.0.tgz"), "{report:#}");
    let found = findings(&report);
    assert!(found.contains(&("chart/templates/pod.yaml".into(), 8, "image-unpinned".into())), "{found:?}");
    assert_good_intact(&report);
}

/// gzip without naming the crate in the test's dependencies twice: smelt's own dependency, re-exported
/// through a tiny shim.
mod flate2_compat {
    pub fn encoder<W: std::io::Write>(w: W) -> flate2::write::GzEncoder<W> {
        flate2::write::GzEncoder::new(w, flate2::Compression::fast())
    }
}
