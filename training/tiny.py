"""Tiny random-weight vision-language models built from a config, with a tokenizer trained here.

No download: the tokenizer is a byte-level BPE trained with the ``tokenizers`` library on the
training texts plus the special tokens the chat template needs; the model is a Qwen3-VL (or
Gemma 4, MoE block on) with a few small layers and a one-layer vision tower. The folder written by
``build_tiny_base`` (config + weights + tokenizer + chat template + image processor config) is a
self-contained base model that ``pisar_data.vlm`` and ``from_pretrained`` load like a Hub model.
The per-family pieces (``chat_tokenizer``, ``special_token_fields``, ``image_processor``) also serve
the full-size random models of ``training.random_base``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# Chat templates in the shape of the real models' templates (same turn markers and image placeholders).
QWEN_TEMPLATE = (
    "{%- for message in messages -%}"
    "{{ '<|im_start|>' + message.role + '\\n' }}"
    "{%- if message.content is string -%}{{ message.content }}{%- else -%}"
    "{%- for part in message.content -%}"
    "{%- if part.type == 'image' -%}{{ '<|vision_start|><|image_pad|><|vision_end|>' }}"
    "{%- elif part.type == 'text' -%}{{ part.text }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{ '<|im_end|>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|im_start|>assistant\\n' }}{%- endif -%}"
)
GEMMA_TEMPLATE = (
    "{{ bos_token }}"
    "{%- for message in messages -%}"
    "{{ '<|turn>' + ('model' if message.role == 'assistant' else message.role) + '\\n' }}"
    "{%- if message.content is string -%}{{ message.content }}{%- else -%}"
    "{%- for part in message.content -%}"
    "{%- if part.type == 'image' -%}{{ '\\n\\n<|image|>\\n\\n' }}"
    "{%- elif part.type == 'text' -%}{{ part.text }}{%- endif -%}"
    "{%- endfor -%}{%- endif -%}"
    "{{ '<turn|>\\n' }}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{ '<|turn>model\\n' }}"
    "{%- if enable_thinking is defined and enable_thinking -%}{{ '<|channel>thought\\n' }}{%- endif -%}"
    "{%- endif -%}"
)

QWEN_SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|vision_start|>", "<|vision_end|>", "<|image_pad|>", "<|video_pad|>"]
GEMMA_SPECIALS = ["<pad>", "<eos>", "<bos>", "<|turn>", "<turn|>", "<|image|>", "<|image>", "<image|>", "<|video|>",
                  "<|audio|>", "<|audio>", "<audio|>", "<|channel>", "<channel|>"]


@dataclass(frozen=True)
class TinyConfig:
    """Sizes of the tiny model: small enough to overfit a handful of rows on a CPU in seconds."""

    family: str = "qwen3_vl"  # "qwen3_vl" or "gemma4"
    vocab_size: int = 1024  # BPE merges learned on the training texts; ample for a few hundred rows
    hidden_size: int = 64
    intermediate_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    num_kv_heads: int = 2
    vision_hidden_size: int = 32
    vision_layers: int = 1
    num_experts: int = 4  # gemma4 only: MoE block with a few experts
    top_k_experts: int = 2
    output_init_std: float = 0.5  # untied output layer only; see build_tiny_base


def train_tokenizer(texts: Iterable[str], specials: list[str], vocab_size: int, chat_template: str, **roles):
    """A byte-level BPE tokenizer trained on ``texts``, wrapped as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.add_special_tokens(specials)
    named = set(roles.values())
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        additional_special_tokens=[s for s in specials if s not in named],
        **roles,
    )
    fast.chat_template = chat_template
    return fast


FAMILIES = ("qwen3_vl", "gemma4")


