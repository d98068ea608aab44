#!/usr/bin/env python3
"""smelt and zizmor side by side on the labelled corpus in fixtures/github/corpus.

Not part of CI (zizmor is a peer, never a dependency). Needs `zizmor` on PATH (`pip install
zizmor==1.32.0`; it runs offline with `--offline`) and a built smelt (`cargo build`).

Ground truth is written in the corpus itself: a line ending in `# expect: <rule>` (or `// expect:`
inside JavaScript) is a positive smelt must find; `# known-miss: <rule>` is a positive smelt is known
to miss (each is explained in fixtures/github/corpus/README.md). Every other line is negative.

Findings are compared per class, on (file, line):

| class            | smelt rule                | zizmor audits                                             |
|------------------|---------------------------|-----------------------------------------------------------|
| script injection | gha-script-injection      | template-injection                                        |
| untrusted code   | gha-untrusted-checkout    | dangerous-triggers (on the trigger line: matched per file) |
| permissions      | gha-excessive-permissions | excessive-permissions, secrets-inherit, overprovisioned-secrets |
| unpinned uses    | gha-action-unpinned, image-unpinned | unpinned-uses, unpinned-images                  |

zizmor's `dangerous-triggers` points at the trigger, not at a checkout, so for that class a zizmor
finding counts as found when its file has a labelled positive, and as a false alarm otherwise.

Usage: benches/zizmor_compare.py [--smelt target/debug/smelt] [--config smelt.toml] [--verbose]
"""

import argparse
import json
import os
import re
import subprocess
import sys
from collections import defaultdict

CORPUS = "fixtures/github/corpus"
CLASSES = {
    "gha-script-injection": "script injection",
    "gha-untrusted-checkout": "untrusted code",
    "gha-excessive-permissions": "permissions",
    "gha-action-unpinned": "unpinned uses",
    "image-unpinned": "unpinned uses",
}
ZIZMOR = {
    "template-injection": "script injection",
    "dangerous-triggers": "untrusted code",
    "excessive-permissions": "permissions",
    "secrets-inherit": "permissions",
    "overprovisioned-secrets": "permissions",
    "unpinned-uses": "unpinned uses",
    "unpinned-images": "unpinned uses",
}
MARKER = re.compile(r"(?:#|//) (expect|known-miss): ([\w, -]+)$")


def labels():
    """{class: {(path, line)}} of positives, and the same for known misses."""
    positives, misses = defaultdict(set), defaultdict(set)
    for root, _, files in os.walk(CORPUS):
        for name in sorted(files):
            if not name.endswith((".yml", ".yaml")):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8") as f:
                for i, line in enumerate(f, 1):
                    m = MARKER.search(line.rstrip())
                    if not m:
                        continue
                    for rule in m.group(2).split(","):
                        cls = CLASSES[rule.strip()]
                        positives[cls].add((path, i))
                        if m.group(1) == "known-miss":
                            misses[cls].add((path, i))
    return positives, misses


def smelt(binary, config):
    args = [binary, "check", CORPUS, "--format", "json", "--select", ",".join(CLASSES)]
    args += ["--config", config] if config else ["--no-config"]
    out = subprocess.run(args, capture_output=True, text=True, check=False)
    found = defaultdict(set)
    for f in json.loads(out.stdout)["findings"]:
        found[CLASSES[f["name"]]].add((f["path"], f["line"]))
    return found


def zizmor_primary(stdout):
    """(class, finding, location, path, line) for each primary location of zizmor's JSON findings in
    the classes compared; `path` as zizmor printed it, `line` 1-based."""
    for f in json.loads(stdout):
        cls = ZIZMOR.get(f["ident"])
        if cls is None:
            continue
        for loc in f["locations"]:
            if loc["symbolic"]["kind"] != "Primary":
                continue
            path = loc["symbolic"]["key"]["Local"]["verbatim_path"]
            yield cls, f, loc, path, loc["concrete"]["location"]["start_point"]["row"] + 1


def zizmor():
    out = subprocess.run(
        ["zizmor", "--offline", "--format", "json", CORPUS], capture_output=True, text=True, check=False
    )
    found = defaultdict(set)
    for cls, _, _, path, line in zizmor_primary(out.stdout):
        found[cls].add((os.path.normpath(path), line))
    return found


def score(found, positives, per_file=False):
    """(true positives, false alarms, missed positives)."""
    if per_file:
        files = {p for p, _ in positives}
        tp = {x for x in found if x[0] in files}
        hit_files = {p for p, _ in tp}
        missed = {x for x in positives if x[0] not in hit_files}
        return tp, found - tp, missed
    return found & positives, found - positives, positives - found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smelt", default="target/debug/smelt")
    ap.add_argument("--config")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    positives, misses = labels()
    s, z = smelt(a.smelt, a.config), zizmor()
    print("| class | positives | smelt found | smelt missed | smelt false alarms | zizmor found | zizmor missed | zizmor false alarms | zizmor findings smelt lacks |")
    print("|---|---|---|---|---|---|---|---|---|")
    lacking = []
    for cls in dict.fromkeys(CLASSES.values()):
        pos = {(os.path.normpath(p), l) for p, l in positives[cls]}
        s_found = {(os.path.normpath(p), l) for p, l in s[cls]}
        s_tp, s_fp, s_fn = score(s_found, pos)
        z_tp, z_fp, z_fn = score(z[cls], pos, per_file=cls == "untrusted code")
        if cls == "untrusted code":
            smelt_files = {p for p, _ in s_found}
            lack = {x for x in z[cls] if x[0] not in smelt_files}
        else:
            lack = z[cls] - s_found
        lacking += [(cls, x) for x in sorted(lack)]
        print(f"| {cls} | {len(pos)} | {len(s_tp)} | {len(s_fn)} | {len(s_fp)} | {len(pos) - len(z_fn)} | {len(z_fn)} | {len(z_fp)} | {len(lack)} |")
        if a.verbose:
            for x in sorted(s_fn):
                print(f"  smelt missed {x}{' (known)' if x in misses[cls] else ''}", file=sys.stderr)
            for x in sorted(s_fp):
                print(f"  smelt false alarm {x}", file=sys.stderr)
            for x in sorted(z_fn):
                print(f"  zizmor missed {x}", file=sys.stderr)
            for x in sorted(z_fp):
                print(f"  zizmor false alarm {x}", file=sys.stderr)
    if a.verbose:
        for cls, x in lacking:
            print(f"  zizmor only [{cls}] {x[0]}:{x[1]}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
