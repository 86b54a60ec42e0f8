"""`pisar train`: LoRA SFT of a vision-language model on a PiSAR dataset folder."""

from __future__ import annotations

import argparse
from pathlib import Path

from pisar_data.errors import UserError


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as a one-line UserError (exit 2)."""

    def error(self, message: str):
        raise UserError(f"{self.prog}: {message}")


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="pisar train", description=__doc__)
    parser.add_argument("--recipe", required=True, help="qwen3-vl-8b | gemma-4-26b-a4b | tiny | PATH.toml")
    parser.add_argument("--data", required=True, type=Path, help="dataset folder written by `pisar build`")
    parser.add_argument("--out", required=True, type=Path, help="run folder (checkpoints, adapter, manifest)")
    parser.add_argument("--model-path", help="local base weights instead of the recipe's Hub id")
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    parser.add_argument("--max-steps", type=int, help="stop after N optimiser steps (overrides the recipe's epochs)")
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from training.recipe import load_recipe

    recipe = load_recipe(args.recipe)
    if args.max_steps is not None:
        if args.max_steps <= 0:
            raise UserError(f"--max-steps: expected a positive number of steps, got {args.max_steps}")
        recipe = recipe.with_max_steps(args.max_steps)
    if not (args.data / "data").is_dir():
        raise UserError(f"{args.data}: not a dataset folder; expected data/train-*.parquet inside (from `pisar build`)")
    if args.model_path and not Path(args.model_path).is_dir():
        raise UserError(f"--model-path {args.model_path}: not a folder; expected local base-model weights")

    from training.train import train

    trainer = train(recipe, args.data, args.out, model_path=args.model_path, resume=args.resume)
    print(f"pisar train: {trainer.state.global_step} steps; adapter and run manifest written to {args.out}")
    return 0
