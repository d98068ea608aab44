#!/usr/bin/env python3
"""Instructions each built-in rule costs on its own, counted by callgrind: where the rules' time goes.

    cargo build --release
    cargo bench --bench throughput -- --files 1000 --runs 1      # writes target/bench-corpus/1000
    python3 benches/rule_profile.py                               # ~6 s per rule, one core

Every rule runs alone (`smelt check --select RULE --no-config -j 1 -f json` on the corpus) under
`valgrind --tool=callgrind --toggle-collect='smelt::rules::Rule::run_if'`, so only the instructions
spent inside rules are counted, not the parse. Instruction counts do not depend on the machine's
load, unlike wall time. A rule's count includes what it is the first to build: the pipeline view the
CI rules share, a pattern compiled on first use. So the rules' counts add up to more than the rules'
share of a full run, where each of those is built once. Rules that find nothing to run on count 0.

Prints a Markdown table (rule, kinds, instructions), slowest first, then the totals by the first word
of the rule's name (`k8s`, `tf`, `gha`, `ci`, `gitlab`, the rest as `other`).
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def instructions(smelt: str, rule: str, corpus: Path) -> int:
    """Instructions inside `Rule::run_if` of a check of `corpus` with `rule` alone."""
    cmd = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        "--toggle-collect=smelt::rules::Rule::run_if",
        smelt,
        "check",
        "--no-config",
        "-j",
        "1",
        "-f",
        "json",
        "--select",
        rule,
        str(corpus),
    ]
    done = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if not found:
        sys.exit(f"callgrind gave no count for {rule}:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def family(name: str) -> str:
    first = name.split("-", 1)[0]
    return first if first in ("k8s", "tf", "gha", "ci", "gitlab") else "other"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000, help="corpus size (target/bench-corpus/N)")
    ap.add_argument("--smelt", default=str(ROOT / "target/release/smelt"))
    ap.add_argument("--only", help="comma-separated rule names (default: every built-in rule)")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not on the PATH (Debian: apt-get install valgrind)")
    corpus = ROOT / "target" / "bench-corpus" / str(args.files)
    if not corpus.is_dir():
        sys.exit(f"no corpus at {corpus}: run `cargo bench --bench throughput -- --files {args.files} --runs 1`")
    listed = subprocess.run([args.smelt, "rules", "--format", "json"], capture_output=True, text=True, check=True)
    rules = json.loads(listed.stdout)["rules"]
    if args.only:
        wanted = set(args.only.split(","))
        rules = [r for r in rules if r["name"] in wanted]
    rows = []
    for i, rule in enumerate(rules, 1):
        print(f"[{i}/{len(rules)}] {rule['name']}", file=sys.stderr)
        rows.append((instructions(args.smelt, rule["name"], corpus), rule["name"], ", ".join(rule["kinds"])))
    rows.sort(key=lambda r: (-r[0], r[1]))
    print(f"corpus: {corpus}, `--select` one rule at a time, instructions inside `Rule::run_if`\n")
    print("| rule | kinds | instructions |")
    print("|---|---|---:|")
    for count, name, kinds in rows:
        if count:
            print(f"| `{name}` | {kinds} | {count:,} |")
    idle = [name for count, name, _ in rows if not count]
    if idle:
        print(f"\nFound nothing to run on ({len(idle)}): {', '.join(idle)}")
    totals: dict[str, tuple[int, int]] = {}
    for count, name, _ in rows:
        total, ran = totals.get(family(name), (0, 0))
        totals[family(name)] = (total + count, ran + (1 if count else 0))
    print("\n| family | rules that ran | instructions |")
    print("|---|---:|---:|")
    for fam, (total, ran) in sorted(totals.items(), key=lambda kv: -kv[1][0]):
        print(f"| {fam} | {ran} | {total:,} |")


if __name__ == "__main__":
    main()
