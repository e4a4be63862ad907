"""Progress lines of long calls, printed where Keras prints its own.

Keras's `print_msg` is not part of its public API; `print_msg` here does
what it does with public calls: the line goes to stdout, or, once
`keras.config.disable_interactive_logging()` ran, to the log Keras writes
to then (the `absl` logger, level INFO), so that call silences it.
"""

import logging
import sys

import keras

from kerasnn.errors import KerasnnValueError


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


def print_msg(message):
    """Writes a line as Keras's `io_utils.print_msg` does."""
    if keras.config.is_interactive_logging_enabled():
        sys.stdout.write(f"{message}\n")
        sys.stdout.flush()
    else:
        logging.getLogger("absl").info(message)
