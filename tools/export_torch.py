#!/usr/bin/python3
"""Export a quantized PyTorch network to a sasim net (YAML + .npy weights + reference outputs)
that sim_run runs.

Command line: export_torch.py MODULE:FUNCTION [--input-shape C,H,W] --out DIR [--compare SIM_RUN]
(FUNCTION builds and returns the quantized model, e.g. course_models:resnet18; --compare also
runs it on sasim and compares every layer with PyTorch). As a library: quantize_pow2() (eager
mode), quantize_pow2_fx() (FX graph mode), export(), compare().

The exporter follows the forward pass: it traces the converted quantized model with torch.fx
(symbolic_trace of an eager-mode model; the GraphModule of convert_fx as it is) and maps every
node of the graph to an entry of the net (conv2d, linear, relu, maxpool, avgpool,
adaptive_avgpool, add, flatten) or to nothing (Identity, Dropout in eval, DeQuantStub, shape
queries). Entries are named after their fx nodes and say which earlier entries they read
(`inputs`), so branches and joins (a ResNet's downsample and add_relu) come out as the model
computes them. Anything it cannot map is refused with an ExportError naming the fx node (its
name and target) and the reason: nothing is dropped silently.

It refuses what the accelerator cannot run: scales that are not powers of two, per-channel
weights, activation zero points other than 128, unsupported operations, float operations (a part
of the model that was left unquantized), results that do not reach the output.

Then it checks its own result: the exported net runs through an integer reference of the sasim
contract in numpy (reference_run) and is compared, entry by entry, with PyTorch's quantized
model (qnnpack engine) on the calibration (or given, or random) inputs; any difference is an
ExportError naming the entry, the element and both values. PyTorch's own output codes of every
entry for the first check input are written to reference/ for sim_run. Nothing is written on
refusal (files are written atomically).

Run with Debian's Python (/usr/bin/python3, python3-torch and python3-numpy).
"""
import contextlib
import copy
import io
import math
import operator
import os
import re
import secrets
import shutil
import sys

import numpy as np
import torch
import torch.fx
import torch.nn.functional as F
try:  # module paths moved between PyTorch releases; Debian 12 has 1.13
    import torch.ao.nn.intrinsic.quantized as nniq
except ImportError:
    import torch.nn.intrinsic.quantized as nniq
import torch.ao.nn.quantized as nnq
import torch.ao.quantization as tq
from torch.fx.operator_schemas import normalize_function


class ExportError(Exception):
    """Something the accelerator cannot run; the message says what and where."""


def pow2_exponent(scale, what):
    """c such that scale == 2**-c exactly, else ExportError."""
    scale = float(scale)
    if not scale > 0 or not math.isfinite(scale):
        raise ExportError(f"{what}: scale {scale} is not a power of two")
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
    """The course QConfig: Pow2Observer for uint8 activations (zero point 128) and int8 weights
    (zero point 0), per tensor."""
    act = Pow2Observer.with_args(dtype=torch.quint8, qscheme=torch.per_tensor_symmetric)
    wgt = Pow2Observer.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_symmetric)
    return tq.QConfig(activation=act, weight=wgt)


def pow2_qconfig_mapping():
    """The course qconfig for FX graph mode (prepare_fx): pow2_qconfig() everywhere."""
    return tq.QConfigMapping().set_global(pow2_qconfig())


CHECK_IMAGES = 4  # calibration images quantize_pow2 keeps for export()'s check


def _calibrate(prepared, calibration_batches):
    """Runs the calibration batches through a prepared model; returns the first CHECK_IMAGES
    images (N x C x H x W tensors only), or None."""
    kept = []
    with torch.no_grad():
        for batch in calibration_batches:
            prepared(batch)
            if isinstance(batch, torch.Tensor) and batch.dim() == 4 and \
                    sum(map(len, kept)) < CHECK_IMAGES:
                kept.append(batch.detach()[:CHECK_IMAGES - sum(map(len, kept))].clone())
    return torch.cat(kept) if kept else None


def quantize_pow2(model, calibration_batches, fuse=None, engine="qnnpack"):
    """Eager-mode static PTQ with power-of-two scales: fuse, observe, convert. `model` must
    contain a QuantStub and DeQuantStub; `fuse` lists module-name groups to fuse (conv/bn/relu,
    linear/relu). The first CHECK_IMAGES calibration images are kept as `sasim_check_inputs`
    for export()'s check."""
    torch.backends.quantized.engine = engine
    model = model.eval()
    if fuse:
        model = tq.fuse_modules(model, fuse)
    model.qconfig = pow2_qconfig()
    prepared = tq.prepare(model)
    kept = _calibrate(prepared, calibration_batches)
    qmodel = tq.convert(prepared)
    if kept is not None:
        qmodel.sasim_check_inputs = kept
    return qmodel


def quantize_pow2_fx(model, calibration_batches, engine="qnnpack"):
    """FX-graph-mode static PTQ with power-of-two scales: prepare_fx with pow2_qconfig_mapping()
    (which also fuses conv/bn/relu and linear/relu, F.relu included), observe, convert_fx. `model`
    is a plain float model (no stubs) and is not modified. Returns the converted GraphModule, with
    the first CHECK_IMAGES calibration images kept as `sasim_check_inputs`."""
    from torch.ao.quantization.quantize_fx import convert_fx, prepare_fx
    torch.backends.quantized.engine = engine
    batches = list(calibration_batches)
    if not batches:
        raise ExportError("quantize_pow2_fx: no calibration batches")
    model = copy.deepcopy(model).eval()
    prepared = prepare_fx(model, pow2_qconfig_mapping(), (batches[0],))
    kept = _calibrate(prepared, batches)
    qmodel = convert_fx(prepared)
    if kept is not None:
        qmodel.sasim_check_inputs = kept
    return qmodel


# ---- The forward pass as an fx graph, mapped to net entries ----

@contextlib.contextmanager
def _eval_mode(model):
    """The model (and every submodule) in eval mode; the modes are restored afterwards."""
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield model
    finally:
        for m, training in modes:
            m.training = training


@contextlib.contextmanager
def _engine(name):
    """PyTorch's quantized engine set to `name` (if this PyTorch has it), restored afterwards."""
    old = torch.backends.quantized.engine
    if name in torch.backends.quantized.supported_engines:
        torch.backends.quantized.engine = name
    try:
        yield
    finally:
        torch.backends.quantized.engine = old


def trace(qmodel):
    """The forward pass of `qmodel` as a torch.fx GraphModule: the model itself if it is one
    (what convert_fx returns), else torch.fx.symbolic_trace of it in eval mode (torch.nn and
    torch.ao.nn modules are leaves, the user's own modules are traced through; QFunctional's add
    and add_relu become torch.ops.quantized.add / add_relu calls)."""
    if not isinstance(qmodel, torch.nn.Module):
        raise ExportError(f"expected a torch.nn.Module, got {type(qmodel).__name__}")
    if isinstance(qmodel, torch.fx.GraphModule):
        return qmodel
    try:
        with _eval_mode(qmodel):
            return torch.fx.symbolic_trace(qmodel)
    except Exception as e:  # the user's forward; say what happened
        raise ExportError(f"tracing the model's forward pass with torch.fx failed: "
                          f"{type(e).__name__}: {e}. The exporter follows the forward pass, so "
                          "it must be traceable (no control flow that depends on the data)") \
            from e


class _Q:
    """A quantized activation of the exported net: the output of entry `entry` ("input": the
    network input), scale 2**-exp, zero point 128, `shape` per sample: (C, H, W) or (F,)."""

    def __init__(self, entry, exp, shape):
        self.entry, self.exp, self.shape = entry, exp, tuple(shape)


class _Float:
    """A float tensor: the network input (of=None) or the dequantized _Q `of`."""

    def __init__(self, of, shape, node=None):
        self.of, self.shape, self.node = of, tuple(shape), node


class _Batch:
    """The batch size (x.size(0), x.shape[0])."""


