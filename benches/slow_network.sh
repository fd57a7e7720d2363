#!/usr/bin/env bash
# benches/slow_network.sh — issue 18 target 4: the writer reaches the quota
# over a slow network. Against `storeload sandbox --latency 300 --quota
# 450/30s` (BigCommerce Pro's quota, 300 ms added to every answer, and 429
# past 10 requests in flight, BigCommerce's documented limit), it imports
# ROWS valid customers (10 per request; 15,000 rows = 1,500 requests, about
# 100 s at the quota) and prints the requests per second achieved against
# the quota (450 / 30 s = 15 a second), per full quota window and over the
# whole send, the 429s, and how far the writer's adaptive concurrency went.
#
# Each run has a fresh sandbox. The first run is the default (concurrency
# adapted to latency); the second, unless BASELINE=0, caps it at
# `--concurrency 4`, the fixed concurrency before the change: 4 / 0.3 s =
# 13.3 requests a second at most. Both in one run, so their ratio holds on
# a shared machine.
#
# Usage: benches/slow_network.sh
# Environment: ROWS (default 15000), LATENCY (ms, default 300),
#              QUOTA (default 450/30s), BASELINE=0 skips the capped run,
#              KEEP=1 keeps the scratch directory (journals, logs, polls),
#              BIN, GEN: binaries to measure instead of target/release's,
#              SKIP_BUILD=1 measures them without building first.
#
# Talks only to 127.0.0.1; every wait is bounded in time and count; whatever
# it starts is stopped on exit (trap).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/target/bench-data
BIN=${BIN:-$ROOT/target/release/storeload}
GEN=${GEN:-$ROOT/target/release/examples/gen_customers}
ROWS=${ROWS:-15000}
LATENCY=${LATENCY:-300}
QUOTA=${QUOTA:-450/30s}

. benches/lib.sh
bench_init storeload-slow
need_tools benches/slow_network.sh python3 curl

if [ "${SKIP_BUILD:-0}" = 1 ]; then
    rule "build skipped (SKIP_BUILD=1): measuring $BIN"
else
    rule "build (release)"
    cmdline cargo build --release --bin storeload --example gen_customers
    cargo build --release --bin storeload --example gen_customers 2>&1 | tail -n 1
fi
for b in "$BIN" "$GEN"; do
    [ -x "$b" ] || { say "benches/slow_network.sh: $b is not there or not executable"; exit 2; }
done
mkdir -p "$DATA"
say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "measuring: $BIN (built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$BIN" | cut -c1-12))"

FILE=$DATA/customers-$ROWS-valid.csv
if [ ! -s "$FILE" ]; then
    cmdline "$GEN" "$ROWS" "$FILE" --invalid-pct 0
    "$GEN" "$ROWS" "$FILE" --invalid-pct 0
fi


