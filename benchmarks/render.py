"""Report render time: ``fedaudit.report`` on the sample estate and on 1,000 federated domains.

``python -m benchmarks render`` (``make bench`` runs every benchmark). Beside the two
reports a floor is measured in the same run: papermill plus nbconvert (the same kernel manager
and HTML exporter the report uses) on a trivial notebook that imports pandas and matplotlib and
draws one figure. Each timing is the best of ``REPEAT`` runs, so a cold disk cache or a slow
first kernel start does not count against one side only. The 1,000-domain estate is written
with :func:`benchmarks.load.build_estate` twice (10 farms of 100 domains, and one farm of
1,000 domains; mixed export forms, signed metadata with fetch sidecars). Targets: samples within
1.5x the floor, 1,000 domains within 3x, HTML at most 5 MB, findings.json at most 5 MB.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

__all__ = ["run"]

REPEAT = 3
#: the as-of date of the 1,000-domain estate (benchmarks.load.AS_OF) and the samples' fallback
SAMPLES_AS_OF = "2026-11-27"
FLOOR_CELLS = (
    "import pandas as pd\nimport matplotlib\nfrom matplotlib.figure import Figure\nfrom IPython.display import Image",
    "frame = pd.DataFrame({'x': range(100), 'y': [i * i for i in range(100)]})\n"
    "fig = Figure(figsize=(10, 4))\nfig.add_subplot().plot(frame['x'], frame['y'])\n"
    "import io\nbuf = io.BytesIO()\nfig.savefig(buf, format='png')\nImage(buf.getvalue())",
)


def _floor_notebook(path: Path) -> None:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(
        cells=[new_code_cell(src) for src in FLOOR_CELLS],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
    )
    nbformat.write(nb, path)


def _floor(work: Path) -> float:
    from fedaudit.reporting.render import execute_template, render_html

    source = work / "floor.ipynb"
    _floor_notebook(source)
    start = time.perf_counter()
    nb = execute_template(source, work / "floor-out.ipynb", {}, cwd=work)
    (work / "floor.html").write_text(render_html(nb, title="floor"), encoding="utf-8")
    return time.perf_counter() - start


def _as_of(samples: Path) -> str:
    """The samples' as-of date (``As-of date:`` line of their README), else SAMPLES_AS_OF."""
    import re

    try:
        found = re.search(r"^As-of date:\s*(\d{4}-\d{2}-\d{2})", (samples / "README.md").read_text("utf-8"), re.M)
    except OSError:
        found = None
    return found.group(1) if found else SAMPLES_AS_OF


def _report(inputs: list[Path], out: Path, as_of: str) -> tuple[float, int, Path]:
    from fedaudit.reporting.render import report

    start = time.perf_counter()
    result = report(inputs, out, as_of=as_of, fail_on="none", organisation="bench")
    elapsed = time.perf_counter() - start
    return elapsed, result.html.stat().st_size, result.html


def _sizes(html: Path) -> str:
    """The sizes of the machine-readable outputs written beside the report."""
    parts = []
    for name in ("findings.json", "findings.csv"):
        found = next(iter(html.parent.rglob(name)), None)
        if found is not None:
            parts.append(f"{name} {found.stat().st_size / 1e6:.2f} MB")
    return ", ".join(parts) + " (target findings.json <= 5 MB)" if parts else "no findings.json"


def _best(fn, *args):
    runs = [fn(*args) for _ in range(REPEAT)]
    return min(runs, key=lambda r: r if isinstance(r, float) else r[0])


def run(out_dir: str | os.PathLike[str]) -> list[str]:
    from benchmarks.load import build_estate

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    lines: list[str] = []
    floor = _best(_floor, out)
    lines.append(f"floor (papermill + nbconvert, pandas + matplotlib, one figure): {floor:.2f} s (best of {REPEAT})")

    samples = Path(__file__).resolve().parents[1] / "data" / "samples"
    if samples.is_dir():
        took, size, html = _best(_report, [samples], out / "samples", _as_of(samples))
        lines.append(
            f"sample estate: {took:.2f} s = {took / floor:.2f}x floor (target <= 1.5x); HTML {size / 1e6:.2f} MB "
            f"(target <= 5 MB); {html}"
        )
    else:
        lines.append(f"sample estate: skipped ({samples} not found; run from a source checkout)")

    for farms, per_farm in ((10, 100), (1, 1000)):
        estate = out / f"estate-{farms}x{per_farm}" / "estate"
        if estate.exists():
            shutil.rmtree(estate.parent)
        estate.mkdir(parents=True)
        t0 = time.perf_counter()
        counts = build_estate(estate, farms=farms, domains_per_farm=per_farm, farms_per_tenant=min(farms, 10))
        built = time.perf_counter() - t0
        took, size, html = _best(_report, [estate], out / f"large-{farms}x{per_farm}", SAMPLES_AS_OF)
        lines.append(
            f"{farms} x {per_farm:,} domains ({counts['farms']} farms, {counts['domains']:,} domains, {counts['files']} files, "
            f"built in {built:.1f} s): {took:.2f} s = {took / floor:.2f}x floor (target <= 3x); "
            f"HTML {size / 1e6:.2f} MB (target <= 5 MB); {_sizes(html)}; {html}"
        )
    return lines
