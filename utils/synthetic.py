"""Generated look-alikes of the two data sets, written in their official layouts.

Each picture is a cartoon "pet" (body, head and ears) on a textured background.
Cats have pointed ears and warm coats, dogs floppy ears and cool or dark coats, so
a small model can learn species and a segmentation model can learn the pet's outline.
The same seed always gives the same files.
"""

from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

# name, official class id, species (1 cat, 2 dog), coat colours
BREEDS = (
    ("Abyssinian", 1, 1, [(190, 120, 60), (170, 100, 50)]),
    ("Bengal", 6, 1, [(220, 150, 40), (200, 130, 30)]),
    ("american_bulldog", 2, 2, [(235, 235, 230), (215, 215, 225)]),
    ("beagle", 3, 2, [(60, 50, 45), (40, 40, 50)]),
)
_MARKER = ".synthetic.json"


def _background(rng, width, height) -> Image.Image:
    base = rng.integers(60, 200, size=3)
    noise = rng.normal(0, 18, size=(height, width, 3))
    stripes = (
        25
        * np.sin(np.arange(width) / rng.uniform(6, 20) + rng.uniform(0, 6))[
            None, :, None
        ]
    )
    pixels = np.clip(
        base + noise + stripes * rng.uniform(-1, 1, size=3), 0, 255
    ).astype(np.uint8)
    return Image.fromarray(pixels)


def draw_pet(rng, species: int, coat, width: int, height: int):
    """Returns (photo, pet mask 0/255, head box in pixels) of one generated picture."""
    photo = _background(rng, width, height)
    mask = Image.new("L", (width, height), 0)
    scale = min(width, height) * rng.uniform(0.22, 0.32)
    cx, cy = width * rng.uniform(0.4, 0.6), height * rng.uniform(0.5, 0.65)
    r = scale * 0.55  # head radius
    hx = cx + rng.choice([-1, 1]) * scale * 0.9
    hy = cy - scale * 0.6
    shapes = [
        (
            "ellipse",
            (cx - scale * 1.2, cy - scale * 0.6, cx + scale * 1.2, cy + scale * 0.7),
        ),
        ("ellipse", (hx - r, hy - r, hx + r, hy + r)),
    ]
    if species == 1:  # pointed ears
        for side in (-1, 1):
            ex = hx + side * r * 0.55
            shapes.append(
                (
                    "polygon",
                    [
                        (ex - r * 0.35, hy - r * 0.6),
                        (ex + r * 0.35, hy - r * 0.6),
                        (ex + side * r * 0.1, hy - r * 1.45),
                    ],
                )
            )
    else:  # floppy ears hanging beside the head
        for side in (-1, 1):
            ex = hx + side * r * 0.95
            shapes.append(
                ("ellipse", (ex - r * 0.3, hy - r * 0.5, ex + r * 0.3, hy + r * 0.75))
            )
    coat = np.array(coat[rng.integers(len(coat))])
    for draw_on, fill in ((ImageDraw.Draw(photo), None), (ImageDraw.Draw(mask), 255)):
        for kind, xy in shapes:
            colour = (
                fill
                if fill is not None
                else tuple(int(c) for c in np.clip(coat + rng.normal(0, 8, 3), 0, 255))
            )
            getattr(draw_on, kind)(xy, fill=colour)
    # Eyes make the head look like a head; they stay inside the mask.
    eyes = ImageDraw.Draw(photo)
    for side in (-1, 1):
        ex, ey = hx + side * r * 0.35, hy - r * 0.1
        eyes.ellipse(
            (ex - r * 0.1, ey - r * 0.1, ex + r * 0.1, ey + r * 0.1), fill=(20, 20, 20)
        )
    top = hy - r * (1.45 if species == 1 else 1.0)
    head_box = (
        max(0, hx - r * 1.25),
        max(0, top),
        min(width, hx + r * 1.25),
        min(height, hy + r * 1.0),
    )
    return photo.filter(ImageFilter.GaussianBlur(0.6)), mask, head_box


def trimap_from_mask(mask: Image.Image, border: int = 5) -> Image.Image:
    """Pet 1, background 2, and a band of 3 along the outline, as in the official trimaps."""
    grown = np.asarray(mask.filter(ImageFilter.MaxFilter(border))) > 127
    shrunk = np.asarray(mask.filter(ImageFilter.MinFilter(border))) > 127
    trimap = np.full(grown.shape, 2, np.uint8)
    trimap[grown] = 3
    trimap[shrunk] = 1
    return Image.fromarray(trimap)


