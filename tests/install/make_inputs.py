"""Inputs for the install test's examples, written by PyTorch: torchvision's resnet18 with
random weights (torch.save of its state_dict, as a user would save theirs), a 64x64 PNG, a
labels file, and torch's top-5 classes for that image prepared as examples/classify_image
prepares it (bilinear resize to 224x224 without antialiasing, ImageNet normalization)."""
import sys

import numpy as np
import torch
import torchvision
from PIL import Image

out = sys.argv[1]
torch.manual_seed(0)
model = torchvision.models.resnet18().eval()
torch.save(model.state_dict(), f"{out}/resnet18.pth")

# A picture with some structure: a bright disc on a horizontal colour ramp.
y, x = np.mgrid[0:64, 0:64]
disc = ((x - 40) ** 2 + (y - 24) ** 2 < 15 ** 2).astype(np.float64)
rgb = np.stack([x / 63, 1 - y / 63, 0.5 * np.ones_like(x) + 0.5 * disc], axis=-1)
pixels = np.clip(np.round(rgb * 255), 0, 255).astype(np.uint8)
Image.fromarray(pixels, "RGB").save(f"{out}/picture.png")

with open(f"{out}/labels.txt", "w") as f:
    f.writelines(f"label{i}\n" for i in range(1000))

image = torch.from_numpy(pixels).float().div(255).permute(2, 0, 1)[None]
image = torch.nn.functional.interpolate(image, size=(224, 224), mode="bilinear",
                                        align_corners=False, antialias=False)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
with torch.no_grad():
    top5 = model((image - mean) / std)[0].topk(5).indices.tolist()
with open(f"{out}/torch_top5.txt", "w") as f:
    f.write(" ".join(f"label{c}" for c in top5) + "\n")
