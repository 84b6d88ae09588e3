"""The evidence stage: records of every file joined into frames, and the one view checks read.

* :mod:`fedaudit.evidence.load` - :func:`fedaudit.load`: files, folders and URLs in, :class:`Evidence` out
* :mod:`fedaudit.evidence.join` - the join: farms, domains, certificate observations, metadata
* :mod:`fedaudit.evidence.view` - the typed view of the joined frames that checks and verdicts read
* :mod:`fedaudit.evidence.discover` - each farm's metadata URL, derived from the loaded exports
"""

from __future__ import annotations

from fedaudit.evidence.join import Evidence, InputFile, build_evidence

__all__ = ["Evidence", "InputFile", "build_evidence"]
