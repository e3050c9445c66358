import re

import pytest

from conftest import read_jsonl, read_qrels
from seed.generator import catalog, fashion_mnist
from seed.generator.catalog import build_catalog, select_styles

SPLITS = ("train", "validation", "test")


def _product_refs(row):
    """Every product id a row of any evaluation file mentions."""
    ids = []
    for k in ("productId", "referenceId", "targetId", "answer"):
        if k in row:
            ids.append(row[k])
    for k in ("shown", "items", "candidates", "targetIds"):
        ids.extend(row.get(k, []))
    ids.extend(c["productId"] for c in row.get("clicks", []))
    return ids


def _file_split(path):
    """The split a per-split file is named after (None for the outfit files, which hold every split)."""
    m = re.fullmatch(r"(?:text|composed|realshot|realshot-indist)-(train|validation|test)(?:-meaning)?|"
                     r"(train|validation|test)", path.stem)
    return (m.group(1) or m.group(2)) if m else None


def test_every_row_refers_to_its_own_split_only(smoke_dir, by_id):
    files = [f for f in smoke_dir.rglob("*.jsonl") if f.name != "products.jsonl"]
    assert len(files) == 16
    for f in files:
        named = _file_split(f)
        assert named is not None or f.parent.name == "outfits", f
        for row in read_jsonl(f):
            split = row["split"]
            assert split in SPLITS
            assert named in (None, split), (f, row.get("id"))
            for key in ("id", "searchId", "queryId"):
                if key in row:
                    assert f"-{split}-" in row[key], (f.name, row[key])
            for pid in _product_refs(row):
                assert by_id[pid]["split"] == split, (f.name, row.get("id"), pid)
    qrels = list(smoke_dir.rglob("*.qrels"))
    assert len(qrels) == 11
    for f in qrels:
        split = _file_split(f)
        for qid, pid, _ in read_qrels(f):
            assert by_id[pid]["split"] == split and f"-{split}-" in qid, (f.name, qid, pid)


def test_validation_styles_are_train_images_set_aside(by_id):
    styles = {s: {p["render"]["index"] for p in by_id.values() if p["split"] == s} for s in SPLITS}
    assert all(len(v) == 40 for v in styles.values())  # smoke: 4 styles per class in each split
    assert all(i % 12 == 11 for i in styles["validation"])
    assert not any(i % 12 == 11 for i in styles["train"])
    assert not styles["train"] & styles["validation"]
    ids = {s: {p["styleId"] for p in by_id.values() if p["split"] == s} for s in SPLITS}
    assert not ids["validation"] & (ids["train"] | ids["test"])


def test_split_sizes_of_the_full_catalogue():
    train, validation = select_styles("train", None), select_styles("validation", None)
    assert (len(train), len(validation), len(select_styles("test", None))) == (55_000, 5_000, 10_000)
    assert not set(train) & set(validation) and set(train) | set(validation) == set(range(60_000))
    _, labels = fashion_mnist.load_split("train")
    first = select_styles("validation", 4)
    assert [int(labels[i]) for i in first].count(0) == 4 and first == sorted(first)


def test_building_train_and_validation_never_reads_the_test_split(monkeypatch):
    load_split, style_products = fashion_mnist.load_split, catalog.style_products

    def guarded_load(split):
        if split == "test":
            raise AssertionError("the test split was read")
        return load_split(split)

    def guarded_style(split, index, label):
        if split == "test":
            raise AssertionError("a test product was made")
        return style_products(split, index, label)

    monkeypatch.setattr(fashion_mnist, "load_split", guarded_load)
    monkeypatch.setattr(catalog, "style_products", guarded_style)
    cat = build_catalog("smoke", splits=("train", "validation"))
    assert cat.splits == ("train", "validation")
    assert {p["split"] for p in cat.products} == {"train", "validation"}
    assert set(cat.text_queries) == set(cat.composed) == set(cat.clicks) == {"train", "validation"}
    assert set(cat.realshot) == set(cat.realshot_indist) == {"validation"}
    assert {o["split"] for rows in cat.outfits.values() for o in rows} == {"train", "validation"}
    with pytest.raises(AssertionError, match="test split was read"):
        build_catalog("smoke", splits=("test",))


def test_splits_argument_is_checked():
    with pytest.raises(ValueError, match="unknown split"):
        build_catalog("smoke", splits=("dev",))
    assert build_catalog("demo", splits=("train",)).products == []  # the demo holds no train split
