"""The fuzzer (``make fuzz``, ``fuzz/``) as a habit: a bounded slice in every test run, and every
crash it ever found as a regression input (``tests/data/fuzz/``)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest

import fedaudit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # fuzz/ lives beside the package, outside it
    sys.path.insert(0, str(ROOT))

import fuzz  # noqa: E402
from fuzz import engine  # noqa: E402

REGRESSIONS = sorted(p for p in (ROOT / "tests" / "data" / "fuzz").iterdir() if p.suffix != ".md")
#: The slice CI runs: a few thousand inputs, a few seconds.
SLICE = 2500


def test_a_bounded_slice_finds_no_exception_outside_fedaudit_error(tmp_path):
    report = fuzz.run(SLICE, seed=12, load_every=100, out=tmp_path / "fuzz-out")
    assert report.inputs == SLICE and report.load_inputs == SLICE // 100
    assert set(report.calls) == {t.name for t in engine.targets()}  # every target was exercised
    details = [f"{c.target}: {c.kind} at {c.where}: {c.message} (seed {c.seed}, {c.mutations})" for c in report.crashes]
    assert not report.crashes, "\n".join(details)
    assert not (tmp_path / "fuzz-out").exists()


@pytest.mark.parametrize("path", REGRESSIONS, ids=lambda p: p.name)
def test_every_crash_found_once_stays_fixed(path, tmp_path):
    data = path.read_bytes()
    assert fuzz.run_targets(data, path.name) == []
    (tmp_path / path.name).write_bytes(data)
    evidence = fedaudit.load(tmp_path)
    assert not evidence.issues["message"].str.contains("internal error").any()


def test_regression_inputs_are_listed_with_their_origin():
    listed = (ROOT / "tests" / "data" / "fuzz" / "SOURCES.md").read_text(encoding="utf-8")
    assert REGRESSIONS and all(f"`{p.name}`" in listed for p in REGRESSIONS)


def test_mutations_are_deterministic_and_cover_every_kind():
    pool = engine.corpus()
    assert len(pool) > 50 and all(not name.endswith(engine.SKIP_SUFFIXES) for name, _ in pool)

    def draw(seed: int) -> list[tuple[bytes, tuple[str, ...]]]:
        rng = random.Random(seed)
        return [engine.mutate(rng, pool[rng.randrange(len(pool))][1], pool) for _ in range(300)]

    first, again = draw(5), draw(5)
    assert first == again and first != draw(6)
    used = {name for _, names in first for name in names}
    assert used == {name for name, _ in engine.MUTATORS}
    assert any(data.startswith(b"\xff\xfe") for data, _ in first)  # encoding damage happens


def test_a_crash_is_reported_saved_once_and_a_fedaudit_error_is_not(tmp_path, monkeypatch):
    from fedaudit.errors import ParseError

    def boom(data: bytes, origin: str) -> None:
        if data[:1] == b"<":
            raise KeyError("planted")
        raise ParseError("refused cleanly", origin=origin)

    planted = engine.Target("planted", lambda d: True, boom)
    monkeypatch.setattr(engine, "targets", lambda: (planted,))
    pool = [("a.xml", b"<a/>"), ("b.txt", b"text")]
    report = engine.run(50, seed=1, pool=pool, out=tmp_path)
    assert [(c.target, c.kind) for c in report.crashes] == [("planted", "KeyError")]
    assert 0 < report.crash_count < 50
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert len(saved) == 2 and saved[1] == saved[0] + ".txt"
    text = (tmp_path / saved[1]).read_text()
    assert "kind: KeyError" in text and "Traceback" in text


def test_an_internal_error_load_issue_counts_as_a_crash(monkeypatch):
    from fedaudit.parse import dispatch

    def broken(*args: object) -> None:
        raise ZeroDivisionError("hidden by read_export")

    monkeypatch.setattr(dispatch, "_read", broken)
    [(_target, kind, _where, message, trace)] = [c for c in fuzz.run_targets(b"Name : x\n") if c[0] == "read_export"]
    assert kind == "internal:ZeroDivisionError" and "hidden by read_export" in message and "Traceback" in trace


def test_a_hang_is_a_crash(monkeypatch):
    import time

    slow = engine.Target("slow", lambda d: True, lambda d, o: time.sleep(5))
    monkeypatch.setattr(engine, "targets", lambda: (slow,))
    report = engine.run(1, seed=1, pool=[("a", b"x")], hang_seconds=0.2)
    assert [c.kind for c in report.crashes] == ["Hang"]
