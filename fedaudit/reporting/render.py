"""``fedaudit.report``: execute the report template, render self-contained HTML, write the evidence.

One run writes one new folder under ``out``, named from the run's start time and a slug
(``out/2026-11-27T103000Z-contoso/``, with ``-2``, ``-3`` ... when the name is taken)::

    report.html          the report: one script of our own (table sorting), admitted by hash in a
                         Content-Security-Policy that forbids every load from the network
    report.pdf           the same content on paper (``pdf=True``; WeasyPrint, the ``pdf`` extra)
    audit_report.ipynb   the executed notebook the HTML was rendered from
    findings.csv         one row per finding (evidence as JSON)
    findings.json        the audit as ``fedaudit check --format json`` prints it
    assurance.json       every check x farm/domain with its status, and the control matrix
    metadata/            fetched metadata documents and their sidecars (when URLs were given)
    manifest.json        version, parameters, as-of, run start and end, who rendered it where with
                         which command line, the collectors, every input's path, size and SHA-256,
                         every metadata fetch, and the SHA-256 of every file above
    manifest.json.sig    a signature of manifest.json (``sign_key``; see :mod:`fedaudit.io.verify`)

Everything is written into a hidden temporary sibling (``out/.<name>.*.partial``) and renamed
into place at the end, so a failed or killed run never leaves a folder that looks complete, and
an existing report is never overwritten.
"""

from __future__ import annotations

import base64
import datetime as dt
import errno
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fedaudit._version import __version__
from fedaudit.engine.core import to_utc
from fedaudit.errors import FedauditError, ReportError, UsageError
from fedaudit.evidence.load import read_trust_certs
from fedaudit.io.clock import Clock, system_clock
from fedaudit.io.verify import load_private_key, sign_file
from fedaudit.neutral import csv_row, json_dumps, path_text
from fedaudit.reporting.context import RUN_FILE

__all__ = [
    "FAIL_ON",
    "PAPER",
    "ReportResult",
    "TEMPLATE",
    "add_outputs",
    "execute_template",
    "render_html",
    "render_pdf",
    "report",
]

#: The packaged report template (``notebooks/audit_report.ipynb`` is a copy for reading).
TEMPLATE = Path(__file__).parent / "templates" / "audit_report.ipynb"
#: nbconvert templates shipped with fedaudit (``fedaudit``: self-contained report page).
NBCONVERT_TEMPLATES = Path(__file__).parent / "templates" / "nbconvert"
FAIL_ON = ("critical", "high", "warning", "info", "none")

HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
#: Paper sizes of report.pdf.
PAPER = ("A4", "Letter")
#: The page's own script (table sorting and filtering); the CSP admits it by this file's hash.
SCRIPT = NBCONVERT_TEMPLATES / "fedaudit" / "report.js"
NOTEBOOK_NAME = "audit_report.ipynb"
#: Cell tags whose cells never reach the HTML (template notes and the parameter cells).
HIDDEN_TAGS = ("fedaudit-hide", "parameters", "injected-parameters")


@dataclass(frozen=True)
class ReportResult:
    """What :func:`report` wrote, and the exit code ``fedaudit check`` would give."""

    folder: Path
    html: Path
    notebook: Path
    manifest: dict[str, Any]
    exit_code: int
    counts: dict[str, int]
    unmatched_exceptions: tuple[str, ...] = ()  # accepted exceptions that cover no finding
    #: the report's status sentence (agrees with ``exit_code`` and names the gate)
    status: str = ""
    pdf: Path | None = None


