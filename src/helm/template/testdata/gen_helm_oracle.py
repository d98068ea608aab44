"""Regenerates helm_oracle.json: each case rendered by real Helm (helm-python-sdk 0.2.2, Helm SDK v4.2.3).

A test-time tool only: `pip install helm-python-sdk==0.2.2 && python3 gen_helm_oracle.py`. Each case is
{name, src, values?, files?}; `src` is rendered as templates/t.txt of a chart named `web` (release `rel`,
namespace `ns`), `files` are more templates (e.g. `_helpers.tpl`). The result gets `want` (the output) or
`error` (true when Helm refused to render).
"""
import json, os, shutil, tempfile
import helm_python as helm

here = os.path.dirname(os.path.abspath(__file__))
cases = json.load(open(os.path.join(here, "helm_oracle_cases.json")))
out = []
with tempfile.TemporaryDirectory() as d:
    chart = os.path.join(d, "web")
    for c in cases:
        shutil.rmtree(chart, ignore_errors=True)
        os.makedirs(os.path.join(chart, "templates"))
        open(os.path.join(chart, "Chart.yaml"), "w").write("apiVersion: v2\nname: web\nversion: 0.1.0\n")
        open(os.path.join(chart, "templates", "t.txt"), "w").write(c["src"])
        for name, text in c.get("files", {}).items():
            open(os.path.join(chart, "templates", name), "w").write(text)
        r = dict(c)
        try:
            rendered = helm.Chart.load(chart).render(c.get("values", {}), name="rel", namespace="ns", is_install=True)
            r["want"] = rendered["web/templates/t.txt"]
        except Exception as e:  # noqa: BLE001 - any render failure is an expected error
            r["error"] = True
            r["helm_error"] = str(e)
        out.append(r)
json.dump(out, open(os.path.join(here, "helm_oracle.json"), "w"), indent=1, ensure_ascii=False)
print(f"{len(out)} cases")
