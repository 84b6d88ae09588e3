"""fedaudit.reporting.render and fedaudit.reporting.sections: escaping, the self-contained page, dated folders,
the manifest, exit codes and the ``fedaudit report`` command."""

from __future__ import annotations

import base64
import hashlib
import html
import html.parser
import json
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from fedaudit.reporting import sections as rh
from fedaudit.reporting import render as reporting
from fedaudit.errors import ReportError, UsageError
from report_estate import audited

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
XSS = r"CN=\<img src=x onerror=alert(1)\>,O=\<script\>alert(2)\</script\>"
PARAMETERS = {
    "inputs", "metadata", "ca_bundle", "as_of", "title", "organisation", "thresholds", "culture",
    "fail_on", "history", "audit_name", "exceptions", "output_dir", "command_line", "trust_certs",
}


class _Tags(html.parser.HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def named(self, name):
        return [a for t, a in self.tags if t == name]


def _samples_as_of() -> str:
    return re.search(r"^As-of date:\s*(\S+)", (SAMPLES / "README.md").read_text(), re.M).group(1)


def _ctx(n=5, subject=XSS, **kw):
    result = audited(n, subject=subject, origin_prefix="exports/<b>")
    return rh.ReportContext(result=result, parameters={"inputs": ["<i>x</i>"]}, title="T <b>", organisation="O <img src=q>", **kw)


SECTION_FUNCS = (
    rh.header, rh.drift, rh.verdicts, rh.timeline, rh.matrix, rh.findings, rh.assurance, rh.load_issues,
    rh.methodology, rh.certificates, rh.manifest,
)


def _page(ctx) -> str:
    cells = []
    for fn in SECTION_FUNCS:
        cell = new_code_cell("SECRET_CODE = 1")
        cell.outputs = [new_output("execute_result", data=fn(ctx)._repr_mimebundle_(), execution_count=7)]
        cell.execution_count = 7
        cells.append(cell)
    plain = new_code_cell("x")
    plain.outputs = [
        new_output("display_data", data={"text/plain": "plain <text>"}),
        new_output("stream", name="stdout", text="side <effect>"),
        new_output("display_data", data={"application/javascript": "alert(1)", "text/plain": "js"}),
    ]
    cells.append(plain)
    note = new_markdown_cell("HIDDEN_NOTE")
    note.metadata["tags"] = ["fedaudit-hide"]
    return reporting.render_html(new_notebook(cells=[note, *cells]), title="Title <script>")


@pytest.fixture(scope="module")
def page():
    return _page(_ctx())


def test_sections_escape_markup_from_the_evidence():
    ctx = _ctx()
    for fn in SECTION_FUNCS:
        frag = fn(ctx)
        tags = _Tags(frag.html)
        assert not tags.named("script"), fn.__name__
        assert all(a["src"].startswith("data:image/png;base64,") for a in tags.named("img")), fn.__name__
        assert not any(t == "b" or t == "i" for t, _ in tags.tags), fn.__name__
        assert "onerror=alert" not in frag.html or "&lt;img src=x onerror=alert(1)" in frag.html
    assert "&lt;img src=x onerror=alert(1)\\&gt;" in rh.certificates(ctx).html
    assert "&lt;b&gt;reason&lt;/b&gt;" in rh.verdicts(ctx).html
    assert "connection refused &lt;b&gt;" in rh.load_issues(ctx).html


def test_page_is_self_contained_and_hides_code(page):
    tags = _Tags(page)
    # one script, our own, admitted by its hash in a CSP that forbids every other load
    assert len(tags.named("script")) == 1 and not tags.named("script")[0].get("src")
    assert tags.named("link") == [] and tags.named("iframe") == []
    script = reporting.SCRIPT.read_text(encoding="utf-8")
    assert f"<script>{script}</script>" in page and page.count("<script") == 1
    csp = [a["content"] for a in tags.named("meta") if a.get("http-equiv") == "Content-Security-Policy"]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert csp and "default-src 'none'" in csp[0] and f"script-src 'sha256-{digest}'" in csp[0]
    assert "img-src data:" in csp[0] and "http" not in csp[0]
    for attrs in (a for _, a in tags.tags):
        for key in ("src", "href"):
            if key in attrs:
                assert attrs[key].startswith(("data:", "#")), attrs
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page).lower()
    assert "cdn" not in text and "mathjax" not in text and "require.js" not in text and "requirejs" not in text and "@import" not in text
    for anchor, _ in rh.SECTIONS:
        if anchor != "drift":
            assert f'<section id="{anchor}">' in page, anchor
    assert "<pre>plain &lt;text&gt;</pre>" in page and "side &lt;effect&gt;" in page
    assert "SECRET_CODE" not in page and "In&nbsp;[" not in page and "Out[" not in page and "HIDDEN_NOTE" not in page
    assert "<title>Title &lt;script&gt;</title>" in page
    meta = [a for a in tags.named("meta") if a.get("name") == "viewport"]
    assert meta and "width=device-width" in meta[0]["content"]
    assert "@media print" in page and "@media (max-width" in page


