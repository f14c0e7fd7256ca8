"""What an md5-verified official archive is known to hold, so its photos need no up-front check.

Checking every photo of a fresh copy costs about 17 s on 2 cores (7,390 Pets photos)
before the first batch, on every new Colab runtime. An archive whose md5 is the
official one holds known files, so the index can trust it: it leaves out the files
listed under ``skip`` here, notes the ones under ``convert``, and decodes nothing up
front. Training still checks each file as it reaches it (``utils.images.guarded_decode``):
a file that fails then is skipped and named, so no file can stop an epoch.

Only a download whose md5 matched (``utils.download.fetch_archive`` writes the sum it
verified into the unpacked folder's marker) counts as verified. A local folder
(``COURSE_DATA_DIR``), generated data and an archive without a known md5 (Microsoft's
dogs-vs-cats zip) are always checked file by file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from . import download


@dataclass(frozen=True)
class ArchiveManifest:
    """The official files of one data set and their known quirks.

    ``archives`` maps each archive to its md5 and the folder under which it unpacks;
    ``skip`` and ``convert`` map a path under the data folder to why it is left out or
    how it is read (TensorFlow's ``decode_image`` reads the data, not the extension).
    """

    dataset: str
    archives: dict[str, str]
    photos: int
    skip: dict[str, str] = field(default_factory=dict)
    convert: dict[str, str] = field(default_factory=dict)

    def quirk_names(self) -> set[str]:
        """The file names (``beagle_116.jpg``) of every listed quirk."""
        return {Path(p).name for p in (*self.skip, *self.convert)}


_PNG_OR_GIF = "이름은 .jpg인 PNG 또는 GIF; 내용대로 디코딩"

PETS = ArchiveManifest(
    dataset="Oxford-IIIT Pet",
    archives={
        "images.tar.gz": "5c4f3ee8e5d25df40f4fd59a7f44e54c",
        "annotations.tar.gz": "95a8c909bbe2e81eed6a22bccdf3f68f",
    },
    photos=7390,
    skip={
        "images/beagle_116.jpg": "손상된 JPEG (공식 배포본에 알려진 문제)",
        "images/chihuahua_121.jpg": "손상된 JPEG (공식 배포본에 알려진 문제)",
        "images/Abyssinian_34.jpg": (
            "이름은 .jpg인 GIF, 트라이맵이 모두 배경 (공식 배포본에 알려진 문제)"
        ),
    },
    convert={
        "images/Abyssinian_5.jpg": "이름은 .jpg인 RGBA PNG; 알파 채널을 버림",
        **{
            f"images/Egyptian_Mau_{n}.jpg": _PNG_OR_GIF
            for n in (14, 139, 145, 156, 167, 177, 186, 191)
        },
        **{
            f"images/{name}.jpg": "흑백 JPEG; RGB로 읽음"
            for name in (
                "Egyptian_Mau_129",
                "staffordshire_bull_terrier_2",
                "staffordshire_bull_terrier_22",
            )
        },
    },
)


def verified_archives(folders: dict[str, Path], manifest: ArchiveManifest) -> bool:
    """True when every archive of ``manifest`` was unpacked into its folder (``folders``:
    archive name -> the folder ``fetch_archive`` returned) after its md5 matched."""
    return set(folders) == set(manifest.archives) and all(
        download.verified_md5(folders[name]) == md5
        for name, md5 in manifest.archives.items()
    )
