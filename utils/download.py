"""Downloads an official archive once, checks it, and unpacks it into the cache."""

from __future__ import annotations

import os
import shutil
import zipfile
import zlib
from pathlib import Path

from .errors import CourseDataError

_DONE_MARKER = ".course-extracted"


def fetch_archive(fname: str, url: str, cache: Path, md5: str | None = None) -> Path:
    """Returns the folder the archive at ``url`` unpacks into, downloading it only once.

    The file is checked against ``md5`` when the official sum is known, and a zip
    archive's member checksums are checked in any case. A file that fails a check is
    renamed to ``*.corrupt`` (never used again) and a bilingual error says what to do.
    """
    datadir = cache / "datasets"
    extracted = datadir / f"{fname.split('.')[0]}_extracted"
    if (extracted / _DONE_MARKER).exists():
        return extracted
    archive = datadir / fname
    import keras  # here, not at the top: reading local data should not load TensorFlow

    try:
        # extract=False: the archive is checked before anything is unpacked.
        keras.utils.get_file(
            fname, origin=url, file_hash=md5, hash_algorithm="md5" if md5 else "auto",
            cache_dir=str(cache), cache_subdir="datasets",
        )
    except ValueError as error:  # keras: the downloaded file's hash does not match
        raise _quarantine(archive, url, f"md5 != {md5}") from error
    except Exception as error:  # keras wraps URLError/HTTPError in a bare Exception
        if "URL fetch failure" not in str(error) and not isinstance(error, OSError):
            raise
        raise CourseDataError(
            f"'{url}' 에서 내려받지 못했습니다 ({error}). 네트워크 연결을 확인하거나, "
            "이미 내려받아 풀어 둔 데이터가 있다면 COURSE_DATA_DIR 에 그 폴더를 지정하세요.",
            f"Could not download '{url}' ({error}). Check the network, or point "
            "COURSE_DATA_DIR at a folder that already holds the unpacked data.",
        ) from error

    if zipfile.is_zipfile(archive):
        try:
            with zipfile.ZipFile(archive) as zipped:
                bad_member = zipped.testzip()
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, OSError, EOFError) as error:
            raise _quarantine(archive, url, f"zip is damaged ({type(error).__name__})") from error
        if bad_member is not None:
            raise _quarantine(archive, url, f"zip member {bad_member} is damaged")
    if extracted.exists():
        shutil.rmtree(extracted)  # a half-finished earlier extraction
    try:  # the archive is in the cache and was checked above: get_file only unpacks it
        keras.utils.get_file(fname, origin=url, cache_dir=str(cache), cache_subdir="datasets", extract=True)
    except Exception as error:
        raise _quarantine(archive, url, f"cannot unpack: {error}") from error
    if not extracted.is_dir() or not any(extracted.iterdir()):
        raise _quarantine(archive, url, "the archive unpacked to nothing")
    (extracted / _DONE_MARKER).touch()
    return extracted


def _quarantine(archive: Path, url: str, reason: str) -> CourseDataError:
    corrupt = archive.with_name(archive.name + ".corrupt")
    if archive.exists():
        os.replace(archive, corrupt)
    return CourseDataError(
        f"내려받은 파일 '{archive.name}' 이(가) 손상되었습니다 ({reason}). "
        f"'{corrupt.name}' 로 이름을 바꿔 두었으니 다시 실행하면 새로 내려받습니다. "
        f"계속 실패하면 '{url}' 주소를 확인하세요.",
        f"The downloaded file '{archive.name}' is damaged ({reason}). It was renamed to "
        f"'{corrupt.name}'; run again to download a fresh copy. If this keeps failing, "
        f"check the address '{url}'.",
    )
