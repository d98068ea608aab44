//! Environment divergence end to end, over the multi-environment repositories in `fixtures/envs/`:
//! every planted divergence is reported on its line, at the environment that drifted, with the other
//! environments as related locations; the deliberate differences (sizes, replica counts, names) are
//! not reported. Also: `smelt envs`, declared environments, the rule's options, suppressions, and the
//! same findings with `--shard` and `--cache`.

#[path = "support/cli.rs"]
mod cli;

use cli::{copy_dir, json, root, smelt, stdout, write};

const RULE: &str = "environment-divergence";

/// A finding as (path, line, message, related (path, line) pairs).
type Found = (String, u64, String, Vec<(String, u64)>);

fn findings(value: &serde_json::Value) -> Vec<Found> {
    let empty = Vec::new();
    value["findings"]
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|f| f["name"] == RULE && f["suppressed"].is_null())
        .map(|f| {
            let related = f["related"]
                .as_array()
                .unwrap_or(&empty)
                .iter()
                .map(|r| (r["path"].as_str().unwrap_or("").to_string(), r["line"].as_u64().unwrap_or(0)))
                .collect();
            (
                f["path"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["message"].as_str().unwrap_or("").to_string(),
                related,
            )
        })
        .collect()
}

fn check(dir: &std::path::Path, path: &str, extra: &[&str]) -> Vec<Found> {
    let mut args = vec!["check", path, "--format", "json", "--select", RULE];
    args.extend_from_slice(extra);
    let out = smelt(&args, dir);
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", cli::stderr(&out));
    findings(&json(&stdout(&out)))
}

/// Asserts the findings are exactly `planted` — (path, line, paths that must be among the finding's
/// related locations) — and prints them all on failure.
fn assert_planted(found: &[Found], planted: &[(String, u64, Vec<String>)]) {
    let at: Vec<(&str, u64)> = found.iter().map(|(p, l, _, _)| (p.as_str(), *l)).collect();
    let want: Vec<(&str, u64)> = planted.iter().map(|(p, l, _)| (p.as_str(), *l)).collect();
    assert_eq!(at, want, "findings:\n{found:#?}");
    for ((_, _, message, related), (path, line, others)) in found.iter().zip(planted) {
        for other in others {
            assert!(
                related.iter().any(|(p, _)| p == other),
                "{path}:{line} ({message}) has no related location in {other}: {related:?}"
            );
        }
    }
}

fn messages(found: &[Found]) -> Vec<&str> {
    found.iter().map(|f| f.2.as_str()).collect()
}

#[test]
fn terraform_folders() {
    let p = |env: &str, file: &str| format!("fixtures/envs/terraform-folders/envs/{env}/{file}");
    let others = |file: &str| vec![p("staging", file), p("dev", file)];
    let found = check(&root(), "fixtures/envs/terraform-folders", &[]);
    let mut tfvars_and_use = others("terraform.tfvars");
    tfvars_and_use.push(p("prod", "main.tf"));
    assert_planted(
        &found,
        &[
            (p("prod", ".terraform.lock.hcl"), 5, others(".terraform.lock.hcl")),
            (p("prod", "main.tf"), 18, others("main.tf")),
            (p("prod", "main.tf"), 49, others("main.tf")),
            (p("prod", "terraform.tfvars"), 1, tfvars_and_use),
            (p("prod", "versions.tf"), 10, others("versions.tf")),
            (
                p("staging", "terraform.tfvars"),
                3,
                vec![p("staging", "main.tf"), p("prod", "terraform.tfvars"), p("dev", "terraform.tfvars")],
            ),
        ],
    );
    let m = messages(&found);
    assert!(m.contains(&"module.vpc.version: prod runs `5.1.0`; staging and dev run `5.8.1`"), "{m:#?}");
    assert!(
        m.contains(&"helm_release.ingress.version: staging runs `4.9.1`, like prod; dev runs `4.10.0`"),
        "{m:#?}"
    );
    assert!(
        m.contains(&"aws_db_instance.orders.storage_encrypted: prod is unprotected (`false`) where staging and dev are protected (`true`); protected means `true`"),
        "{m:#?}"
    );
}

