"""Self-checks for the exercises (`연습 문제`) at the end of every chapter.

Each exercise has one checking function, ``check_chN_<what>(answer, ...)``. It prints Korean
feedback and returns a :class:`Feedback`:

* ``ok is True``  - correct ("정답입니다. ...");
* ``ok is None``  - not answered yet (``answer`` is still ``None``);
* ``ok is False`` - wrong: what is wrong and a hint, without the answer itself.

A checking function never raises, whatever the student wrote, so a notebook with blank or
wrong answers still runs top to bottom. Its output is deterministic (CI compares it).
Exercises that ask for a prediction before a small experiment pass what the experiment
measured as ``measured``; the prediction is compared with that.
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = [
    "Feedback",
    "check_ch1_head_shapes",
    "check_ch1_box_iou",
    "check_ch1_flipped_box",
    "check_ch1_flatten_params",
    "check_ch2_transpose_shapes",
    "check_ch2_updates_per_epoch",
    "check_ch2_mask_iou",
    "check_ch2_background_baseline",
    "check_ch3_residual_block",
    "check_ch3_projection_params",
    "check_ch3_odd_size",
    "check_ch3_vanishing",
    "check_ch4_bn_forward",
    "check_ch4_moving_stats",
    "check_ch4_bn_params",
    "check_ch4_inference_mode",
    "check_ch5_unfreeze_top",
    "check_ch5_frozen_statistics",
    "check_ch5_trainable_counts",
    "check_ch6_separable_cost",
    "check_ch6_kernel_size",
    "check_ch6_xception_block",
    "check_ch7_activation_shapes",
    "check_ch7_grad_cam",
    "check_ch7_pointing_game",
    "check_ch7_cam_resolution",
]

BLANK = (
    "아직 답하지 않았습니다. `answer = None`을 답으로 바꾸고 이 셀을 다시 실행하세요."
)


class Feedback:
    """What a check printed: ``ok`` (True, False, or None for a blank) and ``message``."""

    __slots__ = ("ok", "message")

    def __init__(self, ok, message):
        self.ok = ok
        self.message = message

    def __repr__(self):
        return f"Feedback(ok={self.ok!r}, message={self.message!r})"

    def _ipython_display_(self):
        """The message is already printed; a check on a cell's last line adds nothing more."""


class _Wrong(Exception):
    """Raised inside a check to report a wrong answer (the decorator turns it into feedback)."""

    def __init__(self, problem, hint):
        super().__init__(problem)
        self.problem, self.hint = problem, hint


def _wrong(problem, hint):
    raise _Wrong(problem, hint)


def _check(hint):
    """Turns a check body into a checking function: blank, wrong and broken answers never raise.

    The body returns the text that follows "정답입니다." or calls :func:`_wrong`. ``hint`` is
    the general hint given when the answer cannot even be read (a wrong type, an exception).
    """

    def decorate(body):
        @functools.wraps(body)
        def check(answer, *args, **kwargs):
            if answer is None:
                return _say(None, BLANK)
            try:
                note = body(answer, *args, **kwargs)
            except _Wrong as wrong:
                return _say(
                    False, f"아직 아닙니다. {wrong.problem}\n힌트: {wrong.hint}"
                )
            except Exception as error:  # noqa: BLE001 - any mistake of the student's becomes feedback
                return _say(
                    False,
                    f"답을 검사하다가 오류({type(error).__name__})가 났습니다. "
                    f"답의 형식이 문제에서 말한 것과 같은지 보세요.\n힌트: {hint}",
                )
            return _say(True, "정답입니다." + (f" {note}" if note else ""))

        return check

    return decorate


def _say(ok, message):
    print(message)
    return Feedback(ok, message)


# --- small helpers --------------------------------------------------------------------------


def _show(value):
    """A short, machine-independent way to echo what the student wrote (no memory addresses)."""
    text = repr(value)
    simple = isinstance(value, (int, float, str, bool, tuple, list, np.number))
    return (
        text
        if simple and len(text) <= 80 and " at 0x" not in text
        else f"{type(value).__name__} 객체"
    )


