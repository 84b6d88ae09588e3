"""Entra ID's side of the audit straight from Microsoft Graph: ``fedaudit collect entra``.

:func:`collect_entra` signs in with Microsoft's own library (msal; no OAuth of our own), reads

* ``GET /v1.0/domains``, every page through ``@odata.nextLink``
  (https://learn.microsoft.com/en-us/graph/api/domain-list?view=graph-rest-1.0,
  https://learn.microsoft.com/en-us/graph/paging), then
* ``GET /v1.0/domains/{id}/federationConfiguration`` for each domain whose
  ``authenticationType`` is ``Federated``
  (https://learn.microsoft.com/en-us/graph/api/domain-list-federationconfiguration?view=graph-rest-1.0)

and keeps the bodies exactly as Graph sent them in a new dated folder under ``out_dir``, beside a
``manifest.json`` in the format of ``collect/Collect-FedauditEvidence.ps1`` (so
:mod:`fedaudit.collector` checks its hashes when the folder is loaded) plus the tenant, client,
authority host and Graph endpoint. The folder is written as a hidden sibling and renamed into
place when complete; an existing folder is never written into.

Both calls need ``Domain.Read.All`` (application permission with admin consent, or delegated with
an Entra role such as Global Reader for ``--device-code``); see the two Graph reference pages above.
Throttling (429, and 503) is retried after ``Retry-After`` a bounded number of times
(https://learn.microsoft.com/en-us/graph/throttling); every request has a timeout.

Secrets: the client secret, the private key, the signed client assertion and the access token
live only in memory. They are never written, logged or put into an exception message: every
message this module builds passes through :func:`_redact` with the secrets of the run.

The folder's stamp, ``started`` and ``finished`` come from the ``clock`` argument
(:func:`fedaudit.io.clock.system_clock` unless the caller decides what "now" is).
"""

from __future__ import annotations

import datetime as dt
import email.utils
import getpass
import hashlib
import json
import os
import platform
import re
import secrets as _secrets
import shutil
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import msal
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fedaudit._version import __version__
from fedaudit.errors import FedauditError, FetchError, UsageError
from fedaudit.io.clock import Clock, system_clock

__all__ = [
    "DEFAULT_AUTHORITY_HOST",
    "DEFAULT_GRAPH_ENDPOINT",
    "PERMISSION",
    "CollectResult",
    "Credential",
    "GraphPermissionError",
    "collect_entra",
    "normalise_endpoint",
]

#: Entra ID (global service) and Microsoft Graph (global service). National clouds:
#: https://learn.microsoft.com/en-us/graph/deployments (docs/entra-collect.md has the table).
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
DEFAULT_GRAPH_ENDPOINT = "https://graph.microsoft.com"
#: The least-privileged permission of both Graph calls (application and delegated).
PERMISSION = "Domain.Read.All"

USER_AGENT = f"fedaudit/{__version__} (collect entra)"
#: Retries of one request after 429/503 (or a connection error); each wait is capped.
MAX_RETRIES = 5
MAX_RETRY_WAIT = 60.0
#: Fresh tokens fetched at most in one collection, after Graph says the token expired.
MAX_RENEWALS = 3
#: A Graph body larger than this is refused (a domain page is a few kB).
MAX_BODY_BYTES = 50 * 1024 * 1024
#: Pages of /domains followed at most (999 domains a page would be a million domains).
MAX_PAGES = 10_000

_RETRY_STATUS = (429, 503)
HTTP_OK = 200
HTTP_UNAUTHORIZED = 401
_REFUSED_STATUS = (401, 403)
_DNS_NAME = re.compile(r"(?=.{1,253}\Z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}))*\Z")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SAFE_TOKEN = re.compile(r"[A-Za-z0-9_.-]{1,80}\Z")
_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----\r?\n.*?-----END \1-----", re.S)


class GraphPermissionError(FetchError):
    """Graph answered 401/403: the app (or the signed-in user) lacks ``Domain.Read.All``."""


