"""Screen library: every context's screens, normalized, near-duplicates collapsed, text attached.

Inputs: the ``screens`` table (store-listing screenshots and user-supplied folders, already carrying
the text of their view hierarchy / sidecar when they had one) and the screenshots of ``opera_tuples``
(text = the visible text of the action's simplified HTML).

1. Normalize with pillow: EXIF orientation applied, converted to RGB, longest side capped at
   ``max_side`` pixels, written as ``format`` into ``WORK_DIR/screens/<sha256 of the original>.<ext>``.
2. Perceptual hash (``imagehash.phash``, ``hash_size``² bits). Within a context, screens whose hashes
   differ in at most ``max_phash_distance`` bits are one screen; the one with the most text is kept
   and the others' original paths are listed in ``original_paths`` (so an OPeRA row whose screenshot
   was collapsed still finds its image).
3. Screens without text are OCR'd with tesseract (``pytesseract``) when ``ocr`` is on and the engine
   is installed. Otherwise they keep an empty text, and the build log and counts say how many.

Unreadable images are skipped and counted.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data import atomic, pii
from pisar_data.hashing import sha256_file

NAME = "screens"


@dataclass
class Config:
    """Screen normalization and near-duplicate collapse.

    max_side: longest side in pixels after normalization (1280 keeps phone UI text legible for
        VLMs while bounding the dataset size; Rico screens are 1080x1920 -> 720x1280).
    format: "jpeg" or "png" for normalized images; jpeg_quality applies to JPEG.
    hash_size: phash grid side (8 -> 64-bit hash, imagehash's default).
    max_phash_distance: screens within this many differing bits are the same screen (4 of 64
        merges re-encodes, status-bar changes and small scroll offsets; distinct screens of one app
        typically differ by 20+ bits).
    ocr: OCR screens without text when pytesseract and the tesseract binary are installed.
    ocr_lang: tesseract language.
    """

    max_side: int = 1280
    format: str = "jpeg"
    jpeg_quality: int = 88
    hash_size: int = 8
    max_phash_distance: int = 4
    ocr: bool = True
    ocr_lang: str = "eng"


def ocr_engine():
    """``pytesseract`` when it and the tesseract binary are installed, else None."""
    try:
        import pytesseract
    except ImportError:
        return None
    return pytesseract if shutil.which("tesseract") else None


def normalize_image(source: Path, target_dir: Path, config: Config):
    """Write the normalized image; return (path, width, height, phash int, image) or None if unreadable."""
    import io

    import imagehash
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with Image.open(source) as opened:
            image = ImageOps.exif_transpose(opened).convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    image.thumbnail((config.max_side, config.max_side), Image.LANCZOS)
    ext = "jpg" if config.format == "jpeg" else "png"
    target = target_dir / f"{sha256_file(source)}.{ext}"
    if not target.exists():
        buffer = io.BytesIO()
        if config.format == "jpeg":
            image.save(buffer, format="JPEG", quality=config.jpeg_quality, optimize=True)
        else:
            image.save(buffer, format="PNG", optimize=True)
        atomic.write_bytes(target, buffer.getvalue())
    phash = int(str(imagehash.phash(image, hash_size=config.hash_size)), 16)
    return target, image.width, image.height, phash, image


def _candidates(tables: Tables) -> list[dict]:
    """Screens to normalize, one per (context, original path), in a stable order."""
    rows: dict[tuple[str, str], dict] = {}
    screens = tables.get("screens")
    if screens is not None:
        for r in screens.select("context_id", "image_path", "screen_text", "screen_source").iter_rows(named=True):
            if r["image_path"]:
                rows.setdefault((r["context_id"], r["image_path"]), r)
    opera = tables.get("opera_tuples")
    if opera is not None and opera.height:
        shots = opera.filter(pl.col("image_path").is_not_null()).sort("id")
        for r in shots.select("context_id", "image_path", "screen_text", "screen_source").iter_rows(named=True):
            rows.setdefault((r["context_id"], r["image_path"]), r)
    return [rows[key] for key in sorted(rows)]


LIBRARY_SCHEMA = {
    "screen_id": pl.Utf8, "context_id": pl.Utf8, "image_path": pl.Utf8, "screen_text": pl.Utf8, "screen_source": pl.Utf8,
    "phash": pl.Utf8, "width": pl.Int32, "height": pl.Int32, "original_paths": pl.List(pl.Utf8),
}


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    target_dir = ctx.work_dir / "screens"
    target_dir.mkdir(parents=True, exist_ok=True)
    engine = ocr_engine() if config.ocr else None
    normalized = []
    unreadable = scrubbed = 0
    candidates = _candidates(tables)
    for r in ctx.track(candidates, "normalizing screens", len(candidates)):
        result = normalize_image(Path(r["image_path"]), target_dir, config)
        if result is None:
            unreadable += 1
            ctx.log(f"      screens: unreadable image skipped: {r['image_path']}")
            continue
        path, width, height, phash, image = result
        text = (r["screen_text"] or "").strip()
        ocr_done = False
        if not text and engine is not None:
            text = " ".join(engine.image_to_string(image, lang=config.ocr_lang).split())
            ocr_done = True
        # Screens show e-mail addresses, phone numbers and @handles too; the row must not carry them.
        text, kinds = pii.scrub(text)
        scrubbed += bool(kinds)
        normalized.append({**r, "path": path, "width": width, "height": height, "phash": phash, "text": text, "ocr": ocr_done})

    # Collapse near-duplicates within each context: the screen with the most text represents its group.
    library = []
    collapsed = 0
    by_context: dict[str, list[dict]] = {}
    for r in normalized:
        by_context.setdefault(r["context_id"], []).append(r)
    for context_id in sorted(by_context):
        kept: list[dict] = []
        for r in sorted(by_context[context_id], key=lambda s: (-len(s["text"]), s["path"].name)):
            twin = next((k for k in kept if (k["phash"] ^ r["phash"]).bit_count() <= config.max_phash_distance), None)
            if twin is not None:
                twin["original_paths"].append(r["image_path"])
                collapsed += 1
            else:
                kept.append({**r, "original_paths": [r["image_path"]]})
        for k in kept:
            library.append({
                "screen_id": k["path"].stem, "context_id": context_id, "image_path": str(k["path"]),
                "screen_text": k["text"], "screen_source": (k["screen_source"] or "unknown") + ("+ocr" if k["ocr"] else ""),
                "phash": f"{k['phash']:0{config.hash_size * config.hash_size // 4}x}", "width": k["width"], "height": k["height"],
                "original_paths": sorted(k["original_paths"]),
            })
    table = pl.DataFrame(library, schema=LIBRARY_SCHEMA).sort(["context_id", "screen_id"])
    without_text = table.filter(pl.col("screen_text") == "").height
    ocr_available = engine is not None
    if without_text and not ocr_available:
        ctx.log(f"      screens: {without_text} screen(s) have no text and no OCR engine is installed "
                "(pip install pytesseract and the tesseract binary to OCR them); they are kept with empty text")
    counts = {
        "candidates": len(candidates), "unreadable": unreadable, "normalized": len(normalized),
        "collapsed_near_duplicates": collapsed, "screens": table.height, "contexts": table["context_id"].n_unique(),
        "without_text": without_text, "ocr_available": str(ocr_available).lower(), "pii_scrubbed": scrubbed,
        "ocr_applied": sum(1 for r in normalized if r["ocr"]), "max_side": config.max_side, "format": config.format,
        "max_phash_distance": config.max_phash_distance,
    }
    return StageResult(tables={"screen_library": table}, counts=counts)
