"""Reading import files as a stream of records: CSV with a header row, or NDJSON (one JSON object a line).
Records come one at a time, each with its line number as a person counts lines in the file (a CSV's header
is line 1, its first row line 2; NDJSON's first line is 1), so nothing holds more than the caller's batch.
A record's values are a tuple in the order of the kind's keys (required, then optional; None for an absent key):
positions, not a dict per row, because a big import spends much of its time here."""
from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import PurePath
from typing import BinaryIO

from domain.imports.rules import key_problem
from domain.jsondepth import MAX_JSON_DEPTH, nests_deeper_than

CSV = "csv"
NDJSON = "ndjson"
FORMAT_OF_EXTENSION = {".csv": CSV, ".ndjson": NDJSON, ".jsonl": NDJSON}
FORMAT_OF_CONTENT_TYPE = {
    "text/csv": CSV, "application/csv": CSV,
    "application/x-ndjson": NDJSON, "application/ndjson": NDJSON, "application/jsonl": NDJSON,
    "application/x-jsonlines": NDJSON, "application/jsonlines": NDJSON,
}


@dataclass(slots=True)
class Record:
    line: int
    values: tuple | None                 # in the order of the kind's keys; None when the record could not be read
    problem: str | None = None
    fatal: bool = False                  # the file cannot be read on: nothing is imported


def format_of_filename(name: str) -> str | None:
    return FORMAT_OF_EXTENSION.get(PurePath(name).suffix.lower())


def format_of_content_type(content_type: str | None) -> str | None:
    return FORMAT_OF_CONTENT_TYPE.get((content_type or "").split(";")[0].strip().lower())


def read_records(stream: BinaryIO, fmt: str, required: tuple[str, ...],
                 optional: tuple[str, ...] = ()) -> Iterator[Record]:
    if fmt == CSV:
        return _read_csv(stream, required, optional)
    if fmt == NDJSON:
        return _read_ndjson(stream, required, optional)
    raise ValueError(f"unknown format {fmt!r}")


def _read_csv(stream: BinaryIO, required, optional) -> Iterator[Record]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    try:
        try:
            header = next(reader, None)
        except csv.Error as exc:  # e.g. a header cell over the field size limit
            yield Record(1, None, f"header: not readable as CSV: {exc}", fatal=True)
            return
        if header is None:
            yield Record(1, None, "the file is empty: a CSV needs a header row", fatal=True)
            return
        header = [h.strip() for h in header]
        duplicated = sorted({h for h in header if header.count(h) > 1})
        problem = key_problem(header, required, optional)
        if duplicated:
            problem = "; ".join(filter(None, [f"repeated columns: {', '.join(duplicated)}", problem]))
        if problem:
            yield Record(1, None, f"header: {problem}", fatal=True)
            return
        width = len(header)
        # An absent optional column reads from a None put after the row's last cell.
        positions = [header.index(k) if k in header else width for k in (*required, *optional)]
        pad = width in positions
        pick = itemgetter(*positions)
        start = 2  # the line the next record starts on
        while True:
            try:
                for row in reader:
                    if len(row) == width:
                        if pad:
                            row.append(None)
                        yield Record(start, pick(row))
                    elif row and (len(row) > 1 or row[0].strip()):  # not a blank line
                        yield Record(start, None, f"has {len(row)} fields, the header has {width}")
                    start = reader.line_num + 1
                return
            except csv.Error as exc:
                yield Record(start, None, f"not readable as CSV: {exc}")
                start = reader.line_num + 1
    except UnicodeDecodeError:
        yield Record(reader.line_num + 1, None, "the file is not UTF-8 text", fatal=True)
    finally:
        text.detach()  # leave the caller's stream open


def _read_ndjson(stream: BinaryIO, required, optional) -> Iterator[Record]:
    decode = codecs.getdecoder("utf-8-sig")
    keys = (*required, *optional)
    for number, raw in enumerate(stream, start=1):
        try:
            line = decode(raw)[0] if number == 1 else raw.decode("utf-8")
        except UnicodeDecodeError:
            yield Record(number, None, "not UTF-8 text")
            continue
        line = line.strip()
        if not line:
            continue
        if nests_deeper_than(line):  # json.loads would recurse until RecursionError
            yield Record(number, None, f"nests arrays and objects deeper than {MAX_JSON_DEPTH} levels")
            continue
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            yield Record(number, None, f"not valid JSON: {exc}")
            continue
        if not isinstance(data, dict):
            yield Record(number, None, "not a JSON object")
            continue
        problem = key_problem(data.keys(), required, optional)
        yield Record(number, None if problem else tuple(map(data.get, keys)), problem)
