"""The labelled development set (curation/extraction_dev/) and the default extractor measured on it.

The set must be what its README says: ≥ 600 real reviews of many apps, split once by app, labels in
the guidelines' vocabulary, no personal data; the rows taken from ../shared/real-samples are those
reviews, word for word. The default extractor must meet the issue's bar on the held-out part (the
part nothing was fitted on): action-type accuracy ≥ 0.80, ≥ 0.65 on rows whose gold type is not
``rate``, non-``rate`` precision ≥ 0.80; and keep/drop accuracy ≥ 0.80. (This replaces the old
52-review check: those reviews are in the set's tuning part.)
"""

from __future__ import annotations

from collections import Counter

from curation import extraction_dev
from curation.extraction_dev.collect import SOURCES, _read
from curation.extractors import PRIORITY, Drop, Extraction, make_extractor
from curation.extractors.config import Config
from pisar_data.pii import find_pii

DROP_REASONS = {"no_reason", "too_short", "not_english"}


def _results(rows):
    return make_extractor(Config()).extract_all([row.as_input() for row in rows], lambda items, description="", total=None: items)


def test_the_set_is_large_labelled_and_split_by_app():
    rows = extraction_dev.load()
    assert len(rows) >= 600 and len({row.key for row in rows}) == len(rows)
    apps = {part: {row.app for row in rows if row.part == part} for part in extraction_dev.PARTS}
    assert not apps["tuning"] & apps["heldout"]  # no app in both parts
    assert len(apps["tuning"] | apps["heldout"]) >= 10 and len({row.genre for row in rows}) >= 6
    for row in rows:
        assert row.part in extraction_dev.PARTS and 1 <= row.rating <= 5
        if row.keep:
            assert row.action_type in PRIORITY and row.drop_reason is None and row.rationale_keywords
        else:
            assert row.drop_reason in DROP_REASONS and row.action_type is None
        assert not find_pii(f"{row.title or ''} {row.text}"), row.key
    heldout = [row for row in rows if row.part == "heldout"]
    assert sum(row.keep and row.action_type != "rate" for row in heldout) >= 60  # enough stated actions to measure on


def test_the_rows_from_the_shared_samples_are_those_reviews(real_samples):
    rows = {row.key: row for row in extraction_dev.load()}
    checked = 0
    for source in (s for s in SOURCES if s.shared):
        dump = {record[source.text].strip() for record in _read(source, real_samples, real_samples)}
        for row in (r for r in rows.values() if r.source.endswith(source.path) and r.app == source.app):
            assert row.text in dump or "[" in row.text, row.key  # word for word (bar scrubbed identifiers)
            checked += 1
    assert checked >= 250


def test_the_default_extractor_meets_the_bar_on_the_held_out_part():
    rows = extraction_dev.load("heldout")
    figures = extraction_dev.score(rows, _results(rows))
    print({k: v for k, v in figures.items() if k != "per_type"})
    assert figures["action_acc"] >= 0.80
    assert figures["action_acc_nonrate"] >= 0.65
    assert figures["nonrate_precision"] >= 0.80
    assert figures["keep_acc"] >= 0.80
    assert figures["rationale_hit"] >= 0.9 and figures["intent_acc"] >= 0.7


def test_scoring_counts_what_it_says():
    rows = extraction_dev.load("tuning")[:40]
    results = [Extraction("i", "genre", "a", row.action_type, " ".join(row.rationale_keywords), "{}") if row.keep else Drop(row.drop_reason)
               for row in rows]
    figures = extraction_dev.score(rows, results)
    assert figures["keep_acc"] == figures["action_acc"] == figures["rationale_hit"] == 1.0
    all_rate = [Extraction("i", "genre", "a", "rate", "", "{}") if row.keep else Drop("x") for row in rows]
    figures = extraction_dev.score(rows, all_rate)
    assert figures["action_acc_nonrate"] == 0.0 and figures["predicted_nonrate"] == 0
    assert Counter(row.keep for row in rows)[True] == figures["both_kept"]
