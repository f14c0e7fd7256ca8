import shutil
from pathlib import Path

import pytest

from tools import samples
from utils.synthetic import make_synthetic_dogs_cats, make_synthetic_pets


@pytest.fixture(scope="session")
def test_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("course-cache")


@pytest.fixture(autouse=True)
def _no_data_settings(monkeypatch, test_cache):
    """Tests choose their data explicitly, whatever the shell running them has set,
    and nothing they cache lands in the home folder."""
    for name in (
        "COURSE_DATA_DIR",
        "COURSE_DATA",
        "COURSE_SCALE",
        "COURSE_PETS_URL",
        "COURSE_DOGS_CATS_URL",
        "COURSE_DOWNLOAD_TIMEOUT",
        "COURSE_MAX_STEPS",  # the cap's wrappers read it at each call: unset, they pass through
        "COURSE_PRECISION",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(test_cache))


@pytest.fixture(scope="session")
def synthetic_pets(tmp_path_factory) -> Path:
    """A generated Pets set (4 breeds x 12 photos); read-only by convention: copy before changing."""
    return make_synthetic_pets(
        tmp_path_factory.mktemp("pets") / "oxford-iiit-pet", per_breed=12
    )


@pytest.fixture
def pets_copy(synthetic_pets, tmp_path) -> Path:
    """A private copy of the generated Pets set that a test may alter."""
    return Path(shutil.copytree(synthetic_pets, tmp_path / "oxford-iiit-pet"))


@pytest.fixture(scope="session")
def synthetic_dogs_cats(tmp_path_factory) -> Path:
    return make_synthetic_dogs_cats(
        tmp_path_factory.mktemp("dc") / "dogs-vs-cats", per_class=30
    )


@pytest.fixture
def real_data() -> Path:
    """The real photo samples (COURSE_SAMPLES_DIR, default ../shared/data)."""
    folder = samples.samples_dir()
    if folder is None:
        pytest.skip(
            f"real samples not found at {samples.DEFAULT} (they live beside the "
            f"repository in CI; {samples.VARIABLE} names another folder)"
        )
    return folder


def pytest_addoption(parser):
    group = parser.getgroup("course")
    group.addoption(
        "--full-scale",
        action="store_true",
        help="run every notebook at COURSE_SCALE=full with COURSE_MAX_STEPS "
        "(tests/test_full_scale.py)",
    )
    group.addoption(
        "--full-scale-only",
        default=None,
        help="with --full-scale: only the notebooks whose names start with these "
        "comma-separated prefixes (for example 02,06), so that two processes can share "
        "the dry run",
    )
    group.addoption(
        "--full-scale-precision",
        default=None,
        help="with --full-scale: one COURSE_PRECISION for every notebook (default: "
        "mixed_float16, Colab's policy, for the chapters whose full-scale branches "
        "differ most, float32 for the others; tests/test_full_scale.py)",
    )
    group.addoption(
        "--full-scale-report",
        default=None,
        help="where the full-scale dry run writes its figures (JSON; default "
        ".cache/full-scale/full_scale_dry_run.json)",
    )


def _is_xdist_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_sessionstart(session):
    """The dry run's results start empty (once, not on every xdist worker)."""
    config = session.config
    if config.getoption("--full-scale") and not _is_xdist_worker(config):
        from test_full_scale import RESULTS

        shutil.rmtree(RESULTS, ignore_errors=True)


def pytest_sessionfinish(session):
    """The dry run's table, once every worker has written its notebooks' figures."""
    config = session.config
    if not config.getoption("--full-scale") or _is_xdist_worker(config):
        return
    from test_full_scale import DEFAULT_REPORT, write_report

    report = Path(config.getoption("--full-scale-report") or DEFAULT_REPORT)
    table = write_report(report)
    if table:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("\n" + table)
