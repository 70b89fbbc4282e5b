"""Tables for people: plain-language headers, formatted numbers, CIs and p-values, no index columns.

Every table a report shows goes through ``people_table``: the study's frame is kept as it
is (results.json carries the raw values); only what the reader sees is rewritten.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from helpers import fmt

GLOSSARY = {
    "coef": "log hazard ratio",
    "exp(coef)": "hazard ratio",
    "se(coef)": "standard error (log scale)",
    "coef lower 95%": "log HR, 95% CI low",
    "coef upper 95%": "log HR, 95% CI high",
    "exp(coef) lower 95%": "HR, 95% CI low",
    "exp(coef) upper 95%": "HR, 95% CI high",
    "cmp to": "compared with",
    "z": "z statistic",
    "p": "p-value",
    "-log2(p)": "evidence (bits, −log₂ p)",
    "test_statistic": "test statistic",
    "covariate": "term",
    "n": "count",
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "log_size": "ln group size",
    "log_size_sq": "ln group size, squared",
    "target_size": "planned group size",
    "window_days": "days to fill",
    "horizon_days": "horizon (days)",
    "koc_threshold": "KOC threshold (messages)",
    "arm": "arm",
    "exit_30d": "left within 30 days",
    "messages_per_member_week": "messages per member-week",
    "messages_per_member": "messages per member",
    "ci_width_without_cuped": "CI width without CUPED",
    "ci_width_with_cuped": "CI width with CUPED",
}
"""Column and parameter names as a reader should see them (others: underscores to spaces)."""

P_COLUMNS = {"p", "p_value", "p-value", "pvalue", "p value", "p_adjusted", "p_holm"}


def words(name: object) -> str:
    """A column, index or parameter name in plain words: the glossary's, else underscores as spaces."""
    text = str(name)
    if text in GLOSSARY:
        return GLOSSARY[text]
    spaced = re.sub(r"_+", " ", text).strip()
    return spaced[:1].upper() + spaced[1:] if spaced else text


def cell(value: object, p_value: bool = False) -> str:
    """One value for reading: p-values as '< 0.001', numbers to 3 significant figures, mappings as 'a 1, b 2'."""
    if isinstance(value, Mapping):
        return ", ".join(f"{words(k)} {cell(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(cell(v) for v in value)
    if value is None or (isinstance(value, float | np.floating) and math.isnan(value)):
        return "—"
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | np.integer):
        return f"{int(value):,}"
    if isinstance(value, float | np.floating):
        x = float(value)
        if p_value:
            return fmt.p_value(x).removeprefix("= ")
        if math.isinf(x):
            return "∞" if x > 0 else "−∞"
        if x == int(x) and abs(x) < 1e15:
            return f"{int(x):,}"
        return f"{x:,.3g}" if abs(x) >= 1e-3 else f"{x:.2e}"
    return str(value)


def people_table(table: pd.DataFrame) -> pd.DataFrame:
    """The frame as a reader sees it: a meaningful index becomes a column, headers in words, values formatted."""
    frame = table.copy()
    from_index: list[str] = []
    if not isinstance(frame.index, pd.RangeIndex):
        from_index = [n or "term" for n in frame.index.names]
        frame = frame.reset_index(names=from_index)
        frame.columns = [str(c) for c in frame.columns]
    shown: dict[str, list[str]] = {}
    for column in frame.columns:
        values = frame[column]
        if column in from_index:
            # covariate and row names are names too: 'log_size' reads as 'ln group size'
            shown[words(column)] = [words(v) if isinstance(v, str) else cell(v) for v in values]
        else:
            shown[words(column)] = [cell(v, p_value=str(column).lower() in P_COLUMNS) for v in values]
    return pd.DataFrame(shown)


def table_html(table: pd.DataFrame) -> str:
    """A formatted table as HTML without an index column (values already in words: escaped, not reformatted)."""
    return people_table(table).to_html(index=False, escape=True, border=0, classes="people-table")
