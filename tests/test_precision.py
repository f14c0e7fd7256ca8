"""The precision switch: which policy each machine gets, the override, float32_scope.

Hardware is mocked: the tests pass GPU capabilities in, or replace the function that
looks them up, so they give the same answers on any machine.
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
    """A machine with no GPU (whatever this one has)."""
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [])


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
    name, reason = precision.choose_policy(capabilities)
    assert name == expected and "GPU" in reason


def test_every_cpu_gets_float32_bfloat16_instructions_or_not(plain_cpu):
    """mixed_bfloat16 trained the course's models slower and worse on a CPU with
    AVX-512 BF16 (benchmarks/README.md), so ``auto`` never picks it on a CPU."""
    name, reason = precision.choose_policy([])
    assert name == "float32" and "CPU" in reason
    assert precision.choose_policy()[0] == "float32"


@pytest.mark.parametrize("value", ["float32", "mixed_float16", " Mixed_BFloat16 "])
def test_course_precision_overrides_the_hardware(monkeypatch, value):
    monkeypatch.setenv("COURSE_PRECISION", value)
    for capabilities in ([(7, 5)], [(6, 0)], []):
        name, reason = precision.choose_policy(capabilities)
        assert name == value.strip().lower() and "COURSE_PRECISION" in reason


@pytest.mark.parametrize("value", ["auto", "AUTO", ""])
def test_auto_or_empty_course_precision_means_the_hardware_decides(monkeypatch, value):
    monkeypatch.setenv("COURSE_PRECISION", value)
    assert precision.choose_policy([(7, 5)])[0] == "mixed_float16"


def test_unknown_course_precision_is_an_error_in_korean_and_english(monkeypatch):
    monkeypatch.setenv("COURSE_PRECISION", "fp16")
    with pytest.raises(ValueError) as error:
        precision.choose_policy([])
    message = str(error.value)
    assert "'fp16'" in message and "알 수 없습니다" in message  # Korean
    assert "Unknown COURSE_PRECISION" in message  # English
    for name in ("auto",) + precision.POLICIES:
        assert name in message


def test_hardware_is_looked_up_only_when_not_given(monkeypatch):
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [(7, 5)])
    assert precision.choose_policy()[0] == "mixed_float16"
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [])
    assert precision.choose_policy()[0] == "float32"


def test_gpu_capabilities_are_read_from_tensorflow(monkeypatch):
    import tensorflow as tf

    details = {"gpu0": {"compute_capability": (7, 5)}, "gpu1": {}}
    monkeypatch.setattr(
        tf.config, "list_physical_devices", lambda kind=None: ["gpu0", "gpu1"]
    )
    monkeypatch.setattr(tf.config.experimental, "get_device_details", details.get)
    assert precision.detect_gpu_capabilities() == [(7, 5), (0, 0)]


def test_use_course_precision_sets_the_global_policy(monkeypatch):
    monkeypatch.setattr(precision, "detect_gpu_capabilities", lambda: [(8, 0)])
    report = precision.use_course_precision()
    assert keras.config.dtype_policy().name == "mixed_float16"
    assert report.startswith("mixed_float16 (") and "GPU" in report


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
    line = next(x for x in report.splitlines() if x.startswith("정밀도"))
    assert "float32" in line and "CPU" in line


def test_run_report_shows_a_policy_set_by_hand(plain_cpu):
    keras.config.set_dtype_policy("mixed_float16")
    report = precision_report()
    assert report.startswith("mixed_float16") and "float32" in report
