#!/usr/bin/env bash
# Runs one fuzz target for a while: fuzz/run.sh TARGET SECONDS [extra libFuzzer args...]
# Targets: hcl, yaml, gha_expr, check. Crashes land in fuzz/artifacts/TARGET/; the corpus grows in
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
    *) ;;
  esac
fi
exec cargo fuzz run "$target" "$corpus" -- -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 "$@"
