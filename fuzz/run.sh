#!/usr/bin/env bash
# Runs one fuzz target for a while: fuzz/run.sh TARGET SECONDS [extra libFuzzer args...]
# Targets: hcl, yaml, gha_expr, check, helm. Crashes land in fuzz/artifacts/TARGET/; the corpus grows in
# fuzz/corpus/TARGET/ (seeded from fixtures/ on the first run). Neither is committed.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh TARGET SECONDS}
seconds=${2:?usage: fuzz/run.sh TARGET SECONDS}
shift 2
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked
# cargo-fuzz needs nightly flags (-Zsanitizer); this stable toolchain accepts them with RUSTC_BOOTSTRAP.
export RUSTC_BOOTSTRAP=1
corpus=corpus/$target
if [ ! -d "$corpus" ]; then
  mkdir -p "$corpus"
  case $target in
    hcl) find ../fixtures -name '*.tf' -size -64k -exec cp -t "$corpus" {} + 2>/dev/null || true ;;
    yaml | gha_expr) find ../fixtures \( -name '*.yml' -o -name '*.yaml' \) -size -64k -exec cp -t "$corpus" {} + 2>/dev/null || true ;;
    check)
      # The first byte picks the file name (fuzz_targets/check.rs NAMES): 0 main.tf, 3 a workflow, 6 k8s.
      i=0
      for f in $(find ../fixtures -name '*.tf' -size -16k | head -200); do { printf '\000'; cat "$f"; } >"$corpus/tf$i"; i=$((i + 1)); done
      for f in $(find ../fixtures -path '*workflows*' -name '*.yml' -size -16k | head -200); do { printf '\003'; cat "$f"; } >"$corpus/gh$i"; i=$((i + 1)); done
      for f in $(find ../fixtures -path '*k8s*' -name '*.yaml' -size -16k | head -200); do { printf '\006'; cat "$f"; } >"$corpus/k$i"; i=$((i + 1)); done
      ;;
    helm)
      # values.yaml, a `---` line, then one template: every fixture chart template with its values.
      i=0
      for chart in ../fixtures/helm/*/; do
        for t in $(find "$chart/templates" -name '*.yaml' 2>/dev/null); do
          { cat "$chart/values.yaml" 2>/dev/null; printf '\n---\n'; cat "$t"; } >"$corpus/t$i"; i=$((i + 1))
        done
      done
      python3 - "$corpus" <<'PY'
import json, sys
cases = json.load(open("../src/helm/template/testdata/helm_oracle_cases.json"))
for i, c in enumerate(cases):
    open(f"{sys.argv[1]}/oracle{i}", "w").write(json.dumps(c.get("values", {})) + "\n---\n" + c["src"])
PY
      ;;
  esac
fi
exec cargo fuzz run "$target" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 "$@"
