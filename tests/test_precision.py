"""The precision switch: which policy each machine gets, the override, float32_scope.

Hardware is mocked: the tests pass GPU capabilities and CPU flags in, or replace the
functions that look them up, so they give the same answers on any machine.
"""

import keras
import numpy as np
import pytest
from keras import layers

from utils import describe_run, get_scale, precision
from utils.config import precision_report


@pytest.fixture(autouse=True)
def _course_precision_unset_and_policy_restored(monkeypatch):
    monkeypatch.delenv("COURSE_PRECISION", raising=False)
    before = keras.config.dtype_policy()
    yield
    keras.config.set_dtype_policy(before)


@pytest.fixture
def plain_cpu(monkeypatch):
    """A machine with no GPU and an AVX2-only CPU (whatever this one has)."""
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"sse4_2", "avx2", "fma"})


@pytest.mark.parametrize(
    "capabilities, expected",
    [
        ([(7, 5)], "mixed_float16"),  # T4
        ([(8, 0)], "mixed_float16"),  # A100
        ([(9, 0)], "mixed_float16"),  # H100/H200
        ([(7, 0)], "mixed_float16"),  # V100: the first with tensor cores
        ([(6, 0)], "float32"),  # P100: no tensor cores
        ([(3, 7)], "float32"),  # K80
        ([(8, 0), (6, 1)], "float32"),  # the slowest card decides
    ],
)
def test_gpu_policy_follows_compute_capability(capabilities, expected):
    # CPU flags must not matter once there is a GPU
    name, reason = precision.choose_policy(capabilities, flags={"amx_bf16"})
    assert name == expected and "GPU" in reason


@pytest.mark.parametrize("flag", ["amx_bf16", "avx512_bf16"])
def test_cpu_with_bfloat16_instructions_gets_mixed_bfloat16(flag):
    name, reason = precision.choose_policy([], flags={"avx2", "avx512f", flag})
    assert name == "mixed_bfloat16" and flag in reason


@pytest.mark.parametrize(
    "flags",
    [
        set(),  # no /proc/cpuinfo (macOS, Windows)
        {"avx2", "fma"},  # this course's AMD EPYC build machine, most laptops
        {"avx2", "avx512f", "avx512bw"},  # AVX-512 without BF16
        {"amx_tile"},  # AMX tiles without the bf16 unit's flag
    ],
)
def test_plain_cpu_gets_float32(flags):
    name, reason = precision.choose_policy([], flags=flags)
    assert name == "float32" and "CPU" in reason


@pytest.mark.parametrize("value", ["float32", "mixed_float16", " Mixed_BFloat16 "])
def test_course_precision_overrides_the_hardware(monkeypatch, value):
    monkeypatch.setenv("COURSE_PRECISION", value)
    for capabilities, flags in (([(7, 5)], set()), ([], {"amx_bf16"}), ([], set())):
        name, reason = precision.choose_policy(capabilities, flags)
        assert name == value.strip().lower() and "COURSE_PRECISION" in reason


@pytest.mark.parametrize("value", ["auto", "AUTO", ""])
def test_auto_or_empty_course_precision_means_the_hardware_decides(monkeypatch, value):
    monkeypatch.setenv("COURSE_PRECISION", value)
    assert precision.choose_policy([(7, 5)], set())[0] == "mixed_float16"


def test_unknown_course_precision_is_an_error_in_korean_and_english(monkeypatch):
    monkeypatch.setenv("COURSE_PRECISION", "fp16")
    with pytest.raises(ValueError) as error:
        precision.choose_policy([], set())
    message = str(error.value)
    assert "'fp16'" in message and "알 수 없습니다" in message  # Korean
    assert "Unknown COURSE_PRECISION" in message  # English
    for name in ("auto",) + precision.POLICIES:
        assert name in message


def test_hardware_is_looked_up_only_when_not_given(monkeypatch):
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [(7, 5)])
    monkeypatch.setattr(precision, "cpu_flags", lambda: set())
    assert precision.choose_policy()[0] == "mixed_float16"
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"avx512_bf16"})
    assert precision.choose_policy()[0] == "mixed_bfloat16"


def test_gpu_capabilities_are_read_from_tensorflow(monkeypatch):
    import tensorflow as tf

    details = {"gpu0": {"compute_capability": (7, 5)}, "gpu1": {}}
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind=None: ["gpu0", "gpu1"]
    )
    monkeypatch.setattr(tf.config.experimental, "get_device_details", details.get)
    assert precision.detect_gpu_capabilities() == [(7, 5), (0, 0)]


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text(
        "processor\t: 0\nmodel name\t: Some CPU\n"
        "flags\t\t: fpu sse2 avx2 amx_bf16 amx_tile\n\n"
        "processor\t: 1\nflags\t\t: fpu\n"
    )
    assert precision.cpu_flags(cpuinfo) == {
        "fpu",
        "sse2",
        "avx2",
        "amx_bf16",
        "amx_tile",
    }
    assert precision.cpu_flags(tmp_path / "missing") == set()


def test_use_course_precision_sets_the_global_policy(monkeypatch):
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [])
    monkeypatch.setattr(precision, "cpu_flags", lambda: {"amx_bf16"})
    report = precision.use_course_precision()
    assert keras.config.dtype_policy().name == "mixed_bfloat16"
    assert report.startswith("mixed_bfloat16 (") and "amx_bf16" in report


def test_float32_scope_builds_float32_layers_and_restores_the_policy(plain_cpu):
    keras.config.set_dtype_policy("mixed_bfloat16")
    with precision.float32_scope():
        assert keras.config.dtype_policy().name == "float32"
        dense = layers.Dense(2)
    assert dense.compute_dtype == "float32"
    assert keras.config.dtype_policy().name == "mixed_bfloat16"


def test_float32_scope_restores_the_policy_after_an_exception():
    keras.config.set_dtype_policy("mixed_float16")
    with pytest.raises(RuntimeError, match="inside"):
        with precision.float32_scope():
            raise RuntimeError("inside the block")
    assert keras.config.dtype_policy().name == "mixed_float16"


def test_float32_last_layer_gives_float32_output_under_mixed_bfloat16():
    keras.config.set_dtype_policy("mixed_bfloat16")
    inputs = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    hidden = x
    outputs = layers.Conv2D(3, 1, activation="softmax", dtype="float32")(x)
    model = keras.Model(inputs, outputs)
    probe = keras.Model(inputs, [hidden, outputs])

    images = np.random.default_rng(0).uniform(size=(2, 8, 8, 3)).astype("float32")
    hidden_out, out = probe.predict(images, verbose=0)
    assert model.layers[1].compute_dtype == "bfloat16"  # the body computes in 16 bits
    assert model.layers[1].variable_dtype == "float32"  # and keeps float32 weights
    assert str(hidden_out.dtype) == "bfloat16"
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.sum(axis=-1), 1.0, rtol=1e-6)

    model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy")
    masks = np.zeros((2, 8, 8, 1), "int32")
    loss = model.train_on_batch(images, masks)
    assert np.isfinite(loss)


def test_run_report_names_the_policy_and_why(plain_cpu):
    precision.use_course_precision()
    report = describe_run(get_scale("smoke"))
    line = next(x for x in report.splitlines() if "precision" in x)
    assert "float32" in line and "bfloat16 명령" in line


def test_run_report_shows_a_policy_set_by_hand(plain_cpu):
    keras.config.set_dtype_policy("mixed_float16")
    report = precision_report()
    assert report.startswith("mixed_float16") and "float32" in report
