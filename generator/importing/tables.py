"""Exports as rows of cells, streamed: CSV (UTF-8, with or without a BOM; comma,
semicolon or tab, detected) or an Excel workbook (.xlsx, its first sheet).

Nothing here knows what a column means. Each file is checked before its rows
are read (size, binary content, the kind of file), and each row comes with the
line (CSV) or row number (.xlsx) a message should name. CSV is split by the
standard library's csv module and xlsx read by openpyxl in read-only mode: a
row at a time, never the whole file in memory.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from generator.importing.problems import Problems, normal
from generator.wording import plural

MAX_EXPORT_BYTES = 256 * 1024 * 1024
SAMPLE_BYTES = 64 * 1024
DELIMITERS = ",;\t"
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}

Cell = str | date | datetime
Progress = Callable[[int], None]


@dataclass
class Table:
    """One export file, opened: its header, and its rows to be read once."""

    label: str
    header: list[str]
    rows: Iterator[tuple[int, list[Cell]]]  # (line or row number, cells)
    kind: str  # "CSV (comma)", ".xlsx"
    size: int
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()


def open_table(path: Path, label: str, problems: Problems, wanted: list[str],
               progress: Progress) -> Table | None:
    """The file at `path` as a Table, or None after recording why it cannot be read.
    `wanted` are the columns the profile reads, used to confirm the delimiter."""
    try:
        size = path.stat().st_size
        if not path.is_file():
            problems.add(label, "not a file")
            return None
    except OSError as exc:
        problems.add(label, "no such file" if isinstance(exc, FileNotFoundError)
                     else f"cannot read: {exc.strerror or exc}")
        return None
    if size > MAX_EXPORT_BYTES:
        problems.add(label, f"the file is over {MAX_EXPORT_BYTES // (1024 * 1024)} MiB "
                     f"({size / (1024 * 1024):,.0f} MiB); export a shorter period")
        return None
    try:
        with open(path, "rb") as handle:
            head = handle.read(SAMPLE_BYTES)
    except OSError as exc:
        problems.add(label, f"cannot read: {exc.strerror or exc}")
        return None
    if not head.strip(b" \t\r\n") or head.strip(b" \t\r\n") == b"\xef\xbb\xbf":
        problems.add(label, "the file is empty")
        return None
    if head.startswith(b"PK\x03\x04"):
        return _xlsx(path, label, problems, size, progress)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        problems.add(label, "an old Excel workbook (.xls); save it as .xlsx or as CSV UTF-8")
        return None
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        problems.add(label, "not an Excel workbook, although its name ends in "
                     f"{path.suffix}")
        return None
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        problems.add(label, "UTF-16 text; export it as CSV UTF-8")
        return None
    if b"\x00" in head:
        problems.add(label, "not a CSV or .xlsx file (it holds binary data)")
        return None
    return _csv(path, label, problems, head, size, wanted, progress)


# --- CSV ------------------------------------------------------------------------------


class _Lines:
    """The file's lines as text, with their count, reporting undecodable UTF-8 once."""

    def __init__(self, handle: IO[bytes], label: str, problems: Problems,
                 progress: Progress) -> None:
        self.handle = handle
        self.label = label
        self.problems = problems
        self.progress = progress
        self.count = 0
        self.bad_lines = 0
        self.first_bad = 0
        self.reported = False

    def __iter__(self) -> Iterator[str]:
        progress, pending = self.progress, 0
        for raw in self.handle:
            self.count += 1
            pending += len(raw)
            if pending >= 1 << 20:
                progress(pending)
                pending = 0
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                self.bad_lines += 1
                self.first_bad = self.first_bad or self.count
                line = raw.decode("utf-8", errors="replace")
            if self.count == 1:
                line = line.removeprefix("\ufeff")
            yield line
        progress(pending)

    def report(self) -> None:
        """Record the encoding problem, if any (once; when the rows are read or the file
        is closed unread)."""
        if self.bad_lines and not self.reported:
            self.reported = True
            more = f" (and {plural(self.bad_lines - 1, 'more line')})" \
                if self.bad_lines > 1 else ""
            self.problems.add(f"{self.label}:{self.first_bad}",
                              f"not UTF-8 text{more}; export the file as CSV UTF-8")


