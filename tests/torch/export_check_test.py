#!/usr/bin/python3
"""The exporter checks itself: tools/export_torch.py traces the forward pass and runs the exported
net with an integer reference of the sasim contract against PyTorch's quantized model, entry by
entry, before writing anything. What the accelerator cannot run (a float module, a float
operation, sigmoid, a parameter used in forward(), an unused branch) must be refused naming the
fx node, with nothing written; the nets it can run (LeNet-5, the course VGG-8 with BN, unfused
ReLUs, an MLP, the CIFAR tutorial's LeNet with F.relu / torch.flatten / one pool used twice or
aliased, a residual block joined by FloatFunctional.add_relu, an F.relu after the last layer, a
user module with an unused parameter) must pass the check, quickly, and a check that is not
vacuous (a wrong exponent is refused naming the entry). Needs no sim_run.
Usage: export_check_test.py SOURCE_DIR"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(sys.argv[1], "tools"))
sys.path.insert(0, HERE)
import export_torch  # noqa: E402
import tutorial_models  # noqa: E402

failures = 0


def expect(ok, message):
    global failures
    print(("ok: " if ok else "FAIL: ") + message)
    failures += 0 if ok else 1


from course_models import Stubbed as Net  # noqa: E402


class Scaled(nn.Module):
    """A user module with a parameter of its own besides a known child, unused in forward()."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.gain = nn.Parameter(torch.ones(1))

    def forward(self, x):
        return self.conv(x)


class Gained(Scaled):
    """The same module using its parameter in forward(): a float multiplication."""

    def forward(self, x):
        return self.conv(x) * self.gain


class Sigmoid(Net):
    """torch.sigmoid after the last layer."""

    def forward(self, x):
        return self.dequant(torch.sigmoid(self.body(self.quant(x))))


class Unused(Net):
    """A branch whose result the output does not use."""

    def __init__(self, body):
        super().__init__(body)
        self.side = nn.Conv2d(3, 4, 1)

    def forward(self, x):
        x = self.quant(x)
        self.side(x)
        return self.dequant(self.body(x))


class ReluAtEnd(Net):
    """A functional F.relu after the last layer: only the final output can show it."""

    def forward(self, x):
        return self.dequant(torch.nn.functional.relu(self.body(self.quant(x))))


def vgg8():
    """The course VGG-8 (configs/vgg8.yaml): conv-BN-ReLU, BN folded at quantization."""
    c = [64, 192, 384, 256, 256]

    def block(i, o):
        return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]

    body = nn.Sequential(
        *block(3, c[0]), nn.MaxPool2d(2, 2), *block(c[0], c[1]), nn.MaxPool2d(2, 2),
        *block(c[1], c[2]), *block(c[2], c[3]), *block(c[3], c[4]), nn.MaxPool2d(2, 2),
        nn.Flatten(), nn.Linear(c[4] * 16, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 10))
    for m in body:  # BN statistics of a trained net, so that the activations are not all 0
        if isinstance(m, nn.BatchNorm2d):
            m.running_var.fill_(4.0)
    fuse = [[f"body.{i}", f"body.{i + 1}", f"body.{i + 2}"] for i in (0, 4, 8, 11, 14)]
    return body, fuse + [["body.19", "body.20"], ["body.21", "body.22"]]


