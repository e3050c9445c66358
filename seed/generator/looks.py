"""Draws of a new look: how a product's colour, pattern or material changes into another value.

Product variants and composed queries change a look the same way, so that a composed query asks for
changes the catalogue itself makes: a colour of another family, a shade one step darker or lighter
in the family, another pattern (or plain), another material the garment group allows."""

from __future__ import annotations

import random

from .vocab import COLOR_FAMILY, COLOR_WEIGHT, COLORS, MATERIALS_BY_GROUP, PATTERN_WEIGHT, PATTERNS, shade_neighbours


def weighted(rng: random.Random, items: list, weights: dict | None = None):
    """One item, drawn with the given weights (1.0 for items without one), or uniformly."""
    if weights is None:
        return rng.choice(items)
    return rng.choices(items, weights=[weights.get(i, 1.0) for i in items])[0]


def other_family_color(rng: random.Random, color: str) -> str:
    fam = COLOR_FAMILY[color]
    return weighted(rng, [x for x in COLORS if COLOR_FAMILY[x] != fam], COLOR_WEIGHT)


def other_shade(rng: random.Random, color: str) -> str:
    return rng.choice(sorted(shade_neighbours(color).values()))


def other_pattern(rng: random.Random, pattern: str) -> str:
    """Plain becomes a print; a print becomes another print or, half the time, plain."""
    if pattern == "solid" or rng.random() < 0.5:
        return weighted(rng, [x for x in PATTERNS if x not in ("solid", pattern)], PATTERN_WEIGHT)
    return "solid"


def other_material(rng: random.Random, group: str, material: str) -> str:
    return rng.choice([x for x in MATERIALS_BY_GROUP[group] if x != material])
