"""Which files of an evidence folder are inputs: discovery (sorted, hidden entries and
documentation skipped) and the size limit. IO only; nothing here parses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from fedaudit.errors import UsageError

__all__ = ["MAX_FILE_BYTES", "iter_files"]

#: Files larger than this are refused as a load issue (federation metadata aggregates of a few
#: hundred entities are ~10 MB; exports are far smaller).
MAX_FILE_BYTES = 50 * 1024 * 1024

_SKIP_NAMES = {".DS_Store", "Thumbs.db", "desktop.ini"}
# ".body": a fetched response that is not metadata (error or login page); its fetch sidecar
# carries the facts (fedaudit.io.fetch).
# ".key": a private key is never evidence (the demo keys beside data/samples, for one).
_SKIP_SUFFIXES = {".md", ".py", ".pyc", ".ipynb", ".png", ".jpg", ".html", ".sqlite", ".toml", ".body", ".key"}


def iter_files(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path]:
    """Every file under ``paths`` (folders recursively, sorted, hidden entries skipped).

    Documentation, code and images that sit beside exports in an evidence folder (README.md,
    make_samples.py, screenshots) are not inputs and are skipped by suffix.
    """
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found: list[tuple[str, ...]] = []
            _walk(os.fspath(path), (), found)
            for parts in sorted(found):  # the order of sorted(path.rglob("*"))
                yield path.joinpath(*parts)
        elif path.is_file():
            yield path
        elif path.exists():
            raise UsageError(f"{path}: not a regular file or folder (a device, socket or pipe is not evidence)")
        else:
            raise UsageError(f"{path}: no such file or folder")


def _walk(folder: str, rel: tuple[str, ...], found: list[tuple[str, ...]]) -> None:
    """The files under ``folder`` as path parts relative to the root, pruned like ``os.walk``
    (hidden folders and __pycache__ are never entered, nor are links to folders). One scandir
    per folder: its entries say file or folder without a stat per file (a 20,000-file evidence
    tree)."""
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return  # an unreadable folder: os.walk skips it too
    for entry in entries:
        name = entry.name
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            if name.startswith(".") or name == "__pycache__" or entry.is_symlink():
                continue
            _walk(entry.path, (*rel, name), found)
            continue
        if name.startswith(".") or name in _SKIP_NAMES or os.path.splitext(name)[1].lower() in _SKIP_SUFFIXES:
            continue
        try:
            if entry.is_file():
                found.append((*rel, name))
        except OSError:
            continue