def test_matrix_table_prints_codes_and_full_thumbprints():
    ctx = _ctx(3)  # d0000 in sync, d0001 Entra lags, d0002 no Entra settings
    text = rh.matrix(ctx).html
    rows = _Tags(text).named("tr")
    assert len(rows) == 4  # header + 3 domains
    assert text.index("d0001.example.com") < text.index("d0000.example.com")  # disagreement first
    primary = ctx.result.verdicts["primary_thumbprint"].iloc[0]
    assert f'title="agrees: {primary}"' in text and f">\u2713 P {primary[:4]}<" in text
    # a wrong Entra certificate is marked by colour and symbol, unlike a healthy one
    assert 'class="fa-c-bad fa-m-x"' in text and "\u2717 ? " in text
    # the Entra export is missing for d0002: "not in the evidence", not "Entra holds none"
    assert 'title="not in the evidence">\u2014<' in text


def test_header_counts_and_status():
    ctx = _ctx(exit_code=1, fail_on="high")
    counts = ctx.counts()
    assert counts["high"] == 5 and counts["excepted"] == 1  # every domain needs action; one excepted warning
    text = rh.header(ctx).html
    plain = re.sub(r"<[^>]+>", "", text)
    assert "Action required" in text and "fails the --fail-on high gate (exit code 1)" in plain
    assert '<span class="fa-nowrap">--fail-on high</span>' in text  # the gate never breaks across lines
    assert "<strong>1</strong> excepted" in text
    # the domains that need action come first, each with a coloured badge that names the action
    assert 'class="fa-badge fa-b-crit">update-entra<' in text


def test_findings_mark_exceptions_and_keep_remediation():
    text = rh.findings(_ctx()).html
    # 4 EXPIRY-URGENT findings on one farm share a block; SYNC-CURRENT and the excepted one stand alone
    assert text.count("<article") == 3
    assert "EXPIRY-URGENT: 4 findings on fs0.contoso.example" in text
    assert "(excepted)" in text and "fa-excepted" in text
    for domain in ("d0000", "d0001", "d0002", "d0003", "d0004"):
        assert f"Update-MgDomainFederationConfiguration -DomainId &quot;{domain}.example.com&quot;" in text


def test_grouped_findings_show_each_distinct_remediation_block_once():
    from fedaudit.frames import make_frame

    shared = "# on the AD FS server\nUpdate-AdfsCertificate -CertificateType Token-Signing"
    rows = [
        {"id": "x.check", "severity": "high", "farm": "fs", "domain": f"d{i}.com", "title": f"t{i}", "detail": "<b>",
         "evidence": [{"fact": "f", "value": i, "origin": "o"}], "remediation": f"{shared}\n\nSet-Thing -Domain d{i}.com"}
        for i in range(4)
    ]
    ctx = _ctx()
    ctx.result = type(ctx.result)(ctx.result.as_of, ctx.result.evidence, ctx.result.verdicts, make_frame("findings", rows), ctx.result.timeline)
    text = rh.findings(ctx).html
    assert text.count("<article") == 1 and text.count("Update-AdfsCertificate") == 1
    assert all(f"Set-Thing -Domain d{i}.com" in text for i in range(4))
    assert "&lt;b&gt;" in text and "f: 3 (o)" in text


