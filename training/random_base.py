"""Full-size random-weight base models from the released configs in ``training/configs/`` (no download).

For measuring the speed and memory of the 8B/26B recipes where the weights are not at hand. The
architecture is the released one (the model's ``config.json`` from the Hub; sources in
``training/configs/README.md``), so every weight shape, the vision tower, the MoE experts and the
layer-type lists are real; the weights are random and are never written to disk (``write_random_base``
writes config, tokenizer and image-processor config only; ``training.model.random_base_model`` builds
the weights on the device). The tokenizer is a BPE trained here on the rows' texts with the family's
special tokens and chat template (``training.tiny.chat_tokenizer``), so image tokens are exact (the
released image-processor settings) while text tokens are counted by a different vocabulary than the
model's own; the config's special-token ids are set to this tokenizer's ids and nothing else changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pisar_data.errors import UserError

CONFIG_DIR = Path(__file__).parent / "configs"
# A recipe's [model] base -> the released config.json kept in CONFIG_DIR.
RELEASED_CONFIGS = {
    "Qwen/Qwen3-VL-8B-Instruct": "qwen3-vl-8b-instruct.json",
    "google/gemma-4-26B-A4B-it": "gemma-4-26b-a4b-it.json",
}
# Merges learned on the rows' texts: enough that common words are one token, as in the real vocabularies.
TOKENIZER_VOCAB = 4096


def released_config(base: str):
    """The released ``config.json`` of a recipe's base model, as a transformers config."""
    from transformers import AutoConfig

    if base not in RELEASED_CONFIGS:
        raise UserError(f"no released config for base model {base!r} in {CONFIG_DIR}; expected one of {', '.join(RELEASED_CONFIGS)}")
    return AutoConfig.from_pretrained(CONFIG_DIR / RELEASED_CONFIGS[base])


def write_random_base(base: str, texts: Iterable[str], out_dir: Path):
    """Write ``base``'s released config (special-token ids set to a tokenizer trained on ``texts``),
    that tokenizer and the image-processor config to ``out_dir``; returns the config. No weights."""
    from training.tiny import chat_tokenizer, image_processor, special_token_fields

    config = released_config(base)
    family = config.model_type
    tokenizer = chat_tokenizer(family, texts, TOKENIZER_VOCAB)
    model_fields, text_fields = special_token_fields(family, tokenizer)
    for key, value in model_fields.items():
        setattr(config, key, value)
    for key, value in text_fields.items():
        setattr(config.text_config, key, value)
    out_dir.mkdir(parents=True, exist_ok=True)
    config.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    image_processor(family).save_pretrained(out_dir)
    return config
