"""fedaudit.parse.textio: bytes of real exports to text (BOMs, UTF-16 without BOM, cp1252, ANSI)."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedaudit.errors import EncodingError, FedauditError
from fedaudit.parse.textio import decode, normalise_newlines, strip_ansi

TEXT = Path(__file__).parent.parent / "data" / "formats" / "text"
SAMPLE = (TEXT / "adfscertificate_jajp_signing_collapsed.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (codecs.BOM_UTF16_LE + SAMPLE.replace("\n", "\r\n").encode("utf-16-le"), "utf-16-le"),
        (codecs.BOM_UTF16_BE + SAMPLE.replace("\n", "\r\n").encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF8 + SAMPLE.replace("\n", "\r\n").encode("utf-8"), "utf-8-sig"),
        (SAMPLE.encode("utf-8"), "utf-8"),
        (SAMPLE.encode("utf-16-le"), "utf-16-le"),  # Out-File copied without its BOM
        (SAMPLE.encode("utf-16-be"), "utf-16-be"),
        (codecs.BOM_UTF32_LE + SAMPLE.encode("utf-32-le"), "utf-32-le"),
    ],
    ids=["utf16le-bom-crlf", "utf16be-bom", "utf8-bom", "utf8", "utf16le-nobom", "utf16be-nobom", "utf32le"],
)
def test_decode_real_sample_in_every_encoding(data: bytes, encoding: str) -> None:
    text, used = decode(data, "sample.txt")
    assert used == encoding
    assert text == SAMPLE
    assert "\r" not in text and "\ufeff" not in text
    assert "★<<<" in text  # the Japanese blog's annotations survive every Unicode encoding


def test_cp1252_fallback_for_ansi_set_content() -> None:
    # Set-Content in Windows PowerShell 5.1 writes the ANSI code page: é = 0xE9, € = 0x80.
    data = "DisplayName : Société Générale €\r\n".encode("cp1252")
    text, used = decode(data, "ansi.txt")
    assert used == "cp1252"
    assert text == "DisplayName : Société Générale €\n"


def test_binary_is_an_encoding_error() -> None:
    with pytest.raises(EncodingError) as info:
        decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "shot.png")
    assert "binary" in str(info.value) and "shot.png" in str(info.value)


def test_undefined_cp1252_bytes_are_an_encoding_error() -> None:
    with pytest.raises(EncodingError, match="neither UTF-8, UTF-16 nor cp1252"):
        decode(b"abc \x81\x8d\x8f\x90\x9d", "weird.txt")


def test_utf8_bom_with_broken_body_is_an_error_not_a_guess() -> None:
    with pytest.raises(EncodingError, match="utf-8"):
        decode(codecs.BOM_UTF8 + b"ok \xff\xfe bad", "broken.txt")


def test_truncated_utf16_drops_the_half_character() -> None:
    data = codecs.BOM_UTF16_LE + "Name : x\r\n".encode("utf-16-le") + b"N"
    assert decode(data, "cut.txt") == ("Name : x\n", "utf-16-le")


def test_lone_cr_and_crlf_become_lf() -> None:
    assert normalise_newlines("a\r\nb\rc\n") == "a\nb\nc\n"


def test_strip_ansi_removes_psstyle_label_accents() -> None:
    # PowerShell 7.2+ wraps Format-List labels in $PSStyle.Formatting.FormatAccent.
    line = "\x1b[32;1mThumbprint      : \x1b[0m5A4AE6D2F2164DDCAB1C156828F2594845533213"
    assert strip_ansi(line) == "Thumbprint      : 5A4AE6D2F2164DDCAB1C156828F2594845533213"
    assert strip_ansi("\x1b]0;Administrator: PowerShell\x07PS C:\\>") == "PS C:\\>"
    assert strip_ansi("\x1b[?25lx\x1b[2K\x1b[1;1H") == "x"
    assert strip_ansi("plain") == "plain"


def test_non_bytes_is_an_encoding_error() -> None:
    with pytest.raises(EncodingError):
        decode("already text", "x")  # type: ignore[arg-type]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=600))
def test_decode_arbitrary_bytes_returns_or_raises_encoding_error(data: bytes) -> None:
    try:
        text, encoding = decode(data, "fuzz")
    except FedauditError as exc:
        assert isinstance(exc, EncodingError)
        return
    assert isinstance(text, str) and "\r" not in text
    assert isinstance(encoding, str)


_PRINTED = st.text(
    alphabet=st.one_of(st.characters(blacklist_categories=("Cs", "Cc")), st.sampled_from("\r\n\t")),
    max_size=300,
)


@settings(max_examples=100, deadline=None)
@given(_PRINTED, st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_decode_round_trips_what_powershell_writes(text: str, codec: str) -> None:
    # PowerShell 7 writes UTF-8, Start-Transcript UTF-8 with BOM, 5.1 Out-File UTF-16LE + BOM.
    decoded, _ = decode(text.encode(codec), "rt")
    expected = text.lstrip("\ufeff") if codec == "utf-8" else text
    assert decoded == normalise_newlines(expected)
