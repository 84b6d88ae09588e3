"""A signed AD FS federation metadata document, for samples, tests and benchmarks.

The layout follows what AD FS (2012 R2 - 2022) serves at
``/FederationMetadata/2007-06/FederationMetadata.xml`` (compare Microsoft's own
``adfs-v4-metadata.xml`` in the metadata corpus): one ``EntityDescriptor`` whose ``entityID`` is
the farm Identifier, an enveloped ``ds:Signature`` first (rsa-sha256, exclusive c14n, signed by
the primary token-signing key with that certificate in ``KeyInfo``), then the WS-Federation
``RoleDescriptor`` elements, ``SPSSODescriptor`` and ``IDPSSODescriptor``. AD FS lists every
token-signing certificate it holds (primary and, during a rollover, secondary) as a signing
``KeyDescriptor`` and the token-decrypting certificates as encryption ones. Claim lists are
trimmed to a few entries: the audit does not read them.

Output is byte-reproducible: the document ID is derived from the identifier and the signature
is RSA PKCS#1 v1.5 (deterministic).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from typing import Sequence
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

__all__ = ["federation_metadata", "fetch_sidecar", "fetch_stem"]

_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"
_FED = "http://docs.oasis-open.org/wsfed/federation/200706"
_WSA = "http://www.w3.org/2005/08/addressing"
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
_AUTH = "http://docs.oasis-open.org/wsfed/authorization/200706"
_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"

_CLAIMS = (
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "E-Mail Address", "The e-mail address of the user"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn", "UPN", "The user principal name (UPN) of the user"),
    ("http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "Name", "The unique name of the user"),
    ("http://schemas.microsoft.com/ws/2008/06/identity/claims/role", "Role", "A role that the user has"),
)


def _key_descriptor(use: str, der: bytes) -> str:
    b64 = base64.b64encode(der).decode("ascii")
    return (
        f'<KeyDescriptor use="{use}"><KeyInfo xmlns="{_DS}"><X509Data><X509Certificate>{b64}'
        "</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
    )


def _endpoint(tag: str, url: str) -> str:
    return f'<fed:{tag}><wsa:EndpointReference xmlns:wsa="{_WSA}"><wsa:Address>{url}</wsa:Address></wsa:EndpointReference></fed:{tag}>'


def _claims(tag: str) -> str:
    items = "".join(
        f'<auth:ClaimType Uri="{uri}" Optional="true" xmlns:auth="{_AUTH}"><auth:DisplayName>{name}</auth:DisplayName>'
        f"<auth:Description>{desc}</auth:Description></auth:ClaimType>"
        for uri, name, desc in _CLAIMS
    )
    return f"<fed:{tag}>{items}</fed:{tag}>"


def federation_metadata(
    identifier: str,
    host_name: str,
    signing: Sequence[bytes],
    encryption: Sequence[bytes],
    *,
    key: rsa.RSAPrivateKey,
    display_name: str | None = None,
) -> bytes:
    """Signed AD FS metadata (UTF-8, no XML declaration, one line like AD FS serves it).

    ``signing``: token-signing certificates, primary first (its key is ``key``: the document is
    signed by the AD FS primary, as the metadata check expects). ``encryption``: token-decrypting
    certificates.
    """
    from lxml import etree
    from signxml import XMLSigner
    from signxml.algorithms import CanonicalizationMethod

    if not signing:
        raise ValueError("at least one token-signing certificate is needed to sign the document")
    from cryptography import x509

    primary = x509.load_der_x509_certificate(signing[0])
    if primary.public_key().public_numbers() != key.public_key().public_numbers():
        raise ValueError("key does not belong to the first (primary) signing certificate")
    doc_id = "_" + str(uuid.uuid5(uuid.NAMESPACE_URL, identifier))
    name = display_name or f"{host_name} AD FS"
    base = f"https://{host_name}/adfs"
    sig_keys = "".join(_key_descriptor("signing", d) for d in signing)
    enc_keys = "".join(_key_descriptor("encryption", d) for d in encryption)
    ls = f"{base}/ls/"
    slo = (
        f'<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{ls}"/>'
        f'<SingleLogoutService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ls}"/>'
    )
    nameid = "".join(
        f"<NameIDFormat>urn:oasis:names:tc:SAML:{v}</NameIDFormat>"
        for v in ("1.1:nameid-format:emailAddress", "2.0:nameid-format:persistent", "2.0:nameid-format:transient")
    )
    xml = (
        f'<EntityDescriptor ID="{doc_id}" entityID="{identifier}" xmlns="{_MD}">'
        f'<ds:Signature xmlns:ds="{_DS}" Id="placeholder"></ds:Signature>'
        f'<RoleDescriptor xsi:type="fed:ApplicationServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/ws-sx/ws-trust/200512 '
        f'http://schemas.xmlsoap.org/ws/2005/02/trust http://docs.oasis-open.org/wsfed/federation/200706" ServiceDisplayName="{name}" '
        f'xmlns:xsi="{_XSI}" xmlns:fed="{_FED}">{enc_keys}{_claims("ClaimTypesRequested")}'
        f'<fed:TargetScopes><wsa:EndpointReference xmlns:wsa="{_WSA}"><wsa:Address>{base}/services/trust/2005/issuedtokenmixedasymmetricbasic256</wsa:Address></wsa:EndpointReference></fed:TargetScopes>'
        f'{_endpoint("ApplicationServiceEndpoint", f"{base}/services/trust/2005/issuedtokenmixedasymmetricbasic256")}'
        f'{_endpoint("PassiveRequestorEndpoint", ls)}</RoleDescriptor>'
        f'<RoleDescriptor xsi:type="fed:SecurityTokenServiceType" protocolSupportEnumeration="http://docs.oasis-open.org/ws-sx/ws-trust/200512 '
        f'http://schemas.xmlsoap.org/ws/2005/02/trust http://docs.oasis-open.org/wsfed/federation/200706" ServiceDisplayName="{name}" '
        f'xmlns:xsi="{_XSI}" xmlns:fed="{_FED}">{sig_keys}'
        "<fed:TokenTypesOffered><fed:TokenType Uri=\"urn:oasis:names:tc:SAML:2.0:assertion\"/>"
        "<fed:TokenType Uri=\"urn:oasis:names:tc:SAML:1.0:assertion\"/></fed:TokenTypesOffered>"
        f'{_claims("ClaimTypesOffered")}'
        f'{_endpoint("SecurityTokenServiceEndpoint", f"{base}/services/trust/2005/certificatemixed")}'
        f'{_endpoint("PassiveRequestorEndpoint", ls)}</RoleDescriptor>'
        f'<SPSSODescriptor WantAssertionsSigned="true" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f"{enc_keys}{sig_keys}{slo}{nameid}"
        f'<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ls}" index="0" isDefault="true"/>'
        f'<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Artifact" Location="{ls}" index="1"/>'
        f'<AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{ls}" index="2"/>'
        "</SPSSODescriptor>"
        f'<IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">{enc_keys}{sig_keys}{slo}{nameid}'
        f'<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{ls}"/>'
        f'<SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{ls}"/>'
        + "".join(
            f'<Attribute Name="{uri}" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="{fname}" xmlns="{_SAML}"/>'
            for uri, fname, _ in _CLAIMS
        )
        + "</IDPSSODescriptor>"
        '<ContactPerson contactType="support"/>'
        "</EntityDescriptor>"
    )
    root = etree.fromstring(xml.encode("utf-8"))
    signer = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0)
    cert_pem = primary.public_bytes(serialization.Encoding.PEM).decode("ascii")
    signed = signer.sign(root, key=key, cert=cert_pem, reference_uri=f"#{doc_id}", id_attribute="ID")
    return etree.tostring(signed, encoding="utf-8", xml_declaration=False)


def fetch_stem(url: str, fetched_at: dt.datetime) -> str:
    """The file stem ``fedaudit fetch`` gives a fetch of ``url`` at ``fetched_at``
    (``<host>_<path>_<UTC timestamp>``, unsafe characters as ``_``)."""
    parts = urlsplit(url)
    host = (parts.hostname or "nohost") + (f"-{parts.port}" if parts.port else "")
    path = parts.path.strip("/") or "root"
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", f"{host}_{path}").strip("._") or "url"
    return f"{base[:120]}_{fetched_at.astimezone(dt.timezone.utc).strftime('%Y%m%dT%H%M%S.%fZ')}"


def fetch_sidecar(
    url: str,
    fetched_at: dt.datetime,
    *,
    body: bytes | None,
    body_name: str | None,
    status: int | None = 200,
    error: str | None = None,
    tls_certificate: bytes | None = None,
    elapsed_ms: int = 184,
    version: str = "0.1.0",
) -> str:
    """The sidecar JSON ``fedaudit fetch`` writes beside a fetched body (keys as documented in
    :mod:`fedaudit.io.fetch`), for evidence folders built without a network. ``tls_certificate`` is
    the DER the server presented (its facts go into ``server_certificate``); ``status=None`` with an
    ``error`` is a fetch that never got an HTTP answer."""
    import hashlib

    from cryptography import x509

    def iso(value: dt.datetime) -> str:
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")

    server = None
    if tls_certificate is not None:
        cert = x509.load_der_x509_certificate(tls_certificate)
        server = {
            "thumbprint": hashlib.sha1(tls_certificate).hexdigest().upper(),
            "sha256": hashlib.sha256(tls_certificate).hexdigest().upper(),
            "subject": cert.subject.rfc4514_string(),
            "issuer": cert.issuer.rfc4514_string(),
            "not_before": iso(cert.not_valid_before_utc),
            "not_after": iso(cert.not_valid_after_utc),
        }
    sidecar = {
        "fedaudit_fetch": 1,
        "fedaudit_version": version,
        "url": url,
        "final_url": url,
        "fetched_at": iso(fetched_at),
        "status": status,
        "elapsed_ms": elapsed_ms,
        "tls_verified": True if tls_certificate is not None else None,
        "insecure": False,
        "ca_bundle": None,
        "server_certificate": server,
        "content_type": "application/samlmetadata+xml" if body is not None else None,
        "bytes": len(body) if body is not None else None,
        "sha256": hashlib.sha256(body).hexdigest() if body is not None else None,
        "body": body_name,
        "body_kind": "metadata" if body is not None else None,
        "error": error,
        "redirects": [],
        "attempts": [{"url": url, "status": status, "error": error, "elapsed_ms": elapsed_ms}],
        "user_agent": f"fedaudit/{version}",
    }
    return json.dumps(sidecar, indent=2) + "\n"
