"""Signature interop and trust (issue 12, item 6).

* Other projects' XML-DSig/SAML vectors (``../shared/reference/peer-xmldsig``, read in place,
  never copied): ``check.py`` must report 76/76 agree, 0 forgeries, 0 crashes.
* Comments are not signed content of a same-document reference (XML-DSig 1.1 section 4.4.3.3).
* A whole-document signature below the root verifies; a signature over an inner element only is
  reported as an unsupported placement, not as wrapping.
* ``authenticated`` means: a valid signature by a certificate the evidence trusts independently
  (AD FS primary/secondary, Entra current/next, or ``--trust-cert``). A document that verifies
  with its own embedded key alone is ``signature: valid``, ``authenticated: false``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree
from support.synth import mint_certificate, private_key_pem

import fedaudit
from fedaudit.evidence.join import build_evidence
from fedaudit.metadata import read_metadata, verify_metadata
from fedaudit.records import CertificateObservation, ParseResult

UTC = dt.timezone.utc
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
ENTITY = "http://fs.interop.example/adfs/services/trust"
ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT.parent / "shared" / "reference" / "peer-xmldsig"


def minted(subject: str, slot: int) -> tuple[bytes, str, bytes]:
    der = mint_certificate(subject, dt.datetime(2025, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC), key_slot=slot)
    cert_pem = x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode()
    return private_key_pem(2048, slot), cert_pem, der


def thumb(der: bytes) -> str:
    return hashlib.sha1(der).hexdigest().upper()


def entity_xml(cert_pem: str, *, sp: bool = False, xml_id: str | None = "_interop") -> str:
    b64 = "".join(cert_pem.strip().splitlines()[1:-1])
    role = "SPSSODescriptor" if sp else "IDPSSODescriptor"
    id_attr = f' ID="{xml_id}"' if xml_id else ""
    service = ('<md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" '
               'Location="https://fs.interop.example/acs" index="0"/>' if sp else
               '<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
               'Location="https://fs.interop.example/adfs/ls/"/>')
    return (
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="{DS}"{id_attr} entityID="{ENTITY}">\n'
        f'  <md:{role} protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">\n'
        f'    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}'
        "</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>\n"
        f"    {service}\n"
        f"  </md:{role}>\n"
        "</md:EntityDescriptor>"
    )


def sign(xml: str, key: bytes, cert_pem: str, reference_uri: str | None = None, *, with_comments: bool = False) -> bytes:
    """Enveloped signature; signxml references ``#<ID>`` of the signed element, ``URI=""`` when
    it has no ID. ``with_comments``: the ``xml-exc-c14n#WithComments`` transform (pyFF, SWITCH)."""
    from signxml import CanonicalizationMethod, XMLSigner

    method = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0
    if with_comments:
        method = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0_WITH_COMMENTS
    signer = XMLSigner(c14n_algorithm=method)
    kwargs = {"reference_uri": reference_uri} if reference_uri else {}
    signed = etree.tostring(signer.sign(etree.fromstring(xml.encode()), key=key, cert=cert_pem, **kwargs))
    if reference_uri == "":
        assert b'URI=""' in signed
    return signed


KEY, CERT, DER = minted("CN=ADFS Signing - fs.interop.example", 81)


# -- the peer suite --------------------------------------------------------------------------------

def test_peer_xmldsig_suite_agrees_on_every_vector():
    check = PEER / "check.py"
    if not check.is_file():
        pytest.skip(f"peer-xmldsig vectors not present at {PEER} (CI has ../shared; they are never copied here)")
    out = subprocess.run([sys.executable, str(check), sys.executable], capture_output=True, text=True, check=False, timeout=600)
    summary = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else out.stderr[-500:]
    match = re.match(r"peer-xmldsig: (\d+)/(\d+) agree; (\d+) forgeries accepted; (\d+) crashes", summary)
    assert match, summary
    agree, total, forgeries, crashes = map(int, match.groups())
    disagreements = [line for line in out.stdout.splitlines() if line.startswith("DISAGREE")]
    assert (agree, total, forgeries, crashes) == (76, 76, 0, 0), "\n".join(disagreements)
    assert out.returncode == 0


# -- comments --------------------------------------------------------------------------------------

@pytest.mark.parametrize("uri", ["", "#_interop"])
def test_comments_are_not_signed_content_of_a_same_document_reference(uri):
    signed = sign(entity_xml(CERT, xml_id=uri[1:] or None), KEY, CERT, reference_uri=uri, with_comments=True)
    assert b"WithComments" in signed
    commented = signed.replace(b"<md:KeyDescriptor", b"<!-- exported by pyFF --><md:KeyDescriptor", 1)
    assert commented != signed
    verdict = verify_metadata(commented, "commented.xml")
    assert verdict.status == "valid" and verdict.signer_thumbprint == thumb(DER), verdict.error
    # Text next to a comment is content: moving it still breaks the digest.
    edited = signed.replace(b"</md:KeyDescriptor>", b"</md:KeyDescriptor><!-- x -->.", 1)
    assert verify_metadata(edited, "edited.xml").status == "invalid"


# -- placement -------------------------------------------------------------------------------------

