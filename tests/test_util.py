"""fedaudit._util: the one host / URI normaliser every stage uses."""

from __future__ import annotations

import pytest

import fedaudit
from fedaudit._util import host_of, issuer_forms, norm_uri, uri_key


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://FS.Contoso.com/adfs/ls/", "fs.contoso.com"),
        ("  https://fs.contoso.com:443/x ", "fs.contoso.com"),
        ("http://[bad/adfs/services/trust", None),  # urlsplit raises ValueError: no host, no crash
        ("urn:contoso:adfs", None),
        ("", None),
        (None, None),
    ],
)
def test_host_of(url, host):
    assert host_of(url) == host


def test_norm_uri_keeps_the_path_as_written_and_uri_key_ignores_case_and_trailing_slash():
    a, b = "HTTP://FS.contoso.com/adfs/services/trust/", "http://fs.contoso.com/ADFS/services/trust"
    assert norm_uri(a) == "http://fs.contoso.com/adfs/services/trust/"
    assert norm_uri(b) == "http://fs.contoso.com/ADFS/services/trust"
    assert norm_uri(a) != norm_uri(b)  # Entra ID compares the path: a check must tell them apart
    assert uri_key(a) == uri_key(b) == "http://fs.contoso.com/adfs/services/trust"  # the same farm
    assert norm_uri("urn:x ") == "urn:x" and uri_key("  ") is None and norm_uri(None) is None
    assert norm_uri("http://[bad/x") == "http://[bad/x"


def test_issuer_forms():
    assert issuer_forms("Sub.Contoso.com.") == [
        "http://sub.contoso.com/adfs/services/trust/",
        "http://contoso.com/adfs/services/trust/",
    ]


def test_an_identifier_that_is_no_url_is_a_farm_name_not_a_traceback(tmp_path):
    (tmp_path / "props.txt").write_text(
        "PS C:\\> Get-AdfsProperties | Format-List *\n\nAutoCertificateRollover : True\n"
        "Identifier              : http://[bad/adfs/services/trust\nCertificateGenerationThreshold : 20\n",
        encoding="utf-8",
    )
    ev = fedaudit.load(str(tmp_path))
    assert ev.farms["farm"].tolist() == ["http://[bad/adfs/services/trust"]
    result = fedaudit.audit(ev, "2026-11-27")
    assert len(result.verdicts) == 1
