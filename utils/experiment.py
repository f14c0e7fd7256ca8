"""Arms x seeds: run a comparison, keep every run, and say what it shows.

A chapter gives one function, ``train(arm, seed)``, that trains one model and returns
what the run produced (a :class:`Run`, or a dict with the same keys)::

    def train(arm, seed):
        keras.utils.set_random_seed(seed)
        model = build(arm)
        history = model.fit(train_ds, validation_data=val_ds, epochs=epochs,
                            callbacks=[early_stopping])
        hits = (model.predict(test_ds).ravel() > 0.5) == y_test
        return {"history": history, "restored_epoch": early_stopping.best_epoch + 1,
                "scores": hits}

    runs = experiment.Experiment("테스트 정확도").run(train, arms, scale.seeds())
    runs.summary()                               # one row per arm: mean ± standard deviation
    print(runs.compare("잔차", "일반").line())   # one line of the 측정 요약

``scores`` holds one number per test photo (1/0 for a correct/incorrect prediction, or a
per-photo metric such as IoU); a run's test score is their mean. The same photos, in the
same order, are scored in every run, and the same seed in two arms is one pair.

A difference between two arms is stated with a 95% interval from a two-level bootstrap
that resamples seeds and photos together (``utils.stats.two_level_interval``). The
verdict is "보임" only where that interval excludes zero and there are at least two
seeds: a float32 rerun on another CPU moves every number by about one seed spread, and a
verdict that such a rerun could flip is not reported as shown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import plotting, stats

__all__ = [
    "Comparison",
    "Experiment",
    "Run",
    "compare_scores",
    "comparison_table",
    "summary_line",
]


@dataclass
class Run:
    """What one training run produced.

    ``history``: the Keras History (or its ``.history`` dict) of the run.
    ``restored_epoch``: 1-based epoch whose weights were kept (``EarlyStopping``'s
    ``restore_best_weights``, a ``ModelCheckpoint`` file), ``None`` when the run kept its
    last weights. ``scores``: one number per test photo. ``extra``: any other numbers of
    the run (training time, a parameter count) for the results table.
    """

    history: dict = field(default_factory=dict)
    restored_epoch: int | None = None
    scores: np.ndarray = field(default_factory=lambda: np.zeros(0))
    extra: dict = field(default_factory=dict)

    def __post_init__(self):
        history = getattr(self.history, "history", self.history) or {}
        self.history = {k: [float(v) for v in np.ravel(h)] for k, h in history.items()}
        if self.restored_epoch is not None:
            self.restored_epoch = int(self.restored_epoch)
        self.scores = np.asarray(self.scores, dtype="float64").ravel()

    @property
    def score(self) -> float:
        """The run's test score: the mean over test photos."""
        return float(self.scores.mean()) if self.scores.size else float("nan")

    @classmethod
    def of(cls, result) -> Run:
        """A :class:`Run` from what ``train`` returned: a Run, or a dict with the keys
        ``history``, ``restored_epoch``, ``scores`` (other keys go to ``extra``)."""
        if isinstance(result, Run):
            return result
        if not isinstance(result, Mapping):
            raise TypeError(
                "train(arm, seed) must return a Run or a dict with 'history', "
                f"'restored_epoch' and 'scores'; got {type(result).__name__}"
            )
        known = ("history", "restored_epoch", "scores")
        extra = {k: v for k, v in result.items() if k not in known}
        return cls(**{k: result[k] for k in known if k in result}, extra=extra)


# --------------------------------------------------------------------------
# One comparison: paired differences, interval, verdict, summary line
# --------------------------------------------------------------------------
SUMMARY_FORM = (
    "{label}: {measured} | {control} | 차이 {diff} | 흩어짐 {spread} | 시드 수 {n}"
)


