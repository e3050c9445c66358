"""Outfits: compatibility rules, a labelled set, an unlabelled pool and fill-in-the-blank questions.

An outfit is top + bottom + shoes + bag, or dress + shoes + bag. It is compatible when every rule holds:
- colour: accent colours (every colour outside the neutrals black, charcoal, grey, light grey, white,
  navy, beige, camel, brown) come from at most one colour family, or from two families listed in
  HARMONY_PAIRS;
- pattern: at most one item carries a pattern (the others are solid);
- occasion: the items share at least one occasion;
- season: some season (spring, summer, autumn, winter) suits every item ('all-season' suits all);
- gender: women's and men's items are not mixed (unisex goes with both).
"""

from __future__ import annotations

import random

from . import SEED
from .splits import STREAM
from .vocab import COLOR_FAMILY

NEUTRAL_COLORS = {"black", "charcoal", "grey", "light grey", "white", "navy", "beige", "camel", "brown"}
HARMONY_PAIRS = {frozenset(p) for p in [("blue", "yellow"), ("blue", "orange"), ("purple", "yellow"),
                                        ("green", "brown"), ("red", "blue"), ("green", "orange")]}
STRUCTURES = [("top", "bottom", "shoes", "bag"), ("dress", "shoes", "bag")]
SEASONS4 = ("spring", "summer", "autumn", "winter")
RULES = ("colour", "pattern", "occasion", "season", "gender")


def violations(items: list[dict]) -> list[str]:
    """Names of the compatibility rules an outfit (list of products) breaks; empty when compatible."""
    out = []
    accents = {COLOR_FAMILY[p["attributes"]["color"][0]] for p in items
               if p["attributes"]["color"][0] not in NEUTRAL_COLORS}
    if len(accents) > 2 or (len(accents) == 2 and frozenset(accents) not in HARMONY_PAIRS):
        out.append("colour")
    if sum(p["attributes"]["pattern"][0] != "solid" for p in items) > 1:
        out.append("pattern")
    occ = set.intersection(*(set(p["attributes"]["occasion"]) for p in items))
    if not occ:
        out.append("occasion")
    if not any(all(s in p["attributes"]["season"] or "all-season" in p["attributes"]["season"] for p in items)
               for s in SEASONS4):
        out.append("season")
    genders = {p["attributes"]["gender"][0] for p in items}
    if {"women", "men"} <= genders:
        out.append("gender")
    return out


class _Pool:
    def __init__(self, products: list[dict]):
        self.products = products
        self.by_group: dict[str, list[int]] = {}
        for i, p in enumerate(products):
            self.by_group.setdefault(p["attributes"]["group"][0], []).append(i)
        self.buckets: dict[tuple, list[int]] = {}
        for i, p in enumerate(products):
            a = p["attributes"]
            seasons = SEASONS4 if "all-season" in a["season"] else [s for s in a["season"] if s in SEASONS4]
            genders = ("women", "men") if a["gender"][0] == "unisex" else (a["gender"][0],)
            for o in a["occasion"]:
                for s in seasons:
                    for g in genders:
                        self.buckets.setdefault((a["group"][0], o, s, g), []).append(i)

    def compatible(self, rng: random.Random, tries: int = 30) -> list[dict] | None:
        for _ in range(tries):
            structure = rng.choice([s for s in STRUCTURES if all(g in self.by_group for g in s)] or [None])
            if structure is None:
                return None
            anchor = self.products[rng.choice(self.by_group[structure[0]])]
            a = anchor["attributes"]
            occ = rng.choice(a["occasion"])
            seasons = SEASONS4 if "all-season" in a["season"] else [s for s in a["season"] if s in SEASONS4]
            season = rng.choice(list(seasons))
            gender = a["gender"][0] if a["gender"][0] != "unisex" else rng.choice(["women", "men"])
            items = [anchor]
            ok = True
            for g in structure[1:]:
                bucket = self.buckets.get((g, occ, season, gender))
                if not bucket:
                    ok = False
                    break
                pick = None
                for _ in range(12):
                    cand = self.products[bucket[rng.randrange(len(bucket))]]
                    if not violations(items + [cand]):
                        pick = cand
                        break
                if pick is None:
                    ok = False
                    break
                items.append(pick)
            if ok:
                return items
        return None

    def breaking(self, rng: random.Random, items: list[dict], slot: int, tries: int = 60) -> dict | None:
        """A product of the same group as items[slot] that makes the outfit incompatible, preferably by
        breaking a single rule."""
        group = self.products_group(items[slot])
        cands = self.by_group[group]
        fallback = None
        for _ in range(tries):
            c = self.products[cands[rng.randrange(len(cands))]]
            if c["styleId"] == items[slot]["styleId"]:
                continue
            broken = violations(items[:slot] + [c] + items[slot + 1:])
            if len(broken) == 1:  # prefer hard negatives: exactly one rule broken
                return c
            if broken and fallback is None:
                fallback = c
        return fallback

    @staticmethod
    def products_group(p: dict) -> str:
        return p["attributes"]["group"][0]


