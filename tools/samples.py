"""Where the real photo samples live: one setting, read here for every tool that needs it.

``COURSE_SAMPLES_DIR`` names the folder of real photo samples (the Pets and dogs-vs-cats
samples and the lecture's 200 px dogs-vs-cats split, in the official layouts). Unset, it
is ``../shared/data`` beside the repository. ``tools/course.py`` runs the notebooks on it
(``execute``, the nbval jobs), ``tests/conftest.py`` gives it to the tests of the real
samples, and the benchmarks read the Pets sample from it.

Standard library only: ``tools/course.py`` imports it before ``.venv`` exists.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

VARIABLE = "COURSE_SAMPLES_DIR"
DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def samples_dir(environ: Mapping[str, str] | None = None) -> Path | None:
    """The folder of real samples, or None where there is none.

    ``COURSE_SAMPLES_DIR`` (from ``environ``, default ``os.environ``) must name a folder:
    a typo stops here instead of quietly running on generated data. Unset or blank, the
    default ``../shared/data`` is used where it exists.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(VARIABLE, "").strip()
    if not value:
        return DEFAULT if DEFAULT.is_dir() else None
    folder = Path(value).expanduser().resolve()
    if not folder.is_dir():
        raise ValueError(
            f"{VARIABLE}='{value}' 은(는) 폴더가 아닙니다. 실제 사진 표본이 든 폴더를 "
            f"지정하거나 변수를 지우세요. / {VARIABLE}='{value}' is not a folder; name "
            "the folder of the real photo samples, or unset it."
        )
    return folder
