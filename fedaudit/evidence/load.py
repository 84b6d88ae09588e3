"""``fedaudit.load``: files and folders (and metadata URLs) in, :class:`Evidence` out.

IO lives here; parsing is sans-IO in :mod:`fedaudit.parse` (PowerShell exports) and
:mod:`fedaudit.metadata` (federation metadata and fetch sidecars). Each file is recognised by
its content, never by its name. A bad file becomes load issues; every other file still loads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import pandas as pd

from fedaudit.errors import InputError, UsageError
from fedaudit.evidence.join import Evidence, InputFile, build_evidence
from fedaudit.io.collector import KIND, verify_manifest_file
from fedaudit.io.fetch import fetch_all
from fedaudit.io.files import MAX_FILE_BYTES, find_files, iter_files
from fedaudit.metadata import read_metadata
from fedaudit.neutral import path_text
from fedaudit.parse import read_export
from fedaudit.parse.captured import FROM_MTIME, capture_time, manifest_files, sidecar_body
from fedaudit.parse.certs import certificate_from_der, certificate_from_pem
from fedaudit.parse.dispatch import check_culture
from fedaudit.parse.sniff import sniff_kind
from fedaudit.records import Certificate, LoadIssue, ParseResult

__all__ = ["MAX_FILE_BYTES", "iter_files", "load", "sniff_kind"]


def _is_url(value: object) -> bool:
    return isinstance(value, str) and value.lower().startswith(("https://", "http://"))


def load(
    *paths: str | os.PathLike[str],
    culture: str | None = None,
    strict: bool = False,
    domain_map: Mapping[str, str] | None = None,
    metadata: Iterable[str] = (),
    ca_bundle: str | os.PathLike[str] | None = None,
    insecure: bool = False,
    timeout: float = 10.0,
    evidence_dir: str | os.PathLike[str] | None = None,
    trust_certs: Iterable[str | os.PathLike[str]] = (),
) -> Evidence:
    """Load exports, saved metadata and fetch evidence from files and folders.

    ``paths`` may also hold metadata URLs; those and ``metadata`` URLs are fetched into
    ``evidence_dir`` (a temporary folder when not given) and loaded from there.
    ``culture`` (``en-US``, ``de-DE``, ``ja-JP``, ``en-GB`` ...) says how console dates were
    printed; without it a date is read only when its form is unambiguous.
    ``domain_map`` maps an export file path (as given) to the domain of a
    Get-MsolDomainFederationSettings capture that does not show its ``-DomainName``.
    ``strict=True`` raises :class:`InputError` on the first load issue instead of recording it.
    ``trust_certs`` are PEM/DER files of metadata signer certificates the caller pins
    (``--trust-cert``): a metadata document whose valid signature is by one of them, or by an
    AD FS primary/secondary or Entra current/next certificate of the evidence, has its
    certificates ``authenticated``; a document valid only by its own embedded key does not.

    Only :class:`~fedaudit.errors.FedauditError` escapes: a bad export is a load issue, a
    missing or unreadable ``trust_certs`` file a :class:`UsageError`.
    """
    pinned = read_trust_certs(trust_certs)
    files_or_dirs = [p for p in paths if not _is_url(p)]
    urls = [str(p) for p in paths if _is_url(p)] + [str(u) for u in metadata if _is_url(u)]
    files_or_dirs += [u for u in metadata if not _is_url(u)]
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if urls:
        if evidence_dir is None:
            tmp = tempfile.TemporaryDirectory(prefix="fedaudit-fetch-")
            evidence_dir = tmp.name
        fetch_all(urls, evidence_dir, ca_bundle=ca_bundle, insecure=insecure, timeout=timeout)
        files_or_dirs.append(evidence_dir)

    check_culture(culture)  # a culture that names no culture: a usage error before any file is read
    try:
        with _no_cyclic_gc():
            files, outside = find_files(files_or_dirs)
            return _load_files(
                files, culture=culture, strict=strict, domain_map=domain_map, outside=outside, trusted=pinned
            )
    finally:
        if tmp is not None:
            tmp.cleanup()


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while loading.

    A load allocates hundreds of thousands of small records and dicts that all stay alive until
    the frames are built, and creates no reference cycles worth collecting; every generation-2
    pass would walk all of them again (about an eighth of the load time on a 20,000-domain estate).
    Reference counting still frees everything as usual; the collector's previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _stated_time(
    data: bytes, kind: str, path: Path, dated_by: dict[Path, tuple[dt.datetime, str]]
) -> tuple[dt.datetime | None, str | None]:
    """The capture time the file states; a manifest or sidecar also dates the files it names."""
    if kind in ("fetch-sidecar", "collector-manifest"):
        label = "fetch evidence sidecar" if kind == "fetch-sidecar" else "collector manifest"
        when, how = capture_time(data, label)
        if when is not None and how is not None:
            names = manifest_files(data) if kind == "collector-manifest" else [sidecar_body(data) or ""]
            for name in names:
                if name and Path(name).name == name:
                    dated_by[(path.parent / name).resolve()] = (when, how)
        return when, how
    return capture_time(data)


def _dated(
    inputs: list[InputFile],
    stated: dict[str, tuple[dt.datetime | None, str | None]],
    mtimes: dict[str, dt.datetime],
    dated_by: dict[Path, tuple[dt.datetime, str]] | None = None,
) -> list[InputFile]:
    """Each input with its capture time: stated by itself, by a manifest or sidecar beside it,
    else its modification time (marked as such)."""
    out = []
    for i in inputs:
        when, how = stated.get(i.path, (None, None))
        if when is None:
            when, how = (dated_by or {}).get(Path(i.path).resolve(), (None, None))
        if when is None and i.path in mtimes:
            when, how = mtimes[i.path], FROM_MTIME
        out.append(dataclasses.replace(i, captured_at=when, captured_from=how))
    return out


class _DomainMap:
    """``domain_map`` keys are matched against each file as given, as an absolute path, or by
    its name; a key that matches no loaded file is a usage error (a typo would otherwise leave
    the domain silently unset)."""

    def __init__(self, mapping: Mapping[str, str] | None) -> None:
        self.entries = {str(k): str(v) for k, v in (mapping or {}).items()}
        for key, value in self.entries.items():
            if not value.strip():
                raise UsageError(f"domain_map: empty domain for {key!r}")
        self.used: set[str] = set()

    def lookup(self, path: Path) -> str | None:
        if not self.entries:
            return None
        resolved = str(path.resolve())
        for key, value in self.entries.items():
            if key == str(path) or key == path.name or str(Path(key).resolve()) == resolved:
                self.used.add(key)
                return value
        return None

    def check_all_used(self) -> None:
        unused = [k for k in self.entries if k not in self.used]
        if unused:
            raise UsageError(f"domain_map: {', '.join(repr(k) for k in unused)} matches no file that was loaded")


def read_trust_certs(paths: Iterable[str | os.PathLike[str]]) -> tuple[Certificate, ...]:
    """Certificates of pinned metadata signers from PEM or DER files. Raises :class:`UsageError`
    for a file that cannot be read or holds no certificate."""
    out: list[Certificate] = []
    for path in paths:
        name = os.fsdecode(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise UsageError(f"--trust-cert: {name!r}: {exc.strerror or exc}") from None
        try:
            if b"-----BEGIN CERTIFICATE-----" in data:
                out.extend(certificate_from_pem(data, origin=name))
            else:
                out.append(certificate_from_der(data, origin=name))
        except InputError as exc:
            raise UsageError(f"--trust-cert: {name!r} is not a PEM or DER certificate ({exc.message})") from None
    return tuple(out)


def _load_files(
    files: list[Path],
    *,
    culture: str | None,
    strict: bool,
    domain_map: Mapping[str, str] | None,
    outside: Sequence[tuple[Path, str]] = (),
    trusted: tuple[Certificate, ...] = (),
) -> Evidence:

    dmap = _DomainMap(domain_map)
    results: list[ParseResult] = []
    inputs: list[InputFile] = []
    documents: list[tuple[str, bytes]] = []
    sidecars: list[tuple[str, bytes]] = []
    stated: dict[str, tuple[dt.datetime | None, str | None]] = {}
    mtimes: dict[str, dt.datetime] = {}
    dated_by: dict[Path, tuple[dt.datetime, str]] = {}  # files a manifest or sidecar dates
    for link, target in outside:
        origin = path_text(link)
        results.append(
            _refused(origin, f"a symbolic link that leads outside its folder (to {path_text(target)}): not read")
        )
        inputs.append(InputFile(origin, 0, "", "refused (link outside the folder)"))
    for path in files:
        # the name as text: bytes that are not UTF-8 (and control characters) escaped as \xNN;
        # the file itself is read through ``path``
        origin = path_text(path)
        try:
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                results.append(_refused(origin, f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit"))
                inputs.append(InputFile(origin, size, "", "refused (too large)"))
                continue
            data = path.read_bytes()
        except OSError as exc:
            results.append(_refused(origin, f"cannot read file: {exc.strerror or exc}"))
            inputs.append(InputFile(origin, 0, "", "unreadable"))
            continue
        kind = sniff_kind(data)
        digest = hashlib.sha256(data).hexdigest()
        stated[origin] = _stated_time(data, kind, path, dated_by)
        with contextlib.suppress(OSError):
            mtimes[origin] = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.timezone.utc)
        if kind == "metadata":
            documents.append((origin, data))
            inputs.append(InputFile(origin, size, digest, "federation metadata"))
        elif kind == "fetch-sidecar":
            sidecars.append((origin, data))
            inputs.append(InputFile(origin, size, digest, "fetch evidence sidecar"))
        elif kind == "collector-manifest":
            # collect/Collect-FedauditEvidence.ps1's manifest: check the files beside it.

            results.append(verify_manifest_file(path, data))
            inputs.append(InputFile(origin, size, digest, KIND))
        else:
            result = read_export(data, origin, culture=culture, domain=dmap.lookup(path))
            results.append(result)
            inputs.append(InputFile(origin, size, digest, result.kind))
    dmap.check_all_used()
    if documents or sidecars:
        results.extend(read_metadata(documents, sidecars, trusted=trusted))
    evidence = build_evidence(results, tuple(_dated(inputs, stated, mtimes, dated_by)))
    if strict and len(evidence.issues):
        first = evidence.issues.iloc[0]
        line, field = first["line"], first["field"]
        raise InputError(
            str(first["message"]),
            origin=str(first["origin"]),
            line=None if pd.isna(line) else int(line),
            field=None if pd.isna(field) else str(field),
        )
    return evidence


def _refused(origin: str, message: str) -> ParseResult:
    return ParseResult(origin=origin, kind="refused", issues=(LoadIssue(origin, message, severity="high"),))
