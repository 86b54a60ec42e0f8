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
    # "good" and "Good!!" normalize to the same text (exact); "goood" is a typo of it; "good game" and
    # "good 👍" add a word to a one-word text: different reviews (texts of 1-2 words take no added word).
    assert normalize(pl.Series(["good", "Good!!", "GOOD 👍", "👍👍👍 ok", "❤️ love"])).to_list() == ["good", "good", "good 👍", "👍 ok", "❤ love"]
    kept, _ = _run({"x1": "good", "x2": "Good!!", "x3": "good game", "x4": "good 👍", "x5": "goood"})
    assert kept == {"x1", "x3", "x4"}


def test_shuffled_input_gives_same_kept_set_and_cluster_ids():
    base_kept, base = _run(TEXTS)
    items = list(TEXTS.items())
    for seed in range(3):
        random.Random(seed).shuffle(items)
        kept, result = _run(dict(items))
        assert kept == base_kept
        assert result.decisions.equals(base.decisions)


def test_shuffled_input_gives_same_decisions_on_many_short_and_long_texts():
    rng = random.Random(11)
    vocab = ["good", "app", "great", "bank", "update", "login", "fast", "easy", "thanks", "transfer", "slow", "crashes", "again"]
    base = [" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 14))) for _ in range(250)]
    copies = [t + " thanks" for t in base[:60]] + [t.replace("good", "goood").upper() for t in base[60:140]] + [" ".join(t.split()[1:]) for t in base[140:200]]
    items = [(f"t{i:04d}", t) for i, t in enumerate(base + copies)]
    first = deduplicate([i for i, _ in items], [t for _, t in items])
    assert first.counts["short_duplicate_pairs"] > 20 and first.counts["long_candidate_pairs"] > 20
    for seed in range(2):
        rng.shuffle(items)
        again = deduplicate([i for i, _ in items], [t for _, t in items])
        assert again.decisions.equals(first.decisions)


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


# Issue 17: different reviews that the earlier rule merged (a short review contained in a longer one,
# up to 3 extra words at any length; one replaced word once a text had 10+ words). Each pair must
# stay apart; on the code before issue 17 every one of them was merged (the second id removed).
DIFFERENT_REVIEWS = [
    ("best study platform", "pw is best platform online study"),
    ("Simply the best", "best of best, Simply the best"),
    ("Worst app ever", "it was awesome!!!! Worst app ever"),
    ("very good performance", "very good performance for transportation"),
    ("it's very good", "It's good very easy to use"),
    ("Highly recommend this app to everyone, the new update is really great", "Highly recommend this app to everyone, the new update is really bad"),
    ("Thank you so much developers ❤️ the new update works on my tablet", "Thank you so much developers ❤️ the new update crashes on my tablet"),
]


@pytest.mark.parametrize("shorter, longer", DIFFERENT_REVIEWS)
def test_different_reviews_stay_apart(shorter, longer):
    kept, result = _run({"id1": longer, "id2": shorter})
    assert kept == {"id1", "id2"}, result.decisions.to_dicts()


def test_chains_keep_their_ends_apart():
    """Each removed review is a duplicate of the review kept for it, not only of a neighbour."""
    texts = {
        "c1": "good app for kids",
        "c2": "good app for",  # c1 minus a word: a duplicate of c1
        "c3": "good app for me",  # c2 plus a word, but c1 with a word replaced: a different review
        "g1": "good app",
        "g2": "good game",  # a replaced word
        "g3": "great game",  # another one
        "g4": "good games",  # a typo of g2 (one letter), a replaced word from g1
        "e1": "Great bank app 👍👍",
        "e2": "Terrible bank app 👍👍",  # a replaced word behind an emoji tail
        "e3": "great bank app 👍👍👍",  # e1 with the emoji repeated: the same review
    }
    kept, result = _run(texts)
    removed = dict(zip(result.decisions["removed_id"], result.decisions["kept_id"]))
    assert removed == {"c2": "c1", "g4": "g2", "e3": "e1"}
    assert kept == set(texts) - set(removed)


def test_copies_of_one_review_join_the_kept_copy():
    """Copies one edit away from the original are up to two edits from each other: a copy joins the
    kept copy through the original when it is close enough (no replaced word), not otherwise."""
    texts = {
        "k1": "well done and accurate fast now",  # kept (smallest id): the original plus "now"
        "k2": "well done and accurate fast",  # the original: a direct duplicate of k1
        "k3": "well and accurate fast",  # the original minus "done": joins through k2
        "k4": "well done and accurate fast again",  # the original plus "again": "now" replaced, stays
        "k5": "well done and accurate fsat",  # a typo of the original: joins through k2
    }
    kept, result = _run(texts)
    removed = dict(zip(result.decisions["removed_id"], result.decisions["kept_id"]))
    assert removed == {"k2": "k1", "k3": "k1", "k5": "k1"}
    assert result.counts["second_degree_removed"] == 2


def test_short_pairs_are_exactly_the_rule():
    """The exact joins for short texts find precisely the pairs that edit_check accepts (all pairs checked)."""
    from pisar_data.minhash import edit_check, one_edit_pairs, word_bags

    rng = random.Random(5)
    vocab = ["good", "goood", "god", "food", "app", "apps", "bank", "bnak", "fast", "great", "grate", "thanks", "👍", "login", "log"]
    texts = sorted({" ".join(rng.choice(vocab) for _ in range(rng.randint(1, 8))) for _ in range(700)})
    series = normalize(pl.Series(texts))
    config = DedupConfig()
    found = {tuple(p) for p in one_edit_pairs(word_bags(series, np.arange(len(texts)))).tolist()}
    normalized = series.to_list()
    every = {(i, j) for i in range(len(texts)) for j in range(i + 1, len(texts)) if edit_check(normalized[i], normalized[j], config)}
    assert found == every and len(every) > 100


def test_lazy_edit_checks_give_the_survivors_of_checking_every_pair():
    """assign_survivors checks a long pair only when the answer can change a survivor; the survivors
    must be those obtained when every pair is known in advance."""
    from pisar_data.minhash import assign_survivors, edit_check

    rng = random.Random(3)
    vocab = ["good", "app", "great", "bank", "update", "login", "fast", "easy", "thanks", "transfer", "bad", "slow", "the", "is"]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(8, 12))) for _ in range(300)]
    texts += [t + " thanks" for t in texts[:100]] + [" ".join(reversed(t.split())) for t in texts[100:150]] + [t.replace("good", "goood") for t in texts[150:250]]
    config = DedupConfig()
    series = pl.Series(sorted(set(normalize(pl.Series(texts)).to_list())))
    normalized = series.to_list()
    shingles = shingle(series, config)
    pairs = lsh_candidates(band_keys(signatures(shingles, config), config), np.ones(len(series), bool), config)
    lazy, counts = assign_survivors(len(series), pairs, np.zeros(len(pairs), bool), series, config)
    known = np.array([edit_check(normalized[i], normalized[j], config) for i, j in pairs.tolist()])
    full, _ = assign_survivors(len(series), pairs[known], np.ones(int(known.sum()), bool), series, config)
    assert np.array_equal(lazy, full)
    assert counts["edit_checks"] < len(pairs) and (lazy != np.arange(len(series))).sum() > 100, (counts, len(pairs))


def test_a_huge_review_is_compared_for_exact_duplicates_only():
    """Issue 16: a 5 MB review made a (3.8M, 256) signature chunk (~7 GiB). Over ``max_chars`` a text is
    only exact-deduplicated: bounded memory, counted in the stats, and never a near duplicate."""
    import resource
    import tracemalloc

    sentence = "The app keeps logging me out after the latest update and support never answers my emails. "
    huge = "".join(sentence.replace("update", f"update {i % 7}") for i in range(56_000))  # 5.5 MB
    texts = {f"h{i}": t for i, t in enumerate([huge, huge + "!", huge[:-40] + " and now it works", "Good app", "good app!!"])}
    texts.update({f"r{i:03d}": f"Review {i}: the login page of the bank app freezes" for i in range(400)})
    tracemalloc.start()
    kept, result = _run(texts)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 300 * 2**20, peak  # numpy arrays are traced; the old code needed gigabytes
    assert result.counts["texts_capped"] == 3
    removed = dict(zip(result.decisions["removed_id"], result.decisions["kept_id"]))
    assert removed == {"h1": "h0", "h4": "h3"}  # the exact copy goes; the edited one is only compared exactly
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 4 * 2**20  # KB: the whole test process under 4 GB
