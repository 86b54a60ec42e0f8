"""Recipes as data: the built-ins load with documented numbers, bad recipe files fail with one line."""

from __future__ import annotations

import re

import pytest

from pisar_data.errors import UserError
from training.recipe import BUILT_IN, RECIPES_DIR, load_recipe


def test_built_in_recipes_load_and_document_their_numbers():
    recipes = {name: load_recipe(name) for name in BUILT_IN}
    qwen, gemma, tiny = recipes["qwen3-vl-8b"], recipes["gemma-4-26b-a4b"], recipes["tiny"]
    assert qwen.model.model_class == "Qwen3VLForConditionalGeneration" and qwen.model.dtype == "bfloat16"
    assert gemma.model.model_class == "Gemma4ForConditionalGeneration" and gemma.model.attn_implementation == "sdpa"
    assert gemma.train.learning_rate < qwen.train.learning_rate
    assert qwen.image["max_pixels"] > 0 and gemma.image["max_soft_tokens"] in (70, 140, 280, 560, 1120)
    assert gemma.lora.expert_parameters and not gemma.lora.adapt_experts
    assert tiny.model.base == "tiny" and tiny.tiny is not None and tiny.model.dtype == "float32"
    for name in BUILT_IN:  # every recipe says where its numbers come from
        assert sum(line.lstrip().startswith("#") or " # " in line for line in (RECIPES_DIR / f"{name}.toml").read_text().splitlines()) >= 5


def test_lora_regex_never_matches_vision_merger_or_router():
    pattern = load_recipe("qwen3-vl-8b").lora.target_modules
    assert pattern == load_recipe("gemma-4-26b-a4b").lora.target_modules
    adapted = ["model.language_model.layers.0.self_attn.q_proj", "model.language_model.layers.35.mlp.down_proj"]
    kept = ["model.visual.blocks.0.attn.qkv", "model.visual.merger.linear_fc1", "model.visual.deepstack_merger_list.0.linear_fc2",
            "model.vision_tower.encoder.layers.0.self_attn.q_proj.linear", "model.language_model.layers.0.router.proj",
            "model.language_model.layers.0.per_layer_input_gate", "lm_head", "model.embed_vision.embedding_projection"]
    assert all(re.fullmatch(pattern, n) for n in adapted)
    assert not any(re.fullmatch(pattern, n) for n in kept)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("r = 16", "rank = 16"), r"\[lora\]: unknown key 'rank'"),
        (lambda t: t.replace("learning_rate = 5e-3", 'learning_rate = "fast"'), r"\[train\]\.learning_rate: expected float"),
        (lambda t: t.replace("dropout = 0.0", "dropout = 0.1").replace("adapt_experts = false", "adapt_experts = true"), "needs dropout = 0"),
        (lambda t: t + "\n[extra]\nx = 1\n", "unknown key 'extra'"),
        (lambda t: t.replace("[model]", "[model"), "not valid TOML"),
    ],
)
def test_bad_recipe_files_fail_with_one_line_naming_the_key(tmp_path, edit, message):
    path = tmp_path / "bad.toml"
    path.write_text(edit((RECIPES_DIR / "tiny.toml").read_text()))
    with pytest.raises(UserError, match=message) as error:
        load_recipe(str(path))
    assert str(path) in str(error.value) and "\n" not in str(error.value)


def test_cli_rejects_bad_arguments_with_exit_2(tmp_path, capsys):
    from pisar_data.cli import main

    assert main(["train", "--recipe", "nope", "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    assert "recipe not found" in capsys.readouterr().err
    assert main(["train", "--recipe", "tiny", "--data", str(tmp_path), "--out", str(tmp_path / "run")]) == 2
    assert "not a dataset folder" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_accelerate_configs_parse():
    from accelerate.commands.config.config_args import load_config_from_file

    expected = {"ddp": "MULTI_GPU", "fsdp2": "FSDP", "deepspeed-zero3": "DEEPSPEED"}
    for name, kind in expected.items():
        config = load_config_from_file(str(RECIPES_DIR.parent / "accelerate" / f"{name}.yaml"))
        assert config.distributed_type.value == kind and config.mixed_precision == "bf16"
    assert load_config_from_file(str(RECIPES_DIR.parent / "accelerate" / "fsdp2.yaml")).fsdp_config["fsdp_version"] == 2


def test_real_recipes_use_the_image_budget_zero_shot_predictions_use():
    from pisar_data.vlm import FAMILIES

    assert load_recipe("qwen3-vl-8b").image == FAMILIES["qwen3_vl"].default_image_options
    assert load_recipe("gemma-4-26b-a4b").image == FAMILIES["gemma4"].default_image_options
