"""A model for tools/export_torch.py's command line in tests/torch/bitexact_test.py."""
import os
import sys

import torch
import torch.nn as nn
import torch.ao.quantization as tq


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.quant = tq.QuantStub()
        self.body = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2, 2),
                                  nn.Flatten(), nn.Linear(8 * 4 * 4, 10))
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.body(self.quant(x)))


def quantized():
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
    import export_torch
    torch.manual_seed(0)
    return export_torch.quantize_pow2(Net(), [torch.randn(8, 3, 8, 8) for _ in range(3)],
                                      fuse=[["body.0", "body.1"]])