# -- credentials --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    """How to sign in: a client secret, a certificate (client assertion) or the device code flow.

    The secret and the private key are kept out of ``repr`` so that they cannot reach a log line
    or a traceback by accident.
    """

    kind: str  # "client secret" | "certificate" | "device code"
    secret: str | None = field(default=None, repr=False)
    private_key_pem: str | None = field(default=None, repr=False)
    certificate_pem: str | None = None
    #: SHA-1 and SHA-256 of the client certificate (public; the app registration lists them).
    thumbprint: str | None = None
    sha256: str | None = None
    not_after: dt.datetime | None = None  # the client certificate's expiry (UTC)
    source: str | None = None  # the environment variable or the file the credential came from

    @classmethod
    def from_secret_env(cls, name: str, environ: Mapping[str, str] | None = None) -> Credential:
        """The client secret held in environment variable ``name`` (never a command-line value:
        that would be visible to every user of the machine in the process list)."""
        if not isinstance(name, str) or not _ENV_NAME.match(name):
            raise UsageError(f"client secret environment variable: {name!r} is not a variable name")
        value = (os.environ if environ is None else environ).get(name)
        if value is None or not value.strip():
            raise UsageError(f"the environment variable {name} that should hold the client secret is not set or empty")
        return cls(kind="client secret", secret=value.strip(), source=name)

    @classmethod
    def from_certificate_file(cls, path: str | os.PathLike[str]) -> Credential:
        """A PEM file holding the app's certificate and its (unencrypted) RSA private key."""
        p = Path(path)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise UsageError(f"--certificate {p}: no such file") from None
        except OSError as exc:
            raise UsageError(f"--certificate {p}: cannot read ({exc.strerror or exc})") from None
        blocks = [(m.group(1).decode("ascii"), m.group(0)) for m in _PEM_BLOCK.finditer(data)]
        keys = [b for label, b in blocks if label.endswith("PRIVATE KEY")]
        certs = [b for label, b in blocks if label == "CERTIFICATE"]
        if not keys or not certs:
            raise UsageError(
                f"--certificate {p}: expected a PEM file with the certificate and its private key "
                f"(found {len(certs)} certificate(s), {len(keys)} private key(s))"
            )
        if any(b"ENCRYPTED" in k.split(b"\n", 1)[0] for k in keys) or any(b"Proc-Type: 4,ENCRYPTED" in k for k in keys):
            raise UsageError(
                f"--certificate {p}: the private key is encrypted; give a PEM file with an "
                "unencrypted key, readable only by the account that runs fedaudit"
            )
        try:
            key = serialization.load_pem_private_key(keys[0], password=None)
        except (ValueError, TypeError):
            raise UsageError(f"--certificate {p}: the private key cannot be read") from None
        if not isinstance(key, rsa.RSAPrivateKey):
            raise UsageError(
                f"--certificate {p}: the private key is not RSA (Entra ID client assertions are RSA-signed)"
            )
        public = key.public_key().public_numbers()
        chosen = None
        for block in certs:
            try:
                cert = x509.load_pem_x509_certificate(block)
            except ValueError:
                continue
            cert_key = cert.public_key()
            if isinstance(cert_key, rsa.RSAPublicKey) and cert_key.public_numbers() == public:
                chosen = cert
                break
        if chosen is None:
            raise UsageError(f"--certificate {p}: no certificate in the file matches its private key")
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii")
        return cls(
            kind="certificate",
            private_key_pem=key_pem,
            certificate_pem=chosen.public_bytes(serialization.Encoding.PEM).decode("ascii"),
            thumbprint=chosen.fingerprint(hashes.SHA1()).hex().upper(),  # an identifier, as Entra shows it
            sha256=chosen.fingerprint(hashes.SHA256()).hex().upper(),
            not_after=chosen.not_valid_after_utc,
            source=str(p),
        )

    @classmethod
    def device_code(cls) -> Credential:
        return cls(kind="device code")

    def msal_credential(self) -> str | dict[str, str] | None:
        """``client_credential=`` for msal's ConfidentialClientApplication."""
        if self.kind == "certificate" and self.private_key_pem and self.certificate_pem:
            # {"private_key", "public_certificate"}: msal signs the assertion PS256 with the
            # certificate's SHA-256 thumbprint (x5t#S256) and sends x5c.
            return {"private_key": self.private_key_pem, "public_certificate": self.certificate_pem}
        return self.secret

    def secrets(self) -> tuple[str, ...]:
        return tuple(s for s in (self.secret, self.private_key_pem) if s)


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[redacted]")
    return text


