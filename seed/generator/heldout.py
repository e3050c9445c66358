"""The evaluation-only lexicon: words, phrasings and an error model that no training text, title,
description, tokenizer corpus or query-parser table may contain.

Everything the catalogue and its training sets say comes from vocab.py and text.py. The words here
are used only to phrase validation and test queries, so that an evaluation can tell whether search
understands vocabulary it was never shown. The lexicon has two disjoint halves: `validation` (for
choices: thresholds, weights, defaults) and `test` (for the reported numbers), so that tuning on
held-out words never touches the words the report is measured with.

Each word is mapped to the catalogue value a shopper means by it, judged by hand against the colour
the catalogue renders (vocab.COLOR_RGB) or the Fashion-MNIST class; words whose meaning straddles two
catalogue values (azure, mauve-pink, polo) are left out rather than guessed. seed/tests check that no
word here occurs in vocab.py's word tables, in any generated title, description, training query or
modifier, and that the two halves share no word.
"""

from __future__ import annotations

import random

HALVES = ("validation", "test")

# catalogue colour -> {half: [unseen colour words]}
COLOR_WORDS = {
    "black": {"validation": ["ebony"], "test": ["onyx", "raven"]},
    "charcoal": {"validation": ["graphite"], "test": ["gunmetal"]},
    "grey": {"validation": ["steel"], "test": ["pewter"]},
    "light grey": {"validation": ["silver"], "test": ["platinum"]},
    "white": {"validation": ["alabaster", "chalk"], "test": ["ivory", "porcelain"]},
    "blue": {"validation": ["sapphire"], "test": ["ultramarine"]},
    "burgundy": {"validation": ["claret"], "test": ["merlot", "oxblood"]},
    "red": {"validation": ["vermilion", "ruby"], "test": ["crimson", "carmine"]},
    "pink": {"validation": ["flamingo"], "test": ["bubblegum", "carnation"]},
    "dark green": {"validation": ["pine"], "test": ["evergreen"]},
    "green": {"validation": ["jade"], "test": ["shamrock"]},
    "mint": {"validation": ["pistachio"], "test": ["seafoam", "celadon"]},
    "brown": {"validation": ["mocha", "coffee"], "test": ["espresso", "cocoa"]},
    "camel": {"validation": ["toffee"], "test": ["butterscotch", "cognac"]},
    "beige": {"validation": ["oatmeal", "biscuit"], "test": ["ecru"]},
    "mustard": {"validation": ["turmeric"], "test": ["saffron"]},
    "yellow": {"validation": ["daffodil", "banana"], "test": ["canary", "buttercup"]},
    "rust": {"validation": ["cinnamon"], "test": ["paprika", "copper"]},
    "orange": {"validation": ["pumpkin", "mandarin"], "test": ["marigold"]},
    "plum": {"validation": ["mulberry"], "test": ["damson"]},
    "purple": {"validation": ["orchid"], "test": ["amethyst"]},
    "lavender": {"validation": ["wisteria"], "test": ["mauve", "thistle"]},
}

# catalogue category -> {half: [unseen garment words]}
CATEGORY_WORDS = {
    "t-shirt": {"validation": ["singlet"], "test": ["camisole"]},
    "trousers": {"validation": ["khakis", "sweatpants"], "test": ["jeans", "culottes"]},
    "pullover": {"validation": ["cardigan", "sweatshirt"], "test": ["hoodie", "turtleneck"]},
    "dress": {"validation": ["sundress", "pinafore"], "test": ["gown", "kaftan"]},
    "coat": {"validation": ["parka", "raincoat", "peacoat"], "test": ["anorak", "trenchcoat", "windbreaker"]},
    "sandal": {"validation": ["slides", "slingbacks"], "test": ["flip-flops", "espadrilles"]},
    "shirt": {"validation": ["blouse", "flannel"], "test": ["tunic", "overshirt"]},
    "sneaker": {"validation": ["runners"], "test": ["plimsolls", "high-tops"]},
    "bag": {"validation": ["satchel", "purse", "backpack"], "test": ["clutch", "rucksack", "holdall"]},
    "ankle-boot": {"validation": ["galoshes"], "test": ["chukkas"]},
}

