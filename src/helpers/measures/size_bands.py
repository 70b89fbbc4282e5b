"""Group-size bands: one definition for every study, explorer and figure (lower edges, the last band open)."""

from __future__ import annotations

import numpy as np
import pandas as pd

SIZE_BANDS = (0, 50, 100, 150, 200, 250, 300, 350)
"""Lower edges of the size bands; the last band is open (350+). The claim's 150-350 is a union of bands."""


def size_band_labels(edges: tuple[int, ...] = SIZE_BANDS) -> list[str]:
    """Labels of the size bands: '0-50', '50-100', ..., '350+'."""
    return [f"{a}-{b}" for a, b in zip(edges[:-1], edges[1:])] + [f"{edges[-1]}+"]


def size_band(sizes: pd.Series, edges: tuple[int, ...] = SIZE_BANDS) -> pd.Series:
    """The band of each size, as an ordered categorical ('0-50' < '50-100' < ... < '350+')."""
    return pd.cut(sizes, list(edges) + [np.inf], right=False, labels=size_band_labels(edges))