def _already_made(folder: Path, settings: dict) -> bool:
    """True when ``folder`` holds a complete set made with ``settings``.

    The marker is written last, and whole (a temporary file renamed into place); a
    marker that cannot be read (cut short by an older version, a full disk, a copy
    interrupted) is named, and the set is made again."""
    marker = folder / _MARKER
    try:
        return json.loads(marker.read_text(encoding="utf-8")) == settings
    except FileNotFoundError:
        return False
    except (OSError, ValueError) as error:
        print(
            f"생성한 데이터의 기록 '{marker}' 이(가) 손상되어 ({type(error).__name__}) "
            f"데이터를 다시 만듭니다. / The generated data's record '{marker}' is "
            f"damaged ({type(error).__name__}); the data is made again.",
            file=sys.stderr,
            flush=True,
        )
        return False


@contextlib.contextmanager
def _making(folder: Path, settings: dict):
    """Guards one generation of ``folder``: yields False when it is already made.

    Another kernel making the same set is waited for (then its set is used); a full disk
    is reported with the folder, what is free and the setting that moves it."""
    from . import locks
    from .download import write_atomic
    from .errors import disk_full_error, is_disk_full

    folder.parent.mkdir(parents=True, exist_ok=True)
    with locks.waiting(
        folder.parent / f".{folder.name}.lock",
        f"합성 데이터 '{folder.name}' 을(를) 만드는",
        f"generating the data in '{folder.name}'",
    ):
        if _already_made(folder, settings):
            yield False
            return
        try:
            yield True
            write_atomic(folder / _MARKER, json.dumps(settings))
        except OSError as error:
            if is_disk_full(error):
                raise disk_full_error(
                    folder,
                    None,
                    "COURSE_CACHE_DIR",
                    ("합성 데이터를 만들지", "generate the data"),
                ) from error
            raise


def _voc_xml(name, width, height, box) -> str:
    xmin, ymin, xmax, ymax = (int(round(v)) for v in box)
    return (
        f"<annotation><filename>{name}.jpg</filename><size><width>{width}</width>"
        f"<height>{height}</height><depth>3</depth></size><object><name>head</name>"
        f"<bndbox><xmin>{xmin}</xmin><ymin>{ymin}</ymin><xmax>{xmax}</xmax>"
        f"<ymax>{ymax}</ymax></bndbox></object></annotation>\n"
    )


def _settings(settings: dict, side_scale: float) -> dict:
    """The marker's settings; ``side_scale`` only when it is not 1 (older markers stay valid)."""
    return settings if side_scale == 1.0 else {**settings, "side_scale": side_scale}


def _side(rng, low: int, high: int, side_scale: float) -> int:
    """A random side in [low, high), the range shrunk by ``side_scale`` (at least 16 pixels)."""
    side = int(rng.integers(low, high))
    return side if side_scale == 1.0 else max(16, round(side * side_scale))


def make_synthetic_pets(
    folder, per_breed: int = 40, seed: int = 0, side_scale: float = 1.0
) -> Path:
    """Writes a Pets-like set (images, trimaps, head-box XMLs, list files) into ``folder``.

    ``side_scale`` shrinks the photos (for example 0.25 for a large, fast set; the
    pipeline resizes every photo anyway).
    """
    folder = Path(folder)
    settings = _settings(
        {"kind": "pets", "per_breed": per_breed, "seed": seed}, side_scale
    )
    with _making(folder, settings) as needed:
        if needed:
            _write_pets(folder, per_breed, seed, side_scale)
    return folder


