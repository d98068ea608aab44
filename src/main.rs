// Parsing and rule evaluation allocate many small, short-lived nodes; mimalloc's per-thread free
// lists cut the time glibc's malloc spent on them (issue 10: ~15% of a Kubernetes run's instructions).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    smelt::cli::main()
}
