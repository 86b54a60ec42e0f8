"""Reading the files users hand to a command: dumps, tables, recipes, sidecars, images, predictions.

One reader for every command, so that every command refuses a bad file the same way: a one-line
``UserError`` (exit 2) naming the file, where in it the problem is, and what to do. Refused:

- a missing file, a folder where a file was expected, a file the user may not read;
- text that is not UTF-8 (a UTF-8 or UTF-16 byte-order mark is honoured): the message gives the
  byte offset of the first undecodable byte; a character is never silently replaced;
- binary data where text was expected (a NUL byte);
- a truncated file: a CSV whose last row has fewer fields than the header or ends inside a quoted
  field, a JSON-lines file whose last line does not parse, a JSON or TOML document cut short, a
  parquet file with a damaged footer or pages, an SPSS file with fewer rows than its header says.
  Importers of dumps may accept a truncated CSV/JSONL without its cut record (``allow_truncated``);
  what was left out is returned so it can be recorded;
- images that do not decode, or that decode to more than ``MAX_IMAGE_PIXELS`` (decompression bombs).
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pisar_data.errors import UserError

# A full-page 1920 x 30,000 web screenshot is 58 MP; a phone screen 3 MP. Larger is a decompression bomb.
MAX_IMAGE_PIXELS = 64_000_000
TABLE_READERS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
TRUNCATED_HINT = "re-export or download the complete file"
BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def open_error(path: Path, error: OSError, expected: str) -> UserError:
    """The one-line message for a file that cannot be opened."""
    if isinstance(error, FileNotFoundError):
        return UserError(f"{path}: file not found; expected {expected}")
    if isinstance(error, IsADirectoryError):
        return UserError(f"{path}: is a folder; expected {expected}")
    if isinstance(error, PermissionError):
        return UserError(f"{path}: permission denied; make the file readable by you (chmod u+r) or copy it somewhere you can read")
    return UserError(f"{path}: cannot be read ({error.strerror or _first_line(error)}); expected {expected}")


def check_readable(path: str | Path, expected: str) -> Path:
    """``path`` if it is a file this user can read; else the one-line UserError."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{path}: is a folder; expected {expected}")
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise open_error(path, error, expected) from None
    return path


def read_bytes(path: str | Path, expected: str) -> bytes:
    path = check_readable(path, expected)
    try:
        return path.read_bytes()
    except OSError as error:
        raise open_error(path, error, expected) from None


def decode_text(data: bytes, path: Path, expected: str) -> str:
    """UTF-8 text (or UTF-16 with a byte-order mark); a one-line UserError naming the byte offset otherwise."""
    encoding, skip = "utf-8", 0
    for bom, name in BOMS:
        if data.startswith(bom):
            encoding, skip = name, len(bom)
            break
    if encoding == "utf-8":
        nul = data.find(b"\x00", 0, 1 << 16)
        if nul >= 0:
            raise UserError(f"{path}: binary data (a NUL byte at byte offset {nul}); expected {expected} as UTF-8 text")
    try:
        return data[skip:].decode(encoding)
    except UnicodeDecodeError as error:
        offset = skip + error.start
        line = data.count(b"\n", 0, offset) + 1
        raise UserError(
            f"{path}: not {encoding.upper()} text: byte 0x{data[offset]:02x} at byte offset {offset} (line {line}) cannot be decoded; "
            f"expected {expected} in UTF-8 — convert it first, e.g. `iconv -f cp1252 -t utf-8 {path.name} > utf8-{path.name}` "
            "for a Latin-1/Windows file"
        ) from None


def read_text(path: str | Path, expected: str) -> str:
    path = Path(path)
    return decode_text(read_bytes(path, expected), path, expected)


def _json_error(path: Path, text: str, error: json.JSONDecodeError, expected: str) -> UserError:
    cut = not text[error.pos :].strip()
    hint = f"the file looks truncated; {TRUNCATED_HINT}" if cut else f"expected {expected}"
    return UserError(f"{path}: not valid JSON at line {error.lineno} column {error.colno} ({error.msg}); {hint}")


