import pytest

from conftest import read_jsonl, read_qrels
from seed.generator.outfits import violations
from seed.generator.vocab import shade_neighbours

SPLITS = ("train", "test")


def _product_refs(row):
    """Every product id a row of any evaluation file mentions."""
    ids = []
    for k in ("productId", "referenceId", "targetId", "answer"):
        if k in row:
            ids.append(row[k])
    for k in ("shown", "items", "candidates"):
        ids.extend(row.get(k, []))
    ids.extend(c["productId"] for c in row.get("clicks", []))
    return ids


def test_split_integrity(smoke_dir, by_id):
    files = [f for f in smoke_dir.rglob("*.jsonl") if f.name != "products.jsonl"]
    assert len(files) >= 10
    for f in files:
        for row in read_jsonl(f):
            split = row["split"]
            assert split in SPLITS
            if f.stem.endswith("-train") or f.stem == "train":
                assert split == "train", f
            if f.stem.endswith("-test") or f.stem == "test":
                assert split == "test", f
            for pid in _product_refs(row):
                assert by_id[pid]["split"] == split, (f.name, row.get("id"), pid)
    for f in smoke_dir.rglob("*.qrels"):
        split = "train" if f.stem.endswith("-train") else "test"
        for _, pid, _ in read_qrels(f):
            assert by_id[pid]["split"] == split
    train_styles = {p["render"]["index"] for p in by_id.values() if p["split"] == "train"}
    assert train_styles  # the smoke profile holds both splits
    assert all(p["render"]["source"] == p["split"] for p in by_id.values())


def _grade(stated, p):
    a = p["attributes"]
    if a["category"][0] != stated["category"]:
        return 0
    others = [k for k in stated if k != "category"]
    hits = [stated[k] in a[k] for k in others]
    if all(hits):
        return 2
    return 1 if any(hits) else 0


@pytest.mark.parametrize("split", SPLITS)
def test_text_qrels_follow_the_grading_rule(smoke_dir, products, split):
    queries = read_jsonl(smoke_dir / f"queries/text-{split}.jsonl")
    qrels = read_qrels(smoke_dir / f"queries/text-{split}.qrels")
    assert len(queries) >= 50
    judged = {(q, p): g for q, p, g in qrels}
    assert len(judged) == len(qrels)
    pool = [p for p in products if p["split"] == split]
    for q in queries:
        assert q["stated"]["category"]
        assert q["text"] and q["text"] == q["text"].strip()
        grades = [judged.get((q["id"], p["id"]), 0) for p in pool]
        assert grades == [_grade(q["stated"], p) for p in pool], q["id"]
        assert 2 in grades, q["id"]


def test_text_queries_cover_every_kind_and_differ_from_titles(smoke_dir, products):
    queries = read_jsonl(smoke_dir / "queries/text-test.jsonl") + read_jsonl(smoke_dir / "queries/text-train.jsonl")
    kinds = {q["kind"] for q in queries}
    assert {"color-category", "pattern", "material", "non-visual"} <= kinds
    assert any(set(q["stated"]) == {"category", "color"} for q in queries)
    titles = {p["title"].lower() for p in products}
    assert sum(q["text"] in titles for q in queries) < len(queries) * 0.05


def test_realshot_queries(smoke_dir, by_id):
    rows = read_jsonl(smoke_dir / "queries/realshot-test.jsonl")
    qrels = read_qrels(smoke_dir / "queries/realshot-test.qrels")
    assert len(rows) == 20
    assert {(r["id"], r["productId"], 2) for r in rows} == set(qrels)
    for r in rows:
        assert by_id[r["productId"]]["split"] == "test"
        types = [d["type"] for d in r["degradations"]]
        assert "crop" in types and types[-1] == "jpeg" and len(types) >= 4
        data = (smoke_dir / r["image"]).read_bytes()
        assert data[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("split", SPLITS)
def test_composed_targets_differ_exactly_in_the_stated_attribute(smoke_dir, by_id, split):
    rows = read_jsonl(smoke_dir / f"queries/composed-{split}.jsonl")
    assert rows
    for r in rows:
        ref, tgt = by_id[r["referenceId"]], by_id[r["targetId"]]
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


@pytest.mark.parametrize("split", SPLITS)
def test_click_logs(smoke_dir, split):
    sessions = read_jsonl(smoke_dir / f"clicks/{split}.jsonl")
    queries = {q["id"]: q for q in read_jsonl(smoke_dir / f"queries/text-{split}.jsonl")}
    assert sessions
    for s in sessions:
        assert s["query"] == queries[s["queryId"]]["text"]
        assert len(s["shown"]) == len(set(s["shown"])) > 0
        for c in s["clicks"]:
            assert s["shown"][c["position"] - 1] == c["productId"]
    days = {s["day"] for s in sessions}
    other = {s["day"] for s in read_jsonl(smoke_dir / f"clicks/{'test' if split == 'train' else 'train'}.jsonl")}
    assert not days & other
    assert sum(len(s["clicks"]) for s in sessions) > 0


def test_outfits_follow_the_rules(smoke_dir, by_id):
    labelled = read_jsonl(smoke_dir / "outfits/labelled.jsonl")
    assert {o["label"] for o in labelled} == {0, 1}
    for o in labelled:
        items = [by_id[i] for i in o["items"]]
        assert o["slots"] in (["top", "bottom", "shoes", "bag"], ["dress", "shoes", "bag"])
        assert violations(items) == o["violations"]
        assert (o["label"] == 1) == (o["violations"] == [])
    fitb = read_jsonl(smoke_dir / "outfits/fitb.jsonl")
    assert fitb
    for q in fitb:
        assert q["split"] == "test" and len(q["candidates"]) == 4
        assert q["candidates"][q["answerIndex"]] == q["answer"]
        rest = [by_id[i] for i in q["items"]]
        for c in q["candidates"]:
            assert by_id[c]["attributes"]["group"] == [q["blankSlot"]]
            assert (violations(rest + [by_id[c]]) == []) == (c == q["answer"])
    assert read_jsonl(smoke_dir / "outfits/unlabelled.jsonl")
