"""Captured facts as the voice says them and as the screen shows them.

No manim here: the narration's placeholders, the subtitles, the exports and the tests read these too.

A text fact (a prompt) is written by anyone, so it is text from outside: its spoken and shown
forms keep every character a reader can see and drop those that only steer how text is drawn
(``visible``). Escaping it for a format (the narration's markup, WebVTT, SRT, HTML, Markdown)
is the job of the writer of that format.
"""

from __future__ import annotations

import re

from pipeline.contract import Capture, Fact

# Control characters but newline and tab (C0, DEL, C1), and the bidirectional embeddings, overrides
# and isolates (U+202A-U+202E, U+2066-U+2069): invisible, they make text read otherwise than it is
# written (a right-to-left override shows "abc" as "cba"), or break the files that carry it.
_INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """``text`` without control characters (newline and tab are kept) and bidirectional overrides."""
    return _INVISIBLE.sub("", text)


def _is_percent(fact: Fact) -> bool:
    return fact.unit.startswith("%") or fact.unit.startswith("percent")


# What a number too small for the digits said is said as (never "-0.0" or "0.0" for a value that is not zero).
ABOUT_ZERO = "about zero"


def _number_text(value: float, keep_decimal: bool) -> str:
    if float(value).is_integer():
        return str(int(value))  # int() also makes -0.0 a plain 0
    text = f"{value:.1f}" if keep_decimal else str(int(round(value)))
    return ABOUT_ZERO if float(text) == 0 else text


def spoken(fact: Fact) -> str:
    """A fact as the voice says it: whole numbers, except one decimal for percentages under ten.

    "70.2" is heard as "seventy point two", which slows the listener down for nothing; but
    "7.6" and "8" are different enough to keep the decimal. A value that is not zero but would be
    said as a zero ("-0.0") is said as "about zero".
    """
    value = fact.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return visible(str(value))
    if _is_percent(fact):
        return _number_text(value, keep_decimal=abs(value) < 10)
    return _number_text(value, keep_decimal=not float(value).is_integer() and abs(value) < 10)


def shown(fact: Fact) -> str:
    """A fact as the screen shows it: the stored precision (every digit that tells a small value from zero, and
    never a minus sign on a zero), with a % sign for percentages."""
    value = fact.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return visible(str(value))
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text + "%" if _is_percent(fact) else text


def spoken_facts(capture: Capture) -> dict[str, str]:
    """Every fact of a capture in its spoken form, keyed by name: what narration placeholders are filled with."""
    return {name: spoken(fact) for name, fact in capture.facts.items()}