class _Sizes:
    """x.size() or x.shape: the batch size and the per-sample shape."""

    def __init__(self, shape):
        self.shape = tuple(shape)


def _function_name(fn):
    qualified = getattr(fn, "_qualified_op_name", None)
    if qualified:
        return "torch.ops." + qualified.replace("::", ".")
    module = getattr(fn, "__module__", None) or "torch"
    module = {"_operator": "operator", "torch._C._nn": "torch.nn.functional",
              "torch._C._VariableFunctions": "torch"}.get(module, module)
    return f"{module}.{getattr(fn, '__name__', repr(fn))}"


def _op_name(fn):
    """'quantized::add' for torch.ops.quantized.add, else None."""
    return getattr(fn, "_qualified_op_name", None)


# What sim_run's loader accepts (contract/layer.h, compiler/net_ir.cc); refused here already, at
# the fx node, rather than by sim_run at the YAML line.
_MAX_CONV_KERNEL = 15   # conv2d kernel and stride, 1..15; padding below the kernel
_MAX_WINDOW = 255       # pool kernels and strides, adaptive pool windows, 1..255

_RELU_FUNCTIONS = (F.relu, torch.relu, torch.relu_, getattr(F, "relu_", torch.relu_))
_DROPOUT_FUNCTIONS = (F.dropout, F.dropout2d, F.alpha_dropout, F.feature_alpha_dropout)
_NAME_RE = re.compile(r"^[A-Za-z0-9_]+$")


def pytorch_average_differs(n):
    """None if PyTorch's quantized average of an n-tap window equals the contract's (the sum of
    the codes over n, rounded half to even) for every window sum, else (sum, PyTorch's code, the
    contract's code) of the first difference. PyTorch (avg_pool2d and adaptive_avg_pool2d, the
    same code with the qnnpack engine set; measured on 1.13) computes
    128 + rint(float32(sum - 128 n) * float32(1 / n)) in float32, ties to even: exact except at
    some ties (window sum n q + n / 2) for some n whose reciprocal float32 rounds, e.g. n = 14,
    26, 28, 30, 484 (22x22); never for a square window below 22x22."""
    acc = np.arange(-128 * n, 127 * n + 1, dtype=np.int64)
    torch_q = np.rint(acc.astype(np.float32) * (np.float32(1) / np.float32(n))).astype(np.int64)
    q = acc // n
    rem = acc - q * n
    exact = q + ((2 * rem > n) | ((2 * rem == n) & ((q & 1) == 1)))
    bad = np.nonzero(torch_q != exact)[0]
    if not len(bad):
        return None
    i = bad[0]
    return int(acc[i] + 128 * n), int(torch_q[i] + 128), int(exact[i] + 128)


class Net:
    """An exported net: `layers`, the YAML entries in order (dicts; keys starting with "_" are
    not written: "_node" the fx node, "_what" its description, "_inputs" the entries read,
    "_exp" the output exponent, "_shape" the per-sample output shape, "_src" how PyTorch's
    output of the entry is obtained), `tensors` {entry: (int8 weights, int32 biases)}, the input
    exponent and shape, and the traced graph `gm`."""

    def __init__(self, gm, input_shape):
        self.gm = gm
        self.input_shape = tuple(int(v) for v in input_shape)
        self.layers = []
        self.tensors = {}
        self.input_exp = None
        self.input_scale = None
        self.output = None