def test_drift_section_only_with_history():
    assert rh.drift(_ctx()).html == ""
    import pandas as pd

    first = _ctx(drift={"baseline": pd.DataFrame(), "findings": pd.DataFrame()})
    assert "first recorded run" in rh.drift(first).html
    frames = {"baseline": pd.DataFrame({"run_id": [3]}), "findings": pd.DataFrame({"change": ["new"], "title": ["<b>x</b>"]})}
    text = rh.drift(_ctx(drift=frames)).html
    assert "Since the last run" in text and "&lt;b&gt;x&lt;/b&gt;" in text


def test_paths_inside_the_report_folder_are_shown_relative(tmp_path):
    ctx = _ctx(output_dir=str(tmp_path))
    assert ctx.path(tmp_path / "metadata" / "a.xml") == str(Path("metadata") / "a.xml")
    assert ctx.path("/elsewhere/a.xml") == "/elsewhere/a.xml"


def test_template_declares_exactly_the_report_parameters():
    import papermill

    assert set(papermill.inspect_notebook(str(reporting.TEMPLATE))) == PARAMETERS


def test_unknown_parameter_is_an_error_before_any_kernel_starts(tmp_path):
    with pytest.raises(UsageError, match="unknown report parameter.*as_off"):
        reporting.execute_template(reporting.TEMPLATE, tmp_path / "out.ipynb", {"as_off": "2026-01-01"})
    assert not (tmp_path / "out.ipynb").exists()


def test_reading_copy_of_the_template_is_identical():
    assert (ROOT / "notebooks" / "audit_report.ipynb").read_bytes() == reporting.TEMPLATE.read_bytes()


@pytest.mark.parametrize("path", ["notebooks/audit_report.ipynb", "notebooks/explore.ipynb", "fedaudit/reporting/templates/audit_report.ipynb"])
def test_notebooks_are_committed_without_outputs(path):
    nb = nbformat.read(ROOT / path, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.id
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)


def test_publish_never_overwrites(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "report.html").write_text("old")
    (tmp_path / "r-2").mkdir()  # even an empty folder is left alone
    for n in range(2):
        tmp = tmp_path / f".t{n}.partial"
        tmp.mkdir()
        (tmp / "report.html").write_text(f"new{n}")
        reporting._publish(tmp, tmp_path, "r")
    assert (tmp_path / "r" / "report.html").read_text() == "old"
    assert not any((tmp_path / "r-2").iterdir())
    assert (tmp_path / "r-3" / "report.html").read_text() == "new0"
    assert (tmp_path / "r-4" / "report.html").read_text() == "new1"


def test_slug():
    assert reporting._slug(None, "Contoso Group (demo)", "x") == "contoso-group-demo"
    assert reporting._slug(None, None, "<>") == "audit"
    assert len(reporting._slug("a" * 90)) == 40


def test_bad_arguments_fail_before_any_folder_is_made(tmp_path):
    out = tmp_path / "out"
    with pytest.raises(UsageError, match="no such file"):
        reporting.report([tmp_path / "missing"], out)
    with pytest.raises(UsageError, match="fail_on"):
        reporting.report([tmp_path], out, fail_on="severe")
    with pytest.raises(UsageError, match="exceptions"):
        reporting.report([tmp_path], out, exceptions=tmp_path / "nope.toml")
    assert not out.exists()


