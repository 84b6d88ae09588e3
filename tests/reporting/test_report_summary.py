"""The report's summary of the domains that need action, read against the verdict table and
the timeline on the demo estate (data/samples): one urgency order, one days-left formatter, the
whole reason, and a heading that reads naturally when there is nothing to judge."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

from fedaudit.engine.verdict import days_left_text, urgency_key, urgency_order
from fedaudit.reporting import context as rc
from fedaudit.reporting import plots
from fedaudit.reporting import sections as rh

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


def _as_of() -> str:
    return re.search(r"^As-of date:\s*(\S+)", (SAMPLES / "README.md").read_text(encoding="utf-8"), re.M).group(1)


@pytest.fixture(scope="module")
def ctx() -> rc.ReportContext:
    return rc.prepare([str(SAMPLES)], as_of=_as_of(), fail_on="high")


def _summary_rows(header_html: str) -> list[list[str]]:
    table = re.search(r'<table class="fa-data fa-broken">.*?</table>', header_html, re.S)
    assert table is not None
    rows = re.findall(r"<tr><td.*?</tr>", table.group(0), re.S)
    return [[html.unescape(re.sub(r"<[^>]+>", " ", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
            for r in rows]


def _verdict_table_domains(verdicts_html: str) -> list[str]:
    return [html.unescape(d) for d in re.findall(r'<tbody class="fa-verdict[^"]*"><tr><td data-label="domain"[^>]*>([^<]*)<',
                                                  verdicts_html)]


def test_summary_lists_domains_in_the_verdict_tables_order(ctx) -> None:
    summary = [row[1].split()[0] for row in _summary_rows(rh.header(ctx).html)]
    table = _verdict_table_domains(rh.verdicts(ctx).html)
    # the summary is the verdict table without the domains that need no action, in the same order
    verdicts = ctx.result.verdicts.set_index("domain")
    assert summary == [d for d in table if verdicts.loc[d, "action"] != "none"]
    # litware.co.uk (critical, sign-in broken now) first; adventure-works (raised by a high
    # finding) before wingtiptoys (a warning)
    assert summary[0] == "litware.co.uk"
    assert summary.index("adventure-works.com") < summary.index("wingtiptoys.com")
    assert summary.index("litware.co.uk") < summary.index("tailspintoys.com")


def test_timeline_orders_domains_like_the_verdict_table(ctx) -> None:
    verdicts = ctx.result.verdicts
    order = [str(verdicts["domain"].iloc[i]) for i in urgency_order(verdicts) if not pd.isna(verdicts["domain"].iloc[i])]
    rank = plots._domain_rank(verdicts)
    assert sorted(rank, key=rank.__getitem__) == order
    # the verdicts frame itself is built in that order
    assert [d for d in verdicts["domain"] if not pd.isna(d)] == order
    bars = plots._order_bars(plots._timeline_bars(plots.frames_of(ctx.result)["certificates"], None, None), verdicts)
    seen: list[str] = []
    for bar in bars:
        if bar.domain and bar.domain not in seen:
            seen.append(bar.domain)
    first_farm = next(b.farm for b in bars)
    assert first_farm == "fs.litware.com"  # the farm of the most urgent domain comes first
    assert seen[0] == "litware.co.uk"  # and its most urgent domain first within it


def test_urgency_key_accepts_frame_missing_values() -> None:
    assert urgency_key(pd.NA, None, "a", float("nan")) == (1, 0, float("inf"), "a", "")
    assert urgency_key(0.0, "critical", "b", "f") < urgency_key(3.0, "critical", "a", "f")
    assert urgency_key(3.0, "critical", "a", "f") < urgency_key(1.0, "high", "a", "f")


def test_days_left_read_the_same_in_the_summary_and_the_verdict_table(ctx) -> None:
    rows = {row[1].split()[0]: row[2] for row in _summary_rows(rh.header(ctx).html)}
    assert rows["tailspintoys.com"] == "12.3"
    assert rows["wingtiptoys.com"] == "151"
    text = html.unescape(re.sub(r"<[^>]+>", "|", rh.verdicts(ctx).html))
    assert "|12.3|" in text and "|151|" in text and "|4.7|" in text
    assert [days_left_text(v) for v in (None, pd.NA, 0.0, 12.34, 34.96, 35.0, 150.6, 2_914_000.0)] == [
        "unknown", "unknown", "0.0", "12.3", "35.0", "35", "151", "2,914,000"]


def test_summary_shows_the_whole_reason_with_urls_and_words_intact(ctx) -> None:
    rows = {row[1].split()[0]: row[3] for row in _summary_rows(rh.header(ctx).html)}
    verdicts = ctx.result.verdicts.set_index("domain")
    for domain, why in rows.items():
        assert why == str(verdicts.loc[domain, "reason"])
        assert "\u2026" not in why
    assert "https://fs.proseware.com/FederationMetadata/2007-06/FederationMetadata.xml" in rows["proseware.com"]
    assert 'class="fa-wrap"' in rh.header(ctx).html


def test_no_evidence_heading_reads_naturally(tmp_path) -> None:
    (tmp_path / "empty.txt").write_text("nothing here\n", encoding="utf-8")
    empty = rc.prepare([str(tmp_path)], as_of=_as_of())
    text = html.unescape(re.sub(r"<[^>]+>", "", rh.header(empty).html))
    assert "Nothing to judge: the evidence holds no AD FS farm and no federated domain" in text
    assert "(0 of 0)" not in text and "without any evidence" not in text


def test_prepare_creates_its_output_folder_and_names_one_it_cannot(tmp_path):
    out = tmp_path / "new" / "folder"
    rc.prepare([str(SAMPLES)], as_of=_as_of(), output_dir=str(out))
    assert (out / "findings.json").is_file() and (out / "findings.csv").is_file()
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    from fedaudit.errors import ReportError

    with pytest.raises(ReportError, match="cannot create the output folder"):
        rc.prepare([str(SAMPLES)], as_of=_as_of(), output_dir=str(blocked / "sub"))
