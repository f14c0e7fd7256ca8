"""The checks of chapter 7's exercises (7장: 합성곱 신경망이 배운 것)."""

from __future__ import annotations

import numpy as np

from .core import (
    _boolean,
    _check,
    _match,
    _match_array,
    _number,
    _pair,
    _shape,
    _show,
    _wrong,
)

__all__ = [
    "check_ch7_activation_shapes",
    "check_ch7_grad_cam",
    "check_ch7_pointing_game",
    "check_ch7_cam_resolution",
]


@_check("모양 다섯 개를 `[(높이, 너비, 채널), ...]`처럼 목록으로 적으세요.")
def check_ch7_activation_shapes(answer):
    """연습 문제: 180×180 입력에 Conv(32)→Pool→Conv(64)→Pool→Conv(128) (3×3 valid, 2×2 풀링)의 층별 활성화 모양."""
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__iter__"):
        _wrong(
            f"답은 모양 다섯 개의 목록이어야 합니다 (받은 답: {_show(answer)}).",
            "`[(높이, 너비, 채널), ...]`처럼 적으세요.",
        )
    shapes = [_shape(s) for s in answer]
    expected = [(178, 178, 32), (89, 89, 32), (87, 87, 64), (43, 43, 64), (41, 41, 128)]
    names = [
        "첫 번째 합성곱",
        "첫 번째 풀링",
        "두 번째 합성곱",
        "두 번째 풀링",
        "세 번째 합성곱",
    ]
    if len(shapes) != len(expected):
        _wrong(
            f"모양이 {len(expected)}개가 아닙니다.",
            "합성곱 층 셋과 풀링 층 둘, 모두 다섯 층의 활성화를 적으세요.",
        )
    for name, got, want in zip(names, shapes, expected):
        if got == want:
            continue
        if len(got) == 4:
            _wrong(
                f"{name}의 모양에 배치 축이 들어 있습니다.",
                "배치 축을 뺀 (높이, 너비, 채널)만 적으세요.",
            )
        if len(got) != 3 or got[2] != want[2]:
            _wrong(
                f"{name}의 채널 수가 다릅니다.",
                "합성곱 층의 출력 채널은 필터 수이고, 풀링은 채널 수를 바꾸지 않습니다.",
            )
        if "합성곱" in name:
            _wrong(
                f"{name}의 가로·세로가 다릅니다.",
                '`padding`의 기본값은 "valid"입니다. 3×3 합성곱은 가로·세로를 2씩 줄입니다.',
            )
        _wrong(
            f"{name}의 가로·세로가 다릅니다.",
            "2×2 최대 풀링은 크기를 2로 나눈 몫으로 줄입니다. 홀수면 남는 한 줄을 버립니다.",
        )
    return "층이 깊어질수록 특성 맵은 작아지고 채널은 늘어납니다."


@_check("Grad-CAM 값은 2×2 배열(또는 중첩 리스트)로 적으세요.")
def check_ch7_grad_cam(answer):
    """연습 문제: 2×2×2 특성 맵과 그레이디언트로 손으로 계산하는 Grad-CAM (정규화 전)."""
    feature_maps, grads = _grad_cam_inputs()
    cam = np.asarray(answer, dtype=float)
    if cam.shape != (2, 2):
        _wrong(
            f"답의 모양이 (2, 2)가 아닙니다 (받은 모양: {cam.shape}).",
            "Grad-CAM은 채널을 가중합해 특성 맵의 가로·세로 크기인 지도 하나를 만듭니다.",
        )
    weights = grads.mean(axis=(0, 1))
    raw = (feature_maps * weights).sum(axis=-1)
    expected = np.maximum(raw, 0)
    if np.allclose(
        cam, expected, atol=1e-6
    ):  # before the variants: one divides by the max
        return "음수인 칸을 ReLU가 0으로 만들어, 목표 클래스를 높이는 쪽의 위치만 남습니다."
    variants = [
        (raw, "ReLU를 적용하지 않았습니다.", "가중합에서 음수인 칸은 0으로 만듭니다."),
        (
            expected / expected.max(),
            "최댓값으로 나눴습니다.",
            "문제는 정규화하기 전의 값을 묻습니다.",
        ),
        (
            np.maximum((feature_maps * grads.sum(axis=(0, 1))).sum(axis=-1), 0),
            "채널 가중치를 합으로 구했습니다.",
            "채널 가중치는 그 채널 그레이디언트의 공간 평균입니다.",
        ),
        (
            np.maximum((feature_maps * grads).sum(axis=-1), 0),
            "그레이디언트를 칸마다 따로 곱했습니다.",
            "채널마다 그레이디언트의 평균 하나를 구해, 그 채널의 특성 맵 전체에 곱합니다.",
        ),
    ]
    _match_array(
        cam,
        expected,
        variants,
        (
            "값이 다릅니다.",
            "① 채널마다 그레이디언트의 평균 ② 그 평균으로 특성 맵을 가중합 ③ ReLU.",
        ),
    )


