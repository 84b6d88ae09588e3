"""The public surface of ``fedaudit`` is what we intend: sorted, complete, every name resolving."""

from __future__ import annotations

import importlib

import fedaudit

INTENDED = {
    # functions
    "load",
    "audit",
    "report",
    # records and results
    "AdfsFarm",
    "AuditResult",
    "Certificate",
    "CertificateObservation",
    "EntraDomain",
    "Evidence",
    "InputFile",
    "LoadIssue",
    "MetadataRecord",
    "PSObject",
    "ParseResult",
    # the exception tree
    "CertificateError",
    "ConfigError",
    "DateError",
    "EncodingError",
    "FedauditError",
    "FetchError",
    "HistoryError",
    "HostileXMLError",
    "InputError",
    "ParseError",
    "ReportError",
    "UsageError",
    "__version__",
}


def test_all_is_sorted_and_as_intended():
    assert fedaudit.__all__ == sorted(fedaudit.__all__)
    assert set(fedaudit.__all__) == INTENDED


def test_every_public_name_resolves():
    for name in fedaudit.__all__:
        assert getattr(fedaudit, name) is not None, name


def test_exceptions_share_one_root():
    for name in fedaudit.__all__:
        value = getattr(fedaudit, name)
        if isinstance(value, type) and issubclass(value, Exception):
            assert issubclass(value, fedaudit.FedauditError), name


def test_loading_modules_declare_sorted_all():
    for module in ("fedaudit.parse", "fedaudit.parse.cmdlets", "fedaudit.parse.dispatch", "fedaudit.parse.psjson",
                   "fedaudit.parse.clixml", "fedaudit.parse.pscsv", "fedaudit.evidence.join", "fedaudit.evidence.load"):
        mod = importlib.import_module(module)
        assert mod.__all__ == sorted(mod.__all__), module
        for name in mod.__all__:
            assert hasattr(mod, name), f"{module}.{name}"


def test_importing_fedaudit_loads_no_notebook_stack():
    import subprocess
    import sys

    code = "import sys, fedaudit; bad = [m for m in ('matplotlib', 'papermill', 'nbconvert', 'lxml') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"
