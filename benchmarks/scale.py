"""Check against inventory on the estate shapes of issue 13, and the size of what check writes.

``python -m benchmarks scale`` (``make bench`` runs every benchmark). Three estates are
written with :func:`benchmarks.load.build_estate` (mixed export forms, signed metadata with
fetch sidecars, -SupportMultipleDomain issuer URIs):

* 100 farms x 10 domains (many small farms),
* 20 farms x 100 domains,
* 1 farm x 1,000 domains (one AD FS farm federating a thousand top-level domains).

On each, ``fedaudit inventory`` (load and print the inventory) is the floor and ``fedaudit check``
(load, every check, the verdicts, the timeline, the table) is measured against it; both run as
the installed CLI in their own process, so import time counts on both sides alike. Each is the
best of ``REPEATS`` runs. A child process then writes the outputs a report folder carries
(``findings.json`` as ``check --format json`` prints it, ``findings.csv`` as the report writes
it, ``findings.jsonl`` for a SIEM) and their sizes are printed with the number of findings.
Targets (issue 13): check at most 1.5x inventory on 20 x 100 and 1 x 1,000; findings.json
under 5 MB at 1,000 domains. Nothing here asserts; a run that exceeds ``TIMEOUT`` seconds is
reported as such.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["SHAPES", "run"]

#: (farms, domains per farm, farms per tenant)
SHAPES = ((100, 10, 10), (20, 100, 10), (1, 1000, 1))
#: Domains of one farm for the growth table: each size doubles the last, so a linear cost doubles
#: too (ratio 2.0) and a quadratic one quadruples.
GROWTH = (250, 500, 1000, 2000, 4000)
REPEATS = 3
AS_OF = "2026-11-27"
#: seconds one CLI run may take before it is stopped and reported as such
TIMEOUT = 600.0
_MARKER = "BUILT.json"

_OUTPUTS = r"""
import datetime as dt, json, sys
import fedaudit
from fedaudit import __version__
from fedaudit.reporting.siem import finding_records, jsonl_text
ev = fedaudit.load(sys.argv[1])
result = fedaudit.audit(ev, sys.argv[2])
document = {"fedaudit": __version__, **result.to_dict()}
findings_json = json.dumps(document, ensure_ascii=False, default=str) + "\n"
table = result.findings.copy()
table["evidence"] = [json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, tuple, dict)) else v
                     for v in table["evidence"]]
csv = table.to_csv(index=False, lineterminator="\n")
jsonl = jsonl_text(finding_records(result.findings, time=result.as_of, as_of=result.as_of))
print(json.dumps({"findings": int(len(result.findings)), "verdicts": int(len(result.verdicts)),
                  "json": len(findings_json.encode()), "csv": len(csv.encode()), "jsonl": len(jsonl.encode())}))
"""


_STEPS = r"""
import json, sys, time
import fedaudit
from fedaudit.reporting.siem import finding_records, jsonl_text
t0 = time.perf_counter()
ev = fedaudit.load(sys.argv[1], workers=1)
t1 = time.perf_counter()
result = fedaudit.audit(ev, sys.argv[2])
t2 = time.perf_counter()
text = json.dumps(result.to_dict(), ensure_ascii=False, default=str)
jsonl = jsonl_text(finding_records(result.findings, time=result.as_of, as_of=result.as_of))
t3 = time.perf_counter()
print(json.dumps({"seconds": t3 - t0, "load": t1 - t0, "audit": t2 - t1, "outputs": t3 - t2,
                  "findings": int(len(result.findings)), "bytes": len(text) + len(jsonl)}))
