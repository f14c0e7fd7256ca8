"""Every exercise checker rejects wrong answers, not only the ones test_checks.py names.

Two sweeps over each checker whose answer is made of numbers, booleans or shapes:

* every typical mistake the checker lists for ``_match`` (its hints) is fed back in, in
  the place of the value it is compared with, and must be refused with that mistake's
  own feedback;
* every single part of the worked answer is changed (a number moved, a boolean flipped,
  an axis of a shape resized, a batch axis added, a part left out) and must be refused.
"""

import math
import sys

import numpy as np
import pytest

from utils import checks
from utils.checks.core import _close

# checker -> (worked answer, measured or None); the same numbers as tests/test_checks.py
WORKED = {
    "check_ch1_head_shapes": (((37,), (128, 128, 3), (4,)), None),
    "check_ch1_box_iou": (0.04 / 0.28, None),
    "check_ch1_flipped_box": ([0.6, 0.3, 0.9, 0.7], [0.6, 0.3, 0.9, 0.7]),
    "check_ch1_flatten_params": (524_292, 524_292),
    "check_ch2_transpose_shapes": (((50, 50, 128), (51, 51, 128)), None),
    "check_ch2_updates_per_epoch": ((7, 2), [7, 2]),
    "check_ch2_mask_iou": (4 / 6, None),
    "check_ch2_background_baseline": ((10 / 16, 10 / 48), None),
    "check_ch3_projection_params": (128 + 2_112 + 8_320, None),
    "check_ch3_odd_size": ((7, 8), (7, 8)),
    "check_ch3_vanishing": ((True, False), [True, False]),
    "check_ch4_moving_stats": ((0.02, 0.9904), (0.02, 0.9904)),
    "check_ch4_bn_params": ((18_688, 18_560), None),
    "check_ch4_inference_mode": ((3.0, 5.0), (3.0, 5.0)),
    "check_ch5_frozen_statistics": ((False, True, False), [False, True, False]),
    "check_ch5_trainable_counts": ((9, 225), None),
    "check_ch6_separable_cost": ((2_912, 729_088), None),
    "check_ch6_kernel_size": (
        (9920 / 8896, 204_928 / 73_856),
        (9920 / 8896, 204_928 / 73_856),
    ),
    "check_ch7_activation_shapes": (
        [(178, 178, 32), (89, 89, 32), (87, 87, 64), (43, 43, 64), (41, 41, 128)],
        None,
    ),
    "check_ch7_grad_cam": ([[0.5, 0.0], [0.75, 0.5]], None),
    "check_ch7_pointing_game": ((False, 0.5, 0.25), None),
    "check_ch7_cam_resolution": ((16, 64), (16, 64)),
}


def run(name, answer):
    check = getattr(checks, name)
    measured = WORKED[name][1]
    return check(answer) if measured is None else check(answer, measured)


def test_every_checker_with_a_plain_answer_is_swept():
    plain = {
        n
        for n in checks.__all__
        if n.startswith("check_")
        and n
        not in {  # answers that are functions or models: tests/test_checks.py
            "check_ch3_residual_block",
            "check_ch4_bn_forward",
            "check_ch5_unfreeze_top",
            "check_ch6_xception_block",
        }
    }
    assert plain == set(WORKED)


@pytest.mark.parametrize("name", sorted(WORKED))
def test_the_worked_answer_is_accepted(name, capsys):
    assert run(name, WORKED[name][0]).ok is True


# --- the mistakes each checker lists -----------------------------------------------------------


def _listed_mistakes(name, monkeypatch):
    """(value compared, mistake value, its feedback) for every _match call of the check."""
    calls = []
    module = sys.modules[getattr(checks, name).__module__]  # the chapter's module
    original = module._match

    def recording(value, expected, mistakes, unknown, *args, **kwargs):
        calls.append((value, expected, list(mistakes), args, kwargs))
        return original(value, expected, mistakes, unknown, *args, **kwargs)

    monkeypatch.setattr(module, "_match", recording)
    run(name, WORKED[name][0])
    monkeypatch.setattr(module, "_match", original)
    return calls


def _replace(answer, old, new):
    """``answer`` with the part that is ``old`` (or equals it) replaced by ``new``."""
    if not isinstance(answer, (tuple, list)):
        return new
    parts = list(answer)
    for i, part in enumerate(parts):
        if part is old or (np.isscalar(part) and part == old):
            parts[i] = new
            return type(answer)(parts)
    raise LookupError(old)


MATCHED = [n for n in sorted(WORKED) if n not in {"check_ch7_grad_cam"}]


