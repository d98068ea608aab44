#!/usr/bin/env python3
"""smelt and zizmor side by side on an unlabelled tree of real pipelines (benches/realworld_workflows.py).

There is no ground truth here: the script lines up both tools' findings per class on (file, line),
using the class mapping of benches/zizmor_compare.py, and prints the agreements and every disagreement
so each can be read and judged by hand (the review is in benches/README.md, "Real-world workflows").

Also times both tools (and actionlint, when on PATH) on the tree: median wall time of --runs runs.

Usage: benches/realworld_compare.py [DIR] [--smelt target/release/smelt] [--list CLASS] [--runs 5]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(__file__))
from zizmor_compare import CLASSES, zizmor_primary  # noqa: E402


def run_smelt(binary, root):
    args = [binary, "check", root, "--no-config", "--format", "json", "--select", ",".join(CLASSES)]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    found = defaultdict(dict)
    for f in json.loads(out.stdout)["findings"]:
        key = (os.path.relpath(f["path"], root), f["line"])
        found[CLASSES[f["name"]]].setdefault(key, []).append(f["message"])
    return found


def run_zizmor(root):
    out = subprocess.run(
        ["zizmor", "--offline", "--format", "json", "--persona", "regular", root],
        capture_output=True, text=True, check=False,
    )
    found = defaultdict(dict)
    for cls, f, loc, path, line in zizmor_primary(out.stdout):
        key = (os.path.relpath(path, root), line)
        found[cls].setdefault(key, []).append(f"{f['ident']}: {f['desc']} ({loc['symbolic']['annotation']})")
    return found


def wall(cmd, runs):
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root", nargs="?", default="/work/realworld")
    ap.add_argument("--smelt", default="target/release/smelt")
    ap.add_argument("--list", action="append", default=[], help="print the disagreements of this class")
    ap.add_argument("--runs", type=int, default=0, help="time each tool this many times (0: no timing)")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    s, z = run_smelt(a.smelt, root), run_zizmor(root)
    print("| class | smelt findings | zizmor findings | same file+line | smelt only | zizmor only | files both flag |")
    print("|---|---|---|---|---|---|---|")
    for cls in dict.fromkeys(CLASSES.values()):
        sk, zk = set(s[cls]), set(z[cls])
        files = {p for p, _ in sk} & {p for p, _ in zk}
        print(f"| {cls} | {len(sk)} | {len(zk)} | {len(sk & zk)} | {len(sk - zk)} | {len(zk - sk)} | {len(files)} |")
        if cls in a.list:
            for key in sorted(sk - zk):
                print(f"  smelt only {key[0]}:{key[1]}: {s[cls][key][0][:160]}")
            for key in sorted(zk - sk):
                print(f"  zizmor only {key[0]}:{key[1]}: {z[cls][key][0][:160]}")
    if a.runs:
        cmds = {
            "smelt (all rules)": [a.smelt, "check", root, "--no-config", "--format", "json"],
            "zizmor --offline": ["zizmor", "--offline", "--format", "json", root],
        }
        if shutil.which("actionlint"):
            wfs = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs
                   if d.endswith(os.path.join(".github", "workflows")) and f.endswith((".yml", ".yaml"))]
            cmds["actionlint"] = ["actionlint", "-no-color", *wfs]
        for name, cmd in cmds.items():
            print(f"{name}: {wall(cmd, a.runs) * 1000:.0f} ms (median of {a.runs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