def _one_line(text: str, limit: int = 240) -> str:
    """Printable, one line, clipped: a server's words never bring control characters or
    terminal escapes to our output."""
    cleaned = "".join(ch if ch.isprintable() else " " for ch in str(text))
    line = " ".join(cleaned.split())
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


# -- endpoints and the HTTP session -------------------------------------------------------------


def normalise_endpoint(value: str, option: str) -> str:
    """``https://host[:port]`` without a trailing slash; anything else is a usage error (a token
    is never sent over plain HTTP, and a path or query would be silently mangled)."""
    text = str(value).strip().rstrip("/")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise UsageError(f"{option}: {value!r} is not a URL") from None
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise UsageError(f"{option}: {value!r} must be an https:// URL with a host name")
    if parts.path or parts.query or parts.fragment or parts.username or parts.password:
        raise UsageError(f"{option}: {value!r}: give the host only, e.g. https://graph.microsoft.us")
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"https://{host}" + (f":{port}" if port else "")


class _Session(requests.Session):
    """A requests Session that puts ``verify=`` and a timeout on every request it sends.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` replace a Session's ``verify``
    default (``Session.merge_environment_settings``); msal's own ``verify=`` only sets that
    default. Passing ``verify`` with each request is the one way ``--ca-bundle`` is obeyed on a
    machine that sets those variables. msal is given this Session as its ``http_client``, so the
    OpenID discovery and token requests get the same trust and timeout as the Graph requests.
    """

    def __init__(self, verify: bool | str, timeout: float) -> None:
        super().__init__()
        self._verify = verify
        self._timeout = timeout
        self.headers.update({"User-Agent": USER_AGENT})

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        kwargs["verify"] = self._verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = (self._timeout, self._timeout)
        verb = method if isinstance(method, str) else method.decode("ascii")
        target = url if isinstance(url, str) else url.decode("ascii")
        return super().request(verb, target, *args, **kwargs)


def _describe(exc: BaseException, timeout: float) -> str:
    """One line for a network failure (never the request: its headers hold the token)."""
    chain: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(chain) < 20:
        item = todo.pop(0)
        if item in chain:
            continue
        chain.append(item)
        todo += [
            n
            for n in (getattr(item, "reason", None), item.__cause__, item.__context__, *item.args)
            if isinstance(n, BaseException)
        ]
    for item in chain:
        if isinstance(item, ssl.SSLCertVerificationError):
            return _one_line(f"TLS certificate verification failed: {item.verify_message or item.reason}")
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS handshake failed"
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return f"connect timeout after {timeout:g} s"
    if isinstance(exc, (requests.exceptions.ReadTimeout, requests.exceptions.Timeout)):
        return f"read timeout after {timeout:g} s"
    for item in chain:
        if isinstance(item, ConnectionRefusedError):
            return "connection refused"
        if isinstance(item, socket.gaierror):
            return _one_line(f"cannot resolve host name: {item.strerror or item}")
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "connection failed"
    return type(exc).__name__


# -- the token ------------------------------------------------------------------------------------


