import json
import shutil
import tempfile
from pathlib import Path

import pytest

from seed.generator.catalog import build_catalog
from seed.generator.fashion_mnist import load_split
from seed.generator.writer import write_catalog


@pytest.fixture(scope="session")
def smoke_dirs():
    """The smoke profile generated twice, once with two render workers and once with one."""
    root = Path(tempfile.mkdtemp(prefix="seed-smoke-"))
    try:
        a, b = root / "a", root / "b"
        write_catalog(build_catalog("smoke"), a, images=True, workers=2)
        write_catalog(build_catalog("smoke"), b, images=True, workers=1)
        yield a, b
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def smoke_dir(smoke_dirs):
    return smoke_dirs[0]


@pytest.fixture(scope="session")
def demo_catalog():
    """The demo profile in memory (metadata only): larger sets than the smoke profile's."""
    return build_catalog("demo")


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path: Path) -> list[tuple[str, str, int]]:
    out = []
    with open(path, encoding="ascii") as f:
        for line in f:
            qid, zero, pid, grade = line.split()
            assert zero == "0"
            out.append((qid, pid, int(grade)))
    return out


@pytest.fixture(scope="session")
def products(smoke_dir):
    return read_jsonl(smoke_dir / "products.jsonl")


@pytest.fixture(scope="session")
def by_id(products):
    return {p["id"]: p for p in products}


@pytest.fixture(scope="session")
def bases():
    """Fashion-MNIST images by source file."""
    return {s: load_split(s)[0] for s in ("train", "test")}
