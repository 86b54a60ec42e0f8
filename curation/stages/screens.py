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
3. Screens still without text after the collapse (no view hierarchy, no sidecar: e.g. store-listing
   screenshots) are read from their pixels by OCR (``curation.ocr``: RapidOCR, models inside the
   PyPI wheel) when ``ocr`` is on; their ``screen_source`` gains "+ocr". So are screens whose
   hierarchy holds only part of the visible text (``text_source`` "view_hierarchy_partial": a
   popup or dialog over the screen, or a WebView): the OCR lines not already in the hierarchy text
   are appended to it (on the real Rico screens of ../shared, 4 of 8 are such screens). Results are cached by the
   original image's SHA-256 under ``ocr_cache_dir``, so a rebuild never OCRs a screen twice. The
   build log and the counts give screens read (engine calls and cache hits), OCR seconds and the
   screens still without text.

Unreadable images are skipped and counted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from curation.ocr import OcrUnavailable, RapidOcr, ScreenReader, TextFilter, default_cache_path
from curation.stages import BuildContext, StageResult, Tables
from pisar_data import atomic, pii
from pisar_data.cache import KeyValueCache
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
    ocr: read screens without text from their pixels (RapidOCR, ``curation.ocr``).
    ocr_max_side: OCR reads the image downscaled to this longest side, and detects text at that size.
        On the real Rico screens (``bench/ocr_accuracy.py``) 960 px reads as well as the normalized
        1280 (word recall 0.953 vs 0.956) in ~0.44 s instead of ~0.50 s per screen (RapidOCR's own
        default, detection at a 736 px short side, took ~1 s); 640 still reads Rico's large text,
        960 keeps a margin for the smaller text of store-listing screenshots.
    ocr_min_confidence, ocr_min_alnum, ocr_skip_top: which OCR lines count as screen text
        (``curation.ocr.TextFilter`` explains the numbers).
    ocr_cache_dir: folder of the OCR cache (``ocr.sqlite``, results by image SHA-256); "" = the
        project cache, ``$PISAR_CACHE_DIR/ocr`` or ``~/.cache/pisar/ocr``.
    """

    max_side: int = 1280
    format: str = "jpeg"
    jpeg_quality: int = 88
    hash_size: int = 8
    max_phash_distance: int = 4
    ocr: bool = True
    ocr_max_side: int = 960
    ocr_min_confidence: float = TextFilter.min_confidence
    ocr_min_alnum: int = TextFilter.min_alnum
    ocr_skip_top: float = TextFilter.skip_top
    ocr_cache_dir: str = ""


def screen_reader(config: Config) -> ScreenReader:
    """The OCR reader of a build (raises ``OcrUnavailable`` when the engine cannot load)."""
    text_filter = TextFilter(config.ocr_min_confidence, config.ocr_min_alnum, config.ocr_skip_top)
    return ScreenReader(RapidOcr(config.ocr_max_side), KeyValueCache(default_cache_path(config.ocr_cache_dir)), text_filter)


def normalize_image(source: Path, target_dir: Path, config: Config):
    """Write the normalized image; return (path, width, height, phash int) or None if unreadable."""
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
    return target, image.width, image.height, phash


def _candidates(tables: Tables) -> list[dict]:
    """Screens to normalize, one per (context, original path), in a stable order."""
    rows: dict[tuple[str, str], dict] = {}
    screens = tables.get("screens")
    if screens is not None:
        if "text_source" not in screens.columns:
            screens = screens.with_columns(pl.lit(None, dtype=pl.Utf8).alias("text_source"))
        for r in screens.select("context_id", "image_path", "screen_text", "screen_source", "text_source").iter_rows(named=True):
            if r["image_path"]:
                rows.setdefault((r["context_id"], r["image_path"]), r)
    opera = tables.get("opera_tuples")
    if opera is not None and opera.height:
        shots = opera.filter(pl.col("image_path").is_not_null()).sort("id")
        for r in shots.select("context_id", "image_path", "screen_text", "screen_source", pl.lit(None, dtype=pl.Utf8).alias("text_source")).iter_rows(named=True):
            rows.setdefault((r["context_id"], r["image_path"]), r)
    return [rows[key] for key in sorted(rows)]


LIBRARY_SCHEMA = {
    "screen_id": pl.Utf8, "context_id": pl.Utf8, "image_path": pl.Utf8, "screen_text": pl.Utf8, "screen_source": pl.Utf8,
    "phash": pl.Utf8, "width": pl.Int32, "height": pl.Int32, "original_paths": pl.List(pl.Utf8),
}


PARTIAL_HIERARCHY = "view_hierarchy_partial"


def _merge(hierarchy_text: str, ocr_text: str) -> str:
    """The hierarchy's lines, then the OCR lines it does not already have."""
    known = {line.casefold() for line in hierarchy_text.split("\n")}
    return "\n".join([hierarchy_text, *(line for line in ocr_text.split("\n") if line and line.casefold() not in known)]).strip()


