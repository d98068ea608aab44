//! A Helm chart of one template rendered with one values file: the template parser, the executor with
//! every Sprig/Helm function, values loading and merging, the source map and manifest splitting.
//! The input is `values.yaml`, a line `---`, then the template (no separator: all template).
#![no_main]
use libfuzzer_sys::fuzz_target;
use smelt::helm::chart::{Chart, ChartFiles};
use smelt::helm::manifests::manifests;
use smelt::helm::render::{RenderOptions, render};
use smelt::helm::sourcemap::{locate, value_origins};
use smelt::helm::template::Limits;
use smelt::span::Span;
use std::sync::Arc;

const CHART: &[u8] = b"apiVersion: v2\nname: fuzz\nversion: 0.1.0\n";
const HELPERS: &[u8] = b"{{- define \"fuzz.name\" -}}{{ default .Chart.Name .Values.nameOverride | trunc 63 }}{{- end -}}\n";

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (values, template) = text.split_once("\n---\n").unwrap_or(("", &text));
    let mut files = ChartFiles::default();
    files.files.insert("Chart.yaml".into(), Arc::from(CHART));
    files.files.insert("values.yaml".into(), Arc::from(values.as_bytes()));
    files.files.insert("templates/_helpers.tpl".into(), Arc::from(HELPERS));
    files.files.insert("templates/t.yaml".into(), Arc::from(template.as_bytes()));
    let Ok(chart) = Chart::from_files(files, "", "") else { return };
    // Small limits keep each execution fast; the limits themselves are what is under test.
    let opts = RenderOptions {
        limits: Limits { max_depth: 40, max_output: 1 << 20, max_steps: 200_000 },
        ..RenderOptions::default()
    };
    let rendered = render(&chart, &opts);
    for t in &rendered.templates {
        let len = t.output.len();
        for at in [0, len / 2, len.saturating_sub(1)] {
            let span = Span::new(at, len);
            let _ = locate(&t.segments, span);
            let _ = value_origins(&t.segments, &t.output, span, &rendered.provenance);
        }
    }
    let _ = manifests(&rendered.templates);
});
