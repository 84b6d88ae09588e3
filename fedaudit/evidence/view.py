"""One joined view of the evidence that every check and the verdict read.

The frames say what each export showed; this module answers the questions the runbook asks of
them: which AD FS farm a federated domain trusts, which token-signing certificate is the AD FS
primary and which the secondary, which certificates Entra ID holds for the domain (exports
taken at different times that disagree make the answer unknown, never a pass), whether the federation
metadata was fetched, and how many days the signing certificate has left.

The view does not associate anything itself: the farm of a domain, a certificate or a metadata
document is the ``farm`` column the evidence join (:mod:`fedaudit.evidence.join`, the one rule set)
wrote. :func:`build_view` turns the frames into typed facts in named steps, each one pass over a
frame, and indexes what every check asks per farm (its federated domains, their root domains,
which need -SupportMultipleDomain, the IssuerUri each should carry: :class:`FarmDomains`) once,
so that a check looks it up instead of scanning the estate for each domain. Nothing is cached
between views: :func:`fedaudit.audit` builds one view per audit and runs every check over it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fedaudit._util import host_of, issuer_forms, norm_uri, uri_key
from fedaudit.evidence.idp import IDP_NAMES
from fedaudit.evidence.join import Evidence
from fedaudit.parse import pscommand as rm

__all__ = [
    "CertFact",
    "DomainFact",
    "DomainState",
    "EstateView",
    "FarmDomains",
    "FarmFact",
    "MetaFact",
    "build_view",
    "days_between",
    "domain_roots",
    "host_of",
    "issuer_forms",
    "next_secondaries",
    "norm_uri",
    "view_of",
]

UNNAMED_FARM = "(unnamed AD FS farm)"


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def _rows(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    """The rows of ``frame`` as dicts of plain values (NA as None, timestamps as datetimes):
    what ``[{k: _clean(v) ...} for row in frame.to_dict("records")]`` gives, converted column by
    column (one ``isna`` and one ``tolist`` per column instead of a Python call per cell)."""
    if frame is None or not len(frame):
        return []
    names = [str(c) for c in frame.columns]
    return [dict(zip(names, values)) for values in zip(*(_column(frame[c]) for c in frame.columns))]


def _column(series: pd.Series) -> list[Any]:
    values = series.tolist()
    missing = series.isna().tolist()
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series.dtype):
        return [None if na else _clean(v) for v, na in zip(values, missing)]
    if not any(missing):
        return values if series.dtype != object else [_clean(v) for v in values]
    if series.dtype == object:
        return [None if na else _clean(v) for v, na in zip(values, missing)]
    return [None if na else v for v, na in zip(values, missing)]


def _str(value: Any) -> str | None:
    if value.__class__ is str:  # the usual case: a cell of a string column
        return value.strip() or None
    value = _clean(value)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _lower(value: Any) -> str | None:
    text = _str(value)
    return text.lower().rstrip(".") if text else None


def _bool(value: Any) -> bool | None:
    if value is None or value.__class__ is bool:
        return value
    value = _clean(value)
    if value is None:
        return None
    if isinstance(value, str):
        low = value.strip().lower()
        if low in ("true", "1", "yes"):
            return True
        if low in ("false", "0", "no"):
            return False
        return None
    return bool(value)


def _num(value: Any) -> float | None:
    if value is None:
        return None
    value = _clean(value)
    if value is None or isinstance(value, bool):
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if out == out else None


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    value = _clean(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)
    return None


def days_between(later: dt.datetime | None, earlier: dt.datetime) -> float | None:
    if later is None:
        return None
    return (later - earlier).total_seconds() / 86400.0


@dataclass(frozen=True)
class CertFact:
    """A certificate as one export showed it (one row of the certificates frame)."""

    thumbprint: str
    source: str | None
    role: str | None
    slot: str | None
    farm: str | None
    domain: str | None
    origin: str | None
    line: int | None = None
    subject: str | None = None
    issuer: str | None = None
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    key_type: str | None = None
    key_size: int | None = None
    signature_hash: str | None = None
    self_signed: bool | None = None
    text_derived: bool | None = None

    @property
    def where(self) -> str | None:
        if self.origin and self.line:
            return f"{self.origin}:{self.line}"
        return self.origin

    def days_left(self, as_of: dt.datetime) -> float | None:
        return days_between(self.not_after, as_of)

    @property
    def short(self) -> str:
        return self.thumbprint[:8]

    def label(self) -> str:
        """``B66B38DA… (CN=…, expires 2026-01-05)``: enough to recognise a certificate."""
        parts = []
        if self.subject:
            parts.append(self.subject)
        if self.not_after:
            parts.append(f"expires {self.not_after:%Y-%m-%d}")
        return f"{self.thumbprint}" + (f" ({', '.join(parts)})" if parts else "")


@dataclass(frozen=True)
class MetaFact:
    """One metadata document or fetch attempt (a row of the metadata frame) and its certificates."""

    origin: str | None
    url: str | None
    entity_id: str | None
    fetched_at: dt.datetime | None
    reachable: bool | None
    http_status: int | None
    tls_verified: bool | None
    signature: str | None
    signer_thumbprint: str | None
    valid_until: dt.datetime | None
    error: str | None
    farm: str | None
    insecure: bool | None
    certs: tuple[CertFact, ...] = ()
    tls_not_after: dt.datetime | None = None  # NotAfter of the server's TLS certificate

    @property
    def name(self) -> str:
        return self.url or self.origin or "metadata"

    @property
    def is_fetch(self) -> bool:
        """True when this row records an HTTPS fetch (so reachability is known)."""
        return self.reachable is not None

    @property
    def has_content(self) -> bool:
        return bool(self.certs) or self.signature is not None or self.entity_id is not None


@dataclass
class FarmFact:
    """An AD FS farm: Get-AdfsProperties facts plus its certificates and metadata."""

    name: str
    host_name: str | None = None
    identifier: str | None = None
    rollover: bool | None = None
    generation_days: float | None = None
    promotion_days: float | None = None
    critical_days: float | None = None
    duration_days: float | None = None
    interval_minutes: float | None = None
    multiplier_minutes: float | None = None  # CertificateThresholdMultiplier
    origin: str | None = None
    line: int | None = None
    has_properties: bool = False
    ts_primaries: list[CertFact] = field(default_factory=list)
    ts_secondaries: list[CertFact] = field(default_factory=list)
    td_primaries: list[CertFact] = field(default_factory=list)
    td_secondaries: list[CertFact] = field(default_factory=list)
    metadata: list[MetaFact] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)

    @property
    def where(self) -> str | None:
        if self.origin and self.line:
            return f"{self.origin}:{self.line}"
        return self.origin

    @property
    def metadata_url(self) -> str:
        host = (
            self.host_name
            or host_of(self.identifier)
            or ("<federation service name>" if self.name == UNNAMED_FARM else self.name)
        )
        return f"https://{host}/federationmetadata/2007-06/federationmetadata.xml"

    @property
    def all_token_signing(self) -> list[CertFact]:
        return self.ts_primaries + self.ts_secondaries


@dataclass
class DomainFact:
    """A domain as the Entra exports show it, merged across exports."""

    name: str
    authentication: str | None = None
    status: str | None = None
    issuer_uri: str | None = None
    passive_sign_in_uri: str | None = None
    metadata_exchange_uri: str | None = None
    update_result: str | None = None
    update_last_run: dt.datetime | None = None
    has_settings: bool = False
    federation_id: str | None = None
    origins: list[str] = field(default_factory=list)
    settings_origin: str | None = None
    farm: str | None = None
    farm_basis: str | None = None
    joined_farm: str | None = None  # what the evidence join said
    entra_current: list[CertFact] = field(default_factory=list)
    entra_next: list[CertFact] = field(default_factory=list)
    current_tps: set[str] = field(default_factory=set)  # SigningCertificate thumbprints
    next_tps: set[str] = field(default_factory=set)  # NextSigningCertificate thumbprints
    adfs_primaries: list[CertFact] = field(default_factory=list)  # MSOL "Source: ADFS Server"
    adfs_secondaries: list[CertFact] = field(default_factory=list)
    idp: str | None = None  # the domains frame's idp column (fedaudit.evidence.idp)

    @property
    def federated(self) -> bool:
        """Federated per Get-MsolDomain/Get-MgDomain, or (no domain list) because Entra holds
        federation settings for it, which exist only for federated domains."""
        if self.authentication is not None:
            return self.authentication.lower() == "federated"
        return self.has_settings or self.has_entra_certs

    @property
    def has_entra_certs(self) -> bool:
        return bool(self.current_tps or self.next_tps)

    @property
    def entra_thumbprints(self) -> set[str]:
        """Every certificate any Entra export shows for the domain (Entra accepts both slots)."""
        return self.current_tps | self.next_tps

    @property
    def entra_conflict(self) -> bool:
        """Exports name different SigningCertificates: they were taken at different times."""
        return len(self.current_tps) > 1

    @property
    def update_result_norm(self) -> str | None:
        return self.update_result.strip().lower() if self.update_result else None


@dataclass(frozen=True)
class FarmDomains:
    """What the checks ask about the federated domains of one farm, computed once per view.

    ``domains``: the farm's federated domains by name; ``roots``: those that are not a subdomain
    of another one (``-SupportMultipleDomain`` is needed when there are several, R6);
    ``root_of``: the root each domain falls under; ``with_entra``: the domains for which an
    Entra export shows certificates."""

    farm: str
    domains: tuple[DomainFact, ...]
    roots: tuple[str, ...]
    root_of: Mapping[str, str]
    with_entra: tuple[DomainFact, ...]

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.domains]

    @property
    def multiple(self) -> bool:
        """The farm federates several top-level domains: every domain needs -SupportMultipleDomain."""
        return len(self.roots) > 1

    def needs_support_multiple_domain(self, d: DomainFact) -> bool:
        """:func:`fedaudit.remediation.needs_support_multiple_domain` for a domain of this farm."""
        if d.issuer_uri and d.issuer_uri.strip().lower() in issuer_forms(d.name):
            return True
        return self.multiple

    def expected_issuer(self, d: DomainFact, identifier: str | None) -> str | None:
        """The IssuerUri ``d`` should carry: the per-domain form of its root when the farm
        federates several top-level domains, else the AD FS Identifier."""
        if self.multiple:
            return f"http://{self.root_of.get(d.name, d.name)}/adfs/services/trust/"
        return identifier


def domain_roots(names: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """(the names that are not a subdomain of another name, each name's root): one pass over
    the labels of each name, so linear in the names (a set lookup per parent suffix)."""
    clean = sorted({n.lower().strip(".") for n in names})
    present = set(clean)
    roots: list[str] = []
    root_of: dict[str, str] = {}
    for name in clean:
        labels = name.split(".")
        # the shortest parent in the list is the root (sorted(roots) order of the old scan)
        parents = [".".join(labels[i:]) for i in range(len(labels) - 1, 0, -1)]
        found = next((p for p in parents if p in present), None)
        if found is None:
            roots.append(name)
            root_of[name] = name
        else:
            root_of[name] = found
    return roots, root_of


@dataclass
class EstateView:
    farms: dict[str, FarmFact]
    domains: dict[str, DomainFact]
    issues: list[dict[str, Any]]
    metadata: list[MetaFact]
    evidence: Evidence
    has_domain_list: bool = False
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    #: the federated domains, by name (every check's outer loop)
    federated: list[DomainFact] = field(default_factory=list, repr=False)
    #: per farm name: its federated domains and the facts derived from them
    by_farm: dict[str, FarmDomains] = field(default_factory=dict, repr=False)
    #: metadata rows by :func:`fedaudit._util.uri_key` of their entityID
    metadata_by_entity: dict[str, list[MetaFact]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.federated and self.domains:
            self.federated = [d for d in self.domains.values() if d.federated]
        if not self.by_farm:
            self.by_farm = _farm_domains(self.farms, self.federated)
        if not self.metadata_by_entity:
            for m in self.metadata:
                key = uri_key(m.entity_id)
                if key:
                    self.metadata_by_entity.setdefault(key, []).append(m)

    @property
    def federated_domains(self) -> list[DomainFact]:
        return self.federated

    def farm_of(self, domain: DomainFact) -> FarmFact | None:
        return self.farms.get(domain.farm) if domain.farm else None

    def farm_domains(self, farm: FarmFact | str) -> FarmDomains:
        """The per-farm facts of ``farm`` (a farm with no federated domain: empty)."""
        name = farm if isinstance(farm, str) else farm.name
        found = self.by_farm.get(name)
        if found is None:
            found = FarmDomains(farm=name, domains=(), roots=(), root_of={}, with_entra=())
        return found

    def domains_of(self, farm: FarmFact) -> list[DomainFact]:
        return list(self.farm_domains(farm).domains)

    def metadata_for_issuer(self, issuer_uri: str | None) -> list[MetaFact]:
        """Metadata documents whose entityID is ``issuer_uri`` (a domain without a known farm)."""
        key = uri_key(issuer_uri)
        return self.metadata_by_entity.get(key, []) if key else []

    @property
    def is_empty(self) -> bool:
        ev = self.evidence
        return not (len(ev.certificates) or len(ev.farms) or len(ev.domains) or len(ev.metadata))


def _farm_domains(farms: Mapping[str, FarmFact], federated: Iterable[DomainFact]) -> dict[str, FarmDomains]:
    """The :class:`FarmDomains` of every farm with a federated domain: one pass over the domains,
    then :func:`domain_roots` once per farm."""
    grouped: dict[str, list[DomainFact]] = {}
    for d in federated:
        if d.farm is not None and d.farm in farms:
            grouped.setdefault(d.farm, []).append(d)
    out: dict[str, FarmDomains] = {}
    for name, ds in grouped.items():
        ds.sort(key=lambda d: d.name)
        roots, root_of = domain_roots(d.name for d in ds)
        out[name] = FarmDomains(
            farm=name,
            domains=tuple(ds),
            roots=tuple(roots),
            root_of=root_of,
            with_entra=tuple(d for d in ds if d.has_entra_certs),
        )
    return out


def _cert(row: dict[str, Any]) -> CertFact | None:
    tp = _str(row.get("thumbprint"))
    if not tp:
        return None
    tp = tp.upper()
    size = _num(row.get("key_size"))
    line = _num(row.get("line"))
    return CertFact(
        thumbprint=tp,
        source=_str(row.get("source")),
        role=_str(row.get("role")),
        slot=_str(row.get("slot")),
        farm=_lower(row.get("farm")),
        domain=_lower(row.get("domain")),
        origin=_str(row.get("origin")),
        line=int(line) if line is not None else None,
        subject=_str(row.get("subject")),
        issuer=_str(row.get("issuer")),
        not_before=_time(row.get("not_before")),
        not_after=_time(row.get("not_after")),
        key_type=_str(row.get("key_type")),
        key_size=int(size) if size is not None else None,
        signature_hash=_str(row.get("signature_hash")),
        self_signed=_bool(row.get("self_signed")),
        text_derived=_bool(row.get("text_derived")),
    )


def _add_unique(target: list[CertFact], cert: CertFact) -> None:
    if all(c.thumbprint != cert.thumbprint for c in target):
        target.append(cert)


def _sort_key(c: CertFact) -> tuple[str, int]:
    return (c.origin or "", c.line or 0)


def _is_token_signing(c: CertFact) -> bool:
    return c.role in (None, "token-signing")


def _row_order(row: dict[str, Any]) -> tuple[str, float]:
    return (_str(row.get("origin")) or "", _num(row.get("line")) or 0)


def build_view(evidence: Evidence) -> EstateView:
    """The typed view of ``evidence``: one named step per kind of fact, each a pass over a frame."""
    certs = _certificates(evidence)
    farms = _farms(evidence)
    _place_adfs_certificates(farms, certs)
    metas = _metadata(evidence, certs)
    _place_metadata(farms, metas, certs)
    domains, has_domain_list = _domains(evidence)
    _domain_certificates(domains, certs)
    _tie_domains(domains, farms)
    return EstateView(
        farms=dict(sorted(farms.items())),
        domains=dict(sorted(domains.items())),
        issues=_rows(evidence.issues),
        metadata=metas,
        evidence=evidence,
        has_domain_list=has_domain_list,
    )


def _certificates(evidence: Evidence) -> list[CertFact]:
    """Every certificate row with a thumbprint, in (origin, line) order."""
    certs = [c for c in (_cert(r) for r in _rows(evidence.certificates)) if c is not None]
    certs.sort(key=_sort_key)
    return certs


def _farm_name(row: dict[str, Any]) -> str | None:
    name = _str(row.get("farm"))
    if not name:
        host = _str(row.get("host_name"))
        name = host or host_of(_str(row.get("identifier"))) or _str(row.get("identifier"))
    return name.lower() if name else None


_FARM_NUMBERS = (
    ("generation_days", "certificate_generation_threshold"),
    ("promotion_days", "certificate_promotion_threshold"),
    ("critical_days", "certificate_critical_threshold"),
    ("duration_days", "certificate_duration"),
    ("interval_minutes", "certificate_rollover_interval"),
    ("multiplier_minutes", "certificate_threshold_multiplier"),
)
_FARM_STATED = ("auto_certificate_rollover", "certificate_generation_threshold", "identifier", "host_name")


def _farms(evidence: Evidence) -> dict[str, FarmFact]:
    """The farms of the farms frame. Several Get-AdfsProperties exports of one farm: the first
    stated value wins (the join already reported the disagreement as a load issue)."""
    farms: dict[str, FarmFact] = {}
    for row in sorted(_rows(evidence.farms), key=_row_order):
        name = _farm_name(row)
        if not name:
            continue
        farm = farms.setdefault(name, FarmFact(name=name))
        _merge_farm_row(farm, row)
    return farms


def _merge_farm_row(farm: FarmFact, row: dict[str, Any]) -> None:
    farm.host_name = farm.host_name or (_str(row.get("host_name")) or "").lower() or None
    farm.identifier = farm.identifier or _str(row.get("identifier"))
    if farm.rollover is None:
        farm.rollover = _bool(row.get("auto_certificate_rollover"))
    for attr, column in _FARM_NUMBERS:
        if getattr(farm, attr) is None:
            setattr(farm, attr, _num(row.get(column)))
    if farm.origin is None:
        farm.origin = _str(row.get("origin"))
        line = _num(row.get("line"))
        farm.line = int(line) if line is not None else None
    farm.has_properties = farm.has_properties or any(_clean(row.get(k)) is not None for k in _FARM_STATED)


def _place_adfs_certificates(farms: dict[str, FarmFact], certs: list[CertFact]) -> None:
    """AD FS token-signing/-decrypting certificates into their farm's slots. The farm is the
    join's (:mod:`fedaudit.evidence.join`: thumbprints, the other certificates of the same capture,
    subjects, the only farm loaded), so a notebook reading the frame sees the same farms as the
    findings. A certificate printed without a farm and without a domain is grouped under an
    unnamed farm, reported as such; none is tied to a named farm here."""
    for c in certs:
        if c.source != "adfs" or c.role not in (None, "token-signing", "token-decrypting"):
            continue
        fname = c.farm if c.farm is not None else (UNNAMED_FARM if c.domain is None else None)
        if fname is None:
            continue
        farm = farms.setdefault(fname, FarmFact(name=fname))
        if c.role == "token-decrypting":
            _add_unique(farm.td_primaries if c.slot == "primary" else farm.td_secondaries, c)
        elif c.slot in ("primary", "secondary"):
            _add_unique(farm.ts_primaries if c.slot == "primary" else farm.ts_secondaries, c)


def _metadata(evidence: Evidence, certs: list[CertFact]) -> list[MetaFact]:
    """One :class:`MetaFact` per metadata row, with the certificates read from its document."""
    meta_certs = _metadata_certificates(certs)
    metas: list[MetaFact] = []
    for row in _rows(evidence.metadata):
        origin = _str(row.get("origin"))
        status = _num(row.get("http_status"))
        metas.append(
            MetaFact(
                origin=origin,
                url=_str(row.get("url")),
                entity_id=_str(row.get("entity_id")),
                fetched_at=_time(row.get("fetched_at")),
                reachable=_bool(row.get("reachable")),
                http_status=int(status) if status is not None else None,
                tls_verified=_bool(row.get("tls_verified")),
                signature=(_str(row.get("signature")) or "").lower() or None,
                signer_thumbprint=(_str(row.get("signer_thumbprint")) or "").upper() or None,
                valid_until=_time(row.get("valid_until")),
                error=_str(row.get("error")),
                farm=(_str(row.get("farm")) or "").lower() or None,
                insecure=_bool(row.get("insecure")),
                certs=tuple(meta_certs.get(origin or "", ())),
                tls_not_after=_time(row.get("tls_not_after")),
            )
        )
    return metas


def _metadata_certificates(certs: list[CertFact]) -> dict[str, list[CertFact]]:
    out: dict[str, list[CertFact]] = {}
    for c in certs:
        if c.source == "metadata":
            out.setdefault(c.origin or "", []).append(c)
    return out


def _place_metadata(farms: dict[str, FarmFact], metas: list[MetaFact], certs: list[CertFact]) -> None:
    """Each metadata row goes to the farm the join tied it to; metadata certificates the join
    tied to a farm without a metadata row of the same origin become a row of their own."""
    for m in metas:
        if m.farm is not None and m.farm in farms:
            farms[m.farm].metadata.append(m)
    meta_certs = _metadata_certificates(certs)
    seen = {(f.name, m.origin) for f in farms.values() for m in f.metadata}
    for c in certs:
        if c.source == "metadata" and c.farm in farms and (c.farm, c.origin) not in seen:
            seen.add((c.farm, c.origin))
            farms[c.farm].metadata.append(
                MetaFact(
                    c.origin,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    None,
                    c.farm,
                    None,
                    certs=tuple(meta_certs.get(c.origin or "", ())),
                )
            )


def _domains(evidence: Evidence) -> tuple[dict[str, DomainFact], bool]:
    """The domains of the domains frame, merged by name; and whether any export was a domain
    list (Get-MsolDomain/Get-MgDomain: it states the authentication)."""
    domains: dict[str, DomainFact] = {}
    has_domain_list = False
    for row in sorted(_rows(evidence.domains), key=_row_order):
        name = _str(row.get("domain"))
        if not name:
            continue
        name = name.lower().rstrip(".")
        d = domains.setdefault(name, DomainFact(name=name))
        has_domain_list = _merge_domain_row(d, row) or has_domain_list
    return domains, has_domain_list


#: (DomainFact attribute, domains-frame column): the first export that states it wins
_DOMAIN_TEXT = (
    ("status", "status"),
    ("idp", "idp"),
    ("issuer_uri", "issuer_uri"),
    ("passive_sign_in_uri", "passive_sign_in_uri"),
    ("metadata_exchange_uri", "metadata_exchange_uri"),
    ("update_result", "update_result"),
)
_FEDERATION_ID = ("federation_id", "id", "internal_domain_federation_id")


def _merge_domain_row(d: DomainFact, row: dict[str, Any]) -> bool:
    """Merge one domains-frame row into ``d``; True when the row states the authentication."""
    origin = _str(row.get("origin"))
    extra = row.get("origins")
    for o in [origin] + (list(extra) if isinstance(extra, (list, tuple)) else []):
        if o and o not in d.origins:
            d.origins.append(str(o))
    auth = _str(row.get("authentication"))
    # A domain list saying Federated wins over one saying Managed only if no export
    # disagrees; disagreement keeps the first and the conflict check reports it.
    d.authentication = d.authentication or auth
    for attr, column in _DOMAIN_TEXT:
        if getattr(d, attr) is None:
            setattr(d, attr, _str(row.get(column)))
    last = _time(row.get("update_last_run"))
    if last is not None and (d.update_last_run is None or last > d.update_last_run):
        d.update_last_run = last
    if d.federation_id is None:
        d.federation_id = next((_str(row.get(k)) for k in _FEDERATION_ID if _str(row.get(k))), None)
    _merge_settings(d, row, origin)
    joined = _str(row.get("farm"))
    if joined and d.joined_farm is None:
        d.joined_farm = joined.lower()
    return bool(auth)


def _merge_settings(d: DomainFact, row: dict[str, Any], origin: str | None) -> None:
    """The federation settings a row carries: the thumbprints Entra ID holds for the domain."""
    sig = (_str(row.get("signing_thumbprint")) or "").upper() or None
    nxt = (_str(row.get("next_signing_thumbprint")) or "").upper() or None
    if not (_bool(row.get("has_settings")) or sig or nxt):
        return
    d.has_settings = True
    d.settings_origin = d.settings_origin or origin
    if sig:
        d.current_tps.add(sig)
    if nxt:
        d.next_tps.add(nxt)


def _domain_certificates(domains: dict[str, DomainFact], certs: list[CertFact]) -> None:
    """Certificates printed for a domain: Entra's current/next, and the AD FS side of
    Get-MsolFederationProperty (``Source: ADFS Server``)."""
    for c in certs:
        if not c.domain or c.source not in ("entra", "adfs"):
            continue
        d = domains.setdefault(c.domain, DomainFact(name=c.domain))
        if c.origin and c.origin not in d.origins:
            d.origins.append(c.origin)
        if c.source == "entra":
            d.has_settings = True
            d.settings_origin = d.settings_origin or c.origin
            if c.slot == "next":
                _add_unique(d.entra_next, c)
                d.next_tps.add(c.thumbprint)
            else:
                _add_unique(d.entra_current, c)
                d.current_tps.add(c.thumbprint)
        elif _is_token_signing(c) and c.slot == "primary":
            _add_unique(d.adfs_primaries, c)
        elif _is_token_signing(c) and c.slot == "secondary":
            _add_unique(d.adfs_secondaries, c)
        if c.farm and d.joined_farm is None:
            d.joined_farm = c.farm


def _tie_domains(domains: dict[str, DomainFact], farms: dict[str, FarmFact]) -> None:
    """The farm of each domain is the one the evidence join wrote (the domains frame, else a
    certificate row printed for the domain); no second association here."""
    for d in domains.values():
        if d.joined_farm:
            farms.setdefault(d.joined_farm, FarmFact(name=d.joined_farm))
            d.farm, d.farm_basis = d.joined_farm, "the evidence join"
    for name in sorted(domains):
        d = domains[name]
        if d.farm is not None and d.federated:
            farms[d.farm].domains.append(d.name)


def view_of(evidence: Evidence) -> EstateView:
    """The joined view of ``evidence``, built afresh (:func:`fedaudit.audit` builds it once and
    runs every check over it; a check called on its own builds its own)."""
    return build_view(evidence)


# ---------------------------------------------------------------------------------------------
# Per-domain state: the decision table's inputs and what they rest on.


@dataclass
class DomainState:
    domain: DomainFact
    farm: FarmFact | None
    rollover: bool | None
    adfs_primaries: list[CertFact]
    adfs_secondaries: list[CertFact]
    primary_in_entra: bool | None
    secondary_in_entra: bool | None
    in_sync: bool | None
    metadata_public: bool | None
    metadata_basis: str
    days_left: float | None
    days_cert: CertFact | None
    days_basis: str | None
    missing: list[str]
    missing_primary: list[CertFact] = field(default_factory=list)  # AD FS primaries Entra lacks
    missing_secondary: list[CertFact] = field(default_factory=list)
    idp: str | None = None  # "adfs" when a farm is known, else the domains frame's idp
    broken_now: bool = False  # Entra ID does not hold the certificate AD FS signs with now
    cert_days: float | None = None  # days left on the certificate itself (the decision table's input)

    @property
    def non_adfs(self) -> bool:
        """The domain trusts an identity provider recognised as not AD FS (no farm tied)."""
        return self.farm is None and self.idp not in (None, "adfs")

    @property
    def ca_issued(self) -> bool | None:
        flags = [c.self_signed for c in self.adfs_primaries if c.self_signed is not None]
        if not flags:
            return None
        return not all(flags)


def next_secondaries(primaries: list[CertFact], secondaries: list[CertFact], as_of: dt.datetime) -> list[CertFact]:
    """The secondaries that are a NEXT certificate: unexpired and outliving the primary. After a
    promotion AD FS keeps the previous primary as a secondary until it expires; that one is
    not a successor and Entra ID need not hold it."""
    ends = [p.not_after for p in primaries if p.not_after is not None]
    horizon = max(ends) if ends else None
    return [
        c
        for c in secondaries
        if (c.not_after is None or c.not_after > as_of)
        and (horizon is None or c.not_after is None or c.not_after > horizon)
    ]


def adfs_view(view: EstateView, d: DomainFact) -> tuple[list[CertFact], list[CertFact]]:
    """AD FS primaries and (unexpired-or-undated) secondaries behind domain ``d``."""
    farm = view.farm_of(d)
    prim: list[CertFact] = []
    sec: list[CertFact] = []
    for c in (farm.ts_primaries if farm else []) + d.adfs_primaries:
        _add_unique(prim, c)
    for c in (farm.ts_secondaries if farm else []) + d.adfs_secondaries:
        _add_unique(sec, c)
    return prim, sec


def metadata_public(metas: Iterable[MetaFact]) -> tuple[bool | None, str]:
    """True when a fetch reached the document over verified TLS; False when every fetch failed
    (unreachable or TLS not valid); None when there is no fetch evidence."""
    fetches = [m for m in metas if m.is_fetch or m.tls_verified is not None]
    good = [m for m in fetches if m.reachable and m.tls_verified]
    if good:
        return True, f"fetched {good[0].name} over verified TLS"
    bad = [m for m in fetches if m.reachable is False or m.tls_verified is False]
    if bad:
        m = bad[0]
        why = "unreachable" if m.reachable is False else "TLS certificate not valid"
        return False, f"{m.name}: {why}" + (f" ({m.error})" if m.error else "")
    if fetches:
        return None, "fetched without TLS verification (--insecure)"
    return None, "no fetch evidence"


def domain_state(view: EstateView, d: DomainFact, as_of: dt.datetime, th: Any) -> DomainState:
    """The decision table's inputs for ``d`` (memoised per view: checks ask for it often)."""
    key = ("state", d.name, as_of, th)
    if key not in view.cache:
        view.cache[key] = _domain_state(view, d, as_of, th)
    return view.cache[key]