def read_json(path: str | Path, expected: str) -> Any:
    path = Path(path)
    text = read_text(path, expected)
    if not text.strip():
        raise UserError(f"{path}: the file is empty; expected {expected}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _json_error(path, text, error, expected) from None


def read_toml(path: str | Path, expected: str) -> dict[str, Any]:
    path = Path(path)
    try:
        return tomllib.loads(read_text(path, expected))
    except tomllib.TOMLDecodeError as error:
        raise UserError(f"{path}: not valid TOML ({error}); expected {expected}") from None


@dataclass
class Records:
    """Rows of a user's file; ``cut`` says what a truncated file lost (None when it was complete)."""

    rows: list[Any]
    cut: str | None = None


def _truncated(where: str, what: str, allow_truncated: bool, hint: str) -> str:
    """``what`` a truncated file lost, when that is allowed; else the UserError saying so."""
    if not allow_truncated:
        raise UserError(f"{where}: {what}; the file looks truncated — {hint}")
    return what


def read_jsonl(path: str | Path, expected: str, *, allow_truncated: bool = False, hint: str = TRUNCATED_HINT) -> Records:
    """``Records.rows``: (line number, value) of every non-blank line. A last line that does not
    parse is a truncation; any other bad line is an error naming it."""
    path = Path(path)
    return _jsonl_rows(path, read_text(path, expected), expected, allow_truncated, hint)


def _jsonl_rows(path: Path, text: str, expected: str, allow_truncated: bool, hint: str) -> Records:
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    rows, cut = [], None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            if number < len(lines):
                raise UserError(f"{path}:{number}: not valid JSON ({error.msg}); expected {expected}, one JSON object per line") from None
            cut = _truncated(f"{path}:{number}", f"not valid JSON ({error.msg}) on the last line ({number})", allow_truncated, hint)
    return Records(rows, cut)


def _csv_rows(path: Path, text: str, expected: str, allow_truncated: bool, hint: str) -> tuple[list[str], list[list[str]], str | None]:
    """(header, rows, cut) of CSV text; every row must have the header's number of fields."""
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))  # a review may be megabytes long
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    header, rows, cut = None, [], None
    try:
        for row in reader:
            if not row or row == [""]:
                continue
            if header is None:
                header = row
                continue
            if len(row) != len(header):
                # Where the row ends: at the end of the text, it was cut; anywhere else the file is malformed.
                at_end = not text[_offset_after(text, reader.line_num) :].strip()
                if at_end and len(row) < len(header):
                    cut = _truncated(str(path), f"the last row (line {reader.line_num}) has {len(row)} of {len(header)} fields", allow_truncated, hint)
                    continue
                raise UserError(f"{path}: line {reader.line_num} has {len(row)} fields, the header has {len(header)}; expected {expected}")
            rows.append(row)
    except csv.Error as error:
        if "end of data" in str(error) or "EOF" in str(error):
            cut = _truncated(str(path), f"the last row (line {reader.line_num}) ends inside a quoted field", allow_truncated, hint)
        else:
            raise UserError(f"{path}: line {reader.line_num}: not valid CSV ({error}); expected {expected}") from None
    if header is None:
        raise UserError(f"{path}: the file is empty; expected {expected}")
    return header, rows, cut


def _offset_after(text: str, line_num: int) -> int:
    """Character offset just after the ``line_num``-th line break (physical lines, as csv counts them)."""
    offset = 0
    for _ in range(line_num):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def read_records(path: str | Path, expected: str, *, allow_truncated: bool = False, hint: str = TRUNCATED_HINT) -> Records:
    """Rows (dicts) of a dump: CSV (as pandas writes it, BOM or not), JSON (a list, or an object with a
    "reviews"/"results"/"records"/"data" list) or JSON lines, by the file's suffix.

    CSV cells are the strings written ("2.8" stays "2.8"); empty cells become None; the unnamed
    pandas index column is dropped.
    """
    path = Path(path)
    text = read_text(path, expected)
    if not text.strip():
        raise UserError(f"{path}: the file is empty; expected {expected}")
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        lines = _jsonl_rows(path, text, expected, allow_truncated, hint)
        for number, row in lines.rows:
            if not isinstance(row, dict):
                raise UserError(f"{path}:{number}: not a JSON object; expected {expected}, one record per line")
        return Records([row for _, row in lines.rows], lines.cut)
    if suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise _json_error(path, text, error, expected) from None
        if isinstance(data, dict):
            data = next((data[key] for key in ("reviews", "results", "records", "data") if isinstance(data.get(key), list)), [data])
        if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
            raise UserError(f"{path}: expected a JSON list of records (objects): {expected}")
        return Records(data)
    header, rows, cut = _csv_rows(path, text, expected, allow_truncated, hint)
    keep = [i for i, name in enumerate(header) if name and not name.startswith("Unnamed: 0")]
    return Records([{header[i]: (row[i] if row[i] != "" else None) for i in keep} for row in rows], cut)


