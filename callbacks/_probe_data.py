"""The data of the running `fit` that `GradientMonitor` reads and probes.

Keras does not hand callbacks their data, so `fit_arguments` reads the
arguments of the running `fit` call (through `_keras_compat.fit_locals`);
`sample_batch` takes the probe batch from them, `_with_class_weight` turns
`class_weight` into the probe's sample weights, `_target_spread` gives the
targets' spread (the scale for constant predictions) and
`_check_fit_setup` runs the setup checks on the data `fit` received.
"""

import keras
import numpy as np

from ._keras_compat import fit_locals
from ._setup_data import is_dataset

_SPLIT_ROWS = 4096  # rows read to judge a `validation_split`


def fit_arguments(model):
    """Reads the arguments of the running `model.fit` call from the stack.

    Keras does not hand the training data to callbacks. At
    `on_train_begin`, `fit` has already cut a `validation_split` off its
    `x`, `y` and `sample_weight`; the cut-off labels are `val_y`.

    Returns:
        A dict with `x`, `y`, `sample_weight`, `class_weight`,
        `validation_split` and `val_y`, or `None` when no `fit` of `model`
        is running.
    """
    args = fit_locals(model)
    if args is None:
        return None
    keys = ("x", "y", "sample_weight", "class_weight", "validation_split",
            "val_x", "val_y")
    out = {key: args.get(key) for key in keys}
    if not out["validation_split"]:
        out["val_x"] = out["val_y"] = None
    return out


def sample_batch(x, y, sample_weight, size, seed=0):
    """Takes a probe batch `(x, y, sample_weight)` from `fit`'s data.

    NumPy arrays / tensors give a seeded random sample of `size` rows; a
    `tf.data.Dataset` its first batch, and a `keras.utils.PyDataset` its
    batch at index 0 (read by index, as Keras reads it), cut to `size`.

    Returns:
        The batch, or `None` when it cannot be taken without consuming the
        user's data (generators, iterators).
    """
    first = keras.tree.flatten(x)[0] if x is not None else None
    if hasattr(first, "shape") and hasattr(first, "__getitem__") and len(
            getattr(first, "shape", ())) > 0 and not is_dataset(x):
        n = int(first.shape[0])
        rows = np.sort(np.random.default_rng(seed).choice(
            n, size=min(size, n), replace=False))
        take = lambda a: None if a is None else np.asarray(a)[rows]  # noqa
        return (keras.tree.map_structure(take, x), _map(take, y),
                _map(take, sample_weight))
    if is_dataset(x):
        batch = next(iter(x.take(1)))
    elif isinstance(x, keras.utils.PyDataset):
        try:
            batch = x[0]
        except Exception:  # noqa: BLE001 - an empty or failing dataset
            return None
    else:
        return None
    bx, by, bsw = keras.utils.unpack_x_y_sample_weight(batch)
    take = lambda a: None if a is None else np.asarray(a)[:size]  # noqa
    return (keras.tree.map_structure(take, bx), _map(take, by),
            _map(take, bsw))


def _check_fit_setup(model, args, predictions):
    """Runs the checks of `check_setup` on the arguments `fit` received
    (Keras has checked them), with the model's `predictions` on the probe
    batch.

    `fit` has already cut the `validation_split` rows off `x` and `y`, so
    the split is judged on rows taken with one stride from the training
    rows and the cut-off ones, in their order.
    """
    from .setup_checks import run_checks
    from .setup_checks import split_checks

    split, val_x, val_y = (args.get("validation_split"), args.get("val_x"),
                           args.get("val_y"))
    cut = bool(split and val_y is not None and args["y"] is not None)
    found = run_checks(model, args["x"], args["y"],
                       class_weight=args.get("class_weight"),
                       sample_weight=args.get("sample_weight"),
                       predictions=predictions, coverage=not cut)
    if cut:
        n = len(keras.tree.flatten(args["y"])[0]) + len(
            keras.tree.flatten(val_y)[0])
        stride = max(1, n // _SPLIT_ROWS)

        def joined(head, tail):
            return keras.tree.map_structure(
                lambda a, b: np.concatenate([np.asarray(a)[::stride],
                                             np.asarray(b)[::stride]]),
                head, tail)

        found += split_checks(model, joined(args["x"], val_x),
                              joined(args["y"], val_y), split, predictions)
    return found


def _with_class_weight(batch, class_weight):
    """Turns `fit`'s `class_weight` into the probe's sample weights, as
    Keras does for the training batches, so the probe sees the loss that is
    trained."""
    x, y, sw = batch
    if not class_weight or sw is not None or y is None or len(
            keras.tree.flatten(y)) != 1:
        return batch
    labels = np.asarray(keras.tree.flatten(y)[0])
    if labels.ndim > 1 and labels.shape[-1] > 1:
        labels = labels.argmax(axis=-1)
    labels = labels.reshape(len(labels)).astype("int64")
    weights = np.array([class_weight.get(int(c), 1.0) for c in labels],
                       dtype="float32")
    return x, y, weights


def _target_spread(y):
    """Std of the targets across rows (one-hot for sparse labels)."""
    values = [np.asarray(t, dtype="float64") for t in keras.tree.flatten(y)
              if t is not None and np.asarray(t).dtype.kind in "biuf"]
    if not values:
        return None
    spreads = [float(np.nanstd(v.reshape(len(v), -1), axis=0).mean())
               for v in values if len(v) > 1]
    return float(np.mean(spreads)) if spreads else None


def _map(fn, structure):
    return None if structure is None else keras.tree.map_structure(
        fn, structure)