def _write_pets(folder: Path, per_breed: int, seed: int, side_scale: float) -> None:
    images, trimaps, xmls = (
        folder / "images",
        folder / "annotations" / "trimaps",
        folder / "annotations" / "xmls",
    )
    for d in (images, trimaps, xmls):
        d.mkdir(parents=True, exist_ok=True)
    header = [
        "#Image CLASS-ID SPECIES BREED ID",
        "#ID: 1:37 Class ids",
        "#SPECIES: 1:Cat 2:Dog",
        "#BREED ID: 1-25:Cat 1:12:Dog",
        "#All images with 1st letter as captial are cat images",
        "#images with small first letter are dog images",
    ]
    lines = {"list": [], "trainval": [], "test": []}
    for b, (breed, class_id, species, coat) in enumerate(BREEDS):
        breed_number = sum(1 for other in BREEDS[:b] if other[2] == species) + 1
        for i in range(1, per_breed + 1):
            rng = np.random.default_rng([seed, b, i])
            name = f"{breed}_{i}"
            width = _side(rng, 180, 400, side_scale)
            height = _side(rng, 160, 360, side_scale)
            photo, mask, box = draw_pet(rng, species, coat, width, height)
            photo.save(images / f"{name}.jpg", quality=90)
            trimap_from_mask(mask).save(trimaps / f"{name}.png")
            split = "trainval" if i % 2 else "test"
            if split == "trainval":
                (xmls / f"{name}.xml").write_text(_voc_xml(name, width, height, box))
            line = f"{name} {class_id} {species} {breed_number}"
            lines["list"].append(line)
            lines[split].append(line)
    (folder / "annotations" / "list.txt").write_text(
        "\n".join(header + lines["list"]) + "\n"
    )
    for split in ("trainval", "test"):
        (folder / "annotations" / f"{split}.txt").write_text(
            "\n".join(lines[split]) + "\n"
        )


def make_synthetic_dogs_cats(
    folder,
    per_class: int = 100,
    seed: int = 0,
    layout: str = "kaggle",
    side_scale: float = 1.0,
) -> Path:
    """Writes a dogs-vs-cats-like set: ``train/cat.N.jpg`` (kaggle) or ``PetImages/Cat/N.jpg`` (microsoft).

    ``side_scale``: as in :func:`make_synthetic_pets`.
    """
    folder = Path(folder)
    settings = _settings(
        {"kind": "dogs_cats", "per_class": per_class, "seed": seed, "layout": layout},
        side_scale,
    )
    with _making(folder, settings) as needed:
        if needed:
            _write_dogs_cats(folder, per_class, seed, layout, side_scale)
    return folder


def _write_dogs_cats(folder, per_class, seed, layout, side_scale) -> None:
    for label, (animal, species) in enumerate((("cat", 1), ("dog", 2))):
        coats = [c for breed in BREEDS if breed[2] == species for c in breed[3]]
        for n in range(per_class):
            rng = np.random.default_rng([seed, 100 + label, n])
            photo, _, _ = draw_pet(
                rng,
                species,
                coats,
                _side(rng, 200, 400, side_scale),
                _side(rng, 180, 360, side_scale),
            )
            if layout == "kaggle":
                path = folder / "train" / f"{animal}.{n}.jpg"
            elif layout == "microsoft":
                path = folder / "PetImages" / animal.capitalize() / f"{n}.jpg"
            else:
                raise ValueError(f"unknown layout '{layout}'")
            path.parent.mkdir(parents=True, exist_ok=True)
            photo.save(path, quality=90)


# Large enough for every full-scale split of the course: Pets 1,200 trainval photos (all
# with head boxes: chapter 1's 600 test + 400 validation boxes, chapter 2's 1,000
# validation photos) and 1,200 test photos; dogs vs cats 2,500 per class, so the
# lecture's split (0-999 / 1000-1499 / 1500-2499) applies. Small photos keep it fast.
FULL_SCALE_PETS_PER_BREED = 600
FULL_SCALE_DOGS_CATS_PER_CLASS = 2500
FULL_SCALE_SIDE_SCALE = 0.25


def make_full_scale_data(folder, seed: int = 0) -> Path:
    """Both data sets, large enough for the full-scale splits, in ``folder``.

    ``folder/oxford-iiit-pet`` and ``folder/dogs-vs-cats`` (Kaggle layout), so that
    ``COURSE_DATA_DIR=folder`` serves every notebook, as the real samples do.
    """
    folder = Path(folder)
    make_synthetic_pets(
        folder / "oxford-iiit-pet",
        per_breed=FULL_SCALE_PETS_PER_BREED,
        seed=seed,
        side_scale=FULL_SCALE_SIDE_SCALE,
    )
    make_synthetic_dogs_cats(
        folder / "dogs-vs-cats",
        per_class=FULL_SCALE_DOGS_CATS_PER_CLASS,
        seed=seed,
        side_scale=FULL_SCALE_SIDE_SCALE,
    )
    return folder
