"""Builds the whole catalogue in memory: products, text / composed / real-shot queries, click logs
and outfits, split by split. No images are rendered here; `writer` renders and writes files.

Every style draws its attributes from its own random stream (seeded by the global seed, the
Fashion-MNIST file and the index), so a product is the same in every profile that contains it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from . import SEED, fashion_mnist
from . import outfits as outfit_rules
from .attribute_index import AttributeIndex
from .composed import make_composed, meaning_qrels
from .heldout_queries import HELDOUT_KINDS, make_heldout_queries
from .looks import other_family_color, other_material, other_pattern, other_shade, weighted
from .realshot import realshot_queries
from .splits import CODE_PREFIX, SOURCE_OF, SPLITS, STREAM, split_indices
from .streams import rng as _rng
from .text import description, query_text, title
from .vocab import (BASE_PRICE, BRANDS, BRAND_NAMES, CATEGORIES, CLOTHING_SIZES, COLOR_FAMILY, COLOR_RGB,
                    COLOR_WEIGHT, COLORS, FITS_BY_GROUP, GENDERS_BY_CATEGORY, GROUP_OF, MATERIAL_PRICE,
                    MATERIALS_BY_GROUP, OCCASIONS_BY_CATEGORY, PATTERN_WEIGHT, PATTERNS, SEASONS_BY_CATEGORY,
                    SHOE_SIZES)


@dataclass(frozen=True)
class SplitSizes:
    """What a profile builds for one split."""
    styles_per_class: int | None   # None: every style of the split
    text_queries: int              # in-distribution text queries
    composed_per_style: int        # sibling composed queries per style
    click_sessions: int
    outfits_labelled: int          # half compatible, half not
    outfits_unlabelled: int
    fitb: int = 0                  # fill-in-the-blank questions (validation and test)
    heldout_queries: dict = field(default_factory=dict)  # held-out text kind -> count (validation and test)
    realshot: int = 0              # photos per family (validation and test)


def _heldout(n: int, exclusion: int | None = None) -> dict:
    """`n` queries of every held-out kind (`exclusion` of that kind, when given)."""
    return {k: exclusion if k == "exclusion" and exclusion is not None else n for k in HELDOUT_KINDS}


@dataclass(frozen=True)
class Profile:
    name: str
    sizes: dict  # split -> SplitSizes, for the splits the profile holds

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(s for s in SPLITS if s in self.sizes)


SMOKE_HELD_OUT = dict(fitb=20, heldout_queries=_heldout(6), realshot=10)
DEMO_SIZES = dict(styles_per_class=200, text_queries=1000, composed_per_style=1, click_sessions=2500,
                  outfits_labelled=400, outfits_unlabelled=2000, fitb=500, realshot=300)

PROFILES = {
    "smoke": Profile("smoke", {
        "train": SplitSizes(styles_per_class=4, text_queries=80, composed_per_style=2, click_sessions=40,
                            outfits_labelled=20, outfits_unlabelled=40),
        "validation": SplitSizes(styles_per_class=4, text_queries=60, composed_per_style=1, click_sessions=40,
                                 outfits_labelled=20, outfits_unlabelled=0, **SMOKE_HELD_OUT),
        "test": SplitSizes(styles_per_class=4, text_queries=60, composed_per_style=1, click_sessions=40,
                           outfits_labelled=20, outfits_unlabelled=0, **SMOKE_HELD_OUT),
    }),
    "demo": Profile("demo", {"test": SplitSizes(**DEMO_SIZES, heldout_queries=_heldout(200, exclusion=100))}),
    "validation": Profile("validation", {"validation": SplitSizes(**DEMO_SIZES, heldout_queries=_heldout(200))}),
    "full": Profile("full", {
        "train": SplitSizes(styles_per_class=None, text_queries=2000, composed_per_style=2, click_sessions=12000,
                            outfits_labelled=2000, outfits_unlabelled=12000),
        "validation": SplitSizes(styles_per_class=None, text_queries=1500, composed_per_style=1,
                                 click_sessions=2000, outfits_labelled=1000, outfits_unlabelled=3000, fitb=1000,
                                 heldout_queries=_heldout(200), realshot=600),
        "test": SplitSizes(styles_per_class=None, text_queries=1500, composed_per_style=1, click_sessions=4000,
                           outfits_labelled=1000, outfits_unlabelled=3000, fitb=1000,
                           heldout_queries=_heldout(200), realshot=600),
    }),
}


@dataclass
class Catalog:
    profile: str
    seed: int
    splits: tuple = ()                                   # the splits built, in SPLITS order
    products: list = field(default_factory=list)
    text_queries: dict = field(default_factory=dict)     # split -> [query]
    text_qrels: dict = field(default_factory=dict)       # split -> [(qid, productId, grade)]
    composed: dict = field(default_factory=dict)         # split -> [query]
    composed_meaning: dict = field(default_factory=dict)  # split -> [(qid, productId, 1)] (validation, test)
    realshot: dict = field(default_factory=dict)         # split -> [photo query], held-out family
    realshot_indist: dict = field(default_factory=dict)  # split -> [photo query], in-distribution family
    clicks: dict = field(default_factory=dict)           # split -> [session]
    outfits: dict = field(default_factory=dict)          # labelled | unlabelled | fitb -> [record]

    def products_of(self, split: str) -> list:
        return [p for p in self.products if p["split"] == split]

    @property
    def by_id(self) -> dict:
        return {p["id"]: p for p in self.products}


def select_styles(split: str, per_class: int | None) -> list[int]:
    """Fashion-MNIST indices (in the split's source file) of the styles in a profile: the first
    `per_class` of each class among the split's images, or all of them."""
    _, labels = fashion_mnist.load_split(SOURCE_OF[split])
    idx = split_indices(split, len(labels))
    if per_class is None:
        return idx.tolist()
    chosen = []
    for c in range(10):
        chosen.extend(idx[labels[idx] == c][:per_class].tolist())
    return sorted(chosen)


def _pick_some(rng: random.Random, options: list[str], extra_p: float) -> list[str]:
    weights = [1.0 / (1 + i) for i in range(len(options))]
    first = rng.choices(options, weights=weights)[0]
    out = [first]
    rest = [o for o in options if o != first]
    if rest and rng.random() < extra_p:
        out.append(rng.choice(rest))
    return [o for o in options if o in out]


def style_products(split: str, index: int, label: int) -> list[dict]:
    """The five variants of one style: Fashion-MNIST image `index` of the split's source file, of
    class `label`. The random stream is named by the source file and the index, so a validation style
    is drawn exactly as it would be as a train style; only its ids, split and product code differ."""
    source = SOURCE_OF[split]
    rng = _rng(STREAM[source], index)
    cat = CATEGORIES[label]
    group = GROUP_OF[cat]
    color = weighted(rng, COLORS, COLOR_WEIGHT)
    pattern = weighted(rng, PATTERNS, PATTERN_WEIGHT)
    material = rng.choice(MATERIALS_BY_GROUP[group])
    gender = rng.choices(GENDERS_BY_CATEGORY[cat], weights=[0.45, 0.35, 0.2][:len(GENDERS_BY_CATEGORY[cat])])[0]
    season = _pick_some(rng, SEASONS_BY_CATEGORY[cat], 0.4)
    occasion = _pick_some(rng, OCCASIONS_BY_CATEGORY[cat], 0.4)
    fit = rng.choice(FITS_BY_GROUP[group])
    brand = rng.choice(BRAND_NAMES)
    if group == "shoes":
        lo = rng.randrange(0, 5)
        sizes = SHOE_SIZES[lo: lo + rng.randrange(5, 12)]
    elif group == "bag":
        sizes = ["one size"]
    else:
        lo = rng.randrange(0, 3)
        sizes = CLOTHING_SIZES[lo: lo + rng.randrange(3, 7)]
    render_seed = rng.getrandbits(31)
    jitter = 0.85 + 0.3 * rng.random()

    kinds = ["color", "pattern", "material", "shade"]
    rng.shuffle(kinds)
    looks = [(color, pattern, material)]
    for kind in kinds:
        c, p, m = color, pattern, material
        if kind == "color":
            c = other_family_color(rng, color)
        elif kind == "shade":
            c = other_shade(rng, color)
        elif kind == "pattern":
            p = other_pattern(rng, pattern)
        else:
            m = other_material(rng, group, material)
        looks.append((c, p, m))

    out = []
    for variant, (c, p, m) in enumerate(looks):
        attrs = {
            "category": [cat], "group": [group], "color": [c], "colorFamily": [COLOR_FAMILY[c]],
            "pattern": [p], "material": [m], "gender": [gender], "season": list(season),
            "occasion": list(occasion), "fit": [fit], "brand": [brand], "size": list(sizes),
        }
        price = BASE_PRICE[cat] * BRANDS[brand] * MATERIAL_PRICE[m] * jitter
        price = round(max(4.0, float(int(price))) + 0.99, 2)
        pid = f"p-{split}-{index:05d}-{variant}"
        code = f"{CODE_PREFIX[split]}{index:05d}-{variant}"
        out.append({
            "id": pid,
            "styleId": f"s-{split}-{index:05d}",
            "split": split,
            "variant": variant,
            "title": title(rng, attrs),
            "description": description(rng, attrs, code),
            "brand": brand,
            "price": price,
            "currency": "EUR",
            "inStock": rng.random() < 0.87,
            "attributes": attrs,
            "image": f"images/{pid}.webp",
            "render": {"source": source, "index": int(index), "color": list(COLOR_RGB[c]), "pattern": p,
                       "material": m, "seed": render_seed},
        })
    return out


# --------------------------------------------------------------------------- text queries
QUERY_KINDS = [("color-category", 0.35), ("family-category", 0.07), ("pattern", 0.14), ("material", 0.14),
               ("full-visual", 0.09), ("non-visual", 0.21)]


def _stated_for(rng: random.Random, kind: str, p: dict) -> dict:
    a = p["attributes"]
    s = {"category": a["category"][0]}
    if kind == "color-category":
        s["color"] = a["color"][0]
    elif kind == "family-category":
        s["colorFamily"] = a["colorFamily"][0]
    elif kind == "pattern":
        s["pattern"] = a["pattern"][0]
        if rng.random() < 0.5:
            s["color"] = a["color"][0]
    elif kind == "material":
        s["material"] = a["material"][0]
        if rng.random() < 0.5:
            s["color"] = a["color"][0]
    elif kind == "full-visual":
        s["color"] = a["color"][0]
        s["pattern"] = a["pattern"][0]
        s["material"] = a["material"][0]
    else:
        keys = [rng.choices(["brand", "fit", "occasion", "season", "gender"], weights=[3, 2, 2, 1, 1])[0]]
        if rng.random() < 0.25:
            keys.append(rng.choice([k for k in ("brand", "fit", "occasion", "season", "gender") if k not in keys]))
        for k in keys:
            s[k] = rng.choice(a[k])
        if rng.random() < 0.4:
            s["color"] = a["color"][0]
    order = ["category", "color", "colorFamily", "pattern", "material", "gender", "season", "occasion", "fit", "brand"]
    return {k: s[k] for k in order if k in s}


def make_text_queries(split: str, products: list[dict], n: int, index: AttributeIndex):
    """`n` in-distribution text queries of a split (phrased by text.query_text, as training texts are)
    and their graded judgements."""
    rng = _rng(100 + STREAM[split], n)
    kinds = [k for k, _ in QUERY_KINDS]
    weights = [w for _, w in QUERY_KINDS]
    patterned = [p for p in products if p["attributes"]["pattern"][0] != "solid"]
    queries, qrels = [], []
    seen = set()
    attempts = 0
    while len(queries) < n and products and attempts < n * 20:
        attempts += 1
        kind = rng.choices(kinds, weights=weights)[0]
        pool = patterned if kind in ("pattern", "full-visual") and patterned else products
        anchor = pool[rng.randrange(len(pool))]
        if kind == "family-category" and anchor["attributes"]["colorFamily"][0] == "neutral":
            continue
        stated = _stated_for(rng, kind, anchor)
        key = tuple(sorted(stated.items()))
        if key in seen and rng.random() < 0.8:
            continue
        seen.add(key)
        qid = f"tq-{split}-{len(queries):05d}"
        queries.append({"id": qid, "split": split, "text": query_text(rng, stated), "stated": stated, "kind": kind,
                        "vocabulary": "seen", "distribution": "in"})
        rows, grade, _ = index.judge(stated)
        for r, g in zip(rows.tolist(), grade.tolist()):
            if g > 0:
                qrels.append((qid, index.ids[r], g))
    return queries, qrels


# --------------------------------------------------------------------------- click logs
# The days of each split's sessions do not overlap: train 1-14 March, validation 15-17, test 18-21.
DAYS = {"train": [f"2026-03-{d:02d}" for d in range(1, 15)],
        "validation": [f"2026-03-{d:02d}" for d in range(15, 18)],
        "test": [f"2026-03-{d:02d}" for d in range(18, 22)]}


def make_clicks(split: str, queries: list[dict], index: AttributeIndex, sessions: int, shown: int = 12):
    """Simulated search sessions over a split's in-distribution text queries (see seed/README.md)."""
    if not queries or sessions <= 0:
        return []
    rng = _rng(400 + STREAM[split], sessions)
    nprng = np.random.default_rng([SEED, 400 + STREAM[split], sessions])
    cache: dict[str, tuple] = {}
    n_all = len(index.ids)
    codes_cat = index.codes["category"]
    out = []
    for s in range(sessions):
        q = queries[rng.randrange(len(queries))]
        if q["id"] not in cache:
            cache[q["id"]] = index.judge(q["stated"])
        rows, grade, frac = cache[q["id"]]
        extra = np.unique(nprng.integers(0, n_all, size=min(200, n_all)))
        extra = extra[codes_cat[extra] != codes_cat[rows[0]]] if len(rows) else extra
        cand = np.concatenate([rows, extra])
        score = np.concatenate([frac, np.zeros(len(extra))]) + nprng.normal(0.0, 0.3, size=len(cand))
        k = min(shown, len(cand))
        top = np.argpartition(-score, k - 1)[:k]
        top = top[np.argsort(-score[top], kind="stable")]
        gr = np.concatenate([grade, np.zeros(len(extra), dtype=np.int8)])[top]
        attract = np.array([0.04, 0.3, 0.7])[gr]
        examine = 1.0 / (1.0 + np.arange(k)) ** 0.8
        clicked = nprng.random(k) < attract * examine
        shown_ids = [index.ids[i] for i in cand[top].tolist()]
        out.append({"searchId": f"ss-{split}-{s:06d}", "day": DAYS[split][rng.randrange(len(DAYS[split]))],
                    "split": split, "queryId": q["id"], "query": q["text"], "shown": shown_ids,
                    "clicks": [{"productId": shown_ids[j], "position": j + 1} for j in np.flatnonzero(clicked).tolist()]})
    out.sort(key=lambda r: (r["day"], r["searchId"]))
    return out


# --------------------------------------------------------------------------- build
def build_catalog(profile: str, log=None, splits: tuple[str, ...] | None = None) -> Catalog:
    """All products and evaluation sets of a profile (one of PROFILES), in memory.

    `splits` limits the splits built (default: every split the profile holds); a split not built is
    never read from the Fashion-MNIST files, so training can build ("train", "validation") without
    opening the test images. `log`, when given, receives one line per stage (progress)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {sorted(PROFILES)}")
    prof = PROFILES[profile]
    wanted = prof.splits if splits is None else tuple(splits)
    unknown = [s for s in wanted if s not in SPLITS]
    if unknown:
        raise ValueError(f"unknown split(s) {unknown}: use any of {list(SPLITS)}")
    say = log or (lambda _msg: None)
    cat = Catalog(profile=profile, seed=SEED, splits=tuple(s for s in prof.splits if s in wanted))
    cat.outfits = {"labelled": [], "unlabelled": [], "fitb": []}
    for split in cat.splits:
        sizes = prof.sizes[split]
        _, labels = fashion_mnist.load_split(SOURCE_OF[split])
        styles = [style_products(split, i, int(labels[i])) for i in select_styles(split, sizes.styles_per_class)]
        prods = [p for variants in styles for p in variants]
        cat.products.extend(prods)
        say(f"{split}: {len(styles)} styles, {len(prods)} products")
        index = AttributeIndex(prods)

        q, r = make_text_queries(split, prods, sizes.text_queries, index)
        cat.clicks[split] = make_clicks(split, q, index, sizes.click_sessions)
        hq, hr = make_heldout_queries(split, index, sizes.heldout_queries, first=len(q))
        cat.text_queries[split] = q + hq
        cat.text_qrels[split] = r + hr
        say(f"{split}: {len(q)} in-distribution and {len(hq)} held-out text queries, {len(r) + len(hr)} "
            f"judgements, {len(cat.clicks[split])} click sessions")

        held_out_sets = split != "train"
        cat.composed[split] = make_composed(split, styles, sizes.composed_per_style, across_styles=held_out_sets)
        if held_out_sets:
            cat.composed_meaning[split] = meaning_qrels(cat.composed[split], index)
        say(f"{split}: {len(cat.composed[split])} composed queries")

        sets = outfit_rules.make_outfits(split, prods, sizes.outfits_labelled, sizes.outfits_unlabelled, sizes.fitb)
        for k, v in sets.items():
            cat.outfits[k].extend(v)
        say(f"{split}: outfits " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))

        if sizes.realshot:
            cat.realshot[split] = realshot_queries(split, prods, sizes.realshot, "held-out")
            cat.realshot_indist[split] = realshot_queries(split, prods, sizes.realshot, "in-distribution")
    return cat
