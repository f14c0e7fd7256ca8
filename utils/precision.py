"""One precision switch for the whole course.

``use_course_precision()`` picks the Keras dtype policy that speeds training up on the
machine at hand and sets it globally:

* ``mixed_float16`` on an NVIDIA GPU with tensor cores (compute capability 7.0 or newer,
  for example Colab's T4, 7.5);
* ``float32`` everywhere else: GPUs older than 7.0 and every CPU.

A CPU gets float32 even where it has bfloat16 instructions (AVX-512 BF16, AMX): on the
course's own models ``mixed_bfloat16`` was measured slower there, and it trained worse
(``benchmarks/README.md``). ``auto`` picks a 16-bit policy only where it was measured to
help.

``COURSE_PRECISION`` (``auto``, ``float32``, ``mixed_float16`` or ``mixed_bfloat16``)
overrides the choice. Under a mixed policy a layer keeps its weights in float32 and
computes in 16 bits. Models keep their last layer in float32 (``dtype="float32"``) so
that softmax, sigmoid and the loss are computed at full precision, and cells that
compare numbers to a float tolerance build their layers inside :func:`float32_scope`.
"""

from __future__ import annotations

import contextlib
import os

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
TENSOR_CORE_CAPABILITY = (7, 0)  # Volta and newer: float16 matrix units


def detect_gpu_capabilities() -> list[tuple[int, int]]:
    """The CUDA compute capability of each GPU TensorFlow sees ((0, 0) where unknown)."""
    import tensorflow as tf

    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(tuple(details.get("compute_capability") or (0, 0)))
    return capabilities


def requested_policy() -> str:
    """``COURSE_PRECISION`` checked: ``auto`` (unset) or one of :data:`POLICIES`."""
    wanted = os.environ.get("COURSE_PRECISION", "").strip().lower() or "auto"
    if wanted != "auto" and wanted not in POLICIES:
        choices = ", ".join(("auto",) + POLICIES)
        raise ValueError(
            f"COURSE_PRECISION 값 '{wanted}'을(를) 알 수 없습니다. "
            f"{choices} 중 하나를 고르세요.\n"
            f"Unknown COURSE_PRECISION '{wanted}'; choose one of {choices}."
        )
    return wanted


def choose_policy(gpu_capabilities=None) -> tuple[str, str]:
    """The policy for this machine and the reason, in Korean: ``(name, reason)``.

    ``gpu_capabilities`` (a list of ``(major, minor)``) is looked up when not given;
    the tests pass it in.
    """
    wanted = requested_policy()
    if wanted != "auto":
        return wanted, "COURSE_PRECISION으로 지정"
    if gpu_capabilities is None:
        gpu_capabilities = detect_gpu_capabilities()
    if gpu_capabilities:
        if min(tuple(c) for c in gpu_capabilities) >= TENSOR_CORE_CAPABILITY:
            return "mixed_float16", "텐서 코어가 있는 GPU"
        return "float32", "텐서 코어가 없는 GPU (compute capability 7.0 미만)"
    return "float32", "CPU: 16비트 정책은 이 강좌의 모델에서 더 느렸습니다"


def use_course_precision() -> str:
    """Sets the global Keras dtype policy for this machine; returns a one-line report."""
    import keras

    name, reason = choose_policy()
    keras.config.set_dtype_policy(name)
    return f"{name} ({reason})"


@contextlib.contextmanager
def float32_scope():
    """Builds layers inside the block in float32, then restores the course's policy.

    Cells that compare Keras with NumPy to a tolerance need it: under a mixed policy a
    layer computes in float16 or bfloat16 and differs from NumPy in the third digit.
    The policy is restored even when the block raises.
    """
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
