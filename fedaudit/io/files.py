"""Which files of an evidence folder are inputs: discovery (sorted, hidden entries and
documentation skipped) and the size limit. IO only; nothing here parses."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from fedaudit.errors import UsageError

__all__ = ["MAX_FILE_BYTES", "find_files", "iter_files", "write_text_atomic"]

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
    make_samples.py, screenshots) are not inputs and are skipped by suffix. A symbolic link
    inside a folder that leads outside it is not yielded (:func:`find_files` reports it); a path
    given directly is yielded as given.
    """
    yield from find_files(paths)[0]


def find_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """:func:`iter_files`'s files, and the links found inside the folders that lead outside
    the folder they were found in (each with its target): those are never read nor hashed
    (a link to ``/etc/shadow`` dropped into an export share)."""
    files: list[Path] = []
    outside: list[tuple[Path, str]] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            found: list[tuple[str, ...]] = []
            links: list[tuple[tuple[str, ...], str]] = []
            root = os.path.realpath(path)
            _walk(os.fspath(path), (), found, root, links)
            files.extend(path.joinpath(*parts) for parts in sorted(found))  # the order of sorted(path.rglob("*"))
            outside.extend((path.joinpath(*parts), target) for parts, target in sorted(links))
        elif path.is_file():
            files.append(path)
        elif path.exists():
            raise UsageError(f"{path}: not a regular file or folder (a device, socket or pipe is not evidence)")
        else:
            raise UsageError(f"{path}: no such file or folder")
    return files, outside


def _inside(target: str, root: str) -> bool:
    return target == root or target.startswith(root.rstrip(os.sep) + os.sep)


def _walk(
    folder: str,
    rel: tuple[str, ...],
    found: list[tuple[str, ...]],
    root: str = "",
    outside: list[tuple[tuple[str, ...], str]] | None = None,
) -> None:
    """The files under ``folder`` as path parts relative to the root, pruned like ``os.walk``
    (hidden folders and __pycache__ are never entered, nor are links to folders). One scandir
    per folder: its entries say file or folder without a stat per file (a 20,000-file evidence
    tree). A link to a file is resolved (only links cost a look-up): one whose target is not
    under ``root`` (the real path of the folder given) goes to ``outside`` instead."""
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
            _walk(entry.path, (*rel, name), found, root, outside)
            continue
        if name.startswith(".") or name in _SKIP_NAMES or os.path.splitext(name)[1].lower() in _SKIP_SUFFIXES:
            continue
        try:
            if entry.is_symlink() and root:
                target = os.path.realpath(entry.path)
                if not _inside(target, root):
                    if outside is not None and os.path.isfile(target):  # a broken link: skipped
                        outside.append(((*rel, name), target))
                    continue
            if entry.is_file():
                found.append((*rel, name))
        except OSError:
            continue


def write_text_atomic(path: str | os.PathLike[str], text: str, *, mode: int | None = None) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line ends) to ``path`` atomically: a reader sees the old
    file or the new one, never half. The temporary file beside it has a name unique to this
    process and call (``.<name>.<random>.tmp``), so two processes never write one temporary
    file. ``mode`` (e.g. 0o644) sets its permissions; by default those of a new file (umask)."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return target
