"""PyTorch models for `cnn bench` that torchvision does not have.

resnet20: the small-image ResNet of He et al. (2015), section 4.2, exactly as
src/models/resnet_cifar.cpp builds it: a 3x3 convolution with 16 filters, three stages of
three basic blocks with 16, 32 and 64 filters (the first block of stages 2 and 3 has stride 2
in its first convolution), global average pooling and a linear classifier. Convolutions have
no bias; each is followed by batch norm. The shortcut is option A: identity, or where the grid
halves and the channels double, every second pixel with zero channels appended after the
existing ones (no parameters). With in_channels=1 and num_classes=10 it has 269,434
parameters, as ours.
"""
import torch
import torch.nn.functional as F
from torch import nn


def _conv3x3(in_channels, out_channels, stride):
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


class BasicBlockOptionA(nn.Module):
    def __init__(self, in_channels, out_channels, stride):
        super().__init__()
        self.conv1 = _conv3x3(in_channels, out_channels, stride)
        self.bn1 = nn.BatchNorm2d(out_channels)
        self.conv2 = _conv3x3(out_channels, out_channels, 1)
        self.bn2 = nn.BatchNorm2d(out_channels)
        self.stride = stride
        self.extra_channels = out_channels - in_channels

    def shortcut(self, x):
        if self.stride == 1 and self.extra_channels == 0:
            return x
        # x[n, c, s*y, s*x'] for c < C, zero for C <= c < out_channels (pad = last dim first).
        return F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, 0, self.extra_channels))

    def forward(self, x):
        r = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(self.shortcut(x) + r)


class ResNetCifar(nn.Module):
    def __init__(self, depth=20, num_classes=10, in_channels=3):
        super().__init__()
        if depth < 8 or (depth - 2) % 6 != 0:
            raise ValueError(f"depth {depth} is not of the form 6n + 2")
        n = (depth - 2) // 6
        self.conv1 = _conv3x3(in_channels, 16, 1)
        self.bn1 = nn.BatchNorm2d(16)
        channels = 16
        stages = []
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlockOptionA(channels, width, stride if i == 0 else 1))
                channels = width
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def create(name, num_classes, in_channels):
    """The model registered as `name` in cnn::models, as PyTorch builds it (random weights)."""
    if name == "resnet20":
        return ResNetCifar(20, num_classes, in_channels)
    import torchvision

    if in_channels != 3:
        raise ValueError(f"{name}: torchvision's models take 3 input channels, not {in_channels}")
    builders = {
        "resnet18": torchvision.models.resnet18,
        "resnet50": torchvision.models.resnet50,
        "mobilenet_v2": torchvision.models.mobilenet_v2,
    }
    if name not in builders:
        raise ValueError(f"no PyTorch model for '{name}'; known: resnet20, {', '.join(builders)}")
    return builders[name](weights=None, num_classes=num_classes)
