"""The two dependency lists (pyproject.toml, environment.yml) must say the same."""

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]


def _name(spec: str) -> str:
    return re.split(r"[<>=!~;\[ ]", spec.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_name(d) for d in project["dependencies"]} | {
        _name(d) for extra in ("test", "pdf") for d in project["optional-dependencies"][extra]
    }
    text = (ROOT / "environment.yml").read_text()
    section = text.split("\ndependencies:\n", 1)[1]
    deps = {_name(line.strip()[2:]) for line in section.splitlines() if line.startswith("  - ") and line.strip() not in ("- pip", "- pip:")}
    # packages only PyPI has sit under "- pip:" (indented further); "-e ." is the project itself
    pip = section.split("  - pip:\n", 1)[1] if "  - pip:\n" in section else ""
    deps |= {_name(line.strip()[2:]) for line in pip.splitlines() if line.startswith("      - ") and line.strip() != "- -e ."}
    deps -= {"python"}
    assert deps == wanted


def test_version_is_single_sourced():
    import fedaudit

    assert re.fullmatch(r"\d+\.\d+\.\d+", fedaudit.__version__)
