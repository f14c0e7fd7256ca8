import numpy as np
import pytest

from utils import stats


def test_interval_of_a_mean_brackets_it_and_narrows_with_more_items():
    rng = np.random.default_rng(1)
    few, many = rng.random(20) < 0.7, rng.random(2000) < 0.7
    lo_few, hi_few = stats.mean_interval(few)
    lo_many, hi_many = stats.mean_interval(many)
    assert lo_few <= few.mean() <= hi_few and lo_many <= many.mean() <= hi_many
    assert hi_many - lo_many < (hi_few - lo_few) / 4
    assert 0.66 < lo_many < 0.7 < hi_many < 0.74


def test_interval_resamples_items_not_parts_of_them():
    # a ratio of sums over photos: each resample keeps a photo's numerator and denominator together
    inter, union = np.array([10.0, 0.0, 30.0]), np.array([20.0, 10.0, 30.0])
    low, high = stats.bootstrap_interval(
        lambda i: inter[i].sum() / union[i].sum(), 3, seed=3
    )
    assert 0.0 <= low < 40 / 60 < high <= 1.0


def test_identical_items_give_a_point_interval_and_one_item_is_refused():
    assert stats.mean_interval(np.full(10, 0.25)) == (0.25, 0.25)
    with pytest.raises(ValueError):
        stats.mean_interval([1.0])


def test_mean_and_spread_over_seeds():
    assert stats.mean_and_spread([0.5, 0.7, 0.6]) == pytest.approx((0.6, 0.1))
    assert stats.mean_and_spread([0.4]) == (0.4, 0.0)


# --- the interval's level, pinned exactly --------------------------------------------------


@pytest.mark.parametrize("level", [0.95, 0.90, 0.99, 0.5])
def test_interval_cuts_exactly_the_two_tails_of_its_level(level):
    """With 10,000 resamples of a statistic whose resampled values are known (the first
    index drawn: uniform on 0..999), the interval leaves (1 - level) / 2 outside on each
    side: 95% is [25, 975), never the 90% [50, 950)."""
    low, high = stats.bootstrap_interval(
        lambda idx: float(idx[0]), 1000, n_resamples=10_000, level=level, seed=0
    )
    rng = np.random.default_rng(0)
    draws = np.array([rng.integers(0, 1000, 1000)[0] for _ in range(10_000)], float)
    tail = (1 - level) / 2
    assert (low, high) == tuple(np.quantile(draws, [tail, 1 - tail]))
    inside = np.mean((draws >= low) & (draws <= high))
    assert abs(inside - level) < 0.005
    assert abs(low - 1000 * tail) < 15 and abs(high - 1000 * (1 - tail)) < 15


def test_the_default_level_is_95_percent():
    values = np.random.default_rng(5).normal(size=400)
    assert stats.mean_interval(values) == stats.mean_interval(values, level=0.95)
    assert stats.mean_interval(values) != stats.mean_interval(values, level=0.90)
    low, high = stats.mean_interval(values, n_resamples=20_000)
    se = values.std(ddof=1) / np.sqrt(values.size)
    # a percentile interval of a mean is close to mean +- 1.96 standard errors
    assert (high - low) / (2 * se) == pytest.approx(1.96, rel=0.05)
