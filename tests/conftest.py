"""Shared fixtures. Certificates are minted with cryptography, never faked strings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from support.pscheck import REMEDIATIONS
from support.synth import mint_certificate

DATA = Path(__file__).parent / "data"
UTC = dt.timezone.utc


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def mint():
    """mint(subject, not_before, not_after, **kw) -> DER bytes (see support.synth)."""
    return mint_certificate


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


# -- every remediation block the session builds ----------------------------------------------
# Each Finding any test makes (through any check, including ones added later) records its
# remediation here; tests/checks/test_remediation_commands.py checks them all with the PowerShell
# grammar in its last test, which pytest_collection_modifyitems moves to the end of the run.
_LAST = "test_every_remediation_block_the_session_built"


def _record_remediations() -> None:
    from fedaudit.checks._base import Finding

    original = Finding.__post_init__
    if getattr(original, "_records_remediation", False):
        return

    def __post_init__(self: Finding) -> None:
        original(self)
        if self.remediation and self.remediation not in REMEDIATIONS:
            REMEDIATIONS[self.remediation] = self.id

    __post_init__._records_remediation = True  # type: ignore[attr-defined]
    Finding.__post_init__ = __post_init__  # type: ignore[method-assign]


_record_remediations()


def pytest_collection_modifyitems(session, config, items):
    last = [i for i in items if i.name == _LAST]
    items[:] = [i for i in items if i.name != _LAST] + last
