"""Grad-CAM, filter patterns and feature maps on every kind of model a student brings
(functional, Sequential without an Input, a base nested in a classifier), under each
dtype policy. A mixed policy must give the float32 answer to within its precision.
The gradient ascent's regularisers (jitter, blur, a smooth start) still raise the
filter, keep float32 images in 0..255, repeat with the seed, and smooth the patterns."""

import keras
import numpy as np
import pytest
from keras import layers

from utils import explain

POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")
SIZE = (24, 24)


def conv_stack(name):
    return [
        layers.Rescaling(1 / 255),
        layers.Conv2D(8, 3, padding="same", activation="relu", name=f"{name}_conv1"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, padding="same", name=f"{name}_conv2"),
        layers.Activation("relu", name=f"{name}_relu2"),
    ]


def head():
    return [
        layers.GlobalAveragePooling2D(),
        layers.Dense(1, dtype="float32", name="logit"),
    ]


def functional():
    inputs = keras.Input((*SIZE, 3))
    x = inputs
    for layer in conv_stack("f") + head():
        x = layer(x)
    return keras.Model(inputs, x), "f_relu2", "f_conv1"


def sequential():
    """Built by its first call, never given an Input: ``model.inputs`` does not exist."""
    model = keras.Sequential(conv_stack("s") + head())
    model(np.zeros((1, *SIZE, 3), "float32"))
    return model, "s_relu2", "s_conv1"


def nested():
    """A base model inside a classifier, as a pretrained base is used in fine-tuning."""
    base_in = keras.Input((*SIZE, 3))
    x = base_in
    for layer in conv_stack("base"):
        x = layer(x)
    base = keras.Model(base_in, x, name="base")
    inputs = keras.Input((*SIZE, 3))
    x = layers.RandomFlip("horizontal")(inputs)
    x = base(x)
    for layer in head():
        x = layer(x)
    return keras.Model(inputs, x, name="classifier"), "base_relu2", "base_conv1"


KINDS = {"functional": functional, "sequential": sequential, "nested": nested}


@pytest.fixture
def policy(request):
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(request.param)
    yield request.param
    keras.config.set_dtype_policy(previous)


def build(kind, policy_name):
    """The same weights under float32 and under ``policy_name``."""
    keras.config.set_dtype_policy("float32")
    keras.utils.set_random_seed(0)
    reference, cam_layer, early_layer = KINDS[kind]()
    keras.config.set_dtype_policy(policy_name)
    keras.utils.set_random_seed(0)
    model, _, _ = KINDS[kind]()
    model.set_weights(reference.get_weights())
    return reference, model, cam_layer, early_layer


def photos(n=4):
    rng = np.random.default_rng(1)
    return rng.uniform(0, 255, (n, *SIZE, 3)).astype("float32")


def logit(outputs):
    """The score of the predicted class: the logit with the sign of the prediction."""
    return abs(outputs[:, 0])


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("kind", KINDS)
def test_grad_cam_matches_float32_on_every_kind_of_model(kind, policy):
    reference, model, cam_layer, _ = build(kind, policy)
    keras.config.set_dtype_policy(policy)
    cams, scores = explain.grad_cam(model, cam_layer, photos(), logit)
    ref_cams, ref_scores = explain.grad_cam(reference, cam_layer, photos(), logit)
    assert cams.shape == ref_cams.shape == (4, 12, 12)
    assert cams.dtype == np.float32 and scores.dtype == np.float32
    assert np.isfinite(cams).all() and (cams >= 0).all()
    assert ref_cams.max() > 0, "the float32 heatmaps are not empty"
    np.testing.assert_allclose(scores, ref_scores, rtol=0.05, atol=0.02)
    for cam, ref in zip(cams, ref_cams):
        assert np.corrcoef(cam.ravel(), ref.ravel())[0, 1] > 0.95


REGULARISED = dict(jitter=2, blur_every=2, blur_sigma=0.7, start_scale=4)


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "options, steps", [({}, 5), (REGULARISED, 6)], ids=["plain", "regularised"]
)
def test_filter_patterns_raise_their_filter_on_every_kind_of_model(
    kind, policy, options, steps
):
    _, model, _, early_layer = build(kind, policy)
    keras.config.set_dtype_policy(policy)
    start, start_scores = explain.filter_patterns(
        model, early_layer, [0, 1, 2], SIZE, steps=0, **options
    )
    images, scores = explain.filter_patterns(
        model, early_layer, [0, 1, 2], SIZE, steps=steps, **options
    )
    assert images.shape == (3, *SIZE, 3) and images.dtype == np.float32
    assert images.min() >= 0 and images.max() <= 255
    assert scores.dtype == np.float32
    assert (scores > start_scores).all(), (start_scores, scores)
    assert not np.allclose(images, start)


