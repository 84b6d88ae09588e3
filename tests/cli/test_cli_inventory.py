"""``fedaudit inventory``: output formats, exit codes and error lines."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json

import pytest

from fedaudit.cli import main
from tests._structured_render import facts, graph_federation

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def der():
    from support.synth import mint_certificate

    start = dt.datetime(2026, 2, 1, tzinfo=UTC)
    return mint_certificate("CN=ADFS Signing - sts.contoso.com", start, start + dt.timedelta(days=365))


@pytest.fixture()
def folder(tmp_path, der):
    (tmp_path / "graph.json").write_text(graph_federation(der, context_domain="contoso.com"))
    settings = (
        "IssuerUri          : http://sts.contoso.com/adfs/services/trust\n"
        f"SigningCertificate : {base64.b64encode(der).decode()}\n"
    )
    (tmp_path / "settings.txt").write_text(settings)
    return tmp_path


def test_json_has_the_contract_keys_and_iso_dates(folder, der, capsys):
    rc = main(["inventory", str(folder), "--format", "json", "--domain-map", f"{folder / 'settings.txt'}=fabrikam.com"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    assert {"certificates", "farms", "domains", "issues", "metadata", "inputs"} <= set(out)
    assert [d["domain"] for d in out["domains"]] == ["contoso.com", "fabrikam.com"]
    cert = out["certificates"][0]
    assert cert["thumbprint"] == facts(der)["thumbprint"]
    assert cert["not_after"] == "2027-02-01T00:00:00+00:00"
    assert out["domains"][0]["update_last_run"] == "2026-10-01T07:44:46.261677+00:00"
    assert out["issues"] == [] and out["farms"] == []
    assert {i["kind"] for i in out["inputs"]} == {"Graph internalDomainFederation (Graph JSON, UTF-8)", "Get-MsolDomainFederationSettings (Format-List, UTF-8)"}


def test_strict_exits_1_with_issues_and_0_without(folder, capsys):
    assert main(["inventory", str(folder / "graph.json"), "--strict"]) == 0
    capsys.readouterr()
    rc = main(["inventory", str(folder), "--strict", "--format", "json"])
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert rc == 1
    # one line on stderr says why it failed (stdout stays pure JSON)
    assert captured.err == "fedaudit inventory: --strict: 1 load issue (listed under issues), so exit 1\n"
    assert [i["field"] for i in out["issues"]] == [None] and "domain_map" in out["issues"][0]["message"]
    assert main(["inventory", str(folder)]) == 0  # issues without --strict


def test_table_and_csv(folder, capsys):
    assert main(["inventory", str(folder)]) == 0
    text = capsys.readouterr().out
    assert text.startswith("inputs (2)") and "certificates (2)" in text and "issues (1)" in text
    assert "metadata" not in text  # no metadata loaded: not shown
    assert main(["inventory", str(folder), "--format", "csv"]) == 0
    text = capsys.readouterr().out
    sections = {part.split("\n", 1)[0]: part.split("\n", 1)[1] for part in text.strip().split("\n\n")}
    assert set(sections) == {"# certificates", "# farms", "# domains", "# issues", "# metadata", "# inputs"}
    rows = list(csv.DictReader(io.StringIO(sections["# certificates"])))
    assert {r["source"] for r in rows} == {"entra"} and rows[0]["farm"] == ""


@pytest.mark.parametrize(
    "argv,message",
    [
        (["inventory", "/nonexistent/path"], "fedaudit: error: /nonexistent/path: no such file or folder\n"),
        (["inventory", ".", "--culture", "xx"], "fedaudit: error: unknown culture 'xx'"),
        (["inventory", ".", "--domain-map", "nodomain"], "fedaudit: error: --domain-map: 'nodomain' is not FILE=DOMAIN\n"),
    ],
)
def test_usage_errors_exit_2_with_one_line(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1


def test_unmatched_domain_map(folder, capsys):
    assert main(["inventory", str(folder), "--domain-map", "other.txt=x.com"]) == 2
    assert capsys.readouterr().err == "fedaudit: error: domain_map: 'other.txt' matches no file that was loaded\n"


def test_argparse_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["inventory"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["inventory", ".", "--format", "xml"])
    assert info.value.code == 2


def test_help_has_an_example_and_exit_codes(capsys):
    with pytest.raises(SystemExit) as info:
        main(["inventory", "-h"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    assert "fedaudit inventory data/samples" in text
    for flag in ("--culture", "--strict", "--format", "--domain-map", "--metadata", "--ca-bundle", "--insecure"):
        assert flag in text
    assert "Exit status:" in text and "1  --strict and there are load issues" in text


def test_workers_reads_in_several_processes_with_the_same_output(capsys):
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    assert main(["inventory", str(samples), "--format", "json", "--workers", "1"]) == 0
    one = capsys.readouterr().out
    assert main(["inventory", str(samples), "--format", "json", "--workers", "3"]) == 0
    assert capsys.readouterr().out == one


@pytest.mark.parametrize("value", ["0", "-1", "two", " 2", "+2", "\u0662", "1.5"])
def test_workers_must_be_a_whole_number_of_one_or_more(folder, value, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["inventory", str(folder), "--workers", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--workers" in err and "Traceback" not in err
