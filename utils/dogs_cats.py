"""Dogs vs cats: Kaggle's ``train/cat.N.jpg`` layout or Microsoft's ``PetImages/Cat/N.jpg`` zip.

Every file is decoded once while indexing, by the decoder training uses, so files that
are not images (Microsoft's zip has some, such as an empty ``Cat/666.jpg``) are found and
reported, never met mid-epoch. Verdicts are kept per path (``PetImages/Cat/5.jpg`` and
``PetImages/Dog/5.jpg`` are different files).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import images, sources
from .download import fetch_archive
from .errors import missing_file_error

OFFICIAL_URL = (
    "https://download.microsoft.com/download/3/E/1/"
    "3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip"
)
CLASS_NAMES = ("cat", "dog")  # label 0 and 1
LECTURE_SPLIT = {"train": (0, 1000), "validation": (1000, 1500), "test": (1500, 2500)}
# Names in the printed notes.
_CLASS_KO = {"cat": "고양이", "dog": "개"}
_PART_KO = {"train": "훈련", "validation": "검증", "test": "테스트"}
_KAGGLE_NAME = re.compile(r"^(cat|dog)\.(\d+)\.jpg$", re.IGNORECASE)


@dataclass(frozen=True)
class Photo:
    path: str
    label: int  # 0 cat, 1 dog
    number: int  # the N in cat.N.jpg or Cat/N.jpg
    # Of the bytes the index decoded and checked. None where no index decoded the photo
    # (made by hand): training then checks it as it reaches it and skips it if bad.
    fingerprint: int | None = None

    @property
    def decode_checked(self) -> bool:
        """Whether an index decoded the photo (and kept its fingerprint)."""
        return self.fingerprint is not None


class Splits(dict):
    """{"train", "validation", "test"} lists of photos; ``note`` says how they differ from the
    lecture's (empty when they are exactly the lecture's)."""

    note: str = ""


@dataclass
class DogsCatsIndex:
    photos: list[Photo]
    skipped: dict[str, str] = field(default_factory=dict)
    source: sources.DataSource | None = None

    def report(self) -> str:
        counts = [sum(p.label == k for p in self.photos) for k in (0, 1)]
        line = f"Dogs vs cats: 고양이 {counts[0]}장, 개 {counts[1]}장"
        if self.skipped:
            names = ", ".join(f"{n} ({why})" for n, why in sorted(self.skipped.items()))
            line += f"; 건너뜀 {len(self.skipped)}개: {names}"
        note = lecture_split_note(self.photos)
        return f"{line}; {note}" if note else line


def _candidates(root: Path) -> tuple[list[tuple[Path, int, int]], dict[str, str]]:
    """(path, label, number) of every photo file in either layout under ``root``."""
    skipped = {}
    for folder in (root, *sorted(p for p in root.iterdir() if p.is_dir())):
        found = []
        if (folder / "train").is_dir():  # Kaggle
            for path in sorted((folder / "train").iterdir()):
                match = _KAGGLE_NAME.match(path.name)
                if match:
                    found.append(
                        (path, CLASS_NAMES.index(match[1].lower()), int(match[2]))
                    )
                elif not path.name.startswith("."):
                    skipped[f"train/{path.name}"] = (
                        "이름이 cat.N.jpg, dog.N.jpg 형식이 아님"
                    )
        elif (folder / "PetImages").is_dir():  # Microsoft
            for label, sub in enumerate(("Cat", "Dog")):
                if not (folder / "PetImages" / sub).is_dir():
                    raise missing_file_error(folder, f"PetImages/{sub}/")
                for path in sorted((folder / "PetImages" / sub).iterdir()):
                    if path.stem.isdigit() and path.suffix.lower() == ".jpg":
                        found.append((path, label, int(path.stem)))
                    elif not path.name.startswith("."):
                        skipped[f"{sub}/{path.name}"] = "번호가 이름인 .jpg가 아님"
        else:
            continue
        # One photo per class and number ("cat.7.jpg", not also "cat.007.jpg"), so the
        # lecture's numbered split never counts one number twice.
        unique = {}
        for path, label, number in sorted(
            found, key=lambda c: (c[1], c[2], len(c[0].name), c[0].name)
        ):
            if (label, number) in unique:
                skipped[f"{path.parent.name}/{path.name}"] = f"번호 {number} 중복"
            else:
                unique[label, number] = (path, label, number)
        return list(unique.values()), skipped
    raise missing_file_error(root, "train/ (Kaggle) or PetImages/ (Microsoft)")


def build_index(
    root: Path, source=None, workers: int = 8, cache_dir=None
) -> DogsCatsIndex:
    """Every photo that training can decode; the rest is named in :meth:`DogsCatsIndex.report`.

    Checks are remembered per path under ``root`` in ``cache_dir`` (default ``COURSE_CACHE_DIR``).
    """
    root = Path(root)
    candidates, skipped = _candidates(root)
    by_key = {
        path.relative_to(root).as_posix(): (path, label, number)
        for path, label, number in candidates
    }
    verdicts = images.checked(
        root,
        {k: (c[0],) for k, c in by_key.items()},
        lambda k: images.check_photo(by_key[k][0]),
        cache_dir=cache_dir,
        workers=workers,
    )
    photos = []
    for key, (path, label, number) in by_key.items():
        verdict = verdicts[key]
        if verdict["problem"]:
            skipped[f"{path.parent.name}/{path.name}"] = verdict["problem"]
        else:
            photos.append(Photo(str(path), label, number, verdict["fingerprint"]))
    return DogsCatsIndex(photos, skipped, source)


def download_dogs_cats(url=None, cache_dir=None, timeout: float | None = None) -> Path:
    """Microsoft's zip, downloaded once; its member checksums are verified before unpacking.

    ``url`` alone when given; else Microsoft's address, then the mirror in
    ``COURSE_DOGS_CATS_URL`` if set. ``timeout``: see :func:`utils.download.fetch_archive`.
    """
    urls = [url] if url else sources.with_mirror([OFFICIAL_URL], "COURSE_DOGS_CATS_URL")
    return fetch_archive(
        "kagglecatsanddogs_5340.zip",
        urls,
        sources.cache_dir(cache_dir),
        timeout=timeout,
    )


def locate_dogs_cats(
    data_dir=None, url=None, cache_dir=None
) -> tuple[Path, sources.DataSource]:
    synthetic = sources.wants_synthetic()  # checked first: a typo never passes unseen
    local = sources.local_data_dir(data_dir)
    if local is not None:
        for folder in (local, *sorted(p for p in local.iterdir() if p.is_dir())):
            if (folder / "train").is_dir() or (folder / "PetImages").is_dir():
                return folder, sources.DataSource("Dogs vs cats", "local", folder)
        raise missing_file_error(local, "train/ (Kaggle) or PetImages/ (Microsoft)")
    if synthetic:
        from .synthetic import make_synthetic_dogs_cats

        folder = sources.cache_dir(cache_dir) / "synthetic" / "dogs-vs-cats"
        make_synthetic_dogs_cats(folder)
        return folder, sources.DataSource("Dogs vs cats", "synthetic", folder)
    folder = download_dogs_cats(url, cache_dir)
    return folder, sources.DataSource("Dogs vs cats", "download", folder)


def load_dogs_cats_index(
    data_dir=None, url=None, cache_dir=None, verbose=True
) -> DogsCatsIndex:
    folder, source = locate_dogs_cats(data_dir, url, cache_dir)
    index = build_index(folder, source, cache_dir=cache_dir)
    if verbose:
        print(index.report())
    return index


def _by_class(photos) -> list[list[Photo]]:
    return [
        sorted((p for p in photos if p.label == k), key=lambda p: p.number)
        for k in (0, 1)
    ]


def _lecture_size() -> int:
    return max(hi for _, hi in LECTURE_SPLIT.values())


def lecture_split_note(photos) -> str:
    """How the lecture's split of these photos differs from numbers 0-2499 per class ("" if not at all).

    A number that is missing (a broken file left out) is replaced by the next valid photo,
    so every part keeps the lecture's size; where a class has too few photos, says so.
    """
    size, parts = _lecture_size(), []
    for name, group in zip(CLASS_NAMES, _by_class(photos)):
        numbers = {p.number for p in group}
        if len(group) < size:
            continue  # not the lecture's data: split_photos says which split it uses
        missing = sorted(set(range(size)) - numbers)
        if missing:
            extra = sorted(n for n in numbers if n >= size)[: len(missing)]
            parts.append(f"{_CLASS_KO[name]} {_numbers(missing)} -> {_numbers(extra)}")
    if not parts:
        return ""
    return "강의 분할: 빠진 번호 대신 다음 사진을 씀: " + "; ".join(parts)


def _numbers(numbers: list[int], shown: int = 8) -> str:
    text = ",".join(map(str, numbers[:shown]))
    return text + (f",... ({len(numbers)})" if len(numbers) > shown else "")


def split_photos(
    photos, scheme: str = "auto", per_class: int | None = None, verbose: bool = True
) -> Splits:
    """{"train", "validation", "test"} lists of photos.

    ``lecture``: per class, in number order, the lecture's 1,000 train, 500 validation and
    1,000 test photos: numbers 0-999, 1000-1499 and 1500-2499 when none is missing; a
    missing number is replaced by the next valid photo so the sizes stay the lecture's.
    ``proportional``: the same 2:1:2 proportions over the photos each class has (for
    smaller folders such as the sample), optionally capped at ``per_class`` photos.
    ``auto``: the lecture's split when every class has its 2,500 photos, else proportional.

    Anything other than the lecture's exact numbers is said in the result's ``note``, and
    printed when ``verbose``.
    """
    by_class = _by_class(photos)
    notes = []
    if scheme == "auto":
        if per_class is not None:
            scheme = "proportional"
        elif all(len(group) >= _lecture_size() for group in by_class):
            scheme = "lecture"
        else:
            scheme = "proportional"
            counts = ", ".join(
                f"{_CLASS_KO[n]} {len(g)}장" for n, g in zip(CLASS_NAMES, by_class)
            )
            notes.append(
                f"강의 분할에 필요한 클래스당 {_lecture_size()}장이 없어 "
                f"2:1:2 비율로 나눔 ({counts})"
            )
    splits, short = Splits(train=[], validation=[], test=[]), []
    for name, group in zip(CLASS_NAMES, by_class):
        if scheme == "lecture":
            for part, (lo, hi) in LECTURE_SPLIT.items():
                splits[part] += group[lo:hi]
                if len(group[lo:hi]) < hi - lo:
                    short.append(
                        f"{_CLASS_KO[name]} {_PART_KO[part]} {len(group[lo:hi])}/{hi - lo}"
                    )
        elif scheme == "proportional":
            group = group[:per_class] if per_class else group
            n_train, n_val = round(len(group) * 0.4), round(len(group) * 0.2)
            splits["train"] += group[:n_train]
            splits["validation"] += group[n_train : n_train + n_val]
            splits["test"] += group[n_train + n_val :]
        else:
            raise ValueError(f"unknown split scheme '{scheme}'")
    if short:
        notes.append("강의 분할에 사진이 모자람: " + ", ".join(short))
    if scheme == "lecture":
        substitution = lecture_split_note(photos)
        if substitution:
            notes.append(substitution)
    splits.note = "; ".join(notes)
    if verbose and splits.note:
        print(splits.note)
    return splits


def make_dataset(
    photos, image_size=(180, 180), batch_size=32, shuffle=False, seed=1337, cache=True
):
    """(image float32 whole values 0..255, label 0 cat / 1 dog) batches, decoded in parallel.

    ``cache`` as in :func:`utils.pets.make_dataset`: ``True`` (default) keeps the resized
    photos as uint8 in memory after the first full pass (about 97 KB a photo at
    180x180), ``"disk"`` or a folder keeps them in a file, ``False`` decodes every epoch;
    every choice gives the same numbers. Photos an index decoded are decoded as it
    checked them (a file changed since stops with its name); photos no index decoded
    (``decode_checked`` False) are checked as training reaches them: a bad one is
    skipped and named, never raised.
    """
    import tensorflow as tf

    paths = [p.path for p in photos]
    labels = np.array([p.label for p in photos], np.int32)
    guarded = not all(getattr(p, "decode_checked", False) for p in photos)
    columns = {"path": paths, "label": labels}
    if not guarded:  # every photo carries the fingerprint its index took
        columns["fingerprint"] = np.array([p.fingerprint for p in photos], np.int64)
    ds = tf.data.Dataset.from_tensor_slices(columns)
    if shuffle:  # the cheap file list, before decoding
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)

    def decode(row):
        if guarded:  # the index's checks, as training reaches the file
            image, _, ok = images.guarded_decode(row["path"])
        else:  # the decoder the index checked it with
            data = images.read_unchanged(row["path"], row["fingerprint"])
            image, ok = images.decode_photo(data), tf.constant(True)
        return images.resize_photo_uint8(image, image_size), row["label"], ok

    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    key = ("dogs_cats", list(image_size), [(p.path, p.fingerprint) for p in photos])
    return images.finish_pipeline(
        ds,
        len(paths),
        cache=cache,
        key_parts=key,
        shuffle=shuffle,
        seed=seed,
        batch_size=batch_size,
        guarded=guarded,
    )


def load_arrays(photos, image_size=(180, 180), seed=0):
    """All photos as (images, labels) NumPy arrays, cats and dogs mixed in a fixed order.

    Fine for the small models of chapters 3 and 4 (a few thousand photos at 32x32);
    the split lists come ordered by class, so the arrays are permuted with ``seed``.
    """
    batches = list(
        make_dataset(photos, image_size=image_size, batch_size=256, cache=False)
    )
    pixels = np.concatenate([x.numpy() for x, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    order = np.random.default_rng(seed).permutation(len(labels))
    return pixels[order], labels[order]