def _shape(value):
    """A shape as a tuple of ints (accepts tuples, lists, TensorShape; rejects a bare number)."""
    if hasattr(value, "as_list"):
        value = value.as_list()
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        _wrong(
            f"모양은 `(높이, 너비, 채널)`처럼 정수의 튜플로 적어야 합니다 (받은 답: {_show(value)}).",
            "괄호 안에 축마다 정수 하나씩 적으세요.",
        )
    return tuple(None if v is None else int(v) for v in value)


def _number(value):
    if isinstance(value, (bool, np.bool_)) or (
        not np.isscalar(value) and np.ndim(value) != 0
    ):
        _wrong(
            f"수 하나를 적어야 할 자리에 다른 것이 있습니다 (받은 값: {_show(value)}).",
            "계산한 값을 수로 적으세요.",
        )
    return float(value)


def _close(a, b, rel=1e-3, abs_tol=1e-6):
    """Nearly equal; counts (whole numbers such as parameters) must match exactly."""
    if float(b).is_integer() and abs(float(b)) >= 10:
        return abs(float(a) - float(b)) < 0.5
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_tol)


def _pair(answer, n=2):
    if (
        isinstance(answer, (str, bytes))
        or not hasattr(answer, "__len__")
        or len(answer) != n
    ):
        _wrong(
            f"답은 값 {n}개를 담은 튜플이어야 합니다 (받은 답: {_show(answer)}).",
            f"`answer = (첫째 값, 둘째 값{', ...' if n > 2 else ''})` 모양으로 적으세요.",
        )
    return tuple(answer)


def _match(value, expected, mistakes, unknown, rel=1e-3, abs_tol=1e-6):
    """Compares a number with the expected one and with typical mistakes [(value, problem, hint)]."""
    value = _number(value)
    if _close(value, expected, rel, abs_tol):
        return True
    for mistake, problem, hint in mistakes:
        if _close(value, mistake, rel, abs_tol):
            _wrong(problem, hint)
    _wrong(*unknown)


def _boolean(value, what):
    if not isinstance(value, (bool, np.bool_)):
        _wrong(
            f"{what}에는 `True` 또는 `False`를 적어야 합니다 (받은 답: {_show(value)}).",
            "따옴표 없이 True나 False로 적으세요.",
        )
    return bool(value)


def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def _producer(tensor):
    """The layer that made a symbolic Keras tensor."""
    return tensor._keras_history.operation


# --- 1장: 컴퓨터 비전의 세 가지 과제 ---------------------------------------------------------------


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
            "트라이맵의 클래스는 동물, 배경, 경계입니다.",
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


# --- 2장: 이미지 분할 --------------------------------------------------------------------------


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


# --- 3장: 잔차 연결 ------------------------------------------------------------------------


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


# --- 4장: 배치 정규화 ------------------------------------------------------------------------


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
            "분산 대신 표준편차를 썼습니다.",
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
    if np.allclose(result, expected, atol=1e-6):
        return "케라스의 `BatchNormalization(training=True)`와 같은 계산입니다."
    for values, problem, hint in mistakes:
        if np.allclose(result, values, atol=1e-6):
            _wrong(problem, hint)
    _wrong(
        "출력이 배치 정규화 공식과 다릅니다.",
        "y = gamma × (x − 평균) / √(분산 + epsilon) + beta, 평균과 분산은 채널마다.",
    )


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


@_check("`answer = (출력의 평균, 출력의 표준편차)`처럼 수 두 개를 적으세요.")
def check_ch4_inference_mode(answer, measured):
    """예측 문제: 새 BN 층에 평균 3, 표준편차 5인 값을 training=False로 넣었을 때 출력의 평균과 표준편차."""
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
        "출력의 표준편차가 측정과 다릅니다.",
        "이동 분산의 초깃값은 1입니다. 무엇으로 나누게 될까요?",
    )


# --- 5장: 미세 조정과 배치 정규화 ---------------------------------------------------------------


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


# --- 6장: Xception과 깊이별 분리 합성곱 -------------------------------------------------------------


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


# --- 7장: 합성곱 신경망이 배운 것 -------------------------------------------------------------------


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
    if np.allclose(cam, expected, atol=1e-6):
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
    for values, problem, hint in variants:
        if np.allclose(cam, values, atol=1e-6):
            _wrong(problem, hint)
    _wrong(
        "값이 다릅니다.",
        "① 채널마다 그레이디언트의 평균 ② 그 평균으로 특성 맵을 가중합 ③ ReLU.",
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