def summary_line(label, measured, control, diff, spread, n_seeds) -> str:
    """One line of a chapter's ``측정 요약``, in the course's form: the label, the measured
    value, the baseline or control, the difference, the spread, the number of seeds.

    Comparisons build theirs with :meth:`Comparison.line`; a count or a timing that no
    seed repeats passes its own texts (``spread="없음 (센 값)"``, say)."""
    return SUMMARY_FORM.format(
        label=label,
        measured=measured,
        control=control,
        diff=diff,
        spread=spread,
        n=n_seeds,
    )


@dataclass(frozen=True)
class Comparison:
    """Arm ``a`` against arm (or baseline) ``b`` on one measure, paired by seed and photo."""

    a: str
    b: str
    what: str
    mean_a: float
    mean_b: float
    per_seed: np.ndarray  # mean(a) - mean(b) for each seed, in seed order
    interval: tuple[float, float]
    level: float
    n_photos: int

    @property
    def n_seeds(self) -> int:
        return len(self.per_seed)

    @property
    def diff(self) -> float:
        """Mean over seeds of the paired difference a - b."""
        return float(np.mean(self.per_seed))

    @property
    def spread(self) -> float:
        """Standard deviation over seeds of the paired difference (NaN for one seed)."""
        if self.n_seeds < 2:
            return float("nan")
        return stats.mean_and_spread(self.per_seed)[1]

    @property
    def shown(self) -> bool:
        """True only with two or more seeds and an interval that excludes zero."""
        low, high = self.interval
        return self.n_seeds >= 2 and (low > 0 or high < 0)

    @property
    def direction(self) -> str:
        """Which side is higher on average: ``"A > B"``, ``"A < B"`` or ``"A = B"``
        (``"A ? B"`` when a run gave no number, for example a loss that became NaN)."""
        if not np.isfinite(self.diff):
            return f"{self.a} ? {self.b}"
        sign = {1: ">", -1: "<", 0: "="}[int(np.sign(self.diff))]
        return f"{self.a} {sign} {self.b}"

    @property
    def verdict(self) -> str:
        """ "보임" where the interval excludes zero, else "흩어짐 안"; with one seed the
        spread cannot be measured and the difference is never called shown."""
        if not np.isfinite(self.diff):
            return f"판정 못 함: 수치가 아닌 값(NaN)이 있음, {self.direction}"
        if self.n_seeds < 2:
            return f"시드 1개라 흩어짐을 잴 수 없음: 평균은 {self.direction}"
        if self.shown:
            return f"보임: {self.direction}"
        return f"흩어짐 안: 평균은 {self.direction}, 구간이 0을 포함"

    def line(self, label=None, digits: int = 3) -> str:
        """This comparison as one ``측정 요약`` line (every number from the runs)."""
        if label is None:
            photos = f" (사진 {self.n_photos:,}장)" if self.n_photos > 1 else ""
            label = f"{self.what}{photos}"
        low, high = self.interval
        percent = f"{self.level * 100:g}%"
        diff = (
            f"{self.diff:+.{digits}f} ({percent} 구간 {low:+.{digits}f}~"
            f"{high:+.{digits}f}, {self.verdict})"
        )
        spread = (
            f"{self.spread:.{digits}f} (시드 간 표준 편차)"
            if self.n_seeds >= 2
            else "잴 수 없음"
        )
        return summary_line(
            label,
            f"{self.a} {self.mean_a:.{digits}f}",
            f"{self.b} {self.mean_b:.{digits}f}",
            diff,
            spread,
            self.n_seeds,
        )

    def row(self, digits: int = 3) -> dict:
        """This comparison as a row of :func:`comparison_table`."""
        low, high = self.interval
        return {
            "지표": self.what,
            "A": self.a,
            "B": self.b,
            "차이 (A − B)": round(self.diff, digits),
            "흩어짐": round(self.spread, digits),
            f"{self.level * 100:g}% 구간": f"{low:+.{digits}f}~{high:+.{digits}f}",
            "판정": self.verdict,
            "시드 수": self.n_seeds,
        }


