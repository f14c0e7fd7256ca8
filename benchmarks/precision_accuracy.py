"""float32 against mixed_bfloat16 on a CPU: speed AND the test score, over seeds.

    .venv/bin/python benchmarks/precision_accuracy.py                 # 3 seeds, 20 epochs
    .venv/bin/python benchmarks/precision_accuracy.py --seeds 1 --epochs 1 --max-photos 64

``utils/precision.py`` lets ``auto`` pick a 16-bit policy only where it was measured to
help the course's own models. This trains chapter 7's species convnet (the model whose
training went wrong under mixed_bfloat16 on a CPU with AVX-512 BF16) as the chapter does
at cpu scale: Pets photos at 96x96, batch 32, Adam 1e-3, class weights, early stopping
on the validation loss with the best epoch restored. For each policy and seed it prints
the seconds per epoch (the first epoch, which traces the graphs, left out), the restored
epoch, the test accuracy and the share of channels in blocks 2-4 that are zero on every
test photo (dead). Prints one ``BENCH_JSON`` line with every run and the machine (its
``simd`` list says whether the CPU has AVX-512 BF16).
"""

from __future__ import annotations

import argparse
import os
import time

from common import emit, machine_info

POLICIES = ("float32", "mixed_bfloat16")


def make_species_convnet(image_size, filters=(8, 16, 32, 64)):
    """Chapter 7's model (notebooks/07_what_convnets_learn.ipynb; keep them the same)."""
    import keras
    from keras import layers

    inputs = keras.Input(shape=(*image_size, 3))
    x = keras.Sequential(
        [
            layers.RandomFlip("horizontal"),
            layers.RandomRotation(0.05),
            layers.RandomZoom(0.15),
        ],
        name="data_augmentation",
    )(inputs)
    x = layers.Rescaling(1 / 255)(x)
    for block, n_filters in enumerate(filters, start=1):
        for i in (1, 2):
            x = layers.Conv2D(
                n_filters,
                3,
                padding="same",
                use_bias=False,
                name=f"block{block}_conv{i}",
            )(x)
            x = layers.BatchNormalization(momentum=0.9, name=f"block{block}_bn{i}")(x)
            x = layers.Activation("relu", name=f"block{block}_relu{i}")(x)
        if block < len(filters):
            x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
    x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
    x = layers.Dropout(0.3)(x)
    outputs = layers.Dense(1, name="dog_logit", dtype="float32")(x)
    return keras.Model(inputs, outputs, name="species_convnet")


def run(policy, seed, data, epochs, patience):
    import keras
    import numpy as np

    from utils import explain

    keras.config.set_dtype_policy(policy)
    keras.utils.set_random_seed(seed)
    model = make_species_convnet(data["image_size"])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.BinaryCrossentropy(from_logits=True),
        metrics=[keras.metrics.BinaryAccuracy(threshold=0.0, name="accuracy")],
    )
    starts, seconds = [], []
    timer = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: starts.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: seconds.append(
            time.perf_counter() - starts[-1]
        ),
    )
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=patience, restore_best_weights=True
    )
    history = model.fit(
        data["train"],
        validation_data=data["val"],
        epochs=epochs,
        class_weight=data["class_weight"],
        callbacks=[stop, timer],
        verbose=0,
    )
    images = np.concatenate([x for x, _ in data["test"]])
    labels = np.concatenate([y for _, y in data["test"]]).reshape(-1)
    logits = np.concatenate([model(x, training=False) for x, _ in data["test"]])
    accuracy = float(np.mean((logits[:, 0] > 0) == (labels == 1)))
    names = [f"block{b}_relu2" for b in (2, 3, 4)]
    maps = explain.feature_maps(model, names, images)
    dead = [float(np.mean(m.max(axis=(0, 1, 2)) <= 0)) for m in maps.values()]
    seconds = seconds[1:] or seconds
    losses = history.history["val_loss"]
    return {
        "policy": policy,
        "seed": seed,
        "epochs_run": len(losses),
        "restored_epoch": int(np.argmin(losses)) + 1,
        "seconds_per_epoch": round(float(np.median(seconds)), 2),
        "test_accuracy": round(accuracy, 4),
        "dead_channel_share_blocks_2_4": [round(d, 3) for d in dead],
    }


def load_data(image_size, max_photos):
    import numpy as np

    from utils import pets

    index = pets.load_pets_index(verbose=False)
    trainval = sorted(
        (r for r in index.records if r.split == "trainval"), key=lambda r: r.name
    )
    np.random.default_rng(0).shuffle(trainval)
    val, train = trainval[:50], trainval[50:][:max_photos]
    test = sorted((r for r in index.records if r.split == "test"), key=lambda r: r.name)
    test = test[:max_photos]

    def dataset(records, shuffle=False):
        return pets.make_dataset(
            records, image_size, 32, targets=("species",), shuffle=shuffle, cache=True
        )

    dogs = sum(r.species == "dog" for r in train)
    return {
        "image_size": image_size,
        "train": dataset(train, shuffle=True),
        "val": dataset(val),
        "test": dataset(test),
        "class_weight": {0: 1.0, 1: (len(train) - dogs) / max(dogs, 1)},
        "photos": {"train": len(train), "validation": len(val), "test": len(test)},
        "source": index.source,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--image-size", type=int, default=96)
    parser.add_argument("--max-photos", type=int, default=None)
    args = parser.parse_args()
    if os.getloadavg()[0] > (os.cpu_count() or 1) / 2:
        print(f"경고/warning: load average {os.getloadavg()[0]:.1f}; timings are noisy")
    data = load_data((args.image_size, args.image_size), args.max_photos)
    runs = []
    for seed in range(args.seeds):
        for policy in POLICIES:
            result = run(policy, seed, data, args.epochs, args.patience)
            print(result, flush=True)
            runs.append(result)
    emit(
        {
            "what": "chapter 7's species convnet, float32 vs mixed_bfloat16",
            "photos": data["photos"],
            "data": str(data["source"]),
            "machine": machine_info(),
            "runs": runs,
        }
    )


if __name__ == "__main__":
    main()
