"""Proofreading a built report or deck: what a reader must never see, found in the page's visible text.

``problems(html)`` lists, for one HTML page, every parameter or column name (snake_case), bare
NaN or infinity, p-value shown as 0, Python list or dict, negative zero, estimate printed
outside its own interval, reference to a file the reader does not have, and table not built
for reading (``tables.people_table``). The batch test runs it over every report and slide.
"""

from __future__ import annotations

import html as html_lib
import re

RULES: tuple[tuple[str, re.Pattern], ...] = (
    ("a parameter or column name", re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")),
    ("a bare NaN or infinity", re.compile(r"\b(?:NaN|nan|inf)\b|=\s*None\b")),
    ("a p-value shown as 0", re.compile(r"\bp(?:-value)?\s*(?:=|:|<|≤)?\s*0(?:\.0+)?(?![\d.])")),
    ("a Python list or dict", re.compile(r"\[\s*-?\d+(?:\.\d+)?(?:\s*,\s*-?\d+(?:\.\d+)?)+\s*\]|\{'")),
    ("a negative zero", re.compile(r"[-−]0(?:\.0+)?(?![\d.])")),
    ("a file the reader does not have", re.compile(r"shared/domain\.md|\.\./shared")),
)

INTERVAL = re.compile(r"CI ([+−-]?\d+(?:\.\d+)?)(?:%| points)?(?:–| to |-)([+−-]?\d+(?:\.\d+)?)")
"""An interval as the reports write it: 'CI 3.14–3.16', 'CI 88.2%–88.8%', 'CI +6.5 to +8.1 points'."""

ESTIMATE = re.compile(r"[+−-]?\d+\.\d+|[+−-]?\d+(?=%|×| points| times)")
"""A number that can be an estimate: with decimals, or a percentage, ratio or points."""


def visible_text(page: str) -> str:
    """The text a reader sees: no styles, scripts, embedded images or tags; entities decoded."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S | re.I)
    page = re.sub(r"<(br|p|li|tr|td|th|h\d|div)\b[^>]*>", "\n", page, flags=re.I)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"[ \t]+", " ", html_lib.unescape(page))


def problems(page: str) -> list[str]:
    """Everything in one page a reader should not see, each as 'problem: “excerpt”' (empty when clean)."""
    text = visible_text(page)
    found = []
    for what, rule in RULES:
        for match in rule.finditer(text):
            found.append(f"{what}: “{_excerpt(text, match.start(), match.end())}”")
    for match in INTERVAL.finditer(text):
        begin = max(0, match.start() - 90)
        begin = max(text.rfind(" ", 0, begin), text.rfind("\n", 0, begin)) + 1  # never mid-number
        value = _estimate_before(text[begin : match.start()])
        low, high = (_number(match.group(i)) for i in (1, 2))
        if value is not None and low <= high and not low <= value <= high:
            found.append(f"an estimate outside its own interval: “{_excerpt(text, match.start() - 60, match.end())}”")
    found += _table_problems(page)
    return found


def _estimate_before(window: str) -> float | None:
    """The estimate an interval belongs to: the last number before it in the same clause, if any."""
    window = re.sub(r"\d+(?:\.\d+)?%\s*$", "", window)  # the interval's level ('95% CI'), not an estimate
    clause = re.split(r"[.;:] |\bCI |\(claim", window)[-1]
    right_before = re.search(
        r"([+−-]?\d+(?:\.\d+)?)(?:%|×)?(?: (?!days|weeks|months|hours)[a-z]+)?\s*\(?\s*$", clause
    )  # '341 members ('
    if right_before:
        return _number(right_before.group(1))
    numbers = ESTIMATE.findall(clause)
    return _number(numbers[-1]) if numbers else None


def _number(text: str) -> float:
    """A number as written in a report (a typographic minus allowed)."""
    return float(text.replace("−", "-"))


def _table_problems(page: str) -> list[str]:
    """Tables shown as pandas prints them: its 'dataframe' class without ours, or an empty index header."""
    found = []
    for table in re.findall(r"<table\b.*?</table>", page, flags=re.I | re.S):
        tag = table[: table.index(">") + 1]
        if "dataframe" in tag and "people-table" not in tag:
            found.append(f"a table not built for reading: {tag}")
        elif "people-table" in tag and re.search(r"<th[^>]*>\s*</th>", table):
            found.append("a table with an unnamed index column")
    return found


def _excerpt(text: str, start: int, end: int, around: int = 40) -> str:
    """The match with some context on either side, on one line."""
    return re.sub(r"\s+", " ", text[max(0, start - around) : end + around]).strip()
