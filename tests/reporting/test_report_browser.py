"""The rendered report in headless Chromium (Debian package ``chromium``), driven over the
DevTools protocol with tornado's websocket client: it loads with no console error, every image
decodes, no request leaves the file, markup in certificate subjects and file names stays text,
and it fits a phone's width. Screenshots and a PDF print go to ``tests/artifacts/`` (gitignored).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
ARTIFACTS = Path(__file__).parent.parent / "artifacts"
CHROMIUM = "/usr/bin/chromium"
XSS_SUBJECT = r"CN=\<img src=x onerror=alert(1)\>,O=\<script\>alert(2)\</script\>"
XSS_FILE = "<img src=y onerror=alert(3)>.json"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.chromium,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM),
        reason="headless Chromium is not installed (/usr/bin/chromium): apt-get install chromium",
    ),
]


def _samples_as_of() -> str:
    text = (SAMPLES / "README.md").read_text(encoding="utf-8")
    return re.search(r"^As-of date:\s*(\d{4}-\d{2}-\d{2})", text, re.M).group(1)


class _Page:
    """A minimal DevTools protocol client for one page target."""

    def __init__(self, conn):
        self.conn = conn
        self.next_id = 0
        self.events: list[dict] = []

    async def _read(self, timeout: float) -> dict:
        message = await asyncio.wait_for(self.conn.read_message(), timeout)
        if message is None:
            raise RuntimeError("DevTools connection closed")
        data = json.loads(message)
        if data.get("method") == "Page.javascriptDialogOpening":
            # an alert() would block the page: record it (the event stays in self.events) and dismiss it
            self.next_id += 1
            await self.conn.write_message(
                json.dumps({"id": self.next_id, "method": "Page.handleJavaScriptDialog", "params": {"accept": False}})
            )
        return data

    async def call(self, method: str, timeout: float = 60, **params):
        self.next_id += 1
        ident = self.next_id
        await self.conn.write_message(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            data = await self._read(timeout)
            if data.get("id") == ident:
                if "error" in data:
                    raise RuntimeError(f"{method}: {data['error']}")
                return data.get("result", {})
            self.events.append(data)

    async def wait_for(self, method: str, timeout: float = 60) -> dict:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = await self._read(max(deadline - time.monotonic(), 0.1))
            self.events.append(data)
            if data.get("method") == method:
                return data
        raise TimeoutError(method)

    async def evaluate(self, expression: str):
        result = await self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(result["exceptionDetails"])
        return result["result"].get("value")

    async def screenshot(self, path: Path, width: int, mobile: bool, height: int | None = None) -> None:
        await self.call("Emulation.setDeviceMetricsOverride", width=width, height=height or 900, deviceScaleFactor=1, mobile=mobile)
        if height is None:  # the whole page
            full = await self.evaluate("document.documentElement.scrollHeight")
            await self.call(
                "Emulation.setDeviceMetricsOverride", width=width, height=min(int(full), 12000), deviceScaleFactor=1, mobile=mobile
            )
        shot = await self.call("Page.captureScreenshot", format="png")
        import base64

        path.write_bytes(base64.b64decode(shot["data"]))


def _launch(profile: Path) -> tuple[subprocess.Popen, int]:
    args = [
        CHROMIUM, "--headless=new", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", f"--user-data-dir={profile}",
        # any host name resolves nowhere: a request that tries to leave cannot succeed (and is seen)
        "--host-resolver-rules=MAP * ~NOTFOUND", "--allow-file-access-from-files", "about:blank",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    port_file = profile / "DevToolsActivePort"
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return proc, int(port_file.read_text().split()[0])
        if proc.poll() is not None:
            raise RuntimeError(f"chromium exited: {proc.stderr.read()[-2000:]}")
        time.sleep(0.1)
    proc.kill()
    raise TimeoutError("chromium did not open its DevTools port")


async def _inspect(port: int, url: str, stem: str) -> dict:
    from tornado.websocket import websocket_connect

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
        targets = json.load(response)
    ws_url = next(t["webSocketDebuggerUrl"] for t in targets if t.get("type") == "page")
    conn = await websocket_connect(ws_url, max_message_size=256 * 1024 * 1024)
    page = _Page(conn)
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            await page.call(f"{domain}.enable")
        await page.call("Page.navigate", url=url)
        await page.wait_for("Page.loadEventFired")
        facts = await page.evaluate(
            """(async () => {
                const imgs = Array.from(document.images);
                await Promise.all(imgs.map(i => i.decode().catch(() => null)));
                return {
                  images: imgs.map(i => ({alt: i.alt, w: i.naturalWidth, h: i.naturalHeight, src: i.src.slice(0, 22)})),
                  scripts: document.querySelectorAll('script').length,
                  links: Array.from(document.querySelectorAll('link[href]')).map(l => l.href),
                  styles: document.querySelectorAll('style').length,
                  text: document.body.innerText,
                  sections: Array.from(document.querySelectorAll('section[id]')).map(s => s.id),
                  viewport: document.querySelector('meta[name=viewport]')?.content,
                };
            })()"""
        )
        # the first screen a reader sees, on a desk and on a phone
        await page.screenshot(ARTIFACTS / f"{stem}-desktop.png", 1200, False, height=900)
        await page.screenshot(ARTIFACTS / f"{stem}-phone.png", 390, True, height=844)
        facts["phone_overflow"] = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        # the table script: sort the verdicts by domain, filter them, and nothing else runs
        facts["sorted"] = await page.evaluate(
            """(() => {
                const table = document.querySelector('table.fa-verdicts');
                const names = () => Array.from(table.tBodies).map(b => b.rows[0].cells[0].textContent);
                const before = names();
                table.tHead.rows[0].cells[0].querySelector('button').click();
                const asc = names();
                const input = table.parentNode.previousElementSibling.querySelector('input');
                input.value = 'litware';
                input.dispatchEvent(new Event('input'));
                const visible = Array.from(table.tBodies).filter(b => !b.hidden).map(b => b.rows[0].cells[0].textContent);
                input.value = '';
                input.dispatchEvent(new Event('input'));
                return {before, asc, visible, tables: document.querySelectorAll('input.fa-filter').length};
            })()"""
        )
        pdf = await page.call("Page.printToPDF", printBackground=True)
        import base64

        (ARTIFACTS / f"{stem}-print.pdf").write_bytes(base64.b64decode(pdf["data"]))
        await asyncio.sleep(0.5)  # let late console messages arrive
        await page.call("Runtime.evaluate", expression="1")
        facts["events"] = list(page.events)
        # last, as it logs the violation: the Content-Security-Policy stops an inline handler that escaping would have missed
        facts["csp_blocked"] = await page.evaluate(
            """new Promise(resolve => {
                window.__faInjected = 0;
                document.body.insertAdjacentHTML('beforeend', '<img src="data:," onerror="window.__faInjected=1">');
                setTimeout(() => resolve(window.__faInjected === 0), 300);
            })"""
        )
        return facts
    finally:
        conn.close()


@pytest.fixture(scope="module")
def rendered(demo_report):
    return demo_report


@pytest.fixture(scope="module")
def browser(rendered):
    ARTIFACTS.mkdir(exist_ok=True)
    profile = Path(tempfile.mkdtemp(prefix="fedaudit-chromium-"))
    proc, port = _launch(profile)
    try:
        facts = asyncio.run(_inspect(port, rendered.html.as_uri(), "report"))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)
    return facts


def _events(facts, method):
    return [e["params"] for e in facts["events"] if e.get("method") == method]


def test_page_loads_without_console_errors(browser):
    errors = [e for e in _events(browser, "Runtime.consoleAPICalled") if e["type"] in ("error", "assert")]
    errors += _events(browser, "Runtime.exceptionThrown")
    errors += [e for e in _events(browser, "Log.entryAdded") if e["entry"]["level"] == "error"]
    assert errors == []


def test_every_image_decodes(browser):
    assert len(browser["images"]) >= 1  # the timeline (the matrix is an HTML table)
    for image in browser["images"]:
        assert image["src"].startswith("data:image/png"), image
        assert image["w"] > 0 and image["h"] > 0, image
        assert image["alt"]


def test_no_request_leaves_the_file(browser, rendered):
    urls = [e["request"]["url"] for e in _events(browser, "Network.requestWillBeSent")]
    assert rendered.html.as_uri() in urls
    assert all(u.startswith(("file:", "data:")) for u in urls), urls
    assert browser["scripts"] == 1 and browser["links"] == []  # our table script, inline
    assert _events(browser, "Network.loadingFailed") == []


def test_markup_in_subjects_and_file_names_is_text(browser):
    assert _events(browser, "Page.javascriptDialogOpening") == []  # no alert() ran
    assert browser["scripts"] == 1  # only ours: no <script> element was injected
    assert browser["csp_blocked"] is True
    # every <img> is one of ours (a data: URI figure), none came from a subject or file name
    assert all(i["src"].startswith("data:image/png") for i in browser["images"])
    text = browser["text"]
    assert "<img src=x onerror=alert(1)" in text and "<script" in text
    assert "<img src=y onerror=alert(3)>.json" in text
    assert "Contoso <b>bold</b>" in text


def test_sections_in_reading_order_and_phone_layout(browser):
    assert browser["sections"][:3] == ["status", "verdicts", "timeline"]
    assert browser["sections"][-3:] == ["methodology", "certificates", "manifest"]
    assert browser["viewport"] and "width=device-width" in browser["viewport"]
    assert browser["phone_overflow"] <= 1  # wide tables scroll inside their own box
    assert (ARTIFACTS / "report-desktop.png").stat().st_size > 10_000
    assert (ARTIFACTS / "report-phone.png").stat().st_size > 10_000
    assert (ARTIFACTS / "report-print.pdf").read_bytes().startswith(b"%PDF")


def test_tables_sort_and_filter(browser):
    sorted_ = browser["sorted"]
    assert sorted_["asc"] == sorted(sorted_["before"], key=str.lower) != sorted_["before"]  # most urgent first before
    assert sorted_["visible"] and all("litware" in d for d in sorted_["visible"])
    assert sorted_["tables"] >= 3  # verdicts, finding index, checks performed, controls


PDFTOPPM = shutil.which("pdftoppm")


@pytest.mark.skipif(PDFTOPPM is None, reason="pdftoppm (poppler-utils) is not installed")
def test_pdf_first_page_is_kept_as_png(rendered):
    if rendered.pdf is None:
        pytest.skip("WeasyPrint is not installed: no report.pdf")
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report-pdf-page1"
    subprocess.run(
        [PDFTOPPM, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(rendered.pdf), str(target)],
        check=True, timeout=120,
    )
    assert (ARTIFACTS / "report-pdf-page1.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
