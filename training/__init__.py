"""SFT recipes (transformers + peft LoRA) for vision-language models on PiSAR."""
