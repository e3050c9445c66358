"""Builds the whole catalogue in memory: products, text / composed / real-shot queries, click logs
and outfits. No images are rendered here; `writer` renders and writes files.

Every style draws its attributes from its own random stream (seeded by the global seed, the split
and the Fashion-MNIST index), so a product is the same in every profile that contains it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import numpy as np

from . import SEED
from .fashion_mnist import load_split
from .text import description, modifier_text, query_text, title
from .vocab import (BASE_PRICE, BRANDS, BRAND_NAMES, CATEGORIES, CLOTHING_SIZES, COLOR_FAMILY, COLOR_RGB,
                    COLOR_WEIGHT, COLORS, FITS_BY_GROUP, GENDERS_BY_CATEGORY, GROUP_OF, MATERIAL_PRICE,
                    MATERIALS_BY_GROUP, OCCASIONS_BY_CATEGORY, PATTERN_WEIGHT, PATTERNS, SEASONS_BY_CATEGORY,
                    SHOE_SIZES, shade_neighbours)
from . import outfits as outfit_rules

SPLITS = ("train", "test")


@dataclass(frozen=True)
class Profile:
    name: str
    per_class: dict           # split -> styles per class (None: all)
    text_queries: dict        # split -> count
    realshot: int
    composed_per_style: dict  # split -> composed queries per style
    click_sessions: dict      # split -> sessions
    outfits_labelled: dict    # split -> count (half compatible, half not)
    outfits_unlabelled: dict  # split -> count
    fitb: int


PROFILES = {
    "smoke": Profile("smoke", {"train": 4, "test": 4}, {"train": 80, "test": 60}, 20, {"train": 2, "test": 1},
                     {"train": 40, "test": 40}, {"train": 20, "test": 20}, {"train": 40, "test": 0}, 20),
    "demo": Profile("demo", {"train": 0, "test": 200}, {"train": 0, "test": 1000}, 300, {"train": 0, "test": 1},
                    {"train": 0, "test": 2500}, {"train": 0, "test": 400}, {"train": 0, "test": 2000}, 500),
    "full": Profile("full", {"train": None, "test": None}, {"train": 2000, "test": 1500}, 600,
                    {"train": 2, "test": 1}, {"train": 12000, "test": 4000}, {"train": 2000, "test": 1000},
                    {"train": 12000, "test": 3000}, 1000),
}

VISUAL = ("color", "pattern", "material")


@dataclass
class Catalog:
    profile: str
    seed: int
    products: list = field(default_factory=list)
    text_queries: dict = field(default_factory=dict)   # split -> [query]
    text_qrels: dict = field(default_factory=dict)     # split -> [(qid, productId, grade)]
    composed: dict = field(default_factory=dict)       # split -> [query]
    realshot: list = field(default_factory=list)
    clicks: dict = field(default_factory=dict)         # split -> [session]
    outfits: dict = field(default_factory=dict)        # labelled | unlabelled | fitb -> [record]

    def products_of(self, split: str) -> list:
        return [p for p in self.products if p["split"] == split]

    @property
    def by_id(self) -> dict:
        return {p["id"]: p for p in self.products}


def _rng(*parts: int) -> random.Random:
    x = SEED
    for p in parts:
        x = (x * 1_000_003 + int(p)) & ((1 << 62) - 1)
    return random.Random(x)


def _weighted(rng: random.Random, items: list, weights: dict | None = None):
    if weights is None:
        return rng.choice(items)
    return rng.choices(items, weights=[weights.get(i, 1.0) for i in items])[0]


def select_styles(split: str, per_class: int | None) -> list[int]:
    """Fashion-MNIST indices of the styles in a profile: the first `per_class` of each class, or all."""
    _, labels = load_split(split)
    if per_class is None:
        return list(range(len(labels)))
    if per_class == 0:
        return []
    chosen = []
    for c in range(10):
        chosen.extend(np.flatnonzero(labels == c)[:per_class].tolist())
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
    """The five variants of one style."""
    rng = _rng(SPLITS.index(split), index)
    cat = CATEGORIES[label]
    group = GROUP_OF[cat]
    color = _weighted(rng, COLORS, COLOR_WEIGHT)
    pattern = _weighted(rng, PATTERNS, PATTERN_WEIGHT)
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
            fam = COLOR_FAMILY[color]
            c = _weighted(rng, [x for x in COLORS if COLOR_FAMILY[x] != fam], COLOR_WEIGHT)
        elif kind == "shade":
            c = rng.choice(sorted(shade_neighbours(color).values()))
        elif kind == "pattern":
            if pattern == "solid" or rng.random() < 0.5:
                p = _weighted(rng, [x for x in PATTERNS if x not in ("solid", pattern)], PATTERN_WEIGHT)
            else:
                p = "solid"
        else:
            m = rng.choice([x for x in MATERIALS_BY_GROUP[group] if x != material])
        looks.append((c, p, m))

    out = []
    prefix = "TE" if split == "test" else "TR"
    for variant, (c, p, m) in enumerate(looks):
        attrs = {
            "category": [cat], "group": [group], "color": [c], "colorFamily": [COLOR_FAMILY[c]],
            "pattern": [p], "material": [m], "gender": [gender], "season": list(season),
            "occasion": list(occasion), "fit": [fit], "brand": [brand], "size": list(sizes),
        }
        price = BASE_PRICE[cat] * BRANDS[brand] * MATERIAL_PRICE[m] * jitter
        price = round(max(4.0, float(int(price))) + 0.99, 2)
        pid = f"p-{split}-{index:05d}-{variant}"
        code = f"{prefix}{index:05d}-{variant}"
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
            "render": {"source": split, "index": int(index), "color": list(COLOR_RGB[c]), "pattern": p,
                       "material": m, "seed": render_seed},
        })
    return out


# --------------------------------------------------------------------------- attribute index
SINGLE = ("category", "color", "colorFamily", "pattern", "material", "gender", "fit", "brand")
MULTI = ("season", "occasion")


class AttributeIndex:
    """Products of one split as integer-coded arrays, for vectorised relevance judgements."""

    def __init__(self, products: list[dict]):
        self.products = products
        self.ids = [p["id"] for p in products]
        self.vocab: dict[str, dict[str, int]] = {}
        self.codes: dict[str, np.ndarray] = {}
        for a in SINGLE + MULTI:
            values = sorted({v for p in products for v in p["attributes"][a]})
            self.vocab[a] = {v: i for i, v in enumerate(values)}
        for a in SINGLE:
            vi = self.vocab[a]
            self.codes[a] = np.fromiter((vi[p["attributes"][a][0]] for p in products), dtype=np.int32,
                                        count=len(products))
        self.multi: dict[str, np.ndarray] = {}
        for a in MULTI:
            vi = self.vocab[a]
            m = np.zeros((len(products), max(1, len(vi))), dtype=bool)
            for i, p in enumerate(products):
                for v in p["attributes"][a]:
                    m[i, vi[v]] = True
            self.multi[a] = m
        self.by_category = {c: np.flatnonzero(self.codes["category"] == i) for c, i in self.vocab["category"].items()}

    def _match(self, attr: str, value: str, rows: np.ndarray) -> np.ndarray:
        code = self.vocab[attr].get(value)
        if code is None:
            return np.zeros(len(rows), dtype=bool)
        if attr in MULTI:
            return self.multi[attr][rows, code]
        return self.codes[attr][rows] == code

    def judge(self, stated: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows of the stated category, grade per row, fraction of stated attributes matched per row).
        Products outside the stated category have grade 0."""
        rows = self.by_category.get(stated["category"], np.zeros(0, dtype=np.int64))
        others = [k for k in stated if k != "category"]
        matches = [self._match(k, stated[k], rows) for k in others]
        if matches:
            allm = np.logical_and.reduce(matches)
            anym = np.logical_or.reduce(matches)
            count = np.sum(matches, axis=0)
        else:
            allm = np.ones(len(rows), dtype=bool)
            anym = allm
            count = np.zeros(len(rows))
        grade = np.where(allm, 2, np.where(anym, 1, 0)).astype(np.int8)
        frac = (1.0 + count) / (1.0 + len(others))
        return rows, grade, frac


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
    rng = _rng(100 + SPLITS.index(split), n)
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
        queries.append({"id": qid, "split": split, "text": query_text(rng, stated), "stated": stated, "kind": kind})
        rows, grade, _ = index.judge(stated)
        for r, g in zip(rows.tolist(), grade.tolist()):
            if g > 0:
                qrels.append((qid, index.ids[r], g))
    return queries, qrels


