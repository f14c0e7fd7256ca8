"""Looking inside a trained convnet: feature maps, filter patterns and Grad-CAM.

The common recipes build ``keras.Model(model.inputs, model.get_layer(name).output)``.
That fails on a ``Sequential`` model built without an ``Input``, and on a layer inside a
nested model (a pretrained base inside a classifier), whose output belongs to the
base's own graph. Here the whole model runs once while the chosen layers' outputs are
recorded on the way, so any model a student brings works: functional, ``Sequential``,
nested or subclassed.

Under a mixed policy (``mixed_float16``, ``mixed_bfloat16``) the layers compute in 16
bits. Every number these helpers return is cast to float32 first, and the gradient
ascent keeps its image in float32, so the arithmetic after the model is exact enough
to compare and plot.
"""

from __future__ import annotations

import contextlib

import numpy as np
import tensorflow as tf

__all__ = ["find_layer", "feature_maps", "filter_patterns", "grad_cam"]


def _layers_within(model):
    """Every layer of ``model``, nested models' layers included (depth first)."""
    for layer in getattr(model, "layers", []):
        yield layer
        yield from _layers_within(layer)


def find_layer(model, name: str):
    """The layer called ``name`` anywhere in ``model``, inside nested models too."""
    for layer in _layers_within(model):
        if layer.name == name:
            return layer
    names = [layer.name for layer in _layers_within(model)]
    raise ValueError(
        f"모델 '{model.name}' 안에 '{name}' 층이 없습니다. 있는 층: {', '.join(names)}\n"
        f"No layer named '{name}' in model '{model.name}' (nested models searched too)."
    )


@contextlib.contextmanager
def _recording(layers):
    """Records each layer's output while the block runs the model: ``{name: tensor}``.

    The layer's ``call`` is wrapped for the duration of the block only; Keras looks
    ``call`` up on the instance at every call, so the wrapper sees every pass.
    """
    recorded = {}

    def wrap(layer):
        original = layer.call

        def call(*args, **kwargs):
            outputs = original(*args, **kwargs)
            recorded[layer.name] = outputs
            return outputs

        return call

    for layer in layers:
        layer.__dict__["call"] = wrap(layer)
    try:
        yield recorded
    finally:
        for layer in layers:
            layer.__dict__.pop("call", None)


def _run(model, layer_names, images):
    """Runs ``model`` in inference mode: (float32 outputs of the named layers, float32
    model output)."""
    layers = [find_layer(model, name) for name in layer_names]
    with _recording(layers) as recorded:
        outputs = model(images, training=False)
    missing = [name for name in layer_names if name not in recorded]
    if missing:
        raise ValueError(
            f"모델을 실행했지만 {', '.join(missing)} 층을 지나지 않았습니다.\n"
            f"The model ran without passing through: {', '.join(missing)}."
        )
    # The layers' own tensors, in the policy's compute dtype: a gradient is taken
    # with respect to these, so they are not cast here.
    return [recorded[name] for name in layer_names], tf.cast(outputs, "float32")


def _float32(tensor) -> np.ndarray:
    return tf.cast(tensor, "float32").numpy()


def feature_maps(model, layer_names, images) -> dict:
    """``{layer name: float32 array (n, h, w, channels)}`` for a batch of images."""
    maps, _ = _run(model, list(layer_names), images)
    return {name: _float32(m) for name, m in zip(layer_names, maps)}


def _gaussian_blur(images, sigma: float):
    """Blurs each channel with a Gaussian of ``sigma`` pixels; the border is mirrored, so
    the edges keep their brightness (zero padding would darken them)."""
    radius = max(1, int(np.ceil(2 * sigma)))
    offsets = np.arange(-radius, radius + 1, dtype="float32")
    kernel_1d = np.exp(-(offsets**2) / (2 * sigma**2))
    kernel_1d /= kernel_1d.sum()
    channels = images.shape[-1]
    kernel = np.tile(
        np.outer(kernel_1d, kernel_1d)[:, :, None, None], (1, 1, channels, 1)
    )
    padded = tf.pad(
        images, [[0, 0], [radius, radius], [radius, radius], [0, 0]], mode="REFLECT"
    )
    return tf.nn.depthwise_conv2d(
        padded, tf.constant(kernel, "float32"), strides=[1, 1, 1, 1], padding="VALID"
    )


