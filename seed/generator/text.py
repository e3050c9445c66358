"""Product titles and descriptions, query and modifier phrasing: templates with synonyms and
varied word order, so that text search cannot succeed by string matching alone."""

from __future__ import annotations

import random

from .vocab import (CATEGORY_TITLE, CATEGORY_WORDS, COLOR_FAMILY, COLOR_FAMILIES, COLOR_WORDS, FAMILY_WORDS,
                    FIT_WORDS, GENDER_WORDS, MATERIAL_WORDS, OCCASION_WORDS, PATTERN_NOUN, PATTERN_WORDS,
                    SEASON_WORDS)


def _cap(s: str) -> str:
    return s[:1].upper() + s[1:]


def _word(rng: random.Random, words: list[str], canonical_p: float = 0.5) -> str:
    return words[0] if rng.random() < canonical_p else rng.choice(words[1:] or words)


def _pattern_adj(rng: random.Random, pattern: str) -> tuple[str, bool]:
    """(phrase, goes_after_noun)."""
    w = _word(rng, PATTERN_WORDS[pattern], 0.5)
    return w, w.startswith("with ")


def _sizes_text(sizes: list[str]) -> str:
    if sizes == ["one size"]:
        return "One size."
    if len(sizes) == 1:
        return f"Size {sizes[0]} only."
    return f"Sizes {sizes[0]} to {sizes[-1]}."


def title(rng: random.Random, a: dict) -> str:
    cat = a["category"][0]
    color = _word(rng, COLOR_WORDS[a["color"][0]], 0.7)
    noun = CATEGORY_TITLE[cat] if rng.random() < 0.7 else rng.choice(CATEGORY_WORDS[cat][1:])
    pattern = a["pattern"][0]
    material = _word(rng, MATERIAL_WORDS[a["material"][0]], 0.75)
    with_material = pattern == "solid" or rng.random() < 0.6
    form = rng.randrange(4)
    if pattern != "solid":
        padj, after = _pattern_adj(rng, pattern)
    else:
        padj, after = "", False
    if form == 0:
        words = [color, "" if after else padj, material if with_material else "", noun, padj if after else ""]
    elif form == 1:
        words = ["" if after else padj, material if with_material else "", noun, "in", color, padj if after else ""]
    elif form == 2:
        fit = _word(rng, FIT_WORDS[a["fit"][0]], 0.6)
        words = [fit, color, "" if after else padj, noun, padj if after else ""]
    else:
        words = [a["brand"][0], color, "" if after else padj, material if with_material else "", noun,
                 padj if after else ""]
    return _cap(" ".join(w for w in words if w))


def description(rng: random.Random, a: dict, code: str) -> str:
    cat = a["category"][0]
    noun = _cap(CATEGORY_TITLE[cat] if rng.random() < 0.5 else rng.choice(CATEGORY_WORDS[cat]))
    color = _word(rng, COLOR_WORDS[a["color"][0]], 0.4)
    material = _word(rng, MATERIAL_WORDS[a["material"][0]], 0.5)
    fit = _word(rng, FIT_WORDS[a["fit"][0]], 0.5).replace("-fit", "")
    first = f"{noun} in {color} {material}, {fit} fit." if rng.random() < 0.5 else \
        f"{_cap(fit)} {noun.lower()} made of {material} in {color}."
    pattern = a["pattern"][0]
    if pattern == "solid":
        pat = rng.choice(["Plain, without a print.", "A clean solid colour.", "No pattern, just colour."])
    else:
        pat = rng.choice([f"Features {PATTERN_NOUN[pattern]}.", f"Finished with {PATTERN_NOUN[pattern]}.",
                          f"The {_word(rng, PATTERN_WORDS[pattern])} design stands out."])
    occ = " and ".join(_word(rng, OCCASION_WORDS[o]) for o in a["occasion"])
    sea = " and ".join(_word(rng, SEASON_WORDS[s]) for s in a["season"])
    art = "an" if sea[:1] in "aeiou" else "a"
    use = rng.choice([f"Made for {occ} wear in {sea}.", f"{_cap(art)} {sea} piece for {occ} wear.",
                      f"Wear it for {occ} occasions; {art} {sea} favourite."])
    g = a["gender"][0]
    gender = {"women": rng.choice(["Cut for women.", "Women's sizing."]),
              "men": rng.choice(["Cut for men.", "Men's sizing."]),
              "unisex": rng.choice(["Unisex sizing.", "Fits everyone: unisex cut."])}[g]
    brand = rng.choice([f"By {a['brand'][0]}.", f"From {a['brand'][0]}."])
    middle = [pat, use, gender, _sizes_text(a["size"])]
    rng.shuffle(middle)
    return " ".join([first, *middle, brand, f"Art. no. {code}."])


# ------------------------------------------------------------------ queries
def typo(rng: random.Random, text: str) -> str:
    """Introduce one keyboard slip (swap, drop or double a letter) in a word of five letters or more."""
    words = text.split(" ")
    cand = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    if not cand:
        return text
    i = rng.choice(cand)
    w = words[i]
    j = rng.randrange(1, len(w) - 1)
    op = rng.randrange(3)
    if op == 0:
        w = w[:j] + w[j + 1] + w[j] + w[j + 2:]
    elif op == 1:
        w = w[:j] + w[j + 1:]
    else:
        w = w[:j] + w[j] + w[j:]
    words[i] = w
    return " ".join(words)


