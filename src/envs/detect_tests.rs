use super::*;

fn candidates(paths: &[&str]) -> Vec<Candidate> {
    paths
        .iter()
        .map(|p| {
            let kind = if p.ends_with(".tf") {
                Kind::Terraform
            } else if p.ends_with(".tfvars") {
                Kind::TerraformVars
            } else if p.ends_with("Chart.yaml") {
                Kind::Chart
            } else {
                Kind::Yaml
            };
            Candidate { path: p.to_string(), kind }
        })
        .collect()
}

/// (kind, label, shared, [(env, files)]) of a compared group.
type Shown = (GroupKind, String, Vec<String>, Vec<(String, Vec<String>)>);

fn groups(d: &Detection) -> Vec<Shown> {
    d.groups
        .iter()
        .filter(|g| g.compared())
        .map(|g| {
            let members = g.members.iter().map(|m| (m.env.clone(), m.files.clone())).collect();
            (g.kind, g.label.clone(), g.shared.clone(), members)
        })
        .collect()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn terraform_folders_per_environment() {
    let c = candidates(&[
        "envs/dev/main.tf",
        "envs/dev/terraform.tfvars",
        "envs/prod/main.tf",
        "envs/prod/prod.tfvars",
        "modules/db/main.tf",
    ]);
    let d = detect(&c, &[], &Settings::default());
    assert_eq!(
        groups(&d),
        [(
            GroupKind::TerraformFolders,
            "envs/{env}".to_string(),
            Vec::new(),
            vec![
                ("dev".to_string(), strings(&["envs/dev/main.tf", "envs/dev/terraform.tfvars"])),
                ("prod".to_string(), strings(&["envs/prod/main.tf", "envs/prod/prod.tfvars"])),
            ]
        )]
    );
    let names: Vec<(&str, i64)> = d.environments.iter().map(|e| (e.name.as_str(), e.order)).collect();
    assert_eq!(names, [("dev", 0), ("prod", 3)]);
}

#[test]
fn one_module_with_variable_files_per_environment() {
    let c = candidates(&[
        "infra/main.tf",
        "infra/terraform.tfvars",
        "infra/staging.auto.tfvars",
        "infra/vars/staging.tfvars",
        "infra/vars/production.tfvars",
    ]);
    let d = detect(&c, &[], &Settings::default());
    assert_eq!(
        groups(&d),
        [(
            GroupKind::TerraformVars,
            "infra".to_string(),
            strings(&["infra/main.tf", "infra/staging.auto.tfvars", "infra/terraform.tfvars"]),
            vec![
                ("staging".to_string(), strings(&["infra/vars/staging.tfvars"])),
                ("production".to_string(), strings(&["infra/vars/production.tfvars"])),
            ]
        )]
    );
}

#[test]
fn values_files_over_their_chart_defaults() {
    let c = candidates(&[
        "charts/web/Chart.yaml",
        "charts/web/values.yaml",
        "charts/web/values-staging.yaml",
        "charts/web/values.prod.yaml",
        "charts/web/values_prod.yaml",
        "deploy/pre-prod/values.yaml",
        "deploy/prod-eu/values.yaml",
    ]);
    let d = detect(&c, &[], &Settings::default());
    let found = groups(&d);
    assert_eq!(
        found,
        [(
            GroupKind::Yaml,
            "deploy/{env}/values.yaml".to_string(),
            Vec::new(),
            vec![
                ("pre-prod".to_string(), strings(&["deploy/pre-prod/values.yaml"])),
                ("prod-eu".to_string(), strings(&["deploy/prod-eu/values.yaml"])),
            ]
        )]
    );
    // `values-staging.yaml`, `values.prod.yaml` and `values_prod.yaml` name the same environments
    // differently: each is alone in its role, and says so.
    let alone: Vec<&str> = d.groups.iter().filter(|g| !g.compared()).map(|g| g.label.as_str()).collect();
    assert_eq!(
        alone,
        ["charts/web/values-{env}.yaml", "charts/web/values.{env}.yaml", "charts/web/values_{env}.yaml"]
    );
    assert!(d.groups.iter().filter(|g| !g.compared()).all(|g| g.shared == ["charts/web/values.yaml"]));
}

#[test]
fn declared_environments_by_path() {
    let c = candidates(&["infra/live/main.tf", "infra/stage/main.tf", "infra/blue.tfvars", "infra/main.tf"]);
    let settings = Settings::declared_here(&[
        ("stage", 1, &["infra/stage/**"]),
        ("live", 2, &["infra/live", "infra/blue.tfvars"]),
    ]);
    let d = detect(&c, &[], &settings);
    assert!(d.declared);
    let found = groups(&d);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0].1, "infra/{env}");
    let envs: Vec<(&str, i64, Option<usize>)> =
        d.environments.iter().map(|e| (e.name.as_str(), e.order, e.line)).collect();
    assert_eq!(envs, [("stage", 1, Some(1)), ("live", 2, Some(2))]);
    // `blue.tfvars` belongs to `live` alone: nothing to compare it with.
    let alone: Vec<(&str, &str)> = d
        .groups
        .iter()
        .filter(|g| !g.compared())
        .flat_map(|g| g.members.iter().map(move |m| (g.label.as_str(), m.env.as_str())))
        .collect();
    assert_eq!(alone, [("infra", "live")]);

    // One file per environment, named as the environment or not at all.
    let c = candidates(&["helm/stage.yaml", "helm/live.yaml", "helm/blue.yaml", "helm/other.yaml"]);
    for (stage, live) in [("helm/stage.yaml", "helm/live.yaml"), ("helm/stage.yaml", "helm/blue.yaml")] {
        let settings = Settings::declared_here(&[("stage", 1, &[stage]), ("live", 2, &[live])]);
        let found = groups(&detect(&c, &[], &settings));
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].1, "helm/{env}.yaml");
    }
}

#[test]
fn pipeline_environment_names() {
    let job = |env: &str| JobRef {
        system: "GitLab CI",
        file: ".gitlab-ci.yml".into(),
        job: format!("deploy {env}"),
        environment: env.into(),
    };
    let jobs = [job("staging"), job("production/eu"), job("review/$CI_COMMIT_REF_SLUG"), job("docs")];
    let d = detect(&[], &jobs, &Settings::default());
    let found = groups(&d);
    assert_eq!(found.len(), 1);
    let envs: Vec<&str> = found[0].3.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(envs, ["staging", "production"]);
    // Declared names match by name, or by stage when the declared name is a conventional one.
    let settings = Settings::declared_here(&[("stg", 1, &["x"]), ("prd", 2, &["y"])]);
    let d = detect(&[], &jobs, &settings);
    let envs: Vec<&str> = d.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(envs, ["stg", "prd"]);
}

#[test]
fn pipelines_compare_jobs_of_one_file_or_of_files_named_per_environment() {
    let job = |file: &str, env: &str| JobRef {
        system: "GitHub Actions",
        file: file.into(),
        job: "deploy".into(),
        environment: env.into(),
    };
    let jobs = [
        job(".github/workflows/deploy-staging.yml", "staging"),
        job(".github/workflows/deploy-prod.yml", "production"),
        job(".github/workflows/billing.yml", "production"),
    ];
    let d = detect(&[], &jobs, &Settings::default());
    let labels: Vec<(&str, bool)> = d.groups.iter().map(|g| (g.label.as_str(), g.compared())).collect();
    assert_eq!(
        labels,
        [(".github/workflows/deploy-{env}.yml", true), (".github/workflows/billing.yml", false)]
    );
}