def chat_tokenizer(family: str, texts: Iterable[str], vocab_size: int):
    """A BPE tokenizer trained on ``texts`` with the family's special tokens, roles and chat template."""
    if family == "qwen3_vl":
        return train_tokenizer(texts, QWEN_SPECIALS, vocab_size, QWEN_TEMPLATE, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    if family == "gemma4":
        return train_tokenizer(texts, GEMMA_SPECIALS, vocab_size, GEMMA_TEMPLATE, bos_token="<bos>", eos_token="<eos>", pad_token="<pad>")
    raise ValueError(f"model family must be one of {', '.join(FAMILIES)}, got {family!r}")


def special_token_fields(family: str, tokenizer) -> tuple[dict[str, int], dict[str, int]]:
    """(model-config fields, text-config fields) that name special-token ids, set to ``tokenizer``'s ids."""
    ids = tokenizer.convert_tokens_to_ids
    if family == "qwen3_vl":
        model = dict(image_token_id=ids("<|image_pad|>"), video_token_id=ids("<|video_pad|>"),
                     vision_start_token_id=ids("<|vision_start|>"), vision_end_token_id=ids("<|vision_end|>"),
                     eos_token_id=ids("<|im_end|>"), pad_token_id=tokenizer.pad_token_id)
        return model, dict(pad_token_id=tokenizer.pad_token_id)
    model = dict(image_token_id=ids("<|image|>"), boi_token_id=ids("<|image>"), eoi_token_id=ids("<image|>"),
                 video_token_id=ids("<|video|>"), audio_token_id=ids("<|audio|>"), boa_token_id=ids("<|audio>"),
                 eoa_token_index=ids("<audio|>"))
    return model, dict(pad_token_id=ids("<pad>"), eos_token_id=ids("<eos>"), bos_token_id=ids("<bos>"))


def image_processor(family: str, **options):
    """The family's PIL image processor with the released models' patch settings (``options`` override)."""
    from transformers import Gemma4ImageProcessorPil, Qwen2VLImageProcessorPil

    if family == "qwen3_vl":
        return Qwen2VLImageProcessorPil(patch_size=16, temporal_patch_size=2, merge_size=2,
                                        image_mean=[0.5] * 3, image_std=[0.5] * 3, **options)
    return Gemma4ImageProcessorPil(patch_size=16, pooling_kernel_size=3, **options)


def _qwen(config: TinyConfig, tokenizer):
    from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

    model_fields, text_fields = special_token_fields("qwen3_vl", tokenizer)
    head_dim = config.hidden_size // config.num_heads
    quarter = head_dim // 2 // 4  # M-RoPE splits head_dim/2 rotary pairs over (t, h, w)
    model_config = Qwen3VLConfig(
        text_config=dict(
            vocab_size=len(tokenizer),
            hidden_size=config.hidden_size,
            intermediate_size=config.intermediate_size,
            num_hidden_layers=config.num_layers,
            num_attention_heads=config.num_heads,
            num_key_value_heads=config.num_kv_heads,
            head_dim=head_dim,
            max_position_embeddings=4096,
            rope_parameters={"rope_type": "default", "rope_theta": 10000.0,
                             "mrope_section": [head_dim // 2 - 2 * quarter, quarter, quarter], "mrope_interleaved": True},
            **text_fields,
        ),
        vision_config=dict(
            depth=config.vision_layers,
            hidden_size=config.vision_hidden_size,
            intermediate_size=2 * config.vision_hidden_size,
            num_heads=2,
            patch_size=16,
            spatial_merge_size=2,
            temporal_patch_size=2,
            out_hidden_size=config.hidden_size,
            num_position_embeddings=256,
            deepstack_visual_indexes=[0],
        ),
        **model_fields,
    )
    return Qwen3VLForConditionalGeneration(model_config), image_processor("qwen3_vl")


def _gemma(config: TinyConfig, tokenizer):
    from transformers import Gemma4Config, Gemma4ForConditionalGeneration

    model_fields, text_fields = special_token_fields("gemma4", tokenizer)
    head_dim = config.hidden_size // config.num_heads
    model_config = Gemma4Config(
        text_config=dict(
            vocab_size=len(tokenizer),
            vocab_size_per_layer_input=len(tokenizer),
            hidden_size_per_layer_input=8,
            hidden_size=config.hidden_size,
            intermediate_size=config.intermediate_size,
            num_hidden_layers=config.num_layers,
            num_attention_heads=config.num_heads,
            num_key_value_heads=config.num_kv_heads,
            head_dim=head_dim,
            global_head_dim=head_dim,
            enable_moe_block=True,
            num_experts=config.num_experts,
            top_k_experts=config.top_k_experts,
            moe_intermediate_size=config.intermediate_size // 2,
            sliding_window=64,
            layer_types=(["sliding_attention"] * (config.num_layers - 1) + ["full_attention"]),
            max_position_embeddings=4096,
            **text_fields,
        ),
        vision_config=dict(
            hidden_size=config.vision_hidden_size,
            intermediate_size=2 * config.vision_hidden_size,
            num_hidden_layers=config.vision_layers,
            num_attention_heads=2,
            num_key_value_heads=2,
            head_dim=config.vision_hidden_size // 2,
            patch_size=16,
            pooling_kernel_size=3,
            position_embedding_size=128,
        ),
        audio_config=None,
        **model_fields,
    )
    return Gemma4ForConditionalGeneration(model_config), image_processor("gemma4", max_soft_tokens=70)


def build_tiny_base(config: TinyConfig, texts: Iterable[str], out_dir: Path, *, seed: int) -> Path:
    """Train the tokenizer on ``texts``, build the random-weight model and save both to ``out_dir``."""
    import torch

    tokenizer = chat_tokenizer(config.family, texts, config.vocab_size)
    build = _qwen if config.family == "qwen3_vl" else _gemma
    torch.manual_seed(seed)
    model, processor = build(config, tokenizer)
    if not model.config.tie_word_embeddings:
        # At the usual 0.02 init std a frozen random output layer caps the logits near +-1, so no
        # adapter could make any token likely (the loss plateaus near ln(vocab)); a wider output
        # layer lets LoRA on the inner layers fit the targets.
        with torch.no_grad():
            model.get_output_embeddings().weight.normal_(0.0, config.output_init_std)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
    processor.save_pretrained(out_dir)
    return out_dir
