import re

import pytest

from seed.generator import vocab
from seed.generator.catalog import build_catalog, style_products
from seed.generator.fashion_mnist import load_split
from seed.generator.splits import SOURCE_OF

KEYS = ["id", "styleId", "split", "variant", "title", "description", "brand", "price", "currency", "inStock",
        "attributes", "image", "render"]
ATTRS = ["category", "group", "color", "colorFamily", "pattern", "material", "gender", "season", "occasion",
         "fit", "brand", "size"]
VISUAL = ("color", "pattern", "material")


@pytest.fixture(scope="module")
def labels():
    return {s: load_split(s)[1] for s in ("train", "test")}


def test_product_records_follow_the_format(products, labels):
    for p in products:
        assert list(p) == KEYS
        assert sorted(p["attributes"]) == sorted(ATTRS)
        assert all(isinstance(v, list) and v and all(isinstance(x, str) for x in v) for v in p["attributes"].values())
        split, idx, variant = re.fullmatch(r"p-(train|validation|test)-(\d{5})-([0-4])", p["id"]).groups()
        assert p["split"] == split and p["render"]["source"] == SOURCE_OF[split]
        assert p["styleId"] == f"s-{split}-{idx}" and p["variant"] == int(variant)
        assert p["render"]["index"] == int(idx)
        cat = vocab.CATEGORIES[labels[p["render"]["source"]][int(idx)]]
        assert p["attributes"]["category"] == [cat]
        assert p["attributes"]["group"] == [vocab.GROUP_OF[cat]]
        assert p["attributes"]["colorFamily"] == [vocab.COLOR_FAMILY[p["attributes"]["color"][0]]]
        assert p["render"]["color"] == list(vocab.COLOR_RGB[p["attributes"]["color"][0]])
        assert p["render"]["pattern"] == p["attributes"]["pattern"][0]
        assert p["render"]["material"] == p["attributes"]["material"][0]
        assert p["brand"] == p["attributes"]["brand"][0]
        assert p["currency"] == "EUR" and isinstance(p["inStock"], bool)
        assert p["price"] > 0 and round(p["price"], 2) == p["price"]
        assert p["image"] == f"images/{p['id']}.webp"
        code = {"train": "TR", "validation": "VA", "test": "TE"}[split] + f"{idx}-{variant}"
        assert p["description"].endswith(f"Art. no. {code}.")
        assert p["title"] and code not in p["title"]


def test_a_validation_product_is_the_train_product_it_would_have_been(products, labels):
    validation = [p for p in products if p["split"] == "validation"]
    assert len(validation) == 200
    for p in validation:
        index = p["render"]["index"]
        assert index % 12 == 11
        as_train = style_products("train", index, int(labels["train"][index]))[p["variant"]]
        code = f"{index:05d}-{p['variant']}"
        assert p["id"] == f"p-validation-{code}" and as_train["id"] == f"p-train-{code}"
        assert p["description"] == as_train["description"].replace(f"TR{code}", f"VA{code}")
        for k in ("title", "price", "inStock", "attributes", "render", "brand", "variant"):
            assert p[k] == as_train[k], k


def test_variants_change_exactly_one_visual_attribute(products):
    styles = {}
    for p in products:
        styles.setdefault(p["styleId"], []).append(p)
    kinds = set()
    for variants in styles.values():
        variants.sort(key=lambda p: p["variant"])
        assert [p["variant"] for p in variants] == [0, 1, 2, 3, 4]
        base = variants[0]
        seen = set()
        for v in variants[1:]:
            diff = [a for a in VISUAL if v["attributes"][a] != base["attributes"][a]]
            assert len(diff) == 1, (v["id"], diff)
            kind = diff[0]
            if kind == "color":
                same_family = v["attributes"]["colorFamily"] == base["attributes"]["colorFamily"]
                kind = "shade" if same_family else "color"
                if same_family:
                    assert v["attributes"]["color"][0] in vocab.shade_neighbours(base["attributes"]["color"][0]).values()
            seen.add(kind)
            for a in ("category", "gender", "season", "occasion", "fit", "brand", "size"):
                assert v["attributes"][a] == base["attributes"][a]
            assert v["render"]["seed"] == base["render"]["seed"]
        assert seen == {"color", "shade", "pattern", "material"}
        kinds |= seen


def test_attribute_coverage(products):
    values = {}
    for p in products:
        for k, vs in p["attributes"].items():
            values.setdefault(k, set()).update(vs)
    assert len(values["color"]) >= 14
    assert len(values["pattern"]) >= 6
    assert len(values["material"]) >= 6
    assert len(values["category"]) == 10 and len(values["group"]) == 6
    assert len(values) >= 8
    assert sum(len(v) for v in values.values()) >= 90
    assert len(vocab.COLORS) >= 14 and len(vocab.PATTERNS) >= 6 and len(vocab.MATERIALS) >= 6


def test_every_colour_has_a_darker_or_lighter_shade():
    for c in vocab.COLORS:
        assert vocab.shade_neighbours(c), c


def test_titles_are_not_all_canonical(products):
    # titles use synonyms: a fair share does not contain the canonical colour name
    missing = sum(p["attributes"]["color"][0] not in p["title"].lower() for p in products)
    assert missing > len(products) * 0.1


def test_same_product_in_every_profile(products, labels):
    smoke = {p["id"]: p for p in products}
    for split in ("train", "validation", "test"):
        for p in [p for p in products if p["split"] == split][:10]:
            index = p["render"]["index"]
            again = style_products(split, index, int(labels[SOURCE_OF[split]][index]))[p["variant"]]
            assert again == smoke[p["id"]]


def test_unknown_profile_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown profile 'huge'"):
        build_catalog("huge")