class _Builder:
    """Walks the graph's nodes in order and maps each to entries of a Net (or to nothing)."""

    def __init__(self, gm, input_shape):
        self.net = Net(gm, input_shape)
        self.gm = gm
        self.modules = dict(gm.named_modules())
        self.values = {}
        self.used = set()
        self.reserved = {"input"} | {self._sanitize(n.name) for n in gm.graph.nodes}
        self.placeholder = None

    # -- helpers --
    def describe(self, node):
        if node.op == "call_module":
            m = self.modules.get(node.target)
            return f"fx node {node.name}: module {node.target} ({type(m).__name__})"
        if node.op == "call_function":
            return f"fx node {node.name}: {_function_name(node.target)}"
        if node.op == "call_method":
            return f"fx node {node.name}: method .{node.target}()"
        return f"fx node {node.name}: {node.op} {node.target}"

    def error(self, node, why):
        return ExportError(f"{self.describe(node)}: {why}")

    @staticmethod
    def _sanitize(name):
        return re.sub(r"[^A-Za-z0-9_]", "_", name)[:60] or "entry"

    def _name(self, base, own):
        base = self._sanitize(base)
        name = base
        if not own or name in self.used or name == "input":
            i = 1
            while name in self.used or name in self.reserved:
                name = f"{base}_{i}"
                i += 1
        self.used.add(name)
        return name

    def value(self, a):
        if isinstance(a, torch.fx.Node):
            return self.values[a]
        if isinstance(a, (list, tuple)):
            return type(a)(self.value(v) for v in a)
        return a

    def quantized(self, node, v, what="its input"):
        if isinstance(v, _Q):
            return v
        if isinstance(v, _Float):
            if v.of is None:
                raise self.error(node, f"{what} is the float network input, which the "
                                       "accelerator cannot compute with: the model must quantize "
                                       "it first (QuantStub in eager mode, quantize_per_tensor in "
                                       "FX graph mode), and nothing may come before that")
            raise self.error(node, f"computes on a float tensor ({what} was dequantized by fx "
                                   f"node {v.node}); the accelerator computes quantized tensors "
                                   "only. In FX graph mode this is an operation convert_fx left "
                                   "unquantized (e.g. everything before x.view(x.size(0), -1) "
                                   "back to the last conv: use torch.flatten(x, 1)); in eager "
                                   "mode, an operation after the DeQuantStub")
        raise self.error(node, f"{what} is not a tensor")

    def entry(self, node, kind, inputs, exp, shape, keys=None, src=None, name=None):
        name = self._name(name or node.name, own=name is None)
        layer = {"name": name, "type": kind}
        layer.update(keys or {})
        layer.update(_node=node.name, _what=self.describe(node), _inputs=[v.entry for v in inputs],
                     _exp=exp, _shape=tuple(shape), _src=src or ("node", node.name))
        self.net.layers.append(layer)
        return _Q(name, exp, shape)

    def relu_after(self, node, q):
        return self.entry(node, "relu", [q], q.exp, q.shape, name=f"{q.entry}_relu")

    @staticmethod
    def _square(node_error, v, what):
        if isinstance(v, int):
            return v
        if isinstance(v, (tuple, list)) and len(v) == 2 and all(isinstance(u, int) for u in v):
            if v[0] != v[1]:
                raise node_error(f"{what} {tuple(v)}: only square ones ({what} k x k)")
            return v[0]
        if isinstance(v, (tuple, list)) and len(v) == 1 and isinstance(v[0], int):
            return v[0]
        raise node_error(f"{what} {v!r}: expected an int or a pair of equal ints")

    # -- the walk --
    def run(self):
        for node in self.gm.graph.nodes:
            self.values[node] = self.visit(node)
        return self.finish()

    def visit(self, node):
        if node.op == "placeholder":
            if self.placeholder is not None:
                raise self.error(node, "a second input of forward(); the exporter exports "
                                       "networks with one input tensor")
            self.placeholder = node
            return _Float(None, self.net.input_shape, node.name)
        if node.op == "get_attr":
            obj = self.gm
            for part in node.target.split("."):
                obj = getattr(obj, part)
            return obj
        if node.op == "output":
            return self.output(node)
        args = [self.value(a) for a in node.args]
        kwargs = {k: self.value(v) for k, v in node.kwargs.items()}
        if node.op == "call_module":
            return self.call_module(node, self.modules[node.target], args, kwargs)
        if node.op == "call_function":
            return self.call_function(node, args, kwargs)
        if node.op == "call_method":
            return self.call_method(node, args, kwargs)
        raise self.error(node, f"unknown fx operation {node.op}")

    def call_module(self, node, m, args, kwargs):
        t = type(m)
        if kwargs or len(args) != 1:
            raise self.error(node, "expected one tensor argument")
        x = args[0]
        err = lambda why: self.error(node, why)  # noqa: E731
        if t is nnq.Quantize:
            return self.quantize_input(node, x, m.scale, m.zero_point, m.dtype)
        if t is nnq.DeQuantize:
            return _Float(self.quantized(node, x), self.quantized(node, x).shape, node.name)
        if t in (nnq.Conv2d, nniq.ConvReLU2d):
            return self.conv(node, m, self.quantized(node, x))
        if t in (nnq.Linear, nniq.LinearReLU):
            return self.linear(node, m, self.quantized(node, x))
        if t is torch.nn.ReLU:
            return self.relu(node, self.quantized(node, x))
        if t is torch.nn.MaxPool2d:
            return self.maxpool(node, self.quantized(node, x), m.kernel_size, m.stride, m.padding,
                                m.dilation, m.ceil_mode, m.return_indices)
        if t is torch.nn.AvgPool2d:
            return self.avgpool(node, self.quantized(node, x), m.kernel_size, m.stride, m.padding,
                                m.ceil_mode, m.divisor_override)
        if t is torch.nn.AdaptiveAvgPool2d:
            return self.adaptive(node, self.quantized(node, x), m.output_size)
        if t is torch.nn.Flatten:
            return self.flatten(node, self.quantized(node, x), m.start_dim, m.end_dim)
        if t is torch.nn.Identity or isinstance(m, torch.nn.modules.dropout._DropoutNd):
            return x  # no-ops in eval mode
        if t in (tq.QuantStub, tq.DeQuantStub, torch.nn.Conv2d, torch.nn.Linear,
                 torch.nn.BatchNorm2d) or type(m).__module__.startswith("torch.nn.intrinsic.modules") \
                or type(m).__module__.startswith("torch.ao.nn.intrinsic.modules"):
            raise err(f"{t.__name__} is a float module: export the converted quantized model "
                      "(quantize_pow2 / torch.ao.quantization.convert in eager mode, "
                      "quantize_pow2_fx / convert_fx in FX graph mode)")
        raise err(f"{t.__name__} is not supported by the accelerator (supported: quantized "
                  "Conv2d / ConvReLU2d, Linear / LinearReLU, ReLU, MaxPool2d, AvgPool2d, "
                  "AdaptiveAvgPool2d, Flatten, QFunctional add / add_relu, Identity, Dropout)")

    def call_function(self, node, args, kwargs):
        fn = node.target
        err = lambda why: self.error(node, why)  # noqa: E731
        op = _op_name(fn)
        if op in ("quantized::add", "quantized::add_relu"):
            if len(args) < 2:
                raise err("expected two tensors")
            scale = args[2] if len(args) > 2 else kwargs.get("scale")
            zero_point = args[3] if len(args) > 3 else kwargs.get("zero_point")
            if scale is None or zero_point is None:
                raise err("no output scale / zero point")
            return self.add(node, self.quantized(node, args[0], "its first input"),
                            self.quantized(node, args[1], "its second input"), scale, zero_point,
                            relu=op == "quantized::add_relu")
        if fn is torch.quantize_per_tensor:
            k = dict(zip(("input", "scale", "zero_point", "dtype"), args), **kwargs)
            return self.quantize_input(node, k.get("input"), k.get("scale"),
                                       k.get("zero_point"), k.get("dtype"))
        if fn in _RELU_FUNCTIONS:
            return self.relu(node, self.quantized(node, args[0] if args else kwargs.get("input")))
        if fn is getattr and len(args) == 2 and args[1] == "shape":
            return _Sizes(self.tensor_shape(node, args[0]))
        if fn is operator.getitem and isinstance(args[0], _Sizes):
            return self.size_of(node, args[0].shape, args[1])
        if fn in (torch.flatten, F.max_pool2d, F.avg_pool2d, F.adaptive_avg_pool2d) + \
                _DROPOUT_FUNCTIONS:
            try:
                a = normalize_function(fn, tuple(args), kwargs, normalize_to_only_use_kwargs=True)
            except Exception as e:  # an unusual call signature
                raise err(f"cannot read its arguments ({e})") from e
            if a is None:
                raise err("cannot read its arguments")
            k = a.kwargs
            if fn in _DROPOUT_FUNCTIONS:
                if k.get("training", True):
                    raise err("dropout with training=True changes the data; only eval-mode "
                              "dropout (a no-op) is exported")
                return k["input"]
            x = self.quantized(node, k["input"])
            if fn is torch.flatten:
                return self.flatten(node, x, k.get("start_dim", 0), k.get("end_dim", -1))
            if fn is F.max_pool2d:
                return self.maxpool(node, x, k["kernel_size"], k.get("stride"),
                                    k.get("padding", 0), k.get("dilation", 1),
                                    k.get("ceil_mode", False), k.get("return_indices", False))
            if fn is F.avg_pool2d:
                return self.avgpool(node, x, k["kernel_size"], k.get("stride"),
                                    k.get("padding", 0), k.get("ceil_mode", False),
                                    k.get("divisor_override"))
            return self.adaptive(node, x, k["output_size"])
        self.float_refusal(node, args)
        raise err("not supported by the accelerator")

    def float_refusal(self, node, args):
        """Refuses an operation on a dequantized tensor as such (saying where it was
        dequantized) rather than as an unknown operation."""
        for a in args:
            for v in a if isinstance(a, (list, tuple)) else [a]:
                if isinstance(v, _Float) and v.of is not None:
                    self.quantized(node, v)

    def call_method(self, node, args, kwargs):
        name = node.target
        err = lambda why: self.error(node, why)  # noqa: E731
        x = args[0] if args else None
        rest = args[1:]
        if name == "dequantize" and not rest and not kwargs:
            q = self.quantized(node, x)
            return _Float(q, q.shape, node.name)
        if name == "size" and not kwargs:
            shape = self.tensor_shape(node, x)
            return _Sizes(shape) if not rest else self.size_of(node, shape, rest[0])
        if name == "contiguous":
            return x
        if name in ("relu", "relu_") and not rest and not kwargs:
            return self.relu(node, self.quantized(node, x))
        if name in ("view", "reshape") and not kwargs:
            dims = rest[0] if len(rest) == 1 and isinstance(rest[0], (tuple, list)) else rest
            return self.view(node, self.quantized(node, x), list(dims))
        if name == "flatten":
            k = dict(zip(("start_dim", "end_dim"), rest), **kwargs)
            return self.flatten(node, self.quantized(node, x), k.get("start_dim", 0),
                                k.get("end_dim", -1))
        self.float_refusal(node, args)
        raise err("not supported by the accelerator")

    def output(self, node):
        out = node.args[0] if node.args else None
        if not isinstance(out, torch.fx.Node):
            raise self.error(node, f"forward() returns {type(out).__name__}; the exporter "
                                   "exports networks with one output tensor")
        v = self.values[out]
        q = v if isinstance(v, _Q) else v.of if isinstance(v, _Float) else None
        if q is None or q.entry == "input":
            raise self.error(node, "the model's output is not computed by any layer")
        self.net.output = q.entry
        return v

    # -- shapes --
    def tensor_shape(self, node, v):
        if isinstance(v, (_Q, _Float)):
            return v.shape
        raise self.error(node, "is applied to something that is not a tensor")

    def size_of(self, node, shape, dim):
        if not isinstance(dim, int) or not -len(shape) - 1 <= dim <= len(shape):
            raise self.error(node, f"dimension {dim!r} of a tensor of {len(shape) + 1} "
                                   "dimensions")
        dim %= len(shape) + 1
        return _Batch() if dim == 0 else shape[dim - 1]

    # -- operations --
    def quantize_input(self, node, x, scale, zero_point, dtype):
        if not (isinstance(x, _Float) and x.of is None):
            raise self.error(node, "quantizes a tensor that is not the network input as it "
                                   "comes in (in FX graph mode: an operation before it was left "
                                   "in float, which the accelerator cannot compute)")
        if self.net.input_exp is not None:
            raise self.error(node, "quantizes the network input a second time")
        if dtype != torch.quint8:
            raise self.error(node, f"input dtype {dtype}: the accelerator's activations are "
                                   "torch.quint8")
        if int(zero_point) != 128:
            raise self.error(node, f"input zero point {int(zero_point)}, the accelerator uses "
                                   "128")
        self.net.input_exp = pow2_exponent(float(scale), f"{self.describe(node)}: input")
        self.net.input_scale = float(scale)
        return _Q("input", self.net.input_exp, self.net.input_shape)

    def relu(self, node, q):
        if any(l["name"] == q.entry and l["type"] == "flatten" for l in self.net.layers):
            raise self.error(node, "a ReLU of a flattened tensor: the accelerator flattens into "
                                   "the next linear; apply the ReLU before the flatten")
        return self.entry(node, "relu", [q], q.exp, q.shape)

    def qparams(self, node, weight, in_exp, out_scale, out_zp):
        """(c_w, c_y) of a conv or linear layer, refusing what the accelerator cannot do."""
        if int(out_zp) != 128:
            raise self.error(node, f"output zero point {int(out_zp)}, the accelerator uses 128")
        if weight.qscheme() not in (torch.per_tensor_symmetric, torch.per_tensor_affine):
            raise self.error(node, "per-channel weights are not supported (per-tensor only)")
        if int(weight.q_zero_point()) != 0:
            raise self.error(node, f"weight zero point {weight.q_zero_point()}, expected 0")
        c_w = pow2_exponent(float(weight.q_scale()), f"{self.describe(node)}: weight")
        c_y = pow2_exponent(float(out_scale), f"{self.describe(node)}: output")
        shift = in_exp + c_w - c_y
        if not 0 <= shift <= 31:
            raise self.error(node, f"shift c_x + c_w - c_y = {in_exp} + {c_w} - {c_y} = {shift} "
                                   "is outside 0..31")
        return c_w, c_y

    @staticmethod
    def bias_int32(bias, in_exp, c_w, n):
        # What PyTorch's quantized kernels do with a float bias: quantize at scale s_x * s_w.
        if bias is None:
            return np.zeros(n, np.int32)
        scale = 2.0 ** -(in_exp + c_w)
        return torch.quantize_per_tensor(bias.detach().float(), scale, 0,
                                         torch.qint32).int_repr().numpy().astype(np.int32)

    def conv(self, node, m, x):
        err = lambda why: self.error(node, why)  # noqa: E731
        if len(x.shape) != 3:
            raise err(f"conv2d on a flattened tensor ({x.shape[0]} values per sample)")
        weight = m.weight()
        c_w, c_y = self.qparams(node, weight, x.exp, m.scale, m.zero_point)
        k = self._square(err, tuple(m.kernel_size), "kernel")
        s = self._square(err, tuple(m.stride), "stride")
        p = self._square(err, tuple(m.padding), "padding")
        if m.groups != 1:
            raise err(f"groups={m.groups} (a grouped or depthwise convolution) is not supported")
        if tuple(m.dilation) != (1, 1):
            raise err(f"dilation {tuple(m.dilation)} is not supported")
        if m.padding_mode != "zeros":
            raise err(f"padding_mode {m.padding_mode!r}: only zero padding")
        if not (1 <= k <= _MAX_CONV_KERNEL and 1 <= s <= _MAX_CONV_KERNEL and 0 <= p < k):
            raise err(f"kernel {k}, stride {s}, padding {p}: the accelerator's convolutions take "
                      f"kernels and strides 1..{_MAX_CONV_KERNEL} and a padding below the kernel")
        c, h, w = x.shape
        o = weight.shape[0]
        if weight.shape[1] != c:
            raise err(f"weights {tuple(weight.shape)} do not fit {c} input channels")
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        if oh < 1 or ow < 1:
            raise err(f"a {k}x{k} kernel does not fit the {h}x{w} input")
        relu = type(m) is nniq.ConvReLU2d
        q = self.entry(node, "conv2d", [x], c_y, (o, oh, ow),
                       dict(out_channels=o, kernel=k, stride=s, padding=p, weight_exp=c_w,
                            output_exp=c_y), src=("conv", node.name) if relu else None)
        self.net.tensors[q.entry] = (weight.int_repr().numpy().astype(np.int8),
                                     self.bias_int32(m.bias(), x.exp, c_w, o))
        return self.relu_after(node, q) if relu else q

    def linear(self, node, m, x):
        err = lambda why: self.error(node, why)  # noqa: E731
        if len(x.shape) != 1:
            raise err(f"linear on a {'x'.join(map(str, x.shape))} tensor: flatten it first "
                      "(torch.flatten(x, 1), nn.Flatten or x.view(x.size(0), -1))")
        weight = m.weight()
        c_w, c_y = self.qparams(node, weight, x.exp, m.scale, m.zero_point)
        o, i = weight.shape
        if i != x.shape[0]:
            raise err(f"weights {tuple(weight.shape)} do not fit {x.shape[0]} inputs")
        relu = type(m) is nniq.LinearReLU
        q = self.entry(node, "linear", [x], c_y, (o,),
                       dict(out_features=o, weight_exp=c_w, output_exp=c_y),
                       src=("linear", node.name) if relu else None)
        self.net.tensors[q.entry] = (weight.int_repr().numpy().astype(np.int8),
                                     self.bias_int32(m.bias(), x.exp, c_w, o))
        return self.relu_after(node, q) if relu else q

    def spatial(self, node, x, what):
        if len(x.shape) != 3:
            raise self.error(node, f"{what} on a flattened tensor")
        return x.shape

    def maxpool(self, node, x, kernel, stride, padding, dilation, ceil_mode, return_indices):
        err = lambda why: self.error(node, why)  # noqa: E731
        c, h, w = self.spatial(node, x, "max pool")
        k = self._square(err, kernel, "kernel")
        s = k if stride is None or stride == [] or stride == () else \
            self._square(err, stride, "stride")
        p = self._square(err, padding, "padding")
        if self._square(err, dilation, "dilation") != 1:
            raise err(f"dilation {dilation}: only 1")
        if ceil_mode:
            raise err("ceil_mode=True: only floor output sizes (ceil_mode=False)")
        if return_indices:
            raise err("return_indices=True is not supported")
        if 2 * p > k:
            raise err(f"padding {p} is more than half the kernel {k}")
        self.window_limits(node, k, k, s)
        oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        if oh < 1 or ow < 1:
            raise err(f"a {k}x{k} window does not fit the {h}x{w} input")
        keys = dict(kernel=k, stride=s)
        if p:
            keys["padding"] = p
        return self.entry(node, "maxpool", [x], x.exp, (c, oh, ow), keys)

    def avgpool(self, node, x, kernel, stride, padding, ceil_mode, divisor_override):
        err = lambda why: self.error(node, why)  # noqa: E731
        c, h, w = self.spatial(node, x, "average pool")
        k = self._square(err, kernel, "kernel")
        s = k if stride is None or stride == [] or stride == () else \
            self._square(err, stride, "stride")
        if self._square(err, padding, "padding") != 0:
            raise err("padding: the accelerator's average pool has none (padding=0 only)")
        if ceil_mode:
            raise err("ceil_mode=True: only floor output sizes (ceil_mode=False)")
        if divisor_override is not None:
            raise err("divisor_override is not supported")
        self.window_limits(node, k, k, s)
        oh, ow = (h - k) // s + 1, (w - k) // s + 1
        if oh < 1 or ow < 1:
            raise err(f"a {k}x{k} window does not fit the {h}x{w} input")
        self.average_rounding(node, k, k)
        return self.entry(node, "avgpool", [x], x.exp, (c, oh, ow), dict(kernel=k, stride=s))

    def window_limits(self, node, kh, kw, stride):
        if not (1 <= kh <= _MAX_WINDOW and 1 <= kw <= _MAX_WINDOW and 1 <= stride <= _MAX_WINDOW):
            raise self.error(node, f"a {kh}x{kw} window with stride {stride}: the accelerator's "
                                   f"pools take windows and strides 1..{_MAX_WINDOW}")

    def average_rounding(self, node, kh, kw):
        differs = pytorch_average_differs(kh * kw)
        if differs:
            total, torch_code, exact = differs
            raise self.error(node, f"PyTorch rounds the mean of a {kh}x{kw} window with a float32 "
                                   f"reciprocal of {kh * kw}, which differs from the "
                                   "accelerator's exact rounding (half to even) at some ties "
                                   f"(window sum {total}: PyTorch {torch_code}, accelerator "
                                   f"{exact}); the export would not be bit-exact")

    def adaptive(self, node, x, output_size):
        err = lambda why: self.error(node, why)  # noqa: E731
        c, h, w = self.spatial(node, x, "adaptive average pool")
        if isinstance(output_size, (tuple, list)) and None in output_size:
            raise err(f"output_size {tuple(output_size)}: None (keep the input size) is not "
                      "supported")
        o = self._square(err, output_size, "output_size")
        if o < 1 or h % o or w % o:
            raise err(f"the {h}x{w} input is not divisible by the output size {o}x{o}: its "
                      "windows would differ in size, which the accelerator does not do")
        if o > 1 and h != w:
            raise err(f"output size {o}x{o} of a {h}x{w} input: windows {h // o}x{w // o} need "
                      "different strides across and down; the accelerator averages a non-square "
                      "map only globally (output_size 1)")
        self.window_limits(node, h // o, w // o, 1)
        self.average_rounding(node, h // o, w // o)
        return self.entry(node, "adaptive_avgpool", [x], x.exp, (c, o, o),
                          dict(output_size=o))

    def flatten(self, node, x, start_dim, end_dim):
        ndim = len(x.shape) + 1
        if not isinstance(start_dim, int) or not isinstance(end_dim, int) or \
                not -ndim <= start_dim < ndim or not -ndim <= end_dim < ndim:
            raise self.error(node, f"flatten({start_dim}, {end_dim}) of a {ndim}-d tensor")
        if start_dim % ndim != 1 or end_dim % ndim != ndim - 1:
            if len(x.shape) == 1 and start_dim % ndim == end_dim % ndim:
                return x  # flattens nothing
            raise self.error(node, f"flatten(start_dim={start_dim}, end_dim={end_dim}): only "
                                   "flattening each sample (start_dim=1, end_dim=-1)")
        if len(x.shape) == 1:
            return x  # already flat
        return self.entry(node, "flatten", [x], x.exp, (int(np.prod(x.shape)),))

    def view(self, node, x, dims):
        total = int(np.prod(x.shape))
        want = ["B" if isinstance(d, _Batch) else d for d in dims]
        if any(not (v == "B" or isinstance(v, int)) for v in want):
            raise self.error(node, f"reshapes to {dims}: only x.view(x.size(0), -1) (or "
                                   "x.view(-1, C*H*W)) is supported")
        if want not in (["B", -1], ["B", total], [-1, total]):
            raise self.error(node, f"reshapes each {'x'.join(map(str, x.shape))} sample to "
                                   f"{want}: only flattening each sample to its {total} values "
                                   "(x.view(x.size(0), -1)) is supported")
        if len(x.shape) == 1:
            return x
        return self.entry(node, "flatten", [x], x.exp, (total,))

    def add(self, node, a, b, scale, zero_point, relu):
        err = lambda why: self.error(node, why)  # noqa: E731
        if a.shape != b.shape:
            raise err(f"adds tensors of shapes {a.shape} and {b.shape}: only equal shapes (no "
                      "broadcasting)")
        if int(zero_point) != 128:
            raise err(f"output zero point {int(zero_point)}, the accelerator uses 128")
        e_y = pow2_exponent(float(scale), f"{self.describe(node)}: output")
        unit = max(a.exp, b.exp, e_y)
        if unit - a.exp > 15 or unit - b.exp > 15 or unit - e_y > 31:
            raise err(f"exponents {a.exp} + {b.exp} -> {e_y} need alignment shifts "
                      f"{unit - a.exp}, {unit - b.exp} (at most 15) and an output shift "
                      f"{unit - e_y} (at most 31)")
        q = self.entry(node, "add", [a, b], e_y, a.shape,
                       {"inputs": [a.entry, b.entry], "output_exp": e_y},
                       src=("add", node.name, float(scale), int(zero_point)) if relu else None)
        return self.relu_after(node, q) if relu else q

    # -- the end --
    def finish(self):
        net = self.net
        if net.input_exp is None:
            raise ExportError("the model never quantizes its input (no QuantStub in eager mode, "
                              "no quantize_per_tensor in FX graph mode)")
        if not net.layers:
            raise ExportError("the model has no layer the accelerator runs")
        by_name = {l["name"]: l for l in net.layers}
        last = net.layers[-1]
        if net.output != last["name"]:
            raise ExportError(f"entry {last['name']} ({last['_what']}) is computed after the "
                              f"model's output ({net.output}) and not used by it")
        if last["type"] == "flatten":
            raise ExportError(f"entry {last['name']} ({last['_what']}): the net ends with a "
                              "flatten; the accelerator flattens into a linear")
        for l in net.layers:
            for s in l["_inputs"]:
                if s in by_name and by_name[s]["type"] == "flatten" and l["type"] != "linear":
                    raise ExportError(f"entry {l['name']} ({l['_what']}) reads the flattened "
                                      f"{s}: only a linear may (the accelerator flattens into "
                                      "the linear)")
        consumed = {s for l in net.layers for s in l["_inputs"]}
        for l in net.layers[:-1]:
            if l["name"] not in consumed:
                raise ExportError(f"entry {l['name']} ({l['_what']}): its result is not used "
                                  "by the model's output; the exporter exports one chain of "
                                  "computation to one output")
        prev = "input"
        for l in net.layers:
            if not _NAME_RE.match(l["name"]) or len(l["name"]) > 64:
                raise ExportError(f"entry name {l['name']!r} ({l['_what']}): expected 1..64 "
                                  "characters of A-Z a-z 0-9 _")
            if l["type"] != "add" and l["_inputs"][0] != prev:
                l["inputs"] = [l["_inputs"][0]]
            prev = l["name"]
        assert len(by_name) == len(net.layers)
        return net


def build(qmodel, input_shape):
    """The exported net (a Net) of a converted quantized model for inputs of shape (C, H, W):
    traces the forward pass and maps every node, or refuses with ExportError naming the fx node
    and the reason. Runs nothing and writes nothing."""
    shape = tuple(int(v) for v in input_shape)
    if len(shape) != 3 or min(shape) < 1:
        raise ExportError(f"input shape {shape}: expected C, H, W")
    return _Builder(trace(qmodel), shape).run()


def _input_qparams(gm):
    """(scale, zero point) with which the traced graph quantizes its input."""
    modules = dict(gm.named_modules())
    for node in gm.graph.nodes:
        if node.op == "call_module" and type(modules.get(node.target)) is nnq.Quantize:
            m = modules[node.target]
            return float(m.scale), int(m.zero_point)
        if node.op == "call_function" and node.target is torch.quantize_per_tensor:
            def resolve(a):
                if isinstance(a, torch.fx.Node) and a.op == "get_attr":
                    obj = gm
                    for part in a.target.split("."):
                        obj = getattr(obj, part)
                    return obj
                return a
            args = list(node.args) + [node.kwargs.get(k) for k in ("scale", "zero_point")
                                      if k in node.kwargs]
            return float(resolve(args[1])), int(resolve(args[2]))
    raise ExportError("the model never quantizes its input (no QuantStub in eager mode, no "
                      "quantize_per_tensor in FX graph mode)")


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


def _round_half_away(v, shift):
    """v / 2**shift rounded to nearest, ties away from zero (int64 arrays)."""
    if shift == 0:
        return v
    q = v >> shift
    rem = v - (q << shift)
    half = 1 << (shift - 1)
    return q + ((rem > half) | ((rem == half) & (v >= 0)))


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


def _windows(x, kh, kw, sh, sw):
    """N x C x OH x OW x kh x kw view of the windows of x (floor output sizes)."""
    v = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))
    return v[:, :, ::sh, ::sw]


