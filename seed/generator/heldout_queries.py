"""Validation and test text queries phrased with the evaluation-only lexicon (heldout.py).

They follow the in-distribution queries in queries/text-{split}.jsonl and tell apart what a search
engine learnt from the generator's own phrasing and what it understands: the catalogue's literal
words ("light grey ankle boots"), unseen colour and garment words, a typing error in every word,
whole sentences, an excluded colour and a price bound. The split's own half of the lexicon phrases
them, so tuning on validation never sees a word the test reports with.

Each kind draws from its own random stream (named by the split and the kind), so adding a kind or
changing one kind's count leaves the others as they were.
"""

from __future__ import annotations

import random
import zlib

import numpy as np

from . import heldout
from .attribute_index import AttributeIndex
from .splits import STREAM
from .streams import rng as stream
from .vocab import CATEGORIES, CATEGORY_TITLE

# kind -> whether a word outside the catalogue's own word tables names an attribute
HELDOUT_KINDS = {
    "literal": "seen",
    "unseen-color": "unseen",
    "unseen-category": "unseen",
    "unseen-both": "unseen",
    "typo": "unseen",
    "sentence": "seen",
    "exclusion": "seen",
    "price": "seen",
}
UNSEEN_COLOR_KINDS = ("unseen-color", "unseen-both")
PRICE_SHARE = (0.25, 0.75)  # share of the matching products a price bound keeps


def literal_category(rng: random.Random, category: str) -> str:
    """The garment as the catalogue writes it: the value with a space for its hyphen ("ankle boot",
    "t shirt") or the title noun in lower case ("ankle boots", "t-shirt")."""
    return category.replace("-", " ") if rng.random() < 0.5 else CATEGORY_TITLE[category].lower()


def price_bound(rng: random.Random, prices: np.ndarray) -> int | None:
    """An integer n, drawn uniformly among those for which between 25 % and 75 % of `prices` are at
    most n; None when there is none (a single price, or all equal)."""
    p = np.sort(prices)
    bounds = np.arange(int(np.floor(p[0])), int(np.ceil(p[-1])) + 1)
    share = np.searchsorted(p, bounds, side="right") / len(p)
    ok = bounds[(share >= PRICE_SHARE[0]) & (share <= PRICE_SHARE[1])]
    return int(rng.choice(ok.tolist())) if ok.size else None


def _colors_by_category(index: AttributeIndex, allowed: set[str] | None) -> dict[str, list[str]]:
    """Category -> the colour of each of its products (only colours in `allowed`, when given);
    categories without such a product are left out."""
    out = {}
    for category in CATEGORIES:
        colors = [index.products[r]["attributes"]["color"][0] for r in index.rows_of_category(category).tolist()]
        colors = [c for c in colors if allowed is None or c in allowed]
        if colors:
            out[category] = colors
    return out


def _draw_pair(rng: random.Random, colors_by_category: dict[str, list[str]]) -> tuple[str, str]:
    """A (category, colour) pair: a category drawn uniformly, then a colour with the frequency it has
    among that category's products."""
    category = rng.choice(list(colors_by_category))
    return category, rng.choice(colors_by_category[category])


def _phrase(rng: random.Random, kind: str, half: str, category: str, color: str, index: AttributeIndex):
    """(text, extra keys of the row, product rows of grade 2) of one query, or None when the pair
    cannot make this kind of query (nothing would be relevant)."""
    rows = index.rows_of_category(category)
    same_color = index.match("color", color, rows)
    noun = literal_category(rng, category)
    if kind == "literal":
        return f"{color} {noun}", {}, rows[same_color]
    if kind == "unseen-color":
        return f"{rng.choice(heldout.COLOR_WORDS[color][half])} {noun}", {}, rows[same_color]
    if kind == "unseen-category":
        return f"{color} {rng.choice(heldout.CATEGORY_WORDS[category][half])}", {}, rows[same_color]
    if kind == "unseen-both":
        text = f"{rng.choice(heldout.COLOR_WORDS[color][half])} {rng.choice(heldout.CATEGORY_WORDS[category][half])}"
        return text, {}, rows[same_color]
    if kind == "typo":
        return heldout.typo_every_word(rng, f"{color} {noun}"), {}, rows[same_color]
    if kind == "sentence":
        return rng.choice(heldout.SENTENCES[half]).format(c=color, g=noun), {}, rows[same_color]
    if kind == "exclusion":
        relevant = rows[~same_color]
        if not len(relevant):
            return None
        return rng.choice(heldout.EXCLUSIONS[half]).format(g=noun, c=color), {"excluded": {"color": color}}, relevant
    if kind == "price":
        matching = rows[same_color]
        n = price_bound(rng, index.prices[matching])
        if n is None:
            return None
        text = rng.choice(heldout.PRICES[half]).format(c=color, g=noun, n=n)
        return text, {"maxPrice": n}, matching[index.prices[matching] <= n]
    raise ValueError(f"unknown held-out kind {kind!r}")


def make_heldout_queries(split: str, index: AttributeIndex, counts: dict, first: int):
    """The held-out queries of a validation or test split, `counts[kind]` of each kind, numbered from
    `first`, and their judgements (grade 2 only: a product either answers the query or it does not)."""
    if not counts:
        return [], []
    half = split
    if half not in heldout.HALVES:
        raise ValueError(f"held-out queries are for the validation and test splits, not {split!r}")
    colors_with_words = {c for c, halves in heldout.COLOR_WORDS.items() if halves[half]}
    any_color = _colors_by_category(index, None)
    worded_color = _colors_by_category(index, colors_with_words)
    queries, qrels = [], []
    for kind, vocabulary in HELDOUT_KINDS.items():
        n = counts.get(kind, 0)
        rng = stream(500 + STREAM[split], zlib.crc32(kind.encode()))
        colors_by_category = worded_color if kind in UNSEEN_COLOR_KINDS else any_color
        texts: set[str] = set()
        made = attempts = 0
        while made < n and colors_by_category and attempts < n * 50:
            attempts += 1
            category, color = _draw_pair(rng, colors_by_category)
            phrased = _phrase(rng, kind, half, category, color, index)
            if phrased is None or phrased[0] in texts:
                continue
            text, extra, relevant = phrased
            texts.add(text)
            stated = {"category": category} if kind == "exclusion" else {"category": category, "color": color}
            qid = f"tq-{split}-{first + len(queries):05d}"
            queries.append({"id": qid, "split": split, "text": text, "stated": stated, **extra, "kind": kind,
                            "vocabulary": vocabulary, "distribution": "held-out"})
            qrels.extend((qid, index.ids[r], 2) for r in relevant.tolist())
            made += 1
    return queries, qrels
