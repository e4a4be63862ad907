"""Error types raised by kerasnn.

Every error kerasnn raises for a bad argument is a `KerasnnError`, and also a
`ValueError` or a `TypeError`, so callers can catch either the library's own
base class or the built-in they already expect.
"""

import difflib


class KerasnnError(Exception):
    """Base class of every error kerasnn raises on purpose."""


class KerasnnValueError(KerasnnError, ValueError):
    """An argument has the right type but a value that is not allowed."""


class KerasnnTypeError(KerasnnError, TypeError):
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
