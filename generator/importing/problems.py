"""What went wrong with an import's input: every problem, each where it is."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from generator.wording import closest, plural, printable

# Beyond this many problems of one kind (same file, same column, same complaint),
# the rest are counted on one line: a profile that reads every date wrongly
# should not print 100,000 lines.
SHOWN_PER_KIND = 20
# An echoed value longer than this, or spanning lines, is not shown: a value in
# the wrong column could be a note, and errors never quote free text.
ECHO_LIMIT = 40


class ImportInvalid(Exception):
    """The import's input is invalid; nothing was written. `lines` say why, one a line."""

    def __init__(self, lines: list[str], count: int) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.count = count


class Problems:
    """Every problem found, in the order found, shown at most SHOWN_PER_KIND per kind."""

    def __init__(self) -> None:
        self._shown: list[str] = []
        self._per_kind: Counter[tuple[str, str]] = Counter()
        self.count = 0

    def add(self, where: str, what: str, kind: tuple[str, str] | None = None) -> None:
        """`where: what`. `kind`, (file, short description), groups repeats of one
        complaint; without it the problem is a kind of its own."""
        self.count += 1
        key = kind if kind is not None else (where, what)
        self._per_kind[key] += 1
        if self._per_kind[key] <= SHOWN_PER_KIND:
            self._shown.append(printable(f"{where}: {what}"))

    def __bool__(self) -> bool:
        return self.count > 0

    def lines(self) -> list[str]:
        lines = list(self._shown)
        for (label, summary), count in self._per_kind.items():
            if count > SHOWN_PER_KIND:
                more = plural(count - SHOWN_PER_KIND, "more error")
                lines.append(printable(f"{label}: {more} like these: {summary}"))
        return lines

    def raise_if_any(self) -> None:
        if self.count:
            lines = self.lines()
            lines.append(f"caseload import: {plural(self.count, 'error')}; nothing was written.")
            raise ImportInvalid(lines, self.count)


def echo(value: str) -> str | None:
    """`value` fit to quote in a message, or None when it might be free text."""
    if len(value) > ECHO_LIMIT or "\n" in value or "\r" in value:
        return None
    return value


def quoted(value: str, what: str = "value") -> str:
    """"'Noshow'" or "a value of 212 characters (not shown)"."""
    shown = echo(value)
    if shown is None:
        return f"a {what} of {len(value)} characters (not shown)"
    return f"'{shown}'"


def normal(value: str) -> str:
    """How values, names and columns are compared: letter case and spacing ignored."""
    return " ".join(value.casefold().split())


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """"; did you mean 'No Show'?" among `choices` as written, comparing like `normal`."""
    table: dict[str, str] = {}
    for choice in choices:
        table.setdefault(normal(choice).replace("-", "_").replace(" ", "_"), choice)
    match = closest(normal(value), table)
    return f"; did you mean '{table[match]}'?" if match is not None else ""
