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

The exporter walks the modules (named_modules()), not the forward pass, so it checks its own
result before writing anything: element-wise FloatFunctional / QFunctional modules, one module
under two names or called twice, and unknown modules with state of their own are refused; then
the exported net is run with an integer reference of the sasim contract in numpy and compared,
layer by layer where a module's output can be hooked and at the output, with PyTorch's
quantized model on the calibration (or random) inputs. Any difference is an ExportError naming
the first differing layer; nothing is written then (files are written atomically).

Run with Debian's Python (/usr/bin/python3, python3-torch and python3-numpy).
"""
import io
import math
import os
import secrets
import shutil
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


CHECK_IMAGES = 4  # calibration images quantize_pow2 keeps for export()'s check


def quantize_pow2(model, calibration_batches, fuse=None, engine="qnnpack"):
    """Static PTQ with power-of-two scales: fuse, observe, convert. `model` must contain a
    QuantStub and DeQuantStub; `fuse` lists module-name groups to fuse (conv/bn/relu). The first
    CHECK_IMAGES calibration images are kept as `sasim_check_inputs` for export()'s check."""
    torch.backends.quantized.engine = engine
    model = model.eval()
    if fuse:
        model = tq.fuse_modules(model, fuse)
    model.qconfig = pow2_qconfig()
    prepared = tq.prepare(model)
    kept = []
    with torch.no_grad():
        for batch in calibration_batches:
            prepared(batch)
            if isinstance(batch, torch.Tensor) and batch.dim() == 4 and \
                    sum(map(len, kept)) < CHECK_IMAGES:
                kept.append(batch.detach()[:CHECK_IMAGES - sum(map(len, kept))].clone())
    qmodel = tq.convert(prepared)
    if kept:
        qmodel.sasim_check_inputs = torch.cat(kept)
    return qmodel


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


# Module types the exporter knows. Any other module must be a pure container (submodules only,
# no parameters or state of its own), or the export is refused.
_LAYER_TYPES = (nniq.ConvReLU2d, nnq.Conv2d, nniq.LinearReLU, nnq.Linear)
_KNOWN_TYPES = _LAYER_TYPES + (nnq.Quantize, nnq.DeQuantize, torch.nn.MaxPool2d, torch.nn.Flatten,
                               torch.nn.ReLU, torch.nn.Identity, torch.nn.Dropout)
_CONTAINER_TYPES = (torch.nn.Sequential, torch.nn.ModuleList, torch.nn.ModuleDict)
# What a model that was not converted still has.
_FLOAT_TYPES = (tq.QuantStub, tq.DeQuantStub, torch.nn.Conv2d, torch.nn.Linear)
# Element-wise operations as modules: FloatFunctional before convert, QFunctional after.
_FUNCTIONAL_TYPES = tuple(getattr(nnq, n) for n in ("FloatFunctional", "FXFloatFunctional",
                                                    "QFunctional") if hasattr(nnq, n))
_UNSEEN = ("the forward pass applies operations that are not modules (F.relu, torch.flatten, a "
           "module used twice, QFunctional add, ...), which the exporter cannot see: it exports "
           "the modules in the order they are defined (named_modules()), not what forward() "
           "does. Use nn.ReLU (or fused ConvReLU2d / LinearReLU), nn.Flatten and one module per "
           "use, defined in forward order")


def _own_state(m):
    """True if `m` holds parameters, buffers or saved state of its own (not in submodules)."""
    return (next(m.parameters(recurse=False), None) is not None
            or next(m.buffers(recurse=False), None) is not None
            or type(m)._save_to_state_dict is not torch.nn.Module._save_to_state_dict)


