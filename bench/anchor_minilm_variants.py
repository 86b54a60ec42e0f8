"""Faster MiniLM variants for anchoring: their speed, and how often they pick full MiniLM's screen.

    python bench/anchor_minilm_variants.py [--texts 1500] [--real-samples DIR]

Issue 14 asks for a method that scores a 200k-review build in time and keeps full MiniLM's choice
for >= 95% of rows of ``bench/anchor_accuracy.py``'s labelled set. This script measures the
candidates that need nothing but torch: full MiniLM (fp32), torch dynamic int8 quantization of
its Linear layers, and the same with ``max_seq_length`` 64. Speed: texts/s on ``--texts``
review-style texts of ``bench/build_scale.py``'s generator (2 threads, batches of 128, after a
warm-up). Agreement: the share of the set's rationales (all, and those about a screen) whose
highest-scoring screen is full MiniLM's, with the screens' hierarchy text and with OCR text.

Last line: ``fp32_texts_per_s=<f> int8_texts_per_s=<f> int8_agreement=<f> int8_len64_agreement=<f>``
(agreement over all rationales, hierarchy text).
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import anchor_accuracy  # noqa: E402
import build_scale  # noqa: E402


def variants():
    import torch

    from pisar_data.embeddings import load_sentence_model

    torch.set_num_threads(2)
    fp32 = load_sentence_model()
    int8 = torch.quantization.quantize_dynamic(copy.deepcopy(fp32), {torch.nn.Linear}, dtype=torch.qint8)
    int8_len64 = copy.deepcopy(int8)
    int8_len64.max_seq_length = 64
    return {"fp32": fp32, "int8": int8, "int8_len64": int8_len64}


def speed(model, texts: list[str]) -> float:
    model.encode(texts[:64], batch_size=128)
    start = time.perf_counter()
    model.encode(texts, batch_size=128, normalize_embeddings=True)
    return len(texts) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1500, help="review-style texts to time (default 1500)")
    parser.add_argument("--real-samples", type=Path, default=anchor_accuracy.REPO.parent / "shared" / "real-samples")
    args = parser.parse_args(argv)
    rico = args.real_samples / "screens" / "rico"
    if not rico.is_dir():
        raise SystemExit(f"{rico}: not found; pass --real-samples (the folder with screens/rico/)")
    from curation.stages.anchor import _screen_query

    models = variants()
    rng = random.Random(0)
    texts = [build_scale.review_text(rng, sorted(build_scale.SCREENS))[0] for _ in range(args.texts)]
    rates = {name: speed(model, texts) for name, model in models.items()}
    for name, rate in rates.items():
        print(f"{name}: {rate:,.0f} texts/s")

    data = json.loads(anchor_accuracy.SET_FILE.read_text(encoding="utf-8"))
    rows, stems = data["rationales"], sorted(data["screens"])
    rationales = [row["rationale"] for row in rows]
    on_screen = np.array([bool(row["screen"]) for row in rows])
    agreement = {}
    with tempfile.TemporaryDirectory() as tmp:
        for text in ("hierarchy", "ocr"):
            library, _ = anchor_accuracy.screen_library(rico, stems, text == "hierarchy", Path(tmp))
            screens = [_screen_query(t or "", 1500) for t in library["screen_text"].to_list()]
            picks = {name: (model.encode(rationales, normalize_embeddings=True) @ model.encode(screens, normalize_embeddings=True).T).argmax(1)
                     for name, model in models.items()}
            for name in ("int8", "int8_len64"):
                same = picks[name] == picks["fp32"]
                agreement[name, text] = float(same.mean())
                print(f"{text} text, {name}: same screen as fp32 for {same.mean():.3f} of all rationales, "
                      f"{same[on_screen].mean():.3f} of those about a screen (n={len(rows)})")
    print(f"fp32_texts_per_s={rates['fp32']:.1f} int8_texts_per_s={rates['int8']:.1f} "
          f"int8_agreement={agreement['int8', 'hierarchy']:.3f} int8_len64_agreement={agreement['int8_len64', 'hierarchy']:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
