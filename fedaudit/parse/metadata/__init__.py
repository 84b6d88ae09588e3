"""Sans-IO federation metadata: :mod:`.parse` (hardened lxml), :mod:`.verify` (signxml),
:mod:`.read` (saved documents and fetch sidecars -> records). The public facade is
:mod:`fedaudit.metadata`."""
