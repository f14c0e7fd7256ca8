"""The checks of chapter 2's exercises (2장: 이미지 분할)."""

from __future__ import annotations

from .core import (
    _check,
    _match,
    _number,
    _pair,
    _shape,
    _wrong,
)

__all__ = [
    "check_ch2_transpose_shapes",
    "check_ch2_updates_per_epoch",
    "check_ch2_mask_iou",
    "check_ch2_background_baseline",
]


@_check(
    "`answer = ((높이, 너비, 채널), (높이, 너비, 채널))`처럼 모양 두 개를 적으세요."
)
def check_ch2_transpose_shapes(answer):
    """연습 문제: (25, 25, 256) 입력에 Conv2DTranspose(128, 3, strides=2)를 same / valid로 적용한 출력 모양."""
    same, valid = (_shape(s) for s in _pair(answer))
    for name, shape, side in (
        ('padding="same"', same, 50),
        ('padding="valid"', valid, 51),
    ):
        if len(shape) == 4:
            _wrong(
                f"{name}의 모양에 배치 축이 들어 있습니다.",
                "배치 축을 뺀 (높이, 너비, 채널)만 적으세요.",
            )
        if len(shape) != 3:
            _wrong(
                f"{name}의 모양은 축이 3개여야 합니다.",
                "(높이, 너비, 채널) 순서로 적으세요.",
            )
        if shape[2] != 128:
            _wrong(
                f"{name}의 채널 수가 다릅니다.",
                "출력 채널 수는 입력 채널이 아니라 필터 수가 정합니다.",
            )
        if shape[0] != shape[1]:
            _wrong(
                f"{name}의 높이와 너비가 다릅니다.",
                "정사각형 입력에 정사각형 커널이면 출력도 정사각형입니다.",
            )
        if shape[0] != side:
            if name == 'padding="same"':
                _wrong(
                    f"{name}의 가로·세로가 다릅니다.",
                    "`same`에서 전치 합성곱의 출력은 입력 크기 × 보폭입니다.",
                )
            if shape[0] in (49, 50, 52):
                _wrong(
                    f"{name}의 가로·세로가 한 칸 어긋났습니다.",
                    "도장을 보폭 간격으로 찍으면 마지막 도장은 (입력 크기 − 1) × 보폭 칸에서 시작해 커널 크기만큼 찍힙니다.",
                )
            _wrong(
                f"{name}의 가로·세로가 다릅니다.",
                "`valid`는 잘라내지 않으므로 마지막 도장의 끝까지 모두 남습니다.",
            )
    return "`same`은 정확히 보폭 배, `valid`는 커널이 보폭보다 큰 만큼 한 칸 더 큽니다."


@_check("배치 크기 16과 64의 에포크당 갱신 횟수를 `(정수, 정수)`로 적으세요.")
def check_ch2_updates_per_epoch(answer, measured):
    """예측 문제: 사진 100장을 배치 크기 16과 64로 한 에포크 훈련할 때의 갱신(스텝) 수."""
    answer = tuple(int(_number(v)) for v in _pair(answer))
    measured = tuple(int(v) for v in measured)
    if answer == measured:
        return "마지막 배치는 남은 사진으로 작게 만들어지고, 그것도 갱신 한 번입니다."
    if answer == (100 // 16, 100 // 64):
        _wrong(
            "나눗셈의 나머지를 버렸습니다.",
            "100장이 배치 크기로 나누어떨어지지 않으면 남은 사진은 어떻게 될까요?",
        )
    if answer in ((16, 64), (100, 100)):
        _wrong(
            "갱신 횟수가 아니라 다른 값을 적었습니다.",
            "가중치는 배치 하나를 볼 때마다 한 번 갱신됩니다.",
        )
    if answer[0] < answer[1]:
        _wrong(
            "배치가 큰 쪽의 갱신 횟수가 더 많습니다.",
            "배치가 클수록 한 에포크에 만드는 배치의 수는 줄어듭니다.",
        )
    _wrong(
        "실험에서 센 갱신 횟수와 다릅니다.", "사진 수를 배치 크기로 나눈 뒤 올림합니다."
    )


@_check("전경 IoU는 0과 1 사이의 수 하나입니다.")
def check_ch2_mask_iou(answer):
    """연습 문제: 4×4 정답 마스크와 예측 마스크의 전경(반려동물) IoU."""
    _match(
        answer,
        4 / 6,
        [
            (
                14 / 16,
                "픽셀 정확도를 구했습니다.",
                "IoU는 맞힌 픽셀의 비율이 아니라, 두 전경 영역의 교집합 ÷ 합집합입니다.",
            ),
            (
                10 / 12,
                "배경의 IoU를 구했습니다.",
                "값이 1인 픽셀(반려동물)의 영역끼리 비교하세요.",
            ),
            (
                2 * 4 / (4 + 6),
                "Dice 계수(2 × 교집합 ÷ 두 영역 넓이의 합)를 구했습니다.",
                "분모는 합집합의 픽셀 수입니다.",
            ),
            (
                4,
                "교집합의 픽셀 수만 적었습니다.",
                "교집합을 합집합의 픽셀 수로 나누세요.",
            ),
            (
                6,
                "합집합의 픽셀 수만 적었습니다.",
                "교집합의 픽셀 수를 합집합의 픽셀 수로 나누세요.",
            ),
            (
                4 / 4,
                "교집합을 정답 영역의 넓이로 나눴습니다.",
                "예측이 정답 밖으로 넘친 픽셀도 분모(합집합)에 들어갑니다.",
            ),
        ],
        (
            "값이 다릅니다.",
            "정답에서도 예측에서도 1인 픽셀(교집합)과, 어느 한쪽이라도 1인 픽셀(합집합)을 세어 보세요.",
        ),
    )
    return "예측이 정답 영역을 모두 덮어도, 넘친 픽셀 때문에 IoU는 1보다 작습니다."


@_check("`answer = (픽셀 정확도, 평균 IoU)`처럼 수 두 개를 적으세요.")
def check_ch2_background_baseline(answer):
    """연습 문제: 16픽셀 중 10픽셀이 배경인 트라이맵에서 "모두 배경" 기준선의 픽셀 정확도와 평균 IoU."""
    accuracy, mean_iou = _pair(answer)
    _match(
        accuracy,
        10 / 16,
        [
            (
                6 / 16,
                "배경이 아닌 픽셀의 비율을 구했습니다.",
                "모두 배경이라고 답하면 배경 픽셀만 맞힙니다.",
            ),
        ],
        ("픽셀 정확도가 다릅니다.", "맞힌 픽셀 수 ÷ 전체 픽셀 수입니다."),
    )
    _match(
        mean_iou,
        10 / 16 / 3,
        [
            (
                10 / 16,
                "평균 IoU가 배경 IoU와 같습니다.",
                "반려동물과 경계 클래스의 IoU(0)도 평균에 들어갑니다.",
            ),
            (
                10 / 16 / 2,
                "두 클래스로 평균을 냈습니다.",
                "트라이맵의 클래스는 셋입니다.",
            ),
        ],
        (
            "평균 IoU가 다릅니다.",
            "클래스마다 IoU를 구해 세 값의 평균을 내세요. 예측에 한 번도 나오지 않은 클래스의 IoU는 0입니다.",
        ),
    )
    return "기준선의 평균 IoU는 배경 비율의 3분의 1이라서, 픽셀 정확도보다 훨씬 엄격한 기준입니다."
