"""The plain path of the console reader (``pslist._plain_scan``, issue 13) gives exactly the
objects the general reader gives, on every capture it accepts.

The plain path reads untouched PowerShell output one regex token per property; the general
reader (``pslist._general_scan``) reads any capture line by line. Whenever the plain path
returns objects they must equal the general reader's, field by field (properties, their lines,
the object's first line, the command, nothing dropped). Checked on every text file of the
samples and the test data, on ../shared/reference/formats when present, and on a few thousand
line-level mutations of the captures the plain path accepts (blank lines moved, lines indented
or flush left, properties repeated, prompts inserted, trailing blanks, unknown names ...).
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from fedaudit.errors import FedauditError
from fedaudit.parse.properties import ALL_KNOWN
from fedaudit.parse.pslist import _general_scan, _plain_scan, parse_captures, parse_format_list
from fedaudit.parse.textio import decode

ROOT = Path(__file__).resolve().parents[2]
SHARED_FORMATS = ROOT.parent / "shared" / "reference" / "formats"
KNOWN = frozenset(ALL_KNOWN)


def _texts(base: Path) -> list[tuple[str, str]]:
    out = []
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.suffix in (".py", ".key", ".xml", ".json", ".csv") or path.stat().st_size > 2_000_000:
            continue
        try:
            text = decode(path.read_bytes(), str(path))[0]
        except FedauditError:
            continue
        out.append((str(path.relative_to(base)), text))
    return out


def _agree(text: str, origin: str) -> int:
    """Compare both readers on ``text`` (with and without known names); plain acceptances."""
    taken = 0
    for known in (KNOWN, None):
        plain = _plain_scan(text, origin, known)
        if plain is None:
            continue
        taken += 1
        general = _general_scan(text, origin, known)
        assert plain == general, f"{origin} (known={'ALL_KNOWN' if known else None}): plain path differs"
    return taken


CORPUS = _texts(ROOT / "data" / "samples") + _texts(ROOT / "tests" / "data")


def test_the_plain_path_agrees_on_every_capture_of_the_samples_and_test_data():
    taken = sum(_agree(text, name) for name, text in CORPUS)
    # the test means something only when the plain path really reads much of the corpus
    assert taken >= 20, taken


def test_the_plain_path_agrees_on_the_verbatim_reference_formats():
    if not SHARED_FORMATS.is_dir():
        pytest.skip(f"{SHARED_FORMATS} not present (third-party reference material, not in the repo)")
    texts = _texts(SHARED_FORMATS)
    assert texts
    for name, text in texts:
        _agree(text, name)


def test_parse_captures_takes_the_plain_path_for_untouched_output_and_not_for_pastes():
    plain = (
        "PS C:\\> Get-MsolDomainFederationSettings -DomainName contoso.com | Format-List *\n\n"
        "ActiveLogOnUri     : https://fs.contoso.com/adfs/services/trust/2005/usernamemixed\n"
        "IssuerUri          : http://contoso.com/adfs/services/trust/\n"
        "SigningCertificate : MIIC9DCCAdygAwIBAgIQ\n"
        "                     ZVUdMrgNXAhVep+TMTD\n\n"
    )
    objects = _plain_scan(plain, "x.txt", KNOWN)
    assert objects is not None and len(objects) == 1
    obj = objects[0]
    assert obj.command == "Get-MsolDomainFederationSettings -DomainName contoso.com | Format-List *"
    assert obj.properties["SigningCertificate"] == "MIIC9DCCAdygAwIBAgIQ\nZVUdMrgNXAhVep+TMTD"
    assert obj.lines == {"ActiveLogOnUri": 3, "IssuerUri": 4, "SigningCertificate": 5} and obj.line == 3
    assert parse_captures(plain, "x.txt", known=KNOWN) == objects
    # paste artefacts and tables go to the general reader
    for other in (
        plain.replace("IssuerUri", "\u2605IssuerUri"),  # an annotation mark
        "`" + plain,  # Q&A backticks
        plain.replace("\n\nActive", "\n\nName Value\n---- -----\nx    y\n\nActive"),  # a table
        plain.replace("IssuerUri          :", "IssuerUri:"),  # Name: value without padding
        plain.replace("\n", "\n\n"),  # double spaced
        plain.replace("SigningCertificate : MIIC9DCCAdygAwIBAgIQ", "Certificate : [Subject]\n  CN=x"),
    ):
        assert _plain_scan(other, "x.txt", KNOWN) is None
        _agree(other, "x.txt")


# -- mutations --------------------------------------------------------------------------------------

_EXTRA = (
    "",
    "   ",
    "\t",
    "IssuerUri : http://x/adfs/services/trust/",
    "Unknown : value",
    "  continued value",
    "\tcontinued with a tab",
    "PS C:\\> Get-AdfsCertificate",
    "PS>",
    "PS : a>b",
    "PSComputerName : host",
    "Get-AdfsProperties",
    "...",
    "caption text",
    "Key :x",
    "Key  :",
    "issueruri : lower-case repeat",
    "IsPrimary : False  ",
    "A" * 120,
)


def _mutate(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.choice((1, 1, 2, 3))):
        if not lines:
            lines = [""]
        i = rng.randrange(len(lines))
        op = rng.randrange(8)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, rng.choice(_EXTRA))
        elif op == 2:
            lines.insert(i, lines[i])
        elif op == 3:
            lines[i] = " " * rng.choice((1, 2, 4, 20, 40)) + lines[i]
        elif op == 4:
            lines[i] = lines[i].lstrip()
        elif op == 5:
            lines[i] = lines[i] + rng.choice((" ", "  ", "\t", " x"))
        elif op == 6:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        else:
            lines.insert(i, "")
    return "\n".join(lines)


def test_the_plain_path_agrees_on_mutated_captures():
    seeds = [(name, text) for name, text in CORPUS if _plain_scan(text, name, None) is not None]
    assert seeds
    rng = random.Random(13)
    taken = 0
    for n in range(3000):
        name, text = rng.choice(seeds)
        mutated = _mutate(rng, text)
        taken += _agree(mutated, f"{name}#{n}")
    assert taken >= 1000, taken  # most mutations stay plain: the comparison ran


def test_known_names_may_be_any_collection():
    text = "IssuerUri : http://x/adfs/services/trust/\nIsPrimary : False\n"
    for known in ({"IssuerUri", "IsPrimary"}, ["IssuerUri", "IsPrimary"], frozenset({"IssuerUri", "IsPrimary"})):
        [obj] = parse_format_list(text, "x.txt", known=known)  # type: ignore[arg-type]
        assert obj.properties == {"IssuerUri": "http://x/adfs/services/trust/", "IsPrimary": "False"}


def test_plain_tokens_start_only_at_line_starts():
    """What keeps the plain path linear on hostile text: findall may try every position, and a
    token that could start mid-line would retry a long non-token line at each of its characters
    (quadratic: 2.5 s for 20,000 letters in the first version). Anchored at line starts, a line
    that is no token is tried once. tests/data/fuzz/long-lines-plain-console.txt is the hostile
    input (the fuzz regression test runs it with the hang alarm armed)."""
    from fedaudit.parse.pslist import _PLAIN_TOKEN

    rng = random.Random(5)
    alphabet = ["A", "b", "_", " ", "\t", ":", ">", "PS", "-", "x", "\n", "IssuerUri", " : ", "PS C:\\> "]
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60)))
        for m in _PLAIN_TOKEN.finditer(text):
            assert m.start() == 0 or text[m.start() - 1] == "\n", (text, m.start())
