#!/usr/bin/env bash
# Screenshot of GTKWave showing a sim_run dump with one of the shipped views, for the docs.
# Needs xvfb, gtkwave, x11-apps (xwd) and imagemagick (convert).
# Usage: tools/screenshot_waveform.sh [build dir] [view, default array] [layer, default conv3]
set -euo pipefail
build=$(realpath "${1:-build}")
view=${2:-array}
layer=${3:-conv3}
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/sim/sim_run" --net configs/vgg8.yaml --out "$out/run" --quiet --no-html \
  --trace "$out/dump.fst" --trace-cycles 1100:1160 > /dev/null
xvfb-run -a -s "-screen 0 1400x820x24" bash -c "
  gtkwave '$out/dump.fst' 'waveforms/$view.gtkw' > /dev/null 2>&1 &
  pid=\$!
  sleep 8
  xwd -root -silent | convert xwd:- png:'$PWD/docs/waveform_$view.png'
  kill \$pid"
echo "wrote docs/waveform_$view.png"
