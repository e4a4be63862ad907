"""`diagnose_fit` and `FitDiagnostics`: read the learning curves."""

import keras
import numpy as np

from ._base import CallbackTypeError
from ._base import CallbackValueError
from ._report_view import Report
from .validation import check_float
from .validation import check_int
from ._base import _print


def diagnose_fit(history, *, flat_tol=0.1, rise_tol=0.05, slope_tol=0.01):
    """Tells from the loss curves whether a model under- or overfits.

    Checks, in order: *overfitting* (the validation loss ended more than
    `rise_tol` above its minimum while the training loss kept falling after
    that epoch); *underfitting* (the training loss fell by less than
    `flat_tol` of its first value: high and flat); *not_converged* (the
    training loss still fell by more than `slope_tol` per epoch, on
    average, over the last quarter of the epochs, at least 2); else
    *good*. A NaN/Inf loss counts as not converged.

    Args:
        history: A `keras.callbacks.History` (what `fit` returns) or its
            `.history` dict, with a `"loss"` list and optionally
            `"val_loss"`.
        flat_tol: Float. Relative drop of the training loss below which it
            is flat. Defaults to `0.1`.
        rise_tol: Float. Relative rise of the validation loss over its
            minimum that counts as overfitting. Defaults to `0.05`.
        slope_tol: Float. Relative drop per epoch at the end above which
            training has not converged. Defaults to `0.01`.

    Returns:
        Dict: `"status"` (`"underfitting"`, `"overfitting"`, `"good"` or
        `"not_converged"`), `"best_epoch"` (0-based index of the lowest
        validation loss, or training loss without validation) and
        `"advice"` (a list of sentences).

    Raises:
        CallbackTypeError: if `history` is neither a `History` nor a dict.
        CallbackValueError: if it has no non-empty `"loss"` list, or
            `"val_loss"` has another length.

    Example:

    ```python
    history = model.fit(x, y, validation_split=0.2, epochs=20)
    print(diagnose_fit(history)["status"])
    ```
    """
    flat_tol = check_float("diagnose_fit", "flat_tol", flat_tol, high=1.0)
    rise_tol = check_float("diagnose_fit", "rise_tol", rise_tol)
    slope_tol = check_float("diagnose_fit", "slope_tol", slope_tol, high=1.0)
    curves = history.history if isinstance(
        history, keras.callbacks.History) else history
    if not isinstance(curves, dict):
        raise CallbackTypeError(
            "diagnose_fit: `history` must be a keras.callbacks.History or "
            "its `.history` dict. Received: history of type "
            f"{type(history).__name__}"
        )
    loss = curves.get("loss")
    if loss is None or len(loss) == 0:
        raise CallbackValueError(
            "diagnose_fit: `history` must hold a non-empty 'loss' list. "
            f"Received: keys {sorted(curves)}"
            + ("" if loss is None else " with an empty 'loss'")
        )
    loss = np.asarray(loss, dtype="float64")
    val = curves.get("val_loss")
    if val is not None:
        val = np.asarray(val, dtype="float64")
        if len(val) != len(loss):
            raise CallbackValueError(
                "diagnose_fit: 'val_loss' must have one value per epoch, as "
                f"'loss'. Received: {len(val)} val_loss and {len(loss)} loss "
                "values (use validation_freq=1)."
            )
    ref = val if val is not None else loss
    finite = np.where(np.isfinite(ref), ref, np.inf)
    best = int(np.argmin(finite))
    n = len(loss)
    if not np.all(np.isfinite(loss)):
        first_bad = int(np.argmin(np.isfinite(loss)))
        return _result("not_converged", best, [
            f"The training loss became NaN/Inf at epoch {first_bad + 1}: "
            "training diverged. Lower the learning rate, clip gradients "
            "(clipnorm=1.0) and run GradientMonitor to find the layer."])
    if val is not None and np.isfinite(finite[best]) and best < n - 1:
        rise = (val[-1] - val[best]) / abs(val[best]) if val[best] else 0.0
        if rise > rise_tol and loss[-1] < loss[best]:
            return _result("overfitting", best, [
                f"The model overfits from epoch {best + 2}: the validation "
                f"loss was lowest at epoch {best + 1} ({val[best]:.4g}) and "
                f"rose {rise:.0%} by epoch {n} while the training loss kept "
                "falling. Stop there with EarlyStopping(monitor='val_loss', "
                "restore_best_weights=True), add dropout or L2 weight decay, "
                "or get more data (or augment it)."])
    drop = (loss[0] - loss.min()) / abs(loss[0]) if loss[0] else 0.0
    if n >= 2 and drop < flat_tol:
        return _result("underfitting", best, [
            f"The training loss stayed high and flat ({loss[0]:.4g} -> "
            f"{loss[-1]:.4g}, {drop:.0%} lower): the model underfits. Add "
            "units or layers, reduce dropout and regularisation, train "
            "longer, or check the learning rate with find_lr."])
    window = max(2, n // 4)
    if n <= window:
        return _result("not_converged", best, [
            f"Only {n} epoch(s): too few to judge convergence; train for "
            "more epochs."])
    start = loss[-window - 1]
    slope = (start - loss[-1]) / abs(start) / window if start else 0.0
    val_falling = val is None or val[-1] <= val[-window - 1]
    if slope > slope_tol and val_falling:
        return _result("not_converged", best, [
            f"The training loss was still falling at the end ({slope:.1%} "
            f"per epoch over the last {window} epochs): train for more "
            "epochs, or raise the learning rate."])
    where = "validation" if val is not None else "training"
    return _result("good", best, [
        f"Training converged without overfitting: the {where} loss was "
        f"lowest at epoch {best + 1} of {n}."])


class FitDiagnostics(keras.callbacks.Callback):
    """Runs `diagnose_fit` on the epochs of `fit` and prints the verdict.

    Args:
        verbose: Integer. `1` prints the verdict and advice at the end of
            `fit`; `0` only stores it in `result`. Defaults to `1`.
        **thresholds: `flat_tol`, `rise_tol`, `slope_tol` of `diagnose_fit`.

    Raises:
        CallbackTypeError: if a threshold name is unknown.
        CallbackValueError: if a threshold is out of range.

    Example:

    ```python
    diag = FitDiagnostics()
    model.fit(x, y, validation_split=0.2, epochs=20, callbacks=[diag])
    diag.result["status"]
    ```
    """

    def __init__(self, verbose=1, **thresholds):
        super().__init__()
        self.verbose = check_int("FitDiagnostics", "verbose", verbose,
                                  minimum=0)
        unknown = sorted(set(thresholds) - {"flat_tol", "rise_tol",
                                            "slope_tol"})
        if unknown:
            raise CallbackTypeError(
                f"FitDiagnostics got unknown argument(s) {unknown}. Allowed: "
                "verbose, flat_tol, rise_tol, slope_tol."
            )
        diagnose_fit({"loss": [1.0]}, **thresholds)  # validates the values
        self.thresholds = dict(thresholds)
        self.result = None
        self._curves = {}

    def on_train_begin(self, logs=None):
        self.result, self._curves = None, {}

    def plot(self, path=None, *, ax=None):
        """Draws the training and validation loss per epoch (from 1, as
        `fit` counts) with the best epoch marked; the title gives the
        verdict, `result["status"]`.

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
            CallbackValueError: if `fit` has not ended yet (no verdict).
            CallbackTypeError: if `path` or `ax` has the wrong type.
        """
        if self.result is None:
            raise CallbackValueError(
                "FitDiagnostics.plot: there is no verdict to draw yet. Call "
                "it after a `fit` that ran with this callback.")
        from . import _plot

        _plot.check_target("FitDiagnostics.plot", path, ax)
        fig, ax = _plot.start(ax, title=f"FitDiagnostics: "
                              f"{self.result['status']}", xlabel="epoch",
                              ylabel="loss")
        for key, label in (("loss", "training"), ("val_loss", "validation")):
            if key in self._curves:
                values = self._curves[key]
                ax.plot(range(1, len(values) + 1), values, label=label,
                        marker="o", markersize=3)
        best = self.result["best_epoch"] + 1
        ax.axvline(best, color="grey", linestyle="--",
                   label=f"best epoch ({best})")
        return _plot.finish(fig, [ax], path)

    def on_epoch_end(self, epoch, logs=None):
        for key in ("loss", "val_loss"):
            if logs and key in logs:
                self._curves.setdefault(key, []).append(float(logs[key]))

    def on_train_end(self, logs=None):
        if not self._curves.get("loss"):
            return
        if len(self._curves.get("val_loss", [])) != len(self._curves["loss"]):
            self._curves.pop("val_loss", None)
        self.result = diagnose_fit(self._curves, **self.thresholds)
        if self.verbose > 0:
            _print(f"FitDiagnostics: {self.result['status']} (best epoch "
                   f"{self.result['best_epoch'] + 1}). "
                   + " ".join(self.result["advice"]))


def _result(status, best, advice):
    return Report({"status": status, "best_epoch": int(best),
                   "advice": advice})
