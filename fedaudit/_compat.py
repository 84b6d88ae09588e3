"""Import paths of modules that moved when the package was laid out in stage folders.

``import fedaudit.plots`` (and ``from fedaudit import plots``) keep working: the old name is an
alias of the module at its new place, the same module object, so patches and ``isinstance``
agree. New code imports the new paths; this table only serves scripts and notebooks written
against fedaudit 0.1.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
from types import ModuleType

#: Old dotted name -> new dotted name.
MOVED: dict[str, str] = {
    "fedaudit.textio": "fedaudit.parse.textio",
    "fedaudit.dates": "fedaudit.parse.dates",
    "fedaudit.certs": "fedaudit.parse.certs",
    "fedaudit.metadata.parse": "fedaudit.parse.metadata.parse",
    "fedaudit.metadata.read": "fedaudit.parse.metadata.read",
    "fedaudit.metadata.verify": "fedaudit.parse.metadata.verify",
    "fedaudit.metadata.discover": "fedaudit.evidence.discover",
    "fedaudit.fetch": "fedaudit.io.fetch",
    "fedaudit.collector": "fedaudit.io.collector",
    "fedaudit.loader": "fedaudit.evidence.load",
    "fedaudit.checks._view": "fedaudit.evidence.view",
    "fedaudit.remediation": "fedaudit.checks.remediation",
    "fedaudit.verdict": "fedaudit.engine.verdict",
    "fedaudit.exceptions": "fedaudit.engine.waivers",
    "fedaudit.plots": "fedaudit.reporting.plots",
    "fedaudit.siem": "fedaudit.reporting.siem",
    "fedaudit.report_context": "fedaudit.reporting.context",
    "fedaudit.report_html": "fedaudit.reporting.sections",
    "fedaudit.config": "fedaudit.ops.config",
    "fedaudit.schedule": "fedaudit.ops.schedule",
    "fedaudit.history": "fedaudit.ops.history",
}


class _AliasLoader(importlib.abc.Loader):
    def __init__(self, target: str) -> None:
        self._target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self._target)
        self._spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # The import system set the alias's spec on the shared module: give it back its own.
        module.__spec__ = self._spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: object = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _AliasLoader(new))


def install() -> None:
    """Put the alias finder on ``sys.meta_path`` (once)."""
    if not any(isinstance(f, _AliasFinder) for f in sys.meta_path):
        sys.meta_path.append(_AliasFinder())
