"""Console text edge cases (issue 12, item 7), on the bundled sample exports.

* ``Name: value`` without padding before the colon, where Name is a known property, is a
  property (a SigningCertificate line was folded into the empty value above it and lost).
* Structured formats are lossless: a URI from Export-Clixml (or JSON, CSV) is never cut at its
  first word (the console-annotation rule is for console text only).
* Console text: an annotation after a URI is dropped with a load issue naming it; a URI the
  console wrapped over several lines is joined; a line that fits no value is a load issue.
"""

from __future__ import annotations

from pathlib import Path

from fedaudit.evidence.join import build_evidence
from fedaudit.parse import read_export

ROOT = Path(__file__).resolve().parents[2]
MSOL_FL = ROOT / "data" / "samples" / "entra" / "contoso-msonline" / "federation-settings.txt"
ADFS_CLIXML = ROOT / "data" / "samples" / "ad-fs" / "woodgrove-adfs-p1" / "adfs-properties.xml"
IDENTIFIER = "http://adfs.woodgrovebank.com/adfs/services/trust"


def _signing(result):
    return {(o.domain, o.slot, o.certificate.thumbprint) for o in result.observations}


def test_name_colon_value_without_padding_is_a_known_property():
    text = MSOL_FL.read_text(encoding="utf-8-sig")
    original = read_export(text.encode(), "settings.txt")
    assert any(slot == "current" for _, slot, _ in _signing(original))
    tight = text.replace("SigningCertificate                     : MIIC", "SigningCertificate: MIIC", 1)
    tight = tight.replace("IssuerUri                              : ", "IssuerUri: ", 1)
    assert tight != text
    result = read_export(tight.encode(), "settings.txt")
    assert _signing(result) == _signing(original)  # the certificate is not lost
    assert [d.issuer_uri for d in result.domains] == [d.issuer_uri for d in original.domains]
    assert len(result.issues) == len(original.issues)


def test_unknown_name_colon_value_stays_a_continuation():
    text = MSOL_FL.read_text(encoding="utf-8-sig")
    # "Note: ..." is no property of any cmdlet: it does not start one.
    noted = text.replace("SupportsMfa                            :\n",
                         "SupportsMfa                            :\nNote: pasted by hand\n", 1)
    result = read_export(noted.encode(), "settings.txt")
    assert all("Note" not in (o.hints or {}) for o in result.observations)
    assert _signing(result) == _signing(read_export(text.encode(), "settings.txt"))
    # Not read, and not lost silently either: an info load issue names the line.
    [issue] = [i for i in result.issues if "Note: pasted by hand" in i.message]
    assert (issue.severity, issue.field) == ("info", "SupportsMfa")
    assert noted.splitlines()[issue.line - 1] == "Note: pasted by hand"


def _clixml_with_identifier(value: str) -> bytes:
    text = ADFS_CLIXML.read_bytes().decode("utf-16")
    assert f'<URI N="Identifier">{IDENTIFIER}</URI>' in text
    return text.replace(f'<URI N="Identifier">{IDENTIFIER}</URI>', f'<URI N="Identifier">{value}</URI>').encode("utf-16")


def test_clixml_uri_is_never_cut():
    odd = f"{IDENTIFIER} (primary farm)"
    result = read_export(_clixml_with_identifier(odd), "adfs-properties.xml")
    [farm] = result.farms
    assert farm.identifier == odd
    assert not [i for i in result.issues if i.field == "Identifier"]
    frame = build_evidence([result]).farms
    assert frame["identifier"].tolist() == [odd]


def test_console_annotation_after_a_uri_is_dropped_with_a_load_issue():
    text = MSOL_FL.read_text(encoding="utf-8-sig")
    line = "IssuerUri                              : http://fs.contoso.com/adfs/services/trust"
    annotated = text.replace(line, line + "   <-- the farm's identifier", 1)
    result = read_export(annotated.encode(), "settings.txt")
    issuer = {d.domain: d.issuer_uri for d in result.domains}["contoso.com"]
    assert issuer == "http://fs.contoso.com/adfs/services/trust"
    [issue] = [i for i in result.issues if i.field == "IssuerUri"]
    assert issue.severity == "info" and "dropped" in issue.message and "farm's identifier" in issue.message
    assert issue.line == text.splitlines().index(line) + 1


def test_console_wrapped_uri_is_joined():
    text = MSOL_FL.read_text(encoding="utf-8-sig")
    line = "MetadataExchangeUri                    : https://fs.contoso.com/adfs/services/trust/mex"
    wrapped = text.replace(line, line[:-12] + "\n" + " " * 41 + line[-12:], 1)
    result = read_export(wrapped.encode(), "settings.txt")
    mex = {d.domain: d.metadata_exchange_uri for d in result.domains}["contoso.com"]
    assert mex == "https://fs.contoso.com/adfs/services/trust/mex"
    assert not [i for i in result.issues if i.field == "MetadataExchangeUri"]
