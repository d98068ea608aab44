//! What a job may do with its `GITHUB_TOKEN`: the write scopes its steps use, with the step that uses
//! each, or *unknown* when some step could use any scope smelt cannot see.
//!
//! A step is understood when it is an action of the table below (its scopes, sometimes depending on
//! its inputs), a local composite action (its own steps, read through the workspace), or a script
//! whose commands are known: `git push` and the `gh` subcommands map to scopes, and a script that is
//! not handed the token can only push with the credentials `actions/checkout` left behind. Anything
//! else — an action with no model here, `actions/github-script`, a script handed the token that runs
//! a program other than `gh`, or a command named like a release or publishing step — makes the job
//! unknown, and no scope of it is called unused.

use super::calls::{self, GithubFile};
use super::expr::has_expression;
use super::workflow::{Job, Permissions, Step, Workflow};
use crate::model::Node;
use crate::pipeline::jobs::Ci;
use crate::pipeline::shell::{self, Command, Script};
use crate::workspace::Workspace;
use std::collections::BTreeMap;

/// How many local composite actions and reusable workflows deep steps are followed.
const MAX_DEPTH: usize = 3;

/// What a job (or a set of steps) does with the token.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    /// Each write scope used, with what uses it first (`` `git push` ``, `` `softprops/action-gh-release` ``).
    pub writes: BTreeMap<String, String>,
    /// Why some `GITHUB_TOKEN` scope may be used without smelt seeing it; `None` when every step is
    /// understood.
    pub unknown: Option<String>,
    /// Why an OIDC token may be requested without smelt seeing it. Separate from `unknown`: every step
    /// can request one (the runner gives them `ACTIONS_ID_TOKEN_REQUEST_*`), whether or not it is
    /// handed the `GITHUB_TOKEN`.
    pub unknown_oidc: Option<String>,
    /// What the steps run, for messages (`actions/checkout`, `npm test`).
    pub steps: Vec<String>,
}

impl Usage {
    fn write(&mut self, scope: &str, by: &str) {
        self.writes.entry(scope.to_string()).or_insert_with(|| by.to_string());
    }

    /// A step that could do anything: use any token scope, request an OIDC token.
    fn unknown(&mut self, why: String) {
        self.unknown_oidc.get_or_insert_with(|| why.clone());
        self.unknown.get_or_insert(why);
    }

    /// A step that holds the token for a purpose smelt cannot see, but does nothing unknown otherwise.
    fn unknown_token(&mut self, why: String) {
        self.unknown.get_or_insert(why);
    }

    fn merge(&mut self, other: Usage) {
        for (s, by) in other.writes {
            self.writes.entry(s).or_insert(by);
        }
        if let Some(u) = other.unknown {
            self.unknown_token(u);
        }
        if let Some(u) = other.unknown_oidc {
            self.unknown_oidc.get_or_insert(u);
        }
        self.steps.extend(other.steps);
    }

    /// Whether `scope` is provably unused: every step is understood and none writes to it.
    pub fn leaves_unused(&self, scope: &str) -> bool {
        let unknown = if scope == "id-token" { &self.unknown_oidc } else { &self.unknown };
        unknown.is_none() && !self.writes.contains_key(scope)
    }
}

/// Where local `uses` paths are resolved.
#[derive(Clone, Copy)]
pub struct Repo<'a> {
    pub ws: &'a Workspace,
    /// The repository folder (`None`: local actions cannot be read).
    pub root: Option<&'a str>,
    /// The checked file's pipeline view, whose scripts are already parsed (the scripts of called
    /// files, read here, are parsed here).
    pub ci: Option<&'a Ci>,
}

impl Repo<'_> {
    /// The same repository, for a file the pipeline view does not cover.
    fn elsewhere(self) -> Self {
        Repo { ci: None, ..self }
    }
}

/// What job `job` of `wf` does with its token.
pub fn job_usage(repo: Repo<'_>, wf: &Workflow<'_>, job: &Job<'_>) -> Usage {
    job_usage_at(repo, wf, job, 0)
}