def _average_codes(x, kh, kw, sh, sw):
    """The mean of each window's codes, rounded half to even (what PyTorch's quantized average
    pools compute with qnnpack; input and output share scale and zero point)."""
    n = kh * kw
    s = _windows(x.astype(np.int64), kh, kw, sh, sw).sum(axis=(-2, -1))
    q = s // n
    rem = s - q * n
    q = q + ((2 * rem > n) | ((2 * rem == n) & ((q & 1) == 1)))
    return np.clip(q, 0, 255).astype(np.uint8)


def reference_run(layers, tensors, codes, rounding="nearest_even", input_exp=None):
    """Runs an exported layer list on uint8 input codes (N x C x H x W) with the sasim contract
    in numpy. Each entry reads `inputs` (default: the previous entry; `input`: the network input):
      conv2d / linear: acc = bias + sum (x - 128) * w in int32 with two's-complement wrap,
        round_shift by shift = c_x + weight_exp - output_exp (or `shift`; `rounding`: floor or
        nearest_even, half to even), +128, clamp 0..255; a linear reads a flattened tensor (or
        a C x 1 x 1 one), in PyTorch's C, H, W order;
      relu: max(code, 128), anywhere (on the accumulator of a conv2d / linear this is the same);
      maxpool: the largest code of each window, padding never chosen, floor output sizes;
      avgpool, adaptive_avgpool: the mean of each window's codes, rounded half to even
        (adaptive: kernel and stride H / output_size, W / output_size);
      add: ((a - 128) << a_shift) + ((b - 128) << b_shift) exactly, in units of the finest of
        the three scales, round_shift to the output scale half away from zero, +128, clamp;
      flatten: C, H, W order.
    `input_exp` is the input's scale exponent (needed for weight_exp / output_exp and add).
    Yields (index, layer, uint8 array N x ...) after every entry."""
    vals = {"input": np.asarray(codes, dtype=np.uint8)}
    exps = {"input": input_exp}
    prev = "input"
    for i, l in enumerate(layers):
        kind, name = l["type"], l["name"]
        ins = list(l.get("inputs") or [prev])
        for s in ins:
            if s not in vals:
                raise ExportError(f"layer {name}: input {s} is not an earlier entry")
        if len(ins) != (2 if kind == "add" else 1):
            raise ExportError(f"layer {name}: {len(ins)} inputs for a {kind}")
        x, e_in = vals[ins[0]], exps[ins[0]]
        e_out = e_in
        if kind in ("conv2d", "linear"):
            w, b = tensors[name]
            if "shift" in l:
                shift, e_out = l["shift"], None
            else:
                if e_in is None:
                    raise ExportError(f"layer {name}: its input exponent is unknown")
                shift, e_out = e_in + l["weight_exp"] - l["output_exp"], l["output_exp"]
            if not 0 <= shift <= 31:
                raise ExportError(f"layer {name}: shift {shift} outside 0..31")
            if kind == "conv2d":
                if x.ndim != 4:
                    raise ExportError(f"layer {name}: conv2d on a flattened tensor")
                k = l["kernel"]
                if w.shape[1:] != (x.shape[1], k, k):
                    raise ExportError(f"layer {name}: weights {w.shape} do not fit the input "
                                      f"{tuple(x.shape[1:])} with a {k}x{k} kernel")
                acc = _conv_acc(x, w, b, l["stride"], l["padding"])
            else:
                if x.ndim == 4 and x.shape[2:] != (1, 1):
                    raise ExportError(f"layer {name}: linear on a "
                                      f"{'x'.join(map(str, x.shape[1:]))} tensor with no "
                                      "flatten before it")
                xf = x.reshape(x.shape[0], -1)
                if w.shape[1] != xf.shape[1]:
                    raise ExportError(f"layer {name}: weights {w.shape} do not fit the "
                                      f"{xf.shape[1]} inputs")
                acc = _wrap32(_dot_exact(xf.astype(np.float64) - 128.0,
                                         w.astype(np.float64).T) + b.astype(np.int64))
            out = _finish(acc, shift, False, rounding)
        elif kind == "relu":
            out = np.maximum(x, 128).astype(np.uint8)
        elif kind in ("maxpool", "avgpool", "adaptive_avgpool"):
            if x.ndim != 4:
                raise ExportError(f"layer {name}: {kind} on a flattened tensor")
            if kind == "maxpool":
                k, p = l.get("kernel", 2), l.get("padding", 0)
                s = l.get("stride", k)
                xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))  # code 0: never the max
                out = _windows(xp, k, k, s, s).max(axis=(-2, -1))
            elif kind == "avgpool":
                k = l["kernel"]
                out = _average_codes(x, k, k, l.get("stride", k), l.get("stride", k))
            else:
                o = l["output_size"]
                h, wd = x.shape[2:]
                if h % o or wd % o:
                    raise ExportError(f"layer {name}: {h}x{wd} not divisible by {o}")
                out = _average_codes(x, h // o, wd // o, h // o, wd // o)
        elif kind == "add":
            a, b = vals[ins[0]], vals[ins[1]]
            e_a, e_b, e_out = exps[ins[0]], exps[ins[1]], l["output_exp"]
            if a.shape != b.shape:
                raise ExportError(f"layer {name}: adds shapes {a.shape[1:]} and {b.shape[1:]}")
            if e_a is None or e_b is None:
                raise ExportError(f"layer {name}: an input exponent is unknown")
            unit = max(e_a, e_b, e_out)
            s = ((a.astype(np.int64) - 128) << (unit - e_a)) + \
                ((b.astype(np.int64) - 128) << (unit - e_b))
            out = np.clip(_round_half_away(s, unit - e_out) + 128, 0, 255).astype(np.uint8)
        elif kind == "flatten":
            if x.ndim != 4:
                raise ExportError(f"layer {name}: flatten of a flat tensor")
            out = x.reshape(x.shape[0], -1)
        else:
            raise ExportError(f"layer {name}: unknown layer type {kind}")
        vals[name], exps[name], prev = out, e_out, name
        yield i, l, out


# ---- PyTorch's side ----

def _check_inputs(qmodel, net, inputs):
    """Float inputs (N x C x H x W) for the export check, what they are (a noun) and a note."""
    shape = net.input_shape
    what = "check input"
    if inputs is None:
        inputs, what = getattr(qmodel, "sasim_check_inputs", None), "calibration input"
    if inputs is None:
        # A few deterministic random images, already on the input's quantization grid: codes of
        # three spreads and uniform codes, times the input scale.
        rng = np.random.RandomState(0)
        codes = [np.clip(np.rint(128 + rng.standard_normal(shape) * sd), 0, 255)
                 for sd in (16, 40, 96)] + [rng.randint(0, 256, shape).astype(np.float64)]
        x = torch.tensor((np.stack(codes) - 128) * 2.0 ** -net.input_exp, dtype=torch.float32)
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


def _input_codes(net, x):
    return torch.quantize_per_tensor(x, net.input_scale, 128, torch.quint8).int_repr().numpy()


def _run_torch(qmodel, net, x):
    """PyTorch's quantized output of every entry of `net` for the float inputs x (N x C x H x W),
    with the qnnpack engine (the one whose add rounds like the accelerator): {entry name: uint8
    codes N x ...}. The graph runs under torch.fx.Interpreter, recording every node; the output
    of a conv2d / linear / add whose ReLU PyTorch fused is PyTorch's same operation without the
    ReLU (torch.ops.quantized.conv2d / linear / add with the same packed weights and output
    qparams). The traced graph's output must equal the model's own (an eager model is run too)."""
    gm = net.gm
    nodes = {n.name: n for n in gm.graph.nodes}
    modules = dict(gm.named_modules())
    env = {}

    class Recorder(torch.fx.Interpreter):
        def run_node(self, n):
            result = super().run_node(n)
            env[n.name] = result
            return result

    with torch.no_grad(), _engine("qnnpack"), _eval_mode(gm):
        try:
            traced = Recorder(gm).run(x)
        except Exception as e:  # the user's model; say what happened
            raise ExportError(f"running the model on {len(x)} inputs of shape "
                              f"{tuple(x.shape[1:])} failed: {type(e).__name__}: {e}") from e
        if qmodel is not gm:
            with _eval_mode(qmodel):
                own = qmodel(x)
            if not (isinstance(own, torch.Tensor) and isinstance(traced, torch.Tensor)
                    and own.shape == traced.shape and own.dtype == traced.dtype
                    and torch.equal(own.int_repr() if own.is_quantized else own,
                                    traced.int_repr() if traced.is_quantized else traced)):
                raise ExportError("the traced graph computes something else than the model's "
                                  "forward() on the check inputs (control flow or state that "
                                  "tracing does not capture?)")
        out = {}
        for l in net.layers:
            kind, node_name = l["_src"][:2]
            node = nodes[node_name]
            if kind == "node":
                t = env[node_name]
            elif kind in ("conv", "linear"):
                m = modules[node.target]
                inp = env[node.args[0].name]
                if kind == "conv":
                    t = torch.ops.quantized.conv2d(inp, m._packed_params, m.scale, m.zero_point)
                else:
                    t = torch.ops.quantized.linear(inp, m._packed_params._packed_params, m.scale,
                                                   m.zero_point)
            else:  # "add": add_relu without the ReLU
                t = torch.ops.quantized.add(env[node.args[0].name], env[node.args[1].name],
                                            l["_src"][2], l["_src"][3])
            if not (isinstance(t, torch.Tensor) and t.is_quantized):
                raise ExportError(f"entry {l['name']} ({l['_what']}): PyTorch's output is not a "
                                  "quantized tensor")
            if t.qscheme() not in (torch.per_tensor_affine, torch.per_tensor_symmetric) or \
                    int(t.q_zero_point()) != 128 or float(t.q_scale()) != 2.0 ** -l["_exp"]:
                raise ExportError(f"entry {l['name']} ({l['_what']}): PyTorch's output has scale "
                                  f"{t.q_scale()} and zero point {t.q_zero_point()}, the "
                                  f"exported net 2^-{l['_exp']} and 128")
            out[l["name"]] = t.int_repr().numpy().astype(np.uint8)
    return out


def _difference(ref, got, source):
    """None if equal, else where and how `ref` (the exported net) and `got` (PyTorch) differ."""
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


def _check(qmodel, net, inputs, compare=True):
    """Runs PyTorch (and, if `compare`, the integer reference) on the check inputs; returns (the
    line saying what was checked, the input codes, PyTorch's codes of every entry)."""
    x, source, note = _check_inputs(qmodel, net, inputs)
    codes = _input_codes(net, x)
    got = _run_torch(qmodel, net, x)
    if not compare:
        return "NOT checked against PyTorch (check=False)", codes, got
    for i, l, ref in reference_run(net.layers, net.tensors, codes, "nearest_even", net.input_exp):
        if l["type"] == "flatten":
            continue
        diff = _difference(ref, got[l["name"]], source)
        if diff:
            engine = torch.backends.quantized.engine
            hint = "" if engine == "qnnpack" else (
                f". Note: PyTorch's quantized engine is {engine}; the exporter runs the model "
                "with qnnpack, whose kernels round like the accelerator, and a model converted "
                "with another engine packs its weights for that one: quantize and convert with "
                "the qnnpack engine (quantize_pow2 / quantize_pow2_fx do)")
            raise ExportError(f"export check: entry {l['name']} ({l['type']}, {l['_what']}) "
                              f"differs from PyTorch's quantized model {diff}{hint}")
    return (f"checked against PyTorch's quantized model on {len(x)} {source}s{note}: every "
            "layer and the output identical"), codes, got


def check_export(qmodel, input_shape, net=None, rounding="nearest_even", inputs=None):
    """The exporter checks its own result: runs the exported net (`net`, else build(qmodel,
    input_shape)) with the integer reference (reference_run) and PyTorch's quantized model on
    the same inputs and refuses, with ExportError, unless every entry (every conv2d, linear,
    relu, pool and add, fused ReLUs included) is identical. Returns a line saying what was
    checked.

    Inputs: `inputs` (float N x C x H x W), else the calibration images quantize_pow2 kept
    (`qmodel.sasim_check_inputs`), else 4 deterministic random images on the input's
    quantization grid. PyTorch runs with the qnnpack engine and rounds conv / linear results to
    nearest even, so a net exported with floor rounding is checked with nearest_even (floor is a
    deliberate difference, not a different network)."""
    if net is None:
        net = build(qmodel, input_shape)
    return _check(qmodel, net, inputs)[0]


# ---- Writing ----

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


def _yaml_value(v):
    return "[" + ", ".join(map(str, v)) + "]" if isinstance(v, (list, tuple)) else str(v)


def net_yaml(net, name, rounding="nearest_even", checked=None, reference=True):
    """The net file's text (see configs/README.md and docs/pytorch.md)."""
    c, h, w = net.input_shape
    lines = ["# Exported from PyTorch by tools/export_torch.py", f"# {checked or 'not checked'}",
             f"name: {name}", "input:", f"  shape: [{c}, {h}, {w}]",
             f"  scale_exp: {net.input_exp}", f"rounding: {rounding}", "weights: weights"]
    if reference:
        lines.append("reference: reference")
    lines.append("layers:")
    for l in net.layers:
        lines.append("  - {" + ", ".join(f"{k}: {_yaml_value(v)}" for k, v in l.items()
                                         if not k.startswith("_")) + "}")
    return "\n".join(lines) + "\n"


def _npy_bytes(arr):
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(arr))
    return buf.getvalue()


