"""Generation throughput of `pisar predict` on a local model: rows/s, generated tokens/s, peak memory.

    python bench/predict_throughput.py --model RUN_DIR|hf:PATH|tiny|random:RECIPE [--rows 32]
        [--data DIR] [--split test] [--batch-size 8] [--max-new-tokens 512]

``RUN_DIR`` (a `pisar train` run folder) and ``hf:PATH`` go through ``eval.local_vlm.predict_local``,
the code `pisar predict` runs (same loading, dtype, device placement, prompts, image budget and
greedy batched decoding; ``--batch-size`` and ``--max-new-tokens`` default to predict's). ``tiny``
is a random tiny Qwen3-VL built here (``training.tiny``) and then loaded as ``hf:`` — the CPU smoke
test. ``random:RECIPE`` (``random:qwen3-vl-8b``, ``random:gemma-4-26b-a4b``) is the recipe's released
architecture with random weights built on the GPU (``training.random_base``), generating through
``pisar_data.vlm.VLMProcessing.generate``, the function ``predict_local`` calls: for measuring the
8B/26B models where their weights are not at hand. Random weights never write a real answer, so
there every row generates exactly ``--max-new-tokens`` tokens (a fixed workload; a real answer is
~60-120 tokens of JSON).

One untimed batch first (model load, CUDA start-up); then ``--rows`` rows of ``--split`` (repeated
when the split is shorter) are timed. Generated tokens are counted from the token ids ``generate``
returns: each row's tokens after its prompt, up to and including its stop token.

Last line: ``model=<s> rows=<int> rows_per_s=<f> gen_tokens_per_s=<f> s_per_batch=<f> peak_mem_gb=<f> device=<s>``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import dataset_dir, device, device_label, peak_memory_gb, synchronize  # noqa: E402


class GeneratedTokens:
    """Replaces a model's ``generate`` with one that counts the tokens written after the prompt,
    up to and including each row's first stop token."""

    def __init__(self, model, stop_ids: set[int]):
        self.count = 0
        self._generate = model.generate
        self._stop = stop_ids
        model.generate = self

    def __call__(self, **kwargs):
        out = self._generate(**kwargs)
        for seq in out[:, kwargs["input_ids"].shape[1]:].tolist():
            self.count += next((i + 1 for i, token in enumerate(seq) if token in self._stop), len(seq))
        return out


def _local(model_ref: str, batch_size: int, max_new_tokens: int):
    """(model, processing, generate) for a run folder or hf: model, through `pisar predict`'s code."""
    from eval.local_vlm import _load, predict_local

    model, processing = _load(model_ref)  # the cached load predict_local itself uses
    return model, processing, lambda rows: predict_local(model_ref, rows, batch_size=batch_size, max_new_tokens=max_new_tokens)


def _random(recipe_name: str, rows, folder: Path, batch_size: int, max_new_tokens: int):
    """(model, processing, generate) for a recipe's released architecture with random weights."""
    from pisar_data.vlm import VLMProcessing
    from training.data import prompt_texts
    from training.model import random_base_model
    from training.random_base import write_random_base
    from training.recipe import load_recipe

    recipe = load_recipe(recipe_name)
    config = write_random_base(recipe.model.base, prompt_texts(rows), folder)
    processing = VLMProcessing.load(str(folder), recipe.image)
    model = random_base_model(recipe, config, device()).eval()
    model.generation_config.min_new_tokens = max_new_tokens  # a fixed workload: no early stop by chance
    return model, processing, lambda rows: processing.generate(model, rows, batch_size=batch_size, max_new_tokens=max_new_tokens)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="RUN_DIR | hf:PATH | tiny | random:RECIPE")
    parser.add_argument("--rows", type=int, default=32, help="rows to time (default 32)")
    parser.add_argument("--data", type=Path, help="dataset folder from `pisar build` (default: the embedded sample, built here)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--batch-size", type=int, default=8, help="rows per generate() call (pisar predict's default)")
    parser.add_argument("--max-new-tokens", type=int, default=512, help="generation limit (pisar predict's default)")
    args = parser.parse_args(argv)
    if min(args.rows, args.batch_size, args.max_new_tokens) < 1:
        parser.error("--rows, --batch-size and --max-new-tokens must be at least 1")

    from pisar_data.loader import load_dataset
    from training.data import prompt_texts
    from training.tiny import TinyConfig, build_tiny_base

    with dataset_dir(args.data) as data, tempfile.TemporaryDirectory(prefix="pisar-predict-bench-") as tmp:
        split = load_dataset(data, split=args.split)
        rows = [split[i % len(split)] for i in range(args.rows)]
        if args.model.startswith("random:"):
            model, processing, generate = _random(args.model.removeprefix("random:"), rows, Path(tmp) / "base",
                                                  args.batch_size, args.max_new_tokens)
        else:
            ref = args.model
            if ref == "tiny":
                ref = f"hf:{build_tiny_base(TinyConfig(), prompt_texts(rows), Path(tmp) / 'tiny', seed=0)}"
            model, processing, generate = _local(ref, args.batch_size, args.max_new_tokens)
        tokenizer = processing.tokenizer
        counter = GeneratedTokens(model, {processing.end_of_turn_id, *([tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else [])})
        print(f"model {args.model} on {device_label()}: {args.rows} rows of {data} [{args.split}], "
              f"batch {args.batch_size}, at most {args.max_new_tokens} new tokens")
        generate(rows[: args.batch_size])  # warm-up, untimed
        counter.count = 0
        synchronize()
        start = time.perf_counter()
        answers = generate(rows)
        synchronize()
        seconds = time.perf_counter() - start

    batches = -(-args.rows // args.batch_size)
    print(f"{len(answers)} answers, {counter.count} generated tokens ({counter.count / len(answers):.0f} per row) in {seconds:.2f} s")
    print(f"model={args.model} rows={len(answers)} rows_per_s={len(answers) / seconds:.3f} gen_tokens_per_s={counter.count / seconds:.1f} "
          f"s_per_batch={seconds / batches:.3f} peak_mem_gb={peak_memory_gb():.2f} device={device_label()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
