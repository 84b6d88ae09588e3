"""Accepted exceptions: files in TOML and CSV, marking findings, re-opening them on expiry."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from fedaudit.errors import ConfigError
from fedaudit.engine.waivers import AcceptedException, apply_exceptions, exception_status, load_exceptions
from fedaudit.frames import SCHEMAS, make_frame

UTC = dt.timezone.utc


def findings_frame() -> pd.DataFrame:
    rows = [
        {"id": "rollover.auto-off", "severity": "high", "farm": "fs.fabrikam.com", "domain": None, "title": "AutoCertificateRollover is off"},
        {"id": "sync.entra-mismatch", "severity": "critical", "farm": "fs.contoso.com", "domain": "contoso.com", "title": "Entra holds another certificate"},
        {"id": "sync.entra-mismatch", "severity": "critical", "farm": "fs.contoso.com", "domain": "contoso.co.uk", "title": "Entra holds another certificate"},
        {"id": "crypto.sha1", "severity": "warning", "farm": "fs.contoso.com", "domain": None, "title": "SHA-1 signature"},
    ]
    return make_frame("findings", rows)


def exc(**kw) -> AcceptedException:
    base = dict(check="rollover.auto-off", farm="fs.fabrikam.com", justification="CA-issued; PKI renews it", owner="pki@fabrikam.com", expires=dt.date(2026, 10, 1))
    base.update(kw)
    return AcceptedException(**base)


def test_live_exception_marks_the_finding_and_keeps_it() -> None:
    out = apply_exceptions(findings_frame(), [exc()], dt.datetime(2026, 9, 1, tzinfo=UTC))
    assert len(out) == 4
    assert out["excepted"].tolist() == [True, False, False, False]
    assert out.loc[0, "exception"] == "excepted until 2026-10-01 (owner pki@fabrikam.com): CA-issued; PKI renews it"
    assert out["exception"].isna().tolist() == [False, True, True, True]
    assert out["excepted"].dtype == SCHEMAS["findings"]["excepted"]
    assert str(out["exception"].dtype) == "string"
    assert list(out.columns) == list(findings_frame().columns)


def test_expired_exception_reopens_its_finding_and_says_so() -> None:
    # The expiry date is the last day the exception applies.
    on_last_day = apply_exceptions(findings_frame(), [exc()], dt.datetime(2026, 10, 1, 23, 59, tzinfo=UTC))
    assert bool(on_last_day.loc[0, "excepted"]) is True
    next_day = apply_exceptions(findings_frame(), [exc()], dt.datetime(2026, 10, 2, tzinfo=UTC))
    assert bool(next_day.loc[0, "excepted"]) is False
    assert next_day.loc[0, "exception"] == "exception expired 2026-10-01 (owner pki@fabrikam.com): CA-issued; PKI renews it"


def test_as_of_in_another_zone_is_judged_in_utc() -> None:
    late_evening = dt.datetime(2026, 10, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5)))  # 2 Oct UTC
    out = apply_exceptions(findings_frame(), [exc()], late_evening)
    assert bool(out.loc[0, "excepted"]) is False


def test_domain_scope_matches_only_that_domain_case_insensitively() -> None:
    e = exc(check="SYNC.ENTRA-MISMATCH", farm=None, domain="Contoso.COM")
    out = apply_exceptions(findings_frame(), [e], dt.date(2026, 1, 1))
    assert out["excepted"].tolist() == [False, True, False, False]


def test_farm_scope_covers_the_farm_and_its_domains_for_that_check_only() -> None:
    e = exc(check="sync.entra-mismatch", farm="FS.CONTOSO.COM")
    out = apply_exceptions(findings_frame(), [e], dt.date(2026, 1, 1))
    assert out["excepted"].tolist() == [False, True, True, False]


def test_farm_and_domain_together_narrow_the_scope() -> None:
    e = exc(check="sync.entra-mismatch", farm="fs.contoso.com", domain="contoso.co.uk")
    out = apply_exceptions(findings_frame(), [e], dt.date(2026, 1, 1))
    assert out["excepted"].tolist() == [False, False, True, False]


def test_a_live_exception_wins_over_an_expired_one() -> None:
    old = exc(expires=dt.date(2025, 1, 1), owner="old@x")
    new = exc(expires=dt.date(2027, 1, 1), owner="new@x")
    out = apply_exceptions(findings_frame(), [old, new], dt.date(2026, 1, 1))
    assert bool(out.loc[0, "excepted"]) is True and "new@x" in out.loc[0, "exception"]
    both_old = apply_exceptions(findings_frame(), [old, exc(expires=dt.date(2025, 6, 1), owner="later@x")], dt.date(2026, 1, 1))
    assert both_old.loc[0, "exception"].startswith("exception expired 2025-06-01 (owner later@x)")


def test_no_exceptions_leaves_every_finding_open() -> None:
    out = apply_exceptions(findings_frame(), [], dt.date(2026, 1, 1))
    assert out["excepted"].tolist() == [False] * 4 and out["exception"].isna().all()
    empty = apply_exceptions(make_frame("findings", []), [exc()], dt.date(2026, 1, 1))
    assert len(empty) == 0 and list(empty.columns) == list(SCHEMAS["findings"])


def test_an_exception_needs_a_scope() -> None:
    with pytest.raises(ValueError, match="farm or a domain"):
        exc(farm=None, domain=None)


def test_naive_as_of_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        apply_exceptions(findings_frame(), [exc()], dt.datetime(2026, 1, 1))


def test_exception_status_lists_live_expired_and_unused() -> None:
    used = exc()
    stale = exc(check="crypto.sha1", farm="fs.gone.example", expires=dt.date(2025, 1, 1))
    status = exception_status(findings_frame(), [used, stale], dt.date(2026, 1, 1))
    assert status[["check", "status", "matched"]].values.tolist() == [
        ["rollover.auto-off", "live", 1],
        ["crypto.sha1", "expired", 0],
    ]


# -- files ----------------------------------------------------------------------------------------


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text).lstrip("\n"), encoding=encoding)
    return p


def test_toml_file(tmp_path: Path) -> None:
    p = write(
        tmp_path,
        "exceptions.toml",
        """
        # accepted risks, reviewed quarterly
        [[exception]]
        check = "evidence.metadata-missing"
        farm = "fs.fabrikam.com"
        justification = "metadata is not published to the internet by design"
        owner = "identity-team@fabrikam.com"
        expires = 2026-10-01

        [[exception]]
        check = "evidence.metadata-missing"
        domain = "contoso.com"
        justification = "fetched by the partner's monitoring instead"
        owner = "soc@contoso.com"
        expires = "2027-01-31"
        """,
    )
    first, second = load_exceptions(p)
    assert (first.check, first.farm, first.domain, first.expires) == (
        "evidence.metadata-missing", "fs.fabrikam.com", None, dt.date(2026, 10, 1)
    )
    assert (first.origin, first.line) == (str(p), 2)
    assert (second.domain, second.owner, second.expires, second.line) == ("contoso.com", "soc@contoso.com", dt.date(2027, 1, 31), 9)


@pytest.mark.parametrize("sep", [",", ";"])
def test_csv_file_with_either_separator_and_a_bom(tmp_path: Path, sep: str) -> None:
    text = sep.join(["check", "farm", "domain", "justification", "owner", "expires"]) + "\n"
    text += "# a comment line\n"
    text += sep.join(["evidence.metadata-missing", "fs.fabrikam.com", "", '"internal only, by design"', "pki@fabrikam.com", "2026-10-01"]) + "\n"
    p = tmp_path / "exceptions.csv"
    p.write_text(text, encoding="utf-8-sig")
    (e,) = load_exceptions(p)
    assert (e.check, e.farm, e.domain, e.justification, e.expires, e.line) == (
        "evidence.metadata-missing", "fs.fabrikam.com", None, "internal only, by design", dt.date(2026, 10, 1), 3
    )


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("e.toml", '[[exception]]\ncheck = "evidence.metadata-missing"\nfarm = "f"\njustification = "j"\nexpires = 2026-01-01\n', "missing owner"),
        ("e.toml", '[[exception]]\ncheck = "evidence.metadata-missing"\njustification = "j"\nowner = "o"\nexpires = 2026-01-01\n', "give the farm or the domain"),
        ("e.toml", '[[exception]]\ncheck = "evidence.metadata-missing"\nfarm = "f"\njustification = "j"\nowner = "o"\nexpires = "next year"\n', "expires: 'next year' is not a date (use YYYY-MM-DD)"),
        ("e.toml", '[[exception]]\ncheck = "evidence.metadata-missing"\nfarm = "f"\njustification = "j"\nowner = "o"\nexpiry = 2026-01-01\n', "unknown key 'expiry' (did you mean 'expires'?)"),
        ("e.toml", '[[exceptions]]\ncheck = "x"\n', "unknown top-level key 'exceptions' (did you mean 'exception'?)"),
        ("e.toml", "[[exception]\n", "not valid TOML"),
        ("e.csv", "check,farm,domian,justification,owner,expires\n", "unknown column 'domian' (did you mean 'domain'?)"),
        ("e.csv", "check,farm,justification,expires\n", "missing column(s) owner"),
        ("e.csv", "check,farm,domain,justification,owner,expires\nevidence.metadata-missing,f,,a,b,o,2026-01-01\n", "line 2: 7 fields but the header has 6"),
        ("e.txt", "", "must end in .toml or .csv"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path: Path, name: str, text: str, message: str) -> None:
    p = write(tmp_path, name, text)
    with pytest.raises(ConfigError) as err:
        load_exceptions(p)
    assert str(err.value).startswith(str(p))
    assert message in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="exceptions file not found"):
        load_exceptions(tmp_path / "none.toml")


def test_unknown_check_id_names_the_closest() -> None:
    from fedaudit.checks import REGISTRY

    ids = [c.id for c in REGISTRY]
    typo = ids[0][:-1] + ("x" if ids[0][-1] != "x" else "y")
    from fedaudit.engine.waivers import parse_exceptions_toml

    text = f'[[exception]]\ncheck = "{typo}"\nfarm = "f"\njustification = "j"\nowner = "o"\nexpires = 2026-01-01\n'
    with pytest.raises(ConfigError, match=rf"unknown check id '{typo}' \(did you mean '{ids[0]}'\?\)"):
        parse_exceptions_toml(text, origin="x.toml")


def test_example_exception_files_load() -> None:
    examples = Path(__file__).resolve().parents[2] / "examples"
    toml = load_exceptions(examples / "exceptions.toml")
    csv_ = load_exceptions(examples / "exceptions.csv")
    assert toml and csv_
    assert [(e.check, e.farm, e.domain, e.expires) for e in toml] == [(e.check, e.farm, e.domain, e.expires) for e in csv_]


# -- with the engine and the check command ------------------------------------------------------

COLLECTED = Path(__file__).resolve().parent.parent / "data" / "collector"
EVIDENCE = [COLLECTED / "fedaudit-evidence-20261127T061500Z-ADFS01", COLLECTED / "fedaudit-evidence-20261127T063000Z-ADMIN-WS"]


def test_excepted_findings_never_fail_and_expired_ones_do() -> None:
    import fedaudit
    from fedaudit.engine.core import exit_code

    result = fedaudit.audit(fedaudit.load(*EVIDENCE), dt.datetime(2026, 11, 27, tzinfo=UTC))
    critical = result.findings[result.findings["severity"].astype(str) == "critical"]
    assert set(zip(critical["id"], critical["domain"])) == {("sync.primary-not-in-entra", "contoso.co.uk")}
    assert exit_code(result, "critical") == 1
    live = exc(check="sync.primary-not-in-entra", farm=None, domain="contoso.co.uk", expires=dt.date(2026, 12, 31))
    marked = apply_exceptions(result.findings, [live], result.as_of)
    import dataclasses

    assert exit_code(dataclasses.replace(result, findings=marked), "critical") == 0
    lapsed = dataclasses.replace(live, expires=dt.date(2026, 11, 26))
    reopened = apply_exceptions(result.findings, [lapsed], result.as_of)
    assert exit_code(dataclasses.replace(result, findings=reopened), "critical") == 1


@pytest.mark.parametrize(("expires", "code", "text"), [("2026-12-31", 0, "excepted until 2026-12-31"), ("2026-11-26", 1, "exception expired 2026-11-26")])
def test_check_command_takes_an_exceptions_file(tmp_path: Path, capsys, expires: str, code: int, text: str) -> None:
    import json

    from fedaudit.cli import main

    p = tmp_path / "exceptions.csv"
    p.write_text(f"check,domain,justification,owner,expires\nsync.primary-not-in-entra,contoso.co.uk,retiring,o@contoso.com,{expires}\n", encoding="utf-8")
    argv = ["check", *map(str, EVIDENCE), "--as-of", "2026-11-27", "--fail-on", "critical", "--exceptions", str(p)]
    assert main([*argv, "--format", "json"]) == code
    findings = json.loads(capsys.readouterr().out)["findings"]
    (row,) = [f for f in findings if f["id"] == "sync.primary-not-in-entra"]
    assert row["excepted"] is (code == 0) and row["exception"].startswith(text)
    assert main(argv) == code
    assert f"Exception: {text}" in capsys.readouterr().out


def test_audit_applies_exceptions_once_from_records_or_a_file(tmp_path: Path) -> None:
    import fedaudit
    from fedaudit.engine.core import exit_code

    evidence = fedaudit.load(*EVIDENCE)
    as_of = dt.datetime(2026, 11, 27, tzinfo=UTC)
    live = exc(check="sync.primary-not-in-entra", farm=None, domain="contoso.co.uk", expires=dt.date(2026, 12, 31))
    by_record = fedaudit.audit(evidence, as_of, exceptions=[live])
    toml = tmp_path / "exceptions.toml"
    toml.write_text(textwrap.dedent("""
        [[exception]]
        check = "sync.primary-not-in-entra"
        domain = "contoso.co.uk"
        justification = "cut-over this week"
        owner = "iam@contoso.com"
        expires = 2026-12-31
    """), encoding="utf-8")
    by_file = fedaudit.audit(evidence, as_of, exceptions=str(toml))
    plain = fedaudit.audit(evidence, as_of)
    for result in (by_record, by_file):
        row = result.findings[result.findings["id"] == "sync.primary-not-in-entra"].iloc[0]
        assert bool(row["excepted"]) and "2026-12-31" in str(row["exception"])
        assert exit_code(result, "critical") == 0
    assert exit_code(plain, "critical") == 1
    assert not plain.findings["excepted"].fillna(False).astype(bool).any()
