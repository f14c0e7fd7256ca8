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

One module per chapter (``ch1`` ... ``ch7``) holds that chapter's checks; ``core``
holds what they share. Import the package, as the notebooks do:
``from utils import checks; checks.check_ch4_inference_mode(answer, measured)``.
"""

from __future__ import annotations

from .ch1 import (
    check_ch1_box_iou,
    check_ch1_flatten_params,
    check_ch1_flipped_box,
    check_ch1_head_shapes,
)
from .ch2 import (
    check_ch2_background_baseline,
    check_ch2_mask_iou,
    check_ch2_transpose_shapes,
    check_ch2_updates_per_epoch,
)
from .ch3 import (
    check_ch3_odd_size,
    check_ch3_projection_params,
    check_ch3_residual_block,
    check_ch3_vanishing,
)
from .ch4 import (
    check_ch4_bn_forward,
    check_ch4_bn_params,
    check_ch4_inference_mode,
    check_ch4_moving_stats,
)
from .ch5 import (
    check_ch5_frozen_statistics,
    check_ch5_trainable_counts,
    check_ch5_unfreeze_top,
)
from .ch6 import (
    check_ch6_kernel_size,
    check_ch6_separable_cost,
    check_ch6_xception_block,
)
from .ch7 import (
    check_ch7_activation_shapes,
    check_ch7_cam_resolution,
    check_ch7_grad_cam,
    check_ch7_pointing_game,
)
from .core import BLANK, Feedback  # noqa: F401 - BLANK: the text of an unanswered check

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
