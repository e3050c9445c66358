"""Image preprocessing and photo-style augmentations, batched in torch (runs on the GPU
when there is one).

The augmentations imitate photographs of a product. The families training uses, in the order
augment() applies them (AUGMENTATION_FAMILY):

- `affine`: framing, a similarity transform with aspect change (zoom in and out, shift,
  rotation, aspect, horizontal flip); straight lines stay parallel;
- `background`: the near-white background replaced by a plain tint, a gradient or a cluttered
  scene with solid ellipses, behind the garment only;
- `global-lighting`: brightness, contrast, gamma, a slight tint and saturation change, the same
  over the whole image (the hue is never changed, so colour names stay true);
- `low-resolution`: down- and upsampling;
- `gaussian-blur`: an isotropic lens blur;
- `square-occluder`: one square patch of a colour kept away from every skin tone
  (occluder_colours);
- `sensor-noise`: Gaussian pixel noise.

The held-out real-shot family (HELDOUT_FAMILY, from seed.generator.realshot: `perspective`,
`shading`, `motion-blur`, `occlusion`, `jpeg`) measures robustness to what training never showed,
so training must never use it: no perspective warp, no light or shadow that varies across the
garment, no motion blur, no skin-toned occluder and no JPEG compression. The tests check that the
two lists share nothing and that occluder colours stay at least SKIN_MARGIN from the skin tones.

The seed generator is imported only when those seed-specific parts are used (skin_distance,
HELDOUT_FAMILY): training on a shop's own catalogue (training.catalog) uses this module without it,
with occluders of any colour (augment(..., skin_safe_occluders=False)).
"""
from __future__ import annotations

import math
from typing import Optional

import torch
import torch.nn.functional as F


def _skin_tones():
    from seed.generator.realshot import SKIN_TONES

    return SKIN_TONES


def __getattr__(name: str):
    """HELDOUT_FAMILY, from seed.generator.realshot, imported when first asked for."""
    if name == "HELDOUT_FAMILY":
        from seed.generator.realshot import HELDOUT_FAMILY

        return HELDOUT_FAMILY
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

AUGMENTATION_FAMILY = ("affine", "background", "global-lighting", "low-resolution", "gaussian-blur",
                       "square-occluder", "sensor-noise")

# The held-out occluders' skin lies on the polyline through SKIN_TONES, and their own edge shading
# multiplies it by 0.8 to 1.05 (seed.generator.realshot._occlude): that region is "skin".
SKIN_SHADE = (0.8, 1.05)
# An occluder colour is drawn again when it lies closer than this to the skin region (Euclidean
# distance in RGB, 0..255 per channel): a clear gap, about a sixth of the cube's side.
SKIN_MARGIN = 40.0
OCCLUDER_CANDIDATES = 8  # colours drawn per occluder; the first far enough from skin is used
# Used when all candidates are near skin (a rare event): saturated blue, green, cyan, violet and
# magenta, all far from every skin colour (tested).
SAFE_OCCLUDER_COLOURS = ((0, 0, 255), (0, 200, 0), (0, 200, 200), (120, 0, 220), (220, 0, 220))

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


