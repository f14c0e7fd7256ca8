"""The checks of chapter 1's exercises (1장: 컴퓨터 비전의 세 가지 과제)."""

from __future__ import annotations

import numpy as np

from .core import (
    _check,
    _match,
    _pair,
    _shape,
    _wrong,
)

__all__ = [
    "check_ch1_head_shapes",
    "check_ch1_box_iou",
    "check_ch1_flipped_box",
    "check_ch1_flatten_params",
]


@_check("분류·분할·경계 상자 헤드의 출력 모양을 차례로 담은 튜플 세 개를 적으세요.")
def check_ch1_head_shapes(answer, image_size=(128, 128), num_breeds=37):
    """연습 문제: 분류(37품종), 분할(3클래스), 경계 상자 헤드의 출력 모양 (배치 축 제외)."""
    classify, segment, box = (_shape(s) for s in _pair(answer, 3))
    h, w = image_size
    if any(s and s[0] is None for s in (classify, segment, box)):
        _wrong(
            "배치 축(None)까지 적었습니다.",
            "문제는 사진 한 장의 출력 모양, 곧 배치 축을 뺀 모양을 묻습니다.",
        )
    if classify != (num_breeds,):
        if len(classify) == 3:
            _wrong(
                "분류 헤드의 모양에 가로·세로 축이 남아 있습니다.",
                "전역 평균 풀링 뒤의 Dense 층은 사진 한 장에 품종별 확률 하나씩만 냅니다.",
            )
        _wrong(
            "분류 헤드의 모양이 다릅니다.",
            "Dense 층의 유닛 수가 곧 품종 수입니다. 품종은 몇 종이었나요?",
        )
    if segment != (h, w, 3):
        if len(segment) == 2:
            _wrong(
                "분할 헤드의 모양에 클래스 축이 빠졌습니다.",
                "분할 모델은 픽셀마다 세 클래스의 확률을 냅니다.",
            )
        if segment[:2] != (h, w):
            _wrong(
                "분할 헤드 출력의 가로·세로가 입력 사진과 다릅니다.",
                "업샘플링으로 입력과 같은 크기로 되돌린 뒤 픽셀마다 클래스를 고릅니다.",
            )
        _wrong(
            "분할 헤드 출력의 마지막 축(클래스 수)이 다릅니다.",
            "트라이맵의 클래스는 반려동물, 배경, 경계입니다.",
        )
    if box != (4,):
        _wrong(
            "경계 상자 헤드의 모양이 다릅니다.",
            "상자 하나는 [xmin, ymin, xmax, ymax] 네 수로 적습니다.",
        )
    return "세 과제는 같은 특성을 쓰고 출력 헤드만 다릅니다."


@_check("IoU는 0과 1 사이의 수 하나입니다.")
def check_ch1_box_iou(answer):
    """연습 문제: 상자 A=[0.2, 0.2, 0.6, 0.6]와 B=[0.4, 0.4, 0.8, 0.8]의 IoU."""
    inter, area = 0.2 * 0.2, 0.4 * 0.4
    _match(
        answer,
        inter / (2 * area - inter),
        [
            (
                inter,
                "교집합의 넓이만 구했습니다.",
                "IoU는 교집합 넓이를 합집합 넓이로 나눈 값입니다.",
            ),
            (
                inter / area,
                "교집합을 한 상자의 넓이로 나눴습니다.",
                "분모는 두 상자를 합친 영역, 곧 합집합의 넓이입니다.",
            ),
            (
                inter / (2 * area),
                "합집합 넓이를 두 상자 넓이의 합으로 셌습니다.",
                "두 상자 넓이를 더하면 겹친 부분이 두 번 들어갑니다. 한 번은 빼야 합니다.",
            ),
        ],
        (
            "값이 다릅니다.",
            "겹친 영역은 x와 y 모두 0.4부터 0.6까지입니다. 넓이를 차례로 구해 보세요.",
        ),
    )
    return "겹친 부분은 각 상자의 4분의 1인데도 IoU는 그보다 작습니다. 분모가 합집합이기 때문입니다."


@_check("상자는 [xmin, ymin, xmax, ymax] 네 수의 목록으로 적습니다.")
def check_ch1_flipped_box(answer, measured):
    """예측 문제: 사진을 좌우로 뒤집은 뒤의 상자 (measured: 뒤집은 마스크에서 잰 상자)."""
    box = np.asarray(_pair(answer, 4), dtype=float)
    truth = np.asarray(measured, dtype=float)
    if np.allclose(box, truth, atol=1e-6):
        return "좌우 뒤집기는 x좌표만 바꾸고, 새 xmin은 1 - (원래 xmax)입니다."
    if box[0] > box[2]:
        _wrong(
            "xmin이 xmax보다 큽니다.",
            "뒤집으면 상자의 왼쪽 끝과 오른쪽 끝이 서로 자리를 바꿉니다.",
        )
    if not np.allclose(box[[1, 3]], truth[[1, 3]], atol=1e-6):
        _wrong("y좌표가 바뀌었습니다.", "좌우로 뒤집으면 위아래 위치는 그대로입니다.")
    _wrong(
        "x좌표가 뒤집은 마스크에서 잰 상자와 다릅니다.",
        "x가 0인 왼쪽 끝은 뒤집으면 오른쪽 끝(x = 1)으로 갑니다. 각 x는 어디로 갈까요?",
    )


@_check("파라미터 수는 정수 하나입니다.")
def check_ch1_flatten_params(answer, measured):
    """예측 문제: 입력을 256×256으로 키운 뒤 Flatten → Dense(4) 상자 헤드의 파라미터 수."""
    measured = int(measured)
    features = (measured - 4) // 4
    _match(
        answer,
        measured,
        [
            (
                (features // 4) * 4 + 4,
                "입력 크기를 바꾸기 전과 같은 값입니다.",
                "`Flatten`은 특성 맵의 모든 칸을 펼치므로, 특성 맵이 커지면 Dense 층의 입력도 늘어납니다.",
            ),
            (
                (features // 2) * 4 + 4,
                "두 배만 늘렸습니다.",
                "입력의 가로와 세로가 모두 두 배가 되면 칸 수는 몇 배일까요?",
            ),
            (
                features * 4,
                "편향이 빠졌습니다.",
                "Dense(4)에는 출력마다 편향이 하나씩 있습니다.",
            ),
        ],
        (
            "파라미터 수가 다릅니다.",
            "특성 맵은 입력의 1/8 크기이고 채널은 128개입니다. 펼친 길이 × 4 + 편향 4개.",
        ),
    )
    return "전역 평균 풀링을 쓰는 분류 헤드는 입력 크기와 상관없지만, `Flatten` 헤드는 입력이 커질수록 커집니다."
