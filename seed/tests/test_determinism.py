import hashlib
import json

from conftest import read_jsonl
from seed.generator.catalog import build_catalog
from seed.generator.writer import write_catalog


def _files(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_two_runs_write_the_same_bytes(smoke_dirs):
    a, b = smoke_dirs
    fa, fb = _files(a), _files(b)
    assert fa == fb
    assert len(fa) > 640  # 600 renders, 40 photos and the metadata files
    different = [f for f in fa if (a / f).read_bytes() != (b / f).read_bytes()]
    assert different == []


def test_manifest_counts_and_data_hash(smoke_dir):
    m = json.loads((smoke_dir / "manifest.json").read_text())
    assert m["profile"] == "smoke" and m["generatorVersion"] == "2.0.0"
    assert m["products"] == {"train": 200, "validation": 200, "test": 200}
    assert set(m["source"]["sha256"]) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
                                          "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
    for name, n in m["counts"].items():
        path = smoke_dir / name
        if path.is_dir():
            assert sum(1 for _ in path.iterdir()) == n, name
        else:
            assert sum(1 for _ in open(path, encoding="utf-8")) == n, name
    hashes = {"train": hashlib.sha256(), "validation": hashlib.sha256(), "test": hashlib.sha256()}
    with open(smoke_dir / "products.jsonl", "rb") as f:
        for line in f:
            hashes[json.loads(line)["split"]].update(line)
    assert m["dataHash"] == {s: h.hexdigest() for s, h in hashes.items()}


def test_every_image_exists_and_is_webp(smoke_dir):
    for p in read_jsonl(smoke_dir / "products.jsonl"):
        data = (smoke_dir / p["image"]).read_bytes()
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP", p["image"]


def test_manifest_names_only_the_source_files_read(tmp_path):
    m = write_catalog(build_catalog("smoke", splits=("validation",)), tmp_path, images=False)
    assert set(m["source"]["sha256"]) == {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"}
    assert m["products"] == {"train": 0, "validation": 200, "test": 0}
    assert list(m["dataHash"]) == ["validation"]
    assert m["images"] == {"written": False}