def accepted_models():
    """(name, input shape, model, fuse groups): nets the exporter exports correctly."""
    yield "lenet5", (3, 32, 32), Net(nn.Sequential(
        nn.Conv2d(3, 6, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(6, 16, 5), nn.ReLU(),
        nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
        nn.ReLU(), nn.Linear(84, 10))), \
        [["body.0", "body.1"], ["body.3", "body.4"], ["body.7", "body.8"], ["body.9", "body.10"]]
    body, fuse = vgg8()
    yield "vgg8", (3, 32, 32), Net(body), fuse
    # ReLUs left as modules of their own (not fused): quantized ReLU on the conv's output codes.
    yield "unfused_relu", (2, 8, 8), Net(nn.Sequential(
        nn.Conv2d(2, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(8, 8, 3),
        nn.ReLU(), nn.Flatten(), nn.Linear(8 * 2 * 2, 6))), None
    yield "mlp", (1, 8, 8), Net(nn.Sequential(
        nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Dropout(), nn.Linear(32, 10))), \
        [["body.1", "body.2"]]


def refused(qmodel, shape, tmp, what, must_contain, **kwargs):
    """Exports into tmp/out (must not appear) and into an existing dir (must stay as it was);
    the ExportError must contain every string of must_contain."""
    out, existing = os.path.join(tmp, "out"), os.path.join(tmp, "existing")
    os.makedirs(existing, exist_ok=True)
    with open(os.path.join(existing, "keep.txt"), "w") as f:
        f.write("untouched")
    messages = []
    for d in (out, existing):
        try:
            export_torch.export(qmodel, shape, d, "net", **kwargs)
            messages.append(None)
        except export_torch.ExportError as e:
            messages.append(str(e))
    if None in messages:
        expect(False, f"{what}: export accepted")
        return
    missing = [s for s in must_contain if s not in messages[0]]
    expect(not missing, f"{what}: refused: {messages[0]}" + (f" (message lacks {missing})"
                                                           if missing else ""))
    expect(not os.path.exists(out), f"{what}: output dir not created")
    expect(sorted(os.listdir(existing)) == ["keep.txt"] and sorted(os.listdir(tmp)) == [
        "existing"], f"{what}: nothing written into an existing output dir or next to it")


def first_weighted(layers):
    return next(l for l in layers if l["type"] in ("conv2d", "linear"))


def main():
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        # Refused, naming the fx node; nothing written.
        # A float (not converted) model: its first float module.
        refused(tutorial_models.ResidualNet(), (4, 6, 6), os.path.join(tmp, "a"),
                "float model", ["fx node conv1", "Conv2d is a float module", "converted"])
        # A parameter used in forward(): a float multiplication.
        q = export_torch.quantize_pow2(Net(Gained()), [torch.randn(4, 3, 6, 6)])
        refused(q, (3, 6, 6), os.path.join(tmp, "b"), "parameter used in forward()",
                ["fx node mul", "operator.mul", "not supported"])
        # torch.sigmoid after the last layer (named, with its target).
        q = export_torch.quantize_pow2(Sigmoid(nn.Sequential(nn.Flatten(), nn.Linear(12, 6))),
                                       [torch.randn(4, 3, 2, 2)])
        refused(q, (3, 2, 2), os.path.join(tmp, "c"), "sigmoid",
                ["fx node sigmoid", "torch.sigmoid", "not supported"])
        # A computation the output does not use.
        q = export_torch.quantize_pow2(Unused(nn.Sequential(nn.Conv2d(3, 4, 3))),
                                       [torch.randn(4, 3, 6, 6)])
        refused(q, (3, 6, 6), os.path.join(tmp, "d"), "unused branch",
                ["entry side", "fx node side", "not used"])

        # The nets the exporter handles: no false refusal, every entry checked, a check that is
        # not vacuous (a wrong exponent in the first layer is refused, naming it), and fast.
        cases = [(n, s, m, f, None) for n, s, m, f in accepted_models()]
        for pools in ("shared", "separate", "aliased"):
            cases.append((f"tutorial_lenet_{pools}", (3, 32, 32),
                          tutorial_models.TutorialLeNet(pools), None, ["relu", "relu_1"]))
        cases.append(("residual_add_relu", (4, 6, 6), tutorial_models.ResidualNet(),
                      tutorial_models.ResidualNet.FUSE, ["add_relu", "add_relu_relu"]))
        cases.append(("relu_at_end", (3, 2, 2),
                      ReluAtEnd(nn.Sequential(nn.Flatten(), nn.Linear(12, 6))), None, ["relu"]))
        cases.append(("unused_parameter", (3, 6, 6), Net(Scaled()), None, None))
        for name, shape, model, fuse, must_have in cases:
            calib = [torch.randn(4, *shape) * 1.5 for _ in range(2)]
            q = export_torch.quantize_pow2(model, calib, fuse=fuse)
            out = os.path.join(tmp, name)
            try:
                start = time.time()
                net = export_torch.export(q, shape, out, name)
                seconds = time.time() - start
                header = open(net).read().splitlines()[1]
                expect("4 calibration inputs: every layer and the output identical" in header
                       and seconds < 3.0, f"{name}: exported, {seconds:.2f} s, '{header}'")
            except export_torch.ExportError as e:
                expect(False, f"{name}: refused: {e}")
                continue
            built = export_torch.build(q, shape)
            names = [l["name"] for l in built.layers]
            if must_have:
                expect(all(n in names for n in must_have), f"{name}: has entries {must_have}")
            first = first_weighted(built.layers)
            first["weight_exp"] += 1
            try:
                export_torch.check_export(q, shape, built)
                expect(False, f"{name}: a wrong exponent in {first['name']} passed the check")
            except export_torch.ExportError as e:
                expect(f"entry {first['name']} " in str(e) and "PyTorch" in str(e),
                       f"{name}: a wrong exponent is refused: {str(e)[:110]}...")
            # The reference's final output is not nearly constant (the check checks something).
            built = export_torch.build(q, shape)
            x, _, _ = export_torch._check_inputs(q, built, None)
            codes = export_torch._input_codes(built, x)
            *_, (_, _, final) = export_torch.reference_run(built.layers, built.tensors, codes,
                                                           input_exp=built.input_exp)
            expect(len(np.unique(final)) >= 4, f"{name}: {len(np.unique(final))} distinct "
                                               "output codes")

        # Into an existing directory: the export's files are replaced, others stay.
        existing = os.path.join(tmp, "existing_ok")
        os.makedirs(existing)
        open(os.path.join(existing, "keep.txt"), "w").close()
        q = export_torch.quantize_pow2(Net(nn.Sequential(nn.Conv2d(3, 4, 3))),
                                       [torch.randn(4, 3, 6, 6)])
        export_torch.export(q, (3, 6, 6), existing, "n")
        export_torch.export(q, (3, 6, 6), existing, "n")
        expect(sorted(os.listdir(existing)) == ["keep.txt", "n.yaml", "reference", "weights"] and
               not [f for f in os.listdir(tmp) if f.endswith(".tmp")],
               "export into an existing directory: files replaced, others kept, no temp left")

        # The command line refuses too (exit code 2, the reason on stderr, no output dir).
        out = os.path.join(tmp, "cli_out")
        cli = subprocess.run(["/usr/bin/python3", os.path.join(sys.argv[1], "tools",
                                                               "export_torch.py"),
                              "tutorial_models:quantized_sigmoid", "--input-shape", "3,8,8",
                              "--out", out], capture_output=True, text=True, cwd=HERE)
        expect(cli.returncode == 2 and "fx node sigmoid" in cli.stderr and
               not os.path.exists(out), f"command line refuses: {cli.stderr.strip()}")
        for model, shape in (("cli_model:quantized", "3,8,8"),
                             ("tutorial_models:quantized_tutorial", "3,32,32")):
            cli = subprocess.run(["/usr/bin/python3", os.path.join(sys.argv[1], "tools",
                                                                   "export_torch.py"),
                                  model, "--input-shape", shape, "--out", out],
                                 capture_output=True, text=True, cwd=HERE)
            expect(cli.returncode == 0 and "checked against PyTorch" in cli.stderr and
                   os.path.exists(os.path.join(out, "exported.yaml")),
                   f"command line exports {model} and says what it checked: "
                   f"{cli.stderr.strip()}")
    print("FAILED" if failures else "PASSED")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
