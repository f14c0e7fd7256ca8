"""Where a data set comes from: an official download, a local folder, or generated data.

Settings (environment variables, each also an argument of the loaders):

* ``COURSE_DATA_DIR``  - a folder that already holds the data sets in their official
  layout (for example the unpacked Pets archives, or a Kaggle ``train/`` folder);
  it is only read, never written.
* ``COURSE_DATA=synthetic`` - use data the course generates itself (for tests).
* ``COURSE_CACHE_DIR`` - where downloads and generated data go (default ``~/.keras``).
* ``COURSE_PETS_URL``, ``COURSE_DOGS_CATS_URL`` - a mirror of the official files, tried
  after the official addresses (every copy must have the official md5 where it is known).
* ``COURSE_DOWNLOAD_TIMEOUT`` - seconds a download may wait for the server to connect or
  to send more data before it stops with an error (default 60).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from .errors import CourseDataError


@dataclass(frozen=True)
class DataSource:
    """Where one data set was read from, for the run report."""

    dataset: str
    kind: str  # "download", "local" or "synthetic"
    folder: Path
    # A download whose md5 matched the official one: its files are known (utils.manifest).
    verified: bool = False

    def __str__(self) -> str:
        kind = {
            "download": "공식 배포본 다운로드 / official download",
            "local": "로컬 폴더 / local folder",
            "synthetic": "생성한 합성 데이터 / generated synthetic data",
        }[self.kind]
        # Only the folder's name: a notebook's stored output must not show machine paths.
        line = f"{self.dataset}: {kind} '{self.folder.name}'"
        return line + (" (md5 확인 / md5-verified)" if self.verified else "")


def local_data_dir(data_dir=None) -> Path | None:
    """The folder named by the argument or ``COURSE_DATA_DIR``, if any."""
    value = data_dir or os.environ.get("COURSE_DATA_DIR")
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_dir():
        raise CourseDataError(
            f"데이터 폴더 '{path}' 가 없습니다. COURSE_DATA_DIR 설정을 확인하세요.",
            f"Data folder '{path}' does not exist; check COURSE_DATA_DIR.",
        )
    return path


DEFAULT_DOWNLOAD_TIMEOUT = 60.0


def download_timeout(timeout=None) -> float:
    """Seconds to wait for a server: the argument, else ``COURSE_DOWNLOAD_TIMEOUT``, else 60."""
    value = (
        timeout if timeout is not None else os.environ.get("COURSE_DOWNLOAD_TIMEOUT")
    )
    try:
        seconds = float(value) if value not in (None, "") else DEFAULT_DOWNLOAD_TIMEOUT
    except ValueError:
        seconds = -1
    if not seconds > 0:
        raise CourseDataError(
            f"COURSE_DOWNLOAD_TIMEOUT 값 '{value}' 이(가) 양의 초 수가 아닙니다.",
            f"COURSE_DOWNLOAD_TIMEOUT '{value}' is not a positive number of seconds.",
        )
    return seconds


def with_mirror(official, variable: str) -> list[str]:
    """The official addresses in order, then the user's mirror from ``variable`` if set."""
    urls = list(official)
    mirror = os.environ.get(variable, "").strip()
    if mirror and mirror not in urls:
        urls.append(mirror)
    return urls


def wants_synthetic() -> bool:
    return os.environ.get("COURSE_DATA", "").strip().lower() == "synthetic"


def cache_dir(cache=None) -> Path:
    """A writable folder for downloads and generated data."""
    path = Path(
        cache or os.environ.get("COURSE_CACHE_DIR") or Path.home() / ".keras"
    ).expanduser()
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.touch()
        probe.unlink()
    except OSError as error:
        raise CourseDataError(
            f"캐시 폴더 '{path}' 에 쓸 수 없습니다 ({error.strerror}). "
            "COURSE_CACHE_DIR 를 쓰기 가능한 폴더로 지정하세요.",
            f"Cannot write to the cache folder '{path}' ({error.strerror}); "
            "set COURSE_CACHE_DIR to a writable folder.",
        ) from error
    return path
