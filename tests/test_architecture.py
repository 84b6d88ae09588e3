"""The package's shape (issue 9): stage folders importing only from the stages before them, no
import cycle, imports at the top, sample writers and benchmarks outside, documented names
importable, old import paths still working."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

from support.imports import PACKAGE, cycles, imports, modules

ROOT = PACKAGE.parent

#: Stages in data-flow order. A module may import from its own stage and the ones before it.
#: parse comes before io: parsing is sans-IO, and io (fetch) records the server certificate and
#: recognises the body with parse's functions. ``fedaudit.metadata`` is the public facade over
#: parse/metadata and evidence/discover.
STAGES = [
    ("core", ("fedaudit._version", "fedaudit._compat", "fedaudit._util", "fedaudit.errors", "fedaudit.records", "fedaudit.frames",
              "fedaudit.neutral")),
    ("parse", ("fedaudit.parse",)),
    ("io", ("fedaudit.io",)),
    ("evidence", ("fedaudit.evidence", "fedaudit.metadata")),
    ("checks", ("fedaudit.checks",)),
    ("engine", ("fedaudit.engine",)),
    ("reporting", ("fedaudit.reporting",)),
    ("ops", ("fedaudit.ops",)),
    ("cli", ("fedaudit.cli", "fedaudit.__main__")),
]


def stage_of(module: str) -> int | None:
    for rank, (_, prefixes) in enumerate(STAGES):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return rank
    return None


def test_every_module_has_a_stage() -> None:
    homeless = [m for m in modules() if m != "fedaudit" and stage_of(m) is None]
    assert homeless == []


def test_stages_import_only_from_earlier_stages() -> None:
    wrong = []
    for imp in imports():
        if imp.importer == "fedaudit":  # the public surface re-exports from every stage
            continue
        src, dst = stage_of(imp.importer), stage_of(imp.imported)
        if dst is None:
            # `from fedaudit import X` of a name that is no module: the package root, which is
            # the public surface and must not be imported from inside
            wrong.append(f"{imp.importer}:{imp.line} imports the package root")
        elif src is not None and dst > src:
            wrong.append(f"{imp.importer}:{imp.line} ({STAGES[src][0]}) imports {imp.imported} ({STAGES[dst][0]})")
    assert wrong == []


def test_no_import_cycle_counting_every_import() -> None:
    edges: dict[str, set[str]] = {}
    for imp in imports():
        if imp.imported != imp.importer:
            edges.setdefault(imp.importer, set()).add(imp.imported)
    assert cycles(edges) == []


def test_package_imports_sit_at_the_top_of_modules() -> None:
    inside = [f"{i.importer}:{i.line} -> {i.imported}" for i in imports() if i.in_function]
    assert inside == []


def test_at_most_ten_modules_at_the_top_level() -> None:
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(top) <= 10, top


def test_no_sample_writer_or_benchmark_ships_in_the_package() -> None:
    names = {p.stem for p in PACKAGE.rglob("*.py")} | {p.name for p in PACKAGE.rglob("*") if p.is_dir()}
    assert not names & {"synth", "_psforms", "_pswrite", "_metadata_doc", "_bench", "benchmarks", "support"}
    text = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py"))
    assert not re.search(r"^\s*(from|import) (support|benchmarks|tests)\b", text, re.M)


def test_importing_fedaudit_stays_light() -> None:
    code = (
        "import sys, fedaudit, fedaudit.checks, fedaudit.engine, fedaudit.metadata\n"
        "heavy = [m for m in ('matplotlib', 'papermill', 'nbconvert', 'nbformat', 'jupyter_client') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""


def _documented_names() -> set[str]:
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    found: set[str] = set()
    for path in texts:
        text = path.read_text(encoding="utf-8")
        for m in re.finditer(r"from (fedaudit(?:\.\w+)*) import ([\w, ]+)", text):
            found |= {f"{m.group(1)}:{n.strip()}" for n in m.group(2).split(",") if n.strip()}
        for m in re.finditer(r"`(fedaudit(?:\.\w+)+)(?:\(|`)", text):
            if not re.search(r"\.(timer|service|toml|ya?ml|exe|cron|sqlite|json|html)$", m.group(1)):  # file names
                found.add(m.group(1))
    return found


@pytest.mark.parametrize("name", sorted(_documented_names()))
def test_every_name_the_docs_show_can_be_imported(name: str) -> None:
    if ":" in name:
        module, attr = name.split(":")
        assert hasattr(importlib.import_module(module), attr) or importlib.import_module(f"{module}.{attr}")
        return
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return
    pytest.fail(f"{name} is not importable")


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("fedaudit.plots", "fedaudit.reporting.plots"),
        ("fedaudit.report_html", "fedaudit.reporting.sections"),
        ("fedaudit.history", "fedaudit.ops.history"),
        ("fedaudit.loader", "fedaudit.evidence.load"),
        ("fedaudit.textio", "fedaudit.parse.textio"),
        ("fedaudit.metadata.verify", "fedaudit.parse.metadata.verify"),
    ],
)
def test_old_import_paths_are_the_same_modules(old: str, new: str) -> None:
    assert importlib.import_module(old) is importlib.import_module(new)
    assert importlib.import_module(new).__spec__.name == new


def test_old_from_imports_work() -> None:
    from fedaudit import history, plots  # noqa: F401  (the 0.1 notebook idiom)
    from fedaudit.engine import AuditResult, audit, exit_code  # noqa: F401
    from fedaudit.metadata import verify_metadata  # noqa: F401
    from fedaudit.reporting import report  # noqa: F401

    import fedaudit

    assert callable(fedaudit.audit) and callable(fedaudit.report) and callable(fedaudit.load)


def test_user_facing_mistakes_are_fedaudit_errors_and_keep_their_builtin_kind() -> None:
    from fedaudit.checks import by_id
    from fedaudit.errors import FedauditError, UnknownCheckError, UsageError
    from fedaudit.frames import make_frame

    with pytest.raises(UnknownCheckError) as info:
        by_id("rollover.no-such-check")
    assert isinstance(info.value, KeyError) and isinstance(info.value, FedauditError)
    assert "rollover.no-such-check" in str(info.value) and not str(info.value).startswith("'")
    import datetime as dt

    with pytest.raises(UsageError) as naive:
        make_frame("certificates", [{"thumbprint": "A" * 40, "not_after": dt.datetime(2026, 1, 1)}])
    assert isinstance(naive.value, ValueError)


def test_no_bare_builtin_raise_in_user_facing_code() -> None:
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\braise (ValueError|KeyError|TypeError|RuntimeError)\(", line):
                offenders.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert offenders == []
