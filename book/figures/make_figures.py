"""Draws the course's own diagrams and saves them as PNG files next to this script.

Run from anywhere:

    python book/figures/make_figures.py

Every figure is drawn from code (no outside images), with Korean labels.
``koreanize_matplotlib`` is imported first so that Hangul renders instead of empty boxes.
"""

from __future__ import annotations

import koreanize_matplotlib  # noqa: F401  (must come before drawing: sets a Hangul font)
import matplotlib

matplotlib.use("Agg")

from pathlib import Path  # noqa: E402

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle  # noqa: E402

HERE = Path(__file__).resolve().parent
DPI = 150

# One palette for the whole course.
BLUE = "#4C72B0"
ORANGE = "#DD8452"
GREEN = "#55A868"
RED = "#C44E52"
PURPLE = "#8172B3"
BROWN = "#937860"
GRAY = "#8C8C8C"
LIGHT = "#F2F2F2"
INK = "#222222"


def save(fig, name: str) -> Path:
    path = HERE / name
    # No "Software" stamp: the PNGs then only change when the drawing changes.
    fig.savefig(
        path,
        dpi=DPI,
        bbox_inches="tight",
        facecolor="white",
        metadata={"Software": None},
    )
    plt.close(fig)
    print(f"저장: {path.relative_to(HERE.parent.parent)}")
    return path


# --------------------------------------------------------------------------------------
# 1. The three tasks on one drawn scene
# --------------------------------------------------------------------------------------


def _scene(height: int = 120, width: int = 250, detail: int = 3):
    """A simple drawn photo: sky, grass, two cats and a dog.

    Returns the RGB image, a class map (0 background, 1 cat, 2 dog), an instance map
    (0 background, then one number per animal) and the animals' bounding boxes.
    """
    # Shapes are given in a 250x120 drawing space; ``detail`` pixels per unit keep edges smooth.
    yy, xx = np.mgrid[0 : height * detail, 0 : width * detail] / detail
    image = np.zeros(yy.shape + (3,))
    image[:] = (0.80, 0.90, 0.98)  # sky
    image[yy > height * 0.62] = (0.70, 0.86, 0.62)  # grass

    def ellipse(cx, cy, rx, ry):
        return ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0

    def triangle(p1, p2, p3):
        def side(a, b):
            return (xx - b[0]) * (a[1] - b[1]) - (a[0] - b[0]) * (yy - b[1])

        d1, d2, d3 = side(p1, p2), side(p2, p3), side(p3, p1)
        neg = (d1 < 0) | (d2 < 0) | (d3 < 0)
        pos = (d1 > 0) | (d2 > 0) | (d3 > 0)
        return ~(neg & pos)

    def cat(x):  # round body, round head, pointed ears; x is the head's centre
        mask = (
            ellipse(x + 14, 84, 24, 15)
            | ellipse(x, 62, 13, 12)
            | triangle((x - 12, 59), (x - 9, 41), (x, 52))
            | triangle((x, 52), (x + 9, 41), (x + 12, 59))
        )
        eyes = [(x - 4.5, 60), (x + 4.5, 60)]
        return mask, eyes, []

    def dog(x):  # longer body, snout, hanging ears, legs; x is the head's centre
        ear = ellipse(x - 8, 62, 5, 12)
        mask = (
            ellipse(x - 24, 84, 30, 15)
            | ellipse(x - 4, 68, 10, 12)
            | ellipse(x, 58, 13, 12)
            | ellipse(x + 12, 64, 9, 5.5)
            | ear
            | ((np.abs(xx - (x - 44)) < 4.5) & (yy > 86) & (yy < 108))
            | ((np.abs(xx - (x - 8)) < 4.5) & (yy > 86) & (yy < 108))
            | triangle((x - 54, 76), (x - 64, 60), (x - 47, 82))
        )
        eyes = [(x + 1, 54), (x + 8, 54)]
        overlays = [
            (ear, (0.55, 0.38, 0.20)),
            (ellipse(x + 20, 62.5, 2.4, 2.2), (0.1, 0.1, 0.1)),
        ]
        return mask, eyes, overlays

    animals = [
        (cat(28), 1, (0.55, 0.55, 0.58)),
        (cat(100), 1, (0.35, 0.35, 0.38)),
        (dog(218), 2, (0.80, 0.60, 0.35)),
    ]
    classes = np.zeros(yy.shape, dtype=int)
    instances = np.zeros(yy.shape, dtype=int)
    boxes = []
    for number, ((mask, eyes, overlays), label, color) in enumerate(animals, start=1):
        image[mask] = color
        for part, part_color in overlays:
            image[part] = part_color
        for cx, cy in eyes:
            image[ellipse(cx, cy, 1.8, 1.8)] = (0.1, 0.1, 0.1)
        classes[mask] = label
        instances[mask] = number
        ys, xs = np.nonzero(mask)
        boxes.append(
            (xs.min(), ys.min(), xs.max(), ys.max(), "고양이" if label == 1 else "개")
        )
    return image, classes, instances, boxes


