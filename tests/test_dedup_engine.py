"""Near-duplicate engine and dedup stage: determinism, thresholds, short texts, datasketch equivalence."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from datasketch import MinHash, MinHashLSH

from pisar_data.minhash import DedupConfig, band_keys, deduplicate, lsh_candidates, normalize, shingle, signatures
from curation.stages import BuildContext
from curation.stages import dedup as dedup_stage

TEXTS = {
    "a1": "The app keeps logging me out after the latest update",
    "a2": "the app keeps logging me out after the latest update!!",  # exact after normalization
    "b1": "Transfers are fast and the new design is easy to use",
    "b2": "Transfers are fast and the new design is easy to use thanks",  # appended phrase
    "b3": "Transfers are fast and the new desgin is easy to use",  # typo
    "c1": "Great bank app 👍👍",
    "c2": "Terrible bank app 👍👍",  # a replaced word: a different review
    "d1": "good",
    "d2": "Good!!",
    "d3": "good game",
    "e1": "I cannot find the statement download button anywhere in settings",
    "e2": "I cannot find anywhere in settings the statement download button",  # reordered
    "f1": "",
    "f2": None,
}


def _run(items: dict, config: DedupConfig = DedupConfig()):
    result = deduplicate(list(items), list(items.values()), config)
    kept = {doc_id for doc_id, keep in zip(items, result.kept) if keep}
    return kept, result


def test_expected_clusters_and_survivor_rule():
    kept, result = _run(TEXTS)
    removed = dict(zip(result.decisions["removed_id"], result.decisions["kept_id"]))
    # The survivor is the smallest id of its cluster.
    assert removed == {"a2": "a1", "b2": "b1", "b3": "b1", "d2": "d1", "e2": "e1"}
    assert kept == set(TEXTS) - set(removed)
    kinds = dict(zip(result.decisions["removed_id"], result.decisions["kind"]))
    assert kinds["a2"] == "exact" and kinds["d2"] == "exact" and kinds["b3"] == "near"
    assert result.counts["exact_removed"] == 2 and result.counts["near_removed"] == 3 and result.counts["clusters"] == 4


def test_short_texts_rule():
    # "good" and "Good!!" normalize to the same text (exact); "good game" is a different review:
    # texts under min_words_near words are only ever exact duplicates.
    assert normalize(pl.Series(["good", "Good!!", "GOOD 👍"])).to_list() == ["good", "good", "good 👍"]
    kept, _ = _run({"x1": "good", "x2": "Good!!", "x3": "good game", "x4": "good 👍"})
    assert kept == {"x1", "x3", "x4"}


def test_shuffled_input_gives_same_kept_set_and_cluster_ids():
    base_kept, base = _run(TEXTS)
    items = list(TEXTS.items())
    for seed in range(3):
        random.Random(seed).shuffle(items)
        kept, result = _run(dict(items))
        assert kept == base_kept
        assert result.decisions.equals(base.decisions)


def test_threshold_controls_near_pairs():
    pair = {"p1": "Transfers are fast and the new design is easy to use", "p2": "Transfers are fast and the new desgin is easy to use"}
    jaccard_value = _run(pair)[1].decisions["jaccard"][0]
    assert 0.5 < jaccard_value < 1.0
    assert _run(pair, DedupConfig(threshold=jaccard_value - 0.01))[0] == {"p1"}  # above threshold: removed
    assert _run(pair, DedupConfig(threshold=jaccard_value + 0.01))[0] == {"p1", "p2"}  # below: kept apart
    exact = {"q1": "Works fine.", "q2": "works fine"}
    assert _run(exact, DedupConfig(threshold=1.0))[0] == {"q1"}  # exact duplicates regardless of threshold


@pytest.mark.parametrize("shingling", ["wchar4", "char5", "word3"])
def test_signatures_match_datasketch_bulk(shingling):
    config = DedupConfig(shingling=shingling, num_perm=32, bands=8, rows=4)
    texts = normalize(pl.Series(["good app", "", "👍 👍", "a b", "the app crashes on login every single time"])).to_list()
    shingles = shingle(texts, config)
    ours = signatures(shingles, config)
    reference = MinHash.bulk([[int(h) for h in shingles.of(i)] for i in range(len(texts))], num_perm=32, seed=1, hashfunc=lambda v: v)
    for row, minhash in zip(ours, reference):
        assert np.array_equal(row, minhash.hashvalues)


def test_banding_matches_datasketch_lsh():
    config = DedupConfig(num_perm=32, bands=16, rows=2)
    texts = normalize(pl.Series([f"review number {i % 7} about the app {i % 3}" for i in range(12)] + ["something else"])).to_list()
    shingles = shingle(texts, config)
    sigs = signatures(shingles, config)
    ours = {tuple(p) for p in lsh_candidates(band_keys(sigs, config), np.ones(len(texts), bool), replace(config, max_bucket_all_pairs=len(texts))).tolist()}
    lsh = MinHashLSH(num_perm=32, params=(16, 2))
    for i, row in enumerate(sigs):
        lsh.insert(i, MinHash(hashvalues=row, scheme="affine32", seed=1))
    theirs = set()
    for i, row in enumerate(sigs):
        theirs |= {(min(i, j), max(i, j)) for j in lsh.query(MinHash(hashvalues=row, scheme="affine32", seed=1)) if j != i}
    assert ours == theirs and ours


def test_empty_and_single_inputs():
    assert _run({})[0] == set()
    assert _run({"only": "hello there"})[0] == {"only"}
    kept, result = _run({"n1": None, "n2": "", "n3": "!!!"})
    assert kept == {"n1", "n2", "n3"} and result.decisions.is_empty()  # no content: never a duplicate


def test_config_rejects_inconsistent_banding():
    with pytest.raises(ValueError, match="bands"):
        DedupConfig(num_perm=128, bands=30, rows=4)
    with pytest.raises(ValueError, match="shingling"):
        DedupConfig(shingling="tokens")


def _reviews(rows: list[tuple[str, str, str]]) -> pl.DataFrame:
    n = len(rows)
    return pl.DataFrame(
        {
            "review_id": [r[0] for r in rows],
            "source": [r[1] for r in rows],
            "context_id": ["app"] * n,
            "context_name": ["App"] * n,
            "genre": [None] * n,
            "title": [None] * n,
            "text": [r[2] for r in rows],
            "rating": pl.Series([5] * n, dtype=pl.Int32),
            "reply_text": [None] * n,
            "app_version": [None] * n,
            "lang": ["en"] * n,
            "country": ["us"] * n,
            "created_at": pl.Series([datetime(2025, 1, 1)] * n, dtype=pl.Datetime("us")),
        }
    )


def test_stage_dedups_across_sources(tmp_path: Path):
    reviews = _reviews(
        [
            ("gp-1", "google_play", "Love the offline playlists, best music app I have used"),
            ("as-1", "app_store", "Love the offline playlists, best music app I have used."),
            ("gp-2", "google_play", "Crashes whenever I open the lyrics view on my tablet"),
        ]
    )
    result = dedup_stage.run({"reviews_clean": reviews}, dedup_stage.Config(), BuildContext(tmp_path, tmp_path, 0))
    # Survivor: the smallest id ("as-1" < "gp-1"); kept rows stay in input order.
    assert result.tables["reviews_dedup"]["review_id"].to_list() == ["as-1", "gp-2"]
    assert result.tables["reviews_dedup"].columns == reviews.columns
    decisions = result.tables["dedup_decisions"]
    assert decisions.select("kept_id", "removed_id", "jaccard").rows() == [("as-1", "gp-1", 1.0)]
    assert set(decisions.columns) >= {"cluster_id", "kept_id", "removed_id", "jaccard"}
    for key in ("shingling", "num_perm", "bands", "rows", "threshold", "exact_removed", "near_removed", "clusters"):
        assert key in result.counts
    assert result.counts["cross_source_removed"] == 1


def test_verify_skipping_keeps_the_same_survivors_as_checking_every_pair():
    """verify() skips edit checks that cannot change a survivor; the survivors must be those of checking all."""
    from pisar_data.minhash import clusters, edit_check, exact_groups, verify

    rng = random.Random(3)
    vocab = ["good", "app", "great", "bank", "update", "login", "fast", "easy", "thanks", "transfer", "bad", "slow"]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(3, 7))) for _ in range(600)]
    texts += [t + " thanks" for t in texts[:200]] + [" ".join(reversed(t.split())) for t in texts[200:300]]
    config = DedupConfig()
    series = normalize(pl.Series(texts))
    normalized = series.to_list()
    representative = exact_groups(series)
    shingles = shingle(series, config)
    sigs = signatures(shingles, config)
    words = (series.str.count_matches(" ") + 1).to_numpy().astype(np.int64)
    eligible = (representative == np.arange(len(texts))) & (words >= config.min_words_near)
    pairs = lsh_candidates(band_keys(sigs, config), eligible, config)
    accepted, scores, checked = verify(normalized, words, shingles, sigs, pairs, config)
    assert checked.sum() < (scores >= config.threshold).sum()  # something was skipped
    every = np.array([s >= config.threshold and edit_check(normalized[i], normalized[j], config) for (i, j), s in zip(pairs.tolist(), scores)], dtype=bool)
    lazy, _ = clusters(len(texts), representative, pairs[accepted])
    full, _ = clusters(len(texts), representative, pairs[every])
    assert np.array_equal(lazy, full)