#[test]
fn terraform_tfvars_are_evaluated_per_environment() {
    let p = |file: &str| format!("fixtures/envs/terraform-tfvars/infra/{file}");
    let found = check(&root(), "fixtures/envs/terraform-tfvars", &[]);
    let all = vec![p("env/staging.tfvars"), p("env/dev.tfvars"), p("main.tf")];
    let staging = vec![p("env/staging.tfvars"), p("main.tf")];
    let prod = p("env/prod.tfvars");
    assert_planted(
        &found,
        &[
            (prod.clone(), 4, all.clone()),
            (prod.clone(), 5, all.clone()),
            (prod.clone(), 8, staging),
            (prod, 9, all),
        ],
    );
    let m = messages(&found);
    assert_eq!(m[0], "aws_eks_cluster.main.version: prod runs `1.28`; staging and dev run `1.29`");
    assert!(m[2].contains("prod is unprotected (`false`) where staging is protected (`true`)"), "{m:#?}");
}

#[test]
fn helm_values_over_the_chart_defaults() {
    let p = |file: &str| format!("fixtures/envs/helm-values/{file}");
    let found = check(&root(), "fixtures/envs/helm-values", &[]);
    let prod = p("charts/shop/values-prod.yaml");
    let overlays = vec![p("charts/shop/values-staging.yaml"), p("charts/shop/values-dev.yaml")];
    let defaults = vec![p("charts/shop/values.yaml")];
    assert_planted(
        &found,
        &[
            (prod.clone(), 4, overlays),
            (prod.clone(), 19, defaults.clone()),
            (prod.clone(), 26, vec![p("charts/shop/values-staging.yaml")]),
            (prod, 30, defaults),
            (p("envs/prod/Chart.yaml"), 7, vec![p("envs/staging/Chart.yaml")]),
        ],
    );
    assert_eq!(found[0].2, "image.tag: prod runs `1.7.3`; staging and dev run `1.8.0`");
}

#[test]
fn pipeline_jobs_by_environment() {
    let found = check(&root(), "fixtures/envs/pipelines", &[]);
    let gh = "fixtures/envs/pipelines/github/.github/workflows/deploy.yml".to_string();
    let gl = "fixtures/envs/pipelines/gitlab/.gitlab-ci.yml".to_string();
    let planted: Vec<(String, u64, Vec<String>)> = [(&gh, 46), (&gh, 52), (&gh, 55), (&gl, 63), (&gl, 66)]
        .into_iter()
        .map(|(f, l)| (f.clone(), l, vec![f.clone()]))
        .collect();
    assert_planted(&found, &planted);
    let related_lines: Vec<u64> = found.iter().map(|f| f.3.first().map_or(0, |r| r.1)).collect();
    // Staging's action, Helm version and chart version; the GitLab template's image and variable.
    assert_eq!(related_lines, [26, 32, 35, 16, 18]);
    assert_eq!(found[3].2, "image `alpine/helm`: production runs `3.11.1`; staging and dev run `3.15.2`");
}

#[test]
fn human_output_snapshot() {
    let out =
        smelt(&["check", "fixtures/envs/terraform-folders", "--select", RULE, "--color", "never"], &root());
    assert_eq!(out.status.code(), Some(1));
    snapshot!("envs-terraform-folders-human", stdout(&out));
}

#[test]
fn smelt_envs_shows_what_was_found() {
    let human = smelt(&["envs", "fixtures/envs/helm-values"], &root());
    assert_eq!(human.status.code(), Some(0), "{}", cli::stderr(&human));
    snapshot!("envs-helm-values", stdout(&human));
    let out = smelt(&["envs", "fixtures/envs/pipelines", "--format", "json"], &root());
    assert_eq!(out.status.code(), Some(0), "{}", cli::stderr(&out));
    let text = stdout(&out);
    let v = json(&text);
    assert_eq!(v["source"], "convention");
    let names: Vec<&str> =
        v["environments"].as_array().into_iter().flatten().filter_map(|e| e["name"].as_str()).collect();
    assert_eq!(names, ["dev", "staging", "production"]);
    snapshot!("envs-pipelines-json", text);
    let none = smelt(&["envs", "fixtures/terraform"], &root());
    assert!(stdout(&none).starts_with("No environments found"), "{}", stdout(&none));
}

/// A copy of a fixture in a temporary folder (with a `.git`, so no smelt.toml above it applies).
fn scratch(fixture: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_dir(&root().join("fixtures/envs").join(fixture), dir.path());
    std::fs::create_dir_all(dir.path().join(".git")).expect("mkdir .git");
    dir
}