fn job_usage_at(repo: Repo<'_>, wf: &Workflow<'_>, job: &Job<'_>, depth: usize) -> Usage {
    let mut usage = Usage::default();
    if let Some(uses) = job.uses().and_then(Node::as_str) {
        usage.steps.push(format!("`{uses}`"));
        let called = repo.root.and_then(|root| calls::resolve_workflow(repo.ws, root, uses));
        match called {
            Some(callee) if depth < MAX_DEPTH => {
                usage.merge(workflow_usage_at(repo.elsewhere(), &callee, depth + 1))
            }
            _ => usage.unknown(format!("it calls the workflow `{uses}`, whose jobs smelt does not read")),
        }
        return usage;
    }
    let steps = job.steps();
    steps_usage(repo, wf, Some(job), &steps, depth, &mut usage);
    usage
}

/// What the jobs of a called reusable workflow do with the token their caller grants. A job that sets
/// its own `permissions:` is taken to use the write scopes it asks for (asking for more than the
/// caller grants fails the run).
pub fn workflow_usage(repo: Repo<'_>, callee: &GithubFile) -> Usage {
    workflow_usage_at(repo, callee, 0)
}

fn workflow_usage_at(repo: Repo<'_>, callee: &GithubFile, depth: usize) -> Usage {
    let wf = callee.workflow();
    let mut usage = Usage::default();
    let declared = |p: &Permissions| match p {
        Permissions::Scopes(s) => {
            s.iter().filter(|(_, level, _)| level == "write").map(|(scope, _, _)| scope.clone()).collect()
        }
        _ => Vec::new(),
    };
    for job in wf.jobs() {
        match job.permissions() {
            Permissions::Absent => usage.merge(job_usage_at(repo, &wf, &job, depth)),
            Permissions::WriteAll(_) | Permissions::Unknown(_) => {
                usage.unknown(format!("job `{}` of `{}` asks for every scope", job.id, callee.path()))
            }
            p => {
                for scope in declared(&p) {
                    usage.write(&scope, &format!("job `{}` of `{}`", job.id, callee.path()));
                }
            }
        }
    }
    usage
}

