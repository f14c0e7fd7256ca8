"""Tests for the interpretation helpers of utils/plotting.py (chapter 7): synthetic arrays only."""

import matplotlib

matplotlib.use("Agg")

import io  # noqa: E402
import warnings  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from utils.plotting import (  # noqa: E402
    normalize_heatmap,
    overlay_heatmap,
    show_activation_rows,
    show_filter_patterns,
    show_heatmaps,
)

RNG = np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _save_without_warnings(fig):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. "Glyph ... missing from font"
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=40)
    return buf.getvalue()


def _image_axes(fig):
    return [
        ax
        for ax in fig.axes
        if ax.get_visible() and ax.images and ax.get_label() != "<colorbar>"
    ]


# ------------------------------------------------------------------ normalize_heatmap
def test_normalize_heatmap_scales_to_unit_max_and_clips_negatives():
    h = np.array([[-2.0, 0.0], [1.0, 4.0]])
    out = normalize_heatmap(h)
    np.testing.assert_allclose(out, [[0.0, 0.0], [0.25, 1.0]])
    assert out.dtype == np.float32


@pytest.mark.parametrize(
    "heatmap", [np.zeros((3, 3)), -np.ones((3, 3)), np.full((3, 3, 1), np.nan)]
)
def test_normalize_heatmap_of_an_empty_map_is_zero_not_nan(heatmap):
    out = normalize_heatmap(heatmap)
    assert out.shape == (3, 3) and not np.isnan(out).any() and out.max() == 0


def test_normalize_heatmap_rejects_a_batch():
    with pytest.raises(ValueError):
        normalize_heatmap(np.ones((2, 3, 3)))


# ------------------------------------------------------------------ overlay_heatmap
def test_overlay_stretches_a_small_heatmap_over_the_whole_photo():
    fig, ax = plt.subplots()
    image = RNG.integers(0, 255, (40, 60, 3), dtype=np.uint8)
    heat = overlay_heatmap(ax, image, RNG.random((5, 5)))
    photo, drawn = ax.images
    assert photo.get_extent() == drawn.get_extent() == [0, 60, 40, 0]
    assert drawn is heat and heat.get_array().shape == (5, 5)
    assert heat.get_clim() == (0.0, 1.0) and float(
        heat.get_array().max()
    ) == pytest.approx(1.0)
    assert ax.get_xlim() == (0, 60) and ax.get_ylim() == (40, 0)


def test_overlay_marks_the_point_and_the_box_in_normalized_coordinates():
    fig, ax = plt.subplots()
    image = np.zeros((40, 80, 3), np.uint8)
    overlay_heatmap(
        ax, image, np.ones((4, 4)), point=(0.5, 0.25), box=[0.1, 0.2, 0.6, 0.7]
    )
    (marker,) = ax.lines
    assert (marker.get_xdata()[0], marker.get_ydata()[0]) == (40.0, 10.0)
    (rect,) = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert rect.get_xy() == pytest.approx((8.0, 8.0))
    assert (rect.get_width(), rect.get_height()) == pytest.approx((40.0, 20.0))


# ------------------------------------------------------------------ show_heatmaps
def test_show_heatmaps_one_panel_per_photo_with_titles_colorbar_and_legend():
    images = RNG.random((3, 32, 32, 3))
    maps = RNG.random((3, 4, 4))
    fig = show_heatmaps(
        images,
        maps,
        titles=["고양이 0.9", "개 0.2", "고양이 0.6"],
        points=[(0.5, 0.5), None, (0.1, 0.9)],
        boxes=[None, [0, 0, 1, 1], None],
        ncols=2,
        title="Grad-CAM",
    )
    panels = _image_axes(fig)
    assert len(panels) == 3
    assert [ax.get_title() for ax in panels] == ["고양이 0.9", "개 0.2", "고양이 0.6"]
    assert sum(len(ax.lines) for ax in panels) == 2
    assert any("상대 중요도" in ax.get_ylabel() for ax in fig.axes)  # the colorbar
    (legend,) = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == ["히트맵 최댓값", "머리 상자"]
    assert fig._suptitle.get_text() == "Grad-CAM"
    _save_without_warnings(fig)


