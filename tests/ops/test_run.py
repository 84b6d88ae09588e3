"""``fedaudit run`` and ``fedaudit diff`` over a changing estate; crash safety; the scheduling recipes.

The estate is written with the support.synth writers in the shapes the collector produces
(AD FS exports as Windows PowerShell 5.1 JSON, Entra as Graph REST bodies), and its metadata is
served signed over HTTPS from 127.0.0.1 (trustme CA).
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import signal
import sqlite3
import ssl
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from fedaudit.ops import history
from fedaudit.cli import main
from support.synth import (
    WRITERS,
    AdfsCertificate,
    AdfsProperties,
    Domain,
    FederationSettings,
    encode,
    federation_metadata,
    mint_certificate,
    private_key,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
UTC = dt.timezone.utc
FARM = "fs.contoso.com"
IDENTIFIER = f"http://{FARM}/adfs/services/trust"
METADATA_PATH = "/federationmetadata/2007-06/federationmetadata.xml"

# Certificates: P1 is the primary at the first run; S1, generated 20 days before P1 expires, is
# promoted before the second run (the rotation).
P1 = mint_certificate("CN=ADFS Signing - fs.contoso.com", dt.datetime(2025, 11, 20, tzinfo=UTC), dt.datetime(2026, 11, 20, tzinfo=UTC), key_slot=41)
S1 = mint_certificate("CN=ADFS Signing - fs.contoso.com", dt.datetime(2026, 10, 31, tzinfo=UTC), dt.datetime(2027, 10, 31, tzinfo=UTC), key_slot=42)
TD = mint_certificate("CN=ADFS Encryption - fs.contoso.com", dt.datetime(2025, 11, 20, tzinfo=UTC), dt.datetime(2027, 11, 20, tzinfo=UTC), key_slot=43)
KEYS = {P1: private_key(2048, 41), S1: private_key(2048, 42)}


def tp(der: bytes) -> str:
    import hashlib

    return hashlib.sha1(der).hexdigest().upper()


def write_estate(folder: Path, run: int) -> bytes:
    """Write the exports of run 1 or run 2 into ``folder``; return that run's metadata document.

    Run 1 (as of 2026-11-05): primary P1, secondary S1; contoso.com holds both, contoso.co.uk lags
    (P1 only). Run 2 (as of 2026-11-12): S1 promoted, P1 secondary; contoso.co.uk fixed (S1, P1);
    a new domain new.contoso.com lags (P1 only).
    """
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        old.unlink()
    as_of = dt.datetime(2026, 11, 5 if run == 1 else 12, tzinfo=UTC)
    polled = as_of - dt.timedelta(hours=20)
    if run == 1:
        primary, secondary = P1, S1
        entra = {"contoso.com": (P1, S1, "success"), "contoso.co.uk": (P1, None, "noNewCertificateFound")}
    else:
        primary, secondary = S1, P1
        entra = {"contoso.com": (S1, P1, "success"), "contoso.co.uk": (S1, P1, "success"), "new.contoso.com": (P1, None, "noNewCertificateFound")}
    certs = [AdfsCertificate(primary, "Token-Signing", True), AdfsCertificate(secondary, "Token-Signing", False), AdfsCertificate(TD, "Token-Decrypting", True)]
    (folder / "Get-AdfsProperties.json").write_bytes(encode(WRITERS[("Get-AdfsProperties", "json51")]([AdfsProperties(host_name=FARM)])))
    (folder / "Get-AdfsCertificate.json").write_bytes(encode(WRITERS[("Get-AdfsCertificate", "json51")](certs, depth=4)))
    domains = [Domain("contoso.onmicrosoft.com", "Managed", is_initial=True)] + [Domain(d) for d in entra]
    (folder / "Get-MgDomain.json").write_text(WRITERS[("Get-MgDomain", "graph")](domains, indent=False), encoding="utf-8")
    for domain, (current, nxt, result) in entra.items():
        settings = FederationSettings.for_adfs(domain, FARM, current, nxt, update_result=result, update_last_run=polled)
        (folder / f"Get-MgDomainFederationConfiguration.{domain}.json").write_text(
            WRITERS[("Get-MgDomainFederationConfiguration", "graph")]([settings], as_list=True, indent=False), encoding="utf-8"
        )
    return federation_metadata(IDENTIFIER, FARM, [primary, secondary], [TD], key=KEYS[primary])


EXCEPTIONS = """\
[[exception]]
check = "sync.secondary-not-in-entra"
domain = "contoso.co.uk"
justification = "Entra picks up the secondary at its next poll"
owner = "identity-team@contoso.com"
expires = 2026-12-31

