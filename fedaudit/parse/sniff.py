"""Content recognition: which kind of evidence a file holds, from its first bytes (never its name)."""

from __future__ import annotations

__all__ = ["sniff_kind"]


def sniff_kind(data: bytes) -> str:
    """``metadata`` (SAML/WS-Fed XML), ``fetch-sidecar`` (our fetch JSON), ``collector-manifest``
    (the manifest of collect/Collect-FedauditEvidence.ps1) or ``export``."""
    head = data[:65536]
    if head.startswith(b"\xff\xfe") or head.startswith(b"\xfe\xff"):
        probe = head.decode("utf-16", "ignore")
    else:
        probe = head.decode("utf-8", "ignore")
    stripped = probe.lstrip("\ufeff \t\r\n")
    if stripped.startswith("<") and ("EntityDescriptor" in probe or "EntitiesDescriptor" in probe):
        if "schemas.microsoft.com/powershell" not in probe:
            return "metadata"
    if stripped.startswith("{") and '"fedaudit_fetch"' in probe:
        return "fetch-sidecar"
    if stripped.startswith("{") and '"fedaudit_collector"' in probe:
        return "collector-manifest"
    return "export"
