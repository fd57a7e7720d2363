#!/usr/bin/env bash
# Regenerates docs/report.png: the dry-run HTML report of the messy sample
# (samples/messy-customers.csv into BigCommerce), rendered by headless
# Chromium. Needs chromium (apt-get install -y chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
chromium="${STORELOAD_CHROMIUM:-chromium}"
command -v "$chromium" >/dev/null || { echo "no chromium: apt-get install -y chromium" >&2; exit 2; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --quiet
# Exit 1 is expected: the sample has invalid rows.
./target/debug/storeload validate samples/messy-customers.csv --to bigcommerce \
  --html "$work/report.html" --quiet >/dev/null || [ $? -eq 1 ]
"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/profile" --hide-scrollbars --window-size=1280,2000 \
  --screenshot="$work/report.png" "file://$work/report.html" 2>/dev/null
mkdir -p docs
mv "$work/report.png" docs/report.png
echo "wrote docs/report.png"
