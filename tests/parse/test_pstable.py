"""fedaudit.parse.pstable: Format-Table console text (columns from the dash row)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from _text_render import format_table
from fedaudit.parse.properties import identify_cmdlet
from fedaudit.parse.pslist import parse_format_table
from fedaudit.records import PSObject

TEXT = Path(__file__).parent.parent / "data" / "formats" / "text"


def read(name: str) -> str:
    return (TEXT / name).read_text(encoding="utf-8")


def rows(objs: list[PSObject]) -> list[tuple[str, ...]]:
    return [tuple(o.properties.values()) for o in objs]


@pytest.mark.parametrize(
    ("name", "command", "expected"),
    [
        (
            "msoldomain_accops_before.txt", "get-MsolDomain",
            [("accops.onmicrosoft.com", "Verified", "Managed"), ("accops.cloud", "Verified", "Managed"),
             ("accops.mail.onmicrosoft.com", "Verified", "Managed")],
        ),
        (
            # A literal TAB in the last row (hand edit in the source document).
            "msoldomain_accops_after_tab.txt", "Get-MsolDomain",
            [("accops.onmicrosoft.com", "Verified", "Managed"), ("accops.cloud", "Verified", "Federated"),
             ("accops.mail.onmicrosoft.com", "Verified", "Managed")],
        ),
        (
            # Name column 19 wide instead of 33: widths come from the dash row.
            "msoldomain_issue1435.txt",
            "Get-MsolDomain -Authentication federated | foreach { $_; Get-MsolDomainFederationSettings -DomainName $_.Name }",
            [("<redacted>.example", "Verified", "Federated")],
        ),
    ],
)
def test_get_msoldomain_tables(name: str, command: str, expected: list[tuple[str, ...]]) -> None:
    objs = parse_format_table(read(name), name)
    assert rows(objs) == expected
    assert all(list(o.properties) == ["Name", "Status", "Authentication"] for o in objs)
    assert all(o.form == "table" and o.command == command and o.origin == name for o in objs)
    assert [o.line for o in objs] == list(range(5, 5 + len(expected)))
    assert objs[0].lines == {"Name": 5, "Status": 5, "Authentication": 5}
    assert identify_cmdlet(objs[0].properties) == "Get-MsolDomain"


def test_tab_row_is_really_there() -> None:
    assert "accops.mail.onmicrosoft.com \t Verified Managed" in read("msoldomain_accops_after_tab.txt")


def test_get_mgdomain_wrapped_header() -> None:
    (obj,) = parse_format_table(read("mgdomain_partnercenter_table.txt"), "mg.txt")
    assert obj.properties == {
        "Id": "contoso.com",
        "AuthenticationType": "Managed",
        "AvailabilityStatus": "",
        "IsAdminManaged": "True",
        "IsDefault": "True",
        "IsInitial": "True",
        "IsRoot": "True",
        "IsVerified": "True",
        "Manufacturer": "",  # "Manufact" + "urer" over two header lines
    }
    assert obj.line == 4 and obj.command is None
    assert identify_cmdlet(obj.properties) == "Get-MgDomain"


def test_lists_in_the_capture_are_not_tables() -> None:
    objs = parse_format_table(read("msoldomainfederationsettings_issue1435_mixed.txt"), "mixed.txt")
    assert rows(objs) == [("<redacted>.example", "Verified", "Federated")]
    assert parse_format_table(read("adfsproperties_msdocs_full.txt"), "fl.txt") == []


def test_adfs_certificate_table_with_truncated_cells_and_right_aligned_column() -> None:
    # `Get-AdfsCertificate | ft CertificateType,Thumbprint,IsPrimary,NotAfter` on a narrow
    # PowerShell 7 console: the last column is cut with U+2026, 5.1 would print "...".
    text = (
        "PS C:\\> Get-AdfsCertificate | ft CertificateType,Thumbprint,IsPrimary,@{n='NotAfter';e={$_.Certificate.NotAfter}}\n"
        "\n"
        "CertificateType        Thumbprint                               IsPrimary NotAfter\n"
        "---------------        ----------                               --------- --------\n"
        "Service-Communications 0BC1F0A9E36E5F9C4C0F5C0C2A2B5F0B6A4C2E11      True 12/1/2025 1…\n"
        "Token-Decrypting       57CA6410E8C213DC14645AEBCCDEF0481FC8C641     False 10/1/2057 3…\n"
        "Token-Signing          41D3FE9CB98FA89BE0899904B3B227DECB8A512A     False 10/1/2057 3...\n"
    )
    objs = parse_format_table(text, "ft.txt")
    assert rows(objs) == [
        ("Service-Communications", "0BC1F0A9E36E5F9C4C0F5C0C2A2B5F0B6A4C2E11", "True", "12/1/2025 1…"),
        ("Token-Decrypting", "57CA6410E8C213DC14645AEBCCDEF0481FC8C641", "False", "10/1/2057 3…"),
        ("Token-Signing", "41D3FE9CB98FA89BE0899904B3B227DECB8A512A", "False", "10/1/2057 3..."),
    ]
    assert objs[0].command.startswith("Get-AdfsCertificate | ft CertificateType")
    assert identify_cmdlet(objs[0].properties) == "Get-AdfsCertificate"


def test_wrapped_rows_join_the_row_above() -> None:
    text = (
        "Name                 Status\n"
        "----                 ------\n"
        "a-very-long-domain-n Verified\n"
        "ame.contoso.com\n"
        "b.contoso.com        Unverified\n"
    )
    # Format-Table -Wrap puts the rest of a long cell on the next line, other columns empty.
    # Here the first column itself wrapped: a new row whose other cells are empty.
    objs = parse_format_table(text, "wrap.txt")
    assert [o.properties["Name"] for o in objs] == ["a-very-long-domain-n", "ame.contoso.com", "b.contoso.com"]
    text2 = (
        "Name          Status\n"
        "----          ------\n"
        "a.contoso.com Pending\n"
        "              Deletion\n"
    )
    (obj,) = parse_format_table(text2, "wrap2.txt")
    assert obj.properties == {"Name": "a.contoso.com", "Status": "Pending Deletion"}


def test_two_tables_and_markdown_indentation() -> None:
    one = format_table(["Name", "Status", "Authentication"], [["contoso.com", "Verified", "Federated"]])
    two = format_table(["Id", "AuthenticationType"], [["fabrikam.com", "Managed"], ["fabrikam.onmicrosoft.com", "Managed"]])
    text = "PS> Get-MsolDomain\n" + one + "PS> Get-MgDomain | ft Id,AuthenticationType\n" + two
    text = "\n".join("    " + ln if ln else ln for ln in text.split("\n"))
    objs = parse_format_table(text, "two.txt")
    assert [(o.command, tuple(o.properties.values())) for o in objs] == [
        ("Get-MsolDomain", ("contoso.com", "Verified", "Federated")),
        ("Get-MgDomain | ft Id,AuthenticationType", ("fabrikam.com", "Managed")),
        ("Get-MgDomain | ft Id,AuthenticationType", ("fabrikam.onmicrosoft.com", "Managed")),
    ]


def test_double_spaced_table_from_a_markdown_paste() -> None:
    text = "Name          Status\n\n----          ------\n\na.contoso.com Verified\n\nb.contoso.com Unverified\n"
    assert rows(parse_format_table(text, "ds.txt")) == [("a.contoso.com", "Verified"), ("b.contoso.com", "Unverified")]


@pytest.mark.parametrize(
    "text",
    [
        "-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n",
        "Name\n-\nx\n",  # a one-character underline is not a table
        "\n----\nvalue\n",  # no header
        "Header text far away\n                                   ----\nx\n",
    ],
)
def test_things_that_are_not_tables(text: str) -> None:
    assert parse_format_table(text, "no.txt") == []


_CELL = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters=".-_…"), min_size=1, max_size=24)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.from_regex(r"\A[A-Z][A-Za-z]{1,15}\Z"), min_size=1, max_size=5, unique=True),
    st.data(),
)
def test_generated_tables_round_trip(header: list[str], data) -> None:
    body = data.draw(st.lists(st.lists(_CELL, min_size=len(header), max_size=len(header)), min_size=1, max_size=6))
    objs = parse_format_table(format_table(header, body), "gen.txt")
    assert [list(o.properties) for o in objs] == [header] * len(body)
    assert [list(o.properties.values()) for o in objs] == body


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -\t\n…:|")), max_size=300))
def test_dash_heavy_text_never_raises(text: str) -> None:
    for obj in parse_format_table(text, "fuzz.txt"):
        assert obj.form == "table" and all(isinstance(v, str) for v in obj.properties.values())


def test_right_aligned_cells_wider_than_their_header() -> None:
    # TableWriter right-aligns numbers; the dashes sit under the header text only.
    text = (
        "Name            PasswordValidityPeriodInDays   Port\n"
        "----            ----------------------------   ----\n"
        "contoso.com                       2147483647  49443\n"
        "fabrikam.com                              90      1\n"
    )
    assert rows(parse_format_table(text, "num.txt")) == [
        ("contoso.com", "2147483647", "49443"),
        ("fabrikam.com", "90", "1"),
    ]


def test_hostile_wide_table_is_bounded() -> None:
    # 200,000 one-letter columns: refused as a table (more than any console shows), quickly.
    text = "a " * 200_000 + "\n" + "- " * 200_000 + "\nx\n"
    assert parse_format_table(text, "wide.txt") == []
