"""Neutral outputs: every value fedaudit writes or prints may come from a hostile export or server.

One helper per concern, used by every writer and printer:

* :func:`csv_cell` / :func:`csv_row` - a spreadsheet cell that starts with ``=``, ``+``, ``-``,
  ``@``, TAB or CR is a formula to Excel and LibreOffice (``=HYPERLINK(...)``,
  ``+cmd|'/C calc'!A0``); it gets a leading ``'`` (plain numbers such as ``-3.5`` are left alone).
  OWASP "CSV Injection" describes the rule: https://owasp.org/www-community/attacks/CSV_Injection
* :func:`term` (one line) and :func:`term_text` (keeps line breaks) - control characters (C0,
  ESC, DEL, C1, the Unicode line/paragraph separators and bidirectional overrides) become visible
  escapes (``\\x1b``, ``\\u2028``) before anything reaches a terminal, so ``\\x1b]0;...\\x07`` or
  ``\\x1b[2J`` in a certificate subject, a file name or an HTTP reason phrase is shown, not obeyed.
  Bytes of a file name that are not UTF-8 (Python's ``surrogateescape``) are shown as ``\\xNN``.
* :func:`json_text` - JSON text with U+2028, U+2029, U+0085 (and the other C1 controls and DEL,
  which :func:`json.dumps` leaves raw with ``ensure_ascii=False``) written as ``\\uhhhh (four hex digits)``: a
  line-oriented reader of JSON Lines never sees a line break inside a record.
* :func:`shell_arg` / :func:`shell_command` - a value placed in a printed POSIX shell command is
  quoted (:func:`shlex.quote`), so ``$(...)`` or a backtick in a HostName is text, not a command.
* :func:`path_text` - a path as text that can always be encoded as UTF-8 (surrogate-escaped bytes
  become ``\\xNN``); the real path is kept for opening the file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterable
from typing import Any

__all__ = [
    "CSV_TRIGGERS",
    "csv_cell",
    "csv_row",
    "csv_value",
    "escape_controls",
    "json_dumps",
    "json_text",
    "path_text",
    "shell_arg",
    "shell_command",
    "term",
    "term_text",
    "uncsv_cell",
]

#: First characters that make a spreadsheet cell a formula (or a DDE call).
CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

# C0 (U+0000-U+001F), DEL, C1 (U+0080-U+009F), line/paragraph separators, bidi embeddings,
# overrides and isolates (U+202A-U+202E, U+2066-U+2069), and lone surrogates (bytes of a name
# that is not UTF-8, as os.fsdecode gives them).
_CONTROLS = "\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_CONTROL = re.compile(f"[{_CONTROLS}]")
# The same except TAB (U+0009) and LF (U+000A).
_CONTROL_KEEP_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) leaves raw that a line-oriented reader may take for a break.
# Lone surrogates (a file name that is not UTF-8) too: as \\udcXX they are valid JSON and the
# text can always be encoded as UTF-8.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: Lone surrogates os.fsdecode makes of the bytes 0x80-0xFF of a name that is not UTF-8.
_ESCAPED_BYTES = (0xDC80, 0xDCFF)
_LATIN1_END = 0xFF
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if _ESCAPED_BYTES[0] <= code <= _ESCAPED_BYTES[1]:  # surrogateescape: the original byte
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code <= _LATIN1_END else f"\\u{code:04x}"


def escape_controls(text: str, *, keep_lines: bool = False) -> str:
    """``text`` with every control character as a visible escape (``\\x1b``, ``\\u2028``).
    ``keep_lines`` leaves LF and TAB (for multi-line output fedaudit itself lays out)."""
    pattern = _CONTROL_KEEP_LINES if keep_lines else _CONTROL
    return pattern.sub(_escape, text) if pattern.search(text) else text


def term(value: Any) -> str:
    """One value for a one-line terminal message: ``str(value)`` with every control character,
    line breaks included, escaped."""
    text = os.fsdecode(value) if isinstance(value, bytes) else str(value)
    return escape_controls(text)


def term_text(text: str) -> str:
    """Whole terminal output: control characters escaped, line breaks and TABs kept."""
    return escape_controls(text, keep_lines=True)


def path_text(path: str | os.PathLike[str] | bytes) -> str:
    """A path as text that always encodes as UTF-8: bytes that are not UTF-8 become ``\\xNN``,
    control characters are escaped the same way (a file name may hold ESC or a newline)."""
    text = os.fsdecode(os.fspath(path))
    return escape_controls(text)


def json_text(text: str) -> str:
    """JSON text (from :func:`json.dumps`) with DEL, C1 controls, U+2028/U+2029, the bidi
    controls and lone surrogates as ``\\uhhhh (four hex digits)`` escapes: still the same JSON value, never a raw line break."""
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _JSON_RAW.search(text) else text


def json_dumps(obj: Any, **kwargs: Any) -> str:
    """:func:`json.dumps` (``ensure_ascii=False`` unless told) followed by :func:`json_text`."""
    kwargs.setdefault("ensure_ascii", False)
    return json_text(json.dumps(obj, **kwargs))


def csv_cell(value: str) -> str:
    """A text cell that a spreadsheet shows as text: ``'`` before a leading ``=``, ``+``, ``-``,
    ``@``, TAB or CR, unless the whole cell is a plain number (``-3.5``, ``+1e3``)."""
    if value and value[0] in CSV_TRIGGERS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def csv_value(value: Any) -> Any:
    """:func:`csv_cell` for strings; numbers, None and the rest pass unchanged."""
    return csv_cell(value) if isinstance(value, str) else value


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for :mod:`csv` writers, every text cell through :func:`csv_cell`."""
    return [csv_value(v) for v in values]


def uncsv_cell(value: str) -> str:
    """Undo :func:`csv_cell` when reading a CSV fedaudit wrote (an exceptions file it staged):
    a leading ``'`` followed by a trigger character is dropped."""
    if len(value) > 1 and value[0] == "'" and value[1] in CSV_TRIGGERS:
        return value[1:]
    return value


def shell_arg(value: Any) -> str:
    """One argument of a printed POSIX shell command, quoted when it is not plain
    (``https://fs.contoso.com/x`` stays as is; ``$(id)`` becomes ``'$(id)'``)."""
    return shlex.quote(str(value))


def shell_command(*args: Any) -> str:
    """A printed shell command: the first word as given (fedaudit's own command), every other
    argument through :func:`shell_arg`."""
    if not args:
        return ""
    return " ".join([str(args[0]), *(shell_arg(a) for a in args[1:])])
