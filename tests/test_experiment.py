"""Tests for utils/experiment.py and the two-level bootstrap in utils/stats.py.

Every run here comes from a tiny fake ``train`` (no Keras training), so the statistics
are pinned on inputs whose answer is known.
"""

import matplotlib

matplotlib.use("Agg")

import re  # noqa: E402
from types import SimpleNamespace  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from utils import experiment, plotting, stats  # noqa: E402
from utils.experiment import Experiment, Run, compare_scores  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def fake_train(effects, n_photos=200, epochs=6):
    """``train(arm, seed)`` whose per-photo hits have mean ``effects[arm]`` plus a seed
    effect shared by every arm (the same seed is the same data order and start)."""

    def train(arm, seed):
        rng = np.random.default_rng(seed)
        seed_shift = rng.normal(0, 0.03)
        p = np.clip(effects[arm] + seed_shift, 0, 1)
        hits = np.random.default_rng([seed, 7]).random(n_photos) < p
        val_loss = 1 - effects[arm] * np.linspace(0.2, 1, epochs) + 0.01 * seed
        history = SimpleNamespace(
            history={"loss": list(val_loss - 0.1), "val_loss": list(val_loss)}
        )
        restored = int(np.argmin(val_loss)) + 1
        return {"history": history, "restored_epoch": restored, "scores": hits}

    return train


# --------------------------------------------------------------------------- running, tables
def test_table_has_one_row_per_arm_and_seed():
    train = fake_train({"A": 0.8, "B": 0.6, "C": 0.5})
    runs = Experiment("테스트 정확도").run(
        train, ["A", "B", "C"], [0, 1], verbose=False
    )
    table = runs.table()
    assert len(table) == 6
    assert list(table.columns[:5]) == [
        "조건",
        "시드",
        "복원한 에포크",
        "테스트 정확도",
        "사진 수",
    ]
    assert set(zip(table["조건"], table["시드"])) == {
        (arm, seed) for arm in "ABC" for seed in (0, 1)
    }
    assert not table.duplicated(["조건", "시드"]).any()
    assert (table["사진 수"] == 200).all() and (table["복원한 에포크"] == 6).all()
    run = runs.runs[("A", 1)]
    assert table.loc[
        (table["조건"] == "A") & (table["시드"] == 1), "테스트 정확도"
    ].item() == (pytest.approx(run.scores.mean()))
    assert run.history["val_loss"][0] == pytest.approx(1 - 0.8 * 0.2 + 0.01)


def test_run_prints_one_korean_line_per_run(capsys):
    Experiment("테스트 정확도").run(fake_train({"A": 0.8}), ["A"], [0, 1])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert re.fullmatch(
        r"A, 시드 0: 테스트 정확도 0\.\d{3} \(복원한 에포크 6\)", lines[0]
    )


def test_summary_is_mean_and_seed_standard_deviation_per_arm():
    runs = Experiment("테스트 정확도")
    for seed, (a, b) in enumerate([(0.6, 0.5), (0.7, 0.5), (0.8, 0.5)]):
        runs.add("A", seed, {"scores": [a] * 4, "restored_epoch": seed + 2, "초": 10})
        runs.add("B", seed, Run(scores=[b] * 4, extra={"초": 20 + seed}))
    summary = runs.summary()
    assert list(summary.index) == ["A", "B"]
    assert summary.loc["A", "테스트 정확도"] == "0.700 ± 0.100"
    assert summary.loc["B", "테스트 정확도"] == "0.500 ± 0.000"
    assert summary.loc["A", "복원한 에포크"] == "2, 3, 4"
    assert summary.loc["B", "복원한 에포크"] == "-, -, -"  # kept the last weights
    assert summary.loc["B", "초"] == "21.000 ± 1.000"
    assert summary.loc["A", "시드 수"] == 3
    single = Experiment("점수")
    single.add("A", 0, {"scores": [1, 0]})
    assert single.summary().loc["A", "점수"] == "0.500"  # no ± with one seed


def test_a_run_that_kept_its_last_weights(capsys):
    runs = Experiment("점수").run(
        lambda arm, seed: {"scores": [1, 0]}, ["A"], [0], verbose=True
    )
    assert capsys.readouterr().out == "A, 시드 0: 점수 0.500 (마지막 에포크의 가중치)\n"
    assert runs.table()["복원한 에포크"].isna().all()
    assert list(Experiment("점수").table().columns)[:4] == [
        "조건",
        "시드",
        "복원한 에포크",
        "점수",
    ]


