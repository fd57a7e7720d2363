//! The storeload binary: parses the command line and hands off to `cmd`.

use std::process::ExitCode;

/// jemalloc: records are allocated on the reader thread and freed on
/// another; glibc's malloc spent about 30% of a dry run's CPU on that
/// (arena locks, consolidation), jemalloc's thread caches do not. It does
/// not build with MSVC, so Windows builds keep the system allocator (the
/// same gate as in Cargo.toml).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> ExitCode {
    storeload::cmd::main()
}
