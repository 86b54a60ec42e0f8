"""The vision-language input path shared by training and eval, so a model sees the same tokens in both.

For a model folder (or Hub id) this loads the tokenizer and image processing, renders a row's chat
prompt from ``pisar_data.task.build_messages`` with the model's own chat template, expands the
image placeholder to one token per vision embedding (checked against the image grid), encodes
prompt + completion with the loss on the completion only, and runs greedy batched generation.

Two ways to process images:
- the model's full ``AutoProcessor`` when torchvision is importable (the path the model authors ship);
- otherwise the model's PIL image processor, with the placeholder expansion done here the way the
  processor does it (Qwen3-VL: one ``<|image_pad|>`` per merged patch = t*h*w / merge_size**2;
  Gemma 4: ``<|image>`` + one ``<|image|>`` per soft token + ``<image|>``).

The prompt always ends with the template's generation prompt and the completion is the gold JSON
followed by the end-of-turn token, so training and inference share the exact prompt prefix —
including Gemma's thinking channel, which is disabled (``enable_thinking=False``) in both.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pisar_data.errors import UserError
from pisar_data.task import build_messages, target_text

log = logging.getLogger(__name__)

IGNORE_INDEX = -100


@dataclass(frozen=True)
class Family:
    """What differs between model families in how an image and a turn are written as tokens."""

    model_type: str
    image_token: str
    # Text written around the expanded image tokens by us (Gemma's processor adds <|image> … <image|>;
    # Qwen's chat template already writes <|vision_start|> … <|vision_end|> around the placeholder).
    image_open: str
    image_close: str
    end_of_turn: str
    pil_image_processor: str
    # Image-processor outputs the model's forward takes.
    image_inputs: tuple[str, ...]
    # Image budget when the caller gives none (e.g. `pisar predict --model hf:…` on a base model):
    # the shipped recipes' budget, so zero-shot and fine-tuned runs see the same images.
    default_image_options: dict[str, Any]
    template_kwargs: dict[str, Any] = field(default_factory=dict)


FAMILIES: dict[str, Family] = {
    "qwen3_vl": Family(
        model_type="qwen3_vl",
        image_token="<|image_pad|>",
        image_open="",
        image_close="",
        end_of_turn="<|im_end|>",
        pil_image_processor="Qwen2VLImageProcessorPil",
        image_inputs=("pixel_values", "image_grid_thw"),
        default_image_options={"max_pixels": 768 * 32 * 32, "min_pixels": 64 * 32 * 32},
    ),
    "gemma4": Family(
        model_type="gemma4",
        image_token="<|image|>",
        image_open="<|image>",
        image_close="<image|>",
        end_of_turn="<turn|>",
        pil_image_processor="Gemma4ImageProcessorPil",
        image_inputs=("pixel_values", "image_position_ids"),
        default_image_options={"max_soft_tokens": 280},
        template_kwargs={"enable_thinking": False},
    ),
}

# Thinking blocks some chat models emit before the answer (Qwen3 <think>, Gemma 4's thought channel).
_THINKING = re.compile(r"<think>.*?(</think>|$)|<\|channel>.*?(<channel\|>|$)", re.DOTALL)


def image_token_counts(family: Family, features: dict[str, Any], image_processor: Any) -> list[int]:
    """Number of placeholder tokens each processed image fills, derived from the image grid."""
    if family.model_type == "qwen3_vl":
        merge = int(image_processor.merge_size)
        return [int(t * h * w) // merge**2 for t, h, w in features["image_grid_thw"].tolist()]
    # Gemma 4: real (non-padding) patches, pooled k x k into one soft token each.
    pool = int(image_processor.pooling_kernel_size)
    return [int(n) // pool**2 for n in (features["image_position_ids"][..., 0] >= 0).sum(-1).tolist()]


def _torchvision_available() -> bool:
    from transformers.utils import is_torchvision_available

    return is_torchvision_available()


def _image_of(messages: list[dict[str, Any]]):
    for message in messages:
        for part in message["content"]:
            if part.get("type") == "image":
                image = part["image"]
                return image.convert("RGB") if image.mode != "RGB" else image
    return None


def _merge_features(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """Image features of single-row processor calls, concatenated along the image axis."""
    import torch

    if not parts:
        return {}
    merged: dict[str, Any] = {}
    for key, value in parts[0].items():
        if key in ("input_ids", "attention_mask", "mm_token_type_ids"):
            continue
        values = [part[key] for part in parts]
        merged[key] = torch.cat(values) if isinstance(value, torch.Tensor) else [v for vs in values for v in vs]
    return merged


class VLMProcessing:
    """Tokenizer + image processing + chat template for one model; see the module docstring."""

    def __init__(self, tokenizer, image_processor, family: Family, processor=None):
        self.tokenizer = tokenizer
        self.image_processor = image_processor
        self.family = family
        self.processor = processor
        self.image_token_id = tokenizer.convert_tokens_to_ids(family.image_token)
        self.end_of_turn_id = tokenizer.convert_tokens_to_ids(family.end_of_turn)
        if self.tokenizer.pad_token_id is None:
            self.tokenizer.pad_token = family.end_of_turn

    @classmethod
    def load(cls, model_ref: str, image_options: dict[str, Any] | None = None) -> VLMProcessing:
        """Processing for a model folder or Hub id; ``image_options`` bound the image size
        (Qwen: ``max_pixels``/``min_pixels``; Gemma 4: ``max_soft_tokens``; default: the family's)."""
        import transformers
        from transformers import AutoConfig, AutoTokenizer

        if model_ref.startswith((".", "/", "~")) and not Path(model_ref).expanduser().is_dir():
            raise UserError(f"{model_ref}: model folder not found; expected a local model folder with config.json or a Hub model id")
        try:
            model_type = AutoConfig.from_pretrained(model_ref).model_type
        except (OSError, ValueError) as error:  # a missing folder, an unknown or unreachable Hub id
            raise UserError(
                f"{model_ref}: no model config could be loaded ({str(error).splitlines()[0]}); "
                "expected a local model folder with config.json or a Hub model id (downloaded beforehand when offline)"
            ) from error
        if model_type not in FAMILIES:
            raise UserError(f"{model_ref}: model type {model_type!r} is not supported; expected one of {', '.join(FAMILIES)}")
        family = FAMILIES[model_type]
        options = dict(image_options or family.default_image_options)
        if _torchvision_available():
            try:
                processor = transformers.AutoProcessor.from_pretrained(model_ref)
                processor.image_processor = transformers.AutoImageProcessor.from_pretrained(model_ref, **options)
                return cls(processor.tokenizer, processor.image_processor, family, processor)
            except (OSError, ValueError) as error:  # e.g. a folder without video-processor config
                log.warning("%s: AutoProcessor unavailable (%s); using the PIL image processor", model_ref, error)
        tokenizer = AutoTokenizer.from_pretrained(model_ref)
        image_processor = getattr(transformers, family.pil_image_processor).from_pretrained(model_ref, **options)
        return cls(tokenizer, image_processor, family)

    # -- prompts ---------------------------------------------------------------------------------

    def prompt_text(self, row: dict[str, Any]) -> str:
        """The chat prompt for a row, ending with the generation prompt (image placeholder unexpanded)."""
        return self.tokenizer.apply_chat_template(
            build_messages(row), tokenize=False, add_generation_prompt=True, **self.family.template_kwargs
        )

    def completion_text(self, row: dict[str, Any]) -> str:
        return target_text(row) + self.family.end_of_turn

    def _expand(self, prompt: str, counts: list[int]) -> str:
        pieces = prompt.split(self.family.image_token)
        out = [pieces[0]]
        for piece in pieces[1:]:
            n = counts.pop(0)
            out.append(self.family.image_open + self.family.image_token * n + self.family.image_close + piece)
        return "".join(out)

    def encode_prompts(self, rows: list[dict[str, Any]]) -> tuple[list[list[int]], dict[str, Any]]:
        """Token ids of each row's prompt with the image tokens expanded, and the image tensors."""
        messages = [build_messages(row) for row in rows]
        prompts = [self.prompt_text(row) for row in rows]
        row_images = [_image_of(m) for m in messages]
        images = [image for image in row_images if image is not None]
        if self.processor is not None:
            ids, parts = [], []
            for prompt, image in zip(prompts, row_images):
                out = self.processor(text=[prompt], images=None if image is None else [image], add_special_tokens=False, return_tensors="pt")
                ids.append(out["input_ids"][0].tolist())
                if image is not None:
                    parts.append(out)
            features = _merge_features(parts)
        else:
            features = self.image_processor(images=images, return_tensors="pt") if images else {}
            counts = image_token_counts(self.family, features, self.image_processor) if images else []
            expanded = [self._expand(p, counts) for p in prompts]
            ids = [self.tokenizer(p, add_special_tokens=False)["input_ids"] for p in expanded]
        self._check_image_tokens(ids, features)
        return ids, {k: features[k] for k in self.family.image_inputs if k in features}

    def _check_image_tokens(self, ids: list[list[int]], features: dict[str, Any]) -> None:
        """Each prompt with an image holds exactly as many image tokens as its image grid gives."""
        expected = image_token_counts(self.family, features, self.image_processor) if features else []
        found = [n for n in (seq.count(self.image_token_id) for seq in ids) if n]
        if found != expected:
            raise ValueError(f"image tokens per prompt {found} do not match the image grid {expected}")

    # -- batches ---------------------------------------------------------------------------------

    def _pad(self, sequences: list[list[int]], value: int, left: bool):
        import torch

        width = max(len(s) for s in sequences)
        padded = [([value] * (width - len(s)) + s) if left else (s + [value] * (width - len(s))) for s in sequences]
        return torch.tensor(padded, dtype=torch.long)

    def _batch(self, ids: list[list[int]], images: dict[str, Any], *, left: bool, labels: list[list[int]] | None = None):
        batch = {
            "input_ids": self._pad(ids, self.tokenizer.pad_token_id, left),
            "attention_mask": self._pad([[1] * len(s) for s in ids], 0, left),
        }
        batch["mm_token_type_ids"] = (batch["input_ids"] == self.image_token_id).long()
        if labels is not None:
            batch["labels"] = self._pad(labels, IGNORE_INDEX, left)
        batch.update(images)
        return batch

    def encode_for_training(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        """Right-padded batch of prompt + completion; labels are -100 on the prompt and on padding."""
        prompt_ids, images = self.encode_prompts(rows)
        ids, labels = [], []
        for prompt, row in zip(prompt_ids, rows):
            completion = self.tokenizer(self.completion_text(row), add_special_tokens=False)["input_ids"]
            ids.append(prompt + completion)
            labels.append([IGNORE_INDEX] * len(prompt) + completion)
        return self._batch(ids, images, left=False, labels=labels)

    def encode_for_generation(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        prompt_ids, images = self.encode_prompts(rows)
        return self._batch(prompt_ids, images, left=True)

    # -- generation ------------------------------------------------------------------------------

    def clean_generation(self, token_ids: list[int]) -> str:
        """Decoded answer: cut at the end of turn, thinking blocks and special tokens removed."""
        if self.end_of_turn_id in token_ids:
            token_ids = token_ids[: token_ids.index(self.end_of_turn_id)]
        text = self.tokenizer.decode(token_ids, skip_special_tokens=False)
        text = _THINKING.sub("", text)
        for special in sorted(self.tokenizer.all_special_tokens, key=len, reverse=True):
            text = text.replace(special, "")
        return text.strip()

    def generate(self, model, rows: list[dict[str, Any]], *, batch_size: int = 4, max_new_tokens: int = 256) -> list[str]:
        """Greedy generations for ``rows``, in order (left-padded batches)."""
        import torch

        stop = sorted({self.end_of_turn_id, *([self.tokenizer.eos_token_id] if self.tokenizer.eos_token_id is not None else [])})
        out: list[str] = []
        model.eval()
        for start in range(0, len(rows), batch_size):
            batch = self.encode_for_generation(rows[start : start + batch_size])
            batch = {k: v.to(model.device) if hasattr(v, "to") else v for k, v in batch.items()}
            with torch.no_grad():
                generated = model.generate(
                    **batch,
                    max_new_tokens=max_new_tokens,
                    do_sample=False,
                    eos_token_id=stop,
                    pad_token_id=self.tokenizer.pad_token_id,
                )
            width = batch["input_ids"].shape[1]
            out.extend(self.clean_generation(seq[width:].tolist()) for seq in generated)
        return out
