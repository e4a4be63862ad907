"""Shared base class, argument checks and error classes of `callbacks/`."""

import logging
import sys

import keras

from ._keras_compat import learning_rate_variable


class CallbackError(Exception):
    """Base class of every error raised by the `callbacks` package.

    Catch it to handle any of them; each concrete error also derives from
    the matching built-in (`ValueError`, `TypeError`, `RuntimeError`).
    """


class CallbackValueError(CallbackError, ValueError):
    """An argument has the right type but a value that is not allowed."""


class CallbackTypeError(CallbackError, TypeError):
    """An argument, or the model's optimizer, has a type that is not allowed."""


class GradientHealthError(CallbackError, RuntimeError):
    """Raised by `GradientMonitor(policy="raise")` when training is unhealthy.

    The message names the problem (vanishing, exploding or NaN gradients),
    the layers concerned and the fix.
    """


class CallbackWarning(UserWarning):
    """Warning category of the package (unhealthy gradients, weak LR curve)."""


class _LearningRateCallback(keras.callbacks.Callback):
    """Base of the callbacks that read and write the optimizer's learning rate.

    The learning rate must be a plain float (a variable), not a
    `LearningRateSchedule`: a callback cannot set a schedule object.
    """

    # The end of the error message for a schedule: what to do instead.
    _SCHEDULE_FIX = ("Pass a float, e.g. `keras.optimizers.Adam(learning_rate="
                     "1e-3)`, and let this callback schedule it.")

    def _check_settable_lr(self, model):
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None:
            raise CallbackValueError(
                f"{type(self).__name__} needs a compiled model. Received: a "
                "model without an optimizer; call `model.compile(optimizer="
                "..., loss=...)` first."
            )
        lr = learning_rate_variable(optimizer)
        if not isinstance(lr, keras.Variable):
            raise CallbackTypeError(
                f"{type(self).__name__} sets the optimizer's learning rate, so "
                "the optimizer must be created with a float `learning_rate`. "
                f"Received: learning_rate={lr!r} ({type(lr).__name__}). "
                + self._SCHEDULE_FIX
            )

    @staticmethod
    def _get_lr(model):
        return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))

    @staticmethod
    def _set_lr(model, value):
        model.optimizer.learning_rate = float(value)


def print_msg(message):
    """Writes a line as Keras's own `io_utils.print_msg` does (Keras does
    not export it): to stdout, or, once
    `keras.config.disable_interactive_logging()` ran, to the log Keras writes
    to then (the `absl` logger, level INFO), so that switch silences it."""
    if keras.config.is_interactive_logging_enabled():
        sys.stdout.write(f"{message}\n")
        sys.stdout.flush()
    else:
        logging.getLogger("absl").info(message)


def _print(message):
    """Prints as Keras callbacks do (a leading newline clears the progbar)."""
    print_msg(f"\n{message}")
