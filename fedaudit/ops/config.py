"""The audit configuration file read by ``fedaudit run``: TOML describing one or more audits.

::

    [output]
    root = "audits"          # history.sqlite and index.html live here; one folder per audit below
    retention = 400          # days to keep report folders (optional; default: keep all)

    [defaults]               # optional: any per-audit key except name and exports
    fail_on = "high"

    [[audit]]
    name = "contoso"
    exports = ["exports/contoso"]
    metadata = ["https://fs.contoso.com/federationmetadata/2007-06/federationmetadata.xml"]
    ca_bundle = "certs/corp-ca.pem"   # optional
    # optional: collect Entra ID's side from Microsoft Graph at each run (docs/entra-collect.md)
    entra = { tenant = "contoso.onmicrosoft.com", client_id = "...", certificate = "certs/graph-app.pem" }

Relative paths are relative to the folder of the configuration file, so a configuration and its
export folders can move together between machines and fedaudit versions. Validation happens here,
once: every problem is a :class:`~fedaudit.errors.ConfigError` that names the file, the table
and the key, and for an unknown key the closest valid one.

:func:`parse_config` is sans-IO apart from checking that the named folders and files exist
(``check_paths=False`` skips that); :func:`load_config` reads the file.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fedaudit._util import read_text_file
from fedaudit.errors import ConfigError, UsageError
from fedaudit.io.graph import normalise_endpoint

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

__all__ = [
    "AUDIT_KEYS",
    "AuditConfig",
    "Config",
    "ENTRA_KEYS",
    "EntraConfig",
    "FAIL_ON",
    "OUTPUT_KEYS",
    "load_config",
    "parse_config",
]

#: Severities ``fail_on`` accepts (the same as ``fedaudit check --fail-on``).
FAIL_ON = ("critical", "high", "warning", "info", "none")

#: Keys of ``[output]``.
OUTPUT_KEYS = ("root", "retention", "ocsf")
#: Largest number of days a retention or threshold may say (100 years): dates beyond it leave
#: the calendar (a retention of 1,000,000 days would reach before year 1).
MAX_DAYS = 36500
#: Keys of each ``[[audit]]`` table.
AUDIT_KEYS = (
    "name",
    "exports",
    "metadata",
    "discover",
    "ca_bundle",
    "thresholds",
    "culture",
    "organisation",
    "title",
    "fail_on",
    "exceptions",
    "retention",
    "entra",
    "pdf",
    "paper",
    "sign_key",
)
#: Keys of an audit's ``entra = {...}`` table (``fedaudit collect entra`` at each run).
ENTRA_KEYS = ("tenant", "client_id", "client_secret_env", "certificate", "authority_host", "graph_endpoint", "timeout")
#: Keys ``[defaults]`` may set for every audit.
DEFAULT_KEYS = tuple(k for k in AUDIT_KEYS if k not in ("name", "exports"))
_TOP_KEYS = ("output", "defaults", "audit")

# An audit name becomes a folder name under the output root and a key in the history database.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class EntraConfig:
    """An audit's ``entra = {...}``: collect Entra ID's side from Microsoft Graph at each run.

    Exactly one of ``client_secret_env`` (the name of the environment variable that holds the
    secret at run time; the secret itself never sits in the file) and ``certificate`` (absolute
    path of a PEM with the certificate and its key). The device code flow needs a person and is
    not offered to scheduled runs.
    """

    tenant: str
    client_id: str
    client_secret_env: str | None = None
    certificate: Path | None = None
    authority_host: str = "https://login.microsoftonline.com"
    graph_endpoint: str = "https://graph.microsoft.com"
    timeout: float = 30.0


@dataclass(frozen=True)
class AuditConfig:
    """One ``[[audit]]``: what to load, how to judge it, where its exceptions are.

    ``exports`` are absolute paths of folders or files. ``metadata`` holds URLs (fetched at each
    run) and ``metadata_files`` saved metadata documents (absolute paths).
    """

    name: str
    exports: tuple[Path, ...]
    metadata: tuple[str, ...] = ()
    metadata_files: tuple[Path, ...] = ()
    discover: bool = False
    ca_bundle: Path | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    culture: str | None = None
    organisation: str | None = None
    title: str | None = None
    fail_on: str = "high"
    exceptions: Path | None = None
    retention: int | None = None  # days; overrides [output] retention for this audit
    entra: EntraConfig | None = None
    pdf: bool = False  # also write report.pdf (needs the pdf extra)
    paper: str = "A4"  # A4 or Letter
    sign_key: Path | None = None  # PEM private key (Ed25519 or RSA) that signs manifest.json


@dataclass(frozen=True)
class Config:
    """A validated configuration file."""

    path: Path
    root: Path
    audits: tuple[AuditConfig, ...]
    retention: int | None = None  # days; None keeps every report
    ocsf: bool = True  # also write findings.ocsf.jsonl beside findings.jsonl

    def audit(self, name: str) -> AuditConfig:
        """The audit called ``name``, or a :class:`ConfigError` naming the closest one."""
        for a in self.audits:
            if a.name == name:
                return a
        names = [a.name for a in self.audits]
        raise ConfigError(
            f"{self.path}: no audit named {name!r}{_did_you_mean(name, names)} (audits: {', '.join(names)})"
        )


def load_config(path: str | os.PathLike[str]) -> Config:
    """Read and validate the configuration file at ``path``."""
    p = Path(path)
    text = read_text_file(p, "configuration file")
    return parse_config(text, origin=str(p), base_dir=p.resolve().parent)


def parse_config(text: str, *, origin: str, base_dir: str | os.PathLike[str], check_paths: bool = True) -> Config:
    """Validate configuration ``text``; relative paths resolve against ``base_dir``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{origin}: not valid TOML: {exc}") from None
    except RecursionError:  # tomllib recurses per nesting level ([[[[...]]]] 100,000 deep)
        raise ConfigError(f"{origin}: not valid TOML: nested too deeply") from None
    base = Path(base_dir)
    v = _Validator(origin, base, check_paths)
    v.keys(doc, _TOP_KEYS, "the top level")

    output = doc.get("output", {})
    v.table(output, "[output]")
    v.keys(output, OUTPUT_KEYS, "[output]")
    root_text = v.string(output, "root", "[output]", default="audits")
    root = (base / root_text).resolve()
    if root.exists() and not root.is_dir():
        raise ConfigError(f"{origin}: [output] root: {root} exists and is not a folder")
    retention = _retention(output, f"{origin}: [output]")
    ocsf = v.boolean(output, "ocsf", "[output]", default=True)

    defaults = doc.get("defaults", {})
    v.table(defaults, "[defaults]")
    v.keys(defaults, DEFAULT_KEYS, "[defaults]", hint_others=("name", "exports"))

    audits_raw = doc.get("audit")
    if audits_raw is None:
        raise ConfigError(f"{origin}: no [[audit]] table: add at least one, with name and exports")
    if not isinstance(audits_raw, list) or not all(isinstance(a, dict) for a in audits_raw):
        raise ConfigError(f"{origin}: 'audit' must be written as [[audit]] tables (an array of tables)")
    audits: list[AuditConfig] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(audits_raw, 1):
        merged = {**defaults, **raw}
        name = raw.get("name")
        where = f"[[audit]] #{i}" + (f" ({name!r})" if isinstance(name, str) else "")
        v.keys(raw, AUDIT_KEYS, where)
        audit = v.audit(merged, where)
        if audit.name in seen:
            raise ConfigError(
                f"{origin}: {where}: duplicate audit name {audit.name!r} (also [[audit]] #{seen[audit.name]}); "
                "names key the history database and must be unique"
            )
        seen[audit.name] = i
        audits.append(audit)
    return Config(path=Path(origin), root=root, audits=tuple(audits), retention=retention, ocsf=ocsf)


