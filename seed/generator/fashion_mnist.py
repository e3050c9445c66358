"""Reader for the Fashion-MNIST IDX files (gzip), as installed by the Debian package
dataset-fashion-mnist in /usr/share/datasets/fashion-mnist/. FASHION_MNIST_DIR overrides the folder."""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from pathlib import Path

import numpy as np

DEFAULT_DIR = "/usr/share/datasets/fashion-mnist"
FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class DatasetMissingError(RuntimeError):
    pass


def data_dir() -> Path:
    return Path(os.environ.get("FASHION_MNIST_DIR", DEFAULT_DIR))


def _path(name: str) -> Path:
    p = data_dir() / name
    if not p.is_file():
        raise DatasetMissingError(
            f"Fashion-MNIST file {p} not found: install the Debian package dataset-fashion-mnist "
            f"(apt-get install dataset-fashion-mnist) or set FASHION_MNIST_DIR to a folder holding {name}")
    return p


def _read_idx(path: Path, expected_magic: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    magic = int.from_bytes(raw[0:4], "big")
    if magic != expected_magic:
        raise ValueError(f"{path}: not an IDX file of the expected type (magic {magic:#x}, expected {expected_magic:#x})")
    ndim = magic & 0xFF
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != int(np.prod(dims)):
        raise ValueError(f"{path}: truncated IDX file ({data.size} bytes of data, header says {dims})")
    return data.reshape(dims)


@lru_cache(maxsize=2)
def _load(split: str) -> tuple[np.ndarray, np.ndarray]:
    img_name, lbl_name = FILES[split]
    images = _read_idx(_path(img_name), 0x00000803)
    labels = _read_idx(_path(lbl_name), 0x00000801)
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise ValueError(f"Fashion-MNIST {split}: images {images.shape} do not match labels {labels.shape}")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def load_split(split: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 [N,28,28], labels uint8 [N]) for split 'train' (60,000) or 'test' (10,000).
    The arrays are read-only and cached."""
    if split not in FILES:
        raise ValueError(f"unknown split {split!r}: use 'train' or 'test'")
    return _load(split)


def source_hashes(sources: tuple[str, ...] = ("train", "test")) -> dict[str, str]:
    """sha256 of each IDX file (as stored, compressed) of the given source files ('train', 'test')."""
    out = {}
    for split in sources:
        for name in FILES[split]:
            out[name] = hashlib.sha256(_path(name).read_bytes()).hexdigest()
    return out
