"""Image preprocessing and photo-style augmentations, batched in torch (runs on the GPU
when there is one).

The augmentations imitate photographs of a product: framing (zoom in and out, shift,
rotation, aspect), lighting (brightness, contrast, gamma, a little saturation; the hue is
never changed, so colour names stay true), lens blur, sensor noise, lower resolution,
occluders and cluttered backgrounds.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F

MEAN = 0.5
STD = 0.5
SCALE = 255.0


def to_tensor(images_uint8: torch.Tensor) -> torch.Tensor:
    """uint8 [B,H,W,3] -> float [B,3,H,W] in [0,1]."""
    return images_uint8.permute(0, 3, 1, 2).float() / SCALE


def normalize(x01: torch.Tensor) -> torch.Tensor:
    return (x01 - MEAN) / STD


def preprocess(images_uint8: torch.Tensor) -> torch.Tensor:
    """The exact preprocessing declared in the manifest (images already size x size)."""
    return normalize(to_tensor(images_uint8))


def _u(shape, dev, g: Optional[torch.Generator]) -> torch.Tensor:
    """Uniform [0,1) noise: from the (CPU) generator when one is given, else on the device."""
    if g is None:
        return torch.rand(shape, device=dev)
    return torch.rand(shape, generator=g).to(dev)


def _n(shape, dev, g: Optional[torch.Generator]) -> torch.Tensor:
    if g is None:
        return torch.randn(shape, device=dev)
    return torch.randn(shape, generator=g).to(dev)


def _rand(n: int, lo: float, hi: float, dev, g: Optional[torch.Generator]) -> torch.Tensor:
    return _u(n, dev, g) * (hi - lo) + lo


def _bern(n: int, p: float, dev, g: Optional[torch.Generator]) -> torch.Tensor:
    return _u(n, dev, g) < p


def _geometry(x: torch.Tensor, g) -> torch.Tensor:
    b, dev = x.shape[0], x.device
    angle = _rand(b, -28, 28, dev, g) * math.pi / 180
    zoom = torch.exp(_rand(b, math.log(0.75), math.log(1.4), dev, g))  # >1 zooms in (crop), <1 letterboxes
    aspect = torch.exp(_rand(b, -0.15, 0.15, dev, g))
    flip = torch.where(_bern(b, 0.5, dev, g), -1.0, 1.0)
    tx, ty = _rand(b, -0.15, 0.15, dev, g), _rand(b, -0.15, 0.15, dev, g)
    sx, sy = flip / (zoom * aspect.sqrt()), 1.0 / (zoom / aspect.sqrt())
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.stack([torch.stack([cos * sx, -sin * sy, tx], 1), torch.stack([sin * sx, cos * sy, ty], 1)], 1)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    # sample the inverted image so that zero padding becomes a white background
    return 1.0 - F.grid_sample(1.0 - x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def _background(x: torch.Tensor, g) -> torch.Tensor:
    """Replace the (near-white) background with a plain tint, a gradient or a cluttered scene."""
    b, _, h, w = x.shape
    dev = x.device
    bg_mask = (x.min(dim=1, keepdim=True).values > 0.93).float()
    bg_mask = F.avg_pool2d(bg_mask, 3, 1, 1)  # soft edge
    base = _u((b, 3, 1, 1), dev, g) * 0.6 + 0.35
    ys = torch.linspace(0, 1, h, device=dev).view(1, 1, h, 1)
    xs = torch.linspace(0, 1, w, device=dev).view(1, 1, 1, w)
    slope = (_u((b, 2), dev, g) - 0.5)
    grad = base + 0.35 * (slope[:, 0].view(b, 1, 1, 1) * ys + slope[:, 1].view(b, 1, 1, 1) * xs)
    # clutter: low-frequency coloured blobs
    blobs = F.interpolate(_u((b, 3, 4, 4), dev, g), size=(h, w), mode="bilinear",
                          align_corners=False)
    kind = _u(b, dev, g).view(b, 1, 1, 1)
    scene = torch.where(kind < 0.4, grad, 0.5 * grad + 0.5 * blobs).clamp(0, 1)
    # a few solid objects (ellipses) scattered over the background
    for _ in range(3):
        c = _u((b, 2, 1, 1), dev, g)
        r = _u((b, 2, 1, 1), dev, g) * 0.25 + 0.06
        inside = (((xs - c[:, :1]) / r[:, :1]) ** 2 + ((ys - c[:, 1:]) / r[:, 1:]) ** 2) < 1.0
        use = (_u((b, 1, 1, 1), dev, g) < 0.6) & inside
        scene = torch.where(use, _u((b, 3, 1, 1), dev, g), scene)
    return x * (1 - bg_mask) + scene * bg_mask


def _gaussian_blur(x: torch.Tensor, sigma: torch.Tensor) -> torch.Tensor:
    b, c, h, w = x.shape
    r = torch.arange(-2, 3, device=x.device, dtype=x.dtype)
    k = torch.exp(-(r[None, :] ** 2) / (2 * sigma[:, None] ** 2))
    k = k / k.sum(1, keepdim=True)  # [b,5]
    xp = F.pad(x, (2, 2, 2, 2), mode="replicate").reshape(1, b * c, h + 4, w + 4)
    kk = k.repeat_interleave(c, 0)
    y = F.conv2d(xp, kk.view(b * c, 1, 1, 5), groups=b * c)
    y = F.conv2d(y, kk.view(b * c, 1, 5, 1), groups=b * c)
    return y.reshape(b, c, h, w)


def augment(images_uint8: torch.Tensor, generator: Optional[torch.Generator] = None,
            strength: float = 1.0) -> torch.Tensor:
    """uint8 [B,H,W,3] clean renders -> normalised float [B,3,H,W] photo-like views."""
    g = generator
    x = to_tensor(images_uint8)
    b, dev = x.shape[0], x.device

    def sel(p: float) -> torch.Tensor:
        return _bern(b, p * strength, dev, g).view(b, 1, 1, 1)

    x = torch.where(sel(0.9), _geometry(x, g), x)
    x = torch.where(sel(0.35), _background(x, g), x)
    # lighting: brightness, contrast, gamma, mild saturation (hue preserved)
    bright = _rand(b, 0.65, 1.3, dev, g).view(b, 1, 1, 1)
    contrast = _rand(b, 0.7, 1.25, dev, g).view(b, 1, 1, 1)
    tint = 1.0 + (_u((b, 3, 1, 1), dev, g) - 0.5) * 0.2
    gamma = torch.exp(_rand(b, -0.2, 0.2, dev, g)).view(b, 1, 1, 1)
    sat = _rand(b, 0.8, 1.15, dev, g).view(b, 1, 1, 1)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    lit = ((x - mean) * contrast + mean) * bright * tint
    gray = lit.mean(dim=1, keepdim=True)
    lit = (gray + (lit - gray) * sat).clamp(0, 1) ** gamma
    x = torch.where(sel(0.8), lit, x)
    # lower resolution
    h, w = x.shape[-2:]
    low = F.interpolate(F.interpolate(x, size=(h * 5 // 8, w * 5 // 8), mode="bilinear", align_corners=False),
                        size=(h, w), mode="bilinear", align_corners=False)
    x = torch.where(sel(0.2), low, x)
    # blur
    x = torch.where(sel(0.4), _gaussian_blur(x, _rand(b, 0.4, 1.3, dev, g)), x)
    # occluder: a small grey/coloured patch
    ys = torch.arange(h, device=dev).view(1, 1, h, 1)
    xs = torch.arange(w, device=dev).view(1, 1, 1, w)
    cy, cx = (_u(b, dev, g) * h).view(b, 1, 1, 1), (_u(b, dev, g) * w).view(b, 1, 1, 1)
    half = (_u(b, dev, g) * h * 0.12 + 1).view(b, 1, 1, 1)
    patch = (((ys - cy).abs() < half) & ((xs - cx).abs() < half)).float()
    colour = _u((b, 3, 1, 1), dev, g)
    x = torch.where(sel(0.15), x * (1 - patch) + colour * patch, x)
    # sensor noise
    noise = _n(x.shape, dev, g) * _rand(b, 0.01, 0.06, dev, g).view(b, 1, 1, 1)
    x = torch.where(sel(0.5), (x + noise).clamp(0, 1), x)
    return normalize(x)
