"""What every exercise check shares: :class:`Feedback`, the ``_check`` decorator that
turns a check body into a function that never raises, and the small readers of an
answer (a number, a shape, a pair, a boolean)."""

from __future__ import annotations

import functools
import math

import numpy as np

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


def _match_array(values, expected, mistakes, unknown, atol=1e-6):
    """:func:`_match` for arrays: the expected array, else a typical mistake
    [(array, problem, hint)], else ``unknown`` (problem, hint)."""
    if np.allclose(values, expected, atol=atol):
        return True
    for mistake, problem, hint in mistakes:
        if np.allclose(values, mistake, atol=atol):
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
