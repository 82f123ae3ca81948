"""Captured facts as the voice says them and as the screen shows them.

No manim here: the narration's placeholders and the tests read these too.
"""

from __future__ import annotations

from pipeline.contract import Capture, Fact


def _is_percent(fact: Fact) -> bool:
    return fact.unit.startswith("%") or fact.unit.startswith("percent")


def _number_text(value: float, keep_decimal: bool) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.1f}" if keep_decimal else str(int(round(value)))


def spoken(fact: Fact) -> str:
    """A fact as the voice says it: whole numbers, except one decimal for percentages under ten.

    "70.2" is heard as "seventy point two", which slows the listener down for nothing; but
    "7.6" and "8" are different enough to keep the decimal.
    """
    value = fact.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if _is_percent(fact):
        return _number_text(value, keep_decimal=abs(value) < 10)
    return _number_text(value, keep_decimal=not float(value).is_integer() and abs(value) < 10)


def shown(fact: Fact) -> str:
    """A fact as the screen shows it: the stored precision, with a % sign for percentages."""
    value = fact.value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    text = str(int(value)) if float(value).is_integer() else f"{value:g}"
    return text + "%" if _is_percent(fact) else text


def spoken_facts(capture: Capture) -> dict[str, str]:
    """Every fact of a capture in its spoken form, keyed by name: what narration placeholders are filled with."""
    return {name: spoken(fact) for name, fact in capture.facts.items()}
