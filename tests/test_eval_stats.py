"""Benchmark statistics on hand-computed vectors (no model)."""

import numpy as np
import pytest

from eval.stats import BootstrapConfig, bootstrap_ci, mean, paired_bootstrap, share_at_least


def test_mean_and_share_by_hand():
    scores = np.array([0.2, 0.7, 0.9, 0.6999, 1.0])
    assert mean(scores) == pytest.approx((0.2 + 0.7 + 0.9 + 0.6999 + 1.0) / 5)
    assert share_at_least(scores) == pytest.approx(3 / 5)  # 0.7 itself counts, 0.6999 does not
    assert share_at_least(scores, 0.95) == pytest.approx(1 / 5)


def test_bootstrap_bounds_of_a_two_point_sample():
    # Resampled means of [0, 0, 1, 1] are k/4 with k ~ Binomial(4, 1/2): P(0) = P(1) = 1/16 = 6.25%,
    # more than the 2.5% in each tail, so the 95% percentile interval is exactly [0, 1].
    assert bootstrap_ci(np.array([0.0, 0.0, 1.0, 1.0]), BootstrapConfig(seed=0)) == (0.0, 1.0)


def test_bootstrap_bounds_of_a_balanced_0_1_sample_by_hand():
    # Resampled means of ten 0s and ten 1s are k/20 with k ~ Binomial(20, 1/2): CDF(5) = 0.0207,
    # CDF(6) = 0.0577, CDF(13) = 0.9423, CDF(14) = 0.9793. Of 10,000 sorted means, np.percentile
    # interpolates the 2.5% bound between positions 249 and 250 (expected ~207 means are <= 5/20,
    # ~577 are <= 6/20) and the 97.5% bound between 9749 and 9750 (~9423 <= 13/20, ~9793 <= 14/20),
    # so both neighbours are equal and the interval is exactly [6/20, 14/20].
    scores = np.array([0.0, 1.0] * 10)
    assert bootstrap_ci(scores) == (0.3, 0.7)


def test_bootstrap_bounds_are_pinned_at_the_default_seed():
    # Obtained by running bootstrap_ci on this vector at the defaults (10,000 resamples, seed 0,
    # numpy's default_rng) once; both are means of six resampled values (1.96/6 and 4.52/6). A change
    # to seeding, resampling or the percentile rule shows up here.
    scores = np.array([0.12, 0.35, 0.48, 0.61, 0.77, 0.93])
    assert bootstrap_ci(scores) == pytest.approx((0.32666666666666666, 0.7533333333333333), abs=1e-12)


def test_bootstrap_bounds_of_a_larger_sample_match_the_normal_approximation():
    scores = np.linspace(0, 1, 101)
    half_width = 1.96 * scores.std() / np.sqrt(scores.size)  # 0.0569
    lo, hi = bootstrap_ci(scores, BootstrapConfig(seed=7))
    assert lo == pytest.approx(0.5 - half_width, abs=0.006)
    assert hi == pytest.approx(0.5 + half_width, abs=0.006)


def test_bootstrap_is_seeded_and_a_constant_sample_has_no_spread():
    scores = np.random.default_rng(3).random(50)
    assert bootstrap_ci(scores, BootstrapConfig(seed=1)) == bootstrap_ci(scores, BootstrapConfig(seed=1))
    assert bootstrap_ci(scores, BootstrapConfig(seed=1)) != bootstrap_ci(scores, BootstrapConfig(seed=2))
    assert bootstrap_ci(np.full(20, 0.4)) == pytest.approx((0.4, 0.4))


def test_paired_bootstrap():
    a = np.array([0.9, 0.8, 0.7, 0.6])
    same = paired_bootstrap(a, a.copy())
    assert (same.n, same.mean_diff, same.ci95, same.p_value) == (4, 0.0, (0.0, 0.0), 1.0)
    better = paired_bootstrap(a, a - 0.1)
    assert better.mean_diff == pytest.approx(0.1)
    assert better.ci95 == pytest.approx((0.1, 0.1))  # every pair differs by exactly 0.1
    assert better.p_value == 0.0
    mixed = paired_bootstrap(np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.0, 1.0]))
    assert mixed.mean_diff == 0.0 and mixed.ci95 == (-1.0, 1.0) and mixed.p_value == 1.0
    with pytest.raises(ValueError):
        paired_bootstrap(a, a[:2])


def test_empty_input_gives_nan_not_an_error():
    assert np.isnan(mean(np.array([])))
    assert all(np.isnan(bootstrap_ci(np.array([]))))


def test_macro_f1_by_hand_and_its_interval():
    from eval.stats import macro_f1, macro_f1_ci

    gold = ["pay", "pay", "rate", "rate", "uninstall"]
    predicted = ["pay", "rate", "rate", None, "search"]
    # pay: tp 1, fn 1 -> 2/3; rate: tp 1, fp 1, fn 1 -> 1/2; uninstall: fn 1 -> 0; search: fp 1 -> 0; None is a miss, not a type
    assert macro_f1(gold, predicted) == pytest.approx((2 / 3 + 1 / 2) / 4)
    assert macro_f1(gold, gold) == 1.0
    lo, hi = macro_f1_ci(gold, predicted, BootstrapConfig(resamples=2000))
    assert 0 <= lo < macro_f1(gold, predicted) < hi <= 1
    assert macro_f1_ci(gold, gold, BootstrapConfig(resamples=200)) == (1.0, 1.0)