def _segment_distance(c: torch.Tensor, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """[N,S] distance from points c [N,1,3] to the segments a[S] -> b[S] (a, b [S,3])."""
    ab = b - a
    t = (((c - a) * ab).sum(-1) / (ab * ab).sum(-1).clamp_min(1e-12)).clamp(0, 1)
    return (c - a - t[..., None] * ab).norm(dim=-1)


def skin_distance(rgb: torch.Tensor) -> torch.Tensor:
    """[...] Euclidean distance (RGB, 0..255) from colours rgb [...,3] (0..255) to the skin region
    {s * p : p on the polyline through SKIN_TONES, s in SKIN_SHADE}, computed exactly: each
    segment p_i -> p_i+1, scaled, sweeps a flat trapezoid {s p_i + u (p_i+1 - p_i) : s in SKIN_SHADE,
    0 <= u <= s}; the nearest point is the unconstrained least-squares point when it lies inside,
    else on one of the four sides."""
    tones = torch.tensor(_skin_tones(), dtype=torch.float64, device=rgb.device)
    p, d = tones[:-1], tones[1:] - tones[:-1]
    lo, hi = SKIN_SHADE
    c = rgb.reshape(-1, 1, 3).to(torch.float64)
    pp, pd, dd = (p * p).sum(-1), (p * d).sum(-1), (d * d).sum(-1)
    cp, cd = (c * p).sum(-1), (c * d).sum(-1)
    det = (pp * dd - pd * pd).clamp_min(1e-12)
    s, u = (cp * dd - cd * pd) / det, (cd * pp - cp * pd) / det
    inside = (s >= lo) & (s <= hi) & (u >= 0) & (u <= s)
    dist = torch.where(inside, (c - s[..., None] * p - u[..., None] * d).norm(dim=-1),
                       torch.full_like(s, float("inf")))
    corners = [lo * p, lo * (p + d), hi * (p + d), hi * p]
    for k in range(4):
        dist = torch.minimum(dist, _segment_distance(c, corners[k], corners[(k + 1) % 4]))
    return dist.min(dim=1).values.to(rgb.dtype).reshape(rgb.shape[:-1])


def occluder_colours(b: int, dev, g: Optional[torch.Generator] = None) -> torch.Tensor:
    """[b,3,1,1] occluder colours in 0..1, uniform over the RGB cube less the skin region and its
    SKIN_MARGIN neighbourhood: OCCLUDER_CANDIDATES are drawn per occluder and the first far
    enough from skin is kept; when none is, one of SAFE_OCCLUDER_COLOURS."""
    cand = _u((b, OCCLUDER_CANDIDATES, 3), dev, g)
    ok = skin_distance(cand * 255.0) >= SKIN_MARGIN
    pick = cand[torch.arange(b, device=dev), ok.to(torch.uint8).argmax(dim=1)]
    safe = torch.tensor(SAFE_OCCLUDER_COLOURS, dtype=cand.dtype, device=dev) / 255.0
    fallback = safe[(_u(b, dev, g) * len(SAFE_OCCLUDER_COLOURS)).long().clamp(max=len(SAFE_OCCLUDER_COLOURS) - 1)]
    return torch.where(ok.any(dim=1, keepdim=True), pick, fallback).view(b, 3, 1, 1)


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
            strength: float = 1.0, skin_safe_occluders: bool = True) -> torch.Tensor:
    """uint8 [B,H,W,3] clean renders -> normalised float [B,3,H,W] photo-like views. With
    skin_safe_occluders (the seed pipeline) occluder colours keep away from the seed's held-out
    skin tones (occluder_colours); without, they are uniform over the RGB cube."""
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
    # occluder: a small square patch of a colour kept away from skin tones
    ys = torch.arange(h, device=dev).view(1, 1, h, 1)
    xs = torch.arange(w, device=dev).view(1, 1, 1, w)
    cy, cx = (_u(b, dev, g) * h).view(b, 1, 1, 1), (_u(b, dev, g) * w).view(b, 1, 1, 1)
    half = (_u(b, dev, g) * h * 0.12 + 1).view(b, 1, 1, 1)
    patch = (((ys - cy).abs() < half) & ((xs - cx).abs() < half)).float()
    colour = occluder_colours(b, dev, g) if skin_safe_occluders else _u((b, 3, 1, 1), dev, g)
    x = torch.where(sel(0.15), x * (1 - patch) + colour * patch, x)
    # sensor noise
    noise = _n(x.shape, dev, g) * _rand(b, 0.01, 0.06, dev, g).view(b, 1, 1, 1)
    x = torch.where(sel(0.5), (x + noise).clamp(0, 1), x)
    return normalize(x)
