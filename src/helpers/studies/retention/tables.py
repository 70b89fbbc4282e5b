"""Study 1's tables for reading, built from its numbers (``RetentionEstimates``)."""

from __future__ import annotations

import math

import pandas as pd

from helpers.studies.retention.estimate import RetentionEstimates
from helpers.studies.retention.findings import incidence_words


def ways_out_table(table: pd.DataFrame) -> pd.DataFrame:
    """Cumulative incidence per level and way out, one column per day, each cell 'share (CI)' or why not."""
    if table.empty:
        return table

    def cell(row: pd.Series) -> str:
        if not math.isfinite(row["incidence"]):
            return "not estimable"
        return incidence_words("", row, level="")

    shown = table.assign(cell=table.apply(cell, axis=1), day=table["days"].map(lambda d: f"by day {d:g}"))
    wide = shown.pivot_table(index=["level", "cause"], columns="day", values="cell", aggfunc="first", sort=False)
    wide = wide[[f"by day {d:g}" for d in dict.fromkeys(table["days"])]]
    wide.columns.name = None
    members = table.groupby(["level", "cause"], sort=False)["members"].first()
    return wide.assign(members=members).reset_index()


def rmst_table(overall: pd.DataFrame, by_level: pd.DataFrame, differences: pd.DataFrame) -> pd.DataFrame:
    """RMST overall and per level, each level's difference from the reference beside it."""
    table = pd.concat([overall, by_level], ignore_index=True)
    diff = differences.rename(columns={"se": "difference_se", "ci_low": "diff_ci_low", "ci_high": "diff_ci_high"})
    out = table.merge(diff.drop(columns=["reason"]), on="level", how="left")
    shown = ["level", "rmst", "ci_low", "ci_high", "members", "groups", "reference", "difference"]
    return out[[*shown, "diff_ci_low", "diff_ci_high"]].round(2)


def tables(est: RetentionEstimates) -> dict[str, pd.DataFrame]:
    """The report's tables: the Cox model, its PH test, conversions, and (where measurable) RMST and ways out."""
    cox_table = est.cox.coefficients
    out = {
        "cox": cox_table[["exp(coef)", "exp(coef) lower 95%", "exp(coef) upper 95%", "p"]].round(3)
        if not cox_table.empty
        else pd.DataFrame(),
        "ph_test": est.cox.ph_test.round(4),
    }
    if est.conversion_by_level is not None:
        out[f"conversion_by_{est.params.segment_by}"] = est.conversion_by_level.round(4)
        out["conversion_by_cohort"] = est.conversion_by_cohort.round(4)
    if not est.unrecorded:
        out["rmst"] = rmst_table(est.rmst_overall.levels, est.rmst_by.levels, est.rmst_by.differences)
        out["ways_out_table"] = ways_out_table(pd.concat([est.ways_out.table, est.ways_by.table], ignore_index=True))
        out["activity_ways_table"] = ways_out_table(est.activity_ways.table)
    return out
