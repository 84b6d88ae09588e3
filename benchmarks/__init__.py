"""Benchmarks (``make bench``). Each module measures one thing against a floor measured in the
same run and prints ratios; nothing here asserts on time. Modules define ``run(out_dir) -> list[str]``
returning report lines."""

import sys
from pathlib import Path

# The estate writers live with the tests (tests/support), outside the installed package.
_TESTS = str(Path(__file__).resolve().parents[1] / "tests")
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)