def test_train_must_return_a_run_or_a_dict():
    with pytest.raises(TypeError, match="train"):
        Experiment().run(lambda arm, seed: 0.7, ["A"], [0], verbose=False)


# --------------------------------------------------------------------------- the interval's level
def test_interval_is_the_2_5th_and_97_5th_percentile_of_the_resamples():
    rng = np.random.default_rng(3)
    a = rng.random((3, 300))
    b = rng.random((3, 300))
    values = stats.two_level_resamples(a, b, seed=4)
    low, high = stats.two_level_interval(a, b, seed=4)
    assert (low, high) == pytest.approx(tuple(np.percentile(values, [2.5, 97.5])))
    assert (low, high) != pytest.approx(tuple(np.percentile(values, [5, 95])))
    assert compare_scores(a, b, "A", "B", seed=4).interval == (low, high)


def _photo_differences(n_photos, standard_errors):
    """Per-photo differences whose mean is ``standard_errors`` standard errors above 0."""
    z = np.random.default_rng(11).normal(size=n_photos)
    z = (z - z.mean()) / z.std(ddof=1)
    return z + standard_errors / np.sqrt(n_photos)


def test_a_difference_of_1_8_standard_errors_is_shown_at_90_percent_not_at_95():
    """95% cuts 2.5% per tail (about 1.96 standard errors): a difference 1.8 standard
    errors from zero is inside it, though a 90% interval (1.64) would exclude zero."""
    diffs = _photo_differences(400, 1.8)
    a = np.tile(diffs, (3, 1))  # three seeds that agree exactly: only photos vary
    b = np.zeros_like(a)
    c95 = compare_scores(a, b, "A", "B", n_resamples=20_000)
    c90 = compare_scores(a, b, "A", "B", n_resamples=20_000, level=0.90)
    assert c95.interval[0] < 0 < c90.interval[0]
    assert not c95.shown and c95.verdict.startswith("흩어짐 안")
    assert c90.shown and c90.verdict == "보임: A > B"
    se = 1 / np.sqrt(400)
    width = c95.interval[1] - c95.interval[0]
    assert width / (2 * se) == pytest.approx(1.96, rel=0.05)


def test_the_default_level_is_95_percent():
    runs = Experiment()
    assert runs.level == 0.95
    c = compare_scores(np.ones((2, 3)), np.zeros((2, 3)), "A", "B")
    assert c.level == 0.95 and "95% 구간" in c.line()


# --------------------------------------------------------------------------- pairing
def test_paired_differs_from_unpaired_and_changes_the_verdict():
    """Seeds and photos move both arms together (a hard photo is hard for both, a lucky
    seed lucky for both); A is 0.02 above B on every photo of every seed. Paired, the
    difference is exactly 0.02; unpaired, the shared variation swamps it."""
    rng = np.random.default_rng(0)
    shared = rng.normal(0, 0.05, (3, 1)) + rng.random((1, 500))
    a, b = shared + 0.02, shared
    paired = stats.two_level_interval(a, b)
    unpaired = stats.two_level_interval(a, b, paired=False)
    assert paired == pytest.approx((0.02, 0.02))
    assert unpaired[0] < 0 < unpaired[1]
    assert unpaired[1] - unpaired[0] > 10 * (paired[1] - paired[0] + 1e-3)
    runs = Experiment()
    for seed in range(3):
        runs.add("A", seed, {"scores": a[seed]})
        runs.add("B", seed, {"scores": b[seed]})
    comparison = runs.compare("A", "B")
    assert comparison.shown and comparison.verdict == "보임: A > B"
    np.testing.assert_allclose(comparison.per_seed, [0.02] * 3)
    assert comparison.spread == pytest.approx(0.0, abs=1e-12)


def test_seeds_pair_by_seed_not_by_the_order_runs_were_added():
    runs = Experiment()
    for seed, score in ((0, 0.5), (1, 0.9), (2, 0.1)):
        runs.add("A", seed, {"scores": [score + 0.1] * 5})
    for seed, score in ((2, 0.1), (0, 0.5), (1, 0.9)):
        runs.add("B", seed, {"scores": [score] * 5})
    comparison = runs.compare("A", "B")
    np.testing.assert_allclose(comparison.per_seed, [0.1, 0.1, 0.1])
    assert comparison.shown
    runs.add("C", 5, {"scores": [0.5] * 5})
    with pytest.raises(ValueError, match="same seeds"):
        runs.compare("A", "C")


