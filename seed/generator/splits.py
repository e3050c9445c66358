"""The three splits of the catalogue and how they map onto the two Fashion-MNIST files.

- `train`: Fashion-MNIST train images whose index i has i % 12 != 11 (55,000 styles). Models learn
  from these products and from the training query sets.
- `validation`: Fashion-MNIST train images with i % 12 == 11 (5,000 styles). For choices (epochs,
  thresholds, weights); their products and query sets never appear in a training file.
- `test`: every Fashion-MNIST test image (10,000 styles). For reported numbers only.

A validation style is a train image set aside: its product is drawn from the same random stream as
when it was a train product, so only its ids, split and product code differ.
"""

from __future__ import annotations

import numpy as np

SPLITS = ("train", "validation", "test")

# The Fashion-MNIST file a split's images come from.
SOURCE_OF = {"train": "train", "validation": "train", "test": "test"}

# Number of each split in the seeds of its random streams. Train and test keep the numbers they had
# when there were only those two splits, so their products and query sets did not move when the
# validation split was added.
STREAM = {"train": 0, "test": 1, "validation": 2}

# Prefix of the product code ("Art. no. TE01234-2") in descriptions.
CODE_PREFIX = {"train": "TR", "validation": "VA", "test": "TE"}

VALIDATION_EVERY = 12


def split_indices(split: str, count: int) -> np.ndarray:
    """Indices, in ascending order, of the images of a source file holding `count` images that belong
    to `split`."""
    idx = np.arange(count)
    if split == "test":
        return idx
    held = idx % VALIDATION_EVERY == VALIDATION_EVERY - 1
    return idx[held] if split == "validation" else idx[~held]
