"""``python -m fuzz [--inputs N] [--seed S] [--load-every K] [--out DIR]`` (``make fuzz``).

Prints inputs per second through the sans-IO parsers (and through :func:`fedaudit.load` for the
sampled inputs) and every distinct crash; exit 1 when there is one, 0 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fuzz.engine import ROOT, FuzzReport, corpus, run


def _line(report: FuzzReport) -> str:
    line = (f"{report.inputs} inputs in {report.seconds:.1f} s through the sans-IO parsers: "
            f"{report.per_second:,.0f} inputs/s ({report.per_cpu_second:,.0f} per CPU second)")
    if report.load_inputs:
        line += f"; {report.load_inputs} through load(): {report.load_per_second:,.0f} inputs/s"
    return line + f"; {report.crash_count} crashing input(s), {len(report.crashes)} distinct"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fuzz", description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="mutated inputs to run (default 100000)")
    parser.add_argument("--seed", type=int, default=12, help="random seed (a run is reproducible from it)")
    parser.add_argument("--load-every", type=int, default=100, metavar="K",
                        help="also read every K-th input with fedaudit.load() (0: never; default 100)")
    parser.add_argument("--out", default=str(ROOT / "fuzz-out"), metavar="DIR", help="where crashing inputs are saved")
    args = parser.parse_args(argv)
    pool = corpus()
    print(f"fuzz: {len(pool)} seed files from data/samples and tests/data; seed {args.seed}; "
          f"{args.inputs} inputs", flush=True)
    report = run(args.inputs, seed=args.seed, load_every=args.load_every, out=Path(args.out), pool=pool,
                 progress=lambda r: print("  " + _line(r), flush=True) if r.inputs % 10_000 == 0 else None)
    print(_line(report))
    calls = ", ".join(f"{k} {v}" for k, v in report.calls.items())
    print(f"calls per target: {calls}")
    took, target, seed_file = report.slowest
    print(f"slowest single call: {took * 1000:.0f} ms ({target}, seed {seed_file})")
    for c in report.crashes:
        print(f"CRASH {c.target}: {c.kind} at {c.where}: {c.message} (seed {c.seed}; {', '.join(c.mutations)})")
    if report.crashes:
        print(f"saved under {args.out}")
    return 1 if report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
