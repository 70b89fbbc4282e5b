"""Words and numbers for people: names in words, data labels, decimals that keep an estimate in its CI."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers.figures.theme import partial_periods
from helpers.fmt import decimals, label_words, prose, words


@pytest.mark.parametrize(
    ("label", "shown"),
    [("baby_3_6m", "baby 3–6m"), ("1-inf", "1 or more"), ("350+", "350 or more"), ("0-50", "0–50"), ("True", "yes")],
)
def test_data_labels_read_as_words(label: str, shown: str):
    assert label_words(label) == shown


def test_names_in_sentences_become_words():
    assert words("koc_threshold") == "KOC threshold (messages)"
    assert words("unknown_name") == "Unknown name" and words("unknown_name", capital=False) == "unknown name"
    assert prose("exit_30d: promo_high - control") == "left within 30 days: promo high - control"


@pytest.mark.parametrize(
    ("value", "low", "high"), [(3.1449, 3.1402, 3.1601), (0.0518, 0.0488, 0.0548), (1.5, 1.2, 1.8)]
)
def test_the_rounded_estimate_stays_inside_its_rounded_interval(value: float, low: float, high: float):
    d = decimals(value, low, high)
    assert round(low, d) <= round(value, d) <= round(high, d) and round(low, d) < round(high, d)


def test_partial_periods_are_the_first_and_last_weeks_the_data_covers_in_part():
    starts = pd.Series(pd.date_range("2024-12-30", periods=53, freq="7D"))
    spans = partial_periods(
        starts, "week", pd.Timestamp("2025-01-01 08:00", tz="UTC"), pd.Timestamp("2025-12-31 20:00")
    )
    assert [s.date().isoformat() for s, _ in spans] == ["2024-12-30", "2025-12-29"]
