//! A deterministic synthetic monorepo for the throughput bench.
//!
//! Everything comes from one seeded SplitMix64 generator, so the corpus for a given file count is
//! byte-identical on every run and every machine. The mix follows a typical infrastructure monorepo:
//! ~43% Terraform (modules of `variables.tf`, `main.tf`, `outputs.tf` and a few extra files), ~22%
//! Kubernetes manifests (multi-document), ~5% Helm charts (copies of the `fixtures/helm` charts, with
//! helpers, a library subchart and nested subcharts), ~20% GitHub Actions workflows and ~10% GitLab CI
//! pipelines.
//! A low rate of real smells (literal passwords, SSH open to the world, `:latest` images, actions
//! pinned by tag, `skip_final_snapshot = true`, `TODO` comments) gives the rules some work to do.

use std::fmt::Write as _;
use std::io;
use std::path::{Path, PathBuf};

/// Bump when the generator changes on purpose. The stamp also carries a hash of the generated
/// content, so an edit that forgets to bump this still regenerates the corpus.
const CORPUS_VERSION: u32 = 2;
const SEED: u64 = 0x5EED_1A7E_2024_0001;
const STAMP: &str = ".corpus-stamp";

/// What [`ensure`] produced.
pub struct Corpus {
    pub root: PathBuf,
    pub files: usize,
    pub bytes: u64,
    pub regenerated: bool,
    /// Files per kind: Terraform, Kubernetes, GitHub workflows, GitLab CI, Helm charts (every file of
    /// a chart: `Chart.yaml`, values, templates, helpers, subcharts).
    pub mix: [usize; 5],
    /// Helm charts.
    pub charts: usize,
}

/// Makes sure `<base>/<files>/` holds the corpus for `files`, writing it only when it is missing or
/// its stamp differs.
pub fn ensure(base: &Path, files: usize) -> io::Result<Corpus> {
    let generated = generate(files);
    let bytes: u64 = generated.iter().map(|(_, t)| t.len() as u64).sum();
    let mut mix = [0; 5];
    for (path, _) in &generated {
        let k = if path.contains("/charts/") {
            4
        } else if path.ends_with(".tf") {
            0
        } else if path.contains("/.github/workflows/") {
            2
        } else if path.ends_with(".gitlab-ci.yml") {
            3
        } else {
            1
        };
        mix[k] += 1;
    }
    let stamp = format!(
        "smelt bench corpus v{CORPUS_VERSION}\nseed {SEED:#x}\nfiles {}\nbytes {bytes}\nhash {:016x}\n",
        generated.len(),
        fnv1a(&generated),
    );
    let root = base.join(files.to_string());
    let stamp_path = root.join(STAMP);
    let current = std::fs::read_to_string(&stamp_path).ok();
    let regenerated = current.as_deref() != Some(stamp.as_str());
    if regenerated {
        if root.exists() {
            std::fs::remove_dir_all(&root)?;
        }
        for (rel, text) in &generated {
            let path = root.join(rel);
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            std::fs::write(&path, text)?;
        }
        // Written last: an interrupted generation has no stamp and is redone next time.
        std::fs::write(&stamp_path, &stamp)?;
    }
    let charts = generated.iter().filter(|(p, _)| p.contains("/charts/") && is_chart_root(p)).count();
    Ok(Corpus { root, files: generated.len(), bytes, regenerated, mix, charts })
}

