"""Regenerate the "## The checks" section of docs/checks.md from fedaudit.checks.REGISTRY.

    .venv/bin/python docs/make_checks_md.py          # rewrite docs/checks.md in place
    .venv/bin/python docs/make_checks_md.py --check  # exit 1 when the file is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

DOC = Path(__file__).with_name("checks.md")
START = "## The checks\n"
END = "## Known limits\n"


def section() -> str:
    from fedaudit.checks import REGISTRY

    out = [START, "", "`fedaudit checks` prints this list from the registry (`fedaudit.checks.REGISTRY`).", "",
           "| Id | Severity | Title | Implies |", "|---|---|---|---|"]
    out += [f"| `{c.id}` | {c.severity} | {c.title} | `{c.action}` |" for c in REGISTRY]
    for c in REGISTRY:
        out += [
            "",
            f"### `{c.id}`",
            "",
            f"**{c.title}** - severity `{c.severity}`, implies `{c.action}`  ",
            f"Runbook: {c.reference.split(' § ', 1)[-1]}  ",
            f"Controls: {'; '.join(c.controls)}",
            "",
            c.description,
        ]
    return "\n".join(x.rstrip("\n") if x is START else x for x in out) + "\n\n"


def render(text: str) -> str:
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return head + section() + END + tail


def main(argv: list[str]) -> int:
    text = DOC.read_text(encoding="utf-8")
    new = render(text)
    if "--check" in argv:
        return 0 if new == text else 1
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
