#!/usr/bin/python3
"""Export a quantized PyTorch network to a sasim net (YAML + .npy weights) that sim_run runs.

Command line: export_torch.py MODULE:FUNCTION --input-shape C,H,W --out DIR [--compare SIM_RUN]
(FUNCTION builds and returns the quantized model; --compare also runs it on sasim and compares
every layer with PyTorch). As a library: quantize_pow2(), export(), compare().

Takes a converted quantized model (torch.ao.nn.quantized / intrinsic modules in a
nn.Sequential-like order: QuantStub, Conv2d/ConvReLU2d, Linear/LinearReLU, MaxPool2d(2, 2),
Flatten, ReLU, DeQuantStub), or a float model plus calibration batches, which it quantizes with
the course's power-of-two post-training flow first (see quantize_pow2).

It refuses, with a message, what the accelerator cannot run: scales that are not powers of two,
per-channel weights, activation zero points other than 128, unsupported layers.

Run with Debian's Python (/usr/bin/python3, python3-torch and python3-numpy).
"""
import math
import os
import sys

import numpy as np
import torch
try:  # module paths moved between PyTorch releases; Debian 12 has 1.13
    import torch.ao.nn.intrinsic.quantized as nniq
except ImportError:
    import torch.nn.intrinsic.quantized as nniq
import torch.ao.nn.quantized as nnq
import torch.ao.quantization as tq


class ExportError(Exception):
    """Something the accelerator cannot run; the message says what and where."""


def pow2_exponent(scale, what):
    """c such that scale == 2**-c exactly, else ExportError."""
    c = -math.log2(scale)
    if abs(c - round(c)) > 1e-9:
        raise ExportError(f"{what}: scale {scale} is not a power of two")
    return int(round(c))


class Pow2Observer(tq.MinMaxObserver):
    """The course observer: symmetric min/max, scale rounded to 2**-c, c = round(clamp(-log2, 0, 8))."""

    def calculate_qparams(self):
        scale, zero_point = super().calculate_qparams()
        c = torch.round(torch.clamp(-torch.log2(scale), 0, 8))
        return torch.pow(2.0, -c), zero_point


def pow2_qconfig():
    act = Pow2Observer.with_args(dtype=torch.quint8, qscheme=torch.per_tensor_symmetric)
    wgt = Pow2Observer.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
    return tq.QConfig(activation=act, weight=wgt)


def quantize_pow2(model, calibration_batches, fuse=None, engine="qnnpack"):
    """Static PTQ with power-of-two scales: fuse, observe, convert. `model` must contain a
    QuantStub and DeQuantStub; `fuse` lists module-name groups to fuse (conv/bn/relu)."""
    torch.backends.quantized.engine = engine
    model = model.eval()
    if fuse:
        model = tq.fuse_modules(model, fuse)
    model.qconfig = pow2_qconfig()
    prepared = tq.prepare(model)
    with torch.no_grad():
        for batch in calibration_batches:
            prepared(batch)
    return tq.convert(prepared)


def _requant(name, in_exp, weight, out_scale, out_zp):
    if out_zp != 128:
        raise ExportError(f"{name}: output zero point {out_zp}, the accelerator uses 128")
    if weight.qscheme() not in (torch.per_tensor_symmetric, torch.per_tensor_affine):
        raise ExportError(f"{name}: per-channel weights are not supported (per-tensor only)")
    if int(weight.q_zero_point()) != 0:
        raise ExportError(f"{name}: weight zero point {weight.q_zero_point()}, expected 0")
    c_w = pow2_exponent(float(weight.q_scale()), f"{name} weight")
    c_y = pow2_exponent(float(out_scale), f"{name} output")
    shift = in_exp + c_w - c_y
    if not 0 <= shift <= 31:
        raise ExportError(f"{name}: shift c_x + c_w - c_y = {shift} is outside 0..31")
    return c_w, c_y, shift


def _bias_int32(bias, in_exp, c_w):
    # What PyTorch's quantized kernels do with a float bias: quantize at scale s_x * s_w.
    if bias is None:
        return None
    scale = 2.0 ** -(in_exp + c_w)
    return torch.quantize_per_tensor(bias.detach().float(), scale, 0, torch.qint32).int_repr()


