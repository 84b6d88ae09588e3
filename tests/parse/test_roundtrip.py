"""Round trip: a minted certificate, rendered in every export form and encoding by
support.synth, read back through fedaudit.parse.read_export, keeps its thumbprint and validity.

Forms that carry the certificate bytes (CLIXML RawData, JSON RawData, base64 settings, Graph
JSON, metadata) must give the exact instants even when the exporting machine was not on UTC.
Console text carries only wall-clock time without an offset: fedaudit reads it as UTC, so the
writers print UTC here and the values agree to the second; a machine at UTC+2 shifts them by
exactly two hours (the last test), which is why certificate bytes win whenever present.
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedaudit.metadata import read_metadata
from fedaudit.parse import read_export
from support.synth import (
    WRITERS,
    AdfsCertificate,
    FederationProperty,
    FederationSettings,
    encode,
    federation_metadata,
    mint_certificate,
    private_key,
    with_prompt,
)

UTC = dt.timezone.utc
PLUS2 = dt.timedelta(hours=2)
MINUS7 = dt.timedelta(hours=-7)

Render = Callable[[AdfsCertificate, AdfsCertificate], bytes]


def _settings(ts: AdfsCertificate, nxt: AdfsCertificate) -> FederationSettings:
    return FederationSettings.for_adfs("example.org", "fs.example.org", ts.der, nxt.der, update_result="success",
                                       update_last_run=dt.datetime(2026, 11, 26, 3, 4, 5, 123456, tzinfo=UTC))


# name -> (render, culture passed to read_export, cmdlet the reader must recognise, carries bytes, has not_before)
FORMS: dict[str, tuple[Render, str | None, str, bool, bool]] = {
    # Format-List text in four cultures; UTF-16LE ('>' in 5.1), UTF-8, UTF-8 with BOM
    "fl-en-US-utf16": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "list"]([a, b]), "utf-16le-bom"), "en-US", "Get-AdfsCertificate", False, True),
    "fl-de-DE-utf16": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "list"]([a, b], culture="de-DE"), "utf-16le-bom"), None, "Get-AdfsCertificate", False, True),
    "fl-ja-JP-utf8": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "list"]([a, b], culture="ja-JP"), "utf-8"), None, "Get-AdfsCertificate", False, True),
    "fl-en-GB-utf8bom": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "list"]([a, b], culture="en-GB", trailing_space=False), "utf-8-bom"), "en-GB", "Get-AdfsCertificate", False, True),
    "fl-msol-property": (lambda a, b: encode(with_prompt(WRITERS["Get-MsolFederationProperty", "list"](
        [FederationProperty("ADFS Server", a.der, b.der), FederationProperty("Microsoft Office 365", a.der, b.der)],
        properties=("Source", "TokenSigningCertificate", "NextTokenSigningCertificate")),
        "Get-MsolFederationProperty -DomainName example.org | FL Source, TokenSigningCertificate, NextTokenSigningCertificate"), "utf-16le-bom"),
        "en-US", "Get-MsolFederationProperty", False, True),
    "ft-en-US": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "table"]([a, b]), "utf-16le-bom"), "en-US", "Get-AdfsCertificate", False, False),
    # structured forms: the bytes travel along
    "json51-single": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "json51"]([a], utc_offset=PLUS2), "utf-16le-bom"), None, "Get-AdfsCertificate", True, True),
    "json51-depth3": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "json51"]([a, b], depth=3), "utf-16le-bom"), None, "Get-AdfsCertificate", True, True),
    "json7": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "json7"]([a, b], depth=3, utc_offset=MINUS7), "utf-8"), None, "Get-AdfsCertificate", True, True),
    "clixml": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "clixml"]([a, b], culture="en-GB", utc_offset=PLUS2), "utf-16le-bom"), None, "Get-AdfsCertificate", True, True),
    "csv-type-ascii": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "csv"]([a, b]), "ascii"), "en-US", "Get-AdfsCertificate", False, True),
    "csv-semicolon-de-DE": (lambda a, b: encode(WRITERS["Get-AdfsCertificate", "csv"]([a, b], culture="de-DE", delimiter=";", type_information=False), "utf-8"), None, "Get-AdfsCertificate", False, True),
    "msol-settings-fl": (lambda a, b: encode(with_prompt(WRITERS["Get-MsolDomainFederationSettings", "list"]([_settings(a, b)]),
                                                         "Get-MsolDomainFederationSettings -DomainName example.org | Format-List *"), "utf-16le-bom"),
                         None, "Get-MsolDomainFederationSettings", True, True),
    "mg-federation-fl": (lambda a, b: encode(with_prompt(WRITERS["Get-MgDomainFederationConfiguration", "list"]([_settings(a, b)]),
                                                         "Get-MgDomainFederationConfiguration -DomainId example.org | Format-List"), "utf-8"),
                         None, "Get-MgDomainFederationConfiguration", True, True),
    "graph-single": (lambda a, b: encode(WRITERS["Get-MgDomainFederationConfiguration", "graph"]([_settings(a, b)]), "utf-8", newline="\n"),
                     None, "Graph internalDomainFederation", True, True),
    "graph-list-compact": (lambda a, b: encode(WRITERS["Get-MgDomainFederationConfiguration", "graph"]([_settings(a, b)], as_list=True, indent=False), "utf-8-bom"),
                           None, "Graph internalDomainFederation", True, True),
}

# Whole seconds (certificates carry no more), both UTCTime and GeneralizedTime years.
#: forms that render the first certificate only (one pipeline object: no array, depth 2 suffices)
SINGLE = {"json51-single"}

starts = st.datetimes(min_value=dt.datetime(1995, 1, 1), max_value=dt.datetime(2060, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.replace(microsecond=0)
)
lifetimes = st.integers(min_value=1, max_value=40 * 365)


def _pair(start: dt.datetime, days: int) -> tuple[AdfsCertificate, AdfsCertificate]:
    end = start + dt.timedelta(days=days, seconds=days * 37 % 86400)
    ts = mint_certificate("CN=ADFS Signing - fs.example.org", start, end)
    nxt = mint_certificate("CN=ADFS Signing - fs.example.org", end - dt.timedelta(days=1), end + dt.timedelta(days=365), key_slot=1)
    return AdfsCertificate(ts), AdfsCertificate(nxt, is_primary=False)


def _facts(der: bytes) -> tuple[dt.datetime, dt.datetime]:
    cert = x509.load_der_x509_certificate(der)
    return cert.not_valid_before_utc, cert.not_valid_after_utc


@pytest.mark.parametrize("form", sorted(FORMS))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(start=starts, days=lifetimes)
def test_every_form_keeps_thumbprint_and_validity(form, start, days):
    render, culture, cmdlet, carries_bytes, has_not_before = FORMS[form]
    first, second = _pair(start, days)
    result = read_export(render(first, second), f"{form}.txt", culture=culture)
    assert result.kind.startswith(cmdlet), result.kind
    assert [i for i in result.issues if i.severity != "info"] == []
    seen = {}
    for o in result.observations:
        seen.setdefault(o.certificate.thumbprint, o.certificate)
    for cert in (first,) if form in SINGLE else (first, second):
        got = seen[cert.thumbprint]
        not_before, not_after = _facts(cert.der)
        assert got.not_after == not_after
        if has_not_before:
            assert got.not_before == not_before
        assert got.text_derived is (not carries_bytes)


@settings(max_examples=10, deadline=None)
@given(start=starts, days=lifetimes)
def test_metadata_documents_keep_thumbprint_and_validity(start, days):
    ts, nxt = _pair(start, days)
    doc = federation_metadata("http://fs.example.org/adfs/services/trust", "fs.example.org", [ts.der, nxt.der], [],
                              key=private_key(2048, 0))
    (result,) = read_metadata([("FederationMetadata.xml", doc)], [])
    got = {o.certificate.thumbprint: o.certificate for o in result.observations}
    for cert in (ts, nxt):
        assert (got[cert.thumbprint].not_before, got[cert.thumbprint].not_after) == _facts(cert.der)
    assert result.metadata[0].signature == "valid"
    assert result.metadata[0].signer_thumbprint == ts.thumbprint


@pytest.mark.parametrize("culture", ["en-US", "de-DE", "ja-JP", "en-GB"])
def test_console_text_from_a_machine_off_utc_is_read_as_utc(culture):
    """Real consoles print local time without an offset: the reading is off by exactly that offset."""
    ts, nxt = _pair(dt.datetime(2026, 3, 9, 22, 30, 5, tzinfo=UTC), 365)
    text = WRITERS["Get-AdfsCertificate", "list"]([ts, nxt], culture=culture, utc_offset=PLUS2)
    result = read_export(encode(text, "utf-16le-bom"), "local-time.txt", culture=culture)
    got = {o.certificate.thumbprint: o.certificate for o in result.observations}
    not_before, not_after = _facts(ts.der)
    assert got[ts.thumbprint].not_before == not_before + PLUS2
    assert got[ts.thumbprint].not_after == not_after + PLUS2


def test_json51_default_depth_rawdata_string_is_read_as_bytes():
    ts, nxt = _pair(dt.datetime(2026, 2, 3, 4, 5, 6, tzinfo=UTC), 365)
    result = read_export(encode(WRITERS["Get-AdfsCertificate", "json51"]([ts, nxt]), "utf-16le-bom"), "default-depth.json")
    got = {o.certificate.thumbprint: o.certificate for o in result.observations}
    assert [i for i in result.issues if i.severity != "info"] == []
    assert got[ts.thumbprint].text_derived is False
    assert (got[ts.thumbprint].not_before, got[ts.thumbprint].not_after) == _facts(ts.der)
