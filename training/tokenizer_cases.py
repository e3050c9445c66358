"""The fixed list of strings on which the Python tokenizer and transformers.js must agree
(written with their ids to models/fashion-text/tokenizer-cases.json)."""
from __future__ import annotations

import random
from typing import List

BASE = [
    "red dress", "navy blue t-shirt", "black ankle boots", "white sneakers for men", "beige trench coat",
    "striped cotton shirt", "floral summer dress", "leather bag", "denim trousers", "wool pullover",
    "Red Dress", "RED DRESS", "  red   dress  ", "red\tdress\nlong", "dress, red", "dress; red!",
    "t-shirt", "T-Shirt", "tshirt", "t shirt", "t–shirt", "t—shirt", "ankle-boot", "ankle_boot",
    "Café crème blouse", "naïve résumé", "Übergröße Jacke", "façade pull", "jalapeño-green top", "crème brûlée bag",
    "ÉLÉGANT robe noire", "Ångström silver", "Señora zapatos", "Zürich coat", "Mötley crüe tee",
    "drss", "dreess", "sneekers", "trowsers", "pulover", "ankel boots", "blak shoes", "whte shirt", "jaket",
    "coatt", "sandels", "bagg", "strped", "flooral", "leathr", "denimm", "cottn", "woool",
    "dress?", "dress!!!", "(red) dress", "[red] dress", "{red} dress", "red/blue dress", "red\\blue",
    "size: M", "size M/L", "EU 42", "42.5", "€49.99", "$20", "50% off", "#fashion", "@brand", "a&b",
    "under 30 eur", "price < 50", "price >= 20", "x=1", "~casual~", "`quote`", "'single' \"double\"",
    "it's", "men's shoes", "women’s coat", "kids' sandals", "rock'n'roll", "o'neill", "l'été",
    "xyzzy", "qwertyuiop", "zzzzzz", "supercalifragilisticexpialidocious", "a" * 120, "ab" * 60,
    "😀 dress", "dress 👗", "👠👠", "日本 dress", "中文 shirt", "한국 bag", "Привет платье", "فستان أحمر",
    "Ελληνικά", "ṭēśt", "ﬁne ﬂoral", "Ⅳ edition", "½ sleeve", "²nd hand", "№ 5", "™ brand", "©2024",
    "", " ", "   ", "\u00a0dress\u00a0", "dress\u200bred", "red\u200ddress", "soft\u00adhyphen", "zero\u0000byte",
    "tab\there", "new\r\nline", "\ufeffbom dress", "[MASK] dress", "red [MASK]", "[CLS] red [SEP]",
    "[PAD]", "[UNK] thing", "[mask] lower", "dress[SEP]", "ends with [MASK]",
    "1", "12", "123", "2024-05-01", "3/4 sleeve", "100% cotton", "v-neck", "crew-neck", "slim-fit",
    "oversized hoodie", "high waist jeans", "cropped jacket", "maxi skirt", "mini dress", "midi length",
    "pastel pink cardigan", "dark green parka", "light grey joggers", "burgundy loafers", "teal tote",
    "mustard yellow scarf", "olive chinos", "charcoal blazer", "ivory silk blouse", "coral sandals",
]

WORDS = ["red", "blue", "green", "black", "white", "grey", "pink", "yellow", "brown", "beige", "navy", "purple",
         "orange", "dress", "shirt", "t-shirt", "trousers", "pullover", "coat", "sandal", "sneaker", "bag",
         "ankle", "boot", "striped", "checked", "dotted", "floral", "plain", "cotton", "wool", "leather", "denim",
         "silk", "linen", "summer", "winter", "casual", "formal", "women", "men", "kids", "party", "office"]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 3:
        return word
    i = rng.randrange(len(word) - 1)
    op = rng.randrange(4)
    if op == 0:
        return word[:i] + word[i + 1:]
    if op == 1:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if op == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeioulnrst") + word[i + 1:]


def cases(n_generated: int = 120, seed: int = 7) -> List[str]:
    rng = random.Random(seed)
    out = list(BASE)
    for k in range(n_generated):
        words = [rng.choice(WORDS) for _ in range(rng.randint(1, 6))]
        if k % 3 == 0:
            words = [_typo(w, rng) for w in words]
        if k % 4 == 1:
            words = [w.upper() if rng.random() < 0.5 else w.capitalize() for w in words]
        text = " ".join(words)
        if k % 5 == 2:
            text += rng.choice(["!", "?", ".", ",", " - sale", " (new)", "..."])
        if k % 7 == 3:
            text = text.replace("e", "é", 1).replace("a", "à", 1)
        out.append(text)
    return out
