"""Proofreading pages: each thing a reader must never see is found, and a clean page passes."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.reporting.proofread import problems
from helpers.reporting.tables import table_html


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("<p>Groups with koc_threshold members</p>", "a parameter or column name"),
        ("<p>The rate is NaN here</p>", "a bare NaN or infinity"),
        ("<p>size band 1-inf</p>", "a bare NaN or infinity"),
        ("<p>the effect (p = 0.0)</p>", "a p-value shown as 0"),
        ("<td>busiest hours [11, 16, 20]</td>", "a Python list or dict"),
        ("<td>{'control': 266}</td>", "a Python list or dict"),
        ("<p>95% CI -0.00 to 0.12</p>", "a negative zero"),
        ("<p>claims (shared/domain.md)</p>", "a file the reader does not have"),
        ("<p>hours 3.1× as busy (95% CI 3.14–3.16)</p>", "an estimate outside its own interval"),
        ('<table class="dataframe"><tr><td>1</td></tr></table>', "a table not built for reading"),
    ],
)
def test_each_thing_a_reader_must_not_see_is_found(text: str, problem: str):
    found = problems(f"<html><body>{text}</body></html>")
    assert any(f.startswith(problem) for f in found), found


def test_a_clean_page_and_a_people_table_pass():
    table = table_html(pd.DataFrame({"p": [0.0, 0.2], "size_band": ["350+", "0-50"], "ci_low": [0.1, float("nan")]}))
    page = (
        "<style>.a_b { color: red }</style><h1>Retention</h1><p>73.6% after 30 days (95% CI 73.0%–74.2%), "
        "p < 0.001; the claimed hours are 3.1× as busy (95% CI 3.1–3.2); from 153 (95% CI 140–165) to "
        f"341 members (95% CI 303 or more).</p>{table}"
    )
    assert problems(page) == []
