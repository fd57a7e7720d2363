#!/usr/bin/env bash
# benches/nightly.sh — issue 17's bench: a 1M-row nightly input with 1 %
# changed against a 1M-key state (`storeload import --sync --state`): the
# time from start to the first request (the journal's first `sent` line)
# and the process's peak RSS. Target (issue 17): loading 1M keys and
# diffing a 1M-row input under 2 s on 2 cores.
#
# Night 1 is made without sending 100,000 requests:
#   1. `gen_customers ROWS` valid rows (--invalid-pct 0): night 1's file;
#      night 2's is the same with one city changed in every block of 100
#      rows (the block's first row with an address): 1 %.
#   2. A real `storeload import --sync --state` into `storeload sandbox` of
#      the first SEED of those changed rows as night 1 had them: the
#      sandbox holds them and the state has their ids and hashes.
#   3. `examples/nightly_state` adds every other key of night 1's file to
#      the same state, through the library (the run's own mapping, checks,
#      keys and record hashes), under ids the sandbox never gives.
# Night 2 is `storeload import --sync --state` of the changed file under
# `/usr/bin/time -v`: it reads the state, validates and diffs the 1M rows,
# plans, then updates the changed customers in file order. The journal is
# polled for its first `sent` line. MODE=rate (default): at `--rate RATE`
# (5/1s), interrupted (SIGINT, exit 130) once that line is there, so only
# the first seeded customers are updated. MODE=limit: `--limit SEED`, run
# to its end. Each night 2 starts from night 1's state. The bench fails
# unless the plan counts exactly the changed rows to update, the rest
# unchanged and none to create; night 2 creates and rejects nothing; and
# the sandbox holds the new city for exactly the customers updated.
#
# Beside it, in the same minute: `storeload import … --plan` of night 2
# (state read-only, validate, diff, plan; nothing sent) and `storeload
# validate` of the same file (no state): the difference is the state's
# share.
#
# Usage: benches/nightly.sh
# Environment: ROWS (default 1000000), SEED (customers night 1 sends to the
#              sandbox, default 1000), MODE (rate or limit), RATE (5/1s),
#              RUNS (night-2 runs, default 1; each from night 1's state),
#              KEEP=1 keeps the scratch directory (journals, logs, state),
#              BIN, GEN, STATE_BIN: binaries to measure instead of
#              target/release's; SKIP_BUILD=1 measures them without building.
#
# Talks only to 127.0.0.1; every wait is bounded in time; whatever it starts
# is stopped on exit (trap).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
DATA=$ROOT/target/bench-data
BIN=${BIN:-$ROOT/target/release/storeload}
GEN=${GEN:-$ROOT/target/release/examples/gen_customers}
STATE_BIN=${STATE_BIN:-$ROOT/target/release/examples/nightly_state}
ROWS=${ROWS:-1000000}
SEED=${SEED:-1000}
MODE=${MODE:-rate}
RATE=${RATE:-5/1s}
case $MODE in rate | limit) ;; *) echo "benches/nightly.sh: MODE is rate or limit, not $MODE"; exit 2 ;; esac
RUNS=${RUNS:-1}
STORE=sandbox
TOKEN=sandbox-bc-token

. benches/lib.sh
bench_init storeload-nightly
die() { say "benches/nightly.sh: $*"; exit 1; }
need_tools benches/nightly.sh python3 curl /usr/bin/time

if [ "${SKIP_BUILD:-0}" = 1 ]; then
    rule "build skipped (SKIP_BUILD=1): measuring $BIN"
else
    rule "build (release)"
    cmdline cargo build --release --bin storeload --example gen_customers --example nightly_state
    cargo build --release --bin storeload --example gen_customers --example nightly_state 2>&1 | tail -n 1
fi
for b in "$BIN" "$GEN" "$STATE_BIN"; do
    [ -x "$b" ] || { say "benches/nightly.sh: $b is not there or not executable"; exit 2; }