def figure_cv_tasks() -> Path:
    image, classes, instances, boxes = _scene()
    # Narrow enough that a phone shows the captions legibly; each caption says the task on
    # its first line and what comes out on its second (no thin arrow glyph to vanish).
    fig, axes = plt.subplots(2, 2, figsize=(8, 5.4))
    axes = axes.ravel()
    notes = []

    # (a) classification: labels for the whole picture.
    ax = axes[0]
    ax.imshow(image, interpolation="nearest")
    ax.set_title("(가) 이미지 분류", fontsize=15)
    notes.append("사진 한 장 전체에 레이블\n출력: {고양이, 개}")

    # (b) semantic segmentation: a class per pixel; both cats share one color.
    ax = axes[1]
    ax.imshow(
        classes, cmap=ListedColormap([LIGHT, BLUE, ORANGE]), interpolation="nearest"
    )
    ax.set_title("(나) 시맨틱 분할", fontsize=15)
    notes.append("픽셀마다 범주 하나\n두 고양이가 같은 색")

    # (c) detection: a box and a label per object.
    ax = axes[2]
    ax.imshow(image, interpolation="nearest")
    box_colors = [BLUE, PURPLE, ORANGE]
    for (x0, y0, x1, y1, name), color in zip(boxes, box_colors):
        pad = 6
        ax.add_patch(
            Rectangle(
                (x0 - pad, y0 - pad),
                x1 - x0 + 2 * pad,
                y1 - y0 + 2 * pad,
                fill=False,
                edgecolor=color,
                linewidth=2.5,
            )
        )
        ax.text(
            x0 - pad,
            y0 - pad - 2,
            name,
            color="white",
            fontsize=12,
            va="bottom",
            bbox=dict(facecolor=color, edgecolor="none", pad=1.5),
        )
    ax.set_title("(다) 객체 탐지", fontsize=15)
    notes.append("개체마다 경계 상자와 범주\n출력: (상자, 범주)의 목록")

    # (d) instance segmentation: an object id per pixel.
    ax = axes[3]
    ax.imshow(
        instances, cmap=ListedColormap([LIGHT] + box_colors), interpolation="nearest"
    )
    ax.set_title("(라) 인스턴스 분할", fontsize=15)
    notes.append("픽셀마다 어느 개체인지\n두 고양이가 다른 색")

    for ax, note in zip(axes, notes):
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_xlabel(note, fontsize=13, labelpad=6)
        for spine in ax.spines.values():
            spine.set_edgecolor(GRAY)
    fig.subplots_adjust(wspace=0.05, hspace=0.42)
    return save(fig, "cv_tasks.png")


# --------------------------------------------------------------------------------------
# 2. Transposed convolution: 2x2 input, 3x3 kernel, stride 2 -> 4x4 (padding="same")
# --------------------------------------------------------------------------------------