def _grad_cam_inputs():
    """A (2, 2, 2) feature map and the gradient of the class score with respect to it."""
    feature_maps = np.stack(
        [[[1.0, 0.0], [2.0, 1.0]], [[0.0, 3.0], [1.0, 0.0]]], axis=-1
    )
    grads = np.stack([[[1.0, 0.0], [0.0, 1.0]], [[-1.0, 0.0], [0.0, 0.0]]], axis=-1)
    return feature_maps, grads


@_check(
    "`answer = (최댓값이 안에 있는가, 히트맵 질량의 몫, 균일한 지도의 몫)`처럼 세 값을 적으세요."
)
def check_ch7_pointing_game(answer):
    """연습 문제: 4×4 히트맵과 반려동물 마스크로 포인팅 게임 적중 여부, 마스크 안 질량의 몫, 균일한 지도 기준선."""
    hit, share, uniform = _pair(answer, 3)
    if _boolean(hit, "적중 여부"):
        _wrong(
            "히트맵의 최댓값이 마스크 안에 있다고 답했습니다.",
            "가장 큰 값이 있는 칸의 위치를 찾아 마스크의 같은 칸을 보세요.",
        )
    _match(
        share,
        12 / 24,
        [
            (
                4 / 16,
                "마스크의 넓이 비율을 구했습니다.",
                "히트맵 질량의 몫은 픽셀 수가 아니라 히트맵 값의 합으로 셉니다.",
            ),
            (
                12,
                "마스크 안의 히트맵 합만 적었습니다.",
                "전체 히트맵 합으로 나눠 몫으로 만드세요.",
            ),
            (
                12 / 12,
                "마스크 안의 값끼리만 나눴습니다.",
                "분모는 히트맵 전체의 합입니다.",
            ),
        ],
        (
            "히트맵 질량의 몫이 다릅니다.",
            "마스크 안 칸들의 히트맵 값의 합 ÷ 히트맵 전체의 합입니다.",
        ),
    )
    _match(
        uniform,
        4 / 16,
        [
            (
                12 / 24,
                "균일한 지도의 몫을 이 히트맵의 몫과 같게 보았습니다.",
                "균일한 지도는 모든 칸의 값이 같습니다.",
            ),
            (1 / 16, "한 칸의 몫을 구했습니다.", "마스크 안의 칸을 모두 더하세요."),
        ],
        (
            "균일한 지도의 몫이 다릅니다.",
            "모든 칸의 값이 같다면, 마스크 안의 몫은 무엇의 비율과 같을까요?",
        ),
    )
    return "최댓값 하나는 빗나갔지만 질량의 절반이 반려동물 위에 있어, 균일한 지도 기준선(넓이 비율)보다 높습니다."


@_check(
    "`answer = (마지막 합성곱 층의 히트맵 한 변, 첫 합성곱 층의 히트맵 한 변)`처럼 정수 두 개를 적으세요."
)
def check_ch7_cam_resolution(answer, measured):
    """예측 문제: 64×64 입력 모델에서 Grad-CAM 대상 층을 마지막 합성곱 층에서 첫 합성곱 층으로 바꿀 때 히트맵의 크기."""
    last, first = (int(_number(v)) for v in _pair(answer))
    measured_last, measured_first = (int(v) for v in measured)
    if (last, first) == (measured_last, measured_first):
        return "히트맵은 고른 층의 특성 맵 크기를 따릅니다. 깊은 층은 거칠지만 클래스에 더 가깝습니다."
    if (last, first) == (measured_first, measured_last):
        _wrong(
            "두 값이 서로 바뀌었습니다.",
            "최대 풀링을 지날 때마다 특성 맵이 작아집니다. 어느 층이 더 뒤에 있나요?",
        )
    if last != measured_last:
        _wrong(
            "마지막 합성곱 층의 히트맵 크기가 다릅니다.",
            '`padding="same"` 합성곱은 크기를 지키고, 그 앞의 2×2 최대 풀링 두 번이 크기를 줄입니다.',
        )
    _wrong(
        "첫 합성곱 층의 히트맵 크기가 다릅니다.", "첫 합성곱 층 앞에는 풀링이 없습니다."
    )
