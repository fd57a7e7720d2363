#!/usr/bin/env bash
# benches/run.sh — the figures of issues 6 and 18, each printed with the
# command behind it and the target beside it:
#   (1) dry run --to bigcommerce of two files, the generator's classic
#       Shopify-layout file and its realistic CRM export (--realistic), at
#       250,000, 1,000,000 and 2,000,000 rows, each against a plain CSV parse
#       of the same file in the same run (examples/csv_count.rs) and the dry
#       run's floor (examples/dry_floor.rs: its reader and pipeline with no
#       mapping or rules), with growth ratios and peak RSS per added row;
#   (2) the writer against the sandbox at --quota 50/1s, 10-customer batches;
#   (3) resume of a journal holding 1,000,000 outcomes: time to the first new request;
#   (4) the writer against the sandbox with no quota and no latency: client CPU
#       per request;
#   (5) a ~200 MB JSON array (one document) validated: peak RSS (target < 100 MB:
#       the array is streamed, never read whole).
# (2)-(4) are skipped, saying so, while `storeload import` is not available.
#
# Usage: benches/run.sh [1] [2] [3] [4] [5]    (no argument: all five)
# Environment: RUNS (pairs of runs in (1), runs in (4), default 3),
#              SIZES (rows in (1), default "250000 1000000 2000000"),
#              KEEP=1 keeps the scratch directory,
#              BIN, GEN, COUNT, DRY_FLOOR, FLOOR: binaries to measure instead of
#              target/release's (e.g. a copy kept under target/bench-bin/),
#              SKIP_BUILD=1 measures them without building first.
#
# Talks only to 127.0.0.1; every wait is bounded in time and count; whatever it
# starts is stopped on exit (trap).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/target/bench-data
BIN=${BIN:-$ROOT/target/release/storeload}
GEN=${GEN:-$ROOT/target/release/examples/gen_customers}
COUNT=${COUNT:-$ROOT/target/release/examples/csv_count}
DRY_FLOOR=${DRY_FLOOR:-$ROOT/target/release/examples/dry_floor}
FLOOR=${FLOOR:-$ROOT/target/release/examples/http_floor}
RUNS=${RUNS:-3}
SIZES=${SIZES:-250000 1000000 2000000}
SECTIONS=${*:-1 2 3 4 5}
JSON_ROWS=${JSON_ROWS:-600000}

. benches/lib.sh
bench_init storeload-bench
# cputime OUT CMD…: runs CMD, writes "user sys wall" seconds (CMD and its
# children) to OUT and returns CMD's exit code; needs only python3.
cputime() {
    local out=$1
    shift
    python3 - "$out" "$@" <<'EOF'
import resource, subprocess, sys, time
start = time.time()
rc = subprocess.call(sys.argv[2:])
r = resource.getrusage(resource.RUSAGE_CHILDREN)
open(sys.argv[1], "w").write(f"{r.ru_utime} {r.ru_stime} {time.time() - start}\n")
sys.exit(rc)
EOF
}

need_tools benches/run.sh python3 curl
[ -x /usr/bin/time ] || { say "benches/run.sh: /usr/bin/time is needed (apt-get install time)"; exit 2; }

# --- build and data ---------------------------------------------------------
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    rule "build skipped (SKIP_BUILD=1): measuring $BIN"
else
    rule "build (release)"
    cmdline cargo build --release --bin storeload --example gen_customers --example csv_count --example dry_floor --example http_floor
    cargo build --release --bin storeload --example gen_customers --example csv_count --example dry_floor --example http_floor 2>&1 | tail -n 1
fi
for b in "$BIN" "$GEN" "$COUNT" "$DRY_FLOOR"; do
    [ -x "$b" ] || { say "benches/run.sh: $b is not there or not executable"; exit 2; }
done
mkdir -p "$DATA"

# gen FILE ROWS [ARGS…]: the generator's deterministic file, made once.
gen() {
    local file=$1 rows=$2
    shift 2
    if [ ! -s "$file" ]; then
        cmdline "$GEN" "$rows" "$file" "$@"
        "$GEN" "$rows" "$file" "$@"
    fi
}

