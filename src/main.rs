use std::process::ExitCode;

fn main() -> ExitCode {
    harmonica::cli::main()
}
