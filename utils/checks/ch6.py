"""The checks of chapter 6's exercises (6장: Xception과 깊이별 분리 합성곱)."""

from __future__ import annotations

from .core import (
    _check,
    _close,
    _layers_of,
    _match,
    _number,
    _pair,
    _producer,
    _wrong,
)

__all__ = [
    "check_ch6_separable_cost",
    "check_ch6_kernel_size",
    "check_ch6_xception_block",
]


@_check("`answer = (파라미터 수, 곱셈-덧셈 횟수)`처럼 정수 두 개를 적으세요.")
def check_ch6_separable_cost(answer):
    """연습 문제: 16×16×32 입력, SeparableConv2D(64, 5, padding="same")의 파라미터 수와 곱셈-덧셈(MAC) 횟수."""
    params, macs = (_number(v) for v in _pair(answer))
    h = w = 16
    k, c_in, c_out = 5, 32, 64
    depthwise, pointwise = k * k * c_in, c_in * c_out
    _match(
        params,
        depthwise + pointwise + c_out,
        [
            (
                depthwise + pointwise,
                "편향이 빠졌습니다.",
                "`SeparableConv2D`는 점별 합성곱 쪽에 출력 채널마다 편향이 있습니다.",
            ),
            (
                k * k * c_in * c_out + c_out,
                "일반 `Conv2D`의 파라미터를 셌습니다.",
                "깊이별 커널(k×k×C_in)과 점별 커널(C_in×C_out)을 따로 세세요.",
            ),
            (
                k * k * c_in * c_out,
                "일반 `Conv2D`의 커널을 셌습니다.",
                "깊이별 커널(k×k×C_in)과 점별 커널(C_in×C_out)을 따로 세세요.",
            ),
            (
                depthwise + pointwise + c_in + c_out,
                "깊이별 합성곱에도 편향을 셌습니다.",
                "편향은 점별 합성곱 쪽에만 있습니다.",
            ),
            (
                3 * 3 * c_in + pointwise + c_out,
                "3×3 커널로 셌습니다.",
                "이 문제의 커널은 5×5입니다.",
            ),
        ],
        ("파라미터 수가 다릅니다.", "k·k·C_in + C_in·C_out + C_out입니다."),
    )
    _match(
        macs,
        h * w * (depthwise + pointwise),
        [
            (
                h * w * k * k * c_in * c_out,
                "일반 `Conv2D`의 곱셈-덧셈 횟수입니다.",
                "깊이별 단계와 점별 단계의 횟수를 따로 구해 더하세요.",
            ),
            (
                h * w * (depthwise + pointwise + c_out),
                "곱셈-덧셈에 편향을 넣었습니다.",
                "편향 덧셈은 곱셈-덧셈 횟수에 넣지 않습니다.",
            ),
            (
                depthwise + pointwise,
                "출력 위치 하나의 횟수만 셌습니다.",
                "출력 특성 맵의 위치(H×W)마다 같은 계산을 합니다.",
            ),
            (
                h * w * depthwise * pointwise,
                "두 단계의 횟수를 곱했습니다.",
                "두 단계는 차례로 하므로 횟수를 더합니다.",
            ),
        ],
        (
            "곱셈-덧셈 횟수가 다릅니다.",
            'H·W·(k·k·C_in + C_in·C_out)입니다. `padding="same"`이라 출력도 16×16입니다.',
        ),
    )
    return "같은 모양의 일반 합성곱보다 파라미터와 곱셈-덧셈 모두 17배쯤 적습니다."


