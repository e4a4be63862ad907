"""What `find_lr` and `LRFinder` do to a model around the sweep.

`_snapshot` copies the weights, the optimizer's variables and the learning
rate that `LRFinder.restore` puts back (`_model_vars`, `_to_numpy`);
`_build_then_train` takes it in the first step on TensorFlow, where a model
that is not built yet is built only there. `_check_options` checks
`find_lr`'s options; `_build_for_sweep` (with `_is_built` and
`_first_inputs`) builds a model that is not built yet on one batch (the
swap of a `LearningRateSchedule` for the sweep's float rate is
`_keras_compat.swap_out_schedule`). `_check_verbose` reads `find_lr`'s `verbose`, `_SweepProgress` shows the
sweep as a `keras.utils.Progbar`, and `_write_sweep` writes the curve and
the suggestion for TensorBoard.
"""


import keras
import numpy as np

from ._base import CallbackTypeError
from ._base import CallbackValueError
from ._summary import SummaryWriter

_OPTIONS = {"start_lr", "end_lr", "num_steps", "beta", "diverge", "method",
            "log_dir"}


def _model_vars(model):
    return list(model.trainable_variables) + list(model.non_trainable_variables)


def _is_built(model):
    return bool(model.built) and all(layer.built for layer in model.layers)


def _check_options(options):
    """Checks the names of `find_lr`'s `**options`, and its `log_dir`."""
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise CallbackTypeError(
            f"find_lr got unknown option(s) {unknown}. Allowed: "
            f"{sorted(_OPTIONS)}. Received: {sorted(options)}"
        )
    log_dir = options.get("log_dir")
    if isinstance(log_dir, str) and log_dir == "auto":
        raise CallbackValueError(
            "find_lr: `log_dir` must be a directory: find_lr runs its own "
            "`fit`, with no keras.callbacks.TensorBoard beside it. Received: "
            "log_dir='auto'; pass e.g. log_dir=os.path.join(tensorboard."
            "log_dir, 'lr_finder'), or use LRFinder(log_dir='auto') in your "
            "own `fit`."
        )


def _build_for_sweep(model, x, batch_size):
    """Builds a model that is not built yet on one batch of `x`; returns
    the keyword arguments of the sweep's `fit` (datasets keep their
    order)."""
    is_dataset = hasattr(x, "take") and hasattr(x, "element_spec")
    if not _is_built(model):
        inputs = _first_inputs(x, batch_size, is_dataset)
        if inputs is not None:
            model(inputs)
    return {"shuffle": False} if is_dataset else {"batch_size": batch_size}


def _first_inputs(x, batch_size, is_dataset):
    """The inputs of the first batch, or `None` if they cannot be peeked."""
    if is_dataset:
        for batch in x.take(1):
            inputs = keras.utils.unpack_x_y_sample_weight(batch)[0]
            return keras.tree.map_structure(keras.ops.convert_to_numpy, inputs)
        return None
    leaves = keras.tree.flatten(x)
    if not leaves or not all(hasattr(a, "shape") for a in leaves):
        return None  # A generator or a PyDataset: fit builds the model.
    return keras.tree.map_structure(lambda a: a[:batch_size], x)


def _build_then_train(finder, model):
    """A `train_function` that builds `model` and its optimizer on the
    first batch, takes `finder`'s snapshot, puts back the model's own
    `train_function` (which `finder` keeps) and runs it on that batch."""
    lr = finder._get_lr(model)
    train_function = model.train_function

    def build_then_train(iterator):
        finder._unwatch()
        data = next(iterator)
        model(keras.utils.unpack_x_y_sample_weight(data)[0])
        model.optimizer.build(model.trainable_variables)
        finder._saved = _snapshot(model, lr)
        return train_function([data])

    return build_then_train


def _snapshot(model, lr):
    return (
        model,
        [_to_numpy(v) for v in _model_vars(model)],
        [_to_numpy(v) for v in model.optimizer.variables],
        lr,
    )


def _to_numpy(variable):
    return np.array(keras.ops.convert_to_numpy(variable.value), copy=True)


def _check_verbose(verbose):
    """`find_lr`'s `verbose` as an integer: `"auto"` is 1, as in `fit`."""
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    message = ("find_lr: `verbose` must be 'auto', 0, 1 or 2. Received: "
               f"verbose={verbose!r}")
    if isinstance(verbose, bool) or not isinstance(verbose, (int, str)):
        raise CallbackTypeError(
            f"{message} (of type {type(verbose).__name__}).")
    if verbose not in (0, 1, 2):
        raise CallbackValueError(f"{message}.")
    return verbose


class _SweepProgress(keras.callbacks.Callback):
    """Shows `finder`'s sweep as a `keras.utils.Progbar` of `num_steps`
    steps with the batch loss and the rate, as `fit` shows an epoch
    (`verbose=1` a bar, `2` one line at the end, `0` nothing). Listed
    before the finder, so the bar ends before the finder prints."""

    def __init__(self, finder, verbose):
        super().__init__()
        self.finder, self.verbose = finder, verbose
        self._bar, self._seen = None, 0

    def on_train_begin(self, logs=None):
        self._bar, self._seen = None, 0
        if self.verbose:
            self._bar = keras.utils.Progbar(
                self.finder.num_steps, verbose=self.verbose,
                stateful_metrics=["loss", "learning_rate"], unit_name="step")

    def on_train_batch_end(self, batch, logs=None):
        if self._bar is None or self._seen >= self.finder.num_steps:
            return
        # The finder set this batch's rate and resets the metrics before
        # each batch: `logs["loss"]` is the batch's own loss.
        self._seen = len(self.finder.lrs)
        values = [("learning_rate", self.finder.lrs[-1])]
        if logs and "loss" in logs:
            values.insert(0, ("loss", float(logs["loss"])))
        self._bar.update(self._seen, values)

    def on_train_end(self, logs=None):
        if self._bar is not None and self._seen < self.finder.num_steps:
            self._bar.update(self._seen, finalize=True)  # stopped early


def _write_sweep(finder, log_dir):
    """Writes the sweep's curve as scalars over the sweep's steps (the rate
    of each step in `learning_rate`) and the suggestion as text."""
    writer = SummaryWriter(log_dir)
    try:
        for step, (lr, loss, smooth) in enumerate(zip(
                finder.lrs, finder.losses, finder.smoothed_losses)):
            writer.scalar("lr_finder/loss", loss, step)
            writer.scalar("lr_finder/smoothed_loss", smooth, step)
            writer.scalar("lr_finder/learning_rate", lr, step)
        shown = ("none" if finder.suggestion is None
                 else f"{finder.suggestion:.3g}")
        writer.text("lr_finder/suggestion", (
            f"Suggested learning rate: **{shown}** ({finder.method}), from "
            f"a sweep of {len(finder.losses)} steps from {finder.start_lr:g} "
            f"to {finder.end_lr:g}.") + (
            f"\n\nNote: {finder.suggestion_note}."
            if finder.suggestion_note else ""), max(len(finder.losses) - 1, 0))
    finally:
        writer.close()