machine() {
    say "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(awk '/MemTotal/ {printf "%.1f GB RAM", $2/1048576}' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg)"
}
machine
say "measuring: $BIN (built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$BIN" | cut -c1-12))"

# --- (1) dry run ----------------------------------------------------------------
# timed RESULTS OUT CMD…: runs CMD under /usr/bin/time with its stdout to
# OUT (stderr to $SCRATCH/time.txt) and appends "wall_s peak_rss_kb cpu_s
# exit" to RESULTS: wall from a monotonic clock around the whole (time's own
# start costs ~1 ms), peak RSS and user+sys CPU from the kernel's accounting
# of CMD (wait4, as /usr/bin/time reads it; a process started straight from
# python3 would inherit python's own ~14 MB as its peak). Returns CMD's exit
# code.
timed() {
    local results=$1 out=$2
    shift 2
    python3 - "$results" "$out" "$SCRATCH/time.txt" "$SCRATCH/rusage.txt" "$@" <<'PY'
import subprocess, sys, time
results, out, err, rusage = sys.argv[1:5]
with open(out, "wb") as o, open(err, "wb") as e:
    start = time.perf_counter()
    rc = subprocess.call(["/usr/bin/time", "-o", rusage, "-f", "%M %U %S %x"] + sys.argv[5:],
                         stdout=o, stderr=e)
    wall = time.perf_counter() - start
fields = open(rusage).read().split()[-4:]
if len(fields) != 4 or not fields[0].isdigit():
    sys.exit(f"/usr/bin/time wrote no figures for {sys.argv[5:]}: {open(rusage).read()!r}")
rss, user, system, _ = fields
with open(results, "a") as r:
    r.write(f"{wall:.4f} {rss} {float(user) + float(system):.2f} {rc}\n")
sys.exit(rc if rc >= 0 else 128 - rc)
PY
}

# pair KIND ROWS FILE ROUND: one plain parse of FILE, then one dry run,
# then the dry run's floor (examples/dry_floor: its reader and pipeline
# with no mapping or rules), appended to $SCRATCH/parse-KIND-ROWS.txt,
# dry-KIND-ROWS.txt and floor-KIND-ROWS.txt.
pair() {
    local kind=$1 rows=$2 file=$3 round=$4
    local parse=$SCRATCH/parse-$kind-$rows.txt dry=$SCRATCH/dry-$kind-$rows.txt
    local rc=0 counted
    timed "$parse" "$SCRATCH/count-out.txt" "$COUNT" "$file" || rc=$?
    if [ "$rc" != 0 ]; then
        say "   csv_count failed (exit $rc):"
        head -5 "$SCRATCH/time.txt"
        return 1
    fi
    counted=$(cat "$SCRATCH/count-out.txt")
    if [ "$counted" != "$rows" ]; then
        say "   csv_count read $counted records in $file, not $rows: the file is not the generator's"
        return 1
    fi
    rc=0
    timed "$dry" "$SCRATCH/dry-$kind-$rows-out.txt" "$BIN" validate "$file" --to bigcommerce --quiet || rc=$?
    if [ "$rc" -gt 1 ]; then
        say "   validate failed (exit $rc):"
        cat "$SCRATCH/dry-$kind-$rows-out.txt" "$SCRATCH/time.txt" 2>/dev/null | head -20
        return 1
    fi
    rc=0
    timed "$SCRATCH/floor-$kind-$rows.txt" /dev/null "$DRY_FLOOR" "$file" || rc=$?
    if [ "$rc" != 0 ]; then
        say "   dry_floor failed (exit $rc):"
        head -5 "$SCRATCH/time.txt"
        return 1
    fi
    paste -d' ' "$parse" "$dry" | tail -n 1 | awk '{printf "   round %d  %-9s %9d rows: plain parse %6.3f s; dry run %6.3f s wall, %4.0f MB peak RSS, %5.2f s CPU, exit %d; ratio %.2f\n", '"$round"', "'"$kind"'", '"$rows"', $1, $5, $6/1024, $7, $8, $5/$1}'
}

