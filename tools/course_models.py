"""The course's networks as PyTorch models, for tools/export_torch.py (docs/pytorch.md).

Float models (random weights; BatchNorm statistics set from a few random batches, as a trained
net would have them, so that activations neither vanish nor explode) and builders that quantize
them with the course's power-of-two flow and return the converted model, ready for export:

  export_torch.py course_models:resnet18 --out resnet18        (FUNCTION takes no argument)

| builder          | form     | input    | network                                               |
|------------------|----------|----------|-------------------------------------------------------|
| vgg8             | eager    | 3x32x32  | VGG-8 of configs/vgg8.yaml: convs 64-192-384-256-256, fc 4096-256-128-10 |
| vgg8_narrow      | eager    | 3x32x32  | the narrowed VGG-8: convs 32-64-128-128-128, fc 2048-128-64-10 |
| lenet5           | eager    | 3x32x32  | LeNet-5 as in PyTorch's CIFAR-10 tutorial (F.relu, torch.flatten, one self.pool used twice) |
| lenet5_fx        | FX graph | 3x32x32  | the same model through prepare_fx / convert_fx        |
| mlp              | eager    | 1x28x28  | MNIST MLP: flatten, linear 1024, 1024, 10             |
| resnet18         | eager    | 3x32x32  | ResNet-18 for CIFAR: 3x3 stem, BasicBlocks 64-128-256-512, FloatFunctional add_relu, adaptive avg pool, fc 10 |
| resnet18_fx      | FX graph | 3x32x32  | the same ResNet written plainly (F.relu(out + identity)) through FX mode |

Every builder takes `seed` (weights and calibration data) and `batches` (calibration batches of
4 images); the first 4 calibration images are the export's check inputs.
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.ao.quantization as tq

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export_torch  # noqa: E402


class _Stubs(nn.Module):
    """QuantStub / DeQuantStub in eager form, nothing in FX form (convert_fx quantizes the
    input itself)."""

    def __init__(self, fx):
        super().__init__()
        self.quant = nn.Identity() if fx else tq.QuantStub()
        self.dequant = nn.Identity() if fx else tq.DeQuantStub()


class Stubbed(nn.Module):
    """Any float body between a QuantStub and a DeQuantStub: the eager-mode wrapper a test or a
    user puts around an nn.Sequential before quantizing it."""

    def __init__(self, body):
        super().__init__()
        self.quant = tq.QuantStub()
        self.body = body
        self.dequant = tq.DeQuantStub()

    def forward(self, x):
        return self.dequant(self.body(self.quant(x)))


# ---- VGG-8 (configs/vgg8.yaml, docs/networks.md) ----

class VGG8(_Stubs):
    """conv-BN-ReLU x5 (3x3, stride 1, padding 1) with 2x2/2 max pools after conv1, conv2 and
    conv5, flatten (C, H, W), fc6 + ReLU, fc7 + ReLU, fc8."""

    def __init__(self, convs=(64, 192, 384, 256, 256), fcs=(256, 128), classes=10, fx=False):
        super().__init__(fx)
        layers, c = [], 3
        for i, o in enumerate(convs):
            layers += [nn.Conv2d(c, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
            if i in (0, 1, 4):
                layers.append(nn.MaxPool2d(2, 2))
            c = o
        self.features = nn.Sequential(*layers)
        self.flatten = nn.Flatten()
        dims = [c * 4 * 4, *fcs]
        cls = []
        for i, o in zip(dims, fcs):
            cls += [nn.Linear(i, o), nn.ReLU()]
        cls.append(nn.Linear(dims[-1], classes))
        self.classifier = nn.Sequential(*cls)

    def forward(self, x):
        x = self.features(self.quant(x))
        return self.dequant(self.classifier(self.flatten(x)))

    def fuse_groups(self):
        groups, mods = [], list(self.features.named_children())
        for i, (name, m) in enumerate(mods):
            if isinstance(m, nn.Conv2d):
                groups.append([f"features.{name}", f"features.{mods[i + 1][0]}",
                               f"features.{mods[i + 2][0]}"])
        cls = list(self.classifier.named_children())
        for i, (name, m) in enumerate(cls[:-1]):
            if isinstance(m, nn.Linear) and isinstance(cls[i + 1][1], nn.ReLU):
                groups.append([f"classifier.{name}", f"classifier.{cls[i + 1][0]}"])
        return groups


# ---- LeNet-5, PyTorch's CIFAR-10 tutorial ----

class LeNet5(_Stubs):
    """As in PyTorch's CIFAR-10 tutorial: conv 3->6 k5, pool, conv 6->16 k5, pool,
    torch.flatten, fc 120, 84, 10; F.relu everywhere; one self.pool used twice."""

    def __init__(self, fx=False):
        super().__init__(fx)
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.quant(x)
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.dequant(self.fc3(x))


# ---- MNIST MLP ----

class MLP(_Stubs):
    """1x28x28 -> flatten -> linear 1024 + ReLU -> linear 1024 + ReLU -> linear 10."""

    def __init__(self, hidden=(1024, 1024), classes=10, fx=False):
        super().__init__(fx)
        dims = [28 * 28, *hidden]
        layers = [nn.Flatten()]
        for i, o in zip(dims, hidden):
            layers += [nn.Linear(i, o), nn.ReLU()]
        layers.append(nn.Linear(dims[-1], classes))
        self.body = nn.Sequential(*layers)

    def forward(self, x):
        return self.dequant(self.body(self.quant(x)))

    def fuse_groups(self):
        return [[f"body.{i}", f"body.{i + 1}"] for i in range(1, len(self.body) - 1, 2)]


# ---- ResNet-18 for CIFAR ----

class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU, conv3x3-BN, plus the identity or a 1x1 strided conv-BN downsample, then
    ReLU: FloatFunctional.add_relu in eager form, F.relu(out + identity) in FX form."""

    def __init__(self, cin, cout, stride, fx):
        super().__init__()
        self.fx = fx
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))
        if not fx:
            self.skip_add = nn.quantized.FloatFunctional()

    def forward(self, x):
        out = self.relu1(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.downsample is None else self.downsample(x)
        if self.fx:
            return F.relu(out + identity)
        return self.skip_add.add_relu(out, identity)

    def fuse_groups(self, prefix):
        groups = [[f"{prefix}.conv1", f"{prefix}.bn1", f"{prefix}.relu1"],
                  [f"{prefix}.conv2", f"{prefix}.bn2"]]
        if self.downsample is not None:
            groups.append([f"{prefix}.downsample.0", f"{prefix}.downsample.1"])
        return groups


class ResNet18(_Stubs):
    """ResNet-18 for 3x32x32 CIFAR images: 3x3 stem conv 64 (stride 1, padding 1) + BN + ReLU,
    four stages of two BasicBlocks (64, 128, 256, 512 channels, stride 2 at stages 2-4 with a
    1x1 stride-2 conv downsample), adaptive average pool to 1x1, flatten, fc 512 -> 10.
    556 M MACs per image."""

    def __init__(self, classes=10, fx=False):
        super().__init__(fx)
        self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU()
        cin = 64
        for i, (cout, stride) in enumerate(((64, 1), (128, 2), (256, 2), (512, 2))):
            setattr(self, f"layer{i + 1}", nn.Sequential(BasicBlock(cin, cout, stride, fx),
                                                         BasicBlock(cout, cout, 1, fx)))
            cin = cout
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(512, classes)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(self.quant(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = torch.flatten(self.avgpool(x), 1)
        return self.dequant(self.fc(x))

    def fuse_groups(self):
        groups = [["conv1", "bn1", "relu"]]
        for i in range(1, 5):
            for j, block in enumerate(getattr(self, f"layer{i}")):
                groups += block.fuse_groups(f"layer{i}.{j}")
        return groups


# ---- Random weights and calibration ----

def set_bn_statistics(model, batches):
    """BatchNorm running statistics of the float model from `batches` (cumulative averages),
    as training would leave them; the model is returned in eval mode."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    if bns:
        for m in bns:
            m.reset_running_stats()
            m.momentum = None
        model.train()
        with torch.no_grad():
            for b in batches:
                model(b)
    return model.eval()


def calibration(shape, seed=0, batches=2, batch_size=4):
    """Deterministic random calibration batches (N x C x H x W)."""
    g = torch.Generator().manual_seed(seed + 1)
    return [torch.randn(batch_size, *shape, generator=g) for _ in range(batches)]


def _float(cls, seed, shape, batches, **kwargs):
    torch.manual_seed(seed)
    model = cls(**kwargs)
    return set_bn_statistics(model, calibration(shape, seed, batches))


def vgg8_float(seed=0, narrow=False, fx=False, batches=2):
    kwargs = dict(convs=(32, 64, 128, 128, 128), fcs=(128, 64)) if narrow else {}
    return _float(VGG8, seed, (3, 32, 32), batches, fx=fx, **kwargs)


def lenet5_float(seed=0, fx=False, batches=2):
    return _float(LeNet5, seed, (3, 32, 32), batches, fx=fx)


def mlp_float(seed=0, batches=2):
    return _float(MLP, seed, (1, 28, 28), batches)


def resnet18_float(seed=0, fx=False, batches=2):
    return _float(ResNet18, seed, (3, 32, 32), batches, fx=fx)


def vgg8(seed=0, batches=2):
    model = vgg8_float(seed, batches=batches)
    return export_torch.quantize_pow2(model, calibration((3, 32, 32), seed, batches),
                                      fuse=model.fuse_groups())


def vgg8_narrow(seed=0, batches=2):
    model = vgg8_float(seed, narrow=True, batches=batches)
    return export_torch.quantize_pow2(model, calibration((3, 32, 32), seed, batches),
                                      fuse=model.fuse_groups())


def lenet5(seed=0, batches=2):
    return export_torch.quantize_pow2(lenet5_float(seed, batches=batches),
                                      calibration((3, 32, 32), seed, batches))


def lenet5_fx(seed=0, batches=2):
    return export_torch.quantize_pow2_fx(lenet5_float(seed, fx=True, batches=batches),
                                         calibration((3, 32, 32), seed, batches))


def mlp(seed=0, batches=2):
    model = mlp_float(seed, batches)
    return export_torch.quantize_pow2(model, calibration((1, 28, 28), seed, batches),
                                      fuse=model.fuse_groups())


def resnet18(seed=0, batches=2):
    model = resnet18_float(seed, batches=batches)
    return export_torch.quantize_pow2(model, calibration((3, 32, 32), seed, batches),
                                      fuse=model.fuse_groups())


def resnet18_fx(seed=0, batches=2):
    return export_torch.quantize_pow2_fx(resnet18_float(seed, fx=True, batches=batches),
                                         calibration((3, 32, 32), seed, batches))


INPUT_SHAPES = {"vgg8": (3, 32, 32), "vgg8_narrow": (3, 32, 32), "lenet5": (3, 32, 32),
                "lenet5_fx": (3, 32, 32), "mlp": (1, 28, 28), "resnet18": (3, 32, 32),
                "resnet18_fx": (3, 32, 32)}
