"""Property tests: whatever the bytes, read_export returns a ParseResult and never raises.

Arbitrary bytes, and real samples mutated (bytes flipped, cut, spliced, re-encoded), go through
``read_export``; the only acceptable outcome is a ParseResult whose problems are LoadIssues. An
"internal error" issue (an exception the parsers did not anticipate) fails the test too.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedaudit.evidence.join import build_evidence
from fedaudit.parse import read_export
from fedaudit.records import ParseResult
from tests._structured_render import clixml_adfs_certificates, csv_adfs_certificates, graph_federation, json_adfs_certificates

DATA = Path(__file__).parent.parent / "data" / "formats"
SAMPLES = sorted(p.read_bytes() for p in (*(DATA / "text").iterdir(), *(DATA / "structured").iterdir()) if p.name != "SOURCES.md")


def _synthetic() -> list[bytes]:
    from support.synth import mint_certificate

    utc = dt.timezone.utc
    der = mint_certificate("CN=ADFS Signing - sts.contoso.com", dt.datetime(2026, 1, 1, tzinfo=utc), dt.datetime(2027, 1, 1, tzinfo=utc))
    items = [(der, "Token-Signing", True)]
    return [
        clixml_adfs_certificates(items).encode(),
        json_adfs_certificates(items, "5.1").encode(),
        json_adfs_certificates(items, "7").encode(),
        csv_adfs_certificates(items).encode(),
        graph_federation(der, der, context_domain="contoso.com").encode(),
    ]


CORPUS = SAMPLES + _synthetic()
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check(data: bytes, culture: str | None = None) -> None:
    result = read_export(data, "fuzz.txt", culture=culture)
    assert isinstance(result, ParseResult)
    for issue in result.issues:
        assert "internal error" not in issue.message, issue.message
        assert issue.origin == "fuzz.txt"
    build_evidence([result])  # the join accepts whatever a reader returned


@SETTINGS
@given(st.binary(max_size=2048))
def test_arbitrary_bytes(data):
    check(data)


@SETTINGS
@given(st.text(alphabet=st.sampled_from(list("{}[]<>\":,;= \n\t#PS>-.AIsTrue0123456789/\\_x")), max_size=400))
def test_arbitrary_structure_like_text(text):
    check(text.encode("utf-8"))


@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(CORPUS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "delete", "splice"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if kind == "flip":
            data[i] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[i:]
        elif kind == "insert":
            data[i:i] = draw(st.sampled_from([b"\x00", b"\n", b" : ", b'"', b"<", b"]]>", b"\xff\xfe", b"_x000D_", b"[Thumbprint]\n  ", b"\\/Date(", b"\r\n\r\n"]))
        elif kind == "delete":
            del data[i : i + draw(st.integers(1, 64))]
        else:
            other = draw(st.sampled_from(CORPUS))
            j = draw(st.integers(0, len(other)))
            data[i:] = other[j:]
    return bytes(data)


@SETTINGS
@given(mutated(), st.sampled_from([None, "en-US", "de-DE", "ja-JP", "en-GB"]))
def test_mutated_real_samples(data, culture):
    check(data, culture)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(CORPUS))
def test_samples_as_utf16_and_cp1252(data):
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    check(b"\xff\xfe" + text.encode("utf-16-le"))
    check(text.encode("cp1252", "replace"))