def export(qmodel, input_shape, out_dir, name, rounding="nearest_even"):
    """Writes out_dir/<name>.yaml and out_dir/weights/*.npy; returns the YAML path."""
    os.makedirs(os.path.join(out_dir, "weights"), exist_ok=True)
    layers = []
    in_exp = None
    pending_flatten = False
    handled = []  # layers whose submodules (packed parameters) are part of them
    for mod_name, m in qmodel.named_modules():
        if any(mod_name.startswith(h + ".") for h in handled):
            continue
        if isinstance(m, (nniq.ConvReLU2d, nnq.Conv2d, nniq.LinearReLU, nnq.Linear)):
            handled.append(mod_name)
        elif mod_name == "" or isinstance(m, (torch.nn.Sequential, torch.nn.ModuleList)) or (
                list(m.children()) and not isinstance(m, (nnq.Quantize, nnq.DeQuantize))):
            continue  # containers
        if isinstance(m, (nnq.Quantize,)):
            if int(m.zero_point) != 128:
                raise ExportError(f"{mod_name}: input zero point {int(m.zero_point)}, expected 128")
            in_exp = pow2_exponent(float(m.scale), f"{mod_name} input")
        elif isinstance(m, (nniq.ConvReLU2d, nnq.Conv2d, nniq.LinearReLU, nnq.Linear)):
            if in_exp is None:
                raise ExportError(f"{mod_name}: no QuantStub before the first layer")
            relu = isinstance(m, (nniq.ConvReLU2d, nniq.LinearReLU))
            weight = m.weight()
            c_w, c_y, shift = _requant(mod_name, in_exp, weight, m.scale, int(m.zero_point))
            lname = mod_name.replace(".", "_")
            w = weight.int_repr().numpy().astype(np.int8)
            b = _bias_int32(m.bias(), in_exp, c_w)
            b = np.zeros(w.shape[0], np.int32) if b is None else b.numpy().astype(np.int32)
            np.save(os.path.join(out_dir, "weights", f"{lname}.weight.npy"), w)
            np.save(os.path.join(out_dir, "weights", f"{lname}.bias.npy"), b)
            if isinstance(m, (nniq.ConvReLU2d, nnq.Conv2d)):
                kh, kw = m.kernel_size
                if kh != kw or m.stride[0] != m.stride[1] or m.padding[0] != m.padding[1]:
                    raise ExportError(f"{mod_name}: only square kernels, strides and paddings")
                if m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros":
                    raise ExportError(f"{mod_name}: groups, dilation and non-zero padding are "
                                      "not supported")
                layers.append({"name": lname, "type": "conv2d", "out_channels": w.shape[0],
                               "kernel": kh, "stride": m.stride[0], "padding": m.padding[0],
                               "shift": shift})
            else:
                if pending_flatten:
                    layers.append({"name": f"flatten_{lname}", "type": "flatten"})
                    pending_flatten = False
                layers.append({"name": lname, "type": "linear", "out_features": w.shape[0],
                               "shift": shift})
            if relu:
                layers.append({"name": f"{lname}_relu", "type": "relu"})
            in_exp = c_y
        elif isinstance(m, torch.nn.MaxPool2d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            if k != 2 or s != 2:
                raise ExportError(f"{mod_name}: only 2x2 max-pool with stride 2")
            layers.append({"name": mod_name.replace(".", "_"), "type": "maxpool"})
        elif isinstance(m, torch.nn.Flatten):
            pending_flatten = True
        elif isinstance(m, torch.nn.ReLU):
            layers.append({"name": mod_name.replace(".", "_"), "type": "relu"})
        elif isinstance(m, (nnq.DeQuantize, torch.nn.Identity, torch.nn.Dropout)):
            pass
        else:
            raise ExportError(f"{mod_name}: {type(m).__name__} is not supported by the "
                              "accelerator")
    if not layers:
        raise ExportError("no conv2d or linear layer found")
    c, h, w = input_shape
    lines = [f"# Exported from PyTorch by tools/export_torch.py", f"name: {name}",
             "input:", f"  shape: [{c}, {h}, {w}]", f"  scale_exp: {pow2_first(qmodel)}",
             f"rounding: {rounding}", "weights: weights", "layers:"]
    for l in layers:
        lines.append("  - {" + ", ".join(f"{k}: {v}" for k, v in l.items()) + "}")
    path = os.path.join(out_dir, f"{name}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def pow2_first(qmodel):
    for _, m in qmodel.named_modules():
        if isinstance(m, nnq.Quantize):
            return pow2_exponent(float(m.scale), "input")
    raise ExportError("no QuantStub")


def quantize_input(qmodel, x):
    """The uint8 codes (C x H x W) the model's QuantStub makes of a float image."""
    for _, m in qmodel.named_modules():
        if isinstance(m, nnq.Quantize):
            return torch.quantize_per_tensor(x, float(m.scale), int(m.zero_point),
                                             torch.quint8).int_repr().numpy()
    raise ExportError("no QuantStub")


def layer_outputs(qmodel, x):
    """Each conv/linear layer's uint8 output as PyTorch computes it, keyed by the exported layer
    name; a layer followed by a 2x2 max-pool reports the pooled output (sasim fuses them)."""
    kinds = (nniq.ConvReLU2d, nnq.Conv2d, nniq.LinearReLU, nnq.Linear, torch.nn.MaxPool2d)
    outputs, order, hooks = {}, [], []
    for name, m in qmodel.named_modules():
        if isinstance(m, kinds):
            order.append((name, isinstance(m, torch.nn.MaxPool2d)))
            hooks.append(m.register_forward_hook(
                lambda mod, inp, out, n=name: outputs.__setitem__(n, out.int_repr())))
    with torch.no_grad():
        qmodel(x[None])
    for h in hooks:
        h.remove()
    result = {}
    for i, (name, is_pool) in enumerate(order):
        if is_pool:
            continue
        ref = outputs[name]
        if i + 1 < len(order) and order[i + 1][1]:
            ref = outputs[order[i + 1][0]]
        result[name.replace(".", "_")] = ref[0].numpy().astype(np.uint8)
    return result


def compare(qmodel, x, sim_run, work_dir, name="compared", extra_args=()):
    """Exports `qmodel`, runs sim_run on the quantized `x` (float C x H x W), and compares every
    layer with PyTorch. Returns (exit code of sim_run, [(layer, outputs, differing)])."""
    import subprocess
    net = export(qmodel, tuple(x.shape), work_dir, name)
    np.save(os.path.join(work_dir, "input.npy"), quantize_input(qmodel, x))
    run = subprocess.run([sim_run, "--net", net, "--input", os.path.join(work_dir, "input.npy"),
                          "--out", os.path.join(work_dir, "run"), "--quiet", "--no-html",
                          "--dump-outputs", os.path.join(work_dir, "out"), *extra_args],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return run.returncode, run.stdout + run.stderr, []
    rows = []
    for lname, ref in layer_outputs(qmodel, x).items():
        got = np.load(os.path.join(work_dir, "out", lname + ".npy"))
        rows.append((lname, ref.size, int(np.count_nonzero(ref.reshape(-1) != got.reshape(-1)))))
    return 0, run.stdout, rows


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="MODULE:FUNCTION returning the model to export: a converted "
                                 "quantized model (e.g. from quantize_pow2); MODULE is imported "
                                 "from the current directory or PYTHONPATH")
    p.add_argument("--input-shape", required=True, help="C,H,W")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--name", default="exported")
    p.add_argument("--compare", metavar="SIM_RUN",
                   help="also run the export with this sim_run on --image and compare every "
                        "layer with PyTorch")
    p.add_argument("--image", help="float C x H x W .npy for --compare (default: random)")
    args = p.parse_args(argv)
    try:
        import importlib
        module_name, _, function = args.model.partition(":")
        if not function:
            raise ExportError(f"{args.model}: expected MODULE:FUNCTION")
        sys.path.insert(0, os.getcwd())
        qmodel = getattr(importlib.import_module(module_name), function)()
        shape = [int(v) for v in args.input_shape.split(",")]
        if not args.compare:
            print(export(qmodel, shape, args.out, args.name))
            return 0
        x = (torch.tensor(np.load(args.image), dtype=torch.float32) if args.image
             else torch.randn(*shape))
        rc, log, rows = compare(qmodel, x, args.compare, args.out, args.name)
        if rc != 0:
            print(log, file=sys.stderr)
            return rc
        for lname, n, bad in rows:
            print(f"{lname:<24} {n:>8} outputs  {'identical' if bad == 0 else f'{bad} differ'}")
        return 0 if all(bad == 0 for _, _, bad in rows) else 1
    except ExportError as e:
        print(f"export_torch: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
