"""Independent random streams. Every set (a style's products, one split's text queries, one
held-out query kind, ...) draws from its own stream, named by a tuple of integers, so that adding a
set or changing its size leaves every other set as it was."""

from __future__ import annotations

import random

from . import SEED


def rng(*parts: int) -> random.Random:
    """The random stream named by `parts` (under the global seed)."""
    x = SEED
    for p in parts:
        x = (x * 1_000_003 + int(p)) & ((1 << 62) - 1)
    return random.Random(x)
