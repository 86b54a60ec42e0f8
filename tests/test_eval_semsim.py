"""sem_sim scoring with the real default model (loaded once per session by pisar_data.embeddings)."""

import numpy as np
import pytest

from eval.semsim import SemSimScorer
from pisar_data.task import Prediction

GOLD = [
    ("uninstalled the app", "it logs me out every time and the password reset never arrives"),
    ("paid for the premium plan", "I wanted offline playlists for my commute"),
    ("switched to another ride app", "the driver cancelled twice and the fare kept going up"),
    ("clicked 'Add to Cart' on the 2-pack", "the reviews were good and the price per unit was lower"),
]


@pytest.fixture(scope="module")
def scorer():
    return SemSimScorer()


def _as_predictions(pairs):
    return [Prediction(a, r, True) for a, r in pairs]


def test_gold_predictions_score_one(scorer):
    scores = scorer.score(GOLD, _as_predictions(GOLD))
    for array in (scores.combined, scores.action, scores.rationale):
        np.testing.assert_allclose(array, 1.0, atol=1e-5)


def test_shuffled_predictions_score_lower(scorer):
    shuffled = GOLD[1:] + GOLD[:1]
    scores = scorer.score(GOLD, _as_predictions(shuffled))
    assert scores.combined.max() < 0.7
    assert scores.combined.mean() < 0.5


def test_close_paraphrase_scores_between(scorer):
    paraphrase = [("deleted the app", "it keeps signing me out and the reset email never comes")]
    scores = scorer.score(GOLD[:1], _as_predictions(paraphrase))
    assert 0.6 < scores.combined[0] < 0.99


def test_unparseable_and_missing_predictions_score_zero(scorer):
    predictions = [Prediction("", "", False), None, Prediction(GOLD[2][0], "", True), Prediction(*GOLD[3], True)]
    scores = scorer.score(GOLD, predictions)
    assert scores.combined[:2].tolist() == [0.0, 0.0]
    assert scores.action[:2].tolist() == [0.0, 0.0] and scores.rationale[:2].tolist() == [0.0, 0.0]
    assert scores.action[2] == pytest.approx(1.0, abs=1e-5) and scores.rationale[2] == 0.0  # empty rationale
    assert scores.combined[3] == pytest.approx(1.0, abs=1e-5)


def test_each_distinct_text_is_encoded_once(scorer, monkeypatch):
    fresh = SemSimScorer()
    calls = []
    encode = fresh._model.encode
    monkeypatch.setattr(fresh._model, "encode", lambda texts, **kw: calls.append(list(texts)) or encode(texts, **kw))
    fresh.score(GOLD, _as_predictions(GOLD))
    assert len(calls) == 1 and len(calls[0]) == len(set(calls[0]))
    fresh.score(GOLD, _as_predictions(GOLD))  # everything already embedded
    assert len(calls) == 1
    assert fresh.model_name == "all-MiniLM-L6-v2"


def test_disk_cache_gives_the_same_scores_without_encoding(tmp_path, monkeypatch):
    predictions = _as_predictions(GOLD[1:] + GOLD[:1])
    first = SemSimScorer(cache_dir=tmp_path).score(GOLD, predictions)
    second_scorer = SemSimScorer(cache_dir=tmp_path)
    monkeypatch.setattr(second_scorer._model, "encode", lambda *a, **k: pytest.fail("encoded a cached text"))
    second = second_scorer.score(GOLD, predictions)
    np.testing.assert_array_equal(first.combined, second.combined)
    np.testing.assert_array_equal(first.rationale, second.rationale)


def test_speed_benchmark_smoke():
    import re
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[1] / "bench" / "eval_speed.py"
    done = subprocess.run([sys.executable, str(script), "--rows", "40", "--train-rows", "40"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    floor = re.search(r"linear_gflop=(\d+) fp32_matmul_gflops=(\d+) fp32_floor_s=([\d.]+) score_warm_gold_s=[\d.]+", done.stdout)
    assert floor and int(floor.group(1)) > 0 and float(floor.group(3)) > 0, done.stdout
    assert re.fullmatch(r"score_s=[\d.]+ knn_s=[\d.]+", lines[-1]), lines[-1]
