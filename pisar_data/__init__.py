"""PiSAR's shared core: the row schema, the benchmark task, and the loader.

Names are imported on first use, so ``pisar --help`` (which imports this package) stays fast and
imports neither `datasets` nor any ML library.
"""

import importlib

_EXPORTS = {
    "ACTION_TYPES": "pisar_data.schema",
    "COLUMNS": "pisar_data.schema",
    "FEATURES": "pisar_data.schema",
    "PERSONA_ATTRIBUTES": "pisar_data.schema",
    "PERSONA_VOCABULARY": "pisar_data.schema",
    "SOURCES": "pisar_data.schema",
    "SPLITS": "pisar_data.schema",
    "Prediction": "pisar_data.task",
    "build_messages": "pisar_data.task",
    "parse_prediction": "pisar_data.task",
    "scored_text": "pisar_data.task",
    "target_text": "pisar_data.task",
    "user_prompt": "pisar_data.task",
    "UserError": "pisar_data.errors",
    "load_dataset": "pisar_data.loader",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'pisar_data' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