def _domain_state(view: EstateView, d: DomainFact, as_of: dt.datetime, th: Any) -> DomainState:
    farm = view.farm_of(d)
    prim, sec = adfs_view(view, d)
    sec = next_secondaries(prim, sec, as_of)
    missing_primary, missing_secondary, primary_in, secondary_in, in_sync = _sync(d, prim, sec)
    if farm is not None:
        mpub, mbasis = metadata_public(farm.metadata)
    else:
        mpub, mbasis = metadata_public(view.metadata_for_issuer(d.issuer_uri))
    days_cert, basis = _days_cert(d, prim)
    days_left = days_cert.days_left(as_of) if days_cert else None
    # Days until sign-in for the domain breaks: none left when Entra ID does not hold the
    # certificate AD FS signs with now (tokens are rejected today, whatever the primary's NotAfter).
    broken_now = primary_in is False
    cert_days = days_left
    if broken_now:
        days_left = min(0.0, days_left) if days_left is not None else 0.0
        basis = "Entra ID does not hold the AD FS primary: sign-in is failing now"
    idp = "adfs" if farm is not None else d.idp
    return DomainState(
        domain=d,
        farm=farm,
        rollover=farm.rollover if farm else None,
        adfs_primaries=prim,
        adfs_secondaries=sec,
        primary_in_entra=primary_in,
        secondary_in_entra=secondary_in,
        in_sync=in_sync,
        metadata_public=mpub,
        metadata_basis=mbasis,
        days_left=days_left,
        days_cert=days_cert,
        days_basis=basis,
        missing=_missing(view, d, farm, prim, days_left, mpub, idp),
        missing_primary=missing_primary,
        missing_secondary=missing_secondary,
        idp=idp,
        broken_now=broken_now,
        cert_days=cert_days,
    )


