"""Scheduled operation: :mod:`.config` (the TOML file), :mod:`.schedule` (``fedaudit run``),
:mod:`.history` (the SQLite history of runs and drift between them)."""