def query_text(rng: random.Random, stated: dict) -> str:
    """A search phrase for the stated attributes, avoiding the title's canonical wording."""
    cat = stated["category"]
    noun = rng.choice(CATEGORY_WORDS[cat])
    mods: list[str] = []
    if "color" in stated:
        mods.append(_word(rng, COLOR_WORDS[stated["color"]], 0.35))
    if "colorFamily" in stated:
        mods.append(_word(rng, FAMILY_WORDS[stated["colorFamily"]], 0.4))
    post: list[str] = []
    if "pattern" in stated:
        w, after = _pattern_adj(rng, stated["pattern"])
        (post if after else mods).append(w)
    if "material" in stated:
        w = _word(rng, MATERIAL_WORDS[stated["material"]], 0.4)
        if rng.random() < 0.3:
            post.append(f"in {w}")
        else:
            mods.append(w)
    if "fit" in stated:
        mods.insert(0, _word(rng, FIT_WORDS[stated["fit"]], 0.4))
    if "gender" in stated:
        w = rng.choice(GENDER_WORDS[stated["gender"]])
        (post if w.startswith("for ") else mods).insert(0, w)
    if "occasion" in stated:
        post.append(rng.choice(["for ", "for ", ""]) + rng.choice(OCCASION_WORDS[stated["occasion"]]))
    if "season" in stated:
        post.append(rng.choice(["for ", ""]) + rng.choice(SEASON_WORDS[stated["season"]]))
    if "brand" in stated:
        if rng.random() < 0.5:
            mods.insert(0, stated["brand"])
        else:
            post.append(f"by {stated['brand']}")
    form = rng.randrange(5)
    if form == 0:
        text = " ".join([*mods, noun, *post])
    elif form == 1:
        text = " ".join([noun, *mods, *post])
    elif form == 2:
        text = " ".join([rng.choice(["looking for", "need", "want", "show me", "searching"]), *mods, noun, *post])
    elif form == 3:
        text = " ".join([*mods, noun, *post, rng.choice(["please", "", "sale", "online", ""])])
    else:
        rest = mods + post
        rng.shuffle(rest)
        text = " ".join([noun, *rest])
    text = " ".join(text.split()).lower()
    if rng.random() < 0.12:
        text = typo(rng, text)
    return text


def modifier_text(rng: random.Random, kind: str, src: str, dst: str) -> str:
    """Phrase a composed-query modifier. kind: color | shade | pattern | material."""
    if kind == "color":
        w = _word(rng, COLOR_WORDS[dst], 0.5)
        f = _word(rng, COLOR_WORDS[src], 0.6)
        text = rng.choice([f"make it {w}", f"same but in {w}", f"I'd like this in {w}", f"{w} instead of {f}",
                           f"can I get it in {w}?", f"change the colour to {w}", f"in {w} please",
                           f"this one but {w}", f"same style, {w} colour", f"not {f}, {w}"])
    elif kind == "shade":
        fam = COLOR_FAMILY[src]
        names = [n for n, _ in COLOR_FAMILIES[fam]]
        darker = names.index(dst) < names.index(src)
        d = "darker" if darker else "lighter"
        alt = "deeper" if darker else "paler"
        text = rng.choice([f"in a {d} colour", f"a {d} shade", f"{d} please", f"same but {d}",
                           f"go a shade {d}", f"a bit {alt}", f"make the colour {d}", f"I want a {alt} tone"])
    elif kind == "pattern":
        if dst == "solid":
            f = _word(rng, PATTERN_WORDS[src], 0.5)
            text = rng.choice(["same but plain", f"without the {f.replace('with ', '')} pattern", "make it solid",
                               "no print please", "plain version", "remove the pattern"])
        else:
            w = _word(rng, PATTERN_WORDS[dst], 0.5)
            noun = PATTERN_NOUN[dst]
            opts = [f"with {noun.replace('a ', '', 1)}", f"same but {w}", f"make it {w.replace('with ', '')}"]
            if src == "solid":
                opts.append(f"add {noun}")
            if src != "solid":
                f = _word(rng, PATTERN_WORDS[src], 0.5).replace("with ", "")
                opts += [f"{w.replace('with ', '')} instead of {f}", f"swap the {f} for {noun}"]
            text = rng.choice(opts)
    elif kind == "material":
        w = _word(rng, MATERIAL_WORDS[dst], 0.6)
        f = _word(rng, MATERIAL_WORDS[src], 0.6)
        text = rng.choice([f"same but in {w}", f"in {w} instead", f"make it {w}", f"{w} version please",
                           f"I want it in {w} instead of {f}", f"the {w} one", f"same cut in {w}"])
    else:
        raise ValueError(f"unknown modifier kind {kind!r}")
    if rng.random() < 0.05 and kind != "shade":
        text = typo(rng, text)
    return text
