import pytest

from conftest import read_jsonl
from seed.generator.catalog import DAYS
from seed.generator.outfits import violations

SPLITS = ("train", "validation", "test")


@pytest.mark.parametrize("split", SPLITS)
def test_click_logs(smoke_dir, split):
    sessions = read_jsonl(smoke_dir / f"clicks/{split}.jsonl")
    queries = {q["id"]: q for q in read_jsonl(smoke_dir / f"queries/text-{split}.jsonl")}
    assert len(sessions) == 40
    for s in sessions:
        q = queries[s["queryId"]]
        assert s["query"] == q["text"] and q["distribution"] == "in"
        assert s["day"] in DAYS[split]
        assert len(s["shown"]) == len(set(s["shown"])) > 0
        for c in s["clicks"]:
            assert s["shown"][c["position"] - 1] == c["productId"]
    assert sessions == sorted(sessions, key=lambda s: (s["day"], s["searchId"]))
    assert sum(len(s["clicks"]) for s in sessions) > 0


def test_click_days_follow_each_other_without_overlap():
    assert DAYS["train"][0] == "2026-03-01" and DAYS["train"][-1] == "2026-03-14"
    assert DAYS["validation"] == ["2026-03-15", "2026-03-16", "2026-03-17"]
    assert DAYS["test"] == ["2026-03-18", "2026-03-19", "2026-03-20", "2026-03-21"]


def test_outfits_follow_the_rules(smoke_dir, by_id):
    labelled = read_jsonl(smoke_dir / "outfits/labelled.jsonl")
    assert {o["label"] for o in labelled} == {0, 1}
    assert {o["split"] for o in labelled} == set(SPLITS)
    for o in labelled:
        items = [by_id[i] for i in o["items"]]
        assert o["slots"] in (["top", "bottom", "shoes", "bag"], ["dress", "shoes", "bag"])
        assert violations(items) == o["violations"]
        assert (o["label"] == 1) == (o["violations"] == [])
    fitb = read_jsonl(smoke_dir / "outfits/fitb.jsonl")
    assert {q["split"] for q in fitb} == {"validation", "test"}
    for q in fitb:
        assert len(q["candidates"]) == 4
        assert q["candidates"][q["answerIndex"]] == q["answer"]
        rest = [by_id[i] for i in q["items"]]
        for c in q["candidates"]:
            assert by_id[c]["attributes"]["group"] == [q["blankSlot"]]
            assert (violations(rest + [by_id[c]]) == []) == (c == q["answer"])
    assert read_jsonl(smoke_dir / "outfits/unlabelled.jsonl")
