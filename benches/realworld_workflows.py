#!/usr/bin/env python3
"""Collect real CI pipeline files from the source distributions of popular PyPI projects.

Many projects build their sdist with setuptools-scm, hatch-vcs or flit, which put every file tracked by
git into it, `.github/workflows/` included. This script reads the project names in
benches/realworld_projects.txt, asks the PyPI JSON API for each project's latest sdist, streams it, and
extracts only the pipeline files, keeping repo-relative paths:

    .github/workflows/*.y?ml   action.y?ml (anywhere)   .gitlab-ci.yml   .gitlab/ci/**.y?ml

into OUT/<project>/... (default /work/realworld). Nothing else from the archive is written, nothing is
executed. A project whose sdist carries no such file is listed as skipped. The downloaded files are
third-party code: they are a review corpus, never committed to this repository.

Usage: benches/realworld_workflows.py [--out /work/realworld] [--list benches/realworld_projects.txt]
                                      [--jobs 8]
"""

import argparse
import io
import json
import os
import re
import sys
import tarfile
import urllib.parse
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor

WANTED = re.compile(
    r"(^|/)\.github/workflows/[^/]+\.ya?ml$"
    r"|(^|/)action\.ya?ml$"
    r"|(^|/)\.gitlab-ci\.ya?ml$"
    r"|(^|/)\.gitlab/ci/.+\.ya?ml$"
)
MAX_ARCHIVE = 200 * 1024 * 1024


def names(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                yield line


def sdist_url(project):
    api = f"https://pypi.org/pypi/{project}/json"
    with urllib.request.urlopen(api, timeout=60) as r:
        meta = json.load(r)
    for f in meta.get("urls", []):
        if f.get("packagetype") == "sdist":
            # A mirror may answer with URLs relative to the API page.
            return meta["info"]["version"], urllib.parse.urljoin(api, f["url"]), f.get("size", 0)
    return meta["info"]["version"], None, 0


def members(data, url):
    """(repo-relative path, bytes) of every wanted member; the archive's top folder is dropped."""
    if url.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                rel = info.filename.split("/", 1)[-1]
                if not info.is_dir() and WANTED.search(rel):
                    yield rel, z.read(info)
        return
    with tarfile.open(fileobj=io.BytesIO(data)) as t:
        for info in t:
            rel = info.name.split("/", 1)[-1]
            if info.isfile() and WANTED.search(rel):
                f = t.extractfile(info)
                if f is not None:
                    yield rel, f.read()


def safe(rel):
    parts = rel.split("/")
    return not rel.startswith("/") and ".." not in parts


def fetch(project, out):
    try:
        version, url, size = sdist_url(project)
        if url is None:
            return project, version, 0, "no sdist"
        if size > MAX_ARCHIVE:
            return project, version, 0, f"sdist too large ({size} bytes)"
        with urllib.request.urlopen(url, timeout=300) as r:
            data = r.read()
        n = 0
        for rel, body in members(data, url):
            if not safe(rel):
                continue
            dest = os.path.join(out, project, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "wb") as f:
                f.write(body)
            n += 1
        return project, version, n, "" if n else "no pipeline files in sdist"
    except Exception as e:  # noqa: BLE001 - one bad project must not stop the collection
        return project, "?", 0, f"error: {e}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="/work/realworld")
    ap.add_argument("--list", default=os.path.join(os.path.dirname(__file__), "realworld_projects.txt"))
    ap.add_argument("--jobs", type=int, default=8)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    projects = list(dict.fromkeys(names(a.list)))
    with ThreadPoolExecutor(a.jobs) as pool:
        results = list(pool.map(lambda p: fetch(p, a.out), projects))
    kept = [r for r in results if r[2]]
    with open(os.path.join(a.out, "MANIFEST.tsv"), "w", encoding="utf-8") as f:
        f.write("project\tversion\tfiles\tnote\n")
        for project, version, n, note in results:
            f.write(f"{project}\t{version}\t{n}\t{note}\n")
    for project, version, n, note in results:
        if not n:
            print(f"skipped {project} {version}: {note}", file=sys.stderr)
    print(f"{sum(r[2] for r in kept)} pipeline files from {len(kept)} of {len(projects)} projects in {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
