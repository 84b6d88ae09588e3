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
        assert load_module._start_method() == "spawn"
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
