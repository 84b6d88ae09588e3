"""Crypto checks: RSA below 2048 bits, SHA-1 certificate signatures (real minted certificates)."""

from __future__ import annotations

import pytest
from _evidence_builder import Estate, assert_well_formed, findings_of

FARM = "fs.contoso.com"


def _estate(*, key_size=2048, hash_name="sha256", role="token-signing", adfs=True):
    est = Estate()
    c = est.cert("c", days=200, key_size=key_size, hash_name=hash_name)
    good = est.cert("good", days=200)
    if adfs:
        est.farm(FARM)
        est.adfs(FARM, c if role == "token-signing" else good)
        if role == "token-decrypting":
            est.adfs(FARM, c, role="token-decrypting")
        est.domain("contoso.com", farm=FARM, signing=c if role == "token-signing" else good)
    else:
        est.domain("contoso.com", signing=c, issuer_uri="https://idp.example/", passive="https://idp.example/sso")
    return est.evidence()


CASES = {
    "crypto.weak-key": (lambda: _estate(key_size=1024), lambda: _estate()),
    "crypto.sha1-signature": (lambda: _estate(hash_name="sha1"), lambda: _estate()),
}


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_positive(check_id):
    ev = CASES[check_id][0]()
    found = findings_of(check_id, ev)
    # reported once, at farm level, although Entra holds the same certificate
    assert [f.id for f in found] == [check_id]
    assert found[0].farm == FARM and found[0].domain is None
    assert_well_formed(found, ev)


@pytest.mark.parametrize("check_id", sorted(CASES))
def test_negative(check_id):
    assert findings_of(check_id, CASES[check_id][1]()) == []


def test_weak_token_decrypting_key_names_the_right_certificate_type():
    (f,) = findings_of("crypto.weak-key", _estate(key_size=1024, role="token-decrypting"))
    assert "token-decrypting" in f.title
    assert "Update-AdfsCertificate -CertificateType Token-Decrypting" in f.remediation


def test_entra_copy_reported_when_adfs_is_not_in_the_evidence():
    (f,) = findings_of("crypto.weak-key", _estate(key_size=1024, adfs=False))
    assert f.domain == "contoso.com" and f.farm is None


def test_threshold_is_configurable():
    assert findings_of("crypto.weak-key", _estate(), thresholds={"min_rsa_bits": 3072}) != []


def test_text_derived_certificates_without_key_facts_are_skipped():
    ev = _estate(key_size=1024)
    ev.certificates["key_size"] = None
    ev.certificates["signature_hash"] = None
    assert findings_of("crypto.weak-key", ev) == []
    assert findings_of("crypto.sha1-signature", ev) == []