def export(qmodel, input_shape, out_dir, name, rounding="nearest_even", check_inputs=None,
           check=True, reference=None):
    """Writes out_dir/<name>.yaml, out_dir/weights/<entry>.{weight,bias}.npy and (reference)
    out_dir/reference/: input.npy, the uint8 codes (C x H x W) of the first check input, and
    <entry>.npy, PyTorch's quantized output codes of every entry but flatten for it (C x H x W,
    or N after a linear). Returns the YAML path.

    `qmodel` is a converted quantized model: eager mode (quantize_pow2, or torch.ao.quantization
    convert) or FX graph mode (quantize_pow2_fx, or convert_fx). Before anything is written the
    forward pass is traced and mapped (build) and the export is checked (check_export on
    `check_inputs`, the calibration images the quantize helpers kept, or random images): if the
    exported net would not compute what PyTorch's quantized model computes, ExportError says
    where and nothing is written. check=False skips the comparison with the integer reference
    (debugging only: the result is then not verified; the mapping's refusals stay). `reference`
    defaults to True for nearest_even nets; a floor net has none (PyTorch rounds to nearest
    even, so its outputs are not the floor net's). Files are written atomically."""
    if rounding not in ("floor", "nearest_even"):
        raise ExportError(f"rounding {rounding!r}: expected floor or nearest_even")
    if reference is None:
        reference = rounding == "nearest_even"
    if reference and rounding != "nearest_even":
        raise ExportError("reference outputs are PyTorch's, which rounds to nearest even: a "
                          f"{rounding} net would not compute them (reference=False)")
    net = build(qmodel, input_shape)
    checked, codes, got = "NOT checked against PyTorch (check=False)", None, None
    if check or reference:
        checked, codes, got = _check(qmodel, net, check_inputs, compare=check)
    files = []
    for lname, (wt, b) in net.tensors.items():
        files.append((os.path.join("weights", f"{lname}.weight.npy"), _npy_bytes(wt)))
        files.append((os.path.join("weights", f"{lname}.bias.npy"), _npy_bytes(b)))
    if reference:
        files.append((os.path.join("reference", "input.npy"), _npy_bytes(codes[0])))
        for l in net.layers:
            if l["type"] != "flatten":
                files.append((os.path.join("reference", f"{l['name']}.npy"),
                              _npy_bytes(got[l["name"]][0])))
    files.append((f"{name}.yaml", net_yaml(net, name, rounding, checked, reference).encode()))
    _write_atomically(out_dir, files)
    return os.path.join(out_dir, f"{name}.yaml")


