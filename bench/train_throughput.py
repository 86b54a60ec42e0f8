"""Training throughput of a recipe: tokens/s, seconds per optimiser step, peak memory.

    python bench/train_throughput.py --recipe tiny|qwen3-vl-8b|gemma-4-26b-a4b|PATH.toml [--steps 5]
        [--data DIR] [--model-path DIR] [--meta]

The model: the tiny recipe builds its random tiny base as `pisar train` does; the 8B/26B recipes
build the released architecture from ``training/configs/`` with random weights directly on the GPU
(``training.random_base``: exact shapes, vision tower and MoE experts; a tokenizer trained on the
rows, so image tokens are exact and text tokens approximate), or load real weights with
``--model-path``. Before training it prints the parameter report: total, vision and language-model
parameters, active parameters per token for a MoE, the modules the recipe's LoRA targets adapt
(grouped by layer pattern) and the trainable parameters. ``--meta`` builds the model on the meta
device and prints only that report (no memory, no training: a CPU is enough).

Training is ``training.train.build_trainer`` — the Trainer, arguments, collator and LoRA that
`pisar train` runs — with the recipe's batch, gradient accumulation, image budget, precision and
gradient checkpointing, stopped after ``--steps`` optimiser steps (each step is
per_device_batch_size x gradient_accumulation_steps rows; the rows repeat when the split is
shorter). A step's time runs from the end of the previous step, so it includes loading and
collating its rows. The first step (CUDA start-up, kernel selection) is reported apart; s_per_step
and tokens_per_s are over the later steps. Tokens are non-padding input tokens (prompt, image and
answer) as the Trainer counts them. Rows come from ``--data`` or the embedded sample built into a
temporary folder; the sample's screens (360x640) and screen texts are smaller than real ones, so a
real build gives longer rows and slower steps at a similar tokens/s.

Last line: ``recipe=<s> steps=<int> tokens_per_s=<f> s_per_step=<f> first_step_s=<f> peak_mem_gb=<f> device=<s>``.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from measure import dataset_dir, device, device_label, peak_memory_gb, synchronize  # noqa: E402

VISION_PREFIXES = ("model.visual.", "model.vision_tower.", "model.embed_vision.")


def _base_model(recipe, rows, run_dir: Path, model_path: str | None, meta: bool):
    """(description, processing folder, base model) — real, tiny or released-config random weights."""
    from transformers import AutoConfig

    from training.data import prompt_texts
    from training.model import load_base_model, random_base_model
    from training.random_base import RELEASED_CONFIGS, write_random_base
    from training.train import resolve_base

    if model_path or recipe.model.base == "tiny":
        _, folder = resolve_base(recipe, rows, run_dir, model_path)
        where = f"weights from {model_path}" if model_path else "tiny random base built as `pisar train` does"
        model = random_base_model(recipe, AutoConfig.from_pretrained(folder), "meta") if meta else load_base_model(recipe, folder)
        return where, folder, model
    folder = run_dir / "random-base"
    config = write_random_base(recipe.model.base, prompt_texts(rows), folder)
    where = f"random weights, released architecture from training/configs/{RELEASED_CONFIGS[recipe.model.base]}"
    return where, str(folder), random_base_model(recipe, config, "meta" if meta else device())


def parameter_report(model) -> list[str]:
    """Parameter counts of a LoRA-wrapped model and the modules that carry adapters, by layer pattern."""
    from training.model import lora_module_names

    config = model.config
    base = {n.removeprefix("base_model.model.").replace(".base_layer", ""): p.numel()
            for n, p in model.named_parameters() if ".lora_" not in n}
    total = sum(base.values())
    vision = sum(n for name, n in base.items() if name.startswith(VISION_PREFIXES))
    lines = [f"parameters: {total:,} total = {vision:,} vision tower + projector, {total - vision:,} language model"]
    text = getattr(config, "text_config", config)
    top_k, experts = getattr(text, "top_k_experts", None), getattr(text, "num_experts", None)
    if top_k and experts:
        expert_params = sum(n for name, n in base.items() if ".experts." in name)
        active = total - vision - expert_params + expert_params * top_k // experts
        lines.append(f"MoE: {experts} experts, top-{top_k} per token, experts implementation "
                     f"{getattr(text, '_experts_implementation', None)}; expert weights {expert_params:,}; "
                     f"active per token {active:,} (language model)")
    adapted = [n.removeprefix("base_model.model.") for n in lora_module_names(model)]
    adapted = [n for n in adapted if not n.endswith(".base_layer")]  # peft nests one wrapper per expert parameter
    patterns = collections.Counter(re.sub(r"\.\d+\.", ".N.", n) for n in adapted)
    lines.append(f"LoRA adapters on {len(adapted)} modules:")
    lines += [f"  {count:4d} x {pattern}" for pattern, count in sorted(patterns.items())]
    outside = [n for n in adapted if not n.startswith("model.language_model.layers.")]
    lines.append(f"  adapted outside the language model's decoder layers: {', '.join(outside) if outside else 'none'}")
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    lines.append(f"trainable parameters: {trainable:,} ({100 * trainable / total:.2f}% of {total:,})")
    return lines


def _step_clock():
    from transformers import TrainerCallback

    class StepClock(TrainerCallback):
        """Seconds and input tokens of each optimiser step, measured from one step's end to the next's."""

        def __init__(self):
            self.seconds: list[float] = []
            self.tokens: list[int] = []

        def on_train_begin(self, args, state, control, **kwargs):
            synchronize()
            self._last = (time.perf_counter(), state.num_input_tokens_seen)

        def on_step_end(self, args, state, control, **kwargs):
            synchronize()
            now, seen = time.perf_counter(), state.num_input_tokens_seen
            self.seconds.append(now - self._last[0])
            self.tokens.append(seen - self._last[1])
            self._last = (now, seen)

    return StepClock()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", required=True, help="tiny | qwen3-vl-8b | gemma-4-26b-a4b | PATH.toml")
    parser.add_argument("--steps", type=int, default=5, help="optimiser steps to run (default 5)")
    parser.add_argument("--data", type=Path, help="dataset folder from `pisar build` (default: the embedded sample, built here)")
    parser.add_argument("--model-path", help="real local base weights instead of random ones")
    parser.add_argument("--meta", action="store_true", help="build on the meta device, print the parameter report, do not train")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be at least 1")

    from transformers import set_seed

    from pisar_data.vlm import VLMProcessing
    from training.data import load_split
    from training.model import add_lora
    from training.recipe import load_recipe
    from training.train import build_trainer

    recipe = load_recipe(args.recipe).with_max_steps(args.steps)
    t = recipe.train
    with dataset_dir(args.data) as data, tempfile.TemporaryDirectory(prefix="pisar-train-bench-") as tmp:
        run_dir = Path(tmp) / "run"
        rows = load_split(data, recipe.data.split, recipe.data.max_rows)
        set_seed(t.seed)
        where, folder, model = _base_model(recipe, rows, run_dir, args.model_path, args.meta)
        print(f"recipe {recipe.name}: {recipe.model.model_class} ({where}), {recipe.model.dtype}, "
              f"attention {recipe.model.attn_implementation}, image budget {recipe.image}")
        if args.meta:
            print("\n".join(parameter_report(add_lora(model, recipe))))
            return 0
        processing = VLMProcessing.load(folder, recipe.image)
        clock = _step_clock()
        trainer = build_trainer(recipe, rows, processing, model, run_dir, callbacks=[clock])
        print("\n".join(parameter_report(trainer.model)))
        rows_per_step = t.per_device_batch_size * t.gradient_accumulation_steps
        print(f"{len(rows)} rows from {data}; {rows_per_step} rows per step ({t.per_device_batch_size} x "
              f"{t.gradient_accumulation_steps} accumulated), gradient checkpointing {t.gradient_checkpointing}, "
              f"{args.steps} steps on {device_label()}")
        trainer.train()

    later = slice(1, None) if len(clock.seconds) > 1 else slice(None)
    seconds, tokens = clock.seconds[later], clock.tokens[later]
    s_per_step = sum(seconds) / len(seconds)
    tokens_per_s = sum(tokens) / sum(seconds)
    print(f"steps: {', '.join(f'{s:.2f}' for s in clock.seconds)} s; "
          f"~{sum(clock.tokens) / (len(clock.tokens) * rows_per_step):.0f} tokens per row, {sum(tokens) / len(tokens):.0f} per step")
    print(f"recipe={recipe.name} steps={len(clock.seconds)} tokens_per_s={tokens_per_s:.1f} s_per_step={s_per_step:.3f} "
          f"first_step_s={clock.seconds[0]:.3f} peak_mem_gb={peak_memory_gb():.2f} device={device_label()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
