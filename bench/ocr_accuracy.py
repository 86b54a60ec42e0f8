"""OCR accuracy and speed on real screens: the text OCR reads from a screenshot vs its view hierarchy's visible text.

    python bench/ocr_accuracy.py [--real-samples DIR] [--max-side 960 1280 ...]

Every Rico screen of ``../shared/real-samples/screens/rico/`` is normalized as the screens stage
does (longest side 1280 px) and read by the stage's OCR (``curation.ocr``: RapidOCR, reading order,
line filter) with an empty cache, so every screen is really OCR'd. The reference is the visible
text of its view hierarchy (``curation.sources.screens.hierarchy_text``). Words are lower-cased
runs of letters and digits, compared as multisets: precision = shared words / OCR words, recall =
shared words / hierarchy words. A hierarchy of a popup, a dialog or a WebView holds only part of
what the screenshot shows (Rico records the focused window only), so OCR words missing from such a
reference are not all errors: precision is also given over the screens whose hierarchy is complete.
Seconds per screen are the engine's on a second pass (the model load and a warm-up pass are
printed apart). ``--max-side`` compares other OCR input sizes (up to the normalized 1280); the first
is the headline.

The last line is exactly ``ocr_precision=<f> ocr_recall=<f> s_per_screen=<f> screens=<int>``.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def words(text: str) -> Counter:
    return Counter(re.findall(r"[a-z0-9]+", text.lower()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--real-samples", type=Path, default=REPO.parent / "shared" / "real-samples")
    parser.add_argument("--max-side", type=int, nargs="+", help="OCR input sizes to compare (default: the recipe's)")
    args = parser.parse_args(argv)
    rico = args.real_samples / "screens" / "rico"
    images = sorted(rico.glob("*.jpg"))
    if not images:
        print(f"{rico}: no Rico screens there; pass --real-samples DIR", file=sys.stderr)
        return 2

    from PIL import Image

    from curation import recipe as recipes
    from curation.ocr import RapidOcr, ScreenReader, TextFilter
    from curation.sources.screens import hierarchy_is_partial, hierarchy_text
    from curation.stages.screens import normalize_image
    from pisar_data.cache import KeyValueCache

    config = recipes.load(recipes.REFERENCE_RECIPE).config("screens")
    text_filter = TextFilter(config.ocr_min_confidence, config.ocr_min_alnum, config.ocr_skip_top)
    sides = args.max_side or [config.ocr_max_side]
    with tempfile.TemporaryDirectory(prefix="pisar-ocr-accuracy-") as tmp:
        normalized = []
        for image in images:
            tree = json.loads(image.with_suffix(".json").read_text(encoding="utf-8"))
            path = normalize_image(image, Path(tmp), config)[0]
            normalized.append((image.stem, path, hierarchy_text(tree), hierarchy_is_partial(tree)))
        results = []
        for side in sides:
            engine = RapidOcr(side)
            started = time.perf_counter()
            for _, path, _, _ in normalized:  # loads the models and warms the engine up; not counted below
                with Image.open(path) as image:
                    engine.read(engine.prepare(image))
            load_s = time.perf_counter() - started
            reader = ScreenReader(engine, KeyValueCache(Path(tmp) / f"ocr-{side}.sqlite"), text_filter)
            shared = found = expected = shared_full = found_full = 0
            print(f"\nOCR input longest side {side} px (model load and a warm-up pass: {load_s:.1f} s)")
            print(f"{'screen':<8}{'hierarchy':<11}{'words':>6}{'ocr':>6}{'shared':>8}{'precision':>11}{'recall':>8}")
            for stem, path, reference, partial in normalized:
                with Image.open(path) as image:
                    text = reader.read(image, stem)
                ocr_words, ref_words = words(text), words(reference)
                common = sum((ocr_words & ref_words).values())
                shared, found, expected = shared + common, found + sum(ocr_words.values()), expected + sum(ref_words.values())
                if not partial:
                    shared_full, found_full = shared_full + common, found_full + sum(ocr_words.values())
                print(f"{stem:<8}{'partial' if partial else 'complete':<11}{sum(ref_words.values()):>6}{sum(ocr_words.values()):>6}{common:>8}"
                      f"{common / max(1, sum(ocr_words.values())):>11.3f}{common / max(1, sum(ref_words.values())):>8.3f}")
            per_screen = reader.seconds / reader.calls
            print(f"all: precision {shared / found:.3f}, recall {shared / expected:.3f}; screens with a complete hierarchy: "
                  f"precision {shared_full / max(1, found_full):.3f}; {per_screen:.2f} s per screen")
            results.append((shared / found, shared / expected, per_screen))
    precision, recall, per_screen = results[0]
    print(f"ocr_precision={precision:.3f} ocr_recall={recall:.3f} s_per_screen={per_screen:.2f} screens={len(images)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
