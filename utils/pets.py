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

from . import images, manifest, sources
from .download import fetch_archive
from .errors import CourseDataError, missing_file_error

# Tried in this order, then COURSE_PETS_URL; every copy is checked against the same md5.
OFFICIAL_URLS = (
    "https://thor.robots.ox.ac.uk/datasets/pets/",  # where the files live now
    "https://www.robots.ox.ac.uk/~vgg/data/pets/data/",  # the old address (it redirects)
)
OFFICIAL_URL = OFFICIAL_URLS[0]
# The official md5 sums live in one place, the manifest of what the archives hold.
ARCHIVE_MD5 = manifest.PETS.archives
SPECIES_NAMES = ("cat", "dog")  # species 1 and 2 in the list files
MASK_CLASSES = ("pet", "background", "border")  # class 0, 1, 2 after trimap_to_classes
LIST_FILES = ("list.txt", "trainval.txt", "test.txt")


@dataclass(frozen=True)
class PetsLayout:
    images_dir: Path
    annotations_dir: Path


@dataclass(frozen=True)
class PetRecord:
    """One labelled photo. ``head_box`` is normalized [xmin, ymin, xmax, ymax] or None.

    The fingerprints are those of the bytes the index decoded and checked; training
    refuses, by name, a file whose bytes have changed since. None where no index decoded
    the file (a verified official archive, a record made by hand): training then checks
    it as it reaches it and skips it if bad.
    """

    name: str
    image_path: str
    trimap_path: str
    breed: str
    class_id: int  # 1..37, the official breed id
    species: str  # "cat" or "dog"
    split: str  # "trainval" or "test" (official split; "" when the lists do not say)
    head_box: tuple[float, float, float, float] | None
    image_fingerprint: int | None = None
    trimap_fingerprint: int | None = None

    @property
    def decode_checked(self) -> bool:
        """Whether an index decoded the photo and its trimap (and kept their fingerprints)."""
        return (
            self.image_fingerprint is not None and self.trimap_fingerprint is not None
        )


@dataclass
class PetsIndex:
    records: list[PetRecord]
    skipped: dict[str, str] = field(default_factory=dict)  # file name -> reason
    source: sources.DataSource | None = None
    notes: dict[str, str] = field(
        default_factory=dict
    )  # file name -> how an odd file was read

    @property
    def breeds(self) -> list[str]:
        return sorted({r.breed for r in self.records}, key=lambda b: self.class_ids[b])

    @property
    def class_ids(self) -> dict[str, int]:
        return {r.breed: r.class_id for r in self.records}

    def report(self) -> str:
        """One line: how many photos are used, which files were skipped and why, which read specially."""
        line = f"Oxford-IIIT Pet: 사진 {len(self.records)}장 사용"
        if self.skipped:
            names = ", ".join(f"{n} ({why})" for n, why in sorted(self.skipped.items()))
            line += f"; 건너뜀 {len(self.skipped)}개: {names}"
        if self.notes:
            names = ", ".join(f"{n} ({how})" for n, how in sorted(self.notes.items()))
            line += f"; 변환해 읽음 {len(self.notes)}개: {names}"
        if any(not r.decode_checked for r in self.records):
            line += "; 검증된 공식 배포본이라 사진은 훈련 중에 검사함"
        return line


# --- finding the files -------------------------------------------------------------


def find_layout(root: Path) -> PetsLayout:
    """Finds ``images/`` and ``annotations/`` in ``root`` or one folder below it."""
    root = Path(root)
    candidates = (
        [root] + sorted(p for p in root.iterdir() if p.is_dir())
        if root.is_dir()
        else [root]
    )
    for folder in candidates:
        if (folder / "images").is_dir() and (folder / "annotations").is_dir():
            layout = PetsLayout(folder / "images", folder / "annotations")
            check_layout(layout)
            return layout
    raise missing_file_error(root, "images/, annotations/")


def check_layout(layout: PetsLayout) -> None:
    for needed in ("trimaps", "list.txt"):
        if not (layout.annotations_dir / needed).exists():
            raise missing_file_error(
                layout.annotations_dir.parent, f"annotations/{needed}"
            )


