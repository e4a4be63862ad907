"""`LRFinder` and `find_lr`: the learning-rate range test."""

import math
import warnings

import keras
import numpy as np

from ._base import CallbackTypeError
from ._base import CallbackValueError
from ._base import CallbackWarning
from ._base import _LearningRateCallback
from ._base import _check_choice
from ._base import _check_float
from ._base import _check_int
from ._base import _print

METHODS = ("valley", "steepest", "minimum")


class LRFinder(_LearningRateCallback):
    """Learning-rate range test: sweeps the rate and records the batch loss.

    For `num_steps` batches the learning rate grows exponentially from
    `start_lr` to `end_lr`; the loss of each batch is recorded and smoothed
    with a debiased exponential moving average (`beta`). The sweep stops when
    the smoothed loss exceeds `diverge` times its best value or is NaN.
    When `fit` ends, the model's weights, the optimizer's variables
    (iterations and slots included) and the learning rate are restored
    exactly, so the model is as it was before the test.

    True batch loss: Keras 3 reports in `on_train_batch_end` the running mean
    over the epoch, so the finder resets the model's metrics at the start of
    every batch; `logs["loss"]` at its end is then that batch's loss (the
    progress bar shows per-batch values during the sweep).

    The suggestion (`suggestion`, or `suggest(method)`) is computed on the
    smoothed curve: `"valley"` takes the middle (on the log axis) of the
    descent into the minimum, from where the loss has fallen 10% of the way
    down to the minimum; `"steepest"` the point of steepest descent within
    it; `"minimum"` the rate at the minimum divided by 10.

    Use `find_lr` for the common case; it also handles the number of epochs.
    When the callback is passed to `fit` yourself, give `fit` at least
    `num_steps` batches (`epochs * steps_per_epoch`); if `fit` is interrupted
    by an exception, call `restore()`.

    Args:
        start_lr: Float. First learning rate. Defaults to `1e-7`.
        end_lr: Float. Last learning rate, above `start_lr`. Defaults to
            `10.0`.
        num_steps: Integer. Batches in the sweep (at least 2). Defaults to
            `100`.
        beta: Float in `[0, 1)`. Smoothing factor of the moving average.
            Defaults to `0.98`.
        diverge: Float. Stop once the smoothed loss exceeds `diverge` times
            its best. Defaults to `4.0`.
        method: String. Suggestion method: `"valley"`, `"steepest"` or
            `"minimum"`. Defaults to `"valley"`.
        verbose: Integer. `1` prints the suggestion at the end. Defaults to
            `0`.

    Raises:
        CallbackValueError: if an argument is out of range.
        CallbackTypeError: at the start of `fit`, if the optimizer's learning
            rate is a `LearningRateSchedule`.

    Example:

    ```python
    finder = LRFinder(num_steps=100)
    model.fit(x, y, batch_size=32, epochs=5, callbacks=[finder], verbose=0)
    print(finder.suggestion)
    finder.plot("lr_finder.png")
    ```
    """

    def __init__(self, start_lr=1e-7, end_lr=10.0, num_steps=100, *,
                 beta=0.98, diverge=4.0, method="valley", verbose=0):
        super().__init__()
        name = "LRFinder"
        self.start_lr = _check_float(name, "start_lr", start_lr)
        self.end_lr = _check_float(name, "end_lr", end_lr)
        if self.end_lr <= self.start_lr:
            raise CallbackValueError(
                "LRFinder: `end_lr` must be greater than `start_lr`. "
                f"Received: start_lr={start_lr!r}, end_lr={end_lr!r}"
            )
        self.num_steps = _check_int(name, "num_steps", num_steps, minimum=2)
        self.beta = _check_float(name, "beta", beta, low=0.0, high=1.0,
                                 inclusive=True)
        self.diverge = _check_float(name, "diverge", diverge, low=1.0)
        self.method = _check_choice(name, "method", method, METHODS)
        self.verbose = _check_int(name, "verbose", verbose, minimum=0)
        self.lrs, self.losses, self.smoothed_losses = [], [], []
        self.suggestion = None
        self._saved = None

    def suggest(self, method=None):
        """Returns the suggested learning rate of the finished sweep.

        Args:
            method: String or `None`. `"valley"`, `"steepest"` or
                `"minimum"`; `None` uses the constructor's `method`.

        Returns:
            Float, or `None` when fewer than 2 finite points were recorded.

        Raises:
            CallbackValueError: if `method` is not one of the above.
        """
        method = self.method if method is None else _check_choice(
            "LRFinder.suggest", "method", method, METHODS)
        lrs, sm = self._curve()
        if len(sm) < 2:
            return None
        best = int(np.argmin(sm))
        if method == "minimum":
            return float(lrs[best] / 10.0)
        begin, end = _descent(sm)
        if method == "steepest":
            if end - begin < 2:
                return float(lrs[end])
            slope = np.gradient(sm[begin:end + 1], np.log10(lrs[begin:end + 1]))
            return float(lrs[begin + int(np.argmin(slope))])
        return float(lrs[begin + (end - begin) // 2])

    def restore(self):
        """Puts back the weights, optimizer state and learning rate.

        Called at the end of `fit`; call it yourself if `fit` was
        interrupted. Does nothing when there is nothing to restore.
        """
        if self._saved is None:
            return
        model, weights, opt_values = self._saved
        for v, value in zip(_model_vars(model), weights):
            v.assign(value)
        for v, value in zip(model.optimizer.variables, opt_values):
            v.assign(value)
        self._saved = None

    def plot(self, path):
        """Plots the loss against the learning rate, with the suggestion.

        Args:
            path: String or path-like. Image file to write.

        Returns:
            The `path` written.

        Raises:
            CallbackValueError: if no sweep has been recorded.
        """
        if not self.losses:
            raise CallbackValueError(
                "LRFinder.plot needs a recorded sweep. Received: a finder "
                "with no losses; run `fit` with it or use `find_lr` first."
            )
        # A bare Figure draws off-screen without touching pyplot's global
        # backend or its list of open figures.
        from matplotlib.figure import Figure

        fig = Figure(figsize=(6, 3.6), dpi=80)
        ax = fig.subplots()
        ax.plot(self.lrs, self.losses, color="0.75", lw=0.8, label="batch loss")
        ax.plot(self.lrs, self.smoothed_losses, color="C0", label="smoothed")
        if self.suggestion is not None:
            lrs = np.asarray(self.lrs)
            i = int(np.argmin(np.abs(np.log(lrs) - math.log(self.suggestion))))
            ax.axvline(self.suggestion, color="C3", ls="--", lw=1)
            ax.plot([self.suggestion], [self.smoothed_losses[i]], "o",
                    color="C3", label=f"{self.method}: {self.suggestion:.1e}")
        ax.set_xscale("log")
        finite = [v for v in self.smoothed_losses if math.isfinite(v)]
        if finite:
            ax.set_ylim(min(finite) * 0.9 if min(finite) > 0 else None,
                        self.diverge * min(finite) if min(finite) > 0 else None)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title("LRFinder")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(path)
        return path

    def on_train_begin(self, logs=None):
        model = self.model
        self._check_settable_lr(model)
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        self._saved = (
            model,
            [_to_numpy(v) for v in _model_vars(model)],
            [_to_numpy(v) for v in optimizer.variables],
        )
        self.lrs, self.losses, self.smoothed_losses = [], [], []
        self.suggestion = None
        self._avg, self._best, self._done = 0.0, math.inf, False

    def on_train_batch_begin(self, batch, logs=None):
        if self._done:
            return
        model = self.model  # On JAX this syncs, so the new rate is used.
        step = len(self.lrs)
        lr = self.start_lr * (self.end_lr / self.start_lr) ** (
            step / (self.num_steps - 1))
        self._set_lr(model, lr)
        model.reset_metrics()
        self.lrs.append(lr)

    def on_train_batch_end(self, batch, logs=None):
        if self._done or len(self.losses) >= len(self.lrs):
            return
        if not logs or "loss" not in logs:
            raise CallbackValueError(
                "LRFinder reads the batch loss from `logs['loss']`. Received: "
                f"logs with keys {sorted(logs or {})}; make `train_step` "
                "return a 'loss' entry."
            )
        loss = float(logs["loss"])
        step = len(self.losses)
        self.losses.append(loss)
        self._avg = self.beta * self._avg + (1 - self.beta) * loss
        smooth = self._avg / (1 - self.beta ** (step + 1))
        self.smoothed_losses.append(smooth)
        if math.isfinite(smooth):
            self._best = min(self._best, smooth)
        if (not math.isfinite(smooth) or smooth > self.diverge * self._best
                or step + 1 >= self.num_steps):
            self._done = True
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        self.restore()
        self.suggestion = self.suggest()
        lrs, sm = self._curve()
        if len(sm) < 10:
            warnings.warn(
                f"LRFinder: only {len(sm)} usable points (of num_steps="
                f"{self.num_steps}); the suggestion is not reliable. Give fit "
                "more batches, lower `start_lr` or raise `diverge`.",
                CallbackWarning, stacklevel=2)
        elif (sm.max() - sm.min()) < 0.05 * abs(sm.max()):
            warnings.warn(
                "LRFinder: the loss curve is flat (it moved by less than 5%); "
                "the suggestion is not reliable. Widen the range "
                f"(start_lr={self.start_lr:g}, end_lr={self.end_lr:g}) or "
                "raise num_steps.", CallbackWarning, stacklevel=2)
        if self.verbose > 0:
            shown = "none" if self.suggestion is None else f"{self.suggestion:.2e}"
            _print(f"LRFinder: suggested learning rate {shown} ({self.method}).")

    def _curve(self):
        lrs = np.asarray(self.lrs[:len(self.smoothed_losses)], dtype="float64")
        sm = np.asarray(self.smoothed_losses, dtype="float64")
        keep = np.isfinite(sm)
        # Drop the diverged tail: it is what stopped the sweep.
        if len(sm) and self._best < math.inf:
            keep &= sm <= self.diverge * self._best
        return lrs[keep], sm[keep]


def find_lr(model, x, y=None, *, batch_size=32, **options):
    """Runs the learning-rate range test on a compiled model.

    The model's weights, optimizer state and learning rate are restored
    afterwards, even if the sweep fails.

    Args:
        model: A compiled Keras model with a float learning rate.
        x: Input data: NumPy array(s) or a `tf.data.Dataset` (then `y` must
            be `None` and the dataset yields `(x, y)` batches).
        y: Target data for array inputs, or `None`.
        batch_size: Integer. Batch size for array inputs (ignored for
            datasets). Defaults to `32`.
        **options: Passed to `LRFinder` (`start_lr`, `end_lr`, `num_steps`,
            `beta`, `diverge`, `method`, `verbose`).

    Returns:
        The finished `LRFinder`: `lrs`, `losses`, `suggestion`, `plot()`.

    Raises:
        CallbackTypeError: if an option is unknown, or the learning rate is
            a `LearningRateSchedule`.
        CallbackValueError: if an option or `batch_size` is out of range, or
            the model is not compiled.

    Example:

    ```python
    finder = find_lr(model, x_train, y_train, batch_size=64)
    model.optimizer.learning_rate = finder.suggestion
    ```
    """
    unknown = sorted(set(options) - _OPTIONS)
    if unknown:
        raise CallbackTypeError(
            f"find_lr got unknown option(s) {unknown}. Allowed: "
            f"{sorted(_OPTIONS)}. Received: {sorted(options)}"
        )
    batch_size = _check_int("find_lr", "batch_size", batch_size)
    finder = LRFinder(**options)
    finder._check_settable_lr(model)
    is_dataset = hasattr(x, "take") and hasattr(x, "element_spec")
    fit_kwargs = {"shuffle": False} if is_dataset else {"batch_size": batch_size}
    try:
        # One epoch per step at most: the finder stops fit after num_steps.
        model.fit(x, y, epochs=finder.num_steps, verbose=0,
                  callbacks=[finder], **fit_kwargs)
    finally:
        finder.restore()
    return finder


_OPTIONS = {"start_lr", "end_lr", "num_steps", "beta", "diverge", "method",
            "verbose"}


def _model_vars(model):
    return list(model.trainable_variables) + list(model.non_trainable_variables)


def _descent(sm):
    """Start and end index of the descent into the curve's minimum.

    The end is the minimum; the start is the last point before it still
    above 90% of the way from the minimum up to the highest loss before it.
    The first 10% of the points are left out of that search: the smoothed
    average of a few batches is still noisy there.
    """
    end = int(np.argmin(sm))
    head = min(len(sm) // 10, end)
    high, low = float(np.max(sm[head:end + 1])), float(sm[end])
    above = np.nonzero(sm[head:end + 1] >= low + 0.9 * (high - low))[0]
    return head + (int(above[-1]) if len(above) else 0), end


def _to_numpy(variable):
    return np.array(keras.ops.convert_to_numpy(variable.value), copy=True)
