"""Reading the files users hand to a command (review dumps, tables to deduplicate or extract from).

One reader for every command, so that every command refuses a bad file the same way: a one-line
``UserError`` naming the file and what was expected.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from pisar_data.errors import UserError

TABLE_READERS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}


def read_table(path: Path) -> pl.DataFrame:
    """A user's table (.parquet, .csv or .jsonl) as a polars DataFrame."""
    path = Path(path)
    kind = TABLE_READERS.get(path.suffix.lower())
    if kind is None:
        raise UserError(f"{path}: unsupported file type {path.suffix!r}; expected .parquet, .csv or .jsonl")
    if not path.is_file():
        raise UserError(f"{path}: file not found; expected a readable .parquet, .csv or .jsonl file")
    try:
        if kind == "parquet":
            return pl.read_parquet(path)
        if kind == "csv":
            return pl.read_csv(path, infer_schema_length=10000, encoding="utf8-lossy")
        return pl.read_ndjson(path)
    except Exception as error:  # polars raises several types for malformed files
        raise UserError(f"{path}: cannot be read as {kind}: {str(error).splitlines()[0]}") from error
