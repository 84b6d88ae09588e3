"""IO at the edge: the only stage that touches files and the network.

* :mod:`fedaudit.io.files` - which files of an evidence folder are inputs (discovery, size limit)
* :mod:`fedaudit.io.fetch` - federation metadata over HTTPS, every attempt kept as evidence
* :mod:`fedaudit.io.collector` - the manifest the PowerShell collector writes beside its files
* :mod:`fedaudit.io.graph` - Entra ID's side (domains, federation configuration) from Microsoft
  Graph, kept as a hashed evidence folder like the collector's (``fedaudit collect entra``)
"""
