"""A local Entra ID + Microsoft Graph for tests: HTTPS on 127.0.0.1 with a trustme CA.

It answers what msal asks of an authority on a custom host with instance discovery off, and the
two Graph resources ``fedaudit collect entra`` reads, in the shapes Microsoft documents:

* ``GET /{tenant}/v2.0/.well-known/openid-configuration`` - the OpenID discovery document
  (https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc);
* ``POST /{tenant}/oauth2/v2.0/token`` - client credentials with ``client_secret`` or a
  ``client_assertion`` JWT whose signature is checked against the test certificate's public key
  (https://learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow,
  https://learn.microsoft.com/en-us/entra/identity-platform/certificate-credentials), and the
  device code grant (``POST /{tenant}/oauth2/v2.0/devicecode``);
* ``GET /v1.0/domains`` in pages joined by ``@odata.nextLink``, optionally answering the first
  request with ``429`` and ``Retry-After`` (https://learn.microsoft.com/en-us/graph/throttling) or
  every request with ``403 Authorization_RequestDenied`` (https://learn.microsoft.com/en-us/graph/errors);
* ``GET /v1.0/domains/{id}/federationConfiguration``.

Every request is kept in :attr:`LocalEntra.log` (method, path, headers, body) for the tests.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import jwt
import trustme
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from support.loopback import LoopbackHTTPS, send

#: The Graph bodies of the PowerShell collector's fixture (tests/data/collector/SOURCES.md) are
#: what the local Graph serves, so both collectors' folders must load to the same values.
COLLECTOR_DATA = Path(__file__).resolve().parents[1] / "data" / "collector"
GRAPH_FIXTURE = next(COLLECTOR_DATA.glob("fedaudit-evidence-*-ADMIN-WS"))
TP = json.loads((COLLECTOR_DATA / "expected.json").read_text(encoding="utf-8"))

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class LocalEntra:
    """Configure, then ``start()``; ``url`` is both the authority host and the Graph endpoint."""

    tenant: str
    client_id: str
    domain_pages: list[list[dict[str, Any]]]
    federation: dict[str, bytes]
    secret: str | None = None
    certificate: x509.Certificate | None = None
    throttle_first: bool = False
    deny: bool = False
    #: Graph requests a token is good for (then 401 InvalidAuthenticationToken, "expired").
    expire_after: int | None = None
    device_user: str = "auditor@contoso.com"
    log: list[Request] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    assertions: list[dict[str, Any]] = field(default_factory=list)
    bodies: dict[str, bytes] = field(default_factory=dict)

    def start(self, folder: Path) -> LocalEntra:
        ca = trustme.CA()
        leaf = ca.issue_cert("127.0.0.1")
        self.ca_bundle = folder / "local-entra-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_bundle))
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        self._lock = threading.Lock()
        self._throttled = False
        self._uses: dict[str, int] = {}
        self._server = LoopbackHTTPS(self._handle, context=context).__enter__()
        self.port = self._server.port
        self.url = f"https://127.0.0.1:{self.port}"
        self._render_pages()
        return self

    def stop(self) -> None:
        self._server.__exit__(None, None, None)

    # -- the documents ---------------------------------------------------------------------

    def _render_pages(self) -> None:
        """The /domains pages as Graph writes them (compact JSON, nextLink with a skiptoken)."""
        for i, values in enumerate(self.domain_pages):
            doc: dict[str, Any] = {
                "@odata.context": f"{self.url}/v1.0/$metadata#domains",
                "value": values,
            }
            if i + 1 < len(self.domain_pages):
                doc["@odata.nextLink"] = f"{self.url}/v1.0/domains?$skiptoken=page{i + 2}"
            self.bodies["page" + str(i + 1)] = json.dumps(doc, separators=(",", ":")).encode()

    def _openid(self) -> dict[str, Any]:
        base = f"{self.url}/{self.tenant}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
            "issuer": f"{self.url}/{self.tenant}/v2.0",
            "jwks_uri": f"{base}/discovery/v2.0/keys",
            "token_endpoint_auth_methods_supported": [
                "client_secret_post",
                "private_key_jwt",
                "client_secret_basic",
            ],
        }

    # -- dispatch --------------------------------------------------------------------------

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        body = h.rfile.read(int(h.headers.get("Content-Length") or 0)) if h.command == "POST" else b""
        with self._lock:
            self.log.append(Request(h.command, h.path, dict(h.headers.items()), body))
        path = urlsplit(h.path).path
        query = parse_qs(urlsplit(h.path).query)
        t = f"/{self.tenant}"
        if h.command == "GET" and path == f"{t}/v2.0/.well-known/openid-configuration":
            return _json(h, 200, self._openid())
        if h.command == "POST" and path == f"{t}/oauth2/v2.0/token":
            return self._token(h, parse_qs(body.decode()))
        if h.command == "POST" and path == f"{t}/oauth2/v2.0/devicecode":
            return _json(
                h,
                200,
                {
                    "device_code": "device-" + secrets.token_hex(8),
                    "user_code": "FEDAUDIT1",
                    "verification_uri": "https://microsoft.com/devicelogin",
                    "expires_in": 900,
                    "interval": 1,
                    "message": "To sign in, use a web browser to open the page "
                    "https://microsoft.com/devicelogin and enter the code FEDAUDIT1 "
                    "to authenticate.",
                },
            )
        if h.command == "GET" and path.startswith("/v1.0/"):
            return self._graph(h, path, query)
        return _json(h, 404, {"error": "not_found"})

    def _token(self, h: BaseHTTPRequestHandler, form: dict[str, list[str]]) -> None:
        one = {k: v[0] for k, v in form.items()}
        grant = one.get("grant_type")
        if one.get("client_id") != self.client_id:
            return _json(
                h,
                400,
                {
                    "error": "unauthorized_client",
                    "error_description": "AADSTS700016: Application not found in the directory.",
                },
            )
        if grant == "client_credentials":
            if one.get("scope") != f"{self.url}/.default":
                return _json(
                    h,
                    400,
                    {
                        "error": "invalid_scope",
                        "error_description": f"AADSTS1002012: bad scope {one.get('scope')}",
                    },
                )
            if "client_secret" in one:
                if self.secret is None or one["client_secret"] != self.secret:
                    return _json(
                        h,
                        401,
                        {
                            "error": "invalid_client",
                            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x",
                        },
                    )
            elif one.get("client_assertion_type") == ASSERTION_TYPE and self.certificate is not None:
                problem = self._check_assertion(one.get("client_assertion", ""))
                if problem:
                    return _json(
                        h,
                        401,
                        {
                            "error": "invalid_client",
                            "error_description": f"AADSTS700027: {problem}",
                        },
                    )
            else:
                return _json(
                    h,
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "AADSTS7000216: client_assertion or client_secret required",
                    },
                )
            return self._issue(h, {})
        if grant == DEVICE_GRANT:
            return self._issue(h, {"id_token": _unsigned_id_token(self, self.device_user)})
        return _json(h, 400, {"error": "unsupported_grant_type"})

    def _check_assertion(self, assertion: str) -> str | None:
        """The JWT is signed by the certificate's key, names it in x5t#S256, is for our token
        endpoint and comes from our client; None when all holds."""
        assert self.certificate is not None
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                self.certificate.public_key(),
                algorithms=["PS256", "RS256"],
                audience=self._openid()["token_endpoint"],
                issuer=self.client_id,
            )
        except jwt.PyJWTError as exc:
            return f"assertion refused: {type(exc).__name__}"
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        x5t256 = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
        x5t = base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode()
        # msal keeps the base64 padding; compare without it.
        if str(header.get("x5t#S256", "")).rstrip("=") != x5t256 and str(header.get("x5t", "")).rstrip("=") != x5t:
            return "assertion names another certificate"
        if claims.get("sub") != self.client_id:
            return "sub is not the client"
        self.assertions.append({"header": header, "claims": claims, "raw": assertion})
        return None

    def _issue(self, h: BaseHTTPRequestHandler, extra: dict[str, Any]) -> None:
        token = "eyJ0eXAiOiJKV1QifQ." + secrets.token_urlsafe(32) + ".sig"
        with self._lock:
            self.issued.append(token)
        _json(
            h,
            200,
            {
                "token_type": "Bearer",
                "expires_in": 3599,
                "ext_expires_in": 3599,
                "access_token": token,
                **extra,
            },
        )

    def _graph(self, h: BaseHTTPRequestHandler, path: str, query: dict[str, list[str]]) -> None:
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or auth[7:] not in self.issued:
            return _json(
                h,
                401,
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Access token is empty.",
                    }
                },
            )
        with self._lock:
            used = self._uses.get(auth[7:], 0) + 1
            self._uses[auth[7:]] = used
        if self.expire_after is not None and used > self.expire_after:
            return _json(
                h,
                401,
                {
                    "error": {
                        "code": "InvalidAuthenticationToken",
                        "message": "Lifetime validation failed, the token is expired.",
                    }
                },
            )
        if self.deny:
            return _json(
                h,
                403,
                {
                    "error": {
                        "code": "Authorization_RequestDenied",
                        "message": "Insufficient privileges to complete the operation.",
                        "innerError": {
                            "date": "2026-11-27T06:30:00",
                            "request-id": "0f0e0d0c-0000-0000-0000-000000000000",
                        },
                    }
                },
            )
        if path == "/v1.0/domains":
            with self._lock:
                throttle = self.throttle_first and not self._throttled
                self._throttled = self._throttled or throttle
            if throttle:
                return _json(
                    h,
                    429,
                    {"error": {"code": "TooManyRequests", "message": "Too many requests"}},
                    {"Retry-After": "2"},
                )
            token = (query.get("$skiptoken") or ["page1"])[0]
            body = self.bodies.get(token)
            if body is None:
                return _json(h, 400, {"error": {"code": "BadRequest", "message": "bad skiptoken"}})
            return _raw(h, 200, body)
        parts = path.split("/")
        if len(parts) == 5 and parts[2] == "domains" and parts[4] == "federationConfiguration":
            body = self.federation.get(unquote(parts[3]))
            if body is None:
                return _json(
                    h,
                    404,
                    {
                        "error": {
                            "code": "Request_ResourceNotFound",
                            "message": "Resource does not exist.",
                        }
                    },
                )
            return _raw(h, 200, body)
        return _json(h, 404, {"error": {"code": "Request_ResourceNotFound", "message": "no such resource"}})


def _unsigned_id_token(server: LocalEntra, user: str) -> str:
    def part(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    claims = {
        "aud": server.client_id,
        "iss": f"{server.url}/{server.tenant}/v2.0",
        "tid": server.tenant,
        "preferred_username": user,
        "sub": "user",
        "oid": "user",
        "iat": 1,
        "exp": 4102444800,
    }
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _raw(
    h: BaseHTTPRequestHandler,
    status: int,
    body: bytes,
    headers: dict[str, str] | None = None,
    content_type: str = (
        "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"
    ),
) -> None:
    send(h, status, body, content_type, headers)


def _json(h: BaseHTTPRequestHandler, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
    _raw(h, status, json.dumps(obj).encode(), headers, "application/json; charset=utf-8")


def fixture_pages() -> list[list[dict[str, Any]]]:
    """The fixture's four domains in three pages (two nextLinks to follow)."""
    values = json.loads((GRAPH_FIXTURE / "Get-MgDomain.json").read_bytes())["value"]
    return [values[:2], values[2:3], values[3:]]


def federation_bodies() -> dict[str, bytes]:
    """domain -> the federationConfiguration body of the fixture."""
    prefix = "Get-MgDomainFederationConfiguration."
    return {p.name[len(prefix) : -len(".json")]: p.read_bytes() for p in GRAPH_FIXTURE.glob(prefix + "*.json")}


def client_certificate(folder: Path, days: int = 365) -> tuple[x509.Certificate, Path]:
    """A self-signed app certificate and a PEM file with it and its RSA key (as an admin would
    export it for ``--certificate``)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fedaudit-graph-reader")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    pem = folder / "graph-app.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return cert, pem
