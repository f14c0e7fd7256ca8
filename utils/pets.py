"""Oxford-IIIT Pet: download or find the data, index it, and stream it with tf.data.

Official layout (both archives unpacked)::

    images/Abyssinian_1.jpg ...
    annotations/list.txt, trainval.txt, test.txt   NAME CLASS-ID SPECIES BREED-ID
    annotations/trimaps/Abyssinian_1.png           1 = pet, 2 = background, 3 = border
    annotations/xmls/Abyssinian_1.xml              head box (trainval images only)

In the course the trimap values become classes 0 = pet, 1 = background, 2 = border.
"""

from __future__ import annotations

import os
import random
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from . import sources
from .download import fetch_archive
from .errors import CourseDataError, missing_file_error
from .images import checked_once, image_problem

OFFICIAL_URL = "https://www.robots.ox.ac.uk/~vgg/data/pets/data/"
ARCHIVE_MD5 = {
    "images.tar.gz": "5c4f3ee8e5d25df40f4fd59a7f44e54c",
    "annotations.tar.gz": "95a8c909bbe2e81eed6a22bccdf3f68f",
}
SPECIES_NAMES = ("cat", "dog")  # species 1 and 2 in the list files
MASK_CLASSES = ("pet", "background", "border")  # class 0, 1, 2 after trimap_to_classes
LIST_FILES = ("list.txt", "trainval.txt", "test.txt")


@dataclass(frozen=True)
class PetsLayout:
    images_dir: Path
    annotations_dir: Path


@dataclass(frozen=True)
class PetRecord:
    """One labelled photo. ``head_box`` is normalized [xmin, ymin, xmax, ymax] or None."""

    name: str
    image_path: str
    trimap_path: str
    breed: str
    class_id: int  # 1..37, the official breed id
    species: str  # "cat" or "dog"
    split: str  # "trainval" or "test" (official split; "" when the lists do not say)
    head_box: tuple[float, float, float, float] | None


@dataclass
class PetsIndex:
    records: list[PetRecord]
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> reason
    source: sources.DataSource | None = None

    @property
    def breeds(self) -> list[str]:
        return sorted({r.breed for r in self.records}, key=lambda b: self.class_ids[b])

    @property
    def class_ids(self) -> dict[str, int]:
        return {r.breed: r.class_id for r in self.records}

    def report(self) -> str:
        """One line: how many photos are used, and how many were skipped and which."""
        line = f"Oxford-IIIT Pet: 사진 {len(self.records)}장 사용 / {len(self.records)} photos used"
        if self.skipped:
            names = ", ".join(f"{n} ({why})" for n, why in sorted(self.skipped.items()))
            line += f"; 건너뜀 {len(self.skipped)}개 / skipped {len(self.skipped)}: {names}"
        return line


# --- finding the files -------------------------------------------------------------

def find_layout(root: Path) -> PetsLayout:
    """Finds ``images/`` and ``annotations/`` in ``root`` or one folder below it."""
    root = Path(root)
    candidates = [root] + sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else [root]
    for folder in candidates:
        if (folder / "images").is_dir() and (folder / "annotations").is_dir():
            layout = PetsLayout(folder / "images", folder / "annotations")
            check_layout(layout)
            return layout
    raise missing_file_error(root, "images/, annotations/")


def check_layout(layout: PetsLayout) -> None:
    for needed in ("trimaps", "list.txt"):
        if not (layout.annotations_dir / needed).exists():
            raise missing_file_error(layout.annotations_dir.parent, f"annotations/{needed}")


def download_pets(base_url: str | None = None, cache=None) -> PetsLayout:
    """Downloads and unpacks the two official archives once (md5-checked) into the cache."""
    base_url = base_url or os.environ.get("COURSE_PETS_URL") or OFFICIAL_URL
    cache = sources.cache_dir(cache)
    folders = {
        fname: fetch_archive(fname, base_url.rstrip("/") + "/" + fname, cache, md5)
        for fname, md5 in ARCHIVE_MD5.items()
    }
    layout = PetsLayout(folders["images.tar.gz"] / "images",
                        folders["annotations.tar.gz"] / "annotations")
    if not layout.images_dir.is_dir():
        raise missing_file_error(folders["images.tar.gz"], "images/")
    check_layout(layout)
    return layout


