"""Argument checks shared by the builders.

Each check raises before any model is built, with one message shape:
the argument, what is allowed, what was received, and a fix where one exists.
"""

import math
import numbers

import keras

from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import did_you_mean


def check_choice(name, value, choices):
    """Checks that `value` is one of `choices` (strings) and returns it lowered."""
    if not isinstance(value, str):
        raise KerasnnTypeError(
            f"`{name}` must be one of {_quoted(choices)}. "
            f"Received: {name}={value!r} (of type {type(value).__name__})."
        )
    lowered = value.lower()
    if lowered not in choices:
        raise KerasnnValueError(
            f"`{name}` must be one of {_quoted(choices)}. "
            f"Received: {name}={value!r}.{did_you_mean(value, choices)}"
        )
    return lowered


def check_int(name, value, *, minimum=1, allow_none=False):
    """Checks that `value` is an integer >= `minimum` and returns it as `int`."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise KerasnnTypeError(
            f"`{name}` must be an integer >= {minimum}. "
            f"Received: {name}={value!r} (of type {type(value).__name__})."
        )
    if value < minimum:
        raise KerasnnValueError(
            f"`{name}` must be an integer >= {minimum}. Received: {name}={value}."
        )
    return int(value)


def check_float(name, value, *, low=0.0, high=None, low_inclusive=True,
                high_inclusive=False, allow_none=False):
    """Checks that `value` is a real number in the given range."""
    if value is None and allow_none:
        return None
    interval = (
        ("[" if low_inclusive else "(")
        + f"{low}, "
        + ("inf)" if high is None else f"{high}" + ("]" if high_inclusive else ")"))
    )
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise KerasnnTypeError(
            f"`{name}` must be a number in the range {interval}. "
            f"Received: {name}={value!r} (of type {type(value).__name__})."
        )
    value = float(value)
    too_low = value < low or (value == low and not low_inclusive)
    too_high = high is not None and (
        value > high or (value == high and not high_inclusive)
    )
    if too_low or too_high or not math.isfinite(value):
        raise KerasnnValueError(
            f"`{name}` must be a number in the range {interval}. "
            f"Received: {name}={value!r}."
        )
    return value


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


def _quoted(choices):
    return ", ".join(f"'{c}'" for c in choices)
