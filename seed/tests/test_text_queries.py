import random
import re

import pytest

from conftest import read_jsonl, read_qrels
from seed.generator import heldout, vocab
from seed.generator.heldout_queries import HELDOUT_KINDS

SPLITS = ("train", "validation", "test")
IN_DISTRIBUTION_KINDS = {"color-category", "family-category", "pattern", "material", "full-visual", "non-visual"}


def _grade(q, p):
    """The documented judgement of product p for text query q."""
    a = p["attributes"]
    stated = q["stated"]
    if a["category"][0] != stated["category"]:
        return 0
    if "excluded" in q:
        return 0 if a["color"][0] == q["excluded"]["color"] else 2
    others = [k for k in stated if k != "category"]
    hits = [stated[k] in a[k] for k in others]
    if "maxPrice" in q:
        return 2 if all(hits) and p["price"] <= q["maxPrice"] else 0
    if all(hits):
        return 2
    return 1 if any(hits) else 0


@pytest.mark.parametrize("split", SPLITS)
def test_text_qrels_follow_the_grading_rule(smoke_dir, products, split):
    queries = read_jsonl(smoke_dir / f"queries/text-{split}.jsonl")
    qrels = read_qrels(smoke_dir / f"queries/text-{split}.qrels")
    assert len(queries) >= 50
    assert [q["id"] for q in queries] == [f"tq-{split}-{n:05d}" for n in range(len(queries))]
    judged = {(q, p): g for q, p, g in qrels}
    assert len(judged) == len(qrels)
    pool = [p for p in products if p["split"] == split]
    for q in queries:
        assert q["stated"]["category"]
        assert q["text"] and q["text"] == q["text"].strip()
        grades = [judged.get((q["id"], p["id"]), 0) for p in pool]
        assert grades == [_grade(q, p) for p in pool], q["id"]
        assert 2 in grades, q["id"]


def test_text_queries_cover_every_kind_and_differ_from_titles(smoke_dir, products):
    queries = [q for s in SPLITS for q in read_jsonl(smoke_dir / f"queries/text-{s}.jsonl")]
    kinds = {q["kind"] for q in queries if q["distribution"] == "in"}
    assert {"color-category", "pattern", "material", "non-visual"} <= kinds
    assert any(set(q["stated"]) == {"category", "color"} for q in queries)
    titles = {p["title"].lower() for p in products}
    indist = [q for q in queries if q["distribution"] == "in"]
    assert sum(q["text"] in titles for q in indist) < len(indist) * 0.05


@pytest.mark.parametrize("split", SPLITS)
def test_every_row_says_its_vocabulary_and_distribution(smoke_dir, split):
    queries = read_jsonl(smoke_dir / f"queries/text-{split}.jsonl")
    indist = [q for q in queries if q["distribution"] == "in"]
    held = [q for q in queries if q["distribution"] == "held-out"]
    assert len(indist) + len(held) == len(queries)
    assert queries[:len(indist)] == indist  # the held-out queries follow the in-distribution ones
    assert all(q["kind"] in IN_DISTRIBUTION_KINDS and q["vocabulary"] == "seen" for q in indist)
    if split == "train":
        assert held == []
        return
    assert [q["kind"] for q in held] == [k for k in HELDOUT_KINDS for _ in range(6)]
    for q in held:
        assert q["vocabulary"] == HELDOUT_KINDS[q["kind"]]
        assert set(q["stated"]) == ({"category"} if q["kind"] == "exclusion" else {"category", "color"})
        assert ("excluded" in q) == (q["kind"] == "exclusion") and ("maxPrice" in q) == (q["kind"] == "price")


def _literal_categories(category):
    return {category.replace("-", " "), vocab.CATEGORY_TITLE[category].lower()}


@pytest.mark.parametrize("split", ["validation", "test"])
def test_held_out_queries_are_phrased_with_their_own_half(demo_catalog, smoke_dir, split):
    queries = [q for q in read_jsonl(smoke_dir / f"queries/text-{split}.jsonl") if q["distribution"] == "held-out"]
    if split == "test":
        queries += [q for q in demo_catalog.text_queries["test"] if q["distribution"] == "held-out"]
    for q in queries:
        cat, text = q["stated"]["category"], q["text"]
        color = q["stated"].get("color") or q["excluded"]["color"]
        colors = heldout.COLOR_WORDS.get(color, {}).get(split, [])
        garments = heldout.CATEGORY_WORDS[cat][split]
        literal = [f"{color} {g}" for g in _literal_categories(cat)]
        if q["kind"] == "literal":
            assert text in literal
        elif q["kind"] == "unseen-color":
            assert text in {f"{c} {g}" for c in colors for g in _literal_categories(cat)}
        elif q["kind"] == "unseen-category":
            assert text in {f"{color} {g}" for g in garments}
        elif q["kind"] == "unseen-both":
            assert text in {f"{c} {g}" for c in colors for g in garments}
        elif q["kind"] == "typo":
            assert any(_one_error_per_word(lit, text) for lit in literal), text
        elif q["kind"] == "sentence":
            assert text in {t.format(c=color, g=g) for t in heldout.SENTENCES[split] for g in _literal_categories(cat)}
        elif q["kind"] == "exclusion":
            assert text in {t.format(c=color, g=g) for t in heldout.EXCLUSIONS[split] for g in _literal_categories(cat)}
        else:
            assert text in {t.format(c=color, g=g, n=q["maxPrice"]) for t in heldout.PRICES[split]
                            for g in _literal_categories(cat)}


def _words(text):
    return re.split(r"[ -]", text)