def pets_urls(base_url: str | None = None) -> list[str]:
    """Base addresses to try, in order: ``base_url`` alone when given, else the official
    addresses and then the mirror in ``COURSE_PETS_URL``, if set."""
    if base_url:
        return [base_url]
    return sources.with_mirror(OFFICIAL_URLS, "COURSE_PETS_URL")


def download_pets(
    base_url: str | None = None, cache_dir=None, timeout: float | None = None
) -> PetsLayout:
    """Downloads and unpacks the two official archives once (md5-checked) into the cache.

    Each archive is tried at every address of :func:`pets_urls` until one gives the
    official file; ``timeout`` (default ``COURSE_DOWNLOAD_TIMEOUT``) ends a silent server.
    """
    folder = sources.cache_dir(cache_dir)
    bases = pets_urls(base_url)
    folders = {
        fname: fetch_archive(
            fname,
            [b.rstrip("/") + "/" + fname for b in bases],
            folder,
            md5,
            timeout=timeout,
        )
        for fname, md5 in ARCHIVE_MD5.items()
    }
    layout = PetsLayout(
        folders["images.tar.gz"] / "images",
        folders["annotations.tar.gz"] / "annotations",
    )
    if not layout.images_dir.is_dir():
        raise missing_file_error(folders["images.tar.gz"], "images/")
    check_layout(layout)
    return layout


def locate_pets(
    data_dir=None, base_url=None, cache_dir=None
) -> tuple[PetsLayout, sources.DataSource]:
    """The Pets files for this run: a local folder, generated data, or the official download."""
    synthetic = sources.wants_synthetic()  # checked first: a typo never passes unseen
    local = sources.local_data_dir(data_dir)
    if local is not None:
        layout = find_layout(local)
        return layout, sources.DataSource(
            "Oxford-IIIT Pet", "local", layout.images_dir.parent
        )
    if synthetic:
        from .synthetic import make_synthetic_pets

        folder = sources.cache_dir(cache_dir) / "synthetic" / "oxford-iiit-pet"
        make_synthetic_pets(folder)
        return find_layout(folder), sources.DataSource(
            "Oxford-IIIT Pet", "synthetic", folder
        )
    layout = download_pets(base_url, cache_dir)
    verified = manifest.verified_archives(
        {
            "images.tar.gz": layout.images_dir.parent,
            "annotations.tar.gz": layout.annotations_dir.parent,
        },
        manifest.PETS,
    )
    return layout, sources.DataSource(
        "Oxford-IIIT Pet", "download", layout.images_dir.parent, verified
    )


# --- parsing the labels ---------------------------------------------------------------


def parse_list_file(
    path: Path, problems: dict | None = None
) -> dict[str, tuple[int, int]]:
    """``NAME CLASS-ID SPECIES BREED-ID`` lines -> {name: (class_id, species)}; skips ``#`` lines.

    A bad line raises a bilingual error, or, with ``problems``, is recorded there
    (``"list.txt:7"`` -> why) and skipped, so that one bad line does not stop the index.
    """
    entries = {}
    for number, line in enumerate(
        Path(path).read_text(errors="replace").splitlines(), start=1
    ):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 4 or not all(p.isdigit() for p in parts[1:]):
            error = CourseDataError(
                f"'{path}' 의 {number}번째 줄을 읽을 수 없습니다: '{line}'",
                f"Cannot parse line {number} of '{path}': '{line}'",
            )
        elif int(parts[2]) not in (1, 2) or not 1 <= int(parts[1]) <= 37:
            error = CourseDataError(
                f"'{path}' {number}번째 줄의 레이블 값이 범위를 벗어났습니다: '{line}'",
                f"Line {number} of '{path}' has a label out of range: '{line}'",
            )
        else:
            entries[parts[0]] = (int(parts[1]), int(parts[2]))
            continue
        if problems is None:
            raise error
        problems[f"{Path(path).name}:{number}"] = "읽을 수 없는 목록 줄"
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


