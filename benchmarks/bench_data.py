"""The benchmark's data set: 7,390 Pets photos in the official layout, made from the real sample.

The real sample (600 photos at their real sizes, beside the repository in
``../shared/data/oxford-iiit-pet-sample``) is indexed with the course's own
``utils.pets.build_index``; the photos it accepts are repeated under new names
(``Abyssinian_1 ... beagle_7390``) until there are as many as in the full data set.
Every file is a symbolic link to a real JPEG/PNG/XML, so no image bytes are copied
and the folder takes a few hundred kilobytes. Without the sample, generated photos
(``utils.synthetic.make_synthetic_pets``, varied sizes) are repeated instead.

    .venv/bin/python benchmarks/bench_data.py [--count 7390] [--cache .cache/bench]
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from common import PETS_SAMPLE, ROOT, Timer, emit

FULL_COUNT = 7390  # photos in the official images.tar.gz
_MARKER = ".bench.json"
_VERSION = 1


def _list_lines(annotations: Path) -> dict[str, str]:
    """name -> 'CLASS-ID SPECIES BREED-ID' from the source's list.txt."""
    lines = {}
    for line in (annotations / "list.txt").read_text().splitlines():
        parts = line.split()
        if len(parts) == 4 and not line.startswith("#"):
            lines[parts[0]] = " ".join(parts[1:])
    return lines


def source_folder(cache: Path) -> tuple[Path, str]:
    """The real sample if it is there, else a generated look-alike (made once in the cache)."""
    if (PETS_SAMPLE / "images").is_dir():
        return PETS_SAMPLE, "real sample"
    from utils.synthetic import make_synthetic_pets

    return make_synthetic_pets(
        cache / "synthetic-pets", per_breed=60
    ), "generated (utils.synthetic)"


def build_bench_set(
    count: int = FULL_COUNT, cache: Path | None = None
) -> tuple[Path, dict]:
    """Makes (once) and returns the folder with ``count`` linked photos, and a description."""
    from utils import pets

    cache = Path(cache or ROOT / ".cache" / "bench")
    source, kind = source_folder(cache)
    folder = cache / f"oxford-iiit-pet-{count}"
    settings = {"version": _VERSION, "count": count, "source": str(source.resolve())}
    marker = folder / _MARKER
    if marker.exists():
        stored = json.loads(marker.read_text())
        if {k: stored.get(k) for k in settings} == settings:
            return folder, stored
    if folder.exists():
        shutil.rmtree(folder)

    index = pets.build_index(
        pets.find_layout(source)
    )  # only photos the course itself accepts
    usable = sorted(index.records, key=lambda r: r.name)
    list_lines = _list_lines(pets.find_layout(source).annotations_dir)
    images, trimaps, xmls = (
        folder / "images",
        folder / "annotations" / "trimaps",
        folder / "annotations" / "xmls",
    )
    for d in (images, trimaps, xmls):
        d.mkdir(parents=True)
    lines = {"list": [], "trainval": [], "test": []}
    for k in range(count):
        record = usable[k % len(usable)]
        name = (
            f"{record.breed}_{k + 1}"  # unique, and breed_of(name) is still the breed
        )
        (images / f"{name}.jpg").symlink_to(Path(record.image_path).resolve())
        (trimaps / f"{name}.png").symlink_to(Path(record.trimap_path).resolve())
        xml = Path(record.trimap_path).parents[1] / "xmls" / f"{record.name}.xml"
        if xml.exists():
            (xmls / f"{name}.xml").symlink_to(xml.resolve())
        line = f"{name} {list_lines[record.name]}"
        lines["list"].append(line)
        lines[record.split or "trainval"].append(line)
    for split, split_lines in lines.items():
        (folder / "annotations" / f"{split}.txt").write_text(
            "\n".join(split_lines) + "\n"
        )
    info = dict(
        settings,
        source_kind=kind,
        distinct_photos=len(usable),
        source_bytes=sum(Path(r.image_path).stat().st_size for r in usable),
    )
    marker.write_text(json.dumps(info))
    return folder, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=FULL_COUNT)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache" / "bench")
    args = parser.parse_args()
    timer = Timer()
    folder, info = build_bench_set(args.count, args.cache)
    emit(
        {
            "kind": "bench_data",
            "folder": str(folder),
            "seconds": round(timer(), 1),
            **info,
        }
    )


if __name__ == "__main__":
    main()
