"""Simulated phone photographs of products: the degradations recorded on a real-shot query,
applied in their listed order (clutter, rotate, crop, lighting, blur; JPEG when saving)."""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .render import render_layers


def _clutter_background(size: int, objects: int, seed: int) -> Image.Image:
    rng = random.Random(seed)
    base = np.array([rng.randint(150, 235) for _ in range(3)], dtype=np.float32)
    ramp = np.linspace(0.85, 1.1, size, dtype=np.float32)
    arr = base[None, None, :] * (ramp[:, None, None] if rng.random() < 0.5 else ramp[None, :, None])
    arr = np.broadcast_to(arr, (size, size, 3))
    img = Image.fromarray(np.ascontiguousarray(np.clip(arr, 0, 255).astype(np.uint8)), "RGB")
    draw = ImageDraw.Draw(img)
    for _ in range(objects):
        color = tuple(rng.randint(20, 240) for _ in range(3))
        x0, y0 = rng.uniform(-0.2, 0.9) * size, rng.uniform(-0.2, 0.9) * size
        w, h = rng.uniform(0.1, 0.45) * size, rng.uniform(0.08, 0.45) * size
        box = [x0, y0, x0 + w, y0 + h]
        if rng.random() < 0.5:
            draw.rectangle(box, fill=color)
        else:
            draw.ellipse(box, fill=color)
    return img


def photograph(base28: np.ndarray, spec: dict, degradations: list[dict], size: int = 128) -> Image.Image:
    rgb, alpha = render_layers(base28, spec, size)
    layer = Image.fromarray(np.dstack([rgb, alpha * 255.0]).round().astype(np.uint8), "RGBA")
    background = Image.new("RGB", (size, size), (255, 255, 255))
    crop = None
    for d in degradations:
        t = d["type"]
        if t == "clutter":
            background = _clutter_background(size, int(d["objects"]), int(d["seed"]))
        elif t == "rotate":
            layer = layer.rotate(float(d["degrees"]), resample=Image.BICUBIC, expand=False)
        elif t == "crop":
            crop = d
    img = background.copy()
    if crop is not None:
        s = float(crop["scale"])
        n = max(8, int(round(size * s)))
        scaled = layer.resize((n, n), Image.BICUBIC)
        off = (size - n) // 2
        img.paste(scaled, (off, off), scaled)
        x0, y0, x1, y1 = (float(v) * size for v in crop["box"])
        img = img.crop((int(x0), int(y0), int(round(x1)), int(round(y1)))).resize((size, size), Image.BICUBIC)
    else:
        img.paste(layer, (0, 0), layer)
    for d in degradations:
        t = d["type"]
        if t == "lighting":
            arr = np.asarray(img, dtype=np.float32)
            mean = arr.mean()
            arr = (arr - mean) * float(d["contrast"]) + mean
            arr = arr * float(d["brightness"]) * np.asarray(d["tint"], dtype=np.float32)[None, None, :]
            img = Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")
        elif t == "blur":
            img = img.filter(ImageFilter.GaussianBlur(float(d["radius"])))
    return img


def jpeg_bytes(img: Image.Image, degradations: list[dict]) -> bytes:
    quality = next((int(d["quality"]) for d in degradations if d["type"] == "jpeg"), 85)
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=quality, optimize=False)
    return buf.getvalue()