# summary KIND ROWS FILE: the figures of one file, from its pairs; appends
# them as one JSON line to $SCRATCH/section1.jsonl.
summary() {
    local kind=$1 rows=$2 file=$3
    say ""
    say "-- $kind, $rows rows: $file ($(stat -c %s "$file") bytes)"
    sed -n '/rows read/,/^$/p' "$SCRATCH/dry-$kind-$rows-out.txt" | sed '/^$/d; s/^/   | /' | head -n 4
    python3 - "$SCRATCH/parse-$kind-$rows.txt" "$SCRATCH/dry-$kind-$rows.txt" "$kind" "$rows" "$(stat -c %s "$file")" "$SCRATCH/floor-$kind-$rows.txt" >>"$SCRATCH/section1.jsonl" <<'PY'
import json, sys
load = lambda p: [list(map(float, l.split())) for l in open(p) if l.strip()]
parse, dry, floor = load(sys.argv[1]), load(sys.argv[2]), load(sys.argv[6])
print(json.dumps({
    "kind": sys.argv[3], "rows": int(sys.argv[4]), "bytes": int(sys.argv[5]),
    "parse": [r[0] for r in parse], "parse_rss_kb": [r[1] for r in parse],
    "parse_cpu": [r[2] for r in parse], "dry": [r[0] for r in dry], "dry_rss_kb": [r[1] for r in dry], "dry_cpu": [r[2] for r in dry],
    "ratios": [d[0] / p[0] for p, d in zip(parse, dry)],
    "floor": [r[0] for r in floor], "floor_cpu": [r[2] for r in floor],
    "floor_ratios": [f[0] / p[0] for p, f in zip(parse, floor)],
}))
PY
    python3 - "$SCRATCH/section1.jsonl" <<'PY'
import json, statistics, sys
r = [json.loads(l) for l in open(sys.argv[1])][-1]
med = statistics.median
rows, mb = r["rows"], r["bytes"] / 1e6
d, p = r["dry"], r["parse"]
rss = max(r["dry_rss_kb"]) / 1024
ok = lambda c: "met" if c else "NOT met"
print(f"   dry run     min {min(d):.3f} s, median {med(d):.3f} s of {len(d)}   "
      f"{rows / med(d):,.0f} rows/s, {mb / med(d):,.1f} MB/s (median)")
print(f"   plain parse min {min(p):.3f} s, median {med(p):.3f} s   "
      f"{rows / med(p):,.0f} rows/s, {mb / med(p):,.1f} MB/s (median); peak RSS {max(r['parse_rss_kb']) / 1024:.0f} MB")
line = (f"   dry run / plain parse: {med(r['ratios']):.2f} (median of the pairs' ratios; "
        f"{min(r['ratios']):.2f}-{max(r['ratios']):.2f})")
if r["kind"] == "realistic" and rows == 1_000_000:
    line += f"   target <= 2.0: {ok(med(r['ratios']) <= 2.0)}"
print(line)
print(f"   peak RSS    {rss:.0f} MB (largest of the runs)   target <= 100 MB: {ok(rss <= 100)}")
cpu, pcpu = med(r["dry_cpu"]), med(r["parse_cpu"])
if cpu:
    print(f"   CPU         {cpu:.2f} s user+sys (median): {cpu / med(d):.2f} cores busy on average; "
          f"plain parse {pcpu:.2f} s (CPU ratio {cpu / pcpu if pcpu else float('nan'):.1f})")
fl, fcpu = r["floor"], med(r["floor_cpu"])
print(f"   floor       median {med(fl):.3f} s, {med(r['floor_ratios']):.2f} x the plain parse (median of the rounds), "
      f"{fcpu:.2f} s CPU: the dry run's reader and pipeline with no mapping or rules (examples/dry_floor);")
print(f"               mapping, rules, duplicate check and report: the other {max(cpu - fcpu, 0):.2f} s of the dry run's CPU")
if r["kind"] == "classic" and rows == 1_000_000:
    print(f"   (issue 6's target, this file: wall <= 1.0 s: {ok(med(d) <= 1.0)})")
PY
}