def parse_head_box(
    xml_path: Path, image_size: tuple[int, int] | None = None
) -> tuple[float, float, float, float]:
    """The head box of a PASCAL VOC file, normalized [xmin, ymin, xmax, ymax].

    Raises ``ValueError`` (naming the file) for a file that is not such a box: malformed
    or empty XML, missing fields, a box outside the image, or, given the photo's
    ``image_size`` (width, height), a size that is not the photo's.
    """
    try:
        root = ET.parse(xml_path).getroot()
        width = float(root.findtext("size/width"))
        height = float(root.findtext("size/height"))
        box = root.find("object/bndbox")
        xmin, ymin, xmax, ymax = (
            float(box.findtext(k)) for k in ("xmin", "ymin", "xmax", "ymax")
        )
    except (ET.ParseError, OSError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{Path(xml_path).name}: 머리 상자 XML이 아님 ({type(error).__name__})"
        ) from error
    if image_size is not None and (width, height) != tuple(map(float, image_size)):
        raise ValueError(
            f"{Path(xml_path).name}: 크기({width:g}x{height:g})가 사진 크기"
            f"({image_size[0]}x{image_size[1]})와 다름"
        )
    if not (0 <= xmin < xmax <= width and 0 <= ymin < ymax <= height):
        raise ValueError(
            f"{Path(xml_path).name}: 상자({xmin:g},{ymin:g},{xmax:g},{ymax:g})가 "
            f"이미지({width:g}x{height:g}) 밖에 있음"
        )
    return (xmin / width, ymin / height, xmax / width, ymax / height)


def check_photo_and_trimap(image_path: Path, trimap_path: Path) -> dict:
    """The index's check of one labelled photo: both files decoded as training decodes them."""
    photo = images.check_photo(image_path)
    if photo["problem"]:
        return {"problem": photo["problem"]}
    if not trimap_path.exists():
        return {"problem": "트라이맵 없음"}
    trimap = images.check_trimap(trimap_path, photo["shape"])
    if trimap["problem"]:
        return {"problem": trimap["problem"]}
    return {
        "problem": None,
        "shape": photo["shape"],
        "image_fingerprint": photo["fingerprint"],
        "trimap_fingerprint": trimap["fingerprint"],
        "note": trimap["note"],
    }


def _read_lists(ann: Path, skipped: dict) -> tuple[dict, dict]:
    labels: dict[str, tuple[int, int]] = {}
    split_of: dict[str, str] = {}
    for list_name in LIST_FILES:
        path = ann / list_name
        if not path.exists():
            continue
        try:
            entries = parse_list_file(path, skipped)
        except (OSError, UnicodeError) as error:
            if list_name == "list.txt":  # without it no photo has a label
                raise CourseDataError(
                    f"'{path}' 을(를) 읽을 수 없습니다 ({error}).",
                    f"Cannot read '{path}' ({error}).",
                ) from error
            skipped[list_name] = f"읽을 수 없음 ({type(error).__name__})"
            continue
        labels.update(entries)
        if list_name != "list.txt":
            split_of.update(dict.fromkeys(entries, list_name.removesuffix(".txt")))
    return labels, split_of


