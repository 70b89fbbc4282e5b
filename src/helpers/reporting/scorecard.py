"""The rules-of-thumb scorecard: each registered claim, the estimate that tests it and its verdict.

Reads only the ``verdicts`` field of the studies' ``results.json`` documents (the schema of
``studies.result``), so a sweep or a renamed run still counts; claims come in the
registry's order, and the first run that judges a claim is the one shown.
"""

from __future__ import annotations

from helpers.claims.registry import CLAIMS
from helpers.claims.verdict import Verdict, verdict_from_dict


def scorecard(documents: dict[str, dict]) -> list[tuple[str, Verdict]]:
    """(run name, verdict) for every registered claim some run judged, in the registry's order."""
    found: dict[str, tuple[str, Verdict]] = {}
    for run, doc in documents.items():
        for item in doc.get("results", {}).get("verdicts", []):
            if item.get("claim_id") in CLAIMS:
                found.setdefault(item["claim_id"], (run, verdict_from_dict(item)))
    return [found[k] for k in CLAIMS if k in found]
