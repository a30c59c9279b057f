"""Words every stage uses: plurals, "did you mean", and text made safe for one terminal line.

A leaf module: it imports nothing of caseload's, so any stage may use it.
"""

from __future__ import annotations

import difflib
import re
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


# --- control characters in text (security item 7) -------------------------------------
#
# Text read from a file may not steer a terminal or a page: C0 and C1 controls (ESC
# starts a terminal command, U+009B is a one-byte CSI), DEL, and the bidi overrides
# and isolates that make text display in another order than it is stored. Free text
# may hold line breaks and tabs; every other text field is one line.
_LINE_BREAKS_AND_TAB = "\t\n\r\u2028\u2029"
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_REFUSED_IN_FREE_TEXT = re.compile(f"[{_CONTROLS}]")
_REFUSED_IN_ONE_LINE = re.compile(f"[{_CONTROLS}{_LINE_BREAKS_AND_TAB}]")


def refused_character(text: str, several_lines: bool) -> str | None:
    """The first character `text` may not hold, or None; line breaks and tabs are
    allowed only in free text (`several_lines`)."""
    if text.isprintable():  # at C speed; no control, bidi override, tab or line break
        return None
    found = (_REFUSED_IN_FREE_TEXT if several_lines else _REFUSED_IN_ONE_LINE).search(text)
    return found.group() if found else None


def character_problem(character: str) -> str:
    """Why a text field may not hold `character`, naming it by code point only (the
    text around it may be clinical and is never quoted)."""
    code = f"U+{ord(character):04X}"
    if character in _LINE_BREAKS_AND_TAB:
        return (f"must be one line: it holds a line break or tab ({code}); "
                "only free text (notes, goals, outcomes, summaries) may")
    if "\u202a" <= character <= "\u202e" or "\u2066" <= character <= "\u2069":
        return (f"holds a bidirectional override ({code}), which makes text show in "
                "another order than it is written; remove it")
    return f"holds a control character ({code}), which text may not hold; remove it"


def one_line(text: str) -> str:
    """`text` as one clean line: controls and bidi overrides dropped, line breaks and
    tabs made spaces (for names an export gives, which a workspace keeps on one line)."""
    if text.isprintable():
        return text
    text = re.sub(f"[{_LINE_BREAKS_AND_TAB}]+", " ", text)  # CRLF is one break
    return _REFUSED_IN_FREE_TEXT.sub("", text).strip()


# What a terminal must not receive raw: every control but the line break that ends
# a line, and the bidi overrides; each is shown as \uXXXX.
_TERMINAL_UNSAFE = re.compile(f"[{_CONTROLS}\t\r\u2028\u2029]")


# The colours and weights `click.style` writes (Select Graphic Rendition): they can
# only colour text, never move the cursor or retitle the window.
_STYLE = re.compile("\x1b\\[[0-9;]*m")


def for_terminal(text: str, styled: bool = False) -> str:
    """`text` safe to print: every control character and bidi override but the line
    breaks between lines escaped visibly as \\uXXXX (also valid inside a JSON string),
    so that no file can retitle, clear or reorder the terminal. With `styled`, the
    colour codes caseload's own text report writes are kept."""
    if text.isprintable():
        return text
    if styled:
        parts = _STYLE.split(text)
        styles = _STYLE.findall(text)
        escaped = [for_terminal(part) for part in parts]
        return "".join(part + style for part, style in zip(escaped, [*styles, ""], strict=True))
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
