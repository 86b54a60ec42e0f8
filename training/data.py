"""Training rows from a dataset folder, and a fingerprint of the data a run was trained on."""

from __future__ import annotations

import hashlib
from pathlib import Path

from pisar_data.errors import UserError
from pisar_data.hashing import sha256_file


def load_split(data_dir: Path, split: str, max_rows: int = 0):
    """The rows of ``split`` as a ``datasets.Dataset`` (images decoded lazily, one row at a time)."""
    from pisar_data.loader import load_dataset

    rows = load_dataset(data_dir, split=split)
    if len(rows) == 0:
        raise UserError(f"{data_dir}: split {split!r} has no rows; expected a dataset folder with training rows")
    return rows.select(range(min(max_rows, len(rows)))) if max_rows > 0 else rows


def prompt_texts(rows) -> list[str]:
    """The texts a locally trained tokenizer learns from: the system prompt, each row's prompt and target."""
    from pisar_data.task import SYSTEM_PROMPT, target_text, user_prompt

    return [SYSTEM_PROMPT] + [text for row in rows for text in (user_prompt(row), target_text(row))]


def data_fingerprint(data_dir: Path) -> dict:
    """SHA-256 of every parquet file under DIR/data, and one digest over all of them."""
    files = {}
    for path in sorted((data_dir / "data").glob("*.parquet")):
        files[path.name] = sha256_file(path)
    combined = hashlib.sha256("".join(f"{name}:{sha}\n" for name, sha in files.items()).encode()).hexdigest()
    return {"path": str(data_dir.resolve()), "sha256": combined, "files": files}