def test_exception_records_are_staged_as_csv_that_loads_back(tmp_path):
    import datetime as dt

    from fedaudit.engine.waivers import AcceptedException, load_exceptions

    records = [AcceptedException("sync.primary-not-in-entra", "why, with a comma", "ops", dt.date(2027, 1, 1), domain="a.com")]
    staged = reporting._stage_exceptions(records, tmp_path)
    assert [(e.check, e.domain, e.justification) for e in load_exceptions(staged)] == [
        ("sync.primary-not-in-entra", "a.com", "why, with a comma")
    ]


def test_kernel_runs_this_interpreter():
    manager = reporting._kernel_manager_class()()
    assert manager.kernel_spec.argv[0] == sys.executable


# ----------------------------------------------------------------------------- end to end (slow)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    """``fedaudit report`` on the samples with an exceptions file and an empty history."""
    from fedaudit.cli import main

    base = tmp_path_factory.mktemp("report")
    exceptions = base / "accepted.toml"
    exceptions.write_text(
        '[[exception]]\ncheck = "crypto.weak-key"\nfarm = "adfs.adventure-works.com"\n'
        'justification = "decrypting key replaced in change CHG-1"\nowner = "pki@example.com"\nexpires = 2027-06-30\n'
    )
    out = base / "out"
    import contextlib
    import io

    import os

    stdout = io.StringIO()
    cwd = os.getcwd()
    os.chdir(base)  # a relative --out, as `make report` passes it
    try:
        with contextlib.redirect_stdout(stdout):
            code = main([
                "report", str(SAMPLES), "--out", "out", "--as-of", _samples_as_of(), "--organisation", "Contoso",
                "--exceptions", str(exceptions), "--history", str(base / "history.sqlite"), "--audit-name", "demo",
            ])
    finally:
        os.chdir(cwd)
    return code, str(base / stdout.getvalue().strip()), out, exceptions


@pytest.mark.slow
def test_cli_report_writes_a_complete_dated_folder(cli_run):
    code, html_path, out, exceptions = cli_run
    html_path = Path(html_path)
    folder = html_path.parent
    assert html_path.name == "report.html" and html_path.is_file()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{6}Z-demo", folder.name)  # named after the audit
    assert [p.name for p in out.iterdir()] == [folder.name]  # no partial folder left behind
    names = {p.name for p in folder.iterdir()}
    assert {"report.html", "audit_report.ipynb", "findings.csv", "findings.json", "manifest.json", "exceptions.toml"} <= names
    assert rh.RUN_FILE not in names

    manifest = json.loads((folder / "manifest.json").read_text())
    import fedaudit

    assert manifest["fedaudit"] == fedaudit.__version__
    assert manifest["as_of"].startswith(_samples_as_of())
    assert manifest["run"]["started"] <= manifest["run"]["ended"]
    assert manifest["parameters"]["exceptions"] == "exceptions.toml"
    assert manifest["exceptions_source"] == str(exceptions)
    for name, facts in manifest["outputs"].items():
        data = (folder / name).read_bytes()
        assert facts == {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}, name
    assert set(manifest["outputs"]) == names - {"manifest.json"}
    # input paths are relative to the input folder given (named by its last part), never absolute
    listed = {i["path"]: i for i in manifest["inputs"]}
    assert not any(os.path.isabs(p) for p in listed)
    sample_file = next(p for p in SAMPLES.rglob("*.xml") if "metadata" in p.parts)
    key = "samples/" + sample_file.relative_to(SAMPLES).as_posix()
    assert listed[key]["sha256"] == hashlib.sha256(sample_file.read_bytes()).hexdigest()
    assert listed[key]["size"] == sample_file.stat().st_size
    assert str(SAMPLES) + os.sep not in html_path.read_text()  # no file under it by its absolute path, anywhere
    assert any(m["url"] and m["sha256"] for m in manifest["metadata"])

    findings = json.loads((folder / "findings.json").read_text())
    open_severities = [f["severity"] for f in findings["findings"] if not f.get("excepted")]
    assert manifest["counts"]["critical"] == open_severities.count("critical")
    # exit code as `fedaudit check --fail-on high`: the samples hold critical/high findings
    assert code == manifest["exit_code"] == (1 if {"critical", "high"} & set(open_severities) else 0)
    excepted = [f for f in findings["findings"] if f.get("excepted")]
    assert excepted and all(f["id"] == "crypto.weak-key" for f in excepted)
    csv_text = (folder / "findings.csv").read_text()
    assert csv_text.splitlines()[0].startswith("id,severity,farm,domain,title")

    page = html_path.read_text()
    assert "Since the last run" in page and "first recorded run" in page
    assert "(excepted)" in page and "Contoso" in page
    assert len(_Tags(page).named("script")) == 1  # ours (table sorting), admitted by its hash
    assert "<title>Contoso \u2013 federation certificate audit \u2013 as of " in page
    performed = json.loads((folder / "assurance.json").read_text())
    assert {c["status"] for c in performed["checks_performed"]} >= {"pass", "fail", "not applicable"}
    assert any(c["control"] == "SC-12" for c in performed["controls"])


