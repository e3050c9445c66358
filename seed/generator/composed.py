"""Composed queries: a reference product and a modifier text asking for a change of its look.

- `sibling` rows (every split): the target is the variant of the reference's own style that differs
  in exactly the asked attribute, as in FashionIQ.
- `cross-style` rows (validation and test): one change, but the targets are the products of *other*
  styles with the reference's category, the asked value and the reference's two other visual values.
- `two-attribute` rows (validation and test): a colour of another family and a material (or a
  pattern), with targets found across styles the same way.

Modifiers are phrased by text.modifier_text, as training modifiers are; a two-attribute modifier is
two such phrasings joined by "and". Each kind of row draws from its own random stream per style.
"""

from __future__ import annotations

import numpy as np

from .attribute_index import AttributeIndex
from .looks import other_family_color, other_material, other_pattern
from .splits import STREAM
from .streams import rng as stream
from .text import modifier_text
from .vocab import COLOR_FAMILY

VISUAL = ("color", "pattern", "material")
CROSS_STYLE_SHARE = 0.25   # about one cross-style row for every four styles
TWO_ATTRIBUTE_SHARE = 0.25  # about one two-attribute row for every four styles
MAX_TARGETS = 50           # a request that many products answer exactly is dropped
DRAWS = 8                  # tries per chosen style to find a request with 1..MAX_TARGETS targets
SIBLING_PAIRS = [(0, k) for k in range(1, 5)] + [(k, 0) for k in range(1, 5)]  # base -> variant, variant -> base


def _change(ref: dict, tgt: dict) -> tuple[str, str, str, str]:
    """(attribute, from, to, kind) of the one visual attribute in which two variants differ; kind is
    `shade` for a colour of the same family."""
    for a in VISUAL:
        x, y = ref["attributes"][a][0], tgt["attributes"][a][0]
        if x != y:
            kind = a
            if a == "color" and COLOR_FAMILY[x] == COLOR_FAMILY[y]:
                kind = "shade"
            return a, x, y, kind
    raise ValueError(f"{ref['id']} and {tgt['id']} do not differ")


def _look(p: dict) -> tuple[str, str, str, str]:
    a = p["attributes"]
    return a["category"][0], a["color"][0], a["pattern"][0], a["material"][0]


class _Looks:
    """Products of a split by (category, colour, pattern, material)."""

    def __init__(self, styles: list[list[dict]]):
        self.by_look: dict[tuple, list[dict]] = {}
        for variants in styles:
            for p in variants:
                self.by_look.setdefault(_look(p), []).append(p)

    def other_styles(self, ref: dict, changes: list[dict]) -> list[str]:
        """Ids of the products of other styles than `ref`'s that have its category and visual values,
        with the changes applied."""
        values = dict(zip(("category",) + VISUAL, _look(ref)))
        values.update({c["attribute"]: c["to"] for c in changes})
        key = (values["category"],) + tuple(values[a] for a in VISUAL)
        return [p["id"] for p in self.by_look.get(key, []) if p["styleId"] != ref["styleId"]]


def _row(qid: str, split: str, ref: dict, modifier: str, changes: list[dict], kind: str, target: str,
         target_ids: list[str]) -> dict:
    row = {"id": qid, "split": split, "referenceId": ref["id"], "modifier": modifier}
    if target == "sibling":
        row["targetId"] = target_ids[0]
    row["targetIds"] = target_ids
    if len(changes) == 1:
        row["change"] = changes[0]
    row.update(changes=changes, kind=kind, target=target)
    return row


def _siblings(split: str, index: int, variants: list[dict], per_style: int) -> list[tuple]:
    rng = stream(200 + STREAM[split], index)
    out = []
    for r, t in rng.sample(SIBLING_PAIRS, per_style):
        ref, tgt = variants[r], variants[t]
        attr, x, y, kind = _change(ref, tgt)
        change = {"attribute": attr, "from": x, "to": y}
        out.append((ref, modifier_text(rng, kind, x, y), [change], kind, "sibling", [tgt["id"]]))
    return out


