import numpy as np
import pytest
from PIL import Image

from seed.generator import vocab
from seed.generator.fashion_mnist import load_split
from seed.generator.render import _base_layers, render

PALETTE = np.array([vocab.COLOR_RGB[c] for c in vocab.COLORS], dtype=np.float32)


def _dominant(img: np.ndarray, base28: np.ndarray) -> str:
    alpha = _base_layers(np.ascontiguousarray(base28).tobytes(), img.shape[0])[1]
    inside = img[alpha > 0.95].astype(np.float32)
    med = np.median(inside, axis=0)
    return vocab.COLORS[int(np.argmin(((PALETTE - med) ** 2).sum(axis=1)))]


@pytest.mark.parametrize("size", [32, 96])
def test_rendered_pixels_agree_with_the_stated_colour(products, bases, size):
    solid = [p for p in products if p["attributes"]["pattern"] == ["solid"]]
    assert len(solid) > 50
    wrong = []
    for p in solid:
        base = bases[p["render"]["source"]][p["render"]["index"]]
        img = render(base, p["render"], size)
        if _dominant(img, base) != p["attributes"]["color"][0]:
            wrong.append(p["id"])
    assert wrong == []


def test_webp_renders_keep_the_colour(smoke_dir, products, bases):
    solid = [p for p in products if p["attributes"]["pattern"] == ["solid"]][:60]
    for p in solid:
        img = np.asarray(Image.open(smoke_dir / p["image"]).convert("RGB"))
        assert img.shape == (96, 96, 3)
        assert _dominant(img, bases[p["render"]["source"]][p["render"]["index"]]) == p["attributes"]["color"][0], p["id"]


def test_render_is_deterministic_white_background_and_smooth():
    images, _ = load_split("test")
    spec = {"source": "test", "index": 0, "color": [28, 38, 92], "pattern": "stripes", "material": "denim", "seed": 7}
    a = render(images[0], spec, 96)
    b = render(images[0].copy(), dict(spec), 96)
    assert a.dtype == np.uint8 and a.shape == (96, 96, 3)
    assert np.array_equal(a, b)
    assert (a[0, 0] == 255).all() and (a[-1, -1] == 255).all()
    # smooth upsampling: the garment edge is anti-aliased (intermediate values), not 28-pixel blocks
    grey = a.astype(np.float32).mean(axis=2)
    assert ((grey > 60) & (grey < 240)).sum() > 200
    blocks = a[: 96 - 96 % 24].reshape(24, 4, 96, 3)
    assert not all(np.array_equal(blocks[i, 0], blocks[i, 1]) for i in range(24))


def test_variants_look_different():
    images, _ = load_split("test")
    base = {"source": "test", "index": 3, "color": list(vocab.COLOR_RGB["red"]), "pattern": "solid",
            "material": "cotton", "seed": 11}
    ref = render(images[3], base, 64).astype(np.int32)
    for change in ({"pattern": p} for p in vocab.PATTERNS[1:]):
        other = render(images[3], {**base, **change}, 64).astype(np.int32)
        assert np.abs(other - ref).mean() > 3, change
    for m in vocab.MATERIALS[1:]:
        other = render(images[3], {**base, "material": m}, 64).astype(np.int32)
        assert np.abs(other - ref).mean() > 1, m


def test_bad_input_is_rejected_with_a_clear_message():
    images, _ = load_split("test")
    spec = {"source": "test", "index": 0, "color": [1, 2, 3], "pattern": "solid", "material": "cotton", "seed": 1}
    with pytest.raises(ValueError, match="28x28"):
        render(np.zeros((10, 10), np.uint8), spec, 32)
    with pytest.raises(ValueError, match="unknown pattern"):
        render(images[0], {**spec, "pattern": "paisley"}, 32)
    with pytest.raises(ValueError, match="unknown material"):
        render(images[0], {**spec, "material": "steel"}, 32)
    with pytest.raises(ValueError, match="size"):
        render(images[0], spec, 3)