def _sync(
    d: DomainFact, prim: list[CertFact], sec: list[CertFact]
) -> tuple[list[CertFact], list[CertFact], bool | None, bool | None, bool | None]:
    """(AD FS primaries Entra ID lacks, secondaries it lacks, primary in Entra, secondary in
    Entra, in sync): runbook Step 2 for one domain."""
    union = d.entra_thumbprints
    if not (prim and union):
        return [], [], None, None, None
    missing_primary = [c for c in prim if c.thumbprint not in union]
    missing_secondary = [c for c in sec if c.thumbprint not in union]
    # Exports taken at different times (two AD FS primaries, or two Entra signing
    # certificates) make a partial answer uncertain rather than a pass or an alarm.
    conflict = len(prim) > 1 or d.entra_conflict
    primary_in: bool | None
    if not missing_primary:
        primary_in = None if d.entra_conflict else True
    elif len(missing_primary) == len(prim):
        primary_in = False  # no export at all shows it: certain
    else:
        primary_in = None  # AD FS exports disagree and Entra holds only some of their primaries
    secondary_in: bool | None
    if not missing_secondary:
        secondary_in = None if d.entra_conflict else True
    else:
        secondary_in = None if conflict else False
    in_sync: bool | None
    if primary_in is False or secondary_in is False:
        in_sync = False
    elif primary_in is None or secondary_in is None:
        in_sync = None
    else:
        in_sync = True
    return missing_primary, missing_secondary, primary_in, secondary_in, in_sync