def check_structure(qmodel):
    """Refuses what the module tree alone shows would be exported as a different network: an
    element-wise FloatFunctional / QFunctional (add, add_relu, mul, cat) anywhere, one module
    instance registered under two names, and modules the exporter does not know that are not
    pure containers (a leaf, or parameters / state of their own)."""
    names = {}
    for mod_name, m in qmodel.named_modules(remove_duplicate=False):
        names.setdefault(id(m), []).append(mod_name or "<the model>")
        if isinstance(m, _FUNCTIONAL_TYPES):
            raise ExportError(f"{mod_name}: {type(m).__name__} is an element-wise operation "
                              "(add, add_relu, mul, cat) in forward(); the exporter cannot export "
                              "it, and leaving it out would export a different network")
    handled = []  # layers whose submodules (packed parameters) are part of them
    for mod_name, m in qmodel.named_modules():
        label = mod_name or "the model"
        if any(mod_name.startswith(h + ".") for h in handled):
            continue
        if isinstance(m, _FLOAT_TYPES) and not isinstance(m, _KNOWN_TYPES):
            raise ExportError(f"{label}: {type(m).__name__} is a float module: export the "
                              "converted quantized model (quantize_pow2, or torch.ao."
                              "quantization.convert)")
        if len(names[id(m)]) > 1:
            raise ExportError(f"{label}: one {type(m).__name__} instance is registered under "
                              f"{len(names[id(m)])} names ({', '.join(names[id(m)])}); the "
                              "exporter would emit it once: give each use its own module")
        if isinstance(m, _LAYER_TYPES):
            handled.append(mod_name)
        if isinstance(m, _KNOWN_TYPES + _CONTAINER_TYPES):
            continue
        if not list(m.children()):
            raise ExportError(f"{label}: {type(m).__name__} is not supported by the "
                              "accelerator")
        if _own_state(m):
            raise ExportError(f"{label}: {type(m).__name__} has parameters or state of its own "
                              "besides its submodules; the exporter does not know this module "
                              "and would leave them out")


def _build(qmodel):
    """The exported layer list (dicts as written to the YAML; "_module" is the PyTorch module an
    entry comes from) and {layer name: (int8 weights, int32 biases)}, in named_modules() order.
    Writes nothing."""
    layers, tensors = [], {}
    in_exp = None
    pending_flatten = None
    handled = []  # layers whose submodules (packed parameters) are part of them
    for mod_name, m in qmodel.named_modules():
        if any(mod_name.startswith(h + ".") for h in handled):
            continue
        if isinstance(m, _LAYER_TYPES):
            handled.append(mod_name)
        elif mod_name == "" or isinstance(m, _CONTAINER_TYPES) or (
                list(m.children()) and not isinstance(m, _KNOWN_TYPES)):
            continue  # containers (check_structure refused any with state of their own)
        if isinstance(m, (nnq.Quantize,)):
            if int(m.zero_point) != 128:
                raise ExportError(f"{mod_name}: input zero point {int(m.zero_point)}, expected 128")
            in_exp = pow2_exponent(float(m.scale), f"{mod_name} input")
        elif isinstance(m, _LAYER_TYPES):
            if in_exp is None:
                raise ExportError(f"{mod_name}: no QuantStub before the first layer")
            relu = isinstance(m, (nniq.ConvReLU2d, nniq.LinearReLU))
            weight = m.weight()
            c_w, c_y, shift = _requant(mod_name, in_exp, weight, m.scale, int(m.zero_point))
            lname = mod_name.replace(".", "_")
            w = weight.int_repr().numpy().astype(np.int8)
            b = _bias_int32(m.bias(), in_exp, c_w)
            b = np.zeros(w.shape[0], np.int32) if b is None else b.numpy().astype(np.int32)
            tensors[lname] = (w, b)
            if isinstance(m, (nniq.ConvReLU2d, nnq.Conv2d)):
                kh, kw = m.kernel_size
                if kh != kw or m.stride[0] != m.stride[1] or m.padding[0] != m.padding[1]:
                    raise ExportError(f"{mod_name}: only square kernels, strides and paddings")
                if m.groups != 1 or m.dilation != (1, 1) or m.padding_mode != "zeros":
                    raise ExportError(f"{mod_name}: groups, dilation and non-zero padding are "
                                      "not supported")
                layers.append({"name": lname, "type": "conv2d", "out_channels": w.shape[0],
                               "kernel": kh, "stride": m.stride[0], "padding": m.padding[0],
                               "shift": shift, "_module": mod_name})
            else:
                if pending_flatten is not None:
                    layers.append({"name": f"flatten_{lname}", "type": "flatten",
                                   "_module": pending_flatten})
                    pending_flatten = None
                layers.append({"name": lname, "type": "linear", "out_features": w.shape[0],
                               "shift": shift, "_module": mod_name})
            if relu:
                layers.append({"name": f"{lname}_relu", "type": "relu", "_module": mod_name})
            in_exp = c_y
        elif isinstance(m, torch.nn.MaxPool2d):
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            if k != 2 or s != 2:
                raise ExportError(f"{mod_name}: only 2x2 max-pool with stride 2")
            layers.append({"name": mod_name.replace(".", "_"), "type": "maxpool",
                           "_module": mod_name})
        elif isinstance(m, torch.nn.Flatten):
            pending_flatten = mod_name
        elif isinstance(m, torch.nn.ReLU):
            layers.append({"name": mod_name.replace(".", "_"), "type": "relu",
                           "_module": mod_name})
        elif isinstance(m, (nnq.DeQuantize, torch.nn.Identity, torch.nn.Dropout)):
            pass
        else:
            raise ExportError(f"{mod_name}: {type(m).__name__} is not supported by the "
                              "accelerator")
    if not layers:
        raise ExportError("no conv2d or linear layer found")
    return layers, tensors


