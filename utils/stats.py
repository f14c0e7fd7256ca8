"""Small statistics for the chapters' measurements: intervals over photos, spreads over seeds."""

from __future__ import annotations

import numpy as np


def bootstrap_interval(
    statistic, n_items: int, n_resamples: int = 2000, level: float = 0.95, seed: int = 0
):
    """Percentile bootstrap interval of ``statistic`` over ``n_items`` independent items.

    ``statistic(indices)`` computes the score from the items at ``indices`` (an integer array
    that may repeat items). Resampling the items, not the pixels, is what makes the interval
    honest for a segmentation score: pixels of one photo are not independent.
    Returns ``(low, high)``.
    """
    if n_items < 2:
        raise ValueError("a bootstrap interval needs at least 2 items")
    rng = np.random.default_rng(seed)
    values = np.array(
        [statistic(rng.integers(0, n_items, n_items)) for _ in range(n_resamples)]
    )
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def mean_interval(values, **kwargs):
    """Bootstrap interval of the mean of per-item values (accuracy from 0/1 hits, say)."""
    values = np.asarray(values, dtype="float64")
    return bootstrap_interval(lambda idx: values[idx].mean(), len(values), **kwargs)


def mean_and_spread(values) -> tuple[float, float]:
    """Mean and sample standard deviation over seeds (0 for a single seed)."""
    values = np.asarray(values, dtype="float64")
    spread = float(values.std(ddof=1)) if values.size > 1 else 0.0
    return float(values.mean()), spread
