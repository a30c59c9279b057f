"""Whether a client's own file lists sessions (then they are kept by hand there).

A client's sessions come from one place: its own `sessions:` or ledgers. This
looks at the client's file itself rather than at the loaded client, whose
sessions will include the ledgers' once the reader reads them. Files without
a `sessions:` key anywhere are passed over without being parsed.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from generator.model.records import Client

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# A `sessions` key, bare or quoted (the word alone, as in a comment, is not one).
_SESSIONS_KEY = re.compile(rb"sessions[\"']?[ \t]*:")


class HandKept:
    def __init__(self, workspace: Path) -> None:
        self.workspace = workspace
        self._roots: dict[str, Node | None] = {}

    def sessions_line(self, client: Client) -> int | None:
        """The line of `sessions:` in the client's own file when it lists any, else None."""
        root = self._root(client.source.path)
        if root is None:
            return None
        mapping = _client_mapping(root, client.id)
        if mapping is None:
            return None
        for key, value in mapping.value:
            if isinstance(key, ScalarNode) and key.value == "sessions" \
                    and isinstance(value, SequenceNode) and value.value:
                return int(key.start_mark.line) + 1
        return None

    def _root(self, relative: str) -> Node | None:
        if relative not in self._roots:
            root = None
            try:
                data = (self.workspace / relative).read_bytes()
                if _SESSIONS_KEY.search(data):
                    root = yaml.compose(data.decode("utf-8-sig"), Loader=_Loader)
            except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
                root = None  # the reader accepted it; if it changed since, it says so next time
            self._roots[relative] = root
        return self._roots[relative]


def _client_mapping(root: Node, client_id: str) -> MappingNode | None:
    if not isinstance(root, MappingNode):
        return None
    candidates: list[Node] = [root]
    for key, value in root.value:
        if isinstance(key, ScalarNode) and key.value == "clients" \
                and isinstance(value, SequenceNode):
            candidates = list(value.value)
    for node in candidates:
        if isinstance(node, MappingNode):
            for key, value in node.value:
                if isinstance(key, ScalarNode) and key.value == "id" \
                        and isinstance(value, ScalarNode) \
                        and value.value.casefold() == client_id.casefold():
                    return node
    return None