done
mkdir -p "$DATA"
say "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "measuring: $BIN (built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC'), sha256 $(sha256sum "$BIN" | cut -c1-12))"

rule "inputs: $ROWS valid rows, 1 % changed"
NIGHT1=$DATA/customers-$ROWS-valid.csv
if [ ! -s "$NIGHT1" ]; then
    cmdline "$GEN" "$ROWS" "$NIGHT1" --invalid-pct 0
    "$GEN" "$ROWS" "$NIGHT1" --invalid-pct 0
fi
NIGHT2=$SCRATCH/night2.csv
SEEDED=$SCRATCH/night1-seed.csv
# One row in every 100 moves to another city; the first SEED of them, as
# night 1 had them, go to the seed file.
python3 - "$NIGHT1" "$NIGHT2" "$SEEDED" "$SEED" <<'EOF'
import csv, sys
src, night2, seed, limit = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
with open(src, newline='', encoding='utf-8') as f, \
     open(night2, 'w', newline='', encoding='utf-8') as n2, \
     open(seed, 'w', newline='', encoding='utf-8') as sd:
    rows = csv.reader(f)
    header = next(rows)
    city = header.index('Default Address City')
    out2, outs = csv.writer(n2, lineterminator='\n'), csv.writer(sd, lineterminator='\n')
    out2.writerow(header)
    outs.writerow(header)
    address1 = header.index('Default Address Address1')
    changed, block_done = 0, False
    for i, row in enumerate(rows):
        if i % 100 == 0:
            block_done = False
        # A row without an address has no city to change (a city alone is
        # no address): each block's first row with one is changed.
        if not block_done and row[city].strip() and row[address1].strip():
            if changed < limit:
                outs.writerow(row)
            row[city] = row[city] + ' North'
            changed += 1
            block_done = True
        out2.writerow(row)
print(f"   {i + 1} rows, {changed} changed (in each block of 100 rows, the first with an address: Default Address City + ' North'); seed: the first {min(changed, limit)} of them as night 1 had them")
with open(night2 + '.changed', 'w') as f:
    f.write(str(changed))
EOF
CHANGED=$(cat "$NIGHT2.changed")

rule "sandbox"
start_sandbox || die "the sandbox did not start"
BASE="http://127.0.0.1:$PORT/stores/$STORE/v3"
export BIGCOMMERCE_STORE_HASH=$STORE BIGCOMMERCE_ACCESS_TOKEN=$TOKEN
STATE=$SCRATCH/store.state

rule "night 1: $SEED customers through the sandbox, the rest through the library"
cmdline "$BIN import night1-seed.csv --to bigcommerce --journal night1.journal --base-url $BASE --sync --state store.state --quiet"
rc=0
timeout 300 "$BIN" import "$SEEDED" --to bigcommerce --journal "$SCRATCH/night1.journal" \
    --base-url "$BASE" --sync --state "$STATE" --quiet >"$SCRATCH/night1.txt" 2>&1 || rc=$?
sed 's/^/   | /' "$SCRATCH/night1.txt" | tail -n 4
[ "$rc" = 0 ] || die "night 1's seed import exited $rc"
cmdline "$STATE_BIN $NIGHT1 store.state --base-url $BASE --store $STORE"
timeout 600 "$STATE_BIN" "$NIGHT1" "$STATE" --base-url "$BASE" --store "$STORE" | sed 's/^/   /'
cp "$STATE" "$SCRATCH/night1.state"

# night2 N: one night-2 import from night 1's state; prints its figures and
# appends them as a JSON line to $SCRATCH/results.jsonl.
night2() {
    local n=$1 journal=$SCRATCH/night2-$1.journal mode_args
    if [ "$MODE" = rate ]; then mode_args=(--rate "$RATE"); else mode_args=(--limit "$SEED"); fi
    cp "$SCRATCH/night1.state" "$STATE"
    cmdline "/usr/bin/time -v $BIN import night2.csv --to bigcommerce --journal night2-$n.journal --base-url $BASE --sync --state store.state ${mode_args[*]} --summary summary-$n.json --quiet"
    [ "$MODE" = rate ] && say "   (interrupted with SIGINT once the journal has its first \`sent\` line)"
    python3 - "$journal" "$SCRATCH/time-$n.txt" "$SCRATCH/summary-$n.json" "$SCRATCH/night2-$n.txt" \
        "$MODE" /usr/bin/time -v -o "$SCRATCH/time-$n.txt" \
        "$BIN" import "$NIGHT2" --to bigcommerce --journal "$journal" --base-url "$BASE" \
        --sync --state "$STATE" "${mode_args[@]}" --summary "$SCRATCH/summary-$n.json" --quiet \
        >>"$SCRATCH/results.jsonl" <<'EOF'
import json, os, re, signal, subprocess, sys, time
journal, timefile, summary, log, mode = sys.argv[1:6]
cmd = sys.argv[6:]
needle = b'"type":"sent"'
start = time.monotonic()
with open(log, 'wb') as out:
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT)
first, offset, tail = None, 0, b''
deadline = start + 600
# Waits for the journal's first `sent` line (reading only what was added
# since the last look), or for the process to end; bounded by the deadline.
while first is None and time.monotonic() < deadline:
    try:
        with open(journal, 'rb') as j:
            j.seek(offset)
            data = j.read()
    except FileNotFoundError:
        data = b''
    if data:
        offset += len(data)
        if needle in tail + data:
            first = time.monotonic() - start
            break
        tail = data[-len(needle):]
    elif proc.poll() is not None:
        break
    else:
        time.sleep(0.002)
if mode == 'rate' and proc.poll() is None:
    # /usr/bin/time passes no signal on: interrupt storeload, its child.
    try:
        with open(f'/proc/{proc.pid}/task/{proc.pid}/children') as f:
            children = [int(p) for p in f.read().split()]
    except OSError:
        children = []
    for child in children:
        os.kill(child, signal.SIGINT)
try:
    rc = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
except subprocess.TimeoutExpired:
    proc.kill()
    rc = proc.wait()
wall = time.monotonic() - start
text = open(timefile).read() if os.path.exists(timefile) else ''
def field(name):
    m = re.search(re.escape(name) + r':\s*(\S+)', text)
    return m.group(1) if m else None
rss_kb = field('Maximum resident set size (kbytes)')
user, system = field('User time (seconds)'), field('System time (seconds)')
status = field('Exit status')
counts = {}
try:
    counts = json.load(open(summary)).get('counts', {})
except (OSError, ValueError):
    pass
print(json.dumps({
    'exit': int(status) if status else rc, 'first_sent_s': first, 'wall_s': wall,
    'peak_rss_mb': int(rss_kb) / 1024 if rss_kb else None,
    'cpu_s': float(user) + float(system) if user and system else None,
    'counts': counts,
}))
EOF
    local line
    line=$(tail -n 1 "$SCRATCH/results.jsonl")
    sed 's/^/   | /' "$SCRATCH/night2-$n.txt" | tail -n 4
    python3 - "$line" "$MODE" "$SEED" <<'EOF'
import json, sys
r, mode, seed = json.loads(sys.argv[1]), sys.argv[2], int(sys.argv[3])
c = r['counts']
first = f"{r['first_sent_s']:.2f} s" if r['first_sent_s'] is not None else 'never'
print(f"   exit {r['exit']}; first `sent` line at {first}; whole run {r['wall_s']:.2f} s; "
      f"CPU {r['cpu_s']:.2f} s; peak RSS {r['peak_rss_mb']:.0f} MB")
print(f"   counts: " + ', '.join(f'{k} {v}' for k, v in c.items() if v))
wrong = []
if r['first_sent_s'] is None:
    wrong.append('no `sent` line')
if c.get('created', 0) or c.get('rejected', 0) or c.get('failed', 0):
    wrong.append('created, rejected or failed records')
if mode == 'limit' and c.get('updated', 0) != seed:
    wrong.append(f'{c.get("updated", 0)} updated, not {seed}')
if mode == 'rate' and not 1 <= c.get('updated', 0) <= seed:
    wrong.append(f'{c.get("updated", 0)} updated, not 1 to {seed}')
if wrong:
    print('   WRONG: ' + '; '.join(wrong))
    sys.exit(1)
EOF
}