section1() {
    rule "(1) dry run, --to bigcommerce (in-file duplicate check included), against a plain CSV parse of the same file"
    say "files: classic = the generator's Shopify layout (5 % of rows broken, 5 rules, few quotes);"
    say "       realistic = gen_customers --realistic: a CRM's export, auto-mapped, every field quoted,"
    say "       CRLF, multi-line notes in ~6 % of rows, Unicode, 35 % of rows broken (13 kinds)"
    say "sizes: $SIZES rows; RUNS=$RUNS rounds; each round takes every file in turn, a plain parse then a"
    say "dry run, so that the machine's drift touches every size and both commands alike"
    say "measured per process: wall from a monotonic clock around it; peak RSS (maximum resident set size)"
    say "and user+sys CPU (to 10 ms) from /usr/bin/time"
    : >"$SCRATCH/section1.jsonl"
    local kind rows file files=() f round
    for kind in classic realistic; do
        for rows in $SIZES; do
            if [ "$kind" = classic ]; then
                file=$DATA/customers-$rows.csv
                gen "$file" "$rows"
            else
                file=$DATA/crm-$rows.csv
                gen "$file" "$rows" --realistic
            fi
            files+=("$kind $rows $file")
            : >"$SCRATCH/parse-$kind-$rows.txt"
            : >"$SCRATCH/dry-$kind-$rows.txt"
            : >"$SCRATCH/floor-$kind-$rows.txt"
        done
    done
    cmdline "$COUNT FILE                                  # plain parse (csv::ByteRecord loop)"
    cmdline "$BIN validate FILE --to bigcommerce --quiet   # dry run"
    cmdline "$DRY_FLOOR FILE                              # the dry run's floor: its reader and pipeline, no mapping or rules"
    say "   warm-up: one of each on every file, not counted (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    for f in "${files[@]}"; do
        read -r kind rows file <<<"$f"
        timed /dev/null "$SCRATCH/count-out.txt" "$COUNT" "$file" || true
        timed /dev/null "$SCRATCH/dry-$kind-$rows-out.txt" "$BIN" validate "$file" --to bigcommerce --quiet || true
    done
    for round in $(seq 1 "$RUNS"); do
        for f in "${files[@]}"; do
            read -r kind rows file <<<"$f"
            pair "$kind" "$rows" "$file" "$round" || return 1
        done
    done
    say "   load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    for f in "${files[@]}"; do
        read -r kind rows file <<<"$f"
        summary "$kind" "$rows" "$file"
    done
    say ""
    say "-- growth (medians of the rounds above)"
    python3 - "$SCRATCH/section1.jsonl" <<'PY'
import json, statistics, sys
med = statistics.median
runs = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    runs[(r["kind"], r["rows"])] = r
ok = lambda c: "met" if c else "NOT met"
for kind in ("classic", "realistic"):
    got = sorted(rows for k, rows in runs if k == kind)
    print(f"   {kind}:")
    print("     " + "   ".join(f"{rows:,} rows {med(runs[(kind, rows)]['dry']):.2f} s, "
                                f"{med(runs[(kind, rows)]['dry_rss_kb']) / 1024:.0f} MB" for rows in got))
    for small, large in zip(got, got[1:]):
        a, b = runs[(kind, small)], runs[(kind, large)]
        k = large / small
        g = med(b["dry"]) / med(a["dry"])
        gp = med(b["parse"]) / med(a["parse"])
        gc = med(b["dry_cpu"]) / med(a["dry_cpu"])
        line = (f"     {large:,}/{small:,} rows: time x{g:.2f}, x1/{k:g} = {g / k:.2f} "
                f"(plain parse {gp / k:.2f}; dry-run CPU {gc / k:.2f}; 1.00 is linear)")
        if (small, large) == (1_000_000, 2_000_000):
            line += f"   target 2M <= 2.1 x 1M: {ok(g <= 2.1)}"
        print(line)
    if len(got) >= 2:
        a, b = runs[(kind, got[-2])], runs[(kind, got[-1])]
        # A process's peak moves by 1-3 MB from run to run with how many
        # chunks the threads hold at its worst moment: the medians say what
        # each size keeps; the spread of the largest peaks is shown beside.
        added = b["rows"] - a["rows"]
        per_row = (med(b["dry_rss_kb"]) - med(a["dry_rss_kb"])) * 1024 / added
        worst = (max(b["dry_rss_kb"]) - min(a["dry_rss_kb"])) * 1024 / added
        best = (min(b["dry_rss_kb"]) - max(a["dry_rss_kb"])) * 1024 / added
        line = (f"     peak RSS per added row, {got[-2]:,} -> {got[-1]:,}: {per_row:.1f} bytes "
                f"(median peaks; {best:.1f}-{worst:.1f} from the runs' extremes)")
        if (got[-2], got[-1]) == (1_000_000, 2_000_000):
            line += f"   target <= 16: {ok(per_row <= 16)}"
        print(line)
PY
}

