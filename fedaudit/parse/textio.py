"""Bytes to text, the way PowerShell exports arrive (``about_Character_Encoding``, 5.1 and 7).

Windows PowerShell 5.1 writes ``>``/``Out-File``/``Export-Clixml`` as UTF-16LE with a BOM,
``Start-Transcript`` as UTF-8 with a BOM, ``Set-Content`` in the ANSI code page (cp1252 on
Western servers); PowerShell 7 writes UTF-8 without a BOM. Files copied between machines lose
or keep the BOM at random, so :func:`decode` sniffs in this order: BOM, the NUL-byte pattern of
BOM-less UTF-16, strict UTF-8, then cp1252. Line ends (CRLF, CR, LF) all become ``"\\n"``.

PowerShell 7.2+ hosts wrap Format-List labels in ``$PSStyle.Formatting.FormatAccent`` escapes
(``\\x1b[32;1m...\\x1b[0m``); :func:`strip_ansi` removes those and other terminal controls.
"""

from __future__ import annotations

import codecs
import contextlib
import re

from fedaudit.errors import EncodingError

__all__ = ["decode", "normalise_newlines", "strip_ansi"]

# ECMA-48 control sequences: CSI (ESC [ params intermediates final), OSC (ESC ] ... BEL or ST),
# and the two-byte escapes (ESC followed by one character in @-Z \ ] ^ _). The 8-bit CSI
# (U+009B) appears when a UTF-8 capture of a C1-aware terminal is read.
_ANSI = re.compile(
    r"""
    \x1b\[[0-?]*[ -/]*[@-~]           # CSI ... final byte  (colours: \x1b[32;1m)
  | \x9b[0-?]*[ -/]*[@-~]             # 8-bit CSI
  | \x1b\][^\x07\x1b]*(?:\x07|\x1b\\)  # OSC ... BEL | ST    (window titles, hyperlinks)
  | \x1b[@-Z\\^_]                     # two-byte escapes
  | \x1b\[[0-?]*$                     # a CSI cut off at the end of the text
    """,
    re.VERBOSE,
)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # FF FE 00 00 must be tested before FF FE
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def strip_ansi(text: str) -> str:
    """Remove ANSI/VT escape sequences (colours, cursor moves, OSC titles) from ``text``."""
    if "\x1b" not in text and "\x9b" not in text:
        return text
    return _ANSI.sub("", text)


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR become LF (Windows exports end lines with CRLF)."""
    if "\r" not in text:
        return text
    text = text.replace("\r\n", "\n")
    return text.replace("\r", "\n") if "\r" in text else text


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when the NUL bytes fall on one parity, else None.

    ASCII text in UTF-16LE has a NUL in every odd position; we look at the first 4 KiB and ask
    for NULs in at least 40% of the odd (or even) positions and almost none in the others.
    """
    sample = data[:4096]
    if len(sample) < 2:
        return None
    pairs = len(sample) // 2
    even_nuls = sample[0 : pairs * 2 : 2].count(0)
    odd_nuls = sample[1 : pairs * 2 : 2].count(0)
    if odd_nuls >= 0.4 * pairs and even_nuls <= 0.05 * pairs:
        return "utf-16-le"
    if even_nuls >= 0.4 * pairs and odd_nuls <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _decode_as(data: bytes, encoding: str, origin: str) -> str:
    width = 4 if encoding.startswith("utf-32") else 2 if encoding.startswith("utf-16") else 1
    if width > 1 and len(data) % width:
        # A file cut short mid-character (copied while still being written): drop the stub.
        data = data[: len(data) - len(data) % width]
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"not valid {encoding}: {exc.reason} at byte {exc.start}",
            origin=origin,
            value=data[max(0, exc.start - 8) : exc.start + 8],
        ) from None


def decode(data: bytes, origin: str) -> tuple[str, str]:
    """Return ``(text, encoding)`` for the bytes of an export.

    ``text`` has no BOM and ``"\\n"`` line ends; ``encoding`` is the Python codec name used
    (``utf-8-sig``, ``utf-16-le``, ``utf-16-be``, ``utf-8``, ``cp1252``, ...). Raises
    :class:`~fedaudit.errors.EncodingError` only when nothing fits: a broken UTF-16/UTF-8
    file that announced itself with a BOM, or binary data (NUL bytes outside UTF-16).
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise EncodingError(f"expected bytes, got {type(data).__name__}", origin=origin)
    data = bytes(data)
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            text = _decode_as(data[len(bom) :], encoding.replace("-sig", ""), origin)
            return normalise_newlines(text), encoding
    utf16 = _utf16_without_bom(data)
    if utf16 is not None:
        return normalise_newlines(_decode_as(data, utf16, origin)), utf16
    if b"\x00" in data:
        at = data.index(b"\x00")
        raise EncodingError(
            f"binary data, not text (NUL byte at offset {at} without the UTF-16 pattern)",
            origin=origin,
            value=data[max(0, at - 8) : at + 8],
        )
    with contextlib.suppress(UnicodeDecodeError):  # not UTF-8: try the ANSI code page next
        return normalise_newlines(data.decode("utf-8")), "utf-8"
    try:
        return normalise_newlines(data.decode("cp1252")), "cp1252"
    except UnicodeDecodeError as exc:
        # cp1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined: a file with those bytes is
        # neither UTF-8 nor Western ANSI (perhaps cp932 from a Japanese server).
        raise EncodingError(
            f"neither UTF-8, UTF-16 nor cp1252 (byte 0x{data[exc.start]:02X} at offset {exc.start}); "
            "re-save the export as UTF-8",
            origin=origin,
            value=data[max(0, exc.start - 8) : exc.start + 8],
        ) from None
