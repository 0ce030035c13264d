#!/usr/bin/env bash
# bench_vgg8: VGG-8 on the default 16x16 config (bench_net.sh on configs/vgg8.yaml).
# Usage: bench/bench_vgg8.sh [build dir] [extra sim_run options]
exec "$(dirname "$0")/bench_net.sh" "$(dirname "$0")/../configs/vgg8.yaml" "$@"
