"""One way to write a person's name, phone number or account id, for every adapter.

Exports write the same person differently in different places. An iPhone WhatsApp
export writes a message's sender as ``<U+202A>+91<NBSP>70114<NBSP>13779<U+202C>`` and
``~<U+202F>Asha`` (a name not in the phone's contacts), while its join lines, read as
text, give ``+91 70114 13779`` and ``~ Asha``. ``person_key`` turns every form into one:

- Unicode compatibility forms folded (NFKC: no-break and narrow no-break spaces become
  spaces, full-width letters and digits become ASCII);
- invisible format marks removed (left-to-right and embedding marks, zero-width spaces,
  the byte-order mark; the zero-width joiner inside emoji is kept);
- runs of white space made one space, and the ends trimmed;
- the iPhone's ``~`` before a name not in the contacts dropped;
- a phone number written with spaces, dots, dashes or brackets reduced to ``+`` and digits.

Letter case is kept: two accounts named ``Ana`` and ``ana`` stay two people.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

FORMAT_MARKS = re.compile("[\u200b\u200c\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
"""Invisible marks exports put around names and numbers (not U+200D, which joins emoji)."""


NOT_CONTACT = re.compile(r"^~\s*")
"""The iPhone's mark before a sender who is not in the exporter's contacts."""


PHONE = re.compile(r"^\+?[\d\s().-]{6,}$")
"""A phone number as exports write it: an optional '+', then digits with spaces, dots, dashes, brackets."""


MIN_PHONE_DIGITS = 6


@lru_cache(maxsize=1 << 20)
def person_key(raw: str) -> str:
    """The one form of a person's name, phone number or account id, whatever the export wrote."""
    text = FORMAT_MARKS.sub("", unicodedata.normalize("NFKC", str(raw)))
    text = re.sub(r"\s+", " ", text).strip()
    text = NOT_CONTACT.sub("", text) or text
    if PHONE.match(text) and sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS:
        return ("+" if text.startswith("+") else "") + re.sub(r"\D", "", text)
    return text