def pow2_first(qmodel):
    """The input's scale exponent c_x (scale 2**-c_x) of a converted model."""
    scale, _ = _input_qparams(trace(qmodel))
    return pow2_exponent(scale, "input")


def quantize_input(qmodel, x):
    """The uint8 codes (C x H x W) the model makes of a float image when it quantizes its input
    (QuantStub, or FX mode's quantize_per_tensor)."""
    scale, zero_point = _input_qparams(trace(qmodel))
    return torch.quantize_per_tensor(torch.as_tensor(x, dtype=torch.float32), scale, zero_point,
                                     torch.quint8).int_repr().numpy()


def entry_outputs(qmodel, x, net=None):
    """PyTorch's quantized output codes of every entry of the exported net but flatten, for one
    float image x (C x H x W): {entry name: uint8 C x H x W or N}, in entry order (what export()
    writes to reference/ for its first check input)."""
    x = torch.as_tensor(x, dtype=torch.float32)
    if net is None:
        net = build(qmodel, tuple(x.shape))
    got = _run_torch(qmodel, net, x[None])
    return {l["name"]: got[l["name"]][0] for l in net.layers if l["type"] != "flatten"}


def _fused_groups(layers, separate=()):
    """{entry name: the entry whose output it reports} when a device fuses the relu and maxpool
    entries that directly follow an entry (reading it by default) into it, unless they are in
    `separate` (reported on their own)."""
    out = {}
    for i, l in enumerate(layers):
        j = i
        while j + 1 < len(layers) and layers[j + 1]["type"] in ("relu", "maxpool") and \
                "inputs" not in layers[j + 1] and layers[j + 1]["name"] not in separate:
            j += 1
        out[l["name"]] = layers[j]["name"]
    return out


