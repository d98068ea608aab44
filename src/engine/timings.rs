//! Where a check spends its time, for the throughput bench: each phase's time summed over the worker
//! threads that ran it. Off (`CheckOptions::timings` is `None`) in normal runs.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading a file and decoding it to text, and its line index.
    Read,
    /// Parsing: tree-sitter's syntax tree, then lowering it into the model.
    Parse,
    /// Terraform: evaluating a module folder, and the findings its module calls cause.
    Evaluate,
    /// Helm: rendering a chart, parsing its output and checking it (rules included).
    Helm,
    /// Running the rules over a file.
    Rules,
    /// Turning what rules report into findings: locations, suppressions, fingerprints.
    Findings,
    /// Grouping units, collecting, sorting and assembling the report (one thread).
    Assemble,
    /// Freeing the parsed files.
    Free,
}

impl Phase {
    pub const ALL: [Phase; 8] = [
        Phase::Read,
        Phase::Parse,
        Phase::Evaluate,
        Phase::Helm,
        Phase::Rules,
        Phase::Findings,
        Phase::Assemble,
        Phase::Free,
    ];
}

#[derive(Debug, Default)]
pub struct Timings {
    nanos: [AtomicU64; 8],
}

impl Timings {
    pub fn add(&self, phase: Phase, d: Duration) {
        let n = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[phase as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self, phase: Phase) -> Duration {
        Duration::from_nanos(self.nanos[phase as usize].load(Ordering::Relaxed))
    }

    pub fn reset(&self) {
        self.nanos.iter().for_each(|n| n.store(0, Ordering::Relaxed));
    }
}

/// Runs `f`, adding its time to `phase` when timings are on.
pub(crate) fn timed<T>(timings: Option<&Timings>, phase: Phase, f: impl FnOnce() -> T) -> T {
    match timings {
        Some(t) => {
            let start = Instant::now();
            let out = f();
            t.add(phase, start.elapsed());
            out
        }
        None => f(),
    }
}
