"""Dogs vs cats: Kaggle's ``train/cat.N.jpg`` layout or Microsoft's ``PetImages/Cat/N.jpg`` zip.

Every file is decoded once while indexing, so files that are not images (Microsoft's zip
has some) are found and reported, never met mid-epoch.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import sources
from .download import fetch_archive
from .errors import missing_file_error
from .images import checked_once, image_problem

OFFICIAL_URL = ("https://download.microsoft.com/download/3/E/1/"
                "3E1C3F21-ECDB-4869-8368-6DEBA77B919F/kagglecatsanddogs_5340.zip")
CLASS_NAMES = ("cat", "dog")  # label 0 and 1
LECTURE_SPLIT = {"train": (0, 1000), "validation": (1000, 1500), "test": (1500, 2500)}
_KAGGLE_NAME = re.compile(r"^(cat|dog)\.(\d+)\.jpg$", re.IGNORECASE)


@dataclass(frozen=True)
class Photo:
    path: str
    label: int  # 0 cat, 1 dog
    number: int  # the N in cat.N.jpg or Cat/N.jpg


@dataclass
class DogsCatsIndex:
    photos: list[Photo]
    skipped: dict[str, str] = field(default_factory=dict)
    source: sources.DataSource | None = None

    def report(self) -> str:
        counts = [sum(p.label == k for p in self.photos) for k in (0, 1)]
        line = (f"Dogs vs cats: 고양이 {counts[0]}장, 개 {counts[1]}장 / "
                f"{counts[0]} cats, {counts[1]} dogs")
        if self.skipped:
            names = ", ".join(f"{n} ({why})" for n, why in sorted(self.skipped.items()))
            line += f"; 건너뜀 {len(self.skipped)}개 / skipped {len(self.skipped)}: {names}"
        return line


def _candidates(root: Path) -> tuple[list[tuple[Path, int, int]], dict[str, str]]:
    """(path, label, number) of every photo file in either layout under ``root``."""
    skipped = {}
    for folder in (root, *sorted(p for p in root.iterdir() if p.is_dir())):
        if (folder / "train").is_dir():  # Kaggle
            found = []
            for path in sorted((folder / "train").iterdir()):
                match = _KAGGLE_NAME.match(path.name)
                if match:
                    found.append((path, CLASS_NAMES.index(match[1].lower()), int(match[2])))
                elif not path.name.startswith("."):
                    skipped[f"train/{path.name}"] = "not named cat.N.jpg / dog.N.jpg"
            return found, skipped
        if (folder / "PetImages").is_dir():  # Microsoft
            found = []
            for label, sub in enumerate(("Cat", "Dog")):
                for path in sorted((folder / "PetImages" / sub).iterdir()):
                    if path.stem.isdigit() and path.suffix.lower() == ".jpg":
                        found.append((path, label, int(path.stem)))
                    elif not path.name.startswith("."):
                        skipped[f"{sub}/{path.name}"] = "not a numbered .jpg"
            return found, skipped
    raise missing_file_error(root, "train/ (Kaggle) or PetImages/ (Microsoft)")


def build_index(root: Path, source=None, workers: int = 8) -> DogsCatsIndex:
    candidates, skipped = _candidates(Path(root))
    problems = checked_once([c[0] for c in candidates], image_problem, workers=workers)
    photos = []
    for (path, label, number), why in zip(candidates, problems):
        if why:
            skipped[f"{path.parent.name}/{path.name}"] = why
        else:
            photos.append(Photo(str(path), label, number))
    return DogsCatsIndex(photos, skipped, source)


def download_dogs_cats(url=None, cache=None) -> Path:
    """Microsoft's zip, downloaded once; its member checksums are verified before unpacking."""
    url = url or os.environ.get("COURSE_DOGS_CATS_URL") or OFFICIAL_URL
    return fetch_archive("kagglecatsanddogs_5340.zip", url, sources.cache_dir(cache))


def locate_dogs_cats(data_dir=None, url=None, cache=None) -> tuple[Path, sources.DataSource]:
    local = sources.local_data_dir(data_dir)
    if local is not None:
        for folder in (local, *sorted(p for p in local.iterdir() if p.is_dir())):
            if (folder / "train").is_dir() or (folder / "PetImages").is_dir():
                return folder, sources.DataSource("Dogs vs cats", "local", folder)
        raise missing_file_error(local, "train/ (Kaggle) or PetImages/ (Microsoft)")
    if sources.wants_synthetic():
        from .synthetic import make_synthetic_dogs_cats

        folder = sources.cache_dir(cache) / "synthetic" / "dogs-vs-cats"
        make_synthetic_dogs_cats(folder)
        return folder, sources.DataSource("Dogs vs cats", "synthetic", folder)
    folder = download_dogs_cats(url, cache)
    return folder, sources.DataSource("Dogs vs cats", "download", folder)


def load_dogs_cats_index(data_dir=None, url=None, cache=None, verbose=True) -> DogsCatsIndex:
    folder, source = locate_dogs_cats(data_dir, url, cache)
    index = build_index(folder, source)
    if verbose:
        print(index.report())
    return index


def split_photos(photos, scheme: str = "auto", per_class: int | None = None):
    """{"train", "validation", "test"} lists of photos.

    ``lecture``: per class, numbers 0-999 train, 1000-1499 validation, 1500-2499 test.
    ``proportional``: the same 2:1:2 proportions over the photos each class has (for
    smaller folders such as the sample), optionally capped at ``per_class`` photos.
    ``auto``: the lecture's split when every class has photos up to number 2499.
    """
    by_class = [sorted((p for p in photos if p.label == k), key=lambda p: p.number) for k in (0, 1)]
    if scheme == "auto":
        full = all({p.number for p in group} >= set(range(2500)) for group in by_class)
        scheme = "lecture" if full and per_class is None else "proportional"
    splits = {"train": [], "validation": [], "test": []}
    for group in by_class:
        if scheme == "lecture":
            for name, (lo, hi) in LECTURE_SPLIT.items():
                splits[name] += [p for p in group if lo <= p.number < hi]
        elif scheme == "proportional":
            group = group[:per_class] if per_class else group
            n_train, n_val = round(len(group) * 0.4), round(len(group) * 0.2)
            splits["train"] += group[:n_train]
            splits["validation"] += group[n_train:n_train + n_val]
            splits["test"] += group[n_train + n_val:]
        else:
            raise ValueError(f"unknown split scheme '{scheme}'")
    return splits


def make_dataset(photos, image_size=(180, 180), batch_size=32, shuffle=False, seed=1337):
    """(image float32 0..255, label 0 cat / 1 dog) batches, decoded in parallel, prefetched."""
    import tensorflow as tf

    from .pets import load_image

    paths = [p.path for p in photos]
    labels = np.array([p.label for p in photos], np.int32)
    ds = tf.data.Dataset.from_tensor_slices((paths, labels))
    if shuffle:
        ds = ds.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(lambda path, label: (load_image(path, image_size), label),
                num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_arrays(photos, image_size=(180, 180), seed=0):
    """All photos as (images, labels) NumPy arrays, cats and dogs mixed in a fixed order.

    Fine for the small models of chapters 3 and 4 (a few thousand photos at 32x32);
    the split lists come ordered by class, so the arrays are permuted with ``seed``.
    """
    batches = list(make_dataset(photos, image_size=image_size, batch_size=256))
    images = np.concatenate([x.numpy() for x, _ in batches])
    labels = np.concatenate([y.numpy() for _, y in batches])
    order = np.random.default_rng(seed).permutation(len(labels))
    return images[order], labels[order]