fn steps_usage(
    repo: Repo<'_>,
    wf: &Workflow<'_>,
    job: Option<&Job<'_>>,
    steps: &[Step<'_>],
    depth: usize,
    usage: &mut Usage,
) {
    // The job's and the workflow's `env:` are the same for every step: looked at once.
    let mut outer_token = None;
    for step in steps {
        if let Some((uses, _)) = step.uses() {
            step_action(repo, step, uses, depth, usage);
        } else if let Some(node) = step.run()
            && let Some(run) = node.as_str()
        {
            let outer = *outer_token.get_or_insert_with(|| hands_token(wf, job));
            let token = outer || step.env().is_some_and(node_mentions_token) || mentions_token(run);
            let parsed = repo.ci.and_then(|ci| ci.script_at(node.span));
            match parsed {
                Some(script) => script_usage(run, script, token, usage),
                None => script_usage(run, &shell::parse_shared(run), token, usage),
            }
        }
    }
}

fn step_action(repo: Repo<'_>, step: &Step<'_>, uses: &str, depth: usize, usage: &mut Usage) {
    let shown = format!("`{}`", uses.split('@').next().unwrap_or(uses));
    usage.steps.push(shown.clone());
    if calls::local_target(uses).is_some() {
        let action = repo.root.and_then(|root| calls::resolve_action(repo.ws, root, uses));
        let composite = action.as_ref().filter(|a| {
            a.doc.get("runs").and_then(|r| r.get("using")).and_then(Node::as_str) == Some("composite")
        });
        match composite {
            Some(a) if depth < MAX_DEPTH => {
                let wf = a.workflow();
                let steps = wf.composite_steps();
                let mut inner = Usage::default();
                steps_usage(repo.elsewhere(), &wf, None, &steps, depth + 1, &mut inner);
                inner.steps.clear();
                usage.merge(inner);
            }
            _ => usage.unknown(format!("the local action {shown} runs code smelt does not read")),
        }
        return;
    }
    if uses.starts_with("docker://") {
        usage.unknown_oidc.get_or_insert_with(|| format!("the container {shown} may request an OIDC token"));
        if step.node.get("with").into_iter().chain(step.env()).any(node_mentions_token) {
            usage.unknown_token(format!("the container {shown} is handed the token"));
        }
        return;
    }
    let name = step.action().unwrap_or_default();
    match action_writes(&name, step) {
        Some(scopes) => scopes.iter().for_each(|s| usage.write(s, &shown)),
        None => usage.unknown(format!("{shown}, which smelt has no model of, may use the token")),
    }
}

/// The write scopes a known action uses; `None` for an action smelt knows nothing about.
fn action_writes(name: &str, step: &Step<'_>) -> Option<Vec<&'static str>> {
    let with = |k: &str| step.with(k).and_then(Node::scalar_text).unwrap_or_default();
    let set = |k: &str| step.with(k).is_some();
    let when = |cond: bool, scopes: &[&'static str]| if cond { scopes.to_vec() } else { Vec::new() };
    let scopes: Vec<&'static str> = match name {
        "actions/checkout"
        | "actions/cache"
        | "actions/cache/restore"
        | "actions/cache/save"
        | "actions/upload-artifact"
        | "actions/download-artifact"
        | "actions/configure-pages"
        | "actions/upload-pages-artifact"
        | "docker/setup-buildx-action"
        | "docker/setup-qemu-action"
        | "docker/metadata-action"
        | "docker/build-push-action"
        | "docker/bake-action"
        | "dtolnay/rust-toolchain"
        | "swatinem/rust-cache"
        | "actions-rs/toolchain"
        | "actions-rs/cargo"
        | "hashicorp/setup-terraform"
        | "azure/setup-helm"
        | "azure/setup-kubectl"
        | "pnpm/action-setup"
        | "ruby/setup-ruby"
        | "astral-sh/setup-uv"
        | "astral-sh/ruff-action"
        | "golangci/golangci-lint-action"
        | "pre-commit/action"
        | "gradle/actions/setup-gradle"
        | "gradle/actions/wrapper-validation"
        | "gradle/wrapper-validation-action"
        | "gradle/gradle-build-action"
        | "shivammathur/setup-php"
        | "subosito/flutter-action"
        | "denoland/setup-deno"
        | "oven-sh/setup-bun"
        | "erlef/setup-beam"
        | "haskell-actions/setup"
        | "taiki-e/install-action"
        | "jdx/mise-action"
        | "conda-incubator/setup-miniconda"
        | "mamba-org/setup-micromamba"
        | "sigstore/cosign-installer"
        | "aquasecurity/trivy-action"
        | "github/codeql-action/init"
        | "github/codeql-action/autobuild"
        | "dependabot/fetch-metadata"
        | "tj-actions/changed-files"
        | "dorny/paths-filter"
        | "peter-evans/find-comment"
        | "crazy-max/ghaction-import-gpg"
        | "slackapi/slack-github-action"
        | "8398a7/action-slack"
        | "rtcamp/action-slack-notify" => Vec::new(),
        name if name.starts_with("actions/setup-") => Vec::new(),
        "codecov/codecov-action" => when(with("use_oidc") == "true", &["id-token"]),
        "github/codeql-action/analyze" | "github/codeql-action/upload-sarif" => vec!["security-events"],
        "ossf/scorecard-action" => {
            let mut s = vec!["security-events"];
            s.extend(when(with("publish_results") == "true", &["id-token"]));
            s
        }
        "actions/dependency-review-action" => when(set("comment-summary-in-pr"), &["pull-requests"]),
        "actions/labeler" => vec!["pull-requests", "issues"],
        "actions/stale" => vec!["issues", "pull-requests", "actions"],
        "actions/first-interaction" => vec!["issues", "pull-requests"],
        "peter-evans/create-pull-request" => vec!["contents", "pull-requests"],
        "peter-evans/create-or-update-comment" => vec!["issues", "pull-requests"],
        "peter-evans/repository-dispatch" => vec!["contents"],
        "peter-evans/enable-pull-request-automerge" => vec!["contents", "pull-requests"],
        "marocchino/sticky-pull-request-comment"
        | "thollander/actions-comment-pull-request"
        | "mshick/add-pr-comment" => vec!["pull-requests", "issues"],
        "softprops/action-gh-release"
        | "ncipollo/release-action"
        | "actions/create-release"
        | "actions/upload-release-asset"
        | "svenstaro/upload-release-action"
        | "stefanzweifel/git-auto-commit-action"
        | "endbug/add-and-commit"
        | "jamesives/github-pages-deploy-action"
        | "peaceiris/actions-gh-pages"
        | "goreleaser/goreleaser-action" => vec!["contents"],
        "googleapis/release-please-action" | "google-github-actions/release-please-action" => {
            vec!["contents", "pull-requests", "issues"]
        }
        "changesets/action" | "release-drafter/release-drafter" => vec!["contents", "pull-requests"],
        "actions/deploy-pages" => vec!["pages", "id-token"],
        "actions/attest-build-provenance" | "actions/attest" | "actions/attest-sbom" => {
            vec!["id-token", "attestations"]
        }
        "aws-actions/configure-aws-credentials" => when(!set("aws-access-key-id"), &["id-token"]),
        "google-github-actions/auth" => when(set("workload_identity_provider"), &["id-token"]),
        "azure/login" => when(!set("creds"), &["id-token"]),
        "hashicorp/vault-action" => when(with("method") == "jwt", &["id-token"]),
        "pypa/gh-action-pypi-publish" => when(!set("password"), &["id-token"]),
        "docker/login-action" => {
            let ghcr =
                with("registry").contains("ghcr.io") || with("registry").contains("docker.pkg.github.com");
            when(ghcr, &["packages"])
        }
        _ => return None,
    };
    Some(scopes)
}

/// Programs that do nothing with a token even when it is in their environment.
const INERT: &[&str] = &[
    "echo",
    "printf",
    "cd",
    "ls",
    "cat",
    "test",
    "[",
    "[[",
    "mkdir",
    "cp",
    "mv",
    "rm",
    "export",
    "set",
    "true",
    "false",
    "exit",
    "sleep",
    "grep",
    "sed",
    "awk",
    "jq",
    "yq",
    "tar",
    "unzip",
    "gzip",
    "chmod",
    "touch",
    "head",
    "tail",
    "sort",
    "uniq",
    "wc",
    "tee",
    "date",
    "env",
    "pwd",
    "find",
    "xargs",
    "basename",
    "dirname",
    "read",
    "shift",
    "source",
    ".",
    "local",
    "if",
    "tr",
    "cut",
    "sha256sum",
    "shasum",
    "diff",
];

/// Words that name a release, publishing or signing step: such a command may push, publish or request
/// an OIDC token in ways its name does not spell out.
const RELEASE_WORDS: &[&str] = &[
    "release",
    "publish",
    "deploy",
    "upload",
    "push",
    "tag",
    "version",
    "bump",
    "changelog",
    "commit",
    "sign",
    "attest",
    "provenance",
    "oidc",
    "login",
    "token",
    "pages",
];

/// A script's commands. `git push` counts as a `contents` write whether or not the script holds the
/// token: it may use the credentials `actions/checkout` leaves in `.git/config`.
fn script_usage(run: &str, script: &Script, token: bool, usage: &mut Usage) {
    if script.truncated {
        usage.unknown("a script too large to read".into());
        return;
    }
    if run.contains("ACTIONS_ID_TOKEN_REQUEST") {
        usage.write("id-token", "a script that requests an OIDC token");
    }
    for cmd in &script.commands {
        let Some(program) = cmd.program() else {
            if cmd.name.is_some() {
                usage.unknown("a script runs a command whose name is not literal".into());
            }
            continue;
        };
        let shown = command_text(cmd);
        usage.steps.push(format!("`{shown}`"));
        match program {
            "git" if cmd.subcommand(&["-C", "-c"]).is_some_and(|(_, w)| w.is_literal("push")) => {
                usage.write("contents", &format!("`{shown}`"));
            }
            "git" => {}
            "gh" if token => gh_usage(cmd, &shown, usage),
            "gh" => {}
            p if INERT.contains(&p) => {}
            _ if release_like(cmd) => {
                usage.unknown(format!("`{shown}` looks like a release or publishing step"));
            }
            _ if token => usage.unknown_token(format!("`{shown}` is handed the token")),
            _ => {}
        }
    }
}

/// The scopes of a `gh` subcommand run with the token.
fn gh_usage(cmd: &Command, shown: &str, usage: &mut Usage) {
    let args = cmd.args();
    let word = |i: usize| args.get(i).and_then(|w| w.value.as_deref()).unwrap_or("");
    let by = format!("`{shown}`");
    let reads = ["view", "list", "diff", "checks", "status", "download", "checkout", "watch", "verify"];
    let (group, action) = (word(0), word(1));
    if reads.contains(&action) {
        return;
    }
    match group {
        "release" => usage.write("contents", &by),
        "pr" => {
            usage.write("pull-requests", &by);
            if matches!(action, "merge" | "create") {
                usage.write("contents", &by);
            }
        }
        "issue" | "label" => usage.write("issues", &by),
        "run" | "workflow" | "cache" => usage.write("actions", &by),
        "attestation" => {}
        _ => usage.unknown_token(format!("`{shown}` can use the token for anything")),
    }
}

/// [`RELEASE_WORDS`] in one search, ASCII letters of either case, instead of a window search per word
/// (−1.2 M instructions on the benchmark's 1,000 files).
static RELEASE_WORD: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
    let words: Vec<String> = RELEASE_WORDS.iter().map(|w| regex::escape(w)).collect();
    regex::RegexBuilder::new(&words.join("|")).case_insensitive(true).unicode(false).build().ok()
});

