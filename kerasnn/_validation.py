"""Argument checks shared by the builders.

Each check raises before any model is built, with one message shape:
the argument, what is allowed, what was received, and a fix where one exists.
The numbers and choices go through the plugin's declarative checker
(`kerasnn.callbacks.validation`), so both packages follow one rule: a wrong
type raises `KerasnnTypeError`, a wrong value `KerasnnValueError`. The
checker and Keras are imported when a check first runs, so importing a
module that uses these checks loads neither.
"""

import numbers

from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import did_you_mean

_ERRORS = (KerasnnTypeError, KerasnnValueError)


def check_choice(name, value, choices, *, allow_none=False):
    """Checks that `value` is one of `choices` (strings) and returns it lowered."""
    return _checker().check_choice(None, name, value, tuple(choices),
                                    errors=_ERRORS, lower=True,
                                    hint=did_you_mean(value, choices)
                                    if isinstance(value, str) else "",
                                    allow_none=allow_none)


def check_int(name, value, *, minimum=1, allow_none=False):
    """Checks that `value` is an integer >= `minimum` and returns it as `int`."""
    return _checker().check_int(None, name, value, minimum, errors=_ERRORS,
                                 allow_none=allow_none)


def check_bool(name, value):
    """Checks that `value` is `True` or `False` and returns it."""
    if not isinstance(value, bool):
        raise KerasnnTypeError(
            f"`{name}` must be True or False. Received: {name}={value!r}.")
    return value


def check_float(name, value, *, low=0.0, high=None, low_inclusive=True,
                high_inclusive=False, allow_none=False):
    """Checks that `value` is a finite number in the given range."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        value = float(value)  # messages show 0.0 for 0, as before
    closed = {(True, True): "both", (True, False): "left",
              (False, True): "right", (False, False): "neither"}[
                  (low_inclusive, high_inclusive)]
    return _checker().check_float(None, name, value, low, high, closed=closed,
                                   errors=_ERRORS, allow_none=allow_none)


def check_input_shape(input_shape, *, min_rank=1, max_rank=None, what="features"):
    """Normalizes `input_shape` (an int or a tuple of ints) to a tuple."""
    if isinstance(input_shape, numbers.Integral) and not isinstance(input_shape, bool):
        input_shape = (int(input_shape),)
    if not isinstance(input_shape, (tuple, list)) or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) for d in input_shape
    ):
        raise KerasnnTypeError(
            "`input_shape` must be a positive integer or a tuple of positive "
            f"integers (the shape of one sample, without the batch axis). "
            f"Received: input_shape={input_shape!r}."
        )
    shape = tuple(int(d) for d in input_shape)
    if len(shape) < min_rank or (max_rank is not None and len(shape) > max_rank):
        rank = f"{min_rank}" if max_rank == min_rank else f"{min_rank} to {max_rank}"
        raise KerasnnValueError(
            f"`input_shape` must have {rank} dimensions ({what}), without the "
            f"batch axis. Received: input_shape={shape!r}."
        )
    if any(d < 1 for d in shape):
        raise KerasnnValueError(
            "`input_shape` must contain only positive sizes. "
            f"Received: input_shape={shape!r}."
        )
    return shape


def check_callbacks(callbacks):
    """Checks a list of Keras callbacks (or `None`) and returns a new list."""
    import keras

    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)) or not all(
        isinstance(c, keras.callbacks.Callback) for c in callbacks
    ):
        raise KerasnnTypeError(
            "`callbacks` must be a list of keras.callbacks.Callback instances. "
            f"Received: callbacks={callbacks!r}."
        )
    return list(callbacks)


def _checker():
    """The plugin's checker module (imported on the first check)."""
    from kerasnn.callbacks import validation

    return validation