def _token(
    *,
    tenant: str,
    client_id: str,
    credential: Credential,
    authority_host: str,
    graph_endpoint: str,
    session: requests.Session,
    timeout: float,
    prompt: Callable[[str], None] | None,
) -> tuple[str, dict[str, Any], Callable[[], str] | None]:
    """An access token for Graph, what the manifest may say about the sign-in (never the token
    itself), and for an app credential a function that gets a fresh token (a thousand-domain
    tenant under throttling can outlast the first one)."""
    authority = f"{authority_host}/{tenant}"
    secrets = credential.secrets()
    # instance_discovery=False: msal otherwise asks login.microsoftonline.com whether a host it
    # does not know is an Entra authority (instance discovery), which fails offline, in a private
    # or test cloud, and tells the public cloud which tenant a national-cloud auditor uses. The
    # host here is the one the administrator named (https only), so it is known to the caller.
    # http_client: our Session, so that --ca-bundle and --timeout hold for msal's requests too.
    options: dict[str, Any] = {
        "authority": authority,
        "http_client": session,
        "instance_discovery": False,
    }

    def guarded(call: Callable[[], Any]) -> Any:
        """msal's exceptions as one line each (never msal's repr of a request)."""
        try:
            return call()
        except FedauditError:
            raise
        except requests.RequestException as exc:
            raise FetchError(f"cannot reach the authority {authority_host}: {_describe(exc, timeout)}") from None
        except ValueError as exc:
            status = re.search(r"HTTP status: (\d{3})", str(exc))
            if "OIDC Discovery" in str(exc) or "openid" in str(exc).lower():
                raise FetchError(
                    f"the authority {authority} did not return its OpenID configuration"
                    + (f" (HTTP {status.group(1)})" if status else "")
                    + ": check --tenant and --authority-host"
                ) from None
            raise FetchError(_one_line(_redact(f"sign-in failed: {exc}", secrets))) from None
        except Exception as exc:  # anything else msal raises
            raise FetchError(_one_line(_redact(f"sign-in failed: {type(exc).__name__}: {exc}", secrets))) from None

    def checked(result: Any) -> dict[str, Any]:
        if not isinstance(result, dict) or not result.get("access_token"):
            raise FetchError(f"sign-in to {authority} failed: {_token_error(result, secrets)}")
        return result

    renew: Callable[[], str] | None = None
    if credential.kind == "device code":
        app: Any = guarded(lambda: msal.PublicClientApplication(client_id, **options))
        # Delegated: the permission itself, on this cloud's Graph resource.
        flow = guarded(lambda: app.initiate_device_flow(scopes=[f"{graph_endpoint}/{PERMISSION}"]))
        if not isinstance(flow, dict) or "user_code" not in flow:
            raise FetchError(f"the device code sign-in could not start: {_token_error(flow, secrets)}")
        if prompt is not None:
            prompt(_one_line(str(flow.get("message") or ""), 400))
        result = checked(guarded(lambda: app.acquire_token_by_device_flow(flow)))
    else:
        client_credential = credential.msal_credential()
        app = guarded(
            lambda: msal.ConfidentialClientApplication(client_id, client_credential=client_credential, **options)
        )
        # Application permission: the resource's .default scope (what was consented).
        scopes = [f"{graph_endpoint}/.default"]
        result = checked(guarded(lambda: app.acquire_token_for_client(scopes=scopes)))

        def renew() -> str:
            # Past the cache: the token Graph refused may not have reached its expiry yet.
            app.remove_tokens_for_client()
            fresh = checked(guarded(lambda: app.acquire_token_for_client(scopes=scopes)))
            return str(fresh["access_token"])

    signed_in: dict[str, Any] = {}
    claims = result.get("id_token_claims")
    if isinstance(claims, dict):
        who = claims.get("preferred_username") or claims.get("upn")
        if isinstance(who, str):
            signed_in["signed_in_user"] = _one_line(who, 200)
    return str(result["access_token"]), signed_in, renew


def _token_error(result: Any, secrets: tuple[str, ...]) -> str:
    """``error`` and the first sentence of ``error_description`` (AADSTS code), redacted."""
    if not isinstance(result, dict):
        return "no answer"
    error = str(result.get("error") or "unknown error")
    description = str(result.get("error_description") or "")
    first = description.split("\r\n", 1)[0].split(" Trace ID:", 1)[0]
    text = error if not first else f"{error}: {first}"
    hint = ""
    if error in ("invalid_client", "unauthorized_client"):
        hint = " (check --client-id and the secret or certificate registered on the app)"
    return _one_line(_redact(text, secrets), 300) + hint


