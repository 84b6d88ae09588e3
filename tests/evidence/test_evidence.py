"""build_evidence: merging, pairing and the association rules, on records built by hand."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from fedaudit.parse.certs import certificate_from_der
from fedaudit.evidence.join import InputFile, build_evidence
from fedaudit.frames import SCHEMAS
from fedaudit.records import (
    AdfsFarm,
    Certificate,
    CertificateObservation,
    EntraDomain,
    LoadIssue,
    MetadataRecord,
    ParseResult,
)

UTC = dt.timezone.utc
IDENT = "http://sts.contoso.com/adfs/services/trust"


@pytest.fixture(scope="module")
def certs():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    mk = lambda subject, slot: certificate_from_der(mint_certificate(subject, start, start + dt.timedelta(days=365), key_slot=slot))  # noqa: E731
    return {
        "ts": mk("CN=ADFS Signing - sts.contoso.com", 0),
        "ts2": mk("CN=ADFS Signing - sts.contoso.com", 1),
        "fab": mk("CN=ADFS Signing - sts.fabrikam.com", 2),
        "ca": mk("CN=token-signing.contoso.com", 3),
    }


def farm(origin="props.txt", host="sts.contoso.com", ident=IDENT, **kw):
    return AdfsFarm(origin=origin, host_name=host, identifier=ident, auto_certificate_rollover=True, **kw)


def obs(cert, source="adfs", origin="certs.txt", **kw):
    return CertificateObservation(certificate=cert, source=source, origin=origin, role=kw.pop("role", "token-signing"), **kw)


def result(origin, **kw):
    return ParseResult(origin=origin, kind="test", **kw)


def rows(frame, *cols):
    return [tuple(None if pd.isna(v) else v for v in r) for r in frame[list(cols)].itertuples(index=False)]


def test_frames_follow_the_schemas(certs):
    ev = build_evidence([result("a", farms=(farm(),), observations=(obs(certs["ts"], slot="primary"),))], (InputFile("a", 1, "x", "test"),))
    for name in ev.FRAMES:
        frame = getattr(ev, name)
        assert list(frame.columns[: len(SCHEMAS[name])]) == list(SCHEMAS[name])
    assert str(ev.certificates["not_after"].dtype) == "datetime64[us, UTC]"
    assert ev.inputs[0].path == "a"


def test_adfs_certificates_tie_to_the_farm_in_the_same_file(certs):
    ev = build_evidence(
        [
            result("capture.txt", farms=(farm("capture.txt", host="sts.fabrikam.com", ident="http://sts.fabrikam.com/adfs/services/trust"),), observations=(obs(certs["ca"], origin="capture.txt", slot="primary"),)),
            result("props.txt", farms=(farm(),)),
        ]
    )
    assert rows(ev.certificates, "farm") == [("sts.fabrikam.com",)]


def test_subject_host_then_thumbprint_then_single_farm(certs):
    ev = build_evidence(
        [
            result("props.txt", farms=(farm(),)),
            result("c1.txt", observations=(obs(certs["ts"], origin="c1.txt", slot="primary"),)),  # subject host
            result("c2.txt", observations=(obs(certs["fab"], origin="c2.txt", slot="primary"),)),  # subject names a farm not loaded
            result("c3.txt", observations=(obs(certs["ca"], origin="c3.txt", slot="primary"),)),  # CA-issued: the only farm
        ]
    )
    assert rows(ev.certificates, "origin", "farm") == [("c1.txt", "sts.contoso.com"), ("c2.txt", "sts.fabrikam.com"), ("c3.txt", "sts.contoso.com")]


def test_no_farm_when_facts_do_not_say(certs):
    ev = build_evidence(
        [
            result("p1.txt", farms=(farm("p1.txt"),)),
            result("p2.txt", farms=(farm("p2.txt", host="sts.fabrikam.com", ident="http://sts.fabrikam.com/adfs/services/trust"),)),
            result("c.txt", observations=(obs(certs["ca"], origin="c.txt", slot="primary"),)),
        ]
    )
    assert rows(ev.certificates, "farm") == [(None,)]


def test_domains_tie_to_farms_by_identifier_host_and_thumbprint(certs):
    ev = build_evidence(
        [
            result("props.txt", farms=(farm(), farm("props2.txt", host="sts.fabrikam.com", ident="http://sts.fabrikam.com/adfs/services/trust"))),
            result("adfs.txt", observations=(obs(certs["ca"], origin="props.txt", slot="primary"),)),
            result(
                "entra.txt",
                domains=(
                    EntraDomain("entra.txt", "Contoso.com", issuer_uri=IDENT + "/", has_settings=True),  # identifier
                    EntraDomain("entra.txt", "sub.com", issuer_uri="http://sub.com/adfs/services/trust/", passive_sign_in_uri="https://STS.fabrikam.com/adfs/ls/", has_settings=True),  # host
                    EntraDomain("entra.txt", "third.com", issuer_uri="urn:third", has_settings=True),  # thumbprint
                    EntraDomain("entra.txt", "alone.com", issuer_uri="urn:alone", has_settings=True),
                ),
                observations=(
                    obs(certs["ca"], "entra", "entra.txt", slot="current", domain="third.com"),
                    obs(certs["ts"], "entra", "entra.txt", slot="current", domain="contoso.com"),
                ),
            ),
        ]
    )
    assert rows(ev.domains, "domain", "farm") == [("contoso.com", "sts.contoso.com"), ("sub.com", "sts.fabrikam.com"), ("third.com", "sts.contoso.com"), ("alone.com", None)]
    entra = ev.certificates[ev.certificates.source == "entra"]
    assert rows(entra, "domain", "farm") == [("third.com", "sts.contoso.com"), ("contoso.com", "sts.contoso.com")]


def test_conflicting_association_rules_are_reported(certs):
    ev = build_evidence(
        [
            result("p.txt", farms=(farm(), farm("q.txt", host="sts.fabrikam.com", ident="http://sts.fabrikam.com/adfs/services/trust"))),
            result("e.txt", domains=(EntraDomain("e.txt", "contoso.com", issuer_uri=IDENT, passive_sign_in_uri="https://sts.fabrikam.com/adfs/ls/", has_settings=True),)),
        ]
    )
    assert rows(ev.domains, "farm") == [("sts.contoso.com",)]
    assert any("points at sts.fabrikam.com" in m for m in ev.issues["message"])


def test_domain_partials_merge_case_insensitively_with_conflicts(certs):
    ev = build_evidence(
        [
            result("msol.txt", domains=(EntraDomain("msol.txt", "Contoso.com", authentication="Federated", status="Verified"),)),
            result("graph.json", domains=(EntraDomain("graph.json", "contoso.com", issuer_uri=IDENT, preferred_authentication_protocol="wsFed", has_settings=True, update_result="success"),)),
            result("settings.txt", domains=(EntraDomain("settings.txt", "CONTOSO.COM", issuer_uri="http://other/adfs/services/trust", preferred_authentication_protocol="WsFed", has_settings=True),)),
        ]
    )
    [row] = ev.domains.to_dict("records")
    assert row["domain"] == "contoso.com" and row["authentication"] == "Federated" and row["issuer_uri"] == IDENT
    assert row["has_settings"] is True and row["update_result"] == "success"
    assert row["origins"] == ["msol.txt", "graph.json", "settings.txt"]
    [issue] = ev.issues.to_dict("records")
    assert issue["origin"] == "settings.txt" and "issuer_uri" in issue["message"]  # WsFed == wsFed is no conflict


def test_unnamed_settings_pair_with_the_one_federated_domain(certs):
    settings = EntraDomain("s.txt", None, issuer_uri=IDENT, has_settings=True)
    ev = build_evidence(
        [
            result("d.txt", domains=(EntraDomain("d.txt", "contoso.com", authentication="Federated"), EntraDomain("d.txt", "m.com", authentication="Managed"))),
            result("s.txt", domains=(settings,), observations=(obs(certs["ts"], "entra", "s.txt", slot="current", hints={"record": "0"}),)),
        ]
    )
    assert rows(ev.domains, "domain", "issuer_uri") == [("contoso.com", IDENT), ("m.com", None)]
    assert rows(ev.certificates, "domain", "slot") == [("contoso.com", "current")]
    assert ev.domains.loc[0, "signing_thumbprint"] == certs["ts"].thumbprint
    assert list(ev.issues["severity"]) == ["info"] and "only federated domain" in ev.issues.loc[0, "message"]


def test_same_file_pairing_wins_and_the_rest_asks_for_domain_map():
    ev = build_evidence(
        [
            result("mixed.txt", domains=(EntraDomain("mixed.txt", "a.com", authentication="Federated"), EntraDomain("mixed.txt", None, issuer_uri="urn:a", has_settings=True))),
            result("other.txt", domains=(EntraDomain("other.txt", "b.com", authentication="Federated"), EntraDomain("other.txt", "c.com", authentication="Federated"))),
            result("lost.txt", domains=(EntraDomain("lost.txt", None, issuer_uri="urn:b", has_settings=True),)),
        ]
    )
    assert rows(ev.domains, "domain", "issuer_uri", "origin") == [("a.com", "urn:a", "mixed.txt"), ("b.com", None, "other.txt"), ("c.com", None, "other.txt"), (None, "urn:b", "lost.txt")]
    messages = list(ev.issues["message"])
    assert "same capture" in messages[0]
    assert "domain_map={'lost.txt': '<domain>'}" in messages[1] and "--domain-map 'lost.txt=<domain>'" in messages[1]


def test_identical_observations_dedupe_with_origins(certs):
    text_only = Certificate(thumbprint=certs["ts"].thumbprint, text_derived=True)
    ev = build_evidence(
        [
            result("p.txt", farms=(farm(),)),
            result("a.txt", observations=(obs(text_only, origin="a.txt", slot="primary"),)),
            result("b.xml", observations=(obs(certs["ts"], origin="b.xml", slot="primary"),)),
            result("c.txt", observations=(obs(certs["ts"], origin="c.txt", slot="secondary"),)),
        ]
    )
    got = ev.certificates.to_dict("records")
    assert [(r["origin"], r["slot"], r["origins"]) for r in got] == [("a.txt", "primary", ["a.txt", "b.xml"]), ("c.txt", "secondary", ["c.txt"])]
    # certificate bytes win: the row first seen as text carries the decoded facts
    assert got[0]["sha256"] == certs["ts"].sha256 and got[0]["text_derived"] is False and got[0]["not_after"] == certs["ts"].not_after


def test_bare_thumbprint_takes_the_fullest_printed_block(certs):
    tp = certs["ts"].thumbprint
    block = Certificate(thumbprint=tp, subject="CN=ADFS Signing - sts.contoso.com", not_after=dt.datetime(2027, 1, 1, tzinfo=UTC), text_derived=True)
    ev = build_evidence([result("a", observations=(obs(Certificate(thumbprint=tp, text_derived=True), origin="t.txt"), obs(block, "entra", "e.txt", slot="current", domain="x.com")))])
    assert list(ev.certificates["not_after"]) == [pd.Timestamp("2027-01-01", tz="UTC")] * 2


def test_nameless_farm_rules(certs):
    subset = dict(host=None, ident=None, certificate_duration=1095)
    ev = build_evidence([result("p.txt", farms=(farm("p.txt"),)), result("sub.txt", farms=(farm("sub.txt", **subset),))])
    [row] = ev.farms.to_dict("records")
    assert row["farm"] == "sts.contoso.com" and row["certificate_duration"] == 1095 and row["origins"] == ["p.txt", "sub.txt"]
    assert "only farm loaded" in ev.issues.loc[0, "message"]
    ev = build_evidence([result("sub.txt", farms=(farm("sub.txt", **subset),), observations=(obs(certs["fab"], origin="sub.txt", slot="primary"),))])
    assert rows(ev.farms, "farm") == [("sts.fabrikam.com",)]
    ev = build_evidence([result("sub.txt", farms=(farm("sub.txt", **subset),))])
    assert rows(ev.farms, "farm", "certificate_duration") == [(None, 1095)]
    assert "cannot tell which farm" in ev.issues.loc[0, "message"]


def test_farm_field_conflicts_are_reported():
    ev = build_evidence([result("a", farms=(farm("a"),)), result("b", farms=(AdfsFarm("b", host_name="sts.contoso.com", auto_certificate_rollover=False),))])
    assert rows(ev.farms, "farm", "auto_certificate_rollover") == [("sts.contoso.com", True)]
    assert "auto_certificate_rollover is False here but True in a" in ev.issues.loc[0, "message"]


def test_federation_property_adfs_side_ties_the_domain(certs):
    ev = build_evidence(
        [
            result("p.txt", farms=(farm(),)),
            result(
                "fp.txt",
                domains=(EntraDomain("fp.txt", "contoso.com", has_settings=True),),
                observations=(
                    obs(certs["ca"], "adfs", "fp.txt", slot="primary", domain="contoso.com", hints={"identifier": IDENT}),
                    obs(certs["ts2"], "entra", "fp.txt", slot="current", domain="contoso.com", hints={"record": "0"}),
                ),
            ),
        ]
    )
    assert rows(ev.domains, "domain", "farm", "signing_thumbprint") == [("contoso.com", "sts.contoso.com", certs["ts2"].thumbprint)]
    assert rows(ev.certificates, "source", "farm") == [("adfs", "sts.contoso.com"), ("entra", "sts.contoso.com")]


def test_differing_entra_certificates_between_exports(certs):
    ev = build_evidence(
        [
            result("old.txt", observations=(obs(certs["ts"], "entra", "old.txt", slot="current", domain="contoso.com"),), domains=(EntraDomain("old.txt", "contoso.com", has_settings=True),)),
            result("new.json", observations=(obs(certs["ts2"], "entra", "new.json", slot="current", domain="contoso.com"),)),
        ]
    )
    assert ev.domains.loc[0, "signing_thumbprint"] == certs["ts"].thumbprint
    assert "differs between exports" in ev.issues.loc[0, "message"]


def test_metadata_rows_and_observations_tie_by_entity_id_or_host(certs):
    ev = build_evidence(
        [
            result("p.txt", farms=(farm(),)),
            result(
                "md.xml",
                metadata=(MetadataRecord("md.xml", url="https://sts.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml", entity_id=IDENT, signature="valid"),
                          MetadataRecord("md2.xml", entity_id="urn:x", hosts=("sts.contoso.com",)),
                          MetadataRecord("md3.xml", entity_id="urn:y", hosts=("idp.example.org",)),
                          MetadataRecord("failed.json", url="https://STS.contoso.com/FederationMetadata/2007-06/FederationMetadata.xml", reachable=False, error="HTTP 503")),
                observations=(obs(certs["ts"], "metadata", "md.xml", hints={"entity_id": IDENT, "hosts": "sts.contoso.com", "authenticated": "true", "url": "https://x"}),),
            ),
        ]
    )
    assert rows(ev.metadata, "origin", "farm", "signature") == [
        ("md.xml", "sts.contoso.com", "valid"),
        ("md2.xml", "sts.contoso.com", None),
        ("md3.xml", None, None),
        ("failed.json", "sts.contoso.com", None),  # a failed fetch: tied by the URL's host
    ]
    [row] = ev.certificates.to_dict("records")
    assert (row["farm"], row["entity_id"], row["authenticated"], row["metadata_url"]) == ("sts.contoso.com", IDENT, True, "https://x")


def test_file_certificates_take_a_farm_only_by_thumbprint_or_subject(certs):
    ev = build_evidence(
        [
            result("p.txt", farms=(farm("p.txt"), farm("q.txt", host="sts.fabrikam.com", ident="http://sts.fabrikam.com/adfs/services/trust"))),
            result("x", observations=(obs(certs["ca"], "adfs", "p.txt", slot="primary"), obs(certs["ca"], "file", "c.cer", role=None), obs(certs["ts2"], "file", "d.cer", role=None))),
        ]
    )
    assert rows(ev.certificates, "source", "farm") == [("adfs", "sts.contoso.com"), ("file", "sts.contoso.com"), ("file", "sts.contoso.com")]


def test_file_issues_come_first_then_join_issues():
    ev = build_evidence([result("a", issues=(LoadIssue("a", "first", line=3, field="X"),), domains=(EntraDomain("a", None, issuer_uri="urn:q", has_settings=True),))])
    assert rows(ev.issues, "origin", "line", "field", "severity") == [("a", 3, "X", "warning"), ("a", None, None, "warning")]


def test_adfs_certificate_takes_the_farm_whose_domain_holds_its_thumbprint(certs):
    ev = build_evidence(
        [
            result("p.txt", farms=(farm("p.txt"), farm("q.txt", host="sts.fabrikam.com", ident="http://sts.fabrikam.com/adfs/services/trust"))),
            result("table.txt", observations=(obs(certs["ca"], origin="table.txt", slot="primary"),)),  # CA-issued, no subject host
            result("e.json", domains=(EntraDomain("e.json", "contoso.com", issuer_uri=IDENT, has_settings=True),), observations=(obs(certs["ca"], "entra", "e.json", slot="current", domain="contoso.com"),)),
        ]
    )
    assert rows(ev.certificates, "source", "farm") == [("adfs", "sts.contoso.com"), ("entra", "sts.contoso.com")]


# -- AD FS certificates the exports print without a farm (service-communications, Format-Table) --

CONTOSO = "http://fs.contoso.com/adfs/services/trust"
FABRIKAM = "http://sts.fabrikam.com/adfs/services/trust"


def two_farms():
    return result("props.txt", farms=(farm("props.txt", host="fs.contoso.com", ident=CONTOSO), farm("q.txt", host="sts.fabrikam.com", ident=FABRIKAM)))


@pytest.fixture(scope="module")
def ssl():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 1, 1, tzinfo=UTC)
    mk = lambda subject, slot: certificate_from_der(mint_certificate(subject, start, start + dt.timedelta(days=365), key_slot=slot))  # noqa: E731
    return {
        "contoso": mk("CN=fs.contoso.com", 4),
        "contoso-o": mk("CN=FS.Contoso.com,O=Contoso Ltd,C=GB", 5),
        "other": mk("CN=www.example.net", 6),
    }


def bare(n):
    """A certificate as Format-Table prints it: the thumbprint and nothing else."""
    return Certificate(thumbprint=f"{n:040X}", text_derived=True)


def test_service_communications_subject_cn_names_the_farm(ssl):
    ev = build_evidence(
        [
            two_farms(),
            result("a.xml", observations=(obs(ssl["contoso"], origin="a.xml", role="service-communications", slot="primary"),)),
            result("b.xml", observations=(obs(ssl["contoso-o"], origin="b.xml", role="service-communications", slot="primary"),)),
        ]
    )
    assert rows(ev.certificates, "origin", "farm") == [("a.xml", "fs.contoso.com"), ("b.xml", "fs.contoso.com")]


def test_unrelated_certificate_with_two_farms_stays_unplaced(ssl):
    ev = build_evidence(
        [two_farms(), result("c.xml", observations=(obs(ssl["other"], origin="c.xml", role="service-communications", slot="primary"),))]
    )
    assert rows(ev.certificates, "farm") == [(None,)]


def test_format_table_capture_takes_the_farm_of_its_other_certificates(certs, ssl):
    # Three bare thumbprints in one capture; Entra holds the signing one for a domain of
    # fs.contoso.com, so the decrypting and service-communications ones are that farm's too.
    capture = (
        obs(bare(1), origin="table.txt", role="service-communications", slot="primary"),
        obs(bare(2), origin="table.txt", role="token-decrypting", slot="primary"),
        obs(bare(3), origin="table.txt", role="token-signing", slot="primary"),
    )
    entra = result(
        "e.json",
        domains=(EntraDomain("e.json", "contoso.com", issuer_uri=CONTOSO, has_settings=True),),
        observations=(obs(bare(3), "entra", "e.json", slot="current", domain="contoso.com"),),
    )
    # The same decrypting thumbprint printed bare in another capture follows it there (and, the
    # same observation in the same farm, folds into the one row with both origins).
    twin = result("again.txt", observations=(obs(bare(2), origin="again.txt", role="token-decrypting", slot="primary"),))
    ev = build_evidence([two_farms(), result("table.txt", observations=capture), entra, twin])
    adfs = ev.certificates[ev.certificates["source"] == "adfs"]
    assert rows(adfs, "thumbprint", "farm") == [
        (bare(1).thumbprint, "fs.contoso.com"),
        (bare(2).thumbprint, "fs.contoso.com"),
        (bare(3).thumbprint, "fs.contoso.com"),
    ]
    assert list(adfs["origins"].iloc[1]) == ["table.txt", "again.txt"]


def test_capture_naming_two_farms_ties_nothing_else(certs, ssl):
    capture = (
        obs(ssl["contoso"], origin="mixed.txt", role="service-communications", slot="primary"),
        obs(certs["fab"], origin="mixed.txt", slot="primary"),
        obs(bare(7), origin="mixed.txt", role="token-decrypting", slot="primary"),
    )
    ev = build_evidence([two_farms(), result("mixed.txt", observations=capture)])
    assert rows(ev.certificates, "role", "farm") == [
        ("service-communications", "fs.contoso.com"),
        ("token-signing", "sts.fabrikam.com"),
        ("token-decrypting", None),
    ]


def test_certificates_printed_for_a_domain_do_not_tie_their_capture(certs):
    # Get-MsolFederationProperty's ADFS Server side is tied through its domain, not its file:
    # a bare Get-AdfsCertificate row in the same file stays unplaced when two farms are loaded.
    capture = (
        obs(certs["ca"], origin="fp.txt", slot="primary", domain="contoso.com", hints={"identifier": CONTOSO}),
        obs(bare(9), origin="fp.txt", role="token-decrypting", slot="primary"),
    )
    ev = build_evidence([two_farms(), result("fp.txt", observations=capture)])
    assert rows(ev.certificates, "domain", "farm") == [("contoso.com", "fs.contoso.com"), (None, None)]


def test_a_farm_known_only_from_its_certificates_ties_domains_by_sign_in_host(certs):
    # No Get-AdfsProperties: the farm is named by its CN=ADFS Signing - <host> certificate. A domain
    # signing in at that host whose Entra settings hold another (stale) certificate is that farm's
    # domain (so the sync check can say Entra ID lacks the primary), not a domain of no known farm.
    ev = build_evidence(
        [
            result("certs.txt", observations=(obs(certs["ts"], slot="primary"),)),
            result(
                "settings.txt",
                domains=(EntraDomain("settings.txt", "contoso.com", authentication="Federated", has_settings=True,
                                     issuer_uri="http://contoso.com/adfs/services/trust/",
                                     passive_sign_in_uri="https://STS.contoso.com/adfs/ls/"),),
                observations=(obs(certs["fab"], "entra", "settings.txt", domain="contoso.com", slot="current"),),
            ),
        ]
    )
    assert rows(ev.domains, "domain", "farm") == [("contoso.com", "sts.contoso.com")]