def csv_columns(path: str | Path, expected: str) -> list[str]:
    """The header of a CSV file (decoded like every other user file)."""
    path = Path(path)
    text = read_text(path, expected)
    return next((row for row in csv.reader(io.StringIO(text, newline="")) if row), [])


def read_table(path: str | Path) -> Any:
    """A user's table (.parquet, .csv or .jsonl) as a polars DataFrame."""
    import polars as pl

    path = Path(path)
    expected = "a readable .parquet, .csv or .jsonl file"
    kind = TABLE_READERS.get(path.suffix.lower())
    if kind is None:
        raise UserError(f"{path}: unsupported file type {path.suffix!r}; expected .parquet, .csv or .jsonl")
    if kind == "parquet":
        check_readable(path, expected)
        try:
            return pl.read_parquet(path)
        except Exception as error:  # polars raises several types for a damaged file
            raise UserError(f"{path}: not a readable parquet file ({_first_line(error)}); the file may be truncated or damaged — {TRUNCATED_HINT}") from None
    text = read_text(path, expected)
    if not text.strip():
        raise UserError(f"{path}: the file is empty; expected {expected}")
    # The checks above and below are ours (encoding, truncation, field counts); polars then parses the same text.
    if kind == "csv":
        _csv_rows(path, text, expected, False, TRUNCATED_HINT)
    else:
        _jsonl_rows(path, text, expected, False, TRUNCATED_HINT)
    try:
        if kind == "csv":
            return pl.read_csv(io.BytesIO(text.encode("utf-8")), infer_schema_length=10000)
        return pl.read_ndjson(io.BytesIO(text.encode("utf-8")))
    except Exception as error:  # polars raises several types for malformed files
        raise UserError(f"{path}: cannot be read as {kind}: {_first_line(error)}") from None


def parquet_batches(path: str | Path, expected: str, batch_size: int) -> tuple[list[str], Iterator[list[dict]]]:
    """(column names, batches of row dicts) of a parquet file read a batch at a time; a damaged
    footer fails here, damaged pages when their batch is read, both as one-line UserErrors."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = check_readable(path, expected)
    try:
        file = pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as error:
        raise UserError(f"{path}: not a readable parquet file ({_first_line(error)}); the file may be truncated — {TRUNCATED_HINT}") from None

    def batches() -> Iterator[list[dict]]:
        done = 0
        try:
            for batch in file.iter_batches(batch_size=batch_size):
                rows = batch.to_pylist()
                done += len(rows)
                yield rows
        except (pa.ArrowException, OSError, ValueError) as error:
            raise UserError(f"{path}: damaged parquet data after row {done:,} ({_first_line(error)}); {TRUNCATED_HINT}") from None

    return file.schema_arrow.names, batches()


def read_sav(path: str | Path, expected: str, *, columns: list[str] | None = None, metadata_only: bool = False):
    """(frame, metadata) of an SPSS .sav file read with pyreadstat; a damaged or truncated file is a UserError."""
    import pyreadstat

    path = check_readable(path, expected)
    if path.stat().st_size == 0:
        raise UserError(f"{path}: the file is empty; expected {expected}")
    try:
        frame, meta = pyreadstat.read_sav(str(path), metadataonly=metadata_only, usecols=columns)
    except Exception as error:  # pyreadstat raises its own ReadstatError/PyreadstatError types
        raise UserError(f"{path}: not a readable SPSS .sav file ({_first_line(error)}); expected {expected} — if it is one, it may be truncated: {TRUNCATED_HINT}") from None
    if not metadata_only and meta.number_rows is not None and meta.number_rows >= 0 and len(frame) != meta.number_rows:
        raise UserError(f"{path}: has {len(frame):,} of the {meta.number_rows:,} rows its header declares; the file looks truncated — {TRUNCATED_HINT}")
    return frame, meta


def read_image(data: bytes, name: str, *, decode: bool = True):
    """A PIL image of ``data`` (fully decoded unless ``decode`` is False, then the header only)."""
    from PIL import Image, UnidentifiedImageError

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Image.DecompressionBombError(f"{width} x {height} pixels")
            if decode:
                image.load()
        except Image.DecompressionBombError as error:
            raise UserError(
                f"{name}: image too large ({_first_line(error)}); a screen image may have at most {MAX_IMAGE_PIXELS // 1_000_000} MP "
                "(this looks like a decompression bomb or a wrong export) — resize it"
            ) from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
            raise UserError(f"{name}: not a readable image ({_first_line(error)}); expected PNG, JPEG or WebP") from None
    return image
