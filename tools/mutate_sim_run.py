#!/usr/bin/python3
"""Mutation fuzzing of sim_run as a whole: shipped nets, hw configs, energy tables and inputs as
seeds, mutated (bytes flipped, lines dropped or duplicated, values replaced by extremes, YAML
structure swapped), each run with a timeout. A finding is anything but exit 0, 1 or 2 within the
time limit, exit 2 with files written, or exit 2 without a message.

    tools/mutate_sim_run.py build/sim/sim_run [--cases N] [--seed S] [--timeout SECONDS]

Findings are copied to fuzz-findings/ with the command line that produced them.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTREMES = ["0", "-1", "1", "65535", "65536", "2147483647", "-2147483648", "4294967296",
            "99999999999999999999999", "1e309", "nan", ".inf", "[]", "{}", "[1, [2]]", "''",
            "'../../x'", "\"\\xff\\xfe\"", "~", "true", "&a [*a]", "!!binary AAAA"]


def mutate_text(text, rng):
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        op = rng.randrange(6)
        i = rng.randrange(len(lines)) if lines else 0
        if op == 0 and lines:
            del lines[i]
        elif op == 1 and lines:
            lines.insert(i, lines[i])
        elif op == 2 and lines and ":" in lines[i]:
            key, _, _ = lines[i].partition(":")
            lines[i] = key + ": " + rng.choice(EXTREMES)
        elif op == 3 and lines:
            lines[i] = lines[i].replace(rng.choice(["[", "{", ",", ":", "-"]), rng.choice(["", "{", "[", "::"]), 1)
        elif op == 4:
            words = [w for w in " ".join(lines).replace(",", " ").split() if w.strip("-").isdigit()]
            if words:
                w = rng.choice(words)
                lines = [l.replace(w, rng.choice(EXTREMES), 1) for l in lines]
        else:
            data = bytearray("\n".join(lines).encode())
            if data:
                for _ in range(rng.randint(1, 4)):
                    data[rng.randrange(len(data))] = rng.randrange(256)
            return data
    return "\n".join(lines).encode()


def mutate_bytes(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 6)):
        op = rng.randrange(4)
        if op == 0 and data:
            data[rng.randrange(len(data))] = rng.randrange(256)
        elif op == 1 and len(data) > 16:
            cut = rng.randrange(len(data))
            data = data[:cut]
        elif op == 2 and len(data) > 10:
            # the header: shape digits
            at = data.find(b"shape")
            if at > 0:
                data[at + 10: at + 10] = str(rng.choice([0, 1, 10**6, 2**31, 2**62, 10**20])).encode() + b", "
        else:
            data += bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return bytes(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sim_run")
    ap.add_argument("--cases", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    nets = [os.path.join(ROOT, p) for p in ["configs/tiny.yaml", "tests/data/nets/cifar_net.yaml",
                                             "configs/vgg8_digits/vgg8_digits.yaml"]]
    hws = [os.path.join(ROOT, "configs/hw", p) for p in sorted(os.listdir(os.path.join(ROOT, "configs/hw")))]
    energies = [os.path.join(ROOT, "configs/energy", p) for p in sorted(os.listdir(os.path.join(ROOT, "configs/energy")))]
    npys = [os.path.join(ROOT, "configs/vgg8_digits/test_images.npy")]
    findings = os.path.join(os.getcwd(), "fuzz-findings")
    counts = {}
    for case in range(args.cases):
        work = tempfile.mkdtemp(prefix="mut_")
        out = os.path.join(work, "out")
        cmd = [args.sim_run, "--quiet", "--no-html", "--out", out, "--device", "functional"]
        what = rng.randrange(4)
        net = rng.choice(nets)
        if what == 0:
            path = os.path.join(work, "net.yaml")
            with open(net, "rb") as f:
                text = f.read().decode()
            text = text.replace("weights: weights", "weights: " + os.path.join(os.path.dirname(net), "weights"))
            with open(path, "wb") as f:
                f.write(mutate_text(text, rng))
            cmd += ["--net", path]
        else:
            cmd += ["--net", os.path.join(ROOT, "configs/tiny.yaml")]
        if what == 1:
            path = os.path.join(work, "hw.yaml")
            with open(rng.choice(hws)) as f:
                data = mutate_text(f.read(), rng)
            with open(path, "wb") as f:
                f.write(data)
            cmd += ["--hw", path]
        if what == 2:
            path = os.path.join(work, "energy.yaml")
            with open(rng.choice(energies)) as f:
                data = mutate_text(f.read(), rng)
            with open(path, "wb") as f:
                f.write(data)
            cmd += ["--energy", path]
        if what == 3:
            path = os.path.join(work, "data.npy")
            with open(rng.choice(npys), "rb") as f:
                data = mutate_bytes(f.read(), rng)
            with open(path, "wb") as f:
                f.write(data)
            cmd[cmd.index("--net") + 1] = os.path.join(ROOT, "configs/vgg8_digits/vgg8_digits.yaml")
            cmd += ["--dataset", path, "--limit", "2"]
        try:
            r = subprocess.run(cmd, capture_output=True, timeout=args.timeout)
            rc = r.returncode
            err = r.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, err = "hang", ""
        bad = rc not in (0, 1, 2) or (rc == 2 and (os.path.exists(out) or not err.strip())) or (rc == 1 and "internal error" in err)
        if rc == 1 and os.environ.get("SHOW1"):
            print("exit 1:", err.strip()[:300])
        kind = ("crash" if isinstance(rc, int) and rc < 0 else str(rc)) + (" (finding)" if bad else "")
        counts[kind] = counts.get(kind, 0) + 1
        if bad:
            os.makedirs(findings, exist_ok=True)
            dest = os.path.join(findings, f"case{case}")
            shutil.copytree(work, dest, dirs_exist_ok=True)
            with open(os.path.join(dest, "cmd.txt"), "w") as f:
                f.write(" ".join(cmd) + f"\nexit {rc}\n{err}\n")
            print(f"finding {case}: exit {rc}: {' '.join(cmd)}\n  {err.strip()[:300]}", flush=True)
        shutil.rmtree(work, ignore_errors=True)
    print("cases by outcome:", counts)
    return 1 if any("finding" in k for k in counts) else 0


if __name__ == "__main__":
    sys.exit(main())
