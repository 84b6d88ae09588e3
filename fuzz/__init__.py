"""Mutation fuzzing of fedaudit's parsers (issue 12): ``make fuzz`` / ``python -m fuzz``.

Seeds are the sample estate (``data/samples``) and the test fixtures (``tests/data``). Each input
is one seed damaged by a few mutations drawn from a seeded ``random.Random`` (byte flips,
truncations, splices of two seeds, encoding damage: UTF-16 re-encoding, stray BOMs, invalid
UTF-8, NULs, CR/LF changes, ...), so a run is reproducible from ``--seed`` alone. Every input goes
through every sans-IO parser that could take it (:func:`fedaudit.parse.read_export`,
metadata parsing, signature verification and reading, fetch sidecars, collector manifests,
certificate decoders); every ``--load-every``-th input is also written into a folder and read
with :func:`fedaudit.load`.

A *crash* is any exception that is not a :class:`~fedaudit.errors.FedauditError`, and an
"internal error" load issue (``read_export`` turns unexpected exceptions into one so a bad file
never stops the others; the fuzzer re-runs the reader to get the traceback). Each distinct crash
(exception type and place) is saved once under ``--out`` (``fuzz-out/``, git-ignored) as the
input bytes plus a ``.txt`` with target, seed file, mutations and traceback. A crash found once
becomes a regression test: copy the input into ``tests/data/fuzz/`` (``tests/test_fuzz.py`` runs
every file there through every target).

Lives outside the installed package: it is a development tool, not part of the audit.
"""

from fuzz.engine import Crash, FuzzReport, Target, corpus, mutate, run, run_targets, targets

__all__ = ["Crash", "FuzzReport", "Target", "corpus", "mutate", "run", "run_targets", "targets"]
