"""Shared fixtures. Certificates are minted with cryptography, never faked strings."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

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
