"""One precision switch for the whole course.

``use_course_precision()`` picks the Keras dtype policy that speeds training up on the
machine at hand and sets it globally:

* ``mixed_float16`` on an NVIDIA GPU with tensor cores (compute capability 7.0 or newer,
  for example Colab's T4);
* ``mixed_bfloat16`` on a CPU with AMX or AVX-512 BF16 instructions;
* ``float32`` everywhere else (most laptops, and CPUs with AVX2 only, where bfloat16 is
  emulated and slower than float32).

``COURSE_PRECISION`` (``auto``, ``float32``, ``mixed_float16`` or ``mixed_bfloat16``)
overrides the choice. Models keep their last layer in float32 (``dtype="float32"``) so
that softmax and the loss are computed at full precision, and cells that compare numbers
to a float tolerance run inside :func:`float32_scope`.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
_BF16_CPU_FLAGS = {"amx_bf16", "avx512_bf16"}


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags as Linux reports them (empty where it does not)."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _gpu_capabilities() -> list[tuple[int, int]]:
    import tensorflow as tf

    capabilities = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        capabilities.append(tuple(details.get("compute_capability", (0, 0))))
    return capabilities


def choose_policy(gpu_capabilities=None, flags=None) -> tuple[str, str]:
    """The policy for this machine and the reason, in Korean: ``(name, reason)``."""
    wanted = os.environ.get("COURSE_PRECISION", "auto").strip().lower()
    if wanted != "auto":
        if wanted not in POLICIES:
            raise ValueError(
                f"COURSE_PRECISION 값 '{wanted}' 을(를) 알 수 없습니다. "
                f"auto, {', '.join(POLICIES)} 중 하나를 고르세요.\n"
                f"Unknown COURSE_PRECISION '{wanted}'; choose auto, {', '.join(POLICIES)}."
            )
        return wanted, "COURSE_PRECISION 으로 지정"
    if gpu_capabilities is None:
        gpu_capabilities = _gpu_capabilities()
    if gpu_capabilities:
        if min(gpu_capabilities) >= (7, 0):
            return "mixed_float16", "텐서 코어가 있는 GPU"
        return "float32", "텐서 코어가 없는 GPU"
    if flags is None:
        flags = cpu_flags()
    if flags & _BF16_CPU_FLAGS:
        found = ", ".join(sorted(flags & _BF16_CPU_FLAGS))
        return "mixed_bfloat16", f"bfloat16 명령을 갖춘 CPU ({found})"
    return "float32", "bfloat16 명령(AMX, AVX-512 BF16)이 없는 CPU"


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
    """
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("float32")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)
