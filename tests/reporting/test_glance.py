"""The index's kept-and-bought figure: drawn from results.json fields only, each panel saying why when it cannot."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.reporting import glance  # noqa: E402


def _e(value, low, high):
    return {"value": value, "ci_low": low, "ci_high": high}


def test_kept_and_bought_bars_skip_what_was_not_measured():
    _, ax = plt.subplots()
    headline = {
        "retention_7d": _e(0.8, 0.78, 0.82),
        "retention_30d": _e(0.6, 0.57, 0.63),
        "retention_90d": {"value": math.nan, "ci_low": math.nan, "ci_high": math.nan, "reason": "too short"},
        "paid_conversion_30d": _e(0.05, 0.04, 0.06),
    }
    glance._kept_and_bought(ax, headline)
    bars = [p.get_width() for p in ax.patches]
    assert bars == [80.0, 60.0, 5.0]  # in %, the unmeasured 90-day share left out
    assert [t.get_text() for t in ax.get_yticklabels()] == ["kept 7 days", "kept 30 days", "bought within 30 days"]
    plt.close("all")


def test_each_panel_says_why_when_its_study_is_missing():
    _, axes = plt.subplots(1, 3)
    glance._kept_and_bought(axes[0], {})
    glance._by_size(axes[1], {"conversion_by_size_band": None})
    glance._net_value(axes[2], {"exit_30d: promo_high": _e(0.01, 0.0, 0.02)})
    texts = [" ".join(t.get_text() for t in ax.texts) for ax in axes]
    assert "No retention report" in texts[0] and "No size report" in texts[1] and "No experiment report" in texts[2]
    plt.close("all")


def test_the_figure_is_inline_with_its_caption():
    documents = {"x": {"results": {"study": "experiment", "headline": {"net_value: promo_low": _e(1.0, -1.0, 3.0)}}}}
    html = glance.glance_figure(documents)
    assert html.startswith("<figure><img") and "data:image/png;base64," in html and glance.CAPTION in html
