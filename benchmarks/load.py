"""Load speed and memory: ``fedaudit.load`` on 20,000 federated domains over 200 AD FS farms.

``python -m benchmarks load`` (``make bench`` runs every benchmark). The estate is written
once into ``out_dir/estate`` in the mixed forms real evidence has (AD FS side from Windows
PowerShell 5.1: Format-List ``>`` redirects in UTF-16LE, ConvertTo-Json 5.1, Export-Clixml,
Export-Csv ``;``; PowerShell 7 JSON; MSOnline tenants as one console capture of 100
``Get-MsolDomainFederationSettings -DomainName`` blocks per farm; Graph tenants as one REST
response per domain, some as Get-MgDomainFederationConfiguration Format-List captures; signed
metadata with fetch sidecars).

Each measurement runs in its own Python process, so runs share no memory and the peak resident
set (``ru_maxrss``) is that run's own; import time is outside the timers. Each is run
``REPEATS`` times and the fastest run is reported (the others absorb a busy machine's noise);
the peak is the largest of the runs.

The floor (issue 2: "read the same files and decode each certificate once with cryptography,
nothing else"), measured in the same run as ``fedaudit.load``: read every file of the estate and
call ``x509.load_der_x509_certificate`` once for every certificate value the records in those
files carry, i.e. once per occurrence, not once per distinct certificate: every
Get-MsolDomainFederationSettings block and Graph federation object decodes its
SigningCertificate (and NextSigningCertificate), every Get-AdfsCertificate export each
certificate's RawData, and every metadata document each of its certificates once (a document
repeats its keys in each role descriptor and in the signature's KeyInfo: one decode per
certificate per document). Certificates printed only as text (Format-List blocks, Export-Csv
ToString) carry no bytes and cost the floor nothing. The list of values is recorded while the
estate is written (``certificates.bin`` beside it): 24,096 for the default estate, the
certificate observations of the load that come with bytes (23,350 Entra, 279 AD FS, 467
metadata). A second floor decodes each distinct certificate once, for comparison only.
Targets: load within 3x of the per-occurrence floor, peak memory under 500 MB.

Issue 13 adds the parse floor: the same files read and decoded, each parsed once by the C parser
of its form (``json.loads``; lxml for Export-Clixml and metadata; one regex pass over the lines
of a console capture or CSV), and every certificate value decoded, in the same run. Targets:
load within 2x of it, peak memory under 300 MB.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import struct
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["build_estate", "run"]

FARMS = 200
DOMAINS_PER_FARM = 100
FARMS_PER_TENANT = 10
AS_OF = dt.datetime(2026, 11, 27, tzinfo=dt.timezone.utc)
_MARKER = "BUILT.json"
#: Runs of each measurement; the fastest is reported.
REPEATS = 3


def _farm_host(i: int) -> str:
    return f"fs.corp{i:03d}.example"


def _domain(i: int, j: int) -> str:
    return f"d{j:03d}.corp{i:03d}.example"


class _Writer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.files = 0
        self.bytes = 0
        self.occurrences: list[bytes] = []  # every certificate value (bytes) the files carry

    def write(self, rel: str, data: bytes, certs: list[bytes] = ()) -> None:  # type: ignore[assignment]
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        self.files += 1
        self.bytes += len(data)
        self.occurrences.extend(certs)


def build_estate(root: Path, *, farms: int = FARMS, domains_per_farm: int = DOMAINS_PER_FARM,
                 farms_per_tenant: int = FARMS_PER_TENANT) -> dict[str, int]:
    """Write the benchmark estate under ``root``; return counts. Keys are random (not demo keys):
    eight per process, shared by all certificates, which keeps minting fast and changes nothing
    for the loader. The floor's list of certificate values goes to ``root.parent``."""
    from support import synth
    from support.synth import (
        WRITERS,
        AdfsCertificate,
        AdfsProperties,
        Domain,
        FederationSettings,
        encode,
        fetch_sidecar,
        fetch_stem,
        with_prompt,
    )

    w = _Writer(root)
    distinct: set[bytes] = set()
    fetched = AS_OF - dt.timedelta(hours=9)
    for t in range(-(-farms // farms_per_tenant)):
        graph = t % 2 == 1
        tenant_domains: list[Domain] = []
        for i in range(t * farms_per_tenant, min((t + 1) * farms_per_tenant, farms)):
            host = _farm_host(i)
            start = AS_OF - dt.timedelta(days=10 + (i * 37) % 340, seconds=i * 97)
            ts = synth.mint_certificate(f"CN=ADFS Signing - {host}", start, start + dt.timedelta(days=365), key_slot=i % 8)
            td = synth.mint_certificate(f"CN=ADFS Encryption - {host}", start, start + dt.timedelta(days=365), key_slot=(i + 1) % 8)
            nxt = None
            if i % 3 == 0:
                gen = start + dt.timedelta(days=350)
                nxt = synth.mint_certificate(f"CN=ADFS Signing - {host}", gen, gen + dt.timedelta(days=365), key_slot=(i + 2) % 8)
            distinct.update(c for c in (ts, td, nxt) if c)
            props = AdfsProperties(host, display_name=f"Corp {i:03d}")
            certs = [AdfsCertificate(td, "Token-Decrypting"), AdfsCertificate(ts)]
            if nxt:
                certs.append(AdfsCertificate(nxt, is_primary=False))
            ders = [c.der for c in certs]
            form = i % 4
            if form == 0:
                w.write(f"adfs/{i:03d}/properties.txt", encode(WRITERS["Get-AdfsProperties", "list"]([props]), "utf-16le-bom"))
            elif form == 1:
                w.write(f"adfs/{i:03d}/properties.json", encode(WRITERS["Get-AdfsProperties", "json51"]([props]), "utf-16le-bom"))
            elif form == 2:
                w.write(f"adfs/{i:03d}/properties.xml", encode(WRITERS["Get-AdfsProperties", "clixml"]([props]), "utf-16le-bom"))
            else:
                w.write(f"adfs/{i:03d}/properties.json", encode(WRITERS["Get-AdfsProperties", "json7"]([props]), "utf-8"))
            form = i % 5
            if form == 0:
                w.write(f"adfs/{i:03d}/certificates.txt", encode(WRITERS["Get-AdfsCertificate", "list"](certs, culture="de-DE"), "utf-16le-bom"))
            elif form == 1:
                w.write(f"adfs/{i:03d}/certificates.xml", encode(WRITERS["Get-AdfsCertificate", "clixml"](certs), "utf-16le-bom"), ders)
            elif form == 2:
                w.write(f"adfs/{i:03d}/certificates.json", encode(WRITERS["Get-AdfsCertificate", "json51"](certs, depth=3), "utf-16le-bom"), ders)
            elif form == 3:
                w.write(f"adfs/{i:03d}/certificates.csv", encode(WRITERS["Get-AdfsCertificate", "csv"](certs, culture="de-DE", delimiter=";", type_information=False), "ascii"))
            else:
                w.write(f"adfs/{i:03d}/certificates.json", encode(WRITERS["Get-AdfsCertificate", "json7"](certs, depth=3), "utf-8"), ders)
            # metadata fetched over TLS, signed by the primary
            url = f"https://{host}/FederationMetadata/2007-06/FederationMetadata.xml"
            signing = [ts] + ([nxt] if nxt else [])
            doc = synth.federation_metadata(props.farm_identifier, host, signing, [td], key=synth.private_key(2048, i % 8))
            stem = fetch_stem(url, fetched + dt.timedelta(seconds=i))
            w.write(f"metadata/{stem}.xml", doc, signing + [td])
            w.write(f"metadata/{stem}.fetch.json", fetch_sidecar(url, fetched + dt.timedelta(seconds=i), body=doc, body_name=f"{stem}.xml").encode())
            # Entra: every domain of the farm, -SupportMultipleDomain issuer URIs
            blocks = []
            for j in range(domains_per_farm):
                name = _domain(i, j)
                tenant_domains.append(Domain(name))
                entra_next = nxt if (nxt and j % 2 == 0) else None
                carried = [ts] + ([entra_next] if entra_next else [])
                settings = FederationSettings.for_adfs(name, host, ts, entra_next, multi_domain=True,
                                                       update_result="success" if graph else None,
                                                       update_last_run=fetched if graph else None)
                if not graph:
                    blocks.append(with_prompt(WRITERS["Get-MsolDomainFederationSettings", "list"]([settings], trailing_space=False),
                                              f"Get-MsolDomainFederationSettings -DomainName {name} | Format-List *"))
                    w.occurrences.extend(carried)
                elif j % 10 == 9:
                    text = with_prompt(WRITERS["Get-MgDomainFederationConfiguration", "list"]([settings], trailing_space=False),
                                       f"Get-MgDomainFederationConfiguration -DomainId {name} | Format-List")
                    w.write(f"entra/tenant{t:02d}/{name}.txt", encode(text, "utf-8"), carried)
                else:
                    body = WRITERS["Get-MgDomainFederationConfiguration", "graph"]([settings], as_list=j % 10 == 4, indent=j % 2 == 0)
                    w.write(f"entra/tenant{t:02d}/{name}.json", encode(body, "utf-8", newline="\n"), carried)
            if not graph:
                w.write(f"entra/tenant{t:02d}/settings-{host}.txt", encode("".join(blocks), "utf-16le-bom"))
        tenant_domains.append(Domain(f"tenant{t:02d}.onmicrosoft.com", "Managed", is_initial=True))
        if graph:
            w.write(f"entra/tenant{t:02d}/domains.json", encode(WRITERS["Get-MgDomain", "graph"](tenant_domains), "utf-8", newline="\n"))
        else:
            w.write(f"entra/tenant{t:02d}/Get-MsolDomain.txt", encode(WRITERS["Get-MsolDomain", "table"](tenant_domains), "utf-16le-bom"))
    counts = {
        "farms": farms,
        "domains": farms * domains_per_farm,
        "files": w.files,
        "bytes": w.bytes,
        "occurrences": len(w.occurrences),
        "distinct": len(distinct),
    }
    # the floor's certificate list lives beside the estate, not in it
    with open(root.parent / "certificates.bin", "wb") as fh:
        for der in w.occurrences:
            fh.write(struct.pack(">I", len(der)) + der)
    (root.parent / _MARKER).write_text(json.dumps(counts))
    return counts


_LOAD = r"""
import json, resource, sys, time
import fedaudit, fedaudit.evidence.load, fedaudit.parse, fedaudit.metadata, fedaudit.evidence.join, pandas
workers = None if sys.argv[2] == "auto" else int(sys.argv[2])
t = time.perf_counter()
ev = fedaudit.load(sys.argv[1], workers=workers)
seconds = time.perf_counter() - t
d = ev.domains
print(json.dumps({
    "seconds": seconds,
    "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    "child_maxrss_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    "processes": fedaudit.evidence.load._workers(workers, len(ev.inputs)),
    "farms": int(len(ev.farms)),
    "federated": int((d.authentication == "Federated").sum()),
    "tied": int(d.farm.notna().sum()),
    "certificates": int(len(ev.certificates)),
    "metadata": int(len(ev.metadata)),
    "issues": int(len(ev.issues)),
}))
"""

_FLOOR = r"""
import json, os, resource, struct, sys, time
from cryptography import x509
root, manifest, distinct = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
blob = open(manifest, "rb").read()
ders, pos = [], 0
while pos < len(blob):
    (n,) = struct.unpack_from(">I", blob, pos)
    ders.append(blob[pos + 4 : pos + 4 + n])
    pos += 4 + n
if distinct:
    ders = list(dict.fromkeys(ders))
del blob
t = time.perf_counter()
size = 0
for dirpath, dirnames, filenames in os.walk(root):
    for name in filenames:
        with open(os.path.join(dirpath, name), "rb") as fh:
            size += len(fh.read())
for der in ders:
    x509.load_der_x509_certificate(der)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "decoded": len(ders), "bytes": size}))
"""

# The parse floor (issue 13): what any loader of these files must at least do, in C where Python
# offers it: read every file, decode its text (BOM: UTF-16LE or UTF-8), parse it once with the
# C parser its form has (json.loads for JSON, lxml for XML: Export-Clixml and metadata) or, for
# a console capture (Format-List/-Table, Export-Csv), one regex pass over its lines; then decode
# every certificate value once, as the floor above.
_PARSE_FLOOR = r"""
import codecs, json, os, re, resource, struct, sys, time
from cryptography import x509
from lxml import etree
root, manifest = sys.argv[1], sys.argv[2]
blob = open(manifest, "rb").read()
ders, pos = [], 0
while pos < len(blob):
    (n,) = struct.unpack_from(">I", blob, pos)
    ders.append(blob[pos + 4 : pos + 4 + n])
    pos += 4 + n
del blob
LINE = re.compile(r"^([^\s:][^:\r\n]*?)[ \t]*:[ \t]?(.*?)\r?$", re.M)
parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
t = time.perf_counter()
size = parsed = 0
for dirpath, dirnames, filenames in os.walk(root):
    for name in filenames:
        with open(os.path.join(dirpath, name), "rb") as fh:
            data = fh.read()
        size += len(data)
        if data.startswith(codecs.BOM_UTF16_LE):
            text = data[2:].decode("utf-16-le", "replace")
        else:
            text = data.decode("utf-8-sig", "replace")
        if name.endswith(".json"):
            json.loads(text)
        elif name.endswith(".xml"):
            etree.fromstring(data, parser)  # libxml2 decodes by BOM / declaration itself
        else:
            LINE.findall(text)
        parsed += 1
for der in ders:
    x509.load_der_x509_certificate(der)
seconds = time.perf_counter() - t
print(json.dumps({"seconds": seconds, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "decoded": len(ders), "bytes": size, "files": parsed}))
"""

_BASELINE = r"""
import json, resource
import fedaudit, fedaudit.evidence.load, fedaudit.parse, fedaudit.metadata, fedaudit.evidence.join, pandas
print(json.dumps({"maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _child(code: str, *args: str) -> dict:
    """Run ``code`` in a fresh interpreter; its last stdout line is a JSON result."""
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _best(code: str, *args: str) -> dict:
    """The fastest of ``REPEATS`` runs of ``code``, with the largest peak of them all."""
    runs = [_child(code, *args) for _ in range(REPEATS)]
    best = dict(min(runs, key=lambda r: r["seconds"]))
    best["maxrss_kb"] = max(r["maxrss_kb"] for r in runs)
    return best


def run(out_dir: str | os.PathLike[str]) -> list[str]:
    out = Path(out_dir)
    estate = out / "estate"
    marker = out / _MARKER
    t = time.perf_counter()
    if marker.exists() and json.loads(marker.read_text()).get("domains") == FARMS * DOMAINS_PER_FARM:
        counts = json.loads(marker.read_text())
        built = "reused"
    else:
        out.mkdir(parents=True, exist_ok=True)
        counts = build_estate(estate)
        built = f"built in {time.perf_counter() - t:.1f} s"
    manifest = str(out / "certificates.bin")
    baseline = _child(_BASELINE)
    floor = _best(_FLOOR, str(estate), manifest, "0")
    floor_distinct = _best(_FLOOR, str(estate), manifest, "1")
    parse_floor = _best(_PARSE_FLOOR, str(estate), manifest)
    load = _best(_LOAD, str(estate), "auto")
    serial = _best(_LOAD, str(estate), "1") if load["processes"] > 1 else load
    mb = 1024.0
    ratio = load["seconds"] / floor["seconds"] if floor["seconds"] else float("inf")
    parse_ratio = load["seconds"] / parse_floor["seconds"] if parse_floor["seconds"] else float("inf")
    peak = load["maxrss_kb"] / mb
    serial_ratio = serial["seconds"] / parse_floor["seconds"] if parse_floor["seconds"] else float("inf")
    lines = [
        f"estate: {counts['farms']} farms, {counts['domains']:,} federated domains, {counts['files']:,} files, "
        f"{counts['bytes'] / 1e6:.0f} MB ({built}) in {estate}",
        f"floor, read files + decode {floor['decoded']:,} certificate values (best of {REPEATS}): {floor['seconds']:.2f} s, "
        f"peak {floor['maxrss_kb'] / mb:.0f} MB",
        f"floor, read files + decode {floor_distinct['decoded']:,} distinct certificates: {floor_distinct['seconds']:.2f} s",
        f"parse floor, read + decode text + json/lxml/one regex per file ({parse_floor['files']:,} files) + decode "
        f"{parse_floor['decoded']:,} certificate values (best of {REPEATS}): {parse_floor['seconds']:.2f} s, "
        f"peak {parse_floor['maxrss_kb'] / mb:.0f} MB",
        f"fedaudit.load, {load['processes']} process(es) on {os.cpu_count()} cores (best of {REPEATS}): "
        f"{load['seconds']:.2f} s, peak {peak:.0f} MB, largest worker {load['child_maxrss_kb'] / mb:.0f} MB "
        f"(imports alone {baseline['maxrss_kb'] / mb:.0f} MB); farms {load['farms']}, federated domains {load['federated']:,} "
        f"({load['tied']:,} tied to a farm), certificate rows {load['certificates']:,}, metadata {load['metadata']}, issues {load['issues']}",
        f"fedaudit.load, workers=1 (one process, best of {REPEATS}): {serial['seconds']:.2f} s, peak "
        f"{serial['maxrss_kb'] / mb:.0f} MB; ratio to the parse floor {serial_ratio:.1f}x",
        f"ratio load / parse floor: {parse_ratio:.1f}x (target <= 2x: {'met' if parse_ratio <= 2 else 'MISSED'}); "
        f"peak {peak:.0f} MB (target < 300 MB: {'met' if peak < 300 else 'MISSED'})",
        f"ratio load / read-and-decode floor: {ratio:.1f}x (issue 2's target <= 3x: {'met' if ratio <= 3 else 'MISSED'})",
    ]
    if load["farms"] != counts["farms"] or load["federated"] != counts["domains"]:
        lines.append(f"WARNING: loaded {load['farms']} farms / {load['federated']} federated domains, "
                     f"expected {counts['farms']} / {counts['domains']}")
    return lines
