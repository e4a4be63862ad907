"""Declarative argument checks, shared by the plugin and kerasnn's builders.

A constraint (`Interval`, `Options`) says what is allowed; `validate` checks a
value against it with one rule everywhere: a value of the wrong type raises
the `TypeError` class of `errors`, a value of the right type that is not
allowed raises its `ValueError` class. Messages name the argument, what is
allowed and what was received: "`every` must be an integer in the range
[1, inf). Received: every=0."

Example:

```python
validate("GradientMonitor", "dead_share", 0.4,
         Interval("real", 0.0, 1.0, closed="right"))
```
"""

import math
import numbers

from ._base import CallbackTypeError
from ._base import CallbackValueError

_CLOSED = ("neither", "left", "right", "both")


class Interval:
    """Integers (`kind="int"`) or finite reals (`"real"`) between two bounds.

    Args:
        kind: `"int"` or `"real"`.
        low: Lower bound, or `None` for none.
        high: Upper bound, or `None` for none.
        closed: Which bounds belong to the interval: `"left"`, `"right"`,
            `"both"` or `"neither"`.
    """

    def __init__(self, kind, low, high, *, closed):
        if kind not in ("int", "real") or closed not in _CLOSED:
            raise ValueError(f"Interval(kind={kind!r}, closed={closed!r})")
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def describe(self):
        if self.kind == "int" and self.high is None and self.low is not None \
                and self.closed in ("left", "both"):
            return f"an integer >= {self.low}"
        what = "an integer" if self.kind == "int" else "a finite number"
        left = "[" if self.closed in ("left", "both") and self.low is not None \
            else "("
        right = "]" if self.closed in ("right", "both") and self.high is not \
            None else ")"
        low = "-inf" if self.low is None else self.low
        high = "inf" if self.high is None else self.high
        return f"{what} in the range {left}{low}, {high}{right}"

    def type_ok(self, value):
        if isinstance(value, bool):
            return False
        kind = numbers.Integral if self.kind == "int" else numbers.Real
        return isinstance(value, kind)

    def value_ok(self, value):
        if not math.isfinite(value):
            return False
        if self.low is not None and (
                value < self.low or (value == self.low and self.closed
                                     not in ("left", "both"))):
            return False
        return self.high is None or not (
            value > self.high or (value == self.high and self.closed
                                  not in ("right", "both")))

    def convert(self, value):
        return int(value) if self.kind == "int" else float(value)


class Options:
    """One of a fixed set of values, all of one type (e.g. strings).

    Args:
        *values: The allowed values.
        lower: Boolean. Compare strings case-insensitively (and return them
            lowered). Defaults to `False`.
    """

    def __init__(self, *values, lower=False):
        self.values, self.lower = tuple(values), lower
        self._type = type(values[0])

    def describe(self):
        return "one of " + ", ".join(repr(v) for v in self.values)

    def type_ok(self, value):
        return type(value) is self._type or (
            self._type is str and isinstance(value, str))

    def value_ok(self, value):
        return self.convert(value) in self.values

    def convert(self, value):
        return value.lower() if self.lower and isinstance(value, str) else (
            value)


def validate(owner, name, value, constraint, *, errors=None, hint="",
             allow_none=False):
    """Checks `value` against `constraint` and returns it converted.

    Args:
        owner: String or `None`. What takes the argument (e.g.
            `"GradientMonitor"`), put before the message.
        name: String. The argument's name.
        value: What was received.
        constraint: An `Interval` or `Options`.
        errors: Pair `(TypeError subclass, ValueError subclass)` to raise.
            Defaults to the plugin's `CallbackTypeError`, `CallbackValueError`.
        hint: String appended to a value error's message (a fix).
        allow_none: Boolean. Whether `None` is accepted (and returned).
    """
    if value is None and allow_none:
        return None
    type_error, value_error = errors or (CallbackTypeError, CallbackValueError)
    head = f"{owner}: " if owner else ""
    expected = constraint.describe() + (" or None" if allow_none else "")
    message = f"{head}`{name}` must be {expected}. Received: {name}={value!r}"
    if not constraint.type_ok(value):
        raise type_error(f"{message} (of type {type(value).__name__}).")
    if not constraint.value_ok(value):
        raise value_error(f"{message}.{hint}")
    return constraint.convert(value)


def check_int(owner, name, value, minimum=1, *, errors=None, allow_none=False):
    """An integer `>= minimum`."""
    return validate(owner, name, value,
                    Interval("int", minimum, None, closed="left"),
                    errors=errors, allow_none=allow_none)


def check_float(owner, name, value, low=0.0, high=None, *, closed="neither",
                errors=None, allow_none=False):
    """A finite number between `low` and `high` (`None`: unbounded)."""
    return validate(owner, name, value,
                    Interval("real", low, high, closed=closed),
                    errors=errors, allow_none=allow_none)


def check_choice(owner, name, value, choices, *, errors=None, hint="",
                 lower=False, allow_none=False):
    """One of `choices`."""
    return validate(owner, name, value, Options(*choices, lower=lower),
                    errors=errors, hint=hint, allow_none=allow_none)