def layer_outputs(qmodel, x):
    """Each conv2d / linear entry's uint8 output as PyTorch computes it, for one float image x
    (C x H x W), keyed by the entry name; with the relu and maxpool entries that follow it
    applied (sasim fuses them into the layer)."""
    x = torch.as_tensor(x, dtype=torch.float32)
    net = build(qmodel, tuple(x.shape))
    outs = entry_outputs(qmodel, x, net)
    groups = _fused_groups(net.layers)
    return {l["name"]: outs[groups[l["name"]]] for l in net.layers
            if l["type"] in ("conv2d", "linear")}


def sim_run_refusal(log):
    """The line of a sim_run log that says it does not know a key or layer type of the net (a
    sim_run older than the graph format: reference, inputs, add, avgpool, adaptive_avgpool),
    else None."""
    for line in log.splitlines():
        if "unknown key" in line or "unknown layer type" in line:
            return line.strip()
    return None


def compare(qmodel, x, sim_run, work_dir, name="compared", extra_args=(), check_inputs=None,
            reference=None):
    """Exports `qmodel` (with export()'s check; `reference` as in export()), runs sim_run on the
    quantized `x` (float C x H x W) with --dump-outputs, and compares every dumped layer with
    PyTorch: a dump file <entry>.npy holds that entry's output, with the relu and maxpool entries
    right after it that have no dump file of their own applied (a device that fuses them).
    Returns (exit code of sim_run, its log, [(entry, outputs, differing)])."""
    import subprocess
    x = torch.as_tensor(x, dtype=torch.float32)
    net_path = export(qmodel, tuple(x.shape), work_dir, name, check_inputs=check_inputs,
                      reference=reference)
    np.save(os.path.join(work_dir, "input.npy"), quantize_input(qmodel, x))
    dump = os.path.join(work_dir, "out")
    run = subprocess.run([sim_run, "--net", net_path, "--input",
                          os.path.join(work_dir, "input.npy"), "--out",
                          os.path.join(work_dir, "run"), "--quiet", "--no-html",
                          "--dump-outputs", dump, *extra_args], capture_output=True, text=True)
    if run.returncode != 0:
        return run.returncode, run.stdout + run.stderr, []
    net = build(qmodel, tuple(x.shape))
    outs = entry_outputs(qmodel, x, net)
    dumped = {f[:-4] for f in os.listdir(dump) if f.endswith(".npy")}
    groups = _fused_groups(net.layers, dumped)
    rows = []
    for l in net.layers:
        if l["name"] not in dumped or groups[l["name"]] not in outs:
            continue
        ref = outs[groups[l["name"]]]
        got = np.load(os.path.join(dump, l["name"] + ".npy"))
        bad = ref.size if got.size != ref.size else \
            int(np.count_nonzero(ref.reshape(-1) != got.reshape(-1)))
        rows.append((l["name"], ref.size, bad))
    if not rows:
        return 1, f"sim_run dumped no output named after an entry of the net in {dump}", []
    return 0, run.stdout, rows


