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
from helpers.fmt import GLOSSARY, words

__all__ = ["GLOSSARY", "cell", "parameter_value", "people_table", "table_html", "words"]

P_COLUMNS = {"p", "p_value", "p-value", "pvalue", "p value", "p_adjusted", "p_holm"}


def parameter_value(value: object) -> str:
    """A parameter's value for reading: names in words, numbers formatted, lists joined, None as 'none'."""
    if value is None:
        return "none"
    if isinstance(value, str):
        return words(value, capital=False) if re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)+", value) else value
    return cell(value)


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
    return fmt.prose(str(value))


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
            shown[words(column)] = [words(v) if isinstance(v, str) and v in GLOSSARY else cell(v) for v in values]
        else:
            shown[words(column)] = [cell(v, p_value=str(column).lower() in P_COLUMNS) for v in values]
    return pd.DataFrame(shown)


def table_html(table: pd.DataFrame) -> str:
    """A formatted table as HTML without an index column (values already in words: escaped, not reformatted)."""
    return people_table(table).to_html(index=False, escape=True, border=0, classes="people-table")
