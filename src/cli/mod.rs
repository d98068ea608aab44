//! The command line: a thin layer over [`crate::engine`] and [`crate::report`]. This is the only place
//! that prints.

mod check;
mod config;
mod envs;
mod render;
mod rules;
mod test_rules;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes are part of the interface CI scripts rely on.
pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "smelt",
    version,
    about = "Find security smells, drift risks and missing rollback definitions in Terraform, Kubernetes, Helm and CI pipelines.",
    long_about = "smelt reads Terraform (.tf, .tf.json, .tfvars), Kubernetes manifests, GitHub Actions workflows and \
actions, and GitLab CI files, and reports three families of problems: security smells (hard-coded secrets, \
open networks, weak crypto...), drift risks (unpinned versions...) and missing rollback definitions \
(databases that a bad change destroys for good...).\n\n\
It never runs anything from the scanned repository and never uses the network.\n\n\
Exit codes: 0 no findings at or above --min-severity, 1 findings (or files that could not be checked), \
2 usage error, unreadable input path or internal error.",
    after_help = "Examples:\n  smelt check .\n  smelt check infra/ --format human --format sarif=smelt.sarif\n  smelt check . --select security --min-severity high\n  smelt explain hardcoded-secret"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check files and folders and report findings.
    Check(check::CheckArgs),
    /// List the available rules.
    Rules(rules::RulesArgs),
    /// Show a rule's documentation: what it flags, why it matters, how to fix it.
    Explain(rules::ExplainArgs),
    /// Run the bad/good examples of rule folders (or of the built-in rules) and report each failure.
    TestRules(test_rules::TestRulesArgs),
    /// Show the effective configuration (smelt.toml and the command line) and where each setting came from.
    Config(config::ConfigArgs),
    /// Show the environments found (dev, staging, prod …), their promotion order, and which files of
    /// each are compared for environment divergence.
    Envs(envs::EnvsArgs),
    /// Render a Helm chart as smelt checks it, printed like `helm template` (with `--show-origins`, each
    /// line annotated with the template and values lines that produced it).
    Render(render::RenderArgs),
    /// Run the language server over stdio (diagnostics while typing, suppress actions, hover docs).
    Lsp(crate::lsp::LspArgs),
}

pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_ERROR } else { EXIT_CLEAN };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Rules(args) => rules::list(args),
        Command::Explain(args) => rules::explain(args),
        Command::TestRules(args) => test_rules::run(args),
        Command::Config(args) => config::run(args),
        Command::Envs(args) => envs::run(args),
        Command::Render(args) => render::run(args),
        Command::Lsp(args) => crate::lsp::run(args),
    };
    ExitCode::from(code)
}

/// Prints a usage or setup error and returns the error exit code.
fn fail(message: impl std::fmt::Display) -> u8 {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "smelt: error: {message}");
    EXIT_ERROR
}

fn write_stdout(text: &str) -> Result<(), std::io::Error> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

/// Built-in rules plus the user's `--rules` folders.
fn load_rules(dirs: &[std::path::PathBuf]) -> Result<Vec<crate::rules::Rule>, String> {
    use crate::rules::registry;
    let render = |errs: Vec<crate::rules::LoadError>| {
        errs.iter().map(|e| format!("invalid rule: {e}")).collect::<Vec<_>>().join("\n")
    };
    let builtin = registry::builtin().map_err(render)?;
    let mut user = Vec::new();
    for dir in dirs {
        user.extend(registry::load_dir(dir).map_err(render)?);
    }
    registry::combine(builtin, user).map_err(render)
}
