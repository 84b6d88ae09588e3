"""Certificates never abort a load (issue 12, item 3).

Real estates hold certificates valid until 9999-12-31 (nanosecond frames end in 2262), certificates
whose subject or issuer ``cryptography`` rejects (a T.61 string with a lone 0xC3 byte, as in a real
eduID aggregate where one KeyDescriptor among 61 has it) and certificates of a key type
``cryptography`` does not know. Each is audited with what can be read, and what cannot is a load
issue naming the file, line and field; the rest of the document and of the estate loads.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from support._pswrite import WRITERS, AdfsCertificate
from support.synth import mint_certificate, private_key_pem

import fedaudit
from fedaudit.engine import audit
from fedaudit.frames import SCHEMAS, make_frame, utc_column
from fedaudit.frames import UTC as UTC_DTYPE
from fedaudit.metadata import read_metadata, verify_metadata
from fedaudit.ops import history
from fedaudit.parse.certs import certificate_from_der

UTC = dt.timezone.utc
FOREVER = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
AS_OF = dt.datetime(2026, 11, 1, tzinfo=UTC)
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
#: The stateOrProvinceName value of the eduID aggregate's bad certificate: T61String, 2 bytes, C3 20.
BAD_T61 = b"\x14\x02\xc3 "
RSA_OID = bytes.fromhex("06092a864886f70d010101")


def minted(subject: str, slot: int, not_after: dt.datetime = dt.datetime(2027, 6, 1, tzinfo=UTC)) -> bytes:
    return mint_certificate(subject, dt.datetime(2025, 1, 1, tzinfo=UTC), not_after, key_slot=slot)


def bad_subject_der(slot: int = 61) -> bytes:
    der = mint_certificate("C=HU,ST=Pe,CN=mobil.example", dt.datetime(2025, 1, 1, tzinfo=UTC),
                           dt.datetime(2031, 5, 19, tzinfo=UTC), key_slot=slot)
    assert der.count(b"\x0c\x02Pe") == 2  # subject and issuer (self-signed)
    return der.replace(b"\x0c\x02Pe", BAD_T61)


def unknown_key_der(slot: int = 62) -> bytes:
    der = minted("CN=ADFS Signing - fs.oddkey.example", slot)
    assert der.count(RSA_OID) == 1
    return der.replace(RSA_OID, bytes.fromhex("06092a864886f70d010163"))


def pem(der: bytes) -> str:
    return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()


def adfs_export(tmp_path: Path, *ders: bytes, name: str = "adfs-certificates.json") -> Path:
    path = tmp_path / name
    path.write_text(WRITERS[("Get-AdfsCertificate", "json7")]([AdfsCertificate(d) for d in ders]), encoding="utf-8")
    return path


# -- year 9999 -----------------------------------------------------------------------------------

def test_frames_hold_microseconds_up_to_year_9999():
    assert all(dtype == UTC_DTYPE for schema in SCHEMAS.values() for dtype in schema.values() if "datetime" in str(dtype))
    assert UTC_DTYPE == "datetime64[us, UTC]"
    frame = make_frame("certificates", [{"thumbprint": "A" * 40, "not_after": FOREVER}, {"thumbprint": "B" * 40}])
    assert str(frame["not_after"].dtype) == "datetime64[us, UTC]"
    assert frame["not_after"].iloc[0] == pd.Timestamp(FOREVER)
    assert frame["not_after"].isna().tolist() == [False, True]
    # ISO strings (history rows) and the exact per-value path give the same column.
    assert utc_column(["9999-12-31T23:59:59+00:00", None]).tolist() == [pd.Timestamp(FOREVER), pd.NaT]


def test_a_certificate_valid_until_9999_is_loaded_audited_listed_and_recorded(tmp_path):
    der = minted("CN=ADFS Signing - fs.forever.example", 63, FOREVER)
    adfs_export(tmp_path, der)
    evidence = fedaudit.load(tmp_path)
    [row] = evidence.certificates.to_dict("records")
    assert row["not_after"] == pd.Timestamp(FOREVER)
    result = audit(evidence, AS_OF)
    verdicts = result.verdicts
    assert len(verdicts) == 1 and int(verdicts["days_left"].iloc[0]) - (FOREVER - AS_OF).days in (0, 1)
    db = tmp_path / "history.sqlite"
    run_id = history.begin_run(db, "forever", as_of=AS_OF, started=AS_OF)
    history.complete_run(db, run_id, result, finished=AS_OF + dt.timedelta(minutes=1))
    snap = history.stored_snapshot(db, run_id)
    stored = [v for frame in vars(snap).values() if isinstance(frame, pd.DataFrame) and "not_after" in frame.columns
              for v in frame["not_after"].dropna().tolist()]
    assert pd.Timestamp(FOREVER) in stored


@pytest.mark.parametrize("command", ["check", "inventory"])
def test_cli_lists_a_9999_certificate(tmp_path, command):
    import subprocess
    import sys

    der = minted("CN=ADFS Signing - fs.forever.example", 63, FOREVER)
    adfs_export(tmp_path, der)
    out = subprocess.run([sys.executable, "-m", "fedaudit", command, str(tmp_path), "--format", "json",
                          "--as-of", "2026-11-01"] if command == "check" else
                         [sys.executable, "-m", "fedaudit", command, str(tmp_path), "--format", "json"],
                         capture_output=True, text=True, check=False, timeout=120)
    assert out.returncode in (0, 1), out.stderr
    assert "Traceback" not in out.stderr
    assert "9999-12-31T23:59:59+00:00" in out.stdout
    json.loads(out.stdout)


def test_timeline_plot_takes_a_9999_certificate(tmp_path):
    from fedaudit.reporting import plots

    adfs_export(tmp_path, minted("CN=ADFS Signing - fs.forever.example", 63, FOREVER),
                minted("CN=ADFS Signing - fs.forever.example", 64))
    result = audit(fedaudit.load(tmp_path), AS_OF)
    assert plots.figure_png(plots.timeline_figure(result)).startswith(b"\x89PNG")
    assert plots.figure_png(plots.days_to_expiry_figure(result)).startswith(b"\x89PNG")


# -- fields cryptography rejects -----------------------------------------------------------------

def test_subject_cryptography_rejects_keeps_the_rest_of_the_certificate():
    cert = certificate_from_der(bad_subject_der())
    assert cert.subject is None and cert.issuer is None and cert.self_signed is None
    assert cert.not_after == dt.datetime(2031, 5, 19, tzinfo=UTC) and cert.key_type == "RSA"
    assert [p.split(":")[0] for p in cert.problems] == ["subject", "issuer"]


def test_unknown_key_type_keeps_the_rest_of_the_certificate():
    cert = certificate_from_der(unknown_key_der())
    assert cert.key_type is None and cert.key_size is None
    assert cert.subject == "CN=ADFS Signing - fs.oddkey.example"
    assert cert.problems and cert.problems[0].startswith("public key: not readable (Unknown key type")


def test_adfs_export_with_odd_certificates_loads_with_load_issues(tmp_path):
    import hashlib

    good = minted("CN=ADFS Signing - fs.contoso.example", 65)
    # Written by hand: the sample writers (like PowerShell's printer) need the fields we test.
    objects = [
        {"Certificate": {"RawData": base64.b64encode(d).decode()}, "CertificateType": "Token-Signing",
         "IsPrimary": primary, "StoreLocation": 1, "StoreName": 5, "Thumbprint": hashlib.sha1(d).hexdigest().upper()}
        for d, primary in ((bad_subject_der(), False), (unknown_key_der(), False), (good, True))
    ]
    path = tmp_path / "adfs-certificates.json"
    path.write_text(json.dumps(objects, indent=2), encoding="utf-8")
    evidence = fedaudit.load(tmp_path)
    assert len(evidence.certificates) == 3
    issues = evidence.issues[evidence.issues["message"].str.contains("not readable")]
    assert set(issues["origin"]) == {str(path)}
    assert set(issues["field"].dropna()) and issues["line"].notna().all()
    messages = " | ".join(issues["message"])
    assert "subject: not readable" in messages and "issuer: not readable" in messages
    assert "public key: not readable" in messages


def _signed_aggregate(*key_ders: bytes, signer_slot: int = 66) -> tuple[bytes, bytes]:
    """An EntitiesDescriptor of one entity per certificate, signed by a minted key."""
    from signxml import CanonicalizationMethod, XMLSigner

    signer = minted("CN=Federation Metadata Signer", signer_slot)
    entities = "".join(
        f'<md:EntityDescriptor entityID="https://idp{i}.example/idp"><md:IDPSSODescriptor '
        'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
        f'<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{base64.b64encode(d).decode()}'
        '</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>'
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="https://idp{i}.example/sso"/></md:IDPSSODescriptor></md:EntityDescriptor>\n'
        for i, d in enumerate(key_ders)
    )
    xml = f'<md:EntitiesDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" ID="_agg" Name="urn:test">\n{entities}</md:EntitiesDescriptor>'
    tree = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0).sign(
        etree.fromstring(xml.encode()), key=private_key_pem(2048, signer_slot), cert=pem(signer))
    return etree.tostring(tree), signer


def test_aggregate_with_one_bad_key_descriptor_loads_and_verifies(tmp_path):
    keys = [minted(f"CN=idp{i}.example", 70 + i) for i in range(4)]
    keys.insert(2, bad_subject_der())
    data, _signer = _signed_aggregate(*keys)
    verdict = verify_metadata(data, "agg.xml")
    assert verdict.status == "valid"
    (tmp_path / "agg.xml").write_bytes(data)
    evidence = fedaudit.load(tmp_path)
    assert set(evidence.metadata["signature"]) == {"valid"} and len(evidence.metadata) == 5
    meta = evidence.certificates[evidence.certificates["source"] == "metadata"]
    assert len(meta) == 5 and meta["subject"].isna().sum() == 1
    issues = evidence.issues[evidence.issues["message"].str.contains("subject: not readable")]
    [issue] = issues.to_dict("records")
    assert issue["origin"] == str(tmp_path / "agg.xml") and issue["field"] == "KeyDescriptor/X509Certificate"
    line = data.decode().splitlines()[int(issue["line"]) - 1]
    assert "idp2.example" in line  # the line of the bad KeyDescriptor's entity
    [result] = read_metadata([("agg.xml", data)], [])
    assert len(result.observations) == 5
