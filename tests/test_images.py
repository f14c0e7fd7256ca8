import os

from PIL import Image

from utils.images import checked_once, image_problem


def test_image_problem_decodes_the_whole_file(tmp_path):
    good = tmp_path / "good.jpg"
    Image.new("RGB", (40, 30), "red").save(good)
    cut = tmp_path / "cut.jpg"
    cut.write_bytes(good.read_bytes()[:-200])
    tiff = tmp_path / "photo.jpg"
    Image.new("RGB", (8, 8)).save(tiff, format="TIFF")
    assert image_problem(good) is None
    assert image_problem(cut).startswith("not a decodable image")
    assert image_problem(tiff) == "unsupported format TIFF"


def test_checks_run_once_per_file_version(tmp_path):
    files = []
    for n in range(3):
        path = tmp_path / f"{n}.jpg"
        Image.new("RGB", (8, 8), (n * 40, 0, 0)).save(path)
        files.append(path)
    calls = []

    def check(path):
        calls.append(path.name)
        return None if path.name != "2.jpg" else "bad"

    assert checked_once(files, check) == [None, None, "bad"] and len(calls) == 3
    assert checked_once(files, check) == [None, None, "bad"] and len(calls) == 3  # remembered
    Image.new("RGB", (9, 9)).save(files[0])  # changed: checked again
    os.utime(files[0], ns=(1, 1))
    assert checked_once(files, check) == [None, None, "bad"] and calls[3:] == ["0.jpg"]
