#!/usr/bin/env bash
# bench_shapes: the design space as a user sweeps it. Each network on each array shape (the
# default 16x16 and configs/hw/shapes/*.yaml; a shape's Verilated model is built on first use,
# into the model cache) at batch 1 and batch 16, on the RTL (bare core: cycle-identical to the
# platform). Prints cycles per image, PE utilization, the cycles against the config's roofline
# sum, energy per image and the simulator's wall time; every run is checked bit-exact.
# Usage: bench/bench_shapes.sh [build dir] [NET.yaml ...]   (default: VGG-8 and ResNet-18)
# Takes about 20 minutes on 2 cores with every model cached (ResNet-18 at batch 16 is ~37 M
# cycles on 16x16), plus a model build per shape the first time.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
shift || true
nets=("$@")
if [ ${#nets[@]} -eq 0 ]; then nets=(configs/vgg8.yaml configs/nets/resnet18_cifar.yaml); fi
shapes=(configs/hw/default.yaml configs/hw/shapes/*.yaml)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
printf '%-16s %-8s %5s %12s %7s %9s %12s %8s\n' network shape batch cycles/img util \
  cyc/roof uJ/img wall_s
for net in "${nets[@]}"; do
  for hw in "${shapes[@]}"; do
    for batch in 1 16; do
      dir="$out/run"
      rm -rf "$dir"
      "$build/sim/sim_run" --net "$net" --hw "$hw" --batch "$batch" --device bare --quiet \
        --no-html --out "$dir" > "$out/log" 2>&1 || { cat "$out/log"; exit 1; }
      /usr/bin/python3 - "$dir/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t, hw, b = r["totals"], r["hw"], r["batch"]
assert r["bit_exact"], "not bit-exact"
shape = f"{hw['array_rows']}x{hw['array_cols']}"
print(f"{r['net']:<16} {shape:<8} {b:>5} {t['cycles'] / b:>12.0f} {100 * t['utilization']:>6.1f}% "
      f"{t['cycles_over_roofline']:>9.3f} {r['energy']['total_pj'] / 1e6 / b:>12.2f} "
      f"{t['wall_seconds']:>8.1f}")
PY
    done
  done
done