# --- sandbox helpers ------------------------------------------------------------
import_available() {
    "$BIN" import --help >/dev/null 2>&1
}


BC_ENV=(env BIGCOMMERCE_STORE_HASH=sandbox BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token)
base_url() { echo "http://127.0.0.1:$PORT/stores/sandbox/v3"; }

skip_unless_import() {
    if ! import_available; then
        say "SKIPPED: \`storeload import --help\` fails in this build: the import command is not available yet"
        return 1
    fi
}

# --- (2) writer at a quota ------------------------------------------------------
section2() {
    rule "(2) writer vs sandbox --quota 50/1s, BigCommerce batches of 10, at least 10 s"
    skip_unless_import || return 0
    local file=$DATA/customers-6000-valid.csv
    gen "$file" 6000 --invalid-pct 0
    start_sandbox --quota 50/1s
    local journal=$SCRATCH/quota.journal
    local polls=$SCRATCH/quota-polls.jsonl
    cmdline "BIGCOMMERCE_STORE_HASH=sandbox BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token $BIN import $file --to bigcommerce --journal $journal --base-url $(base_url) --rate 50/1s --quiet"
    local start end rc=0
    start=$(date +%s.%N)
    "${BC_ENV[@]}" timeout 120 "$BIN" import "$file" --to bigcommerce --journal "$journal" \
        --base-url "$(base_url)" --rate 50/1s --quiet >"$SCRATCH/quota-import.txt" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    # Stats every 200 ms while it runs (at most 130 s), to place the 429s in windows.
    poll_stats "$pid" "$polls" 650
    wait "$pid" || rc=$?
    end=$(date +%s.%N)
    stats_line "$end" >>"$polls"
    stop_pid "$SANDBOX_PID"
    say "   import exit $rc in $(python3 -c "print(f'{$end - $start:.1f}')") s"
    sed 's/^/   | /' "$SCRATCH/quota-import.txt" | tail -n 8
    python3 - "$polls" <<'EOF'
import json, sys
polls = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
polls = [p for p in polls if p["stats"]]
if not polls:
    sys.exit("   no stats were read from the sandbox")
last = polls[-1]["stats"]["bigcommerce"]
by = last.get("by_status", {})
quota = 50
ok2 = sum(v for k, v in by.items() if k.startswith("2"))
n429 = by.get("429", 0)
windows = [w for w in last.get("windows", []) if w.get("credential", "full") == "full"]
print(f"   sandbox: {last.get('requests')} requests, by status {by}")
if len(windows) >= 3:
    full = windows[1:-1]  # the first and the open last window are partial
    fill = sum(w["count"] for w in full) / (len(full) * quota)
    span = (windows[-1]["start_ms"] - windows[1]["start_ms"]) / 1000
    rate = sum(w["count"] for w in windows[1:-1]) / span if span > 0 else 0
    print(f"   windows: {len(windows)}; admitted per full window {[w['count'] for w in full][:20]}{' …' if len(full) > 20 else ''}")
    print(f"   achieved / quota: {fill:.3f} (admitted per full window / 50); {rate:.1f} req/s over windows 2..n-1 = {rate / quota:.3f} of quota   target >= 0.97: {'met' if min(fill, rate / quota) >= 0.97 else 'NOT met'}")
    # 429s per window: each poll's new 429s go to the window open at that poll.
    per = [0] * len(windows)
    prev = 0
    for p in polls:
        s = p["stats"]["bigcommerce"]
        ws = [w for w in s.get("windows", []) if w.get("credential", "full") == "full"]
        n = s.get("by_status", {}).get("429", 0)
        if n > prev and ws:
            i = max(0, len(ws) - 1)
            per[min(i, len(per) - 1)] += n - prev
        prev = n
    after_first = per[1:]
    worst = max(after_first) if after_first else 0
    print(f"   429s: {n429} in all; per window (placed by 200 ms polls) first {per[0]}, after the first at most {worst}   target <= 1 per window after the first: {'met' if worst <= 1 else 'NOT met'}")
else:
    print(f"   only {len(windows)} quota windows were seen: the run was too short to judge (2xx: {ok2}, 429: {n429})")
EOF
}

