"""PowerShell that fedaudit prints, checked with a real PowerShell grammar (tree-sitter-powershell).

``problems(text)`` returns what is wrong with one remediation block, as short strings:

* a syntax error (an ERROR or MISSING node of the grammar), with its line;
* ``<`` outside a string or comment: PowerShell reserves it ("The '<' operator is reserved for
  future use"), so a ``<placeholder>`` left in a command fails as written;
* an MSOnline or AzureAD cmdlet (retired in 2025) run by the block - comments may name them;
* a Graph write (``Update-``/``New-MgDomainFederationConfiguration``) that no earlier
  ``Connect-MgGraph -Scopes`` with ``Domain-InternalFederation.ReadWrite.All`` precedes;
* ``fedaudit fetch`` without ``--out`` (the CLI requires it).

Commands are found in the syntax tree, so a cmdlet named inside a comment or a string is not
a command. The grammar is the one the PyPI package ``tree-sitter-powershell`` ships.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import tree_sitter
import tree_sitter_powershell

WRITE_SCOPE = "Domain-InternalFederation.ReadWrite.All"
#: remediation text -> finding id, for every Finding the test session built (tests/conftest.py).
REMEDIATIONS: dict[str, str] = {}
_RETIRED = re.compile(r"^(?:[A-Za-z]+-(?:Msol|AzureAD)[A-Za-z]*|Connect-MsolService|Connect-AzureAD)$", re.I)
_GRAPH_WRITES = {
    "update-mgdomainfederationconfiguration",
    "new-mgdomainfederationconfiguration",
    "update-mgbetadomainfederationconfiguration",
    "new-mgbetadomainfederationconfiguration",
}
_STRINGY = {
    "string_literal",
    "comment",
    "expandable_string_literal",
    "verbatim_string_characters",
    "expandable_here_string_literal",
    "verbatim_here_string_characters",
}


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_powershell.language()))


def parse(text: str) -> tree_sitter.Tree:
    return _parser().parse(text.encode("utf-8"))


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(reversed(n.children))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def commands(tree: tree_sitter.Tree) -> list[tuple[int, str, list[str]]]:
    """(line, command name, argument texts) of every command, in source order."""
    out = []
    for n in _walk(tree.root_node):
        if n.type != "command":
            continue
        name = n.child_by_field_name("command_name")
        if name is None:
            continue
        elements = n.child_by_field_name("command_elements")
        args = [_text(c) for c in elements.children if c.type != "command_argument_sep"] if elements else []
        out.append((n.start_point[0] + 1, _text(name), args))
    return sorted(out, key=lambda c: c[0])


def _in_string_or_comment(node: tree_sitter.Node) -> bool:
    p: tree_sitter.Node | None = node
    while p is not None:
        if p.type in _STRINGY:
            return True
        p = p.parent
    return False


def comment_only(text: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())


def problems(text: str) -> list[str]:
    if comment_only(text):
        # The grammar rejects a program that is nothing but comments (an empty statement list);
        # PowerShell runs it as a no-op. Such a block prints advice, not commands.
        return []
    tree = parse(text)
    found: list[str] = []
    for n in _walk(tree.root_node):
        if n.is_error or n.type == "ERROR":
            found.append(f"syntax error at line {n.start_point[0] + 1}: {_text(n)[:60]!r}")
        elif n.is_missing:
            found.append(f"missing {n.type!r} at line {n.start_point[0] + 1}")
        elif n.child_count == 0 and "<" in _text(n) and not _in_string_or_comment(n):
            found.append(f"'<' outside a string at line {n.start_point[0] + 1}: {_text(n)[:60]!r}")
    connected = False
    for line, name, args in commands(tree):
        low = name.lower()
        if _RETIRED.match(name):
            found.append(f"retired MSOnline/AzureAD cmdlet {name} at line {line}")
        if low == "connect-mggraph" and any(WRITE_SCOPE in a for a in args):
            connected = True
        if low in _GRAPH_WRITES and not connected:
            found.append(f"{name} at line {line} without an earlier Connect-MgGraph -Scopes {WRITE_SCOPE}")
        if low == "fedaudit" and args[:1] == ["fetch"] and "--out" not in args:
            found.append(f"fedaudit fetch without --out at line {line}")
    return found


def graph_writes(text: str) -> int:
    return sum(1 for _, name, _ in commands(parse(text)) if name.lower() in _GRAPH_WRITES)


def fetches(text: str) -> int:
    return sum(1 for _, name, args in commands(parse(text)) if name.lower() == "fedaudit" and args[:1] == ["fetch"])
