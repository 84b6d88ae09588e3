"""The loaded evidence: frames joined from every file's records.

:class:`Evidence` is what :func:`fedaudit.load` returns and what :func:`fedaudit.audit` takes.
Its frames follow :data:`fedaudit.frames.SCHEMAS`. :func:`build_evidence` joins the per-file
:class:`~fedaudit.records.ParseResult` objects: Entra domains and certificates are tied to an
AD FS farm by the facts the exports carry (AD FS ``Identifier`` = Entra ``IssuerUri`` or its
``http://<domain>/adfs/services/trust/`` -SupportMultipleDomain form; the host of
``PassiveLogOnUri`` = ``HostName``; certificate thumbprints), never by file or folder names.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fedaudit._util import host_of, uri_key
from fedaudit.evidence.idp import recognise_idp
from fedaudit.frames import empty_frame, make_frame
from fedaudit.neutral import shell_arg
from fedaudit.records import (
    AdfsFarm,
    Certificate,
    CertificateObservation,
    EntraDomain,
    LoadIssue,
    MetadataRecord,
    ParseResult,
    Severity,
)

__all__ = ["Evidence", "InputFile", "build_evidence"]


@dataclass(frozen=True)
class InputFile:
    """One file that went into the evidence: for the manifest and the history database."""

    path: str
    size: int
    sha256: str
    kind: str  # what it was recognised as ("unrecognised" included)
    captured_at: dt.datetime | None = None  # when the export was taken (UTC), see fedaudit.parse.captured
    captured_from: str | None = None  # where that time comes from (sidecar, manifest, transcript, mtime)


@dataclass(frozen=True)
class Evidence:
    """Frames of one load. Treat the frames as read-only; use ``.copy()`` to experiment."""

    certificates: pd.DataFrame = field(default_factory=lambda: empty_frame("certificates"))
    farms: pd.DataFrame = field(default_factory=lambda: empty_frame("farms"))
    domains: pd.DataFrame = field(default_factory=lambda: empty_frame("domains"))
    issues: pd.DataFrame = field(default_factory=lambda: empty_frame("issues"))
    metadata: pd.DataFrame = field(default_factory=lambda: empty_frame("metadata"))
    inputs: tuple[InputFile, ...] = ()

    FRAMES = ("certificates", "farms", "domains", "issues", "metadata")

    def frames(self) -> dict[str, pd.DataFrame]:
        """The frames by name, in contract order."""
        return {name: getattr(self, name) for name in self.FRAMES}

    def __repr__(self) -> str:
        counts = ", ".join(f"{n}={len(getattr(self, n))}" for n in self.FRAMES)
        return f"<Evidence {counts}, inputs={len(self.inputs)}>"


# -- the join ------------------------------------------------------------------------------------
#
# build_evidence turns every file's ParseResult into the frames. Association rules, in the order
# they are tried (each a fact carried by an export, never a file or folder name):
#
# * farm of an Entra domain: (1) IssuerUri == AD FS Identifier; (2) the host of
#   PassiveLogOnUri / MetadataExchangeUri == a farm's HostName (this also covers the
#   -SupportMultipleDomain form http://<domain>/adfs/services/trust/, whose host is the domain);
#   (3) a certificate thumbprint Entra holds for the domain == an AD FS certificate of a farm;
#   (4) the AD FS side of Get-MsolFederationProperty for that domain belongs to a farm.
# * farm of an AD FS certificate: (1) the Identifier / hosts printed beside it
#   (Get-MsolFederationProperty "ADFS Server"); (2) a Get-AdfsProperties object in the same
#   capture file; (3) its subject "CN=ADFS Signing - <host>" / "CN=ADFS Encryption - <host>";
#   (4) the same thumbprint already tied to a farm; (5) a subject CN equal to the host of exactly
#   one loaded farm (the service-communications certificate "CN=<federation service name>");
#   (6) the only farm loaded; (7) the farm of the domain it was printed for; (8) the farm whose
#   Entra domains or metadata hold its thumbprint; then, until nothing changes, (9) the same
#   thumbprint tied to one farm by any export and (10) the farm of the other certificates of the
#   same Get-AdfsCertificate capture (same file, no domain), when they all name one farm. A
#   certificate no rule places keeps farm NA; the engine reads this column and adds no rules.
# * domain of a settings record that does not print it (Get-MsolDomainFederationSettings,
#   Graph internalDomainFederation): the parser already tried the command line, @odata.context,
#   domain_map and the IssuerUri form; here a single unnamed settings record is paired with a
#   single federated domain lacking settings, first within its capture file, then across files.

_ADFS_SUBJECT = re.compile(r"CN=ADFS (?:Signing|Encryption) - ([A-Za-z0-9.-]+)", re.I)
# Every CN attribute of a subject as the parsers print it: RFC 4514 ("CN=a,O=b"), certutil /
# .NET ("CN=a, O=b") or OpenSSL's one-line form ("/CN=a/O=b").
_SUBJECT_CN = re.compile(r"(?:^|[,;+/])\s*CN\s*=\s*(\"[^\"]*\"|[^,;+/]*)", re.I)
_FARM_FIELDS = (
    "host_name",
    "identifier",
    "auto_certificate_rollover",
    "certificate_generation_threshold",
    "certificate_promotion_threshold",
    "certificate_critical_threshold",
    "certificate_duration",
    "certificate_rollover_interval",
    "certificate_threshold_multiplier",
)
_DOMAIN_FIELDS = (
    "authentication",
    "status",
    "issuer_uri",
    "passive_sign_in_uri",
    "metadata_exchange_uri",
    "preferred_authentication_protocol",
    "update_result",
    "update_last_run",
    "federated_idp_mfa_behavior",
)
_URI_FIELDS = {"identifier", "issuer_uri", "passive_sign_in_uri", "metadata_exchange_uri"}
# MSOnline says Samlp/WsFed, Graph saml/wsFed: the same protocols.
_PROTOCOLS = {"samlp": "saml", "wsfed": "wsfed"}


_norm_uri = uri_key  # the join's URI comparison: fedaudit._util.uri_key


# An observation with one field changed, as dataclasses.replace makes it but without a call to
# __init__ per field (the join re-places tens of thousands). Only while the record has no
# __post_init__ and no __slots__ to honour; otherwise dataclasses.replace.
_PLAIN_OBSERVATION = not hasattr(CertificateObservation, "__post_init__") and "__slots__" not in vars(
    CertificateObservation
)


def _replace(o: CertificateObservation, **changes: Any) -> CertificateObservation:
    if not _PLAIN_OBSERVATION or type(o) is not CertificateObservation:
        return dataclasses.replace(o, **changes)
    new = object.__new__(CertificateObservation)
    state = new.__dict__
    state.update(o.__dict__)
    state.update(changes)
    return new


def _subject_host(cert: Certificate) -> str | None:
    m = _ADFS_SUBJECT.search(cert.subject or "")
    return m.group(1).lower().rstrip(".") if m else None


def _subject_cns(cert: Certificate) -> set[str]:
    """The subject's CN values as host names (lower-case, no trailing dot); empty if none."""
    out = set()
    for m in _SUBJECT_CN.finditer(cert.subject or ""):
        value = m.group(1).strip().strip('"').strip().lower().rstrip(".")
        if value:
            out.add(value)
    return out


