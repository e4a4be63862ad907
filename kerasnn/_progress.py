"""Progress lines of long calls, printed where Keras prints its own.

Keras's `print_msg` is not part of its public API; the plugin's `print_msg`
(one for the whole project) does what it does with public calls: the line
goes to stdout, or, once `keras.config.disable_interactive_logging()` ran,
to the log Keras writes to then (the `absl` logger, level INFO), so that
call silences it.
"""

from kerasnn.callbacks._base import print_msg
from kerasnn.errors import KerasnnValueError

__all__ = ["check_verbose", "print_msg", "say"]


def check_verbose(verbose):
    """`"auto"` or an integer >= 0 -> the level; `"auto"` is `1`, as in
    `keras.Model.fit`."""
    if isinstance(verbose, str) and verbose == "auto":
        return 1
    if isinstance(verbose, bool) or not isinstance(verbose, int) or verbose < 0:
        raise KerasnnValueError(
            "`verbose` must be 'auto', 0, 1 or 2 (as in Model.fit). "
            f"Received: verbose={verbose!r}.")
    return verbose


def say(verbose, message):
    """Prints `message` when `verbose` is 1 or more."""
    if verbose:
        print_msg(message)
