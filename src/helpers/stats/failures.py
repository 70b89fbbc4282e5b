"""Why a model could not be fitted, in words a reader of a report understands (never an exception's name)."""

from __future__ import annotations

import numpy as np

COLLINEAR = "some of its terms never vary in the data or move together, so their effects cannot be told apart"


def why_unfitted(err: Exception) -> str:
    """A plain reason for a fit that raised ``err``: collinear terms, a perfect prediction, or too little data."""
    if isinstance(err, np.linalg.LinAlgError) or "singular" in str(err).lower():
        return COLLINEAR
    if "separation" in type(err).__name__.lower() or "separation" in str(err).lower():
        return "one of its terms predicts the outcome perfectly, so its effect has no finite estimate"
    if "converge" in str(err).lower() or "converge" in type(err).__name__.lower():
        return "its fit did not converge (often a term that separates the events perfectly)"
    return "the data are too thin for it (too few distinct values or events for its terms)"
