"""Attribute vocabulary: categories, colours with families and shades, patterns, materials,
non-visual attributes and the words used to talk about them."""

from __future__ import annotations

CATEGORIES = [
    "t-shirt", "trousers", "pullover", "dress", "coat",
    "sandal", "shirt", "sneaker", "bag", "ankle-boot",
]

GROUP_OF = {
    "t-shirt": "top", "pullover": "top", "shirt": "top",
    "trousers": "bottom", "dress": "dress", "coat": "outerwear",
    "sandal": "shoes", "sneaker": "shoes", "ankle-boot": "shoes", "bag": "bag",
}
GROUPS = ["top", "bottom", "dress", "outerwear", "shoes", "bag"]

# name -> (family, rgb). Within a family, colours are listed from darkest to lightest;
# "darker" / "lighter" move one step along that list.
COLOR_FAMILIES = {
    "neutral": [("black", (22, 22, 24)), ("charcoal", (64, 64, 70)), ("grey", (128, 128, 132)),
                ("light grey", (192, 192, 196)), ("white", (244, 244, 242))],
    "blue": [("navy", (28, 38, 92)), ("blue", (38, 96, 204)), ("light blue", (140, 186, 236))],
    "red": [("burgundy", (112, 22, 44)), ("red", (208, 32, 40)), ("pink", (240, 150, 180))],
    "green": [("dark green", (28, 84, 48)), ("green", (56, 158, 72)), ("mint", (158, 222, 184))],
    "brown": [("brown", (108, 66, 36)), ("camel", (192, 140, 78)), ("beige", (226, 208, 172))],
    "yellow": [("mustard", (196, 154, 28)), ("yellow", (246, 218, 54))],
    "orange": [("rust", (168, 72, 30)), ("orange", (242, 132, 32))],
    "purple": [("plum", (92, 36, 92)), ("purple", (140, 72, 176)), ("lavender", (196, 172, 228))],
}
COLORS: list[str] = [name for fam in COLOR_FAMILIES.values() for name, _ in fam]
COLOR_RGB = {name: rgb for fam in COLOR_FAMILIES.values() for name, rgb in fam}
COLOR_FAMILY = {name: fam for fam, items in COLOR_FAMILIES.items() for name, _ in items}
COLOR_WEIGHT = {c: 1.0 for c in COLORS}
COLOR_WEIGHT.update({"black": 2.0, "white": 1.6, "navy": 1.6, "grey": 1.3, "beige": 1.2, "blue": 1.2})


def shade_neighbours(color: str) -> dict[str, str]:
    """{'darker': name, 'lighter': name} for the colours one step away in the same family."""
    names = [n for n, _ in COLOR_FAMILIES[COLOR_FAMILY[color]]]
    i = names.index(color)
    out = {}
    if i > 0:
        out["darker"] = names[i - 1]
    if i < len(names) - 1:
        out["lighter"] = names[i + 1]
    return out


PATTERNS = ["solid", "stripes", "checks", "dots", "floral", "animal", "camouflage"]
PATTERN_WEIGHT = {"solid": 6.0, "stripes": 1.4, "checks": 1.0, "dots": 1.0, "floral": 1.0,
                  "animal": 0.8, "camouflage": 0.7}

MATERIALS = ["cotton", "denim", "leather", "knit", "satin", "wool", "linen", "suede"]
MATERIALS_BY_GROUP = {
    "top": ["cotton", "denim", "knit", "satin", "wool", "linen"],
    "bottom": ["cotton", "denim", "leather", "wool", "linen", "satin"],
    "dress": ["cotton", "satin", "knit", "linen", "denim", "wool"],
    "outerwear": ["wool", "leather", "denim", "cotton", "suede", "knit"],
    "shoes": ["leather", "suede", "cotton", "knit", "denim", "satin"],
    "bag": ["leather", "suede", "cotton", "denim", "satin", "wool"],
}
MATERIAL_PRICE = {"cotton": 0.95, "denim": 1.0, "leather": 1.5, "knit": 1.05, "satin": 1.2,
                  "wool": 1.25, "linen": 1.1, "suede": 1.4}