def test_show_heatmaps_takes_a_single_photo():
    fig = show_heatmaps(RNG.random((16, 16, 3)), RNG.random((2, 2)), titles="사진 하나")
    assert len(_image_axes(fig)) == 1 and not fig.legends


@pytest.mark.parametrize("bad", ["heatmaps", "titles", "points", "boxes"])
def test_show_heatmaps_needs_one_entry_per_photo(bad):
    kwargs = {"titles": ["a", "b"], "points": [None, None], "boxes": [None, None]}
    maps = RNG.random((2, 3, 3))
    if bad == "heatmaps":
        maps = maps[:1]
    else:
        kwargs[bad] = kwargs[bad][:1]
    with pytest.raises(ValueError, match=bad):
        show_heatmaps(RNG.random((2, 8, 8, 3)), maps, **kwargs)


# ------------------------------------------------------------------ show_activation_rows
def test_activation_rows_one_row_per_layer_each_with_its_own_colour_range():
    small = np.zeros((1, 16, 16, 4), np.float32)
    small[..., 1] = 2.0
    big = RNG.random((4, 4, 12)).astype(np.float32) * 100
    fig = show_activation_rows(
        {"block1_relu2": small, "block4_relu2": big}, max_channels=6
    )
    panels = _image_axes(fig)
    assert len(panels) == 4 + 6  # the first layer has only 4 channels: 2 cells hidden
    first, second = panels[:4], panels[4:]
    assert {ax.images[0].get_clim() for ax in first} == {(0.0, 2.0)}
    assert second[0].images[0].get_clim()[1] == pytest.approx(big[..., :6].max())
    assert first[0].get_ylabel() == "block1_relu2\n16×16×4"
    assert second[0].get_ylabel() == "block4_relu2\n4×4×12"
    assert [ax.get_title() for ax in second[:2]] == ["채널 0", "채널 1"]
    _save_without_warnings(fig)


def test_activation_rows_rejects_a_batch_of_several_images():
    with pytest.raises(ValueError):
        show_activation_rows({"x": np.ones((2, 4, 4, 3))})


# ------------------------------------------------------------------ show_filter_patterns
def test_filter_patterns_are_shown_in_0_1_with_filter_numbers():
    patterns = {
        "block1_conv2": RNG.normal(0, 30, (3, 20, 20, 3)),
        "block3_conv2": [np.full((20, 20, 3), 7.0), RNG.normal(5, 1, (20, 20, 3))],
    }
    fig = show_filter_patterns(
        patterns, filter_ids={"block1_conv2": [0, 5, 9], "block3_conv2": [2, 3]}
    )
    panels = _image_axes(fig)
    assert len(panels) == 5
    for ax in panels:
        shown = np.asarray(ax.images[0].get_array())
        assert shown.min() >= 0 and shown.max() <= 1 and not np.isnan(shown).any()
    assert [ax.get_title() for ax in panels] == [
        "필터 0",
        "필터 5",
        "필터 9",
        "필터 2",
        "필터 3",
    ]
    np.testing.assert_allclose(
        np.asarray(panels[3].images[0].get_array()), 0.5
    )  # flat pattern: grey
    assert "입력 패턴" in fig._suptitle.get_text()
    _save_without_warnings(fig)


def test_filter_patterns_need_one_id_per_pattern():
    with pytest.raises(ValueError):
        show_filter_patterns({"a": RNG.random((2, 8, 8, 3))}, filter_ids={"a": [0]})


def test_panel_size_sets_the_figure_size():
    small = show_heatmaps(
        RNG.random((2, 8, 8, 3)), RNG.random((2, 3, 3)), panel_size=1.0
    )
    large = show_heatmaps(
        RNG.random((2, 8, 8, 3)), RNG.random((2, 3, 3)), panel_size=3.0
    )
    assert small.get_size_inches()[0] == pytest.approx(2.0)
    assert large.get_size_inches()[0] == pytest.approx(6.0)
    patterns = show_filter_patterns({"a": RNG.random((4, 8, 8, 3))}, panel_size=1.0)
    assert patterns.get_size_inches()[0] == pytest.approx(4.0)