def _one_error_per_word(original, typed):
    """Every word of three letters or more differs by one edit; shorter words are unchanged."""
    a, b = _words(original), _words(typed)
    return len(a) == len(b) and all((x != y and _one_edit(x, y)) if len(x) >= 3 else x == y for x, y in zip(a, b))


def _one_edit(x, y):
    if len(x) == len(y):
        diff = [i for i in range(len(x)) if x[i] != y[i]]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]]
                                  and x[diff[1]] == y[diff[0]])
    short, long_ = sorted((x, y), key=len)
    return len(long_) == len(short) + 1 and any(long_[:i] + long_[i + 1:] == short for i in range(len(long_)))


def test_typo_every_word_changes_every_word_of_three_letters_or_more():
    rng = random.Random(7)
    for text in ["light grey ankle boots", "navy t-shirt", "a red bag", "off white coat", "coffee sweatpants"]:
        for _ in range(50):
            typed = heldout.typo_every_word(rng, text)
            assert _one_error_per_word(text, typed), (text, typed)


def _vocab_tables():
    tables = [vocab.CATEGORY_WORDS, vocab.CATEGORY_TITLE, vocab.COLOR_WORDS, vocab.FAMILY_WORDS, vocab.PATTERN_WORDS,
              vocab.PATTERN_NOUN, vocab.MATERIAL_WORDS, vocab.GENDER_WORDS, vocab.SEASON_WORDS, vocab.OCCASION_WORDS,
              vocab.FIT_WORDS]
    out = []
    for t in tables:
        for k, v in t.items():
            out.append(k)
            out.extend(v if isinstance(v, list) else [v])
    return out + list(vocab.BRANDS) + vocab.CATEGORIES + vocab.COLORS + vocab.PATTERNS + vocab.MATERIALS


def _in_distribution_texts(products, text_queries, composed, clicks):
    """Every text that training-style phrasing produced: titles, descriptions, in-distribution queries
    and click queries of every split, and every modifier."""
    out = [p["title"] for p in products] + [p["description"] for p in products]
    out += [q["text"] for qs in text_queries for q in qs if q["distribution"] == "in"]
    out += [r["modifier"] for rows in composed for r in rows]
    out += [s["query"] for sessions in clicks for s in sessions]
    return out


def test_the_held_out_lexicon_never_reaches_catalogue_or_training_texts(smoke_dir, products, demo_catalog):
    smoke = _in_distribution_texts(products, [read_jsonl(smoke_dir / f"queries/text-{s}.jsonl") for s in SPLITS],
                                   [read_jsonl(smoke_dir / f"queries/composed-{s}.jsonl") for s in SPLITS],
                                   [read_jsonl(smoke_dir / f"clicks/{s}.jsonl") for s in SPLITS])
    demo = _in_distribution_texts(demo_catalog.products, demo_catalog.text_queries.values(),
                                  demo_catalog.composed.values(), demo_catalog.clicks.values())
    assert len(smoke) > 1500 and len(demo) > 25000
    seen = {w for text in smoke + demo + _vocab_tables() for w in re.findall(r"[a-z]+", text.lower())}
    for half in heldout.HALVES:
        words = heldout.words_of(half)
        assert len(words) > 40
        assert not words & seen, sorted(words & seen)


def test_the_validation_and_test_halves_share_no_word_or_phrasing():
    assert not heldout.words_of("validation") & heldout.words_of("test")
    for table in (heldout.SENTENCES, heldout.EXCLUSIONS, heldout.PRICES):
        assert not set(table["validation"]) & set(table["test"])


@pytest.mark.parametrize("split", ["validation", "test"])
def test_every_held_out_kind_has_relevant_products(smoke_dir, split):
    queries = read_jsonl(smoke_dir / f"queries/text-{split}.jsonl")
    relevant = {}
    for qid, pid, grade in read_qrels(smoke_dir / f"queries/text-{split}.qrels"):
        if grade == 2:
            relevant.setdefault(qid, []).append(pid)
    kinds = {}
    for q in queries:
        if q["distribution"] == "held-out":
            assert relevant.get(q["id"]), q
            kinds[q["kind"]] = kinds.get(q["kind"], 0) + 1
    assert kinds == {k: 6 for k in HELDOUT_KINDS}


def test_exclusion_and_price_judgements(demo_catalog):
    by_id = demo_catalog.by_id
    queries = {q["id"]: q for q in demo_catalog.text_queries["test"]}
    relevant = {}
    for qid, pid, grade in demo_catalog.text_qrels["test"]:
        relevant.setdefault(qid, set()).add(pid)
    exclusions = [q for q in queries.values() if q["kind"] == "exclusion"]
    prices = [q for q in queries.values() if q["kind"] == "price"]
    assert len(exclusions) == 100 and len(prices) == 200
    test_products = demo_catalog.products_of("test")
    for q in exclusions:
        cat, color = q["stated"]["category"], q["excluded"]["color"]
        assert relevant[q["id"]] == {p["id"] for p in test_products
                                     if p["attributes"]["category"] == [cat] and p["attributes"]["color"] != [color]}
        assert any(p["attributes"]["color"] == [color] and p["attributes"]["category"] == [cat] for p in test_products)
    for q in prices:
        assert f"{q['maxPrice']}" in q["text"]
        matching = [p for p in test_products if p["attributes"]["category"] == [q["stated"]["category"]]
                    and p["attributes"]["color"] == [q["stated"]["color"]]]
        cheap = {p["id"] for p in matching if p["price"] <= q["maxPrice"]}
        assert relevant[q["id"]] == cheap
        assert all(by_id[pid]["price"] <= q["maxPrice"] for pid in relevant[q["id"]])
        assert 0.25 <= len(cheap) / len(matching) <= 0.75