GENDERS = ["women", "men", "unisex"]
SEASONS = ["spring", "summer", "autumn", "winter", "all-season"]
OCCASIONS = ["casual", "work", "party", "sport", "formal", "travel"]
FITS_BY_GROUP = {
    "top": ["slim", "regular", "relaxed", "oversized"],
    "bottom": ["slim", "regular", "relaxed"],
    "dress": ["slim", "regular", "relaxed"],
    "outerwear": ["slim", "regular", "oversized"],
    "shoes": ["narrow", "regular", "wide"],
    "bag": ["compact", "regular", "oversized"],
}
FITS = ["slim", "regular", "relaxed", "oversized", "narrow", "wide", "compact"]

# brand -> price tier multiplier
BRANDS = {
    "Northwind": 1.0, "Maison Verre": 1.6, "Atelier Nord": 1.4, "Kestrel": 0.9, "Lumen & Co": 1.1,
    "Ostra": 0.8, "Baltic Thread": 1.0, "Corvo": 1.3, "Sable Street": 0.85, "Fennel": 0.95,
    "Hollis": 1.2, "Quinta": 1.05,
}
BRAND_NAMES = list(BRANDS)

CLOTHING_SIZES = ["XS", "S", "M", "L", "XL", "XXL"]
SHOE_SIZES = [str(s) for s in range(36, 47)]
BAG_SIZES = ["one size"]

BASE_PRICE = {"t-shirt": 19.0, "trousers": 49.0, "pullover": 45.0, "dress": 59.0, "coat": 129.0,
              "sandal": 39.0, "shirt": 39.0, "sneaker": 79.0, "bag": 69.0, "ankle-boot": 99.0}

# Occasions and seasons that suit a category (the first ones are the most likely).
OCCASIONS_BY_CATEGORY = {
    "t-shirt": ["casual", "sport", "travel"], "trousers": ["work", "casual", "formal", "travel"],
    "pullover": ["casual", "work", "travel"], "dress": ["party", "formal", "casual", "work"],
    "coat": ["work", "casual", "formal", "travel"], "sandal": ["casual", "travel", "party"],
    "shirt": ["work", "formal", "casual", "party"], "sneaker": ["sport", "casual", "travel"],
    "bag": ["work", "casual", "party", "travel", "formal"], "ankle-boot": ["casual", "work", "party"],
}
SEASONS_BY_CATEGORY = {
    "t-shirt": ["summer", "spring", "all-season"], "trousers": ["all-season", "spring", "autumn"],
    "pullover": ["autumn", "winter"], "dress": ["summer", "spring", "all-season"],
    "coat": ["winter", "autumn"], "sandal": ["summer", "spring"],
    "shirt": ["all-season", "spring", "summer"], "sneaker": ["all-season", "spring", "summer"],
    "bag": ["all-season"], "ankle-boot": ["autumn", "winter"],
}
GENDERS_BY_CATEGORY = {c: ["women", "men", "unisex"] for c in CATEGORIES}
GENDERS_BY_CATEGORY["dress"] = ["women"]
GENDERS_BY_CATEGORY["bag"] = ["women", "unisex", "men"]

# ---------------------------------------------------------------- words
CATEGORY_WORDS = {
    "t-shirt": ["t-shirt", "tee", "t shirt", "tshirt", "short-sleeve top"],
    "trousers": ["trousers", "pants", "slacks", "chinos"],
    "pullover": ["pullover", "sweater", "jumper", "crew-neck sweater"],
    "dress": ["dress", "frock", "midi dress", "day dress"],
    "coat": ["coat", "overcoat", "long jacket", "topcoat"],
    "sandal": ["sandals", "strappy sandals", "open-toe sandals", "summer sandals"],
    "shirt": ["shirt", "button-down", "button-up shirt", "collared shirt"],
    "sneaker": ["sneakers", "trainers", "running shoes", "kicks"],
    "bag": ["bag", "handbag", "tote", "shoulder bag"],
    "ankle-boot": ["ankle boots", "booties", "chelsea boots", "short boots"],
}
CATEGORY_TITLE = {"t-shirt": "T-shirt", "trousers": "trousers", "pullover": "pullover", "dress": "dress",
                  "coat": "coat", "sandal": "sandals", "shirt": "shirt", "sneaker": "sneakers",
                  "bag": "bag", "ankle-boot": "ankle boots"}
