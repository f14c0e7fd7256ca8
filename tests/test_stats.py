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
