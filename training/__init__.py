"""Training: SFT recipes (transformers + peft LoRA) and the `pisar train` entry point."""
