"""Tables for people: headers in words, p-values never 0, no index column, mappings spelled out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers.reporting.tables import people_table, table_html, words


def _lifelines_like() -> pd.DataFrame:
    """The shape of lifelines' summary: covariates as the index, its own column names."""
    index = pd.Index(["log_size", "log_size_sq"], name="covariate")
    return pd.DataFrame(
        {
            "exp(coef)": [3.1449, 0.98],
            "exp(coef) lower 95%": [3.1402, 0.95],
            "exp(coef) upper 95%": [3.1601, 1.01],
            "p": [0.0, 0.0312],
            "n": np.array([1200, 1200], dtype=np.int64),
        },
        index=index,
    )


def test_headers_are_words_the_index_is_a_column_and_p_is_never_zero():
    shown = people_table(_lifelines_like())
    assert list(shown.columns) == ["term", "hazard ratio", "HR, 95% CI low", "HR, 95% CI high", "p-value", "count"]
    assert list(shown["term"]) == ["ln group size", "ln group size, squared"]
    assert list(shown["p-value"]) == ["< 0.001", "0.03"]
    assert list(shown["count"]) == ["1,200", "1,200"]
    # three significant figures keep the estimate inside its own interval
    assert shown.loc[0, ["hazard ratio", "HR, 95% CI low", "HR, 95% CI high"]].tolist() == ["3.14", "3.14", "3.16"]


def test_mappings_missing_values_and_plain_frames():
    frame = pd.DataFrame({"groups_per_arm": [{"control": 266, "promo_high": 265}], "ci_low": [np.nan]})
    shown = people_table(frame)
    assert list(shown.columns) == ["Groups per arm", "95% CI low"]
    assert shown.iloc[0].tolist() == ["Control 266, Promo high 265", "—"]
    html = table_html(frame)
    assert "<th>Groups per arm</th>" in html and "NaN" not in html and "{" not in html
    assert "<th></th>" not in html  # no index column
    assert words("koc_threshold") == "KOC threshold (messages)"
