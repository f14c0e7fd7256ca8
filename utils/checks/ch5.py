"""The checks of chapter 5's exercises (5장: 미세 조정과 배치 정규화)."""

from __future__ import annotations

import numpy as np

from .core import (
    _boolean,
    _check,
    _layers_of,
    _match,
    _number,
    _pair,
    _wrong,
)

__all__ = [
    "check_ch5_unfreeze_top",
    "check_ch5_frozen_statistics",
    "check_ch5_trainable_counts",
]


def _small_base():
    import keras
    from keras import layers

    keras.utils.set_random_seed(0)
    inputs = keras.Input(shape=(8, 8, 3))
    x = inputs
    for block, filters in ((1, 4), (2, 8)):
        x = layers.Conv2D(
            filters, 3, padding="same", use_bias=False, name=f"block{block}_conv"
        )(x)
        x = layers.BatchNormalization(name=f"block{block}_bn")(x)
        x = layers.Activation("relu", name=f"block{block}_relu")(x)
    base = keras.Model(inputs, x, name="base")
    base.trainable = False  # 1단계(헤드 훈련)가 끝난 상태
    return base


@_check(
    "`unfreeze_top(base)`는 기반 모델을 받아 그 층들의 `trainable`을 바꾸는 함수여야 합니다."
)
def check_ch5_unfreeze_top(answer):
    """연습 문제: 위쪽 블록(block2_)의 합성곱만 풀고 모든 BN 층은 동결하는 ``unfreeze_top(base)``."""
    from keras import layers

    if not callable(answer):
        _wrong(
            "답이 함수가 아닙니다.",
            "`def unfreeze_top(base):`를 정의하고 `answer = unfreeze_top`으로 두세요.",
        )
    base = _small_base()
    answer(base)
    trainable = {layer.name: layer.trainable for layer in base.layers}
    trained_weights = {id(w) for w in base.trainable_weights}
    conv2 = base.get_layer("block2_conv")
    if id(conv2.kernel) not in trained_weights:
        if not base.trainable:
            _wrong(
                "기반 모델 자체가 아직 `trainable=False`라서 block2_conv가 훈련되지 않습니다.",
                "먼저 `base.trainable = True`로 모델을 풀고, 그다음 층마다 `trainable`을 정하세요.",
            )
        _wrong(
            "위쪽 블록의 합성곱(block2_conv)이 훈련되지 않습니다.",
            "block2_로 시작하는 합성곱 층의 `trainable`을 True로 두세요.",
        )
    if trainable["block1_conv"]:
        _wrong(
            "아래쪽 블록의 합성곱(block1_conv)까지 풀었습니다.",
            "아래쪽 블록은 어느 과제에나 쓰이는 특성을 뽑으므로 동결한 채 둡니다.",
        )
    stats = {
        layer.name: [
            v.numpy().copy() for v in (layer.moving_mean, layer.moving_variance)
        ]
        for layer in _layers_of(base, layers.BatchNormalization)
    }
    images = (
        np.random.default_rng(0).normal(3.0, 2.0, size=(4, 8, 8, 3)).astype("float32")
    )
    base(images, training=True)  # fit() 안에서처럼 훈련 모드로 호출
    for layer in _layers_of(base, layers.BatchNormalization):
        moved = any(
            not np.array_equal(v.numpy(), old)
            for v, old in zip(
                (layer.moving_mean, layer.moving_variance), stats[layer.name]
            )
        )
        if moved or layer.trainable:
            _wrong(
                f"BN 층({layer.name})이 아직 훈련 모드입니다. 훈련 중에 이동 통계가 바뀝니다.",
                "BN 층은 `isinstance(layer, layers.BatchNormalization)`으로 찾아 `trainable=False`로 두세요. "
                "케라스에서 `trainable=False`인 BN 층은 추론 모드로 돕니다.",
            )
    return "위쪽 합성곱만 훈련되고, 모든 BN 층은 추론 모드로 이동 통계를 지킵니다."


@_check(
    "`answer = (기반 동결, 기반 해제, 기반 해제·BN만 동결)` 순서로 True/False 세 개를 적으세요."
)
def check_ch5_frozen_statistics(answer, measured):
    """예측 문제: 세 설정에서 몇 스텝 훈련한 뒤 BN 층의 이동 통계가 바뀌는가."""
    names = ("기반 동결", "기반 해제", "기반 해제·BN만 동결")
    predicted = [_boolean(v, name) for v, name in zip(_pair(answer, 3), names)]
    hints = {
        "기반 동결": "`trainable=False`인 모델 안의 BN 층은 `fit()` 안에서도 추론 모드로 돕니다.",
        "기반 해제": "풀린 BN 층은 훈련 중에 배치 통계로 정규화하고, 그때마다 이동 통계를 갱신합니다.",
        "기반 해제·BN만 동결": "기반을 풀어도 BN 층 자신의 `trainable`이 False이면 그 층은 추론 모드입니다.",
    }
    for name, guess, truth in zip(names, predicted, (bool(v) for v in measured)):
        if guess != truth:
            _wrong(f"'{name}' 설정의 예측이 측정과 다릅니다.", hints[name])
    return "이동 통계는 BN 층 자신이 풀려 있을 때만 바뀝니다."


@_check("`answer = (기반 동결일 때, BN만 동결일 때)`처럼 정수 두 개를 적으세요.")
def check_ch5_trainable_counts(answer):
    """연습 문제: Conv2D(8, 3, use_bias=False) + BN(8) 기반과 Dense(1) 헤드의 훈련되는 파라미터 수 (두 설정)."""
    frozen, bn_frozen = (_number(v) for v in _pair(answer))
    conv, gamma_beta, moving, head = 3 * 3 * 3 * 8, 2 * 8, 2 * 8, 8 + 1
    _match(
        frozen,
        head,
        [
            (
                0,
                "헤드까지 동결했습니다.",
                "동결한 것은 기반뿐이고, 새 헤드(Dense)는 훈련됩니다.",
            ),
            (
                head + gamma_beta,
                "기반을 동결했는데 BN의 gamma·beta를 셌습니다.",
                "기반 모델의 `trainable=False`는 그 안의 모든 층에 적용됩니다.",
            ),
            (
                head + conv + gamma_beta,
                "기반 동결인데 기반의 가중치를 셌습니다.",
                "동결된 기반의 가중치는 하나도 훈련되지 않습니다.",
            ),
        ],
        (
            "기반 동결일 때의 값이 다릅니다.",
            "훈련되는 것은 헤드뿐입니다. Dense(1)의 입력은 채널 8개입니다.",
        ),
    )
    _match(
        bn_frozen,
        head + conv,
        [
            (
                head + conv + gamma_beta,
                "BN만 동결했는데 gamma·beta를 셌습니다.",
                "동결된 BN 층은 gamma와 beta도 훈련하지 않습니다.",
            ),
            (
                head + conv + gamma_beta + moving,
                "이동 통계까지 셌습니다.",
                "이동 평균·이동 분산은 어떤 설정에서도 훈련되는 가중치가 아닙니다.",
            ),
            (
                head,
                "합성곱을 세지 않았습니다.",
                "기반을 풀었으므로 합성곱 커널(3×3×3×8)은 훈련됩니다.",
            ),
        ],
        (
            "BN만 동결일 때의 값이 다릅니다.",
            "합성곱 커널과 헤드가 훈련되고, BN 층의 가중치는 하나도 훈련되지 않습니다.",
        ),
    )
    return "`model.trainable_weights`로 세어 봐도 같은 값입니다."
