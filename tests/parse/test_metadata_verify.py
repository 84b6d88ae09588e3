"""Signature verification (signxml) over the real corpus and over documents we sign ourselves.

SOURCES.md says which corpus documents verify as-is; SIGNERS below are the thumbprints of the
certificate that signed each, computed with ``openssl x509 -fingerprint -sha1`` from the
``ds:Signature/ds:KeyInfo`` certificate.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from fedaudit.metadata import read_metadata, verify_metadata
from support.synth import mint_certificate, private_key_pem
from test_metadata_parse import SOURCES

DATA = Path(__file__).parent.parent / "data" / "metadata"
UTC = dt.timezone.utc

SIGNERS = {
    "adfs-adityabirla.xml": "6B6528CC3B183A63789F0019AB9D978C0FEF8CD7",
    "adfs-bowdoin.xml": "0DAF2C80499A5A1EBE6F7D87903C664F3F072A5D",
    "adfs-bpce-ca-issued-cert.xml": "76BB4E7645CFEFF10280D31982D92564E4CCDDAA",
    "adfs-dtu.xml": "688D36670A35E988128DFCC7DE99431D80FC8B0B",
    "adfs-ec2amaz-a60dqep.xml": "40933D9B6350774512FB47B022CFADB1CC2B547F",
    "adfs-maybank.xml": "867F81B5DC18B39AA77E9F690826F370E45CC59D",
    "adfs-melco.xml": "C2067C7D2E82AD0F67DE286E7104ABC1E9DB14CB",
    "adfs-pilotflyingj-100yr-cert.xml": "F94656CD6524D33A5268EFED6DA0689CB077C956",
    "adfs-ucar.xml": "2CA67C00EBD5D4E5000AC5A814C829222FB776B6",
    "adfs20-broadsoft.xml": "8C2F75CE61C705F61A0D286445D1AFC5F7AE94C3",
    "adfs20-msidlab7.xml": "28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708",
    "adfs2012r2-msidlab2.xml": "8C3B60F1C93FA3E52AFD41885E7B6C6C4A61C65A",
    "adfs2016-msidlab11.xml": "D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB",
    "agg-swamid-1.0.xml": "1260D7096AD9C143AD3188143CA8C4B7338A4FCB",
    "agg-wayf-edugain.xml": "3888D7EC1BB4F059CBB7FE98102D343430C0C0D4",
    "entra-app-61318f71.xml": "C147B5D6E9F6E44927F114B4D17C18674130007F",
    "entra-app-81c1df79-2certs.xml": "9B6A4331329E0D853B20BD364CD7131D3652942F",
    "entra-app-caa69cfe.xml": "1BC4115475FA18C89AECFA8D7138580250769D21",
    "entra-common-4certs.xml": "B0CD7FC80C55F06578C8DF81EA3DB1CE68A4E40A",
    "entra-common-6certs-older.xml": "B0CD7FC80C55F06578C8DF81EA3DB1CE68A4E40A",
    "entra-tenant-8b966979.xml": "FD482A5C6FED30B76E489D53F1C687C54EDC3AD7",
    "microsoftonline-urn-federation-MicrosoftOnline.xml": "791BC6AD9893AA570DF03452B4F8069C8A743C29",
    "okta-wsfed-dev-11721018-signed.xml": "306BD73C9A134B894E25521EFBBD5547D6AE6EDD",
    "shibboleth-umich-signed.xml": "9DE5D7E4C225A654149CC6EE84D3596B366CEEAF",
}

VALID = sorted(n for n, f in SOURCES.items() if f.get("Validates as-is", "").startswith("**VALID"))
INVALID = sorted(n for n, f in SOURCES.items() if f.get("Validates as-is", "").startswith("**INVALID"))
UNSIGNED = sorted(n for n, f in SOURCES.items() if f.get("ds:Signature") == "no")


def test_corpus_partition():
    assert sorted(SIGNERS) == VALID and len(VALID) == 24
    assert len(INVALID) == 6 and len(UNSIGNED) == 12  # + skolfederation (error) + truncated = 44


@pytest.mark.parametrize("name", VALID)
def test_intact_signed_documents_verify(name):
    facts = SOURCES[name]
    verdict = verify_metadata((DATA / name).read_bytes(), name)
    assert verdict.status == "valid", verdict.error
    assert verdict.signer_thumbprint == SIGNERS[name]
    expected_source = "KeyInfo" if "(ds:KeyInfo cert" in facts["Validates as-is"] else "KeyDescriptor"
    assert verdict.signer_source == expected_source
    algorithm = facts["ds:Signature"].split(", ")[1]
    assert verdict.signature_algorithm == algorithm
    assert verdict.digest_algorithm == ("sha1" if algorithm == "rsa-sha1" else "sha256")
    assert verdict.weak_algorithm is (algorithm == "rsa-sha1")
    # expired signers still verify; the expiry is a fact of its own
    assert verdict.signer_not_after.date().isoformat() == facts["Signature KeyInfo cert"].rsplit(" → ", 1)[1]
    assert verdict.error is None


def tamper(data: bytes) -> bytes:
    """Change one letter of the first entityID (inside the signed content)."""
    at = data.index(b'entityID="') + len(b'entityID="') + 8
    while not chr(data[at]).isalpha():
        at += 1
    new = b"q" if data[at : at + 1] != b"q" else b"z"
    return data[:at] + new + data[at + 1 :]


@pytest.mark.parametrize("name", VALID)
def test_one_character_change_makes_it_invalid(name):
    original = (DATA / name).read_bytes()
    changed = tamper(original)
    assert len(changed) == len(original) and sum(a != b for a, b in zip(original, changed)) == 1
    verdict = verify_metadata(changed, name)
    assert verdict.status == "invalid"
    assert verdict.signer is None and verdict.signer_thumbprint is None
    assert verdict.error.startswith("digest mismatch: content changed after signing")
    assert SIGNERS[name] in verdict.error  # SignedInfo still verifies with the real signer


NEGATIVE_REASONS = {
    "InvalidSignature": "signature verification failed with all",
    "InvalidDigest": "digest mismatch: content changed after signing",
    "DocumentInvalid": "malformed signature: Element '{http://www.w3.org/2000/09/xmldsig#}Transforms'",
}


@pytest.mark.parametrize("name", INVALID)
def test_altered_documents_are_invalid(name):
    reason = re.match(r"\*\*INVALID — (\w+):", SOURCES[name]["Validates as-is"]).group(1)
    verdict = verify_metadata((DATA / name).read_bytes(), name)
    assert verdict.status == "invalid"
    assert verdict.error.startswith(NEGATIVE_REASONS[reason])
    assert verdict.signer is None


def test_signature_without_key_info_and_foreign_signer_is_an_error():
    assert SOURCES["agg-skolfederation.xml"]["Validates as-is"].startswith("**NOT VERIFIABLE")
    verdict = verify_metadata((DATA / "agg-skolfederation.xml").read_bytes(), "skol")
    assert verdict.status == "error"
    assert "the signer is not in the document" in verdict.error
    assert verdict.signature_algorithm == "rsa-sha256"


@pytest.mark.parametrize("name", UNSIGNED)
def test_unsigned_documents_are_absent(name):
    verdict = verify_metadata((DATA / name).read_bytes(), name)
    assert (verdict.status, verdict.error, verdict.signature_algorithm) == ("absent", None, None)


def test_read_metadata_authenticates_only_a_valid_signature_by_a_pinned_signer():
    names = ["adfs20-msidlab7.xml", "NEG-adfs-unilever-entityid-edited.xml", "okta-saml-perconastage.xml"]
    docs = [(n, (DATA / n).read_bytes()) for n in names]
    # Valid by its own embedded key alone: integrity, not trust.
    alone = {r.origin: r for r in read_metadata(docs, [])}["adfs20-msidlab7.xml"]
    assert {(o.hints["signature"], o.hints["signed_by"], o.hints["authenticated"]) for o in alone.observations} == {
        ("valid", SIGNERS["adfs20-msidlab7.xml"], "false")}
    [signer] = [o.certificate for o in alone.observations if o.role == "token-signing"]
    results = read_metadata(docs, [], trusted=[signer])
    by_name = {r.origin: r for r in results}
    good = by_name["adfs20-msidlab7.xml"]
    [record] = good.metadata
    assert (record.signature, record.signer_thumbprint, record.error) == ("valid", SIGNERS["adfs20-msidlab7.xml"], None)
    assert record.signer_not_after == dt.datetime(2017, 12, 3, 2, 36, 10, tzinfo=UTC)
    assert record.entity_id == "http://fs.msidlab7.com/adfs/services/trust"
    assert record.hosts == ("fs.msidlab7.com",)
    assert {(o.role, o.certificate.thumbprint, o.hints["authenticated"]) for o in good.observations} == {
        ("token-signing", "28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708", "true"),
        ("token-decrypting", "7C72CBF56255A068C51DCA32D2CBD90D89ACB009", "true"),
    }
    for obs in good.observations:
        assert obs.source == "metadata" and obs.slot is None
        assert obs.hints["entity_id"] == "http://fs.msidlab7.com/adfs/services/trust"
        assert obs.hints["hosts"] == "fs.msidlab7.com"
    bad = by_name["NEG-adfs-unilever-entityid-edited.xml"]
    assert bad.metadata[0].signature == "invalid"
    assert bad.metadata[0].error.startswith("signature invalid: signature verification failed")
    assert {o.hints["authenticated"] for o in bad.observations} == {"false"}
    assert all("signed_by" not in o.hints for o in bad.observations)
    unsigned = by_name["okta-saml-perconastage.xml"]
    assert unsigned.metadata[0].signature == "absent"
    assert {o.hints["authenticated"] for o in unsigned.observations} == {"false"}


def test_aggregate_signature_covers_every_entity():
    [result] = read_metadata([("swamid", (DATA / "agg-swamid-1.0.xml").read_bytes())], [])
    assert len(result.metadata) == 175
    assert {(m.signature, m.signer_thumbprint, m.signature_algorithm) for m in result.metadata} == {
        ("valid", SIGNERS["agg-swamid-1.0.xml"], "rsa-sha1")}
    assert {(o.hints["signed_by"], o.hints["authenticated"]) for o in result.observations} == {
        (SIGNERS["agg-swamid-1.0.xml"], "false")}


# -- documents we sign ourselves --------------------------------------------------------------

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


def minted(subject: str, slot: int, *, expired: bool = False) -> tuple[bytes, str]:
    """(key PEM, certificate PEM) of a real minted certificate."""
    start = dt.datetime(2015, 1, 1, tzinfo=UTC) if expired else dt.datetime(2025, 1, 1, tzinfo=UTC)
    der = mint_certificate(subject, start, start + dt.timedelta(days=365), key_slot=slot)
    pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
    return private_key_pem(2048, slot), pem


def b64(cert_pem: str) -> str:
    return "".join(cert_pem.strip().splitlines()[1:-1])


def entity_xml(entity_id: str, cert_pem: str, *, xml_id: str = "_legit", host: str = "fs.victim.example") -> str:
    return (
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}" ID="{xml_id}" entityID="{entity_id}">'
        '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">'
        f'<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64(cert_pem)}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
        f'Location="https://{host}/adfs/ls/"/></md:IDPSSODescriptor></md:EntityDescriptor>'
    )


def sign(xml: str, key_pem: bytes, cert_pem: str, **kwargs) -> bytes:
    from signxml import CanonicalizationMethod, XMLSigner

    signer = XMLSigner(c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0, **kwargs)
    return etree.tostring(signer.sign(etree.fromstring(xml.encode()), key=key_pem, cert=cert_pem))


def thumb(cert_pem: str) -> str:
    import hashlib

    der = x509.load_pem_x509_certificate(cert_pem.encode()).public_bytes(serialization.Encoding.DER)
    return hashlib.sha1(der).hexdigest().upper()


def test_expired_signer_still_verifies():
    key, cert = minted("ADFS Signing - fs.victim.example", 31, expired=True)
    signed = sign(entity_xml("http://fs.victim.example/adfs/services/trust", cert), key, cert)
    verdict = verify_metadata(signed, "minted.xml")
    assert verdict.status == "valid" and verdict.signer_thumbprint == thumb(cert)
    assert verdict.signer_not_after == dt.datetime(2016, 1, 1, tzinfo=UTC)
    assert verdict.reference_uri == "#_legit"


def test_signer_outside_the_document_needs_trust():
    fed_key, fed_cert = minted("Federation Metadata Signer", 32)
    _, idp_cert = minted("ADFS Signing - fs.victim.example", 33)
    signed = sign(entity_xml("http://fs.victim.example/adfs/services/trust", idp_cert), fed_key, fed_cert)
    no_key_info = re.sub(rb"<ds:KeyInfo><ds:X509Data><ds:X509Certificate>[^<]+</ds:X509Certificate>"
                         rb"</ds:X509Data></ds:KeyInfo></ds:Signature>", b"</ds:Signature>", signed)
    assert no_key_info != signed
    assert verify_metadata(no_key_info, "x").status == "error"
    from fedaudit.parse.certs import certificate_from_pem

    trusted = certificate_from_pem(fed_cert)
    verdict = verify_metadata(no_key_info, "x", trusted=trusted)
    assert (verdict.status, verdict.signer_source, verdict.signer_thumbprint) == ("valid", "trusted", thumb(fed_cert))


@pytest.mark.parametrize(
    ("algorithm", "fragment"),
    [
        ("http://www.w3.org/2001/04/xmldsig-more#hmac-sha256", "forbidden by configuration"),
        ("http://example.com/made-up#rsa-sha1024", "Unrecognized SignatureMethod"),
    ],
)
def test_unusable_algorithms_are_errors(algorithm, fragment):
    key, cert = minted("ADFS Signing - fs.victim.example", 34)
    signed = sign(entity_xml("urn:x", cert), key, cert).replace(
        b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", algorithm.encode())
    verdict = verify_metadata(signed, "x")
    assert verdict.status == "error" and fragment in verdict.error


def test_two_signatures_on_the_root_are_invalid():
    key, cert = minted("ADFS Signing - fs.victim.example", 35)
    signed = sign(entity_xml("urn:x", cert), key, cert)
    sig = re.search(rb"<ds:Signature.*</ds:Signature>", signed, re.S).group(0)
    doubled = signed.replace(b"</md:EntityDescriptor>", sig + b"</md:EntityDescriptor>")
    verdict = verify_metadata(doubled, "x")
    assert verdict.status == "invalid" and verdict.error.startswith("2 ds:Signature elements on the document root")


def test_reference_to_nothing_in_particular_is_invalid():
    key, cert = minted("ADFS Signing - fs.victim.example", 36)
    signed = sign(entity_xml("urn:x", cert), key, cert).replace(b'URI="#_legit"', b'URI="#_other"')
    verdict = verify_metadata(signed, "x")
    assert verdict.status == "invalid" and "signature wrapping" in verdict.error
