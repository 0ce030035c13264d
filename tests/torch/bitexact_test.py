#!/usr/bin/python3
"""Bit-exact against PyTorch: small quantized models built and run in PyTorch's quantized engine
(qnnpack), exported with tools/export_torch.py and run by sim_run on the Verilated RTL with
nearest_even rounding; every layer's uint8 output must be identical to PyTorch's. The same nets
with floor rounding are compared with an integer re-implementation written here in numpy.
Usage: bitexact_test.py SIM_RUN SOURCE_DIR"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.ao.quantization as tq

sys.path.insert(0, os.path.join(sys.argv[2], "tools"))
import export_torch  # noqa: E402
from course_models import Stubbed as Net  # noqa: E402


def models():
    torch.manual_seed(0)
    yield "conv_pool_fc", (3, 8, 8), nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
        nn.Conv2d(8, 20, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(20 * 4 * 4, 10)), \
        [["body.0", "body.1"], ["body.3", "body.4"]]
    yield "stride_norelu", (4, 9, 9), nn.Sequential(
        nn.Conv2d(4, 17, 3, stride=2, padding=1), nn.Conv2d(17, 16, 1), nn.ReLU(), nn.Flatten(),
        nn.Linear(16 * 5 * 5, 33), nn.ReLU(), nn.Linear(33, 7)), \
        [["body.1", "body.2"], ["body.4", "body.5"]]
    yield "k5_pool", (2, 12, 12), nn.Sequential(
        nn.Conv2d(2, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(16, 24, 3),
        nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(24 * 2 * 2, 5)), \
        [["body.0", "body.1"], ["body.3", "body.4"]]


def conv_int(x, w, b, stride, pad, shift, relu, floor):
    """The arithmetic contract in numpy, independent of sasim's C++: x uint8 CHW, w OIHW int8."""
    c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xc = np.pad(x.astype(np.int64) - 128, ((0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    acc = np.zeros((o, oh, ow), np.int64) + b.astype(np.int64)[:, None, None]
    for ky in range(kh):
        for kx in range(kw):
            patch = xc[:, ky:ky + stride * oh:stride, kx:kx + stride * ow:stride]
            acc += np.einsum("chw,oc->ohw", patch, w[:, :, ky, kx].astype(np.int64))
    acc = ((acc + 2**31) % 2**32) - 2**31  # int32 wrap
    if relu:
        acc = np.maximum(acc, 0)
    if floor or shift == 0:
        q = acc >> shift
    else:
        q = acc >> shift
        rem = acc - (q << shift)
        half = 1 << (shift - 1)
        q = q + ((rem > half) | ((rem == half) & (q % 2 == 1)))
    return np.clip(q + 128, 0, 255).astype(np.uint8)


def run_int(net_yaml, weights_dir, x):
    """Runs an exported net (as written by export_torch) with the numpy reference."""
    import yaml
    spec = yaml.safe_load(open(net_yaml))
    outs = {}
    layers = spec["layers"]
    floor = spec["rounding"] == "floor"
    exp = spec["input"]["scale_exp"]  # the scale exponent of the tensor flowing in
    for i, l in enumerate(layers):
        nxt = [m["type"] for m in layers[i + 1:i + 3]]
        if l["type"] in ("conv2d", "linear"):
            w = np.load(os.path.join(weights_dir, l["name"] + ".weight.npy"))
            b = np.load(os.path.join(weights_dir, l["name"] + ".bias.npy"))
            relu = nxt[:1] == ["relu"]
            shift = l["shift"] if "shift" in l else exp + l["weight_exp"] - l["output_exp"]
            exp = l.get("output_exp")
            if l["type"] == "conv2d":
                x = conv_int(x, w, b, l["stride"], l["padding"], shift, relu, floor)
            else:
                x = conv_int(x, w.reshape(w.shape[0], *x.shape), b, 1, 0, shift, relu, floor)
            if "maxpool" in nxt[:2] and l["type"] == "conv2d" and (nxt[0] == "maxpool" or
                                                                    nxt == ["relu", "maxpool"]):
                x = x.reshape(x.shape[0], x.shape[1] // 2, 2, x.shape[2] // 2, 2).max(axis=(2, 4))
            outs[l["name"]] = x
    return outs


def main():
    sim_run, source = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    failures = 0
    reference = None  # export's default (reference outputs) unless sim_run cannot read them
    for name, shape, body, fuse in models():
        model = Net(body)
        calib = [torch.randn(8, *shape) * 1.5 for _ in range(4)]
        qmodel = export_torch.quantize_pow2(model, calib, fuse=fuse)
        x = torch.randn(shape) * 1.5
        with tempfile.TemporaryDirectory() as tmp:
            rc, log, rows = export_torch.compare(qmodel, x, sim_run, tmp, name,
                                                 reference=reference)
            if rc != 0 and reference is None and export_torch.sim_run_refusal(log):
                # A sim_run from before the graph format (reference/, inputs, add, avgpool):
                # these sequential nets need none of it, so they are compared without the
                # reference key.
                print(f"NOTE: this sim_run does not read the graph format yet "
                      f"({export_torch.sim_run_refusal(log)}): exporting without reference/")
                reference = False
                rc, log, rows = export_torch.compare(qmodel, x, sim_run, tmp, name,
                                                     reference=reference)
            if rc != 0:
                print(f"{name}: sim_run failed ({rc}):\n{log}")
                failures += 1
                continue
            refs = export_torch.layer_outputs(qmodel, x)
            for lname, n, bad in rows:
                if bad:
                    print(f"{name}/{lname}: {bad} of {n} outputs differ from PyTorch")
                    failures += 1
                elif len(np.unique(refs[lname])) < 4:
                    print(f"{name}/{lname}: outputs are nearly constant: the test checks nothing")
                    failures += 1
                else:
                    print(f"{name}/{lname}: {n} outputs identical to PyTorch")
            net = os.path.join(tmp, name + ".yaml")
            # Floor rounding: the same net against the numpy integer re-implementation.
            floor_net = os.path.join(tmp, name + "_floor.yaml")
            with open(net) as f, open(floor_net, "w") as g:
                # PyTorch's reference outputs are nearest_even's: not for the floor net.
                g.write(f.read().replace("rounding: nearest_even", "rounding: floor")
                        .replace("reference: reference\n", ""))
            run = subprocess.run([sim_run, "--net", floor_net, "--input",
                                  os.path.join(tmp, "input.npy"), "--out",
                                  os.path.join(tmp, "run_floor"), "--quiet", "--no-html",
                                  "--dump-outputs", os.path.join(tmp, "out_floor")],
                                 capture_output=True, text=True)
            if run.returncode != 0:
                print(f"{name} (floor): sim_run failed:\n{run.stdout}{run.stderr}")
                failures += 1
                continue
            ref = run_int(floor_net, os.path.join(tmp, "weights"),
                          np.load(os.path.join(tmp, "input.npy")))
            for lname, want in ref.items():
                got = np.load(os.path.join(tmp, "out_floor", lname + ".npy"))
                if not np.array_equal(want, got):
                    print(f"{name}/{lname} (floor): differs from the numpy reference")
                    failures += 1
                else:
                    print(f"{name}/{lname} (floor): {want.size} outputs identical to numpy")
    # What the accelerator cannot run is refused with a message: a default (not power-of-two)
    # PyTorch qconfig.
    model = Net(nn.Sequential(nn.Conv2d(3, 4, 3)))
    model.qconfig = tq.get_default_qconfig("qnnpack")
    prepared = tq.prepare(model.eval())
    prepared(torch.randn(2, 3, 6, 6))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            export_torch.export(tq.convert(prepared), (3, 6, 6), tmp, "refused")
        print("export accepted a non-power-of-two scale")
        failures += 1
    except export_torch.ExportError as e:
        ok = "not a power of two" in str(e) or "zero point" in str(e)
        print(f"refused as expected: {e}" if ok else f"refused for the wrong reason: {e}")
        failures += 0 if ok else 1
    # The command line: export, run on sasim and compare, one command.
    with tempfile.TemporaryDirectory() as tmp:
        cli = subprocess.run(["/usr/bin/python3", os.path.join(source, "tools", "export_torch.py"),
                              "cli_model:quantized", "--input-shape", "3,8,8", "--out", tmp,
                              "--compare", sim_run] + (["--no-reference"] if reference is False
                                                       else []),
                             capture_output=True, text=True,
                             cwd=os.path.dirname(os.path.abspath(__file__)))
        # conv (+relu +pool) and linear at least: more when sim_run dumps every entry
        ok = cli.returncode == 0 and cli.stdout.count("identical") >= 2 and \
            "differ" not in cli.stdout
        print(("command line: " + cli.stdout) if ok else f"command line failed: {cli.stdout}"
              f"{cli.stderr}")
        failures += 0 if ok else 1
    print("FAILED" if failures else "PASSED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
