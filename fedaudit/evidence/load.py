"""``fedaudit.load``: files and folders (and metadata URLs) in, :class:`Evidence` out.

IO lives here; parsing is sans-IO in :mod:`fedaudit.parse` (PowerShell exports) and
:mod:`fedaudit.metadata` (federation metadata and fetch sidecars). Each file is recognised by
its content, never by its name. A bad file becomes load issues; every other file still loads.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import datetime as dt
import gc
import hashlib
import multiprocessing
import operator
import os
import sys
import tempfile
import threading
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
from fedaudit.parse.metadata.read import CheckedDocument, check_document
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
    workers: int | None = None,
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

    ``workers``: processes that read the files (this one included). None: the cores this
    process may use, for an estate of :data:`PARALLEL_MIN_FILES` files or more and where
    ``fork`` is safe (see :func:`_workers`); 1: in this process only; N > 1 where ``fork`` is
    not safe (another thread runs, macOS, Windows) uses ``spawn`` only when that cannot run the
    calling script again, else reads in this process. The evidence is the same whatever the
    number.

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
                files,
                culture=culture,
                strict=strict,
                domain_map=domain_map,
                outside=outside,
                trusted=pinned,
                workers=workers,
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


def _dated(
    inputs: list[InputFile],
    stated: dict[str, tuple[dt.datetime | None, str | None]],
    mtimes: dict[str, dt.datetime],
    dated_by: dict[str, tuple[dt.datetime, str]] | None = None,
    named: set[str] | None = None,
    links: Mapping[str, str] | None = None,
) -> list[InputFile]:
    """Each input with its capture time: stated by itself, by a manifest or sidecar beside it
    (``dated_by``: resolved path text -> time, how), else its modification time (marked).
    ``named``: the file names the manifests and sidecars give, as given and as resolved; only
    an input with one of those names can be dated by one, so only those are resolved; and a
    symbolic link (``links``: origin -> resolved path), which is dated by what its target is."""
    out = []
    dated_by = dated_by or {}
    links = links or {}
    if named is None:
        named = {os.path.basename(target) for target in dated_by}
    for i in inputs:
        when, how = stated.get(i.path, (None, None))
        if when is None and dated_by and (i.path in links or os.path.basename(i.path) in named):
            target = links.get(i.path) or str(Path(i.path).resolve())
            when, how = dated_by.get(target, (None, None))
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

    def match(self, path: Path) -> tuple[str, str] | None:
        """(key, domain) of the entry that names ``path``; the caller marks the key used once
        the file turned out to be an export."""
        if not self.entries:
            return None
        resolved = str(path.resolve())
        for key, value in self.entries.items():
            if key == str(path) or key == path.name or str(Path(key).resolve()) == resolved:
                return key, value
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


@dataclasses.dataclass(frozen=True)
class _FileRead:
    """What reading one input file gave: its :class:`InputFile` (capture time not yet set), the
    capture time it states, its modification time, and its parse result (an export, a collector
    manifest, a refusal) or its bytes (federation metadata and fetch sidecars, read together
    later). ``dates``: the files a manifest or sidecar dates, as (name, resolved path, time, how)."""

    input: InputFile
    stated: tuple[dt.datetime | None, str | None] = (None, None)
    mtime: dt.datetime | None = None
    result: ParseResult | None = None
    document: bytes | None = None
    checked: CheckedDocument | None = None  # the document parsed and its signature checked
    sidecar: bytes | None = None
    dates: tuple[tuple[str, str, dt.datetime, str], ...] = ()
    export: bool = False  # a cmdlet export (read_export): the files domain_map may name
    link_target: str | None = None  # the resolved path of a symbolic link (a sidecar may name its target)


def _read_file(path: Path, culture: str | None, domain: str | None, trusted: tuple[Certificate, ...]) -> _FileRead:
    """Read, hash, date and parse one input file. A pure function of the file and its
    arguments, so that any process may run it (see :func:`_read_all`)."""
    # the name as text: bytes that are not UTF-8 (and control characters) escaped as \xNN;
    # the file itself is read through ``path``
    origin = path_text(path)
    try:
        st = path.stat()
        size = st.st_size
        if size > MAX_FILE_BYTES:
            return _FileRead(
                InputFile(origin, size, "", "refused (too large)"),
                result=_refused(origin, f"file is {size} bytes, over the {MAX_FILE_BYTES}-byte limit"),
            )
        data = path.read_bytes()
    except OSError as exc:
        return _FileRead(
            InputFile(origin, 0, "", "unreadable"), result=_refused(origin, f"cannot read file: {exc.strerror or exc}")
        )
    kind = sniff_kind(data)
    digest = hashlib.sha256(data).hexdigest()
    mtime = dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc)
    link = _link_target(path)
    if kind in ("fetch-sidecar", "collector-manifest"):
        label = "fetch evidence sidecar" if kind == "fetch-sidecar" else "collector manifest"
        stated = capture_time(data, label)
        dates: tuple[tuple[str, str, dt.datetime, str], ...] = ()
        when, how = stated
        if when is not None and how is not None:
            # a manifest or sidecar also dates the files it names (beside it)
            names = manifest_files(data) if kind == "collector-manifest" else [sidecar_body(data) or ""]
            dates = tuple(
                (name, str((path.parent / name).resolve()), when, how)
                for name in names
                if name and Path(name).name == name
            )
        if kind == "fetch-sidecar":
            return _FileRead(
                InputFile(origin, size, digest, "fetch evidence sidecar"),
                stated,
                mtime,
                sidecar=data,
                dates=dates,
                link_target=link,
            )
        # collect/Collect-FedauditEvidence.ps1's manifest: check the files beside it.
        return _FileRead(
            InputFile(origin, size, digest, KIND),
            stated,
            mtime,
            verify_manifest_file(path, data),
            dates=dates,
            link_target=link,
        )
    stated = capture_time(data)
    if kind == "metadata":
        checked = check_document(data, origin, trusted=trusted)
        return _FileRead(
            InputFile(origin, size, digest, "federation metadata"),
            stated,
            mtime,
            document=data,
            checked=checked,
            link_target=link,
        )
    result = read_export(data, origin, culture=culture, domain=domain)
    return _FileRead(InputFile(origin, size, digest, result.kind), stated, mtime, result, export=True, link_target=link)


def _link_target(path: Path) -> str | None:
    """The resolved path of ``path`` when it is a symbolic link (inside its folder: find_files
    keeps no other), else None."""
    try:
        return str(path.resolve()) if path.is_symlink() else None
    except (OSError, RuntimeError):  # a link loop, a vanished file
        return None


def _read_chunk(
    jobs: Sequence[tuple[Path, str | None]], culture: str | None, trusted: tuple[Certificate, ...] = ()
) -> list[_FileRead]:
    """:func:`_read_file` for each (path, domain) of ``jobs``: a worker process's task. Module
    level and given only plain arguments, so that it runs under any start method."""
    with _no_cyclic_gc():
        return [_read_file(path, culture, domain, trusted) for path, domain in jobs]


#: At fewer files than this an estate is read in this process: a worker's start-up would cost
#: more than it saves.
PARALLEL_MIN_FILES = 400


def _workers(requested: int | None, files: int) -> int:
    """How many processes read the files (this one included).

    ``requested`` None: every core this process may run on (at most 8), when the estate has at
    least :data:`PARALLEL_MIN_FILES` files and this process can ``fork`` safely (a POSIX system
    other than macOS, and no other Python thread running: a Jupyter kernel, a test server or a
    GUI keep the read in this process). An explicit ``requested`` > 1 is honoured with
    ``spawn`` where ``fork`` is not safe, when a spawned worker cannot run the caller's program
    again (see :func:`_start_method`); otherwise the files are read in this process.
    """
    if requested is not None:
        number = _whole_number(requested)
        if number is None or number < 1:
            raise UsageError(f"workers must be a whole number of 1 or more, not {requested!r}")
        if number > 1 and _start_method() is None:
            return 1
        # never more processes than files, than Windows' process pool allows (61), or than 64
        return max(1, min(number, files, 61 if sys.platform == "win32" else 64))
    if files < PARALLEL_MIN_FILES or _start_method() != "fork":
        return 1
    return max(1, min(_cores(), 8))


def _whole_number(value: object) -> int | None:
    """``value`` as an int when it is a whole number type (int, numpy.int64 ...), not a bool,
    float or string."""
    if isinstance(value, bool):
        return None
    try:
        return operator.index(value)  # type: ignore[arg-type]
    except TypeError:
        return None


def _cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: Main modules a spawned worker may import again: they run nothing on import.
_GUARDED_MAIN = frozenset({"ipykernel_launcher", "fedaudit.__main__", "pytest.__main__"})


def _start_method() -> str | None:
    """``fork`` where it is safe (POSIX but not macOS, a single Python thread), else ``spawn``
    where a worker would not run the caller's program again, else None (one process).

    ``spawn`` imports the main module again in each worker, which re-runs a script that has no
    ``if __name__ == "__main__":`` guard, so it is used only when the main module has no file
    (an interactive session, ``python -c``, a Jupyter kernel's namespace) or is one known to be
    guarded (``python -m fedaudit``, a Jupyter kernel, pytest).
    """
    methods = multiprocessing.get_all_start_methods()
    if sys.platform != "darwin" and "fork" in methods and threading.active_count() == 1:
        return "fork"
    if "spawn" not in methods:
        return None
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name is not None:
        return "spawn" if name in _GUARDED_MAIN else None
    return "spawn" if getattr(main, "__file__", None) is None else None


def _read_all(
    files: Sequence[Path],
    domains: Sequence[str | None],
    culture: str | None,
    workers: int,
    trusted: tuple[Certificate, ...] = (),
) -> list[_FileRead]:
    """Every file read, in the order given, by ``workers`` processes (this one and
    ``workers - 1`` others). The result does not depend on ``workers``: each file is read by a
    pure function of its bytes and the results are put back in file order. The files are cut
    into chunks; the other processes take chunks from the end, this one from the front, so
    nobody waits for a slow chunk. A chunk whose worker fails (a killed process, a start-up
    error) is read here instead."""
    jobs = list(zip(files, domains))
    if workers <= 1 or len(jobs) < 2:
        return _read_chunk(jobs, culture, trusted)
    size = max(1, -(-len(jobs) // (workers * 8)))
    chunks = [jobs[i : i + size] for i in range(0, len(jobs), size)]
    done: dict[int, list[_FileRead]] = {}
    front, back = 0, len(chunks)  # chunks [front, back) are not yet started
    inflight: dict[concurrent.futures.Future[list[_FileRead]], int] = {}
    try:
        context = multiprocessing.get_context(_start_method() or "spawn")
        pool = concurrent.futures.ProcessPoolExecutor(workers - 1, mp_context=context)
    except Exception:  # no process pool here (no working semaphores, no /dev/shm ...): read here
        return _read_chunk(jobs, culture, trusted)
    with pool:
        broken = False

        def top_up() -> None:
            nonlocal back, broken
            while not broken and len(inflight) < 2 * (workers - 1) and front < back:
                try:
                    future = pool.submit(_read_chunk, chunks[back - 1], culture, trusted)
                except Exception:  # the pool broke (a worker died): this process reads the rest
                    broken = True
                    return
                back -= 1
                inflight[future] = back

        def collect(wait: bool) -> None:
            ready = [f for f in inflight if f.done()]
            if wait and not ready and inflight:
                ready = list(concurrent.futures.wait(inflight, return_when=concurrent.futures.FIRST_COMPLETED)[0])
            for future in ready:
                index = inflight.pop(future)
                try:
                    done[index] = future.result()
                except Exception:  # the worker, not the file, failed: read the chunk here
                    done[index] = _read_chunk(chunks[index], culture, trusted)

        top_up()
        while front < back:
            done[front] = _read_chunk(chunks[front], culture, trusted)
            front += 1
            collect(wait=False)
            top_up()
        while inflight:
            collect(wait=True)
    return [read for index in range(len(chunks)) for read in done[index]]


def _load_files(
    files: list[Path],
    *,
    culture: str | None,
    strict: bool,
    domain_map: Mapping[str, str] | None,
    outside: Sequence[tuple[Path, str]] = (),
    trusted: tuple[Certificate, ...] = (),
    workers: int | None = None,
) -> Evidence:

    dmap = _DomainMap(domain_map)
    results: list[ParseResult] = []
    inputs: list[InputFile] = []
    documents: list[tuple[str, bytes]] = []
    sidecars: list[tuple[str, bytes]] = []
    stated: dict[str, tuple[dt.datetime | None, str | None]] = {}
    mtimes: dict[str, dt.datetime] = {}
    dated_by: dict[str, tuple[dt.datetime, str]] = {}  # files a manifest or sidecar dates
    named: set[str] = set()  # their names, as named and as resolved
    links: dict[str, str] = {}  # origin -> resolved path, for symbolic links
    checked: dict[str, CheckedDocument] = {}
    for link, target in outside:
        origin = path_text(link)
        results.append(
            _refused(origin, f"a symbolic link that leads outside its folder (to {path_text(target)}): not read")
        )
        inputs.append(InputFile(origin, 0, "", "refused (link outside the folder)"))
    matches = [dmap.match(path) for path in files]
    reads = _read_all(files, [m[1] if m else None for m in matches], culture, _workers(workers, len(files)), trusted)
    dmap.used.update(m[0] for m, read in zip(matches, reads) if m is not None and read.export)
    dmap.check_all_used()
    for read in reads:
        origin = read.input.path
        inputs.append(read.input)
        if read.link_target is not None:
            links[origin] = read.link_target
        if read.input.sha256:  # read and hashed (not refused or unreadable)
            stated[origin] = read.stated
            if read.mtime is not None:
                mtimes[origin] = read.mtime
        for name, target, when, how in read.dates:
            dated_by[target] = (when, how)
            named.update((name, os.path.basename(target)))
        if read.document is not None:
            documents.append((origin, read.document))
            if read.checked is not None:
                checked[origin] = read.checked
        elif read.sidecar is not None:
            sidecars.append((origin, read.sidecar))
        elif read.result is not None:
            results.append(read.result)
    if documents or sidecars:
        results.extend(read_metadata(documents, sidecars, trusted=trusted, checked=checked))
    evidence = build_evidence(results, tuple(_dated(inputs, stated, mtimes, dated_by, named, links)))
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
