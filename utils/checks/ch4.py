"""The checks of chapter 4's exercises (4장: 배치 정규화)."""

from __future__ import annotations

import numpy as np

from .core import (
    _check,
    _close,
    _match,
    _match_array,
    _number,
    _pair,
    _wrong,
)

__all__ = [
    "check_ch4_bn_forward",
    "check_ch4_moving_stats",
    "check_ch4_bn_params",
    "check_ch4_inference_mode",
]


def _bn_test_input():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(4, 3, 3, 2))
    x[..., 0] = 5.0 + 2.0 * x[..., 0]
    x[..., 1] = -1.0 + 0.01 * x[..., 1]  # 분산이 epsilon보다 작은 채널
    return x, np.array([2.0, 0.5]), np.array([1.0, -1.0]), 1e-3


def _bn_variants(x, gamma, beta, eps):
    def norm(axis, ddof=0, eps=eps, use_std=False, affine=True):
        mean = x.mean(axis=axis, keepdims=True)
        spread = (
            x.std(axis=axis, keepdims=True, ddof=ddof)
            if use_std
            else x.var(axis=axis, keepdims=True, ddof=ddof)
        )
        y = (x - mean) / np.sqrt(spread + eps)
        return gamma * y + beta if affine else y

    return norm((0, 1, 2)), [
        (
            norm(None),
            "모든 값을 한꺼번에 정규화했습니다.",
            "평균과 분산은 채널마다 따로, 곧 마지막 축을 남기고 구합니다.",
        ),
        (
            norm((1, 2)),
            "사진마다 따로 정규화했습니다.",
            "배치 정규화는 배치 전체, 곧 N, H, W 세 축을 따라 평균과 분산을 구합니다.",
        ),
        (
            norm(0),
            "위치마다 따로 정규화했습니다.",
            "N 축뿐 아니라 H, W 축도 따라 평균과 분산을 구합니다.",
        ),
        (
            norm((0, 1, 2), eps=0.0),
            "분모에서 epsilon이 빠졌습니다.",
            "분산이 아주 작은 채널에서 차이가 납니다. 분산에 epsilon을 더한 뒤 제곱근을 씌우세요.",
        ),
        (
            norm((0, 1, 2), use_std=True),
            "분산 대신 표준 편차를 썼습니다.",
            "분모는 √(분산 + epsilon)입니다.",
        ),
        (
            norm((0, 1, 2), ddof=1),
            "분산을 N − 1로 나눴습니다.",
            "배치 정규화의 분산은 N으로 나눈 배치 분산(`np.var`의 기본값)입니다.",
        ),
        (
            norm((0, 1, 2), affine=False),
            "gamma와 beta를 적용하지 않았습니다.",
            "정규화한 값에 gamma를 곱하고 beta를 더합니다.",
        ),
    ]


@_check(
    "`bn_forward(x, gamma, beta, epsilon)`는 x와 같은 모양의 NumPy 배열을 돌려주는 함수여야 합니다."
)
def check_ch4_bn_forward(answer):
    """연습 문제: 훈련 모드 배치 정규화의 순전파를 NumPy로 쓴 함수 ``bn_forward(x, gamma, beta, epsilon)``."""
    if not callable(answer):
        _wrong(
            "답이 함수가 아닙니다.",
            "`def bn_forward(x, gamma, beta, epsilon):`를 정의하고 `answer = bn_forward`로 두세요.",
        )
    x, gamma, beta, eps = _bn_test_input()
    result = np.asarray(answer(x.copy(), gamma.copy(), beta.copy(), eps), dtype=float)
    if result.shape != x.shape:
        _wrong(
            f"출력의 모양이 입력과 다릅니다 (입력 {x.shape}, 출력 {result.shape}).",
            "평균과 분산을 구할 때 `keepdims=True`를 쓰거나, 채널 축만 남은 배열을 그대로 브로드캐스트하세요.",
        )
    expected, mistakes = _bn_variants(x, gamma, beta, eps)
    _match_array(
        result,
        expected,
        mistakes,
        (
            "출력이 배치 정규화 공식과 다릅니다.",
            "y = gamma × (x − 평균) / √(분산 + epsilon) + beta, 평균과 분산은 채널마다.",
        ),
    )
    return "케라스의 `BatchNormalization(training=True)`와 같은 계산입니다."


