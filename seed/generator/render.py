"""Renders a coloured, patterned, textured RGB product image from a 28x28 Fashion-MNIST base.

The garment mask comes from the base image (holes enclosed by the garment are filled); colour,
pattern and material are applied inside the mask and modulated by the base image's own shading,
then composited over a white background. Everything is vectorised numpy on arrays of the target
size; upsampling is bicubic, so renders are smooth at any size. Same input, same pixels.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from .vocab import MATERIALS, PATTERNS

TWO_PI = np.float32(2 * np.pi)


@lru_cache(maxsize=8)
def _grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    c = (np.arange(size, dtype=np.float32) + 0.5) / size
    v, u = np.meshgrid(c, c, indexing="ij")  # v: rows (down), u: columns (right), both in [0,1]
    u.setflags(write=False)
    v.setflags(write=False)
    return u, v


def _upsample(a: np.ndarray, size: int) -> np.ndarray:
    img = Image.fromarray(np.ascontiguousarray(a, dtype=np.float32), mode="F")
    return np.asarray(img.resize((size, size), Image.BICUBIC), dtype=np.float32)


def _clip(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    return np.minimum(np.maximum(x, lo), hi)


def _smoothstep(e0: float, e1: float, x: np.ndarray) -> np.ndarray:
    t = _clip((x - e0) * (1.0 / (e1 - e0)), 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class _Rand:
    """Small deterministic generator (splitmix64) seeded by the spec: cheap to create per image."""

    __slots__ = ("state",)
    MASK = (1 << 64) - 1

    def __init__(self, seed: int):
        self.state = (int(seed) * 0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019) & self.MASK

    def next64(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)

    def random(self) -> float:
        return (self.next64() >> 11) * (1.0 / (1 << 53))

    def noise(self, size: int, scale: int = 1) -> np.ndarray:
        """A [size,size] window of a fixed, cached unit-variance noise field of feature size `scale`."""
        table = _noise_table(size, scale)
        oy = self.next64() % (table.shape[0] - size)
        ox = self.next64() % (table.shape[1] - size)
        return table[oy:oy + size, ox:ox + size]


@lru_cache(maxsize=32)
def _noise_table(size: int, scale: int) -> np.ndarray:
    rng = np.random.default_rng(977 + 31 * size + scale)
    big = size * 4
    n = max(2, big // scale)
    z = rng.standard_normal((n, n)).astype(np.float32)
    if n != big:
        z = _upsample(z, big)
        z = z / max(float(z.std()), 1e-6)
    z.setflags(write=False)
    return z


def garment_mask28(base28: np.ndarray) -> np.ndarray:
    """Boolean 28x28 mask: pixels of the garment plus holes enclosed on all four sides."""
    m = base28 > 8
    left = np.maximum.accumulate(m, axis=1)
    right = np.maximum.accumulate(m[:, ::-1], axis=1)[:, ::-1]
    top = np.maximum.accumulate(m, axis=0)
    bottom = np.maximum.accumulate(m[::-1, :], axis=0)[::-1, :]
    return m | (left & right & top & bottom)


def secondary_color(rgb: np.ndarray) -> np.ndarray:
    """Pattern colour derived from the main colour: a deep shade of light colours, a pale tint of dark ones."""
    lum = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    if lum > 140:
        return rgb * 0.32
    return rgb + (255.0 - rgb) * 0.78


def _hash2(ix: np.ndarray, iy: np.ndarray, salt: float) -> np.ndarray:
    h = np.sin(ix * 12.9898 + iy * 78.233 + salt) * 43758.5453
    return (h - np.floor(h)).astype(np.float32)


def _band(x: np.ndarray, width: float, soft: float) -> np.ndarray:
    """1 inside a band of relative width `width` around the centre of each period (x in periods)."""
    d = np.abs(x - np.floor(x) - 0.5)
    return _smoothstep(width / 2 + soft, width / 2 - soft, d)


def _cells(u: np.ndarray, v: np.ndarray, freq: float, ph: tuple[float, float]):
    x = u * freq + ph[0]
    y = v * freq + ph[1]
    ix = np.floor(x)
    iy = np.floor(y)
    return x - ix - 0.5, y - iy - 0.5, ix, iy


def pattern_coverage(pattern: str, u: np.ndarray, v: np.ndarray, size: int, rng: "_Rand"):
    """(coverage of the secondary colour, coverage of a darker main tone), each in [0,1] or None."""
    ph = (float(rng.random()), float(rng.random()))
    soft = min(0.08, 1.2 / max(size, 1) * 4)
    if pattern == "solid":
        return None, None
    if pattern == "stripes":
        freq = 7.0 + 2.0 * float(rng.random())
        axis = v if rng.random() < 0.6 else u
        return _band(axis * freq + ph[0], 0.38, soft), None
    if pattern == "checks":
        freq = 6.0 + 2.0 * float(rng.random())
        a = _band(u * freq + ph[0], 0.45, soft)
        b = _band(v * freq + ph[1], 0.45, soft)
        return 0.5 * a + 0.5 * b, None
    if pattern == "dots":
        freq = 8.0 + 2.0 * float(rng.random())
        dx, dy, _, _ = _cells(u, v, freq, ph)
        r = np.sqrt(dx * dx + dy * dy)
        return _smoothstep(0.22 + soft, 0.22 - soft, r), None
    if pattern == "floral":
        freq = 5.0 + 1.5 * float(rng.random())
        dx, dy, ix, iy = _cells(u, v, freq, ph)
        jx = (_hash2(ix, iy, 1.0) - 0.5) * 0.2
        jy = (_hash2(ix, iy, 2.0) - 0.5) * 0.2
        dx = dx - jx
        dy = dy - jy
        rot = _hash2(ix, iy, 3.0) * TWO_PI
        r = np.sqrt(dx * dx + dy * dy)
        th = np.arctan2(dy, dx)
        petal = 0.3 * (0.45 + 0.55 * np.abs(np.cos(2.5 * th + rot)))
        flower = _smoothstep(petal + soft, petal - soft, r)
        centre = _smoothstep(0.08 + soft, 0.08 - soft, r)
        return flower * (1 - centre), centre
    if pattern == "animal":
        freq = 6.0 + 2.0 * float(rng.random())
        dx, dy, ix, iy = _cells(u, v, freq, ph)
        jx = (_hash2(ix, iy, 4.0) - 0.5) * 0.25
        jy = (_hash2(ix, iy, 5.0) - 0.5) * 0.25
        dx = dx - jx
        dy = dy - jy
        r = np.sqrt(dx * dx + dy * dy * 1.4)
        th = np.arctan2(dy, dx)
        rad = 0.24 + 0.05 * np.sin(3 * th + _hash2(ix, iy, 6.0) * TWO_PI)
        ring = _smoothstep(0.07 + soft, 0.07 - soft, np.abs(r - rad))
        gaps = (np.sin(4 * th + _hash2(ix, iy, 7.0) * TWO_PI) > -0.55).astype(np.float32)
        inner = _smoothstep(rad - 0.05 + soft, rad - 0.05 - soft, r)
        return ring * gaps, inner * 0.6
    if pattern == "camouflage":
        field = np.zeros_like(u)
        for k in range(5):
            ang = float(rng.random()) * np.pi
            f = 2.0 + 2.5 * float(rng.random())
            field = field + np.sin(TWO_PI * f * (np.cos(ang) * u + np.sin(ang) * v) + float(rng.random()) * TWO_PI)
        field = field / 2.2
        return _smoothstep(0.25 - soft, 0.25 + soft, field), _smoothstep(-0.35 + soft, -0.35 - soft, field)
    raise ValueError(f"unknown pattern {pattern!r}; expected one of {PATTERNS}")


def material_look(material: str, u, v, size: int, rng: "_Rand"):
    """(multiplicative texture around 1, additive highlight in [0,1] or "gloss" for highlights on the
    brightest parts of the garment, shading contrast)."""
    fmax = size * 0.3  # keep every texture below the Nyquist limit of the render size
    if material == "cotton":
        f = min(40.0, fmax)
        return 1 + 0.05 * np.sin(TWO_PI * f * u) * np.sin(TWO_PI * f * v) + 0.025 * rng.noise(size), None, 0.9
    if material == "denim":
        f = min(34.0, fmax)
        twill = np.sin(TWO_PI * f * (u + v))
        wash = rng.noise(size, 6)
        fleck = np.maximum(rng.noise(size), 1.6) - 1.6
        return 1 + 0.13 * twill + 0.07 * wash, 0.22 * fleck, 0.9
    if material == "leather":
        grain = rng.noise(size)
        return 1 + 0.035 * grain, "gloss", 1.5
    if material == "knit":
        f = min(12.0, fmax / 2)
        col = u * f
        chevron = np.abs(col - np.floor(col) - 0.5)
        stitch = np.sin(TWO_PI * (v * f * 1.6 + chevron * 1.2))
        rib = np.abs(np.sin(np.pi * col)) - 0.64
        return 1 + 0.12 * stitch + 0.12 * rib, None, 0.8
    if material == "satin":
        ph = float(rng.random()) * TWO_PI
        sheen = (0.5 + 0.5 * np.sin(TWO_PI * 1.8 * (0.8 * u + 0.45 * v) + ph)) ** 4
        return 1 + 0.0 * u, 0.3 * sheen, 1.25
    if material == "wool":
        coarse = rng.noise(size, 3)
        fine = rng.noise(size)
        return 1 + 0.1 * coarse + 0.06 * fine, None, 0.6
    if material == "linen":
        rows = rng.noise(size, 1)[:, :1]
        cols = rng.noise(size, 1)[:1, :]
        return 1 + 0.08 * rows + 0.015 * cols + 0.02 * rng.noise(size), None, 0.85
    if material == "suede":
        mottle = rng.noise(size, 5)
        brushed = rng.noise(size, 1)[:1, :]
        return 1 + 0.07 * mottle + 0.04 * brushed, None, 0.7
    raise ValueError(f"unknown material {material!r}; expected one of {MATERIALS}")


@lru_cache(maxsize=64)
def _pattern_cached(pattern: str, size: int, seed: int):
    u, v = _grid(size)
    return _frozen(pattern_coverage(pattern, u, v, size, _Rand(seed)))


@lru_cache(maxsize=64)
def _material_cached(material: str, size: int, seed: int):
    u, v = _grid(size)
    return _frozen(material_look(material, u, v, size, _Rand(seed ^ 0x5DEECE66D)))


def _frozen(values: tuple) -> tuple:
    for a in values:
        if isinstance(a, np.ndarray):
            a.setflags(write=False)
    return values


@lru_cache(maxsize=64)
def _base_layers(base_bytes: bytes, size: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Upsampled shading, soft garment alpha and median shading inside the garment (cached:
    the variants of a style share their base image)."""
    base28 = np.frombuffer(base_bytes, dtype=np.uint8).reshape(28, 28)
    lum = _clip(_upsample(base28.astype(np.float32) * (1.0 / 255.0), size), 0.0, 1.0)
    mask = garment_mask28(base28).astype(np.float32)
    p = np.zeros((30, 30), dtype=np.float32)
    p[1:-1, 1:-1] = mask
    soft = (4 * mask + p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]) * 0.125
    alpha = _smoothstep(0.35, 0.6, _upsample(soft, size))
    inside = alpha > 0.5
    med = float(np.median(lum[inside])) if inside.any() else 0.5
    lum.setflags(write=False)
    alpha.setflags(write=False)
    return lum, alpha, med


