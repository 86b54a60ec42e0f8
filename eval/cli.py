"""`pisar predict` and `pisar bench`.

    pisar predict --model RUN_DIR | hf:MODEL | openai:MODEL | anthropic:MODEL | knn --data DIR [--split test] [--ablate persona|screen|intent] --out PREDS.jsonl
    pisar bench PREDS.jsonl [MORE.jsonl ...] --data DIR [--split test] [--out REPORT_DIR]

Heavy libraries (torch, sentence-transformers, datasets, the SDKs) are imported inside functions.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from pisar_data.errors import UserError

TEXT_COLUMNS = ("id", "source", "context_name", "persona", "intent", "screen_text", "action_type", "action", "rationale")


class _Parser(argparse.ArgumentParser):
    """argparse that reports bad arguments as a UserError (exit 2, one line) instead of exiting."""

    def error(self, message: str):
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _load_split(data: str, split: str, *, images: bool, limit: int | None = None):
    """The split as a ``datasets.Dataset`` (images decode lazily, row by row)."""
    from pisar_data import load_dataset

    dataset = load_dataset(data, split=split)
    if limit is not None:
        dataset = dataset.select(range(min(limit, len(dataset))))
    if not images:
        dataset = dataset.select_columns([c for c in TEXT_COLUMNS if c in dataset.column_names])
    return dataset


def _load_rows(data: str, split: str, *, limit: int | None = None) -> list[dict[str, Any]]:
    return list(_load_split(data, split, images=False, limit=limit))


def _train_rows(data: str) -> list[dict[str, Any]] | None:
    """The train split's ids and rationales, or None when the dataset has no train split (a split
    without rows is not written)."""
    from pisar_data import load_dataset

    splits = load_dataset(data)
    return list(splits["train"].select_columns(["id", "rationale"])) if "train" in splits else None


def _pending(dataset, done: set[str]):
    """The rows whose ids are not in the output yet, in split order."""
    return dataset.select([i for i, row_id in enumerate(dataset["id"]) if row_id not in done])


def _adapter_rows(dataset, ablation: str | None):
    """The rows as every adapter receives them: with the ``--ablate`` input blanked (eval.ablation)."""
    from eval.ablation import blank

    return (blank(row, ablation) for row in dataset)


def _embedding_cache_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--embedding-cache", type=Path, help="embedding cache folder; default $PISAR_CACHE_DIR or ~/.cache/pisar")
    parser.add_argument("--no-embedding-cache", action="store_true", help="encode every text afresh (same numbers, slower)")


def _check_caches(args) -> None:
    """Refuse cache paths that hold something else, before any work (a cache only ever adds its own files)."""
    from pisar_data.atomic import check_output_file
    from pisar_data.user_files import check_readable

    folder = args.embedding_cache
    if folder is not None and folder.exists() and not folder.is_dir():
        raise UserError(f"--embedding-cache {folder}: is a file; expected a folder for the embedding cache")
    path = getattr(args, "cache", None)
    if path is not None and check_output_file(path, "the API reply cache (an SQLite file)").is_file() and path.stat().st_size:
        with check_readable(path, "an SQLite file").open("rb") as handle:
            if handle.read(16) != b"SQLite format 3\x00":
                raise UserError(f"--cache {path}: not an SQLite database; expected a new file or an earlier API reply cache")


def _scorer(model: str | None, args):
    from eval.semsim import SemSimScorer
    from pisar_data.cache import cache_root

    return SemSimScorer(model, cache_dir=None if args.no_embedding_cache else (args.embedding_cache or cache_root()))


def _progress(total: int, description: str):
    from rich.progress import Progress

    progress = Progress(disable=not sys.stderr.isatty(), transient=True)
    return progress, progress.add_task(description, total=total)


def predict(argv: list[str]) -> int:
    parser = _Parser(prog="pisar predict", description="Write benchmark predictions (JSONL) for a split; reruns resume.")
    parser.add_argument("--model", required=True, help="RUN_DIR | hf:MODEL | openai:MODEL | anthropic:MODEL | knn")
    parser.add_argument("--data", required=True, help="dataset folder written by `pisar build` (or a Hub id)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--ablate", choices=("persona", "screen", "intent"), help="blank this input for every row (the model label gets +no-INPUT)")
    parser.add_argument("--out", required=True, type=Path, help="predictions JSONL (appended to; ids already there are skipped)")
    parser.add_argument("--limit", type=int, help="only the first N rows of the split")
    parser.add_argument("--batch-size", type=int, default=8, help="local models: rows per generate() call")
    parser.add_argument("--max-new-tokens", type=int, default=512, help="local models: generation limit")
    parser.add_argument("--chunk-size", type=int, default=64, help="local models: rows generated between writes to --out")
    parser.add_argument("--concurrency", type=int, default=4, help="API models: parallel requests")
    parser.add_argument("--max-tokens", type=int, default=2048, help="API models: output limit (reasoning tokens count against it)")
    parser.add_argument("--temperature", type=float, default=0.0, help="API models that accept a temperature (see pisar_data/prices.toml)")
    parser.add_argument("--retries", type=int, default=4, help="API models: our retries on 429/5xx after the SDK's own")
    parser.add_argument("--cache", type=Path, help="API reply cache (SQLite); default $PISAR_CACHE_DIR or ~/.cache/pisar/api-cache.sqlite")
    parser.add_argument("--embedding-model", help="knn: sentence-transformers model (default all-MiniLM-L6-v2, offline)")
    _embedding_cache_options(parser)
    args = parser.parse_args(argv)
    from eval.predictions import check_out_file

    check_out_file(args.out)
    _check_caches(args)
    at_least = {"limit": 1, "batch_size": 1, "chunk_size": 1, "concurrency": 1, "max_tokens": 1, "max_new_tokens": 1, "retries": 0, "temperature": 0}
    for option, least in at_least.items():
        value = getattr(args, option)
        if value is not None and not value >= least:  # `not >=` also rejects nan
            raise UserError(f"--{option.replace('_', '-')} must be {least} or more, got {value}")
    spec = args.model

    if spec == "knn":
        return _predict_knn(args)
    provider, _, name = spec.partition(":")
    if provider in ("openai", "anthropic") and name:
        return _predict_api(args, provider, name)
    if provider == "hf" and name:
        return _predict_local(args, spec, name)
    if Path(spec).is_dir():
        from eval.local_vlm import run_label

        return _predict_local(args, run_label(Path(spec)), spec)
    raise UserError(f"--model {spec!r}: expected a run folder, hf:MODEL, openai:MODEL, anthropic:MODEL or knn")


def _predict_knn(args) -> int:
    from eval.ablation import label as ablated
    from eval.knn import model_label, predict_knn
    from eval.predictions import PredictionWriter

    label = ablated(model_label(args.embedding_model), args.ablate)
    rows = _load_split(args.data, args.split, images=False, limit=args.limit)
    with PredictionWriter(args.out, label) as writer:
        pending = _pending(rows, writer.done)
        if len(pending):
            train = _load_rows(args.data, "train")
            for record in predict_knn(train, list(_adapter_rows(pending, args.ablate)), _scorer(args.embedding_model, args)):
                writer.write({**record, "model": label})
    print(f"{label}: {len(pending)} new predictions, {len(rows) - len(pending)} already in {args.out}")
    return 0


def _predict_api(args, provider: str, name: str) -> int:
    from eval.ablation import label as ablated
    from eval.api import predict
    from eval.predictions import PredictionWriter
    from pisar_data.cache import KeyValueCache
    from pisar_data.model_client import PRICES_FILE, ClientConfig, ModelClient, default_cache_path, make_adapter

    config = ClientConfig(max_tokens=args.max_tokens, temperature=args.temperature, concurrency=args.concurrency, retries=args.retries, cache_path=args.cache)
    adapter = make_adapter(provider, name, config)
    cache = KeyValueCache(config.cache_path or default_cache_path())
    client = ModelClient(adapter, config, cache)
    if client.price is None:
        print(f"{client.name}: not in {PRICES_FILE}; cost will be reported as unknown", file=sys.stderr)
    label = ablated(client.name, args.ablate)
    rows = _load_split(args.data, args.split, images=True, limit=args.limit)
    try:
        with PredictionWriter(args.out, label) as writer:
            pending = _pending(rows, writer.done)
            progress, task = _progress(len(pending), label)
            with progress:
                for record in predict(client, _adapter_rows(pending, args.ablate)):
                    writer.write({**record, "model": label})
                    progress.advance(task)
    finally:
        cache.close()
        stats = client.stats
        paid = f"${stats.paid_usd:.4f}" if client.price is not None else f"unknown (model not in {PRICES_FILE.name})"
        print(f"{client.name}: {stats.calls} API calls, {stats.cache_hits} cache hits, paid this run {paid} (cache: {cache.path})")
    return 0


def _predict_local(args, model_name: str, model_ref: str) -> int:
    from eval.ablation import label as ablated
    from eval.local_vlm import predict_local
    from eval.predictions import PredictionWriter
    from pisar_data.task import parse_prediction

    model_name = ablated(model_name, args.ablate)
    rows = _load_split(args.data, args.split, images=True, limit=args.limit)
    with PredictionWriter(args.out, model_name) as writer:
        pending = _pending(rows, writer.done)
        progress, task = _progress(len(pending), model_name)
        with progress:
            # Chunks are written as they finish, so an interrupted run resumes after the last chunk.
            for start in range(0, len(pending), args.chunk_size):
                chunk = list(_adapter_rows(pending.select(range(start, min(start + args.chunk_size, len(pending)))), args.ablate))
                raws = predict_local(model_ref, chunk, batch_size=args.batch_size, max_new_tokens=args.max_new_tokens)
                if len(raws) != len(chunk):
                    raise RuntimeError(f"predict_local returned {len(raws)} generations for {len(chunk)} rows")
                for row, raw in zip(chunk, raws):
                    prediction = parse_prediction(raw)
                    writer.write({"id": row["id"], "action_type": prediction.action_type, "action": prediction.action, "rationale": prediction.rationale, "raw": raw, "model": model_name})
                progress.advance(task, len(chunk))
    print(f"{model_name}: {len(pending)} new predictions, {len(rows) - len(pending)} already in {args.out}")
    return 0


def bench(argv: list[str]) -> int:
    parser = _Parser(prog="pisar bench", description="Score prediction files with sem_sim and write a report (JSON, Markdown, HTML).")
    parser.add_argument("predictions", nargs="+", type=Path, help="predictions JSONL files, one model each")
    parser.add_argument("--data", required=True, help="dataset folder written by `pisar build` (or a Hub id)")
    parser.add_argument("--split", default="test")
    parser.add_argument("--out", type=Path, default=Path("bench-report"), help="report folder (replaced as a whole; must be new, empty or an earlier report)")
    parser.add_argument("--sem-sim-model", help="sentence-transformers model name or path (default all-MiniLM-L6-v2, offline)")
    parser.add_argument("--resamples", type=int, default=10_000, help="bootstrap resamples")
    parser.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    parser.add_argument("--no-leakage-audit", action="store_true", help="skip the audit of near-duplicate rationales between the split and train")
    _embedding_cache_options(parser)
    args = parser.parse_args(argv)
    _check_caches(args)
    if args.resamples < 1:
        raise UserError(f"--resamples must be a positive number, got {args.resamples}")

    from eval.bench import gold_from_rows, leakage_audit, run_bench
    from eval.predictions import read_predictions
    from eval.report import REPORT, markdown, write_report
    from eval.stats import BootstrapConfig
    from pisar_data.atomic import check_replaceable

    for path in args.predictions:
        read_predictions(path)  # fail on a bad file before loading any model
    repeated = [str(p) for p, n in Counter(p.resolve() for p in args.predictions).items() if n > 1]
    if repeated:
        raise UserError(f"{', '.join(repeated)}: given more than once; expected each predictions file once")
    check_replaceable(args.out, REPORT, inputs=args.predictions)
    rows = _load_rows(args.data, args.split)
    gold = gold_from_rows(rows)
    scorer = _scorer(args.sem_sim_model, args)
    leakage = None
    if args.split != "train" and not args.no_leakage_audit:
        train = _train_rows(args.data)
        if train is None:
            print(f"{args.data}: no train split; the leakage audit is skipped", file=sys.stderr)
        else:
            leakage = leakage_audit(rows, train, args.split, embed=scorer.embed, embedding_model=scorer.model_name)
    bootstrap = BootstrapConfig(resamples=args.resamples, seed=args.seed)
    report, runs = run_bench(args.predictions, gold, scorer, data=str(args.data), split=args.split, bootstrap=bootstrap, leakage=leakage)
    write_report(args.out, report, runs, gold)
    print(markdown(report))
    print(f"report written to {args.out}/ (report.json, report.md, report.html, figures/, scores.csv)")
    return 0
