"""The wall clock, as an input at the edge.

Nothing in fedaudit reads the time of day except :func:`system_clock`: library functions that
stamp what they write (a report's run times, a scheduled run's start, a fetch's ``fetched_at``)
take a ``clock`` argument whose default is this one, so that a caller (the CLI, a notebook, a
test) decides what "now" is. Audit judgements never use it: they take ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

__all__ = ["Clock", "system_clock"]

#: A function returning the current time, tz-aware UTC.
Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The current time, tz-aware UTC."""
    return dt.datetime.now(dt.timezone.utc)