@pytest.mark.slow
def test_failed_run_leaves_no_folder(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[exception]]\ncheck = 1\n")
    with pytest.raises(ReportError, match="ConfigError"):
        reporting.report([SAMPLES], tmp_path / "out", as_of=_samples_as_of(), exceptions=bad)
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
def test_fetched_metadata_is_kept_and_listed_in_the_manifest(tmp_path):
    """A metadata URL (real HTTPS on 127.0.0.1, trustme CA) is fetched into the report folder."""
    import ssl

    import trustme

    from support.loopback import LoopbackHTTPS, send

    document = next((SAMPLES / "metadata").glob("fs.contoso.com_*.xml")).read_bytes()
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with LoopbackHTTPS(lambda h: send(h, 200, document), context=context) as server:
        url = f"https://127.0.0.1:{server.port}/FederationMetadata/2007-06/FederationMetadata.xml"
        result = reporting.report(
            [SAMPLES / "ad-fs" / "contoso-adfs01"], tmp_path / "out", metadata=[url], ca_bundle=tmp_path / "ca.pem",
            as_of=_samples_as_of(), fail_on="none",
        )
    fetched = [m for m in result.manifest["metadata"] if m["url"] == url]
    assert len(fetched) == 1 and fetched[0]["http_status"] == 200 and fetched[0]["tls_verified"] is True
    assert fetched[0]["sha256"] == hashlib.sha256(document).hexdigest()
    assert fetched[0]["fetched_at"] and fetched[0]["origin"].startswith("metadata/")
    kept = [p.name for p in (result.folder / "metadata").iterdir()]
    assert any(n.endswith(".xml") for n in kept) and any(n.endswith(".fetch.json") for n in kept)
    listed = {i["path"] for i in result.manifest["inputs"]}
    assert {f"metadata/{n}" for n in kept} <= listed
    assert {f"metadata/{n}" for n in kept} <= set(result.manifest["outputs"])
    assert result.manifest["parameters"]["metadata"] == [url]


def test_published_folder_is_readable_as_the_umask_allows(tmp_path):
    import stat
    import tempfile

    tmp = Path(tempfile.mkdtemp(suffix=".partial", dir=tmp_path))
    assert stat.S_IMODE(tmp.stat().st_mode) == 0o700
    old = os.umask(0o022)
    try:
        final = reporting._publish(tmp, tmp_path, "r")
    finally:
        os.umask(old)
    assert stat.S_IMODE(final.stat().st_mode) == 0o755


@pytest.mark.parametrize(
    ("fail_on", "exit_code", "expected"),
    [
        ("high", 1, "so this run fails the --fail-on high gate (exit code 1)."),
        ("none", 0, "and the --fail-on none gate fails on nothing, so this run passes it (exit code 0)."),
        ("critical", 0, "none at or above critical, so this run passes the --fail-on critical gate (exit code 0)."),
    ],
)
def test_status_sentence_agrees_with_the_exit_code_and_names_the_gate(fail_on, exit_code, expected):
    ctx = _ctx(exit_code=exit_code, fail_on=fail_on)
    sentence = rh.status_sentence(ctx)
    assert sentence.startswith("Action required: ") and sentence.endswith(expected)
    assert "5 high finding(s) open" in sentence
    assert sentence in html.unescape(re.sub(r"<[^>]+>", "", rh.header(ctx).html))


