"""Recipes: the reference file spells out every stage default; bad recipes are one-line errors."""

import dataclasses

import pytest

from curation import recipe
from pisar_data.errors import UserError


def test_reference_recipe_lists_every_parameter_at_its_default():
    text = recipe.REFERENCE_RECIPE.read_text()
    loaded = recipe.load(recipe.REFERENCE_RECIPE)
    for name in recipe.STAGE_NAMES:
        config_cls = recipe.stage_module(name).Config
        assert loaded.config(name) == config_cls(), f"[{name}] in pisar-v1.toml differs from {config_cls.__module__}.Config"
        section = text.split(f"[{name}]\n", 1)[1].split("\n[", 1)[0]
        for field in dataclasses.fields(config_cls):
            assert f"\n{field.name} = " in "\n" + section, f"pisar-v1.toml [{name}] does not spell out {field.name}"
    assert (loaded.name, loaded.config("select").total_rows, loaded.config("select").test_rows) == ("pisar-v1", 12929, 661)


def test_recipe_to_dict_round_trips():
    loaded = recipe.load(recipe.SAMPLE_RECIPE)
    again = recipe.from_dict(loaded.to_dict())
    assert again.stages == loaded.stages and again.seed == loaded.seed


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"seed": 1.5}, "seed must be an integer"),
        ({"select": {"test_rows": "many"}}, "[select].test_rows must be an integer"),
        ({"clean": {"languages": "en"}}, "[clean].languages must be an array"),
        ({"dedup": {"bands": 4, "nonsense": 1}}, "unknown key 'nonsense'"),
        ({"personas": 3}, "[personas] must be a table"),
        ({"normalize": {"sources": ["myspace"]}}, "unknown source 'myspace'"),
        ({"select": {"total_rows": 100, "test_rows": 80, "validation_rows": 80}}, "[select]: total_rows must be at least"),
        ({"select": {"source_shares": {"myspace": 1.0}}}, "[select]: source_shares: unknown source 'myspace'"),
        ({"anchor": {"method": "vibes"}}, "[anchor]: method: unknown method 'vibes'"),
        ({"extract": {"extractor": "gpt"}}, "[extract]: extractor: unknown extractor 'gpt'; expected one of hybrid, llm, rules"),
        ({"extract": {"extractor": "llm"}}, "[extract]: llm: model must be the name of the model the endpoint serves"),
    ],
)
def test_bad_recipe_values_name_the_section_and_key(data, message):
    with pytest.raises(UserError) as error:
        recipe.from_dict({"name": "x", **data})
    assert message in str(error.value) and "\n" not in str(error.value)
