"""IO at the edge: the only stage that touches files and the network.

* :mod:`fedaudit.io.files` - which files of an evidence folder are inputs (discovery, size limit)
* :mod:`fedaudit.io.fetch` - federation metadata over HTTPS, every attempt kept as evidence
* :mod:`fedaudit.io.collector` - the manifest the PowerShell collector writes beside its files
"""
