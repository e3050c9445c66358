"""Simulated phone photographs of products, in two families of degradations.

- In-distribution family (queries/realshot-indist-{split}): a cluttered background of coloured
  rectangles and ellipses, rotation, crop and zoom, global lighting (brightness, contrast, tint),
  Gaussian blur; the kinds and ranges training/augment.py imitates. Saved as JPEG at quality 35-75
  without chroma subsampling (4:4:4), the one step training does not imitate.
- Held-out family (queries/realshot-{split}), the main real-shot set: a perspective warp, shading that
  varies across the whole photo (garment included) with a soft cast shadow, motion blur, skin-toned
  finger-like occluders and a low-quality JPEG with 4:2:0 chroma subsampling. Training imitates none
  of these; it may import HELDOUT_FAMILY and SKIN_TONES to keep its augmentations disjoint. Besides,
  a held-out photo lies on a plain muted `surface` and may be mildly cropped: training does imitate a
  plain background and framing.

A photo query records its steps with their parameters. `photograph` applies them in their listed
order: scene steps first (background, the garment's geometry, framing), then steps over the whole
photo; the JPEG step, always last, is applied when saving (`jpeg_bytes`).
"""

from __future__ import annotations

import colorsys
import io
import math
import random

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from .render import render_layers
from .splits import STREAM
from .streams import rng as stream

HELDOUT_FAMILY = ("perspective", "shading", "motion-blur", "occlusion", "jpeg")
IN_DISTRIBUTION_FAMILY = ("clutter", "rotate", "crop", "lighting", "blur", "jpeg")  # in the order applied
FAMILIES = {"in-distribution": ("rqi", "queries/realshot-indist"), "held-out": ("rq", "queries/realshot")}

# The ten tones of the Monk Skin Tone scale (Ellis Monk; published by Google in 2022), lightest to
# darkest. Occluder skin is drawn on the segments between neighbouring tones, so every skin colour of a
# held-out photo lies on the polyline through these ten RGB points.
SKIN_TONES = [(246, 237, 228), (243, 231, 219), (247, 234, 208), (234, 218, 186), (215, 189, 150),
              (160, 126, 86), (130, 92, 67), (96, 65, 52), (58, 49, 42), (41, 36, 32)]

JPEG_SUBSAMPLING = {"4:4:4": 0, "4:2:2": 1, "4:2:0": 2}


# --------------------------------------------------------------------------- drawing the steps
def skin_tone(rng: random.Random) -> list[int]:
    """A skin colour between two neighbouring tones of SKIN_TONES."""
    i = rng.randrange(len(SKIN_TONES) - 1)
    t = rng.random()
    return [int(round(a + (b - a) * t)) for a, b in zip(SKIN_TONES[i], SKIN_TONES[i + 1])]


def _muted_color(rng: random.Random) -> list[int]:
    """A table, floor or bed-sheet colour: any hue, little saturation, mid to light value."""
    r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.06, 0.3), rng.uniform(0.5, 0.85))
    return [int(round(255 * x)) for x in (r, g, b)]


def _crop(rng: random.Random, widths: tuple[float, float], scales: tuple[float, float]) -> dict:
    w = rng.uniform(*widths)
    x0 = rng.random() * (1 - w)
    y0 = rng.random() * (1 - w)
    return {"type": "crop", "box": [round(x0, 4), round(y0, 4), round(x0 + w, 4), round(y0 + w, 4)],
            "scale": round(rng.uniform(*scales), 3)}


