"""Plotting helpers for the chapter notebooks (matplotlib only).

Every ``show_*`` / ``plot_*`` function builds a new figure with
``plt.subplots`` and returns the :class:`matplotlib.figure.Figure`; nothing
calls ``plt.show()`` or closes the figure. In Jupyter the inline backend shows
pyplot figures at the end of the cell, so either assign the result
(``fig = show_images(x)``) or end the line with ``;`` -- a bare call as the
last line of a cell would display the figure twice.

Conventions
-----------
* Images: ``HxWx3`` (or ``HxW`` / ``HxWx1`` grayscale) arrays, uint8 or float
  in either 0..255 or 0..1 (floats with a maximum above 1 are divided by 255).
* Segmentation masks: integer class maps ``HxW`` or ``HxWx1``
  (Oxford-IIIT Pet after ``trimap - 1``: 0 = pet, 1 = background,
  2 = border), or predicted probability/logit maps ``HxWxC`` (argmax is taken).
* Bounding boxes: NORMALIZED ``[xmin, ymin, xmax, ymax]`` in 0..1, relative to
  the image width (x) and height (y). ``[0, 0, 1, 1]`` is the whole image.

Korean text works because :func:`use_korean_font` (called at import) switches
matplotlib to the NanumGothic font bundled with ``koreanize-matplotlib``.
"""

from __future__ import annotations

import importlib.util
import math
import os
import warnings
from collections.abc import Mapping

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
from matplotlib.colors import ListedColormap, is_color_like
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import MaxNLocator

__all__ = [
    "KOREAN_FONT",
    "PET_CLASS_NAMES",
    "TRUE_BOX_COLOR",
    "PRED_BOX_COLOR",
    "use_korean_font",
    "show_segmentation",
    "draw_mask",
    "show_images",
    "draw_boxes",
    "show_boxes",
    "best_epoch",
    "is_flat",
    "plot_history",
    "compare_histories",
    "show_feature_maps",
    "plot_bars",
    # chapter 7: interpretation
    "HEATMAP_CMAP",
    "POINT_COLOR",
    "normalize_heatmap",
    "overlay_heatmap",
    "show_heatmaps",
    "show_activation_rows",
    "show_filter_patterns",
]

KOREAN_FONT = "NanumGothic"
PET_CLASS_NAMES = ("반려동물", "배경", "경계")  # class ids 0, 1, 2
TRUE_BOX_COLOR = "lime"
PRED_BOX_COLOR = "red"

# Fixed colours per class id so a class looks the same in every panel.
# 0 = pet (orange), 1 = background (dark blue), 2 = border (yellow), then tab10.
_CLASS_COLORS = ["#ff7f0e", "#1f2a55", "#ffe119"] + list(
    plt.get_cmap("tab10").colors[2:]
)

_PANEL_W, _PANEL_H = 3.0, 3.0  # image panels (inches)
_PLOT_W, _PLOT_H = 4.0, 3.2  # line / bar plots (inches)

_KOREAN_METRIC_NAMES = {
    "loss": "손실",
    "accuracy": "정확도",
    "acc": "정확도",
    "sparse_categorical_accuracy": "정확도",
    "categorical_accuracy": "정확도",
    "binary_accuracy": "정확도",
    "iou": "IoU",
    "mean_io_u": "평균 IoU",
    "mean_iou": "평균 IoU",
    "mae": "평균 절대 오차",
    "mse": "평균 제곱 오차",
    "learning_rate": "학습률",
}
# Output names of the course's multi-output models ("box_loss", "species_accuracy").
_KOREAN_OUTPUT_NAMES = {
    "box": "상자",
    "species": "종",
    "mask": "마스크",
    "breed": "품종",
}
_MAX_IS_BETTER = ("acc", "iou", "io_u", "auc", "precision", "recall", "f1", "dice")


# --------------------------------------------------------------------------
# Korean font
# --------------------------------------------------------------------------
def _register_korean_font() -> None:
    """Register the NanumGothic font files shipped with koreanize-matplotlib."""
    try:
        with warnings.catch_warnings():
            # koreanize_matplotlib 0.1.1 uses distutils.LooseVersion -> DeprecationWarning.
            warnings.simplefilter("ignore", DeprecationWarning)
            import koreanize_matplotlib  # noqa: F401  (registers fonts on import)
        return
    except Exception:  # e.g. no distutils on newer Pythons: add the files ourselves
        pass
    spec = importlib.util.find_spec("koreanize_matplotlib")
    locations = list(spec.submodule_search_locations or []) if spec else []
    font_dirs = [os.path.join(loc, "fonts") for loc in locations]
    font_files = font_manager.findSystemFonts(
        fontpaths=[d for d in font_dirs if os.path.isdir(d)]
    )
    if not font_files:
        warnings.warn(
            "koreanize-matplotlib not found: Korean text may render as boxes.",
            stacklevel=2,
        )
    for path in font_files:
        font_manager.fontManager.addfont(path)


