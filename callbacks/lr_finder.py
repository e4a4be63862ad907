"""`LRFinder` and `find_lr`: the learning-rate range test."""

import math
import warnings

import keras

from ._base import CallbackValueError
from ._base import CallbackWarning
from ._base import _LearningRateCallback
from ._base import print_msg
from .validation import check_choice
from .validation import check_float
from .validation import check_int
from ._keras_compat import swap_out_schedule
from ._lr_suggest import _draw_trend
from ._lr_suggest import suggest_rate
from ._lr_sweep import _build_for_sweep
from ._lr_sweep import _build_then_train
from ._lr_sweep import _check_options
from ._lr_sweep import _check_verbose
from ._lr_sweep import _is_built
from ._lr_sweep import _model_vars
from ._lr_sweep import _snapshot
from ._lr_sweep import _SweepProgress
from ._lr_sweep import _write_sweep
from ._plot import finish
from ._plot import start
from ._plot import check_target
from ._summary import check_log_dir
from ._summary import resolve_log_dir

METHODS = ("valley", "steepest", "minimum")


class LRFinder(_LearningRateCallback):
    """Learning-rate range test: sweeps the rate and records the batch loss.

    For `num_steps` batches the learning rate grows exponentially from
    `start_lr` to `end_lr`; the loss of each batch is recorded and smoothed
    with a debiased exponential moving average (`beta`). The sweep stops when
    the smoothed loss exceeds `diverge` times its best value or is NaN.
    When `fit` ends, the model's weights, the optimizer's variables
    (iterations and slots included) and the learning rate are restored
    exactly, so the model is as it was before the test. A model that is not
    built yet (a subclassed model never called, a `Sequential` without
    `Input`) is restored to the weights it was built with, and its optimizer
    to its freshly built state.

    True batch loss: Keras 3 reports in `on_train_batch_end` the running mean
    over the epoch, so the finder resets the model's metrics at the start of
    every batch; `logs["loss"]` at its end is then that batch's loss (so the
    progress bar of a `fit` you run with `verbose=1` shows per-batch values
    during the sweep; `find_lr` shows its own bar over the sweep).

    The suggestion rule. The moving average lags behind the rate, so the
    suggestion is computed on a centred trend of the batch losses instead:
    a running median, then a running mean, both over `w = 2 * (n // 20) + 1`
    points, where `n` counts the usable points (finite, before the
    divergence). The noise of the trend is the batch-to-batch noise
    (`1.4826 * median(|diff(losses)|) / sqrt(2)`) divided by `sqrt(w)`.
    The descent runs from the highest point of the trend before its minimum
    down to the minimum; its top is the last point still above 90% of that
    drop. The descent is clear when the drop exceeds 6 times the noise and
    5% of the highest loss. Then `"valley"` takes the middle of the descent
    (on the log axis), `"steepest"` the point where the trend falls fastest
    within it, and `"minimum"` the rate at the minimum divided by 10.

    A rate from the first tenth of the sweep (the rates of its first
    `ceil(num_steps / 10)` steps) is never returned silently. In each case
    below the suggestion comes with a `CallbackWarning`, whose reason is
    also stored in `suggestion_note` (`None` when there is nothing to say):

    - clear descent, minimum in the first tenth: `None` (lower `start_lr`);
    - clear descent, but the valley or steepest point lies in the first
      tenth (the loss was already falling at `start_lr`): the first rate
      after the first tenth; a `"minimum"` suggestion there is returned;
    - no clear descent, and the trend then rises above its minimum by more
      than the same margin (a model that is already trained): a tenth of the
      last rate before the rise, or `None` if that lies in the first tenth;
    - neither a clear descent nor a rise: `None` (the curve is flat);
    - fewer than 10 usable points: the suggestion, with the warning.

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
        log_dir: String, path-like, `"auto"` or `None`. Where to write the
            sweep for TensorBoard when `fit` ends (on any backend): the
            scalars `lr_finder/loss`, `lr_finder/smoothed_loss` and
            `lr_finder/learning_rate` per step of the sweep, and the text
            `lr_finder/suggestion`. `"auto"` writes under `lr_finder/` in
            the `log_dir` of the `keras.callbacks.TensorBoard` of the same
            `fit`. Defaults to `None` (nothing written).
        verbose: Integer. `1` prints the suggestion at the end of `fit`; the
            finder shows no progress of its own (`find_lr` does). Defaults
            to `0`.

    Raises:
        CallbackValueError: if an argument is out of range, `log_dir` is
            set without `tensorboard` installed, or (at the start of `fit`)
            `log_dir="auto"` finds no `keras.callbacks.TensorBoard`.
        CallbackTypeError: if `log_dir` is not a path, `"auto"` or `None`;
            at the start of `fit`, if the optimizer's learning rate is a
            `LearningRateSchedule` (`find_lr` takes one).

    Example:

    ```python
    finder = LRFinder(num_steps=100)
    model.fit(x, y, batch_size=32, epochs=5, callbacks=[finder], verbose=0)
    print(finder.suggestion, finder.suggestion_note)
    fig = finder.plot()                  # or finder.plot(path="lr_finder.png")
    ```
    """

    _SCHEDULE_FIX = ("Use `find_lr`, which swaps a schedule out for the "
                     "sweep and puts it back, or create the optimizer with a "
                     "float `learning_rate`.")

    def __init__(self, start_lr=1e-7, end_lr=10.0, num_steps=100, *,
                 beta=0.98, diverge=4.0, method="valley", log_dir=None,
                 verbose=0):
        super().__init__()
        name = "LRFinder"
        self.start_lr = check_float(name, "start_lr", start_lr)
        self.end_lr = check_float(name, "end_lr", end_lr)
        if self.end_lr <= self.start_lr:
            raise CallbackValueError(
                "LRFinder: `end_lr` must be greater than `start_lr`. "
                f"Received: start_lr={start_lr!r}, end_lr={end_lr!r}"
            )
        self.num_steps = check_int(name, "num_steps", num_steps, minimum=2)
        self.beta = check_float(name, "beta", beta, low=0.0, high=1.0,
                                 closed="left")
        self.diverge = check_float(name, "diverge", diverge, low=1.0)
        self.method = check_choice(name, "method", method, METHODS)
        self.log_dir = check_log_dir(name, log_dir)
        self.verbose = check_int(name, "verbose", verbose, minimum=0)
        self.lrs, self.losses, self.smoothed_losses = [], [], []
        self.suggestion = None
        self.suggestion_note = None
        self._saved, self._watched, self._run_dir = None, None, None

    def suggest(self, method=None):
        """Returns the suggested learning rate of the finished sweep.

        The rule is described in the class docstring. When the curve gives
        no clear answer, the reason is stored in `suggestion_note` and
        emitted as a `CallbackWarning`; otherwise `suggestion_note` is
        `None`.

        Args:
            method: String or `None`. `"valley"`, `"steepest"` or
                `"minimum"`; `None` uses the constructor's `method`.

        Returns:
            Float, or `None` when the curve supports no rate.

        Raises:
            CallbackValueError: if `method` is not one of the above.
        """
        method = self.method if method is None else check_choice(
            "LRFinder.suggest", "method", method, METHODS)
        lr, notes = suggest_rate(self, method)
        self.suggestion_note = "; ".join(notes) if notes else None
        if notes:
            warnings.warn(f"LRFinder: {self.suggestion_note}.",
                          CallbackWarning, stacklevel=2)
        return lr

    def restore(self):
        """Puts back the weights, optimizer state and learning rate.

        Called at the end of `fit`; call it yourself if `fit` was
        interrupted. Does nothing when there is nothing to restore.
        """
        self._unwatch()
        if self._saved is None:
            return
        model, weights, opt_values, lr = self._saved
        for v, value in zip(_model_vars(model), weights):
            v.assign(value)
        for v, value in zip(model.optimizer.variables, opt_values):
            v.assign(value)
        self._set_lr(model, lr)
        self._saved = None

    def plot(self, path=None, *, ax=None):
        """Plots the loss against the learning rate, with the suggestion.

        Draws the batch losses, their moving average and the trend the
        suggestion reads, on a log axis of rates; the suggestion (when there
        is one) is marked by a dashed vertical line and a point on the trend,
        as fastai's `lr_find` does.

        Args:
            path: String, path-like or binary file, or `None`. Where to write
                the image (its format from the name's extension, e.g.
                `.png`). Defaults to `None` (nothing is written).
            ax: Matplotlib `Axes` or `None`. Axes to draw into; `None`
                draws into a new figure. Defaults to `None`.

        Returns:
            The matplotlib `Figure` (`ax.figure` when `ax` is given); a
            notebook shows it inline.

        Raises:
            CallbackValueError: if no sweep has been recorded.
            CallbackTypeError: if `path` or `ax` has the wrong type.

        Example:

        ```python
        fig = finder.plot()                   # shown inline in a notebook
        finder.plot(path="lr_finder.png")     # also written to a file
        ```
        """
        if not self.losses:
            raise CallbackValueError(
                "LRFinder.plot needs a recorded sweep. Received: a finder "
                "with no losses; run `fit` with it or use `find_lr` first."
            )
        check_target("LRFinder.plot", path, ax)
        fig, ax = start(ax, title="LRFinder", xlabel="learning rate",
                        ylabel="loss", logx=True)
        ax.plot(self.lrs[:len(self.losses)], self.losses, color="0.75",
                lw=0.8, label="batch loss")
        ax.plot(self.lrs[:len(self.smoothed_losses)], self.smoothed_losses,
                color="C0", lw=0.8, label="smoothed")
        _draw_trend(self, ax)
        return finish(fig, [ax], path)

    def on_train_begin(self, logs=None):
        model = self.model
        self._check_settable_lr(model)
        self._unwatch()
        self._run_dir = resolve_log_dir("LRFinder", self.log_dir, model,
                                        "lr_finder")
        self.lrs, self.losses, self.smoothed_losses = [], [], []
        self.suggestion, self.suggestion_note = None, None
        self._avg, self._best, self._done = 0.0, math.inf, False
        optimizer = model.optimizer
        # JAX and torch build the model before this; TensorFlow (without a
        # distribution strategy) only inside the first train step, where the
        # initial values cannot be read, and building the optimizer here
        # would build it on no variables. There the first step's batch
        # builds the model first.
        if _is_built(model) or keras.backend.backend() != "tensorflow":
            if not optimizer.built:
                optimizer.build(model.trainable_variables)
            self._saved = _snapshot(model, self._get_lr(model))
            return
        self._watched = (model, model.train_function)
        model.train_function = _build_then_train(self, model)

    def on_train_batch_begin(self, batch, logs=None):
        if self._done:
            return
        model = self.model  # On JAX this syncs, so the new rate is used.
        lr = self._rate(len(self.lrs))
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
        if self._run_dir is not None:
            _write_sweep(self, self._run_dir)
        if self.verbose > 0:
            shown = "none" if self.suggestion is None else f"{self.suggestion:.2e}"
            print_msg(f"LRFinder: suggested learning rate {shown} ({self.method}).")

    def _unwatch(self):
        if self._watched is not None:
            model, train_function = self._watched
            model.train_function = train_function
            self._watched = None

    def _rate(self, step):
        return self.start_lr * (self.end_lr / self.start_lr) ** (
            step / (self.num_steps - 1))


