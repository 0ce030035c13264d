#!/usr/bin/env bash
# Renders VGG-8's report.html in headless Chromium to docs/report.png (the README's picture).
# Usage: tools/screenshot_report.sh [build dir]
set -euo pipefail
build=$(realpath "${1:-build}")
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/sim/sim_run" --net configs/vgg8.yaml --out "$out/run" --quiet > /dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$out/profile" --hide-scrollbars --window-size=1000,2400 \
  --screenshot="$PWD/docs/report.png" "file://$out/run/report.html" 2> /dev/null
echo "wrote docs/report.png"