# --------------------------------------------------------------------------- two levels
def test_two_level_interval_is_wider_than_photo_only_when_seeds_disagree():
    """Seeds disagree (+0.03, +0.01, -0.01): over photos alone the mean difference +0.01
    looks shown; resampling the seeds too puts zero inside, as a rerun could."""
    noise = np.random.default_rng(2).normal(0, 0.02, (3, 2000))
    diffs = np.array([[0.03], [0.01], [-0.01]]) + noise
    photo_only = stats.two_level_interval(diffs, resample_seeds=False)
    both = stats.two_level_interval(diffs)
    assert photo_only[0] > 0
    assert both[0] < 0 < both[1]
    assert both[1] - both[0] > 5 * (photo_only[1] - photo_only[0])
    comparison = compare_scores(diffs, 0.0, "A", "0")
    assert comparison.interval == both and not comparison.shown
    assert comparison.verdict == "흩어짐 안: 평균은 A > 0, 구간이 0을 포함"


def test_seeds_that_agree_give_the_photo_only_interval():
    diffs = np.tile(np.random.default_rng(4).normal(0.1, 1, 300), (3, 1))
    assert stats.two_level_interval(diffs) == pytest.approx(
        stats.two_level_interval(diffs, resample_seeds=False)
    )


def test_a_fixed_seed_makes_intervals_reproducible():
    a, b = np.random.default_rng(9).random((2, 3, 100))
    assert stats.two_level_interval(a, b, seed=1) == stats.two_level_interval(
        a, b, seed=1
    )
    assert stats.two_level_interval(a, b, seed=1) != stats.two_level_interval(
        a, b, seed=2
    )
    train = fake_train({"A": 0.7, "B": 0.6})
    first, again = (
        Experiment(seed=5).run(train, ["A", "B"], [0, 1, 2], verbose=False)
        for _ in range(2)
    )
    assert first.compare("A", "B").interval == again.compare("A", "B").interval
    assert first.compare("A", "B").line() == again.compare("A", "B").line()


def test_shapes_are_checked():
    with pytest.raises(ValueError, match="seed"):
        stats.two_level_interval(np.ones(5))
    with pytest.raises(ValueError, match="same photos"):
        stats.two_level_interval(np.ones((3, 5)), np.ones((3, 4)))


# --------------------------------------------------------------------------- verdicts
def test_one_seed_never_gives_shown():
    a, b = np.ones((1, 500)), np.zeros((1, 500))
    comparison = compare_scores(a, b, "A", "B")
    assert comparison.interval == (1.0, 1.0)  # excludes zero, but one run says nothing
    assert not comparison.shown
    assert "보임" not in comparison.verdict
    assert comparison.verdict == "시드 1개라 흩어짐을 잴 수 없음: 평균은 A > B"
    assert np.isnan(comparison.spread)
    assert "| 흩어짐 잴 수 없음 | 시드 수 1" in comparison.line()


def test_a_nan_run_is_named_never_shown_and_does_not_crash():
    a = np.ones((3, 4))
    a[1, 2] = np.nan  # a run whose loss diverged
    comparison = compare_scores(a, np.zeros((3, 4)), "가", "나")
    assert not comparison.shown
    assert (
        comparison.verdict.startswith("판정 못 함") and "가 ? 나" in comparison.verdict
    )
    assert "판정 못 함" in comparison.line()


def test_verdict_names_the_higher_arm():
    low = compare_scores(np.zeros((3, 4)), np.ones((3, 4)), "가", "나")
    assert low.verdict == "보임: 가 < 나"
    tie = compare_scores(np.zeros((3, 4)), np.zeros((3, 4)), "가", "나")
    assert tie.verdict == "흩어짐 안: 평균은 가 = 나, 구간이 0을 포함"


def test_against_a_baseline_that_no_seed_changes():
    runs = Experiment("테스트 정확도")
    for seed in range(3):
        runs.add("모델", seed, {"scores": [1, 1, 1, 0] if seed else [1, 1, 0, 0]})
    majority = np.array([1, 0, 0, 0])  # the majority class's hits on the same photos
    comparison = runs.against("모델", majority, "다수 클래스")
    assert comparison.mean_b == 0.25
    np.testing.assert_allclose(comparison.per_seed, [0.25, 0.5, 0.5])
    as_number = runs.against("모델", 0.25, "다수 클래스")
    assert as_number.diff == comparison.diff


# --------------------------------------------------------------------------- summary lines
LINE = re.compile(
    r"(?P<label>[^|]+): (?P<measured>[^|]+) \| (?P<control>[^|]+) \| 차이 (?P<diff>[^|]+)"
    r" \| 흩어짐 (?P<spread>[^|]+) \| 시드 수 (?P<n>\d+)"
)


