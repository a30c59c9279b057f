"""Read an audit request (`audits/NAME.yaml`) with the same exact node reader as every
other workspace file: composed into nodes, never constructed, no tags or anchors,
every problem as `FILE:LINE: where: what`, all of them at once.

```yaml
payer: summit-health          # optional; a file in site_config/payers/
requested_on: 2026-11-20      # required
due: 2026-12-04               # optional
business_days: 10             # optional (used when due is absent); null: not given
holidays: [2026-11-26]        # optional
period: {from: 2026-05-01, to: 2026-10-31}   # optional; either bound may be left out
members: [C-1001, XJH4471902] # required, not empty: client ids or member numbers, as text
```
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode

from generator.model.audit import AUDITS_DIR, AuditRequest, Member
from generator.reading import yamlnodes
from generator.reading.exact import (
    PAYERS_DIR,
    InputError,
    WorkspaceInvalid,
    _Collect,
    _date,
    _decode,
    _Doc,
    _fields,
    _int,
    _Invalid,
    _is_null,
    _items,
    _kind,
    _parse,
    _read_bytes,
    _required_text,
    _too_large,
    _TooLarge,
)
from generator.reading.sitesettings import _wheres
from generator.wording import quoted, suggest

REQUEST_KEYS = ("payer", "requested_on", "due", "business_days", "holidays", "period", "members")
PERIOD_KEYS = ("from", "to")


def request_files(workspace: Path) -> list[Path]:
    """The workspace's audit requests: audits/*.yaml and *.yml, in name order."""
    folder = workspace / AUDITS_DIR
    if not folder.is_dir():
        return []
    # Not only regular files: a FIFO or a device there is refused by name when read.
    return sorted(p for p in folder.iterdir()
                  if p.suffix in (".yaml", ".yml") and (not p.is_dir() or p.is_symlink()))


def read_audit_requests(workspace: Path, payers: Iterable[str]) -> list[AuditRequest]:
    """Every request under audits/, or WorkspaceInvalid with every problem of all of them."""
    errors: list[InputError] = []
    requests = []
    for path in request_files(workspace):
        request = _read(path, workspace, payers, errors)
        if request is not None:
            requests.append(request)
    if errors:
        raise WorkspaceInvalid(errors)
    return requests


def read_audit_request(path: Path, workspace: Path, payers: Iterable[str]) -> AuditRequest:
    """The request in `path` (anywhere; named relative to `workspace` when inside it),
    checked against the workspace's payers; or WorkspaceInvalid."""
    errors: list[InputError] = []
    request = _read(path, workspace, payers, errors)
    if errors or request is None:
        raise WorkspaceInvalid(errors)
    return request


def _shown(path: Path, workspace: Path) -> str:
    absolute, root = path.absolute(), workspace.absolute()
    with contextlib.suppress(ValueError):
        return absolute.relative_to(root).as_posix()
    return str(path)


def _read(path: Path, workspace: Path, payers: Iterable[str], errors: list[InputError]
          ) -> AuditRequest | None:
    doc = _Doc(_shown(path, workspace), errors, budget=0)
    # A request may be kept anywhere: only a link is refused from leading elsewhere.
    data = _read_bytes(path.parent, path, doc, resolve=False)
    text = _decode(data, doc) if data is not None else None
    if text is None:
        return None
    try:
        root = _parse(doc, text)
        _refuse_properties(doc, root, text)
        return _request(doc, root, path, frozenset(payers))
    except _Invalid:
        return None
    except _TooLarge:
        errors.append(_too_large(doc))
        return None


def _refuse_properties(doc: _Doc, root: Node | None, text: str) -> None:
    found = yamlnodes.node_properties(text)
    if not found or root is None:
        return
    wheres = _wheres(root)
    for line, column, kind, name in found:
        where = wheres.get((line, column), "document")
        what = (f"tags are not allowed (found {quoted(name)}): write plain values"
                if kind == "tag" else
                f"anchors and aliases are not allowed (found {quoted('&' + name)}): "
                "write the value out")
        doc.errors.append(InputError(doc.path, line + 1, where, what))
    raise _Invalid


