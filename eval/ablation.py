"""Input ablations of `pisar predict --ablate persona|screen|intent`.

An ablated input is blanked on the row itself, before any adapter (kNN, local model, API) sees it,
so every adapter gets the same blank: the prompt of `pisar_data.task.user_prompt` then reads
"Persona: (not given)", "Intent: (not given)", or carries no screen image and "(none)" for the screen
text. kNN retrieves with the blanked row against the full train rows, as a trained model predicts a
blanked row with what it learnt from full ones. The predictions file is labelled ``MODEL+no-INPUT``;
`pisar bench` pairs it with the run labelled ``MODEL``.
"""

from __future__ import annotations

from typing import Any

from pisar_data.schema import PERSONA_ATTRIBUTES

# Each ablation and the row fields it blanks.
ABLATIONS: dict[str, tuple[str, ...]] = {
    "persona": ("persona", "persona_attributes"),
    "intent": ("intent",),
    "screen": ("screen", "screen_text"),
}
SUFFIX = "+no-"


def _blank_value(field: str) -> Any:
    if field == "persona_attributes":
        return dict.fromkeys(PERSONA_ATTRIBUTES)
    return None if field == "screen" else ""


def blank(row: dict[str, Any], ablation: str | None) -> dict[str, Any]:
    """A copy of the row with the ablated input blanked (the row itself when ``ablation`` is None)."""
    if ablation is None:
        return row
    return {**row, **{field: _blank_value(field) for field in ABLATIONS[ablation] if field in row}}


def label(model: str, ablation: str | None) -> str:
    """``knn`` -> ``knn+no-persona`` for ``--ablate persona``."""
    return model if ablation is None else f"{model}{SUFFIX}{ablation}"


def split_label(model: str) -> tuple[str, str | None]:
    """(the full run's label, the ablation) of a predictions file's model label."""
    base, _, ablation = model.rpartition(SUFFIX)
    return (base, ablation) if base and ablation in ABLATIONS else (model, None)
