//! The storeload binary: parses the command line and hands off to `cmd`.

use std::process::ExitCode;

fn main() -> ExitCode {
    storeload::cmd::main()
}
