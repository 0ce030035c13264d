#!/usr/bin/env bash
# bench_vgg8: VGG-8 on the default 16x16 config through sim_run (Verilated RTL on the SystemC
# platform); prints the simulated hardware's cycles against the roofline, the per-layer PE
# utilization, and the simulator's wall time and simulated cycles per second.
# Usage: bench/bench_vgg8.sh [build dir] [extra sim_run options]
set -euo pipefail
build=$(realpath "${1:-build}")
shift || true
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/sim/sim_run" --net configs/vgg8.yaml --out "$out" --quiet "$@" > /dev/null
python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
print(f"bench_vgg8: {r['net']} on hw '{r['hw']['name']}' "
      f"({r['hw']['array_rows']}x{r['hw']['array_cols']}), bit-exact: {r['bit_exact']}")
print(f"  {'layer':<6} {'cycles':>8} {'roofline':>9} {'cyc/roof':>8} {'util':>6}")
for l in r["layers"]:
    print(f"  {l['name']:<6} {l['cycles']:>8} {l['roofline_cycles']:>9.0f} "
          f"{l['cycles'] / l['roofline_cycles']:>8.3f} {100 * l['utilization']:>5.1f}%")
print(f"  total cycles          {t['cycles']}  ({t['simulated_seconds'] * 1e3:.3f} ms at "
      f"{r['hw']['clock_mhz']:.0f} MHz)")
print(f"  roofline sum          {t['roofline_cycles']:.0f}")
print(f"  cycles / roofline     {t['cycles_over_roofline']:.3f}  (target <= 1.10)")
print(f"  PE utilization        {100 * t['utilization']:.1f}%")
print(f"  wall time, simulation {t['wall_seconds']:.2f} s  ({t['cycles'] / t['wall_seconds'] / 1e6:.3f} M cycles/s)")
print(f"  wall time, set-up     {t['prepare_seconds']:.2f} s  (weights + golden model)")
print(f"  wall time, total      {t['wall_seconds'] + t['prepare_seconds']:.2f} s  (target < 3 s)")
PY
