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
    /// Freeing the models: each unit's when it is done, and what is left of every file at the end.
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
    /// Each rule's time (a part of [`Phase::Rules`]) and how many files it ran on, by the rule's
    /// index in the run's rule set.
    rules: std::sync::Mutex<Vec<(Duration, usize)>>,
}

impl Timings {
    pub fn add(&self, phase: Phase, d: Duration) {
        let n = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.nanos[phase as usize].fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self, phase: Phase) -> Duration {
        Duration::from_nanos(self.nanos[phase as usize].load(Ordering::Relaxed))
    }

    /// Adds rule runs, each `(index of the rule in its rule set, time of one run on one file)`:
    /// a unit's runs at once, so the lock is taken once per unit, not once per rule and file.
    pub fn add_rules(&self, runs: &[(usize, Duration)]) {
        let mut rules = self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for &(rule, d) in runs {
            if rules.len() <= rule {
                rules.resize(rule + 1, (Duration::ZERO, 0));
            }
            rules[rule].0 += d;
            rules[rule].1 += 1;
        }
    }

    /// Each rule's summed time and number of runs (files it ran on), by its index in the rule set.
    pub fn rules(&self) -> Vec<(Duration, usize)> {
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    pub fn reset(&self) {
        self.nanos.iter().for_each(|n| n.store(0, Ordering::Relaxed));
        self.rules.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
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