def draw_in_distribution(rng: random.Random) -> list[dict]:
    """Crop, two to four of rotate / clutter / lighting / blur, then JPEG."""
    steps = [_crop(rng, (0.72, 0.97), (0.75, 1.25))]
    for kind in rng.sample(["rotate", "clutter", "lighting", "blur"], rng.randint(2, 4)):
        if kind == "rotate":
            steps.append({"type": "rotate", "degrees": round(rng.uniform(-25, 25), 2)})
        elif kind == "clutter":
            steps.append({"type": "clutter", "objects": rng.randint(3, 9), "seed": rng.getrandbits(31)})
        elif kind == "lighting":
            steps.append({"type": "lighting", "brightness": round(rng.uniform(0.65, 1.3), 3),
                          "contrast": round(rng.uniform(0.7, 1.2), 3),
                          "tint": [round(rng.uniform(0.88, 1.12), 3) for _ in range(3)]})
        else:
            steps.append({"type": "blur", "radius": round(rng.uniform(0.6, 1.8), 2)})
    steps.sort(key=lambda d: IN_DISTRIBUTION_FAMILY.index(d["type"]))
    steps.append({"type": "jpeg", "quality": rng.randint(35, 75), "subsampling": "4:4:4"})
    return steps


def draw_held_out(rng: random.Random) -> list[dict]:
    """A plain surface, perspective and shading always, two or three of motion blur, occlusion and a
    mild crop, then a chroma-subsampled JPEG."""
    optional = set(rng.sample(["motion-blur", "occlusion", "crop"], rng.randint(2, 3)))
    steps = [{"type": "surface", "rgb": _muted_color(rng)},
             {"type": "perspective", "corners": [[round(rng.uniform(-0.12, 0.12), 4) for _ in range(2)]
                                                 for _ in range(4)]}]
    if "crop" in optional:
        steps.append(_crop(rng, (0.84, 0.97), (0.85, 1.1)))
    if "occlusion" in optional:
        steps.append({"type": "occlusion", "shapes": rng.randint(1, 3), "coverage": round(rng.uniform(0.05, 0.2), 3),
                      "skin": skin_tone(rng), "seed": rng.getrandbits(31)})
    if rng.random() < 0.5:
        shadow = {"shape": "ellipse", "center": [round(rng.uniform(0.1, 0.9), 3) for _ in range(2)],
                  "axes": [round(rng.uniform(0.2, 0.5), 3), round(rng.uniform(0.1, 0.3), 3)]}
    else:
        shadow = {"shape": "band", "center": [round(rng.uniform(0.2, 0.8), 3) for _ in range(2)],
                  "width": round(rng.uniform(0.12, 0.35), 3)}
    shadow.update(angle=round(rng.uniform(0, 180), 1), strength=round(rng.uniform(0.25, 0.45), 3),
                  softness=round(rng.uniform(0.03, 0.08), 3))
    steps.append({"type": "shading", "angle": round(rng.uniform(0, 360), 1), "from": round(rng.uniform(0.55, 0.75), 3),
                  "to": round(rng.uniform(0.95, 1.15), 3), "shadow": shadow})
    if "motion-blur" in optional:
        steps.append({"type": "motion-blur", "length": rng.randint(3, 9), "angle": round(rng.uniform(0, 180), 1)})
    steps.append({"type": "jpeg", "quality": rng.randint(20, 45), "subsampling": "4:2:0"})
    return steps


def realshot_queries(split: str, products: list[dict], n: int, family: str) -> list[dict]:
    """`n` photo queries of one family, each of a distinct product of the split, in catalogue order."""
    prefix, folder = FAMILIES[family]
    rng = stream(300, list(FAMILIES).index(family), STREAM[split])
    draw = draw_held_out if family == "held-out" else draw_in_distribution
    out = []
    for i, pi in enumerate(sorted(rng.sample(range(len(products)), min(n, len(products))))):
        p = products[pi]
        qid = f"{prefix}-{split}-{i:05d}"
        out.append({"id": qid, "split": split, "productId": p["id"], "image": f"{folder}/{qid}.jpg",
                    "family": family, "degradations": draw(rng), "render": dict(p["render"])})
    return out


# --------------------------------------------------------------------------- applying them
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


