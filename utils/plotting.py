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
    "show_images",
    "draw_boxes",
    "show_boxes",
    "best_epoch",
    "plot_history",
    "compare_histories",
    "show_feature_maps",
    "plot_bars",
]

KOREAN_FONT = "NanumGothic"
PET_CLASS_NAMES = ("반려동물", "배경", "경계")  # class ids 0, 1, 2
TRUE_BOX_COLOR = "lime"
PRED_BOX_COLOR = "red"

# Fixed colours per class id so a class looks the same in every panel.
# 0 = pet (orange), 1 = background (dark blue), 2 = border (yellow), then tab10.
_CLASS_COLORS = ["#ff7f0e", "#1f2a55", "#ffe119"] + list(plt.get_cmap("tab10").colors[2:])

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
    font_files = font_manager.findSystemFonts(fontpaths=[d for d in font_dirs if os.path.isdir(d)])
    if not font_files:
        warnings.warn("koreanize-matplotlib not found: Korean text may render as boxes.")
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
        nrows, ncols, figsize=(panel_w * ncols, panel_h * nrows),
        squeeze=False, layout="constrained", **kwargs,
    )
    axes = axes.ravel()
    for ax in axes[n:]:
        fig.delaxes(ax)
    return fig, list(axes[:n])


# --------------------------------------------------------------------------
# Segmentation / images
# --------------------------------------------------------------------------
def show_segmentation(images, true_masks, pred_masks=None,
                      titles=("사진", "정답 마스크", "예측 마스크"), class_names=None):
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
    n_classes = max(max_id + 1, len(class_names) if class_names else 0, 3)
    if class_names is None:
        class_names = PET_CLASS_NAMES if n_classes <= 3 else [f"클래스 {k}" for k in range(n_classes)]
    colors = [_CLASS_COLORS[k % len(_CLASS_COLORS)] for k in range(n_classes)]
    cmap = ListedColormap(colors, name="class_ids")
    vmin, vmax = -0.5, n_classes - 0.5  # each integer id sits in the middle of one colour

    ncols = 3 if preds is not None else 2
    fig, axes = plt.subplots(len(imgs), ncols, figsize=(_PANEL_W * ncols, _PANEL_H * len(imgs)),
                             squeeze=False, layout="constrained")
    for i, img in enumerate(imgs):
        row = axes[i]
        row[0].imshow(_display_image(img), cmap="gray")
        row[1].imshow(trues[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        if preds is not None:
            row[2].imshow(preds[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
        for j, ax in enumerate(row):
            ax.axis("off")
            if i == 0 and j < len(titles):
                ax.set_title(titles[j])
    handles = [Patch(facecolor=colors[k], edgecolor="gray", label=str(class_names[k]))
               for k in range(min(n_classes, len(class_names)))]
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    return fig


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
        rect = Rectangle((xmin * w, ymin * h), (xmax - xmin) * w, (ymax - ymin) * h,
                         fill=False, edgecolor=colors[k], linewidth=2)
        ax.add_patch(rect)
        patches.append(rect)
        if labels is not None:
            ax.text(xmin * w, ymin * h, str(labels[k]), color="black", fontsize=8,
                    va="bottom", ha="left", clip_on=True,
                    bbox=dict(facecolor=colors[k], alpha=0.8, pad=1, edgecolor="none"))
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
    preds = None if pred_boxes is None else ([pred_boxes] if single else list(pred_boxes))
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
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
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
    """Korean axis label, e.g. 'loss' -> '손실', 'val_loss' -> '검증 손실'."""
    base = name[4:] if name.startswith("val_") else name
    label = _KOREAN_METRIC_NAMES.get(base, base)
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


def plot_history(history, metrics=None, title=None):
    """Train vs validation curves, one panel per metric (epochs start at 1).

    ``metrics``: panel names without the ``val_`` prefix; default is ``loss``
    first, then every key that has a ``val_`` partner. In each panel that has a
    validation curve the best epoch (min for losses, max for accuracy/IoU-like
    metrics; the loss panel uses min ``val_loss``) is marked by a dashed vertical
    line and a marker labelled "최고 에포크 N".
    """
    h = _history_dict(history)
    if metrics is None:
        metrics = [k for k in h if not k.startswith("val_") and f"val_{k}" in h]
        metrics = (["loss"] if "loss" in h else []) + [m for m in metrics if m != "loss"]
        if not metrics:  # no validation data at all: plot every training series
            metrics = [k for k in h if not k.startswith("val_")]
    else:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
    missing = [m for m in metrics if m not in h and f"val_{m}" not in h]
    if missing or not metrics:
        raise KeyError(f"metrics {missing} not in history; available: {sorted(h)}")

    fig, axes = _grid(len(metrics), min(len(metrics), 3), _PLOT_W, _PLOT_H)
    for ax, name in zip(axes, metrics):
        if name in h:
            ax.plot(np.arange(1, len(h[name]) + 1), h[name], "o-", markersize=3, label="훈련")
        val_key = f"val_{name}"
        if val_key in h:
            val = h[val_key]
            ax.plot(np.arange(1, len(val) + 1), val, "o-", markersize=3, label="검증")
            mode = "min" if name == "loss" else _default_mode(name)
            best = best_epoch(h, val_key, mode)
            ax.axvline(best, color="gray", linestyle="--", linewidth=1)
            ax.plot([best], [val[best - 1]], marker="*", markersize=14, color="crimson",
                    linestyle="none", label=f"최고 에포크 {best}")
        ax.set_title(name)
        ax.set_xlabel("에포크")
        ax.set_ylabel(_metric_label(name))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def compare_histories(histories, metric="val_loss", title=None):
    """Curves of one ``metric`` from several runs on one axis, labelled by run name.

    ``histories``: ``{"batch 16": history, "batch 64": history, ...}`` with keras
    History objects or dicts. Each run's best epoch gets a small marker.
    """
    if not histories:
        raise ValueError("histories is empty")
    fig, ax = plt.subplots(figsize=(_PLOT_W * 1.5, _PLOT_H * 1.2), layout="constrained")
    mode = _default_mode(metric)
    for name, history in histories.items():
        h = _history_dict(history)
        if metric not in h:
            raise KeyError(f"{metric!r} not in history of run {name!r}; available: {sorted(h)}")
        values = h[metric]
        (line,) = ax.plot(np.arange(1, len(values) + 1), values, "-", linewidth=1.8, label=str(name))
        best = best_epoch(h, metric, mode)
        ax.plot([best], [values[best - 1]], marker="o", markersize=7, color=line.get_color(),
                markeredgecolor="black", linestyle="none", label="_nolegend_")
    ax.set_xlabel("에포크")
    ax.set_ylabel(_metric_label(metric))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend()
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
            raise ValueError(f"expected a single map (1xHxWxC), got batch of {fm.shape[0]}")
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
    fig, ax = plt.subplots(figsize=(max(_PLOT_W, 0.9 * len(names) + 1.5), _PLOT_H),
                           layout="constrained")
    bars = ax.bar(names, heights, color=[f"C{i % 10}" for i in range(len(names))])
    ax.bar_label(bars, fmt="%.3g", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)
    if len(names) > 5:
        ax.tick_params(axis="x", labelrotation=30)
    if title:
        ax.set_title(title)
    return fig
