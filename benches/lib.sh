# benches/lib.sh — what the bench scripts share, sourced by them (not run):
# a scratch directory removed on exit (KEEP=1 keeps it), the processes they
# start stopped on exit, the printing helpers, and `storeload sandbox` on a
# free loopback port. Every wait is bounded in time and count.
#
# Usage, after `cd` to the repository root and setting BIN:
#     . benches/lib.sh
#     bench_init NAME        # scratch directory /tmp/NAME.XXXXXX in $SCRATCH

# bench_init NAME: makes $SCRATCH and sets the exit traps.
bench_init() {
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
    PIDS=()
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
}

# Stops what the script started (SIGINT, then SIGKILL after 5 s), then
# removes the scratch directory unless KEEP=1.
bench_cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -INT "$pid" 2>/dev/null || true
            for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    if [ "${KEEP:-0}" = 1 ]; then
        echo "scratch kept: $SCRATCH"
    else
        rm -rf "$SCRATCH"
    fi
}

say() { printf '%s\n' "$*"; }
rule() { printf '\n== %s\n' "$*"; }
cmdline() { printf '   $ %s\n' "$*"; }

# need_tools SCRIPT TOOL…: exits 2 naming the first TOOL not installed.
need_tools() {
    local script=$1 tool
    shift
    for tool in "$@"; do
        command -v "$tool" >/dev/null 2>&1 || { say "$script: $tool is needed and not installed"; exit 2; }
    done
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# start_sandbox ARGS…: starts `$BIN sandbox` on a free loopback port; sets
# PORT and SANDBOX_PID once it answers (10 s at most).
start_sandbox() {
    PORT=$(free_port)
    cmdline "$BIN sandbox --listen 127.0.0.1:$PORT $* &"
    "$BIN" sandbox --listen "127.0.0.1:$PORT" "$@" >"$SCRATCH/sandbox-$PORT.log" 2>&1 &
    SANDBOX_PID=$!
    PIDS+=("$SANDBOX_PID")
    for _ in $(seq 1 100); do
        if curl -sf --max-time 1 "http://127.0.0.1:$PORT/_sandbox/stats" >/dev/null 2>&1; then
            return 0
        fi
        kill -0 "$SANDBOX_PID" 2>/dev/null || break
        sleep 0.1
    done
    say "the sandbox did not answer on 127.0.0.1:$PORT within 10 s:"
    head -20 "$SCRATCH/sandbox-$PORT.log"
    return 1
}

# stop_pid PID: SIGINT, then SIGKILL after 5 s; reaps it.
stop_pid() {
    local pid=$1
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# The sandbox's counts, as JSON.
stats() {
    curl -sf --max-time 2 "http://127.0.0.1:$PORT/_sandbox/stats"
}

# poll_stats PID FILE MAX: while PID runs (MAX polls at most, 5 a second),
# appends the sandbox's stats to FILE as {"t":EPOCH,"stats":…} lines.
poll_stats() {
    local pid=$1 file=$2 max=$3
    : >"$file"
    for _ in $(seq 1 "$max"); do
        kill -0 "$pid" 2>/dev/null || break
        stats_line "$(date +%s.%N)" >>"$file"
        sleep 0.2
    done
}

# stats_line EPOCH: one {"t":EPOCH,"stats":…} line (stats null when the
# sandbox does not answer).
stats_line() {
    printf '{"t":%s,"stats":' "$1"
    stats || echo null
    echo '}'
}
