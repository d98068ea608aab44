//! What an outsider controls in a GitHub Actions run: the contexts set by whoever opens an issue or a
//! pull request, writes a comment or a commit message, or names a branch.

use super::expr::{Expr, Segment, path_text};

/// Contexts an outsider controls, and who that is. `*` matches any property or index.
pub const TAINTED: &[(&str, &str)] = &[
    ("github.event.issue.title", "whoever opens the issue"),
    ("github.event.issue.body", "whoever opens the issue"),
    ("github.event.pull_request.title", "whoever opens the pull request"),
    ("github.event.pull_request.body", "whoever opens the pull request"),
    ("github.event.pull_request.head.ref", "whoever opens the pull request (the branch name)"),
    ("github.event.pull_request.head.label", "whoever opens the pull request (the fork's branch label)"),
    ("github.event.pull_request.head.repo.default_branch", "whoever owns the fork"),
    ("github.event.pull_request.head.repo.description", "whoever owns the fork"),
    ("github.event.pull_request.head.repo.homepage", "whoever owns the fork"),
    ("github.head_ref", "whoever opens the pull request (the branch name)"),
    ("github.event.comment.body", "whoever writes the comment"),
    ("github.event.review.body", "whoever writes the review"),
    ("github.event.review_comment.body", "whoever writes the review comment"),
    ("github.event.review_comment.diff_hunk", "whoever opens the pull request (its diff)"),
    ("github.event.review_comment.path", "whoever opens the pull request (its file names)"),
    ("github.event.comment.diff_hunk", "whoever opens the pull request (its diff)"),
    ("github.event.comment.path", "whoever opens the pull request (its file names)"),
    ("github.event.discussion.title", "whoever opens the discussion"),
    ("github.event.discussion.body", "whoever opens the discussion"),
    ("github.event.changes.title.from", "whoever wrote the previous title"),
    ("github.event.changes.body.from", "whoever wrote the previous body"),
    ("github.event.pages.*.page_name", "whoever edits the wiki"),
    ("github.event.pages.*.title", "whoever edits the wiki"),
    ("github.event.commits.*.message", "whoever writes the commit"),
    ("github.event.commits.*.author.email", "whoever writes the commit"),
    ("github.event.commits.*.author.name", "whoever writes the commit"),
    ("github.event.commits.*.committer.email", "whoever writes the commit"),
    ("github.event.commits.*.committer.name", "whoever writes the commit"),
    ("github.event.commits.*.added", "whoever writes the commit (its file names)"),
    ("github.event.commits.*.modified", "whoever writes the commit (its file names)"),
    ("github.event.commits.*.removed", "whoever writes the commit (its file names)"),
    ("github.event.head_commit.message", "whoever writes the commit"),
    ("github.event.head_commit.author.email", "whoever writes the commit"),
    ("github.event.head_commit.author.name", "whoever writes the commit"),
    ("github.event.head_commit.committer.email", "whoever writes the commit"),
    ("github.event.head_commit.committer.name", "whoever writes the commit"),
    ("github.event.head_commit.added", "whoever writes the commit (its file names)"),
    ("github.event.head_commit.modified", "whoever writes the commit (its file names)"),
    ("github.event.head_commit.removed", "whoever writes the commit (its file names)"),
    ("github.event.merge_group.head_commit.message", "whoever writes the commit"),
    ("github.event.merge_group.head_commit.author.email", "whoever writes the commit"),
    ("github.event.merge_group.head_commit.author.name", "whoever writes the commit"),
    ("github.event.workflow_run.head_branch", "whoever opened the pull request that ran the first workflow"),
    (
        "github.event.workflow_run.head_repository.description",
        "whoever owns the fork that ran the first workflow",
    ),
    ("github.event.check_suite.head_branch", "whoever opens the pull request (the branch name)"),
    ("github.event.check_run.check_suite.head_branch", "whoever opens the pull request (the branch name)"),
    ("github.event.workflow_run.head_commit.message", "whoever wrote the commit that ran the first workflow"),
    (
        "github.event.workflow_run.head_commit.author.email",
        "whoever wrote the commit that ran the first workflow",
    ),
    (
        "github.event.workflow_run.head_commit.author.name",
        "whoever wrote the commit that ran the first workflow",
    ),
    (
        "github.event.workflow_run.head_commit.committer.email",
        "whoever wrote the commit that ran the first workflow",
    ),
    (
        "github.event.workflow_run.head_commit.committer.name",
        "whoever wrote the commit that ran the first workflow",
    ),
    (
        "github.event.workflow_run.display_title",
        "whoever opened the pull request that ran the first workflow",
    ),
    (
        "github.event.workflow_run.pull_requests.*.head.ref",
        "whoever opened the pull request that ran the first workflow",
    ),
    ("github.event.issue.labels.*.name", "whoever can create labels"),
    ("github.event.pull_request.labels.*.name", "whoever can create labels"),
    ("github.event.label.name", "whoever can create labels"),
];

/// Who controls a context: exact matches, members (`…title.x`) and objects that hold one
/// (`toJSON(github.event.pull_request)`).
pub fn tainted(path: &[Segment]) -> Option<&'static str> {
    // Split once per process: every context of every expression is matched against all of them.
    static SPLIT: std::sync::LazyLock<Vec<(Vec<&'static str>, &'static str)>> =
        std::sync::LazyLock::new(|| {
            TAINTED.iter().map(|(pattern, who)| (pattern.split('.').collect(), *who)).collect()
        });
    SPLIT.iter().find_map(|(pat, who)| {
        let n = pat.len().min(path.len());
        let same = pat.iter().zip(path).take(n).all(|(p, s)| match s {
            Segment::Any => true,
            Segment::Name(name) => *p == "*" || p == name,
        });
        // A shorter path is an object holding the field (`toJSON(github.event)`), rendered whole.
        same.then_some(*who)
    })
}

/// The first tainted context an env value is built from.
pub fn tainted_source(value: &str) -> Option<String> {
    super::expr::find(value).iter().find_map(|occ| {
        let expr = occ.parsed.as_ref().ok()?;
        expr.dataflow_contexts()
            .into_iter()
            .filter_map(Expr::context_path)
            .find(|p| tainted(p).is_some())
            .map(|p| path_text(&p))
    })
}
