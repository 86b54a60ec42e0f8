"""Source connectors: each one fetches (or imports a dump of) one public source into the raw snapshot.

Shared here: reading the native dump files people already have (CSV as pandas writes it, JSON,
JSONL) and validating/normalizing screen images.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from pisar_data.errors import UserError


def log_to_stderr(message: str) -> None:
    """The default progress log of a fetch: one line on stderr (stdout stays for summaries)."""
    print(message, file=sys.stderr)


@dataclass(frozen=True)
class ImageConfig:
    """How stored screen images are normalized.

    max_side: the longest side is scaled down to at most this many pixels (1280 keeps phone
        screenshots legible for a VLM while bounding the dataset's size).
    """

    max_side: int = 1280


@dataclass
class NormalizedImage:
    data: bytes
    ext: str
    width: int
    height: int


def normalize_image(data: bytes, name: str, config: ImageConfig = ImageConfig()) -> NormalizedImage:
    """Decode (fully), convert to RGB, cap the longest side; PNG stays PNG, everything else JPEG."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            kind = image.format
            image = image.convert("RGB")
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise UserError(f"{name}: not a readable image ({error}); expected PNG, JPEG or WebP") from None
    if max(image.size) > config.max_side:
        scale = config.max_side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if kind == "PNG":
        image.save(out, format="PNG")
        ext = "png"
    else:
        image.save(out, format="JPEG", quality=90)
        ext = "jpg"
    return NormalizedImage(out.getvalue(), ext, image.width, image.height)


def read_records(path: str | Path) -> list[dict]:
    """Rows of a dump file: CSV (pandas-written, BOM or not), JSON (a list, or {"reviews"/"results": [...]}) or JSONL.

    CSV cells are read as the strings written (so "2.8" stays "2.8"); empty cells become None;
    the unnamed pandas index column is dropped. Bad files raise a one-line UserError naming them.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: file not found")
    raw = path.read_bytes()
    if not raw.strip(b"\xef\xbb\xbf \r\n\t"):
        raise UserError(f"{path}: the file is empty; expected a CSV, JSON or JSONL dump")
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _read_jsonl(path, raw)
    if suffix == ".json":
        return _read_json(path, raw)
    return _read_csv(path)


def _read_jsonl(path: Path, raw: bytes) -> list[dict]:
    rows = []
    for number, line in enumerate(raw.decode("utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            raise UserError(f"{path}: line {number} is not valid JSON ({error}); the file may be truncated") from None
        if not isinstance(row, dict):
            raise UserError(f"{path}: line {number} is not a JSON object; expected one record per line")
        rows.append(row)
    return rows


def _read_json(path: Path, raw: bytes) -> list[dict]:
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except ValueError as error:
        raise UserError(f"{path}: not valid JSON ({error}); the file may be truncated") from None
    if isinstance(data, dict):
        data = next((data[key] for key in ("reviews", "results", "records", "data") if isinstance(data.get(key), list)), [data])
    if not isinstance(data, list) or not all(isinstance(row, dict) for row in data):
        raise UserError(f"{path}: expected a JSON list of records (objects)")
    return data


def _read_csv(path: Path) -> list[dict]:
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(f"{path}: not a readable CSV ({message}); the file may be truncated or not CSV") from None
    frame = frame.drop(columns=[c for c in frame.columns if c.startswith("Unnamed: 0") or c == ""])
    return [{key: (value if value != "" else None) for key, value in row.items()} for row in frame.to_dict(orient="records")]


def require_columns(path: str | Path, rows: list[dict], required: tuple[str, ...], what: str, nonempty: tuple[str, ...] = ()) -> None:
    """UserError naming the missing columns, or the first row without a value in a ``nonempty`` column."""
    columns = set().union(*(row.keys() for row in rows)) if rows else set()
    if not rows:
        raise UserError(f"{path}: no records; expected a {what} with columns {', '.join(required)}")
    missing = [c for c in required if c not in columns]
    if missing:
        raise UserError(
            f"{path}: missing column(s) {', '.join(missing)}; expected a {what} with columns {', '.join(required)} (found {', '.join(sorted(map(str, columns)))[:200]})"
        )
    for number, row in enumerate(rows, 1):
        empty = [c for c in nonempty if row.get(c) in (None, "")]
        if empty:
            raise UserError(f"{path}: record {number} has no {', '.join(empty)}; the file looks truncated or is not a {what}")
