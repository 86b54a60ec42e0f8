"""Build stages. Each stage is one module with the same small contract (datatrove-style):

    NAME: str                      # the stage's name in progress output, the manifest and the report
    Config                         # a dataclass; its docstring explains its numbers; defaults = reference recipe
    def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult

``tables`` holds every table produced so far (polars DataFrames, by name); a stage reads the ones it
needs and returns the ones it makes. The orchestrator (``curation.build``) stores every returned
table in the DuckDB work database so any stage can be inspected with SQL, and records ``counts``
in the manifest. A stage never writes outside ``ctx.work_dir``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import polars as pl

Tables = dict[str, pl.DataFrame]
T = TypeVar("T")


@dataclass
class StageResult:
    tables: Tables
    # Row counts and other figures for the manifest/report, e.g. {"in": 400, "out": 310, "dropped_language": 52}.
    counts: dict[str, int | float | str] = field(default_factory=dict)


@dataclass
class BuildContext:
    snapshot_dir: Path  # the raw snapshot the build reads (read-only)
    work_dir: Path  # scratch space for this build (work database, normalized images, caches)
    seed: int
    # progress(iterable, description, total) -> iterable; a no-op wrapper in tests, a progress bar in the CLI.
    progress: Callable[..., Iterable] = lambda items, description="", total=None: items
    log: Callable[[str], None] = lambda message: None

    def track(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
        return iter(self.progress(items, description, total))