def main(argv):
    import argparse
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("model", help="MODULE:FUNCTION returning the model to export: a converted "
                                 "quantized model (e.g. from quantize_pow2 or quantize_pow2_fx; "
                                 "course_models:resnet18 and the like); MODULE is imported from "
                                 "the current directory, tools/ or PYTHONPATH")
    p.add_argument("--input-shape", help="C,H,W (default: that of the model's calibration "
                                         "images)")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--name", default="exported")
    p.add_argument("--compare", metavar="SIM_RUN",
                   help="also run the export with this sim_run on --image and compare every "
                        "layer with PyTorch")
    p.add_argument("--image", help="float C x H x W .npy for --compare (default: random)")
    p.add_argument("--check-inputs", metavar="NPY",
                   help="float N x C x H x W .npy on which the export is checked against PyTorch "
                        "(default: the calibration images the quantize helpers kept, else "
                        "random)")
    p.add_argument("--no-check", action="store_true",
                   help="do not check the export against PyTorch (debugging only: the exported "
                        "net is then not verified)")
    p.add_argument("--no-reference", action="store_true",
                   help="write no reference/ outputs (and no reference key)")
    args = p.parse_args(argv)
    try:
        import importlib
        module_name, _, function = args.model.partition(":")
        if not function:
            raise ExportError(f"{args.model}: expected MODULE:FUNCTION")
        sys.path.insert(0, os.getcwd())
        qmodel = getattr(importlib.import_module(module_name), function)()
        if args.input_shape:
            shape = [int(v) for v in args.input_shape.split(",")]
        elif getattr(qmodel, "sasim_check_inputs", None) is not None:
            shape = list(qmodel.sasim_check_inputs.shape[1:])
        else:
            raise ExportError("--input-shape is needed (the model kept no calibration images)")
        check_inputs = np.load(args.check_inputs) if args.check_inputs else None
        reference = False if args.no_reference else None
        if not args.compare:
            net = export(qmodel, shape, args.out, args.name, check_inputs=check_inputs,
                         check=not args.no_check, reference=reference)
            print(net)
            with open(net) as f:  # the second line says what was checked, on what
                print(f"export_torch: {f.read().splitlines()[1][2:]}", file=sys.stderr)
            return 0
        if args.no_check:
            raise ExportError("--compare always checks the export (drop --no-check)")
        x = (torch.tensor(np.load(args.image), dtype=torch.float32) if args.image
             else torch.randn(*shape))
        rc, log, rows = compare(qmodel, x, args.compare, args.out, args.name,
                                check_inputs=check_inputs, reference=reference)
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
