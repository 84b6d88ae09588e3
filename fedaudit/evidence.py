"""The loaded evidence: frames joined from every file's records.

:class:`Evidence` is what :func:`fedaudit.load` returns and what :func:`fedaudit.audit` takes.
Its frames follow :data:`fedaudit.frames.SCHEMAS`. :func:`build_evidence` joins the per-file
:class:`~fedaudit.records.ParseResult` objects: Entra domains and certificates are tied to an
AD FS farm by the facts the exports carry (AD FS ``Identifier`` = Entra ``IssuerUri`` or its
``http://<domain>/adfs/services/trust/`` -SupportMultipleDomain form; the host of
``PassiveLogOnUri`` = ``HostName``; certificate thumbprints), never by file or folder names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .frames import empty_frame

__all__ = ["Evidence", "InputFile"]


@dataclass(frozen=True)
class InputFile:
    """One file that went into the evidence: for the manifest and the history database."""

    path: str
    size: int
    sha256: str
    kind: str  # what it was recognised as ("unrecognised" included)


@dataclass(frozen=True)
class Evidence:
    """Frames of one load. Treat the frames as read-only; use ``.copy()`` to experiment."""

    certificates: pd.DataFrame = field(default_factory=lambda: empty_frame("certificates"))
    farms: pd.DataFrame = field(default_factory=lambda: empty_frame("farms"))
    domains: pd.DataFrame = field(default_factory=lambda: empty_frame("domains"))
    issues: pd.DataFrame = field(default_factory=lambda: empty_frame("issues"))
    metadata: pd.DataFrame = field(default_factory=lambda: empty_frame("metadata"))
    inputs: tuple[InputFile, ...] = ()

    FRAMES = ("certificates", "farms", "domains", "issues", "metadata")

    def frames(self) -> dict[str, pd.DataFrame]:
        """The frames by name, in contract order."""
        return {name: getattr(self, name) for name in self.FRAMES}

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(getattr(self, n))}" for n in self.FRAMES)
        return f"<Evidence {counts}, inputs={len(self.inputs)}>"
