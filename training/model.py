"""The base model in the recipe's dtype and attention, with LoRA adapters on the recipe's targets."""

from __future__ import annotations

from training.recipe import Recipe


def load_base_model(recipe: Recipe, base: str):
    import torch
    import transformers

    model_class = getattr(transformers, recipe.model.model_class)
    return model_class.from_pretrained(
        base, dtype=getattr(torch, recipe.model.dtype), attn_implementation=recipe.model.attn_implementation
    )


def random_base_model(recipe: Recipe, config, device: str):
    """The recipe's model class built from ``config`` with random weights, directly on ``device``
    (``"meta"``: shapes only, no memory — enough to count parameters and place adapters)."""
    import torch
    import transformers

    model_class = getattr(transformers, recipe.model.model_class)
    with torch.device(device):
        return model_class._from_config(
            config, dtype=getattr(torch, recipe.model.dtype), attn_implementation=recipe.model.attn_implementation
        )


def lora_config(recipe: Recipe):
    from peft import LoraConfig

    lora = recipe.lora
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=lora.target_modules,
        target_parameters=list(lora.expert_parameters) if lora.adapt_experts else None,
        bias="none",
        task_type="CAUSAL_LM",
    )


def add_lora(model, recipe: Recipe):
    """Wrap ``model`` with LoRA; every base weight is frozen, only the adapters train."""
    from peft import get_peft_model

    return get_peft_model(model, lora_config(recipe))


def lora_module_names(model) -> list[str]:
    """Names of the modules that carry LoRA weights (adapted Linears and adapted expert parameters)."""
    return sorted({name.rsplit(".lora_", 1)[0] for name, _ in model.named_parameters() if ".lora_" in name})