def find_lr(model, x, y=None, *, batch_size=32, verbose="auto", **options):
    """Runs the learning-rate range test on a compiled model.

    A model that is not built yet is first called on one batch of `x`, so
    that its optimizer is built on its variables. An optimizer whose
    learning rate is a `LearningRateSchedule` sweeps with a float rate in
    its place, and gets the same schedule object back. The model's weights,
    optimizer state and learning rate are restored afterwards, even if the
    sweep fails.

    The sweep shows a `keras.utils.Progbar` of `num_steps` steps with each
    batch's loss and rate (`fit`'s own bar is off), ending early where the
    loss diverged, then prints the suggestion; `verbose=0` shows nothing,
    and so does `keras.config.disable_interactive_logging()`.

    Args:
        model: A compiled Keras model whose learning rate is a float or a
            `LearningRateSchedule`.
        x: Input data: NumPy array(s) or a `tf.data.Dataset` (then `y` must
            be `None` and the dataset yields `(x, y)` batches).
        y: Target data for array inputs, or `None`.
        batch_size: Integer. Batch size for array inputs (ignored for
            datasets). Defaults to `32`.
        verbose: `"auto"`, `0`, `1` or `2`, as in `fit`: `1` (and `"auto"`)
            shows the progress bar and prints the suggestion, `2` one line
            at the end of the sweep and the suggestion, `0` nothing.
            Defaults to `"auto"`.
        **options: Passed to `LRFinder` (`start_lr`, `end_lr`, `num_steps`,
            `beta`, `diverge`, `method`, `log_dir`). `log_dir` must be a
            directory: `find_lr` runs its own `fit`, without a
            `keras.callbacks.TensorBoard` for `"auto"` to find.

    Returns:
        The finished `LRFinder`: `lrs`, `losses`, `suggestion`,
        `suggestion_note`, `plot()`.

    Raises:
        CallbackTypeError: if an option is unknown, or the learning rate is
            a callable other than a `LearningRateSchedule`.
        CallbackValueError: if an option, `batch_size` or `verbose` is out
            of range, `log_dir` is `"auto"`, or the model is not compiled.

    Example:

    ```python
    finder = find_lr(model, x_train, y_train, batch_size=64)
    if finder.suggestion is not None:
        model.optimizer.learning_rate = finder.suggestion
    ```
    """
    _check_options(options)
    batch_size = check_int("find_lr", "batch_size", batch_size)
    verbose = _check_verbose(verbose)
    finder = LRFinder(verbose=verbose, **options)
    optimizer = getattr(model, "optimizer", None)
    schedule = None if optimizer is None else swap_out_schedule(optimizer)
    train_function = model.train_function
    if schedule is not None:
        # A train step already traced with the schedule would keep reading
        # it (TensorFlow): fit traces a new one for the sweep.
        model.train_function = None
    try:
        finder._check_settable_lr(model)
        fit_kwargs = _build_for_sweep(model, x, batch_size)
        # One epoch per step at most: the finder stops fit after num_steps.
        model.fit(x, y, epochs=finder.num_steps, verbose=0,
                  callbacks=[_SweepProgress(finder, verbose), finder],
                  **fit_kwargs)
    finally:
        finder.restore()
        if schedule is not None:
            # The public setter takes a schedule and drops the float variable.
            optimizer.learning_rate = schedule
            model.train_function = train_function
    return finder

