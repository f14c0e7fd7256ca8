"""The full-scale dry run's step cap: ``COURSE_MAX_STEPS=N`` makes every notebook finish
quickly.

tests/test_full_scale.py runs every notebook at ``COURSE_SCALE=full`` with the cap set,
so that each full-scale branch runs (image sizes, batch sizes, the lecture's epochs as
the code reads them, checkpoints, downloads and their fallbacks) without the hours of
training. It is test machinery, not part of the student's ``utils``: the dry run's
kernels import it at start-up (``--IPKernelApp.exec_lines``), before the notebook's
first cell, and nothing else ever does.

With ``COURSE_MAX_STEPS=N`` (a positive whole number):

* every dataset from the course's loaders (``pets.make_dataset``,
  ``dogs_cats.make_dataset``, and so ``load_arrays``) yields at most N batches, so loops
  a notebook writes by hand over a dataset are short too;
* ``keras.Model.fit`` trains at most :data:`MAX_EPOCHS` epoch(s) of at most N steps, with
  at most N validation steps; when the cap, not a callback, ended training, the returned
  ``History`` is padded to the epochs asked for by repeating the last epoch's numbers, so
  code that reads epoch E of a history still runs (the numbers of a capped run mean
  nothing);
* ``keras.Model.evaluate`` reads at most N batches;
* ``keras.Model.train_on_batch`` takes at most N real steps per model; later calls (a
  timing loop, say) return the last real step's result without training;
* a loop a notebook writes by hand over a number of steps (chapter 4's moving
  variance, chapter 7's gradient ascent) takes its length from ``Scale.steps``
  (utils/config.py), which reads the same variable;
* ``fit``, ``evaluate``, ``predict`` and ``train_on_batch`` run eagerly (``run_eagerly=True``): for one step,
  building the step's graph costs far more than the step (a 55-layer stack: about 25 CPU
  seconds against 6). The smoke-scale nbval runs keep checking the graph path.

``predict`` reads all its input: its output must keep one row per input, and its inputs
are already small (they come from the capped loaders).
"""

from __future__ import annotations

import functools
import inspect
import sys
import weakref

from utils.config import positive_int_from_env

VARIABLE = "COURSE_MAX_STEPS"
# One epoch: at full scale a single step of chapter 2's model (batch 64, 200x200) is about
# 3 TFLOP, and a dry run must fit in the tests' time. Callbacks still run at its end.
MAX_EPOCHS = 1
# What install() replaced: name -> (owner, attribute, original, owner had it itself).
_installed: dict[str, tuple] = {}
# train_on_batch under the cap: model -> (real steps taken, the last step's result).
_train_steps: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def max_steps() -> int | None:
    """The cap from ``COURSE_MAX_STEPS``: None when unset or empty."""
    return positive_int_from_env(VARIABLE)


def cap_dataset(ds, steps: int | None = None):
    """``ds`` limited to ``steps`` batches (default: the cap); unchanged without a cap."""
    steps = steps or max_steps()
    return ds if steps is None else ds.take(steps)


def _is_dataset(x) -> bool:
    import tensorflow as tf

    return isinstance(x, tf.data.Dataset)


def _is_array(x) -> bool:
    """A NumPy array or tensor, or a list/tuple/dict of them (what fit slices by rows)."""
    import keras
    import numpy as np

    leaves = keras.tree.flatten(x) if x is not None else []
    return bool(leaves) and all(
        isinstance(leaf, np.ndarray) or keras.ops.is_tensor(leaf) for leaf in leaves
    )


def _first_rows(x, rows: int):
    import keras

    return None if x is None else keras.tree.map_structure(lambda a: a[:rows], x)


def _capped_inputs(arguments: dict, steps: int, rows: int) -> None:
    """Caps ``x`` (with ``y`` and ``sample_weight``) of a fit/evaluate call in place."""
    x = arguments.get("x")
    if _is_dataset(x):
        arguments["x"] = x.take(steps)
    elif _is_array(x):
        for name in ("x", "y", "sample_weight"):
            arguments[name] = _first_rows(arguments.get(name), rows)
    elif x is not None:  # a generator or PyDataset: steps are its only limit
        name = "steps_per_epoch" if "steps_per_epoch" in arguments else "steps"
        arguments[name] = min(arguments.get(name) or steps, steps)


def _bind(signature, self, args, kwargs) -> tuple[dict, dict]:
    """A call's arguments by name, defaults filled in, and its extra ``**kwargs``."""
    bound = signature.bind(self, *args, **kwargs)
    bound.apply_defaults()
    arguments = bound.arguments
    return arguments, arguments.pop("kwargs", {})


