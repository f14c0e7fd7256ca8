"""Tests for utils/checks/: every check accepts its worked solution, rejects typical wrong
answers with the intended feedback, reports a blank as unanswered, and never raises."""

import math

import keras
import numpy as np
import pytest
from keras import layers

from utils import checks
from utils.checks import ch4, ch7

BLANK = "아직 답하지 않았습니다"


def correct(result):
    assert result.ok is True, result.message
    assert result.message.startswith("정답입니다")


def wrong(result, *phrases):
    assert result.ok is False, result.message
    assert result.message.startswith("아직 아닙니다") or "오류" in result.message
    assert "힌트:" in result.message
    for phrase in phrases:
        assert phrase in result.message, result.message


# --- common behaviour ----------------------------------------------------------------------


def test_feedback_is_printed_and_returned(capsys):
    result = checks.check_ch1_box_iou(1 / 7)
    assert capsys.readouterr().out == result.message + "\n"
    assert result.ok is True


def test_every_check_reports_a_blank_as_unanswered(capsys):
    for name in checks.__all__:
        if not name.startswith("check_"):
            continue
        result = (
            getattr(checks, name)(None, None)
            if "measured" in getattr(checks, name).__code__.co_varnames
            else getattr(checks, name)(None)
        )
        assert result.ok is None, name
        assert result.message.startswith(BLANK), name
    assert capsys.readouterr().out.count(BLANK) == len(
        [n for n in checks.__all__ if n.startswith("check_")]
    )


@pytest.mark.parametrize(
    "garbage", ["모르겠어요", 3, [1, 2], {"a": 1}, object(), lambda *a, **k: 1 / 0]
)
def test_no_answer_makes_a_check_raise(garbage):
    for name in checks.__all__:
        if not name.startswith("check_"):
            continue
        check = getattr(checks, name)
        measured = {
            "check_ch1_flipped_box": [0.6, 0.3, 0.9, 0.7],
            "check_ch1_flatten_params": 524292,
            "check_ch2_updates_per_epoch": [7, 2],
            "check_ch3_odd_size": (7, 8),
            "check_ch3_vanishing": [True, False],
            "check_ch4_moving_stats": (0.02, 0.9904),
            "check_ch4_inference_mode": (3.0, 5.0),
            "check_ch5_frozen_statistics": [False, True, False],
            "check_ch6_kernel_size": (1.115, 2.775),
            "check_ch7_cam_resolution": (16, 64),
        }
        result = check(garbage, measured[name]) if name in measured else check(garbage)
        assert result.ok is False, (name, result.message)
        assert "힌트:" in result.message
        assert "0x" not in result.message, (
            "feedback must not depend on the machine (memory addresses)"
        )


def test_a_feedback_on_a_cells_last_line_is_not_displayed_twice():
    assert hasattr(checks.Feedback(True, "x"), "_ipython_display_")


# --- 1장 ----------------------------------------------------------------------------------


def test_ch1_head_shapes():
    correct(checks.check_ch1_head_shapes(((37,), (128, 128, 3), (4,))))
    wrong(
        checks.check_ch1_head_shapes(((None, 37), (None, 128, 128, 3), (None, 4))),
        "배치 축",
    )
    wrong(
        checks.check_ch1_head_shapes(((37,), (128, 128), (4,))),
        "클래스 축이 빠졌습니다",
    )
    wrong(
        checks.check_ch1_head_shapes(((37,), (16, 16, 3), (4,))), "입력 사진과 다릅니다"
    )
    wrong(checks.check_ch1_head_shapes(((2,), (128, 128, 3), (4,))), "분류 헤드")


def test_ch1_box_iou():
    correct(checks.check_ch1_box_iou(0.04 / 0.28))
    wrong(checks.check_ch1_box_iou(0.25), "한 상자의 넓이로")
    wrong(checks.check_ch1_box_iou(0.125), "두 상자 넓이의 합")
    wrong(checks.check_ch1_box_iou(0.04), "교집합의 넓이만")
    wrong(checks.check_ch1_box_iou(0.3), "값이 다릅니다")