def filter_patterns(
    model,
    layer_name,
    filter_ids,
    image_size,
    steps,
    step_size=2.0,
    seed=0,
    *,
    jitter=0,
    blur_every=0,
    blur_sigma=1.0,
    start_scale=1,
):
    """Gradient ascent on the input: one image per filter in ``filter_ids``, each made
    to raise that filter's mean response in ``layer_name``.

    Starts from grey with weak noise (pixel values 0..255, as the models expect) and
    takes ``steps`` steps of size ``step_size`` along the RMS-normalised gradient.
    Returns the images (float32, 0..255) and each filter's final mean response.

    The usual regularisers of the ascent, all off by default (the plain ascent):

    - ``jitter``: before each step the images are shifted (``tf.roll``) by a random
      whole number of pixels, up to ``jitter`` in each direction, and the gradient is
      taken through the shift. A pattern cannot then rely on single pixels, and
      pixel-level noise averages out over the steps.
    - ``blur_every``, ``blur_sigma``: every ``blur_every`` steps the images are blurred
      with a Gaussian of ``blur_sigma`` pixels, which damps what changes from one pixel
      to the next.
    - ``start_scale``: the start noise is drawn at ``1 / start_scale`` of the size and
      enlarged bilinearly, so the ascent starts from smooth blotches.

    The returned scores are measured on the unshifted images.
    """
    height, width = image_size
    if start_scale > 1:
        small = (max(1, height // start_scale), max(1, width // start_scale))
        noise = tf.random.stateless_normal((len(filter_ids), *small, 3), seed=(seed, 0))
        noise = tf.image.resize(noise, image_size, method="bilinear")
    else:
        noise = tf.random.stateless_normal(
            (len(filter_ids), *image_size, 3), seed=(seed, 0)
        )
    images = 128.0 + 5.0 * noise
    n_channels = _run(model, [layer_name], images[:1])[0][0].shape[-1]
    pick = tf.one_hot(filter_ids, n_channels)[:, None, None, :]  # image i: filter i

    def scores(images):
        (maps,), _ = _run(model, [layer_name], images)
        maps = tf.cast(maps, "float32")
        return tf.reduce_mean(tf.reduce_sum(maps * pick, axis=-1), axis=(1, 2))

    @tf.function
    def ascent_step(images, step):
        with tf.GradientTape() as tape:
            tape.watch(images)  # the gradient for the input, not the weights
            seen = images
            if jitter:
                shift = tf.random.stateless_uniform(
                    (2,),
                    seed=(seed, step),
                    minval=-jitter,
                    maxval=jitter + 1,
                    dtype="int32",
                )
                seen = tf.roll(images, shift=shift, axis=[1, 2])
            total = tf.reduce_sum(scores(seen))
        grads = tf.cast(tape.gradient(total, images), "float32")
        rms = tf.sqrt(tf.reduce_mean(tf.square(grads), axis=(1, 2, 3), keepdims=True))
        return tf.clip_by_value(images + step_size * grads / (rms + 1e-8), 0.0, 255.0)

    for step in range(steps):
        images = ascent_step(images, tf.constant(step + 1, "int32"))
        if blur_every and (step + 1) % blur_every == 0:
            images = _gaussian_blur(images, blur_sigma)
    return images.numpy(), scores(images).numpy()


def grad_cam(model, layer_name, images, class_score):
    """Grad-CAM of ``layer_name`` for a batch: heatmaps ``(n, h, w)`` and the scores.

    ``class_score(outputs)`` turns the model's float32 outputs into one score per
    image (for example the logit of the predicted class). Each channel of the layer's
    feature maps is weighted by the mean gradient of the score over that map; the
    weighted sum, clipped at zero, is the heatmap.
    """
    images = tf.convert_to_tensor(np.asarray(images), "float32")
    with tf.GradientTape() as tape:
        (maps,), outputs = _run(model, [layer_name], images)
        score = class_score(outputs)
        total = tf.reduce_sum(score)
    grads = tf.cast(tape.gradient(total, maps), "float32")
    maps = tf.cast(maps, "float32")
    channel_weights = tf.reduce_mean(grads, axis=(1, 2))
    cams = tf.nn.relu(tf.einsum("nhwc,nc->nhw", maps, channel_weights))
    return cams.numpy(), np.asarray(score)
