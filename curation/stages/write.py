"""The dataset folder: the final `rows` table as Hugging Face-style parquet shards.

``DIR/data/{split}-{i:05d}-of-{n:05d}.parquet``, one set per split, rows sorted by id, screen images
embedded as bytes, and the schema's Hugging Face feature metadata attached so that
``datasets.load_dataset(DIR)`` reproduces ``pisar_data.schema.FEATURES`` with no project code.
A split without rows gets no file (``datasets`` cannot read a 0-row parquet file: "BatchSize must be
greater than 0"); the card then leaves it out of its configs and says why it is missing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pisar_data.schema import ARROW_SCHEMA, COLUMNS, SPLITS

NAME = "write"


@dataclass
class Config:
    """Parquet layout.

    row_group_size: rows per row group. Rows carry an embedded screenshot (~20–200 kB each), so
        100 rows keep a row group around 10 MB: the dataset viewer and streaming readers fetch
        one group at a time without pulling whole shards.
    max_rows_per_shard: rows per parquet file; 5,000 rows keep a shard well under the Hub's
        recommended file size for the reference corpus (12,929 rows -> 3 train shards).
    """

    row_group_size: int = 100
    max_rows_per_shard: int = 5000

    def __post_init__(self):
        if self.row_group_size < 1 or self.max_rows_per_shard < 1:
            raise ValueError("row_group_size and max_rows_per_shard must be at least 1")


def _arrow_rows(rows: pl.DataFrame) -> pa.Table:
    """Rows of one split as an Arrow table in the schema, with each screen's bytes read in."""
    images = [{"bytes": Path(path).read_bytes(), "path": None} for path in rows["image_path"].to_list()]
    table = rows.select([c for c in COLUMNS if c != "screen"]).to_arrow()
    table = table.append_column("screen", pa.array(images, type=ARROW_SCHEMA.field("screen").type))
    return table.select(list(COLUMNS)).cast(ARROW_SCHEMA)


def write_dataset(rows: pl.DataFrame, out_dir: Path, config: Config) -> dict[str, int]:
    """Write ``rows`` (schema columns + image_path + split) under ``out_dir/data``; returns {relpath: rows}."""
    missing = [c for c in (*COLUMNS, "image_path", "split") if c != "screen" and c not in rows.columns]
    if missing:
        raise ValueError(f"rows table lacks columns {missing}")
    if rows["id"].n_unique() != rows.height:
        raise ValueError("row ids are not unique")
    if rows.height == 0:
        raise ValueError("no rows to write")
    data_dir = out_dir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for split in SPLITS:
        part = rows.filter(pl.col("split") == split).sort("id")
        if part.height == 0:
            continue
        shards = max(1, math.ceil(part.height / config.max_rows_per_shard))
        for index in range(shards):
            chunk = part.slice(index * config.max_rows_per_shard, config.max_rows_per_shard)
            relpath = f"data/{split}-{index:05d}-of-{shards:05d}.parquet"
            pq.write_table(_arrow_rows(chunk), out_dir / relpath, row_group_size=config.row_group_size)
            written[relpath] = chunk.height
    return written