# -- Graph -----------------------------------------------------------------------------------


@dataclass
class _Graph:
    session: requests.Session
    token: str
    endpoint: str
    timeout: float
    sleep: Callable[[float], None]
    clock: Clock = system_clock
    renew: Callable[[], str] | None = None
    #: Every token used, for redaction (``collect_entra``'s safety net).
    tokens: list[str] = field(default_factory=list)
    throttled: int = 0
    requests: int = 0
    renewed: int = 0

    def get(self, url: str) -> tuple[int, bytes, Mapping[str, str]]:
        """(status, body, headers) of one GET, after retrying 429/503 and connection errors."""
        attempt = 0
        while True:
            self.requests += 1
            try:
                response = self.session.get(
                    url,
                    headers={
                        "Authorization": f"Bearer {self.token}",
                        "Accept": "application/json",
                        "client-request-id": str(uuid.uuid4()),
                    },
                    allow_redirects=False,  # a redirect must not carry the token anywhere
                    stream=True,
                )
                try:
                    body = _read_capped(response)
                finally:
                    response.close()
            except requests.RequestException as exc:
                if attempt < MAX_RETRIES:
                    self.sleep(min(2.0**attempt, MAX_RETRY_WAIT))
                    attempt += 1
                    continue
                raise FetchError(
                    f"Microsoft Graph {_path(url)}: {_describe(exc, self.timeout)} ({attempt + 1} attempts)"
                ) from None
            if (
                response.status_code == HTTP_UNAUTHORIZED
                and self.renew is not None
                and self.renewed < MAX_RENEWALS
                and _graph_error_code(body) == "InvalidAuthenticationToken"
            ):
                # The token ran out (a long, throttled collection): one fresh one, same request.
                self.renewed += 1
                self.token = self.renew()
                self.tokens.append(self.token)
                continue
            if response.status_code in _RETRY_STATUS and attempt < MAX_RETRIES:
                self.throttled += 1
                wait = _retry_after(response.headers.get("Retry-After"), self.clock())
                self.sleep(min(wait if wait is not None else 2.0**attempt, MAX_RETRY_WAIT))
                attempt += 1
                continue
            return response.status_code, body, response.headers