# --- (3) resume of 1,000,000 outcomes ---------------------------------------------
section3() {
    rule "(3) resume of a journal holding 1,000,000 outcomes: time from start to the first new request"
    skip_unless_import || return 0
    local file=$DATA/customers-1000001-valid.csv
    gen "$file" 1000001 --invalid-pct 0
    start_sandbox
    local seed=$SCRATCH/seed.journal journal=$SCRATCH/resume.journal
    # A real header for this input (fingerprint, mapping, options of this build,
    # which the resume reuses: --rate 50/1s): an import, stopped (Ctrl-C) once
    # its first `sent` line is written. Only its header is kept.
    cmdline "BIGCOMMERCE_STORE_HASH=sandbox BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token $BIN import $file --to bigcommerce --journal $seed --base-url $(base_url) --rate 50/1s --quiet   # stopped after its first request"
    "${BC_ENV[@]}" timeout 300 "$BIN" import "$file" --to bigcommerce --journal "$seed" \
        --base-url "$(base_url)" --rate 50/1s --quiet >"$SCRATCH/seed-import.txt" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 1200); do
        grep -q '"type":"sent"' "$seed" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.25
    done
    stop_pid "$pid"
    if ! head -n 1 "$seed" 2>/dev/null | grep -q '"type":"header"'; then
        say "   could not get a journal header from a real import:"
        sed 's/^/   | /' "$SCRATCH/seed-import.txt" | head -20
        stop_pid "$SANDBOX_PID"
        return 0
    fi
    # The journal: that header, then a `created` outcome for records 1..1,000,000;
    # record 1,000,001 is the one new record.
    cmdline "python3 (inline): header of $seed + 1,000,000 created lines > $journal"
    python3 - "$seed" "$file" "$journal" 1000000 <<'EOF'
import csv, json, sys
seed, data, out, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
header = json.loads(open(seed).readline())
assert header["type"] == "header", header
with open(data, newline="", encoding="utf-8") as f, open(out, "w") as j:
    j.write(json.dumps(header, separators=(",", ":")) + "\n")
    reader = csv.reader(f)
    cols = next(reader)
    email_at = cols.index("Email")
    line = reader.line_num + 1
    for record, row in enumerate(reader, start=1):
        if record > n:
            break
        email = row[email_at].strip().lower()
        j.write(json.dumps({"type": "created", "key": email, "record": record, "line": line,
                            "id": str(record), "email": email}, separators=(",", ":")) + "\n")
        line = reader.line_num + 1
