"""Unpack a wheel (a zip archive) into a directory without installing it."""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path


def main(argv: list[str]) -> int:
    """Extract ``argv[0]`` (a ``.whl`` file) into ``argv[1]``."""
    if len(argv) != 2:
        print("usage: unpack_wheel.py WHEEL DEST", file=sys.stderr)
        return 2
    wheel, dest = Path(argv[0]), Path(argv[1])
    dest.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(dest)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
