"""Invariants of the loading speed-ups (benchmarks/load.py measures the speed itself):
the collector pause is undone, file discovery prunes like os.walk, frames treat missing values
as before, and line numbers of JSON array elements are counted right."""

from __future__ import annotations

import gc
import json
import os
from pathlib import Path

import pandas as pd
import pytest

import fedaudit
from fedaudit.errors import UsageError
from fedaudit.frames import make_frame
from fedaudit.evidence.load import iter_files
from fedaudit.io.files import find_files
from fedaudit.parse.psjson import parse_json


@pytest.mark.parametrize("enabled", [True, False])
def test_load_restores_the_garbage_collector(tmp_path, enabled):
    (tmp_path / "empty.txt").write_text("")
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        fedaudit.load(tmp_path)
        assert gc.isenabled() is enabled
        with pytest.raises(UsageError):
            fedaudit.load(tmp_path / "missing")
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def _reference_iter_files(root: Path) -> list[Path]:
    """The discovery rules as os.walk states them (the loader's implementation before it
    scanned folders itself)."""
    skip_names = {".DS_Store", "Thumbs.db", "desktop.ini"}
    skip_suffixes = {".md", ".py", ".pyc", ".ipynb", ".png", ".jpg", ".html", ".sqlite", ".toml", ".body", ".key"}
    found = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".") and d != "__pycache__"]
        rel = Path(folder).relative_to(root).parts
        for name in names:
            if name.startswith(".") or name in skip_names or os.path.splitext(name)[1].lower() in skip_suffixes:
                continue
            found.append((*rel, name))
    real = os.path.realpath(root)
    inside = [p for p in found if os.path.realpath(root.joinpath(*p)).startswith(real + os.sep)]  # issue 12
    return [root.joinpath(*parts) for parts in sorted(inside) if root.joinpath(*parts).is_file()]


def test_file_discovery_prunes_like_os_walk(tmp_path):
    root = tmp_path / "evidence"
    for rel in ("b/x.json", "a/z.txt", "a/Y.txt", "a/deep/er/w.xml", ".hidden/h.txt", "a/.git/config",
                "__pycache__/c.txt", "notes.MD", "make.py", "Thumbs.db", ".env", "a/deep/r.txt"):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.txt").write_text("o")
    (root / "linked-folder").symlink_to(outside, target_is_directory=True)  # never entered
    (root / "linked-file.txt").symlink_to(outside / "o.txt")  # a file outside: refused, not read
    (root / "linked-inside.txt").symlink_to(root / "b" / "x.json")  # a file inside: read
    (root / "broken.txt").symlink_to(tmp_path / "nothing-here")  # no file: skipped
    got = list(iter_files([root]))
    assert got == _reference_iter_files(root)
    assert [p.relative_to(root).as_posix() for p in got] == [
        "a/Y.txt", "a/deep/er/w.xml", "a/deep/r.txt", "a/z.txt", "b/x.json", "linked-inside.txt",
    ]
    assert find_files([root])[1] == [(root / "linked-file.txt", str((outside / "o.txt").resolve()))]


def test_make_frame_missing_values_and_extra_columns():
    rows = [
        {"origin": "a", "line": pd.NA, "field": "", "severity": "info", "message": "m", "extra": ""},
        {"origin": "", "line": 3, "field": None, "severity": "warning", "message": "n", "more": [1]},
        {"origin": "c", "line": None, "severity": "high", "message": "o"},
    ]
    frame = make_frame("issues", rows)
    assert list(frame.columns) == ["origin", "line", "field", "severity", "message", "extra", "more"]
    assert frame.origin.isna().tolist() == [False, True, False]  # "" is NA in a typed column
    assert frame.field.isna().all()
    assert frame.line.isna().tolist() == [True, False, True] and str(frame.line.dtype) == "Int64"
    assert frame.extra.tolist() == ["", None, None]  # extra (object) columns keep values as given
    assert frame.more.tolist() == [None, [1], None]


def test_json_array_elements_keep_their_lines():
    items = [{"Name": f"d{i}.example", "Authentication": "Federated"} for i in range(5)]
    text = json.dumps(items, indent=2)
    expected = [n + 1 for n, line in enumerate(text.split("\n")) if line == "  {"]
    objects = parse_json(text, "domains.json")
    assert [o.line for o in objects] == expected == [2, 6, 10, 14, 18]
    # the same elements on one line, after blank lines
    one_line = "\n\n[" + ", ".join(json.dumps(i) for i in items) + "]"
    assert [o.line for o in parse_json(one_line, "x.json")] == [3] * 5