def _cross_style(split: str, index: int, variants: list[dict], looks: _Looks) -> tuple | None:
    """One change drawn as for siblings (a reference and the variant of its style that shows the change),
    asked of the other styles."""
    rng = stream(210 + STREAM[split], index)
    if rng.random() >= CROSS_STYLE_SHARE:
        return None
    for r, t in rng.sample(SIBLING_PAIRS, len(SIBLING_PAIRS)):
        ref, sib = variants[r], variants[t]
        attr, x, y, kind = _change(ref, sib)
        changes = [{"attribute": attr, "from": x, "to": y}]
        targets = looks.other_styles(ref, changes)
        if 1 <= len(targets) <= MAX_TARGETS:
            return ref, modifier_text(rng, kind, x, y), changes, kind, "cross-style", targets
    return None


def _two_attribute(split: str, index: int, variants: list[dict], looks: _Looks) -> tuple | None:
    """A colour of another family and a second change (material or pattern) of one reference."""
    rng = stream(220 + STREAM[split], index)
    if rng.random() >= TWO_ATTRIBUTE_SHARE:
        return None
    for _ in range(DRAWS):
        ref = variants[rng.randrange(len(variants))]
        a = ref["attributes"]
        color = other_family_color(rng, a["color"][0])
        if rng.random() < 0.5:
            second = ("material", a["material"][0], other_material(rng, a["group"][0], a["material"][0]))
        else:
            second = ("pattern", a["pattern"][0], other_pattern(rng, a["pattern"][0]))
        changes = [{"attribute": "color", "from": a["color"][0], "to": color},
                   {"attribute": second[0], "from": second[1], "to": second[2]}]
        targets = looks.other_styles(ref, changes)
        if 1 <= len(targets) <= MAX_TARGETS:
            modifier = " and ".join(modifier_text(rng, c["attribute"], c["from"], c["to"]) for c in changes)
            return ref, modifier, changes, "two-attribute", "cross-style", targets
    return None


def make_composed(split: str, styles: list[list[dict]], per_style: int, across_styles: bool) -> list[dict]:
    """Composed queries of a split, by style: `per_style` sibling rows, then (when `across_styles`)
    a cross-style row and a two-attribute row for about one style in four each. Ids are
    `cq-{split}-{index:05d}-{n}`, n counting the rows of the style."""
    looks = _Looks(styles) if across_styles else None
    out = []
    for variants in styles:
        index = int(variants[0]["render"]["index"])
        drawn = _siblings(split, index, variants, per_style)
        if across_styles:
            drawn += [q for q in (_cross_style(split, index, variants, looks),
                                  _two_attribute(split, index, variants, looks)) if q is not None]
        for n, (ref, modifier, changes, kind, target, target_ids) in enumerate(drawn):
            out.append(_row(f"cq-{split}-{index:05d}-{n}", split, ref, modifier, changes, kind, target, target_ids))
    return out


def exact_qrels(rows: list[dict]) -> list[tuple[str, str, int]]:
    """Grade 1 for each target of each row."""
    return [(r["id"], t, 1) for r in rows for t in r["targetIds"]]


def meaning_qrels(rows: list[dict], index: AttributeIndex) -> list[tuple[str, str, int]]:
    """Judgement by meaning: grade 1 for every product of the split, other than the reference, that
    has the reference's category and every asked value, whatever its style and other attributes."""
    pos = {pid: i for i, pid in enumerate(index.ids)}
    out = []
    for r in rows:
        ref = index.products[pos[r["referenceId"]]]
        cand = index.rows_of_category(ref["attributes"]["category"][0])
        ok = np.ones(len(cand), dtype=bool)
        for c in r["changes"]:
            ok &= index.match(c["attribute"], c["to"], cand)
        out.extend((r["id"], index.ids[i], 1) for i in cand[ok].tolist() if i != pos[r["referenceId"]])
    return out