def _perspective(layer: Image.Image, corners: list[list[float]]) -> Image.Image:
    """The layer seen at an angle: its corners (top-left, top-right, bottom-right, bottom-left) moved by
    `corners` (fractions of the size); uncovered pixels are transparent."""
    size = layer.size[0]
    src = [(0.0, 0.0), (size, 0.0), (size, size), (0.0, size)]
    dst = [(x + dx * size, y + dy * size) for (x, y), (dx, dy) in zip(src, corners)]
    # PIL maps each output pixel (x, y) to the input ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (...)).
    a = np.zeros((8, 8))
    b = np.zeros(8)
    for i, ((xd, yd), (xs, ys)) in enumerate(zip(dst, src)):
        a[2 * i] = [xd, yd, 1, 0, 0, 0, -xd * xs, -yd * xs]
        a[2 * i + 1] = [0, 0, 0, xd, yd, 1, -xd * ys, -yd * ys]
        b[2 * i], b[2 * i + 1] = xs, ys
    coeffs = np.linalg.solve(a, b)
    return layer.transform((size, size), Image.PERSPECTIVE, tuple(float(c) for c in coeffs), Image.BICUBIC)


def _compose(background: Image.Image, layer: Image.Image, crop: dict | None) -> tuple[Image.Image, np.ndarray]:
    """The garment layer over the background, framed by `crop` (the garment scaled about the centre,
    then the box cut out and resized back); with the garment's alpha in the photo's coordinates."""
    size = background.size[0]
    img = background.copy()
    alpha = Image.new("L", (size, size), 0)
    if crop is None:
        img.paste(layer, (0, 0), layer)
        alpha.paste(layer.getchannel("A"), (0, 0))
    else:
        n = max(8, int(round(size * float(crop["scale"]))))
        scaled = layer.resize((n, n), Image.BICUBIC)
        off = (size - n) // 2
        img.paste(scaled, (off, off), scaled)
        alpha.paste(scaled.getchannel("A"), (off, off))
        x0, y0, x1, y1 = (float(v) * size for v in crop["box"])
        box = (int(x0), int(y0), int(round(x1)), int(round(y1)))
        img = img.crop(box).resize((size, size), Image.BICUBIC)
        alpha = alpha.crop(box).resize((size, size), Image.BICUBIC)
    return img, np.asarray(alpha, dtype=np.float32) / 255.0


def _soft_mask(size: int, draw_shapes, supersample: int = 4) -> np.ndarray:
    """An anti-aliased mask in 0..1: `draw_shapes(draw, scale)` draws in white on a canvas
    `supersample` times larger (coordinates multiplied by `scale`)."""
    canvas = Image.new("L", (size * supersample, size * supersample), 0)
    draw_shapes(ImageDraw.Draw(canvas), supersample)
    return np.asarray(canvas.resize((size, size), Image.BOX), dtype=np.float32) / 255.0


def _fingers(size: int, anchor: tuple[float, float], angle: float, width: float, aspect: float,
             count: int) -> np.ndarray:
    """`count` side-by-side capsules (rounded at both ends) with their tips near `anchor`, pointing
    along `angle`: fingers reaching over the garment; a single one is a thumb or the edge of a palm."""
    ux, uy = math.cos(angle), math.sin(angle)
    px, py = -uy, ux
    lengths = (1.0, 0.92, 0.84)

    def draw(d: ImageDraw.ImageDraw, s: int) -> None:
        for j in range(count):
            off = (j - (count - 1) / 2) * width * 1.05
            tip = (anchor[0] + px * off, anchor[1] + py * off)
            length = aspect * width * lengths[j]
            base = (tip[0] - ux * length, tip[1] - uy * length)
            r = width / 2
            d.line([(tip[0] * s, tip[1] * s), (base[0] * s, base[1] * s)], fill=255, width=max(1, round(width * s)))
            for x, y in (tip, base):
                d.ellipse([(x - r) * s, (y - r) * s, (x + r) * s, (y + r) * s], fill=255)

    return _soft_mask(size, draw)


