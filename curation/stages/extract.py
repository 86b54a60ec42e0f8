"""The extract stage: every deduplicated review -> a tuple (intent, action, action_type, rationale) in
table ``review_tuples``, or a drop with its reason in table ``extract_drops``.

Which extractor does the work is the recipe's ``[extract] extractor`` (see
``curation.extractors``); the rules every extractor follows are ``curation/extraction_guidelines.md``.
The manifest records the extractor's name, version and ``stats()``, the drop reasons and the
action-type counts.

Drop reasons of the offline extractors: ``too_short`` (fewer than ``min_words`` words),
``non_latin_script``, ``not_english`` (a Latin-script review in another language or transliterated),
``no_rationale`` (no usable reason: "good game", "worst app ever"), ``rationale_too_short`` (fewer
than ``min_rationale_words`` words survive cleaning); the LLM extractor gives the guidelines' reasons.
"""

from __future__ import annotations

import polars as pl

from curation.extractors import Drop, ReviewInput, make_extractor, result_counts
from curation.extractors.config import Config
from curation.stages import BuildContext, StageResult, Tables

NAME = "extract"
__all__ = ["NAME", "Config", "make_extractor", "run"]

TUPLE_SCHEMA = {
    "id": pl.Utf8, "review_id": pl.Utf8, "source": pl.Utf8, "context_id": pl.Utf8, "context_name": pl.Utf8,
    "genre": pl.Utf8, "intent": pl.Utf8, "intent_source": pl.Utf8, "action": pl.Utf8, "action_type": pl.Utf8,
    "rationale": pl.Utf8, "evidence": pl.Utf8, "rating": pl.Int32, "lang": pl.Utf8, "created_at": pl.Datetime("us"),
}
DROP_SCHEMA = {"review_id": pl.Utf8, "reason": pl.Utf8}


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    extractor = make_extractor(config)
    reviews = tables["reviews_dedup"]
    apps = tables.get("apps")
    if apps is not None and apps.height:
        genres = apps.select("context_id", "source", pl.col("genre").alias("_app_genre")).unique(["context_id", "source"], keep="first")
        reviews = reviews.join(genres, on=["context_id", "source"], how="left").with_columns(
            pl.coalesce("genre", "_app_genre").alias("genre")
        )
    columns = ["review_id", "source", "context_id", "context_name", "genre", "title", "text", "rating", "reply_text", "lang", "created_at"]
    kept: list[dict] = []
    drops: list[dict] = []
    records = reviews.select(columns).to_dicts()
    inputs = [
        ReviewInput(
            review_id=record["review_id"], text=record["text"] or "", title=record["title"], rating=record["rating"],
            reply_text=record["reply_text"], context_name=record["context_name"] or record["context_id"], genre=record["genre"],
        )
        for record in records
    ]
    results = extractor.extract_all(inputs, ctx.progress)
    for record, review, result in zip(records, inputs, results, strict=True):
        if isinstance(result, Drop):
            drops.append({"review_id": record["review_id"], "reason": result.reason})
            continue
        kept.append({
            "id": record["review_id"], "review_id": record["review_id"], "source": record["source"],
            "context_id": record["context_id"], "context_name": review.context_name, "genre": record["genre"],
            "intent": result.intent, "intent_source": result.intent_source, "action": result.action,
            "action_type": result.action_type, "rationale": result.rationale, "evidence": result.evidence,
            "rating": record["rating"], "lang": record["lang"], "created_at": record["created_at"],
        })
    tuples = pl.DataFrame(kept, schema=TUPLE_SCHEMA).sort("id")
    drop_table = pl.DataFrame(drops, schema=DROP_SCHEMA).sort("review_id")
    counts: dict[str, int | float | str] = {"extractor": extractor.name, "extractor_version": extractor.version, **extractor.stats(),
                                           "in": reviews.height, "out": tuples.height, **result_counts(results)}
    return StageResult(tables={"review_tuples": tuples, "extract_drops": drop_table}, counts=counts)
