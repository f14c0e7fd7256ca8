"""Tests for utils/plotting.py (synthetic arrays only, no network)."""

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402
import warnings  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ft2font import FT2Font  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from utils import plotting  # noqa: E402
from utils.plotting import (  # noqa: E402
    best_epoch,
    compare_histories,
    draw_boxes,
    plot_bars,
    plot_history,
    show_boxes,
    show_feature_maps,
    show_images,
    show_segmentation,
    use_korean_font,
)

RNG = np.random.default_rng(0)

# val_loss minimum at epoch 3 (1-based), val_accuracy maximum at epoch 4.
HISTORY = {
    "loss": [1.0, 0.7, 0.5, 0.4, 0.35],
    "val_loss": [1.1, 0.8, 0.6, 0.65, 0.7],
    "accuracy": [0.5, 0.6, 0.7, 0.8, 0.85],
    "val_accuracy": [0.45, 0.55, 0.62, 0.66, 0.64],
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=50)
    return buf.getvalue()


def _dashed_vlines(ax):
    """x positions of dashed vertical lines (axvline) on ax."""
    xs = []
    for line in ax.lines:
        x = np.asarray(line.get_xdata(), dtype=float)
        if line.get_linestyle() == "--" and len(x) == 2 and x[0] == x[1]:
            xs.append(x[0])
    return xs


