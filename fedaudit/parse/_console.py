"""Shared clean-up of console captures before the Format-List / Format-Table parsers read them.

Every step undoes a copy/paste artefact listed in the format notes (README "Copy/paste
artefacts seen in the wild"); each keeps the 1-based line number of the original text so that
records and load issues point at the line the user sees in the file.
"""

from __future__ import annotations

import re
from functools import partial
from itertools import repeat
from typing import NamedTuple

from fedaudit.parse.textio import normalise_newlines, strip_ansi

__all__ = ["Line", "command_of", "prepare", "strip_annotation"]


class Line(NamedTuple):
    no: int  # 1-based line number in the original text
    text: str  # trailing whitespace removed; "" for blank and whitespace-only lines
    soft: bool = False  # a blank line that is a markdown double-spacing artefact


_new_line = partial(tuple.__new__, Line)  # Line from a (no, text, soft) tuple

# Prompt lines: `PS C:\>`, `PS C:\Windows\system32>`, `PS Cert:\LocalMachine\Root>`, `PS>`.
_PROMPT = re.compile(r"^PS(?:\s+[^>\n]*)?>\s?(?P<cmd>.*)$")
# A command typed without a prompt (blog captures start with the command line alone).
_BARE_COMMAND = re.compile(
    r"^(?:\$[A-Za-z_]\w*\s*=\s*)?"
    r"(?:Get|Set|New|Update|Remove|Add|Connect|Import|Export|Select|Format|Invoke|Install|Test|"
    r"ConvertTo|ConvertFrom|Out|Write|Measure|Sort|Where|ForEach)-[A-Za-z]+(?:\s|$)"
)
_FENCE = re.compile(r"^\s*(```|~~~)[\w+-]*\s*$")
# Author annotations appended to values: `★<<<`, `★<-- 既存のプライマリ証明書` (jpazureid blog).
_ANNOTATION = re.compile(r"\s*[★☆※].*$")
_DASHES = str.maketrans({"\u2013": "-", "\u2014": "-", "\u2212": "-"})


def strip_annotation(value: str) -> str:
    """``value`` without a trailing author annotation (``★<<<``, ``★<-- ...``)."""
    return _ANNOTATION.sub("", value)


def command_of(line: str, *, at_boundary: bool) -> tuple[bool, str | None]:
    """(is a command line, the command) for a prompt line or, at an object boundary, a bare
    ``Verb-Noun ...`` line. En- and em-dashes pasted from documents become hyphens."""
    m = _PROMPT.match(line) if line.startswith("PS") else None
    if m:
        cmd = m.group("cmd").strip().translate(_DASHES)
        return True, (cmd or None)
    if at_boundary and _BARE_COMMAND.match(line) and not re.match(r"^\S+\s+:(\s|$)", line):
        return True, line.strip().translate(_DASHES)
    return False, None


def _unwrap_backticks(lines: list[Line]) -> list[Line]:
    """Microsoft Q&A renders each console line as inline code: `` `line` `` + a blank line."""
    content = [ln for ln in lines if ln.text.strip()]
    wrapped = [
        ln for ln in content if len(ln.text.strip()) >= 2 and ln.text.lstrip().startswith("`") and ln.text.endswith("`")
    ]
    if len(wrapped) < 2 or len(wrapped) < 0.6 * len(content):
        return lines
    out = []
    for ln in lines:
        s = ln.text.lstrip()
        if len(s) >= 2 and s.startswith("`") and s.endswith("`"):
            out.append(Line(ln.no, s[1:-1].rstrip()))
        else:
            out.append(ln)
    return out


def _collapse_double_spacing(lines: list[Line]) -> list[Line]:
    """Markdown pastes put a blank line after every line. When no two content lines touch,
    one blank of each gap is an artefact: it becomes a *soft* blank (no object separator,
    still a place where a bare command line may start); a double blank stays a separator."""
    previous = False
    count = 0
    for ln in lines:
        if ln.text:
            if previous:
                return lines  # two content lines touch: not double-spaced
            previous = True
            count += 1
        else:
            previous = False
    if count < 3:
        return lines
    out: list[Line] = []
    i = 0
    while i < len(lines):
        if lines[i].text:
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and not lines[j].text:
            j += 1
        if i > 0 and j < len(lines):  # a gap between two content lines
            out.append(lines[i]._replace(soft=True))
            out.extend(lines[i + 1 : j])
        else:
            out.extend(lines[i:j])
        i = j
    return out


def _deindent(lines: list[Line]) -> list[Line]:
    """Remove indentation every content line shares (markdown 4-space code blocks)."""
    prefix = None
    for ln in lines:
        text = ln.text
        if not text:
            continue
        lead = text[: len(text) - len(text.lstrip(" \t"))]
        if prefix is None:
            prefix = lead
        else:
            k = 0
            while k < len(prefix) and k < len(lead) and prefix[k] == lead[k]:
                k += 1
            prefix = prefix[:k]
        if not prefix:
            return lines
    if prefix is None:  # no content line
        return lines
    n = len(prefix)
    return [Line(ln.no, ln.text[n:]) if ln.text else ln for ln in lines]


def prepare(text: str) -> list[Line]:
    """Numbered, cleaned lines of a console capture.

    ANSI escapes removed, newlines normalised, no-break spaces (web pages) made spaces,
    trailing whitespace and whitespace-only lines blanked, markdown code fences dropped, Q&A backtick wrapping and double spacing undone,
    and a shared markdown indentation removed.
    """
    text = normalise_newlines(strip_ansi(text)).lstrip("\ufeff")
    # No-break spaces and NULs go line by line or all at once alike (neither is a newline).
    body = text.replace("\u00a0", " ").replace("\x00", "") if "\u00a0" in text or "\x00" in text else text
    if "```" in body or "~~~" in body:
        lines = [
            Line(no, "") if ("```" in raw or "~~~" in raw) and _FENCE.match(raw) else Line(no, raw.rstrip())
            for no, raw in enumerate(body.split("\n"), start=1)
        ]
    else:
        raws = body.split("\n")
        # Line(no, text) for every line, built without a Python call per line
        lines = list(map(_new_line, zip(range(1, len(raws) + 1), map(str.rstrip, raws), repeat(False))))
    if "`" in text:
        lines = _unwrap_backticks(lines)
    lines = _collapse_double_spacing(lines)
    return _deindent(lines)