def roughness(images):
    """Mean absolute difference between neighbouring pixels."""
    return (
        np.abs(np.diff(images, axis=1)).mean() + np.abs(np.diff(images, axis=2)).mean()
    )


def test_the_defaults_are_the_plain_ascent_and_a_seed_repeats_its_images():
    model, _, early_layer = functional()
    plain, plain_scores = explain.filter_patterns(model, early_layer, [0, 1], SIZE, 4)
    again, _ = explain.filter_patterns(
        model, early_layer, [0, 1], SIZE, 4, jitter=0, blur_every=0, start_scale=1
    )
    np.testing.assert_array_equal(plain, again)
    one, _ = explain.filter_patterns(model, early_layer, [0, 1], SIZE, 4, **REGULARISED)
    two, _ = explain.filter_patterns(model, early_layer, [0, 1], SIZE, 4, **REGULARISED)
    np.testing.assert_array_equal(one, two)
    other, _ = explain.filter_patterns(
        model, early_layer, [0, 1], SIZE, 4, seed=1, **REGULARISED
    )
    assert not np.allclose(one, other)


def test_blur_and_a_smooth_start_make_smoother_patterns():
    model, _, early_layer = functional()
    kwargs = dict(steps=10, step_size=4.0)
    plain, _ = explain.filter_patterns(model, early_layer, [0, 1, 2], SIZE, **kwargs)
    smooth, _ = explain.filter_patterns(
        model, early_layer, [0, 1, 2], SIZE, **kwargs, blur_every=1, start_scale=4
    )
    assert roughness(smooth) < 0.8 * roughness(plain)
    start, _ = explain.filter_patterns(model, early_layer, [0], SIZE, 0, start_scale=4)
    noise, _ = explain.filter_patterns(model, early_layer, [0], SIZE, 0)
    assert roughness(start) < 0.5 * roughness(noise)


def test_blur_keeps_a_flat_image_and_the_pixel_range():
    flat = np.full((1, 8, 8, 3), 77.0, "float32")
    np.testing.assert_allclose(explain._gaussian_blur(flat, 1.0).numpy(), flat, 1e-5)
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (2, 9, 7, 3)).astype("float32")
    blurred = explain._gaussian_blur(images, 0.7).numpy()
    assert blurred.shape == images.shape and blurred.dtype == np.float32
    assert blurred.min() >= images.min() - 1e-3 and blurred.max() <= images.max() + 1e-3
    assert roughness(blurred) < roughness(images)


@pytest.mark.parametrize("policy", POLICIES, indirect=True)
@pytest.mark.parametrize("kind", KINDS)
def test_feature_maps_of_nested_layers_are_float32(kind, policy):
    reference, model, cam_layer, early_layer = build(kind, policy)
    keras.config.set_dtype_policy(policy)
    maps = explain.feature_maps(model, [early_layer, cam_layer], photos(2))
    ref = explain.feature_maps(reference, [early_layer, cam_layer], photos(2))
    assert list(maps) == [early_layer, cam_layer]
    assert maps[early_layer].shape == (2, *SIZE, 8)
    assert maps[cam_layer].shape == (2, 12, 12, 16)
    for name in maps:
        assert maps[name].dtype == np.float32
        scale = np.abs(ref[name]).max()
        assert np.abs(maps[name] - ref[name]).max() <= 0.05 * scale


def test_recording_leaves_the_model_as_it_was():
    model, cam_layer, _ = functional()
    layer = explain.find_layer(model, cam_layer)
    explain.grad_cam(model, cam_layer, photos(1), logit)
    assert "call" not in vars(layer)  # the wrapper is gone
    with pytest.raises(ZeroDivisionError):  # ... even when the block raises
        explain.grad_cam(model, cam_layer, photos(1), lambda outputs: 1 / 0)
    assert "call" not in vars(layer)


def test_an_unknown_layer_is_named_with_the_ones_that_exist():
    model, _, _ = nested()
    with pytest.raises(ValueError, match="block99") as error:
        explain.grad_cam(model, "block99", photos(1), logit)
    assert "base_relu2" in str(error.value) and "층이 없습니다" in str(error.value)