def _grid(
    ax, x0, y0, values, cell=1.0, colors=None, fontsize=13, edge=INK, lw=1.2, text=True
):
    """Draws a grid of numbers whose top-left corner is (x0, y0); y grows downwards."""
    values = np.asarray(values)
    rows, cols = values.shape
    for r in range(rows):
        for c in range(cols):
            face = "white" if colors is None else colors[r][c]
            ax.add_patch(
                Rectangle(
                    (x0 + c * cell, y0 + r * cell),
                    cell,
                    cell,
                    facecolor=face,
                    edgecolor=edge,
                    linewidth=lw,
                )
            )
            if text and values[r, c] != "":
                ax.text(
                    x0 + (c + 0.5) * cell,
                    y0 + (r + 0.5) * cell,
                    str(values[r, c]),
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color=INK,
                )


def figure_transposed_conv() -> Path:
    x = np.array([[1, 2], [3, 4]])
    kernel = np.ones((3, 3), dtype=int)
    stride, k = 2, 3
    full = np.zeros((5, 5), dtype=int)
    cell_colors = {(0, 0): BLUE, (0, 1): ORANGE, (1, 0): GREEN, (1, 1): PURPLE}
    tint = {
        key: matplotlib.colors.to_rgba(color, 0.35)
        for key, color in cell_colors.items()
    }

    fig, ax = plt.subplots(figsize=(15, 6.2))
    ax.set_xlim(-0.5, 28.0)
    ax.set_ylim(12.0, -1.6)
    ax.set_aspect("equal")
    ax.axis("off")

    # Input.
    _grid(
        ax,
        0,
        3.0,
        x,
        cell=1.4,
        fontsize=16,
        colors=[[tint[(0, 0)], tint[(0, 1)]], [tint[(1, 0)], tint[(1, 1)]]],
    )
    ax.text(1.4, 2.3, "입력 (2×2)", ha="center", fontsize=13)
    # Kernel.
    _grid(ax, 0.35, 8.0, kernel, cell=0.7, fontsize=11)
    ax.text(1.4, 7.3, "커널 (3×3, 모두 1)", ha="center", fontsize=12)
    ax.text(1.4, 10.9, "보폭(strides) = 2", ha="center", fontsize=12)

    # Four contributions: each input value times the kernel, placed at (2i, 2j) of a 5x5 canvas.
    origin_x, origin_y, small = 5.2, 0.0, 0.9
    positions = {(0, 0): (0, 0), (0, 1): (7.0, 0), (1, 0): (0, 6.2), (1, 1): (7.0, 6.2)}
    for (i, j), (dx, dy) in positions.items():
        part = np.zeros((5, 5), dtype=int)
        part[i * stride : i * stride + k, j * stride : j * stride + k] = (
            x[i, j] * kernel
        )
        full += part
        labels = np.where(part > 0, part.astype(str), "")
        colors = [
            [tint[(i, j)] if part[r, c] else "white" for c in range(5)]
            for r in range(5)
        ]
        _grid(
            ax,
            origin_x + dx,
            origin_y + dy,
            labels,
            cell=small,
            colors=colors,
            fontsize=11,
            edge=GRAY,
            lw=0.8,
        )
        ax.text(
            origin_x + dx + 2.5 * small,
            origin_y + dy + 5 * small + 0.55,
            f"입력 {x[i, j]} × 커널, {i * stride}행 {j * stride}열부터",
            ha="center",
            va="top",
            fontsize=11,
            color=cell_colors[(i, j)],
        )
    ax.text(
        origin_x + 5.75,
        -0.9,
        "입력 칸마다 커널을 곱해 출력에 찍기",
        ha="center",
        fontsize=13,
    )

    # Arrows input -> contributions -> sum.
    ax.add_patch(
        FancyArrowPatch(
            (3.1, 4.4),
            (5.0, 4.4),
            arrowstyle="-|>",
            mutation_scale=18,
            color=INK,
            lw=1.5,
        )
    )
    ax.add_patch(
        FancyArrowPatch(
            (17.3, 5.2),
            (19.5, 5.2),
            arrowstyle="-|>",
            mutation_scale=18,
            color=INK,
            lw=1.5,
        )
    )
    ax.text(18.4, 4.6, "모두 더하기", ha="center", fontsize=12)

    # Sum on the 5x5 canvas; padding="same" keeps the top-left 4x4.
    sx, sy, big = 20.0, 2.1, 1.25
    overlap = np.zeros((5, 5), dtype=int)
    for i in range(2):
        for j in range(2):
            overlap[i * stride : i * stride + k, j * stride : j * stride + k] += 1
    shade = {1: "white", 2: "#E6E6E6", 4: "#C8C8C8"}
    colors = [[shade[overlap[r, c]] for c in range(5)] for r in range(5)]
    _grid(ax, sx, sy, full, cell=big, colors=colors, fontsize=14)
    ax.add_patch(
        Rectangle(
            (sx, sy),
            4 * big,
            4 * big,
            fill=False,
            edgecolor=RED,
            linewidth=3,
            linestyle="--",
        )
    )
    ax.text(
        sx + 2.5 * big,
        sy - 0.7,
        "겹친 칸은 더해짐 (회색이 진할수록 많이 겹침)",
        ha="center",
        fontsize=12,
    )
    ax.text(
        sx + 2.5 * big,
        sy + 5 * big + 0.5,
        '빨간 점선 안 4×4가 padding="same"의 출력\n(2×2 → 4×4: 가로·세로가 보폭만큼, 곧 2배로 커짐)',
        ha="center",
        va="top",
        fontsize=12,
        color=RED,
    )
    return save(fig, "transposed_conv.png")


