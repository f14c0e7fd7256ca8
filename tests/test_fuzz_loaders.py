"""Seeded fuzz test of the one decoder: damaged JPEG, PNG, GIF and BMP photos and trimaps.

Every mutant is either left out by the index (and named in its report) or streamed by
training as exactly the pixels the check decoded; no epoch over the index fails.
"""

import io
from collections import defaultdict

import numpy as np
import pytest
from PIL import Image

from utils import images, pets

SEED = 20240612
MUTANTS_PER_KIND = 5
SIZE = (20, 24)  # height, width


def _encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue()


def _base_files():
    rng = np.random.default_rng(SEED)
    h, w = SIZE
    ramp = np.linspace(0, 200, w)[None, :, None] + np.linspace(0, 50, h)[:, None, None]
    photo = np.clip(ramp + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
    trimap = np.full((h, w), 2, np.uint8)
    trimap[4:16, 5:19] = 3
    trimap[6:14, 7:17] = 1
    rgb = Image.fromarray(photo)
    return {
        "photo": {
            "JPEG": _encode(rgb, "JPEG"),
            "PNG": _encode(rgb, "PNG"),
            "GIF": _encode(rgb.convert("P"), "GIF"),
            "BMP": _encode(rgb, "BMP"),
        },
        "trimap": {
            "PNG": _encode(Image.fromarray(trimap), "PNG"),
            "PNG16": _encode(Image.fromarray(trimap.astype(np.uint16)), "PNG"),
        },
    }


def _png_crc_positions(data: bytes) -> list[int]:
    positions, at = [], 8
    while at + 8 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        positions.append(at + 8 + length)
        at += 12 + length
    return [p for p in positions if p + 4 <= len(data)]


def _mutants(data: bytes, fmt: str, rng) -> list[tuple[str, bytes]]:
    out = []
    for k in range(MUTANTS_PER_KIND):
        cut = int(rng.integers(1, len(data)))
        out.append((f"cut{k}", data[:cut]))
        flipped = bytearray(data)
        for at in rng.integers(0, len(data), int(rng.integers(1, 4))):
            flipped[at] ^= int(rng.integers(1, 256))
        out.append((f"flip{k}", bytes(flipped)))
        header = bytearray(data)
        header[int(rng.integers(0, min(64, len(data))))] ^= int(rng.integers(1, 256))
        out.append((f"head{k}", bytes(header)))
        out.append(
            (
                f"tail{k}",
                data
                + rng.integers(0, 256, int(rng.integers(1, 40)), np.uint8).tobytes(),
            )
        )
        if fmt.startswith("PNG"):
            crc = bytearray(data)
            crc[int(rng.choice(_png_crc_positions(data)))] ^= int(rng.integers(1, 256))
            out.append((f"crc{k}", bytes(crc)))
    return out


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """A Pets folder of mutants: {record name: (what, format)} and its index."""
    root = tmp_path_factory.mktemp("fuzz") / "oxford-iiit-pet"
    images_dir, trimaps = root / "images", root / "annotations" / "trimaps"
    images_dir.mkdir(parents=True)
    trimaps.mkdir(parents=True)
    base = _base_files()
    rng = np.random.default_rng(SEED)
    made = {}
    for what in ("photo", "trimap"):
        for fmt, data in base[what].items():
            for kind, mutant in [("original", data)] + _mutants(data, fmt, rng):
                name = f"Abyssinian_{len(made) + 1}"
                photo = mutant if what == "photo" else base["photo"]["JPEG"]
                trimap = mutant if what == "trimap" else base["trimap"]["PNG"]
                (images_dir / f"{name}.jpg").write_bytes(photo)
                (trimaps / f"{name}.png").write_bytes(trimap)
                made[name] = (what, fmt, kind)
    (root / "annotations" / "list.txt").write_text(
        "".join(f"{n} 1 1 1\n" for n in made)
    )
    index = pets.build_index(
        pets.find_layout(root), cache_dir=tmp_path_factory.mktemp("fuzz-cache")
    )
    return made, index


def test_every_mutant_is_rejected_or_trained_on_exactly_as_checked(fuzzed):
    made, index = fuzzed
    accepted = {r.name: r for r in index.records}
    assert set(accepted) | {n.removesuffix(".jpg") for n in index.skipped} == set(made)
    assert not set(accepted) & {n.removesuffix(".jpg") for n in index.skipped}
    report = index.report()
    assert all(f"{name} (" in report for name in index.skipped)

    by_shape = defaultdict(list)
    for record in accepted.values():
        photo = images.check_photo(record.image_path, keep_pixels=True)
        trimap = images.check_trimap(
            record.trimap_path, photo["shape"], keep_pixels=True
        )
        assert (
            photo["fingerprint"] == record.image_fingerprint
        )  # the very bytes the index checked
        assert trimap["fingerprint"] == record.trimap_fingerprint
        by_shape[tuple(photo["shape"])].append(
            (record, photo["pixels"], trimap["values"])
        )
    for shape, group in by_shape.items():  # one full epoch per photo size, at that size
        ds = pets.make_dataset([g[0] for g in group], shape, batch_size=len(group))
        ((x, y),) = list(ds)
        for (record, pixels, values), streamed, mask in zip(
            group, x.numpy(), y.numpy()
        ):
            np.testing.assert_array_equal(
                streamed, pixels.astype(np.float32), err_msg=record.name
            )
            np.testing.assert_array_equal(
                mask, values.astype(np.int16) - 1, err_msg=record.name
            )


def test_the_fuzz_reaches_both_verdicts(fuzzed):
    """A guard on the test itself: in every format, some mutants are rejected and some
    accepted (PNG's checksums make nearly all damage fatal; bytes after the end are not)."""
    made, index = fuzzed
    accepted = {r.name for r in index.records}
    for what, fmt in {(w, f) for w, f, _ in made.values()}:
        names = [n for n, (w, f, _) in made.items() if (w, f) == (what, fmt)]
        originals = [n for n in names if made[n][2] == "original"]
        assert set(originals) <= accepted, (what, fmt)
        assert set(names) - accepted, (what, fmt, "no mutant rejected")
        assert len(set(names) & accepted) > len(originals), (
            what,
            fmt,
            "no mutant accepted",
        )
    reasons = " ".join(index.skipped.values())
    assert (
        "Graph execution error" not in reasons
        and "TensorFlow가 디코딩하지 못함" in reasons
    )
