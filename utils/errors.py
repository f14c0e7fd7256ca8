"""Errors a student can act on, written in Korean and English."""

import errno
import shutil


class CourseDataError(RuntimeError):
    """A data problem explained in both languages, with what to do next."""

    def __init__(self, korean: str, english: str):
        self.korean = korean
        self.english = english
        super().__init__(f"{korean}\n{english}")


class CourseSettingError(CourseDataError, ValueError):
    """A ``COURSE_*`` setting with a value the course cannot use (also a ValueError)."""


class DiskFullError(CourseDataError):
    """No room left where the course writes (see :func:`disk_full_error`)."""


def missing_file_error(folder, missing):
    """The folder is not in the expected official layout."""
    return CourseDataError(
        f"'{folder}' 폴더가 공식 배포본의 구조가 아닙니다: '{missing}' 이(가) 없습니다.",
        f"'{folder}' is not in the official layout: '{missing}' is missing.",
    )


_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def is_disk_full(error: BaseException | None) -> bool:
    """True when ``error`` (or an error it was raised from) says the disk or quota is full.

    TensorFlow's errors carry no errno, only the system's words."""
    while error is not None:
        if getattr(error, "errno", None) in _FULL:
            return True
        text = str(error)
        if "No space left on device" in text or "Disk quota exceeded" in text:
            return True
        error = error.__cause__ or error.__context__
    return False


def size_text(count: int | None) -> str:
    """``1.2 GB``, ``350 MB``: a size in the units a file manager shows."""
    if count is None:
        return "?"
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if count >= size:
            return f"{count / size:.1f} {unit}"
    return f"{count} B"


def free_bytes(folder) -> int | None:
    """Free space where ``folder`` (or its nearest existing parent) lives."""
    from pathlib import Path

    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return None


def disk_full_error(
    folder, needed: int | None, variable: str, what=None, extra=("", "")
):
    """A full disk, said as one: the folder, what was needed and what is free, and the
    setting (``variable``) that puts the files elsewhere. ``what``: what could not be
    done and ``extra``: a last sentence, each as (Korean, English)."""
    free = size_text(free_bytes(folder))
    need_ko = f" 약 {size_text(needed)} 이(가) 필요하지만" if needed else ""
    need_en = f" About {size_text(needed)} is needed, but" if needed else ""
    doing_ko, doing_en = what or ("파일을 쓰지", "write files")
    return DiskFullError(
        f"디스크가 가득 차서 '{folder}' 에 {doing_ko} 못했습니다.{need_ko} 남은 공간은 "
        f"{free} 입니다. 공간을 비우거나 {variable} 를 공간이 넉넉한 폴더로 지정하세요."
        + (f" {extra[0]}" if extra[0] else ""),
        f"The disk is full: could not {doing_en} in '{folder}'.{need_en} {free} is free. "
        f"Free some space or set {variable} to a folder with more room."
        + (f" {extra[1]}" if extra[1] else ""),
    )
