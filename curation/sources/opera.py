"""OPeRA (Hugging Face dataset ``NEU-HAI/OPeRA``, CC-BY-4.0): shopper actions, sessions, users, screenshots.

Files come from the Hub (``huggingface_hub.snapshot_download``, token from ``HF_TOKEN``) or from a
local copy: parquet as on the Hub, or CSV as ``datasets.Dataset.to_csv`` writes it. Each file's
table is recognised by its columns. Tables written: ``action`` (id session_id:action_id),
``session`` (session_id), ``user`` (user_id), ``image`` (image_name; the image bytes go to files/).
Every field is kept as the dataset has it (JSON strings stay strings; normalize parses them).
"""

from __future__ import annotations

import os
from pathlib import Path

from curation.snapshot import ID, Pull, PullResult, tool_versions
from pisar_data.errors import UserError
from pisar_data.user_files import csv_columns, parquet_batches, read_image, read_records

SOURCE = "opera"
TOOLS = ("huggingface_hub", "pyarrow", "pandas")
DEFAULT_REPO = "NEU-HAI/OPeRA"
VARIANTS = ("filtered", "full")
# table -> columns that identify it, and how a record's id is made
TABLES = {
    "action": (("session_id", "action_id", "action_type"), lambda r: f"{r['session_id']}:{r['action_id']}"),
    "session": (("session_id", "action_count"), lambda r: r["session_id"]),
    "user": (("user_id", "survey"), lambda r: r["user_id"]),
    "image": (("image", "image_name"), lambda r: r["image_name"]),
}
BATCH_ROWS = 256  # image parquet row groups are large; read a few hundred rows at a time
FILES = "OPeRA tables as parquet or as CSV written by datasets"


def _table_of(columns: list[str]) -> str | None:
    return next((table for table, (needed, _) in TABLES.items() if set(needed) <= set(columns)), None)


def _split_of(path: Path) -> str | None:
    return next((part for part in reversed(path.parts) if part in ("train", "test")), None) or next(
        (s for s in ("train", "test") if path.name.startswith(s)), None
    )


def _batches(path: Path):
    """Lists of row dicts from a parquet or CSV file, with the file's columns."""
    if path.suffix == ".parquet":
        return parquet_batches(path, FILES, BATCH_ROWS)
    return csv_columns(path, FILES), (read_records(path, FILES).rows for _ in range(1))


def _image_record(pull: Pull, row: dict, path: Path) -> dict:
    image = row.pop("image") or {}
    data = image.get("bytes") if isinstance(image, dict) else None
    if not data:
        return {**row, "image_path": image.get("path") if isinstance(image, dict) else None, "file": None}
    with read_image(data, f"{path}: image {row.get('image_name')!r}", decode=False) as decoded:
        ext, (width, height) = (decoded.format or "png").lower().replace("jpeg", "jpg"), decoded.size
    blob = pull.add_blob(data, ext)
    return {
        **row,
        "image_path": image.get("path"),
        "file": blob.file,
        "sha256": blob.sha256,
        "width": width,
        "height": height,
    }


def import_local(directory: str | Path, raw_dir: str | Path, params: dict | None = None) -> PullResult:
    """Import every OPeRA parquet/CSV file under ``directory`` (tables recognised by their columns)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise UserError(f"{directory}: not a folder; expected a local copy of NEU-HAI/OPeRA (parquet or CSV files)")
    files = sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix in (".parquet", ".csv"))
    opened = []
    for path in files:
        columns, batches = _batches(path)
        table = _table_of(columns)
        if table is not None:
            opened.append((path, table, batches))
    if not opened:
        raise UserError(f"{directory}: no OPeRA table found; expected parquet/CSV files with the columns of action, session, user or image")
    # A file that turns out damaged half-way leaves the pull incomplete: never read by a build, resumed by the next run.
    with Pull.open(raw_dir, SOURCE, params or {"local": str(directory.resolve())}, tool_versions(*TOOLS)) as pull:
        for path, table, batches in opened:
            make_id = TABLES[table][1]
            for rows in batches:
                if table == "image":
                    rows = [_image_record(pull, dict(row), path) for row in rows]
                context = {"_split": _split_of(path.relative_to(directory)), "_file": path.relative_to(directory).as_posix()}
                pull.add(table, [{**row, ID: make_id(row)} for row in rows], **context)
        return pull.finish()


def allow_patterns(variant: str, images: bool) -> list[str]:
    folder = f"OPeRA_{variant}"
    patterns = [f"{folder}/action/*", f"{folder}/session/*", f"{folder}/user/*"]
    return patterns + [f"{folder}/images/*"] if images else patterns


def pull(
    raw_dir: str | Path, repo: str = DEFAULT_REPO, variant: str = "filtered", images: bool = False, revision: str | None = None
) -> PullResult:
    """Download the variant's parquet files from the Hub (cached by huggingface_hub) and import them."""
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    if variant not in VARIANTS:
        raise UserError(f"--variant: unknown OPeRA variant {variant!r}; expected one of {', '.join(VARIANTS)}")
    try:
        local = snapshot_download(
            repo_id=repo,
            repo_type="dataset",
            revision=revision,
            allow_patterns=allow_patterns(variant, images),
            token=os.environ.get("HF_TOKEN"),
        )
    except RepositoryNotFoundError:
        raise UserError(f"--repo {repo}: no such dataset on the Hugging Face Hub (or it is gated: set HF_TOKEN)") from None
    except HfHubHTTPError as error:
        raise UserError(f"--repo {repo}: download failed ({str(error).splitlines()[0]}); rerun to resume") from None
    params = {"repo": repo, "revision": Path(local).name, "variant": variant, "images": images}
    return import_local(local, raw_dir, params)
