"""Where a data set comes from: an official download, a local folder, or generated data.

Settings (environment variables, each also an argument of the loaders; every value is
checked where it is read, and a bad one stops with a message naming the variable):

* ``COURSE_DATA_DIR``  - a folder that already holds the data sets in their official
  layout (for example the unpacked Pets archives, or a Kaggle ``train/`` folder);
  it is only read, never written.
* ``COURSE_DATA=synthetic`` - use data the course generates itself (for tests).
* ``COURSE_CACHE_DIR`` - where downloads and generated data go (default ``~/.keras``).
* ``COURSE_PETS_URL``, ``COURSE_DOGS_CATS_URL`` - a mirror of the official files, tried
  before the official addresses (every copy must have the official md5 where it is known).
* ``COURSE_DOWNLOAD_TIMEOUT`` - seconds a download may wait for the server to connect or
  to send more data before it stops with an error (default 60).

Folders are made absolute once, when they are read, so a later ``os.chdir`` (a notebook
that changes directory) cannot break the paths in an index.
"""

from __future__ import annotations

import difflib
import math
import os
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from .config import bad_setting, setting
from .errors import CourseDataError, disk_full_error, is_disk_full


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
            "download": "공식 배포본 다운로드",
            "local": "로컬 폴더",
            "synthetic": "생성한 합성 데이터",
        }[self.kind]
        # Only the folder's name: a notebook's stored output must not show machine paths.
        line = f"{self.dataset}: {kind} '{self.folder.name}'"
        return line + (" (md5 확인됨)" if self.verified else "")


def _other_form(path: Path) -> Path | None:
    """The existing path that differs from ``path`` only in Unicode normalisation.

    A Korean name copied from a Mac is often stored decomposed (NFD: ᄒ+ᅡ+ᆫ) while the
    same name typed on another system is composed (NFC: 한); the two are different
    names to Linux and Windows. Each missing part is looked up among its folder's entries
    by its NFC form.
    """
    found = Path(path.parts[0])  # the root: ``path`` is absolute
    for part in path.parts[1:]:
        if (found / part).exists():
            found = found / part
            continue
        try:
            match = next(
                (
                    e
                    for e in os.listdir(found)
                    if unicodedata.normalize("NFC", e)
                    == unicodedata.normalize("NFC", part)
                ),
                None,
            )
        except OSError:
            return None
        if match is None:
            return None
        found = found / match
    return found