def _csv(path: Path, label: str, problems: Problems, head: bytes, size: int,
         wanted: list[str], progress: Progress) -> Table | None:
    delimiter = _delimiter(head, wanted)
    handle = open(path, "rb")  # noqa: SIM115 (closed by the Table, after its rows are read)
    lines = _Lines(handle, label, problems, progress)
    line_iter = iter(lines)
    reader = csv.reader(line_iter, delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=False)
    try:
        header = next(reader, None)
    except csv.Error as exc:
        handle.close()
        problems.add(f"{label}:1", f"the header line cannot be read as CSV ({exc})")
        return None
    if header is None or not any(cell.strip() for cell in header):
        handle.close()
        lines.report()
        problems.add(label, "the file is empty")
        return None

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        previous = reader.line_num
        try:
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    break
                except csv.Error as exc:
                    problems.add(f"{label}:{previous + 1}", f"not valid CSV here ({exc})",
                                 (label, "not valid CSV"))
                    previous = reader.line_num
                    continue
                start, previous = previous + 1, reader.line_num
                if any(cells):
                    yield start, list(cells)
        finally:
            lines.report()

    kind = f"CSV, {DELIMITER_NAMES[delimiter]}-separated"
    return Table(label, [h.strip() for h in header], rows(), kind, size,
                 [lines.report, handle.close])


def _delimiter(head: bytes, wanted: list[str]) -> str:
    """The delimiter: the csv module's Sniffer guesses from the first lines; the
    guess stands when the header then has the profile's columns, else the
    candidate that finds the most of them does (comma when none finds any)."""
    text = head.decode("utf-8", errors="replace").removeprefix("\ufeff")
    if len(head) == SAMPLE_BYTES and "\n" in text:
        text = text[: text.rindex("\n") + 1]  # whole lines only
    first_line = text.splitlines()[0] if text else ""
    try:
        guess = csv.Sniffer().sniff(text, delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = ","
    wanted_normal = {normal(w) for w in wanted}

    def found(delimiter: str) -> int:
        cells = next(csv.reader([first_line], delimiter=delimiter), [])
        return len(wanted_normal & {normal(c) for c in cells})

    scores = {d: found(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: (scores[d], d == guess, d == ","))
    return guess if scores[guess] == scores[best] else best


# --- xlsx -----------------------------------------------------------------------------


def _xlsx(path: Path, label: str, problems: Problems, size: int,
          progress: Progress) -> Table | None:
    import openpyxl  # only when a workbook is imported
    from openpyxl.utils.exceptions import InvalidFileException

    broken = (InvalidFileException, OSError, KeyError, ValueError, TypeError, IndexError,
              EOFError)
    try:
        import zipfile

        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, *broken):
        problems.add(label, "not a valid .xlsx workbook (it cannot be opened as one)")
        return None
    sheet = workbook.worksheets[0] if workbook.worksheets else None
    if sheet is None:
        workbook.close()
        problems.add(label, "the workbook has no sheet")
        return None
    total_rows = getattr(sheet, "max_row", None) or 0
    iterator: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
    number = 0
    header: list[str] | None = None
    try:
        for values in iterator:
            number += 1
            cells = [_cell(v) for v in values]
            if any(c != "" for c in cells):
                header = [str(c).strip() for c in cells]
                break
    except broken:
        workbook.close()
        problems.add(label, "not a valid .xlsx workbook (its sheet cannot be read)")
        return None
    if header is None:
        workbook.close()
        problems.add(label, "the file is empty (its first sheet has no rows)")
        return None
    header_row = number
    step = max(total_rows // 100, 1)

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        row = header_row
        try:
            for values in iterator:
                row += 1
                if row % step == 0 and total_rows:
                    progress(size * step // total_rows)
                cells = [_cell(v) for v in values]
                if any(c != "" for c in cells):
                    yield row, cells
        except broken:
            problems.add(f"{label}:{row}", "the sheet cannot be read from here on; the "
                         "workbook is damaged")

    return Table(label, header, rows(), ".xlsx", size, [workbook.close])


def _cell(value: Any) -> Cell:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, time):
        return value.isoformat()
    return str(value).strip()


def text_of(cell: Cell) -> str:
    """A cell as text (a workbook's dates in ISO form)."""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return cell.strip()

