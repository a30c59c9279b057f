"""The browser benchmark's pure parts: reading the finder's index and the table.

The measurement itself is not a test (speed is measured in benchmarks/, never
asserted); these only keep its output right.
"""

from __future__ import annotations

import pytest

from benchmarks.browser import CannotMeasure, Measurement, met, read_client_index, table


def test_reads_the_client_index_as_the_site_writes_it() -> None:
    text = ('window.CASELOAD_CLIENTS = [{"id":"C-1","name":"A \\u003cB\\u003e",'
            '"status":"Active","url":"clients/C-1.html"}];\n')
    assert read_client_index(text) == [
        {"id": "C-1", "name": "A <B>", "status": "Active", "url": "clients/C-1.html"}]


@pytest.mark.parametrize("text", ["", "window.CASELOAD_CLIENTS = [];", "var x = [1];"])
def test_an_index_it_cannot_use_is_a_measurement_failure(text: str) -> None:
    with pytest.raises(CannotMeasure):
        read_client_index(text)


def test_met_is_strictly_under_the_target() -> None:
    assert met(999.9) == "yes"
    assert met(1000.0) == "no"
    assert met(None) == "-"


def test_table_rows_and_verdicts() -> None:
    rows = [Measurement(10_000, "roster, page 1 (roster.html)", 1_234_567, 500, 1520.4, 980.2),
            Measurement(10_000, "finder (roster.html, typing C-10000)", 900_000, 1, 12.6,
                        note="the link opens clients/C-10000.html")]
    lines = table(rows).splitlines()
    assert lines[0] == ("| clients | page | bytes | rows | DOMContentLoaded ms | load ms "
                        "| target | met? |")
    assert len(lines) == 4
    assert lines[2] == ("| 10,000 | roster, page 1 (roster.html) | 1,234,567 | 500 | 980 "
                        "| 1,520 | < 1,000 ms | no |")
    assert lines[3] == ("| 10,000 | finder (roster.html, typing C-10000) | 900,000 | 1 | - "
                        "| 13 | < 1,000 ms | yes (the link opens clients/C-10000.html) |")


def test_a_filter_row_is_held_to_its_own_target() -> None:
    rows = [Measurement(10_000, "filter, at least one warning (roster.html)", 1_000, 250, 64.2,
                        note="4,321 clients match", target=100.0),
            Measurement(10_000, "filter, inactive clients of lee (roster.html)", 1_000, 30, 100.0,
                        target=100.0)]
    lines = table(rows).splitlines()
    assert lines[2] == ("| 10,000 | filter, at least one warning (roster.html) | 1,000 | 250 | - "
                        "| 64 | < 100 ms | yes (4,321 clients match) |")
    assert lines[3].endswith("| 100 | < 100 ms | no |")