COLOR_WORDS = {
    "black": ["black", "jet black", "noir"], "charcoal": ["charcoal", "dark grey", "anthracite"],
    "grey": ["grey", "gray", "mid grey"], "light grey": ["light grey", "light gray", "pale grey"],
    "white": ["white", "snow white", "optic white"],
    "navy": ["navy", "navy blue", "dark blue", "midnight blue"], "blue": ["blue", "royal blue", "cobalt"],
    "light blue": ["light blue", "sky blue", "pale blue", "baby blue"],
    "burgundy": ["burgundy", "wine red", "maroon", "bordeaux"], "red": ["red", "scarlet", "cherry red"],
    "pink": ["pink", "rose", "blush pink"],
    "dark green": ["dark green", "forest green", "bottle green"], "green": ["green", "grass green", "emerald"],
    "mint": ["mint", "mint green", "pale green"],
    "brown": ["brown", "chocolate", "chestnut"], "camel": ["camel", "tan", "caramel"],
    "beige": ["beige", "sand", "stone"],
    "mustard": ["mustard", "ochre", "mustard yellow"], "yellow": ["yellow", "lemon", "sunny yellow"],
    "rust": ["rust", "terracotta", "burnt orange"], "orange": ["orange", "tangerine", "bright orange"],
    "plum": ["plum", "aubergine", "dark purple"], "purple": ["purple", "violet", "grape"],
    "lavender": ["lavender", "lilac", "pale purple"],
}
FAMILY_WORDS = {
    "blue": ["blue", "something blue", "blue-toned"], "red": ["red", "reddish", "red-toned"],
    "green": ["green", "greenish", "green-toned"], "brown": ["brown", "earth-tone", "brownish"],
    "yellow": ["yellow", "yellowish"], "orange": ["orange", "orangey"],
    "purple": ["purple", "purplish"], "neutral": ["neutral", "monochrome"],
}
PATTERN_WORDS = {
    "solid": ["plain", "solid", "solid-colour", "unpatterned"],
    "stripes": ["striped", "stripy", "with stripes", "stripe"],
    "checks": ["checked", "plaid", "gingham", "check"],
    "dots": ["polka dot", "dotted", "spotted", "with dots"],
    "floral": ["floral", "flower print", "flowery", "with flowers"],
    "animal": ["leopard print", "animal print", "leopard"],
    "camouflage": ["camo", "camouflage", "army print"],
}
PATTERN_NOUN = {"solid": "a plain finish", "stripes": "stripes", "checks": "a check pattern", "dots": "polka dots",
                "floral": "a floral print", "animal": "a leopard print", "camouflage": "a camouflage print"}
MATERIAL_WORDS = {
    "cotton": ["cotton", "cotton-blend", "pure cotton"], "denim": ["denim", "chambray", "denim twill"],
    "leather": ["leather", "nappa leather", "genuine leather"], "knit": ["knit", "knitted", "knitwear"],
    "satin": ["satin", "silky satin", "satin-finish"], "wool": ["wool", "woollen", "merino"],
    "linen": ["linen", "linen-blend", "flax"], "suede": ["suede", "brushed suede", "nubuck"],
}
GENDER_WORDS = {"women": ["women's", "ladies", "for women", "womens"], "men": ["men's", "for men", "mens"],
                "unisex": ["unisex", "gender-neutral"]}
SEASON_WORDS = {"spring": ["spring", "springtime"], "summer": ["summer", "warm-weather", "hot weather"],
                "autumn": ["autumn", "fall"], "winter": ["winter", "cold-weather", "warm winter"],
                "all-season": ["all-season", "year-round", "all year"]}
OCCASION_WORDS = {"casual": ["casual", "everyday", "weekend"], "work": ["office", "work", "business"],
                  "party": ["party", "night out", "going-out"], "sport": ["sport", "gym", "athletic"],
                  "formal": ["formal", "wedding guest", "smart"], "travel": ["travel", "holiday", "vacation"]}
FIT_WORDS = {"slim": ["slim", "slim-fit", "fitted"], "regular": ["regular", "regular-fit", "classic"],
             "relaxed": ["relaxed", "loose", "easy-fit"], "oversized": ["oversized", "boxy", "roomy"],
             "narrow": ["narrow", "narrow-fit"], "wide": ["wide", "wide-fit"],
             "compact": ["compact", "small", "mini"]}
