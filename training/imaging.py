"""Image decoding shared by the seed pipeline and catalogue training, without the seed generator."""
from __future__ import annotations

import numpy as np
from PIL import Image


def letterbox(img: Image.Image, size: int) -> np.ndarray:
    """uint8 [size,size,3]: the image resized to fit inside size x size (Lanczos 3), centred on
    white, as the server's sharp pipeline does for `fit: contain` (models/README.md, Inputs). A
    JPEG is first decoded at the smallest DCT scale of at least twice the target (libjpeg scaling,
    what sharp's shrink-on-load does): on the real-shot photos this lands within a fraction of a
    grey level of sharp's pixels."""
    if img.format == "JPEG":
        img.draft("RGB", (2 * size, 2 * size))
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, (0, 0), rgba)
        img = flat
    img = img.convert("RGB")
    w, h = img.size
    scale = size / max(w, h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    out = Image.new("RGB", (size, size), (255, 255, 255))
    out.paste(img.resize((nw, nh), Image.LANCZOS), ((size - nw) // 2, (size - nh) // 2))
    return np.asarray(out, dtype=np.uint8)
