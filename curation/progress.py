"""Progress display for long curation work: one rich progress bar per loop, stage lines as a log."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator


@contextlib.contextmanager
def progress_callbacks(console) -> Iterator[tuple]:
    """Yield ``(progress, log)`` callables for ``BuildContext``: ``progress(items, description, total)``
    wraps an iterable in a bar (shown only on a terminal), ``log(message)`` prints a line."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bars = Progress(
        TextColumn("      {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )

    def progress(items: Iterable, description: str = "", total: int | None = None) -> Iterator:
        if total is None and hasattr(items, "__len__"):
            total = len(items)
        task = bars.add_task(description, total=total)
        try:
            for item in items:
                yield item
                bars.advance(task)
        finally:
            bars.remove_task(task)

    with bars:
        yield progress, console.print