def _same(field: str, a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        if field in _URI_FIELDS:
            return _norm_uri(a) == _norm_uri(b)
        x, y = a.strip().lower(), b.strip().lower()
        return _PROTOCOLS.get(x, x) == _PROTOCOLS.get(y, y)
    return a == b


def _one(values: Iterable[str | None]) -> str | None:
    found = {v for v in values if v}
    return found.pop() if len(found) == 1 else None


class _Join:
    def __init__(self, results: Sequence[ParseResult]) -> None:
        self.results = list(results)
        self.issues: list[LoadIssue] = [i for r in self.results for i in r.issues]
        self.hosts: dict[str, str | None] = {}  # every domain of a farm names the same few URLs
        self._trusted: set[str] | None = None

    def host(self, uri: str | None) -> str | None:
        if not uri:
            return None
        found = self.hosts.get(uri, "")
        if found == "":
            found = self.hosts[uri] = host_of(uri)
        return found

    def note(
        self,
        origin: str,
        message: str,
        *,
        severity: Severity = "warning",
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.issues.append(LoadIssue(origin, message, line=line, field=field, severity=severity))

    def merge_fields(
        self, row: dict[str, Any], record: AdfsFarm | EntraDomain, fields: Iterable[str], who: str
    ) -> None:
        """Fill ``row``'s empty fields from ``record``; a value that disagrees with the one kept
        is a load issue on ``record``'s file and line (the first export wins)."""
        for f in fields:
            new = getattr(record, f)
            if new is None:
                continue
            if row[f] is None:
                row[f] = new
            elif not _same(f, row[f], new):
                self.note(
                    record.origin,
                    f"{who}: {f} is {new!r} here but {row[f]!r} in {row['origin']}; keeping {row[f]!r}",
                    line=record.line,
                )

    # -- farms -----------------------------------------------------------------------------------
    def merge_farm(self, name: str, farm: AdfsFarm) -> None:
        row = self.farms.get(name)
        if row is None:
            row = {"farm": name, "origin": farm.origin, "line": farm.line, "origins": [farm.origin]}
            row.update({f: getattr(farm, f) for f in _FARM_FIELDS})
            self.farms[name] = row
        else:
            if farm.origin not in row["origins"]:
                row["origins"].append(farm.origin)
            self.merge_fields(row, farm, _FARM_FIELDS, f"farm {name}")
        self.origin_farms.setdefault(farm.origin, set()).add(name)

    def build_farms(self) -> None:
        self.farms: dict[str, dict[str, Any]] = {}
        self.origin_farms: dict[str, set[str]] = {}
        nameless: list[AdfsFarm] = []
        for r in self.results:
            for farm in r.farms:
                if farm.farm:
                    self.merge_farm(farm.farm, farm)
                else:
                    nameless.append(farm)
        self.nameless_farms: list[dict[str, Any]] = []
        subject_hosts: dict[str, set[str | None]] = {}
        if nameless:
            for r in self.results:
                for o in r.observations:
                    if o.source == "adfs":
                        subject_hosts.setdefault(o.origin, set()).add(_subject_host(o.certificate))
        for farm in nameless:
            same_file = self.origin_farms.get(farm.origin, set())
            hosts = set(subject_hosts.get(farm.origin, set())) - {None}
            if len(same_file) == 1:
                self.merge_farm(next(iter(same_file)), farm)
            elif len(hosts) == 1:
                (name,) = (h for h in hosts if h is not None)
                self.merge_farm(name, farm)
                self.note(
                    farm.origin,
                    f"Get-AdfsProperties without HostName/Identifier: tied to farm {name} by the "
                    "ADFS Signing/Encryption certificate subject in the same capture",
                    severity="info",
                    line=farm.line,
                )
            elif len(self.farms) == 1 and not nameless[1:]:
                name = next(iter(self.farms))
                self.merge_farm(name, farm)
                self.note(
                    farm.origin,
                    f"Get-AdfsProperties without HostName/Identifier: tied to {name}, the only farm loaded",
                    severity="info",
                    line=farm.line,
                )
            else:
                row = {"farm": None, "origin": farm.origin, "line": farm.line, "origins": [farm.origin]}
                row.update({f: getattr(farm, f) for f in _FARM_FIELDS})
                self.nameless_farms.append(row)
                self.note(
                    farm.origin,
                    "Get-AdfsProperties without HostName or Identifier: cannot tell which farm it "
                    "describes; capture 'Get-AdfsProperties | Format-List *' (or add HostName, Identifier)",
                    line=farm.line,
                )
        self.by_identifier: dict[str, set[str]] = {}
        self.by_host: dict[str, set[str]] = {}
        for name, farm_row in self.farms.items():
            ident = _norm_uri(farm_row["identifier"])
            if ident:
                self.by_identifier.setdefault(ident, set()).add(name)
            for host in {name, farm_row["host_name"], self.host(farm_row["identifier"])} - {None}:
                self.by_host.setdefault(host, set()).add(name)

    def farm_by_identifier(self, uri: str | None) -> set[str]:
        return set(self.by_identifier.get(_norm_uri(uri) or "", set()))

    def farm_by_hosts(self, hosts: Iterable[str | None]) -> set[str]:
        out: set[str] = set()
        for h in hosts:
            if h:
                out |= self.by_host.get(h.lower(), set())
        return out

    # -- domains ---------------------------------------------------------------------------------
    def resolve_unnamed(self) -> None:
        """Name settings records that do not print their domain, by pairing (see module notes)."""
        self.resolved: dict[tuple[int, int], str | None] = {}
        records = [(ri, di, d) for ri, r in enumerate(self.results) for di, d in enumerate(r.domains)]
        for ri, di, d in records:
            self.resolved[(ri, di)] = d.domain.lower() if d.domain else None
        federated: dict[str, set[str]] = {}
        with_settings = set()
        for _, _, d in records:
            if d.domain and d.authentication == "Federated":
                federated.setdefault(d.domain.lower(), set()).add(d.origin)
            if d.domain and d.has_settings:
                with_settings.add(d.domain.lower())
        lacking = {name: origins for name, origins in federated.items() if name not in with_settings}
        unnamed = [(ri, di, d) for ri, di, d in records if not d.domain]
        paired: set[str] = set()
        by_origin: dict[str, list[tuple[int, int, EntraDomain]]] = {}
        for item in unnamed:
            by_origin.setdefault(item[2].origin, []).append(item)
        lacking_by_origin: dict[str, list[str]] = {}
        for name, origins in lacking.items():
            for origin in origins:
                lacking_by_origin.setdefault(origin, []).append(name)
        for origin, items in by_origin.items():
            here = lacking_by_origin.get(origin, [])
            if len(items) == 1 and len(here) == 1:
                ri, di, d = items[0]
                self.resolved[(ri, di)] = here[0]
                paired.add(here[0])
                self.note(
                    d.origin,
                    f"federation settings without a domain name paired with {here[0]}, the one federated "
                    "domain printed in the same capture",
                    severity="info",
                    line=d.line,
                )
        left = [(ri, di, d) for ri, di, d in unnamed if self.resolved[(ri, di)] is None]
        candidates = [name for name in lacking if name not in paired]
        if len(left) == 1 and len(candidates) == 1:
            ri, di, d = left[0]
            self.resolved[(ri, di)] = candidates[0]
            self.note(
                d.origin,
                f"federation settings without a domain name paired with {candidates[0]}, the only "
                "federated domain loaded without federation settings",
                severity="info",
                line=d.line,
            )
            left = []
        for _ri, _di, d in left:
            self.note(
                d.origin,
                "cannot tell which domain these federation settings belong to (the export does not "
                "print it); capture the command line (-DomainName) or supply it: "
                f"load(..., domain_map={{{d.origin!r}: '<domain>'}}) or "
                f"--domain-map {shell_arg(d.origin + '=<domain>')}",  # a file name is never live shell
                line=d.line,
            )

    def build_domains(self) -> None:
        self.domains: dict[str, dict[str, Any]] = {}
        self.unnamed_domains: list[dict[str, Any]] = []
        for ri, r in enumerate(self.results):
            for di, d in enumerate(r.domains):
                name = self.resolved[(ri, di)]
                row: dict[str, Any] | None
                if name is None:
                    row = {
                        "domain": None,
                        "origin": d.origin,
                        "line": d.line,
                        "has_settings": d.has_settings,
                        "origins": [d.origin],
                    }
                    row.update({f: getattr(d, f) for f in _DOMAIN_FIELDS})
                    self.unnamed_domains.append(row)
                    continue
                row = self.domains.get(name)
                if row is None:
                    row = {
                        "domain": name,
                        "origin": d.origin,
                        "line": d.line,
                        "has_settings": d.has_settings,
                        "origins": [d.origin],
                    }
                    row.update({f: getattr(d, f) for f in _DOMAIN_FIELDS})
                    self.domains[name] = row
                    continue
                if d.origin not in row["origins"]:
                    row["origins"].append(d.origin)
                row["has_settings"] = row["has_settings"] or d.has_settings
                self.merge_fields(row, d, _DOMAIN_FIELDS, f"domain {name}")

    # -- certificates ----------------------------------------------------------------------------
    def collect_observations(self) -> None:
        self.obs: list[CertificateObservation] = []
        for ri, r in enumerate(self.results):
            for o in r.observations:
                domain = o.domain.lower() if o.domain else None
                record = o.hints.get("record") if o.hints else None
                if domain is None and record is not None and record.isdigit():
                    domain = self.resolved.get((ri, int(record)))
                self.obs.append(o if domain == o.domain else _replace(o, domain=domain))

    def adfs_farms(self) -> None:
        """Farm of each AD FS certificate (rules 1-6 of the module notes, then 9-10)."""
        single = next(iter(self.farms)) if len(self.farms) == 1 else None
        pending: list[int] = []
        for i, o in enumerate(self.obs):
            if o.source != "adfs" or o.farm:
                continue
            hints = o.hints or {}
            found = self.farm_by_identifier(hints.get("identifier"))
            if not found and hints.get("hosts"):
                found = self.farm_by_hosts(re.split(r"[\s,;]+", hints["hosts"]))
            if not found and not hints.get("identifier") and not hints.get("hosts"):
                found = set(self.origin_farms.get(o.origin, set()))
            if len(found) == 1:
                self.obs[i] = _replace(o, farm=found.pop())
                continue
            host = _subject_host(o.certificate)
            if host:
                self.obs[i] = _replace(o, farm=_one(self.by_host.get(host, set())) or host)
                continue
            pending.append(i)
        by_thumb = self.thumbprint_farms()
        for i in pending:
            o = self.obs[i]
            farm = _one(by_thumb.get(o.certificate.thumbprint, set()))
            if farm is None:
                farm = _one(self.farm_by_hosts(_subject_cns(o.certificate)))
            if farm is None and single is not None and o.domain is None:
                farm = single
            if farm:
                self.obs[i] = _replace(o, farm=farm)
        self.sibling_farms()

    def sibling_farms(self) -> None:
        """Rules 9 and 10: an AD FS certificate printed without a domain and not yet placed takes
        the one farm its thumbprint is tied to by any export, else the one farm of the other
        certificates of its capture file that are printed without a domain (one Get-AdfsCertificate
        capture describes one farm; captures naming several farms tie nothing). Repeated until
        nothing changes, since each tie can settle a sibling or a twin elsewhere."""
        pending = [i for i, o in enumerate(self.obs) if o.source == "adfs" and not o.farm and o.domain is None]
        while pending:
            by_thumb: dict[str, set[str]] = {}
            by_origin: dict[str, set[str]] = {}
            for o in self.obs:
                if o.farm:
                    by_thumb.setdefault(o.certificate.thumbprint, set()).add(o.farm)
                    if o.source == "adfs" and o.domain is None:
                        by_origin.setdefault(o.origin, set()).add(o.farm)
            left = []
            for i in pending:
                o = self.obs[i]
                farm = _one(by_thumb.get(o.certificate.thumbprint, set())) or _one(by_origin.get(o.origin, set()))
                if farm:
                    self.obs[i] = _replace(o, farm=farm)
                else:
                    left.append(i)
            if len(left) == len(pending):
                return
            pending = left

    def thumbprint_farms(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for o in self.obs:
            if o.source == "adfs" and o.farm:
                out.setdefault(o.certificate.thumbprint, set()).add(o.farm)
        return out

    def cert_named_farms(self) -> None:
        """Farms known only from their AD FS certificates (no Get-AdfsProperties loaded) are
        farms too: their name is the federation service host, so a domain signing in there or a
        metadata document served from there ties to them by host like any other farm."""
        for o in self.obs:
            if o.source == "adfs" and o.farm and o.farm not in self.farms:
                self.by_host.setdefault(o.farm, set()).add(o.farm)

    def domain_farms(self) -> None:
        by_thumb = self.thumbprint_farms()
        entra: dict[str, set[str]] = {}
        adfs_for_domain: dict[str, set[str]] = {}
        for o in self.obs:
            if o.domain and o.source == "entra":
                entra.setdefault(o.domain, set()).add(o.certificate.thumbprint)
            if o.domain and o.source == "adfs" and o.farm:
                adfs_for_domain.setdefault(o.domain, set()).add(o.farm)
        for name, row in list(self.domains.items()) + [(None, r) for r in self.unnamed_domains]:
            rules = [
                ("IssuerUri = AD FS Identifier", self.farm_by_identifier(row["issuer_uri"])),
                (
                    "sign-in/metadata host = AD FS HostName",
                    self.farm_by_hosts(
                        [self.host(row["passive_sign_in_uri"]), self.host(row["metadata_exchange_uri"])]
                    ),
                ),
                (
                    "certificate thumbprint",
                    set().union(*(by_thumb.get(t, set()) for t in entra.get(name or "", set()))) if name else set(),
                ),
                ("Get-MsolFederationProperty AD FS side", adfs_for_domain.get(name or "", set())),
            ]
            row["farm"] = None
            chosen = None
            for how, farms in rules:
                if not farms:
                    continue
                if chosen is None:
                    if len(farms) > 1:
                        self.note(
                            row["origin"],
                            f"domain {name or '(unnamed)'}: {how} matches several farms ({', '.join(sorted(farms))}); not tied to a farm",
                            line=row["line"],
                        )
                        break
                    chosen = (how, next(iter(farms)))
                    row["farm"] = chosen[1]
                elif len(farms) == 1 and chosen[1] not in farms:
                    self.note(
                        row["origin"],
                        f"domain {name or '(unnamed)'}: tied to farm {chosen[1]} by {chosen[0]}, "
                        f"but {how} points at {next(iter(farms))}",
                        line=row["line"],
                    )

    def other_farms(self) -> None:
        """Entra certificates take their domain's farm; metadata and file certificates their facts."""
        domain_farm = {name: row["farm"] for name, row in self.domains.items()}
        by_thumb = self.thumbprint_farms()
        for i, o in enumerate(self.obs):
            if o.farm:
                continue
            farm = None
            hints = o.hints or {}
            if o.source in ("entra", "adfs") and o.domain:
                farm = domain_farm.get(o.domain)
            elif o.source == "metadata":
                found = self.farm_by_identifier(hints.get("entity_id"))
                if not found:
                    found = self.farm_by_hosts(re.split(r"[\s,;]+", hints.get("hosts", "")))
                farm = _one(found)
            elif o.source == "file":
                farm = _one(by_thumb.get(o.certificate.thumbprint, set()))
                if farm is None:
                    host = _subject_host(o.certificate)
                    farm = _one(self.by_host.get(host, set())) if host else None
            if farm:
                self.obs[i] = _replace(o, farm=farm)
        # Last, an AD FS or file certificate no fact above placed (a CA-issued certificate in a
        # Format-Table capture) takes the farm whose domains or metadata hold its thumbprint.
        held: dict[str, set[str]] = {}
        for o in self.obs:
            if o.farm and o.source in ("entra", "metadata"):
                held.setdefault(o.certificate.thumbprint, set()).add(o.farm)
        for i, o in enumerate(self.obs):
            if not o.farm and o.source in ("adfs", "file"):
                farm = _one(held.get(o.certificate.thumbprint, set()))
                if farm:
                    self.obs[i] = _replace(o, farm=farm)
        # Ties made just now settle the rest of their Get-AdfsCertificate capture (rules 9-10).
        self.sibling_farms()

    def enrich(self) -> None:
        """Certificate bytes win: a printed certificate takes the decoded record of the same
        thumbprint from any other file; failing bytes, a bare thumbprint (Format-Table,
        ``Thumbprint`` only) takes the fullest printed block of that thumbprint."""
        best: dict[str, Certificate] = {}
        for o in self.obs:
            c = o.certificate
            held = best.get(c.thumbprint)
            if held is None or (held.text_derived and (not c.text_derived or _filled(c) > _filled(held))):
                best[c.thumbprint] = c
        for i, o in enumerate(self.obs):
            c = o.certificate
            if (
                c.text_derived
                and best[c.thumbprint] is not c
                and (not best[c.thumbprint].text_derived or _filled(best[c.thumbprint]) > _filled(c))
            ):
                self.obs[i] = _replace(o, certificate=best[c.thumbprint])

    def certificate_rows(self) -> list[dict[str, Any]]:
        rows: dict[tuple[Any, ...], dict[str, Any]] = {}
        for o in self.obs:
            c = o.certificate
            key = (o.source, o.role, o.slot, o.domain, o.farm, c.thumbprint)
            if key in rows:
                if o.origin not in rows[key]["origins"]:
                    rows[key]["origins"].append(o.origin)
                continue
            hints = o.hints or {}
            row = {
                "source": o.source,
                "origin": o.origin,
                "farm": o.farm,
                "domain": o.domain,
                "role": o.role,
                "slot": o.slot,
                "thumbprint": c.thumbprint,
                "sha256": c.sha256,
                "subject": c.subject,
                "issuer": c.issuer,
                "serial": c.serial,
                "not_before": c.not_before,
                "not_after": c.not_after,
                "key_type": c.key_type,
                "key_size": c.key_size,
                "signature_hash": c.signature_hash,
                "self_signed": c.self_signed,
                "text_derived": c.text_derived,
                "line": o.line,
                "origins": [o.origin],
                "entity_id": hints.get("entity_id") if o.source == "metadata" else None,
                "metadata_url": hints.get("url") if o.source == "metadata" else None,
                "authenticated": self.authenticated(hints)
                if o.source == "metadata" and "authenticated" in hints
                else None,
            }
            rows[key] = row
        return list(rows.values())

    def independently_trusted(self) -> set[str]:
        """Thumbprints the evidence trusts apart from any metadata document: AD FS primary and
        secondary token-signing certificates (Get-AdfsCertificate, Get-MsolFederationProperty's
        AD FS side) and Entra's current and next signing certificates."""
        if self._trusted is None:
            self._trusted = {
                o.certificate.thumbprint
                for o in self.obs
                if o.role in (None, "token-signing")
                and (
                    (o.source == "adfs" and o.slot in ("primary", "secondary"))
                    or (o.source == "entra" and o.slot in ("current", "next"))
                )
            }
        return self._trusted

    def authenticated(self, hints: Mapping[str, str]) -> bool:
        """A metadata certificate is authenticated when its document's signature is valid and the
        signer is pinned (``--trust-cert``, decided by the reader) or independently trusted."""
        if hints.get("authenticated") == "true":
            return True
        signer = hints.get("signed_by")
        return hints.get("signature") == "valid" and signer is not None and signer in self.independently_trusted()

    def signing_thumbprints(self) -> None:
        held: dict[tuple[str, str], list[CertificateObservation]] = {}
        for o in self.obs:
            if o.source == "entra" and o.domain and o.slot in ("current", "next") and o.role in (None, "token-signing"):
                seen = held.setdefault((o.domain, o.slot), [])
                if all(s.certificate.thumbprint != o.certificate.thumbprint for s in seen):
                    seen.append(o)
        for name, row in self.domains.items():
            for slot, column in (("current", "signing_thumbprint"), ("next", "next_signing_thumbprint")):
                seen = held.get((name, slot), [])
                row[column] = seen[0].certificate.thumbprint if seen else None
                if len(seen) > 1:
                    shown = ", ".join(f"{s.certificate.thumbprint} ({s.origin})" for s in seen)
                    self.note(
                        seen[1].origin,
                        f"domain {name}: Entra {slot} signing certificate differs between exports: {shown}; "
                        f"{column} keeps the first",
                        line=seen[1].line,
                    )

    def metadata_rows(self) -> list[dict[str, Any]]:
        rows = []
        for r in self.results:
            for m in r.metadata:
                # entityID = Identifier, an endpoint host = HostName, else the host the document
                # was fetched from (a failed fetch has no document to say more).
                found = (
                    self.farm_by_identifier(m.entity_id)
                    or self.farm_by_hosts(m.hosts)
                    or self.farm_by_hosts([self.host(m.url)])
                )
                rows.append(_metadata_row(m, _one(found)))
        return rows

    def evidence(self, inputs: tuple[InputFile, ...]) -> Evidence:
        self.build_farms()
        self.resolve_unnamed()
        self.build_domains()
        self.collect_observations()
        self.adfs_farms()
        self.cert_named_farms()
        self.domain_farms()
        self.other_farms()
        self.enrich()
        self.signing_thumbprints()
        certificates = self.certificate_rows()
        metadata = self.metadata_rows()
        farms = list(self.farms.values()) + self.nameless_farms
        domains = list(self.domains.values()) + self.unnamed_domains
        for row in domains:
            # The IdP behind the domain: AD FS when tied to a loaded farm, else by its URLs.
            row["idp"] = recognise_idp(
                row.get("issuer_uri"),
                row.get("passive_sign_in_uri"),
                row.get("metadata_exchange_uri"),
                adfs_farm=bool(row.get("farm")),
            )
        issues = [
            {"origin": i.origin, "line": i.line, "field": i.field, "severity": i.severity, "message": i.message}
            for i in self.issues
        ]
        return Evidence(
            certificates=make_frame("certificates", certificates),
            farms=make_frame("farms", farms),
            domains=make_frame("domains", domains),
            issues=make_frame("issues", issues),
            metadata=make_frame("metadata", metadata),
            inputs=tuple(inputs),
        )


def _filled(cert: Certificate) -> int:
    return sum(v is not None for v in (cert.subject, cert.issuer, cert.serial, cert.not_before, cert.not_after))


def _metadata_row(m: MetadataRecord, farm: str | None) -> dict[str, Any]:
    row = {f.name: getattr(m, f.name) for f in dataclasses.fields(m) if f.name != "hosts"}
    row["farm"] = farm
    return row


def build_evidence(results: Sequence[ParseResult], inputs: tuple[InputFile, ...] = ()) -> Evidence:
    """Join per-file parse results into :class:`Evidence` (see the association rules above).

    Entra domain partials merge by name (case-insensitive); a field two exports disagree on
    keeps the first value and becomes a load issue. Identical certificate observations
    (same source, role, slot, domain, farm and thumbprint) from several files become one row
    whose ``origins`` column lists every file. A printed certificate takes the decoded record
    of the same thumbprint when any export carried its bytes.
    """
    return _Join(results).evidence(inputs)