@_check("`answer = (이동 평균, 이동 분산)`처럼 수 두 개를 적으세요.")
def check_ch4_moving_stats(answer, measured):
    """예측 문제: 새 BN 층(momentum=0.99)이 평균 2.0, 분산 0.04인 배치로 한 번 훈련 모드로 호출된 뒤의 이동 통계."""
    mean, var = (_number(v) for v in _pair(answer))
    measured_mean, measured_var = (float(v) for v in measured)
    m = 0.99
    mistakes = [
        (
            (2.0, 0.04),
            "이동 통계가 배치의 통계로 바로 바뀐다고 답했습니다.",
            "이동 통계는 한 스텝에 `1 - momentum`만큼만 배치 쪽으로 움직입니다.",
        ),
        (
            (m * 2.0, (1 - m) * 1.0 + m * 0.04),
            "momentum의 몫을 반대로 썼습니다.",
            "새 값 = momentum × 이전 값 + (1 − momentum) × 배치 값입니다.",
        ),
        (
            ((1 - m) * 2.0, (1 - m) * 0.04),
            "이동 분산의 초깃값을 0으로 보았습니다.",
            "이동 평균은 0에서, 이동 분산은 1에서 시작합니다.",
        ),
    ]
    if _close(mean, measured_mean, 1e-3, 1e-5) and _close(
        var, measured_var, 1e-3, 1e-5
    ):
        return "이동 통계는 초깃값(평균 0, 분산 1)에서 배치 쪽으로 1%만 움직였습니다."
    for (wrong_mean, wrong_var), problem, hint in mistakes:
        if _close(mean, wrong_mean, 1e-3, 1e-5) and _close(var, wrong_var, 1e-3, 1e-5):
            _wrong(problem, hint)
    if _close(mean, measured_mean, 1e-3, 1e-5):
        _wrong(
            "이동 평균은 맞고 이동 분산이 다릅니다.",
            "이동 분산의 초깃값은 1입니다. 같은 공식에 넣어 보세요.",
        )
    _wrong(
        "예측이 측정과 다릅니다.",
        "새 값 = momentum × 이전 값 + (1 − momentum) × 배치 값. 초깃값은 평균 0, 분산 1입니다.",
    )


@_check(
    "`answer = (전체 파라미터 수, 훈련되는 파라미터 수)`처럼 정수 두 개를 적으세요."
)
def check_ch4_bn_params(answer):
    """연습 문제: 입력 32채널에 Conv2D(64, 3, use_bias=False) → BatchNormalization의 전체·훈련되는 파라미터 수."""
    total, trainable = (_number(v) for v in _pair(answer))
    kernel, bn = 3 * 3 * 32 * 64, 4 * 64
    _match(
        total,
        kernel + bn,
        [
            (
                kernel + 64 + bn,
                "합성곱의 편향을 셌습니다.",
                "`use_bias=False`인 합성곱에는 편향이 없습니다.",
            ),
            (
                kernel + 2 * 64,
                "BN 층의 이동 평균과 이동 분산을 빼고 셌습니다.",
                "이동 평균·이동 분산도 층의 가중치이고 `count_params()`에 들어갑니다. 다만 훈련되지는 않습니다.",
            ),
            (
                kernel,
                "BN 층의 파라미터를 세지 않았습니다.",
                "BN 층은 채널마다 gamma, beta, 이동 평균, 이동 분산을 가집니다.",
            ),
            (
                3 * 3 * 64 + bn,
                "합성곱 커널을 입력 채널 하나로 셌습니다.",
                "커널 하나는 3×3×(입력 채널 수)입니다.",
            ),
        ],
        (
            "전체 파라미터 수가 다릅니다.",
            "합성곱 커널 3×3×32×64에 BN 층의 채널마다 가중치 4개를 더하세요.",
        ),
    )
    _match(
        trainable,
        kernel + 2 * 64,
        [
            (
                kernel + bn,
                "훈련되는 수에 이동 평균·이동 분산을 넣었습니다.",
                "이동 통계는 경사 하강법이 아니라 이동 평균 공식으로만 바뀝니다.",
            ),
            (
                kernel,
                "gamma와 beta를 훈련되지 않는다고 보았습니다.",
                "gamma와 beta는 경사 하강법으로 훈련됩니다.",
            ),
        ],
        (
            "훈련되는 파라미터 수가 다릅니다.",
            "합성곱 커널과 BN의 gamma·beta가 훈련됩니다.",
        ),
    )
    return "편향을 뺀 대신 beta가 그 역할을 맡습니다."


@_check("`answer = (출력의 평균, 출력의 표준 편차)`처럼 수 두 개를 적으세요.")
def check_ch4_inference_mode(answer, measured):
    """예측 문제: 새 BN 층에 평균 3, 표준 편차 5인 값을 training=False로 넣었을 때 출력의 평균과 표준 편차."""
    mean, std = (_number(v) for v in _pair(answer))
    measured_mean, measured_std = (float(v) for v in measured)
    mean_ok = abs(mean - measured_mean) <= 0.05
    std_ok = abs(std - measured_std) <= 0.05
    if mean_ok and std_ok:
        return "새 층의 이동 통계는 평균 0, 분산 1이라서 추론 모드 출력은 입력과 거의 같습니다."
    if _close(mean, 0.0) and _close(std, 1.0):
        _wrong(
            "훈련 모드처럼 배치의 통계로 정규화된다고 보았습니다.",
            "`training=False`(추론 모드)는 배치의 평균·분산이 아니라 이동 평균·이동 분산을 씁니다. 새 층의 값은 얼마일까요?",
        )
    if not mean_ok:
        _wrong(
            "출력의 평균이 측정과 다릅니다.",
            "이동 평균의 초깃값은 0입니다. 무엇을 빼게 될까요?",
        )
    _wrong(
        "출력의 표준 편차가 측정과 다릅니다.",
        "이동 분산의 초깃값은 1입니다. 무엇으로 나누게 될까요?",
    )