@pytest.mark.parametrize("name", MATCHED)
def test_each_listed_mistake_is_refused_with_its_own_feedback(
    name, monkeypatch, capsys
):
    calls = _listed_mistakes(name, monkeypatch)
    for value, expected, mistakes, args, kwargs in calls:
        rel = kwargs.get("rel", args[0] if args else 1e-3)
        abs_tol = kwargs.get("abs_tol", args[1] if len(args) > 1 else 1e-6)
        seen = []
        for mistake, problem, hint in mistakes:
            if _close(mistake, expected, rel, abs_tol):
                continue  # the same as the answer for these numbers
            earlier = any(_close(mistake, s, rel, abs_tol) for s in seen)
            seen.append(mistake)
            try:
                answer = _replace(WORKED[name][0], value, mistake)
            except LookupError:
                continue  # the value is computed from the answer, not one of its parts
            result = run(name, answer)
            assert result.ok is False, (name, mistake, result.message)
            if not earlier:
                assert problem in result.message, (name, mistake, result.message)
                assert hint in result.message, (name, mistake, result.message)


# --- every part of the answer changed ---------------------------------------------------------


def _changes(value):
    """Wrong values near ``value``: a number moved, a boolean flipped."""
    if isinstance(value, (bool, np.bool_)):
        return [not value]
    if isinstance(value, (int, np.integer)):
        return [value + 1, value - 1, value * 2 if value else 2]
    if isinstance(value, float):
        return [value * 1.5, value * 0.5, -value] if value else [0.5, -0.5]
    return []


def _variants(answer):
    """Every answer that differs from ``answer`` in one part (recursively)."""
    if isinstance(answer, (tuple, list)):
        for i, part in enumerate(answer):
            for changed in _variants(part):
                parts = list(answer)
                parts[i] = changed
                yield type(answer)(parts)
        if len(answer) > 1:
            yield type(answer)(answer[:-1])  # a part left out
        if answer and all(isinstance(p, (int, np.integer)) for p in answer):
            yield type(answer)((None, *answer))  # a shape with the batch axis
    else:
        yield from _changes(answer)


@pytest.mark.parametrize("name", sorted(WORKED))
def test_every_one_part_change_of_the_answer_is_refused(name, capsys):
    worked = WORKED[name][0]
    if isinstance(worked, (tuple, list)) and all(isinstance(p, int) for p in worked):
        variants = [
            v for v in _variants(worked) if None not in v
        ]  # numbers, not a shape
    else:
        variants = list(_variants(worked))
    assert variants
    for wrong in variants:
        result = run(name, wrong)
        assert result.ok is False, (name, wrong, result.message)
        assert "힌트:" in result.message


# --- chapter 1's head shapes: each hint's wrong answer -------------------------------------------


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        (((None, 37), (None, 128, 128, 3), (None, 4)), "배치 축"),
        (((4, 4, 37), (128, 128, 3), (4,)), "가로·세로 축이 남아"),
        (((36,), (128, 128, 3), (4,)), "분류 헤드의 모양이 다릅니다"),
        (((2,), (128, 128, 3), (4,)), "분류 헤드의 모양이 다릅니다"),
        (((37,), (128, 128), (4,)), "클래스 축이 빠졌습니다"),
        (((37,), (64, 64, 3), (4,)), "입력 사진과 다릅니다"),
        (((37,), (128, 128, 2), (4,)), "클래스 수"),
        (((37,), (128, 128, 37), (4,)), "클래스 수"),
        (((37,), (128, 128, 3), (5,)), "경계 상자 헤드"),
        (((37,), (128, 128, 3), (2,)), "경계 상자 헤드"),
        (((37,), (128, 128, 3), (2, 2)), "경계 상자 헤드"),
        (((37,), (128, 128, 3), (4, 1)), "경계 상자 헤드"),
        (((37,), (128, 128, 3), (1, 4)), "경계 상자 헤드"),
        (((37,), (128, 128, 3), (128, 128, 4)), "경계 상자 헤드"),
    ],
)
def test_ch1_head_shapes_refuses_each_wrong_head(answer, problem, capsys):
    result = checks.check_ch1_head_shapes(answer)
    assert result.ok is False and problem in result.message, result.message


def test_ch1_head_shapes_follows_its_image_size_and_breed_count(capsys):
    assert checks.check_ch1_head_shapes(((10,), (96, 64, 3), (4,)), (96, 64), 10).ok
    assert not checks.check_ch1_head_shapes(
        ((37,), (128, 128, 3), (4,)), (96, 64), 10
    ).ok
    assert not checks.check_ch1_head_shapes(((10,), (64, 96, 3), (4,)), (96, 64), 10).ok


def test_numbers_near_a_mistake_are_not_taken_for_the_answer(capsys):
    # 1/7 is right; a value off by 2% is not, nor is the rounded 0.14
    assert checks.check_ch1_box_iou(1 / 7).ok
    assert not checks.check_ch1_box_iou(1 / 7 * 1.02).ok
    assert not checks.check_ch1_box_iou(round(1 / 7, 2)).ok
    assert math.isclose(1 / 7, 0.04 / 0.28)
