"""Anchoring: rationales pick the screen they talk about (real Rico screens), both methods, thresholds, OPeRA, no sampling."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from curation.stages import BuildContext
from curation.stages.anchor import Config, run
from curation.stages.personas import ATTRIBUTES_DTYPE
from pisar_data.errors import UserError
from pisar_data.schema import PERSONA_ATTRIBUTES

LOGIN, ROUTES, SETTINGS = "33603", "33670", "33632"


def _library(real_samples: Path, context_id: str, stems: list[str]) -> pl.DataFrame:
    from curation.sources.screens import screen_text

    rico = real_samples / "screens" / "rico"
    rows = []
    for stem in stems:
        path = rico / f"{stem}.jpg"
        rows.append({"screen_id": stem, "context_id": context_id, "image_path": str(path), "screen_text": screen_text(path)[0],
                     "screen_source": "view_hierarchy", "phash": "0", "width": 1, "height": 1, "original_paths": [str(path)]})
    return pl.DataFrame(rows)


def _tuples(rows: list[tuple[str, str, str, str]]) -> pl.DataFrame:
    """(id, source, context_id, rationale) -> a tuples table with the columns anchoring carries through."""
    persona = dict.fromkeys(PERSONA_ATTRIBUTES)
    return pl.DataFrame({
        "id": [r[0] for r in rows], "source": [r[1] for r in rows], "context_id": [r[2] for r in rows],
        "context_name": [r[2] for r in rows], "rationale": [r[3] for r in rows], "intent": ["use it"] * len(rows),
        "persona_attributes": pl.Series([persona] * len(rows), dtype=ATTRIBUTES_DTYPE),
        "image_path": [None] * len(rows), "screen_text": [None] * len(rows), "screen_source": [None] * len(rows),
    })


LOGIN_RATIONALE = "I can't log in, it keeps rejecting my password and sends me back to the sign in page."
ROUTES_RATIONALE = "The bus arrival predictions are always wrong and the routes list never refreshes."


TUPLES = [("gp-1", "google_play", "app", LOGIN_RATIONALE), ("gp-2", "google_play", "app", ROUTES_RATIONALE),
          ("gp-3", "google_play", "app", "Love it, five stars from me and my whole family."),
          ("gp-4", "google_play", "no.screens.app", LOGIN_RATIONALE)]


@pytest.fixture(scope="module", params=["lexical", "embedding"])
def result(request, real_samples, tmp_path_factory):
    library = _library(real_samples, "app", [SETTINGS, LOGIN, ROUTES])
    tmp = tmp_path_factory.mktemp("anchor")
    return run({"tuples": _tuples(TUPLES), "screen_library": library}, Config(method=request.param), BuildContext(tmp, tmp, seed=0))


def test_rationales_anchor_to_the_real_screen_they_talk_about(result):
    anchored = result.tables["anchored"]
    login = anchored.filter(pl.col("id") == "gp-1").row(0, named=True)
    assert login["screen_id"] == LOGIN and "SIGN IN" in login["screen_text"]
    assert anchored.filter(pl.col("id") == "gp-2")["screen_id"].item() == ROUTES
    assert anchored.schema["anchor_score"] == pl.Float32
    assert login["anchor_score"] >= result.counts["threshold"]
    assert login["anchor_method"] == result.counts["method"] and result.counts["method"] in ("tfidf", "embedding:all-MiniLM-L6-v2")


def test_unanchorable_rows_and_screenless_contexts_are_dropped_and_counted(result):
    drops = {r["id"]: (r["reason"], r["screen_id"]) for r in result.tables["anchor_drops"].to_dicts()}
    assert drops["gp-3"][0] == "below_threshold" and drops["gp-3"][1] in (SETTINGS, LOGIN, ROUTES)  # its closest screen
    assert drops["gp-4"] == ("no_screen", None) and len(drops) == 2
    counts = result.counts
    assert counts["review_contexts_without_screens"] == 1 and counts["dropped_below_threshold"] == 1 and counts["out"] == 2


def test_auto_embeds_small_builds_and_uses_tfidf_above_the_bound(real_samples, tmp_path):
    library = _library(real_samples, "app", [SETTINGS, LOGIN, ROUTES])
    tables = {"tuples": _tuples(TUPLES), "screen_library": library}  # 3 distinct rationales of contexts with screens
    small = run(tables, Config(max_embedding_rationales=3), BuildContext(tmp_path, tmp_path, 0))
    large = run(tables, Config(max_embedding_rationales=2), BuildContext(tmp_path, tmp_path, 0))
    assert (small.counts["method"], large.counts["method"]) == ("embedding:all-MiniLM-L6-v2", "tfidf")
    assert large.counts["threshold"] == pytest.approx(Config().min_score_lexical)


def test_an_embedding_model_that_cannot_load_is_a_user_error(real_samples, tmp_path):
    library = _library(real_samples, "app", [LOGIN])
    config = Config(method="embedding", model=str(tmp_path / "no-such-model"))
    with pytest.raises(UserError, match=r"recipe \[anchor\] model: cannot load the sentence-embedding model"):
        run({"tuples": _tuples(TUPLES[:1]), "screen_library": library}, config, BuildContext(tmp_path, tmp_path, 0))


def test_opera_rows_keep_their_own_screenshot_and_text(real_samples, tmp_path):
    library = _library(real_samples, "amazon.com", [LOGIN, ROUTES])
    own = str(real_samples / "screens" / "rico" / f"{ROUTES}.jpg")
    tuples = _tuples([("op-1", "opera", "amazon.com", LOGIN_RATIONALE), ("op-2", "opera", "amazon.com", "Cheaper.")])
    tuples = tuples.with_columns(pl.Series("image_path", [own, None]), pl.Series("screen_text", ["Routes page HTML text", "x"]))
    result = run({"tuples": tuples, "screen_library": library}, Config(method="lexical"), BuildContext(tmp_path, tmp_path, 0))
    row = result.tables["anchored"].row(0, named=True)
    # the login rationale would fit the sign-in screen better, but the observed screenshot is kept, below threshold or not
    assert row["screen_id"] == ROUTES and row["screen_text"] == "Routes page HTML text" and row["anchor_method"] == "own_screenshot:tfidf"
    assert result.tables["anchor_drops"].to_dicts() == [{"id": "op-2", "reason": "no_screenshot", "anchor_score": 0.0, "screen_id": None}]


def test_every_review_row_is_scored_whatever_the_input_order(real_samples, tmp_path):
    library = _library(real_samples, "app", [LOGIN, ROUTES])
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    rationales = [f"Since {days[i % 7]}. {LOGIN_RATIONALE if i % 2 else 'Great app, thanks.'}" for i in range(5000)]
    tuples = _tuples([(f"gp-{i:05d}", "google_play", "app", r) for i, r in enumerate(rationales)])
    config = Config(method="lexical")  # what a large build uses
    first = run({"tuples": tuples, "screen_library": library}, config, BuildContext(tmp_path, tmp_path, 5))
    again = run({"tuples": tuples.reverse(), "screen_library": library}, config, BuildContext(tmp_path, tmp_path, 5))
    anchored, drops = first.tables["anchored"], first.tables["anchor_drops"]
    # the login complaints (a second sentence about the sign-in screen) are kept, the praise is dropped: nothing is sampled
    assert anchored["id"].to_list() == [f"gp-{i:05d}" for i in range(1, 5000, 2)] and set(anchored["screen_id"]) == {LOGIN}
    assert drops.height == 2500 and set(drops["reason"]) == {"below_threshold"}
    assert anchored.equals(again.tables["anchored"]) and drops.equals(again.tables["anchor_drops"])
