"""Fetch federation metadata over HTTPS and keep every attempt as evidence.

:func:`fetch_all` fetches many URLs concurrently; :func:`fetch_one` fetches one. For every URL,
success or failure, two files land in ``out_dir``:

* the response body, when there is one: ``<host>_<path>_<UTC timestamp>.xml`` when it is
  federation metadata, ``.body`` otherwise (error pages, login pages; the loader skips those);
* a sidecar ``<same stem>.fetch.json``, recognised by the loader through ``"fedaudit_fetch": 1``.

Sidecar keys: ``fedaudit_fetch``, ``fedaudit_version``, ``url``, ``final_url``, ``fetched_at``
(ISO 8601 UTC), ``status`` (final HTTP status or null), ``elapsed_ms``, ``tls_verified``
(true: the chain and host name were verified; false: verification was off or failed; null: no TLS
handshake happened), ``insecure``, ``ca_bundle``, ``server_certificate`` (``thumbprint``,
``sha256``, ``subject``, ``issuer``, ``not_before``, ``not_after`` of the TLS certificate, or
null), ``content_type``, ``bytes``, ``sha256`` (of the body), ``body`` (its file name or null),
``body_kind`` (``metadata``/``other``/null), ``error`` (null or one line), ``redirects`` (each hop:
``url``, ``status``, ``location``), ``attempts`` (each try: ``url``, ``status``, ``error``,
``elapsed_ms``), ``user_agent``.

Rules: TLS verification is on unless ``insecure=True`` (recorded, and reported by the audit);
redirects are followed by hand, only to ``https://``, at most :data:`MAX_REDIRECTS`; connection
errors and 5xx answers are retried ``retries`` times with exponential backoff; the body is read in
chunks and abandoned beyond ``max_bytes``; names never overwrite an existing file. Each attempt
has one deadline, ``max(3 * timeout, timeout + 5)`` seconds, for connect, TLS, headers and body
together: a watchdog shuts its sockets down when it passes (a server trickling one byte every
0.5 s never resets it), and an attempt stopped by it is not retried. The server's reason phrase
and headers are stored with control characters escaped (:mod:`fedaudit.neutral`).
This is the one module of the library that reads the clock (``fetched_at``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import re
import socket
import ssl
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
import requests.adapters
import urllib3
import urllib3.connection

from fedaudit._version import __version__
from fedaudit.errors import CertificateError, FetchError, UsageError
from fedaudit.io.clock import system_clock
from fedaudit.neutral import escape_controls, json_dumps
from fedaudit.parse.certs import certificate_from_der
from fedaudit.parse.sniff import sniff_kind

__all__ = [
    "Attempt",
    "FetchResult",
    "MAX_REDIRECTS",
    "Redirect",
    "ServerCertificate",
    "USER_AGENT",
    "attempt_bound",
    "fetch_all",
    "fetch_one",
]

USER_AGENT = f"fedaudit/{__version__}"
MAX_REDIRECTS = 5
_REDIRECT_CODES = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024
_ACCEPT = "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"


@dataclass(frozen=True)
class ServerCertificate:
    """The TLS certificate the server presented (read even when verification failed)."""

    thumbprint: str
    sha256: str | None
    subject: str | None
    issuer: str | None
    not_before: dt.datetime | None
    not_after: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "thumbprint": self.thumbprint,
            "sha256": self.sha256,
            "subject": self.subject,
            "issuer": self.issuer,
            "not_before": _iso(self.not_before),
            "not_after": _iso(self.not_after),
        }


@dataclass(frozen=True)
class Redirect:
    url: str
    status: int
    location: str


@dataclass(frozen=True)
class Attempt:
    url: str
    status: int | None
    error: str | None
    elapsed_ms: int


@dataclass(frozen=True)
class FetchResult:
    """One URL's fetch. ``ok`` when the final answer is 2xx federation metadata, no error."""

    url: str
    final_url: str
    fetched_at: dt.datetime
    status: int | None
    elapsed_ms: int
    tls_verified: bool | None
    insecure: bool
    sidecar_path: str
    server_certificate: ServerCertificate | None = None
    content_type: str | None = None
    sha256: str | None = None
    size: int | None = None
    body_path: str | None = None
    body_kind: str | None = None
    error: str | None = None
    redirects: tuple[Redirect, ...] = ()
    attempts: tuple[Attempt, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None and 200 <= self.status < 300


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


# -- errors -----------------------------------------------------------------------------------


def _chain(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (args, reason, __cause__, __context__)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        item = todo.pop(0)
        if item in seen or len(seen) > 20:
            continue
        seen.append(item)
        for nxt in (getattr(item, "reason", None), item.__cause__, item.__context__, *getattr(item, "args", ())):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return seen


def _describe_error(exc: BaseException, timeout: float) -> str:
    chain = _chain(exc)
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            reason = item.verify_message or item.reason or str(item)
            return _one_line(f"TLS certificate verification failed: {reason}")
    for item in chain:
        if isinstance(item, ssl.SSLError):
            return _one_line(f"TLS handshake failed: {item.reason or item}")
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, socket.gaierror):
            return _one_line(f"cannot resolve host name: {item.strerror or item}")
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connect timeout after {timeout:g} s"
    if isinstance(exc, requests.exceptions.ReadTimeout) or any(
        "Read timed out" in str(i) for i in chain if not isinstance(i, requests.exceptions.RequestException)
    ):
        return f"read timeout after {timeout:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    for item in chain:
        if isinstance(item, ConnectionResetError):
            return "connection reset by peer"
    inner = chain[-1]
    return _one_line(f"{type(inner).__name__}: {inner}")


class _Refused(Exception):
    """A response we stop at on purpose (oversize, slow, bad redirect); carries the reason."""


# -- TLS certificate ---------------------------------------------------------------------------


def _server_certificate(der: bytes | None) -> ServerCertificate | None:
    if not der:
        return None
    try:
        cert = certificate_from_der(der)
    except CertificateError:
        return ServerCertificate(
            hashlib.sha1(der).hexdigest().upper(), hashlib.sha256(der).hexdigest().upper(), None, None, None, None
        )
    return ServerCertificate(cert.thumbprint, cert.sha256, cert.subject, cert.issuer, cert.not_before, cert.not_after)


_peer = threading.local()


class _Watchdog:
    """The deadline of one attempt. Every socket the attempt opens is registered; when the
    deadline passes, a timer shuts them all down, which ends a blocked connect, TLS handshake,
    header or body read at once (socket timeouts alone never fire against a server that sends
    one byte every 0.5 s)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self.phase = "connecting"  # what the attempt is doing, for the error when it fires
        self.fired_phase = ""
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(seconds, 0.0), self.fire)
        self._timer.daemon = True

    def start(self) -> _Watchdog:
        self._timer.start()
        return self

    def cancel(self) -> None:
        """Stop the timer and let go of the sockets (once the attempt has ended)."""
        self._timer.cancel()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.close()

    def register(self, sock: socket.socket) -> None:
        """Watch ``sock``. A duplicate descriptor is kept: the TLS wrapper detaches the object
        urllib3 created, and a bare descriptor number could be reused by another connection
        once closed; shutdown(2) on the duplicate ends the connection itself."""
        try:  # socket.fromfd dups the descriptor (SSLSocket.dup is not implemented)
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except (OSError, ValueError):
            return
        with self._lock:
            self._sockets.append(dup)
            fired = self.fired
        if fired:
            self._shut(dup)

    def fire(self) -> None:
        with self._lock:
            self.fired = True
            self.fired_phase = self.phase
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        with contextlib.suppress(OSError, ValueError):
            sock.shutdown(socket.SHUT_RDWR)


_watch = threading.local()


def _register(sock: socket.socket, phase: str | None = None) -> None:
    watchdog = getattr(_watch, "current", None)
    if watchdog is not None:
        watchdog.register(sock)
        if phase:
            watchdog.phase = phase


def _phase(phase: str) -> None:
    watchdog = getattr(_watch, "current", None)
    if watchdog is not None:
        watchdog.phase = phase


class _WatchedHTTPConnection(urllib3.connection.HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _register(sock, "sending the request")
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        if self.sock is not None:  # a kept-alive connection opened by an earlier attempt
            _register(self.sock)
        _phase("reading the response headers")
        return super().getresponse(*args, **kwargs)


class _RecordingHTTPSConnection(urllib3.connection.HTTPSConnection):
    """Notes the peer certificate (DER) of the connection a response arrives on, per thread.

    requests does not expose the server certificate, and urllib3 releases the connection as
    soon as an empty body is read; this is read before the response exists. Its socket is
    registered with the attempt's :class:`_Watchdog` before the TLS handshake.
    """

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _register(sock, "in the TLS handshake")
        return sock

    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        getpeercert = getattr(self.sock, "getpeercert", None)
        der = None
        if getpeercert is not None:
            try:
                der = getpeercert(binary_form=True)
            except (ValueError, OSError):
                der = None
        _peer.der = der
        if self.sock is not None:  # a kept-alive connection opened by an earlier attempt
            _register(self.sock)
        _phase("reading the response headers")
        return super().getresponse(*args, **kwargs)


class _RecordingHTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _RecordingHTTPSConnection


class _WatchedHTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _RecordingHTTPSPool}


class _Adapter(requests.adapters.HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(_POOLS)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = dict(_POOLS)
        return manager


def _probe_der(url: str, timeout: float) -> bytes | None:
    """Open a separate TLS connection without verification, only to read the certificate the
    server presents (requests does not expose it when verification fails)."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 443
    if not host:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            _register(raw)
            with context.wrap_socket(raw, server_hostname=host) as tls:
                return tls.getpeercert(binary_form=True)
    except (OSError, ValueError, UnicodeError):
        return None


# -- one HTTP exchange ------------------------------------------------------------------------


@dataclass
class _Exchange:
    url: str
    status: int | None = None
    reason: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    der: bytes | None = None
    tls_verified: bool | None = None
    error: str | None = None
    retryable: bool = False
    elapsed_ms: int = 0
    received: int = 0  # body bytes read so far
    abandoned: bool = False  # the attempt's thread did not end by the deadline


def _exchange(
    session: requests.Session, url: str, *, verify: bool | str, timeout: float, max_bytes: int, bound: float
) -> _Exchange:
    """One attempt, ended by :class:`_Watchdog` ``bound`` seconds after it starts whatever the
    server does. It runs in its own thread: should even the watchdog not end it (a host name
    whose resolution hangs), the caller stops waiting shortly after the deadline and the
    thread is abandoned (``abandoned=True``: its session must not be used again)."""
    watchdog = _Watchdog(bound)
    box: list[_Exchange] = []

    def attempt() -> None:
        _watch.current = watchdog
        try:
            box.append(_attempt(session, url, verify=verify, timeout=timeout, max_bytes=max_bytes, watchdog=watchdog))
        finally:
            _watch.current = None

    start = time.monotonic()
    worker = threading.Thread(target=attempt, name="fedaudit-fetch-attempt", daemon=True)
    watchdog.start()
    worker.start()
    worker.join(bound + _GRACE)
    if box:
        watchdog.cancel()
        return box[0]
    watchdog.fire()
    watchdog.cancel()
    out = _Exchange(url=url, error=f"no answer within the {bound:g}-second deadline of an attempt", abandoned=True)
    out.elapsed_ms = int((time.monotonic() - start) * 1000)
    return out


#: Seconds past an attempt's deadline the caller waits for the watchdog to take effect.
_GRACE = 1.0


def _attempt(
    session: requests.Session, url: str, *, verify: bool | str, timeout: float, max_bytes: int, watchdog: _Watchdog
) -> _Exchange:
    start = time.monotonic()
    deadline = start + watchdog.seconds
    out = _Exchange(url=url)
    _peer.der = None
    try:
        response = session.get(url, allow_redirects=False, stream=True, timeout=(timeout, timeout), verify=verify)
    except requests.exceptions.SSLError as exc:
        out.error = _describe_error(exc, timeout)
        out.tls_verified = False
        if not watchdog.fired:
            out.der = _probe_der(url, timeout)
    except requests.exceptions.ConnectionError as exc:  # includes ConnectTimeout
        out.error = _describe_error(exc, timeout)
        out.retryable = True
    except requests.exceptions.RequestException as exc:  # ReadTimeout on headers, InvalidURL ...
        out.error = _describe_error(exc, timeout)
    except Exception as exc:  # whatever the HTTP stack raises is a failed fetch
        # (LocationParseError/ValueError on a URL it cannot parse, UnicodeError in IDNA, ...)
        out.error = _one_line(f"the HTTP client failed: {type(exc).__name__}: {escape_controls(str(exc))}")
    else:
        watchdog.phase = "reading the body"
        with response:
            out.status = response.status_code
            out.reason = response.reason if isinstance(response.reason, str) else None
            out.headers = {k.lower(): v for k, v in response.headers.items()}
            out.der = getattr(_peer, "der", None)
            out.tls_verified = verify is not False
            try:
                out.body = _read_capped(response, max_bytes, deadline, out)
            except _Refused as exc:
                out.error = str(exc)
            except requests.exceptions.RequestException as exc:
                out.error = f"while reading the body: {_describe_error(exc, timeout)}"
                out.retryable = isinstance(exc, requests.exceptions.ChunkedEncodingError)
            except Exception as exc:  # a torn connection surfaces as many types
                out.error = _one_line(f"while reading the body: {type(exc).__name__}: {escape_controls(str(exc))}")
        if out.error is None and out.status >= 500:
            out.retryable = True
    if watchdog.fired:
        # whatever the stack made of the shut-down socket, the cause is the deadline
        # (http.client may return a response from headers cut off by the shutdown)
        phase = watchdog.fired_phase
        got = f" ({out.received} bytes received)" if phase == "reading the body" and out.received else ""
        out.error = f"attempt stopped at its {watchdog.seconds:g}-second deadline, {phase}{got}"
        out.body = None
        out.retryable = False
    out.elapsed_ms = int((time.monotonic() - start) * 1000)
    return out


def _read_capped(response: requests.Response, max_bytes: int, deadline: float, out: _Exchange) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared and declared.strip().isdigit() and int(declared) > max_bytes:
        raise _Refused(f"response of {int(declared)} bytes (Content-Length) exceeds the {max_bytes}-byte cap")
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_content(_CHUNK):
        total += len(chunk)
        out.received = total
        if total > max_bytes:
            raise _Refused(f"response body exceeds the {max_bytes}-byte cap (stopped after {total} bytes)")
        if time.monotonic() > deadline:
            raise _Refused(f"body download took too long (stopped after {total} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


# -- evidence files ---------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _stem(url: str, fetched_at: dt.datetime) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "nohost") + (f"-{parts.port}" if parts.port else "")
    path = parts.path.strip("/") or "root"
    base = _UNSAFE.sub("_", f"{host}_{path}").strip("._") or "url"
    return f"{base[:120]}_{fetched_at.strftime('%Y%m%dT%H%M%S.%fZ')}"


# -- one URL ----------------------------------------------------------------------------------


def _fetch(
    session: requests.Session,
    url: str,
    out_dir: Path,
    *,
    ca_bundle: str | None,
    insecure: bool,
    timeout: float,
    max_bytes: int,
    retries: int,
    backoff: float,
) -> FetchResult:
    """One URL: refuse what must not be fetched, follow redirects with retries, judge the
    response, write body and sidecar. Every step records what it saw; nothing raises for a
    network failure."""
    fetched_at = system_clock()
    start = time.monotonic()
    raw_url = url
    url = _url_text(url)  # what is recorded and shown: bytes that are not UTF-8 as %XX
    trip = _Trip(url=url, current=url, last=_Exchange(url=url))
    trip.error = _refusal(url, raw_url)
    if trip.error is None:
        verify: bool | str = False if insecure else (ca_bundle or True)
        _follow(trip, session, verify=verify, timeout=timeout, max_bytes=max_bytes, retries=retries, backoff=backoff)
    last = trip.last
    body, body_kind, content_type, error = _judge_response(last, trip.error)
    elapsed_ms = int((time.monotonic() - start) * 1000)
    server_cert = _server_certificate(last.der)
    sha = hashlib.sha256(body).hexdigest() if body is not None else None
    sidecar: dict[str, Any] = {
        "fedaudit_fetch": 1,
        "fedaudit_version": __version__,
        "url": url,
        "final_url": trip.current,
        "fetched_at": _iso(fetched_at),
        "status": last.status,
        "elapsed_ms": elapsed_ms,
        "tls_verified": last.tls_verified,
        "insecure": insecure,
        "ca_bundle": str(ca_bundle) if ca_bundle else None,
        "server_certificate": server_cert.to_json() if server_cert else None,
        "content_type": content_type,
        "bytes": len(body) if body is not None else None,
        "sha256": sha,
        "body": None,
        "body_kind": body_kind,
        "error": error,
        "redirects": [{"url": r.url, "status": r.status, "location": r.location} for r in trip.redirects],
        "attempts": [
            {"url": a.url, "status": a.status, "error": a.error, "elapsed_ms": a.elapsed_ms} for a in trip.attempts
        ],
        "user_agent": USER_AGENT,
    }
    suffix = ".xml" if body_kind == "metadata" else ".body"
    paths = _write_evidence(out_dir, _stem(url, fetched_at), body, suffix, sidecar)
    return FetchResult(
        url=url,
        final_url=trip.current,
        fetched_at=fetched_at,
        status=last.status,
        elapsed_ms=elapsed_ms,
        tls_verified=last.tls_verified,
        insecure=insecure,
        sidecar_path=str(paths[-1]),
        server_certificate=server_cert,
        content_type=content_type,
        sha256=sha,
        size=len(body) if body is not None else None,
        body_path=str(paths[0]) if body is not None else None,
        body_kind=body_kind,
        error=error,
        redirects=tuple(trip.redirects),
        attempts=tuple(trip.attempts),
    )


@dataclass
class _Trip:
    """What following one URL went through: the last exchange, the hops and the attempts."""

    url: str
    current: str
    last: _Exchange
    error: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


def _refusal(url: str, raw_url: str) -> str | None:
    """Why ``url`` is not fetched at all, or None."""
    if url != raw_url:
        return "refused: the URL holds bytes that are not UTF-8 text or control characters (recorded as %XX)"
    if urlsplit(url).scheme.lower() != "https":
        return "refused: not an https:// URL (metadata is fetched over verified TLS only)"
    return None


def _follow(
    trip: _Trip,
    session: requests.Session,
    *,
    verify: bool | str,
    timeout: float,
    max_bytes: int,
    retries: int,
    backoff: float,
) -> None:
    """Request ``trip.current``, retrying transient failures, and follow https redirects."""
    bound = attempt_bound(timeout)
    for _hop in range(MAX_REDIRECTS + 1):
        for attempt in range(retries + 1):
            last = _exchange(session, trip.current, verify=verify, timeout=timeout, max_bytes=max_bytes, bound=bound)
            trip.last = last
            if last.abandoned:  # its thread may still hold the session: never reuse it
                session = _new_session()
            trip.attempts.append(
                Attempt(
                    trip.current,
                    last.status,
                    last.error or (f"HTTP {last.status}" if last.status and last.status >= 500 else None),
                    last.elapsed_ms,
                )
            )
            if not last.retryable or attempt == retries:
                break
            time.sleep(backoff * (2**attempt))
        trip.error = trip.last.error
        if trip.error is not None or trip.last.status not in _REDIRECT_CODES:
            return
        target = _redirect(trip)
        if target is None:
            return
        trip.current = target


def _redirect(trip: _Trip) -> str | None:
    """The next URL of a redirect response, or None with ``trip.error`` set when it is refused."""
    last = trip.last
    status = last.status
    assert status is not None  # called for a 3xx status only
    location = last.headers.get("location")
    if not location:
        trip.error = f"HTTP {status} redirect without a Location header"
        return None
    target = _redirect_target(trip.current, location)
    if target is None:
        shown = _one_line(escape_controls(location), 200)
        trip.redirects.append(Redirect(trip.current, status, shown))
        trip.error = f"HTTP {status} redirect to a Location that is not a URL: {shown}"
        return None
    trip.redirects.append(Redirect(trip.current, status, target))
    if urlsplit(target).scheme.lower() != "https":
        trip.error = f"redirect to a non-https URL refused: {_one_line(target, 200)}"
        return None
    if len(trip.redirects) > MAX_REDIRECTS:
        trip.error = f"more than {MAX_REDIRECTS} redirects"
        return None
    return target


def _judge_response(last: _Exchange, error: str | None) -> tuple[bytes | None, str | None, str | None, str | None]:
    """(body, body kind, content type, error) of the final response: a non-2xx status, an
    empty body or a body that is not metadata is an error even when the exchange succeeded."""
    body = last.body or None
    body_kind = None
    if body is not None:
        body_kind = "metadata" if sniff_kind(body) == "metadata" else "other"
    content_type = last.headers.get("content-type")
    content_type = _one_line(escape_controls(content_type), 200) if content_type is not None else None
    if error is None and last.status is not None:
        if not 200 <= last.status < 300:
            error = _one_line(f"HTTP {last.status} {escape_controls(last.reason or '')}".strip())
        elif body is None:
            error = f"HTTP {last.status} with an empty body"
        elif body_kind != "metadata":
            error = f"the response is not federation metadata (content-type {content_type or 'not given'})"
    return body, body_kind, content_type, error


def _write_evidence(out_dir: Path, stem: str, body: bytes | None, suffix: str, sidecar: dict[str, Any]) -> list[Path]:
    """Body (when any) and sidecar under the first free ``stem``, ``stem-1``, ...; the sidecar
    names the body, so it is written last."""
    files = [(suffix, body)] if body is not None else []
    for n in range(1000):
        name = stem if n == 0 else f"{stem}-{n}"
        sidecar["body"] = f"{name}{suffix}" if body is not None else None
        payload = (json_dumps(sidecar, indent=2) + "\n").encode("utf-8")
        try:
            return _publish_exact(out_dir, name, [*files, (".fetch.json", payload)])
        except FileExistsError:
            continue
    raise FetchError(f"{out_dir}: cannot find a free file name for {stem}")


def attempt_bound(timeout: float) -> float:
    """Seconds one attempt may take in all (connect, TLS, headers, body): max(3T, T + 5)."""
    return max(3 * timeout, timeout + 5)


def _url_text(url: str) -> str:
    """``url`` with every character that cannot be sent (bytes of an argument that are not
    UTF-8, surrogate-escaped by Python; control characters) as ``%XX``."""
    if not _UNSENDABLE.search(url):
        return url
    out = []
    for char in url:
        code = ord(char)
        if 0xDC80 <= code <= 0xDCFF:
            out.append(f"%{code - 0xDC00:02X}")
        elif _UNSENDABLE.fullmatch(char):
            out.append("".join(f"%{b:02X}" for b in char.encode("utf-8", "backslashreplace")))
        else:
            out.append(char)
    return "".join(out)


_UNSENDABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _redirect_target(current: str, location: str) -> str | None:
    """The absolute URL a ``Location`` header points at, or None when it does not parse
    (``http://[oops]/``, a bad port, control characters)."""
    text = location.strip()
    if not text or _UNSENDABLE.search(text):
        return None
    try:
        target = urljoin(current, text)
        parts = urlsplit(target)
        parts.port  # noqa: B018 - raises ValueError for a bad port
        if not parts.hostname:
            return None
        parts.hostname.encode("idna")
        # The HTTP stack's own parser: Python 3.10's urlsplit accepts a bracketed host that is
        # no IPv6 address ("http://[oops]/"); urllib3 refuses it, as 3.11's urlsplit does.
        urllib3.util.parse_url(target)
    except (ValueError, UnicodeError):  # LocationParseError is a ValueError
        return None
    return target


def _publish_exact(out_dir: Path, name: str, files: list[tuple[str, bytes]]) -> list[Path]:
    """Write ``files`` as ``name + suffix`` without overwriting anything: each goes to a hidden
    temp file that is hard-linked to its final name (atomic; fails when the name exists). On a
    collision, the files this call created are removed and FileExistsError is raised."""
    written: list[Path] = []
    for suffix, data in files:
        final = out_dir / f"{name}{suffix}"
        tmp = out_dir / f".{name}{suffix}.{os.getpid()}.{threading.get_ident()}.tmp"
        try:
            tmp.write_bytes(data)
            os.link(tmp, final)
        except FileExistsError:
            for path in written:
                path.unlink()
            raise
        except OSError as exc:
            raise FetchError(f"{out_dir}: cannot write evidence ({exc.strerror or exc})") from None
        finally:
            if tmp.exists():
                tmp.unlink()
        written.append(final)
    return written


# -- public API -------------------------------------------------------------------------------


class _Session(requests.Session):
    """Redirects are followed by hand (:func:`_fetch`). requests still parses a redirect's
    ``Location`` to precompute ``Response.next`` when told not to follow; a ``Location`` that
    does not parse (``http://[oops]/``) then raises out of ``get()`` and the answer is lost."""

    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Any:
        return iter(())


def _new_session() -> requests.Session:
    session = _Session()
    adapter = _Adapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept": _ACCEPT})
    return session


def _check_arguments(
    urls: Any, out_dir: Any, ca_bundle: Any, timeout: Any, max_bytes: Any, workers: Any, retries: Any, backoff: Any
) -> tuple[list[str], Path]:
    if isinstance(urls, (str, bytes)):
        raise UsageError("urls must be a list of URLs, not a single string")
    try:
        url_list = list(urls)
    except TypeError:
        raise UsageError("urls must be an iterable of URL strings") from None
    for url in url_list:
        if not isinstance(url, str):
            raise UsageError(f"not a URL: {url!r}")
        try:
            parts = urlsplit(url.strip())
            parts.port  # noqa: B018 - raises ValueError for a bad port
        except ValueError:
            raise UsageError(f"not a URL: {url!r}") from None
        if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
            raise UsageError(f"not an http(s) URL with a host name: {url!r}")
    if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or not timeout > 0:
        raise UsageError(f"timeout must be a positive number of seconds, got {timeout!r}")
    if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
        raise UsageError(f"max_bytes must be a positive integer, got {max_bytes!r}")
    if not isinstance(workers, int) or isinstance(workers, bool) or workers < 1:
        raise UsageError(f"workers must be an integer >= 1, got {workers!r}")
    if not isinstance(retries, int) or isinstance(retries, bool) or retries < 0:
        raise UsageError(f"retries must be an integer >= 0, got {retries!r}")
    if not isinstance(backoff, (int, float)) or isinstance(backoff, bool) or backoff < 0:
        raise UsageError(f"backoff must be a number >= 0, got {backoff!r}")
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        raise UsageError(f"--ca-bundle {ca_bundle}: no such file")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"{out}: cannot create the evidence folder ({exc.strerror or exc})") from None
    if not out.is_dir():
        raise UsageError(f"{out}: not a folder")
    return [u.strip() for u in url_list], out


def fetch_one(
    url: str,
    out_dir: str | os.PathLike[str],
    *,
    ca_bundle: str | os.PathLike[str] | None = None,
    insecure: bool = False,
    timeout: float = 10.0,
    max_bytes: int = 10 * 2**20,
    retries: int = 2,
    backoff: float = 0.5,
) -> FetchResult:
    """Fetch one URL into ``out_dir``; see :func:`fetch_all`."""
    return fetch_all(
        [url],
        out_dir,
        ca_bundle=ca_bundle,
        insecure=insecure,
        timeout=timeout,
        max_bytes=max_bytes,
        workers=1,
        retries=retries,
        backoff=backoff,
    )[0]


def fetch_all(
    urls: Iterable[str],
    out_dir: str | os.PathLike[str],
    *,
    ca_bundle: str | os.PathLike[str] | None = None,
    insecure: bool = False,
    timeout: float = 10.0,
    max_bytes: int = 10 * 2**20,
    workers: int = 8,
    retries: int = 2,
    backoff: float = 0.5,
    on_result: Callable[[FetchResult], None] | None = None,
) -> list[FetchResult]:
    """Fetch every URL into ``out_dir`` (created if needed), ``workers`` at a time.

    Returns one :class:`FetchResult` per URL, in input order. Network failures never raise:
    they are results with ``error`` set and a sidecar on disk. :class:`UsageError` for bad
    arguments; :class:`FetchError` only when the evidence cannot be written.
    ``timeout`` is the connect and the read timeout (seconds), and each attempt (connect, TLS
    handshake, headers and body together) ends within ``max(3 * timeout, timeout + 5)`` seconds
    (:func:`attempt_bound`) however slowly the server sends. Whatever the HTTP stack raises
    (a ``Location`` that does not parse, a URL of bytes that are not UTF-8) is a failed result.
    ``on_result`` is called (from worker threads) as each URL finishes: progress is the caller's
    to show (the CLI draws a bar); nothing here prints.
    """
    url_list, out = _check_arguments(urls, out_dir, ca_bundle, timeout, max_bytes, workers, retries, backoff)
    if not url_list:
        return []
    bundle = str(ca_bundle) if ca_bundle is not None else None
    local = threading.local()
    sessions: list[requests.Session] = []
    sessions_lock = threading.Lock()

    def session() -> requests.Session:
        if not hasattr(local, "session"):
            local.session = _new_session()
            with sessions_lock:
                sessions.append(local.session)
        return local.session

    def work(url: str) -> FetchResult:
        result = _fetch(
            session(),
            url,
            out,
            ca_bundle=bundle,
            insecure=insecure,
            timeout=float(timeout),
            max_bytes=max_bytes,
            retries=retries,
            backoff=float(backoff),
        )
        if on_result is not None:
            on_result(result)
        return result

    try:
        with warnings.catch_warnings():
            if insecure:
                # urllib3 warns on every unverified request; the sidecar records insecure=true instead.
                from urllib3.exceptions import InsecureRequestWarning

                warnings.simplefilter("ignore", InsecureRequestWarning)
            with ThreadPoolExecutor(
                max_workers=min(workers, len(url_list)), thread_name_prefix="fedaudit-fetch"
            ) as pool:
                return list(pool.map(work, url_list))
    finally:
        for s in sessions:
            s.close()
