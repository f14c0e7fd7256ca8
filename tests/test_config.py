import pytest

from utils import describe_run, get_scale
from utils.config import gpu_names
from utils.sources import DataSource


def test_scale_from_argument_and_environment(monkeypatch):
    assert get_scale("smoke").name == "smoke"
    monkeypatch.setenv("COURSE_SCALE", "FULL")
    assert get_scale().name == "full"
    assert get_scale("cpu").name == "cpu"  # the argument wins


def test_default_scale_follows_the_device(monkeypatch):
    import utils.config as config

    monkeypatch.setattr(config, "gpu_names", lambda: ["NVIDIA T4"])
    assert get_scale().name == "full"
    monkeypatch.setattr(config, "gpu_names", lambda: [])
    assert get_scale().name == "cpu"


def test_unknown_scale_is_refused():
    with pytest.raises(ValueError, match="실행 규모.*\n.*Unknown run scale 'huge'"):
        get_scale("huge")


def test_scale_sizes():
    full, cpu, smoke = get_scale("full"), get_scale("cpu"), get_scale("smoke")
    assert (
        full.pets_image_size == (200, 200)
        and full.pets_val_count == 1000
        and full.max_images is None
    )
    assert smoke.pets_image_size[0] < cpu.pets_image_size[0] < 200
    assert smoke.pick(full=50, cpu=10, smoke=1) == 1


def test_seeds_by_scale_and_environment(monkeypatch):
    monkeypatch.delenv("COURSE_SEEDS", raising=False)
    full, cpu, smoke = get_scale("full"), get_scale("cpu"), get_scale("smoke")
    # The stored cpu runs and the lecture's full runs repeat every comparison 3 times.
    assert full.seeds() == cpu.seeds() == [0, 1, 2]
    assert smoke.seeds() == [0] and smoke.seeds(fewest=2) == [0, 1]
    monkeypatch.setenv("COURSE_SEEDS", "1")
    assert full.seeds() == [0] and cpu.seeds(fewest=2) == [0, 1]
    monkeypatch.setenv("COURSE_SEEDS", " 5 ")
    assert smoke.seeds() == [0, 1, 2, 3, 4]
    for bad in ("0", "two", "-1", "1.5"):
        monkeypatch.setenv("COURSE_SEEDS", bad)
        with pytest.raises(ValueError, match="COURSE_SEEDS.*\n.*at least 1"):
            cpu.seeds()


def test_run_report_names_scale_data_and_device(tmp_path):
    source = DataSource("Oxford-IIIT Pet", "local", tmp_path / "oxford-iiit-pet-sample")
    report = describe_run(get_scale("smoke"), source)
    assert "smoke" in report and "oxford-iiit-pet-sample" in report
    assert (
        ("GPU (" in report) if gpu_names() else ("CPU (" in report)
    )  # passes on either machine
    assert str(tmp_path) not in report
