"""Project hygiene a reviewer checks first: docs in step with code, envs in step, clean notebooks."""

from __future__ import annotations

import json
import re
import tomllib

import yaml

from helpers.data.schema import markdown_table_docs

from conftest import BAD, ROOT


def test_data_readme_documents_the_contract_as_coded():
    text = (ROOT / "data" / "README.md").read_text()
    documented = text.split("-->\n", 1)[1].split("<!-- contract:end -->")[0]
    assert documented == markdown_table_docs(), "run: python -m helpers contract, and paste into data/README.md"


def test_data_readme_states_a_decision_for_every_bad_case():
    text = (ROOT / "data" / "README.md").read_text()
    for case in BAD.iterdir():
        if case.is_dir():
            level = yaml.safe_load((case / "expect.yml").read_text())["level"]
            assert f"| `{case.name}` | {level} |" in text


def _names(requirements: list[str]) -> dict[str, str]:
    return {re.split(r"[<>=\[ ]", r, maxsplit=1)[0].lower(): r for r in requirements}


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    pip_section = next(d["pip"] for d in env if isinstance(d, dict))
    assert [r for r in pip_section if not r.startswith("-e")] == project
    assert "python=3.11" in env


def test_constraints_pin_every_dependency():
    """The workbench's dependencies and its test extra are all pinned."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    project = _names(project["dependencies"] + project["optional-dependencies"]["test"])
    pins = {line.split("==")[0].lower() for line in (ROOT / "constraints.txt").read_text().splitlines() if "==" in line}
    assert set(project) <= pins


def test_notebooks_committed_clean_and_parameterised():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks
    for path in notebooks:
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path.name
        tagged = [c for c in code if "parameters" in c.get("metadata", {}).get("tags", [])]
        assert len(tagged) == 1 and "data_dir" in "".join(tagged[0]["source"]), path.name
