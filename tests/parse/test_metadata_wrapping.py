"""XML signature wrapping, after Somorovsky et al., "On Breaking SAML: Be Whoever You Want to Be"
(USENIX Security 2012), adapted from SAML Responses/Assertions to metadata.

The victim's document is signed (signxml XMLSigner, a minted key). The forger holds the signed
bytes but not the key, and wants their own certificate (and endpoint host) accepted as the
victim entity's token-signing certificate. XSW1-XSW8 move the signed original into places a
careless verifier still finds (ds:Object, md:Extensions, a sibling, a wrapping aggregate) and put
a forged EntityDescriptor where a careless parser reads. None may come out ``valid``, and the
forger's certificate must never be ``authenticated``.
"""

from __future__ import annotations

import copy

import pytest
from lxml import etree

from fedaudit.metadata import parse_metadata, read_metadata, verify_metadata
from test_metadata_verify import entity_xml, minted, sign, thumb

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
ENTITY_ID = "http://fs.victim.example/adfs/services/trust"

VICTIM_KEY, VICTIM_CERT = minted("ADFS Signing - fs.victim.example", 41)
FORGER_KEY, FORGER_CERT = minted("ADFS Signing - fs.victim.example", 42)  # same subject, other key
SIGNED = sign(entity_xml(ENTITY_ID, VICTIM_CERT), VICTIM_KEY, VICTIM_CERT)


def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def pieces():
    original = etree.fromstring(SIGNED)
    signature = original.find(q(DS, "Signature"))
    unsigned = copy.deepcopy(original)
    unsigned.remove(unsigned.find(q(DS, "Signature")))
    evil = etree.fromstring(entity_xml(ENTITY_ID, FORGER_CERT, xml_id="_evil", host="fs.attacker.example").encode())
    return original, copy.deepcopy(signature), unsigned, evil


def extensions(parent: etree._Element, *children: etree._Element) -> etree._Element:
    ext = etree.Element(q(MD, "Extensions"))
    for child in children:
        ext.append(child)
    parent.insert(0, ext)
    return ext


def aggregate(*children: etree._Element) -> etree._Element:
    root = etree.Element(q(MD, "EntitiesDescriptor"), nsmap={"md": MD, "ds": DS}, Name="urn:forged")
    for child in children:
        root.append(child)
    return root


def xsw1() -> bytes:
    # Forged root carries the copied Signature; the signed original hides in ds:Object inside it.
    _, sig, unsigned, evil = pieces()
    etree.SubElement(sig, q(DS, "Object")).append(unsigned)
    evil.insert(0, sig)
    return etree.tostring(evil)


def xsw2() -> bytes:
    # Detached: the signed original becomes a sibling of the copied Signature under the forged root.
    _, sig, unsigned, evil = pieces()
    evil.insert(0, sig)
    evil.insert(0, unsigned)
    return etree.tostring(evil)


def xsw3() -> bytes:
    # The forged root takes the original's ID, so "#_legit" matches it too (duplicated IDs).
    _, sig, unsigned, evil = pieces()
    evil.set("ID", "_legit")
    evil.insert(0, sig)
    extensions(evil, unsigned)
    return etree.tostring(evil)


def xsw4() -> bytes:
    # The complete signed original (its own Signature intact) nested inside the forged root.
    original, _, _, evil = pieces()
    extensions(evil, original)
    return etree.tostring(evil)


def xsw5() -> bytes:
    # Aggregate wrapper: forged entity with the copied Signature, the original as a sibling.
    _, sig, unsigned, evil = pieces()
    evil.insert(0, sig)
    return etree.tostring(aggregate(evil, unsigned))


def xsw6() -> bytes:
    # Aggregate wrapper: forged entity with the copied Signature holding the original in ds:Object.
    _, sig, unsigned, evil = pieces()
    etree.SubElement(sig, q(DS, "Object")).append(unsigned)
    evil.insert(0, sig)
    return etree.tostring(aggregate(evil))


def xsw7() -> bytes:
    # md:Extensions (the paper's <Extensions> trick): forged root without ID, copied Signature,
    # signed original inside Extensions.
    _, sig, unsigned, evil = pieces()
    del evil.attrib["ID"]
    evil.insert(0, sig)
    extensions(evil, unsigned)
    return etree.tostring(evil)


def xsw8() -> bytes:
    # As XSW7, with the original (its Signature removed) in ds:Object and the forged root
    # reusing the ID, so a by-ID lookup is ambiguous.
    _, sig, unsigned, evil = pieces()
    evil.set("ID", "_legit")
    etree.SubElement(sig, q(DS, "Object")).append(unsigned)
    evil.insert(0, sig)
    return etree.tostring(evil)


def namespaced_id() -> bytes:
    # As XSW8, the hidden original's ID moved into another namespace (wsu:Id style), which
    # signxml's by-ID lookup still matches: still two elements answer to "#_legit".
    _, sig, unsigned, evil = pieces()
    evil.set("ID", "_legit")
    del unsigned.attrib["ID"]
    unsigned.set("{urn:example:forged}ID", "_legit")
    etree.SubElement(sig, q(DS, "Object")).append(unsigned)
    evil.insert(0, sig)
    return etree.tostring(evil)


def id_stripped() -> bytes:
    # As XSW8, but the hidden original loses its ID so "#_legit" resolves only to the forged
    # root: signxml then digests the forged content.
    _, sig, unsigned, evil = pieces()
    evil.set("ID", "_legit")
    del unsigned.attrib["ID"]
    etree.SubElement(sig, q(DS, "Object")).append(unsigned)
    evil.insert(0, sig)
    return etree.tostring(evil)