#[test]
fn declared_environments_replace_the_convention() {
    let dir = scratch("helm-values");
    // Rename the values files to names no convention knows; declare them instead.
    let c = dir.path().join("charts/shop");
    for (from, to) in
        [("values-staging.yaml", "values-canary.yaml"), ("values-prod.yaml", "values-fleet.yaml")]
    {
        std::fs::rename(c.join(from), c.join(to)).expect("rename");
    }
    std::fs::remove_file(c.join("values-dev.yaml")).expect("rm");
    std::fs::remove_dir_all(dir.path().join("envs")).expect("rm");
    write(
        dir.path(),
        "smelt.toml",
        "[[environments]]\nname = \"canary\"\norder = 1\npaths = [\"charts/shop/values-canary.yaml\"]\n\n[[environments]]\nname = \"fleet\"\norder = 2\npaths = [\"charts/shop/values-fleet.yaml\"]\n",
    );
    let found = check(dir.path(), ".", &[]);
    let at: Vec<(&str, u64)> = found.iter().map(|f| (f.0.as_str(), f.1)).collect();
    assert_eq!(
        at,
        [
            ("charts/shop/values-fleet.yaml", 4),
            ("charts/shop/values-fleet.yaml", 19),
            ("charts/shop/values-fleet.yaml", 26),
            ("charts/shop/values-fleet.yaml", 30)
        ],
        "{found:#?}"
    );
    assert_eq!(found[0].2, "image.tag: fleet runs `1.7.3`; canary runs `1.8.0`");
    let shown = stdout(&smelt(&["envs", "."], dir.path()));
    assert!(shown.starts_with("Environments (declared in smelt.toml)"), "{shown}");
    assert!(shown.contains("canary  order 1  (smelt.toml:1)"), "{shown}");
}

