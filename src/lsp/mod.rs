//! `smelt lsp`: the language server, over stdio.
//!
//! Diagnostics while typing (pushed after a quiet period, or pulled), "suppress with a reason" code
//! actions, and the rule's documentation on hover — all from the same engine and finding model as
//! `smelt check`. Positions are converted at this edge only, in the encoding the client negotiated
//! ([`position`]). Nothing here writes to stdout except the transport.

mod actions;
mod analysis;
mod config;
pub mod position;
mod server;
mod transport;
pub mod uri;

use clap::Args;
use std::path::PathBuf;

pub use config::Settings;

#[derive(Debug, Args)]
pub struct LspArgs {
    /// Load more rules from this folder of rule files. Repeatable. (Clients can also pass `rules` in
    /// `initializationOptions`.)
    #[arg(long = "rules", value_name = "DIR")]
    rule_dirs: Vec<PathBuf>,

    /// Only run these rules: names, codes, families or smells, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    select: Vec<String>,

    /// Don't run these rules: names, codes, families or smells, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "RULES")]
    ignore: Vec<String>,

    /// Documents larger than this many bytes are not checked (they get one informational diagnostic).
    /// Default: `max-file-size` from smelt.toml, else 5 MB.
    #[arg(long, value_name = "BYTES")]
    max_file_size: Option<u64>,

    /// Milliseconds of quiet after the last edit before diagnostics are pushed.
    #[arg(long, value_name = "MS", default_value_t = 150)]
    debounce_ms: u64,

    /// Accepted for compatibility with clients that pass it; stdio is the only transport.
    #[arg(long, hide = true)]
    stdio: bool,
}

/// Runs the server on stdin/stdout until `exit`; returns the process exit code (0 after `shutdown`).
pub fn run(args: LspArgs) -> u8 {
    let settings = Settings {
        rule_dirs: args.rule_dirs,
        select: args.select,
        ignore: args.ignore,
        max_file_size: args.max_file_size,
        debounce: std::time::Duration::from_millis(args.debounce_ms),
        ..Settings::default()
    };
    let (conn, writer) = transport::stdio();
    let code = server::serve(&conn, settings);
    drop(conn);
    writer.join();
    code
}

/// Runs a session on an in-memory connection (for tests and benchmarks).
pub fn serve(conn: &lsp_server::Connection, settings: Settings) -> u8 {
    server::serve(conn, settings)
}

/// Logs to stderr, which editors keep in their language-server log.
fn log(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "smelt lsp: {message}");
}
