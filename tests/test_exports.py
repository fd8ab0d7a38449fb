"""Exports' pure parts: a CSV whose every text cell is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io

from bot.exports import csv_bytes


def test_every_text_cell_is_kept_from_running_as_a_formula() -> None:
    rows: list[list[object]] = [
        ["title", "question", "answer", "total"],
        ['=HYPERLINK("https://example.org")', "  +1 question", "@me", 7],
        ["Plain", "－full width", "\tTabbed", -3],
        ["", "a = b", "fine - really", None],
    ]
    read = list(csv.reader(io.StringIO(csv_bytes(rows).decode("utf-8"))))
    assert read[1] == ['\'=HYPERLINK("https://example.org")', "'  +1 question", "'@me", "7"]
    assert read[2] == ["Plain", "'－full width", "'\tTabbed", "-3"]  # a number stays a number
    assert read[3] == ["", "a = b", "fine - really", ""]
