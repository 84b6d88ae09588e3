"""Every document of the metadata corpus (tests/data/metadata, sources in its SOURCES.md) parses
with the entity id, roles and certificates SOURCES.md states.

Expectations come from SOURCES.md itself (root, entityID/Name, entity count, roles, certificate
counts, subjects and NotAfter dates, top-level signature and algorithm) and from THUMBPRINTS
below, computed independently with ``openssl x509 -fingerprint -sha1`` over the DER of each
KeyDescriptor certificate (use="signing"/none -> signing, use="encryption"/none -> encryption).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import re
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedaudit.errors import FedauditError, InputError, ParseError
from fedaudit.metadata import algorithm_name, parse_metadata, parse_xs_datetime, read_metadata

DATA = Path(__file__).parent.parent / "data" / "metadata"
UTC = dt.timezone.utc


def _sources() -> dict[str, dict]:
    """SOURCES.md sections: file name -> facts."""
    text = (DATA / "SOURCES.md").read_text(encoding="utf-8")
    out: dict[str, dict] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name, _, body = block.partition("\n")
        facts: dict = {"name": name.strip()}
        for line in body.splitlines():
            m = re.match(r"- (.+?)(?: \(([^)]*)\))?: (.*)$", line)
            if m:
                facts[m.group(1)] = m.group(3).strip()
        out[facts["name"]] = facts
    return out


SOURCES = _sources()
FILES = sorted(SOURCES)


def cert_list(value: str) -> tuple[int, list[tuple[str, str]] | None]:
    """``2: CN=a → 2030-01-01; CN=b → 2031-01-01`` -> (2, [(subject, date), ...]); None when
    SOURCES.md does not list them ("too many to list")."""
    count, _, rest = value.partition(": ")
    if "(too many to list)" in value or not rest:
        return int(value.split()[0]), None
    if rest == "none":
        return int(count), []
    items = []
    for part in rest.split("; "):
        subject, _, date = part.rpartition(" → ")
        items.append((subject, date))
    return int(count), items


# file -> (signing thumbprints, encryption thumbprints), in document order.
THUMBPRINTS = {
    "NEG-adfs-ec2amaz-a60dqep-prettyprinted.xml": (("40933D9B6350774512FB47B022CFADB1CC2B547F",), ("462827FBD766B42D06BD208CD863BFFEE6A60C4B",)),
    "NEG-adfs-unilever-entityid-edited.xml": (("13CE2299E9E824410C1DCB5819042FBAE8793E17",), ("D7BA0A0539911332008B45107F88A203A5003418",)),
    "NEG-entra-app-52777d71-prettyprinted.xml": (("A180E3E3BE9854B78EFE8B787B35C8E3ACD1DAB6",), ()),
    "NEG-entra-app-61318f71-slo-edited.xml": (("C147B5D6E9F6E44927F114B4D17C18674130007F",), ()),
    "NEG-entra-tenant-8b966979-certs-swapped.xml": (("C98FA73F32F6022C1D50CD976E793D807D12CEE0",), ()),
    "NEG-signicat-elided.xml": (("C297AC470D2F3154CE1B3F5EE04AA01E9A92E754", "FD06FD2BD5B81FBE76F3411B501A9FE96C7FFE4E"), ()),
    "adfs-adityabirla.xml": (("6B6528CC3B183A63789F0019AB9D978C0FEF8CD7",), ("0B14CCD35A081CC738D8F2808BC82AEE69C6693C",)),
    "adfs-bowdoin.xml": (("0DAF2C80499A5A1EBE6F7D87903C664F3F072A5D",), ("0001A38F0F625336A7F10D2877A641211D4FD746",)),
    "adfs-bpce-ca-issued-cert.xml": (("76BB4E7645CFEFF10280D31982D92564E4CCDDAA",), ("E767C4020EDE01FF3D6880742C242AAF0E599F02",)),
    "adfs-dtu.xml": (("688D36670A35E988128DFCC7DE99431D80FC8B0B",), ("BFDC6617BF8A3CFCD693A04AA613A16F4864DE78",)),
    "adfs-ec2amaz-a60dqep.xml": (("40933D9B6350774512FB47B022CFADB1CC2B547F",), ("462827FBD766B42D06BD208CD863BFFEE6A60C4B",)),
    "adfs-maybank.xml": (("867F81B5DC18B39AA77E9F690826F370E45CC59D",), ("45E867245824F08361978C9F0D5B7B47A84910C0",)),
    "adfs-melco.xml": (("C2067C7D2E82AD0F67DE286E7104ABC1E9DB14CB",), ("8B39EC4794531EE3FC3DD68343DC0FE943E5FDA5",)),
    "adfs-pilotflyingj-100yr-cert.xml": (("F94656CD6524D33A5268EFED6DA0689CB077C956",), ("F030783E57DEE1C080494BD884A0A2AB114EA232",)),
    "adfs-ucar.xml": (("2CA67C00EBD5D4E5000AC5A814C829222FB776B6",), ("0F73F4C5A5C93F1CE5C9A3328E0E0D5108D44191",)),
    "adfs20-broadsoft.xml": (("8C2F75CE61C705F61A0D286445D1AFC5F7AE94C3",), ("E8B10BBAC4CC9A43BE888000841254165CD7B22B",)),
    "adfs20-msidlab7.xml": (("28D1BE71EBAB715A8F53CB9FD9D84C4373CD3708",), ("7C72CBF56255A068C51DCA32D2CBD90D89ACB009",)),
    "adfs2012r2-msidlab2.xml": (("8C3B60F1C93FA3E52AFD41885E7B6C6C4A61C65A",), ("03EA0A1F4904EA83ED0499F9B1B168C41B04E35C",)),
    "adfs2016-msidlab11.xml": (("D5FE73910389B58BBB3B0EBB87FDF110FF79FEBB",), ("5CC6722B351E6BC48C1D54701487D1AD8BECEDE9",)),
    "duo-access-gateway-percona.xml": (("16276181FE6461D4BAEDA1C84B0CB46ADAD648FE",), ("16276181FE6461D4BAEDA1C84B0CB46ADAD648FE",)),
    "duo-sso.xml": (("AFE3B5297DEBB15FE946909219C102995992503F",), ()),
    "entra-app-61318f71.xml": (("C147B5D6E9F6E44927F114B4D17C18674130007F",), ()),
    "entra-app-81c1df79-2certs.xml": (("9B6A4331329E0D853B20BD364CD7131D3652942F", "815D70419E644F95BE30F309616EBDA58C5B591B"), ()),
    "entra-app-caa69cfe.xml": (("1BC4115475FA18C89AECFA8D7138580250769D21",), ()),
    "entra-common-4certs.xml": (("4773E1D1133EAB71516752CFE10F6142D06A3353", "B0CD7FC80C55F06578C8DF81EA3DB1CE68A4E40A", "DB06E0BABB7B5559D9665477118E9094F773958A", "8CAAA67CC4FAA0BDFCC1A49239C3F5FF9FCA9003"), ()),
    "entra-common-6certs-older.xml": (("3DC5FDF065F8DB44F55FAB010E4CE1426AA0C0C5", "4773E1D1133EAB71516752CFE10F6142D06A3353", "B0CD7FC80C55F06578C8DF81EA3DB1CE68A4E40A", "DB06E0BABB7B5559D9665477118E9094F773958A", "7891B7482EBE2CBA99B25C2A919E657B1886F67E", "8CAAA67CC4FAA0BDFCC1A49239C3F5FF9FCA9003"), ()),
    "entra-tenant-8b966979.xml": (("FD482A5C6FED30B76E489D53F1C687C54EDC3AD7", "6B740DD01652EECE2737E05DAE36C5D18FCB74C3", "D92E120951ACF1283D2D2E80A8B22AE83A56FA0F"), ()),
    "google-workspace-2certs.xml": (("7D8DBE7BDA4C02F89B4FE317FE5BD8A70B2A1547", "7C0C0DC95113185EAF40E6E87A1683938F8A6F77"), ()),
    "keycloak-keeper-saml.xml": (("D75FC247F37D90E197AD8DB38ED1BC1503D59B9C",), ()),
    "keycloak-springbootkeycloak.xml": (("7F129341C24AC8C1069EF475922E377DC91727BE",), ()),
    "microsoftonline-urn-federation-MicrosoftOnline.xml": (("791BC6AD9893AA570DF03452B4F8069C8A743C29", "DCED98D330C1D33A26AA3F7FD15B961573E5DA6A"), ()),
    "okta-saml-perconastage.xml": (("8E30BFF1F91789A9541431B01FA57DF8FB1BDDE8",), ()),
    "okta-wsfed-dev-11721018-signed.xml": (("306BD73C9A134B894E25521EFBBD5547D6AE6EDD",), ("306BD73C9A134B894E25521EFBBD5547D6AE6EDD",)),
    "onelogin-529178.xml": (("C359E44D866BEACF030B39A846280E0BCEABED0C",), ()),
    "pingone-gecu.xml": (("9F0602F19F93EDCEECCE54EF326439E951CCA33E",), ("4374127E5BDF832B8BE0FE1EBCA48D44FFBEC64A",)),
    # the file also holds a commented-out old key (0E82A794...): comments are not metadata
    "shibboleth-testshib-entities.xml": (("953926B57F873960222A2F1C4002FAF9636B8D47", "A7FCF7BF218671DE838618A2A7AF25B55377A12C"), ("953926B57F873960222A2F1C4002FAF9636B8D47", "A7FCF7BF218671DE838618A2A7AF25B55377A12C")),
    "shibboleth-umich-signed.xml": (("C499C3786A93FE1AFF46BC6E98680B1861ECD1FF", "18A695DBF352F082A8AD4D097A56F36EF42B6055"), ("056649451AE14902066CB0B4AC3AC0BC413293F0",)),
    "shibboleth-v3-kln.xml": (("060AC5DBF12BF24CC712947A16C6E503483E6422", "9089CCD4889D4CB2AF948126154803C202007CBD"), ("B50DE22486F45DA8A09CD08437640099355A0242",)),
    "ssocircle-expired.xml": (("9F0898770D9F0948C45BF5D6DB55CB037C3B280C",), ("9F0898770D9F0948C45BF5D6DB55CB037C3B280C",)),
}


def _unique(doc, use):
    seen: dict[str, object] = {}
    for entity in doc.entities:
        for cert in entity.certificates(use):
            seen.setdefault(cert.thumbprint, cert)
    return list(seen.values())


def test_corpus_is_complete_and_byte_exact():
    on_disk = sorted(p.name for p in DATA.glob("*.xml"))
    assert on_disk == FILES and len(FILES) == 44
    for name in FILES:
        digest = re.search(r"sha256 `([0-9a-f]{64})`", SOURCES[name]["Bytes"]).group(1)
        assert hashlib.sha256((DATA / name).read_bytes()).hexdigest() == digest, name


PARSEABLE = [n for n in FILES if "Parse" not in SOURCES[n]]


@pytest.mark.parametrize("name", PARSEABLE)
def test_document_matches_sources(name):
    facts = SOURCES[name]
    doc = parse_metadata((DATA / name).read_bytes(), name)
    root, _, ident = facts["Root"].partition("  |  entityID/Name: ")
    root_kind, count = re.match(r"(\w+) \((\d+) EntityDescriptor\)", root).groups()
    assert doc.root == root_kind
    assert len(doc.entities) == int(count)
    expected_name = ident.strip("`")
    assert doc.name == (None if expected_name == "(EntitiesDescriptor)" else expected_name)
    if root_kind == "EntityDescriptor":
        assert doc.entities[0].entity_id == expected_name
    assert all(e.entity_id for e in doc.entities)

    signing, encryption = _unique(doc, "signing"), _unique(doc, "encryption")
    for certs, key in ((signing, "Signing certs"), (encryption, "Encryption certs")):
        n, items = cert_list(facts[key])
        assert len(certs) == n, key
        if items is not None:
            got = Counter((c.subject, c.not_after.date().isoformat()) for c in certs)
            assert got == Counter(items), key
    if name in THUMBPRINTS:
        want_signing, want_encryption = THUMBPRINTS[name]
        assert tuple(c.thumbprint for c in signing) == want_signing
        assert tuple(c.thumbprint for c in encryption) == want_encryption

    if "Roles" in facts:
        expected_roles = set(facts["Roles"].split(", "))
        got_roles = {r.kind.replace("fed:", "RoleDescriptor[", 1) + "]" if r.kind.startswith("fed:") else r.kind
                     for e in doc.entities for r in e.roles}
        assert got_roles == expected_roles

    top = facts["ds:Signature"]
    if top == "no":
        assert doc.signature is None and doc.signature_count == 0
    else:
        assert doc.signature is not None and doc.signature_count == 1
        assert algorithm_name(doc.signature.signature_method) == top.split(", ")[1]
    assert doc.inner_signatures == 0
    assert doc.sha256 == hashlib.sha256((DATA / name).read_bytes()).hexdigest()


def test_truncated_document_is_a_parse_error():
    data = (DATA / "NEG-adfs-maybank-truncated.xml").read_bytes()
    assert "fails" in SOURCES["NEG-adfs-maybank-truncated.xml"]["Parse"]
    with pytest.raises(ParseError, match="not well-formed XML: Start tag expected"):
        parse_metadata(data, "NEG-adfs-maybank-truncated.xml")
    [result] = read_metadata([("NEG-adfs-maybank-truncated.xml", data)], [])
    assert result.kind == "federation metadata (refused)" and result.observations == ()
    [record] = result.metadata
    assert record.error.startswith("not well-formed XML") and record.signature is None
    assert [i.severity for i in result.issues] == ["high"]


def test_ad_fs_document_details():
    doc = parse_metadata((DATA / "adfs20-msidlab7.xml").read_bytes(), "adfs20-msidlab7.xml")
    entity = doc.entities[0]
    assert entity.xml_id == doc.xml_id == "_43144f19-220f-44a7-b8d9-12207fc27b25"
    assert [r.kind for r in entity.roles] == [
        "fed:ApplicationServiceType", "fed:SecurityTokenServiceType", "SPSSODescriptor", "IDPSSODescriptor"]
    passive = [e.location for e in entity.endpoints if e.kind == "PassiveRequestorEndpoint"]
    assert passive == ["https://fs.msidlab7.com/adfs/ls/"] * 2
    sso = [e for e in entity.endpoints if e.kind == "SingleSignOnService"]
    assert sso[0].location == "https://fs.msidlab7.com/adfs/ls/"
    assert sso[0].binding == "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
    assert entity.hosts == ("fs.msidlab7.com",)
    # the same certificates are repeated in several role descriptors
    assert [(k.use, k.descriptor) for k in entity.keys] == [
        ("encryption", "fed:ApplicationServiceType"), ("signing", "fed:SecurityTokenServiceType"),
        ("encryption", "SPSSODescriptor"), ("signing", "SPSSODescriptor"),
        ("encryption", "IDPSSODescriptor"), ("signing", "IDPSSODescriptor"),
    ]
    assert entity.valid_until is None and entity.cache_duration is None


def test_okta_ws_fed_prefixes():
    doc = parse_metadata((DATA / "okta-wsfed-dev-11721018-signed.xml").read_bytes(), "okta")
    [entity] = doc.entities
    assert [r.kind for r in entity.roles] == ["fed:SecurityTokenServiceType"]
    assert [(e.kind, e.location) for e in entity.endpoints] == [
        ("PassiveRequestorEndpoint", "https://dev-11721018.okta.com/app/template_wsfed/sso/wsfed/passive")]


def test_aggregate_validity_is_inherited():
    doc = parse_metadata((DATA / "agg-skolfederation.xml").read_bytes(), "skol")
    until = dt.datetime(2014, 10, 11, 13, 15, 5, tzinfo=UTC)
    assert doc.valid_until == until and doc.cache_duration == "PT30M" and doc.xml_id == "federation_root"
    assert {e.valid_until for e in doc.entities} == {until}
    assert {e.cache_duration for e in doc.entities} == {"PT30M"}
    assert doc.entities[0].entity_id == "http://fs.ale.se/adfs/services/trust"
    assert doc.entities[0].hosts == ("fs.ale.se",)
    pyff = parse_metadata((DATA / "agg-pyff-mdsplit-with-adfs.xml").read_bytes(), "pyff")
    # no offset: SAML requires UTC
    assert pyff.valid_until == dt.datetime(2016, 8, 28, 5, 29, 1, 944303, tzinfo=UTC)
    assert pyff.entities[0].entity_id == "http://wkis.dev.wko.at/adfs/services/trust"
    assert "sp2.test.wpv.portalverbund.at" in pyff.entities[1].hosts


def test_non_positive_serial_numbers_are_info_issues():
    doc = parse_metadata((DATA / "duo-access-gateway-percona.xml").read_bytes(), "dag")
    assert {i.severity for i in doc.issues} == {"info"}
    assert all("serial number that is not positive" in i.message for i in doc.issues)
    assert doc.entities[0].keys[0].certificate.serial == "0"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-12-03T10:11:12Z", dt.datetime(2017, 12, 3, 10, 11, 12, tzinfo=UTC)),
        ("2031-07-10T09:58:59.000Z", dt.datetime(2031, 7, 10, 9, 58, 59, tzinfo=UTC)),
        ("2020-01-01T01:00:00.1234567+01:00", dt.datetime(2020, 1, 1, 0, 0, 0, 123456, tzinfo=UTC)),
        ("2020-01-01T24:00:00Z", dt.datetime(2020, 1, 2, tzinfo=UTC)),
    ],
)
def test_xs_datetime(text, expected):
    assert parse_xs_datetime(text) == expected


def test_bad_validuntil_is_an_issue_not_an_error():
    data = (b'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="urn:x" '
            b'validUntil="next tuesday"/>')
    doc = parse_metadata(data, "x.xml")
    assert doc.entities[0].valid_until is None
    assert [(i.field, i.line) for i in doc.issues] == [("validUntil", 1)]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty document"),
        (b"<html><body>login</body></html>", "root element is html"),
        (b'<EntityDescriptor entityID="x"/>', "not md:EntityDescriptor"),  # no SAML namespace
        (b"<EntityDescriptor", "not well-formed XML"),
    ],
)
def test_not_metadata(data, message):
    with pytest.raises(ParseError, match=message):
        parse_metadata(data, "x.xml")


def test_key_descriptor_outside_a_role_is_not_read():
    # Only EntityDescriptor/<role>/KeyDescriptor counts; one in Extensions is ignored.
    source = (DATA / "keycloak-keeper-saml.xml").read_bytes()
    doc = parse_metadata(source, "k")
    key = doc.entities[0].keys[0]
    cert_b64 = re.search(rb"<(?:\w+:)?X509Certificate>(.*?)</", source, re.S).group(1).decode()
    smuggled = (
        '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="urn:x"><md:Extensions>'
        '<md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>'
        f"{cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"
        "</md:Extensions></md:EntityDescriptor>"
    ).encode()
    assert parse_metadata(smuggled, "s").entities[0].keys == ()
    assert key.certificate.thumbprint == THUMBPRINTS["keycloak-keeper-saml.xml"][0][0]


SEED = (DATA / "keycloak-keeper-saml.xml").read_bytes()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutations_raise_only_input_errors(data):
    blob = bytearray(SEED)
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(0, len(blob) - 1))
        op = data.draw(st.sampled_from(["flip", "cut", "dup"]))
        if op == "flip":
            blob[at] = data.draw(st.integers(0, 255))
        elif op == "cut":
            del blob[at : at + data.draw(st.integers(1, 200))]
        else:
            blob[at:at] = blob[at : at + data.draw(st.integers(1, 200))]
        if not blob:
            break
    with contextlib.suppress(InputError):
        parse_metadata(bytes(blob), "fuzz.xml")
    results = read_metadata([("fuzz.xml", bytes(blob))], [])
    assert len(results) == 1 and len(results[0].metadata) >= 1


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash(blob):
    with pytest.raises(FedauditError):
        parse_metadata(blob, "random.bin")
    [result] = read_metadata([("random.bin", blob)], [])
    assert result.issues and result.metadata[0].error