def occluder(size: int, garment: np.ndarray, step: dict) -> np.ndarray:
    """Soft mask (0..1) of the finger-like shapes of an `occlusion` step, sized so that they cover
    about `coverage` of the garment (pixels where `garment` > 0.5)."""
    rng = random.Random(int(step["seed"]))
    inside = garment > 0.5
    area = float(inside.sum())
    if area == 0:
        return np.zeros((size, size), dtype=np.float32)
    ys, xs = np.nonzero(inside)
    k = rng.randrange(len(ys))
    anchor = (xs[k] + 0.5, ys[k] + 0.5)
    angle = rng.uniform(0, 2 * math.pi)
    aspect = rng.uniform(1.8, 4.0)
    count = int(step["shapes"])
    target = float(step["coverage"])
    width = math.sqrt(target * area / (count * (aspect + math.pi / 4)))
    for _ in range(5):  # shapes reaching off the garment cover less of it: widen until the cover is right
        shape = _fingers(size, anchor, angle, width, aspect, count)
        cover = float((shape * inside).sum()) / area
        if abs(cover / target - 1.0) < 0.1:
            break
        width *= min(2.0, math.sqrt(target / max(cover, 1e-3)))
    return shape


def _occlude(img: Image.Image, garment: np.ndarray, step: dict) -> Image.Image:
    shape = occluder(img.size[0], garment, step)
    core = np.asarray(Image.fromarray((shape * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1.5)),
                      dtype=np.float32) / 255.0
    skin = np.asarray(step["skin"], dtype=np.float32)[None, None, :] * (0.8 + 0.25 * core)[..., None]
    arr = np.asarray(img, dtype=np.float32)
    out = arr * (1 - shape[..., None]) + skin * shape[..., None]
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


def _shadow(size: int, shadow: dict) -> np.ndarray:
    """Soft mask (0..1) of a cast shadow: a rotated ellipse or a band across the photo, blurred."""
    cx, cy = (float(v) * size for v in shadow["center"])
    th = math.radians(float(shadow["angle"]))
    ux, uy, px, py = math.cos(th), math.sin(th), -math.sin(th), math.cos(th)
    if shadow["shape"] == "ellipse":
        ax, by = (float(v) * size / 2 for v in shadow["axes"])
        ts = np.linspace(0, 2 * math.pi, 64, endpoint=False)
        pts = [(cx + ax * math.cos(t) * ux + by * math.sin(t) * px, cy + ax * math.cos(t) * uy + by * math.sin(t) * py)
               for t in ts]
    else:
        half, far = float(shadow["width"]) * size / 2, 2.0 * size
        pts = [(cx + sx * far * ux + sy * half * px, cy + sx * far * uy + sy * half * py)
               for sx, sy in ((-1, -1), (1, -1), (1, 1), (-1, 1))]
    mask = _soft_mask(size, lambda d, s: d.polygon([(x * s, y * s) for x, y in pts], fill=255))
    blurred = Image.fromarray((mask * 255).astype(np.uint8)).filter(
        ImageFilter.GaussianBlur(float(shadow["softness"]) * size))
    return np.asarray(blurred, dtype=np.float32) / 255.0


def _shade(img: Image.Image, step: dict) -> Image.Image:
    """Light falling off across the whole photo, from `from` to `to` along `angle`, and a cast shadow
    darkening by `strength`."""
    size = img.size[0]
    c = (np.arange(size, dtype=np.float32) + 0.5) / size - 0.5
    th = math.radians(float(step["angle"]))
    reach = (abs(math.cos(th)) + abs(math.sin(th))) / 2
    t = (c[None, :] * math.cos(th) + c[:, None] * math.sin(th) + reach) / (2 * reach)
    factor = float(step["from"]) + (float(step["to"]) - float(step["from"])) * t
    factor = factor * (1.0 - float(step["shadow"]["strength"]) * _shadow(size, step["shadow"]))
    arr = np.asarray(img, dtype=np.float32) * factor[..., None]
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")


