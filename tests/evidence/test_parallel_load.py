"""Reading files in several processes (``fedaudit.load(workers=...)``, issue 13) gives the
evidence one process gives, under ``fork`` and under ``spawn``, and survives a worker that dies."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pandas as pd
import pytest

import fedaudit
from fedaudit.errors import UsageError
from fedaudit.evidence import load as load_module

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """A mixed estate: the demo samples (manifests, sidecars, every form) beside a generated one
    (Format-List, JSON, CLIXML, CSV exports, signed metadata with sidecars), plus a broken file."""
    from benchmarks.load import build_estate

    root = tmp_path_factory.mktemp("parallel")
    shutil.copytree(SAMPLES, root / "samples")
    build_estate(root / "generated" / "estate", farms=6, domains_per_farm=8, farms_per_tenant=3)
    (root / "generated" / "estate" / "broken.json").write_bytes(b'{"Thumbprint": ')
    return root


def _same(a: fedaudit.Evidence, b: fedaudit.Evidence) -> None:
    for name in a.FRAMES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    assert a.inputs == b.inputs


def test_several_processes_give_the_evidence_one_gives(estate):
    one = fedaudit.load(estate, workers=1)
    assert len(one.inputs) > 90 and len(one.issues) and len(one.metadata)
    for workers in (2, 3):
        _same(one, fedaudit.load(estate, workers=workers))


def test_the_spawn_start_method_gives_the_same_evidence(estate, monkeypatch):
    one = fedaudit.load(estate, workers=1)
    monkeypatch.setattr(load_module, "_start_method", lambda: "spawn")
    _same(one, fedaudit.load(estate, workers=2))


_PARENT = os.getpid()


def _dies_in_a_worker(jobs, culture, trusted=()):
    if os.getpid() != _PARENT:
        os._exit(3)  # the worker process dies (killed, out of memory ...)
    return _READ_CHUNK(jobs, culture, trusted)


_READ_CHUNK = load_module._read_chunk


def test_a_chunk_whose_worker_dies_is_read_in_this_process(estate, monkeypatch):
    if load_module._start_method() != "fork":
        pytest.skip("needs fork: the replaced function reaches the worker through the forked memory")
    one = fedaudit.load(estate, workers=1)
    monkeypatch.setattr(load_module, "_read_chunk", _dies_in_a_worker)
    _same(one, fedaudit.load(estate, workers=2))


def test_domain_map_and_strict_behave_alike_in_parallel(estate):
    with pytest.raises(UsageError, match="matches no file"):
        fedaudit.load(estate, workers=2, domain_map={"no-such-file.txt": "contoso.com"})
    # a domain_map key that names a metadata document names no export: still unused
    document = next((estate / "samples").rglob("*.xml"))
    with pytest.raises(UsageError, match="matches no file"):
        fedaudit.load(estate, workers=2, domain_map={str(document): "contoso.com"})
    with pytest.raises(fedaudit.FedauditError) as one:
        fedaudit.load(estate, workers=1, strict=True)
    with pytest.raises(fedaudit.FedauditError) as two:
        fedaudit.load(estate, workers=2, strict=True)
    assert str(one.value) == str(two.value)


def test_how_many_processes_read():
    assert load_module._workers(1, 10_000) == 1
    assert load_module._workers(4, 2) == 2  # never more processes than files
    assert load_module._workers(None, load_module.PARALLEL_MIN_FILES - 1) == 1  # small: here
    with pytest.raises(UsageError):
        load_module._workers(0, 10)
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    try:  # another Python thread runs: fork is not safe, the automatic choice stays in-process
        assert load_module._start_method() != "fork"
        assert load_module._workers(None, 100_000) == 1
    finally:
        stop.set()
        worker.join()


def test_pinned_signers_reach_the_worker_processes(tmp_path):
    """A document signed by a key no export holds is authenticated only by ``trust_certs``: the
    pin must reach the processes that check the signatures."""
    import datetime as dt

    from support import synth

    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    signer = synth.mint_certificate("CN=Pinned signer", start, start + dt.timedelta(days=365), key_slot=5)
    for i in range(6):
        host = f"fs{i}.pinned.example"
        doc = synth.federation_metadata(f"http://{host}/adfs/services/trust", host, [signer], [], key=synth.private_key(2048, 5))
        (tmp_path / f"metadata-{i}.xml").write_bytes(doc)
    pin = tmp_path.parent / f"{tmp_path.name}-pin.cer"
    pin.write_bytes(signer)
    assert not fedaudit.load(tmp_path, workers=2).certificates["authenticated"].any()
    one = fedaudit.load(tmp_path, workers=1, trust_certs=[pin])
    two = fedaudit.load(tmp_path, workers=2, trust_certs=[pin])
    assert one.certificates["authenticated"].all()
    _same(one, two)


def test_no_process_pool_here_reads_in_this_process(estate, monkeypatch):
    """Where no pool can start (no working semaphores, no /dev/shm: some containers and
    serverless hosts), the files are read in this process, not a crash."""
    one = fedaudit.load(estate, workers=1)

    def no_pool(*args, **kwargs):
        raise OSError(38, "Function not implemented")  # sem_open where /dev/shm is missing

    monkeypatch.setattr(load_module.concurrent.futures, "ProcessPoolExecutor", no_pool)
    _same(one, fedaudit.load(estate, workers=2))


@pytest.mark.parametrize("bad", ["2", 2.5, True, 0, -3])
def test_workers_that_is_not_a_whole_number_of_one_or_more_is_a_usage_error(estate, bad):
    with pytest.raises(UsageError, match="workers"):
        fedaudit.load(estate / "samples", workers=bad)


def test_workers_is_capped_by_the_files_and_the_platform():
    assert load_module._workers(20_000, 3) == 3
    assert load_module._workers(20_000, 100_000) == 64


def test_a_link_is_dated_by_the_manifest_that_names_its_target(tmp_path):
    """A collector manifest dates the files it names; a link inside the folder to one of them is
    the same export and gets the same capture time (not its modification time)."""
    (tmp_path / "manifest.json").write_text(
        '{"fedaudit_collector": 1, "started": "2025-01-02T03:04:05Z", "files": [{"name": "adfs.txt"}]}'
    )
    (tmp_path / "adfs.txt").write_text(
        "PS C:\\> Get-AdfsProperties\n\nHostName   : fs.contoso.com\nIdentifier : http://fs.contoso.com/adfs/services/trust\n"
    )
    (tmp_path / "copy.txt").symlink_to("adfs.txt")
    for workers in (1, 2):
        dated = {Path(i.path).name: (i.captured_at, i.captured_from) for i in fedaudit.load(tmp_path, workers=workers).inputs}
        assert dated["copy.txt"] == dated["adfs.txt"]
        assert "manifest" in dated["copy.txt"][1]


def test_two_documents_whose_names_print_alike_keep_their_own_records(tmp_path):
    """``m\\xff.xml`` (a backslash in the name) and ``m<byte FF>.xml`` print as the same text:
    each document's own parse and signature check must still be the one used for it."""
    docs = sorted((SAMPLES / "metadata").glob("fs.*.xml"))[:2]
    base = os.fsencode(tmp_path)
    try:
        with open(os.path.join(base, b"m\xff.xml"), "wb") as fh:
            fh.write(docs[0].read_bytes())
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (tmp_path / "m\\xff.xml").write_bytes(docs[1].read_bytes())
    for workers in (1, 2):
        metadata = fedaudit.load(tmp_path, workers=workers).metadata
        assert sorted(metadata["sha256"]) == sorted(load_module.hashlib.sha256(d.read_bytes()).hexdigest() for d in docs)
        assert metadata["entity_id"].nunique() == 2