def test_ch1_flipped_box():
    measured = [0.6, 0.3, 0.9, 0.7]
    correct(checks.check_ch1_flipped_box([1 - 0.4, 0.3, 1 - 0.1, 0.7], measured))
    wrong(
        checks.check_ch1_flipped_box([0.9, 0.3, 0.6, 0.7], measured),
        "xmin이 xmax보다 큽니다",
    )
    wrong(
        checks.check_ch1_flipped_box([0.6, 0.3, 0.9, 0.3], measured),
        "y좌표가 바뀌었습니다",
    )
    wrong(checks.check_ch1_flipped_box([0.1, 0.3, 0.4, 0.7], measured), "x좌표가")


def test_ch1_flatten_params():
    measured = 32 * 32 * 128 * 4 + 4
    correct(checks.check_ch1_flatten_params(524_292, measured))
    wrong(checks.check_ch1_flatten_params(131_076, measured), "바꾸기 전과 같은 값")
    wrong(checks.check_ch1_flatten_params(262_148, measured), "두 배만")
    wrong(checks.check_ch1_flatten_params(524_288, measured), "편향이 빠졌습니다")


# --- 2장 ----------------------------------------------------------------------------------


def test_ch2_transpose_shapes():
    correct(checks.check_ch2_transpose_shapes(((50, 50, 128), (51, 51, 128))))
    wrong(
        checks.check_ch2_transpose_shapes(((50, 50, 256), (51, 51, 256))),
        "채널 수",
        "필터 수",
    )
    wrong(
        checks.check_ch2_transpose_shapes(((50, 50, 128), (50, 50, 128))),
        "한 칸 어긋났습니다",
    )
    wrong(
        checks.check_ch2_transpose_shapes(((None, 50, 50, 128), (None, 51, 51, 128))),
        "배치 축",
    )
    wrong(
        checks.check_ch2_transpose_shapes(((25, 25, 128), (51, 51, 128))),
        'padding="same"의 가로·세로',
    )


def test_ch2_updates_per_epoch():
    measured = [7, 2]
    correct(
        checks.check_ch2_updates_per_epoch(
            (math.ceil(100 / 16), math.ceil(100 / 64)), measured
        )
    )
    wrong(checks.check_ch2_updates_per_epoch((6, 1), measured), "나머지를 버렸습니다")
    wrong(checks.check_ch2_updates_per_epoch((16, 64), measured), "갱신 횟수가 아니라")
    wrong(checks.check_ch2_updates_per_epoch((2, 7), measured), "배치가 큰 쪽")


def test_ch2_mask_iou():
    correct(checks.check_ch2_mask_iou(4 / 6))
    wrong(checks.check_ch2_mask_iou(14 / 16), "픽셀 정확도")
    wrong(checks.check_ch2_mask_iou(10 / 12), "배경의 IoU")
    wrong(checks.check_ch2_mask_iou(0.8), "Dice")
    wrong(checks.check_ch2_mask_iou(4), "교집합의 픽셀 수만")


def test_ch2_background_baseline():
    correct(checks.check_ch2_background_baseline((10 / 16, 10 / 48)))
    wrong(checks.check_ch2_background_baseline((10 / 16, 10 / 16)), "평균에 들어갑니다")
    wrong(checks.check_ch2_background_baseline((10 / 16, 10 / 32)), "두 클래스")
    wrong(checks.check_ch2_background_baseline((6 / 16, 10 / 48)), "배경이 아닌 픽셀")


def test_ch2_background_baseline_agrees_with_keras_metrics():
    trimap = np.array([[1, 1, 1, 1], [1, 1, 2, 1], [1, 0, 0, 2], [1, 0, 0, 1]])
    metric = keras.metrics.MeanIoU(num_classes=3)
    metric.update_state(trimap, np.ones_like(trimap))
    correct(
        checks.check_ch2_background_baseline(
            (np.mean(trimap == 1), float(metric.result()))
        )
    )


# --- 3장 ----------------------------------------------------------------------------------