def _slug(*candidates: str | None) -> str:
    for text in candidates:
        if text:
            slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].strip("-")
            if slug:
                return slug
    return "audit"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _kernel_manager_class(stderr: Any = None) -> type:
    """A kernel manager that always starts this interpreter's ipykernel.

    A user-level ``python3`` kernelspec (``~/.local/share/jupyter/kernels``) may point at another
    Python without fedaudit; the report must run in the environment that called it. ``stderr``
    (a file) receives the kernel process's own log instead of our stderr, so ``fedaudit report``
    stays quiet under cron.
    """
    import zmq
    from ipykernel.kernelspec import RESOURCES, get_kernel_dict
    from jupyter_client import AsyncKernelManager
    from jupyter_client.kernelspec import KernelSpec
    from traitlets import default

    class ThisInterpreterKernelManager(AsyncKernelManager):
        # CurveZMQ keys for the loopback channels when the kernel supports them (ipykernel
        # warns on stderr about plain-text TCP otherwise).
        @default("transport_encryption")
        def _transport_encryption_default(self) -> str:
            return "auto" if zmq.has("curve") else "disabled"

        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]  # kw: Popen arguments too
            if stderr is not None:
                kw.setdefault("stderr", stderr)
            await super().start_kernel(**kw)

        @property
        def kernel_spec(self) -> KernelSpec:
            if self._kernel_spec is None:
                self._kernel_spec = KernelSpec(resource_dir=RESOURCES, name="python3", **get_kernel_dict())
            return self._kernel_spec

    return ThisInterpreterKernelManager


def execute_template(
    template: str | os.PathLike[str],
    output: str | os.PathLike[str],
    parameters: Mapping[str, Any],
    *,
    cwd: str | os.PathLike[str] | None = None,
    timeout: int = 1800,
) -> Any:
    """Execute ``template`` with papermill into ``output`` and return the executed notebook.

    Every parameter must be declared in the template's ``parameters`` cell: papermill only logs
    a warning for an unknown one, and a misspelt name would silently keep its default.
    """
    import papermill

    declared = papermill.inspect_notebook(str(template))
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise UsageError(
            f"{template}: unknown report parameter(s) {', '.join(unknown)}; the template declares {', '.join(sorted(declared))}"
        )
    with tempfile.TemporaryFile(mode="w+b") as kernel_log:
        return _execute(template, output, parameters, cwd, timeout, kernel_log)


#: errno values that mean "this location cannot take the report": full disk, quota, read-only.
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT, errno.EROFS}


def _execute(template: Any, output: Any, parameters: Mapping[str, Any], cwd: Any, timeout: int, kernel_log: Any) -> Any:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    def log_tail() -> str:
        kernel_log.seek(0)
        text = kernel_log.read().decode("utf-8", "replace").strip()
        return f"; kernel log: {text[-1500:]}" if text else ""

    try:
        return papermill.execute_notebook(
            str(template),
            str(output),
            parameters=dict(parameters),
            kernel_name="python3",
            kernel_manager_class=_kernel_manager_class(kernel_log),
            progress_bar=False,
            log_output=False,
            # papermill otherwise rewrites (and validates) the whole notebook before and after
            # every cell; the output is written once at the end (and on failure) instead
            request_save_on_cell_execute=False,
            cwd=str(cwd) if cwd is not None else None,
            execution_timeout=timeout,
        )
    except PapermillExecutionError as exc:
        raise ReportError(f"the report template failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}") from None
    except OSError as exc:
        if exc.errno in _NO_ROOM:  # the notebook could not be written: say where, not "could not run"
            folder = Path(os.fspath(output)).parent.parent
            raise ReportError(f"{folder}: cannot write the report: {exc.strerror}") from None
        raise ReportError(f"the report template could not run: {type(exc).__name__}: {exc}{log_tail()}") from None
    except (RuntimeError, TimeoutError) as exc:  # dead kernel, cell timeout, kernel start-up
        raise ReportError(f"the report template could not run: {type(exc).__name__}: {exc}{log_tail()}") from None