def build_index(
    layout: PetsLayout, source=None, workers: int = 8, cache_dir=None, trusted=None
) -> PetsIndex:
    """Every photo that is listed and that training can decode, with all its labels.

    Everything else (undecodable or oversized files, bad trimaps, malformed head-box
    XML, bad list lines) is left out and named in :meth:`PetsIndex.report`; the checks
    are remembered per file in ``cache_dir`` (default ``COURSE_CACHE_DIR``).

    ``trusted``, an :class:`utils.manifest.ArchiveManifest` (by default ``manifest.PETS``
    when ``source`` is an md5-verified download), skips the up-front decode: the
    manifest's known quirks are left out or noted by name, and training checks every
    other file as it reaches it (a bad one is skipped and named, never raised).
    """
    if trusted is None and source is not None and getattr(source, "verified", False):
        trusted = manifest.PETS
    ann = layout.annotations_dir
    skipped: dict[str, str] = {}
    labels, split_of = _read_lists(ann, skipped)
    candidates = []
    for path in sorted(layout.images_dir.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix.lower() != ".jpg":
            skipped[path.name] = "사진 파일이 아님"
        elif path.stem not in labels:
            skipped[path.name] = "어느 목록에도 없음"
        else:
            candidates.append(path)
    missing = sorted(
        set(labels) - {p.stem for p in candidates} - {Path(n).stem for n in skipped}
    )
    for name in missing:
        skipped[name + ".jpg"] = "목록에는 있으나 파일이 없음"

    def trimap_of(path: Path) -> Path:
        return ann / "trimaps" / f"{path.stem}.png"

    if trusted is not None:
        return _trusted_index(
            layout, candidates, labels, split_of, skipped, trusted, source
        )
    # Keyed by the path under the folder that holds images/ (as "images/NAME.jpg").
    root = layout.images_dir.parent
    by_key = {f"{layout.images_dir.name}/{p.name}": p for p in candidates}
    verdicts = images.checked(
        root,
        {k: (p, trimap_of(p)) for k, p in by_key.items()},
        lambda k: check_photo_and_trimap(by_key[k], trimap_of(by_key[k])),
        cache_dir=cache_dir,
        workers=workers,
    )
    records, notes = [], {}
    for key, path in by_key.items():
        verdict = verdicts[key]
        if verdict["problem"]:
            skipped[path.name] = verdict["problem"]
            continue
        if verdict.get("note"):
            notes[trimap_of(path).name] = verdict["note"]
        head_box = None
        xml = ann / "xmls" / f"{path.stem}.xml"
        if xml.exists():
            height, width = verdict["shape"]
            try:
                head_box = parse_head_box(xml, (width, height))
            except ValueError as error:
                skipped[xml.name] = str(error).split(": ", 1)[-1]
        records.append(
            _record(
                path,
                trimap_of(path),
                labels,
                split_of,
                head_box,
                image_fingerprint=verdict["image_fingerprint"],
                trimap_fingerprint=verdict["trimap_fingerprint"],
            )
        )
    return PetsIndex(records, skipped, source, notes)


def _record(path, trimap, labels, split_of, head_box, **checks) -> PetRecord:
    """The record of one photo; ``checks``: the fingerprints the index took, if any."""
    class_id, species = labels[path.stem]
    return PetRecord(
        name=path.stem,
        image_path=str(path),
        trimap_path=str(trimap),
        breed=breed_of(path.stem),
        class_id=class_id,
        species=SPECIES_NAMES[species - 1],
        split=split_of.get(path.stem, ""),
        head_box=head_box,
        **checks,
    )


def _trusted_index(
    layout, candidates, labels, split_of, skipped, trusted, source
) -> PetsIndex:
    """:func:`build_index` for a verified archive: its known quirks by name, no decoding.

    Records get no fingerprints (``decode_checked`` False), so :func:`make_dataset`
    checks each file with the index's own checks as training reaches it.
    """
    ann, notes, records = layout.annotations_dir, {}, []
    folder = layout.images_dir.name
    # One listing per folder instead of a stat per file (7,390 stats take seconds on
    # some file systems).
    trimap_names, xml_names = _names_in(ann / "trimaps"), _names_in(ann / "xmls")
    for path in candidates:
        key = f"{folder}/{path.name}"
        if key in trusted.skip:
            skipped[path.name] = trusted.skip[key]
            continue
        trimap = ann / "trimaps" / f"{path.stem}.png"
        if trimap.name not in trimap_names:
            skipped[path.name] = "트라이맵 없음"
            continue
        if key in trusted.convert:
            notes[path.name] = trusted.convert[key]
        head_box = None
        xml = ann / "xmls" / f"{path.stem}.xml"
        if xml.name in xml_names:
            try:  # the photo is not decoded: the box is checked against the XML's size
                head_box = parse_head_box(xml)
            except ValueError as error:
                skipped[xml.name] = str(error).split(": ", 1)[-1]
        records.append(_record(path, trimap, labels, split_of, head_box))
    return PetsIndex(records, skipped, source, notes)


def _names_in(folder: Path) -> set[str]:
    try:
        return set(os.listdir(folder))
    except OSError:
        return set()


def load_pets_index(
    data_dir=None, base_url=None, cache_dir=None, verbose=True
) -> PetsIndex:
    """Locates the data (see :mod:`utils.sources`), indexes it and prints the one-line report.

    ``cache_dir`` is where downloads, generated data and the remembered file checks go.
    """
    layout, source = locate_pets(data_dir, base_url, cache_dir)
    index = build_index(layout, source, cache_dir=cache_dir)
    if verbose:
        print(index.report())
    return index


# --- splitting and streaming ----------------------------------------------------------


def split_records(
    records, val_count: int, seed: int = 1337, max_images: int | None = None
):
    """A reproducible shuffle, then the last ``val_count`` records for validation (as the lecture)."""
    records = sorted(records, key=lambda r: r.name)
    random.Random(seed).shuffle(records)
    if max_images is not None:
        records = records[:max_images]
    if not 0 < val_count < len(records):
        raise ValueError(
            f"val_count must be between 1 and {len(records) - 1}, got {val_count}"
        )
    return records[:-val_count], records[-val_count:]


def load_image(path, image_size):
    """Decodes any of JPEG/PNG/GIF/BMP to RGB and resizes smoothly; float32 whole values 0..255.

    The same numbers :func:`make_dataset` gives for this photo (rounded as its cache keeps them).
    """
    import tensorflow as tf

    photo = images.decode_photo(tf.io.read_file(path))
    return tf.cast(images.resize_photo_uint8(photo, image_size), tf.float32)


def load_mask(path, image_size):
    """Trimap PNG -> classes 0/1/2, resized by nearest neighbour; uint8, shape (H, W, 1).

    8-bit and 16-bit trimaps give the same classes; a trimap holding any value other than
    1, 2 or 3 stops with its file name, so a mask never holds a value outside {0, 1, 2}.
    """
    import tensorflow as tf

    return _mask_from_bytes(tf.io.read_file(path), path, image_size)


def _mask_from_bytes(data, path, image_size):
    """Trimap values 1/2/3 -> classes 0/1/2, resized by nearest neighbour (never a blended class).

    A value outside 1..3 (only in a file the index did not accept) stops with the file's
    name instead of becoming class 255.
    """

    return _mask_from_values(images.decode_trimap(data), path, image_size)


def _mask_from_values(values, path, image_size):
    """Decoded trimap values 1/2/3 -> classes 0/1/2 at ``image_size`` (nearest neighbour)."""
    import tensorflow as tf

    valid = tf.reduce_all((values >= 1) & (values <= 3))
    check = tf.debugging.Assert(
        valid,
        [
            "트라이맵 값은 1, 2, 3 이어야 합니다 / trimap values must be 1, 2 or 3:",
            path,
        ],
        summarize=1,
    )
    with tf.control_dependencies([check]):
        mask = tf.image.resize(values, image_size, method="nearest")
    return tf.cast(mask, tf.uint8) - 1


def make_dataset(
    records,
    image_size=(200, 200),
    batch_size=32,
    targets=("mask",),
    shuffle=False,
    seed=1337,
    cache=True,
):
    """A tf.data pipeline of (image, target) batches, decoded in parallel and prefetched.

    Images are float32 with whole values 0..255 (the models rescale them themselves).

    ``cache`` keeps the decoded, resized examples as uint8 after the first full pass and
    casts them to float32 only after the cache, so later epochs decode nothing: about
    1.2 GB for the 7,390 photos at 200x200 with their masks, against 3.8 GB as float32.

    - ``True`` (default) or ``"memory"``: in memory;
    - ``"disk"``: a file under ``COURSE_CACHE_DIR/tfdata/`` (or a folder given as a path),
      which later runs reuse while the files and settings are the same;
    - ``False``: decode every epoch (the least memory).

    Every choice gives the same numbers.

    ``targets`` picks the labels: "mask" (H, W, 1 classes), "species" (0 cat, 1 dog),
    "breed" (official class id - 1), "box" (normalized head box; records without one
    are left out). One target gives (image, y); several give (image, {name: y}).

    Two ways to decode, one for each kind of record; in neither can a bad file crash an
    epoch:

    - records an index decoded (they carry its fingerprints): the index already left out
      every file training cannot decode, so the same TensorFlow decode runs in the graph;
      a file whose bytes changed since stops the epoch with its name (index again);
    - any other record (a verified official archive, whose index decodes nothing, or a
      record made by hand): the index's own checks as training reaches the file; a file
      that fails is skipped and named (``utils.images.TRAINING_SKIPS``), never raised.
    """
    import tensorflow as tf

    if isinstance(targets, str):
        targets = (targets,)
    unknown = set(targets) - {"mask", "species", "breed", "box"}
    if unknown:
        raise ValueError(
            f"unknown targets {sorted(unknown)}; choose from mask, species, breed, box"
        )
    if "box" in targets:
        records = [r for r in records if r.head_box is not None]
    if not records:
        raise ValueError("no records to stream")
    guarded = not all(getattr(r, "decode_checked", False) for r in records)
    columns = {
        "image": [r.image_path for r in records],
        "mask": [r.trimap_path for r in records],
        "species": np.array(
            [SPECIES_NAMES.index(r.species) for r in records], np.int32
        ),
        "breed": np.array([r.class_id - 1 for r in records], np.int32),
        "box": np.array([r.head_box or (0, 0, 0, 0) for r in records], np.float32),
    }
    wanted = ("image", *targets)
    if not guarded:  # every record carries the fingerprints its index took
        columns["image_fp"] = np.array([r.image_fingerprint for r in records], np.int64)
        columns["mask_fp"] = np.array([r.trimap_fingerprint for r in records], np.int64)
        wanted += ("image_fp", "mask_fp") if "mask" in targets else ("image_fp",)
    ds = tf.data.Dataset.from_tensor_slices({k: columns[k] for k in wanted})

    def decode(row):  # -> (uint8 photo, labels, ok)
        labels = {t: row[t] for t in targets if t != "mask"}
        if guarded:  # the index's checks, per element; a bad file gives ok = False
            photo, values, ok = images.guarded_decode(
                row["image"], row["mask"] if "mask" in targets else None
            )
            if "mask" in targets:
                labels["mask"] = _mask_from_values(values, row["mask"], image_size)
        else:
            data = images.read_unchanged(row["image"], row["image_fp"])
            photo, ok = images.decode_photo(data), tf.constant(True)
            if "mask" in targets:
                trimap = images.read_unchanged(row["mask"], row["mask_fp"])
                labels["mask"] = _mask_from_bytes(trimap, row["mask"], image_size)
        image = images.resize_photo_uint8(photo, image_size)
        y = labels[targets[0]] if len(targets) == 1 else {t: labels[t] for t in targets}
        return image, y, ok

    if shuffle:  # shuffle the cheap file list, then decode in parallel
        ds = ds.shuffle(len(records), seed=seed, reshuffle_each_iteration=True)
    ds = ds.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    key = (
        "pets",
        list(image_size),
        list(targets),
        [(r.image_path, r.image_fingerprint, r.trimap_path) for r in records],
    )
    return images.finish_pipeline(
        ds,
        len(records),
        cache=cache,
        key_parts=key,
        shuffle=shuffle,
        seed=seed,
        batch_size=batch_size,
        guarded=guarded,
    )


def load_arrays(records, image_size=(200, 200)):
    """All photos and masks as NumPy arrays (the lecture's way; fine for a few hundred)."""
    ds = make_dataset(records, image_size, batch_size=64, cache=False)
    photos, masks = zip(*[(x.numpy(), y.numpy()) for x, y in ds])
    return np.concatenate(photos), np.concatenate(masks)