# Sentences around a literal "<colour> <category>" query ({c}: colour, {g}: garment).
SENTENCES = {
    "validation": [
        "any chance you stock {c} {g}?",
        "i am after some {c} {g}",
        "could you show me {c} {g} please",
        "where can i find {c} {g}",
        "{c} {g} for my sister, what do you have",
    ],
    "test": [
        "do you have any {g} in {c}?",
        "hi, i need {c} {g} for a wedding next month",
        "what {c} {g} do you sell?",
        "can you recommend some {c} {g}",
        "show me all the {c} {g} you have",
    ],
}

# Exclusions of a colour ({g}: garment, {c}: the excluded colour).
EXCLUSIONS = {
    "validation": [
        "{g} not in {c}",
        "{g} in any colour except {c}",
        "{g} excluding {c}",
    ],
    "test": [
        "{g} but not {c}",
        "{g}, anything but {c}",
        "no {c} {g}",
        "{g} other than {c}",
    ],
}

# Price phrases after a literal query ({n}: an upper bound in euros).
PRICES = {
    "validation": ["{c} {g} below {n} euros", "{c} {g} cheaper than {n}"],
    "test": ["{c} {g} under {n}", "{c} {g} for less than €{n}"],
}

QWERTY_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]


def _neighbours() -> dict[str, str]:
    """Letters next to each letter on a QWERTY keyboard (same row and the rows above and below)."""
    pos = {ch: (r, c) for r, row in enumerate(QWERTY_ROWS) for c, ch in enumerate(row)}
    out = {}
    for ch, (r, c) in pos.items():
        near = []
        for other, (r2, c2) in pos.items():
            if other != ch and abs(r - r2) <= 1 and abs((c + 0.5 * r) - (c2 + 0.5 * r2)) <= 1.0:
                near.append(other)
        out[ch] = "".join(sorted(near))
    return out


KEY_NEIGHBOURS = _neighbours()


def keyboard_typo(rng: random.Random, word: str) -> str:
    """One typing error in a word of three letters or more, from an error model that training's
    text.typo() does not use: a neighbouring key struck instead of (or next to) the right one, two
    adjacent letters swapped anywhere (the first two included), or any letter dropped. Words of one or
    two letters, and words that are not all letters, are returned unchanged. The result always
    differs from the word."""
    if len(word) < 3 or not word.isalpha():
        return word
    w = word.lower()
    for _ in range(20):
        op = rng.randrange(4)
        i = rng.randrange(len(w))
        if op == 0:  # substitution by a neighbouring key
            out = w[:i] + rng.choice(KEY_NEIGHBOURS[w[i]]) + w[i + 1:]
        elif op == 1:  # a neighbouring key struck as well, before or after
            extra = rng.choice(KEY_NEIGHBOURS[w[i]])
            out = w[:i] + extra + w[i:] if rng.random() < 0.5 else w[:i + 1] + extra + w[i + 1:]
        elif op == 2:  # adjacent transposition, anywhere
            if i == len(w) - 1:
                i -= 1
            out = w[:i] + w[i + 1] + w[i] + w[i + 2:]
        else:  # deletion, anywhere
            out = w[:i] + w[i + 1:]
        if out != w:
            return out
    return w[::-1] if w[::-1] != w else w + w[-1]


def typo_every_word(rng: random.Random, text: str) -> str:
    """keyboard_typo() applied to every word of a phrase (hyphenated words count as several)."""
    out = []
    for token in text.split(" "):
        out.append("-".join(keyboard_typo(rng, part) for part in token.split("-")))
    return " ".join(out)


def words_of(half: str) -> set[str]:
    """Every single word of one half of the lexicon (phrases split on spaces and hyphens)."""
    out: set[str] = set()
    for table in (COLOR_WORDS, CATEGORY_WORDS):
        for halves in table.values():
            for phrase in halves[half]:
                out.update(p for p in phrase.replace("-", " ").split() if p)
    return out