def use_korean_font() -> None:
    """Make matplotlib render Hangul (NanumGothic) and keep '-' as a plain minus.

    Safe to call repeatedly, e.g. again after ``plt.rcdefaults()`` or a style change.
    """
    _register_korean_font()
    # DejaVu Sans is a fallback for symbols NanumGothic lacks.
    matplotlib.rcParams["font.family"] = [KOREAN_FONT, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False


use_korean_font()


# --------------------------------------------------------------------------
# Array helpers
# --------------------------------------------------------------------------
def _to_numpy(x) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x)


def _as_list(batch, single_ndim: int) -> tuple[list, bool]:
    """Return (items, was_single): a batch/list as a list, one item wrapped."""
    if isinstance(batch, (list, tuple)):
        return list(batch), False
    arr = _to_numpy(batch)
    if arr.ndim == single_ndim:
        return [arr], True
    return list(arr), False


def _display_image(image) -> np.ndarray:
    """Convert an image to something imshow draws correctly (uint8 or float 0..1)."""
    img = _to_numpy(image)
    if img.ndim == 3 and img.shape[-1] == 1:
        img = img[..., 0]
    if img.dtype == np.uint8:
        return img
    img = img.astype("float32")
    if img.size and np.nanmax(img) > 1.0:
        img = img / 255.0
    return np.clip(img, 0.0, 1.0)


def _class_map(mask) -> np.ndarray:
    """Integer HxW class map from HxW, HxWx1 or HxWxC (argmax) input."""
    m = _to_numpy(mask)
    if m.ndim == 3:
        m = m[..., 0] if m.shape[-1] == 1 else np.argmax(m, axis=-1)
    if m.ndim != 2:
        raise ValueError(f"mask must be HxW, HxWx1 or HxWxC, got shape {m.shape}")
    if not np.issubdtype(m.dtype, np.integer):
        m = np.rint(m)
    return m.astype("int64")