def _move_signature_into_role(data: bytes) -> bytes:
    root = etree.fromstring(data)
    sig = root.find(f"{{{DS}}}Signature")
    root.remove(sig)
    role = next(el for el in root if isinstance(el.tag, str) and el.tag.endswith("SSODescriptor"))
    role.insert(0, sig)
    return etree.tostring(root)


def test_whole_document_signature_below_the_root_verifies():
    # python3-saml's signed SP metadata: ds:Signature inside SPSSODescriptor, Reference URI="".
    # The enveloped-signature transform removes it wherever it sits, so it covers every byte.
    moved = _move_signature_into_role(sign(entity_xml(CERT, sp=True, xml_id=None), KEY, CERT, reference_uri=""))
    verdict = verify_metadata(moved, "sp.xml")
    assert verdict.status == "valid" and verdict.signer_thumbprint == thumb(DER), verdict.error
    tampered = moved.replace(b"https://fs.interop.example/acs", b"https://fs.attacker.example/acs")
    assert verify_metadata(tampered, "sp.xml").status == "invalid"


def test_signature_over_an_inner_element_only_is_an_unsupported_placement():
    root = etree.fromstring(entity_xml(CERT).encode())
    role = root[0]
    role.set("ID", "_role")
    inner = etree.fromstring(sign(etree.tostring(role).decode(), KEY, CERT, reference_uri="#_role"))
    root.replace(role, inner)
    verdict = verify_metadata(etree.tostring(root), "inner.xml")
    assert verdict.status == "invalid" and verdict.signer is None
    assert verdict.error.startswith("unsupported signature placement") and "wrapping" not in verdict.error


# -- authenticated ---------------------------------------------------------------------------------

def _obs(der: bytes, source: str, slot: str, domain: str | None = None) -> ParseResult:
    from fedaudit.parse.certs import certificate_from_der

    o = CertificateObservation(certificate=certificate_from_der(der), source=source, origin=f"{source}.txt",
                               role="token-signing", slot=slot, domain=domain)
    return ParseResult(origin=f"{source}.txt", kind="test", observations=(o,))


def _metadata_auth(results: list[ParseResult]) -> set[tuple[str, bool]]:
    frame = build_evidence(results).certificates
    rows = frame[frame["source"] == "metadata"]
    return {(r["thumbprint"], bool(r["authenticated"])) for r in rows.to_dict("records")}


def test_valid_by_its_own_key_alone_is_not_authenticated():
    data = sign(entity_xml(CERT), KEY, CERT)
    [result] = read_metadata([("md.xml", data)], [])
    assert {m.signature for m in result.metadata} == {"valid"}
    assert _metadata_auth([result]) == {(thumb(DER), False)}


@pytest.mark.parametrize("source, slot", [("adfs", "primary"), ("adfs", "secondary"), ("entra", "current"), ("entra", "next")])
def test_signer_trusted_by_the_evidence_authenticates(source, slot):
    data = sign(entity_xml(CERT), KEY, CERT)
    [result] = read_metadata([("md.xml", data)], [])
    assert _metadata_auth([result, _obs(DER, source, slot, "contoso.example" if source == "entra" else None)]) == {
        (thumb(DER), True)}


def test_a_forger_self_signed_document_stays_unauthenticated_beside_the_real_primary():
    forger_key, forger_cert, forger_der = minted("CN=ADFS Signing - fs.interop.example", 82)
    forged = sign(entity_xml(forger_cert), forger_key, forger_cert)
    [result] = read_metadata([("forged.xml", forged)], [])
    assert {m.signature for m in result.metadata} == {"valid"}
    assert _metadata_auth([result, _obs(DER, "adfs", "primary")]) == {(thumb(forger_der), False)}


def test_load_with_a_pinned_trust_cert(tmp_path):
    (tmp_path / "md.xml").write_bytes(sign(entity_xml(CERT), KEY, CERT))
    pinned = tmp_path.parent / f"{tmp_path.name}-signer.pem"
    pinned.write_text(CERT)
    assert fedaudit.load(tmp_path).certificates["authenticated"].tolist() == [False]
    assert fedaudit.load(tmp_path, trust_certs=[pinned]).certificates["authenticated"].tolist() == [True]
    other = tmp_path.parent / f"{tmp_path.name}-other.pem"
    other.write_text(minted("CN=Someone else", 83)[1])
    assert fedaudit.load(tmp_path, trust_certs=[other]).certificates["authenticated"].tolist() == [False]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "fedaudit", *args], capture_output=True, text=True, check=False, timeout=120)


def test_cli_trust_cert(tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "md.xml").write_bytes(sign(entity_xml(CERT), KEY, CERT))
    pinned = tmp_path / "signer.pem"
    pinned.write_text(CERT)
    plain = json.loads(_cli("inventory", str(folder), "--format", "json").stdout)
    assert [c["authenticated"] for c in plain["certificates"]] == [False]
    out = _cli("inventory", str(folder), "--format", "json", "--trust-cert", str(pinned))
    assert [c["authenticated"] for c in json.loads(out.stdout)["certificates"]] == [True], out.stderr
    for command in ("inventory", "check"):
        bad = _cli(command, str(folder), "--trust-cert", str(tmp_path / "missing.pem"))
        assert bad.returncode == 2 and "--trust-cert" in bad.stderr and "Traceback" not in bad.stderr
    assert "--trust-cert" in _cli("report", "-h").stdout
