"""Sans-IO parsers for PowerShell exports. :func:`read_export` recognises a file's form and cmdlet
from its content and returns a :class:`~fedaudit.records.ParseResult`."""

from __future__ import annotations

from fedaudit.parse.dispatch import read_export

__all__ = ["read_export"]