[[exception]]
check = "sync.primary-not-in-entra"
domain = "new.contoso.com"
justification = "Domain added during the migration; trust repaired by CHG-77"
owner = "migration-team@contoso.com"
expires = 2026-11-10
"""


@pytest.fixture
def metadata_site(tmp_path):
    """A loopback HTTPS server serving ``site.document`` at the AD FS metadata path."""
    import trustme

    from support.loopback import LoopbackHTTPS, send

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1")
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    site = SimpleNamespace(document=b"", bundle=bundle)

    def respond(h) -> None:
        if h.path == METADATA_PATH:
            send(h, 200, site.document, "application/samlmetadata+xml")
        else:
            send(h, 404, b"", "text/plain")

    with LoopbackHTTPS(respond, context=context) as server:
        site.url = f"https://127.0.0.1:{server.port}{METADATA_PATH}"
        yield site


def write_config(base: Path, *, metadata_url: str | None = None, ca_bundle: Path | None = None, extra: str = "") -> Path:
    (base / "exceptions.toml").write_text(EXCEPTIONS, encoding="utf-8")
    lines = ['[output]', 'root = "audits"', extra, '', '[[audit]]', 'name = "contoso"', 'exports = ["exports/contoso"]',
             'exceptions = "exceptions.toml"', 'organisation = "Contoso <Group>"']
    if metadata_url:
        lines.append(f'metadata = ["{metadata_url}"]')
    if ca_bundle:
        lines.append(f'ca_bundle = "{ca_bundle.as_posix()}"')
    cfg = base / "fedaudit.toml"
    cfg.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return cfg


def frame_rows(frame, columns):
    sub = frame[columns].astype(object)
    return sub.where(sub.notna(), None).values.tolist()


@pytest.mark.slow
def test_two_scheduled_runs_show_drift_diff_and_index(tmp_path, metadata_site, capsys) -> None:
    exports = tmp_path / "exports" / "contoso"
    cfg = write_config(tmp_path, metadata_url=metadata_site.url, ca_bundle=metadata_site.bundle)
    db = tmp_path / "audits" / "history.sqlite"

    metadata_site.document = write_estate(exports, 1)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 0
    assert capsys.readouterr() == ("", "")  # not a terminal: quiet, as under cron
    metadata_site.document = write_estate(exports, 2)
    # The new domain's exception expired on 2026-11-10: its critical finding re-opens and fails the run.
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-12", "--quiet"]) == 1
    assert capsys.readouterr() == ("", "")

    runs = history.runs(db)
    assert runs["status"].tolist() == ["complete", "complete"] and runs["exit_code"].tolist() == [0, 1]
    first, second = (Path(p) for p in runs["report_path"])
    assert first.parent != second.parent and first.is_file() and second.is_file()
    # the SIEM files a run adds after the report are in its manifest: the folder verifies
    from fedaudit.io.verify import verify_report

    check = verify_report(second.parent)
    assert check.intact, check.problems
    assert (second.parent / "findings.jsonl").is_file() and check.checked >= 7

    # Evidence: the metadata was fetched into the run's evidence folder and loaded.
    with sqlite3.connect(db) as conn:
        kinds = [k for (k,) in conn.execute("SELECT kind FROM inputs WHERE run_id = 2")]
    assert "federation metadata" in kinds and "fetch evidence sidecar" in kinds

    # The drift section of the second report, and `fedaudit diff`, say the same.
    drift = history.diff_runs(db, "previous", "latest")
    certs = drift["certificates"]
    assert frame_rows(certs[certs["source"] == "adfs"], ["change", "slot", "before", "after"]) == [
        ["rotated", "primary", tp(P1), tp(S1)],
        ["rotated", "secondary", tp(S1), tp(P1)],
    ]
    entra = certs[certs["source"] == "entra"]
    assert frame_rows(entra, ["change", "domain", "slot", "before", "after"]) == [
        ["rotated", "contoso.co.uk", "current", tp(P1), tp(S1)],
        ["appeared", "contoso.co.uk", "next", None, tp(P1)],
        ["rotated", "contoso.com", "current", tp(P1), tp(S1)],
        ["rotated", "contoso.com", "next", tp(S1), tp(P1)],
        ["appeared", "new.contoso.com", "current", None, tp(P1)],
    ]
    findings = drift["findings"]
    new = findings[findings["change"] == "new"]
    resolved = findings[findings["change"] == "resolved"]
    assert ("sync.primary-not-in-entra", "new.contoso.com") in set(zip(new["id"], new["domain"]))
    assert ("sync.secondary-not-in-entra", "contoso.co.uk") in set(zip(resolved["id"], resolved["domain"]))
    assert frame_rows(drift["update_status"], ["domain", "before", "after"]) == [
        ["contoso.co.uk", "noNewCertificateFound", "success"],
        ["new.contoso.com", None, "noNewCertificateFound"],
    ]
    assert ["contoso.co.uk", "update-entra", "none"] in frame_rows(drift["actions"], ["domain", "before", "after"])

    page = second.read_text(encoding="utf-8")
    assert 'id="drift"' in page
    for thumb in (tp(P1), tp(S1)):
        assert thumb in page
    assert "rotated" in page and "new.contoso.com" in page
    assert "first recorded run" in first.read_text(encoding="utf-8")

    assert main(["diff", "previous", "latest", "--root", str(tmp_path / "audits"), "--format", "json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["run_id"] for r in printed["baseline"]] == [1, 2]
    assert [[c["change"], c["domain"], c["slot"]] for c in printed["certificates"] if c["source"] == "entra"] == [
        [r[0], r[1], r[2]] for r in frame_rows(entra, ["change", "domain", "slot"])
    ]
    assert main(["diff", "1", second.parent.name, "--config", str(cfg)]) == 0
    table = capsys.readouterr().out
    assert "certificates (appeared / disappeared / rotated)" in table and tp(S1) in table

    # index.html lists both runs, newest first, with links that resolve.
    index = (tmp_path / "audits" / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r"<tr><td class=\"n\">(\d+)</td>.*?</tr>", index, re.S)
    assert rows == ["2", "1"]
    links = re.findall(r'href="([^"]+/report\.html)"', index)
    assert len(links) == 2 and all((tmp_path / "audits" / html.unescape(link)).is_file() for link in links)
    assert index.count(">complete</span>") == 2
    assert "<script" not in index and "http" not in index  # self-contained, no external resource

    # The SIEM files: one line per finding, the expired exception re-opened and saying so.
    lines = [json.loads(x) for x in (second.parent / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    lagging = next(r for r in lines if r["id"] == "sync.primary-not-in-entra" and r["domain"] == "new.contoso.com")
    assert lagging["excepted"] is False
    assert lagging["exception"].startswith("exception expired 2026-11-10 (owner migration-team@contoso.com)")
    assert lagging["controls"] and all(isinstance(c, str) for c in lagging["controls"])
    ocsf = [json.loads(x) for x in (second.parent / "findings.ocsf.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(ocsf) == len(lines) and {e["class_uid"] for e in ocsf} == {2004}
    earlier = [json.loads(x) for x in (first.parent / "findings.jsonl").read_text(encoding="utf-8").splitlines()]
    covered = next(r for r in earlier if r["id"] == "sync.secondary-not-in-entra")
    assert covered["excepted"] is True and covered["exception"].startswith("excepted until 2026-12-31")
    # findings.json of the report carries the controls too.
    report_findings = json.loads((second.parent / "findings.json").read_text(encoding="utf-8"))["findings"]
    assert all(f["controls"] for f in report_findings)
    with sqlite3.connect(db) as conn:
        outputs = json.loads(conn.execute("SELECT outputs FROM runs WHERE id = 2").fetchone()[0])
    assert set(outputs) == {"findings.jsonl", "findings.ocsf.jsonl"}


# -- fast runs: the report replaced by a stand-in, so that no notebook is executed ---------------


def fake_report(calls: list | None = None, *, fail: Exception | None = None):
    def report(inputs, out, **kwargs):
        if calls is not None:
            calls.append({"inputs": list(inputs), "out": out, **kwargs})
        if fail is not None:
            raise fail
        folder = Path(out) / f"report-{len(list(Path(out).glob('report-*'))) + 1}"
        folder.mkdir(parents=True)
        (folder / "report.html").write_text("<html><body>stand-in</body></html>", encoding="utf-8")
        return SimpleNamespace(folder=folder, html=folder / "report.html", exit_code=0)

    return report


@pytest.fixture
def estate(tmp_path):
    write_estate(tmp_path / "exports" / "contoso", 1)
    return tmp_path


def test_pdf_paper_and_sign_key_reach_the_report(estate, monkeypatch) -> None:
    calls: list = []
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report(calls))
    (estate / "sign.pem").write_text("-----BEGIN PRIVATE KEY-----\n", encoding="utf-8")
    cfg = write_config(estate)
    text = cfg.read_text().replace('exports = ["exports/contoso"]', 'exports = ["exports/contoso"]\npdf = true\npaper = "Letter"\nsign_key = "sign.pem"')
    cfg.write_text(text)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 0
    (call,) = calls
    assert call["pdf"] is True and call["paper"] == "Letter" and call["sign_key"] == (estate / "sign.pem").resolve()
    cfg.write_text(text.replace('paper = "Letter"', 'paper = "A5"'))
    assert main(["run", "--config", str(cfg)]) == 2


def test_run_passes_the_audit_settings_to_the_report(estate, monkeypatch) -> None:
    calls: list = []
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report(calls))
    cfg = write_config(estate)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05", "--only", "contoso"]) == 0
    (call,) = calls
    assert call["inputs"] == [str((estate / "exports" / "contoso").resolve())]
    assert call["out"] == (estate / "audits" / "contoso").resolve()
    assert call["as_of"] == dt.datetime(2026, 11, 5, tzinfo=UTC)
    assert call["history"] == (estate / "audits" / "history.sqlite").resolve()
    assert call["audit_name"] == "contoso" and call["fail_on"] == "high"
    assert call["exceptions"] == str((estate / "exceptions.toml").resolve())
    assert call["organisation"] == "Contoso <Group>"


def test_a_failed_report_is_recorded_failed_and_exits_2(estate, monkeypatch, capsys) -> None:
    from fedaudit.errors import ReportError

    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report(fail=ReportError("kernel died <script>alert(1)</script>")))
    cfg = write_config(estate)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 2
    err = capsys.readouterr().err
    assert err == "fedaudit: error: audit contoso: run 1 failed: kernel died <script>alert(1)</script>\n"
    db = estate / "audits" / "history.sqlite"
    assert history.runs(db)["status"].tolist() == ["failed"]
    index = (estate / "audits" / "index.html").read_text(encoding="utf-8")
    assert "kernel died &lt;script&gt;alert(1)&lt;/script&gt;" in index and "<script>" not in index


KILL_CHILD = textwrap.dedent(
    """
    import sys, time
    import fedaudit.reporting.render

    def report(*args, **kwargs):
        # The run row is in the database; the report is being rendered: wait to be killed.
        print("rendering", flush=True)
        time.sleep(60)

    fedaudit.reporting.render.report = report
    from fedaudit.cli import main
    sys.exit(main(["run", "--config", {cfg!r}, "--as-of", "2026-11-05"]))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_a_run_killed_midway_is_never_complete(estate, monkeypatch) -> None:
    cfg = write_config(estate)
    proc = subprocess.Popen(
        [sys.executable, "-c", KILL_CHILD.format(cfg=str(cfg))], stdout=subprocess.PIPE, text=True, cwd=estate
    )
    try:
        assert proc.stdout.readline().strip() == "rendering"
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        proc.stdout.close()
    db = estate / "audits" / "history.sqlite"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT status FROM runs").fetchall() == [("running",)]
    assert history.runs(db)["status"].tolist() == ["incomplete"]
    # The next scheduled run completes normally and the index shows both.
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report())
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 0
    assert history.runs(db)["status"].tolist() == ["incomplete", "complete"]
    assert history.last_complete_run(db, "contoso") == 2
    index = (estate / "audits" / "index.html").read_text(encoding="utf-8")
    assert "incomplete (stopped before it finished)" in index and ">complete</span>" in index