def render_html(notebook: Any, *, title: str) -> str:
    """The executed notebook as one self-contained HTML page (no code, no prompts, no CDN).

    nbconvert's ``TemplateExporter`` with fedaudit's own template (``templates/nbconvert/
    fedaudit``), not ``HTMLExporter``: the stock HTML templates pull scripts from CDNs, and
    HTMLExporter re-parses the finished page with BeautifulSoup (to add alt text we already
    write), which on a 1,000-domain report takes longer than everything else together.
    """
    import copy

    from nbconvert.exporters import TemplateExporter
    from traitlets.config import Config

    config = Config(
        {
            "TagRemovePreprocessor": {"enabled": True, "remove_cell_tags": list(HIDDEN_TAGS)},
            "TemplateExporter": {
                "template_name": "fedaudit",
                "template_file": "index.html.j2",
                "extra_template_basedirs": [str(NBCONVERT_TEMPLATES)],
                "exclude_input": True,
                "exclude_input_prompt": True,
                "exclude_output_prompt": True,
            },
        }
    )
    notebook = copy.deepcopy(notebook)
    notebook.metadata["title"] = title
    script = SCRIPT.read_text(encoding="utf-8")
    if "</" in script:  # pragma: no cover - a programming error: the script would end early
        raise ReportError("report.js must not contain '</'")
    notebook.metadata["fedaudit_script"] = script
    notebook.metadata["fedaudit_script_hash"] = "sha256-" + base64.b64encode(
        hashlib.sha256(script.encode("utf-8")).digest()
    ).decode("ascii")
    exporter = TemplateExporter(config=config)
    exporter.output_mimetype = "text/html"
    body, _resources = exporter.from_notebook_node(notebook)
    return body


def render_pdf(page: str, target: Path, *, paper: str = "A4") -> None:
    """``page`` (report.html) as ``target`` (report.pdf) with WeasyPrint: the print stylesheet
    of the page (running header, page numbers, cards for wide tables) on ``paper``.

    Nothing is fetched: every URL but ``data:`` is refused (the page embeds its figures), so a
    hostile value that slipped into the markup still could not make the renderer reach out.
    WeasyPrint's own log (CSS it does not implement, which browsers do) is kept off stderr;
    its errors still raise.
    """
    import logging

    try:
        import weasyprint
    except ModuleNotFoundError as exc:
        if exc.name != "weasyprint":
            raise
        raise UsageError(
            "report.pdf needs WeasyPrint: pip install 'fedaudit[pdf]' (see the README for its system libraries)"
        ) from None
    except OSError as exc:  # the Python package is there, Pango is not
        raise ReportError(f"WeasyPrint cannot load its system libraries (Pango): {exc}") from None
    if paper not in PAPER:
        raise UsageError(f"paper: {paper!r} is not one of {', '.join(PAPER)}")
    fetcher: Any
    try:
        from weasyprint.urls import URLFetcher

        fetcher = URLFetcher(allowed_protocols={"data"})
    except (ImportError, TypeError):  # WeasyPrint before its URLFetcher class: a function
        from weasyprint import default_url_fetcher

        def fetcher(url: str, *args: Any, **kwargs: Any) -> Any:
            if not url.startswith("data:"):
                raise ReportError(f"report.pdf loads nothing from outside the page: {url[:60]}")
            return default_url_fetcher(url, *args, **kwargs)

    log = logging.getLogger("weasyprint")
    saved = (log.level, log.propagate)
    log.setLevel(logging.ERROR)
    log.propagate = False
    try:
        document = weasyprint.HTML(string=page, url_fetcher=fetcher, base_url="data:,")
        document.write_pdf(target, stylesheets=[weasyprint.CSS(string=f"@page {{ size: {paper}; }}")])
    finally:
        log.setLevel(saved[0])
        log.propagate = saved[1]


def _validate(inputs: Sequence[str | os.PathLike[str]], fail_on: str, files: Mapping[str, Any]) -> list[str]:
    if fail_on not in FAIL_ON:
        raise UsageError(f"fail_on: {fail_on!r} is not one of {', '.join(FAIL_ON)}")
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    paths = [os.fspath(p) for p in inputs]
    if not paths:
        raise UsageError("give at least one export file or folder")
    for p in paths:
        if not p.lower().startswith(("https://", "http://")) and not os.path.exists(p):
            raise UsageError(f"{p}: no such file or folder")
    for name, value in files.items():
        if value is not None and not os.path.exists(os.fspath(value)):
            raise UsageError(f"{name}: {value}: no such file")
    return paths