def lecture_block(x, filters, pooling=False):
    residual = x
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(filters, 3, activation="relu", padding="same")(x)
    if pooling:
        x = layers.MaxPooling2D(2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2)(residual)
    elif filters != residual.shape[-1]:
        residual = layers.Conv2D(filters, 1)(residual)
    return layers.add([x, residual])


def test_ch3_residual_block():
    correct(checks.check_ch3_residual_block(lecture_block))

    def no_projection(x, filters, pooling=False):
        residual = x
        x = layers.Conv2D(filters, 3, padding="same")(x)
        if pooling:
            x = layers.MaxPooling2D(2, padding="same")(x)
        return layers.add([x, residual])

    def no_strides(x, filters, pooling=False):
        residual = x
        x = layers.Conv2D(filters, 3, padding="same")(x)
        if pooling:
            x = layers.MaxPooling2D(2, padding="same")(x)
        if filters != residual.shape[-1] or pooling:
            residual = layers.Conv2D(filters, 1)(residual)
        return layers.add([x, residual])

    def no_residual(x, filters, pooling=False):
        x = layers.Conv2D(filters, 3, padding="same")(x)
        return layers.MaxPooling2D(2, padding="same")(x) if pooling else x

    wrong(
        checks.check_ch3_residual_block(no_projection),
        "filters=64, pooling=False",
        "1×1 합성곱",
    )
    wrong(checks.check_ch3_residual_block(no_strides), "pooling=True", "strides=2")
    wrong(checks.check_ch3_residual_block(no_residual), "`Add` 층이 없습니다")
    wrong(checks.check_ch3_residual_block("residual_block"), "함수가 아닙니다")


def test_ch3_projection_params():
    correct(checks.check_ch3_projection_params(128 + 2_112 + 8_320))
    wrong(checks.check_ch3_projection_params(0), "파라미터가 없다고")
    wrong(checks.check_ch3_projection_params(96 + 2_048 + 8_192), "편향이 빠졌습니다")
    wrong(checks.check_ch3_projection_params(128 + 2_112), "세 번째 블록")


def test_ch3_odd_size():
    inputs = keras.Input(shape=(15, 15, 32))
    measured = (
        layers.MaxPooling2D(2)(inputs).shape[1],
        layers.Conv2D(32, 1, strides=2)(inputs).shape[1],
    )
    assert measured == (7, 8)
    correct(checks.check_ch3_odd_size((7, 8), measured))
    wrong(checks.check_ch3_odd_size((8, 8), measured), "본 경로", "남는 한 줄")
    wrong(checks.check_ch3_odd_size((7, 7), measured), "잔차 경로")


def test_ch3_vanishing():
    measured = [True, False]
    correct(checks.check_ch3_vanishing((True, False), measured))
    wrong(checks.check_ch3_vanishing((False, False), measured), "일반 스택", "0.25")
    wrong(checks.check_ch3_vanishing((True, True), measured), "잔차 스택", "1 + f'(x)")
    wrong(checks.check_ch3_vanishing(("예", "아니요"), measured), "True")


# --- 4장 ----------------------------------------------------------------------------------


def bn_forward(x, gamma, beta, epsilon):
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta


def test_ch4_bn_forward():
    correct(checks.check_ch4_bn_forward(bn_forward))
    wrong(
        checks.check_ch4_bn_forward(
            lambda x, g, b, e: g * (x - x.mean()) / np.sqrt(x.var() + e) + b
        ),
        "채널마다",
    )
    wrong(
        checks.check_ch4_bn_forward(
            lambda x, g, b, e: (
                g
                * (x - x.mean((1, 2), keepdims=True))
                / np.sqrt(x.var((1, 2), keepdims=True) + e)
                + b
            )
        ),
        "사진마다",
    )
    wrong(
        checks.check_ch4_bn_forward(lambda x, g, b, e: bn_forward(x, g, b, 0.0)),
        "epsilon",
    )
    wrong(
        checks.check_ch4_bn_forward(lambda x, g, b, e: bn_forward(x, 1.0, 0.0, e)),
        "gamma와 beta",
    )
    wrong(
        checks.check_ch4_bn_forward(lambda x, g, b, e: x.mean(axis=(0, 1, 2))),
        "모양이 입력과 다릅니다",
    )


