"""ConvertTo-Json (5.1 and 7) and Graph REST JSON into PSObjects."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fedaudit.errors import ParseError
from fedaudit.parse.psjson import FORM_GRAPH, FORM_PS7, FORM_PS51, json_form, parse_json
from tests._structured_render import facts, json51_adfs_properties, json_adfs_certificates

UTC = dt.timezone.utc


@pytest.fixture(scope="module")
def der(request):
    from support.synth import mint_certificate

    return mint_certificate("CN=ADFS Signing - sts.contoso.com", dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC))


def test_ps51_dates_rawdata_and_form(der):
    text = json_adfs_certificates([(der, "Token-Signing", True)], "5.1")
    assert '"\\/Date(' in text and '":  ' in text
    [obj] = parse_json(text, "a.json")
    assert obj.form == FORM_PS51
    cert = obj.properties["Certificate"]
    assert cert["RawData"] == der
    assert cert["NotAfter"] == dt.datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert obj.properties["StoreLocation"] == 1
    assert obj.line == 1


def test_ps7_iso_dates_stay_text_and_array_lines(der):
    text = json_adfs_certificates([(der, "Token-Signing", True), (der, "Token-Decrypting", False)], "7")
    objs = parse_json(text, "b.json")
    assert [o.form for o in objs] == [FORM_PS7, FORM_PS7]
    assert objs[0].properties["Certificate"]["NotAfter"] == "2027-01-02T03:04:05+00:00"
    assert objs[0].properties["Certificate"]["RawData"] == der
    # the line of each array element is where its "{" stands
    lines = text.split("\n")
    for obj in objs:
        assert lines[obj.line - 1].strip() == "{"
    assert objs[0].line < objs[1].line


def test_ms_date_variants():
    text = json.dumps(
        {
            "a": "/Date(0)/",
            "b": "/Date(-62135568000000)/",
            "c": "/Date(1797006597000+0200)/",
            "d": {"value": "/Date(1000)/", "DisplayHint": 2, "DateTime": "Thursday, January 1, 1970"},
            "e": "/Date(99999999999999999)/",
            "f": "not /Date(1)/",
        }
    )
    [obj] = parse_json(text, "d.json")
    p = obj.properties
    assert p["a"] == dt.datetime(1970, 1, 1, tzinfo=UTC)
    assert p["b"] == dt.datetime(1, 1, 1, 8, 0, tzinfo=UTC)
    assert p["c"] == dt.datetime(2026, 12, 11, 16, 29, 57, tzinfo=UTC)  # ms are UTC whatever the suffix
    assert p["d"] == dt.datetime(1970, 1, 1, 0, 0, 1, tzinfo=UTC)
    assert p["e"] == "/Date(99999999999999999)/"  # beyond year 9999: left as text
    assert p["f"] == "not /Date(1)/"


def test_uri_object_of_51_kept_as_dict():
    [obj] = parse_json(json51_adfs_properties("sts.contoso.com", "http://sts.contoso.com/adfs/services/trust", True), "p.json")
    assert obj.properties["Identifier"]["OriginalString"] == "http://sts.contoso.com/adfs/services/trust"
    assert obj.properties["AutoCertificateRollover"] is True


def test_graph_collection_single_and_doc_wrapped_entity():
    entity = {"@odata.type": "#microsoft.graph.internalDomainFederation", "issuerUri": "http://x/adfs/services/trust"}
    listing = json.dumps({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#domains('a.com')/federationConfiguration", "value": [entity, entity]}, indent=2)
    objs = parse_json(listing, "l.json")
    assert len(objs) == 2 and all(o.form == FORM_GRAPH for o in objs)
    assert objs[0].properties["@odata.context"].endswith("domains('a.com')/federationConfiguration")
    assert objs[0].type_names == ("microsoft.graph.internalDomainFederation",)
    assert objs[0].line == 4 and objs[1].line == 8
    wrapped = parse_json(json.dumps({"value": entity}), "w.json")  # Graph docs' GET example (doc error 4)
    assert len(wrapped) == 1 and wrapped[0].properties["issuerUri"] == "http://x/adfs/services/trust"
    single = parse_json(json.dumps({"@odata.context": "c", "id": "a.com", "authenticationType": "Federated"}), "s.json")
    assert single[0].properties["id"] == "a.com"


def test_ps51_inputobject_array_wrapper():
    text = '{\n    "value":  [\n                  {"Name":  "a.com"},\n                  {"Name":  "b.com"}\n              ],\n    "Count":  2\n}'
    objs = parse_json(text, "v.json")
    assert [o.properties["Name"] for o in objs] == ["a.com", "b.com"]
    assert objs[0].form == FORM_PS51


def test_a_plain_object_with_a_value_key_is_one_object():
    [obj] = parse_json(json.dumps({"value": [1, 2], "Name": "x"}), "x.json")
    assert obj.properties == {"value": [1, 2], "Name": "x"}


@pytest.mark.parametrize(
    "text,form",
    [
        ('{"Name":  "a"}', FORM_PS51),
        ('{"@odata.context": "x", "id": "a"}', FORM_GRAPH),
        ('{"issuerUri": "x", "signingCertificate": "y"}', FORM_GRAPH),
        ('{\n  "IssuerUri": "x",\n  "SigningCertificate": "y"\n}', FORM_PS7),
    ],
)
def test_json_form(text, form):
    assert json_form(text) == form


@pytest.mark.parametrize(
    "text,message",
    [
        ('{"a": 1,,}', "not JSON"),
        ("42", "not an object"),
        ('"text"', "not an object"),
        ("[" * 5000 + "]" * 5000, "nested too deeply"),
    ],
)
def test_bad_json_is_a_parse_error(text, message):
    with pytest.raises(ParseError, match=message) as info:
        parse_json(text, "bad.json")
    assert info.value.origin == "bad.json"


def test_not_json_error_names_the_line():
    with pytest.raises(ParseError) as info:
        parse_json('{\n  "a": 1,\n  "b": oops\n}', "bad.json")
    assert info.value.line == 3


def test_non_object_elements_are_skipped(der):
    objs = parse_json(json.dumps([1, "x", {"Thumbprint": facts(der)["thumbprint"]}]), "m.json")
    assert len(objs) == 1
