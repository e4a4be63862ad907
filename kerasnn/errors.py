"""Error types raised by kerasnn.

One hierarchy serves the whole project: the diagnostics plugin's
`CallbackError` (it imports nothing from kerasnn) is the root, and kerasnn's
errors derive from it. Every error kerasnn raises for a bad argument is a
`KerasnnError`, and also a `CallbackValueError` or `CallbackTypeError`, so a
`ValueError` or a `TypeError`: callers can catch the library's base class,
the plugin's (`except kerasnn.callbacks.CallbackError` catches both parts) or
the built-in they already expect.
"""

import difflib

from kerasnn.callbacks._base import CallbackError
from kerasnn.callbacks._base import CallbackTypeError
from kerasnn.callbacks._base import CallbackValueError


class KerasnnError(CallbackError):
    """Base class of every error kerasnn raises on purpose."""


class KerasnnValueError(KerasnnError, CallbackValueError):
    """An argument has the right type but a value that is not allowed."""


class KerasnnTypeError(KerasnnError, CallbackTypeError):
    """An argument has a type that is not allowed."""


class ProblemInferenceError(KerasnnValueError):
    """The problem type cannot be told from the labels alone."""


def did_you_mean(value, choices):
    """Returns `" Did you mean 'x'?"` for the closest choice, or `""`."""
    if not isinstance(value, str):
        return ""
    close = difflib.get_close_matches(
        value.lower(), [c for c in choices if isinstance(c, str)], n=1,
        cutoff=0.6)
    return f" Did you mean '{close[0]}'?" if close else ""
