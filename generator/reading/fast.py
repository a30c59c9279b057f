"""A fast reader for content files that are plainly valid; it accepts or declines.

Most files in a caseload are ordinary YAML: block or flow collections, plain or
quoted text, no anchors, tags or directives, every field valid. rapidyaml (a C++
parser) reads those about thirty times faster than libyaml through PyYAML, and its
JSON emitter plus `json.loads` turn them into plain Python data at C speed.

This module never reports an error. Whatever it does not fully understand, and
whatever is not valid, it *declines* (returns None), and `exact.py` reads the file
the exact way, which owns every message and every line number. So the fast path
can only ever be a shortcut to the result the exact path would give; the
differential tests in tests/test_fastload.py pin that, on the demo, on generated
workspaces and on fuzzed text.

The checks below are derived from the same declarations as `exact.py`'s
(model/schema.py), but only in the accepting direction: each one either lets a
value through exactly as the exact path would read it, or declines.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import threading
from collections.abc import Callable
from datetime import date
from operator import itemgetter, methodcaller
from typing import Any

from generator.model.plain import column_encoder, plain_entry
from generator.model.records import DATE_PATTERN, ID_PATTERN
from generator.model.schema import CLIENT, LEDGER, LEDGER_ENTRY, Field, Record, is_ledger
from generator.reading import cstderr, yamlnodes
from generator.reading.yamlnodes import NULLS
from generator.wording import refused_character

try:
    import ryml
except ImportError:  # no wheel for this platform: every file takes the exact path
    ryml = None

# Set to 1 to read every file the exact way (to rule the fast path out when
# something looks wrong).
DISABLE_VARIABLE = "CASELOAD_NO_FAST_YAML"


class _Decline(Exception):
    """The exact path must read this file."""


def available() -> bool:
    return ryml is not None and not os.environ.get(DISABLE_VARIABLE)


def read_clients(data: bytes, text: str, path: str) -> list[Any] | None:
    """The clients of one content file in the parse cache's layout
    (`plain.plain_entry`, lines of id, payer, clinician and discharge date not
    known), or None: then read the file the exact way.

    `data` is the file's bytes and `text` the same, decoded; `path` is the
    file's path relative to the workspace, as a client's source names it.
    """
    if ryml is None:
        return None
    normalised = _normalised(data)
    if normalised is None or not _plain_enough(_without_leading_comments(normalised)) \
            or yamlnodes.has_unprintable(text, normalised):
        return None
    data = normalised
    tildes = b"~" in data
    if tildes and not _tildes_are_plain(data):
        return None
    if _spells_controls(data):
        return None  # a control or bidi override, escaped or raw: an input error
    buffer = bytearray(data)
    try:
        with cstderr.quiet((ryml.ExceptionBasic,)):
            tree, emitted = _parse_to_json(buffer)
        if tildes:  # rapidyaml keeps a plain ~ as the text "~"; YAML 1.1 reads null
            emitted = emitted.replace('"~"', "null")
        document = json.loads(emitted, parse_int=str, parse_float=_decline_float,
                              parse_constant=_decline_float, object_pairs_hook=_unique_keys)
        return _content_document(document, tree, _LineFinder(data, buffer), path)
    except (_Decline, ryml.ExceptionBasic, ValueError, TypeError, KeyError, RecursionError,
            OSError):
        return None


# rapidyaml's tree and the buffer its JSON is written into, kept from one file to
# the next by each thread: a new tree for every file cost a fifth of the parse and
# kept memory growing (about 8 KB a file), and JSON written into a buffer of the
# right size takes one pass where `emit_json` takes two (one to measure it).
_REUSED = threading.local()
_KEPT_JSON_BUFFER = 1 << 20  # a larger one, for an unusually large file, is not kept


def _parse_to_json(buffer: bytearray) -> tuple[Any, str]:
    """rapidyaml's tree of `buffer` (parsed in place), valid until this thread's next
    call, and the tree as JSON."""
    kept = _REUSED.__dict__
    if "tree" not in kept:
        kept["tree"], kept["out"] = ryml.Tree(), bytearray(1 << 16)
    tree, out = kept["tree"], kept["out"]
    tree.clear()
    tree.clear_arena()
    ryml.parse_substr(buffer, tree)
    root = tree.root_id()
    failed, size = ryml.emit_json_to_substr(tree, root, out)
    if failed:  # `size` is what it needs
        out = bytearray(size)
        if size <= _KEPT_JSON_BUFFER:
            kept["out"] = out
        failed, size = ryml.emit_json_to_substr(tree, root, out)
        if failed:
            raise _Decline
    return tree, out[:size].decode()


# --- what the fast path reads as another spelling of a plain file -------------------
#
# Styles that people and tools write, which the checks below would decline, but
# which mean exactly what the same file without them means, line for line:
# * a UTF-8 byte order mark (Windows editors): the exact path decodes it away too;
# * Windows line ends (CRLF), when there is no bare CR: YAML reads a line break in
#   any scalar style as a line feed, and the lines are the same lines;
# * a leading `---` (what `yaml.dump(explicit_start=True)` and many tools write),
#   alone on its line after any comments: it only says "a document starts here",
#   and spaces in its place keep every line and column where it was.
_BOM = b"\xef\xbb\xbf"
_LEADING_MARKER = re.compile(rb"(?:[ ]*(?:#[^\n]*)?\n)*(---)(?=(?:[ ]+(?:#[^\n]*)?)?(?:\n|\Z))")


def _normalised(data: bytes) -> bytes | None:
    """`data` without the spellings above, or None when it has a bare CR (which
    PyYAML reads as a line break, and rapidyaml does not)."""
    if data.startswith(_BOM):
        data = data[len(_BOM):]
    if b"\r" in data:
        if data.count(b"\r") != data.count(b"\r\n"):
            return None
        data = data.replace(b"\r\n", b"\n")
    if data.startswith((b"-", b"#", b" ", b"\n")):
        marker = _LEADING_MARKER.match(data)
        if marker is not None:
            data = data[:marker.start(1)] + b"   " + data[marker.end(1):]
    return data


# A plain `~` is null to YAML 1.1 (and the exact path) and the text "~" to rapidyaml,
# which writes it in JSON as "~", as it writes a quoted '~'. So a file may use it
# only where no scalar can be exactly "~" but a plain one: no quote next to a `~`,
# no line that is just `~` (a block scalar's, or a plain one's continuation), no
# escape spelling a tilde or a quote. Then no text holds a quote next to a tilde,
# so each `"~"` in the JSON (whose strings escape their quotes) is a whole string
# "~", and was a plain `~`: null (as a key, null is no JSON, which declines).
_SPELLED_TILDE_OR_QUOTE = re.compile(rb"\\(?:x7[eE]|u007[eE]|U0000007[eE]|x22|u0022|U00000022)")


def _tildes_are_plain(data: bytes) -> bool:
    if b"'~" in data or b"~'" in data or b'"~' in data or b'~"' in data:
        return False
    if b"\\" in data and _SPELLED_TILDE_OR_QUOTE.search(data):
        return False
    at = data.find(b"~")
    while at >= 0:  # a handful in a file
        start = data.rfind(b"\n", 0, at) + 1
        end = data.find(b"\n", at)
        if data[start:end if end >= 0 else len(data)].strip(b" ") == b"~":
            return False
        at = data.find(b"~", at + 1)
    return True


# A value can hold a control character or a bidi override only as the file holds
# it: raw (C0 and C1 controls are not YAML, which `has_unprintable` declines; a raw
# NEL is one of the line breaks `_plain_enough` declines; a bidi override is
# printable to YAML, found below), or spelled by an escape. `_plain_enough` lets
# only these escapes through: `\\ \" \/ \n \t \r`, which spell no refused
# character, and `\x`, `\u`, `\U` with hex digits, found and judged here. Every
# escape in the file is found, and more: a `\u0001` after an escaped backslash or
# outside double quotes is text, yet judged as an escape too (declining is safe).
# Line breaks and tabs are judged field by field (`_one_line`).
_SPELLED_CHARACTER = re.compile(rb"\\(?:x([0-9A-Fa-f]{2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8}))")
_RAW_BIDI = re.compile(rb"\xe2(?:\x80[\xaa-\xae]|\x81[\xa6-\xa9])")


def _spells_controls(data: bytes) -> bool:
    """Whether the file holds a bidi override, or an escape of a character that no
    text may hold (`wording.refused_character`)."""
    if b"\\" in data:  # one byte, found at memchr's speed; most escapes spell letters
        for spelled in _SPELLED_CHARACTER.finditer(data):
            code = int(spelled.group(spelled.lastindex or 0), 16)
            if code > 0x10FFFF or refused_character(chr(code), several_lines=True) is not None:
                return True
    return b"\xe2" in data and _RAW_BIDI.search(data) is not None


# --- what the fast path leaves alone ----------------------------------------------

# What the fast path leaves to the exact one, because PyYAML and rapidyaml read
# it differently or PyYAML refuses it where rapidyaml does not:
# * anchors, aliases, tags, directives, explicit keys and reserved indicators where
#   a token may start; a colon that starts a token (`[:]`); block scalars but
#   `key: |`, `key: >` (or `- |`), with `-` or `+` chomping at most, in a file
#   whose flow collections each close on their own line;
# * a closing bracket where a value starts (`name: }`), or followed by more
#   than a comma, another bracket or a comment (`- {a: 1}  - {b: 2}`); the same
#   after a quote and a space (`- "a"  - b`);
# * a comment after plain text on a line with a flow collection opened before it
#   (`- {note: a #b, c: d}`): rapidyaml keeps `#b` in the text, YAML ends the
#   line there (and the collection is then unclosed);
# * document markers (but a leading `---`, above), tabs, carriage returns (but
#   CRLF, above), a byte order mark other than UTF-8's, and YAML 1.1's extra line
#   breaks (NEL, LS, PS), which PyYAML folds and rapidyaml does not;
# * a backslash other than in the escapes both read alike (`\\`, `\"`, `\/`,
#   `\n`, `\t`, `\r`, `\xXX`, and `\u`/`\U` of a character that is not a
#   surrogate: rapidyaml joins "\ud83d\ude00" into one character, PyYAML refuses
#   a surrogate). Outside double quotes a backslash is text to both.
# Text that merely looks like one of these is declined too: the exact path is
# always right, only slower. The fuzz tests in tests/test_fastload.py found the
# cases that are not obvious.
#
# Python's regular expressions are slow at "this kind of byte, then that one",
# so every byte is translated to a letter for its kind, and the pairs are found
# with plain substring search, at C speed.
def _classes(kinds: dict[bytes, bytes], other: bytes | None) -> bytes:
    table = bytearray(other * 256 if other else range(256))
    for letter, members in kinds.items():
        for byte in members:
            table[byte] = letter[0]
    return bytes(table)


_KINDS = _classes({
    b"S": b" ", b"N": b"\n", b"P": b"[{", b"M": b",", b"I": b"&*!|>%@`?", b"C": b"]}",
    b"Q": b"\"'", b"K": b":", b"H": b"#", b"X": b"\t\r",
}, other=b".")
# Where a token may start: "A" after a space or a line break, "W" after an opener
# or a comma; "J" for what may not start one (an indicator, a colon). So "AC" is a
# closer after a space or line break, and "AJ" or "WJ" an indicator starting a token.
_TOKEN_STARTS = _classes({b"A": b"SN", b"W": b"PM", b"J": b"IK"}, other=None)
# What may not follow a closer ("Z"), nor a quote and a space ("R", made "Z" too):
# text, an indicator, a quote or an opener ("B"); spaces are deleted.
_FOLLOWERS = _classes({b"B": b".IQP", b"Z": b"CR"}, other=None)
_DOCUMENT_MARKERS = (b"\n---", b"\n...")
_EXTRA_LINE_BREAKS = (b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_BYTE_ORDER_MARKS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


_ESCAPE = re.compile(rb'\\(?:[\\"/ntr]|x[0-9A-Fa-f]{2}|u(?![dD][89abAB])[0-9A-Fa-f]{4}'
                     rb"|U(?!0000[dD][89abAB])(?:000[0-9A-Fa-f]|0010)[0-9A-Fa-f]{4})")
_BLOCK_HEADER = re.compile(rb" *(?:- +)*(?:[A-Za-z_][A-Za-z0-9_]*: +|- *)[|>][-+]?")


def _comment_after_flow_text(data: bytes) -> bool:
    """Whether a comment follows text (not a closer or a quote) on a line where a
    flow collection opened before it."""
    at = data.find(b" #")
    while at >= 0:  # a few comments in a file
        start = data.rfind(b"\n", 0, at) + 1
        before = data[start:at].rstrip(b" ")
        if (b"[" in before or b"{" in before) and before[-1:] not in (b"]", b"}", b"'", b'"'):
            return True
        at = data.find(b" #", at + 2)
    return False


_NOT_FLOW_OR_LINE = bytes(byte for byte in range(256) if byte not in b"[]{}\n")


def _masked(data: bytes) -> bytes | None:
    """`data` with the escapes and block scalar headers the fast path reads made
    plain text for the checks below, or None when it has another."""
    if b"\\" in data:
        data = _ESCAPE.sub(b"..", data)
        if b"\\" in data:
            return None
    headers = _block_headers(data)
    if headers:
        if not _flow_closes_on_each_line(data):
            return None  # a header inside a flow collection: an error to PyYAML
        masked = bytearray(data)
        for at in headers:
            masked[at] = ord(".")
        data = bytes(masked)
    return data


def _block_headers(data: bytes) -> list[int]:
    """Where the indicators of the block scalar headers the fast path reads are:
    each `|` or `>` that ends its line (but for its chomping), on a header line."""
    found = []
    for indicator in (b"|", b">"):
        at = data.find(indicator)
        while at >= 0:  # memchr's speed; a few in a file
            end = data.find(b"\n", at)
            end = len(data) if end < 0 else end
            if data[at + 1:end] in (b"", b"-", b"+") \
                    and _BLOCK_HEADER.fullmatch(data, data.rfind(b"\n", 0, at) + 1, end):
                found.append(at)
            at = data.find(indicator, at + 1)
    return found


def _flow_closes_on_each_line(data: bytes) -> bool:
    """Whether every bracket pair opens and closes on one line (brackets in quoted
    text may say no: then the file is declined, which is always safe)."""
    brackets = data.translate(None, _NOT_FLOW_OR_LINE).replace(b"\n", b"|")
    while True:
        peeled = brackets.replace(b"[]", b"").replace(b"{}", b"")
        if peeled == brackets:
            return not peeled.strip(b"|")
        brackets = peeled


def _plain_enough(data: bytes) -> bool:
    if not data or data.startswith((*_BYTE_ORDER_MARKS, b"---", b"...")):
        return False
    masked = _masked(data)
    if masked is None:
        return False
    data = masked
    if b" #" in data and _comment_after_flow_text(data):
        return False
    kinds = b"N" + data.translate(_KINDS)  # the file starts a line
    if b"X" in kinds:
        return False
    token_starts = kinds.translate(_TOKEN_STARTS)
    if b"AC" in token_starts or b"AJ" in token_starts or b"WJ" in token_starts:
        return False
    if b"ZB" in kinds.replace(b"QS", b"R").translate(_FOLLOWERS, b"S"):
        return False
    if any(marker in data for marker in _DOCUMENT_MARKERS):
        return False
    return data.isascii() or not any(brk in data for brk in _EXTRA_LINE_BREAKS)


def _without_leading_comments(data: bytes) -> bytes:
    """`data` from its first line that is not a whole-line comment: a file's header
    comment (an import's ledger says `caseload import` in it) is nobody's value, and
    what it says must not decline the file."""
    start = 0
    while data.startswith(b"#", start):
        end = data.find(b"\n", start)
        if end < 0:
            return b""
        start = end + 1
    header = data[:start]
    if b"\r" in header or any(brk in header for brk in _EXTRA_LINE_BREAKS):
        return data  # a line break PyYAML sees inside the comment: judge it all
    # The line break kept in front lets every check see where the next line starts
    # (a document marker there declines as anywhere else).
    return data if start == 0 else data[start - 1:]


def _decline_float(text: str) -> Any:
    # rapidyaml's JSON writes some numbers differently from how they were typed
    # ("1." becomes 1.0); the schema keeps text as typed, so leave them alone.
    raise _Decline


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping = dict(pairs)
    if len(mapping) != len(pairs):
        raise _Decline
    return mapping


class _PyBuffer(ctypes.Structure):
    # CPython's Py_buffer: the one portable way to ask a read-only view where its
    # bytes are (ctypes' from_buffer wants a writable one).
    _fields_ = [
        ("buf", ctypes.c_void_p), ("obj", ctypes.py_object), ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t), ("readonly", ctypes.c_int), ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p), ("shape", ctypes.c_void_p), ("strides", ctypes.c_void_p),
        ("suboffsets", ctypes.c_void_p), ("internal", ctypes.c_void_p),
    ]


_get_buffer = ctypes.pythonapi.PyObject_GetBuffer
_get_buffer.argtypes = (ctypes.py_object, ctypes.POINTER(_PyBuffer), ctypes.c_int)
_get_buffer.restype = ctypes.c_int
_release_buffer = ctypes.pythonapi.PyBuffer_Release
_release_buffer.argtypes = (ctypes.POINTER(_PyBuffer),)
_release_buffer.restype = None


def _address(view: Any) -> int:
    """Where the first byte of a buffer (a bytearray, a memoryview) is in memory."""
    buffer = _PyBuffer()
    if _get_buffer(view, ctypes.byref(buffer), 0) != 0:
        raise _Decline
    try:
        return buffer.buf or 0
    finally:
        _release_buffer(ctypes.byref(buffer))


class _LineFinder:
    """Line numbers of keys, from where rapidyaml's views point into the buffer.

    Keys are asked for in document order, so counting resumes where it stopped
    instead of starting again for every client of a long file.
    """

    def __init__(self, data: bytes, buffer: bytearray) -> None:
        self.data = data
        self.base = _address(buffer)
        self.offset = 0
        self.line = 1

    def of_key(self, view: memoryview) -> int:
        offset = _address(view) - self.base
        if not self.offset <= offset < len(self.data):
            raise _Decline
        self.line += self.data.count(b"\n", self.offset, offset)
        self.offset = offset
        return self.line


# --- the caseload schema, accepting only --------------------------------------------
#
# A client comes out in the parse cache's layout (`plain.plain_entry`), column by
# column, as a warm run reads it back: a large caseload is mostly sessions, and
# checking them a column at a time runs in C (`map` over a dict's methods)
# rather than one Python call per session.


def _content_document(document: Any, tree: Any, lines: _LineFinder,
                      path: str) -> list[Any]:
    if type(document) is not dict or not document:
        raise _Decline
    root = tree.root_id()
    if is_ledger(document):
        return [_ledger(document, path)]
    if "clients" not in document:
        return [_client(document, _mapping_line(tree, root, lines), path, "")]
    items = document["clients"]
    if len(document) != 1 or type(items) is not list or not items:
        raise _Decline
    entries = []
    node = tree.first_child(tree.first_child(root))
    for index, item in enumerate(items):
        line = _mapping_line(tree, node, lines)
        entries.append(_client(item, line, path, f"clients[{index}]"))
        node = tree.next_sibling(node)
    return entries


def _mapping_line(tree: Any, node: int, lines: _LineFinder) -> int:
    # The exact path dates a block mapping from its first key; a flow mapping
    # from its brace, which may sit on an earlier line: leave those alone.
    if not tree.is_map(node) or tree.is_flow(node) or tree.num_children(node) == 0:
        raise _Decline
    return lines.of_key(tree.key(tree.first_child(node)))


class _Ordinals(dict[Any, int]):
    """Day ordinals by the text of a valid date, each checked once: the sessions
    of a large caseload fall on a few thousand days. Anything else declines."""

    def __missing__(self, text: Any) -> int:
        if text.__class__ is not str or not DATE_PATTERN.fullmatch(text):
            raise _Decline
        ordinal = date.fromisoformat(text).toordinal()  # ValueError (2026-02-30) declines
        if len(self) < 100_000:
            self[text] = ordinal
        return ordinal


_ORDINALS = _Ordinals()
_day = _ORDINALS.__getitem__


class _KeySets:
    """Which key combinations a kind of mapping (a session, a plan, …) may have:
    its required keys, any of its optional ones, and the user's `x_` keys, which
    the model does not keep below the client (the exact path accepts any value
    under them). A combination is checked once and then known."""

    def __init__(self, allowed: frozenset[str], required: tuple[str, ...]) -> None:
        self.allowed, self.required = allowed, required
        self.known: set[tuple[str, ...]] = set()

    def check(self, items: list[Any]) -> None:
        if set(map(type, items)) - {dict}:
            raise _Decline
        for keys in set(map(tuple, items)) - self.known:
            if not all(key in keys for key in self.required) or any(
                    key not in self.allowed and not key.startswith("x_") for key in keys):
                raise _Decline
            if len(self.known) < 10_000:
                self.known.add(keys)


def _client(mapping: Any, line: int, path: str, where: str) -> list[Any]:
    extras = _extras(mapping, _CLIENT_KEYS)
    get = mapping.get
    return plain_entry(where, path, line, extras,
                       [read(get(name)) for name, read in _CLIENT_FIELDS])


def _extras(mapping: Any, allowed: frozenset[str]) -> dict[str, Any]:
    """The mapping's `x_` values, once its keys are known to be allowed."""
    if type(mapping) is not dict:
        raise _Decline
    keys = mapping.keys()
    if keys <= allowed:
        return {}
    extras = {}
    for key in mapping:  # in the order written, as the exact path keeps them
        if key not in allowed:
            if not key.startswith("x_"):
                raise _Decline
            extras[key] = _plain(mapping[key])
    return extras


def _plain(value: Any) -> Any:
    if type(value) is list:
        return [_plain(item) for item in value]
    if type(value) is dict:
        return {key: _plain(item) for key, item in value.items()}
    return _text(value)


def _scalar(value: Any) -> str:
    """The text as typed: JSON's true and false come only from a plain `true`/`false`."""
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    raise _Decline  # null, a list or a mapping: the exact path decides


def _text(value: Any) -> str | None:
    if value is None:  # JSON null: a plain `null` or nothing at all, never quoted
        return None
    if value in _AMBIGUOUS:  # "Null", "NULL": null when plain, text when quoted
        raise _Decline
    return value if value.__class__ is str else _scalar(value)


# What JSON cannot tell apart. Not "": a plain scalar is never empty (an empty value
# is JSON's null), so "" was quoted (`''`, what yaml.safe_dump writes) or a block
# scalar with no text: text, to the exact path too. Not "null": rapidyaml writes a
# plain one as null. "~" stays: `read_clients` made every plain one null, so a "~"
# left is one the fast path cannot place.
_AMBIGUOUS = NULLS - {"", "null"}


def _texts(values: list[Any]) -> list[str | None]:
    """A column of optional texts: as they are when all are text or null."""
    if set(map(type, values)) <= {str, type(None)} and _AMBIGUOUS.isdisjoint(values):
        return values
    return [_text(value) for value in values]


def _required_text(value: Any) -> str:
    text = _text(value)
    if text is None or not text.strip():
        raise _Decline
    return text


def _optional_required_text(value: Any) -> str | None:
    return None if value is None else _required_text(value)


def _client_id(value: Any) -> str:
    text = _required_text(value)
    if not ID_PATTERN.fullmatch(text):
        raise _Decline
    return text


def _items(value: Any) -> list[Any]:
    if value is None:
        return []
    if type(value) is not list:
        raise _Decline
    return value


def _goals(value: Any) -> list[str]:
    if value is None:
        return []
    if type(value) is list:
        return [goal for goal in map(_text, value) if goal is not None]
    goal = _text(value)
    return [] if goal is None else [goal]


def _bool(value: Any) -> bool:
    if value is None:
        return False
    text = _scalar(value).lower()
    if text not in ("true", "false"):
        raise _Decline
    return text == "true"


def _signed_day(value: Any) -> int | bool:
    """A signed day (`note_signed`): a day's ordinal, or true or false."""
    if value is None:
        return False
    if value.__class__ is str and DATE_PATTERN.fullmatch(value):
        return _day(value)
    text = _scalar(value).lower()
    if text not in ("true", "false"):
        raise _Decline
    return text == "true"


def _too_early(items: list[Any], name: str, other: str) -> bool:
    """Whether a mapping's `name` day is before its `other` day (both already read
    as valid: ISO days compare as their text)."""
    for item in items:
        day = item.get(name)
        if day.__class__ is str and day < item[other]:
            return True
    return False


# --- readers derived from the declarations (model/schema.py) ------------------------


def _enum(field: Field) -> Callable[[Any], str | None]:
    choices = frozenset(field.kind.choices)

    def read(value: Any) -> str | None:
        if value is not None and (value.__class__ is not str or value not in choices):
            raise _Decline
        return value

    return read


def _required(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read_required(value: Any) -> Any:
        if value is None:  # null or absent
            raise _Decline
        return read(value)

    return read_required


def _optional(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read_optional(value: Any) -> Any:
        return None if value is None else read(value)

    return read_optional


# Each kind's plain value (as `plain.py` keeps it) from the file's value; null or
# absent gives the kind's default. The fast ways to read a required value, which
# decline null by themselves, are listed apart.
_OPTIONAL: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "nonempty_text": _optional_required_text,
    "id": lambda value: None if value is None else _client_id(value),
    "date": lambda value: None if value is None else _day(value),
    "bool": _bool,
    "goals": _goals,
    "signed_day": _signed_day,
}
_REQUIRED: dict[str, Callable[[Any], Any]] = {
    "nonempty_text": _required_text, "id": _client_id, "date": _day,
}


def _value(field: Field) -> Callable[[Any], Any]:
    """A field's plain value from the file's value (None when absent), or _Decline."""
    read = _kind_value(field)
    if field.kind.name in _TEXT_KINDS and not field.several_lines:
        return _one_line(read)
    return read


# The kinds whose values are any text; one that is not free text must be one line.
_TEXT_KINDS = frozenset({"text", "nonempty_text"})


def _one_line(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`read`, declining a text with a line break or tab (JSON's escapes carry them
    through; the other controls were declined in the whole file)."""
    def read_one_line(value: Any) -> Any:
        text = read(value)
        if text is not None and refused_character(text, several_lines=False) is not None:
            raise _Decline
        return text

    return read_one_line


def _kind_value(field: Field) -> Callable[[Any], Any]:
    kind = field.kind
    if field.required and kind.name in _REQUIRED:
        return _REQUIRED[kind.name]
    read: Callable[[Any], Any]
    if kind.name == "records" and kind.record is not None:
        read = _records(kind.record)  # null or absent: no items
    elif kind.name == "mapping" and kind.record is not None:
        read = _optional(_mapping(kind.record))
    elif kind.name == "enum":
        read = _enum(field)
    else:
        read = _OPTIONAL[kind.name]
    return _required(read) if field.required else read


def _column(field: Field) -> Callable[[list[Any]], Any]:
    """The column of `field` of some records (the file's mappings) as the cache keeps it
    (`plain.column_encoder`), or _Decline; the common kinds at C speed."""
    get = itemgetter(field.name) if field.required else methodcaller("get", field.name)
    store = column_encoder(field)
    kind = field.kind.name
    if kind == "date" and field.required and store is not None:
        return lambda items: store(list(map(_day, map(get, items))))
    if kind == "enum" and store is not None:
        # A value that is not one of the choices (null in a required field) has no
        # letter: KeyError or TypeError, which decline.
        return lambda items: store(list(map(get, items)))
    if kind == "text" and not field.required and store is None and field.several_lines:
        return lambda items: _texts(list(map(get, items)))
    if kind == "signed_day" and not field.required and store is not None:
        stored = _StoredSignedDays(store)
        return lambda items: list(map(stored.__getitem__, map(get, items)))
    read = _value(field)
    if store is None:
        return lambda items: list(map(read, map(get, items)))
    return lambda items: store(list(map(read, map(get, items))))


class _StoredSignedDays(dict[Any, Any]):
    """A signed-day column's stored values by the file's values, each worked out once
    as `store([_signed_day(value)])` would (a caseload's sessions are signed on a
    few thousand days, or true, false or null); anything else declines."""

    def __init__(self, store: Callable[[list[Any]], Any]) -> None:
        super().__init__()
        self.store = store

    def __missing__(self, value: Any) -> Any:
        (stored,) = self.store([_signed_day(value)])
        if len(self) < 100_000:
            self[value] = stored
        return stored


def _records(record: Record) -> Callable[[Any], list[Any]]:
    """A list of `record` mappings as the cache keeps it: one column per field."""
    keysets = _KeySets(frozenset(record.keys), record.required)
    columns = [_column(f) for f in record.fields]
    ordered = [(f.name, f.not_before) for f in record.fields if f.not_before]

    def read(value: Any) -> list[Any]:
        items = _items(value)
        keysets.check(items)
        read_columns = [column(items) for column in columns]
        for name, other in ordered:  # a day before the one it may not precede
            if _too_early(items, name, other):
                raise _Decline
        return read_columns

    return read


def _mapping(record: Record) -> Callable[[Any], list[Any]]:
    """One `record` mapping as the cache keeps it: its fields' plain values."""
    keysets = _KeySets(frozenset(record.keys), record.required)
    fields = [(f.name, _value(f)) for f in record.fields]
    ordered = [(f.name, f.not_before) for f in record.fields if f.not_before]

    def read(mapping: Any) -> list[Any]:
        keysets.check([mapping])
        get = mapping.get
        values = [read_field(get(name)) for name, read_field in fields]
        for name, other in ordered:
            if _too_early([mapping], name, other):
                raise _Decline
        return values

    return read


_LEDGER_KEYS = frozenset(LEDGER.keys)
_LEDGER_SOURCE = _value(next(field for field in LEDGER.fields if field.name == "source"))
_LEDGER_SESSIONS = _records(LEDGER_ENTRY)


def _ledger(document: dict[str, Any], path: str) -> dict[str, Any]:
    """A session ledger in the cache's layout (`plain.plain_ledger`)."""
    _extras(document, _LEDGER_KEYS)  # x_ keys are accepted and not kept
    sessions = document["sessions"]
    if type(sessions) is not list:  # null: the exact path says so
        raise _Decline
    return {"path": path, "source": _LEDGER_SOURCE(document.get("source")),
            "sessions": _LEDGER_SESSIONS(sessions)}


_CLIENT_KEYS = frozenset(CLIENT.keys)
_CLIENT_FIELDS = [(field.name, _value(field)) for field in CLIENT.fields]