def _grid(n: int, ncols: int, panel_w: float, panel_h: float, **kwargs):
    """Create a figure with ``n`` axes on a grid; surplus grid cells are removed."""
    n = max(int(n), 1)
    ncols = max(1, min(int(ncols), n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(panel_w * ncols, panel_h * nrows),
        squeeze=False,
        layout="constrained",
        **kwargs,
    )
    axes = axes.ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, list(axes[:n])


# --------------------------------------------------------------------------
# Segmentation / images
# --------------------------------------------------------------------------
def show_segmentation(
    images,
    true_masks,
    pred_masks=None,
    titles=("사진", "정답 마스크", "예측 마스크"),
    class_names=None,
):
    """One row per image: photo | true mask | predicted mask (if given).

    Masks are integer class maps (HxW / HxWx1) or probability maps HxWxC
    (argmax taken). All mask panels share one discrete colormap and the same
    vmin/vmax, so a class has the same colour everywhere. ``class_names``
    labels the legend; by default the pet names (반려동물, 배경, 경계) are used
    when there are at most 3 classes, otherwise "클래스 k".
    """
    imgs, single = _as_list(images, single_ndim=3)
    if single:
        trues = [true_masks]
        preds = None if pred_masks is None else [pred_masks]
    else:
        trues = list(true_masks)
        preds = None if pred_masks is None else list(pred_masks)
    trues = [_class_map(m) for m in trues]
    preds = None if preds is None else [_class_map(m) for m in preds]
    if len(trues) != len(imgs) or (preds is not None and len(preds) != len(imgs)):
        raise ValueError("images, true_masks and pred_masks must have the same length")

    all_masks = trues + (preds or [])
    max_id = max((int(m.max()) for m in all_masks if m.size), default=0)
    cmap, vmin, vmax, handles = _mask_style(max_id + 1, class_names)

    ncols = 3 if preds is not None else 2
    fig, axes = plt.subplots(
        len(imgs),
        ncols,
        figsize=(_PANEL_W * ncols, _PANEL_H * len(imgs)),
        squeeze=False,
        layout="constrained",
    )
    for i, img in enumerate(imgs):
        row = axes[i]
        row[0].imshow(_display_image(img), cmap="gray")
        row[1].imshow(
            trues[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest"
        )
        if preds is not None:
            row[2].imshow(
                preds[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest"
            )
        for j, ax in enumerate(row):
            ax.axis("off")
            if i == 0 and j < len(titles):
                ax.set_title(titles[j])
    fig.legend(
        handles=handles, loc="outside lower center", ncols=len(handles), frameon=False
    )
    return fig


def _mask_style(n_classes: int, class_names=None):
    """One discrete colormap for class maps: (cmap, vmin, vmax, legend handles).

    At least the three pet classes get their fixed colours, so a class looks the same
    in every panel and every chapter.
    """
    n_classes = max(n_classes, len(class_names) if class_names else 0, 3)
    if class_names is None:
        class_names = (
            PET_CLASS_NAMES
            if n_classes <= 3
            else [f"클래스 {k}" for k in range(n_classes)]
        )
    colors = [_CLASS_COLORS[k % len(_CLASS_COLORS)] for k in range(n_classes)]
    handles = [
        Patch(facecolor=colors[k], edgecolor="gray", label=str(class_names[k]))
        for k in range(min(n_classes, len(class_names)))
    ]
    # vmin/vmax put each integer class id in the middle of one colour
    return ListedColormap(colors, name="class_ids"), -0.5, n_classes - 0.5, handles


def draw_mask(ax, mask, class_names=None, legend=True):
    """Draw one class map on ``ax`` in the course's class colours, with a legend."""
    m = _class_map(mask)
    cmap, vmin, vmax, handles = _mask_style(
        int(m.max()) + 1 if m.size else 1, class_names
    )
    ax.imshow(m, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.axis("off")
    if legend:
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncols=len(handles),
            frameon=False,
            fontsize=8,
        )
    return ax


def show_images(images, labels=None, ncols=4, title=None):
    """Grid of images; ``labels`` (one per image, any type) become panel titles."""
    imgs, _ = _as_list(images, single_ndim=3)
    if labels is not None and len(labels) != len(imgs):
        raise ValueError("labels must have one entry per image")
    fig, axes = _grid(len(imgs), ncols, _PANEL_W, _PANEL_H)
    for i, (ax, img) in enumerate(zip(axes, imgs)):
        ax.imshow(_display_image(img), cmap="gray")
        ax.axis("off")
        if labels is not None:
            ax.set_title(str(labels[i]))
    if title:
        fig.suptitle(title)
    return fig


# --------------------------------------------------------------------------
# Bounding boxes
# --------------------------------------------------------------------------
def draw_boxes(ax, image, boxes, labels=None, colors=None):
    """Draw an image and its boxes on ``ax``; returns the list of Rectangle patches.

    ``boxes``: one ``[xmin, ymin, xmax, ymax]`` or an ``(N, 4)`` array, NORMALIZED
    to 0..1 (x by image width, y by image height). The image is drawn with
    ``extent=(0, W, H, 0)`` so data coordinates are pixel edges: a box becomes
    ``Rectangle(xy=(xmin*W, ymin*H), width=(xmax-xmin)*W, height=(ymax-ymin)*H)``.
    Pass ``image=None`` to draw on the image already shown on ``ax``.
    ``labels``: optional text per box. ``colors``: one colour or one per box
    (default green, :data:`TRUE_BOX_COLOR`).
    """
    if image is not None:
        img = _display_image(image)
        h, w = img.shape[:2]
        ax.imshow(img, cmap="gray", extent=(0, w, h, 0))
        ax.axis("off")
    elif ax.images:
        h, w = ax.images[-1].get_array().shape[:2]
    else:
        raise ValueError("image=None but the axes shows no image")

    b = _to_numpy(boxes).astype("float64").reshape(-1, 4)
    if colors is None:
        colors = TRUE_BOX_COLOR
    colors = [colors] * len(b) if is_color_like(colors) else list(colors)
    if len(colors) != len(b) or (labels is not None and len(labels) != len(b)):
        raise ValueError("colors/labels must have one entry per box")

    patches = []
    for k, (xmin, ymin, xmax, ymax) in enumerate(b):
        rect = Rectangle(
            (xmin * w, ymin * h),
            (xmax - xmin) * w,
            (ymax - ymin) * h,
            fill=False,
            edgecolor=colors[k],
            linewidth=2,
        )
        ax.add_patch(rect)
        patches.append(rect)
        if labels is not None:
            ax.text(
                xmin * w,
                ymin * h,
                str(labels[k]),
                color="black",
                fontsize=8,
                va="bottom",
                ha="left",
                clip_on=True,
                bbox=dict(facecolor=colors[k], alpha=0.8, pad=1, edgecolor="none"),
            )
    return patches


def show_boxes(images, true_boxes, pred_boxes=None, labels=None, ncols=4):
    """Grid of images with true boxes (green) and predicted boxes (red).

    Boxes are NORMALIZED ``[xmin, ymin, xmax, ymax]`` (see :func:`draw_boxes`);
    per image either one box ``(4,)`` or ``(N, 4)``. ``labels``: optional
    title per image (e.g. the class name). A Korean legend ("정답", "예측")
    is added to the figure.
    """
    imgs, single = _as_list(images, single_ndim=3)
    trues = [true_boxes] if single else list(true_boxes)
    preds = (
        None if pred_boxes is None else ([pred_boxes] if single else list(pred_boxes))
    )
    if len(trues) != len(imgs) or (preds is not None and len(preds) != len(imgs)):
        raise ValueError("images, true_boxes and pred_boxes must have the same length")
    if labels is not None and len(labels) != len(imgs):
        raise ValueError("labels must have one entry per image")

    fig, axes = _grid(len(imgs), ncols, _PANEL_W, _PANEL_H)
    for i, ax in enumerate(axes):
        draw_boxes(ax, imgs[i], trues[i], colors=TRUE_BOX_COLOR)
        if preds is not None:
            draw_boxes(ax, None, preds[i], colors=PRED_BOX_COLOR)
        if labels is not None:
            ax.set_title(str(labels[i]))
    handles = [Line2D([], [], color=TRUE_BOX_COLOR, linewidth=2, label="정답")]
    if preds is not None:
        handles.append(Line2D([], [], color=PRED_BOX_COLOR, linewidth=2, label="예측"))
    fig.legend(
        handles=handles, loc="outside lower center", ncols=len(handles), frameon=False
    )
    return fig


# --------------------------------------------------------------------------
# Training curves
# --------------------------------------------------------------------------
def _history_dict(history) -> dict[str, list[float]]:
    """Accept a keras History (``.history``) or a plain mapping of lists."""
    h = getattr(history, "history", history)
    if not isinstance(h, Mapping):
        raise TypeError("history must be a keras History or a dict of lists")
    return {k: [float(v) for v in np.ravel(_to_numpy(vals))] for k, vals in h.items()}


def _metric_label(name: str) -> str:
    """Korean axis label: 'loss' -> '손실', 'val_loss' -> '검증 손실', 'box_loss' -> '상자 손실'."""
    base = name[4:] if name.startswith("val_") else name
    label = _KOREAN_METRIC_NAMES.get(base)
    if label is None:  # an output's metric, named "<output>_<metric>" by Keras
        output, _, metric = base.partition("_")
        if metric in _KOREAN_METRIC_NAMES:
            label = f"{_KOREAN_OUTPUT_NAMES.get(output, output)} {_KOREAN_METRIC_NAMES[metric]}"
        else:
            label = base
    return f"검증 {label}" if name.startswith("val_") else label


def _default_mode(name: str) -> str:
    base = name.lower()
    return "max" if any(tok in base for tok in _MAX_IS_BETTER) else "min"


def best_epoch(history, monitor="val_loss", mode="min") -> int:
    """1-based epoch with the best ``monitor`` value (``mode`` 'min' or 'max').

    Ties go to the earliest epoch (as with EarlyStopping); NaNs are ignored.
    """
    h = _history_dict(history)
    if monitor not in h:
        raise KeyError(f"{monitor!r} not in history; available: {sorted(h)}")
    if mode not in ("min", "max"):
        raise ValueError("mode must be 'min' or 'max'")
    values = np.asarray(h[monitor], dtype="float64")
    idx = np.nanargmin(values) if mode == "min" else np.nanargmax(values)
    return int(idx) + 1


def is_flat(values, rel_tol: float = 0.01) -> bool:
    """True when a curve barely moved (a failed run): its range is within ``rel_tol`` of its size.

    Such a curve has no meaningful best epoch, so the plots mark none.
    """
    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if v.size < 2:
        return True
    return float(np.ptp(v)) <= rel_tol * max(float(np.abs(v).mean()), 1e-12)


def plot_history(
    history, metrics=None, title=None, restored_epoch=None, monitor="val_loss"
):
    """Train vs validation curves, one panel per metric (epochs start at 1), Korean titles.

    ``metrics``: panel names without the ``val_`` prefix; default is ``loss``
    first, then every key that has a ``val_`` partner.

    One epoch is marked in the whole figure: ``restored_epoch``, the epoch whose
    weights the run kept (EarlyStopping's ``restore_best_weights`` or the
    ModelCheckpoint file). Without it, the best epoch of ``monitor`` is marked,
    which is what ``ModelCheckpoint(monitor, save_best_only=True)`` keeps. A dashed
    line shows that epoch in every panel and one star sits on the ``monitor`` curve.
    A flat ``monitor`` curve (a run that did not learn) gets no mark.
    """
    h = _history_dict(history)
    if metrics is None:
        metrics = [k for k in h if not k.startswith("val_") and f"val_{k}" in h]
        metrics = (["loss"] if "loss" in h else []) + [
            m for m in metrics if m != "loss"
        ]
        if not metrics:  # no validation data at all: plot every training series
            metrics = [k for k in h if not k.startswith("val_")]
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [m for m in metrics if m not in h and f"val_{m}" not in h]
    if missing or not metrics:
        raise KeyError(f"metrics {missing} not in history; available: {sorted(h)}")

    star_panel = monitor[4:] if monitor.startswith("val_") else monitor
    marked = restored_epoch
    if marked is None and monitor in h and not is_flat(h[monitor]):
        marked = best_epoch(h, monitor, _default_mode(star_panel))

    fig, axes = _grid(len(metrics), min(len(metrics), 3), _PLOT_W, _PLOT_H)
    for ax, name in zip(axes, metrics):
        for key, label in ((name, "훈련"), (f"val_{name}", "검증")):
            if key in h:
                x = np.arange(1, len(h[key]) + 1)
                ax.plot(x, h[key], "o-", markersize=3, label=label)
        if marked is not None:
            ax.axvline(marked, color="gray", linestyle="--", linewidth=1)
            if name == star_panel and monitor in h:
                ax.plot(
                    [marked],
                    [h[monitor][marked - 1]],
                    marker="*",
                    markersize=14,
                    color="crimson",
                    linestyle="none",
                    label=f"복원한 에포크 {marked}",
                )
        ax.set_title(_metric_label(name))
        ax.set_xlabel("에포크")
        ax.set_ylabel(_metric_label(name))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def _band_series(runs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, min and max over runs of possibly different lengths (up to the shortest)."""
    n = min(len(r) for r in runs)
    stacked = np.array([r[:n] for r in runs], dtype="float64")
    return stacked.mean(axis=0), stacked.min(axis=0), stacked.max(axis=0)


_TAIL_LABEL = "더 오래 훈련한 시드"


def _tail_label(ax) -> str:
    """The legend entry for seeds that ran past the others, once per axes."""
    _, labels = ax.get_legend_handles_labels()
    return "_nolegend_" if _TAIL_LABEL in labels else _TAIL_LABEL


def compare_histories(
    histories,
    metric="val_loss",
    title=None,
    steps_per_epoch=None,
    restored_epochs=None,
    ax=None,
):
    """Curves of one ``metric`` from several runs on one axis, labelled by run name.

    ``histories``: ``{"batch 16": history, ...}`` with keras History objects or
    dicts; a value may also be a list of histories (one per seed), drawn as the
    mean with a band from the lowest to the highest seed over the epochs every seed
    ran; a seed that ran longer (early stopping ended the seeds apart) goes on as a
    thin line of its own.
    ``steps_per_epoch``: ``{name: updates per epoch}`` puts the number of weight
    updates on the x axis instead of epochs.
    ``restored_epochs``: ``{name: epoch}`` marks the epoch each run kept on its
    curve; ``{name: [epoch per seed]}`` marks each seed's restored epoch at that
    seed's own value (``None`` for a seed that kept its last weights: no mark).
    Without it no epoch is marked. ``ax``: draw into an existing axes.
    """
    if not histories:
        raise ValueError("histories is empty")
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(_PLOT_W * 1.5, _PLOT_H * 1.2), layout="constrained"
        )
    else:
        fig = ax.figure
    for name, runs in histories.items():
        runs = runs if isinstance(runs, (list, tuple)) else [runs]
        series = []
        for history in runs:
            h = _history_dict(history)
            if metric not in h:
                raise KeyError(
                    f"{metric!r} not in history of run {name!r}; available: {sorted(h)}"
                )
            series.append(h[metric])
        mean, low, high = _band_series(series)
        scale_x = steps_per_epoch[name] if steps_per_epoch else 1
        x = np.arange(1, len(mean) + 1) * scale_x
        label = f"{name} (시드 {len(series)}개)" if len(series) > 1 else str(name)
        (line,) = ax.plot(x, mean, "-", linewidth=1.8, label=label)
        if len(series) > 1:
            ax.fill_between(
                x, low, high, color=line.get_color(), alpha=0.2, linewidth=0
            )
        # The mean covers only the epochs every seed ran; a seed that trained longer
        # goes on as a thin line of its own, so its restored epoch sits on a curve.
        for values in series:
            if len(values) > len(mean):
                tail = np.arange(len(mean), len(values) + 1) * scale_x
                ax.plot(
                    tail,
                    values[len(mean) - 1 :],
                    "-",
                    linewidth=0.9,
                    alpha=0.7,
                    color=line.get_color(),
                    label=_tail_label(ax),
                )
        marks = (restored_epochs or {}).get(name)
        if isinstance(marks, (list, tuple)):  # one restored epoch per seed
            if len(marks) != len(series):
                raise ValueError(
                    f"{len(marks)} restored epochs for the {len(series)} runs of {name!r}"
                )
            points = [
                (epoch, values[epoch - 1])
                for epoch, values in zip(marks, series)
                if epoch is not None and not is_flat(values)
            ]
        elif marks is not None and not is_flat(mean):
            points = [(marks, mean[marks - 1])]
        else:
            points = []
        if points:
            epochs, values = zip(*points)
            ax.plot(
                np.array(epochs) * scale_x,
                values,
                marker="*",
                markersize=12,
                color=line.get_color(),
                markeredgecolor="black",
                linestyle="none",
                label="_nolegend_",
            )
    ax.set_xlabel("가중치 갱신 횟수" if steps_per_epoch else "에포크")
    ax.set_ylabel(_metric_label(metric))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    if any(ln.get_marker() == "*" for ln in ax.lines):
        handles.append(
            Line2D(
                [],
                [],
                marker="*",
                markersize=12,
                color="white",
                markeredgecolor="black",
                linestyle="none",
            )
        )
        labels.append("복원한 에포크")
    ax.legend(handles, labels)
    ax.set_title(title if title else f"{_metric_label(metric)} 비교")
    return fig


# --------------------------------------------------------------------------
# Feature maps / bars
# --------------------------------------------------------------------------
def show_feature_maps(feature_maps, max_channels=16, ncols=8, title=None):
    """Show the first ``max_channels`` channels of an HxWxC (or 1xHxWxC) map.

    All channels share one colormap and colour range (one colorbar), so
    brightness is comparable between channels.
    """
    fm = _to_numpy(feature_maps).astype("float32")
    if fm.ndim == 4:
        if fm.shape[0] != 1:
            raise ValueError(
                f"expected a single map (1xHxWxC), got batch of {fm.shape[0]}"
            )
        fm = fm[0]
    if fm.ndim == 2:
        fm = fm[..., None]
    if fm.ndim != 3:
        raise ValueError(f"feature_maps must be HxWxC or 1xHxWxC, got shape {fm.shape}")
    n = min(fm.shape[-1], int(max_channels))
    shown = fm[..., :n]
    vmin, vmax = float(shown.min()), float(shown.max())

    fig, axes = _grid(n, ncols, 1.8, 1.9)
    for c, ax in enumerate(axes):
        im = ax.imshow(shown[..., c], cmap="viridis", vmin=vmin, vmax=vmax)
        ax.set_title(f"채널 {c}", fontsize=9)
        ax.axis("off")
    fig.colorbar(im, ax=axes, shrink=0.8)
    fig.suptitle(title if title else f"특성 맵 (채널 {n}/{fm.shape[-1]}개 표시)")
    return fig


def plot_bars(values, ylabel, title=None):
    """Labelled bar chart of ``{name: value}`` (e.g. gradient norms, timings)."""
    names = [str(k) for k in values]
    heights = [float(v) for v in values.values()]
    fig, ax = plt.subplots(
        figsize=(max(_PLOT_W, 0.9 * len(names) + 1.5), _PLOT_H), layout="constrained"
    )
    bars = ax.bar(names, heights, color=[f"C{i % 10}" for i in range(len(names))])
    ax.bar_label(bars, fmt="%.3g", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    if len(names) > 5:
        ax.tick_params(axis="x", labelrotation=30)
    if title:
        ax.set_title(title)
    return fig


# --------------------------------------------------------------------------
# Interpretation: heatmap overlays, activation rows, filter patterns (chapter 7)
# --------------------------------------------------------------------------
HEATMAP_CMAP = "jet"
POINT_COLOR = "white"


def normalize_heatmap(heatmap) -> np.ndarray:
    """A heatmap as float HxW in 0..1: negatives become 0, then divide by the maximum.

    ``heatmap``: HxW or HxWx1. Zero stays zero ("no evidence"); an all-zero or
    all-negative map stays all zero instead of becoming NaN.
    """
    h = _to_numpy(heatmap).astype("float32")
    if h.ndim == 3 and h.shape[-1] == 1:
        h = h[..., 0]
    if h.ndim != 2:
        raise ValueError(f"heatmap must be HxW or HxWx1, got shape {h.shape}")
    h = np.maximum(np.nan_to_num(h), 0.0)
    top = float(h.max()) if h.size else 0.0
    return h / top if top > 0 else np.zeros_like(h)


def overlay_heatmap(
    ax, image, heatmap, alpha=0.45, cmap=HEATMAP_CMAP, point=None, box=None
):
    """Draw ``image`` and its (small) heatmap stretched over it; returns the heatmap's AxesImage.

    The heatmap (e.g. 12x12 Grad-CAM) is normalized with :func:`normalize_heatmap`
    and drawn with the image's extent ``(0, W, H, 0)`` and bilinear interpolation,
    so any heatmap size covers the whole photo. ``point``: optional NORMALIZED
    ``(x, y)`` in 0..1 (e.g. the heatmap maximum), marked with a cross.
    ``box``: optional NORMALIZED ``[xmin, ymin, xmax, ymax]``, drawn as with
    :func:`draw_boxes`.
    """
    img = _display_image(image)
    h, w = img.shape[:2]
    ax.imshow(img, cmap="gray", extent=(0, w, h, 0))
    if (
        box is not None
    ):  # before the heatmap: draw_boxes sizes the box by the last image drawn
        draw_boxes(ax, None, box)
    heat = ax.imshow(
        normalize_heatmap(heatmap),
        cmap=cmap,
        alpha=alpha,
        vmin=0.0,
        vmax=1.0,
        extent=(0, w, h, 0),
        interpolation="bilinear",
    )
    if point is not None:
        x, y = (float(v) for v in point)
        ax.plot(
            [x * w],
            [y * h],
            marker="x",
            markersize=10,
            markeredgewidth=2.5,
            color=POINT_COLOR,
            linestyle="none",
        )
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.axis("off")
    return heat


def show_heatmaps(
    images,
    heatmaps,
    titles=None,
    points=None,
    boxes=None,
    ncols=4,
    title=None,
    alpha=0.45,
    panel_size=_PANEL_W,
):
    """Grid of photos with their heatmaps overlaid (see :func:`overlay_heatmap`), one colorbar.

    ``heatmaps``: one HxW map per image (any size). ``titles``: one string per
    image. ``points``: NORMALIZED ``(x, y)`` per image, or None per image to skip.
    ``boxes``: NORMALIZED box per image, or None per image. A legend names the
    marks that are drawn ("히트맵 최댓값", "머리 상자"). ``panel_size``: inches per panel.
    """
    imgs, single = _as_list(images, single_ndim=3)
    maps = [heatmaps] if single else list(heatmaps)
    n = len(imgs)
    points = [None] * n if points is None else ([points] if single else list(points))
    boxes = [None] * n if boxes is None else ([boxes] if single else list(boxes))
    if titles is not None:
        titles = [titles] if single and isinstance(titles, str) else list(titles)
    for name, values in (
        ("heatmaps", maps),
        ("points", points),
        ("boxes", boxes),
        ("titles", titles if titles is not None else [None] * n),
    ):
        if len(values) != n:
            raise ValueError(
                f"{name} must have one entry per image ({n}), got {len(values)}"
            )

    fig, axes = _grid(n, ncols, panel_size, panel_size)
    for i, ax in enumerate(axes):
        heat = overlay_heatmap(
            ax, imgs[i], maps[i], alpha=alpha, point=points[i], box=boxes[i]
        )
        if titles is not None:
            ax.set_title(str(titles[i]), fontsize=9)
    fig.colorbar(heat, ax=axes, shrink=0.8, label="상대 중요도 (최댓값 = 1)")
    handles = []
    if any(p is not None for p in points):
        handles.append(
            Line2D(
                [],
                [],
                marker="x",
                color=POINT_COLOR,
                markeredgecolor="black",
                markeredgewidth=2,
                linestyle="none",
                label="히트맵 최댓값",
            )
        )
    if any(b is not None for b in boxes):
        handles.append(
            Line2D([], [], color=TRUE_BOX_COLOR, linewidth=2, label="머리 상자")
        )
    if handles:
        fig.legend(
            handles=handles,
            loc="outside lower center",
            ncols=len(handles),
            frameon=False,
        )
    if title:
        fig.suptitle(title)
    return fig


def _panel_rows(rows, ncols, panel_w, panel_h):
    """A grid with one row per entry of ``rows``; returns (fig, list of rows of axes)."""
    if not rows:
        raise ValueError("nothing to show: rows is empty")
    ncols = max(1, int(ncols))
    fig, axes = _grid(len(rows) * ncols, ncols, panel_w, panel_h)
    grid = [axes[r * ncols : (r + 1) * ncols] for r in range(len(rows))]
    for row_name, row in zip(rows, grid):
        for ax in row:
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        row[0].set_ylabel(str(row_name), fontsize=9)
    return fig, grid


def show_activation_rows(activations, max_channels=8, title=None):
    """Feature maps of several layers for ONE image: one row per layer, first channels.

    ``activations``: ``{layer name: HxWxC or 1xHxWxC}`` in the order to show. Unlike
    :func:`show_feature_maps` (one layer, one shared scale), each row has its own
    colour range, because values of different layers are not comparable. Each row is
    labelled with the layer name and the map's size ("H×W×C").
    """
    maps = {}
    for name, fm in activations.items():
        fm = _to_numpy(fm).astype("float32")
        if fm.ndim == 4 and fm.shape[0] == 1:
            fm = fm[0]
        if fm.ndim != 3:
            raise ValueError(f"{name}: expected HxWxC or 1xHxWxC, got shape {fm.shape}")
        maps[f"{name}\n{fm.shape[0]}×{fm.shape[1]}×{fm.shape[2]}"] = fm
    ncols = min(int(max_channels), max(fm.shape[-1] for fm in maps.values()))
    fig, grid = _panel_rows(maps, ncols, 1.6, 1.6)
    for fm, row in zip(maps.values(), grid):
        shown = fm[..., :ncols]
        vmin, vmax = float(shown.min()), float(shown.max())
        for c, ax in enumerate(row):
            if c >= fm.shape[-1]:
                ax.set_visible(False)
                continue
            ax.imshow(
                shown[..., c], cmap="viridis", vmin=vmin, vmax=max(vmax, vmin + 1e-6)
            )
            ax.set_title(f"채널 {c}", fontsize=10)
    fig.suptitle(title if title else "층마다의 특성 맵 (행마다 색 범위가 따로)")
    return fig


def _pattern_display(pattern) -> np.ndarray:
    """A filter pattern made visible: centred, scaled by its spread, clipped to 0..1."""
    p = _to_numpy(pattern).astype("float32")
    p = p - p.mean()
    spread = float(p.std())
    p = p / spread * 0.15 if spread > 0 else p
    return np.clip(p + 0.5, 0.0, 1.0)


def show_filter_patterns(patterns, filter_ids=None, title=None, panel_size=1.6):
    """Input patterns that excite single filters: one row per layer, one panel per filter.

    ``patterns``: ``{layer name: NxHxWx3}`` (or a list of HxWx3). Each pattern is
    shown centred and scaled by its own standard deviation (0.5 ± 0.15 per std),
    so only its structure is compared, not its absolute brightness.
    ``filter_ids``: optional ``{layer name: [filter index, ...]}`` for the panel titles.
    ``panel_size``: inches per panel (patterns are noisy images: small panels keep files small).
    """
    rows = {name: list(_as_list(p, single_ndim=3)[0]) for name, p in patterns.items()}
    ncols = max(len(p) for p in rows.values())
    fig, grid = _panel_rows(rows, ncols, panel_size, panel_size)
    for (name, pats), row in zip(rows.items(), grid):
        ids = (
            list(filter_ids[name])
            if filter_ids and name in filter_ids
            else list(range(len(pats)))
        )
        if len(ids) != len(pats):
            raise ValueError(f"{name}: filter_ids must have one entry per pattern")
        for k, ax in enumerate(row):
            if k >= len(pats):
                ax.set_visible(False)
                continue
            ax.imshow(_pattern_display(pats[k]))
            ax.set_title(f"필터 {ids[k]}", fontsize=10)
    fig.suptitle(title if title else "필터를 가장 크게 활성화하는 입력 패턴")
    return fig
