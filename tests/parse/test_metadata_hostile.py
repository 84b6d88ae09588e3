"""Hostile XML: external entities, entity expansion, oversize and overdeep documents.

Each is refused (or, for XInclude, not acted upon) as a load issue; no exception escapes, and the
content of the local file the attack points at appears in no output.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

import fedaudit
from fedaudit.errors import HostileXMLError
from fedaudit.frames import frame_records
from fedaudit.metadata import parse_metadata, read_metadata, verify_metadata

MD = "urn:oasis:names:tc:SAML:2.0:metadata"


@pytest.fixture
def secret(tmp_path) -> tuple[Path, str]:
    token = f"FEDAUDIT-SECRET-{secrets.token_hex(8)}"
    path = tmp_path / "secret.txt"
    path.write_text(token, encoding="ascii")
    return path, token


def _attacks(secret_path: Path) -> dict[str, bytes]:
    uri = secret_path.as_uri()
    body = f'<md:EntityDescriptor xmlns:md="{MD}" entityID="&x;"><md:Extensions>&x;</md:Extensions></md:EntityDescriptor>'
    return {
        "xxe-general-entity": f'<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor [<!ENTITY x SYSTEM "{uri}">]>{body}'.encode(),
        "xxe-parameter-entity": (
            f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "{uri}"> %p;]>'
            f'<md:EntityDescriptor xmlns:md="{MD}" entityID="urn:x"/>'
        ).encode(),
        "external-dtd": (
            f'<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor SYSTEM "{uri}">'
            f'<md:EntityDescriptor xmlns:md="{MD}" entityID="urn:x"/>'
        ).encode(),
        "xxe-utf16": ('<?xml version="1.0" encoding="UTF-16"?>'
                      f'<!DOCTYPE md:EntityDescriptor [<!ENTITY x SYSTEM "{uri}">]>{body}').encode("utf-16"),
        "xxe-network": (
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:9/x">]>'
            f'<md:EntityDescriptor xmlns:md="{MD}" entityID="&x;"/>'
        ).encode(),
    }


def _everything(results) -> str:
    """Every output a caller could see, as text."""
    return repr(results) + "".join(str(i.message) for r in results for i in r.issues)


@pytest.mark.parametrize("attack", ["xxe-general-entity", "xxe-parameter-entity", "external-dtd", "xxe-utf16", "xxe-network"])
def test_external_entities_are_refused(secret, attack):
    path, token = secret
    data = _attacks(path)[attack]
    with pytest.raises(HostileXMLError, match="DOCTYPE"):
        parse_metadata(data, f"{attack}.xml")
    with pytest.raises(HostileXMLError):
        verify_metadata(data, f"{attack}.xml")
    results = read_metadata([(f"{attack}.xml", data)], [])
    [result] = results
    assert result.kind == "federation metadata (refused)" and result.observations == ()
    [issue] = result.issues
    assert issue.severity == "high" and "DOCTYPE" in issue.message
    assert result.metadata[0].error == issue.message
    assert token not in _everything(results)


def test_external_entities_through_the_loader(secret, tmp_path):
    path, token = secret
    folder = tmp_path / "evidence"
    folder.mkdir()
    for name, data in _attacks(path).items():
        (folder / f"{name}.xml").write_bytes(data)
    evidence = fedaudit.load(folder)
    dump = repr([frame_records(f) for f in evidence.frames().values()])
    assert token not in dump
    metadata_issues = [r for r in frame_records(evidence.issues) if "DOCTYPE" in r["message"]]
    assert len(metadata_issues) == len(_attacks(path)) == len(evidence.inputs)
    assert {r["severity"] for r in metadata_issues} == {"high"}
    assert len(evidence.certificates) == 0


def test_xinclude_is_not_processed(secret):
    path, token = secret
    data = (
        f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:xi="http://www.w3.org/2001/XInclude" entityID="urn:x">'
        f'<md:Extensions><xi:include href="{path.as_uri()}" parse="text"/></md:Extensions></md:EntityDescriptor>'
    ).encode()
    results = read_metadata([("xinclude.xml", data)], [])
    assert results[0].metadata[0].entity_id == "urn:x"
    assert token not in _everything(results)


def test_billion_laughs_is_refused():
    lols = "".join(
        f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)
    )
    data = (
        f'<?xml version="1.0"?><!DOCTYPE md:EntityDescriptor [<!ENTITY lol0 "lol">{lols}]>'
        f'<md:EntityDescriptor xmlns:md="{MD}" entityID="&lol9;"/>'
    ).encode()
    [result] = read_metadata([("laughs.xml", data)], [])
    assert result.issues[0].severity == "high"
    assert "DOCTYPE" in result.issues[0].message
    assert "lollol" not in _everything([result])


def _big_document(path: Path, size: int) -> None:
    head = f'<md:EntityDescriptor xmlns:md="{MD}" entityID="urn:big"><md:Extensions>'.encode()
    tail = b"</md:Extensions></md:EntityDescriptor>"
    chunk = b"<x>" + b"A" * (1024 * 1024 - 7) + b"</x>"
    with path.open("wb") as out:
        out.write(head)
        written = len(head)
        while written < size:
            out.write(chunk)
            written += len(chunk)
        out.write(tail)


def test_sixty_megabyte_document_is_refused(tmp_path):
    path = tmp_path / "big.xml"
    _big_document(path, 60 * 1024 * 1024)
    data = path.read_bytes()
    [result] = read_metadata([(str(path), data)], [])
    [issue] = result.issues
    assert issue.severity == "high"
    assert issue.message == f"document is {len(data)} bytes, over the {50 * 1024 * 1024}-byte limit"
    del data
    evidence = fedaudit.load(tmp_path)  # the loader refuses it before reading it
    [row] = frame_records(evidence.issues)
    assert "over the" in row["message"] and row["severity"] == "high"


def test_size_limit_is_a_parameter():
    data = f'<md:EntityDescriptor xmlns:md="{MD}" entityID="urn:x"/>'.encode()
    with pytest.raises(HostileXMLError, match="over the 10-byte limit"):
        parse_metadata(data, "x.xml", max_bytes=10)


def test_huge_text_node_is_refused():
    data = (f'<md:EntityDescriptor xmlns:md="{MD}" entityID="urn:x"><md:Extensions><x>'.encode()
            + b"A" * (11 * 1024 * 1024) + b"</x></md:Extensions></md:EntityDescriptor>")
    with pytest.raises(HostileXMLError, match="Text node too long"):
        parse_metadata(data, "text.xml")


def test_deep_nesting_is_refused():
    depth = 200_000
    data = (f'<md:EntityDescriptor xmlns:md="{MD}" entityID="urn:deep">'.encode()
            + b"<a>" * depth + b"</a>" * depth + b"</md:EntityDescriptor>")
    with pytest.raises(HostileXMLError, match="nested deeper than 100 levels"):
        parse_metadata(data, "deep.xml")
    [result] = read_metadata([("deep.xml", data)], [])
    assert result.issues[0].severity == "high"
    assert result.metadata[0].error == "elements nested deeper than 100 levels are refused"
    # a depth limit of our own, below libxml2's 256
    shallow = (f'<md:EntityDescriptor xmlns:md="{MD}" entityID="urn:x">'.encode()
               + b"<a>" * 150 + b"</a>" * 150 + b"</md:EntityDescriptor>")
    with pytest.raises(HostileXMLError, match="nested deeper than 100 levels"):
        parse_metadata(shallow, "x.xml")
    assert parse_metadata(shallow, "x.xml", max_depth=200).entities[0].entity_id == "urn:x"
