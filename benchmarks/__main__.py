"""Run every benchmark module and print its lines: ``python -m benchmarks [NAME...]``."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import tempfile
from pathlib import Path

import benchmarks as pkg


def main(argv: list[str]) -> int:
    names = argv or sorted(m.name for m in pkgutil.iter_modules(pkg.__path__) if not m.name.startswith("_"))
    out_root = Path(tempfile.mkdtemp(prefix="fedaudit-bench-"))
    for name in names:
        mod = importlib.import_module(f"benchmarks.{name}")
        print(f"== {name}", flush=True)
        for line in mod.run(out_root / name):
            print(f"   {line}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