# --------------------------------------------------------------------------------------
# 3. A residual block
# --------------------------------------------------------------------------------------


def _box(ax, cx, cy, text, width=3.6, height=0.8, face=LIGHT, edge=INK, fontsize=12):
    ax.add_patch(
        FancyBboxPatch(
            (cx - width / 2, cy - height / 2),
            width,
            height,
            boxstyle="round,pad=0.02,rounding_size=0.15",
            facecolor=face,
            edgecolor=edge,
            linewidth=1.4,
        )
    )
    ax.text(cx, cy, text, ha="center", va="center", fontsize=fontsize, color=INK)


def _arrow(ax, start, end, color=INK, style="-|>", lw=1.6, connection="arc3"):
    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=16,
            color=color,
            lw=lw,
            connectionstyle=connection,
            shrinkA=0,
            shrinkB=0,
        )
    )


def figure_residual_block() -> Path:
    fig, ax = plt.subplots(figsize=(9, 9.4))
    ax.set_xlim(0, 10.6)
    ax.set_ylim(-0.4, 10.4)
    ax.set_aspect("equal")
    ax.axis("off")

    main_x = 3.6
    _box(ax, main_x, 9.6, "입력 x", width=2.4, face="white")
    _box(
        ax,
        main_x,
        8.0,
        'Conv2D(filters, 3, padding="same")\n+ relu',
        width=4.6,
        height=1.0,
        face="#DCE6F2",
    )
    _box(
        ax,
        main_x,
        6.3,
        'Conv2D(filters, 3, padding="same")\n+ relu',
        width=4.6,
        height=1.0,
        face="#DCE6F2",
    )
    _box(ax, main_x, 4.7, "MaxPooling2D(2)  (있을 때만)", width=4.6, face="#EFEFEF")
    # The add node.
    ax.add_patch(
        plt.Circle((main_x, 3.0), 0.42, facecolor="white", edgecolor=INK, lw=1.6)
    )
    ax.text(main_x, 3.0, "+", ha="center", va="center", fontsize=22)
    _box(ax, main_x, 1.3, "출력 = F(x) + 잔차", width=3.6, face="white")

    _arrow(ax, (main_x, 9.2), (main_x, 8.5))
    _arrow(ax, (main_x, 7.5), (main_x, 6.8))
    _arrow(ax, (main_x, 5.8), (main_x, 5.1))
    _arrow(ax, (main_x, 4.3), (main_x, 3.42))
    _arrow(ax, (main_x, 2.58), (main_x, 1.7))

    # Shortcut on the right.
    side_x = 8.45
    ax.plot([main_x + 1.2, side_x], [9.6, 9.6], color=GREEN, lw=2.2)
    ax.plot([side_x, side_x], [9.6, 5.95], color=GREEN, lw=2.2)
    _box(
        ax,
        side_x,
        5.2,
        "1×1 Conv2D (모양이 다를 때만)\n풀링이 있으면 strides=2\n필터 수가 바뀌면 filters개",
        width=3.7,
        height=1.5,
        face="#E3F1E6",
        edge=GREEN,
        fontsize=11,
    )
    ax.plot([side_x, side_x], [4.45, 3.0], color=GREEN, lw=2.2)
    _arrow(ax, (side_x, 3.0), (main_x + 0.42, 3.0), color=GREEN, lw=2.2)
    ax.text(
        side_x + 0.15,
        7.8,
        "지름길\n(잔차 연결)",
        ha="left",
        va="center",
        fontsize=12,
        color=GREEN,
    )

    # Brace-like label for the main path.
    ax.plot([0.55, 0.55], [4.3, 8.5], color=BLUE, lw=2)
    ax.plot([0.55, 0.8], [8.5, 8.5], color=BLUE, lw=2)
    ax.plot([0.55, 0.8], [4.3, 4.3], color=BLUE, lw=2)
    ax.text(
        0.35,
        6.4,
        "본 경로 F(x)",
        rotation=90,
        ha="center",
        va="center",
        fontsize=12,
        color=BLUE,
    )
    ax.text(
        5.2,
        0.2,
        "두 텐서의 모양이 같아야 더할 수 있다: 지름길이 모양을 맞춘다",
        ha="center",
        fontsize=11.5,
        color=INK,
    )
    return save(fig, "residual_block.png")