def test_progress_on_a_terminal_and_quiet_otherwise(estate, monkeypatch, capsys) -> None:
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report())
    cfg = write_config(estate)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "fedaudit: contoso: run 1 started (as of 2026-11-05)"
    assert err[1] == "fedaudit: contoso: rendering the report"
    # the exception for new.contoso.com covers no finding of run 1: one warning line (issue 10)
    assert err[2].startswith("fedaudit: contoso: warning: 1 accepted exception(s) match no finding: "
                             "sync.primary-not-in-entra (domain new.contoso.com)")
    assert err[3].startswith("fedaudit: contoso: run 1 complete: 0 critical, 0 high, ")
    assert err[-1].startswith("fedaudit: index: ")
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05", "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_retention_removes_old_reports_but_never_the_newest(estate, monkeypatch) -> None:
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report())
    cfg = write_config(estate, extra="retention = 30")
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 0
    db = estate / "audits" / "history.sqlite"
    old_report = Path(history.runs(db)["report_path"][0])
    # Make the first run 40 days old.
    with sqlite3.connect(db) as conn:
        started = (dt.datetime.now(UTC) - dt.timedelta(days=40)).isoformat()
        conn.execute("UPDATE runs SET started = ? WHERE id = 1", (started,))
    assert old_report.is_file()
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 0
    frame = history.runs(db)
    assert not old_report.parent.exists() and Path(frame["report_path"][1]).is_file()
    assert frame["pruned"].notna().tolist() == [True, False]
    index = (estate / "audits" / "index.html").read_text(encoding="utf-8")
    assert "removed by retention" in index


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["run", "--config", "{cfg}", "--only", "contosso"], "no audit named 'contosso' (did you mean 'contoso'?)"),
        (["run", "--config", "{dir}/missing.toml"], "configuration file not found"),
        (["run", "--config", "{cfg}", "--as-of", "soon"], "--as-of: 'soon' is not a date"),
        (["diff", "1", "2", "--root", "{dir}/nowhere"], "no history database here"),
    ],
)
def test_usage_errors_exit_2_with_one_line(estate, capsys, argv, message) -> None:
    cfg = write_config(estate)
    argv = [a.format(cfg=cfg, dir=estate) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("fedaudit: error: ") and message in err


def test_help_documents_exit_codes_and_an_example(capsys) -> None:
    for command in ("run", "diff"):
        with pytest.raises(SystemExit):
            main([command, "--help"])
        out = capsys.readouterr().out
        assert "Example:" in out and "Exit status:" in out


# -- the scheduling recipes ----------------------------------------------------------------------


def test_systemd_units_have_their_sections() -> None:
    import configparser

    def read(name: str) -> configparser.ConfigParser:
        parser = configparser.ConfigParser(strict=True, interpolation=None)
        parser.optionxform = str  # systemd keys are case-sensitive
        parser.read_string((EXAMPLES / "systemd" / name).read_text(encoding="utf-8"))
        return parser

    service = read("fedaudit.service")
    assert service.sections() == ["Unit", "Service"]
    assert service["Service"]["Type"] == "oneshot"
    assert service["Service"]["ExecStart"].split()[1:] == ["run", "--config", "/etc/fedaudit/fedaudit.toml", "--quiet"]
    timer = read("fedaudit.timer")
    assert timer.sections() == ["Unit", "Timer", "Install"]
    assert timer["Timer"]["Unit"] == "fedaudit.service" and timer["Timer"]["Persistent"] == "true"
    assert timer["Install"]["WantedBy"] == "timers.target"
    assert re.fullmatch(r"\*-\*-\* \d\d:\d\d:\d\d UTC", timer["Timer"]["OnCalendar"])


def test_cron_line_is_a_valid_cron_d_entry() -> None:
    lines = [x for x in (EXAMPLES / "cron" / "fedaudit.cron").read_text(encoding="utf-8").splitlines() if x and not x.startswith("#")]
    entries = [x for x in lines if not re.match(r"^[A-Z_]+=", x)]
    (entry,) = entries
    minute, hour, dom, month, dow, user, *command = entry.split()
    assert (int(minute), int(hour), dom, month, dow, user) == (15, 6, "*", "*", "*", "fedaudit")
    assert command[command.index("run") - 1].endswith("/fedaudit") and "--quiet" in command


def test_task_scheduler_xml_is_a_task() -> None:
    ns = {"t": "http://schemas.microsoft.com/windows/2004/02/mit/task"}
    root = ET.parse(EXAMPLES / "windows" / "fedaudit-task.xml").getroot()
    assert root.tag == "{%s}Task" % ns["t"]
    for path in ("t:RegistrationInfo", "t:Triggers/t:CalendarTrigger/t:ScheduleByDay/t:DaysInterval", "t:Principals/t:Principal",
                 "t:Settings/t:MultipleInstancesPolicy", "t:Actions/t:Exec/t:Command", "t:Actions/t:Exec/t:Arguments"):
        assert root.find(path, ns) is not None, path
    assert root.find("t:Actions/t:Exec/t:Arguments", ns).text.split()[:2] == ["run", "--config"]
    dt.datetime.fromisoformat(root.find("t:Triggers/t:CalendarTrigger/t:StartBoundary", ns).text)


def test_ci_pipelines_parse_and_run_fedaudit() -> None:
    yaml = pytest.importorskip("yaml")
    gha = yaml.safe_load((EXAMPLES / "ci" / "github-actions.yml").read_text(encoding="utf-8"))
    # PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on".
    triggers = gha.get("on", gha.get(True))
    assert triggers["schedule"][0]["cron"] == "15 6 * * *"
    steps = gha["jobs"]["audit"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any(r.startswith("fedaudit run --config ") for r in runs)
    assert [s["uses"].split("@")[0] for s in steps if "uses" in s] == [
        "actions/checkout", "actions/setup-python", "actions/cache/restore", "actions/cache/save", "actions/upload-artifact",
    ]
    azure = yaml.safe_load((EXAMPLES / "ci" / "azure-pipelines.yml").read_text(encoding="utf-8"))
    assert azure["schedules"][0]["cron"] == "15 6 * * *" and azure["trigger"] == "none"
    assert any("fedaudit run --config" in s.get("script", "") for s in azure["steps"])
    # The config the pipelines name is the example one, and it is valid.
    from fedaudit.ops.config import load_config

    assert load_config(ROOT / "examples" / "fedaudit.toml").root == (ROOT / "examples" / "audits").resolve()


def test_docs_mention_only_real_flags() -> None:
    from fedaudit.cli import build_parser

    doc = (ROOT / "docs" / "scheduling.md").read_text(encoding="utf-8")
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for command in ("run", "diff"):
        known = {o for a in sub.choices[command]._actions for o in a.option_strings}
        used = set(re.findall(rf"fedaudit {command}\b[^\n`]*", doc))
        assert used, command
        for line in used:
            for flag in re.findall(r"(?<!\S)(--[a-z-]+)", line):
                assert flag in known, (command, flag)


def test_a_broken_exceptions_file_stops_before_any_run(estate, monkeypatch, capsys) -> None:
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report())
    cfg = write_config(estate)
    (estate / "exceptions.toml").write_text('[[exception]]\ncheck = "sync.primary-not-in-entra"\ndomain = "x"\nowner = "o"\nexpires = 2027-01-01\n', encoding="utf-8")
    assert main(["run", "--config", str(cfg)]) == 2
    assert "missing justification" in capsys.readouterr().err
    assert not (estate / "audits" / "history.sqlite").exists()


def test_discover_fetches_the_metadata_the_exports_point_at(estate, monkeypatch) -> None:
    fetched: list = []

    def fetch_all(urls, out_dir, **kwargs):
        fetched.append((list(urls), Path(out_dir), kwargs))
        return []

    calls: list = []
    monkeypatch.setattr("fedaudit.ops.schedule.fetch_all", fetch_all)
    monkeypatch.setattr("fedaudit.ops.schedule.report", fake_report(calls))
    cfg = write_config(estate)
    cfg.write_text(cfg.read_text(encoding="utf-8") + "discover = true\n", encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05"]) == 0
    ((urls, out_dir, kwargs),) = fetched
    assert urls == ["https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml"]
    assert out_dir.parent == (estate / "audits" / "contoso" / "evidence").resolve()
    assert "progress" not in kwargs and kwargs["ca_bundle"] is None
    assert calls[0]["inputs"][-1] == str(out_dir)
    assert history.runs(estate / "audits" / "history.sqlite")["evidence_path"].tolist() == [str(out_dir)]


@pytest.mark.parametrize(("fail_on", "code"), [("high", 1), ("critical", 0)])
def test_no_evidence_run_index_shows_the_exit_code_run_returned(tmp_path, fail_on, code) -> None:
    # An empty export folder: nothing to judge. The index's status and Exit column must say what
    # `fedaudit run` returned (1 at the default gate; 0 with a gate above high), never "failed" with 0.
    (tmp_path / "exp").mkdir()
    cfg = tmp_path / "fedaudit.toml"
    cfg.write_text(f'[output]\nroot = "audits"\n[[audit]]\nname = "empty"\nexports = ["exp"]\nfail_on = "{fail_on}"\n',
                   encoding="utf-8")
    assert main(["run", "--config", str(cfg), "--as-of", "2026-11-05", "--quiet"]) == code
    index = (tmp_path / "audits" / "index.html").read_text(encoding="utf-8")
    row = re.search(r"<tr><td class=\"n\">1</td>.*?</tr>", index, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert re.sub(r"<[^>]+>", "", cells[9]) == str(code)
    status = html.unescape(re.sub(r"<[^>]+>", "", cells[3]))
    assert status.startswith("no evidence")
    if code:
        assert "failed" in status
    else:
        assert "failed" not in status and f"--fail-on {fail_on}" in status and "exit 0" in status
