"""Models whose forward passes a module walk cannot see (F.relu, torch.flatten, one pool module
used twice, FloatFunctional.add_relu), which tools/export_torch.py exports by tracing them, for
tests/torch/export_check_test.py; and one it must refuse (torch.sigmoid)."""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.ao.quantization as tq


class TutorialLeNet(nn.Module):
    """LeNet as in PyTorch's CIFAR-10 tutorial, with quant stubs: functional F.relu and
    torch.flatten. pools: "shared" is the tutorial's one self.pool used for both pools,
    "aliased" the same instance registered a second time as self.pool2, "separate" two pools."""

    def __init__(self, pools="shared"):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        if pools != "shared":
            self.pool2 = self.pool if pools == "aliased" else nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(F.relu(self.conv1(x)))
        x = getattr(self, "pool2", self.pool)(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.dequant(self.fc3(x))


class ResidualNet(nn.Module):
    """A residual block whose join is FloatFunctional.add_relu (a QFunctional after convert),
    with a 1x1 downsample branch."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv1 = nn.Conv2d(4, 8, 3, padding=1)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)
        self.downsample = nn.Conv2d(4, 8, 1)
        self.skip_add = nn.quantized.FloatFunctional()
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(8 * 6 * 6, 5)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        x = self.quant(x)
        y = self.conv2(self.relu1(self.conv1(x)))
        x = self.skip_add.add_relu(y, self.downsample(x))
        return self.dequant(self.fc(self.flatten(x)))

    FUSE = [["conv1", "relu1"]]


def quantized_tutorial():
    """The tutorial LeNet (shared pool, F.relu), quantized: for the command-line test."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
    import export_torch
    torch.manual_seed(0)
    return export_torch.quantize_pow2(TutorialLeNet(),
                                      [torch.randn(4, 3, 32, 32) for _ in range(2)])


class SigmoidNet(nn.Module):
    """A conv followed by torch.sigmoid, which the accelerator cannot run."""

    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.conv = nn.Conv2d(3, 4, 3)
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(torch.sigmoid(self.conv(self.quant(x))))


def quantized_sigmoid():
    """SigmoidNet, quantized: for the command-line refusal test."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
    import export_torch
    torch.manual_seed(0)
    return export_torch.quantize_pow2(SigmoidNet(), [torch.randn(4, 3, 8, 8)])