def locate_pets(data_dir=None, base_url=None, cache=None) -> tuple[PetsLayout, sources.DataSource]:
    """The Pets files for this run: a local folder, generated data, or the official download."""
    local = sources.local_data_dir(data_dir)
    if local is not None:
        layout = find_layout(local)
        return layout, sources.DataSource("Oxford-IIIT Pet", "local", layout.images_dir.parent)
    if sources.wants_synthetic():
        from .synthetic import make_synthetic_pets

        folder = sources.cache_dir(cache) / "synthetic" / "oxford-iiit-pet"
        make_synthetic_pets(folder)
        return find_layout(folder), sources.DataSource("Oxford-IIIT Pet", "synthetic", folder)
    layout = download_pets(base_url, cache)
    return layout, sources.DataSource("Oxford-IIIT Pet", "download", layout.images_dir.parent)


# --- parsing the labels ---------------------------------------------------------------

def parse_list_file(path: Path) -> dict[str, tuple[int, int]]:
    """``NAME CLASS-ID SPECIES BREED-ID`` lines -> {name: (class_id, species)}; skips ``#`` lines."""
    entries = {}
    for number, line in enumerate(Path(path).read_text().splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
            raise CourseDataError(
                f"'{path}' 의 {number}번째 줄을 읽을 수 없습니다: '{line}'",
                f"Cannot parse line {number} of '{path}': '{line}'",
            )
        class_id, species = int(parts[1]), int(parts[2])
        if species not in (1, 2) or not 1 <= class_id <= 37:
            raise CourseDataError(
                f"'{path}' {number}번째 줄의 라벨 값이 범위를 벗어났습니다: '{line}'",
                f"Line {number} of '{path}' has a label out of range: '{line}'",
            )
        entries[parts[0]] = (class_id, species)
    return entries


def breed_of(name: str) -> str:
    """'american_bulldog_12' -> 'american_bulldog'."""
    return re.sub(r"_\d+$", "", name)


def trimap_to_classes(trimap: np.ndarray) -> np.ndarray:
    """Trimap values 1, 2, 3 -> classes 0 (pet), 1 (background), 2 (border)."""
    trimap = np.asarray(trimap)
    bad = np.setdiff1d(np.unique(trimap), [1, 2, 3])
    if bad.size:
        raise ValueError(f"trimap values must be 1, 2 or 3, found {bad.tolist()}")
    return (trimap - 1).astype(np.uint8)


def parse_head_box(xml_path: Path) -> tuple[float, float, float, float]:
    """The head box of a PASCAL VOC file, normalized [xmin, ymin, xmax, ymax]."""
    root = ET.parse(xml_path).getroot()
    width = float(root.findtext("size/width"))
    height = float(root.findtext("size/height"))
    box = root.find("object/bndbox")
    xmin, ymin, xmax, ymax = (float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax"))
    return (xmin / width, ymin / height, xmax / width, ymax / height)


def _trimap_problem(trimap_path: Path, image_path: Path) -> str | None:
    if not trimap_path.exists():
        return "no trimap"
    try:
        with Image.open(trimap_path) as trimap:
            values = np.unique(np.asarray(trimap))
            trimap_size = trimap.size
        with Image.open(image_path) as image:
            image_size = image.size
    except OSError as error:
        return f"unreadable trimap ({type(error).__name__})"
    if trimap_size != image_size:
        return f"trimap size {trimap_size} != image size {image_size}"
    if np.setdiff1d(values, [1, 2, 3]).size:
        return f"trimap values {values.tolist()}"
    if 1 not in values:
        return "trimap has no pet pixels"
    return None


def build_index(layout: PetsLayout, source=None, workers: int = 8) -> PetsIndex:
    """Every photo that is listed and decodes, with all its labels; the rest is reported."""
    ann = layout.annotations_dir
    labels: dict[str, tuple[int, int]] = {}
    split_of: dict[str, str] = {}
    for list_name in LIST_FILES:
        path = ann / list_name
        if path.exists():
            entries = parse_list_file(path)
            labels.update(entries)
            if list_name != "list.txt":
                split_of.update(dict.fromkeys(entries, list_name.removesuffix(".txt")))

    skipped: dict[str, str] = {}
    candidates = []
    for path in sorted(layout.images_dir.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix.lower() != ".jpg":
            skipped[path.name] = "not a photo file"
        elif path.stem not in labels:
            skipped[path.name] = "in no list"
        else:
            candidates.append(path)
    missing = sorted(set(labels) - {p.stem for p in candidates} - {Path(n).stem for n in skipped})
    for name in missing:
        skipped[name + ".jpg"] = "listed but missing"

    def problem(path: Path) -> str | None:
        return image_problem(path) or _trimap_problem(ann / "trimaps" / f"{path.stem}.png", path)

    problems = checked_once(candidates, problem, ann / "trimaps", workers)

    records = []
    for path, why in zip(candidates, problems):
        if why:
            skipped[path.name] = why
            continue
        class_id, species = labels[path.stem]
        xml = ann / "xmls" / f"{path.stem}.xml"
        records.append(PetRecord(
            name=path.stem,
            image_path=str(path),
            trimap_path=str(ann / "trimaps" / f"{path.stem}.png"),
            breed=breed_of(path.stem),
            class_id=class_id,
            species=SPECIES_NAMES[species - 1],
            split=split_of.get(path.stem, ""),
            head_box=parse_head_box(xml) if xml.exists() else None,
        ))
    return PetsIndex(records, skipped, source)


def load_pets_index(data_dir=None, base_url=None, cache=None, verbose=True) -> PetsIndex:
    """Locates the data (see :mod:`utils.sources`), indexes it and prints the one-line report."""
    layout, source = locate_pets(data_dir, base_url, cache)
    index = build_index(layout, source)
    if verbose:
        print(index.report())
    return index


# --- splitting and streaming ----------------------------------------------------------

def split_records(records, val_count: int, seed: int = 1337, max_images: int | None = None):
    """A reproducible shuffle, then the last ``val_count`` records for validation (as the lecture)."""
    records = sorted(records, key=lambda r: r.name)
    random.Random(seed).shuffle(records)
    if max_images is not None:
        records = records[:max_images]
    if not 0 < val_count < len(records):
        raise ValueError(f"val_count must be between 1 and {len(records) - 1}, got {val_count}")
    return records[:-val_count], records[-val_count:]


def load_image(path, image_size):
    """Decodes any of JPEG/PNG/GIF/BMP to RGB and resizes smoothly; float32 in 0..255."""
    import tensorflow as tf

    image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
    image.set_shape([None, None, 3])
    return tf.image.resize(image, image_size, method="bilinear", antialias=True)


def load_mask(path, image_size):
    """Trimap PNG -> classes 0/1/2, resized by nearest neighbour; uint8, shape (H, W, 1)."""
    import tensorflow as tf

    trimap = tf.io.decode_png(tf.io.read_file(path), channels=1)
    trimap = tf.image.resize(trimap, image_size, method="nearest")
    return tf.cast(trimap, tf.uint8) - 1


def make_dataset(records, image_size=(200, 200), batch_size=32, targets=("mask",),
                 shuffle=False, seed=1337, cache=False):
    """A tf.data pipeline of (image, target) batches, decoded in parallel and prefetched.

    ``cache=True`` keeps the decoded, resized examples in memory after the first epoch
    (right for a sample of a few hundred photos, not for the full set at 200x200).

    ``targets`` picks the labels: "mask" (H, W, 1 classes), "species" (0 cat, 1 dog),
    "breed" (official class id - 1), "box" (normalized head box; records without one
    are left out). One target gives (image, y); several give (image, {name: y}).
    """
    import tensorflow as tf

    if "box" in targets:
        records = [r for r in records if r.head_box is not None]
    if not records:
        raise ValueError("no records to stream")
    columns = {
        "image": [r.image_path for r in records],
        "mask": [r.trimap_path for r in records],
        "species": np.array([SPECIES_NAMES.index(r.species) for r in records], np.int32),
        "breed": np.array([r.class_id - 1 for r in records], np.int32),
        "box": np.array([r.head_box or (0, 0, 0, 0) for r in records], np.float32),
    }
    if isinstance(targets, str):
        targets = (targets,)
    unknown = set(targets) - {"mask", "species", "breed", "box"}
    if unknown:
        raise ValueError(f"unknown targets {sorted(unknown)}; choose from mask, species, breed, box")
    ds = tf.data.Dataset.from_tensor_slices({k: columns[k] for k in ("image", *targets)})

    def decode(row):
        image = load_image(row["image"], image_size)
        labels = {t: load_mask(row[t], image_size) if t == "mask" else row[t] for t in targets}
        return image, labels[targets[0]] if len(targets) == 1 else labels

    if cache:  # decode once, keep in memory, shuffle the decoded examples every epoch
        ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE).cache()
        if shuffle:
            ds = ds.shuffle(len(records), seed=seed, reshuffle_each_iteration=True)
    else:  # shuffle the cheap file list, then decode in parallel
        if shuffle:
            ds = ds.shuffle(len(records), seed=seed, reshuffle_each_iteration=True)
        ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def load_arrays(records, image_size=(200, 200)):
    """All photos and masks as NumPy arrays (the lecture's way; fine for a few hundred)."""
    ds = make_dataset(records, image_size, batch_size=64)
    images, masks = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(images), np.concatenate(masks)
