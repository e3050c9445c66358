import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, tmp_path, **env):
    return subprocess.run([sys.executable, "-m", "seed.generator", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, **env}, timeout=60)


def test_missing_dataset_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _run(["--profile", "smoke", "--out", str(tmp_path / "out"), "--no-images"], tmp_path,
             FASHION_MNIST_DIR=str(empty))
    assert r.returncode == 2
    assert "dataset-fashion-mnist" in r.stderr and "FASHION_MNIST_DIR" in r.stderr
    assert "Traceback" not in r.stderr


def test_unknown_profile_is_rejected(tmp_path):
    r = _run(["--profile", "huge", "--out", str(tmp_path / "out")], tmp_path)
    assert r.returncode == 2
    assert "invalid choice: 'huge'" in r.stderr


def test_metadata_only_run_in_another_process_matches(tmp_path, smoke_dir):
    out = tmp_path / "out"
    r = _run(["--profile", "smoke", "--out", str(out), "--no-images"], tmp_path, PYTHONHASHSEED="12345")
    assert r.returncode == 0, r.stderr
    assert not (out / "images").exists() and not (out / "queries/realshot").exists()
    assert "products" in r.stderr  # progress on stderr
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert "products.jsonl" in files and "queries/text-test.qrels" in files
    for f in files:
        if f != "manifest.json":
            assert (out / f).read_bytes() == (smoke_dir / f).read_bytes(), f