#[test]
fn compared_keys_are_configurable() {
    let dir = scratch("helm-values");
    write(
        dir.path(),
        "smelt.toml",
        "[rules.environment-divergence]\noptions = { ignore = [\"image.tag\", \"readinessProbe\"] }\n",
    );
    let found = check(dir.path(), ".", &[]);
    let at: Vec<(&str, u64)> = found.iter().map(|f| (f.0.as_str(), f.1)).collect();
    assert_eq!(at, [("charts/shop/values-prod.yaml", 26), ("envs/prod/Chart.yaml", 7)], "{found:#?}");
    write(
        dir.path(),
        "smelt.toml",
        "[rules.environment-divergence]\noptions = { protections = [\"tls >\"] }\n",
    );
    let out = smelt(&["check", "."], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(cli::stderr(&out).contains("smelt.toml:2"), "{}", cli::stderr(&out));
}

#[test]
fn suppressions_apply_and_unused_ones_are_reported() {
    let dir = scratch("helm-values");
    let prod = dir.path().join("charts/shop/values-prod.yaml");
    let text = std::fs::read_to_string(&prod).expect("read");
    let text = text.replacen(
        "image:\n  tag: 1.7.3",
        "image:\n  # smelt: ignore[environment-divergence] prod stays on 1.7 until the payment fix ships\n  tag: 1.7.3",
        1,
    );
    std::fs::write(&prod, text).expect("write");
    let staging = dir.path().join("charts/shop/values-staging.yaml");
    let text = std::fs::read_to_string(&staging).expect("read");
    std::fs::write(
        &staging,
        format!("# smelt: ignore[environment-divergence] nothing to silence here\n{text}"),
    )
    .expect("write");
    let out = smelt(&["check", ".", "--format", "json", "--select", RULE], dir.path());
    let v = json(&stdout(&out));
    let all = v["findings"].as_array().cloned().unwrap_or_default();
    let suppressed: Vec<u64> =
        all.iter().filter(|f| !f["suppressed"].is_null()).filter_map(|f| f["line"].as_u64()).collect();
    assert_eq!(suppressed, [5], "{all:#?}");
    assert_eq!(findings(&v).len(), 4);
    let diags = v["errors"].as_array().cloned().unwrap_or_default();
    let unused: Vec<&serde_json::Value> =
        diags.iter().filter(|d| d["code"] == "unused-suppression").collect();
    assert_eq!(unused.len(), 1, "{diags:#?}");
    assert_eq!(unused[0]["path"], "charts/shop/values-staging.yaml");
}

/// A comment's problems are reported once (as for any rule: no reason, and then unused): by the
/// per-unit rules in the files they check, by the comparison in the files only it reads.
#[test]
fn suppression_problems_are_reported_once() {
    let dir = scratch("terraform-folders");
    let main = dir.path().join("envs/dev/main.tf");
    let text = std::fs::read_to_string(&main).expect("read");
    std::fs::write(&main, format!("# smelt: ignore[environment-divergence] dev leads on purpose\n{text}"))
        .expect("write");
    let tfvars = dir.path().join("envs/dev/terraform.tfvars");
    let text = std::fs::read_to_string(&tfvars).expect("read");
    std::fs::write(&tfvars, format!("# smelt: ignore[environment-divergence]\n{text}")).expect("write");
    let out = smelt(&["check", ".", "--format", "json"], dir.path());
    let v = json(&stdout(&out));
    let diags = v["errors"].as_array().cloned().unwrap_or_default();
    let codes: Vec<(&str, &str)> =
        diags.iter().filter_map(|d| Some((d["code"].as_str()?, d["path"].as_str()?))).collect();
    assert_eq!(
        codes,
        [
            ("unused-suppression", "envs/dev/main.tf"),
            ("suppression-without-reason", "envs/dev/terraform.tfvars"),
            ("unused-suppression", "envs/dev/terraform.tfvars"),
        ],
        "{diags:#?}"
    );

    let dir = scratch("helm-values");
    let dev = dir.path().join("charts/shop/values-dev.yaml");
    let text = std::fs::read_to_string(&dev).expect("read");
    std::fs::write(&dev, format!("# smelt: ignore[environment-divergence]\n{text}")).expect("write");
    let v = json(&stdout(&smelt(&["check", ".", "--format", "json"], dir.path())));
    let diags = v["errors"].as_array().cloned().unwrap_or_default();
    let codes: Vec<(&str, &str)> =
        diags.iter().filter_map(|d| Some((d["code"].as_str()?, d["path"].as_str()?))).collect();
    let dev = "charts/shop/values-dev.yaml";
    assert_eq!(codes, [("suppression-without-reason", dev), ("unused-suppression", dev)], "{diags:#?}");
}

/// A pipeline's suppression comments hold in every kind of run. With `--cache` the comparison takes
/// the pipelines' jobs from their entries and parses a pipeline only for its comments; with
/// `--shard` it reads the pipelines itself and keeps only their texts and comments; with both, each
/// shard takes the comparison from its own cache once warm.
#[test]
fn pipeline_suppressions_hold_with_cache_and_shards() {
    let dir = scratch("pipelines");
    let gitlab = dir.path().join("gitlab/.gitlab-ci.yml");
    let text = std::fs::read_to_string(&gitlab).expect("read");
    let text = text.replacen(
        "  image: alpine/helm:3.11.1\n",
        "  # smelt: ignore[environment-divergence] production waits for the 3.15 rollout review\n  image: alpine/helm:3.11.1\n",
        1,
    );
    let text = text.replacen(
        "deploy-dev:\n",
        "# smelt: ignore[environment-divergence] nothing diverges on this line\ndeploy-dev:\n",
        1,
    );
    std::fs::write(&gitlab, text).expect("write");
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_dir = cache.path().to_string_lossy().to_string();
    let run = |extra: &[&str]| {
        let mut args = vec!["check", ".", "--format", "json", "--select", RULE];
        args.extend_from_slice(extra);
        let v = json(&stdout(&smelt(&args, dir.path())));
        let all = v["findings"].as_array().cloned().unwrap_or_default();
        let suppressed: Vec<(String, u64)> = all
            .iter()
            .filter(|f| !f["suppressed"].is_null())
            .filter_map(|f| Some((f["path"].as_str()?.to_string(), f["line"].as_u64()?)))
            .collect();
        let unused: Vec<(String, u64)> = v["errors"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|d| d["code"] == "unused-suppression")
            .filter_map(|d| Some((d["path"].as_str()?.to_string(), d["line"].as_u64()?)))
            .collect();
        (findings(&v), suppressed, unused)
    };
    let plain = run(&[]);
    let gl = "gitlab/.gitlab-ci.yml".to_string();
    assert_eq!(plain.1, [(gl.clone(), 65)], "{plain:#?}");
    assert_eq!(plain.2, [(gl, 45)], "{plain:#?}");
    assert_eq!(plain.0.len(), 4, "{plain:#?}");
    assert_eq!(run(&["--cache", &cache_dir]), plain, "cold cache");
    assert_eq!(run(&["--cache", &cache_dir]), plain, "warm cache");
    let mut sharded = (Vec::new(), Vec::new(), Vec::new());
    for k in 1..=2 {
        let (f, s, u) = run(&["--shard", &format!("{k}/2")]);
        sharded.0.extend(f);
        sharded.1.extend(s);
        sharded.2.extend(u);
    }
    sharded.0.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    assert_eq!(sharded, plain, "two shards");
    // Each shard with its own cache: cold, then warm (the comparison from the cache).
    for round in ["cold", "warm"] {
        let mut sharded = (Vec::new(), Vec::new(), Vec::new());
        for k in 1..=2 {
            let shard_cache = format!("{cache_dir}/shard-{k}");
            let (f, s, u) = run(&["--shard", &format!("{k}/2"), "--cache", &shard_cache]);
            sharded.0.extend(f);
            sharded.1.extend(s);
            sharded.2.extend(u);
        }
        sharded.0.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        assert_eq!(sharded, plain, "two shards with a {round} cache each");
    }
}

#[test]
fn shards_together_find_what_one_run_finds() {
    let dir = root();
    let full = check(&dir, "fixtures/envs", &[]);
    assert_eq!(full.len(), 20, "{full:#?}");
    let mut sharded: Vec<Found> = Vec::new();
    for k in 1..=3 {
        let shard = format!("{k}/3");
        sharded.extend(check(&dir, "fixtures/envs", &["--shard", &shard]));
    }
    sharded.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    assert_eq!(sharded, full);
}

#[test]
fn cached_runs_find_the_same() {
    let cache = tempfile::tempdir().expect("tempdir");
    let cache_dir = cache.path().to_string_lossy().to_string();
    let plain = check(&root(), "fixtures/envs", &[]);
    let first = check(&root(), "fixtures/envs", &["--cache", &cache_dir]);
    let second = check(&root(), "fixtures/envs", &["--cache", &cache_dir]);
    assert_eq!(first, plain);
    assert_eq!(second, plain);
}

#[test]
fn sarif_carries_the_related_locations() {
    let out = smelt(&["check", "fixtures/envs/pipelines", "--format", "sarif", "--select", RULE], &root());
    let v = json(&stdout(&out));
    let results = v["runs"][0]["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), 5);
    assert!(
        results.iter().all(|r| r["relatedLocations"].as_array().is_some_and(|a| !a.is_empty())),
        "{results:#?}"
    );
}

#[test]
fn a_baseline_covers_the_divergences() {
    let dir = scratch("pipelines");
    let write = smelt(&["check", ".", "--select", RULE, "--write-baseline", "baseline.json"], dir.path());
    assert_eq!(write.status.code(), Some(0), "{}", cli::stderr(&write));
    let out = smelt(&["check", ".", "--select", RULE, "--baseline", "baseline.json"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
}

#[test]
fn kubernetes_overlays_per_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join(".git")).expect("mkdir .git");
    let deployment = |ns: &str, replicas: u32, tag: &str, probe: bool| {
        let probe = if probe {
            "\n          readinessProbe:\n            httpGet: {path: /healthz, port: 8080}"
        } else {
            ""
        };
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  replicas: {replicas}\n  template:\n    spec:\n      containers:\n        - name: web\n          image: ghcr.io/acme/web:{tag}{probe}\n"
        )
    };
    write(dir.path(), "overlays/staging/deployment.yaml", &deployment("web-staging", 2, "1.4.0", true));
    write(dir.path(), "overlays/prod/deployment.yaml", &deployment("web-prod", 6, "1.3.9", false));
    let found = check(dir.path(), ".", &[]);
    let at: Vec<(&str, u64, &str)> = found.iter().map(|f| (f.0.as_str(), f.1, f.2.as_str())).collect();
    assert_eq!(
        at,
        [
            (
                "overlays/prod/deployment.yaml",
                11,
                "Deployment/web spec.template.spec.containers.web.readinessProbe: prod is unprotected (not set) where staging is protected (set)"
            ),
            (
                "overlays/prod/deployment.yaml",
                12,
                "Deployment/web spec.template.spec.containers.web.image: prod runs `ghcr.io/acme/web:1.3.9`; staging runs `ghcr.io/acme/web:1.4.0`"
            ),
        ]
    );
}