def _retention(table: Mapping[str, Any], where: str) -> int | None:
    """``retention`` in days (1 or more), or None to keep every report."""
    retention = table.get("retention")
    if retention is not None and (
        isinstance(retention, bool) or not isinstance(retention, int) or not 1 <= retention <= MAX_DAYS
    ):
        raise ConfigError(f"{where} retention: expected a whole number of days (1 to {MAX_DAYS}), got {retention!r}")
    return retention


def _did_you_mean(word: str, options: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _type_name(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "an array",
        dict: "a table",
    }.get(type(value), type(value).__name__)


class _Validator:
    """Checks values and builds error messages that say file, table, key and what was expected."""

    def __init__(self, origin: str, base: Path, check_paths: bool) -> None:
        self.origin = origin
        self.base = base
        self.check_paths = check_paths

    def fail(self, where: str, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.origin}: {where} {key}: {message}")

    def keys(
        self, table: Mapping[str, Any], valid: tuple[str, ...], where: str, hint_others: tuple[str, ...] = ()
    ) -> None:
        for key in table:
            if key not in valid:
                if key in hint_others:
                    raise ConfigError(f"{self.origin}: {where}: key {key!r} belongs in each [[audit]], not here")
                raise ConfigError(
                    f"{self.origin}: {where}: unknown key {key!r}{_did_you_mean(key, valid)}; valid keys: {', '.join(valid)}"
                )

    def table(self, value: Any, where: str) -> None:
        if not isinstance(value, dict):
            raise ConfigError(f"{self.origin}: {where} must be a table, got {_type_name(value)}")

    def string(self, table: Mapping[str, Any], key: str, where: str, default: str | None = None) -> Any:
        value = table.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, key, f"expected a non-empty string, got {_type_name(value)} {value!r}")
        return value.strip()

    def boolean(self, table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
        value = table.get(key, default)
        if not isinstance(value, bool):
            raise self.fail(where, key, f"expected true or false, got {_type_name(value)} {value!r}")
        return value

    def strings(self, table: Mapping[str, Any], key: str, where: str) -> list[str]:
        value = table.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(where, key, f"expected an array of strings, got {value!r}")
        return [v.strip() for v in value]

    def path(self, text: str, where: str, key: str, *, folder_ok: bool, file_ok: bool) -> Path:
        p = (self.base / os.path.expanduser(text)).resolve()
        if self.check_paths:
            if not p.exists():
                what = "folder or file" if folder_ok and file_ok else ("folder" if folder_ok else "file")
                raise self.fail(where, key, f"{what} not found: {p} (written as {text!r}, relative to {self.base})")
            if p.is_dir() and not folder_ok:
                raise self.fail(where, key, f"{p} is a folder; expected a file")
            if p.is_file() and not file_ok:
                raise self.fail(where, key, f"{p} is a file; expected a folder")
        return p

    def audit(self, raw: Mapping[str, Any], where: str) -> AuditConfig:
        name = raw.get("name")
        if name is None:
            raise ConfigError(f"{self.origin}: {where}: missing key 'name'")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise self.fail(
                where,
                "name",
                f"{name!r} is not a usable name: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        entra = self.entra(raw, where)
        if "exports" not in raw and entra is None:
            raise ConfigError(
                f"{self.origin}: {where}: missing key 'exports' (folders or files of PowerShell exports; "
                "optional only with an entra = {...} table)"
            )
        export_texts = self.strings(raw, "exports", where)
        if not export_texts and entra is None:
            raise self.fail(where, "exports", "is empty: list at least one folder or file")
        exports = tuple(self.path(t, where, "exports", folder_ok=True, file_ok=True) for t in export_texts)

        urls: list[str] = []
        files: list[Path] = []
        for item in self.strings(raw, "metadata", where):
            if re.match(r"(?i)^[a-z][a-z0-9+.-]*://", item):
                if not item.lower().startswith(("https://", "http://")):
                    raise self.fail(where, "metadata", f"{item!r}: only https:// (or http://) URLs can be fetched")
                urls.append(item)
            else:
                files.append(self.path(item, where, "metadata", folder_ok=True, file_ok=True))
        discover = self.boolean(raw, "discover", where, default=False)

        ca_text = self.string(raw, "ca_bundle", where)
        ca_bundle = self.path(ca_text, where, "ca_bundle", folder_ok=False, file_ok=True) if ca_text else None
        exc_text = self.string(raw, "exceptions", where)
        exceptions = self.path(exc_text, where, "exceptions", folder_ok=False, file_ok=True) if exc_text else None
        key_text = self.string(raw, "sign_key", where)
        sign_key = self.path(key_text, where, "sign_key", folder_ok=False, file_ok=True) if key_text else None
        paper = self.string(raw, "paper", where) or "A4"
        if paper not in ("A4", "Letter"):
            raise self.fail(where, "paper", f"{paper!r} is not a paper size; use A4 or Letter")

        thresholds_raw = raw.get("thresholds", {})
        if not isinstance(thresholds_raw, dict):
            raise self.fail(where, "thresholds", f"expected a table of numbers, got {_type_name(thresholds_raw)}")
        thresholds: dict[str, float] = {}
        for k, val in thresholds_raw.items():
            if isinstance(val, bool) or not isinstance(val, (int, float)) or not 0 <= val <= MAX_DAYS:
                raise self.fail(where, f"thresholds.{k}", f"expected a number of days (0 to {MAX_DAYS}), got {val!r}")
            thresholds[k] = val
        self._check_threshold_names(thresholds, where)

        fail_on = raw.get("fail_on", "high")
        if fail_on not in FAIL_ON:
            raise self.fail(
                where,
                "fail_on",
                f"{fail_on!r} is not a severity{_did_you_mean(str(fail_on), FAIL_ON)}; use one of {', '.join(FAIL_ON)}",
            )
        return AuditConfig(
            name=name,
            exports=exports,
            metadata=tuple(urls),
            metadata_files=tuple(files),
            discover=discover,
            ca_bundle=ca_bundle,
            thresholds=thresholds,
            culture=self.string(raw, "culture", where),
            organisation=self.string(raw, "organisation", where),
            title=self.string(raw, "title", where),
            fail_on=fail_on,
            exceptions=exceptions,
            retention=_retention(raw, f"{self.origin}: {where}"),
            entra=entra,
            pdf=self.boolean(raw, "pdf", where, default=False),
            paper=paper,
            sign_key=sign_key,
        )

    def entra(self, raw: Mapping[str, Any], where: str) -> EntraConfig | None:
        table = raw.get("entra")
        if table is None:
            return None
        where = f"{where} entra"
        if not isinstance(table, dict):
            raise ConfigError(
                f"{self.origin}: {where}: expected a table, e.g. "
                'entra = { tenant = "...", client_id = "...", client_secret_env = "..." }'
            )
        if "device_code" in table:
            raise ConfigError(
                f"{self.origin}: {where}: device_code needs a person at the keyboard; a scheduled run signs in "
                "with client_secret_env or certificate (use `fedaudit collect entra --device-code` by hand)"
            )
        self.keys(table, ENTRA_KEYS, where)
        for key in ("tenant", "client_id"):
            if key not in table:
                raise ConfigError(f"{self.origin}: {where}: missing key {key!r}")
        tenant = self.string(table, "tenant", where)
        client_id = self.string(table, "client_id", where)
        for key, value in (("tenant", tenant), ("client_id", client_id)):
            if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}", value):
                raise self.fail(where, key, f"{value!r} is not a GUID or domain name")
        secret_env = self.string(table, "client_secret_env", where)
        cert_text = self.string(table, "certificate", where)
        if (secret_env is None) == (cert_text is None):
            raise ConfigError(
                f"{self.origin}: {where}: give exactly one of client_secret_env (the name of an environment "
                "variable holding the secret) and certificate (a PEM file with the certificate and its key)"
            )
        if secret_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", secret_env):
            raise self.fail(
                where,
                "client_secret_env",
                f"{secret_env!r} is not an environment variable name (the secret itself never goes in this file)",
            )
        certificate = self.path(cert_text, where, "certificate", folder_ok=False, file_ok=True) if cert_text else None
        hosts: dict[str, str] = {}
        for key, default in (
            ("authority_host", "https://login.microsoftonline.com"),
            ("graph_endpoint", "https://graph.microsoft.com"),
        ):
            value = self.string(table, key, where, default=default)
            try:
                hosts[key] = normalise_endpoint(value, key)
            except UsageError as exc:
                raise self.fail(where, key, str(exc).split(": ", 1)[-1]) from None
        timeout = table.get("timeout", 30.0)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise self.fail(where, "timeout", f"expected a positive number of seconds, got {timeout!r}")
        return EntraConfig(
            tenant=tenant,
            client_id=client_id,
            client_secret_env=secret_env,
            certificate=certificate,
            authority_host=hosts["authority_host"],
            graph_endpoint=hosts["graph_endpoint"],
            timeout=float(timeout),
        )

    def _check_threshold_names(self, thresholds: Mapping[str, float], where: str) -> None:
        # The engine owns the threshold names; check against them when it declares them so that
        # a typo ("warn_days") fails at load time instead of being ignored at run time.
        known = _known_thresholds()
        if not known:
            return
        for k in thresholds:
            if k not in known:
                raise self.fail(
                    where,
                    f"thresholds.{k}",
                    f"unknown threshold{_did_you_mean(k, tuple(known))}; valid: {', '.join(known)}",
                )


def _known_thresholds() -> tuple[str, ...]:
    import importlib

    for module in ("fedaudit.engine.core", "fedaudit.checks"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        known = getattr(mod, "DEFAULT_THRESHOLDS", None)
        if isinstance(known, Mapping):
            return tuple(known)
    return ()
