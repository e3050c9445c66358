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


def test_letterbox_fits_inside_and_centres_on_white_like_sharp_contain():
    from PIL import Image

    from training.data import letterbox

    wide = Image.new("RGB", (64, 32), (200, 10, 10))
    out = letterbox(wide, 32)
    assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    assert (out[:8] == 255).all() and (out[24:] == 255).all()  # white bars above and below
    assert np.abs(out[12:20].astype(int) - [200, 10, 10]).max() <= 2
    clear = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    assert (letterbox(clear, 32) == 255).all()  # transparency flattened onto white


def test_realshot_inputs_are_the_catalogue_photos_at_model_size():
    import io

    from PIL import Image

    from seed.generator import fashion_mnist
    from seed.generator.realshot import jpeg_bytes, photograph
    from training.data import letterbox, realshot_inputs

    row = build_catalog("smoke", splits=("validation",)).realshot["validation"][0]
    got = realshot_inputs([row], 32)
    spec = row["render"]
    photo = photograph(fashion_mnist.load_split("train")[0][spec["index"]], spec, row["degradations"], 128)
    want = letterbox(Image.open(io.BytesIO(jpeg_bytes(photo, row["degradations"]))), 32)
    assert got.shape == (1, 32, 32, 3) and np.array_equal(got[0], want)
    # a degraded photo, far from the clean render the gallery holds
    from seed.generator.render import render

    clean = render(fashion_mnist.load_split("train")[0][spec["index"]], spec, 32)
    assert np.abs(got[0].astype(int) - clean.astype(int)).mean() > 10
