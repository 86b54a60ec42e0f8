"""The gemma-4-26b-a4b recipe on a tiny random-weight Gemma 4 (MoE block on, 4 experts): the same
recipe code builds it, puts LoRA only where the recipe says, and runs training steps."""

from __future__ import annotations

import dataclasses
import json

import pytest

pytestmark = pytest.mark.usefixtures("single_thread")


@pytest.fixture(scope="module")
def gemma_base(tmp_path_factory):
    from pisar_data.task import SYSTEM_PROMPT
    from training.tiny import TinyConfig, build_tiny_base

    return build_tiny_base(TinyConfig(family="gemma4"), [SYSTEM_PROMPT, "uninstalled the app because it crashed"],
                           tmp_path_factory.mktemp("gemma") / "base", seed=0)


def _recipe(adapt_experts: bool):
    from training.recipe import load_recipe

    recipe = load_recipe("gemma-4-26b-a4b")
    lora = dataclasses.replace(recipe.lora, adapt_experts=adapt_experts, dropout=0.0 if adapt_experts else recipe.lora.dropout)
    # Only sizes change for the CPU: the smallest image budget, two short steps on four rows.
    train = dataclasses.replace(recipe.train, per_device_batch_size=2, gradient_accumulation_steps=1, max_steps=2, logging_steps=1)
    return dataclasses.replace(recipe, lora=lora, train=train, image={"max_soft_tokens": 70},
                               data=dataclasses.replace(recipe.data, max_rows=4))


def _lora_modules(model) -> set[str]:
    from training.model import lora_module_names

    return {n.removeprefix("base_model.model.").removesuffix(".base_layer") for n in lora_module_names(model)}


def _assert_no_vision_or_router(names: set[str]) -> None:
    assert not any("vision" in n or "router" in n or "per_layer" in n or "embed" in n for n in names), names


def test_lora_targets_without_experts(gemma_base):
    from training.model import add_lora, load_base_model

    recipe = _recipe(adapt_experts=False)
    model = add_lora(load_base_model(recipe, str(gemma_base)), recipe)
    names = _lora_modules(model)
    layers = model.config.text_config.num_hidden_layers
    projections = {f"model.language_model.layers.{i}.{p}" for i in range(layers) for p in
                   ("self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
                    "mlp.gate_proj", "mlp.up_proj", "mlp.down_proj")}
    assert names == projections
    _assert_no_vision_or_router(names)
    # The vision tower's clippable linears exist and stay plain.
    assert any(n.endswith("vision_tower.encoder.layers.0.self_attn.q_proj.linear") for n, _ in model.named_modules())


def test_expert_adapters_train_with_the_recipe_code(gemma_base, toy_dataset_dir, tmp_path):
    from training.train import train

    run_dir = tmp_path / "run"
    trainer = train(_recipe(adapt_experts=True), toy_dataset_dir, run_dir, model_path=str(gemma_base))
    names = _lora_modules(trainer.model)
    layers = trainer.model.config.text_config.num_hidden_layers
    assert {f"model.language_model.layers.{i}.experts" for i in range(layers)} <= names
    _assert_no_vision_or_router(names)
    experts_lora = [p for n, p in trainer.model.named_parameters() if ".experts." in n and "lora_B" in n]
    assert experts_lora and any(p.abs().sum() > 0 for p in experts_lora)  # expert adapters received updates
    state = json.loads((run_dir / "trainer_state.json").read_text())
    assert state["global_step"] == 2 and all(h["loss"] > 0 for h in state["log_history"] if "loss" in h)
    assert json.loads((run_dir / "adapter_config.json").read_text())["target_parameters"]
    manifest = json.loads((run_dir / "run_manifest.json").read_text())
    assert manifest["base_model"] == str(gemma_base) and manifest["recipe_name"] == "gemma-4-26b-a4b"