# --------------------------------------------------------------------------- composed queries
def _change(ref: dict, tgt: dict) -> tuple[str, str, str, str]:
    for a in VISUAL:
        x, y = ref["attributes"][a][0], tgt["attributes"][a][0]
        if x != y:
            kind = a
            if a == "color" and COLOR_FAMILY[x] == COLOR_FAMILY[y]:
                kind = "shade"
            return a, x, y, kind
    raise ValueError(f"{ref['id']} and {tgt['id']} do not differ")


def make_composed(split: str, styles: list[list[dict]], per_style: int):
    out = []
    for variants in styles:
        index = int(variants[0]["render"]["index"])
        rng = _rng(200 + SPLITS.index(split), index)
        pairs = [(0, k) for k in range(1, 5)] + [(k, 0) for k in range(1, 5)]
        for n, (r, t) in enumerate(rng.sample(pairs, per_style)):
            ref, tgt = variants[r], variants[t]
            attr, x, y, kind = _change(ref, tgt)
            out.append({"id": f"cq-{split}-{index:05d}-{n}", "split": split, "referenceId": ref["id"],
                        "modifier": modifier_text(rng, kind, x, y), "targetId": tgt["id"],
                        "change": {"attribute": attr, "from": x, "to": y}, "kind": kind})
    return out