def motion_kernel(length: int, angle: float) -> np.ndarray:
    """A normalised line kernel `length` pixels long at `angle` degrees (camera shake): the nearest
    pixel of each of many evenly spaced points along the line gets an equal share."""
    m = length if length % 2 else length + 1
    c = (m - 1) / 2
    n = 64 * length
    t = (np.arange(n) + 0.5) * (length / n) - length / 2
    th = math.radians(angle)
    xs = np.clip(np.rint(c + t * math.cos(th)), 0, m - 1).astype(int)
    ys = np.clip(np.rint(c + t * math.sin(th)), 0, m - 1).astype(int)
    k = np.zeros((m, m), dtype=np.float32)
    np.add.at(k, (ys, xs), 1.0)
    return k / k.sum()


def _motion_blur(img: Image.Image, step: dict) -> Image.Image:
    k = motion_kernel(int(step["length"]), float(step["angle"]))
    r = k.shape[0] // 2
    arr = np.asarray(img, dtype=np.float32)
    h, w = arr.shape[:2]
    padded = np.pad(arr, ((r, r), (r, r), (0, 0)), mode="edge")
    out = np.zeros_like(arr)
    for i, j in zip(*np.nonzero(k)):
        out += k[i, j] * padded[i:i + h, j:j + w]
    return Image.fromarray(np.clip(out + 0.5, 0, 255).astype(np.uint8), "RGB")


def _lighting(img: Image.Image, step: dict) -> Image.Image:
    arr = np.asarray(img, dtype=np.float32)
    mean = arr.mean()
    arr = (arr - mean) * float(step["contrast"]) + mean
    arr = arr * float(step["brightness"]) * np.asarray(step["tint"], dtype=np.float32)[None, None, :]
    return Image.fromarray(np.clip(arr + 0.5, 0, 255).astype(np.uint8), "RGB")


def photograph(base28: np.ndarray, spec: dict, degradations: list[dict], size: int = 128) -> Image.Image:
    """The product of render spec `spec` photographed with the steps `degradations` (JPEG excepted)."""
    rgb, alpha = render_layers(base28, spec, size)
    layer = Image.fromarray(np.dstack([rgb, alpha * 255.0]).round().astype(np.uint8), "RGBA")
    background = Image.new("RGB", (size, size), (255, 255, 255))
    crop = None
    for d in degradations:
        t = d["type"]
        if t == "clutter":
            background = _clutter_background(size, int(d["objects"]), int(d["seed"]))
        elif t == "surface":
            background = Image.new("RGB", (size, size), tuple(int(v) for v in d["rgb"]))
        elif t == "rotate":
            layer = layer.rotate(float(d["degrees"]), resample=Image.BICUBIC, expand=False)
        elif t == "perspective":
            layer = _perspective(layer, d["corners"])
        elif t == "crop":
            crop = d
        elif t not in ("lighting", "blur", "occlusion", "shading", "motion-blur", "jpeg"):
            raise ValueError(f"unknown degradation {t!r}")
    img, garment = _compose(background, layer, crop)
    for d in degradations:
        t = d["type"]
        if t == "lighting":
            img = _lighting(img, d)
        elif t == "blur":
            img = img.filter(ImageFilter.GaussianBlur(float(d["radius"])))
        elif t == "occlusion":
            img = _occlude(img, garment, d)
        elif t == "shading":
            img = _shade(img, d)
        elif t == "motion-blur":
            img = _motion_blur(img, d)
    return img


def jpeg_bytes(img: Image.Image, degradations: list[dict]) -> bytes:
    """The photo as JPEG, with the quality and chroma subsampling of its `jpeg` step."""
    step = next(d for d in degradations if d["type"] == "jpeg")
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(step["quality"]), subsampling=JPEG_SUBSAMPLING[step["subsampling"]],
             optimize=False)
    return buf.getvalue()
