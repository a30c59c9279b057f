"""Escaping caseload text so that it lands in Markdown *and* HTML as plain text.

A page is Markdown that becomes HTML, so a client's note has to survive two
parsers: `**x**`, `[a](javascript:…)`, `| a | b |`, `# x` and `<script>` must
all show as the characters typed. We turn every ASCII punctuation character
into a numeric character reference: neither Markdown nor HTML gives those any
meaning, and the browser shows them as the original characters.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Any

from markupsafe import Markup

_ENTITIES: dict[int, str | None] = {ord(c): f"&#{ord(c)};" for c in string.punctuation}
# Control characters (NUL, escape sequences, bidi overrides aside) carry no text.
_ENTITIES.update({code: None for code in range(32) if chr(code) not in "\t\n\r"})
_ENTITIES[0x7F] = None


def inline(value: Any) -> Markup:
    """Caseload text for one line: a table cell, a heading, a list item."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("—")
    if isinstance(value, date):
        return Markup(value.isoformat())
    text = " ".join(str(value).split())
    return Markup(text.translate(_ENTITIES))


def block(value: Any) -> Markup:
    """Caseload text that may run over several lines (a summary, a note)."""
    if isinstance(value, Markup) or value is None:
        return inline(value)
    lines = [inline(line) for line in str(value).splitlines() if line.strip()]
    return Markup("<br>").join(lines)