def _notebook_paths(named: Mapping[str, Sequence[Any]]) -> None:
    """The paths handed to the notebook travel as JSON text: one whose name is not UTF-8 (Latin-1
    bytes, surrogate-escaped by Python) cannot. A usage error naming it, before any work; files
    with such names *inside* a folder are fine (they are read by the loader, shown escaped)."""
    for option, values in named.items():
        for value in values:
            if value is None:
                continue
            text = os.fspath(value)
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise UsageError(
                    f"{option} {path_text(text)}: a path whose name is not UTF-8 cannot be given to the report; "
                    "rename it, or give a link with a UTF-8 name (files inside a folder may have any name)"
                ) from None


def _absolute(value: Any) -> Any:
    if value is None:
        return None
    text = os.fspath(value)
    return text if text.lower().startswith(("https://", "http://")) else os.path.abspath(text)


def _publish(tmp: Path, out: Path, name: str) -> Path:
    """Rename ``tmp`` to ``out/name`` (or ``name-2`` ...), never replacing an existing folder."""
    # mkdtemp made the folder 0700; a published report gets the permissions of any new
    # folder (the umask decides), so the people it is meant for can read it.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)
    for n in range(1, 1000):
        final = out / (name if n == 1 else f"{name}-{n}")
        if final.exists():
            continue
        try:
            # os.rename onto an existing *empty* folder would succeed on POSIX; the exists()
            # check above rules that out, and a concurrent winner makes rename fail (not empty).
            os.rename(tmp, final)
        except OSError:
            if final.exists():
                continue
            raise
        return final
    raise ReportError(f"{out}: too many reports named {name}")


def _stage_exceptions(exceptions: Any, folder: Path) -> str | None:
    """Put the accepted exceptions into the report folder (they are evidence of what was
    accepted) and return the copy's path: a file is copied; records (as
    :func:`fedaudit.engine.waivers.load_exceptions` returns them) are written as CSV."""
    if exceptions is None:
        return None
    if isinstance(exceptions, (str, os.PathLike)):
        source = Path(exceptions)
        target = folder / f"exceptions{source.suffix.lower()}"
        shutil.copyfile(source, target)
        return str(target)
    import csv

    target = folder / "exceptions.csv"
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["check", "farm", "domain", "justification", "owner", "expires"])
        for e in exceptions:
            writer.writerow(
                csv_row([e.check, e.farm or "", e.domain or "", e.justification, e.owner, e.expires.isoformat()])
            )
    return str(target)


