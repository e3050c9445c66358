import json
import shutil
import tempfile
from pathlib import Path

import pytest

from seed.generator.catalog import build_catalog
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
