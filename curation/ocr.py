"""OCR of screen images: the visible text of a screenshot that has no view hierarchy or sidecar.

The engine is RapidOCR 3.x (PyPI ``rapidocr`` on ``onnxruntime``): PP-OCRv6 detection and recognition
models ship inside its wheel, so it needs no system install and no download. It reads Latin-script
text of many languages plus Chinese and Japanese.

``ScreenReader.read(image, sha256)`` returns the screen's text, one detected line per text line, in
reading order (top-to-bottom rows, left-to-right within a row). Lines the recognizer is unsure of
(score below ``min_confidence``), lines with fewer than two letters or digits (icons read as "f",
"←", "5") and lines entirely inside the top ``skip_top`` share of the image (the status bar: clock,
battery, notification icons) are dropped. Every engine result is cached by the image's SHA-256 (and
the engine, its settings and the input size) in a ``KeyValueCache``, so a rebuild never OCRs a
screen twice; the cache keeps all lines with their scores, so changing the filters needs no re-OCR.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from pisar_data.cache import KeyValueCache, cache_root

CACHE_FILE = "ocr.sqlite"


@dataclass(frozen=True)
class TextLine:
    text: str
    score: float
    # bounding box as shares of the image's width and height: (left, top, right, bottom)
    box: tuple[float, float, float, float]


class OcrUnavailable(RuntimeError):
    """The OCR engine cannot be loaded (package missing or broken)."""


class RapidOcr:
    """RapidOCR with the orientation classifier off (UI text is upright) and detection at ``max_side``.

    The image is downscaled so its longest side is at most ``max_side`` and the detector runs at
    that size (``limit_type = max``; see ``curation.stages.screens.Config.ocr_max_side``).
    """

    name = "rapidocr"

    def __init__(self, max_side: int = 960):
        try:
            self.key = f"rapidocr-{version('rapidocr')}:PP-OCRv6-small:nocls:max{max_side}"
        except PackageNotFoundError:
            raise OcrUnavailable("rapidocr is not installed; pip install rapidocr onnxruntime") from None
        self.max_side = max_side
        self._engine = None  # loaded on the first screen not in the cache (about a second)

    def _load(self):
        try:
            from rapidocr import RapidOCR

            return RapidOCR(params={
                "Global.log_level": "error", "Global.use_cls": False, "Global.text_score": 0.0,
                "Det.limit_type": "max", "Det.limit_side_len": self.max_side,
            })
        except Exception as error:  # a missing onnxruntime or broken model files: the engine is unavailable
            raise OcrUnavailable(f"cannot load RapidOCR ({error.__class__.__name__}: {error}); pip install rapidocr onnxruntime") from None

    def prepare(self, image):
        """The image the engine reads: RGB, longest side at most ``max_side``."""
        from PIL import Image

        image = image.convert("RGB")
        if max(image.size) > self.max_side:
            image = image.copy()
            image.thumbnail((self.max_side, self.max_side), Image.LANCZOS)
        return image

    def read(self, image) -> list[TextLine]:
        """Every detected line of ``image`` (already prepared), with its score and box."""
        if self._engine is None:
            self._engine = self._load()
        result = self._engine(image)
        width, height = image.size
        lines = []
        for box, text, score in zip(result.boxes if result.boxes is not None else [], result.txts or (), result.scores or ()):
            xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
            lines.append(TextLine(" ".join(text.split()), round(float(score), 4),
                                  (min(xs) / width, min(ys) / height, max(xs) / width, max(ys) / height)))
        return lines


def reading_order(lines: list[TextLine]) -> list[TextLine]:
    """Top-to-bottom rows, left-to-right within a row.

    A line joins the current row when its vertical centre falls inside the vertical span of the
    row's first line (so a label and a button on one row stay together, while the next row of a
    paragraph starts a new one).
    """
    rows: list[list[TextLine]] = []
    for line in sorted(lines, key=lambda item: ((item.box[1] + item.box[3]) / 2, item.box[0])):
        centre = (line.box[1] + line.box[3]) / 2
        if rows and rows[-1][0].box[1] <= centre <= rows[-1][0].box[3]:
            rows[-1].append(line)
        else:
            rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda item: item.box[0])]


@dataclass(frozen=True)
class TextFilter:
    """Which OCR lines are screen text.

    min_confidence: recognizer score a line needs. On real Rico screens correct lines score 0.94-1.00;
        icons and pictures read as text ("卡き", "P") score 0.5-0.7.
    min_alnum: letters or digits a line needs ("f", "←", "5" are icons or status-bar glyphs).
    skip_top: lines entirely inside this top share of the image are dropped: the Android status bar
        (24 dp of a 640 dp screen = 3.75%) shows the clock and notification icons, never app text.
    """

    min_confidence: float = 0.8
    min_alnum: int = 2
    skip_top: float = 0.04

    def keep(self, line: TextLine) -> bool:
        return (line.score >= self.min_confidence and sum(ch.isalnum() for ch in line.text) >= self.min_alnum
                and line.box[3] > self.skip_top)


def screen_text(lines: list[TextLine], text_filter: TextFilter) -> str:
    """The kept lines in reading order, one per line."""
    return "\n".join(line.text for line in reading_order([line for line in lines if text_filter.keep(line)]))


class ScreenReader:
    """OCR with a cache: ``read(image, sha256)`` -> screen text. Counts engine calls, cache hits and seconds.

    ``engine`` is any object with ``key`` (identifies engine, version and settings), ``prepare(image)``
    and ``read(prepared) -> list[TextLine]``; ``cache`` defaults to ``<cache root>/ocr.sqlite``.
    """

    def __init__(self, engine=None, cache: KeyValueCache | None = None, text_filter: TextFilter = TextFilter()):
        self.engine = engine if engine is not None else RapidOcr()
        self.cache = cache if cache is not None else KeyValueCache(default_cache_path())
        self.text_filter = text_filter
        self.calls = 0
        self.cache_hits = 0
        self.seconds = 0.0

    def lines(self, image, sha256: str) -> list[TextLine]:
        prepared = self.engine.prepare(image)
        key = f"{self.engine.key}:{prepared.width}x{prepared.height}:{sha256}"
        cached = self.cache.get(key)
        if cached is not None:
            self.cache_hits += 1
            return [TextLine(text, score, tuple(box)) for text, score, box in cached]
        started = time.perf_counter()
        found = self.engine.read(prepared)
        self.seconds += time.perf_counter() - started
        self.calls += 1
        self.cache.put(key, [[line.text, line.score, list(line.box)] for line in found])
        return found

    def read(self, image, sha256: str) -> str:
        return screen_text(self.lines(image, sha256), self.text_filter)


def default_cache_path(cache_dir: str | Path = "") -> Path:
    """``cache_dir``/ocr.sqlite, or ``<cache root>/ocr/ocr.sqlite`` when ``cache_dir`` is empty."""
    return Path(cache_dir) / CACHE_FILE if cache_dir else cache_root() / "ocr" / CACHE_FILE