fn fnv1a(files: &[(String, String)]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (p, t) in files {
        for b in p.bytes().chain([0]).chain(t.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// SplitMix64: tiny, fast and good enough to make varied but reproducible text.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + (self.next() % (hi - lo + 1) as u64) as usize
    }

    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn hex(&mut self, len: usize) -> String {
        (0..len).map(|_| char::from(b"0123456789abcdef"[(self.next() % 16) as usize])).collect()
    }
}

macro_rules! w {
    ($s:expr, $($arg:tt)*) => {{
        let _ = writeln!($s, $($arg)*);
    }};
}

const SERVICES: &[&str] = &[
    "orders",
    "payments",
    "checkout",
    "catalog",
    "search",
    "inventory",
    "billing",
    "identity",
    "notifications",
    "shipping",
    "reporting",
    "gateway",
    "ledger",
    "pricing",
    "reviews",
    "media",
    "analytics",
    "accounts",
];
const ENVS: &[&str] = &["dev", "staging", "prod"];
const REGIONS: &[&str] = &["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-southeast-2"];
const MODULE_KINDS: &[&str] = &["network", "database", "storage", "service", "iam", "edge", "queue", "cache"];
const COMPONENTS: &[&str] =
    &["api", "worker", "web", "scheduler", "consumer", "migrator", "admin", "exporter"];

/// The whole corpus in memory: (relative path, content), in a fixed order.
pub fn generate(files: usize) -> Vec<(String, String)> {
    let tf = files * 43 / 100;
    let gha = files * 20 / 100;
    let gitlab = files * 10 / 100;
    // Whole charts only; Kubernetes manifests take up what is left.
    let (charts, helm) = helm_charts((files * 5 / 100).max(if files >= 100 { 10 } else { 0 }));
    let k8s = files - tf - gha - gitlab - helm;
    let services = files.div_ceil(25).max(1);
    let svc_dir = |i: usize| {
        let s = i % services;
        format!("services/{}-{:03}", SERVICES[s % SERVICES.len()], s)
    };
    let mut rng = Rng::new(SEED ^ (files as u64).wrapping_mul(0x9E37_79B9));
    let mut out = Vec::with_capacity(files);

    // Terraform: modules of 3 to 6 files; the last one may be smaller.
    let mut left = tf;
    let mut m = 0;
    while left > 0 {
        let size = rng.range(3, 6).min(left);
        let kind = rng.pick(MODULE_KINDS);
        let dir = format!("{}/terraform/{}-{}", svc_dir(m), kind, m);
        let mut g = Rng::new(rng.next());
        let names = ["main.tf", "variables.tf", "outputs.tf", "security.tf", "iam.tf", "monitoring.tf"];
        for name in names.iter().take(size) {
            let text = match *name {
                "main.tf" => tf_main(&mut g, kind, m),
                "variables.tf" => tf_variables(&mut g, kind),
                "outputs.tf" => tf_outputs(&mut g, kind),
                "security.tf" => tf_security(&mut g, m),
                "iam.tf" => tf_iam(&mut g, m),
                _ => tf_monitoring(&mut g, m),
            };
            out.push((format!("{dir}/{name}"), text));
        }
        left -= size;
        m += 1;
    }
    for i in 0..k8s {
        let mut g = Rng::new(rng.next());
        let comp = COMPONENTS[(i / services + i) % COMPONENTS.len()];
        out.push((format!("{}/k8s/{}-{}.yaml", svc_dir(i), comp, i), k8s_manifest(&mut g, comp, i)));
    }
    for i in 0..gha {
        let mut g = Rng::new(rng.next());
        let name = ["ci", "release", "deploy", "nightly", "lint", "security"][i % 6];
        out.push((
            format!("{}/.github/workflows/{}-{}.yml", svc_dir(i), name, i),
            gha_workflow(&mut g, name, i),
        ));
    }
    for i in 0..gitlab {
        let mut g = Rng::new(rng.next());
        let comp = COMPONENTS[(i / services + i) % COMPONENTS.len()];
        out.push((format!("{}/{}-{}/.gitlab-ci.yml", svc_dir(i), comp, i), gitlab_ci(&mut g, comp, i)));
    }
    for (i, chart) in charts.iter().enumerate() {
        for (rel, text) in &chart.files {
            out.push((format!("{}/charts/{}-{i}/{rel}", svc_dir(i), chart.name), text.to_string()));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Helm: the fixture charts, copied whole

static HELM_FIXTURES: include_dir::Dir<'static> =
    include_dir::include_dir!("$CARGO_MANIFEST_DIR/fixtures/helm");

struct ChartFiles {
    name: &'static str,
    files: Vec<(&'static str, &'static str)>,
}

fn is_chart_root(path: &str) -> bool {
    // `services/x/charts/<chart>/Chart.yaml`, not a subchart's `.../charts/<chart>/charts/<sub>/Chart.yaml`.
    path.ends_with("/Chart.yaml") && path.matches("/charts/").count() == 1
}

/// The fixture charts in a fixed order, each with its files (relative to the chart folder).
fn fixture_charts() -> Vec<ChartFiles> {
    let mut charts: Vec<ChartFiles> = HELM_FIXTURES
        .dirs()
        .filter(|d| d.get_file(d.path().join("Chart.yaml")).is_some())
        .map(|d| {
            let mut files = Vec::new();
            collect_files(d, d.path(), &mut files);
            files.sort();
            let name = d.path().file_name().and_then(|n| n.to_str()).unwrap_or("chart");
            ChartFiles { name, files }
        })
        .collect();
    charts.sort_by_key(|c| c.name);
    charts
}

fn collect_files(
    dir: &'static include_dir::Dir<'static>,
    base: &Path,
    out: &mut Vec<(&'static str, &'static str)>,
) {
    for f in dir.files() {
        if let (Some(rel), Some(text)) =
            (f.path().strip_prefix(base).ok().and_then(|p| p.to_str()), f.contents_utf8())
        {
            out.push((rel, text));
        }
    }
    dir.dirs().for_each(|d| collect_files(d, base, out));
}

/// Charts (cycling through the fixtures) whose files add up to at most `budget`; their file count.
fn helm_charts(budget: usize) -> (Vec<ChartFiles>, usize) {
    let fixtures = fixture_charts();
    let mut out = Vec::new();
    let mut used = 0;
    loop {
        let before = out.len();
        for chart in &fixtures {
            if used + chart.files.len() <= budget {
                used += chart.files.len();
                out.push(ChartFiles { name: chart.name, files: chart.files.clone() });
            }
        }
        if out.len() == before {
            break;
        }
    }
    (out, used)
}

// ---------------------------------------------------------------------------------------------
// Terraform

fn tf_header(s: &mut String, g: &mut Rng, what: &str) {
    w!(s, "# {what}");
    w!(s, "# Managed by the platform team. Changes go through the infra review board.");
    if g.chance(15) {
        w!(s, "# TODO: split this file once the {} migration lands", g.pick(SERVICES));
    }
    s.push('\n');
}

fn tf_main(g: &mut Rng, kind: &str, m: usize) -> String {
    let mut s = String::new();
    tf_header(&mut s, g, &format!("{kind} module: primary resources"));
    let svc = g.pick(SERVICES);
    w!(s, "locals {{");
    w!(s, "  name_prefix = \"${{var.project}}-${{var.environment}}-{svc}\"");
    w!(s, "  common_tags = merge(var.tags, {{");
    w!(s, "    Service     = \"{svc}\"");
    w!(s, "    Environment = var.environment");
    w!(s, "    ManagedBy   = \"terraform\"");
    w!(s, "    Module      = \"{kind}-{m}\"");
    w!(s, "  }})");
    w!(s, "  is_production = var.environment == \"prod\"");
    w!(s, "  azs           = slice(data.aws_availability_zones.available.names, 0, var.az_count)");
    w!(s, "}}\n");
    w!(s, "data \"aws_availability_zones\" \"available\" {{\n  state = \"available\"\n}}\n");
    w!(s, "data \"aws_caller_identity\" \"current\" {{}}\n");
    let target = g.range(1500, 6000);
    let mut n = 0;
    while s.len() < target {
        // Half the blocks are what the module is about, the rest a mix.
        let focus = match kind {
            "database" => 0,
            "storage" => 1,
            "network" => 2,
            "edge" => 3,
            "iam" => 4,
            _ => 8,
        };
        let pick = if g.chance(50) { focus } else { g.range(0, 8) };
        let block = match pick {
            0 => tf_db(g, n),
            1 => tf_bucket(g, n),
            2 => tf_security_group(g, n),
            3 => tf_lb(g, n),
            4 => tf_policy(g, n),
            5 => tf_module_call(g, n),
            6 => tf_instances(g, n),
            7 => tf_records(g, n),
            _ => tf_queue(g, n),
        };
        s.push_str(&block);
        s.push('\n');
        n += 1;
    }
    s
}

fn tf_bucket(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    let purpose = g.pick(&["artifacts", "logs", "backups", "assets", "exports", "uploads"]);
    w!(s, "resource \"aws_s3_bucket\" \"{purpose}_{n}\" {{");
    w!(s, "  bucket        = \"${{local.name_prefix}}-{purpose}-{n}\"");
    w!(s, "  force_destroy = !local.is_production");
    w!(s, "  tags          = local.common_tags");
    w!(s, "}}\n");
    w!(s, "resource \"aws_s3_bucket_versioning\" \"{purpose}_{n}\" {{");
    w!(s, "  bucket = aws_s3_bucket.{purpose}_{n}.id\n");
    w!(s, "  versioning_configuration {{\n    status = \"Enabled\"\n  }}\n}}\n");
    w!(s, "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"{purpose}_{n}\" {{");
    w!(s, "  bucket = aws_s3_bucket.{purpose}_{n}.id\n");
    w!(s, "  rule {{\n    apply_server_side_encryption_by_default {{");
    w!(s, "      sse_algorithm     = \"aws:kms\"\n      kms_master_key_id = var.kms_key_arn\n    }}");
    w!(s, "    bucket_key_enabled = true\n  }}\n}}\n");
    w!(s, "resource \"aws_s3_bucket_public_access_block\" \"{purpose}_{n}\" {{");
    w!(s, "  bucket                  = aws_s3_bucket.{purpose}_{n}.id");
    w!(s, "  block_public_acls       = true\n  block_public_policy     = true");
    w!(s, "  ignore_public_acls      = true\n  restrict_public_buckets = true\n}}");
    if g.chance(40) {
        w!(s, "\nresource \"aws_s3_bucket_lifecycle_configuration\" \"{purpose}_{n}\" {{");
        w!(s, "  bucket = aws_s3_bucket.{purpose}_{n}.id\n\n  rule {{");
        w!(s, "    id     = \"expire-old-versions\"\n    status = \"Enabled\"\n");
        w!(s, "    noncurrent_version_expiration {{\n      noncurrent_days = {}\n    }}", g.range(7, 90));
        w!(s, "  }}\n}}");
    }
    s
}

fn tf_security_group(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    let role = g.pick(&["app", "bastion", "db", "cache", "alb", "workers"]);
    w!(s, "resource \"aws_security_group\" \"{role}_{n}\" {{");
    w!(s, "  name_prefix = \"${{local.name_prefix}}-{role}-\"");
    w!(s, "  description = \"Traffic rules for the {role} tier\"");
    w!(s, "  vpc_id      = var.vpc_id\n");
    for _ in 0..g.range(1, 4) {
        let port = g.pick(&["443", "5432", "6379", "8080", "3306", "9090"]);
        w!(s, "  ingress {{");
        w!(s, "    description     = \"{role} from internal services\"");
        w!(s, "    from_port       = {port}\n    to_port         = {port}\n    protocol        = \"tcp\"");
        if g.chance(50) {
            w!(s, "    security_groups = [var.source_security_group_id]");
        } else {
            w!(s, "    cidr_blocks     = [var.vpc_cidr, \"10.{}.0.0/16\"]", g.range(0, 255));
        }
        w!(s, "  }}\n");
    }
    if g.chance(6) {
        // The classic: SSH open to the internet "for debugging".
        w!(s, "  ingress {{");
        w!(s, "    description = \"ssh for debugging\"");
        w!(s, "    from_port   = 22\n    to_port     = 22\n    protocol    = \"tcp\"");
        w!(s, "    cidr_blocks = [\"0.0.0.0/0\"]\n  }}\n");
    }
    if g.chance(30) {
        w!(s, "  dynamic \"ingress\" {{");
        w!(s, "    for_each = var.extra_ingress_rules");
        w!(s, "    content {{");
        w!(s, "      from_port   = ingress.value.port\n      to_port     = ingress.value.port");
        w!(s, "      protocol    = lookup(ingress.value, \"protocol\", \"tcp\")");
        w!(s, "      cidr_blocks = ingress.value.cidr_blocks\n    }}\n  }}\n");
    }
    w!(s, "  egress {{\n    from_port   = 0\n    to_port     = 0\n    protocol    = \"-1\"");
    w!(s, "    cidr_blocks = [\"0.0.0.0/0\"]\n  }}\n");
    w!(s, "  lifecycle {{\n    create_before_destroy = true\n  }}\n");
    w!(s, "  tags = merge(local.common_tags, {{ Name = \"${{local.name_prefix}}-{role}\" }})\n}}");
    s
}

fn tf_db(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    let engine = g.pick(&["postgres", "mysql"]);
    let version =
        if engine == "postgres" { g.pick(&["15.5", "16.2", "14.10"]) } else { g.pick(&["8.0.35", "8.0.36"]) };
    w!(s, "resource \"aws_db_subnet_group\" \"db_{n}\" {{");
    w!(
        s,
        "  name       = \"${{local.name_prefix}}-db-{n}\"\n  subnet_ids = var.private_subnet_ids\n  tags       = local.common_tags\n}}\n"
    );
    w!(s, "resource \"aws_db_instance\" \"db_{n}\" {{");
    w!(s, "  identifier              = \"${{local.name_prefix}}-{engine}-{n}\"");
    w!(s, "  engine                  = \"{engine}\"\n  engine_version          = \"{version}\"");
    w!(s, "  instance_class          = var.db_instance_class");
    w!(
        s,
        "  allocated_storage       = {}\n  max_allocated_storage   = {}",
        g.range(20, 200),
        g.range(200, 1000)
    );
    w!(s, "  storage_encrypted       = true\n  kms_key_id              = var.kms_key_arn");
    w!(s, "  db_subnet_group_name    = aws_db_subnet_group.db_{n}.name");
    w!(s, "  vpc_security_group_ids  = [var.db_security_group_id]");
    w!(s, "  multi_az                = local.is_production");
    w!(s, "  backup_retention_period = local.is_production ? 14 : 1");
    w!(s, "  username                = \"{}\"", g.pick(&["app", "orders_svc", "svc_owner", "service"]));
    if g.chance(5) {
        w!(s, "  password                = \"Pr0d-{}!\"", g.hex(10));
    } else {
        w!(s, "  password                = var.db_password");
    }
    if g.chance(10) {
        w!(s, "  skip_final_snapshot     = true");
    } else {
        w!(s, "  skip_final_snapshot       = false");
        w!(s, "  final_snapshot_identifier = \"${{local.name_prefix}}-{engine}-{n}-final\"");
    }
    w!(s, "  deletion_protection     = local.is_production");
    w!(s, "  performance_insights_enabled = true");
    w!(s, "  tags = local.common_tags\n}}");
    s
}

fn tf_policy(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    let what = g.pick(&["read-artifacts", "write-logs", "publish-events", "decrypt", "consume-queue"]);
    w!(s, "resource \"aws_iam_policy\" \"policy_{n}\" {{");
    w!(s, "  name        = \"${{local.name_prefix}}-{what}-{n}\"");
    w!(s, "  description = \"Lets the service {what}\"");
    w!(s, "  policy = jsonencode({{");
    w!(s, "    Version = \"2012-10-17\"\n    Statement = [");
    for i in 0..g.range(1, 3) {
        let actions = g.pick(&[
            "\"s3:GetObject\", \"s3:ListBucket\"",
            "\"logs:CreateLogStream\", \"logs:PutLogEvents\"",
            "\"sqs:ReceiveMessage\", \"sqs:DeleteMessage\", \"sqs:GetQueueAttributes\"",
            "\"kms:Decrypt\", \"kms:GenerateDataKey\"",
            "\"sns:Publish\"",
        ]);
        w!(s, "      {{\n        Sid      = \"Stmt{n}x{i}\"\n        Effect   = \"Allow\"");
        w!(s, "        Action   = [{actions}]");
        w!(
            s,
            "        Resource = [\"arn:aws:s3:::${{local.name_prefix}}-*\", \"arn:aws:s3:::${{local.name_prefix}}-*/*\"]"
        );
        if g.chance(30) {
            w!(
                s,
                "        Condition = {{\n          StringEquals = {{ \"aws:PrincipalAccount\" = data.aws_caller_identity.current.account_id }}\n        }}"
            );
        }
        w!(s, "      }},");
    }
    w!(s, "    ]\n  }})\n  tags = local.common_tags\n}}\n");
    w!(s, "resource \"aws_iam_role_policy_attachment\" \"policy_{n}\" {{");
    w!(s, "  role       = var.service_role_name\n  policy_arn = aws_iam_policy.policy_{n}.arn\n}}");
    s
}

fn tf_lb(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    w!(s, "resource \"aws_lb\" \"lb_{n}\" {{");
    w!(s, "  name               = substr(\"${{local.name_prefix}}-{n}\", 0, 32)");
    w!(s, "  internal           = {}\n  load_balancer_type = \"application\"", g.chance(50));
    w!(s, "  security_groups    = [var.alb_security_group_id]\n  subnets            = var.public_subnet_ids");
    w!(s, "  drop_invalid_header_fields = true\n  tags = local.common_tags\n}}\n");
    w!(s, "resource \"aws_lb_target_group\" \"tg_{n}\" {{");
    w!(
        s,
        "  name_prefix = \"tg{n}\"\n  port        = {}\n  protocol    = \"HTTP\"\n  vpc_id      = var.vpc_id\n  target_type = \"ip\"\n",
        g.pick(&["8080", "3000", "9000"])
    );
    w!(
        s,
        "  health_check {{\n    path                = \"/healthz\"\n    healthy_threshold   = 2\n    unhealthy_threshold = 3\n    interval            = 15\n  }}\n}}\n"
    );
    w!(s, "resource \"aws_lb_listener\" \"https_{n}\" {{");
    w!(
        s,
        "  load_balancer_arn = aws_lb.lb_{n}.arn\n  port              = 443\n  protocol          = \"HTTPS\""
    );
    w!(
        s,
        "  ssl_policy        = \"ELBSecurityPolicy-TLS13-1-2-2021-06\"\n  certificate_arn   = var.certificate_arn\n"
    );
    w!(
        s,
        "  default_action {{\n    type             = \"forward\"\n    target_group_arn = aws_lb_target_group.tg_{n}.arn\n  }}\n}}\n"
    );
    w!(s, "resource \"aws_lb_listener\" \"http_{n}\" {{");
    w!(
        s,
        "  load_balancer_arn = aws_lb.lb_{n}.arn\n  port              = 80\n  protocol          = \"HTTP\"\n"
    );
    if g.chance(8) {
        w!(
            s,
            "  default_action {{\n    type             = \"forward\"\n    target_group_arn = aws_lb_target_group.tg_{n}.arn\n  }}\n}}"
        );
    } else {
        w!(
            s,
            "  default_action {{\n    type = \"redirect\"\n\n    redirect {{\n      port        = \"443\"\n      protocol    = \"HTTPS\"\n      status_code = \"HTTP_301\"\n    }}\n  }}\n}}"
        );
    }
    s
}

fn tf_module_call(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    let (name, source) = *[
        ("vpc", "terraform-aws-modules/vpc/aws"),
        ("eks_node_group", "../../shared/eks-node-group"),
        ("redis", "git::https://git.example.com/platform/terraform-redis.git?ref=v3.2.1"),
        ("dns", "../../shared/dns"),
    ]
    .get(g.range(0, 3))
    .unwrap_or(&("dns", "../../shared/dns"));
    w!(s, "module \"{name}_{n}\" {{");
    w!(s, "  source  = \"{source}\"");
    if !source.starts_with('.') && !source.starts_with("git::") {
        w!(s, "  version = \"~> {}.{}\"", g.range(3, 5), g.range(0, 9));
    }
    w!(s, "\n  name        = \"${{local.name_prefix}}-{name}\"\n  environment = var.environment");
    w!(s, "  azs         = local.azs");
    w!(s, "  cidr        = cidrsubnet(var.vpc_cidr, 4, {})", g.range(0, 15));
    w!(s, "  private_subnets = [for i, az in local.azs : cidrsubnet(var.vpc_cidr, 8, i)]");
    w!(s, "  enable_feature  = var.environment != \"dev\"");
    w!(s, "  tags            = local.common_tags\n}}");
    s
}

fn tf_instances(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    w!(s, "resource \"aws_instance\" \"node_{n}\" {{");
    w!(s, "  count                  = var.node_count");
    w!(
        s,
        "  ami                    = var.ami_id\n  instance_type          = \"{}\"",
        g.pick(&["t3.medium", "m6i.large", "c6i.xlarge"])
    );
    w!(s, "  subnet_id              = element(var.private_subnet_ids, count.index)");
    w!(s, "  vpc_security_group_ids = [var.app_security_group_id]");
    w!(s, "  iam_instance_profile   = var.instance_profile_name\n");
    w!(s, "  metadata_options {{\n    http_tokens = \"required\"\n  }}\n");
    w!(s, "  user_data = <<-EOT");
    w!(s, "    #!/bin/bash\n    set -euo pipefail");
    w!(s, "    echo \"node ${{count.index}} of ${{var.node_count}}\" > /etc/motd");
    w!(s, "    yum install -y amazon-cloudwatch-agent");
    w!(s, "    systemctl enable --now amazon-cloudwatch-agent");
    w!(s, "  EOT\n");
    w!(
        s,
        "  tags = merge(local.common_tags, {{ Name = \"${{local.name_prefix}}-node-${{count.index}}\" }})\n}}"
    );
    s
}

fn tf_records(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    w!(s, "/* Public names for the service; one record per entry of var.hostnames. */");
    w!(s, "resource \"aws_route53_record\" \"records_{n}\" {{");
    w!(s, "  for_each = toset(var.hostnames)\n");
    w!(
        s,
        "  zone_id = var.zone_id\n  name    = each.value\n  type    = \"CNAME\"\n  ttl     = {}",
        g.pick(&["60", "300", "3600"])
    );
    w!(s, "  records = [var.target_dns_name]\n}}");
    if g.chance(20) {
        w!(s, "\nresource \"tls_private_key\" \"signing_{n}\" {{");
        w!(s, "  algorithm = \"RSA\"\n  rsa_bits  = {}\n}}", if g.chance(20) { 1024 } else { 4096 });
    }
    s
}

fn tf_queue(g: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    w!(s, "// Work queue with a dead-letter queue after {} attempts.", g.range(3, 10));
    w!(s, "resource \"aws_sqs_queue\" \"dlq_{n}\" {{");
    w!(
        s,
        "  name                      = \"${{local.name_prefix}}-dlq-{n}\"\n  message_retention_seconds = 1209600"
    );
    w!(s, "  kms_master_key_id         = var.kms_key_arn\n}}\n");
    w!(s, "resource \"aws_sqs_queue\" \"queue_{n}\" {{");
    w!(
        s,
        "  name                       = \"${{local.name_prefix}}-{n}\"\n  visibility_timeout_seconds = {}",
        g.range(30, 900)
    );
    w!(s, "  kms_master_key_id          = var.kms_key_arn");
    w!(
        s,
        "  redrive_policy = jsonencode({{\n    deadLetterTargetArn = aws_sqs_queue.dlq_{n}.arn\n    maxReceiveCount     = 5\n  }})"
    );
    w!(s, "  tags = local.common_tags\n}}");
    s
}

fn tf_variables(g: &mut Rng, kind: &str) -> String {
    let mut s = String::new();
    tf_header(&mut s, g, &format!("{kind} module: inputs"));
    let fixed: &[(&str, &str, &str)] = &[
        ("project", "string", ""),
        ("environment", "string", ""),
        ("vpc_id", "string", ""),
        ("vpc_cidr", "string", "\"10.0.0.0/16\""),
        ("az_count", "number", "3"),
        ("kms_key_arn", "string", ""),
        ("tags", "map(string)", "{}"),
        ("private_subnet_ids", "list(string)", "[]"),
        ("public_subnet_ids", "list(string)", "[]"),
        ("db_instance_class", "string", "\"db.t4g.medium\""),
        ("node_count", "number", "2"),
        ("hostnames", "list(string)", "[]"),
        ("certificate_arn", "string", ""),
        ("zone_id", "string", ""),
        ("ami_id", "string", ""),
        ("service_role_name", "string", ""),
        ("enable_monitoring", "bool", "true"),
    ];
    let target = g.range(1000, 3500);
    for (name, ty, default) in fixed {
        if s.len() >= target {
            break;
        }
        w!(s, "variable \"{name}\" {{");
        w!(s, "  description = \"{} for the {kind} module.\"", name.replace('_', " "));
        w!(s, "  type        = {ty}");
        if !default.is_empty() {
            w!(s, "  default     = {default}");
        }
        if *name == "environment" {
            w!(s, "\n  validation {{");
            w!(s, "    condition     = contains([\"dev\", \"staging\", \"prod\"], var.environment)");
            w!(s, "    error_message = \"environment must be one of dev, staging or prod.\"\n  }}");
        }
        w!(s, "}}\n");
    }
    w!(
        s,
        "variable \"db_password\" {{\n  description = \"Master password, from the secret store.\"\n  type        = string\n  sensitive   = true\n}}\n"
    );
    w!(s, "variable \"extra_ingress_rules\" {{");
    w!(s, "  description = \"Additional ingress rules.\"");
    w!(
        s,
        "  type = list(object({{\n    port        = number\n    protocol    = optional(string, \"tcp\")\n    cidr_blocks = list(string)\n  }}))"
    );
    w!(s, "  default = []\n}}");
    s
}

fn tf_outputs(g: &mut Rng, kind: &str) -> String {
    let mut s = String::new();
    tf_header(&mut s, g, &format!("{kind} module: outputs"));
    let target = g.range(600, 2000);
    let mut i = 0;
    while s.len() < target {
        let (name, value) = match i % 5 {
            0 => ("name_prefix", "local.name_prefix".to_string()),
            1 => ("account_id", "data.aws_caller_identity.current.account_id".to_string()),
            2 => ("availability_zones", "local.azs".to_string()),
            3 => ("tags", "local.common_tags".to_string()),
            _ => ("is_production", "local.is_production".to_string()),
        };
        w!(s, "output \"{name}_{i}\" {{");
        w!(s, "  description = \"The module's {}.\"", name.replace('_', " "));
        w!(s, "  value       = {value}");
        if g.chance(10) {
            w!(s, "  sensitive   = true");
        }
        w!(s, "}}\n");
        i += 1;
    }
    s
}

fn tf_security(g: &mut Rng, m: usize) -> String {
    let mut s = String::new();
    tf_header(&mut s, g, "network access");
    let target = g.range(1200, 3500);
    let mut n = 0;
    while s.len() < target {
        s.push_str(&tf_security_group(g, m * 10 + n));
        s.push('\n');
        n += 1;
    }
    s
}

fn tf_iam(g: &mut Rng, m: usize) -> String {
    let mut s = String::new();
    tf_header(&mut s, g, "IAM");
    let target = g.range(1200, 3000);
    let mut n = 0;
    while s.len() < target {
        s.push_str(&tf_policy(g, m * 10 + n));
        s.push('\n');
        n += 1;
    }
    s
}

fn tf_monitoring(g: &mut Rng, m: usize) -> String {
    let mut s = String::new();
    tf_header(&mut s, g, "alarms and dashboards");
    let target = g.range(1000, 2500);
    let mut n = 0;
    while s.len() < target {
        let metric =
            g.pick(&["CPUUtilization", "FreeStorageSpace", "5XXError", "ApproximateAgeOfOldestMessage"]);
        w!(s, "resource \"aws_cloudwatch_metric_alarm\" \"alarm_{m}_{n}\" {{");
        w!(s, "  count               = var.enable_monitoring ? 1 : 0");
        w!(s, "  alarm_name          = \"${{local.name_prefix}}-{metric}-{n}\"");
        w!(s, "  comparison_operator = \"GreaterThanThreshold\"\n  evaluation_periods  = {}", g.range(1, 5));
        w!(s, "  metric_name         = \"{metric}\"\n  namespace           = \"AWS/RDS\"");
        w!(
            s,
            "  period              = 300\n  statistic           = \"Average\"\n  threshold           = {}",
            g.range(50, 95)
        );
        w!(
            s,
            "  alarm_actions       = [var.alarm_topic_arn]\n  tags                = local.common_tags\n}}\n"
        );
        n += 1;
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Kubernetes

fn k8s_manifest(g: &mut Rng, comp: &str, i: usize) -> String {
    let mut s = String::new();
    let svc = g.pick(SERVICES);
    let ns = format!("{svc}-{}", g.pick(ENVS));
    let name = format!("{svc}-{comp}");
    let target = g.range(1000, 4000);
    w!(s, "# {name}: generated by the platform templates, then edited by hand.");
    if g.chance(10) {
        w!(s, "# TODO: move these resources into the Helm chart");
    }
    k8s_deployment(&mut s, g, &name, &ns, i);
    let mut extra = 0;
    while s.len() < target {
        s.push_str("---\n");
        match extra % 5 {
            0 => k8s_service(&mut s, g, &name, &ns),
            1 => k8s_configmap(&mut s, g, &name, &ns),
            2 => k8s_rbac(&mut s, g, &name, &ns),
            3 => k8s_hpa(&mut s, g, &name, &ns),
            _ => k8s_configmap(&mut s, g, &format!("{name}-{extra}"), &ns),
        }
        extra += 1;
    }
    s
}

fn k8s_meta(s: &mut String, name: &str, ns: &str) {
    w!(s, "metadata:\n  name: {name}\n  namespace: {ns}");
    w!(
        s,
        "  labels:\n    app.kubernetes.io/name: {name}\n    app.kubernetes.io/part-of: shop\n    app.kubernetes.io/managed-by: kustomize"
    );
}

fn k8s_deployment(s: &mut String, g: &mut Rng, name: &str, ns: &str, i: usize) {
    w!(s, "apiVersion: apps/v1\nkind: Deployment");
    k8s_meta(s, name, ns);
    w!(s, "spec:\n  replicas: {}\n  revisionHistoryLimit: 5", g.range(1, 6));
    w!(s, "  selector:\n    matchLabels:\n      app.kubernetes.io/name: {name}");
    w!(
        s,
        "  strategy:\n    type: RollingUpdate\n    rollingUpdate:\n      maxSurge: 25%\n      maxUnavailable: 0"
    );
    w!(s, "  template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: {name}");
    w!(s, "      annotations:\n        prometheus.io/scrape: \"true\"\n        prometheus.io/port: \"9090\"");
    w!(
        s,
        "    spec:\n      serviceAccountName: {name}\n      securityContext:\n        runAsNonRoot: true\n        fsGroup: 10001"
    );
    w!(s, "      containers:");
    let image = if g.chance(7) {
        "nginx:latest".to_string()
    } else {
        format!("registry.example.com/shop/{name}:{}.{}.{}", g.range(1, 4), g.range(0, 30), g.range(0, 9))
    };
    w!(
        s,
        "        - name: {}\n          image: {image}\n          imagePullPolicy: IfNotPresent",
        name.rsplit('-').next().unwrap_or(name)
    );
    w!(
        s,
        "          ports:\n            - name: http\n              containerPort: 8080\n            - name: metrics\n              containerPort: 9090"
    );
    w!(
        s,
        "          env:\n            - name: LOG_LEVEL\n              value: {}",
        g.pick(&["info", "debug", "warn"])
    );
    w!(s, "            - name: DB_HOST\n              value: {name}-db.{ns}.svc.cluster.local");
    if g.chance(5) {
        w!(s, "            - name: DB_PASSWORD\n              value: \"s3cr3t-{}\"", g.hex(8));
    } else {
        w!(
            s,
            "            - name: DB_PASSWORD\n              valueFrom:\n                secretKeyRef:\n                  name: {name}-db\n                  key: password"
        );
    }
    w!(s, "          envFrom:\n            - configMapRef:\n                name: {name}");
    w!(
        s,
        "          resources:\n            requests:\n              cpu: {}m\n              memory: {}Mi",
        g.range(1, 10) * 50,
        g.range(1, 8) * 128
    );
    w!(s, "            limits:\n              memory: {}Mi", g.range(8, 16) * 128);
    w!(
        s,
        "          readinessProbe:\n            httpGet:\n              path: /readyz\n              port: http\n            periodSeconds: 10"
    );
    w!(
        s,
        "          livenessProbe:\n            httpGet:\n              path: /healthz\n              port: http\n            initialDelaySeconds: {}",
        g.range(5, 30)
    );
    w!(
        s,
        "          securityContext:\n            allowPrivilegeEscalation: false\n            readOnlyRootFilesystem: true"
    );
    w!(s, "            capabilities:\n              drop: [\"ALL\"]");
    if i.is_multiple_of(3) {
        w!(
            s,
            "      tolerations:\n        - key: workload\n          operator: Equal\n          value: {ns}\n          effect: NoSchedule"
        );
    }
}

fn k8s_service(s: &mut String, g: &mut Rng, name: &str, ns: &str) {
    w!(s, "apiVersion: v1\nkind: Service");
    k8s_meta(s, name, ns);
    w!(
        s,
        "spec:\n  type: {}\n  selector:\n    app.kubernetes.io/name: {name}",
        g.pick(&["ClusterIP", "ClusterIP", "NodePort"])
    );
    w!(s, "  ports:\n    - name: http\n      port: 80\n      targetPort: http\n      protocol: TCP");
}

fn k8s_configmap(s: &mut String, g: &mut Rng, name: &str, ns: &str) {
    w!(s, "apiVersion: v1\nkind: ConfigMap");
    k8s_meta(s, name, ns);
    w!(
        s,
        "data:\n  FEATURE_FLAGS: \"checkout-v2,fast-search\"\n  CACHE_TTL_SECONDS: \"{}\"",
        g.range(30, 3600)
    );
    w!(s, "  application.yaml: |\n    server:\n      port: 8080\n      shutdown: graceful");
    w!(
        s,
        "    upstreams:\n      - name: {}\n        url: http://{}.{ns}.svc:80\n        timeout: {}s",
        g.pick(SERVICES),
        g.pick(SERVICES),
        g.range(1, 30)
    );
}

fn k8s_rbac(s: &mut String, g: &mut Rng, name: &str, ns: &str) {
    w!(s, "apiVersion: v1\nkind: ServiceAccount");
    k8s_meta(s, name, ns);
    w!(s, "automountServiceAccountToken: false\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: Role");
    k8s_meta(s, name, ns);
    w!(
        s,
        "rules:\n  - apiGroups: [\"\"]\n    resources: [\"configmaps\", \"secrets\"]\n    verbs: [\"get\", \"list\", \"watch\"]"
    );
    w!(
        s,
        "  - apiGroups: [\"coordination.k8s.io\"]\n    resources: [\"leases\"]\n    verbs: [\"get\", \"create\", \"update\"]"
    );
    if g.chance(3) {
        w!(
            s,
            "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata:\n  name: {name}-admin"
        );
        w!(s, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: cluster-admin");
        w!(s, "subjects:\n  - kind: ServiceAccount\n    name: default\n    namespace: {ns}");
    } else {
        w!(s, "---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding");
        k8s_meta(s, name, ns);
        w!(s, "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: {name}");
        w!(s, "subjects:\n  - kind: ServiceAccount\n    name: {name}\n    namespace: {ns}");
    }
}

fn k8s_hpa(s: &mut String, g: &mut Rng, name: &str, ns: &str) {
    w!(s, "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler");
    k8s_meta(s, name, ns);
    w!(s, "spec:\n  scaleTargetRef:\n    apiVersion: apps/v1\n    kind: Deployment\n    name: {name}");
    w!(s, "  minReplicas: {}\n  maxReplicas: {}", g.range(1, 3), g.range(4, 20));
    w!(
        s,
        "  metrics:\n    - type: Resource\n      resource:\n        name: cpu\n        target:\n          type: Utilization\n          averageUtilization: {}",
        g.range(50, 85)
    );
}

// ---------------------------------------------------------------------------------------------
// GitHub Actions

const ACTIONS: &[(&str, &str, &str)] = &[
    ("actions/checkout", "11bd71901bbe5b1630ceea73d27597364c9af683", "v4"),
    ("actions/setup-node", "39370e3970a6d050c480ffad4ff0ed4d3fdee5af", "v4"),
    ("actions/setup-go", "3041bf56c941b39c61721a86cd11f3bb1338122a", "v5"),
    ("actions/cache", "1bd1e32a3bdc45362d1e726936510720a7c30a57", "v4"),
    ("actions/upload-artifact", "6f51ac03b9356f520e9adb1b1b7802705f340c2b", "v4"),
    ("docker/setup-buildx-action", "c47758b77c9736f4b2ef4073d4d51994fabfe349", "v3"),
    ("docker/build-push-action", "48aba3b46d1b1fec4febb7c5d0c644b249a11355", "v6"),
    ("aws-actions/configure-aws-credentials", "e3dd6a429d7300a6a4c196c26e071d42e0343502", "v4"),
];

fn uses(s: &mut String, g: &mut Rng, idx: usize, tagged: bool) {
    let (repo, sha, tag) = ACTIONS[idx % ACTIONS.len()];
    if tagged {
        w!(s, "      - uses: {repo}@{tag}");
    } else {
        w!(s, "      - uses: {repo}@{sha} # {tag}.{}.{}", g.range(0, 3), g.range(0, 9));
    }
}

fn gha_workflow(g: &mut Rng, name: &str, i: usize) -> String {
    let mut s = String::new();
    let svc = g.pick(SERVICES);
    // A small share of workflows still use tags, as many real repositories do.
    let tagged = g.chance(12);
    let target = g.range(1000, 3500);
    w!(s, "name: {svc} {name}\n");
    w!(
        s,
        "on:\n  push:\n    branches: [main]\n    paths:\n      - \"services/{svc}/**\"\n      - \".github/workflows/{name}-{i}.yml\""
    );
    w!(s, "  pull_request:\n    paths:\n      - \"services/{svc}/**\"\n  workflow_dispatch:");
    if name == "nightly" {
        w!(s, "  schedule:\n    - cron: \"{} {} * * *\"", g.range(0, 59), g.range(0, 6));
    }
    w!(s, "\npermissions:\n  contents: read\n  id-token: write\n");
    w!(
        s,
        "concurrency:\n  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}\n  cancel-in-progress: true\n"
    );
    w!(
        s,
        "env:\n  SERVICE: {svc}\n  REGISTRY: ghcr.io/example-shop\n  AWS_REGION: {}\n  NODE_VERSION: \"{}\"",
        g.pick(REGIONS),
        g.pick(&["18", "20", "22"])
    );
    if g.chance(4) {
        w!(s, "  NPM_TOKEN: npm_{}", g.hex(36));
    }
    w!(s, "\njobs:");
    let jobs = ["lint", "test", "build", "integration", "deploy", "scan"];
    let mut j = 0;
    while s.len() < target || j < 2 {
        let job = jobs[j % jobs.len()];
        let job_id = if j < jobs.len() { job.to_string() } else { format!("{job}-{j}") };
        w!(
            s,
            "  {job_id}:\n    name: {job}\n    runs-on: {}",
            g.pick(&["ubuntu-latest", "ubuntu-24.04", "ubuntu-22.04"])
        );
        w!(s, "    timeout-minutes: {}", g.range(5, 60));
        if j > 0 {
            w!(
                s,
                "    needs: [{}]",
                if j - 1 < jobs.len() {
                    jobs[j - 1].to_string()
                } else {
                    format!("{}-{}", jobs[(j - 1) % jobs.len()], j - 1)
                }
            );
        }
        if job == "test" {
            w!(
                s,
                "    strategy:\n      fail-fast: false\n      matrix:\n        os: [ubuntu-latest, macos-latest]\n        node: [18, 20, 22]"
            );
            w!(
                s,
                "        include:\n          - os: ubuntu-latest\n            node: 22\n            coverage: true"
            );
        }
        if job == "integration" {
            let image = if g.chance(15) {
                "postgres:latest".to_string()
            } else {
                format!("postgres:16.{}", g.range(1, 4))
            };
            w!(s, "    services:\n      db:\n        image: {image}\n        ports: [\"5432:5432\"]");
            w!(s, "        env:\n          POSTGRES_PASSWORD: ${{{{ secrets.CI_DB_PASSWORD }}}}");
        }
        if job == "deploy" {
            w!(s, "    environment: {}\n    if: github.ref == 'refs/heads/main'", g.pick(ENVS));
        }
        w!(s, "    steps:");
        uses(&mut s, g, 0, tagged);
        w!(s, "        with:\n          fetch-depth: {}", g.range(0, 1));
        let tag = tagged && g.chance(50);
        uses(&mut s, g, 1, tag);
        w!(s, "        with:\n          node-version: ${{{{ env.NODE_VERSION }}}}\n          cache: npm");
        if job == "build" || job == "deploy" {
            uses(&mut s, g, 7, false);
            w!(
                s,
                "        with:\n          role-to-assume: arn:aws:iam::123456789012:role/{svc}-{job}\n          aws-region: ${{{{ env.AWS_REGION }}}}"
            );
        }
        if job == "build" {
            uses(&mut s, g, 5, false);
            let tag = tagged && g.chance(50);
            uses(&mut s, g, 6, tag);
            w!(
                s,
                "        with:\n          push: ${{{{ github.ref == 'refs/heads/main' }}}}\n          tags: ${{{{ env.REGISTRY }}}}/{svc}:${{{{ github.sha }}}}"
            );
        }
        w!(s, "      - name: Install\n        run: npm ci --prefer-offline");
        w!(s, "      - name: {job}\n        working-directory: services/{svc}\n        env:");
        w!(s, "          CI: \"true\"\n          GITHUB_TOKEN: ${{{{ secrets.GITHUB_TOKEN }}}}");
        w!(s, "        run: |\n          set -euo pipefail\n          echo \"::group::{job} $SERVICE\"");
        match job {
            "lint" => w!(s, "          npm run lint -- --max-warnings=0\n          npm run typecheck"),
            "test" => w!(
                s,
                "          npm test -- --ci --reporters=default --reporters=jest-junit\n          if [ \"${{{{ matrix.coverage }}}}\" = \"true\" ]; then npm run coverage; fi"
            ),
            "build" => w!(
                s,
                "          docker buildx build --platform linux/amd64,linux/arm64 \\\n            -t \"$REGISTRY/$SERVICE:${{GITHUB_SHA::12}}\" .\n          echo \"image=$REGISTRY/$SERVICE:${{GITHUB_SHA::12}}\" >> \"$GITHUB_OUTPUT\""
            ),
            "deploy" => w!(
                s,
                "          kubectl -n \"$SERVICE-prod\" set image deploy/$SERVICE app=\"$REGISTRY/$SERVICE:${{GITHUB_SHA::12}}\"\n          kubectl -n \"$SERVICE-prod\" rollout status deploy/$SERVICE --timeout=10m"
            ),
            _ => w!(
                s,
                "          ./scripts/{job}.sh --service \"$SERVICE\" --region \"$AWS_REGION\"\n          test -f report.json && jq '.summary' report.json"
            ),
        }
        w!(s, "          echo \"::endgroup::\"");
        if g.chance(30) {
            uses(&mut s, g, 4, false);
            w!(
                s,
                "        if: always()\n        with:\n          name: {job}-report-${{{{ github.run_id }}}}\n          path: services/{svc}/reports/\n          retention-days: 7"
            );
        }
        s.push('\n');
        j += 1;
    }
    s
}

// ---------------------------------------------------------------------------------------------
// GitLab CI

fn gitlab_ci(g: &mut Rng, comp: &str, i: usize) -> String {
    let mut s = String::new();
    let svc = g.pick(SERVICES);
    let target = g.range(1000, 4000);
    w!(s, "# CI for {svc}/{comp} ({i})");
    if g.chance(10) {
        w!(s, "# TODO: drop the legacy deploy job after the cut-over");
    }
    w!(
        s,
        "include:\n  - project: platform/ci-templates\n    ref: v{}.{}.0\n    file: /templates/docker.yml",
        g.range(1, 3),
        g.range(0, 20)
    );
    w!(s, "\nstages:\n  - lint\n  - test\n  - build\n  - deploy\n");
    w!(
        s,
        "variables:\n  SERVICE: {svc}-{comp}\n  DOCKER_DRIVER: overlay2\n  GIT_DEPTH: \"{}\"",
        g.range(1, 50)
    );
    if g.chance(5) {
        w!(s, "  DB_PASSWORD: \"ci-{}\"", g.hex(12));
    }
    let image = if g.chance(8) {
        "node:latest".to_string()
    } else {
        format!("node:{}.{}-alpine", g.pick(&["18", "20", "22"]), g.range(0, 12))
    };
    w!(
        s,
        "\ndefault:\n  image: {image}\n  interruptible: true\n  retry:\n    max: 2\n    when: [runner_system_failure]"
    );
    w!(
        s,
        "\n.node-cache: &node-cache\n  cache:\n    key:\n      files: [package-lock.json]\n    paths: [node_modules/]\n    policy: pull\n"
    );
    w!(
        s,
        ".rules-mr: &rules-mr\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n"
    );
    let jobs = [
        ("lint", "lint"),
        ("unit", "test"),
        ("e2e", "test"),
        ("image", "build"),
        ("deploy-staging", "deploy"),
        ("deploy-prod", "deploy"),
    ];
    let mut j = 0;
    while s.len() < target || j < 3 {
        let (job, stage) = jobs[j % jobs.len()];
        let job = if j < jobs.len() { job.to_string() } else { format!("{job}-{j}") };
        w!(s, "{job}:\n  stage: {stage}");
        if stage == "lint" || stage == "test" {
            w!(s, "  <<: [*node-cache, *rules-mr]");
        }
        match stage {
            "build" => {
                w!(
                    s,
                    "  image: docker:{}.{}\n  services:\n    - docker:{}.{}-dind",
                    g.range(24, 27),
                    g.range(0, 5),
                    g.range(24, 27),
                    g.range(0, 5)
                );
                w!(
                    s,
                    "  script:\n    - docker login -u \"$CI_REGISTRY_USER\" -p \"$CI_REGISTRY_PASSWORD\" \"$CI_REGISTRY\""
                );
                w!(s, "    - docker build --pull -t \"$CI_REGISTRY_IMAGE/$SERVICE:$CI_COMMIT_SHORT_SHA\" .");
                w!(s, "    - docker push \"$CI_REGISTRY_IMAGE/$SERVICE:$CI_COMMIT_SHORT_SHA\"");
            }
            "deploy" => {
                let env = if job.contains("prod") { "production" } else { "staging" };
                w!(
                    s,
                    "  image: bitnami/kubectl:1.{}\n  environment:\n    name: {env}\n    url: https://{svc}.{env}.example.com",
                    g.range(28, 31)
                );
                w!(s, "  needs: [image]\n  resource_group: {env}");
                w!(s, "  script:\n    - |\n      kubectl config use-context \"platform/agents:{env}\"");
                w!(
                    s,
                    "      kubectl -n \"$SERVICE\" set image deploy/\"$SERVICE\" app=\"$CI_REGISTRY_IMAGE/$SERVICE:$CI_COMMIT_SHORT_SHA\""
                );
                w!(s, "      kubectl -n \"$SERVICE\" rollout status deploy/\"$SERVICE\" --timeout=5m");
                w!(
                    s,
                    "  rules:\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n      when: {}",
                    if env == "production" { "manual" } else { "on_success" }
                );
            }
            _ => {
                w!(
                    s,
                    "  script:\n    - npm ci --prefer-offline\n    - npm run {}",
                    if stage == "lint" { "lint" } else { "test -- --ci" }
                );
                w!(
                    s,
                    "  artifacts:\n    when: always\n    reports:\n      junit: reports/junit.xml\n    expire_in: {} days",
                    g.range(1, 30)
                );
                if g.chance(40) {
                    w!(
                        s,
                        "  parallel:\n    matrix:\n      - NODE: [\"18\", \"20\"]\n        SHARD: [\"1/2\", \"2/2\"]"
                    );
                }
            }
        }
        s.push('\n');
        j += 1;
    }
    s
}

/// Used by the bench to say where the time goes; not needed to generate.
pub fn describe(c: &Corpus) -> String {
    format!(
        "{} files, {:.1} MB ({} Terraform, {} Kubernetes, {} GitHub workflows, {} GitLab CI, {} Helm in {} charts) in {}",
        c.files,
        c.bytes as f64 / 1e6,
        c.mix[0],
        c.mix[1],
        c.mix[2],
        c.mix[3],
        c.mix[4],
        c.charts,
        c.root.display()
    )
}

/// The default place: `<target>/bench-corpus`, next to the build output of this bench.
pub fn default_base() -> PathBuf {
    let from_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(Path::to_path_buf))
        .filter(|t| t.join("CACHEDIR.TAG").exists() || t.file_name().is_some_and(|n| n == "target"));
    from_exe.unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target")).join("bench-corpus")
}