def render_layers(base28: np.ndarray, spec: dict, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(garment rgb float32 [size,size,3] in 0..255, alpha float32 [size,size] in 0..1)."""
    base28 = np.asarray(base28, dtype=np.uint8)
    if base28.shape != (28, 28):
        raise ValueError(f"base image must be 28x28, got {base28.shape}")
    if not isinstance(size, (int, np.integer)) or size < 8 or size > 512:
        raise ValueError(f"size must be an integer between 8 and 512, got {size!r}")
    color = np.asarray(spec["color"], dtype=np.float32)
    if color.shape != (3,):
        raise ValueError(f"spec.color must be [r, g, b], got {spec['color']!r}")
    seed = int(spec["seed"])
    u, v = _grid(size)

    lum, alpha, med = _base_layers(base28.tobytes(), size)

    texture, highlight, contrast = _material_cached(spec["material"], size, seed)
    if isinstance(highlight, str):
        highlight = _smoothstep(0.12, 0.35, lum - med) * 0.28
    shade = _clip(1.0 + contrast * 0.85 * (lum - med), 0.5, 1.4) * texture

    cover, dark = _pattern_cached(spec["pattern"], size, seed)
    rgb = np.broadcast_to(color, (size, size, 3)).astype(np.float32)
    if dark is not None:
        rgb = rgb * (1.0 - 0.45 * dark[..., None])
    if cover is not None:
        sec = secondary_color(color)
        rgb = rgb + (sec - rgb) * cover[..., None]
    rgb = rgb * shade[..., None]
    if highlight is not None:
        rgb = rgb + (255.0 - rgb) * _clip(highlight, 0, 1)[..., None]
    return _clip(rgb, 0, 255), alpha


def render(base28: np.ndarray, spec: dict, size: int) -> np.ndarray:
    """uint8 [size,size,3] image of the product described by `spec` (a product's `render` object)."""
    rgb, alpha = render_layers(base28, spec, size)
    a = alpha[..., None]
    out = rgb * a + 255.0 * (1.0 - a)
    return (out + 0.5).astype(np.uint8)