def _days_cert(d: DomainFact, prim: list[CertFact]) -> tuple[CertFact | None, str | None]:
    """The certificate whose expiry counts for the domain, and what it is."""
    dated = [c for c in prim if c.not_after is not None]
    if dated:
        return min(dated, key=_not_after), "AD FS primary token-signing certificate"
    if not prim:
        ent = [c for c in d.entra_current if c.not_after is not None]
        if ent:
            return min(ent, key=_not_after), "Entra ID's current signing certificate (no AD FS certificate export)"
    return None, None


def _not_after(c: CertFact) -> dt.datetime:
    assert c.not_after is not None
    return c.not_after


def _missing(
    view: EstateView,
    d: DomainFact,
    farm: FarmFact | None,
    prim: list[CertFact],
    days_left: float | None,
    mpub: bool | None,
    idp: str | None,
) -> list[str]:
    """What is missing to judge the domain, each with the command that produces it."""
    missing: list[str] = []
    fname = farm.name if farm else None
    non_adfs = farm is None and idp not in (None, "adfs")
    if non_adfs:
        issuer = norm_uri(d.issuer_uri)
        # metadata of this IdP: the entityID is the IssuerUri (looked up, not scanned)
        if not any(norm_uri(m.entity_id) == issuer for m in view.metadata_for_issuer(d.issuer_uri)):
            missing.append(
                f"signing certificates {IDP_NAMES.get(idp or '', idp)} publishes for {d.name} (compared with "
                "Entra's when loaded): "
                + rm.fetch_command(None, placeholder="https://METADATA-URL-OF-ITS-MICROSOFT-365-APP")
            )
    elif farm is None:
        if d.issuer_uri:
            missing.append(
                f"AD FS farm for {d.name} (IssuerUri {d.issuer_uri}): Get-AdfsProperties and "
                "Get-AdfsCertificate -CertificateType Token-Signing on that farm"
            )
        else:
            missing.append(
                f"AD FS farm for {d.name}: Get-AdfsProperties and Get-AdfsCertificate "
                "-CertificateType Token-Signing on the farm that federates it"
            )
    else:
        if farm.rollover is None:
            missing.append(f"AD FS properties of {fname}: Get-AdfsProperties (on an AD FS server of {fname})")
        if not prim:
            missing.append(
                f"AD FS token-signing certificates of {fname}: Get-AdfsCertificate -CertificateType Token-Signing"
            )
        elif days_left is None:
            missing.append(
                f"dates of the AD FS primary token-signing certificate of {fname}: "
                "Get-AdfsCertificate -CertificateType Token-Signing | Export-Clixml (the certificate bytes carry them)"
            )
    if not d.entra_thumbprints:
        missing.append(
            f"Entra settings for {d.name}: "
            + rm.graph_read(d.name, out_file=True).split("\n")[-1]
            + " (after Connect-MgGraph -Scopes 'Domain.Read.All')"
            + (
                f" (or with the Microsoft Entra module: Get-EntraFederationProperty -DomainName {sd})"
                if (sd := rm.safe_domain(d.name))
                else ""
            )
        )
    if mpub is None and not non_adfs:
        if farm is not None:
            missing.append(f"federation metadata of {fname}: {rm.fetch_command(farm.metadata_url)}")
        else:
            missing.append(f"federation metadata of the IdP of {d.name}: " + rm.fetch_command(None))
    return missing


def farm_thresholds(farm: FarmFact | None, th: Any) -> tuple[float, float, float, float]:
    """(generation days, promotion days, critical days, rollover interval minutes)."""
    g = farm.generation_days if farm and farm.generation_days is not None else th.default_generation_days
    p = farm.promotion_days if farm and farm.promotion_days is not None else th.default_promotion_days
    c = farm.critical_days if farm and farm.critical_days is not None else th.default_critical_days
    i = farm.interval_minutes if farm and farm.interval_minutes is not None else th.default_rollover_interval_minutes
    return float(g), float(p), float(c), float(i)