def test_ch4_bn_forward_matches_keras():
    x, gamma, beta, eps = ch4._bn_test_input()
    bn = layers.BatchNormalization(epsilon=eps)
    bn.build(x.shape)
    bn.gamma.assign(gamma)
    bn.beta.assign(beta)
    assert np.allclose(
        bn(x.astype("float32"), training=True),
        bn_forward(x, gamma, beta, eps),
        atol=1e-4,
    )


def test_ch4_moving_stats():
    batch = np.array([1.8, 2.2] * 8, dtype="float32").reshape(4, 2, 2, 1)
    bn = layers.BatchNormalization()
    bn(batch, training=True)
    measured = (float(bn.moving_mean.numpy()[0]), float(bn.moving_variance.numpy()[0]))
    correct(checks.check_ch4_moving_stats((0.01 * 2.0, 0.99 + 0.01 * 0.04), measured))
    wrong(checks.check_ch4_moving_stats((2.0, 0.04), measured), "바로 바뀐다고")
    wrong(checks.check_ch4_moving_stats((1.98, 0.0496), measured), "반대로")
    wrong(checks.check_ch4_moving_stats((0.02, 0.0004), measured), "초깃값을 0으로")


def test_ch4_bn_params():
    conv = layers.Conv2D(64, 3, use_bias=False)
    bn = layers.BatchNormalization()
    bn(conv(keras.Input(shape=(16, 16, 32))))
    total = conv.count_params() + bn.count_params()
    trainable = sum(
        int(np.prod(w.shape)) for w in conv.trainable_weights + bn.trainable_weights
    )
    correct(checks.check_ch4_bn_params((total, trainable)))
    wrong(checks.check_ch4_bn_params((total + 64, trainable + 64)), "합성곱의 편향")
    wrong(
        checks.check_ch4_bn_params((total, total)), "이동 평균·이동 분산을 넣었습니다"
    )
    wrong(
        checks.check_ch4_bn_params((total - 128, trainable)),
        "이동 평균과 이동 분산을 빼고",
    )


def test_ch4_inference_mode():
    z = np.random.default_rng(0).normal(size=(1000, 1))
    values = (3.0 + 5.0 * (z - z.mean()) / z.std()).astype("float32")
    out = layers.BatchNormalization()(values, training=False).numpy()
    measured = (float(out.mean()), float(out.std()))
    correct(checks.check_ch4_inference_mode((3.0, 5.0), measured))
    wrong(
        checks.check_ch4_inference_mode((0.0, 1.0), measured),
        "배치의 통계로 정규화된다고",
    )
    wrong(checks.check_ch4_inference_mode((0.0, 5.0), measured), "평균")
    wrong(checks.check_ch4_inference_mode((3.0, 1.0), measured), "표준 편차")


# --- 5장 ----------------------------------------------------------------------------------


def test_ch5_unfreeze_top():
    def solution(base):
        base.trainable = True
        for layer in base.layers:
            layer.trainable = layer.name.startswith("block2_") and not isinstance(
                layer, layers.BatchNormalization
            )

    def bn_left_trainable(base):
        base.trainable = True
        for layer in base.layers:
            layer.trainable = layer.name.startswith("block2_")

    def base_still_frozen(base):
        for layer in base.layers:
            layer.trainable = layer.name.startswith("block2_") and not isinstance(
                layer, layers.BatchNormalization
            )

    def everything(base):
        base.trainable = True
        for layer in base.layers:
            layer.trainable = not isinstance(layer, layers.BatchNormalization)

    correct(checks.check_ch5_unfreeze_top(solution))
    wrong(
        checks.check_ch5_unfreeze_top(bn_left_trainable),
        "BN 층(block2_bn)이 아직 훈련 모드",
    )
    wrong(checks.check_ch5_unfreeze_top(base_still_frozen), "`trainable=False`")
    wrong(checks.check_ch5_unfreeze_top(everything), "block1_conv")