rule "night 2: $ROWS rows, $CHANGED changed, against the $ROWS-key state (MODE=$MODE)"
for n in $(seq 1 "$RUNS"); do
    night2 "$n" || die "night 2 (run $n) is not what it should be (scratch: KEEP=1 keeps it)"
done

rule "the sandbox holds the new values"
curl -sf --max-time 30 "http://127.0.0.1:$PORT/_sandbox/customers?platform=bigcommerce" >"$SCRATCH/customers.json" \
    || die "GET /_sandbox/customers failed"
python3 - "$SCRATCH/customers.json" "$SEED" "$SCRATCH/results.jsonl" <<'EOF'
import json, sys
doc, seed = json.load(open(sys.argv[1])), int(sys.argv[2])
updated = max(json.loads(l)['counts'].get('updated', 0) for l in open(sys.argv[3]))
cs = doc['customers']
def cities(c):
    return [a.get('city', '') for a in (c.get('addresses') or [])]
moved = sum(1 for c in cs if c.get('_updates', 0) >= 1 and any(x.endswith(' North') for x in cities(c)))
print(f"   {len(cs)} customers, {moved} of them updated to their new city (most updated by one night 2: {updated})")
if len(cs) != seed or moved != updated:
    print(f"   WRONG: wanted {seed} customers, {updated} of them with the new city")
    sys.exit(1)
EOF

rule "beside it: the plan alone (state read, validate, diff; nothing sent), and validate (no state)"
cp "$SCRATCH/night1.state" "$STATE"
timed() {
    local name=$1
    shift
    local start end rc=0
    start=$(date +%s.%N)
    /usr/bin/time -f '%M %U %S' -o "$SCRATCH/$name.time" "$@" >"$SCRATCH/$name.txt" 2>&1 || rc=$?
    end=$(date +%s.%N)
    read -r rss user sys <"$SCRATCH/$name.time"
    python3 -c "print(f'   {\"$name\":9} wall {$end - $start:.2f} s, CPU {$user + $sys:.2f} s, peak RSS {$rss / 1024:.0f} MB, exit $rc')"
}
cmdline "$BIN import night2.csv --to bigcommerce --journal plan.journal --base-url $BASE --sync --state store.state --plan"
timed plan "$BIN" import "$NIGHT2" --to bigcommerce --journal "$SCRATCH/plan.journal" --base-url "$BASE" \
    --sync --state "$STATE" --plan
planned=$(grep -m1 -E 'to create .* to update .* unchanged' "$SCRATCH/plan.txt" || true)
say "   | $planned"
want="0 to create · $CHANGED to update · $((ROWS - CHANGED)) unchanged"
case $planned in *"$want"*) ;; *) die "the plan should say \"$want\"" ;; esac
cmdline "$BIN validate night2.csv --to bigcommerce --quiet"
timed validate "$BIN" validate "$NIGHT2" --to bigcommerce --quiet

say ""
say "target (issue 17): load 1M keys + diff 1M rows < 2 s on 2 cores; see benches/README.md"
