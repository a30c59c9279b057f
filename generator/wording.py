"""Words every stage uses: plurals, "did you mean", and text made safe for one terminal line.

A leaf module: it imports nothing of caseload's, so any stage may use it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

# A terminal line must not be retitled, cleared or reordered by text from a file:
# line breaks, C0 and C1 controls and bidi overrides are shown as escapes instead.
_UNPRINTABLE = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (*range(0x20), *range(0x7F, 0xA0), 0x2028, 0x2029,
                 *range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def printable(text: str) -> str:
    """`text` as one line for a terminal, every control and bidi override as an escape."""
    return text.translate(_UNPRINTABLE)


def plural(count: int, word: str) -> str:
    """'1 day', '2 days'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def suggest(value: str, choices: Iterable[str]) -> str:
    """"; did you mean 'x'?" when one choice is close to `value`, else ""."""
    match = closest(value, choices)
    return f"; did you mean '{match}'?" if match is not None else ""


def closest(value: str, choices: Iterable[str]) -> str | None:
    """The choice `suggest` would name for `value`, or None."""
    choices = list(choices)
    normalised = value.strip().lower().replace("-", "_").replace(" ", "_")
    if normalised in choices and normalised != value:
        return normalised
    close = difflib.get_close_matches(normalised, choices, n=1, cutoff=0.6)
    return close[0] if close else None


# An input error may quote the value that is wrong only when that value is the
# kind a person needs to see to fix it: a status, a date, an id, a key. Those are
# short, one line and a word or two; anything longer may be a client's story
# typed into the wrong field, and an error message travels (a terminal, a CI log,
# a screenshot sent for help), so it is described, never repeated.
QUOTE_MAX_CHARS = 40
QUOTE_MAX_WORDS = 3


def quotable(value: str) -> bool:
    """Whether `value` is short enough to repeat in an error message."""
    return (len(value) <= QUOTE_MAX_CHARS and "\n" not in value
            and len(value.split()) <= QUOTE_MAX_WORDS)


def quoted(value: str) -> str:
    """`'value'` when it is quotable, else only what kind of value it is."""
    if quotable(value):
        return f"'{value}'"
    return "a text of several lines" if "\n" in value.strip() else "a long text"
