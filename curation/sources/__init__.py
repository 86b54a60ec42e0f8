"""Source connectors: each one fetches (or imports a dump of) one public source into the raw snapshot.

Shared here: checking the columns of the native dump files people already have (read, like every
user file, by ``pisar_data.user_files``) and normalizing screen images.
"""

from __future__ import annotations

import io
import sys
from dataclasses import dataclass
from pathlib import Path

from curation.snapshot import ID, Pull
from pisar_data.errors import UserError
from pisar_data.user_files import read_image


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
    from PIL import Image

    with read_image(data, name) as decoded:
        kind = decoded.format
        image = decoded.convert("RGB")
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


def screen_image_record(pull: Pull, context_id: str, image: NormalizedImage) -> dict:
    """The fields every screen record shares: the image stored by content hash, its id and size."""
    blob = pull.add_blob(image.data, image.ext)
    return {ID: f"{context_id}:{blob.sha256}", "context_id": context_id, "sha256": blob.sha256, "file": blob.file,
            "width": image.width, "height": image.height}
