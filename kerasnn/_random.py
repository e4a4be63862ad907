"""Seeding that does not leave the caller's global random state changed."""

import contextlib
import random

import keras
import numpy as np


@contextlib.contextmanager
def seeded(seed):
    """Seeds Python, NumPy and the backend for the block (`None`: no change).

    `keras.utils.set_random_seed` is what makes `fit`'s shuffling and the
    data splits repeatable, but it reseeds the process-wide generators. The
    states of Python's `random` and NumPy's global generator are put back
    when the block ends; the backend's global seed (`tf.random.set_seed`,
    Keras's global `SeedGenerator`) cannot be read back and stays at `seed`.
    """
    if seed is None:
        yield
        return
    python_state, numpy_state = random.getstate(), np.random.get_state()
    keras.utils.set_random_seed(seed)
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


def derived_seed(seed, *, layer=0, offset=0):
    """The one place seeds are derived from a user's `seed`.

    Layer `layer` of a model owns the seeds `seed + 1000 * layer` to
    `seed + 1000 * layer + 999` (its initializer at `offset=0`, its dropout
    at `1`, its adapters at `2`); `layer=0` with an `offset` gives the seeds
    of repeated runs (a fold, a restart, a class). `None` stays `None`: no
    seed was asked for.

    Args:
        seed: Integer or `None`. The seed the caller passed.
        layer: Integer >= 0. Which layer's block of seeds. Defaults to `0`.
        offset: Integer >= 0. Which seed of that block. Defaults to `0`.

    Returns:
        `seed + 1000 * layer + offset`, or `None` when `seed` is `None`.
    """
    return None if seed is None else seed + 1000 * layer + offset