fn release_like(cmd: &Command) -> bool {
    let mut words = cmd.name.iter().chain(cmd.args()).take(4);
    // The pattern is fixed (a test compiles it): `None` cannot happen.
    RELEASE_WORD.as_ref().is_some_and(|re| words.any(|w| re.is_match(w.text())))
}

/// `npm test`, `git push`, `pytest`: the program and its subcommand, as written.
fn command_text(cmd: &Command) -> String {
    let name = cmd.invocation().map(|(n, _)| n);
    let words: Vec<&str> = name
        .into_iter()
        .chain(cmd.args().iter().take_while(|w| !w.raw.starts_with('-')).take(1))
        .map(|w| w.raw.as_str())
        .collect();
    crate::rules::truncate(&words.join(" "), 40)
}

/// The job or the workflow puts the token in the environment (of every step).
fn hands_token(wf: &Workflow<'_>, job: Option<&Job<'_>>) -> bool {
    let envs = [job.and_then(Job::env), wf.env()];
    envs.into_iter().flatten().any(node_mentions_token)
}

fn node_mentions_token(n: &Node) -> bool {
    let mut found = false;
    n.walk(&mut |x| found |= x.as_str().is_some_and(mentions_token));
    found
}

/// `${{ github.token }}` or `${{ secrets.GITHUB_TOKEN }}` in a value.
pub fn mentions_token(s: &str) -> bool {
    // Most strings hold no expression: they cost one search, without a lower-case copy.
    has_expression(s) && {
        let l = s.to_ascii_lowercase();
        l.contains("github.token") || l.contains("secrets.github_token")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Limits, yaml};
    use crate::pipeline::github::expr::contains_ignore_ascii_case;

    fn usage(text: &str) -> Usage {
        let doc = yaml::parse(text, &Limits::default()).docs.into_iter().next().unwrap();
        let wf = Workflow::new(&doc);
        let ws = Workspace::new(Default::default(), false);
        let job = wf.jobs().into_iter().next().unwrap();
        job_usage(Repo { ws: &ws, root: None, ci: None }, &wf, &job)
    }

    fn job(steps: &str) -> String {
        format!("on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n{steps}")
    }

    /// The one search for release words finds what a search for each word finds: ASCII case folded,
    /// anywhere in a word, and no Unicode look-alike (`ſ` is not `s`).
    #[test]
    fn release_words_are_found_like_one_search_each() {
        let words = [
            "Release",
            "RELEASED",
            "npm-publish",
            "git",
            "make",
            "ſign",
            "tagline",
            "preview",
            "Oidc",
            "",
            "vérsion",
            "changeLog.md",
            "pages-deploy",
            "docker",
            "ATTESTATION",
            "to",
            "lo gin",
        ];
        let re = RELEASE_WORD.as_ref().unwrap_or_else(|| panic!("the release words compile"));
        for w in words {
            let each = RELEASE_WORDS.iter().any(|r| contains_ignore_ascii_case(w, r));
            assert_eq!(re.is_match(w), each, "{w}");
        }
        assert!(!re.is_match("ſign"), "no Unicode case folding");
    }

    #[test]
    fn known_steps_use_known_scopes() {
        let u = usage(&job(
            "      - uses: actions/checkout@v4\n      - uses: actions/setup-node@v4\n      - run: |\n          npm ci\n          npm test\n",
        ));
        assert!(u.unknown.is_none() && u.writes.is_empty(), "{u:?}");
        assert!(u.leaves_unused("contents") && u.leaves_unused("id-token"));
        let u = usage(&job("      - uses: actions/checkout@v4\n      - run: git push origin HEAD:main\n"));
        assert_eq!(u.writes.get("contents").map(String::as_str), Some("`git push`"));
        let u = usage(&job(
            "      - run: gh release create v1\n        env:\n          GH_TOKEN: ${{ github.token }}\n      - run: gh pr comment 1 --body x\n        env:\n          GH_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n",
        ));
        assert_eq!(u.writes.keys().collect::<Vec<_>>(), ["contents", "pull-requests"]);
        let u = usage(&job(
            "      - uses: aws-actions/configure-aws-credentials@v4\n        with:\n          role-to-assume: arn\n",
        ));
        assert!(u.writes.contains_key("id-token"));
    }

    /// The token in the workflow's or the job's `env:` reaches every script of the job, in any case
    /// of spelling; a step's own `env:` only its script.
    #[test]
    fn the_token_in_an_outer_env_reaches_every_script() {
        let in_wf = "on: push\nenv:\n  GH_TOKEN: ${{ github.token }}\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: echo hi\n      - run: gh pr comment 1 --body x\n";
        assert_eq!(usage(in_wf).writes.keys().collect::<Vec<_>>(), ["pull-requests"]);
        let in_job = "on: push\njobs:\n  a:\n    runs-on: x\n    env:\n      GH_TOKEN: ${{ GitHub.Token }}\n    steps:\n      - run: echo hi\n      - run: gh issue close 1\n";
        assert_eq!(usage(in_job).writes.keys().collect::<Vec<_>>(), ["issues"]);
        let in_first_step = job(
            "      - run: echo hi\n        env:\n          T: ${{ secrets.GITHUB_TOKEN }}\n      - run: gh issue close 1\n",
        );
        assert!(usage(&in_first_step).writes.is_empty());
        let u = usage(&job("      - run: ./Scripts/Deploy-Prod.sh\n"));
        assert!(u.unknown.as_deref().is_some_and(|m| m.contains("release")), "{u:?}");
        assert!(
            contains_ignore_ascii_case("Deploy-Prod", "deploy") && !contains_ignore_ascii_case("tg", "tag")
        );
        assert!(mentions_token("${{ Secrets.GitHub_Token }}") && !mentions_token("github.token"));
    }

    #[test]
    fn what_smelt_cannot_see_is_unknown() {
        for steps in [
            "      - uses: someone/some-action@v1\n",
            "      - uses: actions/github-script@v7\n        with:\n          script: x\n",
            "      - run: curl -u \"x:$T\" https://api.github.com/x\n        env:\n          T: ${{ github.token }}\n",
            "      - run: npm run release\n",
            "      - run: ./scripts/publish.sh\n",
            "      - uses: ./.github/actions/local\n",
        ] {
            assert!(usage(&job(steps)).unknown.is_some(), "{steps}");
        }
        let caller = "on: push\njobs:\n  a:\n    uses: org/repo/.github/workflows/x.yml@v1\n";
        assert!(usage(caller).unknown.is_some());
        // A script handed the token may use any of its scopes, but requests no OIDC token.
        let handed = usage(&job(
            "      - run: npm run lint\n        env:\n          GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}\n",
        ));
        assert!(!handed.leaves_unused("contents") && handed.leaves_unused("id-token"), "{handed:?}");
    }
}
