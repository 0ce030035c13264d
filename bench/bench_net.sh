#!/usr/bin/env bash
# bench_net: one network through sim_run (Verilated RTL on the SystemC platform, default 16x16
# config unless --hw is given); prints the simulated hardware's cycles against the roofline per
# layer (add and pool layers have no MACs: their roofline is their DRAM bytes at the config's
# bandwidth), the PE utilization of every MAC layer, and the simulator's wall time.
# Usage: bench/bench_net.sh NET.yaml [build dir] [extra sim_run options]
set -euo pipefail
net=$(realpath "$1")
shift
build=$(realpath "${1:-build}")
shift || true
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$build/sim/sim_run" --net "$net" --out "$out" --quiet "$@" > /dev/null
/usr/bin/python3 - "$out/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
print(f"bench_net: {r['net']} on hw '{r['hw']['name']}' "
      f"({r['hw']['array_rows']}x{r['hw']['array_cols']}), bit-exact: {r['bit_exact']}")
w = max(6, max(len(l["name"]) for l in r["layers"]))
print(f"  {'layer':<{w}} {'ops':<18} {'cycles':>9} {'roofline':>9} {'cyc/roof':>8} {'bound':>7} "
      f"{'util':>6}")
for l in r["layers"]:
    bound = "memory" if l["memory_bound_cycles"] >= l["compute_bound_cycles"] else "compute"
    util = f"{100 * l['utilization']:>5.1f}%" if l["macs"] else "     -"
    print(f"  {l['name']:<{w}} {l['ops']:<18} {l['cycles']:>9} {l['roofline_cycles']:>9.0f} "
          f"{l['cycles'] / max(1, l['roofline_cycles']):>8.3f} {bound:>7} {util}")
kinds = {}
for l in r["layers"]:
    k = kinds.setdefault(l["type"], [0, 0.0, 0])
    k[0] += l["cycles"]; k[1] += l["roofline_cycles"]; k[2] += 1
for kind, (cyc, roof, n) in sorted(kinds.items()):
    print(f"  {kind:<10} {n:>3} layer(s): {cyc:>10} cycles, {cyc / max(1, roof):.3f}x their roofline, "
          f"{100 * cyc / t['cycles']:.1f}% of the run")
print(f"  total cycles          {t['cycles']}  ({t['simulated_seconds'] * 1e3:.3f} ms at "
      f"{r['hw']['clock_mhz']:.0f} MHz)")
print(f"  roofline sum          {t['roofline_cycles']:.0f}")
print(f"  cycles / roofline     {t['cycles_over_roofline']:.3f}")
print(f"  PE utilization        {100 * t['utilization']:.1f}% (MACs / (PEs x all cycles))")
print(f"  wall time, simulation {t['wall_seconds']:.2f} s  ({t['cycles'] / t['wall_seconds'] / 1e6:.3f} M cycles/s)")
print(f"  wall time, set-up     {t['prepare_seconds']:.2f} s  (weights + golden model)")
PY