def test_summary_line_follows_the_style_form():
    """STYLE: the label first, then the measured value, the baseline or control, the
    difference, the spread and the number of seeds (시드 수)."""
    runs = Experiment("테스트 정확도")
    for seed, (a, b) in enumerate([(0.8, 0.7), (0.9, 0.7), (0.7, 0.6)]):
        runs.add("잔차", seed, {"scores": [a] * 10})
        runs.add("일반", seed, {"scores": [b] * 10})
    comparison = runs.compare("잔차", "일반")
    line = comparison.line()
    match = LINE.fullmatch(line)
    assert match, line
    assert match["label"] == "테스트 정확도 (사진 10장)"
    assert match["measured"] == "잔차 0.800"
    assert match["control"] == "일반 0.667"
    low, high = comparison.interval
    assert match["diff"] == (
        f"+0.133 (95% 구간 {low:+.3f}~{high:+.3f}, 보임: 잔차 > 일반)"
    )
    assert match["spread"] == "0.058 (시드 간 표준 편차)"
    assert match["n"] == "3"
    assert LINE.fullmatch(comparison.line("깊이 21층, 테스트 정확도", digits=2))
    counted = experiment.summary_line(
        "파라미터", "1,000", "Conv2D 9,000", "-8,000", "없음 (센 값)", "해당 없음"
    )
    assert counted == (
        "파라미터: 1,000 | Conv2D 9,000 | 차이 -8,000 | 흩어짐 없음 (센 값) | 시드 수 해당 없음"
    )


def test_a_measure_other_than_the_photo_scores():
    runs = Experiment().run(
        fake_train({"A": 0.8, "B": 0.6}), ["A", "B"], [0, 1, 2], verbose=False
    )
    comparison = runs.compare(
        "A", "B", measure=lambda run: run.history["loss"][-1], what="마지막 훈련 손실"
    )
    assert comparison.n_photos == 1
    np.testing.assert_allclose(comparison.per_seed, [-0.2] * 3)
    assert comparison.line().startswith("마지막 훈련 손실: A 0.")
    table = experiment.comparison_table([comparison, runs.compare("A", "B")])
    assert list(table["지표"]) == ["마지막 훈련 손실", "테스트 점수"]
    assert table.loc[0, "판정"] == "보임: A < B"


# --------------------------------------------------------------------------- curves
def test_plot_marks_each_seeds_restored_epoch_and_nothing_else():
    runs = Experiment()
    for seed, restored in enumerate([2, 4, None]):
        history = {
            "loss": [1.0, 0.8, 0.6, 0.5],
            "val_loss": [1.0, 0.7 + seed / 10, 0.8, 0.9],
        }
        runs.add(
            "A", seed, {"history": history, "restored_epoch": restored, "scores": [1]}
        )
        runs.add(
            "B", seed, {"history": history, "scores": [0]}
        )  # kept the last weights
    fig = runs.plot(metrics=("loss", "val_loss"), title="A 대 B")
    assert len(fig.axes) == 2 and fig.get_suptitle() == "A 대 B"
    val_ax = fig.axes[1]
    stars = [ln for ln in val_ax.lines if ln.get_marker() == "*"]
    (star,) = stars  # one set of marks: arm A's; B restored nothing
    np.testing.assert_allclose(star.get_xdata(), [2, 4])
    np.testing.assert_allclose(star.get_ydata(), [0.7, 0.9])  # each seed's own value
    mean = next(ln for ln in val_ax.lines if ln.get_label() == "A (시드 3개)")
    np.testing.assert_allclose(mean.get_ydata(), [1.0, 0.8, 0.8, 0.9])
    assert len(val_ax.collections) == 2  # a min-max band per arm
    legend = [t.get_text() for t in val_ax.get_legend().get_texts()]
    assert legend == ["A (시드 3개)", "B (시드 3개)", "복원한 에포크"]
    assert val_ax.get_xlabel() == "에포크" and val_ax.get_ylabel() == "검증 손실"
    with pytest.raises(ValueError, match="restored epochs"):
        plotting.compare_histories(
            {"A": runs.histories("A")}, restored_epochs={"A": [1, 2]}
        )


def test_all_lists_every_public_name():
    import inspect

    public = {
        name
        for name, obj in vars(experiment).items()
        if not name.startswith("_")
        and (inspect.isfunction(obj) or inspect.isclass(obj))
        and obj.__module__ == experiment.__name__
    }
    assert set(experiment.__all__) == public
