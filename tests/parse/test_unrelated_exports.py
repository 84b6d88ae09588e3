"""Unrelated console captures are not taken for a cmdlet export (review defect).

A ``Get-Service wuauserv | Format-List`` capture used to load as Get-MsolDomain with a domain
``wuauserv``, because ``Name`` and ``Status`` are Get-MsolDomain properties. Recognition now asks
that most printed names belong to the cmdlet and that the match is more than the names every
object prints; a Get-MsolDomain / Get-MgDomain row whose name is no domain name is a load issue.
The captures below are what Windows PowerShell 5.1 prints for these commands.
"""

from __future__ import annotations

import json

import pytest

from fedaudit.cli import main
from fedaudit.evidence.load import load
from fedaudit.parse import read_export
from fedaudit.parse.dispatch import UNRECOGNISED
from fedaudit.parse.properties import identify_cmdlet
from tests._structured_render import utf16

GET_SERVICE_FL = """\
PS C:\\> Get-Service wuauserv | Format-List


Name                : wuauserv
DisplayName         : Windows Update
Status              : Running
DependentServices   : {}
ServicesDependedOn  : {rpcss}
CanPauseAndContinue : False
CanShutdown         : True
CanStop             : True
ServiceType         : Win32ShareProcess


"""

GET_SERVICE_TABLE = """\

Status   Name               DisplayName
------   ----               -----------
Running  wuauserv           Windows Update
Stopped  WSearch            Windows Search

"""

GET_PROCESS_TABLE = """\

Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName
-------  ------    -----      -----     ------     --  -- -----------
    321      19     5432      16384       0.52   1234   1 svchost
    887      41    61544      78216      12.31   2468   0 Microsoft.IdentityServer.ServiceHost

"""

GET_CHILDITEM = """\


    Directory: C:\\exports


Mode                 LastWriteTime         Length Name
----                 -------------         ------ ----
-a----        01/03/2025     10:15           2048 adfs-certs.txt
-a----        01/03/2025     10:16           1024 contoso.com

"""

CERT_STORE = """\


   PSParentPath: Microsoft.PowerShell.Security\\Certificate::LocalMachine\\My

Thumbprint                                Subject
----------                                -------
A909502DD82AE41433E6F83886B00D4277A32A7B  CN=sts.contoso.com

"""

COMPUTER_MODEL = """\

Manufacturer : Microsoft Corporation
Model        : Virtual Machine

"""


def _assert_unrecognised(result) -> None:
    assert result.kind == "unrecognised"
    assert [i.message.split(" (")[0] for i in result.issues] == [UNRECOGNISED]
    assert result.domains == () and result.farms == () and result.observations == ()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(GET_SERVICE_FL.encode(), id="Get-Service FL, UTF-8"),
        pytest.param(utf16(GET_SERVICE_FL), id="Get-Service FL, UTF-16"),
        pytest.param(utf16("Name : x"), id="Name : x, UTF-16"),
        pytest.param(b"Name : x\n", id="Name : x, UTF-8"),
        pytest.param(GET_SERVICE_TABLE.encode(), id="Get-Service table"),
        pytest.param(GET_PROCESS_TABLE.encode(), id="Get-Process table"),
        pytest.param(utf16(GET_CHILDITEM), id="Get-ChildItem listing"),
        pytest.param(CERT_STORE.encode(), id="Get-ChildItem Cert:"),
        pytest.param(COMPUTER_MODEL.encode(), id="Win32_ComputerSystem Manufacturer, Model"),
    ],
)
def test_unrelated_capture_is_an_unrecognised_load_issue(data: bytes) -> None:
    _assert_unrecognised(read_export(data, "unrelated.txt"))


