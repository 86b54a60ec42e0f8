"""LoRA SFT of a vision-language model on PiSAR with transformers' Trainer.

RUN_DIR gets: checkpoint-N/ (resumable), adapter_model.safetensors + adapter_config.json,
trainer_state.json (loss, learning rate and throughput per logging step) and run_manifest.json
(base model, recipe, data fingerprint, library versions, git revision), plus base/ for the tiny
recipe so the folder is self-contained. Launch with ``accelerate launch`` to use several GPUs.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from pisar_data.atomic import write_text
from pisar_data.errors import UserError
from pisar_data.user_files import read_json
from training.data import data_fingerprint, load_split, prompt_texts
from training.recipe import Recipe

MANIFEST = "run_manifest.json"
BASE_DIR = "base"  # tiny recipe: the built base model, relative to RUN_DIR


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for package in ("pisar", "torch", "transformers", "peft", "accelerate", "tokenizers", "datasets"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            pass
    return out


def _git_revision() -> dict[str, str | bool | None]:
    repo = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return {"git_revision": None, "git_dirty": None}
    return {"git_revision": head, "git_dirty": dirty}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _check_run_dir(run_dir: Path, recipe: Recipe, data: dict, resume: bool) -> None:
    checkpoints = list(run_dir.glob("checkpoint-*"))
    if not resume:
        if run_dir.exists() and any(run_dir.iterdir()):
            raise UserError(f"{run_dir}: run folder already exists; pass --resume to continue it or choose a new --out")
        return
    if not checkpoints:
        raise UserError(f"{run_dir}: --resume needs a run folder with checkpoint-N inside; none found")
    if not (run_dir / MANIFEST).is_file():
        raise UserError(f"{run_dir}: no {MANIFEST}, so this is not a run folder `pisar train` wrote; expected --out of an earlier `pisar train` to --resume")
    previous = read_json(run_dir / MANIFEST, f"the {MANIFEST} `pisar train` writes")
    if not isinstance(previous, dict) or not isinstance(previous.get("data"), dict) or "recipe_name" not in previous:
        raise UserError(f"{run_dir / MANIFEST}: lacks recipe_name or data; expected the {MANIFEST} `pisar train` writes")
    if previous["recipe_name"] != recipe.name:
        raise UserError(f"{run_dir / MANIFEST}: run was trained with recipe {previous['recipe_name']!r}, not {recipe.name!r}")
    if previous["data"].get("sha256") != data["sha256"]:
        raise UserError(f"{run_dir / MANIFEST}: run was trained on other data (sha256 {str(previous['data'].get('sha256'))[:12]}…); expected the same --data to resume")


def _tiny_base(recipe: Recipe, rows, run_dir: Path) -> str:
    """Build the tiny base into RUN_DIR/base (once; a resumed run reuses it)."""
    from training.tiny import build_tiny_base

    if not (run_dir / BASE_DIR / "config.json").is_file():
        build_tiny_base(recipe.tiny, prompt_texts(rows), run_dir / BASE_DIR, seed=recipe.train.seed)
    return BASE_DIR


def resolve_base(recipe: Recipe, rows, run_dir: Path, model_path: str | None = None) -> tuple[str, str]:
    """(the base model as the manifest records it, the folder or Hub id to load it from): local
    weights from ``model_path``, the tiny recipe's RUN_DIR/base (built here once), or the recipe's Hub id."""
    if model_path:
        base = str(Path(model_path).resolve())
    else:
        base = _tiny_base(recipe, rows, run_dir) if recipe.model.base == "tiny" else recipe.model.base
    return base, str(run_dir / base) if base == BASE_DIR else base


def build_trainer(recipe: Recipe, rows, processing, model, run_dir: Path, callbacks=()):
    """The Trainer `pisar train` runs: LoRA on ``model`` where the recipe says, the recipe's
    arguments, and the collator shared with prediction (``pisar_data.vlm``)."""
    from transformers import Trainer

    from training.model import add_lora

    return Trainer(
        model=add_lora(model, recipe),
        args=training_arguments(recipe, run_dir),
        train_dataset=rows,
        data_collator=processing.encode_for_training,
        callbacks=list(callbacks),
    )


def training_arguments(recipe: Recipe, run_dir: Path):
    import torch
    from transformers import TrainingArguments

    t = recipe.train
    return TrainingArguments(
        output_dir=str(run_dir),
        per_device_train_batch_size=t.per_device_batch_size,
        gradient_accumulation_steps=t.gradient_accumulation_steps,
        learning_rate=t.learning_rate,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a fraction of the total steps
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        seed=t.seed,
        data_seed=t.seed,
        bf16=recipe.model.dtype == "bfloat16",
        use_cpu=not torch.cuda.is_available(),
        activation_checkpointing=t.gradient_checkpointing,  # transformers 5 name for gradient checkpointing
        activation_checkpointing_kwargs={"use_reentrant": False},
        include_num_input_tokens_seen="non_padding",  # logs train_tokens_per_second with every loss
        remove_unused_columns=False,  # the collator needs whole rows (image, persona, …)
        report_to="none",
    )


def train(recipe: Recipe, data_dir: Path, run_dir: Path, *, model_path: str | None = None, resume: bool = False):
    """Train and save into ``run_dir``; returns the Trainer (its ``model`` is the trained PeftModel)."""
    from accelerate import PartialState
    from transformers import set_seed

    from pisar_data.vlm import VLMProcessing
    from training.model import load_base_model

    data = data_fingerprint(data_dir)
    _check_run_dir(run_dir, recipe, data, resume)
    PartialState().wait_for_everyone()  # every process checks RUN_DIR before the main one writes to it
    rows = load_split(data_dir, recipe.data.split, recipe.data.max_rows)
    set_seed(recipe.train.seed)
    base, base_on_disk = resolve_base(recipe, rows, run_dir, model_path)
    processing = VLMProcessing.load(base_on_disk, recipe.image)
    trainer = build_trainer(recipe, rows, processing, load_base_model(recipe, base_on_disk), run_dir)
    manifest = {
        "base_model": base,  # a Hub id, a path, or "base" = RUN_DIR/base
        "recipe_name": recipe.name,
        "recipe": recipe.to_dict(),
        "image_options": recipe.image,
        "data": data,
        "train_rows": len(rows),
        "versions": _versions(),
        **_git_revision(),
        "started_at": _now(),
        "status": "training",
    }
    if trainer.is_world_process_zero():
        write_text(run_dir / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    trainer.train(resume_from_checkpoint=True if resume else None)
    trainer.save_model(str(run_dir))
    trainer.save_state()
    if trainer.is_world_process_zero():
        manifest.update(status="complete", finished_at=_now(), global_step=trainer.state.global_step)
        write_text(run_dir / MANIFEST, json.dumps(manifest, indent=2) + "\n")
    return trainer
