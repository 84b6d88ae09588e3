"""What the printed remediation asks administrators to run, counted (issue 11), and how big the
outputs of one farm with 1,000 domains are (issue 13, item 2).

Over the findings of the demo estate (data/samples), the collector fixtures, examples/exports and
the format fixtures: remediation blocks; blocks that run an MSOnline/AzureAD cmdlet; Microsoft
Graph writes and those preceded by ``Connect-MgGraph`` with Domain-InternalFederation.ReadWrite.All;
``fedaudit fetch`` commands and those with ``--out``; blocks the tree-sitter-powershell grammar
rejects. Commands are found in the syntax tree (tests/support/pscheck.py), so a cmdlet named in a
comment is not counted. Then ``findings.json`` / ``findings.csv`` / remediation text sizes for
1 farm x 1,000 domains (the load benchmark's estate writer). Counts, not timings: no floor.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from support import pscheck as ps

import fedaudit
from benchmarks.load import build_estate

ROOT = Path(__file__).resolve().parents[1]


def _folders() -> dict[str, tuple[Path, str]]:
    out: dict[str, tuple[Path, str]] = {}
    readme = ROOT / "data" / "samples" / "README.md"
    if readme.exists():
        m = re.search(r"^As-of date: *([0-9-]{10})", readme.read_text(encoding="utf-8"), re.M)
        out["demo"] = (readme.parent, m.group(1) if m else "2026-11-27")
    for sub in sorted((ROOT / "tests" / "data" / "collector").glob("*/")):
        out[f"collector/{sub.name}"] = (sub, "2026-11-27")
    for base in (ROOT / "examples" / "exports", ROOT / "tests" / "data" / "formats"):
        if base.exists():
            out[str(base.relative_to(ROOT))] = (base, "2026-11-27")
    return out


def counts() -> dict[str, int]:
    blocks: list[str] = []
    for folder, as_of in _folders().values():
        result = fedaudit.audit(fedaudit.load(str(folder)), as_of)
        blocks += [b for b in result.findings["remediation"] if isinstance(b, str) and b]
    c = dict.fromkeys(("blocks", "msonline", "writes", "scoped", "fetch", "out", "invalid"), 0)
    c["blocks"] = len(blocks)
    for b in blocks:
        cmds = ps.commands(ps.parse(b))
        c["msonline"] += any(ps._RETIRED.match(n) for _, n, _ in cmds)
        connected = False
        for _, name, args in cmds:
            low = name.lower()
            if low == "connect-mggraph":
                connected = connected or any(ps.WRITE_SCOPE in a for a in args)
            if low in ps._GRAPH_WRITES:
                c["writes"] += 1
                c["scoped"] += connected
            if low == "fedaudit" and args[:1] == ["fetch"]:
                c["fetch"] += 1
                c["out"] += "--out" in args
        c["invalid"] += any(p.startswith(("syntax", "missing", "'<'")) for p in ps.problems(b))
    return c


def sizes(work: Path, domains: int = 1000) -> dict[str, float]:
    build_estate(work / "estate", farms=1, domains_per_farm=domains, farms_per_tenant=1)
    result = fedaudit.audit(fedaudit.load(str(work / "estate")), "2026-11-27")
    doc = json.dumps({"fedaudit": fedaudit.__version__, **result.to_dict()}, ensure_ascii=False, default=str)
    table = result.findings.copy()
    table["evidence"] = [
        json.dumps(v, ensure_ascii=False, default=str) if isinstance(v, (list, tuple, dict)) else v
        for v in table["evidence"]
    ]
    rem = [b for b in result.findings["remediation"] if isinstance(b, str)]
    return {
        "findings": len(result.findings),
        "json_mb": len(doc.encode()) / 1e6,
        "csv_mb": len(table.to_csv(index=False).encode()) / 1e6,
        "remediation_mb": sum(len(b) for b in rem) / 1e6,
        "largest_block_kb": max((len(b) for b in rem), default=0) / 1e3,
    }


def run(out_dir: str | Path) -> list[str]:
    work = Path(out_dir)
    work.mkdir(parents=True, exist_ok=True)
    c = counts()
    s = sizes(work)
    return [
        f"remediation blocks {c['blocks']}: running MSOnline {c['msonline']}; Graph writes {c['writes']}, "
        f"after Connect-MgGraph with Domain-InternalFederation.ReadWrite.All {c['scoped']}; "
        f"fedaudit fetch {c['fetch']}, with --out {c['out']}; rejected by the PowerShell grammar {c['invalid']}",
        f"1 farm x 1,000 domains: {s['findings']} findings; findings.json {s['json_mb']:.2f} MB, findings.csv "
        f"{s['csv_mb']:.2f} MB, remediation text {s['remediation_mb']:.2f} MB "
        f"(largest block {s['largest_block_kb']:.1f} kB)",
    ]