def _read_screens(kept: list[dict], config: Config, ctx: BuildContext) -> dict[str, int | float | str]:
    """OCR every kept screen that has no text or only a partial hierarchy (in place); return the OCR counts."""
    todo = [k for k in kept if not k["text"] or k["text_source"] == PARTIAL_HIERARCHY]
    counts: dict[str, int | float | str] = {"ocr_engine": "off", "ocr_read": 0, "ocr_engine_calls": 0, "ocr_cache_hits": 0, "ocr_seconds": 0.0}
    if not config.ocr or not todo:
        return counts
    from PIL import Image

    started = time.perf_counter()
    try:
        reader = screen_reader(config)
        for k in ctx.track(todo, "OCR of screens without text", len(todo)):
            with Image.open(k["path"]) as image:
                text, kinds = pii.scrub(reader.read(image, k["path"].stem))
            k.update(text=_merge(k["text"], text), ocr=True, scrubbed=k["scrubbed"] or bool(kinds))
    except OcrUnavailable as error:  # the engine is loaded on the first screen not in the cache
        ctx.log(f"      screens: {sum(not k['ocr'] for k in todo)} screen(s) without text are not OCR'd: {error}")
        return {**counts, "ocr_engine": "unavailable", "ocr_read": sum(k["ocr"] for k in todo)}
    seconds = time.perf_counter() - started
    ctx.log(f"      screens: OCR read {len(todo)} screen(s) without text or with a partial hierarchy ({reader.calls} by {reader.engine.name}, "
            f"{reader.cache_hits} from the cache {reader.cache.path}) in {seconds:.1f} s")
    return {**counts, "ocr_engine": reader.engine.key, "ocr_read": len(todo), "ocr_engine_calls": reader.calls,
            "ocr_cache_hits": reader.cache_hits, "ocr_seconds": round(seconds, 2)}


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    target_dir = ctx.work_dir / "screens"
    target_dir.mkdir(parents=True, exist_ok=True)
    normalized = []
    unreadable = 0
    candidates = _candidates(tables)
    for r in ctx.track(candidates, "normalizing screens", len(candidates)):
        result = normalize_image(Path(r["image_path"]), target_dir, config)
        if result is None:
            unreadable += 1
            ctx.log(f"      screens: unreadable image skipped: {r['image_path']}")
            continue
        path, width, height, phash = result
        # Screens show e-mail addresses, phone numbers and @handles too; the row must not carry them.
        text, kinds = pii.scrub((r["screen_text"] or "").strip())
        normalized.append({**r, "path": path, "width": width, "height": height, "phash": phash, "text": text, "ocr": False,
                           "scrubbed": bool(kinds)})

    # Collapse near-duplicates within each context: the screen with the most text represents its group.
    kept_by_context: dict[str, list[dict]] = {}
    collapsed = 0
    by_context: dict[str, list[dict]] = {}
    for r in normalized:
        by_context.setdefault(r["context_id"], []).append(r)
    for context_id in sorted(by_context):
        kept = kept_by_context.setdefault(context_id, [])
        for r in sorted(by_context[context_id], key=lambda s: (-len(s["text"]), s["path"].name)):
            twin = next((k for k in kept if (k["phash"] ^ r["phash"]).bit_count() <= config.max_phash_distance), None)
            if twin is not None:
                twin["original_paths"].append(r["image_path"])
                collapsed += 1
            else:
                kept.append({**r, "original_paths": [r["image_path"]]})
    # Only a group's representative is OCR'd, and only when no screen of the group had text.
    ocr_counts = _read_screens([k for context_id in sorted(kept_by_context) for k in kept_by_context[context_id]], config, ctx)

    library = []
    for context_id in sorted(kept_by_context):
        for k in kept_by_context[context_id]:
            library.append({
                "screen_id": k["path"].stem, "context_id": context_id, "image_path": str(k["path"]),
                "screen_text": k["text"], "screen_source": (k["screen_source"] or "unknown") + ("+ocr" if k["ocr"] else ""),
                "phash": f"{k['phash']:0{config.hash_size * config.hash_size // 4}x}", "width": k["width"], "height": k["height"],
                "original_paths": sorted(k["original_paths"]),
            })
    table = pl.DataFrame(library, schema=LIBRARY_SCHEMA).sort(["context_id", "screen_id"])
    without_text = table.filter(pl.col("screen_text") == "").height
    if without_text:
        ctx.log(f"      screens: {without_text} screen(s) still have no text"
                + ("" if config.ocr else " (ocr = false in the recipe)") + "; they are kept with empty text")
    counts = {
        "candidates": len(candidates), "unreadable": unreadable, "normalized": len(normalized),
        "collapsed_near_duplicates": collapsed, "screens": table.height, "contexts": table["context_id"].n_unique(),
        "without_text": without_text, **ocr_counts,
        "pii_scrubbed": sum(1 for k in kept_by_context.values() for r in k if r["scrubbed"]),
        "max_side": config.max_side, "format": config.format, "max_phash_distance": config.max_phash_distance,
    }
    return StageResult(tables={"screen_library": table}, counts=counts)
