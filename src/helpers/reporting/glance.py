"""The index's first figure: members kept beside members who bought, from the studies' results.json documents.

Three panels, each drawn only from fixed fields of a study's results (``studies.result``):
retention at 7, 30 and 90 days beside the share who made a paid conversion within 30 days
(retention study), paid conversions per member-week by size band (size study), and each
arm's net value per member against control (experiment). A panel whose study did not run
or could not measure it says so. The figure is a PNG inside the page (no external file).
"""

from __future__ import annotations

import base64
import io
import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from helpers.figures.axes import nothing_to_draw  # noqa: E402

CAPTION = (
    "Members kept and members who bought. Left: share of members still in their group 7, 30 and 90 days after "
    "joining, beside the share who made a paid conversion within 30 days. Middle: paid conversions per member-week "
    "by group size. Right: net value per member of each content arm against control (sales gained less members' "
    "expected future value lost). Bars and points carry 95% CIs that treat groups as independent units."
)


def _results(documents: dict[str, dict], study: str) -> dict:
    """The results of the first run of ``study`` (empty if none ran)."""
    for doc in documents.values():
        results = doc.get("results", {})
        if results.get("study") == study:
            return results
    return {}


def _usable(e: dict | None) -> bool:
    return bool(e) and all(isinstance(e.get(k), int | float) and math.isfinite(e[k]) for k in ("value", "ci_low"))


def _kept_and_bought(ax: plt.Axes, headline: dict) -> None:
    keys = [("retention_7d", "kept 7 days"), ("retention_30d", "kept 30 days"), ("retention_90d", "kept 90 days")]
    keys.append(("paid_conversion_30d", "bought within 30 days"))
    shown = [(label, headline[k]) for k, label in keys if _usable(headline.get(k))]
    if not shown:
        nothing_to_draw(ax, False, "Kept and bought", "No retention report, or nothing measurable.")
        return
    labels = [label for label, _ in shown]
    values = [100 * e["value"] for _, e in shown]
    low = [100 * (e["value"] - e["ci_low"]) for _, e in shown]
    high = [100 * (e["ci_high"] - e["value"]) if math.isfinite(e["ci_high"]) else 0 for _, e in shown]
    colours = ["C0" if "kept" in label else "C2" for label in labels]
    ax.barh(labels, values, xerr=[low, high], color=colours, alpha=0.85, capsize=3)
    ax.invert_yaxis()
    ax.set(xlabel="% of members", title="Kept and bought")


def _by_size(ax: plt.Axes, details: dict) -> None:
    rows = [r for r in details.get("conversion_by_size_band") or [] if _usable_rate(r)]
    if not rows:
        nothing_to_draw(ax, False, "Paid conversions by size", "No size report with conversions.")
        return
    labels = [str(r["size_band"]) for r in rows]
    values = [1000 * r["conversions_per_member_week"] for r in rows]
    err = [
        [1000 * (r["conversions_per_member_week"] - r["rate_ci_low"]) for r in rows],
        [1000 * (r["rate_ci_high"] - r["conversions_per_member_week"]) for r in rows],
    ]
    ax.bar(labels, values, yerr=err, color="C2", alpha=0.85, capsize=3)
    ax.set(xlabel="members in the group", ylabel="per 1,000 member-weeks", title="Paid conversions by size")


def _usable_rate(row: dict) -> bool:
    keys = ("conversions_per_member_week", "rate_ci_low", "rate_ci_high")
    return all(isinstance(row.get(k), int | float) and math.isfinite(row[k]) for k in keys)


def _net_value(ax: plt.Axes, headline: dict) -> None:
    arms = [(k.split(": ", 1)[1], e) for k, e in headline.items() if k.startswith("net_value: ") and _usable(e)]
    if not arms:
        nothing_to_draw(ax, False, "Net value vs control", "No experiment report with conversions.")
        return
    for i, (_, e) in enumerate(arms):
        high = e["ci_high"] if math.isfinite(e["ci_high"]) else e["value"]
        ax.errorbar(e["value"], i, xerr=[[e["value"] - e["ci_low"]], [high - e["value"]]], fmt="o", color="C1")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(arms)), [arm.replace("_", " ") for arm, _ in arms])
    ax.set_ylim(-0.6, len(arms) - 0.4)
    ax.set(xlabel="per member, vs control", title="Net value vs control")


def glance_figure(documents: dict[str, dict]) -> str:
    """The figure as an HTML <figure> with the PNG inline and its caption."""
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), gridspec_kw={"width_ratios": [1.2, 1, 1]})
    _kept_and_bought(axes[0], _results(documents, "retention").get("headline", {}))
    _by_size(axes[1], _results(documents, "size_activity").get("details", {}))
    _net_value(axes[2], _results(documents, "experiment").get("headline", {}))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img alt="Members kept and members who bought" style="max-width:100%" '
        f'src="data:image/png;base64,{data}"><figcaption><small>{CAPTION}</small></figcaption></figure>'
    )
