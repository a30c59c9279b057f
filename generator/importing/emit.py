"""Plain, deterministic YAML for the files an import writes.

Block style, ISO dates bare, and a string quoted only when it has to be: when
written bare it would not read back as the same text (YAML 1.1 would make
`No` false, `0012` a number, `2026-11-03` a date), or could not be written bare
at all (`a: b`, `# x`, leading spaces, a line break). Quoted strings are JSON
strings, which are valid YAML double-quoted scalars, with the few characters
YAML treats as line breaks or does not allow escaped as well. Every string
reads back with `yaml.safe_load` (and the caseload reader) as exactly the text
that was written (tests/test_import_emit.py).
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache

from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

_RESOLVER = Resolver()
_STR_TAG = "tag:yaml.org,2002:str"

# Characters no YAML text may hold raw, or that YAML 1.1 reads as line breaks.
_RAW_UNSAFE = "\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff"
# A plain scalar: no indicator first, nothing unsafe anywhere (tabs included).
_PLAIN = re.compile(rf"[^\s\-?:,\[\]{{}}#&*!|>'\"%@`{_RAW_UNSAFE}][^{_RAW_UNSAFE}]*")
# What JSON leaves raw but YAML must see escaped.
_ESCAPE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff\ufffe\uffff]")


@lru_cache(maxsize=1 << 16)
def text(value: str) -> str:
    """`value` as a YAML scalar: bare when that reads back as the same text, else quoted."""
    if (_PLAIN.fullmatch(value) and not value[-1].isspace() and ": " not in value
            and " #" not in value and not value.endswith(":")
            and _RESOLVER.resolve(ScalarNode, value, (True, False)) == _STR_TAG):
        return value
    quoted = json.dumps(value, ensure_ascii=False)
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", quoted)


def day(value: date) -> str:
    return value.isoformat()


def signed(value: date | bool) -> str:
    """A `note_signed` value: a day, or true."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    return value.isoformat()