# ---- The integer reference: the sasim arithmetic contract (docs/quantization.md) in numpy ----

def _wrap32(v):
    """int64 -> int32 two's-complement wrap, kept in int64."""
    return ((v + 2**31) % 2**32) - 2**31


def _finish(acc, shift, relu, rounding):
    """acc (int32 values) -> uint8: optional ReLU, round_shift(shift) with `rounding`, +128,
    clamp 0..255."""
    r = np.maximum(acc, 0) if relu else acc
    q = r >> shift  # arithmetic shift: floor
    if rounding == "nearest_even" and shift > 0:
        rem = r - (q << shift)
        half = 1 << (shift - 1)
        q = q + ((rem > half) | ((rem == half) & ((q & 1) == 1)))
    return np.clip(q + 128, 0, 255).astype(np.uint8)


def _dot_exact(a, b):
    """a @ b for integer-valued float64 operands with |entries| <= 128: every product and partial
    sum is an integer below 2**53, so BLAS computes it exactly in any order; returns int64."""
    if a.shape[-1] * 128 * 128 >= 2**53:
        raise ExportError(f"reduction of {a.shape[-1]} terms is too long for the exact reference")
    return np.matmul(a, b).astype(np.int64)


def _conv_acc(x, w, b, stride, pad):
    """acc = b + sum (x - 128) * w, int32 wrap; x uint8 N x C x H x W, w int8 O x C x K x K."""
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    xc = np.pad(x.astype(np.float64) - 128.0, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    oh, ow = (h + 2 * pad - kh) // stride + 1, (wd + 2 * pad - kw) // stride + 1
    cols = np.empty((n, c, kh, kw, oh, ow))
    for ky in range(kh):
        for kx in range(kw):
            cols[:, :, ky, kx] = xc[:, :, ky:ky + stride * oh:stride, kx:kx + stride * ow:stride]
    s = _dot_exact(w.reshape(o, -1).astype(np.float64), cols.reshape(n, c * kh * kw, oh * ow))
    return _wrap32(s.reshape(n, o, oh, ow) + b.astype(np.int64)[:, None, None])


def reference_run(layers, tensors, codes, rounding="nearest_even"):
    """Runs an exported layer list on uint8 input codes (N x C x H x W) with the sasim contract
    in numpy: acc = bias + sum (x - 128) * w in int32 with two's-complement wrap, ReLU (a relu
    entry right after a conv2d / linear) on acc, round_shift by the layer's shift (floor or
    nearest_even, half to even), +128, clamp 0..255; 2x2/2 max-pool on the uint8 outputs; flatten
    in C, H, W order. Layer order rules are sasim's (relu right after conv2d / linear, maxpool
    after conv2d [+ relu], flatten before a linear on a C x H x W tensor).

    Yields (index, layer, uint8 array) after every entry: a conv2d / linear entry followed by a
    relu entry yields its output without the ReLU (what an unfused PyTorch conv outputs), the relu
    entry the ReLU'd output, which is what sasim computes. The last array yielded is the net's
    output."""
    x = np.asarray(codes, dtype=np.uint8)
    flat = False
    acc, prev = None, None
    for i, l in enumerate(layers):
        kind, name = l["type"], l["name"]
        if kind in ("conv2d", "linear"):
            w, b = tensors[name]
            if kind == "conv2d":
                if flat:
                    raise ExportError(f"layer {name}: conv2d after flatten")
                if x.ndim == 2:  # after a linear layer: F x 1 x 1
                    x = x.reshape(*x.shape, 1, 1)
                k = l["kernel"]
                if w.shape[1:] != (x.shape[1], k, k):
                    raise ExportError(f"layer {name}: weights {w.shape} do not fit the input "
                                      f"{tuple(x.shape[1:])} with a {k}x{k} kernel")
                acc = _conv_acc(x, w, b, l["stride"], l["padding"])
            else:
                if x.ndim == 4 and not flat and x.shape[2:] != (1, 1):
                    raise ExportError(f"layer {name}: linear on a {'x'.join(map(str, x.shape[1:]))}"
                                      " tensor with no flatten before it")
                xf = x.reshape(x.shape[0], -1)
                if w.shape[1] != xf.shape[1]:
                    raise ExportError(f"layer {name}: weights {w.shape} do not fit the "
                                      f"{xf.shape[1]} inputs")
                acc = _wrap32(_dot_exact(xf.astype(np.float64) - 128.0,
                                         w.astype(np.float64).T) + b.astype(np.int64))
                flat = False
            shift = l["shift"]
            x = _finish(acc, shift, False, rounding)
        elif kind == "relu":
            if prev not in ("conv2d", "linear"):
                raise ExportError(f"layer {name}: relu does not directly follow a conv2d or "
                                  "linear layer, which sasim cannot run")
            x = _finish(acc, shift, True, rounding)
        elif kind == "maxpool":
            if not (prev == "conv2d" or (prev == "relu" and x.ndim == 4 and layers[i - 2]["type"]
                                         == "conv2d")) or x.shape[2] % 2 or x.shape[3] % 2:
                raise ExportError(f"layer {name}: maxpool does not follow a conv2d (+ relu) with "
                                  "an even output, which sasim cannot run")
            n, c, h, wd = x.shape
            x = x.reshape(n, c, h // 2, 2, wd // 2, 2).max(axis=(3, 5))
        elif kind == "flatten":
            if flat:
                raise ExportError(f"layer {name}: flatten twice")
            flat = True
        else:
            raise ExportError(f"layer {name}: unknown layer type {kind}")
        prev = kind
        yield i, l, x


def _check_inputs(qmodel, input_shape, inputs):
    """Float inputs (N x C x H x W) for the export check, what they are (a noun) and a note."""
    shape = tuple(int(v) for v in input_shape)
    what = "check input"
    if inputs is None:
        inputs, what = getattr(qmodel, "sasim_check_inputs", None), "calibration input"
    if inputs is None:
        # A few deterministic random images, already on the input's quantization grid: codes of
        # three spreads and uniform codes, times the input scale.
        rng = np.random.RandomState(0)
        codes = [np.clip(np.rint(128 + rng.standard_normal(shape) * sd), 0, 255)
                 for sd in (16, 40, 96)] + [rng.randint(0, 256, shape).astype(np.float64)]
        scale = 2.0 ** -pow2_first(qmodel)
        x = torch.tensor((np.stack(codes) - 128) * scale, dtype=torch.float32)
        return x, "random input", " (no calibration inputs were given)"
    if isinstance(inputs, (list, tuple)):
        inputs = torch.stack([torch.as_tensor(v) for v in inputs])
    x = torch.as_tensor(inputs, dtype=torch.float32)
    if x.dim() == len(shape):
        x = x[None]
    if tuple(x.shape[1:]) != shape or len(x) == 0:
        raise ExportError(f"check inputs have shape {tuple(x.shape)}, expected N x "
                          f"{' x '.join(map(str, shape))}")
    return x, what, ""


def _codes(t):
    """A quantized tensor's uint8 codes as numpy, else None."""
    return t.int_repr().numpy() if isinstance(t, torch.Tensor) and t.is_quantized else None


def _run_hooked(qmodel, x, watched):
    """Runs the model in eval mode with forward hooks: {module name: calls}, {watched module
    name: (first input's codes, first output's codes)} (None where not quantized), and the
    final quantized tensor (the input of the DeQuantStub, else the model's output; None if
    neither is quantized)."""
    calls, outputs, finals, hooks = {}, {}, [], []

    def seen(name, inp, out):
        calls[name] += 1
        if name in watched and name not in outputs:
            outputs[name] = (_codes(inp[0]) if inp else None, _codes(out))

    modes = [(m, m.training) for m in qmodel.modules()]
    try:
        for name, m in qmodel.named_modules():
            calls[name] = 0
            hooks.append(m.register_forward_hook(lambda mod, inp, out, n=name:
                                                 seen(n, inp, out)))
            if isinstance(m, nnq.DeQuantize):
                hooks.append(m.register_forward_pre_hook(
                    lambda mod, inp: finals.append(inp[0] if inp else None)))
        qmodel.eval()
        with torch.no_grad():
            try:
                result = qmodel(x)
            except Exception as e:  # the user's forward; say where it came from
                raise ExportError(f"running the model on {len(x)} check inputs of shape "
                                  f"{tuple(x.shape[1:])} failed: {type(e).__name__}: {e}") from e
    finally:
        for h in hooks:
            h.remove()
        for m, training in modes:
            m.training = training
    final = finals[-1] if finals else result
    if not (isinstance(final, torch.Tensor) and final.is_quantized):
        final = None
    return calls, outputs, final


def _difference(ref, got, source):
    """None if equal, else where and how `ref` (the exported net) and `got` (PyTorch) differ."""
    if got.size == ref.size and got.shape != ref.shape:
        got = got.reshape(ref.shape)  # e.g. N x F against N x F x 1 x 1: C, H, W order either way
    if got.shape != ref.shape:
        return (f"PyTorch's output has shape {tuple(got.shape[1:])} per input, the exported "
                f"net's {tuple(ref.shape[1:])}")
    bad = np.argwhere(ref != got)
    if not len(bad):
        return None
    idx = tuple(int(v) for v in bad[0])
    where = ("(c, y, x) = (" + ", ".join(map(str, idx[1:])) + ")" if len(idx) == 4
             else "index " + ", ".join(map(str, idx[1:])))
    return (f"on {source} {idx[0]} at {where}: PyTorch {int(got[idx])}, exported net "
            f"{int(ref[idx])} ({len(bad)} of {ref.size} codes differ)")


def check_export(qmodel, input_shape, layers, tensors, rounding="nearest_even", inputs=None):
    """The exporter checks its own result: runs the exported net (layers and tensors from
    _build) with the integer reference (reference_run) and PyTorch's quantized model on the same
    inputs and refuses, with ExportError, unless every compared layer and the final output are
    identical. Returns a line saying what was checked.

    Inputs: `inputs` (float N x C x H x W), else the calibration images quantize_pow2 kept
    (`qmodel.sasim_check_inputs`), else 4 deterministic random images on the input's
    quantization grid. Forward hooks count every module's calls (a module called twice, or an
    exported one never called, is refused) and capture each exported module's PyTorch input and
    output, compared in export order with what the exported net feeds that layer and computes;
    then the final output (the DeQuantStub's input). PyTorch's kernels round to nearest even, so a
    net exported with floor rounding is checked with nearest_even (floor is a deliberate
    difference, not a different network)."""
    x, source, note = _check_inputs(qmodel, input_shape, inputs)
    for _, m in qmodel.named_modules():
        if isinstance(m, nnq.Quantize):
            codes = torch.quantize_per_tensor(x, float(m.scale), int(m.zero_point),
                                              torch.quint8).int_repr().numpy()
            break
    else:
        raise ExportError("no QuantStub")
    last_entry = {l["_module"]: i for i, l in enumerate(layers) if l.get("_module") is not None}
    first_entry = {}
    for i, l in enumerate(layers):
        first_entry.setdefault(l.get("_module"), i)
    calls, outputs, final = _run_hooked(qmodel, x, set(last_entry))
    for mod_name, n in calls.items():
        if n > 1:
            raise ExportError(f"{mod_name or 'the model'}: called {n} times in one forward pass, "
                              "but the exporter emits each module once (it walks "
                              "named_modules(), not forward()): give each use its own module")
    for mod_name in last_entry:
        if calls.get(mod_name, 0) == 0:
            raise ExportError(f"{mod_name}: exported as a layer but never called in forward()")
    why = f"Likely reason: {_UNSEEN}."
    # Each exported module's input (at its first entry) and output (at its last entry) against
    # the reference's value there. PyTorch rounds to nearest even: a floor net is checked with
    # that (see the docstring).
    ref, fed_by = codes, "the net's input"
    for i, l, out in reference_run(layers, tensors, codes, "nearest_even"):
        mod_name = l.get("_module")
        got_in, got_out = outputs.get(mod_name, (None, None))
        group = layers[first_entry.get(mod_name, i):i + 1]  # a fused module's entries
        what = (f"layer {' + '.join(g['name'] for g in group)} "
                f"({'+'.join(g['type'] for g in group)}, module {mod_name})")
        if l["type"] != "flatten" and first_entry.get(mod_name) == i and got_in is not None:
            diff = _difference(ref, got_in, source)
            if diff:
                raise ExportError(f"export check: {what} gets a different input in PyTorch's "
                                  f"quantized model than in the exported net, which feeds it "
                                  f"{fed_by}: {diff}. {why}")
        if l["type"] != "flatten" and last_entry.get(mod_name) == i and got_out is not None:
            diff = _difference(out, got_out, source)
            if diff:
                raise ExportError(f"export check: {what} differs from PyTorch's quantized "
                                  f"model {diff}. {why}")
        ref, fed_by = out, f"the output of layer {l['name']}"
    if final is None:
        raise ExportError("export check: the model's output is not a quantized tensor and no "
                          "DeQuantStub received one, so the export cannot be checked")
    diff = _difference(ref, final.int_repr().numpy(), source)
    if diff:
        raise ExportError(f"export check: the final output (the DeQuantStub's input) differs "
                          f"from PyTorch's quantized model {diff}, although every layer the "
                          f"exporter can match to a module agrees. {why}")
    return (f"checked against PyTorch's quantized model on {len(x)} {source}s{note}: every "
            "layer and the output identical")


def _write_atomically(out_dir, files):
    """Writes [(relative path, bytes)] under out_dir so that a reader never sees a half-written
    export: into a fresh directory next to out_dir first (unique name), which becomes out_dir by
    a rename if out_dir does not exist; into an existing out_dir the files are moved one by one
    with os.replace, the last one (the YAML that names the others) last."""
    out_dir = os.path.abspath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ExportError(f"{out_dir}: exists and is not a directory")
    parent = os.path.dirname(out_dir)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{os.path.basename(out_dir)}.{os.getpid()}."
                               f"{secrets.token_hex(4)}.tmp")
    os.mkdir(tmp)
    try:
        for rel, data in files:
            path = os.path.join(tmp, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        renamed = False
        if not os.path.exists(out_dir):
            try:
                os.rename(tmp, out_dir)
                renamed = True
            except OSError:
                pass  # created meanwhile: move the files in instead
        if not renamed:
            for rel, _ in files:
                dst = os.path.join(out_dir, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                os.replace(os.path.join(tmp, rel), dst)
        dir_fd = os.open(parent if renamed else out_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)


def export(qmodel, input_shape, out_dir, name, rounding="nearest_even", check_inputs=None,
           check=True):
    """Writes out_dir/<name>.yaml and out_dir/weights/*.npy; returns the YAML path.

    Before anything is written, the export is checked (check_structure, then check_export on
    `check_inputs`, the calibration images quantize_pow2 kept, or random images): if the exported
    net would not compute what PyTorch's quantized model computes, ExportError says where and
    nothing is written. check=False skips the run of the model (only for debugging: the result
    is then not verified; the structural refusals stay). Files are written atomically."""
    if rounding not in ("floor", "nearest_even"):
        raise ExportError(f"rounding {rounding!r}: expected floor or nearest_even")
    check_structure(qmodel)
    layers, tensors = _build(qmodel)
    checked = "NOT checked against PyTorch (check=False)"
    if check:
        checked = check_export(qmodel, input_shape, layers, tensors, rounding, check_inputs)
    c, h, w = input_shape
    lines = [f"# Exported from PyTorch by tools/export_torch.py", f"# {checked}", f"name: {name}",
             "input:", f"  shape: [{c}, {h}, {w}]", f"  scale_exp: {pow2_first(qmodel)}",
             f"rounding: {rounding}", "weights: weights", "layers:"]
    for l in layers:
        lines.append("  - {" + ", ".join(f"{k}: {v}" for k, v in l.items()
                                         if not k.startswith("_")) + "}")
    files = []
    for lname, (wt, b) in tensors.items():
        for suffix, arr in (("weight", wt), ("bias", b)):
            buf = io.BytesIO()
            np.save(buf, arr)
            files.append((os.path.join("weights", f"{lname}.{suffix}.npy"), buf.getvalue()))
    files.append((f"{name}.yaml", ("\n".join(lines) + "\n").encode()))
    _write_atomically(out_dir, files)
    return os.path.join(out_dir, f"{name}.yaml")


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


def compare(qmodel, x, sim_run, work_dir, name="compared", extra_args=(), check_inputs=None):
    """Exports `qmodel` (with export()'s check), runs sim_run on the quantized `x` (float
    C x H x W), and compares every layer with PyTorch. Returns (exit code of sim_run,
    [(layer, outputs, differing)])."""
    import subprocess
    net = export(qmodel, tuple(x.shape), work_dir, name, check_inputs=check_inputs)
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
    p.add_argument("--check-inputs", metavar="NPY",
                   help="float N x C x H x W .npy on which the export is checked against PyTorch "
                        "(default: the calibration images quantize_pow2 kept, else random)")
    p.add_argument("--no-check", action="store_true",
                   help="do not check the export against PyTorch (debugging only: the exported "
                        "net is then not verified)")
    args = p.parse_args(argv)
    try:
        import importlib
        module_name, _, function = args.model.partition(":")
        if not function:
            raise ExportError(f"{args.model}: expected MODULE:FUNCTION")
        sys.path.insert(0, os.getcwd())
        qmodel = getattr(importlib.import_module(module_name), function)()
        shape = [int(v) for v in args.input_shape.split(",")]
        check_inputs = np.load(args.check_inputs) if args.check_inputs else None
        if not args.compare:
            net = export(qmodel, shape, args.out, args.name, check_inputs=check_inputs,
                         check=not args.no_check)
            print(net)
            with open(net) as f:  # the second line says what was checked, on what
                print(f"export_torch: {f.read().splitlines()[1][2:]}", file=sys.stderr)
            return 0
        if args.no_check:
            raise ExportError("--compare always checks the export (drop --no-check)")
        x = (torch.tensor(np.load(args.image), dtype=torch.float32) if args.image
             else torch.randn(*shape))
        rc, log, rows = compare(qmodel, x, args.compare, args.out, args.name,
                                check_inputs=check_inputs)
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