# --------------------------------------------------------------------------- fonts
def test_current_font_has_hangul_glyph():
    prop = font_manager.FontProperties(family=matplotlib.rcParams["font.family"])
    path = font_manager.findfont(prop, fallback_to_default=False)
    assert "Nanum" in path
    assert FT2Font(path).get_char_index(ord("한")) != 0
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_korean_text_saves_without_missing_glyph_warning():
    fig, ax = plt.subplots()
    ax.set_title("한글 제목 테스트")
    ax.set_xlabel("에포크")
    ax.plot([-1, 0, 1], [-1, 0, 1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        png = _save(fig)
    assert png[:4] == b"\x89PNG"


def test_missing_glyph_check_detects_a_non_korean_font():
    # Negative control: the check above really catches tofu boxes.
    with matplotlib.rc_context({"font.family": "DejaVu Sans"}):
        fig, ax = plt.subplots()
        ax.set_title("한글")
        with pytest.warns(UserWarning, match="missing from font"):
            _save(fig)


def test_use_korean_font_restores_after_rcdefaults():
    try:
        matplotlib.rcdefaults()
        assert matplotlib.rcParams["font.family"][0] != plotting.KOREAN_FONT
        use_korean_font()
        assert matplotlib.rcParams["font.family"][0] == plotting.KOREAN_FONT
        assert matplotlib.rcParams["axes.unicode_minus"] is False
    finally:
        use_korean_font()


# --------------------------------------------------------------------------- segmentation
def _seg_batch(n=2, h=16, w=20):
    images = RNG.uniform(0, 255, size=(n, h, w, 3)).astype("float32")
    masks = RNG.integers(0, 3, size=(n, h, w, 1)).astype("int32")
    probs = RNG.uniform(size=(n, h, w, 3)).astype("float32")
    return images, masks, probs


def test_show_segmentation_layout_and_shared_colour_range():
    images, masks, probs = _seg_batch()
    fig = show_segmentation(images, masks, probs)
    assert len(fig.axes) == 2 * 3
    axes = np.array(fig.axes).reshape(2, 3)
    assert [ax.get_title() for ax in axes[0]] == ["사진", "정답 마스크", "예측 마스크"]
    mask_images = [ax.images[0] for ax in axes[:, 1:].ravel()]
    clims = {im.get_clim() for im in mask_images}
    assert len(clims) == 1
    vmin, vmax = clims.pop()
    assert vmin < 0 < 2 < vmax  # classes 0..2 inside the range
    assert len({im.get_cmap().name for im in mask_images}) == 1
    # predicted probability map drawn as its argmax class map
    np.testing.assert_array_equal(axes[0, 2].images[0].get_array(), probs[0].argmax(-1))
    np.testing.assert_array_equal(axes[1, 1].images[0].get_array(), masks[1, ..., 0])
    # photo rescaled from 0..255 floats to 0..1
    photo = np.asarray(axes[0, 0].images[0].get_array())
    assert photo.max() <= 1.0 and photo.min() >= 0.0
    legend_texts = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_texts == list(plotting.PET_CLASS_NAMES)
    _save(fig)


def test_show_segmentation_without_prediction_and_uint8_single_image():
    image = RNG.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    mask = RNG.integers(0, 3, size=(8, 8))
    fig = show_segmentation(image, mask, class_names=["고양이", "배경", "테두리"])
    assert len(fig.axes) == 2
    assert fig.axes[0].images[0].get_array().dtype == np.uint8
    assert [t.get_text() for t in fig.legends[0].get_texts()] == [
        "고양이",
        "배경",
        "테두리",
    ]


def test_show_segmentation_length_mismatch_raises():
    images, masks, _ = _seg_batch(n=2)
    with pytest.raises(ValueError):
        show_segmentation(images, masks[:1])


# --------------------------------------------------------------------------- images
def test_show_images_grid_and_titles():
    images = RNG.uniform(0, 1, size=(5, 8, 8, 3))
    fig = show_images(
        images, labels=["고양이", "개", 3, "a", "b"], ncols=4, title="샘플"
    )
    assert len(fig.axes) == 5  # 2x4 grid, unused cells removed
    assert fig.axes[0].get_title() == "고양이"
    assert fig.axes[2].get_title() == "3"
    assert fig.get_suptitle() == "샘플"
    assert fig.get_size_inches()[0] == pytest.approx(4 * 3.0)
    _save(fig)


def test_show_images_grayscale_and_few_images():
    fig = show_images(RNG.uniform(0, 255, size=(2, 8, 8, 1)), ncols=4)
    assert len(fig.axes) == 2
    assert fig.axes[0].images[0].get_array().ndim == 2


# --------------------------------------------------------------------------- boxes
def test_draw_boxes_pixel_coordinates():
    image = np.zeros((100, 200, 3), dtype=np.uint8)  # H=100, W=200
    fig, ax = plt.subplots()
    boxes = np.array([[0.1, 0.2, 0.5, 0.6], [0.0, 0.0, 1.0, 1.0]])
    patches = draw_boxes(ax, image, boxes, labels=["개", "전체"])
    rects = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert rects == patches and len(rects) == 2
    assert rects[0].get_xy() == pytest.approx((20.0, 20.0))
    assert rects[0].get_width() == pytest.approx(80.0)
    assert rects[0].get_height() == pytest.approx(40.0)
    assert rects[1].get_xy() == pytest.approx((0.0, 0.0))
    assert (rects[1].get_width(), rects[1].get_height()) == pytest.approx(
        (200.0, 100.0)
    )
    # image drawn with pixel-edge extent, so box [0,0,1,1] is the whole image
    assert tuple(ax.images[0].get_extent()) == (0, 200, 100, 0)
    assert [t.get_text() for t in ax.texts] == ["개", "전체"]
    assert matplotlib.colors.same_color(
        rects[0].get_edgecolor(), plotting.TRUE_BOX_COLOR
    )


def test_draw_boxes_on_existing_image_with_custom_colour():
    fig, ax = plt.subplots()
    draw_boxes(ax, np.zeros((50, 40, 3)), [])
    assert ax.patches == [] or len(ax.patches) == 0
    (rect,) = draw_boxes(ax, None, [0.25, 0.5, 0.75, 1.0], colors="blue")
    assert rect.get_xy() == pytest.approx((10.0, 25.0))
    assert (rect.get_width(), rect.get_height()) == pytest.approx((20.0, 25.0))
    assert matplotlib.colors.same_color(rect.get_edgecolor(), "blue")


def test_show_boxes_true_green_pred_red_with_korean_legend():
    images = RNG.uniform(0, 1, size=(3, 40, 80, 3))
    true = np.array([[0.1, 0.1, 0.5, 0.5]] * 3)
    pred = np.array([[0.2, 0.2, 0.6, 0.9]] * 3)
    fig = show_boxes(images, true, pred, labels=["고양이", "개", "개"], ncols=2)
    assert len(fig.axes) == 3
    ax = fig.axes[1]
    assert ax.get_title() == "개"
    t_rect, p_rect = ax.patches
    assert matplotlib.colors.same_color(t_rect.get_edgecolor(), plotting.TRUE_BOX_COLOR)
    assert matplotlib.colors.same_color(p_rect.get_edgecolor(), plotting.PRED_BOX_COLOR)
    assert p_rect.get_xy() == pytest.approx((16.0, 8.0))
    assert (p_rect.get_width(), p_rect.get_height()) == pytest.approx((32.0, 28.0))
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["정답", "예측"]
    _save(fig)


def test_show_boxes_without_predictions():
    fig = show_boxes(
        RNG.uniform(0, 1, size=(2, 10, 10, 3)), [[0, 0, 1, 1], [0, 0, 0.5, 0.5]]
    )
    assert all(len(ax.patches) == 1 for ax in fig.axes)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["정답"]


# --------------------------------------------------------------------------- history
def test_best_epoch_is_one_based():
    assert best_epoch(HISTORY) == 3
    assert best_epoch(HISTORY, "val_accuracy", "max") == 4
    assert best_epoch({"val_loss": [0.5, 0.4, 0.4]}) == 2  # ties -> earliest
    with pytest.raises(KeyError):
        best_epoch(HISTORY, "val_iou")


def _stars(fig):
    return [ln for ax in fig.axes for ln in ax.lines if ln.get_marker() == "*"]


def test_plot_history_marks_one_restored_epoch_on_the_best_val_loss():
    fig = plot_history(HISTORY, title="학습 곡선")
    assert len(fig.axes) == 2
    loss_ax, acc_ax = fig.axes
    assert loss_ax.get_title() == "손실" and acc_ax.get_title() == "정확도"
    assert loss_ax.get_xlabel() == "에포크" and loss_ax.get_ylabel() == "손실"
    # the same epoch (min val_loss) in every panel, not each panel's own optimum (val_accuracy peaks at 4)
    assert _dashed_vlines(loss_ax) == [3.0] and _dashed_vlines(acc_ax) == [3.0]
    train = loss_ax.lines[0]
    np.testing.assert_array_equal(train.get_xdata(), [1, 2, 3, 4, 5])
    stars = _stars(fig)
    assert len(stars) == 1  # one marker per figure
    assert (stars[0].get_xdata()[0], stars[0].get_ydata()[0]) == pytest.approx(
        (3, min(HISTORY["val_loss"]))
    )
    labels = [t.get_text() for t in loss_ax.get_legend().get_texts()]
    assert labels == ["훈련", "검증", "복원한 에포크 3"]
    assert fig.get_suptitle() == "학습 곡선"
    _save(fig)


def test_plot_history_marks_the_epoch_that_was_restored():
    fig = plot_history(HISTORY, restored_epoch=2)
    assert [_dashed_vlines(ax) for ax in fig.axes] == [[2.0], [2.0]]
    (star,) = _stars(fig)
    assert (star.get_xdata()[0], star.get_ydata()[0]) == pytest.approx(
        (2, HISTORY["val_loss"][1])
    )


def test_plot_history_monitor_in_max_mode_marks_the_highest_accuracy():
    fig = plot_history(HISTORY, monitor="val_accuracy")
    (star,) = _stars(fig)
    assert star.axes is fig.axes[1]
    assert (star.get_xdata()[0], star.get_ydata()[0]) == pytest.approx((4, 0.66))


def test_flat_failed_curve_gets_no_marker():
    failed = {"loss": [0.6932, 0.6931, 0.6931], "val_loss": [0.6931, 0.6932, 0.6931]}
    assert plotting.is_flat(failed["val_loss"]) and not plotting.is_flat(
        HISTORY["val_loss"]
    )
    fig = plot_history(failed)
    assert _stars(fig) == [] and _dashed_vlines(fig.axes[0]) == []


def test_plot_history_accepts_keras_history_object():
    keras = pytest.importorskip("keras")
    h = keras.callbacks.History()
    h.history = dict(HISTORY)
    assert best_epoch(h) == 3
    fig = plot_history(h, metrics=["loss"])
    assert len(fig.axes) == 1
    assert _dashed_vlines(fig.axes[0]) == [3.0]


def test_plot_history_defaults_skip_keys_without_val_partner():
    hist = dict(
        HISTORY,
        learning_rate=[1e-3] * 5,
        mean_io_u=[0.1] * 5,
        val_mean_io_u=[0.2, 0.5, 0.4, 0.3, 0.3],
    )
    fig = plot_history(hist)
    assert [ax.get_title() for ax in fig.axes] == ["손실", "정확도", "평균 IoU"]


def test_plot_history_without_validation_has_no_best_line():
    fig = plot_history({"loss": [3.0, 2.0, 1.0]})
    assert len(fig.axes) == 1
    assert _dashed_vlines(fig.axes[0]) == []


def test_compare_histories_one_axis_labelled_runs():
    keras = pytest.importorskip("keras")
    h64 = keras.callbacks.History()
    h64.history = {"val_loss": [1.0, 0.9, 0.85, 0.8, 0.82, 0.9]}
    runs = {"배치 16": HISTORY, "배치 64": h64}
    fig = compare_histories(runs, metric="val_loss", title="배치 크기 비교")
    assert len(fig.axes) == 1
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["배치 16", "배치 64"]
    assert ax.get_ylabel() == "검증 손실" and ax.get_xlabel() == "에포크"
    assert ax.get_title() == "배치 크기 비교"
    curves = [ln for ln in ax.lines if ln.get_label() in runs]
    assert [len(ln.get_xdata()) for ln in curves] == [5, 6]
    assert curves[1].get_xdata()[0] == 1
    assert _stars(fig) == []  # nothing marked unless the restored epochs are given
    with pytest.raises(KeyError):
        compare_histories(runs, metric="val_iou")
    _save(fig)


def test_compare_histories_seeds_as_mean_and_band_against_updates():
    seeds = [{"val_loss": [1.0, 0.8, 0.7]}, {"val_loss": [1.2, 0.6, 0.5]}]
    fig = compare_histories(
        {"배치 16": seeds, "배치 64": HISTORY},
        steps_per_epoch={"배치 16": 10, "배치 64": 3},
        restored_epochs={"배치 16": 3},
    )
    ax = fig.axes[0]
    mean_line = next(ln for ln in ax.lines if ln.get_label() == "배치 16 (시드 2개)")
    np.testing.assert_allclose(mean_line.get_xdata(), [10, 20, 30])
    np.testing.assert_allclose(mean_line.get_ydata(), [1.1, 0.7, 0.6])
    band = ax.collections[0].get_paths()[0].vertices
    assert band[:, 1].min() == pytest.approx(0.5) and band[:, 1].max() == pytest.approx(
        1.2
    )
    other = next(ln for ln in ax.lines if ln.get_label() == "배치 64")
    np.testing.assert_allclose(other.get_xdata(), [3, 6, 9, 12, 15])
    assert ax.get_xlabel() == "가중치 갱신 횟수"
    (star,) = _stars(fig)
    assert (star.get_xdata()[0], star.get_ydata()[0]) == pytest.approx((30, 0.6))


def test_a_seed_that_ran_longer_goes_on_so_its_star_sits_on_a_curve():
    seeds = [{"val_loss": [1.0, 0.8, 0.7]}, {"val_loss": [1.2, 0.6, 0.5, 0.4, 0.45]}]
    fig = compare_histories({"모델": seeds}, restored_epochs={"모델": [3, 4]})
    ax = fig.axes[0]
    (tail,) = [ln for ln in ax.lines if ln.get_label() == "더 오래 훈련한 시드"]
    np.testing.assert_allclose(
        tail.get_xdata(), [3, 4, 5]
    )  # from the last shared epoch
    np.testing.assert_allclose(tail.get_ydata(), [0.5, 0.4, 0.45])
    stars = {
        (s.get_xdata()[i], s.get_ydata()[i]) for s in _stars(fig) for i in range(2)
    }
    assert (4, 0.4) in stars  # the second seed's star is on its own line
    # seeds of equal length draw no extra line
    same = compare_histories({"모델": [seeds[0], seeds[0]]})
    assert [ln.get_label() for ln in same.axes[0].lines] == ["모델 (시드 2개)"]


# --------------------------------------------------------------------------- feature maps / bars
def test_show_feature_maps_shared_colour_range():
    fm = RNG.normal(size=(1, 6, 6, 20)).astype("float32")
    fig = show_feature_maps(fm, max_channels=10, ncols=4, title="conv1")
    image_axes = [ax for ax in fig.axes if ax.images]
    assert len(image_axes) == 10
    assert len(fig.axes) == 11  # + one shared colorbar
    clims = {ax.images[0].get_clim() for ax in image_axes}
    assert len(clims) == 1
    vmin, vmax = clims.pop()
    assert vmin == pytest.approx(fm[0, ..., :10].min())
    assert vmax == pytest.approx(fm[0, ..., :10].max())
    np.testing.assert_array_equal(image_axes[7].images[0].get_array(), fm[0, ..., 7])
    assert fig.get_suptitle() == "conv1"
    _save(fig)


def test_show_feature_maps_hwc_fewer_channels_than_max():
    fig = show_feature_maps(np.ones((4, 4, 3)), max_channels=16)
    assert len([ax for ax in fig.axes if ax.images]) == 3
    with pytest.raises(ValueError):
        show_feature_maps(np.ones((2, 4, 4, 3)))


def test_plot_bars():
    values = {"층 1": 0.5, "층 2": 0.05, "층 3": 1.5}
    fig = plot_bars(values, ylabel="그래디언트 노름", title="층별 그래디언트")
    ax = fig.axes[0]
    heights = [p.get_height() for p in ax.patches]
    assert heights == pytest.approx([0.5, 0.05, 1.5])
    assert [t.get_text() for t in ax.get_xticklabels()] == list(values)
    assert ax.get_ylabel() == "그래디언트 노름"
    _save(fig)


def test_all_figures_render_without_warnings():
    images, masks, probs = _seg_batch(n=1)
    figs = [
        show_segmentation(images, masks, probs),
        show_images(images, labels=["샘플"]),
        show_boxes(images, [[0.1, 0.1, 0.9, 0.9]], [[0.2, 0.2, 0.8, 0.8]]),
        plot_history(HISTORY),
        compare_histories({"가": HISTORY, "나": HISTORY}),
        show_feature_maps(RNG.normal(size=(5, 5, 4))),
        plot_bars({"가": 1.0, "나": -2.0}, "값"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for fig in figs:
            _save(fig)


def test_draw_mask_uses_the_segmentation_colours_and_a_legend():
    mask = np.array([[0, 1], [2, 1]])
    fig, ax = plt.subplots()
    plotting.draw_mask(ax, mask)
    seg = show_segmentation(np.zeros((2, 2, 3)), mask)
    shown = ax.images[0]
    same = seg.axes[1].images[0]
    np.testing.assert_array_equal(
        shown.cmap(shown.norm([0, 1, 2])), same.cmap(same.norm([0, 1, 2]))
    )
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "반려동물",
        "배경",
        "경계",
    ]


def test_panels_of_a_multi_output_model_get_korean_titles():
    hist = {
        "box_loss": [0.1, 0.05],
        "val_box_loss": [0.2, 0.1],
        "species_accuracy": [0.5, 0.8],
    }
    hist["val_species_accuracy"] = [0.5, 0.7]
    fig = plot_history(
        hist, metrics=["box_loss", "species_accuracy"], monitor="val_box_loss"
    )
    assert [ax.get_title() for ax in fig.axes] == ["상자 손실", "종 정확도"]
    assert fig.axes[0].get_ylabel() == "상자 손실"


def test_all_lists_every_public_name_defined_in_the_module():
    import inspect

    public = {
        name
        for name, obj in vars(plotting).items()
        if not name.startswith("_")
        and (
            (inspect.isfunction(obj) and obj.__module__ == plotting.__name__)
            or (name.isupper() and isinstance(obj, (str, tuple)))
        )
    }
    assert len(plotting.__all__) == len(set(plotting.__all__))
    assert set(plotting.__all__) == public
