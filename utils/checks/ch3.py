"""The checks of chapter 3's exercises (3장: 잔차 연결)."""

from __future__ import annotations

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
    "check_ch3_residual_block",
    "check_ch3_projection_params",
    "check_ch3_odd_size",
    "check_ch3_vanishing",
]


@_check(
    "`residual_block(x, filters, pooling=False)`는 케라스 텐서를 받아 케라스 텐서를 돌려주는 함수여야 합니다."
)
def check_ch3_residual_block(answer):
    """연습 문제: 세 경우 모두 모양이 맞는 잔차 블록 함수 ``residual_block(x, filters, pooling=False)``."""
    import keras
    from keras import layers

    if not callable(answer):
        _wrong(
            "답이 함수가 아닙니다.",
            "`def residual_block(x, filters, pooling=False):`로 함수를 정의하고 `answer = residual_block`으로 두세요.",
        )
    cases = [(32, 32, False), (32, 64, False), (32, 64, True)]
    for channels, filters, pooling in cases:
        case = f"입력 채널 {channels}, filters={filters}, pooling={pooling}인 경우"
        inputs = keras.Input(shape=(16, 16, channels))
        try:
            outputs = answer(inputs, filters, pooling=pooling)
        except Exception:  # noqa: BLE001
            hint = (
                "풀링으로 가로·세로가 절반이 되면 잔차 쪽 1×1 합성곱에도 `strides=2`를 주세요."
                if pooling
                else "필터 수가 바뀌면 잔차에 1×1 합성곱을 적용해 채널 수를 맞추세요."
            )
            _wrong(
                f"{case}: 블록을 만들다가 오류가 났습니다. 더하는 두 텐서의 모양이 다를 때 나는 오류일 수 있습니다.",
                hint,
            )
        expected = (8 if pooling else 16, 8 if pooling else 16, filters)
        got = tuple(outputs.shape[1:])
        if got != expected:
            if got[:2] != expected[:2]:
                _wrong(
                    f"{case}: 블록 출력의 가로·세로가 다릅니다.",
                    '본 경로의 합성곱은 `padding="same"`으로 크기를 지키고, 줄이는 것은 `pooling=True`일 때의 최대 풀링뿐입니다.',
                )
            _wrong(
                f"{case}: 블록 출력의 채널 수가 다릅니다.",
                "블록의 출력 채널은 `filters`개여야 합니다.",
            )
        model = keras.Model(inputs, outputs)
        if not _layers_of(model, layers.Add):
            _wrong(
                f"{case}: `Add` 층이 없습니다. 잔차 연결이 빠졌습니다.",
                "블록의 입력(잔차)을 `layers.add([x, residual])`로 출력에 더하세요.",
            )
        if (
            channels == filters
            and not pooling
            and len(_layers_of(model, layers.Conv2D)) > 2
        ):
            _wrong(
                f"{case}: 모양이 이미 같은데 잔차에도 합성곱을 적용했습니다.",
                "모양이 같을 때는 잔차를 그대로 더합니다.",
            )
    return "세 경우 모두 모양이 맞고 `Add`로 잔차를 더합니다."


@_check("파라미터 수는 정수 하나입니다.")
def check_ch3_projection_params(answer):
    """연습 문제: 강의의 작은 잔차 모델에서 잔차 쪽 1×1 합성곱들이 더하는 파라미터 수."""
    projections = [(3, 32), (32, 64), (64, 128)]
    with_bias = sum(c_in * c_out + c_out for c_in, c_out in projections)
    _match(
        answer,
        with_bias,
        [
            (
                0,
                "잔차 연결에 파라미터가 없다고 답했습니다.",
                "모양이 다른 블록에서는 잔차에 1×1 합성곱을 적용합니다. 그 층에 가중치가 있습니다.",
            ),
            (
                sum(c_in * c_out for c_in, c_out in projections),
                "편향이 빠졌습니다.",
                "1×1 `Conv2D`에도 출력 채널마다 편향이 하나 있습니다.",
            ),
            (
                sum(c_in * c_out + c_out for c_in, c_out in projections[:2]),
                "세 번째 블록을 빠뜨렸습니다.",
                "세 번째 블록은 풀링이 없지만 필터 수가 64에서 128로 바뀝니다.",
            ),
            (
                sum(9 * c_in * c_out + c_out for c_in, c_out in projections),
                "3×3 커널로 셌습니다.",
                "모양을 맞추는 합성곱은 1×1입니다.",
            ),
        ],
        (
            "값이 다릅니다.",
            "블록마다 입력 채널과 출력 채널을 적고, 1×1 합성곱의 파라미터(입력 × 출력 + 편향)를 더하세요.",
        ),
    )
    return "잔차 연결은 모양이 다른 곳에서만 작은 1×1 합성곱의 비용을 더합니다."


@_check("`answer = (본 경로의 가로, 잔차 경로의 가로)`처럼 정수 두 개를 적으세요.")
def check_ch3_odd_size(answer, measured):
    """예측 문제: 15×15 특성 맵에 MaxPooling2D(2)(padding="valid")와 1×1 Conv2D(strides=2)를 적용한 가로 크기."""
    answer = tuple(int(_number(v)) for v in _pair(answer))
    measured = tuple(int(v) for v in measured)
    if answer == measured:
        return (
            '두 크기가 달라 더할 수 없습니다. 그래서 강의의 블록은 풀링에 `padding="same"`을 씁니다.'
            if measured[0] != measured[1]
            else ""
        )
    if answer[1] != measured[1]:
        _wrong(
            "잔차 경로(1×1, strides=2)의 크기가 다릅니다.",
            "보폭 2의 1×1 합성곱은 0, 2, 4, … 번째 칸마다 값을 하나씩 냅니다. 15칸에서 몇 개일까요?",
        )
    _wrong(
        "본 경로(최대 풀링)의 크기가 다릅니다.",
        '`padding="valid"`인 2×2 풀링은 창이 다 들어가는 자리에서만 값을 냅니다. 남는 한 줄은 어떻게 될까요?',
    )


@_check(
    "`answer = (일반 스택에서 소실되는가, 잔차 스택에서 소실되는가)`처럼 True/False 두 개를 적으세요."
)
def check_ch3_vanishing(answer, measured):
    """예측 문제: 시그모이드 20층 스택에서 첫 층의 그레이디언트가 마지막 층의 1/1000보다 작아지는가 (일반, 잔차)."""
    plain, residual = (
        _boolean(v, name) for v, name in zip(_pair(answer), ("일반 스택", "잔차 스택"))
    )
    measured_plain, measured_residual = (bool(v) for v in measured)
    if plain != measured_plain:
        _wrong(
            "일반 스택에 대한 예측이 측정과 다릅니다.",
            "시그모이드의 미분값은 0.25를 넘지 않습니다. 역전파는 층마다 이 값을 곱합니다. 20번 곱하면?",
        )
    if residual != measured_residual:
        _wrong(
            "잔차 스택에 대한 예측이 측정과 다릅니다.",
            "`x + f(x)`의 미분은 `1 + f'(x)`입니다. 지름길이 미분값 1의 통로가 됩니다.",
        )
    return "지름길이 없으면 그레이디언트가 층마다 줄고, 지름길이 있으면 앞쪽 층까지 전달됩니다."