def _read_capped(response: requests.Response) -> bytes:
    chunks: list[bytes] = []
    total = 0
    for chunk in response.iter_content(64 * 1024):
        total += len(chunk)
        if total > MAX_BODY_BYTES:
            raise FetchError(
                f"Microsoft Graph {_path(response.url)}: answer larger than {MAX_BODY_BYTES} bytes, refused"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _retry_after(value: str | None, now: dt.datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return max(0.0, (when - now).total_seconds())


def _path(url: str) -> str:
    """The path of a Graph URL for a message (no query: a skiptoken is noise)."""
    try:
        return _one_line(urlsplit(url).path or "/", 160)
    except ValueError:
        return "(bad URL)"


def _graph_error_code(body: bytes) -> str | None:
    """``error.code`` of a Graph error body (https://learn.microsoft.com/en-us/graph/errors), if it
    is a plain identifier."""
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return None
    error = doc.get("error") if isinstance(doc, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) and _SAFE_TOKEN.match(code) else None


def _refused(status: int, url: str, body: bytes, credential: Credential) -> GraphPermissionError:
    code = _graph_error_code(body)
    what = f"HTTP {status}" + (f" {code}" if code else "")
    if credential.kind == "device code":
        need = (
            f"the delegated permission {PERMISSION} (consented) and, for "
            "federationConfiguration, an Entra role "
            "such as Global Reader, Security Reader or Hybrid Identity Administrator"
        )
    else:
        need = f"the application permission {PERMISSION} with admin consent on the app registration"
    if status == HTTP_UNAUTHORIZED:
        # A token Graph does not take at all: most often one from another cloud's sign-in.
        need += " (HTTP 401: check that --authority-host and --graph-endpoint name the same cloud)"
    return GraphPermissionError(f"Microsoft Graph refused GET {_path(url)} ({what}): fedaudit needs {need}")


def _json_object(body: bytes, url: str) -> dict[str, Any]:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise FetchError(f"Microsoft Graph {_path(url)}: the answer is not JSON") from None
    if not isinstance(doc, dict):
        raise FetchError(f"Microsoft Graph {_path(url)}: the answer is not a JSON object")
    return doc


# -- the evidence folder ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CollectResult:
    """What one collection wrote."""

    folder: Path
    domains: int
    federated: int
    files: tuple[str, ...]
    problems: tuple[str, ...]
    throttled: int


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _label(text: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip(".-")[:40]
    return cleaned or "tenant"


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError, ImportError):
        return str(os.getuid()) if hasattr(os, "getuid") else "unknown"


def _check_identifier(value: str, option: str) -> str:
    text = str(value).strip()
    # A tenant is a GUID or a domain name (contoso.onmicrosoft.com); a client id a GUID. Both
    # become part of a URL, so nothing else is let through.
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}", text):
        raise UsageError(f"{option}: {value!r} is not a tenant/application id (a GUID or a domain name)")
    return text


def collect_entra(
    out_dir: str | os.PathLike[str],
    *,
    tenant: str,
    client_id: str,
    credential: Credential,
    authority_host: str = DEFAULT_AUTHORITY_HOST,
    graph_endpoint: str = DEFAULT_GRAPH_ENDPOINT,
    ca_bundle: str | os.PathLike[str] | None = None,
    timeout: float = 30.0,
    prompt: Callable[[str], None] | None = None,
    clock: Clock = system_clock,
    sleep: Callable[[float], None] | None = None,
) -> CollectResult:
    """Collect Entra ID's domains and federation configuration into a new folder under ``out_dir``.

    Raises :class:`GraphPermissionError` on 401/403, :class:`~fedaudit.errors.FetchError` when
    sign-in or Graph fails, :class:`~fedaudit.errors.UsageError` for bad arguments; nothing is
    left under ``out_dir`` then. A federated domain whose configuration cannot be read (other
    than 401/403) is a problem in the manifest (the loader reports it) and the others go on.
    """
    pause = sleep or time.sleep
    tenant = _check_identifier(tenant, "--tenant")
    client_id = _check_identifier(client_id, "--client-id")
    authority_host = normalise_endpoint(authority_host, "--authority-host")
    graph_endpoint = normalise_endpoint(graph_endpoint, "--graph-endpoint")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
        raise UsageError(f"--timeout must be a positive number of seconds, got {timeout!r}")
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        raise UsageError(f"--ca-bundle {ca_bundle}: no such file")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: not a folder")

    started = clock()
    if credential.not_after is not None and credential.not_after <= started:
        # Entra would refuse the assertion (AADSTS700027); say what to do instead.
        raise UsageError(
            f"the app certificate {credential.thumbprint} expired on {_utc(credential.not_after)}: "
            "make a new one, upload it to the app registration and point --certificate at it"
        )
    session = _Session(str(ca_bundle) if ca_bundle is not None else True, float(timeout))
    secrets = credential.secrets()
    graph: _Graph | None = None
    try:
        token, signed_in, renew = _token(
            tenant=tenant,
            client_id=client_id,
            credential=credential,
            authority_host=authority_host,
            graph_endpoint=graph_endpoint,
            session=session,
            timeout=float(timeout),
            prompt=prompt,
        )
        graph = _Graph(session, token, graph_endpoint, float(timeout), pause, clock, renew, [token])
        # Only now, signed in, is anything created under --out.
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(f"{out}: cannot create the output folder ({exc.strerror or exc})") from None
        stamp = started.astimezone(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        name = f"fedaudit-evidence-{stamp}-entra-{_label(tenant)}"
        partial = out / f".{name}.partial-{os.getpid()}-{_secrets.token_hex(4)}"
        partial.mkdir()
        try:
            files, problems, counts = _collect(graph, partial, credential)
            finished = clock()
            manifest = _manifest(
                started=started,
                finished=finished,
                tenant=tenant,
                client_id=client_id,
                credential=credential,
                authority_host=authority_host,
                graph_endpoint=graph_endpoint,
                folder=partial,
                files=files,
                problems=problems,
                graph=graph,
                signed_in=signed_in,
            )
            (partial / "manifest.json").write_text(
                json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
            )
            folder = _publish(partial, out, name)
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    except FedauditError as exc:
        # Belt and braces: no message leaves with a secret or a token in it.
        used = graph.tokens if graph is not None else []
        text = _redact(str(exc), (*secrets, *used))
        if text != str(exc):
            raise type(exc)(text) from None
        raise
    finally:
        session.close()
    return CollectResult(
        folder=folder,
        domains=counts[0],
        federated=counts[1],
        files=tuple(f["name"] for f in files),
        problems=tuple(f"{p['Step']}: {p['Message']}" for p in problems),
        throttled=graph.throttled,
    )


@dataclass
class _Collection:
    """One collection's requests and what they left in ``folder``."""

    graph: _Graph
    folder: Path
    credential: Credential
    files: list[dict[str, Any]] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    federated: dict[str, str] = field(default_factory=dict)  # lower-case id -> id as Graph wrote it
    domains: int = 0

    def keep(self, name: str, body: bytes, command: str) -> None:
        (self.folder / name).write_bytes(body)  # exactly as received
        self.files.append({"name": name, "command": command})

    def ok_or_raise(self, status: int, url: str, body: bytes) -> None:
        if status in _REFUSED_STATUS:
            raise _refused(status, url, body, self.credential)
        if status != HTTP_OK:
            code = _graph_error_code(body)
            raise FetchError(f"Microsoft Graph GET {_path(url)}: HTTP {status}" + (f" {code}" if code else ""))

    def read_domains(self) -> None:
        """GET /domains, every page (https://learn.microsoft.com/en-us/graph/paging). A nextLink
        is followed only while it stays on the Graph endpoint, so that a hostile answer cannot
        send the token to another host, and never twice."""
        endpoint = self.graph.endpoint
        url: str = f"{endpoint}/v1.0/domains"
        seen: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            seen.add(url)
            status, body, _ = self.graph.get(url)
            self.ok_or_raise(status, url, body)
            doc = _json_object(body, url)
            values = doc.get("value")
            if not isinstance(values, list):
                raise FetchError(f"Microsoft Graph GET {_path(url)}: the answer has no 'value' list of domains")
            first = page == 1
            self.keep(
                "Get-MgDomain.json" if first else f"Get-MgDomain.page{page}.json",
                body,
                "GET v1.0/domains" if first else f"GET {url}",
            )
            self.note_domains(values)
            link = doc.get("@odata.nextLink")
            if link is None:
                return
            if not isinstance(link, str) or not link.startswith(endpoint + "/") or link in seen:
                raise FetchError(
                    f"Microsoft Graph GET {_path(url)}: @odata.nextLink {_one_line(str(link), 120)!s} "
                    f"is not a new URL on {endpoint}; refused"
                )
            url = link
        raise FetchError(f"Microsoft Graph /v1.0/domains: more than {MAX_PAGES} pages, stopped")

    def note_domains(self, values: list[Any]) -> None:
        for entry in values:
            if not isinstance(entry, dict):
                continue
            self.domains += 1
            ident, auth = entry.get("id"), entry.get("authenticationType")
            if not (isinstance(auth, str) and auth.lower() == "federated"):
                continue
            if not isinstance(ident, str) or not _DNS_NAME.match(ident):
                self.problems.append(
                    {
                        "Step": "Graph",
                        "Message": f"a Federated domain with id {_one_line(repr(ident), 120)} "
                        "is not a DNS name; its federation configuration was not requested",
                    }
                )
                continue
            self.federated.setdefault(ident.lower(), ident)

    def read_federation(self) -> None:
        """GET /domains/{id}/federationConfiguration for each federated domain; an answer other
        than 200/401/403 is a problem of that domain, and the others go on."""
        for ident in self.federated.values():
            request = f"v1.0/domains/{quote(ident, safe='')}/federationConfiguration"
            url = f"{self.graph.endpoint}/{request}"
            status, body, _ = self.graph.get(url)
            if status in _REFUSED_STATUS:
                raise _refused(status, url, body, self.credential)
            try:
                if status != HTTP_OK:
                    code = _graph_error_code(body)
                    raise FetchError(f"GET {request}: HTTP {status}" + (f" {code}" if code else ""))
                _json_object(body, url)
            except FetchError as exc:
                self.problems.append({"Step": f"Graph {ident}", "Message": str(exc)})
                continue
            self.keep(f"Get-MgDomainFederationConfiguration.{ident}.json", body, f"GET {request}")


def _collect(
    graph: _Graph, folder: Path, credential: Credential
) -> tuple[list[dict[str, Any]], list[dict[str, str]], tuple[int, int]]:
    run = _Collection(graph, folder, credential)
    run.read_domains()
    run.read_federation()
    return run.files, run.problems, (run.domains, len(run.federated))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _manifest(
    *,
    started: dt.datetime,
    finished: dt.datetime,
    tenant: str,
    client_id: str,
    credential: Credential,
    authority_host: str,
    graph_endpoint: str,
    folder: Path,
    files: list[dict[str, Any]],
    problems: list[dict[str, str]],
    graph: _Graph,
    signed_in: dict[str, Any],
) -> dict[str, Any]:
    """The keys of Collect-FedauditEvidence.ps1's manifest, in its order, then ours."""
    entries = []
    for f in files:
        path = folder / f["name"]
        entries.append(
            {
                "name": f["name"],
                "size": path.stat().st_size,
                "sha256": _sha256(path),
                "command": f["command"],
            }
        )
    doc: dict[str, Any] = {
        "fedaudit_collector": 1,
        "collector_version": __version__,
        "started": _utc(started),
        "finished": _utc(finished),
        "computer": socket.gethostname() or platform.node(),
        "user": _user(),
        "collected": ["graph"],
        "files": entries,
        "problems": problems,
        "tool": "fedaudit collect entra",
        "version": __version__,
        "python": platform.python_version(),
        "msal": getattr(msal, "__version__", None),
        "tenant_id": tenant,
        "client_id": client_id,
        "authority_host": authority_host,
        "graph_endpoint": graph_endpoint,
        "credential": credential.kind,
        "requests": graph.requests,
        "throttled": graph.throttled,
        "token_renewals": graph.renewed,
    }
    if credential.kind == "client secret":
        doc["client_secret_env"] = credential.source
    if credential.kind == "certificate":
        doc["client_certificate_thumbprint"] = credential.thumbprint
        doc["client_certificate_sha256"] = credential.sha256
        doc["client_certificate_not_after"] = _utc(credential.not_after) if credential.not_after else None
    doc.update(signed_in)
    return doc


def _publish(partial: Path, out: Path, name: str) -> Path:
    """Rename the finished hidden folder to ``name`` (``name-2`` ... when taken): never into an
    existing folder. A rename onto an existing empty folder replaces it, which loses nothing; onto
    a folder with files it fails and the next name is tried."""
    for n in range(1, 100):
        final = out / (name if n == 1 else f"{name}-{n}")
        if final.exists() or final.is_symlink():
            continue
        try:
            os.rename(partial, final)
        except OSError:
            if final.exists():
                continue
            raise FetchError(f"{out}: cannot publish the evidence folder {final.name}") from None
        return final
    raise FetchError(f"{out}: too many evidence folders named {name}")
