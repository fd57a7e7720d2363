#!/usr/bin/env bash
# benches/hostile_inputs.sh — peak memory of `storeload validate` on the
# hostile inputs of issue 15 #4, each generated on the fly (streamed through a
# pipe into a file in a scratch directory, never held in memory):
#   (1) 200 MB of blank lines after a CSV header (LF);
#   (2) the same with CRLF and lone CR;
#   (3) a gzip of ~1 GB of newlines (a ~1 MB file);
#   (4) a gzip of a CSV whose one row is a multi-GB line with no newline;
#   (5) the same line as JSONL, and (6) as one element of a JSON array.
# Target: peak RSS under 100 MB for each (the default --max-record-bytes,
# 1 MiB). Each line printed: the case, exit code, wall time, peak RSS.
#
# Usage: benches/hostile_inputs.sh [1] [2] [3] [4] [5] [6]   (no argument: all)
# Environment: BLANK_MB (default 200), NEWLINES_MB (default 1024),
#              LINE_MB (size of the one long line, default 3072),
#              KEEP=1 keeps the scratch directory.
# No pipefail: `yes | head` ends `yes` by SIGPIPE, which is how it should end.
set -eu

cd "$(dirname "$0")/.."
BIN=$PWD/target/release/storeload
BLANK_MB=${BLANK_MB:-200}
NEWLINES_MB=${NEWLINES_MB:-1024}
LINE_MB=${LINE_MB:-3072}
CASES=${*:-1 2 3 4 5 6}
TIME=/usr/bin/time
[ -x "$TIME" ] || { echo "needs GNU time at /usr/bin/time (apt-get install time)"; exit 2; }

cargo build --release --quiet
SCRATCH=$(mktemp -d)
[ "${KEEP:-}" = 1 ] || trap 'rm -rf "$SCRATCH"' EXIT

HEADER='email,first_name,last_name'
MB=$((1024 * 1024))

# measure NAME FILE [ARGS...]: runs validate on FILE and prints one line.
measure() {
    local name=$1 file=$2; shift 2
    local log=$SCRATCH/time.log
    local code=0
    "$TIME" -v "$BIN" validate "$file" --to salesive "$@" >/dev/null 2>"$log" || code=$?
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log")
    printf '%-46s exit %-3s %9s  peak RSS %6.1f MB  %s\n' "$name" "$code" "$wall" \
        "$(echo "$rss / 1024" | bc -l)" "$( [ "$rss" -lt 102400 ] && echo ok || echo OVER 100 MB)"
}

for c in $CASES; do
    case $c in
    1)
        f=$SCRATCH/blank.csv
        { echo "$HEADER"; yes '' | head -c $((BLANK_MB * MB)); echo 'a@example.com,Ann,Lee'; } >"$f"
        measure "(1) ${BLANK_MB} MB of blank lines (LF)" "$f"
        ;;
    2)
        f=$SCRATCH/blank-crlf.csv
        { echo "$HEADER"; yes $'\r\n\r' | head -c $((BLANK_MB * MB)); echo 'a@example.com,Ann,Lee'; } >"$f"
        measure "(2) ${BLANK_MB} MB of blank lines (CRLF, CR)" "$f"
        ;;
    3)
        f=$SCRATCH/newlines.csv.gz
        { echo "$HEADER"; yes '' | head -c $((NEWLINES_MB * MB)); } | gzip -1 >"$f"
        measure "(3) gzip of ${NEWLINES_MB} MB of newlines ($(du -h "$f" | cut -f1))" "$f"
        ;;
    4)
        f=$SCRATCH/oneline.csv.gz
        { echo "$HEADER"; printf 'a@example.com,'; yes x | tr -d '\n' | head -c $((LINE_MB * MB)); } | gzip -1 >"$f"
        measure "(4) gzip CSV, one ${LINE_MB} MB line, no newline" "$f"
        ;;
    5)
        f=$SCRATCH/oneline.jsonl.gz
        { printf '{"email": "'; yes x | tr -d '\n' | head -c $((LINE_MB * MB)); } | gzip -1 >"$f"
        measure "(5) gzip JSONL, one ${LINE_MB} MB line" "$f"
        ;;
    6)
        f=$SCRATCH/oneline.json.gz
        { printf '[{"email": "'; yes x | tr -d '\n' | head -c $((LINE_MB * MB)); printf '"}]'; } | gzip -1 >"$f"
        measure "(6) gzip JSON, one ${LINE_MB} MB element" "$f" --format json
        ;;
    *) echo "no case $c (1-6)"; exit 2 ;;
    esac
    rm -f "$SCRATCH"/*.csv "$SCRATCH"/*.gz
done
