"""The architecture as tests: the package's layers hold, and study notebooks only display what the package decides."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

STUDY_NOTEBOOKS = sorted(p for p in (ROOT / "notebooks").glob("0*.ipynb"))
DISPLAY_CALLS = {"show_findings", "show_verdicts", "show_figure", "show_table", "show_methods", "show_note", "publish"}
"""What a study notebook's cells may call, besides opening the data and summarise()."""


def test_layer_contracts_hold():
    """import-linter over helpers: lower layers never import higher ones, studies never import each other."""
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    assert "2 kept, 0 broken" in run.stdout


def _code_cells(path: Path) -> list[tuple[list[str], ast.Module]]:
    cells = json.loads(path.read_text())["cells"]
    return [
        (c.get("metadata", {}).get("tags", []), ast.parse("".join(c["source"])))
        for c in cells
        if c["cell_type"] == "code"
    ]


def _called(node: ast.AST) -> str:
    func = node.func if isinstance(node, ast.Call) else None
    return func.id if isinstance(func, ast.Name) else ast.unparse(func) if func is not None else ""


@pytest.mark.parametrize("path", STUDY_NOTEBOOKS, ids=lambda p: p.stem)
def test_study_notebook_cells_only_display(path: Path):
    """No cell computes, branches on results, formats or judges: imports, one summarise() call, display calls."""
    summarised = 0
    for tags, tree in _code_cells(path):
        if "parameters" in tags:
            continue
        for statement in tree.body:
            if isinstance(statement, ast.Import | ast.ImportFrom):
                continue
            if isinstance(statement, ast.If):  # only the Explore section, on the `interactive` parameter
                assert ast.unparse(statement.test) == "interactive", ast.unparse(statement)
                continue
            if isinstance(statement, ast.Assign):
                target = ast.unparse(statement.targets[0])
                call = _called(statement.value)
                allowed = {("ds", "open_dataset"), ("result", "summarise")}
                assert (target, call) in allowed or (target == "params" and call.endswith("Params")), ast.unparse(
                    statement
                )
                summarised += call == "summarise"
                continue
            assert isinstance(statement, ast.Expr) and _called(statement.value) in DISPLAY_CALLS, ast.unparse(statement)
    assert summarised == 1
