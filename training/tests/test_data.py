import hashlib

import numpy as np

from seed.generator import writer
from seed.generator.catalog import build_catalog
from training.data import modifier_text, product_text, split_hash


def test_split_hash_is_the_seed_manifest_data_hash():
    products = build_catalog("smoke").products_of("train")
    h = hashlib.sha256()
    for p in products:
        h.update(writer._line(p).encode("utf-8"))
    assert split_hash(products) == "sha256:" + h.hexdigest()


def test_product_text_is_title_dot_description():
    assert product_text({"title": "Red dress", "description": "A dress."}) == "Red dress. A dress."


def test_modifier_text_names_the_new_value():
    rng = np.random.default_rng(0)
    texts = [modifier_text({"attribute": "material", "from": "cotton", "to": "leather"}, rng) for _ in range(20)]
    assert all(isinstance(t, str) and t for t in texts)
    assert sum("leather" in t or "nappa" in t for t in texts) >= 15
    shade = modifier_text({"attribute": "color", "from": "red", "to": "burgundy"}, rng)
    assert any(w in shade for w in ("dark", "deep", "shade", "tone", "pale", "light"))