@_check(
    "`answer = (분리 합성곱이 늘어나는 배수, 일반 합성곱이 늘어나는 배수)`처럼 수 두 개를 적으세요."
)
def check_ch6_kernel_size(answer, measured):
    """예측 문제: 64 → 128 채널에서 커널을 3×3에서 5×5로 키울 때 파라미터가 몇 배가 되나 (분리, 일반)."""
    separable, regular = (_number(v) for v in _pair(answer))
    measured_separable, measured_regular = (float(v) for v in measured)
    if (
        abs(separable - measured_separable) <= 0.02
        and abs(regular - measured_regular) <= 0.02
    ):
        return "분리 합성곱의 파라미터는 대부분 커널 크기와 무관한 점별(1×1) 합성곱에 있습니다."
    if abs(regular - measured_regular) > 0.02:
        if _close(regular, 5 / 3, 1e-2):
            _wrong(
                "일반 합성곱의 배수가 다릅니다. 커널 한 변의 비만 썼습니다.",
                "커널의 넓이는 k×k이므로 변의 비를 제곱해야 합니다.",
            )
        _wrong(
            "일반 합성곱의 배수가 측정과 다릅니다.",
            "일반 합성곱의 파라미터는 거의 다 k·k·C_in·C_out 커널입니다.",
        )
    if _close(separable, 25 / 9, 1e-2) or abs(separable - measured_regular) <= 0.02:
        _wrong(
            "분리 합성곱도 일반 합성곱과 같은 배수로 늘어난다고 보았습니다.",
            "점별(1×1) 합성곱의 파라미터 C_in·C_out은 커널 크기와 상관이 없습니다.",
        )
    if _close(separable, 1.0, 1e-2):
        _wrong(
            "분리 합성곱의 파라미터가 그대로라고 보았습니다.",
            "깊이별 커널 k·k·C_in은 커널 크기에 따라 늘어납니다.",
        )
    _wrong(
        "분리 합성곱의 배수가 측정과 다릅니다.",
        "3×3일 때와 5×5일 때의 k·k·C_in + C_in·C_out + C_out을 각각 구해 나누세요.",
    )


@_check(
    "`xception_block(x, filters)`는 케라스 텐서를 받아 케라스 텐서를 돌려주는 함수여야 합니다."
)
def check_ch6_xception_block(answer):
    """연습 문제: 미니 Xception의 블록 ``xception_block(x, filters)`` (BN → ReLU → SeparableConv2D ×2, 풀링, 잔차)."""
    import keras
    from keras import layers

    if not callable(answer):
        _wrong(
            "답이 함수가 아닙니다.",
            "`def xception_block(x, filters):`를 정의하고 `answer = xception_block`으로 두세요.",
        )
    inputs = keras.Input(shape=(16, 16, 32))
    try:
        outputs = answer(inputs, 64)
    except Exception:  # noqa: BLE001
        _wrong(
            "블록을 만들다가 오류가 났습니다. 더하는 두 텐서의 모양이 다를 때 나는 오류일 수 있습니다.",
            '잔차는 보폭 2의 1×1 `Conv2D`로 채널 수와 가로·세로를 함께 맞춥니다. 풀링과 같은 `padding="same"`도 잊지 마세요.',
        )
    model = keras.Model(inputs, outputs)
    separables = _layers_of(model, layers.SeparableConv2D)
    if len(separables) != 2:
        _wrong(
            "`SeparableConv2D` 층이 두 개가 아닙니다.",
            "블록은 BN → ReLU → SeparableConv2D를 두 번 되풀이합니다.",
        )
    if any(layer.use_bias for layer in separables):
        _wrong(
            "`SeparableConv2D`에 편향이 있습니다.",
            "뒤에 배치 정규화가 오는 합성곱은 `use_bias=False`로 만듭니다.",
        )
    for layer in separables:
        before = _producer(layer.input)
        if not (
            isinstance(before, (layers.Activation, layers.ReLU))
            and isinstance(_producer(before.input), layers.BatchNormalization)
        ):
            _wrong(
                "분리 합성곱 앞의 순서가 다릅니다.",
                '각 `SeparableConv2D` 바로 앞에는 BatchNormalization → Activation("relu") 순서가 와야 합니다.',
            )
    if not _layers_of(model, layers.Add):
        _wrong(
            "`Add` 층이 없습니다. 잔차 연결이 빠졌습니다.",
            "블록의 입력을 1×1 합성곱으로 모양을 맞춰 `layers.add`로 더하세요.",
        )
    if tuple(outputs.shape[1:]) != (8, 8, 64):
        _wrong(
            "블록 출력의 모양이 다릅니다.",
            '블록 끝의 최대 풀링(`MaxPooling2D(3, strides=2, padding="same")`)이 가로·세로를 절반으로 줄입니다.',
        )
    return "미니 Xception의 블록 다섯 개가 모두 이 모양입니다."
