"""Run scale and a one-line report of how a run is set up.

The scale is chosen with the ``COURSE_SCALE`` environment variable or the
``scale`` argument of :func:`get_scale`:

* ``full``  - the lecture's image sizes, data sizes and epochs (for a GPU);
* ``cpu``   - a lighter run that finishes on a laptop CPU in minutes;
* ``smoke`` - a run of a few seconds per chapter, used by the tests in CI.

Without either, a machine with a GPU runs ``full`` and one without runs ``cpu``.

Each comparison is repeated over the seeds :meth:`Scale.seeds` gives: three at full and
cpu scale, fewer at smoke scale. ``COURSE_SEEDS=N`` sets the number at any scale (for
example 1 for a quick run whose summary then has no spread, or 5 for a narrower one).
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass

from .errors import CourseSettingError

SCALES = ("full", "cpu", "smoke")


@dataclass(frozen=True)
class Scale:
    """The sizes one run uses. Chapters pick their own numbers with :meth:`pick`."""

    name: str

    def pick(self, full, cpu, smoke):
        """Returns the value that belongs to this scale."""
        return {"full": full, "cpu": cpu, "smoke": smoke}[self.name]

    def seeds(self, fewest: int = 1) -> list[int]:
        """The seeds every repeated comparison uses: ``[0, 1, 2]`` at full and cpu scale,
        ``fewest`` of them at smoke scale, ``COURSE_SEEDS`` of them when set. ``fewest``
        is the least a chapter's statistics need (2 for a standard deviation)."""
        count = positive_int_from_env("COURSE_SEEDS") or self.pick(
            full=3, cpu=3, smoke=fewest
        )
        return list(range(max(count, fewest)))

    def steps(self, wanted: int) -> int:
        """How many steps a loop written by hand runs: ``wanted``, or at most
        ``COURSE_MAX_STEPS`` when it is set (a quick pass through a chapter)."""
        cap = positive_int_from_env("COURSE_MAX_STEPS")
        return wanted if cap is None else min(wanted, cap)

    @property
    def pets_image_size(self) -> tuple[int, int]:
        side = self.pick(200, 96, 64)
        return (side, side)

    @property
    def pets_val_count(self) -> int:
        """Validation photos: the lecture's 1,000 at full scale."""
        return self.pick(1000, 120, 16)

    @property
    def max_images(self) -> int | None:
        """At most this many labelled photos are used (None: all of them)."""
        return self.pick(None, None, 64)


def setting(variable: str) -> str:
    """The value of the environment variable ``variable``, stripped ("" when unset)."""
    return os.environ.get(variable, "").strip()


def bad_setting(
    variable: str, value, allowed_ko: str, allowed_en: str, extra=("", "")
) -> CourseSettingError:
    """The error for a setting the course cannot use: it names the variable, the value
    and what is allowed, in Korean and English (``extra``: a further sentence in each)."""
    return CourseSettingError(
        f"{variable} 값 '{value}' 을(를) 쓸 수 없습니다. 쓸 수 있는 값: {allowed_ko}."
        + (f" {extra[0]}" if extra[0] else ""),
        f"{variable}='{value}' is not allowed. Allowed values: {allowed_en}."
        + (f" {extra[1]}" if extra[1] else ""),
    )


def positive_int_from_env(variable: str) -> int | None:
    """The whole number (1 or more) in ``variable``; None when it is unset or empty."""
    value = setting(variable)
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise bad_setting(
            variable,
            value,
            "1 이상의 정수 (예: 1, 3)",
            "a whole number of at least 1 (for example 1 or 3)",
        )
    return int(value)


def gpu_names() -> list[str]:
    import tensorflow as tf

    names = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
    return names


def get_scale(scale: str | None = None) -> Scale:
    """The run's scale: the argument, else ``COURSE_SCALE``, else full on a GPU, cpu otherwise."""
    where = "get_scale(scale=...)" if scale else "COURSE_SCALE"
    name = scale or setting("COURSE_SCALE") or ("full" if gpu_names() else "cpu")
    name = str(name).strip().lower()
    if name not in SCALES:
        choices = ", ".join(SCALES)
        raise CourseSettingError(
            f"{where} 값 '{name}' 은(는) 알 수 없는 실행 규모입니다. "
            f"쓸 수 있는 값: {choices}.",
            f"Unknown run scale '{name}' in {where}; allowed values: {choices}.",
        )
    return Scale(name)


def precision_report() -> str:
    """The global Keras dtype policy, with the reason when it is the course's own choice.

    A policy set by hand (not the one ``use_course_precision`` picks) is reported with
    the course's choice next to it, so that a run report never hides the difference.
    """
    import keras

    from .precision import choose_policy

    name = keras.config.dtype_policy().name
    chosen, reason = choose_policy()
    if name == chosen:
        return f"{name} ({reason})"
    return f"{name} (직접 설정함; 이 기계의 자동 선택은 {chosen})"


def describe_run(scale: Scale, *sources) -> str:
    """One report of the scale, the data sources and the device, for a notebook's first output."""
    import keras
    import tensorflow as tf

    gpus = gpu_names()
    device = (
        f"GPU ({', '.join(gpus)})"
        if gpus
        else f"CPU ({os.cpu_count()}코어, {platform.machine()})"
    )
    scale_words = {
        "full": "full (강의와 같은 크기, GPU용)",
        "cpu": "cpu (가벼운 CPU 실행)",
        "smoke": "smoke (몇 초짜리 점검 실행)",
    }[scale.name]
    # Labels padded to the same width on screen (a Hangul syllable is two columns wide).
    lines = [f"실행 규모: {scale_words}"]
    lines += [f"데이터   : {source}" for source in sources]
    lines.append(f"장치     : {device}")
    lines.append(f"버전     : TensorFlow {tf.__version__}, Keras {keras.__version__}")
    lines.append(f"정밀도   : {precision_report()}")
    if not gpus and scale.name == "full":
        lines.append(
            "주의: GPU가 없어 full 규모 실행은 매우 오래 걸립니다. COURSE_SCALE=cpu 를 권합니다."
        )
    return "\n".join(lines)