def test_page_title_names_organisation_and_as_of_date():
    ctx = _ctx()
    assert rh.page_title(ctx) == "O <img src=q> \u2013 T <b> \u2013 as of 2026-11-27"
    ctx.title = "Federation certificate audit"
    assert rh.page_title(ctx) == "O <img src=q> \u2013 federation certificate audit \u2013 as of 2026-11-27"


def test_a_large_estate_stays_readable(monkeypatch):
    """Timeline and matrix stay at 40 rows and say what they leave out; the verdicts of one farm
    with one action share a row; certificates are listed once each."""
    ctx = _ctx(400)
    verdicts = ctx.result.verdicts.copy()
    fine = verdicts["action"].astype(str) == "renew-now"
    verdicts["action"] = verdicts["action"].astype(object).where(~fine, "none").astype(verdicts["action"].dtype)
    r = ctx.result
    ctx.result = type(r)(r.as_of, r.evidence, verdicts, r.findings, r.timeline)
    monkeypatch.setattr(rh, "VERDICT_ROWS", 60)
    text = rh.matrix(ctx).html
    assert text.count('<tr class="fa-m-row-') == 40 and "40 of 400 domains shown" in text
    verdicts = rh.verdicts(ctx).html
    assert "400 domains in 3 groups: one farm, one action" in verdicts  # none, update-entra, insufficient-evidence
    assert verdicts.count("<tbody class=\"fa-verdict") == 0 and verdicts.count("<details>") == 3
    assert all(f"d{i:04d}.example.com" in verdicts for i in range(400))
    certs = rh.certificates(ctx).html
    distinct = ctx.evidence.certificates["thumbprint"].nunique()
    assert certs.count('class="fa-cert"') == distinct < len(ctx.evidence.certificates)


def test_custody_values_from_a_hostile_collector_manifest_are_text():
    ctx = _ctx()
    ctx.collectors = [
        {
            "manifest": "<b>m</b>.json", "computer": "<img src=x onerror=alert(9)>", "user": "CORP\\<i>x</i>",
            "started": "2026-11-27T06:15:00Z", "edition": "Desktop", "powershell": "5.1",
            "files": [{"name": "<i>f</i>.json", "command": "<script>", "sha256": "ab" * 32, "match": False}],
        }
    ]
    ctx.run = {"user": "<b>u</b>", "host": "h<i>", "command_line": ["fedaudit", "report", "<img src=y>"]}
    text = rh.manifest(ctx).html
    tags = _Tags(text)
    assert not tags.named("img") and not tags.named("script") and not any(t in ("b", "i") for t, _ in tags.tags)
    assert "&lt;img src=x onerror=alert(9)&gt;" in text and "NO: changed after collection" in text
    assert "ab" * 32 in text  # the hash whole


def test_custody_names_how_fedaudit_collect_entra_signed_in():
    ctx = _ctx()
    ctx.collectors = [
        {
            "manifest": "entra/manifest.json", "computer": "ADMIN-WS", "user": "CONTOSO\\auditor",
            "started": "2026-11-27T06:30:00Z", "finished": "2026-11-27T06:30:09Z", "tool": "fedaudit collect entra",
            "python": "3.11.7", "msal": "1.31.0", "tenant_id": "contoso.onmicrosoft.com",
            "client_id": "00000000-0000-0000-0000-000000000001", "credential": "certificate", "files": [],
        }
    ]
    text = rh.manifest(ctx).html
    for fact in ("fedaudit collect entra (Python 3.11.7)", "contoso.onmicrosoft.com", "certificate", "ADMIN-WS", "06:30:09Z"):
        assert fact in text, fact
