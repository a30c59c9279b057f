"""Parse YAML text into a node tree that keeps line numbers, safely.

We never let PyYAML construct Python values: its YAML 1.1 rules would turn a
bare `No` into False and `0012` into 10. Instead we compose the node tree (each
node keeps its text exactly as written and its position) and type values by our
own schema in `exact.py`.
"""

from __future__ import annotations

import re

import yaml
from yaml.nodes import Node

_FastLoader = getattr(yaml, "CSafeLoader", None)

# Plain (unquoted) scalars that mean "no value"; quoted, they are text. Both readers
# (exact.py, fast.py) must mean the same by a null.
NULLS = frozenset({"", "~", "null", "Null", "NULL"})

# libyaml's composer recurses on the C stack and crashes the interpreter on
# very deep nesting, so text that *might* nest deeply goes to the pure-Python
# composer, which raises RecursionError instead.
_FAST_PATH_MAX_DEPTH = 500


class YamlSyntaxError(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def compose(text: str) -> Node | None:
    """The single document in `text` as a node tree (None for an empty file)."""
    _refuse_control_characters(text)
    loader = _FastLoader if _FastLoader and _nesting_bound(text) <= _FAST_PATH_MAX_DEPTH \
        else yaml.SafeLoader
    try:
        return yaml.compose(text, Loader=loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise YamlSyntaxError(line, _describe(exc)) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise YamlSyntaxError(
            line, f"control character U+{code:04X} is not allowed in YAML text"
        ) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(1, str(exc).splitlines()[0]) from None
    except RecursionError:
        raise YamlSyntaxError(1, "the YAML is nested too deeply") from None


def node_properties(text: str) -> list[tuple[int, int, str, str]]:
    """Every explicit tag and anchor in `text`, which `compose` accepted, in order.

    Each is (line, column, kind, name): where its node starts (0-based, as the
    composed node's `start_mark` has it), "tag" or "anchor", and the tag (as
    written, `!!` for YAML's own) or the anchor's name. Composed nodes do not
    tell an explicit `!!str x` from a plain `x`; the parser's events do.
    Parsing events does not nest on the C stack, so the fast parser is safe here.
    """
    found = []
    for event in yaml.parse(text, Loader=_FastLoader or yaml.SafeLoader):
        if not isinstance(event, yaml.NodeEvent) or isinstance(event, yaml.AliasEvent):
            continue
        mark = event.start_mark
        if mark is None:  # the parser marks every event it makes; be safe all the same
            continue
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = "!!" + tag[len(_YAML_TAG):] if tag.startswith(_YAML_TAG) else tag
            found.append((mark.line, mark.column, "tag", shown))
        if event.anchor is not None:
            found.append((mark.line, mark.column, "anchor", event.anchor))
    return found


_YAML_TAG = "tag:yaml.org,2002:"


# YAML's printable set (as PyYAML checks it), inverted: what may not appear in a file.
_NOT_PRINTABLE = re.compile(
    "[^\x09\x0A\x0D\x20-\x7E\x85\xA0-\uD7FF\uE000-\uFFFD\U00010000-\U0010FFFF]"
)
# Its ASCII part: what is left after deleting these bytes must be nothing.
_PRINTABLE_ASCII = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])


def has_unprintable(text: str, data: bytes | None = None) -> bool:
    """Whether `text` holds a character YAML does not allow (compose reports where).

    Given `data`, the same text as bytes, an ASCII file is checked at C speed.
    """
    if data is not None and data.isascii():
        return bool(data.translate(None, _PRINTABLE_ASCII))
    return _NOT_PRINTABLE.search(text) is not None


def _refuse_control_characters(text: str) -> None:
    # Checked here, on characters, because libyaml reports the position in bytes.
    match = _NOT_PRINTABLE.search(text)
    if match:
        line = text.count("\n", 0, match.start()) + 1
        raise YamlSyntaxError(
            line, f"control character U+{ord(match.group()):04X} is not allowed in YAML text"
        )


def _describe(exc: yaml.MarkedYAMLError) -> str:
    parts = [p for p in (exc.context, exc.problem) if p]
    return "; ".join(parts) or "invalid YAML"


def _nesting_bound(text: str) -> int:
    """An upper bound on how deeply `text` can nest (cheap, conservative)."""
    return _flow_depth_bound(text) + _block_depth_bound(text)


def _flow_depth_bound(text: str) -> int:
    # Peel matched innermost bracket pairs one level per pass, at C speed.
    # Brackets inside quoted text may leave an unmatched residue: then we
    # cannot bound the depth and report the worst case.
    brackets = _NOT_BRACKET.sub("", text)
    for depth in range(_FAST_PATH_MAX_DEPTH + 1):
        if not brackets:
            return depth
        peeled = brackets.replace("[]", "").replace("{}", "")
        if peeled == brackets:
            break
        brackets = peeled
    return _FAST_PATH_MAX_DEPTH + 1


def _block_depth_bound(text: str) -> int:
    # A block collection nests deeper only by indenting further, except for
    # compact forms on one line ("- - x", "- a: b", "? ? x").
    bound = 0
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        compact = stripped.count("- ") + stripped.count(": ") + stripped.count("? ")
        bound = max(bound, 2 * (indent + 1) + compact)
    return bound


_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