def test_get_service_capture_through_load_and_cli(tmp_path, capsys) -> None:
    path = tmp_path / "svc.txt"
    path.write_text(GET_SERVICE_FL, encoding="utf-8")
    ev = load(path)
    assert ev.domains.empty and ev.farms.empty and ev.certificates.empty
    assert list(ev.issues["message"].str.startswith(UNRECOGNISED)) == [True]
    assert main(["inventory", str(path), "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [i["kind"] for i in out["inputs"]] == ["unrecognised"]
    assert out["domains"] == [] and out["issues"][0]["message"].startswith(UNRECOGNISED)


# -- real partial selections are still recognised ----------------------------------------------


def test_partial_real_selections_still_load() -> None:
    msol = (
        "PS C:\\> Get-MsolDomain | ft Name,Status,Authentication\n\n"
        "Name                      Status   Authentication\n"
        "----                      ------   --------------\n"
        "contoso.com               Verified Federated\n"
        "contoso.onmicrosoft.com   Verified Managed\n\n"
    )
    r = read_export(msol.encode(), "msol.txt")
    assert r.kind == "Get-MsolDomain (Format-Table, UTF-8)" and r.issues == ()
    assert [(d.domain, d.authentication, d.status) for d in r.domains] == [
        ("contoso.com", "Federated", "Verified"),
        ("contoso.onmicrosoft.com", "Managed", "Verified"),
    ]
    adfs = (
        "PS C:\\> Get-AdfsProperties | FL HostName, Identifier, AutoCert*, Certificate*\n\n"
        "HostName                       : sts.contoso.com\n"
        "Identifier                     : http://sts.contoso.com/adfs/services/trust\n"
        "AutoCertificateRollover        : True\n"
        "CertificateCriticalThreshold   : 2\n"
        "CertificateDuration            : 365\n"
        "CertificateGenerationThreshold : 20\n"
        "CertificatePromotionThreshold  : 5\n"
        "CertificateRolloverInterval    : 720\n"
        "CertificateSharingContainer    :\n"
        "CertificateThresholdMultiplier : 1440\n\n"
    )
    r = read_export(adfs.encode(), "adfs.txt")
    assert r.kind == "Get-AdfsProperties (Format-List, UTF-8)"
    assert [(f.host_name, f.auto_certificate_rollover) for f in r.farms] == [("sts.contoso.com", True)]


def test_adfs_certificate_with_computed_columns_and_remoting_names() -> None:
    computed = (
        "\nCertificateType  Thumbprint                                NotAfter              Subject\n"
        "---------------  ----------                                --------              -------\n"
        "Token-Signing    A909502DD82AE41433E6F83886B00D4277A32A7B  3/1/2027 12:00:00 PM  CN=ADFS Signing\n\n"
    )
    r = read_export(computed.encode(), "computed.txt", culture="en-US")
    assert r.kind.startswith("Get-AdfsCertificate (Format-Table")
    assert [o.certificate.thumbprint for o in r.observations] == ["A909502DD82AE41433E6F83886B00D4277A32A7B"]
    # Invoke-Command adds PSComputerName, RunspaceId, PSShowComputerName: they say nothing either way.
    names = ["CertificateType", "IsPrimary", "Thumbprint", "PSComputerName", "RunspaceId", "PSShowComputerName"]
    assert identify_cmdlet(names) == "Get-AdfsCertificate"


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["Name"], None),  # one name every object prints
        (["Name", "Status"], None),
        (["Status", "Name", "DisplayName"], None),
        (["Manufacturer", "Model"], None),
        (["Thumbprint", "Subject", "NotAfter"], None),
        # most names must belong to the cmdlet: 2 of 4 is not most, 2 of 3 is
        (["Source", "TokenSigningCertificate", "Foo", "Bar"], None),
        (["Source", "TokenSigningCertificate", "Foo"], "Get-MsolFederationProperty"),
        (["Name", "Status", "Authentication"], "Get-MsolDomain"),
        (["Name", "Status", "Authentication", "DependentServices", "ServicesDependedOn", "CanStop"], None),
        (["DomainName", "Source", "TokenSigningCertificate"], "Get-MsolFederationProperty"),  # the collector's column
        (["TokenSigningCertificate"], "Get-MsolFederationProperty"),  # one telling name
    ],
)
def test_recognition_needs_most_names_and_a_telling_one(names: list[str], expected: str | None) -> None:
    assert identify_cmdlet(names) == expected


# -- domain rows must name domains ---------------------------------------------------------------


def test_domain_rows_that_name_no_domain_are_load_issues() -> None:
    msol = (
        "\nName                 Status   Authentication\n"
        "----                 ------   --------------\n"
        "wuauserv             Verified Federated\n"
        "<redacted>.example   Verified Federated\n"
        "192.0.2.10           Verified Managed\n\n"
    )
    r = read_export(msol.encode(), "msol.txt")
    assert [d.domain for d in r.domains] == ["<redacted>.example"]  # a redacted label is still a label
    assert [(i.field, i.line, i.message) for i in r.issues] == [
        ("Name", 4, "Get-MsolDomain Name 'wuauserv' is not a domain name: row skipped"),
        ("Name", 6, "Get-MsolDomain Name '192.0.2.10' is not a domain name: row skipped"),
    ]
    mg = (
        "\nId          AuthenticationType IsDefault IsInitial IsRoot IsVerified\n"
        "--          ------------------ --------- --------- ------ ----------\n"
        "wuauserv    Federated          False     False     True   True\n"
        "Contoso.com Federated          True      False     True   True\n\n"
    )
    r = read_export(mg.encode(), "mg.txt")
    assert r.kind == "Get-MgDomain (Format-Table, UTF-8)"
    assert [d.domain for d in r.domains] == ["contoso.com"]
    assert [(i.field, i.message) for i in r.issues] == [("Id", "domain Id 'wuauserv' is not a domain name: row skipped")]
