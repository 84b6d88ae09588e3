"""The ``farm`` column of the certificates frame is the one answer: every AD FS certificate of the
demo estate has one, and the engine's view of which farm holds which certificate is read from
that column (a notebook scripting against the frame sees the farms the findings name)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pandas as pd
import pytest

import fedaudit
from fedaudit.parse.certs import certificate_from_der
from fedaudit.evidence.view import UNNAMED_FARM, view_of
from fedaudit.evidence.join import build_evidence
from fedaudit.records import AdfsFarm, CertificateObservation, ParseResult

SAMPLES = Path(__file__).parent.parent.parent / "data" / "samples"
UTC = dt.timezone.utc
PROSEWARE_DECRYPTING = "40B718E8DD70E7C0A3B6EFC0A7E6519AE391D8A9"


def _as_of() -> str:
    m = re.search(r"^As-of date: *([0-9-]{10})", (SAMPLES / "README.md").read_text(encoding="utf-8"), re.M)
    assert m, "data/samples/README.md has no 'As-of date:' line"
    return m.group(1)


@pytest.fixture(scope="module")
def result():
    if not (SAMPLES / "README.md").exists():
        pytest.skip("data/samples not generated")
    return fedaudit.audit(fedaudit.load(str(SAMPLES)), _as_of())


def _adfs(result) -> pd.DataFrame:
    certs = result.evidence.certificates
    return certs[certs["source"] == "adfs"]


def test_every_adfs_certificate_of_the_samples_has_a_farm(result):
    adfs = _adfs(result)
    assert len(adfs) > 20
    assert adfs["farm"].isna().sum() == 0, adfs[adfs["farm"].isna()][["origin", "role", "thumbprint"]].to_string()
    # Service-communications certificates included: CN=<federation service name> or their capture.
    ssl = adfs[adfs["role"] == "service-communications"]
    assert len(ssl) == 7
    contoso = ssl[ssl["subject"] == "CN=fs.contoso.com"]
    assert contoso["farm"].tolist() == ["fs.contoso.com"]


def test_proseware_decrypting_certificate_and_its_finding_agree(result):
    adfs = _adfs(result)
    row = adfs[adfs["thumbprint"] == PROSEWARE_DECRYPTING]
    assert row["farm"].tolist() == ["fs.proseware.com"]
    assert row["subject"].isna().all()  # Format-Table: thumbprint and dates only
    findings = result.findings
    hit = findings[findings["id"] == "expiry.token-decrypting-within-35-days"]
    about = hit[[any(e.get("value") == PROSEWARE_DECRYPTING for e in ev) for ev in hit["evidence"]]]
    assert about["farm"].tolist() == ["fs.proseware.com"]


def test_engine_view_places_certificates_where_the_frame_does(result):
    view = view_of(result.evidence)
    frame = {(r.thumbprint, r.role, r.slot): r.farm for r in _adfs(result).itertuples() if pd.isna(r.domain)}
    placed = 0
    for name, farm in view.farms.items():
        for role, slot, certs in (
            ("token-signing", "primary", farm.ts_primaries),
            ("token-signing", "secondary", farm.ts_secondaries),
            ("token-decrypting", "primary", farm.td_primaries),
            ("token-decrypting", "secondary", farm.td_secondaries),
        ):
            for c in certs:
                assert frame[(c.thumbprint, role, slot)] == name
                placed += 1
    assert placed == sum(1 for (_, role, _), _f in frame.items() if role != "service-communications")
    assert UNNAMED_FARM not in view.farms


def test_two_farms_and_an_unrelated_certificate_stay_apart():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    cert = certificate_from_der(mint_certificate("CN=www.example.net", start, start + dt.timedelta(days=365), key_slot=6))
    farms = tuple(
        AdfsFarm(origin="props.txt", host_name=h, identifier=f"http://{h}/adfs/services/trust") for h in ("fs.contoso.com", "sts.fabrikam.com")
    )
    ev = build_evidence(
        [
            ParseResult(origin="props.txt", kind="test", farms=farms),
            ParseResult(
                origin="certs.txt",
                kind="test",
                observations=(CertificateObservation(cert, "adfs", "certs.txt", role="token-signing", slot="primary"),),
            ),
        ]
    )
    assert ev.certificates["farm"].isna().tolist() == [True]
    # The engine adds no rule of its own: the certificate is reported under an unnamed farm,
    # not guessed into one of the two.
    view = view_of(ev)
    assert [c.thumbprint for c in view.farms[UNNAMED_FARM].ts_primaries] == [cert.thumbprint]
    assert not view.farms["fs.contoso.com"].ts_primaries and not view.farms["sts.fabrikam.com"].ts_primaries


def test_the_engine_reads_the_farm_column_and_guesses_nothing(result):
    # A notebook that clears a farm sees the engine follow the frame: the certificate is then
    # reported under an unnamed farm, not re-tied by a second rule set of the engine's own.
    import dataclasses

    certs = result.evidence.certificates.copy()
    certs.loc[certs["thumbprint"] == PROSEWARE_DECRYPTING, "farm"] = pd.NA
    edited = fedaudit.audit(dataclasses.replace(result.evidence, certificates=certs), result.as_of)
    hit = edited.findings[edited.findings["id"] == "expiry.token-decrypting-within-35-days"]
    about = hit[[any(e.get("value") == PROSEWARE_DECRYPTING for e in ev) for ev in hit["evidence"]]]
    assert about["farm"].tolist() == [UNNAMED_FARM]
