"""Small statistics for the chapters' measurements: intervals over photos, spreads over seeds.

:func:`two_level_interval` is the interval behind a comparison's verdict (see
``utils.experiment``): it resamples seeds and test photos together, so it carries the
run-to-run variance that an interval over photos alone leaves out.
"""

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
    return percentile_interval(values, level)


def percentile_interval(values, level: float = 0.95) -> tuple[float, float]:
    """The central ``level`` of ``values``: 95% cuts 2.5% off each tail (2.5th and 97.5th
    percentiles), not the 5th and 95th of a 90% interval."""
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(np.asarray(values, dtype="float64"), [tail, 100 - tail])
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


def _resample_counts(rng, n: int, n_resamples: int) -> np.ndarray:
    """How often each of ``n`` items is drawn in each resample (rows sum to ``n``)."""
    draws = rng.integers(0, n, (n_resamples, n)) + n * np.arange(n_resamples)[:, None]
    return np.bincount(draws.ravel(), minlength=n * n_resamples).reshape(n_resamples, n)


def _resampled_means(rng, scores, n_resamples: int, resample_seeds: bool):
    """Means of ``scores`` (seeds x photos) over resampled seeds and resampled photos."""
    n_seeds, n_photos = scores.shape
    photo_counts = _resample_counts(rng, n_photos, n_resamples)
    if resample_seeds:
        seed_counts = _resample_counts(rng, n_seeds, n_resamples)
    else:
        seed_counts = np.ones((n_resamples, n_seeds))
    return ((seed_counts @ scores) * photo_counts).sum(axis=1) / (n_seeds * n_photos)


def _as_seeds_by_photos(scores, name: str) -> np.ndarray:
    scores = np.asarray(scores, dtype="float64")
    if scores.ndim != 2 or scores.size == 0:
        raise ValueError(
            f"{name} must be a 2-D array, one row per seed and one column per test "
            f"photo; got shape {scores.shape}"
        )
    return scores


def two_level_resamples(
    a,
    b=None,
    *,
    paired: bool = True,
    resample_seeds: bool = True,
    n_resamples: int = 2000,
    seed: int = 0,
) -> np.ndarray:
    """Bootstrap values of ``mean(a) - mean(b)``, resampling seeds and photos together.

    ``a`` and ``b`` hold one score per seed (rows) and test photo (columns); ``b`` may be a
    single row (a baseline that does not depend on the seed) or ``None`` (``a`` is already
    a difference). Each resample draws seeds with replacement and, independently, photos
    with replacement, and takes the mean over the drawn cells.

    ``paired=True`` (the default) draws the same seeds and the same photos for both: row
    ``i`` of ``a`` and of ``b`` come from the same seed, column ``j`` from the same photo.
    ``paired=False`` draws them separately for ``a`` and ``b``, as if the two arms shared
    nothing. ``resample_seeds=False`` keeps every seed and resamples photos only, which
    leaves out the run-to-run variance.
    """
    a = _as_seeds_by_photos(a, "a")
    b = np.zeros((1, a.shape[1])) if b is None else _as_seeds_by_photos(b, "b")
    if b.shape[1] != a.shape[1] or b.shape[0] not in (1, a.shape[0]):
        raise ValueError(
            f"a {a.shape} and b {b.shape} must score the same photos "
            "(and the same seeds, or b one row for all seeds)"
        )
    rng = np.random.default_rng(seed)
    if paired:
        return _resampled_means(rng, a - b, n_resamples, resample_seeds)
    return _resampled_means(rng, a, n_resamples, resample_seeds) - _resampled_means(
        rng, b, n_resamples, resample_seeds
    )


def two_level_interval(a, b=None, *, level: float = 0.95, **kwargs):
    """Percentile interval of ``mean(a) - mean(b)`` from :func:`two_level_resamples`.

    Returns ``(low, high)``. With one seed, only the photos vary: the interval then
    says nothing about a rerun, and ``utils.experiment`` never calls such a difference shown.
    """
    return percentile_interval(two_level_resamples(a, b, **kwargs), level)