# --------------------------------------------------------------------------------------
# 4. Batch normalization
# --------------------------------------------------------------------------------------


def figure_batch_norm() -> Path:
    # Diagram above, histograms below: one column is as wide as a phone's screen allows.
    fig = plt.figure(figsize=(8.5, 13))
    left = fig.add_axes([0.0, 0.5, 1.0, 0.5])
    left.set_xlim(0, 10)
    left.set_ylim(0, 10)
    left.axis("off")

    # A batch of N=4 feature maps with C=3 channels each: rows are samples, columns channels.
    channel_colors = [BLUE, ORANGE, GREEN]
    n, c = 4, 3
    x0, y_top, size, gap = 2.0, 8.2, 1.35, 0.35
    for j in range(c):
        for i in range(n):
            x = x0 + j * (size + gap)
            y = y_top - i * (size + gap) - size
            highlight = j == 1
            left.add_patch(
                Rectangle(
                    (x, y),
                    size,
                    size,
                    facecolor=matplotlib.colors.to_rgba(
                        channel_colors[j], 0.55 if highlight else 0.2
                    ),
                    edgecolor=channel_colors[j],
                    linewidth=2.4 if highlight else 1,
                )
            )
            # a few pixels inside each map
            for a in range(3):
                for b in range(3):
                    left.add_patch(
                        Rectangle(
                            (x + 0.12 + a * 0.38, y + 0.12 + b * 0.38),
                            0.34,
                            0.34,
                            facecolor="white",
                            alpha=0.45,
                            edgecolor="none",
                        )
                    )
        left.text(
            x0 + j * (size + gap) + size / 2,
            y_top + 0.35,
            f"채널 {j + 1}",
            ha="center",
            fontsize=14,
            color=channel_colors[j],
        )
    for i in range(n):
        left.text(
            x0 - 0.25,
            y_top - i * (size + gap) - size / 2,
            f"샘플 {i + 1}",
            ha="right",
            va="center",
            fontsize=14,
        )
    left.text(
        x0 + 1.5 * (size + gap) - gap / 2,
        9.45,
        "배치 (N=4, 높이×너비, C=3)",
        ha="center",
        fontsize=15,
    )
    # The highlighted column: one mean and variance per channel.
    cx = x0 + 1 * (size + gap) + size / 2
    bottom = y_top - n * (size + gap) + gap
    left.add_patch(
        Rectangle(
            (cx - size / 2 - 0.12, bottom - 0.12),
            size + 0.24,
            y_top - bottom + 0.24,
            fill=False,
            edgecolor=RED,
            lw=2.2,
            linestyle="--",
        )
    )
    left.text(
        cx,
        bottom - 0.45,
        "채널 2의 평균 $\\mu_2$와 분산 $\\sigma_2^2$:\n배치의 모든 샘플, 모든 위치의 값으로 계산",
        ha="center",
        va="top",
        fontsize=14,
        color=RED,
    )
    left.text(
        8.3,
        5.6,
        "채널마다\n따로 정규화한 뒤\n\n$\\gamma$(감마)배로 늘이고\n$\\beta$(베타)만큼 옮김",
        ha="center",
        va="center",
        fontsize=14,
        bbox=dict(boxstyle="round,pad=0.5", facecolor=LIGHT, edgecolor=GRAY),
    )

    # Right: what happens to channel 2's values, measured on random numbers.
    rng = np.random.default_rng(0)
    values = rng.normal(loc=6.0, scale=2.5, size=4 * 16 * 16)
    mean, var, eps = values.mean(), values.var(), 1e-3
    normalized = (values - mean) / np.sqrt(var + eps)
    gamma, beta = 1.5, 0.5
    out = gamma * normalized + beta

    bins = np.linspace(-6, 14, 61)
    panels = [
        (values, "① 정규화 전: 채널 2의 값 $x$", values, GRAY),
        (
            normalized,
            "② 정규화: $\\hat{x} = (x - \\mu_2)\\,/\\,\\sqrt{\\sigma_2^2 + \\epsilon}$",
            normalized,
            ORANGE,
        ),
        (
            out,
            f"③ 조정: $y = \\gamma\\,\\hat{{x}} + \\beta$  ($\\gamma$={gamma}, $\\beta$={beta}, 학습되는 값)",
            out,
            RED,
        ),
    ]
    height = 0.1
    for k, (data, title, measured, color) in enumerate(panels):
        ax = fig.add_axes([0.04, 0.37 - k * (height + 0.06), 0.92, height])
        ax.hist(data, bins=bins, color=color, alpha=0.8)
        ax.set_xlim(bins[0], bins[-1])
        ax.set_yticks([])
        ax.axvline(0, color=INK, lw=0.8, alpha=0.5)
        ax.set_title(
            f"{title}\n평균 {measured.mean():.2f}, 표준 편차 {measured.std():.2f}",
            loc="left",
            fontsize=15,
        )
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        if k < 2:
            ax.set_xticklabels([])
        else:
            ax.set_xlabel("채널 2의 값 (배치 전체)", fontsize=13)
    return save(fig, "batch_norm.png")


