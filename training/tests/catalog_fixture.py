"""A small shop catalogue in the server's ingest format whose attribute names and values are not
the seed's: German `farbe` (the colour of the drawn shape) and `schnitt` (its outline), a
many-valued `groesse`, a `marke` with many values and a rare `saison`; images of several sizes and
formats drawn with Pillow."""
from __future__ import annotations

import json
import os
import random

from PIL import Image, ImageDraw, features

FARBEN = {"rot": (200, 30, 30), "blau": (30, 60, 200), "grün": (30, 150, 50), "gelb": (235, 200, 30)}
SCHNITTE = ("kleid", "hose", "jacke")  # drawn as a triangle, two legs, a box with sleeves
MARKEN = [f"Marke{k}" for k in range(40)]
WORTE = ("bequem", "leicht", "elegant", "klassisch", "sportlich", "weich", "robust", "modern")
SIZES = ((120, 90), (300, 400), (200, 200), (64, 128))


def _draw(farbe: str, schnitt: str, size, r: random.Random) -> Image.Image:
    w, h = size
    img = Image.new("RGB", size, (255, 255, 255))
    d = ImageDraw.Draw(img)
    c = tuple(max(0, min(255, v + r.randint(-25, 25))) for v in FARBEN[farbe])
    s = min(w, h) * r.uniform(0.35, 0.45)
    cx, cy = w / 2 + r.uniform(-0.05, 0.05) * w, h / 2 + r.uniform(-0.05, 0.05) * h
    if schnitt == "kleid":
        d.polygon([(cx, cy - s), (cx - s, cy + s), (cx + s, cy + s)], fill=c)
    elif schnitt == "hose":
        d.rectangle([cx - s * 0.7, cy - s, cx + s * 0.7, cy - s * 0.5], fill=c)
        d.rectangle([cx - s * 0.7, cy - s, cx - s * 0.1, cy + s], fill=c)
        d.rectangle([cx + s * 0.1, cy - s, cx + s * 0.7, cy + s], fill=c)
    else:
        d.rectangle([cx - s * 0.5, cy - s * 0.8, cx + s * 0.5, cy + s * 0.8], fill=c)
        d.rectangle([cx - s, cy - s * 0.8, cx + s, cy - s * 0.3], fill=c)
    return img


def make_catalog(directory: str, n: int = 300, seed: int = 5) -> str:
    r = random.Random(seed)
    os.makedirs(os.path.join(directory, "bilder"), exist_ok=True)
    with open(os.path.join(directory, "products.jsonl"), "w", encoding="utf-8") as f:
        for i in range(n):
            farbe, schnitt = r.choice(sorted(FARBEN)), r.choice(SCHNITTE)
            marke = r.choice(MARKEN)
            size = SIZES[i % len(SIZES)]
            ext = ("png", "jpg", "webp" if features.check("webp") else "gif")[i % 3]
            rel = f"bilder/artikel-{i:04d}.{ext}"
            img = _draw(farbe, schnitt, size, r)
            if i % 10 == 4:  # a transparent background, which the server flattens onto white
                img = img.convert("RGBA")
                img.putalpha(img.convert("L").point(lambda v: 0 if v > 250 else 255))
                rel = rel.rsplit(".", 1)[0] + ".png"
            img.save(os.path.join(directory, rel))
            attrs = {"farbe": [farbe], "schnitt": [schnitt], "marke": [marke],
                     "groesse": r.sample(["34", "36", "38", "40", "42"], 3)}
            if i % 25 == 0:
                attrs["saison"] = ["sommer"]
            words = r.sample(WORTE, 2)
            p = {"id": f"art-{i:04d}", "title": f"{marke} {schnitt} in {farbe}",
                 "description": f"Ein {words[0]}er und {words[1]}er Artikel von {marke}. Farbe {farbe}.",
                 "brand": marke, "price": round(r.uniform(10, 200), 2), "currency": "EUR", "inStock": True,
                 "image": rel, "attributes": attrs}
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    return directory


if __name__ == "__main__":
    import sys

    make_catalog(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300)
