import pytest

from conftest import read_jsonl, read_qrels
from seed.generator.composed import exact_qrels
from seed.generator.vocab import COLOR_FAMILY, shade_neighbours

SPLITS = ("train", "validation", "test")
VISUAL = ("color", "pattern", "material")
KEYS = {
    "sibling": ["id", "split", "referenceId", "modifier", "targetId", "targetIds", "change", "changes", "kind", "target"],
    "cross-style": ["id", "split", "referenceId", "modifier", "targetIds", "change", "changes", "kind", "target"],
    "two-attribute": ["id", "split", "referenceId", "modifier", "targetIds", "changes", "kind", "target"],
}


def _asked(ref, row):
    """The reference's category and visual values with the row's changes applied."""
    values = {a: ref["attributes"][a][0] for a in ("category",) + VISUAL}
    values.update({c["attribute"]: c["to"] for c in row["changes"]})
    return values


@pytest.mark.parametrize("split", SPLITS)
def test_sibling_targets_differ_exactly_in_the_stated_attribute(smoke_dir, by_id, split):
    rows = [r for r in read_jsonl(smoke_dir / f"queries/composed-{split}.jsonl") if r["target"] == "sibling"]
    assert len(rows) == 40 * (2 if split == "train" else 1)
    for r in rows:
        assert list(r) == KEYS["sibling"]
        ref, tgt = by_id[r["referenceId"]], by_id[r["targetId"]]
        assert r["targetIds"] == [r["targetId"]] and r["changes"] == [r["change"]]
        assert ref["styleId"] == tgt["styleId"] and ref["id"] != tgt["id"]
        ch = r["change"]
        assert ref["attributes"][ch["attribute"]] == [ch["from"]]
        assert tgt["attributes"][ch["attribute"]] == [ch["to"]]
        allowed = {ch["attribute"]} | ({"colorFamily"} if ch["attribute"] == "color" else set())
        diff = {k for k in ref["attributes"] if ref["attributes"][k] != tgt["attributes"][k]}
        assert diff == {ch["attribute"]} | (diff & allowed), (r["id"], diff)
        if r["kind"] == "shade":
            assert ref["attributes"]["colorFamily"] == tgt["attributes"]["colorFamily"]
            darker = shade_neighbours(ch["from"]).get("darker") == ch["to"]
            words = ("darker", "deeper") if darker else ("lighter", "paler")
            assert any(w in r["modifier"] for w in words), r
        assert r["modifier"]


def _check_across_styles(rows, by_id, products):
    by_look = {}
    for p in products:
        look = (p["split"],) + tuple(p["attributes"][a][0] for a in ("category",) + VISUAL)
        by_look.setdefault(look, []).append(p)
    for r in rows:
        assert list(r) == KEYS[r["kind"] if r["kind"] == "two-attribute" else "cross-style"]
        assert r["target"] == "cross-style" and 1 <= len(r["targetIds"]) <= 50
        ref = by_id[r["referenceId"]]
        for c in r["changes"]:
            assert ref["attributes"][c["attribute"]] == [c["from"]] and c["from"] != c["to"]
        asked = _asked(ref, r)
        look = (ref["split"],) + tuple(asked[a] for a in ("category",) + VISUAL)
        expected = [p["id"] for p in by_look.get(look, []) if p["styleId"] != ref["styleId"]]
        assert r["targetIds"] == expected, r["id"]
        if r["kind"] == "two-attribute":
            color, second = r["changes"]
            assert color["attribute"] == "color" and second["attribute"] in ("material", "pattern")
            assert COLOR_FAMILY[color["from"]] != COLOR_FAMILY[color["to"]]
            assert " and " in r["modifier"]
        else:
            assert len(r["changes"]) == 1 and r["change"] == r["changes"][0]


@pytest.mark.parametrize("split", ["validation", "test"])
def test_cross_style_targets_are_other_styles_with_the_asked_look(smoke_dir, by_id, products, split):
    rows = [r for r in read_jsonl(smoke_dir / f"queries/composed-{split}.jsonl") if r["target"] == "cross-style"]
    assert rows
    _check_across_styles(rows, by_id, products)


def test_cross_style_rows_in_the_demo(demo_catalog):
    rows = demo_catalog.composed["test"]
    across = [r for r in rows if r["target"] == "cross-style"]
    kinds = {r["kind"] for r in across}
    assert kinds == {"color", "shade", "pattern", "material", "two-attribute"}
    two = sum(r["kind"] == "two-attribute" for r in across)
    assert 350 <= two <= 550 and 350 <= len(across) - two <= 550  # about one of each per four of 2,000 styles
    _check_across_styles(across, demo_catalog.by_id, demo_catalog.products)
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)


def test_training_composed_rows_stay_siblings(smoke_dir):
    rows = read_jsonl(smoke_dir / "queries/composed-train.jsonl")
    assert {r["target"] for r in rows} == {"sibling"}
    assert not (smoke_dir / "queries/composed-train.qrels").exists()
    assert not (smoke_dir / "queries/composed-train-meaning.qrels").exists()


@pytest.mark.parametrize("split", ["validation", "test"])
def test_exact_and_meaning_qrels(smoke_dir, by_id, products, split):
    rows = read_jsonl(smoke_dir / f"queries/composed-{split}.jsonl")
    exact = read_qrels(smoke_dir / f"queries/composed-{split}.qrels")
    assert exact == exact_qrels(rows) == [(r["id"], t, 1) for r in rows for t in r["targetIds"]]
    meaning = {}
    for qid, pid, grade in read_qrels(smoke_dir / f"queries/composed-{split}-meaning.qrels"):
        assert grade == 1
        meaning.setdefault(qid, []).append(pid)
    pool = [p for p in products if p["split"] == split]
    for r in rows:
        ref = by_id[r["referenceId"]]
        asked = {"category": ref["attributes"]["category"][0], **{c["attribute"]: c["to"] for c in r["changes"]}}
        expected = [p["id"] for p in pool if p["id"] != ref["id"]
                    and all(p["attributes"][a] == [v] for a, v in asked.items())]
        assert meaning.get(r["id"], []) == expected, r["id"]
        assert set(r["targetIds"]) <= set(expected)
        if r["target"] == "sibling" and r["kind"] in ("color", "material"):
            assert r["targetId"] in meaning[r["id"]]
