"""SFT recipes as data: ``training/recipes/NAME.toml`` read into typed, documented sections.

A recipe names the base model, the image budget, the LoRA targets and the optimiser schedule; the
TOML files say where each number comes from. ``load_recipe`` takes a built-in name or a path and
rejects unknown keys and wrong types with a one-line error naming the file, section and key.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pisar_data.errors import UserError
from pisar_data.user_files import read_toml
from training.tiny import TinyConfig

RECIPES_DIR = Path(__file__).parent / "recipes"
BUILT_IN = ("qwen3-vl-8b", "gemma-4-26b-a4b", "tiny")


@dataclass(frozen=True)
class ModelSection:
    """The base model: a Hub id or local folder (``"tiny"``: built from [tiny] into RUN_DIR/base)."""

    base: str
    model_class: str  # a transformers class name, e.g. Qwen3VLForConditionalGeneration
    dtype: str = "bfloat16"  # the dtype the frozen base weights are loaded in
    attn_implementation: str = "sdpa"


@dataclass(frozen=True)
class LoraSection:
    """LoRA adapters. ``target_modules`` is one regex, full-matched against module names, so what is
    adapted is explicit (never the vision tower, the merger/projector or MoE routers)."""

    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: str = ""
    # MoE experts are stored as 3-D nn.Parameters, not nn.Linear; peft adapts them through
    # `target_parameters` when `adapt_experts` is on.
    adapt_experts: bool = False
    expert_parameters: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TrainSection:
    """Optimisation. Effective batch = per_device_batch_size x gradient_accumulation_steps x GPUs."""

    learning_rate: float = 1e-4
    lr_scheduler: str = "cosine"
    warmup_ratio: float = 0.03
    epochs: float = 1.0
    max_steps: int = -1  # > 0 overrides epochs
    per_device_batch_size: int = 1
    gradient_accumulation_steps: int = 1
    gradient_checkpointing: bool = True
    weight_decay: float = 0.0
    max_grad_norm: float = 1.0
    logging_steps: int = 10
    save_steps: int = 200
    save_total_limit: int = 3
    seed: int = 42


@dataclass(frozen=True)
class DataSection:
    split: str = "train"
    max_rows: int = 0  # 0 = every row of the split


@dataclass(frozen=True)
class Recipe:
    name: str
    description: str
    model: ModelSection
    lora: LoraSection
    train: TrainSection
    data: DataSection = field(default_factory=DataSection)
    # Image-processor options bounding the image size (Qwen: max_pixels/min_pixels; Gemma 4: max_soft_tokens).
    image: dict[str, Any] = field(default_factory=dict)
    tiny: TinyConfig | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def with_max_steps(self, max_steps: int) -> Recipe:
        return dataclasses.replace(self, train=dataclasses.replace(self.train, max_steps=max_steps))


_TYPES = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "list[str]": (list,)}


def _section(cls, values: Any, where: str):
    if not isinstance(values, dict):
        raise UserError(f"{where} must be a table")
    known = {f.name: f for f in dataclasses.fields(cls)}
    for key, value in values.items():
        if key not in known:
            raise UserError(f"{where}: unknown key {key!r}; expected one of {', '.join(known)}")
        expected = _TYPES[str(known[key].type)]
        if isinstance(value, bool) and bool not in expected or not isinstance(value, expected):
            raise UserError(f"{where}.{key}: expected {known[key].type}, got {value!r}")
    try:
        return cls(**values)
    except TypeError as error:
        raise UserError(f"{where}: {error}") from None


def load_recipe(name_or_path: str) -> Recipe:
    """A built-in recipe by name (``qwen3-vl-8b``, ``gemma-4-26b-a4b``, ``tiny``) or a TOML file."""
    path = RECIPES_DIR / f"{name_or_path}.toml" if name_or_path in BUILT_IN else Path(name_or_path)
    if not path.exists():
        raise UserError(f"{path}: recipe not found; expected one of {', '.join(BUILT_IN)} or a .toml file")
    data = read_toml(path, "a TOML training recipe (see training/recipes/qwen3-vl-8b.toml)")
    sections = {"model": ModelSection, "lora": LoraSection, "train": TrainSection, "data": DataSection, "tiny": TinyConfig}
    allowed = {"name", "description", "image", *sections}
    for key in data:
        if key not in allowed:
            raise UserError(f"{path}: unknown key {key!r}; expected one of {', '.join(sorted(allowed))}")
    for required in ("name", "model", "lora", "train"):
        if required not in data:
            raise UserError(f"{path}: missing [{required}]" if required != "name" else f"{path}: missing 'name'")
    parsed = {key: _section(cls, data[key], f"{path}: [{key}]") for key, cls in sections.items() if key in data}
    recipe = Recipe(name=str(data["name"]), description=str(data.get("description", "")), image=dict(data.get("image", {})), **parsed)
    if recipe.model.base == "tiny" and recipe.tiny is None:
        raise UserError(f"{path}: [model] base = 'tiny' needs a [tiny] section")
    if recipe.lora.adapt_experts and recipe.lora.dropout != 0:
        raise UserError(f"{path}: [lora] adapt_experts = true needs dropout = 0 (peft adapts expert parameters without dropout)")
    if not recipe.lora.target_modules:
        raise UserError(f"{path}: [lora] target_modules must be a regex naming the adapted modules")
    return recipe