# --------------------------------------------------------------------------- real-shot queries
def make_realshot(products: list[dict], n: int):
    rng = _rng(300, n)
    if not products:
        return []
    chosen = sorted(rng.sample(range(len(products)), min(n, len(products))))
    out = []
    for i, pi in enumerate(chosen):
        p = products[pi]
        qid = f"rq-test-{i:05d}"
        degr = []
        w = 0.72 + 0.25 * rng.random()
        x0 = rng.random() * (1 - w)
        y0 = rng.random() * (1 - w)
        degr.append({"type": "crop", "box": [round(x0, 4), round(y0, 4), round(x0 + w, 4), round(y0 + w, 4)],
                     "scale": round(0.75 + 0.5 * rng.random(), 3)})
        optional = ["rotate", "clutter", "lighting", "blur"]
        for kind in rng.sample(optional, rng.randint(2, 4)):
            if kind == "rotate":
                degr.append({"type": "rotate", "degrees": round(rng.uniform(-25, 25), 2)})
            elif kind == "clutter":
                degr.append({"type": "clutter", "objects": rng.randint(3, 9), "seed": rng.getrandbits(31)})
            elif kind == "lighting":
                degr.append({"type": "lighting", "brightness": round(rng.uniform(0.65, 1.3), 3),
                             "contrast": round(rng.uniform(0.7, 1.2), 3),
                             "tint": [round(rng.uniform(0.88, 1.12), 3) for _ in range(3)]})
            else:
                degr.append({"type": "blur", "radius": round(rng.uniform(0.6, 1.8), 2)})
        order = {"clutter": 0, "rotate": 1, "crop": 2, "lighting": 3, "blur": 4}
        degr.sort(key=lambda d: order[d["type"]])
        degr.append({"type": "jpeg", "quality": rng.randint(35, 75)})
        out.append({"id": qid, "split": "test", "productId": p["id"], "image": f"queries/realshot/{qid}.jpg",
                    "degradations": degr, "render": dict(p["render"])})
    return out


# --------------------------------------------------------------------------- click logs
DAYS = {"train": [f"2026-03-{d:02d}" for d in range(1, 15)], "test": [f"2026-03-{d:02d}" for d in range(15, 22)]}


def make_clicks(split: str, queries: list[dict], index: AttributeIndex, sessions: int, shown: int = 12):
    if not queries or sessions <= 0:
        return []
    rng = _rng(400 + SPLITS.index(split), sessions)
    nprng = np.random.default_rng([SEED, 400 + SPLITS.index(split), sessions])
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
def build_catalog(profile: str, log=None) -> Catalog:
    """All products and evaluation sets of a profile ('smoke', 'demo' or 'full'), in memory.
    `log`, when given, receives one line per stage (progress)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}: use one of {sorted(PROFILES)}")
    say = log or (lambda _msg: None)
    prof = PROFILES[profile]
    cat = Catalog(profile=profile, seed=SEED)
    styles: dict[str, list[list[dict]]] = {}
    for split in SPLITS:
        _, labels = load_split(split)
        styles[split] = [style_products(split, i, int(labels[i])) for i in select_styles(split, prof.per_class[split])]
        say(f"{split}: {len(styles[split])} styles, {5 * len(styles[split])} products")
        for variants in styles[split]:
            cat.products.extend(variants)
    cat.outfits = {"labelled": [], "unlabelled": [], "fitb": []}
    for split in SPLITS:
        prods = [p for v in styles[split] for p in v]
        if not prods:
            continue
        index = AttributeIndex(prods)
        q, r = make_text_queries(split, prods, prof.text_queries[split], index)
        say(f"{split}: {len(q)} text queries, {len(r)} judgements")
        cat.text_queries[split] = q
        cat.text_qrels[split] = r
        cat.composed[split] = make_composed(split, styles[split], prof.composed_per_style[split])
        cat.clicks[split] = make_clicks(split, q, index, prof.click_sessions[split])
        say(f"{split}: {len(cat.composed[split])} composed queries, {len(cat.clicks[split])} click sessions")
        sets = outfit_rules.make_outfits(split, prods, prof.outfits_labelled[split], prof.outfits_unlabelled[split],
                                         prof.fitb if split == "test" else 0)
        for k, v in sets.items():
            cat.outfits[k].extend(v)
        say(f"{split}: outfits " + ", ".join(f"{k} {len(v)}" for k, v in sets.items()))
        if split == "test":
            cat.realshot = make_realshot(prods, prof.realshot)
    return cat