def test_ch5_frozen_statistics():
    measured = [False, True, False]
    correct(checks.check_ch5_frozen_statistics((False, True, False), measured))
    wrong(
        checks.check_ch5_frozen_statistics((True, True, True), measured), "'기반 동결'"
    )
    wrong(
        checks.check_ch5_frozen_statistics((False, True, True), measured),
        "'기반 해제·BN만 동결'",
    )
    wrong(
        checks.check_ch5_frozen_statistics((False, False, False), measured),
        "'기반 해제'",
    )


def test_ch5_frozen_statistics_measured_in_keras():
    keras.utils.set_random_seed(0)
    images = (
        np.random.default_rng(0).normal(3.0, 2.0, size=(8, 6, 6, 3)).astype("float32")
    )
    measured = []
    for mode in ("frozen", "unfrozen", "bn_frozen"):
        base = keras.Sequential(
            [
                keras.Input(shape=(6, 6, 3)),
                layers.Conv2D(2, 3, use_bias=False),
                layers.BatchNormalization(name="bn"),
            ]
        )
        base.trainable = mode != "frozen"
        if mode == "bn_frozen":
            base.get_layer("bn").trainable = False
        before = base.get_layer("bn").moving_mean.numpy().copy()
        base(images, training=True)
        measured.append(
            not np.array_equal(before, base.get_layer("bn").moving_mean.numpy())
        )
    correct(checks.check_ch5_frozen_statistics((False, True, False), measured))


def test_ch5_trainable_counts():
    def trainable_count(mode):
        base = keras.Sequential(
            [
                keras.Input(shape=(8, 8, 3)),
                layers.Conv2D(8, 3, use_bias=False),
                layers.BatchNormalization(name="bn"),
                layers.ReLU(),
            ]
        )
        base.trainable = True
        if mode == "frozen":
            base.trainable = False
        else:
            base.get_layer("bn").trainable = False
        model = keras.Sequential(
            [base, layers.GlobalAveragePooling2D(), layers.Dense(1)]
        )
        return sum(int(np.prod(w.shape)) for w in model.trainable_weights)

    correct(
        checks.check_ch5_trainable_counts(
            (trainable_count("frozen"), trainable_count("bn_frozen"))
        )
    )
    wrong(checks.check_ch5_trainable_counts((25, 225)), "gamma·beta")
    wrong(checks.check_ch5_trainable_counts((9, 241)), "BN만 동결했는데")
    wrong(checks.check_ch5_trainable_counts((0, 225)), "헤드까지")


# --- 6장 ----------------------------------------------------------------------------------


def test_ch6_separable_cost():
    layer = layers.SeparableConv2D(64, 5, padding="same")
    layer.build((None, 16, 16, 32))
    macs = (
        16
        * 16
        * (layer.depthwise_kernel.numpy().size + layer.pointwise_kernel.numpy().size)
    )
    correct(checks.check_ch6_separable_cost((layer.count_params(), macs)))
    wrong(
        checks.check_ch6_separable_cost((layer.count_params() - 64, macs)),
        "편향이 빠졌습니다",
    )
    wrong(
        checks.check_ch6_separable_cost((5 * 5 * 32 * 64 + 64, macs)), "일반 `Conv2D`"
    )
    wrong(
        checks.check_ch6_separable_cost(
            (layer.count_params(), 16 * 16 * 5 * 5 * 32 * 64)
        ),
        "일반 `Conv2D`의 곱셈-덧셈",
    )
    wrong(
        checks.check_ch6_separable_cost((layer.count_params(), macs + 16 * 16 * 64)),
        "편향을 넣었습니다",
    )


def test_ch6_kernel_size():
    def params(layer_class, k):
        layer = layer_class(128, k, padding="same")
        layer.build((None, 8, 8, 64))
        return layer.count_params()

    measured = (
        params(layers.SeparableConv2D, 5) / params(layers.SeparableConv2D, 3),
        params(layers.Conv2D, 5) / params(layers.Conv2D, 3),
    )
    correct(checks.check_ch6_kernel_size((1.12, 2.77), measured))
    wrong(checks.check_ch6_kernel_size((2.78, 2.78), measured), "같은 배수로")
    wrong(checks.check_ch6_kernel_size((1.0, 2.78), measured), "그대로라고")
    wrong(checks.check_ch6_kernel_size((1.12, 5 / 3), measured), "제곱")


