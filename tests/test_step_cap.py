"""COURSE_MAX_STEPS: the dry run's step cap (tests/dry_run/step_cap.py) caps everything
once installed, and the student's ``utils`` never installs it; ``Scale.steps`` gives
loops written by hand their length."""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from utils import dogs_cats, get_scale, pets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "dry_run"))
import step_cap  # noqa: E402 - the dry run's own module, not part of utils

PROBE = (
    "import keras, utils\n"
    "from utils import dogs_cats, pets\n"
    "print('fit' in vars(keras.Model), 'predict' in vars(keras.Model),\n"
    "      hasattr(pets.make_dataset, '__wrapped__'),\n"
    "      hasattr(dogs_cats.make_dataset, '__wrapped__'))\n"
)


def probe(**env) -> str:
    environment = {k: v for k, v in os.environ.items() if k != step_cap.VARIABLE}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_utils_patches_nothing_even_when_set():
    assert probe() == "False False False False"
    assert probe(COURSE_MAX_STEPS="2") == "False False False False"
    assert not (ROOT / "utils" / "step_cap.py").exists()


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_a_bad_value_is_refused(monkeypatch, value):
    monkeypatch.setenv(step_cap.VARIABLE, value)
    with pytest.raises(ValueError, match="COURSE_MAX_STEPS"):
        step_cap.max_steps()


def test_hand_written_loops_take_their_length_from_the_scale(monkeypatch):
    monkeypatch.delenv(step_cap.VARIABLE, raising=False)
    scale = get_scale("full")
    assert scale.steps(1890) == 1890
    monkeypatch.setenv(step_cap.VARIABLE, "2")
    assert scale.steps(1890) == 2 and scale.steps(1) == 1


@pytest.fixture
def capped(monkeypatch):
    monkeypatch.setenv(step_cap.VARIABLE, "1")
    step_cap.install()
    yield
    step_cap.uninstall()
    assert "fit" not in vars(keras.Model)


def small_model():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def numbers(rows=100, batch=8):
    x = np.random.default_rng(0).random((rows, 4), dtype="float32")
    y = x.sum(axis=1, keepdims=True)
    return x, y, tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)


class StopAfterFirstEpoch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = True


def test_fit_runs_short_epochs_and_pads_the_history(capped):
    x, y, ds = numbers()
    model = small_model()
    history = model.fit(ds, validation_data=ds, epochs=30, verbose=0)
    assert int(model.optimizer.iterations) == step_cap.MAX_EPOCHS * 1
    assert history.epoch == list(range(30))
    assert len(history.history["val_loss"]) == 30
    last = step_cap.MAX_EPOCHS - 1
    assert history.history["loss"][last:] == [history.history["loss"][last]] * (
        30 - last
    )

    model = small_model()
    model.fit(x, y, batch_size=8, validation_data=(x, y), epochs=5, verbose=0)
    assert int(model.optimizer.iterations) == step_cap.MAX_EPOCHS


def test_a_callback_that_stops_training_is_not_padded_over(capped):
    _, _, ds = numbers()
    history = small_model().fit(
        ds, epochs=30, callbacks=[StopAfterFirstEpoch()], verbose=0
    )
    assert history.epoch == [0]


def test_evaluate_is_capped_and_predict_keeps_every_row(capped):
    x, y, ds = numbers()
    batches = []
    callback = keras.callbacks.LambdaCallback(
        on_test_batch_end=lambda batch, logs: batches.append(batch)
    )
    model = small_model()
    model.evaluate(ds, callbacks=[callback], verbose=0)
    model.evaluate(x, y, batch_size=8, callbacks=[callback], verbose=0)
    assert batches == [0, 0]
    assert model.predict(x, verbose=0).shape == (100, 1)
    assert model.run_eagerly  # one step: no graph to build


def test_train_on_batch_takes_the_capped_steps_per_model(capped):
    x, y, _ = numbers(rows=8)
    model, other = small_model(), small_model()
    results = [model.train_on_batch(x, y) for _ in range(5)]
    assert int(model.optimizer.iterations) == 1  # one real step, then the same result
    assert results == [results[0]] * 5
    other.train_on_batch(x, y)  # the count is per model
    assert int(other.optimizer.iterations) == 1


def test_the_loaders_yield_at_most_the_cap(capped, synthetic_pets, synthetic_dogs_cats):
    records = pets.load_pets_index(synthetic_pets, verbose=False).records
    assert len(list(pets.make_dataset(records, (16, 16), 4))) == 1
    images, _ = pets.load_arrays(records, (16, 16))
    assert len(images) == min(64, len(records))  # one batch of load_arrays' 64
    photos = dogs_cats.load_dogs_cats_index(synthetic_dogs_cats, verbose=False).photos
    assert len(list(dogs_cats.make_dataset(photos, (16, 16), 4))) == 1


def test_without_the_variable_the_functions_run_unchanged(synthetic_pets):
    step_cap.install()  # COURSE_MAX_STEPS is unset here: installs nothing
    assert "fit" not in vars(keras.Model)
    model = small_model()
    x, y, _ = numbers(rows=8)
    for _ in range(3):
        model.train_on_batch(x, y)
    assert int(model.optimizer.iterations) == 3
    records = pets.load_pets_index(synthetic_pets, verbose=False).records
    assert len(list(pets.make_dataset(records, (16, 16), 4))) > 1
