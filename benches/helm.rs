//! Helm chart throughput: charts rendered per second (load + coalesce values + render every template
//! with the source-map trace) and manifests checked per second (the full `engine::check` of the charts:
//! render, parse the output, every Kubernetes rule, map findings back to templates and values).
//!
//! `cargo bench --bench helm` (options: `--charts N`, default 200 copies of each fixture chart;
//! `--runs R`, default 5). The corpus is `fixtures/helm/*` copied N times under a temporary folder.

use smelt::discover::{DiscoverOptions, discover};
use smelt::engine::{CheckOptions, check};
use smelt::helm::chart::{Chart, read_dir};
use smelt::helm::manifests::manifests;
use smelt::helm::render::{RenderOptions, render};
use smelt::rules::meta::Severity;
use smelt::rules::registry;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

// The allocator the `smelt` binary uses (src/main.rs), so the bench measures what users run.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(default)
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("readable").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let copies = arg("--charts", 200);
    let runs = arg("--runs", 5).max(1);
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/helm");
    let sources: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .expect("fixtures/helm")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    let tmp = std::env::temp_dir().join(format!("smelt-helm-bench-{}", std::process::id()));
    let mut dirs = Vec::new();
    for i in 0..copies {
        for s in &sources {
            let name = s.file_name().and_then(|n| n.to_str()).unwrap_or("chart");
            let to = tmp.join(format!("{name}-{i}"));
            copy_dir(s, &to);
            dirs.push(to);
        }
    }

    // Render only: read + load + render every chart, one thread (what one chart costs).
    let mut render_times = Vec::new();
    let (mut templates, mut docs, mut errors) = (0, 0, 0);
    for _ in 0..runs {
        let start = Instant::now();
        let (mut t, mut d, mut e) = (0, 0, 0);
        for dir in &dirs {
            let chart = Chart::from_files(read_dir(dir).expect("reads"), "", "").expect("loads");
            let rendered = render(&chart, &RenderOptions::default());
            t += rendered.templates.len();
            d += manifests(&rendered.templates).len();
            e += rendered.errors.len();
        }
        render_times.push(start.elapsed().as_secs_f64());
        (templates, docs, errors) = (t, d, e);
    }

    // Full check over the folder, every core.
    let rules =
        registry::select(registry::builtin().expect("rules"), &[], &[], Severity::Info).expect("select");
    let mut check_times = Vec::new();
    let mut findings = 0;
    for _ in 0..runs {
        let (inputs, _) =
            discover(std::slice::from_ref(&tmp), &DiscoverOptions { honour_ignore_files: true, threads: 0 })
                .expect("walk");
        let start = Instant::now();
        let report = check(inputs, &rules, &CheckOptions::default());
        check_times.push(start.elapsed().as_secs_f64());
        findings = report.findings.len();
    }
    let _ = std::fs::remove_dir_all(&tmp);

    let (r, c) = (median(render_times), median(check_times));
    let n = dirs.len() as f64;
    let mut out = String::new();
    out.push_str(&format!(
        "\n{} charts ({} fixture charts × {copies}), {templates} manifest templates, {docs} manifests, {errors} render errors, {findings} findings; median of {runs}\n\n",
        dirs.len(),
        sources.len()
    ));
    out.push_str(
        "| phase | threads | seconds | charts/s | templates/s | manifests/s |\n|---|---|---|---|---|---|\n",
    );
    out.push_str(&format!(
        "| load + render | 1 | {r:.3} | {:.0} | {:.0} | {:.0} |\n",
        n / r,
        templates as f64 / r,
        docs as f64 / r
    ));
    out.push_str(&format!(
        "| full check | all | {c:.3} | {:.0} | {:.0} | {:.0} |\n",
        n / c,
        templates as f64 / c,
        docs as f64 / c
    ));
    let _ = std::io::stdout().lock().write_all(out.as_bytes());
}
