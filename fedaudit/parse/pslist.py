"""Format-List console text, and whole console captures mixing lists, tables and prompts.

What PowerShell's ListWriter prints (``FormatAndOutput/common/ListWriter.cs``; format notes
README "Format-List rendering rules"): ``<label padded to the longest label> : <value>``; extra
lines of a value (embedded newlines, console wrapping) padded with label width + 3 spaces; one
blank line between objects. Real captures bend every rule, and each bend is handled here:

* **any label width** - the colon column is not assumed; a property line is
  ``Key<spaces>:<space>value`` at column 0 (``IsPrimary : False`` in collapsed blog pastes too),
  or ``Key: value`` without padding when ``known`` names Key (a ``SigningCertificate: MII...``
  line is a property, not the tail of the value above it);
* **continuation lines** indented (the normal case) or flush left (docs copied from a console
  whose buffer was wider than its window: ``urn:oasis:...X509...}``). ``c:[Type ==``,
  ``urn:...`` and ``https://...`` never start a property: a space must precede the colon.
  With ``known`` property names a flush-left ``Key : value`` line whose key is unknown and
  whose colon does not line up with the object's labels stays a continuation;
* **embedded X509 blocks** (``Certificate : [Subject]`` ... ``[Thumbprint]``) are one value,
  blank lines inside kept, continuation indentation removed, so the value reads exactly as
  ``X509Certificate.ToString(true)`` wrote it. The blank line produced by the block's trailing
  newline is not an object separator (a second blank line is);
* **truncation** ``...`` (5.1) and ``…`` (7.x) kept verbatim; the mappers flag it;
* **prompt lines** (``PS C:\\>``, ``PS Cert:\\LocalMachine\\Root>``) and bare command lines set
  ``command`` on the objects that follow (en-dashes become hyphens);
* ANSI colour codes, whitespace-only lines, trailing spaces, Q&A backtick wrapping with blank
  lines after every line, markdown 4-space indentation, code fences (see :mod:`._console`);
* author annotations (``★<<<``, ``★<-- ...``) removed from values; captions such as
  ``(実行結果例)`` and other stray lines between objects ignored;
* a repeated property name starts a new object even without a blank line (pastes that lost
  their blank lines);
* Format-Table blocks in the same capture (mixed table-then-list output) are read by
  :mod:`.pstable` and returned by :func:`parse_captures`.

Values are ``str`` (``""`` when the line shows nothing after the colon). Multi-line values
join their lines with ``"\\n"``: console wrapping cannot be told from embedded newlines, so a
wrapped base64 value must be re-joined by removing whitespace (``certs.certificate_from_base64``
does).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fedaudit.parse._console import Line, command_of, prepare, strip_annotation
from fedaudit.parse.pstable import FORM as TABLE_FORM
from fedaudit.parse.pstable import is_dash_row, read_table
from fedaudit.parse.textio import normalise_newlines
from fedaudit.records import PSObject

__all__ = ["FORM", "parse_captures", "parse_format_list", "parse_format_table"]

FORM = "list"

# Label, padding (spaces; a TAB from hand edits), colon, one space, value. The space before the
# colon is what keeps `c:[Type == ...`, `urn:oasis:...` and `https://...` from being labels.
_PROPERTY = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<pad>[ \t]+):(?:[ \t](?P<val>.*))?$")
# ``Name: value`` without padding before the colon (hand-edited or re-typed captures, some blog
# pastes): a property only when Name is a known property of a cmdlet (``known``), never inside a
# certificate block; otherwise the line is what it was before (a continuation).
_TIGHT = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<pad>):(?:[ \t](?P<val>.*))?$")
# Continuation prompt of a command typed over several lines (`PS C:\> Get-X |` then `>> ...`).
_PROMPT_CONTINUATION = re.compile(r"^>>(?: (?P<more>.*))?$")
_MAY_ANNOTATE = re.compile("[\u2605\u2606\u203b]")  # ★ ☆ ※


class _Builder:
    """Accumulates one Format-List object at a time."""

    def __init__(self, origin: str, known: frozenset[str] | None) -> None:
        self.origin = origin
        self.known = None if known is None else frozenset(k.lower() for k in known)
        self.objects: list[PSObject] = []
        self.command: str | None = None
        # False when the capture holds no annotation mark at all (values then need no search)
        self.annotated = True
        self._reset()

    def _reset(self) -> None:
        self.props: dict[str, str] = {}
        self.folded: set[str] = set()  # lower-case names in props, for the repeated-key rule
        self.lines: dict[str, int] = {}
        self.start: int | None = None
        self.colon: int | None = None
        self.key: str | None = None
        self.value: list[str] = []
        self.value_col = 0
        self.blanks: list[int] = []
        self.dropped: list[tuple[int, str, str]] = []
        self._start_value("")

    # -- the value being read -------------------------------------------------------------
    def _start_value(self, first: str) -> None:
        self.value = [first]
        stripped = first.strip()
        if stripped[:1] in ("[", "{"):
            # X509Certificate.ToString(true) starts with "[Subject]"; a collection of
            # certificates (TokenSigningCertificates) prints as "{[Subject] ... }".
            self._cert = "open" if stripped.startswith(("[Subject]", "{[Subject]")) else None
            self._cert_set = stripped.startswith("{")
        else:
            self._cert = None
            self._cert_set = False
        self._thumb_seen = False

    def _append(self, text: str) -> None:
        self.value.append(text)
        if self._cert != "open":
            return
        s = text.strip()
        if self._cert_set:
            if s.endswith("}"):
                self._cert = "done"
        elif s == "[Thumbprint]":
            self._thumb_seen = True
        elif self._thumb_seen and s:
            self._cert = "done"

    def _x509_state(self) -> str | None:
        """None (not a certificate value), "open" (block still printing) or "done"."""
        return self._cert if self.key is not None else None

    def _close_value(self) -> None:
        if self.key is None:
            return
        self._store_value()
        self.key = None
        self._start_value("")

    def _store_value(self) -> None:
        """Store the value being read under ``self.key`` (which the caller then moves on)."""
        key = self.key
        assert key is not None  # only called while a value is open
        value = self.value
        annotated = self.annotated
        if len(value) == 1 and not (annotated and _MAY_ANNOTATE.search(value[0])):
            self.props[key] = value[0].strip()  # the lines below for a one-line value
        else:
            lines = [
                strip_annotation(v).rstrip() if annotated and _MAY_ANNOTATE.search(v) else v.rstrip() for v in value
            ]
            while lines and not lines[-1]:
                lines.pop()
            if lines:
                lines[0] = lines[0].strip()
            self.props[key] = "\n".join(lines)
        self.folded.add(key.lower())

    def flush(self) -> None:
        self._close_value()
        if self.props:
            self.objects.append(
                PSObject(
                    origin=self.origin,
                    form=FORM,
                    properties=self.props,  # _reset below starts new dicts: no copies needed
                    line=self.start,
                    lines=self.lines,
                    command=self.command,
                    dropped=tuple(self.dropped),
                )
            )
        self._reset()

    # -- classification ---------------------------------------------------------------------
    def property_match(self, text: str) -> re.Match[str] | None:
        m = _PROPERTY.match(text)
        if m is None:
            return None
        if self.known is None or m.group("key").lower() in self.known:
            return m
        if not self.props and self.key is None:
            return m  # nothing it could continue: take it as a property
        colon = m.start("pad") + len(m.group("pad"))
        if colon == self.colon and self._x509_state() != "open":
            return m  # an unknown property aligned with the object's labels
        return None

    def tight_match(self, text: str) -> re.Match[str] | None:
        """``Name: value`` (no padding) when Name is known and no certificate block is open."""
        m = _TIGHT.match(text)
        if m is None or self.known is None or m.group("key").lower() not in self.known:
            return None
        return m if self._x509_state() != "open" else None

    @property
    def at_boundary(self) -> bool:
        return self.key is None or bool(self.blanks)

    def add_property(self, line: Line, m: re.Match[str]) -> None:
        key, val = m.group(1, 3)  # key, val
        pad_end = m.end(2)  # the colon's column
        current = self.key
        separator_blanks = 2 if current is not None and self._cert == "done" else 1
        folded = key.lower()
        repeated = folded in self.folded or (current is not None and current.lower() == folded)
        if len(self.blanks) >= separator_blanks or repeated:
            self.flush()
        elif current is not None:
            self._store_value()  # _close_value without resetting the value _start_value replaces
        if self.start is None:
            self.start = line.no
            self.colon = pad_end
        self.key = key
        self._start_value(val or "")
        self.value_col = pad_end + 2
        self.lines[key] = line.no
        if self.blanks:
            self.blanks = []

    def add_other(self, line: Line) -> None:
        """A line that is not a property: continuation of the current value, or stray text."""
        text = line.text
        indented = text[:1] in (" ", "\t")
        if self.key is None:
            return  # caption, table remnant or noise before/between objects
        if text.strip() in ("...", "\u2026") and not indented:
            # An author's "lines omitted" marker on its own line (jpazureid excerpt), not a
            # wrapped piece of the value (those keep a bracket or text beside the dots).
            self._close_value()
            return
        state = self._x509_state()
        if self.blanks:
            if indented or state == "open":
                for _ in self.blanks:
                    self._append("")
                self.blanks = []
            else:
                self.flush()  # stray text after a blank line ends the object
                return
        elif not indented and not self.value[0].strip() and len(self.value) == 1 and state is None:
            # A flush-left line under an empty value (``SigningCertificateUpdateStatus :``
            # followed by a cut-off ``Su``) is debris, not the value: kept for a load issue.
            self.dropped.append((line.no, self.key, text.strip()))
            return
        lead = len(text) - len(text.lstrip(" "))
        self._append(text[min(lead, self.value_col) :])

    def blank(self, line: Line) -> None:
        if self.key is not None:
            self.blanks.append(line.no)


# -- the plain path ---------------------------------------------------------------------------
# Most captures are PowerShell's output untouched: printable ASCII, prompt lines, ``Key : value``
# lines at column 0 with indented continuation lines, blank lines between objects; no table, no
# certificate block, no paste artefact. For that text the line-by-line reader below does the
# same as one regex token per property (a property line with all its continuation lines), which
# costs a fraction of the time on a capture of a thousand Get-MsolDomainFederationSettings
# blocks (issue 13). ``_plain_scan`` returns None the moment the text leaves that subset, and
# the general reader reads it; tests/parse/test_pslist_plain.py checks both give the same
# objects on every capture the tests, the samples and a fuzz run hold.

# The tokens of a plain capture. A blank line; a prompt line (what command_of's _PROMPT accepts);
# a property line (_PROPERTY) with the indented lines that continue its value. Values hold only
# printable ASCII and TAB, and a continuation line must not start with a dash (a Format-Table
# underline may be near), so any other character (non-ASCII whitespace, control characters,
# ANSI escapes, annotation marks, NBSP), a Format-Table, a ``>>`` prompt continuation, a
# flush-left continuation or caption, or ``Name: value`` without padding leaves the plain path.
#
# Every token starts a line (``^``): findall then tries a line that is no token once, at its
# start, and skips the rest of it in constant time per character, so a hostile line (50,000
# letters, a prompt of 50,000 ``>``) costs linear time. Each alternative is unambiguous (the
# key, padding and value classes are disjoint where one follows another; the prompt stops at its
# first ``>`` as _PROMPT does), so no match backtracks more than the length of its line.
_PLAIN_TOKEN_SOURCE = (
    r"^(?:(?P<blank>[ \t]*\n)"
    r"|(?P<prompt>PS(?:[ \t][\t -=?-~]*)?>[\t -~]*\n)"
    r"|(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?P<pad>[ \t]+):(?P<val>(?:[ \t][\t -~]*)?)\n"
    r"(?P<cont>(?:[ \t]+[!-,.-~][\t -~]*\n)*))"
)
_PLAIN_TOKEN = re.compile(_PLAIN_TOKEN_SOURCE, re.M)


def _plain_value(first: str, cont: str, value_col: int) -> str:
    """What _Builder._store_value stores for a value line and its continuation lines: each
    continuation line loses up to ``value_col`` leading spaces and its trailing blanks."""
    if not cont:
        return first.strip()
    body = "\n" + cont[:-1]
    pad = "\n" + " " * value_col
    if body.count(pad) == body.count("\n") and " \n" not in cont and "\t\n" not in cont:
        return first.strip() + body.replace(pad, "\n")  # the usual case: every line padded alike
    # line by line (a regex here would retry a long run of blanks at each of them: quadratic)
    lines = cont[:-1].split("\n")
    kept = [line[min(len(line) - len(line.lstrip(" ")), value_col) :].rstrip(" \t") for line in lines]
    return first.strip() + "\n" + "\n".join(kept)


def _plain_scan(text: str, origin: str, known: frozenset[str] | None) -> list[PSObject] | None:
    """The objects of a plain capture (see above), or None when ``text`` is not one."""
    text = normalise_newlines(text).lstrip("\ufeff")
    if not text.endswith("\n"):
        text += "\n"
    # Q&A backticks and code fences, certificate blocks: the general reader. A character beyond
    # ASCII can be in no token either: say so before reading any.
    if not text.isascii() or "`" in text or "~~~" in text or "[Subject]" in text:
        return None
    known_lower = None if known is None else _lower_names(known)
    objects: list[PSObject] = []
    command: str | None = None
    props: dict[str, str] = {}
    folded: set[str] = set()
    where: dict[str, int] = {}
    start: int | None = None
    key: str | None = None
    key_folded = ""
    first = cont = ""
    value_col = 0
    blanks = False
    touching = previous_content = False
    no = 1
    read = 0  # characters the tokens cover: all of them, or a line was no token
    for blank, prompt, name, pad, val, more in _PLAIN_TOKEN.findall(text):
        if name:
            read += len(name) + len(pad) + len(val) + len(more) + 2
            touching = touching or previous_content
            previous_content = True
            name_folded = name.lower()
            if known_lower is not None and name_folded not in known_lower:
                return None  # the general reader decides whether it continues the value above
            if blanks or name_folded in folded or key_folded == name_folded:
                if key is not None:
                    props[key] = _plain_value(first, cont, value_col)
                if props:
                    objects.append(
                        PSObject(origin=origin, form=FORM, properties=props, line=start, lines=where, command=command)
                    )
                    props, folded, where = {}, set(), {}
                start, blanks = None, False
            elif key is not None:
                props[key] = _plain_value(first, cont, value_col)
                folded.add(key_folded)
            if start is None:
                start = no
            key, key_folded, first, cont = name, name_folded, val, more
            value_col = len(name) + len(pad) + 2
            where[name] = no
            if more:
                touching = True
                no += 1 + more.count("\n")
            else:
                no += 1
        elif prompt:
            read += len(prompt)
            touching = touching or previous_content
            previous_content = True
            if key is not None:
                props[key] = _plain_value(first, cont, value_col)
            if props:
                objects.append(
                    PSObject(origin=origin, form=FORM, properties=props, line=start, lines=where, command=command)
                )
                props, folded, where = {}, set(), {}
            key, key_folded, start, blanks = None, "", None, False
            command = command_of(prompt.rstrip(), at_boundary=True)[1]
            no += 1
        else:
            read += len(blank)
            blanks = blanks or key is not None
            previous_content = False
            no += 1
    if read != len(text) or not touching or (key is None and not objects):
        return None  # a double-spaced paste, or nothing the plain path recognised
    if key is not None:
        props[key] = _plain_value(first, cont, value_col)
    if props:
        objects.append(PSObject(origin=origin, form=FORM, properties=props, line=start, lines=where, command=command))
    return objects


_LOWER_NAMES: dict[frozenset[str], frozenset[str]] = {}


def _lower_names(known: Iterable[str]) -> frozenset[str]:
    """``known`` in lower case (computed once per set of names; any iterable of names)."""
    if not isinstance(known, frozenset):
        known = frozenset(known)
    lower = _LOWER_NAMES.get(known)
    if lower is None:
        if len(_LOWER_NAMES) > 64:
            _LOWER_NAMES.clear()
        lower = _LOWER_NAMES.setdefault(known, frozenset(k.lower() for k in known))
    return lower


def _scan(text: str, origin: str, known: frozenset[str] | None) -> list[PSObject]:
    if known is not None and not isinstance(known, frozenset):
        known = frozenset(known)  # a set or list of names from a caller
    plain = _plain_scan(text, origin, known)
    if plain is not None:
        return plain
    return _general_scan(text, origin, known)


def _general_scan(text: str, origin: str, known: frozenset[str] | None) -> list[PSObject]:
    lines = prepare(text)
    # Where Format-Table underlines are: a table header can only sit a few lines above one.
    dash_rows = [
        n for n, ln in enumerate(lines) if "-" in ln.text and ln.text.lstrip(" \t")[:1] == "-" and is_dash_row(ln.text)
    ]
    next_dash = 0
    n_dash = len(dash_rows)
    n = len(lines)
    b = _Builder(origin, known)
    b.annotated = "\u2605" in text or "\u2606" in text or "\u203b" in text  # _MAY_ANNOTATE, by str search
    i = 0
    after_soft_blank = False
    known_names = b.known
    while i < n:
        line = lines[i]
        text_i = line.text
        if not text_i:
            if line.soft:
                after_soft_blank = True
            else:
                b.blank(line)
            i += 1
            continue
        boundary = b.key is None or bool(b.blanks) or after_soft_blank
        # command_of finds nothing in a line that neither starts with "PS" nor sits at a boundary
        is_cmd, cmd = command_of(text_i, at_boundary=boundary) if boundary or text_i.startswith("PS") else (False, None)
        after_soft_blank = False
        if is_cmd:
            b.flush()
            b.command = cmd
            i += 1
            while i < len(lines) and (more := _PROMPT_CONTINUATION.match(lines[i].text)):
                piece = (more.group("more") or "").strip()
                if piece:
                    b.command = f"{b.command} {piece}" if b.command else piece
                i += 1
            continue
        if text_i[0] in " \t":
            m = None
        else:
            # property_match, with its common case (a known property name) inline
            m = _PROPERTY.match(text_i)
            if m is not None and known_names is not None and m.group("key").lower() not in known_names:
                m = b.property_match(text_i)
            elif m is None and known_names is not None and ":" in text_i:
                m = b.tight_match(text_i)
        while next_dash < len(dash_rows) and dash_rows[next_dash] <= i:
            next_dash += 1
        near_dashes = next_dash < len(dash_rows) and dash_rows[next_dash] - i <= 8
        if m is None and near_dashes and (b.at_boundary or b._x509_state() is None):
            table = read_table(lines, i, origin, b.command)
            if table is not None and (b.at_boundary or not line.text[:1].isspace()):
                b.flush()
                objects, i = table
                b.objects.extend(objects)
                continue
        if m is not None:
            b.add_property(line, m)
            i += 1
            # The lines that continue this value (wrapped base64, a certificate block): indented,
            # not blank, no table underline within reach. For them the general path above finds
            # no command (a prompt or a bare command starts at column 0), no property (indented)
            # and no table, and add_other appends them: do just that, without the per-line tests.
            value_col = b.value_col
            append = b._append
            while i < n:
                cont = lines[i].text
                if not cont or cont[0] not in " \t":
                    break
                while next_dash < n_dash and dash_rows[next_dash] <= i:
                    next_dash += 1
                if next_dash < n_dash and dash_rows[next_dash] - i <= 8:
                    break
                lead = len(cont) - len(cont.lstrip(" "))
                append(cont[min(lead, value_col) :])
                i += 1
            continue
        b.add_other(line)
        i += 1
    b.flush()
    return b.objects


def parse_captures(text: str, origin: str, *, known: Iterable[str] | None = None) -> list[PSObject]:
    """Every object of a console capture, in order: Format-List objects (``form="list"``) and
    Format-Table rows (``form="table"``), each with the ``command`` captured before it.

    ``known``: property names that may start a line (e.g.
    :data:`fedaudit.parse.properties.ALL_KNOWN`); without it any ``Identifier : value`` line at
    column 0 does. Never raises for odd text: lines that fit nowhere are skipped.
    """
    return _scan(text, origin, None if known is None else frozenset(known))


def parse_format_list(text: str, origin: str, *, known: frozenset[str] | None = None) -> list[PSObject]:
    """The Format-List objects of ``text`` (``form="list"``); see the module docstring for the
    quirks handled. ``line`` is the 1-based line of each object's first property and
    ``lines`` the line of every property."""
    return [obj for obj in _scan(text, origin, known) if obj.form == FORM]


def parse_format_table(text: str, origin: str) -> list[PSObject]:
    """Every Format-Table row in ``text`` as a :class:`~fedaudit.records.PSObject` (``form="table"``).

    Property values are the cell texts (``""`` for an empty cell), keyed by the header names;
    ``command`` is the prompt line captured before the table. List output in the same capture
    is skipped (use :func:`parse_captures` for both).
    """
    return [obj for obj in parse_captures(text, origin) if obj.form == TABLE_FORM]
