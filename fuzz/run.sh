#!/usr/bin/env bash
# fuzz/run.sh — runs each fuzz target for N minutes (default 2), one after
# the other, and prints per target how long it ran, how many inputs it tried
# and whether it found a crash (the input is then in fuzz/artifacts/<target>/).
#
# Usage: fuzz/run.sh [MINUTES] [TARGET...]     (no target: all of them)
# Environment: JOBS (parallel fuzzing jobs per target, default 1),
#              MAX_LEN (largest input in bytes, default 65536).
#
# Installs cargo-fuzz when missing. cargo-fuzz needs a nightly compiler: a
# nightly toolchain is used when rustup has one, else the stable compiler
# with RUSTC_BOOTSTRAP=1 (which lets it take the nightly-only flags).
set -euo pipefail

cd "$(dirname "$0")"
MINUTES=${1:-2}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(csv_reader jsonl_reader json_reader mapping_file journal_replay)
fi
JOBS=${JOBS:-1}
MAX_LEN=${MAX_LEN:-65536}

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "installing cargo-fuzz (cargo install cargo-fuzz)"
    cargo install cargo-fuzz
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    FUZZ=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    FUZZ=(cargo fuzz)
fi

# Seeds: the project's own sample inputs, so fuzzing starts from real shapes.
seed() {
    local target=$1; shift
    mkdir -p "corpus/$target"
    for f in "$@"; do
        [ -f "$f" ] && cp -n "$f" "corpus/$target/" 2>/dev/null || true
    done
}
shopt -s nullglob
seed csv_reader ../samples/*.csv ../tests/data/bad/*.csv ../tests/data/bad/*.tsv ../tests/data/real/*.csv
seed jsonl_reader ../samples/*.jsonl ../tests/data/bad/*.jsonl ../tests/data/real/*.jsonl
seed json_reader ../samples/*.json ../tests/data/bad/*.json ../tests/data/real/*.json
seed mapping_file ../samples/*.toml ../tests/data/*.toml ../tests/data/*/*.toml
seed journal_replay ../tests/data/*.journal ../tests/data/*/*.journal
shopt -u nullglob

# One build of every target (sanitizer-instrumented; long the first time).
"${FUZZ[@]}" build --release
# The targets run from the binaries of that one build (so a source file
# edited meanwhile does not rebuild the crate before each target).
BINS=target/x86_64-unknown-linux-gnu/release
status=0
summary=()
for target in "${TARGETS[@]}"; do
    log=$(mktemp)
    mkdir -p "corpus/$target" "artifacts/$target"
    echo "== $target: $MINUTES min"
    start=$(date +%s)
    if "$BINS/$target" "corpus/$target" -artifact_prefix="artifacts/$target/" \
        -max_total_time=$((MINUTES * 60)) -max_len="$MAX_LEN" -jobs="$JOBS" -workers="$JOBS" \
        -print_final_stats=1 >"$log" 2>&1; then
        found="no crash"
    else
        found="CRASH (input in fuzz/artifacts/$target/; log below)"
        status=1
        tail -n 60 "$log"
    fi
    secs=$(( $(date +%s) - start ))
    runs=$( (grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" || true) | awk '{s+=$2} END {print s+0}')
    cov=$( (grep -o 'cov: [0-9]*' "$log" || true) | tail -n 1 | awk '{print $2}')
    summary+=("$target: fuzzed ${secs}s, ${runs} inputs, coverage ${cov:-?} edges, corpus $(ls "corpus/$target" | wc -l) files: $found")
    rm -f "$log"
done
echo
printf '%s\n' "${summary[@]}"
exit $status
