"""Small helpers shared by the benchmark scripts (standard library only at import time)."""

from __future__ import annotations

import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH_DIR = ROOT / "benchmarks"
JSON_PREFIX = "BENCH_JSON "  # each measurement script prints exactly one line that starts with this

if (
    str(ROOT) not in sys.path
):  # so that `import utils` works from `python benchmarks/<script>.py`
    sys.path.insert(0, str(ROOT))

from tools.samples import DEFAULT as _SAMPLES_DEFAULT  # noqa: E402
from tools.samples import samples_dir  # noqa: E402

# The real samples: COURSE_SAMPLES_DIR, default ../shared/data (tools/samples.py); where
# there are none, the benchmarks generate look-alikes.
REAL_SAMPLES = samples_dir() or _SAMPLES_DEFAULT
PETS_SAMPLE = REAL_SAMPLES / "oxford-iiit-pet-sample"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def peak_rss_mb(children: bool = False) -> float:
    """Peak resident memory of this process (ru_maxrss, KiB on Linux), plus the largest child's."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if children:
        peak += resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return peak / 1024


def current_rss_mb() -> float:
    """Resident memory right now (VmRSS from /proc), or the peak where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return peak_rss_mb()


def emit(result: dict) -> None:
    """Prints the one JSON line that run.py reads."""
    print(JSON_PREFIX + json.dumps(result, ensure_ascii=False), flush=True)


def read_result(stdout: str) -> dict | None:
    """The last JSON result line in a script's output, if any."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(JSON_PREFIX):
            return json.loads(line[len(JSON_PREFIX) :])
    return None


class Timer:
    """Seconds since it was made (perf_counter)."""

    def __init__(self):
        self.start = time.perf_counter()

    def __call__(self) -> float:
        return time.perf_counter() - self.start


def machine_info() -> dict:
    """CPU model, cores, memory, load and versions of the machine the benchmark runs on."""
    cpu_model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name" and cpu_model in (
                "",
                platform.machine(),
                platform.processor(),
            ):
                cpu_model = value.strip()
            elif key.strip() == "flags" and not flags:
                flags = set(value.split())
    except OSError:
        pass
    mem_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_gib = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    simd = [
        f
        for f in ("avx2", "fma", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile")
        if f in flags
    ]
    return {
        "cpu_model": cpu_model,
        "cpu_count": os.cpu_count(),
        "cpus_usable": usable,
        "simd": simd,
        "ram_gib": mem_gib,
        "load_average": [round(x, 2) for x in os.getloadavg()]
        if hasattr(os, "getloadavg")
        else None,
        "os": platform.platform(),
        "python": platform.python_version(),
    }
