"""Which identity provider a federated domain trusts, recognised from its Entra settings.

Entra ID stores, per federated domain, the IdP's ``IssuerUri``, its passive (browser) sign-in URL
and, for WS-Trust, its ``MetadataExchangeUri``. Each product has recognisable URL shapes:

* AD FS: ``http(s)://<host>/adfs/services/trust`` issuers, ``/adfs/ls/`` sign-in, ``/adfs/services/trust/mex``
* Okta: ``*.okta.com`` / ``*.oktapreview.com`` / ``*.okta-emea.com`` hosts, ``http://www.okta.com/<id>`` issuers
* PingFederate / PingOne: ``/idp/SSO.saml2``, ``/idp/prp.wsf``, ``*.pingone.*``, ``*.pingidentity.com``
* Shibboleth: ``/idp/shibboleth`` issuers, ``/idp/profile/SAML2/...`` endpoints
* OneLogin: ``*.onelogin.com``
* Google: ``accounts.google.com`` sign-in, ``https://accounts.google.com/o/saml2?idpid=...`` issuers
* Keycloak: ``/realms/<realm>`` (``/auth/realms/<realm>`` before Keycloak 17)

Anything else with a URL is ``other``; a domain with no federation URL at all is unknown (None).
A domain the evidence ties to a loaded AD FS farm is ``adfs`` whatever its URLs say.

Pure function of the strings: no IO.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

__all__ = ["IDPS", "IDP_NAMES", "recognise_idp"]

#: ``idp`` column values, and how people name them.
IDP_NAMES = {
    "adfs": "AD FS",
    "okta": "Okta",
    "ping": "PingFederate / PingOne",
    "shibboleth": "Shibboleth",
    "onelogin": "OneLogin",
    "google": "Google",
    "keycloak": "Keycloak",
    "other": "a non-AD FS identity provider",
}
IDPS = tuple(IDP_NAMES)

_HOSTS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("okta", re.compile(r"(^|\.)(okta|oktapreview|okta-emea|okta-gov)\.com$")),
    ("ping", re.compile(r"(^|\.)(pingone\.(com|eu|asia|ca)|pingidentity\.com|pingfederate\.com)$")),
    ("onelogin", re.compile(r"(^|\.)onelogin\.com$")),
    ("google", re.compile(r"(^|\.)(accounts\.google\.com|google\.com)$")),
)
_PATHS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("adfs", re.compile(r"^/adfs(/|$)", re.I)),
    ("ping", re.compile(r"^/idp/(sso\.saml2|prp\.wsf|startsso\.ping)", re.I)),
    ("shibboleth", re.compile(r"^/idp/(shibboleth|profile/)", re.I)),
    ("keycloak", re.compile(r"^(/auth)?/realms/[^/]+", re.I)),
)


def _parts(url: str | None) -> tuple[str, str] | None:
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().rstrip(".")
    except ValueError:
        return None
    return host, parts.path or "/"


def recognise_idp(*urls: str | None, adfs_farm: bool = False) -> str | None:
    """The ``idp`` value for a domain whose settings carry ``urls`` (IssuerUri, sign-in and
    metadata URLs, in any order). ``adfs_farm``: the domain is tied to a loaded AD FS farm."""
    if adfs_farm:
        return "adfs"
    seen = [p for p in (_parts(u) for u in urls) if p is not None]
    if not seen:
        return None
    for host, _path in seen:
        for name, pattern in _HOSTS:
            if host and pattern.search(host):
                return name
    for _host, path in seen:
        for name, pattern in _PATHS:
            if pattern.search(path):
                return name
    return "other"