# --------------------------------------------------------------------------------------
# 5. Depthwise and pointwise convolution
# --------------------------------------------------------------------------------------


def _stack(ax, x, y, colors, size=1.6, offset=0.28, labels=None, alpha=0.75):
    """A stack of feature-map slices drawn front to back; (x, y) is the front slice's corner."""
    for depth in reversed(range(len(colors))):
        dx, dy = depth * offset, depth * offset
        color = colors[depth]
        ax.add_patch(
            Rectangle(
                (x + dx, y + dy),
                size,
                size,
                facecolor=color,
                alpha=alpha,
                edgecolor=INK,
                linewidth=1.0,
            )
        )


def figure_depthwise_separable() -> Path:
    fig, ax = plt.subplots(figsize=(15, 6.4))
    ax.set_xlim(0, 29)
    ax.set_ylim(-1.9, 10.2)
    ax.set_aspect("equal")
    ax.axis("off")
    in_colors = [BLUE, ORANGE, GREEN]
    mixed = ["#7E8FA8", "#A88E7E", "#8EA87E", "#A07EA8"]

    # Input: three channels.
    _stack(ax, 0.5, 3.3, in_colors)
    ax.text(1.6, 2.8, "입력\n높이×너비×3", ha="center", va="top", fontsize=12)

    # (1) Depthwise: one 3x3 filter per input channel, applied to that channel only.
    ax.text(
        8.6, 9.6, "① 깊이별 합성곱 (depthwise)", ha="center", fontsize=14, color=INK
    )
    ax.text(
        8.6,
        8.9,
        "채널마다 자기 3×3 필터 하나: 공간 패턴만 본다",
        ha="center",
        fontsize=11.5,
    )
    for k, color in enumerate(in_colors):
        y = 6.6 - k * 2.0
        _grid(
            ax,
            6.2,
            y,
            np.full((3, 3), ""),
            cell=0.42,
            colors=[[matplotlib.colors.to_rgba(color, 0.6)] * 3] * 3,
            lw=0.8,
            text=False,
        )
        _arrow(ax, (3.1, 4.4 + (1 - k) * 0.45), (6.05, y + 0.63), color=color, lw=1.4)
        _arrow(ax, (7.6, y + 0.63), (8.45, y + 0.63), color=color, lw=1.4)
        ax.add_patch(
            Rectangle((8.6, y), 1.26, 1.26, facecolor=color, alpha=0.75, edgecolor=INK)
        )
        ax.text(
            10.05,
            y + 0.63,
            f"채널 {k + 1}",
            ha="left",
            va="center",
            fontsize=11,
            color=color,
        )
    _arrow(ax, (11.6, 4.3), (12.5, 4.3))
    _stack(ax, 12.7, 3.3, in_colors)
    ax.text(
        13.8,
        2.8,
        "깊이별 출력\n높이×너비×3\n(채널끼리 섞이지 않음)",
        ha="center",
        va="top",
        fontsize=11.5,
    )

    # (2) Pointwise: 1x1 convolution mixes the channels into as many maps as there are filters.
    ax.text(
        20.2, 9.6, "② 점별 합성곱 (pointwise, 1×1)", ha="center", fontsize=14, color=INK
    )
    ax.text(
        20.2,
        8.9,
        "위치마다 3개 채널 값을 섞는다: 필터 4개 → 출력 채널 4개",
        ha="center",
        fontsize=11.5,
    )
    for f in range(4):
        y = 7.2 - f * 1.65
        for k, color in enumerate(in_colors):
            ax.add_patch(
                Rectangle(
                    (18.0 + k * 0.45, y),
                    0.45,
                    0.45,
                    facecolor=color,
                    alpha=0.75,
                    edgecolor=INK,
                    linewidth=0.8,
                )
            )
        ax.text(
            19.55,
            y + 0.22,
            f"필터 {f + 1}: 1×1×3",
            ha="left",
            va="center",
            fontsize=10.5,
        )
    _arrow(ax, (15.6, 4.3), (17.7, 4.3))
    _arrow(ax, (22.3, 4.3), (24.0, 4.3))
    _stack(ax, 24.3, 3.2, mixed, offset=0.3)
    ax.text(25.9, 2.8, "출력\n높이×너비×4", ha="center", va="top", fontsize=12)

    # Weight counts for a realistic layer, computed rather than typed in.
    c_in, c_out, k = 64, 128, 3
    regular = k * k * c_in * c_out
    separable = k * k * c_in + c_in * c_out
    ax.text(
        14.5,
        -0.8,
        f"예: 입력 {c_in}채널 → 출력 {c_out}채널, 3×3 창, 편향을 뺀 가중치 수\n"
        f"일반 Conv2D: 3·3·{c_in}·{c_out} = {regular:,}개     "
        f"SeparableConv2D: 3·3·{c_in} + {c_in}·{c_out} = {separable:,}개  "
        f"(약 {regular / separable:.1f}배 적음)",
        ha="center",
        va="center",
        fontsize=12,
        bbox=dict(boxstyle="round,pad=0.5", facecolor=LIGHT, edgecolor=GRAY),
    )
    return save(fig, "depthwise_separable.png")


def main() -> None:
    figure_cv_tasks()
    figure_transposed_conv()
    figure_residual_block()
    figure_batch_norm()
    figure_depthwise_separable()


if __name__ == "__main__":
    main()
