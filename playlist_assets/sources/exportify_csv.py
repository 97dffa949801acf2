"""The records of an Exportify CSV as Exportify wrote them, including the years it did not escape quotes.

Exportify wrapped names in quotes without doubling the quotes inside them (``"Evelyn "Champagne" King"``;
watsonbox/exportify#14 until 2020, pavelkomarov/exportify#71 until 2025-07), which Python's csv module
rejects. A file that is not valid CSV is read again record by record: a record that is valid CSV on its own
is read as such, any other by the rule Exportify wrote by, where a quoted field ends at the first quote
followed by a comma or a line end and every other quote is part of the name. A quote followed by a comma
inside a name (``"Royce Da 5'9",Joell Ortiz"``) is recognised when the text after that comma, up to the next
comma, is not quoted yet holds a quote: Exportify quoted every column that can hold one.
"""

from __future__ import annotations

import csv
import io
import re
from typing import NamedTuple

#: The cause, in words, of a record whose fields do not match the header after such a repair.
UNESCAPED_QUOTE = (
    "a quote inside a name that Exportify did not escape, followed by a comma: where the name ends cannot be told"
)

_CLOSING_QUOTE = re.compile(r'"(?=,|\r|\n|\Z)')
_UNQUOTED_FIELD = re.compile(r"[^,\r\n]*")
_LINE_END = re.compile(r"\r\n|\r|\n")


class Record(NamedTuple):
    line: int  # the line the record starts on, 1-based
    fields: list[str]
    repaired: bool  # True when a quote Exportify did not escape was read as part of a field


def read_records(text: str) -> list[Record]:
    """Every record of ``text``; ValueError naming the line of a quote that is never closed."""
    try:
        return _valid_csv_records(text)
    except csv.Error:
        return _records_as_exportify_wrote_them(text)


def _valid_csv_records(text: str) -> list[Record]:
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records, line = [], 1
    for fields in reader:
        records.append(Record(line, fields, False))
        line = reader.line_num + 1
    return records


def _records_as_exportify_wrote_them(text: str) -> list[Record]:
    records, position, line = [], 0, 1
    while position < len(text):
        start = position
        fields, repaired = [], False
        while True:
            if text.startswith('"', position):
                end = _closing_quote(text, position + 1)
                if end is None:
                    raise ValueError(f"line {line}: a quote that is never closed")
                fields.append(text[position + 1 : end])
                repaired = repaired or '"' in fields[-1]
                position = end + 1
            else:
                field = _UNQUOTED_FIELD.match(text, position)
                fields.append(field.group())
                position = field.end()
            if not text.startswith(",", position):
                break
            position += 1
        if repaired:
            fields, repaired = _as_valid_csv(text[start:position], len(fields)) or (fields, True)
        records.append(Record(line, fields, repaired))
        line += len(_LINE_END.findall(text, start, position))
        line_end = _LINE_END.match(text, position)
        if line_end:
            position, line = line_end.end(), line + 1
    return records


def _closing_quote(text: str, position: int) -> int | None:
    """Index of the quote that closes the field opened just before ``position``; None when none does."""
    for quote in _CLOSING_QUOTE.finditer(text, position):
        after = quote.end() + 1
        if text.startswith(",", quote.end()) and not text.startswith('"', after):
            if '"' in _UNQUOTED_FIELD.match(text, after).group():
                continue  # the next "field" ends in a quote: this quote and comma were part of the name
        return quote.start()
    return None


def _as_valid_csv(record: str, count: int) -> tuple[list[str], bool] | None:
    """The ``count`` fields of one record when it is valid CSV on its own with that many (its quotes doubled as
    they should be, in a file where another record is not)."""
    try:
        parsed = list(csv.reader(io.StringIO(record, newline=""), strict=True))
    except csv.Error:
        return None
    return (parsed[0], False) if len(parsed) == 1 and len(parsed[0]) == count else None
