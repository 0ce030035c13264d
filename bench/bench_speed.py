#!/usr/bin/python3
"""bench_speed: how fast the RTL simulates, per network.

For VGG-8 and ResNet-18 on the default 16x16 config: the median wall time of the whole sim_run
process over RUNS runs (set-up, RTL simulation, checking, reports), with --jobs 1 and with one
worker per core; simulated cycles per second; the ratio against SCALE-Sim's time for the same
network measured on the machine the figure names; and, when valgrind is installed, the
instructions the process executes per simulated cycle (callgrind, on LeNet-5: a whole VGG-8
under callgrind takes minutes).

Usage: bench/bench_speed.py [build dir] [runs]
"""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# SCALE-Sim v2, 16x16 output-stationary, VGG-8 topology, measured on the 2-core development
# machine (issue 12). No figure for ResNet-18.
SCALESIM_SECONDS = {"vgg8": 144.6}
NETS = [("vgg8", "configs/vgg8.yaml"), ("resnet18", "configs/nets/resnet18_cifar.yaml")]


def run(sim_run, net, out, extra):
    start = time.monotonic()
    subprocess.run([sim_run, "--net", net, "--out", out, "--quiet", "--no-html"] + extra,
                   check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - start
    with open(os.path.join(out, "report.json")) as f:
        return wall, json.load(f)


def instructions_per_cycle(sim_run, out):
    """(whole process, Verilated model) instructions per simulated cycle, or None."""
    if not shutil.which("valgrind") or not shutil.which("callgrind_annotate"):
        return None
    net = os.path.join(ROOT, "configs/nets/lenet5.yaml")
    profile = os.path.join(out, "callgrind.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + profile,
                    "--log-file=/dev/null", sim_run, "--net", net, "--out", out, "--quiet",
                    "--no-html", "--jobs", "1"], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "report.json")) as f:
        cycles = json.load(f)["totals"]["cycles"]
    listing = subprocess.run(["callgrind_annotate", "--threshold=100", profile],
                             capture_output=True, text=True, check=True).stdout
    total = model = 0
    for line in listing.splitlines():
        m = re.match(r"\s*([\d,]+) .*PROGRAM TOTALS", line)
        if m:
            total = int(m.group(1).replace(",", ""))
        m = re.match(r"\s*([\d,]+) \(.*\)\s+\S*Vsa_top_", line)
        if m:
            model += int(m.group(1).replace(",", ""))
    return total / cycles, model / cycles


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build"))
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sim_run = os.path.join(build, "sim", "sim_run")
    cores = os.cpu_count() or 1
    print(f"bench_speed: sim_run on {cores} core(s), median of {runs} run(s) each")
    with tempfile.TemporaryDirectory() as out:
        for name, net in NETS:
            net = os.path.join(ROOT, net)
            for jobs in sorted({1, cores}):
                flag = ["--jobs", str(jobs)]
                walls = []
                report = None
                for _ in range(runs):
                    wall, report = run(sim_run, net, out, flag)
                    walls.append(wall)
                wall = statistics.median(walls)
                cycles = report["totals"]["cycles"]
                ref = SCALESIM_SECONDS.get(name)
                vs = f", {ref / wall:5.1f}x faster than SCALE-Sim ({ref} s)" if ref else ""
                print(f"  {name:<9} --jobs {jobs}: {wall:6.2f} s wall (min {min(walls):.2f}, "
                      f"max {max(walls):.2f}), {cycles} cycles, "
                      f"{cycles / wall / 1e6:.2f} M simulated cycles/s{vs}")
        ipc = instructions_per_cycle(sim_run, out)
        if ipc is None:
            print("  instructions per simulated cycle: n/a (valgrind is not installed)")
        else:
            print(f"  instructions per simulated cycle (LeNet-5, callgrind): {ipc[1]:,.0f} in the "
                  f"Verilated sa_top ({ipc[1] / 256:.0f} per PE), {ipc[0]:,.0f} in the whole "
                  f"process")


if __name__ == "__main__":
    main()