EOF
    say "   journal: $(wc -l <"$journal") lines, $(stat -c %s "$journal") bytes"
    local before
    before=$(stats | python3 -c 'import json,sys; print(json.load(sys.stdin)["bigcommerce"]["requests"])')
    cmdline "BIGCOMMERCE_STORE_HASH=sandbox BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token $BIN resume $journal --quiet"
    local start first=""
    start=$(date +%s.%N)
    "${BC_ENV[@]}" timeout 120 "$BIN" resume "$journal" --quiet >"$SCRATCH/resume.txt" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    # One python3 process polls the sandbox every 5 ms (at most 60 s) for the
    # resume's first request and prints when it saw it.
    first=$(python3 - "$PORT" "$before" "$pid" <<'EOF'
import json, os, sys, time, urllib.request
port, before, pid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
url = f"http://127.0.0.1:{port}/_sandbox/stats"
deadline = time.time() + 60
while time.time() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            if json.load(r)["bigcommerce"]["requests"] > before:
                print(time.time())
                break
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        break
    time.sleep(0.005)
EOF
)
    # One record is left to send: let the resume finish (at most 60 s more).
    for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    stop_pid "$pid"
    stop_pid "$SANDBOX_PID"
    sed 's/^/   | /' "$SCRATCH/resume.txt" | tail -n 8
    python3 - "$journal" "$start" "${first:-}" <<'EOF'
import json, sys
from datetime import datetime
journal, start, first = sys.argv[1], float(sys.argv[2]), sys.argv[3]
if first:
    secs = float(first) - start
    print(f"   first request of any kind seen by the sandbox (a pre-flight read counts): {secs:.2f} s after start (polled every 5 ms)")
else:
    print("   the sandbox saw no request from the resume within the wait")
sent = None
with open(journal) as f:
    for line in f:
        if '"type":"sent"' in line:
            sent = json.loads(line)
if sent:
    at = datetime.fromisoformat(sent["at"].replace("Z", "+00:00")).timestamp()
    print(f"   first new `sent` line: batch {sent['batch']}, records {[r['record'] for r in sent['records']]}, at {at - start:.2f} s after start   target <= 1 s: {'met' if at - start <= 1.0 else 'NOT met'}")
else:
    print("   the resume wrote no `sent` line")
EOF
}

