"""The exceptions fedaudit raises. Only these escape the library.

::

    FedauditError
     ├── InputError            an input cannot be read or understood (carries origin, line, field, value)
     │    ├── EncodingError    bytes that are not text in any encoding we accept
     │    ├── ParseError       text/JSON/XML that does not have the expected shape
     │    ├── CertificateError bytes or text that are not an X.509 certificate
     │    ├── DateError        a date that cannot be read, or is ambiguous without a culture
     │    └── HostileXMLError  XML refused for safety (DTD, entities, size, depth)
     ├── FetchError            an HTTPS fetch failed (the evidence sidecar is still written)
     ├── ConfigError           an audit configuration file is invalid
     ├── ReportError           rendering a report failed
     ├── HistoryError          the history database cannot be used
     └── UsageError            a caller passed arguments that do not make sense (also a ValueError)
          └── UnknownCheckError  no check has that id (also a KeyError)

Loaders turn ``InputError`` into load issues and go on; ``strict=True`` raises instead.
"""

from __future__ import annotations

__all__ = [
    "CertificateError",
    "ConfigError",
    "DateError",
    "EncodingError",
    "FedauditError",
    "FetchError",
    "HistoryError",
    "HostileXMLError",
    "InputError",
    "ParseError",
    "ReportError",
    "UnknownCheckError",
    "UsageError",
]


class FedauditError(Exception):
    """Root of every exception fedaudit raises on purpose."""


class InputError(FedauditError):
    """An input could not be read. Says where (origin, line, field) and what (value)."""

    def __init__(
        self,
        message: str,
        *,
        origin: str | None = None,
        line: int | None = None,
        field: str | None = None,
        value: object = None,
    ) -> None:
        self.message = message
        self.origin = origin
        self.line = line
        self.field = field
        self.value = value
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = []
        if self.origin:
            where.append(str(self.origin))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.field:
            where.append(f"field {self.field}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class EncodingError(InputError):
    """Bytes that decode in none of UTF-8, UTF-16 or cp1252."""


class ParseError(InputError):
    """Text, JSON, CLIXML, CSV or XML that does not have the shape we expect."""


class CertificateError(InputError):
    """Bytes, base64 or text that are not an X.509 certificate."""


class DateError(InputError):
    """A date that cannot be read, or that is ambiguous without a culture."""


class HostileXMLError(InputError):
    """XML refused for safety: DTDs, entity declarations, oversize or overdeep documents."""


class FetchError(FedauditError):
    """An HTTPS fetch failed; the evidence sidecar has been written all the same."""


class ConfigError(FedauditError):
    """An audit configuration file is invalid."""


class ReportError(FedauditError):
    """Rendering or writing a report failed."""


class HistoryError(FedauditError):
    """The history database cannot be opened or written."""


class UsageError(FedauditError, ValueError):
    """Arguments that do not make sense together (also a ``ValueError``, which is what such a
    mistake was before fedaudit had its own tree)."""


class UnknownCheckError(UsageError, KeyError):
    """No registered check has the id asked for (also a ``KeyError``)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""
