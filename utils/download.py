"""Downloads an official archive once, checks it, and unpacks it into the cache."""

from __future__ import annotations

import json
import os
import shutil
import socket
import struct
import tempfile
import zipfile
import zlib
from pathlib import Path

from . import locks, sources
from .errors import (
    CourseDataError,
    DiskFullError,
    disk_full_error,
    free_bytes,
    is_disk_full,
)

_DONE_MARKER = ".course-extracted"
_LOCAL_DATA_KO = (
    "이미 내려받아 풀어 둔 데이터가 있다면 COURSE_DATA_DIR 에 그 폴더를 지정하세요."
)
_LOCAL_DATA_EN = (
    "If you already have the unpacked data, point COURSE_DATA_DIR at its folder."
)


def fetch_archive(
    fname: str,
    url,
    cache_dir: Path,
    md5: str | None = None,
    timeout: float | None = None,
) -> Path:
    """Returns the folder the archive unpacks into, downloading it only once.

    ``url`` is one address or a list tried in order until one gives a good file: the
    file is checked against ``md5`` when the official sum is known, and a zip archive's
    member checksums are checked in any case. A file that fails a check is renamed to
    ``*.corrupt`` (never used again). A server that does not connect or stops sending for
    ``timeout`` seconds (default ``COURSE_DOWNLOAD_TIMEOUT``) counts as failed. When every
    address fails, a bilingual error says what happened at each and how to use local data.
    The folder counts as unpacked only once a marker is written after a complete unpack;
    the marker holds the md5 the archive was verified against (see :func:`verified_md5`).
    Another kernel fetching the same archive is waited for (and says so). A full disk is
    reported as one (:class:`utils.errors.DiskFullError`): the good archive is kept,
    never renamed to ``*.corrupt``. ``cache_dir``: the course's folder for downloads
    (``utils.sources.cache_dir``); the archive goes to its ``datasets/``.
    """
    datadir = cache_dir / "datasets"
    extracted = datadir / f"{fname.split('.')[0]}_extracted"
    if (extracted / _DONE_MARKER).exists():
        return extracted
    urls = [url] if isinstance(url, str) else list(url)
    seconds = sources.download_timeout(timeout)
    datadir.mkdir(parents=True, exist_ok=True)
    # Two kernels fetching the same archive would write one file at once (urlretrieve
    # writes in place) and delete each other's half-unpacked folder: the second waits.
    with locks.waiting(
        locks.lock_file(cache_dir, fname),
        f"'{fname}' 을(를) 내려받거나 푸는",
        f"downloading or unpacking '{fname}'",
    ):
        if (extracted / _DONE_MARKER).exists():  # the other kernel finished it
            return extracted
        return _fetch_and_unpack(fname, urls, cache_dir, extracted, md5, seconds)


