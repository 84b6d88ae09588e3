"""The audit stage: :func:`audit` runs every check over the evidence, then the verdicts and the
timeline; accepted exceptions (waivers) are applied here, once.

* :mod:`fedaudit.engine.core` - :func:`audit`, :class:`AuditResult`, :func:`exit_code`
* :mod:`fedaudit.engine.verdict` - the runbook's decision table per domain; the timeline
* :mod:`fedaudit.engine.waivers` - accepted exceptions (files, matching, expiry)
"""

from __future__ import annotations

from fedaudit.engine.core import DEFAULT_THRESHOLDS, FAIL_ON, AuditResult, audit, exit_code, to_utc

__all__ = ["DEFAULT_THRESHOLDS", "FAIL_ON", "AuditResult", "audit", "exit_code", "to_utc"]
