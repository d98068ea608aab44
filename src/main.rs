fn main() -> std::process::ExitCode {
    smelt::cli::main()
}
