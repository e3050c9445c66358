"""Products of one split as integer-coded attribute arrays, for vectorised relevance judgements."""

from __future__ import annotations

import numpy as np

SINGLE = ("category", "color", "colorFamily", "pattern", "material", "gender", "fit", "brand")
MULTI = ("season", "occasion")


class AttributeIndex:
    """Attribute codes of a list of products (one split), row i being products[i]."""

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
        self.prices = np.array([p["price"] for p in products], dtype=np.float64)

    def match(self, attr: str, value: str, rows: np.ndarray) -> np.ndarray:
        """Whether each product of `rows` has `value` among its values of `attr`."""
        code = self.vocab[attr].get(value)
        if code is None:
            return np.zeros(len(rows), dtype=bool)
        if attr in MULTI:
            return self.multi[attr][rows, code]
        return self.codes[attr][rows] == code

    def rows_of_category(self, category: str) -> np.ndarray:
        return self.by_category.get(category, np.zeros(0, dtype=np.int64))

    def judge(self, stated: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows of the stated category, grade per row, fraction of stated attributes matched per row).
        Products outside the stated category have grade 0."""
        rows = self.rows_of_category(stated["category"])
        others = [k for k in stated if k != "category"]
        matches = [self.match(k, stated[k], rows) for k in others]
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
