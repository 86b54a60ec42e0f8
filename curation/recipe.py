"""Build recipes: one TOML file names the seed and every stage's parameters.

A recipe has top-level ``name``, ``seed`` and ``description``, and one table per stage named after
the stage (``[clean]``, ``[dedup]``, …) whose keys are the fields of that stage's ``Config``
dataclass. Anything not given takes the ``Config`` default, which is the reference recipe
(``curation/recipes/pisar-v1.toml`` spells every value out).
"""

from __future__ import annotations

import dataclasses
import importlib
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pisar_data.errors import UserError
from pisar_data.user_files import read_toml

RECIPES_DIR = Path(__file__).parent / "recipes"
REFERENCE_RECIPE = RECIPES_DIR / "pisar-v1.toml"
SAMPLE_RECIPE = RECIPES_DIR / "sample.toml"

# Build order. Each name is a module in curation.stages and a table in the recipe. The table stages
# turn tables into tables; `write` turns the final `rows` table into the dataset folder.
TABLE_STAGES = ("normalize", "clean", "dedup", "extract", "opera", "personas", "screens", "anchor", "select", "leakage")
STAGE_NAMES = (*TABLE_STAGES, "write")
TOP_LEVEL_KEYS = {"name", "seed", "description"}


def stage_module(name: str):
    return importlib.import_module(f"curation.stages.{name}")


@dataclass
class Recipe:
    name: str
    seed: int
    description: str = ""
    path: Path | None = None
    stages: dict[str, Any] = field(default_factory=dict)  # stage name -> its Config instance

    def config(self, stage: str):
        return self.stages[stage]

    def to_dict(self) -> dict[str, Any]:
        """Every parameter, defaults included (goes into the build manifest)."""
        out: dict[str, Any] = {"name": self.name, "seed": self.seed, "description": self.description}
        out.update({name: dataclasses.asdict(config) for name, config in self.stages.items()})
        return out


def _coerce(value: Any, annotation: Any, where: str) -> Any:
    """Check a TOML value against a Config field's annotation; TOML arrays become tuples."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation is Any:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in (a for a in args if a is not type(None)):
            try:
                return _coerce(value, arg, where)
            except UserError as error:
                errors.append(str(error))
        raise UserError(errors[0])
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            raise UserError(f"{where} must be an array, got {value!r}")
        item = args[0] if args else Any
        items = [_coerce(v, item, where) for v in value]
        return tuple(items) if origin is tuple else items
    if origin is dict:
        if not isinstance(value, dict):
            raise UserError(f"{where} must be a table, got {value!r}")
        return dict(value)
    if annotation is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise UserError(f"{where} must be a number, got {value!r}")
        return float(value)
    if annotation is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise UserError(f"{where} must be an integer, got {value!r}")
        return value
    if annotation is bool:
        if not isinstance(value, bool):
            raise UserError(f"{where} must be true or false, got {value!r}")
        return value
    if annotation is str:
        if not isinstance(value, str):
            raise UserError(f"{where} must be a string, got {value!r}")
        return value
    return value


def load_config(config_cls: type, section: dict[str, Any], where: str):
    """Build a stage Config from a recipe table, rejecting unknown keys and wrong types."""
    hints = typing.get_type_hints(config_cls)
    fields = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(set(section) - fields)
    if unknown:
        raise UserError(f"{where}: unknown key {unknown[0]!r}; expected one of {', '.join(sorted(fields))}")
    values = {key: _coerce(value, hints[key], f"{where}.{key}") for key, value in section.items()}
    try:
        return config_cls(**values)
    except (TypeError, ValueError) as error:
        raise UserError(f"{where}: {error}") from error


def from_dict(data: dict[str, Any], path: Path | None = None) -> Recipe:
    where = str(path) if path else "recipe"
    unknown = sorted(set(data) - TOP_LEVEL_KEYS - set(STAGE_NAMES))
    if unknown:
        raise UserError(
            f"{where}: unknown section or key {unknown[0]!r}; expected {', '.join(sorted(TOP_LEVEL_KEYS))} "
            f"or a stage table ({', '.join(STAGE_NAMES)})"
        )
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise UserError(f"{where}: seed must be an integer, got {seed!r}")
    stages = {}
    for name in STAGE_NAMES:
        section = data.get(name, {})
        if not isinstance(section, dict):
            raise UserError(f"{where}: [{name}] must be a table of parameters, got {section!r}")
        stages[name] = load_config(stage_module(name).Config, section, f"{where} [{name}]")
    return Recipe(name=str(data.get("name", path.stem if path else "recipe")), seed=seed,
                  description=str(data.get("description", "")), path=path, stages=stages)


def load(path: str | Path) -> Recipe:
    path = Path(path)
    return from_dict(read_toml(path, "a TOML build recipe (see curation/recipes/pisar-v1.toml)"), path)