# run NAME [IMPORT ARGS…]: one import into a fresh sandbox, polled every
# 200 ms; appends its figures as one JSON line to $SCRATCH/results.jsonl.
run() {
    local name=$1
    shift
    start_sandbox --latency "$LATENCY" --quota "$QUOTA" --max-concurrency 10
    local journal=$SCRATCH/$name.journal polls=$SCRATCH/$name-polls.jsonl log=$SCRATCH/$name-import.txt
    local base="http://127.0.0.1:$PORT/stores/sandbox/v3"
    cmdline "STORELOAD_LOG=storeload::writer::concurrency=info BIGCOMMERCE_STORE_HASH=sandbox BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token $BIN import $FILE --to bigcommerce --journal $journal --base-url $base --quiet $*"
    local rc=0 start end
    start=$(date +%s.%N)
    STORELOAD_LOG=storeload::writer::concurrency=info \
        BIGCOMMERCE_STORE_HASH=sandbox BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token \
        timeout 900 "$BIN" import "$FILE" --to bigcommerce --journal "$journal" \
        --base-url "$base" --quiet "$@" >"$log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    # At most 900 s of polls, 5 a second.
    poll_stats "$pid" "$polls" 4500
    wait "$pid" || rc=$?
    end=$(date +%s.%N)
    stats_line "$end" >>"$polls"
    stop_pid "$SANDBOX_PID"
    say "   import exit $rc in $(python3 -c "print(f'{$end - $start:.1f}')") s"
    grep -v 'requests in flight adapted' "$log" | sed 's/^/   | /' | tail -n 6
    python3 - "$name" "$polls" "$log" "$QUOTA" "$rc" >>"$SCRATCH/results.jsonl" <<'EOF'
import json, re, sys
name, polls_path, log, quota_arg, rc = sys.argv[1:6]
m = re.fullmatch(r"(\d+)/(\d+)(ms|s|m)", quota_arg)
if not m:
    sys.exit(f"QUOTA {quota_arg!r} is not N/<number>(ms|s|m)")
secs = int(m[2]) * {"ms": 0.001, "s": 1, "m": 60}[m[3]]
quota, per_s = int(m[1]), int(m[1]) / secs
polls = [json.loads(l) for l in open(polls_path) if l.strip()]
polls = [(p["t"], p["stats"]["bigcommerce"]) for p in polls if p["stats"]]
if not polls:
    sys.exit("no stats were read from the sandbox")
last = polls[-1][1]
by = last.get("by_status", {})
total = last.get("requests", 0)
# The send: from the first poll that saw a request to the first that saw them all.
first_t = next((t for t, s in polls if s.get("requests", 0) > 0), None)
done_t = next((t for t, s in polls if s.get("requests", 0) >= total), None)
span = (done_t - first_t) if first_t and done_t else 0
windows = [w for w in last.get("windows", []) if w.get("credential", "full") == "full"]
full = windows[1:-1]  # the first holds the ramp, the last is open
# The log's fields may be coloured: strip the escapes first.
plain = re.sub(r"\x1b\[[0-9;]*m", "", open(log, errors="replace").read())
limits = [int(x) for x in re.findall(r"requests in flight adapted limit=(\d+)", plain)]
print(json.dumps({
    "name": name, "exit": int(rc), "requests": total, "by_status": by,
    "n429": by.get("429", 0), "span": span, "per_s": per_s, "quota": quota,
    "overall": (total - 1) / span if span > 0 else 0,
    "windows": [w["count"] for w in windows],
    "full_fill": sum(w["count"] for w in full) / (len(full) * quota) if full else None,
    "limits": limits,
}))
EOF
    python3 - "$SCRATCH/results.jsonl" <<'EOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
q = r["per_s"]
print(f"   sandbox: {r['requests']} requests over {r['span']:.1f} s, by status {r['by_status']}")
print(f"   admitted per quota window: {r['windows']} (quota {r['quota']})")
if r["full_fill"] is not None:
    print(f"   full windows (2..n-1): {r['full_fill']:.3f} of the quota")
print(f"   whole send: {r['overall']:.2f} requests/s = {r['overall'] / q:.3f} of the quota ({q:g}/s)")
lim = r["limits"]
print(f"   concurrency: {'changes ' + str(lim[:12]) + (' …' if len(lim) > 12 else '') + f', highest {max(lim)}, last {lim[-1]}' if lim else 'never changed'}")
EOF
}

rule "(6) writer over a slow network: sandbox --latency $LATENCY --quota $QUOTA --max-concurrency 10, $ROWS customers (BigCommerce batches of 10)"
run adaptive
if [ "${BASELINE:-1}" != 0 ]; then
    rule "(6) the same, capped at --concurrency 4 (the fixed concurrency before issue 18)"
    run capped --concurrency 4
fi

rule "(6) summary"
python3 - "$SCRATCH/results.jsonl" <<'EOF'
import json, sys
rs = {r["name"]: r for r in (json.loads(l) for l in open(sys.argv[1]))}
a = rs["adaptive"]
share = a["overall"] / a["per_s"]
fill = a["full_fill"]
worst = min(share, fill) if fill is not None else share
ok = worst >= 0.97 and a["n429"] == 0 and a["exit"] == 0
print(f"   adaptive: {a['overall']:.2f} requests/s, {share:.3f} of the quota over the whole send"
      + (f", {fill:.3f} over full windows" if fill is not None else " (no full window: ROWS too small to judge one)")
      + f"; {a['n429']} × 429; exit {a['exit']}   target >= 0.97 with no 429: {'met' if ok else 'NOT met'}")
if "capped" in rs:
    c = rs["capped"]
    print(f"   --concurrency 4: {c['overall']:.2f} requests/s, {c['overall'] / c['per_s']:.3f} of the quota; {c['n429']} × 429; exit {c['exit']}")
    if c["overall"] > 0:
        print(f"   adaptive / capped at 4: {a['overall'] / c['overall']:.3f}")
EOF