def _record(oid: str, split: str, items: list[dict]) -> dict:
    return {"id": oid, "split": split, "items": [p["id"] for p in items],
            "slots": [p["attributes"]["group"][0] for p in items]}


def make_outfits(split: str, products: list[dict], labelled: int, unlabelled: int, fitb: int) -> dict:
    rng = random.Random(SEED * 7 + STREAM[split] * 1_000_003 + labelled + 3 * unlabelled)
    pool = _Pool(products)
    out = {"labelled": [], "unlabelled": [], "fitb": []}
    i = 0
    for _ in range(labelled * 3):
        if len(out["labelled"]) >= labelled:
            break
        items = pool.compatible(rng)
        if items is None:
            continue
        i += 1
        if len(out["labelled"]) % 2 == 0:
            rec = _record(f"ol-{split}-{i:05d}", split, items)
            rec.update(label=1, violations=[])
        else:
            slot = rng.randrange(len(items))
            bad = pool.breaking(rng, items, slot)
            if bad is None:
                continue
            items = items[:slot] + [bad] + items[slot + 1:]
            rec = _record(f"ol-{split}-{i:05d}", split, items)
            rec.update(label=0, violations=violations(items))
        out["labelled"].append(rec)
    for i in range(unlabelled * 3):
        if len(out["unlabelled"]) >= unlabelled:
            break
        items = pool.compatible(rng)
        if items is None:
            continue
        if rng.random() < 0.15:  # real wardrobes are not always coherent
            slot = rng.randrange(len(items))
            group = items[slot]["attributes"]["group"][0]
            items = items[:slot] + [products[rng.choice(pool.by_group[group])]] + items[slot + 1:]
        out["unlabelled"].append(_record(f"ou-{split}-{i:05d}", split, items))
    for i in range(fitb * 3):
        if len(out["fitb"]) >= fitb:
            break
        items = pool.compatible(rng)
        if items is None:
            continue
        slot = rng.randrange(len(items))
        wrong = []
        for _ in range(3):
            b = pool.breaking(rng, items, slot)
            if b is not None and b["id"] not in {w["id"] for w in wrong}:
                wrong.append(b)
        if len(wrong) < 3:
            continue
        answer = items[slot]
        cands = wrong + [answer]
        rng.shuffle(cands)
        out["fitb"].append({"id": f"of-{split}-{i:05d}", "split": split,
                            "items": [p["id"] for j, p in enumerate(items) if j != slot],
                            "slots": [p["attributes"]["group"][0] for j, p in enumerate(items) if j != slot],
                            "blankSlot": answer["attributes"]["group"][0],
                            "candidates": [c["id"] for c in cands], "answer": answer["id"],
                            "answerIndex": [c["id"] for c in cands].index(answer["id"])})
    return out