def whole_document_reference() -> bytes:
    # A signature with URI="" (whole document; signxml writes it for a root without ID)
    # copied onto a forged document.
    victim = entity_xml(ENTITY_ID, VICTIM_CERT).replace(' ID="_legit"', "")
    signed = etree.fromstring(sign(victim, VICTIM_KEY, VICTIM_CERT))
    assert verify_metadata(etree.tostring(signed), "victim.xml").status == "valid"
    assert signed.find(f".//{q(DS, 'Reference')}").get("URI") == ""
    _, _, _, evil = pieces()
    del evil.attrib["ID"]
    evil.append(copy.deepcopy(signed.find(q(DS, "Signature"))))
    return etree.tostring(evil)


VARIANTS = {
    "XSW1": xsw1, "XSW2": xsw2, "XSW3": xsw3, "XSW4": xsw4, "XSW5": xsw5, "XSW6": xsw6,
    "XSW7": xsw7, "XSW8": xsw8, "XSW8-id-stripped": id_stripped, "XSW8-namespaced-id": namespaced_id, "URI-empty-copied": whole_document_reference,
}


def test_the_original_is_valid():
    verdict = verify_metadata(SIGNED, "original.xml")
    assert verdict.status == "valid" and verdict.signer_thumbprint == thumb(VICTIM_CERT)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_wrapping_variant_is_never_valid(name):
    data = VARIANTS[name]()
    doc = parse_metadata(data, name)
    forged_hosts = {h for e in doc.entities for h in e.hosts}
    assert "fs.attacker.example" in forged_hosts  # the forgery is really in the parsed data
    verdict = verify_metadata(data, name)
    assert verdict.status == "invalid", verdict
    assert verdict.signer is None
    [result] = read_metadata([(f"{name}.xml", data)], [])
    assert {m.signature for m in result.metadata} == {"invalid"}
    assert {m.signer_thumbprint for m in result.metadata} == {None}
    forger = thumb(FORGER_CERT)
    assert any(o.certificate.thumbprint == forger for o in result.observations)
    assert all(o.hints["authenticated"] == "false" for o in result.observations)


def test_certificate_smuggled_into_the_signature_is_not_a_key_of_the_entity():
    # ds:Object inside the enveloped Signature is outside the digest (the enveloped-signature
    # transform removes the whole Signature): the signature stays valid, so the smuggled
    # KeyDescriptor must not be read as the entity's certificate.
    original, _, _, evil = pieces()
    smuggled = copy.deepcopy(evil.find(f"{q(MD, 'IDPSSODescriptor')}/{q(MD, 'KeyDescriptor')}"))
    etree.SubElement(original.find(q(DS, "Signature")), q(DS, "Object")).append(smuggled)
    data = etree.tostring(original)
    verdict = verify_metadata(data, "smuggled.xml")
    assert verdict.status == "valid" and verdict.signer_thumbprint == thumb(VICTIM_CERT)
    [result] = read_metadata([("smuggled.xml", data)], [])
    assert {o.certificate.thumbprint for o in result.observations} == {thumb(VICTIM_CERT)}


def test_forger_certificate_in_key_info_does_not_become_the_signer():
    original, _, _, _ = pieces()
    cert_el = original.find(f"{q(DS, 'Signature')}/{q(DS, 'KeyInfo')}/{q(DS, 'X509Data')}/{q(DS, 'X509Certificate')}")
    cert_el.text = "".join(FORGER_CERT.strip().splitlines()[1:-1])
    verdict = verify_metadata(etree.tostring(original), "keyinfo.xml")
    assert verdict.status == "valid" and verdict.signer_thumbprint == thumb(VICTIM_CERT)
    assert verdict.signer_source == "KeyDescriptor"


def test_re_signing_with_the_forger_key_names_the_forger():
    # Not wrapping: a self-signed document proves integrity, not identity. The signer is the
    # forger's certificate, which the engine compares with the farm's primary certificate.
    forged = sign(entity_xml(ENTITY_ID, FORGER_CERT, host="fs.attacker.example"), FORGER_KEY, FORGER_CERT)
    verdict = verify_metadata(forged, "resigned.xml")
    assert verdict.status == "valid"
    assert verdict.signer_thumbprint == thumb(FORGER_CERT) != thumb(VICTIM_CERT)


@pytest.mark.parametrize("name", ["XSW1", "XSW2", "XSW4", "XSW5", "XSW6", "XSW7"])
def test_variants_fool_a_verifier_that_only_checks_the_signature(name):
    # The same bytes pass a bare signxml check (it finds a Signature anywhere and returns the
    # element it covered): the root-coverage rule in fedaudit.parse.metadata.verify is what stops them.
    import datetime as dt

    from cryptography import x509
    from signxml import SignatureConfiguration, XMLVerifier

    config = SignatureConfiguration(verification_time=dt.datetime(2025, 6, 1, tzinfo=dt.timezone.utc))
    result = XMLVerifier().verify(VARIANTS[name](), x509_cert=x509.load_pem_x509_certificate(VICTIM_CERT.encode()),
                                  expect_config=config)
    assert result.signed_xml.get("ID") == "_legit"
    assert verify_metadata(VARIANTS[name](), name).status == "invalid"