def report(
    inputs: Sequence[str | os.PathLike[str]],
    out: str | os.PathLike[str],
    *,
    metadata: Sequence[str] = (),
    ca_bundle: str | os.PathLike[str] | None = None,
    as_of: dt.datetime | dt.date | str | None = None,
    title: str | None = None,
    organisation: str | None = None,
    culture: str | None = None,
    thresholds: Mapping[str, Any] | None = None,
    fail_on: str = "high",
    history: str | os.PathLike[str] | None = None,
    audit_name: str | None = None,
    exceptions: str | os.PathLike[str] | Sequence[Any] | None = None,
    clock: Clock = system_clock,
    pdf: bool = False,
    paper: str = "A4",
    sign_key: str | os.PathLike[str] | None = None,
    command_line: Sequence[str] | None = None,
    trust_certs: Sequence[str | os.PathLike[str]] = (),
) -> ReportResult:
    """Audit ``inputs`` and write a new report folder under ``out``; see the module docstring.

    ``as_of`` defaults to the run's start. ``fail_on`` sets :attr:`ReportResult.exit_code` as
    ``fedaudit check --fail-on`` does. ``history`` (a history database) with ``audit_name`` adds
    the "since the last run" section; ``exceptions`` (a TOML or CSV file, or the records
    :func:`fedaudit.engine.waivers.load_exceptions` returns) marks accepted risks; a copy goes into
    the report folder. ``clock`` stamps the run's start and end (the folder name, the manifest).
    ``pdf`` also writes ``report.pdf`` on ``paper`` (A4 or Letter);
    ``sign_key`` (a PEM private key, Ed25519 or RSA) signs ``manifest.json`` into
    ``manifest.json.sig``; ``command_line`` is recorded (default: this process's arguments).
    ``trust_certs``: pinned metadata signer certificates (see :func:`fedaudit.load`).
    Raises :class:`UsageError` for bad arguments and :class:`ReportError` when rendering fails.
    """
    exceptions_file = exceptions if isinstance(exceptions, (str, os.PathLike)) else None
    paths = _validate(inputs, fail_on, {"ca_bundle": ca_bundle, "exceptions": exceptions_file, "sign_key": sign_key})
    _notebook_paths(
        {
            "PATH": paths,
            "--out": [out],
            "--metadata": list(metadata),
            "--ca-bundle": [ca_bundle],
            "--exceptions": [exceptions_file],
            "--history": [history],
        }
    )
    if paper not in PAPER:
        raise UsageError(f"paper: {paper!r} is not one of {', '.join(PAPER)}")
    read_trust_certs(trust_certs)  # a bad pinned certificate is a usage error before any work
    signer = None
    if sign_key is not None:
        signer = load_private_key(sign_key)  # a bad key is a usage error before any work
    if pdf:
        _require_weasyprint()

    started = clock().replace(microsecond=0)
    when = started if as_of is None else to_utc(as_of)
    title = title or "Federation certificate audit"
    out_dir = Path(out)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{out_dir}: cannot create the output folder: {exc.strerror or exc}") from None
    name = f"{started:%Y-%m-%dT%H%M%SZ}-{_slug(audit_name, organisation, title)}"
    # absolute: the kernel runs with the temporary folder as its working directory
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=os.path.abspath(out_dir)))
    except OSError as exc:  # a read-only folder or file system, a full disk, no permission
        raise ReportError(f"{out_dir}: cannot write a report folder here: {exc.strerror or exc}") from None
    parameters = {
        "inputs": [_absolute(p) for p in paths],
        "metadata": [_absolute(m) for m in metadata],
        "ca_bundle": _absolute(ca_bundle),
        "as_of": when.astimezone(dt.timezone.utc).isoformat(),
        "title": title,
        "organisation": organisation,
        "culture": culture,
        "thresholds": dict(thresholds) if thresholds else None,
        "fail_on": fail_on,
        "history": _absolute(history),
        "audit_name": audit_name,
        "exceptions": None,
        "trust_certs": [_absolute(c) for c in trust_certs],
        "output_dir": str(tmp),
        "command_line": list(command_line)
        if command_line is not None
        else [os.path.basename(sys.argv[0]), *sys.argv[1:]],
    }
    try:
        parameters["exceptions"] = _stage_exceptions(exceptions, tmp)
        notebook = execute_template(TEMPLATE, tmp / NOTEBOOK_NAME, parameters, cwd=tmp)
        run_file = tmp / RUN_FILE
        try:
            run = json.loads(run_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ReportError(f"the report template did not record its run ({exc})") from None
        run_file.unlink()
        try:
            page = render_html(notebook, title=run.get("page_title") or title)
        except Exception as exc:  # nbconvert/jinja raise many types; all mean "could not render"
            raise ReportError(f"rendering the HTML failed: {type(exc).__name__}: {exc}") from None
        page = _relative_paths(page, paths)
        (tmp / HTML_NAME).write_text(page, encoding="utf-8")
        if pdf:
            try:
                render_pdf(page, tmp / PDF_NAME, paper=paper)
            except FedauditError:
                raise
            except Exception as exc:  # WeasyPrint raises many types; all mean "could not render"
                raise ReportError(f"rendering report.pdf failed: {type(exc).__name__}: {exc}") from None
        ended = clock().replace(microsecond=0)
        outputs = {
            p.relative_to(tmp).as_posix(): {"bytes": p.stat().st_size, "sha256": _sha256(p)}
            for p in sorted(tmp.rglob("*"))
            if p.is_file()
        }
        manifest = {
            "fedaudit": __version__,
            "python": sys.version.split()[0],
            "parameters": run["parameters"],
            "exceptions_source": (
                os.fspath(exceptions_file) if exceptions_file else "records" if exceptions is not None else None
            ),
            "as_of": run["as_of"],
            "run": {"started": started.isoformat(), "ended": ended.isoformat()},
            "rendered_by": run.get("rendered_by"),
            "status": run.get("status"),
            "collectors": run.get("collectors", []),
            "exit_code": run["exit_code"],
            "counts": run["counts"],
            "unmatched_exceptions": run.get("unmatched_exceptions", []),
            # each input folder as given and the name its files' paths start with
            "input_roots": [
                {"name": os.path.basename(os.path.abspath(p).rstrip(os.sep)), "given": p}
                for p in paths
                if not p.lower().startswith(("https://", "http://"))
            ],
            "inputs": run["inputs"],
            "metadata": run["metadata"],
            "outputs": outputs,
        }
        (tmp / "manifest.json").write_text(json_dumps(manifest, indent=2) + "\n", encoding="utf-8")
        if signer is not None:
            sign_file(signer, tmp / "manifest.json")
        final = out_dir / _publish(tmp, tmp.parent, name).name  # as the caller named it
    except OSError as exc:  # the disk filled up, the folder went read-only ... while writing
        shutil.rmtree(tmp, ignore_errors=True)
        what = f" ({Path(exc.filename).name})" if isinstance(exc.filename, str) else ""
        raise ReportError(f"{out_dir}: cannot write the report{what}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return ReportResult(
        folder=final,
        html=final / HTML_NAME,
        notebook=final / NOTEBOOK_NAME,
        manifest=manifest,
        exit_code=int(run["exit_code"]),
        counts=dict(run["counts"]),
        unmatched_exceptions=tuple(run.get("unmatched_exceptions", [])),
        status=str(run.get("status") or ""),
        pdf=final / PDF_NAME if pdf else None,
    )


def add_outputs(
    folder: str | os.PathLike[str], names: Sequence[str], *, sign_key: str | os.PathLike[str] | None = None
) -> None:
    """List files written into a published report folder after the fact (``fedaudit run``'s
    SIEM files) in its ``manifest.json``, and sign it again when ``sign_key`` is given."""
    root = Path(folder)
    path = root / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for name in names:
        target = root / name
        manifest["outputs"][name] = {"bytes": target.stat().st_size, "sha256": _sha256(target)}
    manifest["outputs"] = dict(sorted(manifest["outputs"].items()))
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    if sign_key is not None:
        sign_file(load_private_key(sign_key), path)


def _relative_paths(page: str, roots: Sequence[str]) -> str:
    """``page`` with every absolute path under an input folder written relative to it, starting
    with the folder's name (``/srv/exports/contoso/adfs/x.json`` -> ``contoso/adfs/x.json``):
    finding titles, remediation and load issues name the files the kernel read by their absolute
    paths; the report names none of the machine that rendered it."""
    import html

    pairs = []
    for given in roots:
        if given.lower().startswith(("https://", "http://")):
            continue
        absolute = os.path.abspath(given)
        if len(absolute) < 2:
            continue
        name = os.path.basename(absolute.rstrip(os.sep)) or absolute
        if os.path.isdir(absolute):
            pairs.append(
                (html.escape(absolute.rstrip(os.sep) + os.sep, quote=True), html.escape(name + "/", quote=True))
            )
        else:
            pairs.append((html.escape(absolute, quote=True), html.escape(name, quote=True)))
    for old, new in sorted(pairs, key=lambda p: -len(p[0])):
        page = page.replace(old, new)
    return page


def _require_weasyprint() -> None:
    """A usage error before any work when report.pdf is asked for and WeasyPrint is missing."""
    import importlib.util

    if importlib.util.find_spec("weasyprint") is None:
        raise UsageError(
            "report.pdf needs WeasyPrint: pip install 'fedaudit[pdf]' (see the README for its system libraries)"
        )
