#!/usr/bin/python3
"""Train a course network on scikit-learn's handwritten digits (the only real image set
available offline; 8x8 images upsampled to 3x32x32), quantize it with the course's power-of-two
PTQ, export it for sasim and write the held-out images, their labels and PyTorch's INT8
predictions. Models: the course VGG-8 narrowed to a quarter of its channels (`vgg8`), and a small
ResNet (`resnet`: ResNet-18's CIFAR structure with one BasicBlock per stage, 16-32-64 channels,
add_relu skips with 1x1 stride-2 downsamples, global average pool). Each trains in a minute or
two on 2 CPU cores.

Usage: tools/train_digits.py OUT_DIR [vgg8|resnet]
       (configs/vgg8_digits and configs/resnet_digits are the shipped results)
Then:  sim_run --net OUT_DIR/<name>.yaml --dataset OUT_DIR/test_images.npy \\
               --labels OUT_DIR/test_labels.npy
"""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.ao.quantization as tq
from sklearn.datasets import load_digits

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import course_models  # noqa: E402
import export_torch  # noqa: E402

TEST_IMAGES = 200


class Vgg8(nn.Module):
    """The course VGG-8 with BN (folded at quantization), channels divided by `div`."""

    def __init__(self, div=4):
        super().__init__()
        c = [64 // div, 192 // div, 384 // div, 256 // div, 256 // div]
        self.quant = tq.QuantStub()

        def block(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]

        self.features = nn.Sequential(
            *block(3, c[0]), nn.MaxPool2d(2, 2), *block(c[0], c[1]), nn.MaxPool2d(2, 2),
            *block(c[1], c[2]), *block(c[2], c[3]), *block(c[3], c[4]), nn.MaxPool2d(2, 2),
            nn.Flatten(), nn.Linear(c[4] * 16, 256 // div), nn.ReLU(),
            nn.Linear(256 // div, 128 // div), nn.ReLU(), nn.Linear(128 // div, 10))
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.features(self.quant(x)))

    # conv, bn, relu triples and linear, relu pairs, by index in `features`
    FUSE = [["features.0", "features.1", "features.2"], ["features.4", "features.5", "features.6"],
            ["features.8", "features.9", "features.10"],
            ["features.11", "features.12", "features.13"],
            ["features.14", "features.15", "features.16"], ["features.19", "features.20"],
            ["features.21", "features.22"]]


class ResNetDigits(course_models._Stubs):
    """ResNet-18's CIFAR structure, one BasicBlock per stage: 3x3 stem conv 16 + BN + ReLU,
    blocks of 16, 32 (stride 2) and 64 (stride 2) channels with add_relu skips (1x1 stride-2
    downsamples), adaptive average pool to 1x1, flatten, fc 64 -> 10."""

    def __init__(self):
        super().__init__(fx=False)
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        self.layer1 = course_models.BasicBlock(16, 16, 1, fx=False)
        self.layer2 = course_models.BasicBlock(16, 32, 2, fx=False)
        self.layer3 = course_models.BasicBlock(32, 64, 2, fx=False)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(self.quant(x))))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.dequant(self.fc(torch.flatten(self.avgpool(x), 1)))

    def fuse_groups(self):
        groups = [["conv1", "bn1", "relu"]]
        for i in range(1, 4):
            groups += getattr(self, f"layer{i}").fuse_groups(f"layer{i}")
        return groups


MODELS = {"vgg8": ("vgg8_digits", Vgg8, lambda m: Vgg8.FUSE),
          "resnet": ("resnet_digits", ResNetDigits, lambda m: m.fuse_groups())}


def data():
    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32) / 16.0  # 0..1
    x = F.interpolate(x[:, None], size=(32, 32), mode="bilinear", align_corners=False)
    x = (x - 0.5) * 2.0  # -1..1, like normalized images
    x = x.repeat(1, 3, 1, 1)
    y = torch.tensor(digits.target, dtype=torch.int64)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(y), generator=g)
    test, train = perm[:TEST_IMAGES], perm[TEST_IMAGES:]
    return x[train], y[train], x[test], y[test]


def main(out_dir, kind="vgg8"):
    name, cls, fuse = MODELS[kind]
    torch.manual_seed(0)
    torch.set_num_threads(2)
    xtr, ytr, xte, yte = data()
    model = cls()
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    for epoch in range(10):
        model.train()
        perm = torch.randperm(len(ytr))
        for i in range(0, len(ytr), 64):
            idx = perm[i:i + 64]
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"epoch {epoch}: loss {loss.item():.3f}", flush=True)
    model.eval()
    with torch.no_grad():
        fp32_pred = model(xte).argmax(1)
    qmodel = export_torch.quantize_pow2(model, [xtr[i:i + 100] for i in range(0, 500, 100)],
                                        fuse=fuse(model))
    with torch.no_grad():
        int8_pred = qmodel(xte).argmax(1)
    os.makedirs(out_dir, exist_ok=True)
    net = export_torch.export(qmodel, (3, 32, 32), out_dir, name,
                              check_inputs=xte[:64])
    codes = np.stack([export_torch.quantize_input(qmodel, img) for img in xte])
    np.save(os.path.join(out_dir, "test_images.npy"), codes.astype(np.uint8))
    np.save(os.path.join(out_dir, "test_labels.npy"), yte.numpy().astype(np.int64))
    np.save(os.path.join(out_dir, "test_torch_int8_predictions.npy"),
            int8_pred.numpy().astype(np.int64))
    summary = {"test_images": TEST_IMAGES,
               "fp32_top1": float((fp32_pred == yte).float().mean()),
               "torch_int8_top1": float((int8_pred == yte).float().mean())}
    with open(os.path.join(out_dir, "accuracy.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(net, summary)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "configs/vgg8_digits",
         sys.argv[2] if len(sys.argv) > 2 else "vgg8")
