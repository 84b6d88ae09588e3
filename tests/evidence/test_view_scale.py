"""Cost linear in the estate (issue 13): the per-farm computation runs once per farm and audit,
however many domains the farm federates. Counted calls, never timed (timings live in make bench)."""

from __future__ import annotations

import collections

import pytest
from _evidence_builder import AS_OF, Estate

import fedaudit
from fedaudit.checks import _fix
from fedaudit.checks import remediation as rm
from fedaudit.engine import core as engine
from fedaudit.evidence import view as _view

FARM = "fs.corp.example"


def _estate(domains: int):
    """One farm whose secondary Entra ID does not hold for any domain (a farm-wide push per
    domain finding), several top-level domains and one subdomain, one IssuerUri wrong."""
    est = Estate()
    p = est.cert("p", days=200)
    s = est.cert("s", days=560)
    est.farm(FARM).adfs(FARM, p).adfs(FARM, s, slot="secondary")
    names = [f"d{i:04d}.example" for i in range(domains)] + ["sub.d0000.example"]
    for name in names:
        est.domain(name, farm=FARM, signing=p, issuer_uri=f"http://{name}/adfs/services/trust/")
    est.domain("wrong.example", farm=FARM, signing=p, issuer_uri="http://elsewhere.example/adfs/services/trust/")
    est.fetch(FARM, listed=[p, s], signer=p)
    return est.evidence(), len(names) + 1


@pytest.fixture()
def counted(monkeypatch):
    calls: collections.Counter[str] = collections.Counter()

    def wrap(owner, name):
        inner = getattr(owner, name)

        def counting(*args, **kwargs):
            calls[name] += 1
            return inner(*args, **kwargs)

        monkeypatch.setattr(owner, name, counting)

    wrap(engine, "build_view")  # the engine's own name for it (bound when fedaudit.engine was imported)
    wrap(_view, "view_of")  # a check called on its own builds its view here: must not happen in audit()
    wrap(_view, "_farm_domains")
    wrap(_view, "domain_roots")
    wrap(_view, "_domain_state")
    wrap(_fix, "_push_to_entra")
    wrap(rm, "multiple_domain_roots")
    wrap(rm, "needs_support_multiple_domain")
    return calls


def _audit_counts(domains: int, calls) -> tuple[dict[str, int], fedaudit.AuditResult, int]:
    ev, n = _estate(domains)
    calls.clear()
    result = fedaudit.audit(ev, AS_OF)
    return dict(calls), result, n


def test_per_farm_work_does_not_grow_with_the_domains_of_the_farm(counted):
    small, r_small, n_small = _audit_counts(5, counted)
    large, r_large, n_large = _audit_counts(60, counted)
    # the checks really asked for the farm-wide push once per domain
    per_domain = (r_large.findings["id"] == "sync.secondary-not-in-entra").sum()
    assert per_domain == n_large and (r_small.findings["id"] == "sync.secondary-not-in-entra").sum() == n_small
    assert r_large.findings.loc[r_large.findings["id"] == "entra.issuer-uri-mismatch", "domain"].tolist() == [
        "wrong.example"
    ]
    # one view per audit, one per-farm index, one farm-wide push text per kind of push
    assert large["build_view"] == small["build_view"] == 1
    assert large.get("view_of", 0) == small.get("view_of", 0) == 0
    assert large["_farm_domains"] == small["_farm_domains"] == 1
    assert large["domain_roots"] == small["domain_roots"] == 1
    assert large["_push_to_entra"] == small["_push_to_entra"] >= 1
    assert large.get("multiple_domain_roots", 0) == small.get("multiple_domain_roots", 0)
    assert large.get("needs_support_multiple_domain", 0) == small.get("needs_support_multiple_domain", 0) == 0
    # the decision-table inputs: once per domain, never once per domain per finding
    assert large["_domain_state"] == n_large and small["_domain_state"] == n_small


def test_the_shared_push_lists_every_domain_with_support_multiple_domain(counted):
    _, result, n = _audit_counts(5, counted)
    texts = set(result.findings.loc[result.findings["id"] == "sync.secondary-not-in-entra", "remediation"])
    assert len(texts) == 1  # the same farm-wide text for every domain of the farm
    (text,) = texts
    # one Graph loop over every domain of the farm (issue 11: MSOnline is retired)
    assert "foreach ($d in $domains)" in text
    listed = text.split("$domains = @(", 1)[1].split(")", 1)[0]
    assert listed.count("'") == 2 * n
    assert not [ln for ln in text.splitlines() if "Msol" in ln and not ln.lstrip().startswith("#")]


def test_domain_roots_is_the_old_pairwise_rule():
    names = ["a.com", "b.a.com", "x.b.a.com", "c.org", "A.com.", "co.uk", "x.co.uk", "q.x.co.uk", "d.net"]
    roots, root_of = _view.domain_roots(names)
    clean = sorted({n.lower().strip(".") for n in names})
    pairwise = [d for d in clean if not any(d != o and d.endswith("." + o) for o in clean)]
    assert roots == pairwise == rm.multiple_domain_roots(names)
    for name in clean:
        (expected,) = [r for r in pairwise if name == r or name.endswith("." + r)]
        assert root_of[name] == expected


def test_frames_read_column_by_column_give_the_per_cell_values():
    """_rows converts each column once; it must give what cleaning every cell of
    ``to_dict("records")`` gives, value and type (NA -> None, timestamps -> datetime)."""
    import datetime as dt
    from pathlib import Path

    samples = Path(__file__).resolve().parents[2] / "data" / "samples"
    if not (samples / "README.md").exists():
        pytest.skip("data/samples not generated")
    ev = fedaudit.load(str(samples))
    for name, frame in ev.frames().items():
        reference = [{k: _view._clean(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]
        got = _view._rows(frame)
        assert got == reference, name
        for a, b in zip(got, reference):
            assert [type(v) for v in a.values()] == [type(v) for v in b.values()], name
    dates = [v for row in _view._rows(ev.certificates) for v in (row["not_before"], row["not_after"]) if v is not None]
    assert dates and all(type(v) is dt.datetime and v.tzinfo is not None for v in dates)