@pytest.fixture()
def a_thread_runs():
    stop = threading.Event()
    worker = threading.Thread(target=stop.wait)
    worker.start()
    yield
    stop.set()
    worker.join()


def _main(monkeypatch, *, file=None, spec=None):
    import types

    main = types.ModuleType("__main__")
    if file is not None:
        main.__file__ = file
    main.__spec__ = None if spec is None else types.SimpleNamespace(name=spec)
    monkeypatch.setitem(__import__("sys").modules, "__main__", main)


def test_spawn_is_used_only_where_it_cannot_run_the_callers_script_again(monkeypatch, a_thread_runs):
    """``spawn`` re-imports the main module in each worker: a script without a ``__main__``
    guard would run twice. With another thread running (fork unsafe), an explicit workers=2
    spawns only for a main module without a file or a known guarded one; else reads here."""
    _main(monkeypatch, file="/home/admin/audit.py")  # an unguarded script, perhaps
    assert load_module._start_method() is None
    assert load_module._workers(2, 1000) == 1
    _main(monkeypatch, spec="someones.tool")  # python -m someones.tool
    assert load_module._start_method() is None
    for safe in ({}, {"spec": "ipykernel_launcher"}, {"spec": "fedaudit.__main__"}):  # -c, Jupyter, python -m fedaudit
        _main(monkeypatch, **safe)
        assert load_module._start_method() == "spawn"
        assert load_module._workers(2, 1000) == 2
        assert load_module._workers(None, 100_000) == 1  # never by itself


def test_an_unguarded_script_with_a_thread_runs_once(tmp_path):
    """The newcomer's case: a script without a guard, a logging thread, workers=2."""
    import subprocess
    import sys

    script = tmp_path / "audit.py"
    script.write_text(
        "import threading, time, fedaudit\n"
        "threading.Thread(target=time.sleep, args=(30,), daemon=True).start()\n"
        "print('TOP-LEVEL RUN', flush=True)\n"
        f"ev = fedaudit.load({str(SAMPLES)!r}, workers=2)\n"
        "print('loaded', len(ev.inputs), flush=True)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("TOP-LEVEL RUN") == 1 and done.stdout.count("loaded") == 1
    assert "Traceback" not in done.stderr


def test_workers_may_be_a_numpy_integer(estate):
    import numpy as np

    _same(fedaudit.load(estate / "samples", workers=1), fedaudit.load(estate / "samples", workers=np.int64(2)))