def _request(doc: _Doc, root: Node | None, path: Path, payers: frozenset[str]) -> AuditRequest:
    if root is None:
        doc.error(None, "document", "the file is empty; an audit request needs "
                  "'requested_on' and 'members'")
        raise _Invalid
    fields = _fields(doc, root, "", REQUEST_KEYS, ("requested_on", "members"),
                     expected="an audit request (a mapping)")
    read = _Collect(doc, fields, "", ("requested_on", "members"))
    payer = read.get("payer", _required_text)
    requested_on = read.get("requested_on", _date)
    due = read.get("due", _date)
    business_days = read.get("business_days", _days)
    holidays = read.get("holidays", _dates)
    period = read.get("period", _period)
    members = read.get("members", _members)
    period_from, period_to = period or (None, None)
    if payer is not None and payer not in payers:
        doc.error(fields.values["payer"], "payer",
                  f"no policy file for payer {quoted(payer)} in {PAYERS_DIR}/"
                  f"{suggest(payer, payers)}")
        read.failed = True
    if period_from and period_to and period_from > period_to:
        doc.error(fields.values["period"], "period",
                  f"'from' {period_from} is after 'to' {period_to}")
        read.failed = True
    if due is not None and requested_on is not None and due < requested_on:
        doc.error(fields.values["due"], "due",
                  f"{due} is before requested_on {requested_on}")
        read.failed = True
    if read.failed or requested_on is None or not members:
        raise _Invalid
    return AuditRequest(
        path=doc.path, stem=path.stem, requested_on=requested_on, members=members,
        payer=payer, due_given=due, business_days=business_days,
        holidays=frozenset(holidays or ()), period_from=period_from, period_to=period_to,
        as_written=_as_written(fields.node, fields.extras, payer=payer,
                               requested_on=requested_on, due=due,
                               business_days=business_days, holidays=holidays,
                               period=fields.values.get("period"), period_from=period_from,
                               period_to=period_to, members=members),
    )


def _days(doc: _Doc, node: Node, where: str) -> int:
    return _int(doc, node, where, 0)


def _dates(doc: _Doc, node: Node, where: str) -> tuple[date, ...]:
    found = []
    failed = False
    for _, item, item_where in _items(doc, node, where):
        try:
            found.append(_date(doc, item, item_where))
        except _Invalid:
            failed = True
    if failed:
        raise _Invalid
    return tuple(found)


def _period(doc: _Doc, node: Node, where: str) -> tuple[date | None, date | None]:
    fields = _fields(doc, node, where, PERIOD_KEYS, expected="a mapping {from, to}",
                     own_keys=False)
    read = _Collect(doc, fields, where)
    start = read.get("from", _date)
    end = read.get("to", _date)
    if read.failed:
        raise _Invalid
    return start, end


def _members(doc: _Doc, node: Node, where: str) -> tuple[Member, ...]:
    found = []
    failed = False
    for index, item, item_where in _items(doc, node, where):
        if not isinstance(item, ScalarNode):
            doc.error(item, item_where, f"expected a client id or member number, got "
                      f"{_kind(item)}")
            failed = True
        elif _is_null(item) or not item.value.strip():
            doc.error(item, item_where, "must not be empty")
            failed = True
        else:
            # The text as written: a bare 0012345 stays "0012345", `yes` stays "yes".
            found.append(Member(item.value, item.start_mark.line + 1, index))
    if failed:
        raise _Invalid
    if not found:
        doc.error(node, where, "lists no members; name at least one client id or member "
                  "number")
        raise _Invalid
    return tuple(found)


def _as_written(root: MappingNode, extras: dict[str, Any], *, payer: str | None,
                requested_on: date, due: date | None, business_days: int | None,
                holidays: tuple[date, ...] | None, period: Node | None,
                period_from: date | None, period_to: date | None,
                members: tuple[Member, ...]) -> dict[str, Any]:
    """The keys present in the file, in its order, with their schema-typed values
    (a key given as null is present, with null)."""
    values: dict[str, Any] = {
        "payer": payer,
        "requested_on": requested_on.isoformat(),
        "due": due.isoformat() if due else None,
        "business_days": business_days,
        "holidays": [d.isoformat() for d in holidays] if holidays is not None else None,
        "members": [m.text for m in members],
        "period": None,
    }
    if isinstance(period, MappingNode):
        bounds = {"from": period_from, "to": period_to}
        values["period"] = {
            key.value: _iso(bounds[key.value]) for key, _ in period.value
            if isinstance(key, ScalarNode) and key.value in bounds
        }
    written: dict[str, Any] = {}
    for key_node, _ in root.value:
        key = key_node.value if isinstance(key_node, ScalarNode) else None
        if key in extras:
            written[key] = extras[key]
        elif key in values:
            written[key] = values[key]
    return written


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
