"""The ``fedaudit`` command. Each sub-command lives in its own module and only parses
arguments, calls the library and prints. Exit codes (documented in the README):

* 0 - done; for ``check``/``report``/``run``: nothing at or above ``--fail-on``
* 1 - ``check``/``report``/``run``: findings at or above ``--fail-on``; ``inventory --strict``: load issues
* 2 - usage error or unreadable input (one line on stderr)
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from fedaudit._version import __version__
from fedaudit.errors import FedauditError
from fedaudit.neutral import term

__all__ = ["main"]

#: command name -> module under fedaudit.cli that defines ``register(subparsers)``.
COMMANDS = {
    "inventory": "inventory",
    "fetch": "fetch",
    "collect": "collect",
    "checks": "checks",
    "check": "check",
    "report": "report",
    "run": "run",
    "diff": "diff",
    "verify": "verify",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line, exit 2
        command = self.prog if self.prog.startswith("fedaudit") else "fedaudit"
        sys.stderr.write(f"{command}: error: {term(message)} (see '{command} -h')\n")
        raise SystemExit(2)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="fedaudit",
        description="Audit AD FS / Entra ID federation token-signing certificates.",
        epilog="Example: fedaudit check data/samples --as-of 2026-11-27",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fedaudit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for module in COMMANDS.values():
        try:
            mod = importlib.import_module(f"fedaudit.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name != f"fedaudit.cli.{module}":
                raise
            continue
        mod.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = ["fedaudit", *(sys.argv[1:] if argv is None else argv)]  # recorded by report and run
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except FedauditError as exc:
        sys.stderr.write(f"fedaudit: error: {term(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("fedaudit: interrupted\n")
        return 130
    except BrokenPipeError:
        return 0
    except OSError as exc:  # a full disk, a read-only folder: input/output trouble, never exit 1
        where = f"{term(exc.filename)}: " if exc.filename is not None else ""
        sys.stderr.write(f"fedaudit: error: {where}{term(exc.strerror or exc)}\n")
        return 2
    except Exception as exc:
        # A bug. Exit 1 would mean "findings" to CI and cron: say it in one line, exit 2;
        # FEDAUDIT_TRACEBACK=1 shows the traceback.
        if os.environ.get("FEDAUDIT_TRACEBACK"):
            raise
        sys.stderr.write(
            f"fedaudit: internal error: {type(exc).__name__}: {term(exc)} "
            "(a bug: please report it; FEDAUDIT_TRACEBACK=1 shows where)\n"
        )
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
