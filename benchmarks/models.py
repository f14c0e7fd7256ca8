"""The two models the benchmarks time, and a count of their multiply-adds.

``make_segmentation_model`` is copied from notebooks/02_image_segmentation.ipynb (keep
them the same: 2,880,643 parameters at 200x200); ``make_mini_xception`` is the lecture's
dogs-vs-cats model (721,857 parameters at 180x180). Both keep their last layer in float32
(``dtype="float32"``), as the course's precision switch asks (utils/precision.py), so that
softmax and sigmoid run at full precision under a mixed policy.
"""

from __future__ import annotations

import keras
from keras import layers

SEGMENTATION_PARAMS_200 = 2_880_643
MINI_XCEPTION_PARAMS_180 = 721_857


def make_segmentation_model(img_size, num_classes=3):
    inputs = keras.Input(shape=img_size + (3,))
    x = layers.Rescaling(1.0 / 255)(inputs)

    x = layers.Conv2D(64, 3, strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(64, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(128, 3, strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(128, 3, activation="relu", padding="same")(x)
    x = layers.Conv2D(256, 3, strides=2, activation="relu", padding="same")(x)
    x = layers.Conv2D(256, 3, activation="relu", padding="same")(x)

    x = layers.Conv2DTranspose(256, 3, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(256, 3, activation="relu", padding="same", strides=2)(x)
    x = layers.Conv2DTranspose(128, 3, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(128, 3, activation="relu", padding="same", strides=2)(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", padding="same")(x)
    x = layers.Conv2DTranspose(64, 3, activation="relu", padding="same", strides=2)(x)

    outputs = layers.Conv2D(
        num_classes, 3, activation="softmax", padding="same", dtype="float32"
    )(x)
    return keras.Model(inputs, outputs)


def make_augmentation():
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.1),
            layers.RandomZoom(0.2),
        ]
    )


def make_mini_xception(img_size=(180, 180), augment=True):
    """The lecture's model; ``augment=False`` leaves out the augmentation layers (no weights)."""
    inputs = keras.Input(shape=img_size + (3,))
    x = make_augmentation()(inputs) if augment else inputs
    x = layers.Rescaling(1.0 / 255)(x)
    x = layers.Conv2D(filters=32, kernel_size=5, use_bias=False)(x)
    for size in (32, 64, 128, 256, 512):
        residual = x
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        x = layers.SeparableConv2D(size, 3, padding="same", use_bias=False)(x)
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(size, 1, strides=2, padding="same", use_bias=False)(
            residual
        )
        x = layers.add([x, residual])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.5)(x)
    outputs = layers.Dense(1, activation="sigmoid", dtype="float32")(x)
    return keras.Model(inputs, outputs)


def check_param_counts() -> None:
    """Both models have the lecture's parameter counts (guards the copies above)."""
    seg = make_segmentation_model((200, 200)).count_params()
    xcp = make_mini_xception((180, 180)).count_params()
    assert seg == SEGMENTATION_PARAMS_200, f"segmentation model has {seg:,} parameters"
    assert xcp == MINI_XCEPTION_PARAMS_180, f"mini-Xception has {xcp:,} parameters"


def _hw(shape):
    """Spatial positions of a (batch, H, W, C) shape."""
    return shape[1] * shape[2]


def layer_macs(layer) -> int:
    """Multiply-adds of one layer for one image (convolutions and dense layers; the rest ~0)."""
    if isinstance(layer, keras.Model):
        return count_macs(layer)
    if not hasattr(layer, "kernel_size") and not isinstance(layer, layers.Dense):
        return 0  # BatchNormalization, pooling, activations, add, rescaling: elementwise, ignored
    shape_in, shape_out = tuple(layer.input.shape), tuple(layer.output.shape)
    cin = shape_in[-1]
    if isinstance(layer, layers.Dense):
        positions = 1
        for d in shape_in[1:-1]:
            positions *= d
        return positions * cin * layer.units
    kh, kw = layer.kernel_size
    if isinstance(layer, layers.SeparableConv2D):
        depthwise = _hw(shape_out) * kh * kw * cin * layer.depth_multiplier
        return depthwise + _hw(shape_out) * cin * layer.depth_multiplier * layer.filters
    if isinstance(layer, layers.DepthwiseConv2D):
        return _hw(shape_out) * kh * kw * cin * layer.depth_multiplier
    if isinstance(
        layer, layers.Conv2DTranspose
    ):  # every input value stamps a K x K x Cout kernel
        return _hw(shape_in) * kh * kw * cin * layer.filters
    if isinstance(layer, layers.Conv2D):
        return _hw(shape_out) * kh * kw * cin * layer.filters // layer.groups
    raise TypeError(f"no multiply-add count for {type(layer).__name__}")


def count_macs(model) -> int:
    """Multiply-adds of one forward pass of one image, summed over the model's layers."""
    return sum(layer_macs(layer) for layer in model.layers)


def macs_table(model) -> list[tuple[str, int]]:
    return [
        (layer.name, layer_macs(layer)) for layer in model.layers if layer_macs(layer)
    ]


if __name__ == "__main__":
    check_param_counts()
    for name, model in (
        ("segmentation 200x200", make_segmentation_model((200, 200))),
        ("mini-Xception 180x180", make_mini_xception((180, 180))),
    ):
        print(
            f"{name}: {model.count_params():,} parameters, {count_macs(model) / 1e9:.3f} G multiply-adds per image"
        )
        for layer_name, macs in macs_table(model):
            print(f"   {layer_name:<28} {macs / 1e6:10.1f} M")
