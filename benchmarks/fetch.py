"""Fetch throughput: 200 metadata URLs from a loopback HTTPS server that answers each request
after 200 ms, sequential (``workers=1``) against concurrent, in one run.

``python -m benchmarks fetch``, against :class:`support.loopback.LoopbackHTTPS` (127.0.0.1 only).
"""

from __future__ import annotations

import ssl
import tempfile
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from support.loopback import LoopbackHTTPS, send

__all__ = ["LoopbackHTTPS", "run", "send"]

URLS = 200
LATENCY = 0.2


def _document(n: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" ID="_b{n}" '
        f'entityID="http://fs{n}.bench.example/adfs/services/trust"/>'
    ).encode()


def run(out_dir: Path) -> list[str]:
    import trustme

    from fedaudit.io.fetch import fetch_all

    out_dir = Path(out_dir)
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)

    def respond(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(LATENCY)
        send(handler, 200, _document(int(handler.path.rsplit("/", 1)[-1])))

    lines = []
    with tempfile.TemporaryDirectory() as tmp, LoopbackHTTPS(respond, context=context) as server:
        bundle = Path(tmp) / "ca.pem"
        ca.cert_pem.write_to_path(str(bundle))
        urls = [server.url(f"/federationmetadata/{i}") for i in range(URLS)]
        timings = {}
        for label, workers in (("sequential (workers=1)", 1), ("concurrent (workers=8)", 8), ("concurrent (workers=32)", 32)):
            target = out_dir / label.split()[0] / str(workers)
            start = time.perf_counter()
            results = fetch_all(urls, target, ca_bundle=str(bundle), workers=workers, timeout=10)
            timings[workers] = time.perf_counter() - start
            failed = sum(not r.ok for r in results)
            lines.append(f"{label:<24} {URLS} URLs, {LATENCY * 1000:.0f} ms each: {timings[workers]:6.2f} s"
                         f"  ({URLS / timings[workers]:6.1f} URL/s, {failed} failed)")
        lines.append(f"speedup workers=8 vs 1: {timings[1] / timings[8]:.1f}x; "
                     f"workers=32 vs 1: {timings[1] / timings[32]:.1f}x")
    return lines
