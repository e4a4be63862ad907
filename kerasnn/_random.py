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