def test_ch6_xception_block():
    def block(x, filters, use_bias=False, bn_first=True, residual_strides=2):
        residual = x
        for _ in range(2):
            if bn_first:
                x = layers.BatchNormalization()(x)
                x = layers.Activation("relu")(x)
            x = layers.SeparableConv2D(filters, 3, padding="same", use_bias=use_bias)(x)
            if not bn_first:
                x = layers.BatchNormalization()(x)
                x = layers.Activation("relu")(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(
            filters, 1, strides=residual_strides, padding="same", use_bias=False
        )(residual)
        return layers.add([x, residual])

    correct(checks.check_ch6_xception_block(block))
    wrong(
        checks.check_ch6_xception_block(lambda x, f: block(x, f, use_bias=True)), "편향"
    )
    wrong(
        checks.check_ch6_xception_block(lambda x, f: block(x, f, bn_first=False)),
        "순서",
    )
    wrong(
        checks.check_ch6_xception_block(lambda x, f: block(x, f, residual_strides=1)),
        "오류",
        "보폭 2",
    )


# --- 7장 ----------------------------------------------------------------------------------


def test_ch7_activation_shapes():
    inputs = keras.Input(shape=(180, 180, 3))
    x, shapes = inputs, []
    for layer in [
        layers.Conv2D(32, 3),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3),
        layers.MaxPooling2D(2),
        layers.Conv2D(128, 3),
    ]:
        x = layer(x)
        shapes.append(x.shape[1:])
    correct(checks.check_ch7_activation_shapes(shapes))
    wrong(
        checks.check_ch7_activation_shapes(
            [(180, 180, 32), (90, 90, 32), (90, 90, 64), (45, 45, 64), (45, 45, 128)]
        ),
        "valid",
    )
    wrong(
        checks.check_ch7_activation_shapes(
            [(178, 178, 32), (89, 89, 32), (87, 87, 64), (44, 44, 64), (42, 42, 128)]
        ),
        "두 번째 풀링",
        "남는 한 줄",
    )
    wrong(
        checks.check_ch7_activation_shapes([(178, 178, 32), (89, 89, 64)]),
        "5개가 아닙니다",
    )


def test_ch7_grad_cam():
    feature_maps, grads = ch7._grad_cam_inputs()
    weights = grads.mean(axis=(0, 1))
    raw = (feature_maps * weights).sum(axis=-1)
    correct(checks.check_ch7_grad_cam(np.maximum(raw, 0)))
    correct(checks.check_ch7_grad_cam([[0.5, 0.0], [0.75, 0.5]]))
    wrong(checks.check_ch7_grad_cam(raw), "ReLU")
    wrong(
        checks.check_ch7_grad_cam(np.maximum((feature_maps * grads).sum(axis=-1), 0)),
        "칸마다 따로",
    )
    wrong(checks.check_ch7_grad_cam(np.maximum(raw, 0) / 0.75), "최댓값으로 나눴습니다")
    wrong(checks.check_ch7_grad_cam(np.zeros((4, 4))), "(2, 2)")


def test_ch7_pointing_game():
    correct(checks.check_ch7_pointing_game((False, 0.5, 0.25)))
    wrong(
        checks.check_ch7_pointing_game((True, 0.5, 0.25)), "최댓값이 마스크 안에 있다고"
    )
    wrong(checks.check_ch7_pointing_game((False, 0.25, 0.25)), "넓이 비율")
    wrong(checks.check_ch7_pointing_game((False, 0.5, 0.5)), "균일한 지도")


def test_ch7_cam_resolution():
    measured = (16, 64)
    correct(checks.check_ch7_cam_resolution((16, 64), measured))
    wrong(checks.check_ch7_cam_resolution((64, 16), measured), "서로 바뀌었습니다")
    wrong(checks.check_ch7_cam_resolution((8, 64), measured), "마지막 합성곱 층")
    wrong(checks.check_ch7_cam_resolution((16, 32), measured), "첫 합성곱 층")