def compare_scores(
    a_scores,
    b_scores,
    a: str,
    b: str,
    what: str = "테스트 점수",
    *,
    level: float = 0.95,
    n_resamples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """Compare two arms scored as arrays of seeds x photos (row ``i`` of both: the same
    seed; column ``j``: the same photo). ``b_scores`` may be one row, or a number: a
    baseline that no seed changes (the majority class, the mean box)."""
    a_scores = np.asarray(a_scores, dtype="float64")
    b_scores = np.asarray(b_scores, dtype="float64")
    if b_scores.ndim == 0:  # a number: the same score for every photo
        b_scores = np.full((1, a_scores.shape[-1]), float(b_scores))
    b_scores = np.atleast_2d(b_scores)
    interval = stats.two_level_interval(
        a_scores, b_scores, level=level, n_resamples=n_resamples, seed=seed
    )
    return Comparison(
        a=a,
        b=b,
        what=what,
        mean_a=float(a_scores.mean()),
        mean_b=float(b_scores.mean()),
        per_seed=a_scores.mean(axis=1) - b_scores.mean(axis=1),
        interval=interval,
        level=level,
        n_photos=a_scores.shape[1],
    )


def comparison_table(comparisons, digits: int = 3) -> pd.DataFrame:
    """Several comparisons as one table, one row each."""
    return pd.DataFrame([c.row(digits) for c in comparisons])


# --------------------------------------------------------------------------
# The experiment: every (arm, seed) run
# --------------------------------------------------------------------------
class Experiment:
    """Runs kept by (arm, seed), with their table, summary, comparisons and curves.

    ``score_name`` names the per-photo score in tables and summary lines
    (``"테스트 정확도"``, ``"테스트 IoU"``). ``level``, ``n_resamples`` and ``seed`` set
    the bootstrap of every comparison; the fixed ``seed`` makes intervals reproducible.
    """

    def __init__(
        self,
        score_name: str = "테스트 점수",
        *,
        level: float = 0.95,
        n_resamples: int = 2000,
        seed: int = 0,
    ):
        self.score_name = score_name
        self.level, self.n_resamples, self.seed = level, n_resamples, seed
        self.runs: dict[tuple, Run] = {}

    def run(self, train: Callable, arms, seeds, verbose: bool = True) -> Experiment:
        """Call ``train(arm, seed)`` for every arm and seed and keep what it returns."""
        for seed in seeds:
            for arm in arms:
                run = self.add(arm, seed, train(arm, seed))
                if verbose:
                    kept = (
                        "마지막 에포크의 가중치"
                        if run.restored_epoch is None
                        else f"복원한 에포크 {run.restored_epoch}"
                    )
                    print(
                        f"{arm}, 시드 {seed}: {self.score_name} {run.score:.3f} ({kept})"
                    )
        return self

    def add(self, arm, seed, result) -> Run:
        """Keep one run made elsewhere (a :class:`Run` or the dict ``train`` returns)."""
        run = Run.of(result)
        self.runs[(arm, seed)] = run
        return run

    @property
    def arms(self) -> list:
        return list(dict.fromkeys(arm for arm, _ in self.runs))

    def seeds(self, arm) -> list:
        return [seed for a, seed in self.runs if a == arm]

    def _runs(self, arm) -> list[Run]:
        if arm not in self.arms:
            raise KeyError(f"no runs of arm {arm!r}; arms: {self.arms}")
        return [self.runs[(arm, seed)] for seed in sorted(self.seeds(arm))]

    def histories(self, arm) -> list[dict]:
        return [run.history for run in self._runs(arm)]

    def restored_epochs(self, arm) -> list:
        return [run.restored_epoch for run in self._runs(arm)]

    def scores(self, arm, measure: Callable | None = None) -> np.ndarray:
        """Seeds x photos array of ``arm`` (seeds in increasing order). ``measure(run)``
        picks another number per run (a column of one photo) or per photo."""
        pick = measure or (lambda run: run.scores)
        rows = [
            np.atleast_1d(np.asarray(pick(run), "float64")) for run in self._runs(arm)
        ]
        if len({row.size for row in rows}) != 1:
            raise ValueError(f"the runs of {arm!r} scored different numbers of photos")
        return np.stack(rows)

    def table(self) -> pd.DataFrame:
        """One row per (arm, seed): restored epoch, test score, photos, extras."""
        rows = [
            {
                "조건": arm,
                "시드": seed,
                "복원한 에포크": run.restored_epoch,
                self.score_name: run.score,
                "사진 수": run.scores.size,
                **run.extra,
            }
            for (arm, seed), run in self.runs.items()
        ]
        columns = ["조건", "시드", "복원한 에포크", self.score_name, "사진 수"]
        table = pd.DataFrame(
            rows,
            columns=list(dict.fromkeys(columns + [k for row in rows for k in row])),
        )
        table["복원한 에포크"] = table["복원한 에포크"].astype("Int64")
        return table

    def summary(self, digits: int = 3) -> pd.DataFrame:
        """One row per arm: each number as mean ± standard deviation over seeds."""
        table = self.table()
        extras = dict.fromkeys(k for run in self.runs.values() for k in run.extra)
        numbers = [self.score_name] + [
            c for c in extras if pd.api.types.is_numeric_dtype(table[c])
        ]
        rows = {}
        for arm, group in table.groupby("조건", sort=False):
            row = {}
            for column in numbers:
                mean, spread = stats.mean_and_spread(group[column])
                row[column] = (
                    f"{mean:.{digits}f} ± {spread:.{digits}f}"
                    if len(group) > 1
                    else f"{mean:.{digits}f}"
                )
            epochs = group["복원한 에포크"]
            row["복원한 에포크"] = ", ".join(
                "-" if pd.isna(e) else str(e) for e in epochs
            )
            row["시드 수"] = len(group)
            rows[arm] = row
        summary = pd.DataFrame(rows).T
        summary.index.name = "조건"
        return summary

    def compare(self, a, b, measure: Callable | None = None, what=None) -> Comparison:
        """Arm ``a`` against arm ``b``, paired by seed and photo.

        ``measure(run)``: compare another number than the per-photo scores, for example
        ``lambda run: run.history["loss"][-1]`` with ``what="마지막 훈련 손실"``.
        """
        if sorted(self.seeds(a)) != sorted(self.seeds(b)):
            raise ValueError(
                f"paired comparison needs the same seeds: {a!r} has "
                f"{sorted(self.seeds(a))}, {b!r} has {sorted(self.seeds(b))}"
            )
        return compare_scores(
            self.scores(a, measure),
            self.scores(b, measure),
            a,
            b,
            what or self.score_name,
            level=self.level,
            n_resamples=self.n_resamples,
            seed=self.seed,
        )

    def against(self, arm, baseline, name: str) -> Comparison:
        """Arm against a baseline no seed changes: a number, or one score per photo
        (the majority class's hits, the mean box's IoU)."""
        return compare_scores(
            self.scores(arm),
            baseline,
            arm,
            name,
            self.score_name,
            level=self.level,
            n_resamples=self.n_resamples,
            seed=self.seed,
        )

    def plot(self, arms=None, metrics=("loss", "val_loss"), title=None):
        """Training curves of ``arms`` (default: all), one panel per metric: the seed
        mean with a band from the lowest to the highest seed, and a star at each
        seed's restored epoch (none for a run that kept its last weights)."""
        import matplotlib.pyplot as plt

        arms = list(arms or self.arms)
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        fig, axes = plt.subplots(
            1,
            len(metrics),
            figsize=(5 * len(metrics), 3.8),
            layout="constrained",
            squeeze=False,
        )
        for ax, metric in zip(axes[0], metrics):
            plotting.compare_histories(
                {arm: self.histories(arm) for arm in arms},
                metric=metric,
                restored_epochs={arm: self.restored_epochs(arm) for arm in arms},
                ax=ax,
            )
        if title:
            fig.suptitle(title)
        return fig
