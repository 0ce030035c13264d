#!/usr/bin/env bash
# The docs' GTKWave screenshots, docs/waveform_<view>.png, one per shipped view: taken by the test
# that opens every view on a dump of VGG-8's conv3 under Xvfb and checks what GTKWave shows
# (tests/integration/gtkwave_view_test.cc), so the pictures are of what the test held. Needs
# xvfb, xauth, x11-apps (xwd), gtkwave and imagemagick (convert): tools/install_deps.sh.
# Usage: tools/screenshot_waveform.sh [build dir, default build]
set -euo pipefail
build=$(realpath "${1:-build}")
cd "$(dirname "$0")/.."
for tool in xvfb-run xwd gtkwave convert; do
  command -v "$tool" > /dev/null || { echo "$tool is missing: tools/install_deps.sh" >&2; exit 1; }
done
cmake --build "$build" -j2 --target gtkwave_view_tests sim_run
SASIM_WAVEFORM_SHOTS="$PWD/docs" "$build/tests/gtkwave_view_tests"
ls -l docs/waveform_*.png
