"""Predictions from local vision-language models: a Hub/local base model, or a `pisar train` run folder.

A run folder is read through its ``run_manifest.json`` (the contract with ``pisar train``):
``base_model`` is a Hub id, a path, or ``"base"`` (= RUN_DIR/base, the tiny recipe's built model);
``image_options`` is the image budget the adapter was trained with; the LoRA adapter
(``adapter_config.json`` + ``adapter_model.safetensors``) sits at the run folder's root. Inputs and
generation go through ``pisar_data.vlm``, the same code training used.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pisar_data.errors import UserError

RUN_MANIFEST = "run_manifest.json"


def read_run_manifest(run_dir: Path) -> dict[str, Any]:
    path = run_dir / RUN_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserError(f"{path}: not valid JSON ({error}); expected the manifest `pisar train` writes") from error
    base = manifest.get("base_model") if isinstance(manifest, dict) else None
    if not isinstance(base, str) or not base:
        raise UserError(f"{path}: base_model must be a Hub id, a path or \"base\"; expected the manifest `pisar train` writes")
    return manifest


def run_label(run_dir: Path) -> str:
    """``run:RECIPE/FOLDER``: the recipe name lets a report match the run to the paper's SFT rows."""
    folder = run_dir.resolve().name
    if not (run_dir / RUN_MANIFEST).is_file():
        return f"run:{folder}"
    recipe = read_run_manifest(run_dir).get("recipe_name")
    return f"run:{recipe}/{folder}" if recipe else f"run:{folder}"


def _resolve(model_ref: str) -> tuple[str, str | None, dict[str, Any]]:
    """(base model id or path, adapter folder or None, image options) for a model reference."""
    ref = model_ref.removeprefix("hf:")
    run_dir = Path(ref)
    if not (run_dir / RUN_MANIFEST).is_file():
        return ref, None, {}
    manifest = read_run_manifest(run_dir)
    base = manifest["base_model"]
    if not (run_dir / "adapter_config.json").is_file():
        raise UserError(f"{run_dir}: no adapter_config.json; the run has not finished (status {manifest.get('status')!r})")
    base = str(run_dir / base) if (run_dir / base).is_dir() else base
    return base, str(run_dir), dict(manifest.get("image_options") or {})


@lru_cache(maxsize=2)
def _load(model_ref: str):
    import torch
    from transformers import AutoModelForImageTextToText

    from pisar_data.vlm import VLMProcessing

    base, adapter, image_options = _resolve(model_ref)
    processing = VLMProcessing.load(base, image_options)
    dtype = torch.bfloat16 if torch.cuda.is_available() else torch.float32
    model = AutoModelForImageTextToText.from_pretrained(base, dtype=dtype, device_map="auto" if torch.cuda.is_available() else None)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
    return model.eval(), processing


def predict_local(model_ref: str, rows: list[dict[str, Any]], *, batch_size: int = 4, max_new_tokens: int = 256) -> list[str]:
    """Raw greedy generations, one per row, in order. ``model_ref``: ``hf:MODEL_ID_OR_PATH``, a bare
    id/path, or a run folder written by ``pisar train`` (base model + LoRA adapter)."""
    model, processing = _load(model_ref)
    return processing.generate(model, list(rows), batch_size=batch_size, max_new_tokens=max_new_tokens)