# --- (4) client CPU per request ------------------------------------------------------
section4() {
    rule "(4) writer vs sandbox, no quota, no latency: client CPU time per request"
    skip_unless_import || return 0
    local rows=20000
    local file=$DATA/customers-$rows-valid.csv
    gen "$file" "$rows" --invalid-pct 0
    local results=$SCRATCH/cpu-runs.txt
    : >"$results"
    local i rc requests
    # Each run on a fresh sandbox (the same emails would be "already there"),
    # the import, then the floor beside it: the same requests sent by the
    # writer's own HTTP call on one thread at the same concurrency, nothing
    # else (examples/http_floor.rs).
    for i in $(seq 1 "$RUNS"); do
        start_sandbox
        local journal=$SCRATCH/cpu-$i.journal
        cmdline "env BIGCOMMERCE_STORE_HASH=sandbox BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token $BIN import $file --to bigcommerce --journal $journal --base-url $(base_url) --rate 1000000/1s --quiet"
        rc=0
        cputime "$SCRATCH/cpu-time.txt" "${BC_ENV[@]}" timeout 300 "$BIN" import "$file" \
            --to bigcommerce --journal "$journal" --base-url "$(base_url)" --rate 1000000/1s --quiet \
            >"$SCRATCH/cpu-import.txt" 2>&1 || rc=$?
        requests=$(stats | python3 -c 'import json,sys; s=json.load(sys.stdin)["bigcommerce"]; print(s["requests"])')
        if [ "$rc" != 0 ]; then
            say "   import exit $rc:"
            sed 's/^/   | /' "$SCRATCH/cpu-import.txt" | tail -n 6
        fi
        cmdline "BIGCOMMERCE_ACCESS_TOKEN=sandbox-bc-token $FLOOR $file $(base_url) 4"
        "${BC_ENV[@]}" "$FLOOR" "$file" "$(base_url)" 4 >"$SCRATCH/cpu-floor.txt" 2>&1 || true
        stop_pid "$SANDBOX_PID"
        python3 - "$SCRATCH/cpu-time.txt" "$requests" "$SCRATCH/cpu-floor.txt" >>"$results" <<'EOF'
import re, sys
u, s, e = open(sys.argv[1]).read().split()[-3:]
floor = re.search(r"([0-9.]+) µs per request", open(sys.argv[3]).read())
print(float(u) + float(s), float(e), int(sys.argv[2]), float(floor.group(1)) if floor else -1)
EOF
        tail -n 1 "$results" | awk '{printf "   run %d: %d requests, %.3f s CPU in %.2f s = %.1f µs per request; floor %.1f µs\n", '"$i"', $3, $1, $2, $1 / $3 * 1e6, $4}'
    done
    sed 's/^/   | /' "$SCRATCH/cpu-import.txt" | tail -n 5
    # The same file's dry run: the share of the import's CPU that reading,
    # mapping and checking (not sending) costs. An import of this size reads
    # its input once (the plan's dry pass keeps the checked records).
    : >"$SCRATCH/cpu-validate.txt"
    cmdline "$BIN validate $file --to bigcommerce --quiet   # CPU measured the same way, $RUNS runs"
    for i in $(seq 1 "$RUNS"); do
        cputime "$SCRATCH/cpu-v.txt" "$BIN" validate "$file" --to bigcommerce --quiet >/dev/null 2>&1 || true
        cat "$SCRATCH/cpu-v.txt" >>"$SCRATCH/cpu-validate.txt"
    done
    python3 - "$results" "$SCRATCH/cpu-validate.txt" <<'EOF'
import statistics, sys
runs = [list(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
runs = [r for r in runs if r[2] > 0]
if not runs:
    sys.exit("   the sandbox saw no request")
vals = [sum(map(float, l.split()[:2])) for l in open(sys.argv[2]) if l.strip()]
n = statistics.median(r[2] for r in runs)
per = statistics.median(r[0] / r[2] * 1e6 for r in runs)
floors = [r[3] for r in runs if r[3] >= 0]
check = statistics.median(vals) / n * 1e6 if vals else float("nan")
print(f"   client CPU per request (median of {len(runs)}): {per:.1f} µs   (issue 18 retired the <= 50 µs target: at 15 requests/s, BigCommerce's highest quota, this is {per * 15 / 1e4:.2f} % of one core)")
print(f"   of which reading, mapping and checking (a dry run of the same file, median) {check:.1f} µs; sending and journaling ≈ {per - check:.1f} µs")
if floors:
    print(f"   floor: the HTTP exchange alone (reqwest/hyper on loopback, the same bodies and concurrency, one thread) {statistics.median(floors):.1f} µs per request (median)")
EOF
}

# --- (5) a ~200 MB JSON document -----------------------------------------------------
section5() {
    local file=$DATA/customers-$JSON_ROWS.json
    rule "(5) one JSON array of $JSON_ROWS customers (about 200 MB), --to bigcommerce: peak RSS"
    gen "$file" "$JSON_ROWS" --json
    local bytes
    bytes=$(stat -c %s "$file")
    say "input: $file, $bytes bytes ($((bytes / 1000000)) MB)"
    if ! { [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; }; then
        say "   /usr/bin/time -v is not available: skipped"
        return 0
    fi
    local out=$SCRATCH/json-time.txt rc=0
    cmdline "/usr/bin/time -v $BIN validate $file --to bigcommerce --quiet"
    /usr/bin/time -v "$BIN" validate "$file" --to bigcommerce --quiet >"$SCRATCH/json-out.txt" 2>"$out" || rc=$?
    sed 's/^/   | /' "$SCRATCH/json-out.txt" | head -n 4
    python3 - "$out" "$rc" "$bytes" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", text).group(1)
secs = 0.0
for part in wall.split(":"):
    secs = secs * 60 + float(part)
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1)) / 1024
mb = int(sys.argv[3]) / 1e6
print(f"   exit {sys.argv[2]}; {mb:.0f} MB in {secs:.2f} s ({mb / secs:.0f} MB/s); peak RSS {rss:.0f} MB   target < 100 MB: {'met' if rss < 100 else 'NOT met'}")
EOF
}

for s in $SECTIONS; do
    case $s in
        1) section1 ;;
        2) section2 ;;
        3) section3 ;;
        4) section4 ;;
        5) section5 ;;
        *) say "unknown section $s (1-5)"; exit 2 ;;
    esac
done