def _unpacked_size(archive: Path) -> int | None:
    """Bytes the archive unpacks to: the zip's member sizes, or a gzip's trailer (the
    size mod 4 GiB, enough for these archives); None when unknown."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zipped:
                return sum(info.file_size for info in zipped.infolist())
        with open(archive, "rb") as handle:
            if handle.read(2) != b"\x1f\x8b":
                return archive.stat().st_size  # a plain tar
            handle.seek(-4, os.SEEK_END)
            return struct.unpack("<I", handle.read(4))[0]
    except (OSError, zipfile.BadZipFile, struct.error):
        return None


def _kept(archive: Path) -> tuple[str, str]:
    return (
        f"내려받은 '{archive.name}' 은(는) 그대로 두었으니 다시 내려받지 않습니다.",
        f"The downloaded '{archive.name}' was kept and will not be downloaded again.",
    )


def _fetch_and_unpack(fname, urls, cache_dir, extracted, md5, seconds) -> Path:
    datadir = cache_dir / "datasets"
    archive = datadir / fname
    failures = []
    for candidate in urls:
        try:
            _download_checked(fname, candidate, cache_dir, md5, seconds)
            break
        except CourseDataError as error:
            if isinstance(error, DiskFullError):  # another address would not fit either
                raise
            failures.append((candidate, error))
    else:
        if len(failures) == 1:
            raise failures[0][1]
        # Each message names its address; the advice on local data is given once, at the end.
        raise CourseDataError(
            f"'{fname}' 을(를) 어느 주소에서도 받지 못했습니다:\n"
            + "\n".join(
                f"  - {e.korean.replace(' ' + _LOCAL_DATA_KO, '')}" for _, e in failures
            )
            + f"\n{_LOCAL_DATA_KO}",
            f"Could not get '{fname}' from any address:\n"
            + "\n".join(
                f"  - {e.english.replace(' ' + _LOCAL_DATA_EN, '')}"
                for _, e in failures
            )
            + f"\n{_LOCAL_DATA_EN}",
        )

    import keras

    if extracted.exists():  # a half-finished earlier extraction (the lock is ours)
        shutil.rmtree(extracted)
    needed, free = _unpacked_size(archive), free_bytes(datadir)

    def no_room():
        what = (f"'{fname}' 을(를) 풀지", f"unpack '{fname}'")
        return disk_full_error(
            datadir, needed, "COURSE_CACHE_DIR", what, _kept(archive)
        )

    if needed and free is not None and free < needed:
        raise no_room()
    try:  # the archive is in the cache and was checked above: get_file only unpacks it
        keras.utils.get_file(
            fname,
            origin=candidate,
            cache_dir=str(cache_dir),
            cache_subdir="datasets",
            extract=True,
        )
    except Exception as error:
        if is_disk_full(error):  # the archive is good: only the room ran out
            shutil.rmtree(extracted, ignore_errors=True)
            raise no_room() from error
        raise _quarantine(archive, candidate, f"cannot unpack: {error}") from error
    if not extracted.is_dir() or not any(extracted.iterdir()):
        raise _quarantine(archive, candidate, "the archive unpacked to nothing")
    # The sum this archive matched: utils.manifest trusts the folder's known contents.
    # Written whole or not at all: a cut-short marker must not count as done.
    write_atomic(
        extracted / _DONE_MARKER,
        json.dumps({"archive": fname, "md5": md5}) if md5 else "",
    )
    return extracted


def write_atomic(path: Path, text: str) -> None:
    """Writes ``text`` to ``path`` through a temporary file in the same folder, so a
    reader (or a run cut short) sees the old file or the new one, never half of one."""
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def verified_md5(extracted: Path) -> str | None:
    """The md5 the archive unpacked in ``extracted`` matched when it was downloaded, if any.

    None for a folder unpacked without a known sum, by an older version of the course (an
    empty marker) or not by :func:`fetch_archive` at all: such a folder is checked file by
    file.
    """
    try:
        marker = json.loads((Path(extracted) / _DONE_MARKER).read_text() or "{}")
    except (OSError, ValueError):
        return None
    md5 = marker.get("md5") if isinstance(marker, dict) else None
    return md5 if isinstance(md5, str) and len(md5) == 32 else None


def _download_checked(
    fname: str, url: str, cache_dir: Path, md5: str | None, seconds: float
) -> None:
    """Puts a checked copy of ``url`` at ``cache_dir/datasets/fname`` (kept if already there and good)."""
    import keras  # here, not at the top: reading local data should not load TensorFlow

    archive = cache_dir / "datasets" / fname
    # get_file has no timeout of its own; urllib takes the socket default for each
    # connection and each read, so a silent or stalled server raises instead of hanging.
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        # extract=False: the archive is checked before anything is unpacked.
        keras.utils.get_file(
            fname,
            origin=url,
            file_hash=md5,
            hash_algorithm="md5" if md5 else "auto",
            cache_dir=str(cache_dir),
            cache_subdir="datasets",
        )
    except ValueError as error:  # keras: the downloaded file's hash does not match
        raise _quarantine(archive, url, f"md5 != {md5}") from error
    except Exception as error:  # keras wraps URLError/HTTPError in a bare Exception
        if is_disk_full(error):  # not the network's fault (keras removed the part file)
            raise disk_full_error(
                archive.parent,
                None,
                "COURSE_CACHE_DIR",
                (f"'{fname}' 을(를) 내려받지", f"download '{fname}'"),
            ) from error
        if "timed out" in str(error) or isinstance(
            error, (TimeoutError, socket.timeout)
        ):
            raise CourseDataError(
                f"'{url}' 서버가 {seconds:g}초 동안 응답하지 않아 내려받기를 멈췄습니다. "
                f"나중에 다시 실행하거나 COURSE_DOWNLOAD_TIMEOUT 으로 기다릴 시간을 늘리세요. {_LOCAL_DATA_KO}",
                f"The server at '{url}' sent nothing for {seconds:g} s, so the download was stopped. "
                f"Try again later or raise COURSE_DOWNLOAD_TIMEOUT. {_LOCAL_DATA_EN}",
            ) from error
        if "URL fetch failure" not in str(error) and not isinstance(error, OSError):
            raise
        raise CourseDataError(
            f"'{url}' 에서 내려받지 못했습니다 ({error}). 네트워크 연결을 확인하세요. {_LOCAL_DATA_KO}",
            f"Could not download '{url}' ({error}). Check the network. {_LOCAL_DATA_EN}",
        ) from error
    finally:
        socket.setdefaulttimeout(previous)

    if zipfile.is_zipfile(archive):
        try:
            with zipfile.ZipFile(archive) as zipped:
                bad_member = zipped.testzip()
        except (
            zipfile.BadZipFile,
            zlib.error,
            NotImplementedError,
            OSError,
            EOFError,
        ) as error:
            raise _quarantine(
                archive, url, f"zip is damaged ({type(error).__name__})"
            ) from error
        if bad_member is not None:
            raise _quarantine(archive, url, f"zip member {bad_member} is damaged")


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