def _missing_part(path: Path) -> tuple[Path, str]:
    """The deepest existing folder of ``path`` and the first part missing under it."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    rest = path.relative_to(existing).parts
    return existing, rest[0] if rest else ""


# Relative folders as first resolved: a notebook that later changes directory (os.chdir,
# %cd) still finds the same folder.
_FIRST_RESOLVED: dict[str, Path] = {}


def absolute_folder(value, variable: str, must_exist: bool = True) -> Path:
    """``value`` as an absolute path (``~`` expanded, symlinks kept), found whatever the
    Unicode form of its name. With ``must_exist``, a missing folder stops with a message
    that names ``variable`` and the first part of the path that is not there."""
    raw = Path(str(value)).expanduser()
    if raw.is_absolute():
        path = Path(os.path.abspath(raw))
    else:  # resolved against the folder the first read ran in, and kept
        path = _FIRST_RESOLVED.setdefault(str(raw), Path(os.path.abspath(raw)))
    if path.exists():
        return path
    other = _other_form(path)
    if other is not None:
        return other
    if not must_exist:
        return path
    existing, part = _missing_part(path)
    near = ""
    try:
        names = os.listdir(existing)
        close = difflib.get_close_matches(part, names, n=1)
        if close:
            near = close[0]
    except OSError:
        pass
    near_ko = f" 비슷한 이름: '{near}'." if near else ""
    near_en = f" A similar name there: '{near}'." if near else ""
    raise CourseDataError(
        f"{variable} 의 폴더 '{path}' 가 없습니다: '{existing}' 안에 '{part}' 이(가) "
        f"없습니다.{near_ko} {variable} 설정을 확인하세요.",
        f"The folder '{path}' in {variable} does not exist: '{existing}' has no "
        f"'{part}'.{near_en} Check {variable}.",
    )


def local_data_dir(data_dir=None) -> Path | None:
    """The folder named by the argument or ``COURSE_DATA_DIR``, if any (absolute)."""
    variable = (
        "COURSE_DATA_DIR"  # named even for ``data_dir=``: the setting students use
    )
    value = data_dir or setting("COURSE_DATA_DIR")
    if not value:
        return None
    path = absolute_folder(value, variable)
    if not path.is_dir():
        raise CourseDataError(
            f"{variable} 의 '{path}' 는 폴더가 아닙니다. 데이터 폴더를 지정하세요.",
            f"'{path}' in {variable} is not a folder; name the data folder.",
        )
    return path


DEFAULT_DOWNLOAD_TIMEOUT = 60.0
# A day: longer waits mean a stuck server, and very large values overflow the socket's
# timer (``inf`` raised OverflowError deep inside urllib).
MAX_DOWNLOAD_TIMEOUT = 86400.0


def download_timeout(timeout=None) -> float:
    """Seconds to wait for a server: the argument, else ``COURSE_DOWNLOAD_TIMEOUT``, else 60."""
    variable = "timeout" if timeout is not None else "COURSE_DOWNLOAD_TIMEOUT"
    value = timeout if timeout is not None else setting("COURSE_DOWNLOAD_TIMEOUT")
    if value in (None, ""):
        return DEFAULT_DOWNLOAD_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if not 0 < seconds <= MAX_DOWNLOAD_TIMEOUT:  # also refuses nan and inf
        raise bad_setting(
            variable,
            value,
            f"0보다 크고 {MAX_DOWNLOAD_TIMEOUT:g} 이하인 초 수 (기본 "
            f"{DEFAULT_DOWNLOAD_TIMEOUT:g}, 예: 120)",
            f"a number of seconds above 0 and at most {MAX_DOWNLOAD_TIMEOUT:g} "
            f"(default {DEFAULT_DOWNLOAD_TIMEOUT:g}, for example 120)",
        )
    return seconds


MIRROR_SCHEMES = ("http", "https", "ftp", "file")


def mirror(variable: str) -> str | None:
    """The address in ``variable`` (``COURSE_PETS_URL``, ``COURSE_DOGS_CATS_URL``), checked."""
    value = setting(variable)
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme.lower() not in MIRROR_SCHEMES or not (
        parsed.netloc or parsed.scheme.lower() == "file"
    ):
        raise bad_setting(
            variable,
            value,
            "http://, https://, ftp:// 또는 file:// 로 시작하는 주소",
            "an address that starts with http://, https://, ftp:// or file://",
        )
    return value


def with_mirror(official, variable: str) -> list[str]:
    """The user's mirror from ``variable`` first, if set, then the official addresses.

    A student sets a mirror because the official host fails them: trying it first saves
    a timeout per official address and archive."""
    urls = list(official)
    chosen = mirror(variable)
    if chosen:
        urls = [chosen] + [u for u in urls if u != chosen]
    return urls


DATA_CHOICES = ("synthetic",)


def wants_synthetic() -> bool:
    """True with ``COURSE_DATA=synthetic``; unset or empty means real data."""
    value = setting("COURSE_DATA")
    if not value:
        return False
    if value.lower() in DATA_CHOICES:
        return True
    close = difflib.get_close_matches(value.lower(), DATA_CHOICES, n=1, cutoff=0.5)
    raise bad_setting(
        "COURSE_DATA",
        value,
        "synthetic (생성한 데이터), 또는 비워 두기 (공식 데이터)",
        "synthetic (generated data), or unset (the official data)",
        (f"'{close[0]}' 을(를) 뜻했나요?", f"Did you mean '{close[0]}'?")
        if close
        else ("", ""),
    )


def cache_dir(folder=None) -> Path:
    """A writable folder for downloads and generated data (absolute).

    ``folder`` (the loaders' ``cache_dir=``) or else ``COURSE_CACHE_DIR`` or else
    ``~/.keras``. Not to be confused with the loaders' ``cache=``, which says how
    ``tf.data`` keeps decoded examples (memory, ``"disk"`` or a folder of its own).
    """
    variable = (
        "COURSE_CACHE_DIR"  # named even for ``cache_dir=``: the setting that moves it
    )
    value = folder or setting("COURSE_CACHE_DIR") or Path.home() / ".keras"
    path = absolute_folder(value, variable, must_exist=False)
    if path.exists() and not path.is_dir():
        raise bad_setting(
            variable,
            path,
            "쓸 수 있는 폴더 (파일이 아닌)",
            "a writable folder (not a file)",
        )
    try:
        path.mkdir(parents=True, exist_ok=True)
        # A name of its own: two kernels probing at once must not remove each other's.
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
    except OSError as error:
        if is_disk_full(error):
            raise disk_full_error(path, None, variable) from error
        raise CourseDataError(
            f"캐시 폴더 '{path}' 에 쓸 수 없습니다 ({error.strerror}). "
            f"{variable} 를 쓰기 가능한 폴더로 지정하세요.",
            f"Cannot write to the cache folder '{path}' ({error.strerror}); "
            f"set {variable} to a writable folder.",
        ) from error
    return path
