"""python3 -m seed.generator --profile smoke|demo|validation|full --out DIR [--no-images] [--workers N]"""

from __future__ import annotations

import argparse
import sys
import time

from .catalog import PROFILES, build_catalog
from .fashion_mnist import DatasetMissingError
from .writer import write_catalog


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m seed.generator",
                                 description="Generate the seed catalogue and evaluation sets from Fashion-MNIST.")
    ap.add_argument("--profile", required=True, choices=sorted(PROFILES))
    ap.add_argument("--out", required=True, help="output folder (created; generated files in it are replaced)")
    ap.add_argument("--no-images", action="store_true", help="write metadata only, no renders or photos")
    ap.add_argument("--workers", type=int, default=2, help="render worker processes (default 2)")
    args = ap.parse_args(argv)
    if args.workers < 1:
        ap.error("--workers must be at least 1")
    t0 = time.time()
    try:
        cat = build_catalog(args.profile, log=lambda msg: sys.stderr.write(f"[{time.time() - t0:6.1f}s] {msg}\n"))
        sys.stderr.write(f"built {len(cat.products)} products and evaluation sets in {time.time() - t0:.1f}s\n")
        manifest = write_catalog(cat, args.out, images=not args.no_images, workers=args.workers)
    except DatasetMissingError as e:
        sys.stderr.write(f"error: {e}\n")
        return 2
    sys.stderr.write(f"wrote {args.out} in {time.time() - t0:.1f}s\n")
    for name, n in manifest["counts"].items():
        sys.stderr.write(f"  {name}: {n}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