"""


def _steps(estate: Path) -> dict[str, float]:
    """load, audit and writing the outputs of ``estate`` timed apart in a fresh process, best of REPEATS."""
    runs = []
    for _ in range(REPEATS):
        done = subprocess.run(
            [sys.executable, "-c", _STEPS, str(estate), AS_OF],
            capture_output=True, text=True, env=_env(), timeout=TIMEOUT, check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"steps child failed ({done.returncode}):\n{done.stderr[-2000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {key: min(r[key] for r in runs) for key in runs[0]}


def _growth(out: Path) -> list[str]:
    """One farm with more and more domains: the time of each step per domain, and how it grows."""
    lines = [
        f"growth: one farm, {' / '.join(f'{n:,}' for n in GROWTH)} domains; load (one process), audit (every check, "
        f"verdicts, timeline) and outputs (findings.json + JSONL) timed apart, best of {REPEATS}",
        f"{'domains':>8} {'load':>8} {'audit':>8} {'outputs':>8}  {'us/domain (load, audit, outputs)':>34}  "
        f"{'x previous (load, audit, outputs)':>34}  {'findings':>8} {'MB':>6}",
    ]
    previous = None
    for n in GROWTH:
        estate, _ = _estate(out / f"growth-{n}", 1, n, 1)
        st = _steps(estate)
        per = ", ".join(f"{st[k] / n * 1e6:.0f}" for k in ("load", "audit", "outputs"))
        grown = ", ".join(f"{st[k] / previous[k]:.2f}" for k in ("load", "audit", "outputs")) if previous else "-"
        lines.append(
            f"{n:>8,} {st['load']:>7.2f}s {st['audit']:>7.2f}s {st['outputs']:>7.2f}s  {per:>34}  {grown:>34}  "
            f"{int(st['findings']):>8,} {st['bytes'] / 1e6:>6.2f}"
        )
        previous = st
    lines.append("(linear: each step about 2.0x the previous size's time; a quadratic step would be about 4x)")
    return lines


def _estate(root: Path, farms: int, per_farm: int, per_tenant: int) -> tuple[Path, str]:
    from benchmarks.load import build_estate

    estate = root / "estate"
    marker = root / _MARKER
    want = {"farms": farms, "domains": farms * per_farm}
    if marker.exists():
        counts = json.loads(marker.read_text())
        if {k: counts.get(k) for k in want} == want:
            return estate, "reused"
    root.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    build_estate(estate, farms=farms, domains_per_farm=per_farm, farms_per_tenant=per_tenant)
    return estate, f"built in {time.perf_counter() - t:.1f} s"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _cli(*args: str) -> float | None:
    """Seconds one ``fedaudit`` CLI run takes in a fresh interpreter (None: stopped at TIMEOUT)."""
    cmd = [sys.executable, "-m", "fedaudit", *args]
    start = time.perf_counter()
    try:
        done = subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=_env(), timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired:
        return None
    took = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return took


def _best(*args: str) -> float | None:
    runs = []
    for _ in range(REPEATS):
        took = _cli(*args)
        if took is None:
            return None  # one run past the timeout is enough to say so
        runs.append(took)
    return min(runs)


def _outputs(estate: Path) -> dict[str, int]:
    done = subprocess.run(
        [sys.executable, "-c", _OUTPUTS, str(estate), AS_OF],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=TIMEOUT * 2,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"outputs child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _mb(n: int) -> str:
    return f"{n / 1e6:.2f} MB"


def run(out_dir: str | os.PathLike[str]) -> list[str]:
    out = Path(out_dir)
    lines = [f"fedaudit check vs fedaudit inventory, CLI in a fresh process, best of {REPEATS}; as of {AS_OF}"]
    lines.append(
        f"{'estate':<22} {'inventory':>9} {'check':>9} {'ratio':>7}  {'findings':>8} "
        f"{'findings.json':>13} {'findings.csv':>12} {'jsonl':>9}"
    )
    notes = []
    for farms, per_farm, per_tenant in SHAPES:
        estate, built = _estate(out / f"{farms}x{per_farm}", farms, per_farm, per_tenant)
        inventory = _best("inventory", str(estate))
        check = _best("check", str(estate), "--as-of", AS_OF, "--fail-on", "none")
        sizes = _outputs(estate) if check is not None else None
        ratio = f"{check / inventory:.2f}x" if check is not None and inventory else "n/a"
        shape = f"{farms} x {per_farm:,} domains"
        inv = f"{inventory:.2f} s" if inventory is not None else f">{TIMEOUT:.0f} s"
        chk = f"{check:.2f} s" if check is not None else f">{TIMEOUT:.0f} s"
        if sizes:
            lines.append(
                f"{shape:<22} {inv:>9} {chk:>9} {ratio:>7}  {sizes['findings']:>8,} "
                f"{_mb(sizes['json']):>13} {_mb(sizes['csv']):>12} {_mb(sizes['jsonl']):>9}"
            )
        else:
            lines.append(f"{shape:<22} {inv:>9} {chk:>9} {ratio:>7}")
        notes.append(f"{shape}: estate {built} in {estate}")
        if farms * per_farm >= 1000 and per_farm >= 100 and check is not None and inventory:
            target = check / inventory <= 1.5
            notes.append(f"{shape}: check/inventory target <= 1.5x: {'met' if target else 'MISSED'}")
        if per_farm == 1000 and sizes:
            notes.append(f"{shape}: findings.json target < 5 MB: {'met' if sizes['json'] < 5e6 else 'MISSED'}")
    return lines + notes + _growth(out)
