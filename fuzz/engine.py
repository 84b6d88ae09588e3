"""Seeds, mutations, targets and the run loop of the fuzzer (see :mod:`fuzz`)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import re
import signal
import tempfile
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import fedaudit
from fedaudit.errors import FedauditError
from fedaudit.io.collector import check_manifest
from fedaudit.metadata import verify_metadata
from fedaudit.parse import dispatch, read_export
from fedaudit.parse.certs import certificate_from_base64, certificate_from_der, certificate_from_pem
from fedaudit.parse.metadata.read import parse_sidecar, read_document

ROOT = Path(__file__).resolve().parents[1]
#: Where seeds come from, relative to the repository root.
SEED_DIRS = ("data/samples", "tests/data")
#: Seeds larger than this are left out (three real aggregates of several MB: their signature
#: check takes seconds, and the same code paths are reached by the smaller documents).
MAX_SEED_BYTES = 256 * 1024
#: Not inputs of any parser.
SKIP_SUFFIXES = (".key", ".py", ".md", ".gitattributes")
#: One input may take at most this long in one target before it counts as a hang.
HANG_SECONDS = 10.0

Seed = tuple[str, bytes]


def corpus(root: Path = ROOT, dirs: tuple[str, ...] = SEED_DIRS, max_bytes: int = MAX_SEED_BYTES) -> list[Seed]:
    """(relative path, bytes) of every seed file, sorted by path (deterministic)."""
    out: list[Seed] = []
    for d in dirs:
        base = root / d
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if not path.is_file() or path.name.endswith(SKIP_SUFFIXES) or path.stat().st_size > max_bytes:
                continue
            out.append((str(path.relative_to(root)), path.read_bytes()))
    return out


# -- mutations ---------------------------------------------------------------------------------------

_TOKENS = (
    b"12/31/9999 11:59:59 PM", b"31.12.9999 23:59:59", b"9999-12-31T23:59:59Z", b"0001-01-01T00:00:00",
    b"01/01/0001 00:00:00", b"2/30/2026 1:00:00 PM", b"13/13/2026", b"-1", b"0", b"99999999999999999999",
    b"1e309", b"NaN", b"null", b"true", b'""', b"[]", b"{}", b"{" * 80, b"[" * 80, b"<a>" * 120,
    b"<!DOCTYPE x [<!ENTITY e 'x'>]>", b"&e;", b"&#0;", b"<![CDATA[", b"]]>", b"<!--", b"-->",
    b"\x1b[2J", b"\x1b]0;title\x07", "\u2028".encode(), "\u0085".encode(), b"\x00", b"\t", b"\r", b"\n",
    b" : ", b": ", b":", b"=", b"...", b"\xe2\x80\xa6", b"{...}", b"[Subject]\n  CN=x\n", b"[Thumbprint]\n  ",
    b"MIIC", b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n", b"A" * 5000,
    b"Thumbprint", b"IsPrimary", b"CertificateType", b"SigningCertificate", b"NotAfter",
    b"<Obj RefId=\"0\">", b"<Ref RefId=\"0\" />", b"<S>", b"</S>", b"<URI>", b"<DT>", b"<BA>", b"</Obj>",
    b'"RawData":', b'"@odata.type":', b'"value":[', b"#TYPE ", b'"","', b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff",
    b"http://[oops]/", b"https://fs.contoso.com/adfs/ls/", b"urn:", b"ID=\"_x\"", b'URI=""',
)


def _flip(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    buf = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        i = rng.randrange(len(buf))
        buf[i] = buf[i] ^ (1 << rng.randrange(8)) if rng.random() < 0.7 else rng.randrange(256)
    return bytes(buf)


def _truncate(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _cut_middle(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    if len(data) < 2:
        return data
    a = rng.randrange(len(data))
    b = min(len(data), a + rng.randint(1, max(1, len(data) // 4)))
    return data[:a] + data[b:]


def _splice(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    other = rng.choice(pool)[1]
    return data[: rng.randrange(len(data) + 1)] + other[rng.randrange(len(other) + 1):]


def _insert_chunk(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    other = rng.choice(pool)[1]
    a = rng.randrange(len(other) + 1)
    chunk = other[a: a + rng.randint(1, 400)]
    at = rng.randrange(len(data) + 1)
    return data[:at] + chunk + data[at:]


def _duplicate(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    if not data:
        return data
    a = rng.randrange(len(data))
    chunk = data[a: a + rng.randint(1, 2000)]
    return data[:a] + chunk * rng.randint(2, 4) + data[a:]


def _token(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    at = rng.randrange(len(data) + 1)
    tok = rng.choice(_TOKENS)
    if rng.random() < 0.5 and data:  # replace a run instead of inserting
        return data[:at] + tok + data[at + rng.randint(1, 40):]
    return data[:at] + tok + data[at:]


def _lines(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    op = rng.randrange(5)
    if op == 0:
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 1:
        del lines[i]
    elif op == 2:
        lines.insert(i, lines[j])
    elif op == 3:  # Format-List padding removed: "Name    : value" -> "Name: value"
        lines[i] = re.sub(rb"^(\s*\S+)\s+:", rb"\1:", lines[i])
    else:  # console wrapping: a line cut in two, the rest indented
        k = rng.randrange(len(lines[i]) + 1)
        lines[i: i + 1] = [lines[i][:k], b" " * rng.randint(0, 30) + lines[i][k:]]
    return b"\n".join(lines)


def _encoding(rng: random.Random, data: bytes, pool: list[Seed]) -> bytes:
    op = rng.randrange(9)
    text = data.decode("utf-8", "replace")
    if op == 0:
        return text.encode("utf-16-le")
    if op == 1:
        return b"\xff\xfe" + text.encode("utf-16-le")
    if op == 2:
        return b"\xfe\xff" + text.encode("utf-16-be")
    if op == 3:
        return text.encode("latin-1", "replace")
    if op == 4:  # invalid UTF-8 sequences at random places
        at = rng.randrange(len(data) + 1)
        return data[:at] + rng.choice((b"\xc3", b"\xff", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80\x80")) + data[at:]
    if op == 5:
        return data.replace(b"\r\n", b"\n") if b"\r\n" in data else data.replace(b"\n", b"\r\n")
    if op == 6:
        return data.replace(b"\n", b"\r")
    if op == 7:  # odd length UTF-16 (a byte lost)
        raw = b"\xff\xfe" + text.encode("utf-16-le")
        return raw[:-1] if len(raw) % 2 == 0 else raw
    at = rng.randrange(len(data) + 1)
    return data[:at] + b"\xef\xbb\xbf" + data[at:]


MUTATORS: tuple[tuple[str, Callable[[random.Random, bytes, list[Seed]], bytes]], ...] = (
    ("flip", _flip), ("truncate", _truncate), ("cut", _cut_middle), ("splice", _splice),
    ("insert", _insert_chunk), ("duplicate", _duplicate), ("token", _token), ("lines", _lines),
    ("encoding", _encoding),
)


def mutate(rng: random.Random, data: bytes, pool: list[Seed]) -> tuple[bytes, tuple[str, ...]]:
    """``data`` with 1-4 mutations; their names, in order."""
    names = []
    for _ in range(rng.choice((1, 1, 2, 2, 3, 4))):
        name, fn = rng.choice(MUTATORS)
        data = fn(rng, data, pool)
        names.append(name)
    return data, tuple(names)


# -- targets ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    """One parser entry point: ``wants(data)`` says whether the input is for it."""

    name: str
    wants: Callable[[bytes], bool]
    call: Callable[[bytes, str], None]


class InternalError(Exception):
    """A reader reported an internal error (an exception it caught for the caller's sake)."""


#: Cultures an input is read with (one per input, chosen from its bytes: deterministic).
CULTURES = (None, None, "en-US", "de-DE", "en-GB", "ja-JP")


def _read_export(data: bytes, origin: str) -> None:
    culture = CULTURES[len(data) % len(CULTURES)]
    result = read_export(data, origin, culture=culture)
    if result.kind == "error":
        try:  # read_export hid it: run the reader once more for the traceback
            dispatch._read(data, origin, culture, None)
        except FedauditError:
            raise InternalError(result.issues[0].message) from None
        except Exception as exc:  # the hidden exception, with its traceback
            raise InternalError(result.issues[0].message) from exc
        raise InternalError(result.issues[0].message)


def _is_xml(data: bytes) -> bool:
    return b"EntityDescriptor" in data or b"EntitiesDescriptor" in data


def _metadata(data: bytes, origin: str) -> None:
    # parse_tree + document_from_tree (what parse_metadata does) + verify_tree (what
    # verify_metadata does after the same parse); never raises for bad input.
    read_document(data, origin)


def _verify(data: bytes, origin: str) -> None:
    with contextlib.suppress(FedauditError):
        verify_metadata(data, origin)


def _json_like(data: bytes) -> bool:
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return head in (b"{", b"[")


def _sidecar(data: bytes, origin: str) -> None:
    with contextlib.suppress(FedauditError):
        parse_sidecar(data, origin)


def _manifest(data: bytes, origin: str) -> None:
    check_manifest(data, origin, {})


_B64_RUN = re.compile(rb"MI[A-Za-z0-9+/=\s]{60,}")


def _certificates(data: bytes, origin: str) -> None:
    with contextlib.suppress(FedauditError):
        certificate_from_der(data, origin=origin)
    if b"-----BEGIN" in data:
        with contextlib.suppress(FedauditError):
            certificate_from_pem(data, origin=origin)
    match = _B64_RUN.search(data)
    if match:
        with contextlib.suppress(FedauditError):
            certificate_from_base64(match.group(0).decode("ascii"), origin=origin)


def targets() -> tuple[Target, ...]:
    """Every sans-IO parser entry point."""
    return (
        Target("read_export", lambda d: True, _read_export),
        Target("metadata", _is_xml, _metadata),
        # The public entry point itself, for inputs that are not metadata to read_document.
        Target("verify_metadata", lambda d: b"Signature" in d and not _is_xml(d), _verify),
        Target("sidecar", _json_like, _sidecar),
        Target("manifest", lambda d: _json_like(d) and b"fedaudit" in d, _manifest),
        Target("certificates", lambda d: True, _certificates),
    )


# -- running ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Crash:
    target: str
    seed: str
    mutations: tuple[str, ...]
    kind: str
    where: str
    message: str
    trace: str
    data: bytes = field(repr=False)

    @property
    def signature(self) -> tuple[str, str, str]:
        return (self.target, self.kind, self.where)


@dataclass
class FuzzReport:
    inputs: int = 0
    seconds: float = 0.0  # wall clock in the sans-IO targets
    cpu_seconds: float = 0.0  # this process's CPU time in them (fair on a shared machine)
    calls: dict[str, int] = field(default_factory=dict)
    load_inputs: int = 0
    load_seconds: float = 0.0
    crashes: list[Crash] = field(default_factory=list)  # one per distinct signature
    crash_count: int = 0  # every crashing input
    slowest: tuple[float, str, str] = (0.0, "", "")

    @property
    def per_second(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.inputs / self.cpu_seconds if self.cpu_seconds else 0.0

    @property
    def load_per_second(self) -> float:
        return self.load_inputs / self.load_seconds if self.load_seconds else 0.0


class _Hang(BaseException):
    """Raised by the alarm when one call runs past HANG_SECONDS (BaseException: no parser's
    ``except Exception`` swallows it)."""


def _fire(signum: int, frame: object) -> None:
    raise _Hang("no result in time")


@contextlib.contextmanager
def _alarm_handler() -> Iterator[bool]:
    """Install the SIGALRM handler for a run (True when the platform and thread allow it)."""
    if not hasattr(signal, "setitimer"):
        yield False
        return
    try:
        previous = signal.signal(signal.SIGALRM, _fire)
    except ValueError:  # not the main thread
        yield False
        return
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Alarm:
    armed = False  # set while run() holds the SIGALRM handler


@contextlib.contextmanager
def _deadline(seconds: float) -> Iterator[None]:
    if not _Alarm.armed or seconds <= 0:
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _where(tb: traceback.StackSummary) -> str:
    """The innermost frame in fedaudit's own code (else the innermost frame)."""
    frames = [f for f in tb if f"{os.sep}fedaudit{os.sep}" in f.filename] or list(tb)
    if not frames:
        return "?"
    f = frames[-1]
    name = f.filename.split(f"{os.sep}fedaudit{os.sep}")[-1]
    return f"{name}:{f.lineno} {f.name}"


def _call(target: Target, data: bytes, origin: str, hang_seconds: float) -> tuple[str, str, str, str] | None:
    """None, or (kind, where, message, traceback) of a crash."""
    try:
        with _deadline(hang_seconds):
            target.call(data, origin)
    except FedauditError:
        return None
    except _Hang as exc:
        tb = traceback.extract_tb(exc.__traceback__)
        return "Hang", _where(tb), str(exc), "".join(traceback.format_exception(exc))
    except BaseException as exc:  # the point: anything else is a finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        cause = exc.__cause__ if isinstance(exc, InternalError) and exc.__cause__ else exc
        tb = traceback.extract_tb(cause.__traceback__)
        kind = type(cause).__name__ if not isinstance(exc, InternalError) else f"internal:{type(cause).__name__}"
        return kind, _where(tb), " ".join(str(exc).split())[:300], "".join(traceback.format_exception(cause))
    return None


def run_targets(data: bytes, origin: str = "fuzz-input", *, hang_seconds: float = HANG_SECONDS) -> list[tuple[str, str, str, str, str]]:
    """Every target that wants ``data``; (target, kind, where, message, traceback) per crash.
    A call past ``hang_seconds`` is a "Hang" (the alarm is armed here when no run holds it)."""
    out = []
    with contextlib.ExitStack() as stack:
        if not _Alarm.armed:
            armed = stack.enter_context(_alarm_handler())
            _Alarm.armed = armed
            stack.callback(setattr, _Alarm, "armed", False)
        for target in targets():
            if target.wants(data):
                crash = _call(target, data, origin, hang_seconds)
                if crash is not None:
                    out.append((target.name, *crash))
    return out


def _via_load(data: bytes, name: str, folder: Path) -> tuple[str, str, str, str] | None:
    for old in folder.iterdir():
        old.unlink()
    (folder / name).write_bytes(data)
    try:
        with _deadline(HANG_SECONDS * 3):
            evidence = fedaudit.load(folder)
    except FedauditError:
        return None
    except BaseException as exc:  # anything else is a finding
        if isinstance(exc, KeyboardInterrupt):
            raise
        tb = traceback.extract_tb(exc.__traceback__)
        return type(exc).__name__, _where(tb), " ".join(str(exc).split())[:300], "".join(traceback.format_exception(exc))
    hidden = [m for m in evidence.issues["message"].astype(str) if m.startswith("internal error")]
    if hidden:  # read_export caught it so the other files load; still a bug
        return "internal", "load", hidden[0][:300], hidden[0]
    return None


def save(crash: Crash, out: Path) -> Path:
    """Write the input and a description; returns the input's path."""
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha1(crash.data).hexdigest()[:12]
    suffix = Path(crash.seed).suffix or ".bin"
    path = out / f"crash-{crash.target}-{crash.kind.replace(':', '-')}-{digest}{suffix}"
    path.write_bytes(crash.data)
    path.with_name(path.name + ".txt").write_text(
        f"target: {crash.target}\nseed file: {crash.seed}\nmutations: {', '.join(crash.mutations)}\n"
        f"kind: {crash.kind}\nwhere: {crash.where}\nmessage: {crash.message}\n\n{crash.trace}",
        encoding="utf-8",
    )
    return path


def run(
    inputs: int,
    *,
    seed: int = 12,
    load_every: int = 0,
    out: Path | None = None,
    pool: list[Seed] | None = None,
    hang_seconds: float = HANG_SECONDS,
    progress: Callable[[FuzzReport], None] | None = None,
) -> FuzzReport:
    """Fuzz ``inputs`` mutated seeds (deterministic for a ``seed``). ``load_every`` > 0 also
    reads every n-th input with :func:`fedaudit.load`; ``out`` saves each distinct crash."""
    warnings.simplefilter("ignore")
    pool = pool if pool is not None else corpus()
    if not pool:
        raise SystemExit("fuzz: no seed files found")
    rng = random.Random(seed)
    report = FuzzReport()
    seen: set[tuple[str, str, str]] = set()
    chosen = targets()
    with tempfile.TemporaryDirectory(prefix="fedaudit-fuzz-") as tmp, _alarm_handler() as armed:
        _Alarm.armed = armed
        folder = Path(tmp)
        for name, data in pool[:: max(1, len(pool) // 12)]:  # warm up: first calls import lazily
            for target in chosen:
                if target.wants(data):
                    _call(target, data, name, hang_seconds)
        for i in range(inputs):
            seed_name, seed_data = pool[rng.randrange(len(pool))]
            data, names = mutate(rng, seed_data, pool)
            origin = f"fuzz/{i}/{Path(seed_name).name}"
            found: list[tuple[str, str, str, str, str]] = []
            for target in chosen:
                if not target.wants(data):
                    continue
                start, cpu = time.perf_counter(), time.process_time()
                crash = _call(target, data, origin, hang_seconds)
                took = time.perf_counter() - start
                report.cpu_seconds += time.process_time() - cpu
                report.seconds += took
                report.calls[target.name] = report.calls.get(target.name, 0) + 1
                if took > report.slowest[0]:
                    report.slowest = (took, target.name, seed_name)
                if crash is not None:
                    found.append((target.name, *crash))
            report.inputs += 1
            if load_every and i % load_every == 0:
                start = time.perf_counter()
                crash = _via_load(data, Path(seed_name).name, folder)
                report.load_seconds += time.perf_counter() - start
                report.load_inputs += 1
                if crash is not None:
                    found.append(("load", *crash))
            for target_name, kind, where, message, trace in found:
                report.crash_count += 1
                c = Crash(target_name, seed_name, names, kind, where, message, trace, data)
                if c.signature not in seen:
                    seen.add(c.signature)
                    report.crashes.append(c)
                    if out is not None:
                        save(c, out)
            if progress is not None and (i + 1) % 1000 == 0:
                progress(report)
        _Alarm.armed = False
    return report