def _pad_history(history, epochs: int) -> None:
    if history is None or not history.epoch:
        return
    last = history.epoch[-1]
    extra = list(range(last + 1, epochs))
    history.epoch.extend(extra)
    for values in history.history.values():
        values.extend([values[-1]] * len(extra))


def _capped_fit(original):
    signature = inspect.signature(original)

    @functools.wraps(original)
    def fit(self, *args, **kwargs):
        steps = max_steps()
        if steps is None:
            return original(self, *args, **kwargs)
        arguments, extra = _bind(signature, self, args, kwargs)
        batch = arguments.get("batch_size") or 32
        _capped_inputs(arguments, steps, steps * batch)
        validation = arguments.get("validation_data")
        if _is_dataset(validation):
            arguments["validation_data"] = validation.take(steps)
        elif isinstance(validation, (tuple, list)) and _is_array(validation[0]):
            rows = steps * (arguments.get("validation_batch_size") or batch)
            arguments["validation_data"] = tuple(
                _first_rows(v, rows) for v in validation
            )
        elif validation is not None:
            arguments["validation_steps"] = min(
                arguments.get("validation_steps") or steps, steps
            )
        wanted = arguments["epochs"]
        arguments["epochs"] = min(wanted, arguments["initial_epoch"] + MAX_EPOCHS)
        arguments.pop("self")
        self.run_eagerly = True
        history = original(self, **arguments, **extra)
        if arguments["epochs"] < wanted and not self.stop_training:
            _pad_history(history, wanted)
        return history

    return fit


def _capped_evaluate(original):
    signature = inspect.signature(original)

    @functools.wraps(original)
    def evaluate(self, *args, **kwargs):
        steps = max_steps()
        if steps is None:
            return original(self, *args, **kwargs)
        arguments, extra = _bind(signature, self, args, kwargs)
        _capped_inputs(arguments, steps, steps * (arguments.get("batch_size") or 32))
        arguments.pop("self")
        self.run_eagerly = True
        return original(self, **arguments, **extra)

    return evaluate


def _capped_train_on_batch(original):
    @functools.wraps(original)
    def train_on_batch(self, *args, **kwargs):
        steps = max_steps()
        if steps is None:
            return original(self, *args, **kwargs)
        taken, last = _train_steps.get(self, (0, None))
        if taken >= steps:
            return last
        self.run_eagerly = True
        last = original(self, *args, **kwargs)
        _train_steps[self] = (taken + 1, last)
        return last

    return train_on_batch


def _eager_predict(original):
    @functools.wraps(original)
    def predict(self, *args, **kwargs):
        if max_steps() is not None:
            self.run_eagerly = True
        return original(self, *args, **kwargs)

    return predict


def _capped_loader(original):
    @functools.wraps(original)
    def make_dataset(*args, **kwargs):
        return cap_dataset(original(*args, **kwargs))

    return make_dataset


def install() -> bool:
    """Installs the cap when ``COURSE_MAX_STEPS`` is set; returns whether it is installed.
    Safe to call again (it installs once)."""
    steps = max_steps()
    if steps is None or _installed:
        return bool(_installed)
    import keras

    from utils import dogs_cats, pets

    targets = [
        (keras.Model, "fit", _capped_fit),
        (keras.Model, "evaluate", _capped_evaluate),
        (keras.Model, "train_on_batch", _capped_train_on_batch),
        (keras.Model, "predict", _eager_predict),
        (pets, "make_dataset", _capped_loader),
        (dogs_cats, "make_dataset", _capped_loader),
    ]
    for owner, name, wrap in targets:
        original = getattr(owner, name)
        own = name in vars(owner)  # keras.Model inherits fit and evaluate
        _installed[f"{owner.__name__}.{name}"] = (owner, name, original, own)
        setattr(owner, name, wrap(original))
    print(
        f"{VARIABLE}={steps}: 시험용 실행입니다. 데이터셋은 {steps}배치, "
        f"fit은 {MAX_EPOCHS}에포크 × {steps}스텝까지만 돕니다.\n"
        f"{VARIABLE}={steps}: a dry run; datasets stop after {steps} batch(es), "
        f"fit after {MAX_EPOCHS} epoch(s) of {steps} step(s).",
        file=sys.stderr,
    )
    return True


def uninstall() -> None:
    """Puts back what :func:`install` replaced (for tests)."""
    for owner, name, original, own in _installed.values():
        if own:
            setattr(owner, name, original)
        else:
            delattr(owner, name)
    _installed.clear()
