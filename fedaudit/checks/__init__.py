"""The audit checks: Microsoft's renewal runbook as pure functions, in one ordered registry.

Each :class:`Check` has a stable id (``family.what``; ids are never renamed), a title, a
severity, the runbook section it implements (``reference``), a description, the compliance
controls it supports, and ``func(evidence, as_of, thresholds) -> list[Finding]``, which reads
only its arguments (no clock, files or network). Families, one module each:

* ``rollover`` - AutoCertificateRollover and AD FS's own renewal (runbook Step 1, manual Step 1)
* ``sync`` - AD FS certificates against Entra's (Step 2)
* ``expiry`` - the 35/15-day windows, expired, not yet valid, token-decrypting (Step 3)
* ``metadata`` - the published federation metadata (automatic renewal, point 2)
* ``entra`` - IssuerUri and Entra's own metadata poll
* ``crypto`` - weak keys and SHA-1 signatures
* ``notification`` - triage of a renewal e-mail (only with a notification date)
* ``evidence`` - load issues and missing exports, so a gap is never a pass

``docs/checks.md`` lists every check; ``fedaudit checks`` prints the registry.
"""

from __future__ import annotations

from fedaudit.checks import crypto, entra, evidence, expiry, metadata, notification, rollover, sync
from fedaudit.checks._base import ACTION_RANK, DEFAULT_THRESHOLDS, SEVERITY_RANK, Check, Finding, Thresholds
from fedaudit.errors import UnknownCheckError

__all__ = [
    "ACTION_RANK",
    "Check",
    "DEFAULT_THRESHOLDS",
    "Finding",
    "REGISTRY",
    "SEVERITY_RANK",
    "Thresholds",
    "by_id",
]

#: Every check, in report order.
REGISTRY: list[Check] = [
    *rollover.CHECKS,
    *sync.CHECKS,
    *expiry.CHECKS,
    *metadata.CHECKS,
    *entra.CHECKS,
    *crypto.CHECKS,
    *notification.CHECKS,
    *evidence.CHECKS,
]

_BY_ID = {c.id: c for c in REGISTRY}
if len(_BY_ID) != len(REGISTRY):  # pragma: no cover - a programming error caught at import
    raise AssertionError("duplicate check id in fedaudit.checks.REGISTRY")


def by_id(check_id: str) -> Check:
    """The registered check ``check_id`` (KeyError naming the closest ids otherwise)."""
    try:
        return _BY_ID[check_id]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(check_id, list(_BY_ID), n=3)
        raise UnknownCheckError(
            f"no check {check_id!r}" + (f"; did you mean {', '.join(close)}?" if close else "")
        ) from None
