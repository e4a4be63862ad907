"""`train_tabular`'s progress lines: one per run and stage at verbose >= 1."""

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.training import train_tabular


@pytest.fixture
def table(rng):
    X = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    y = np.where(X["a"] > 0, "yes", "no")
    return X, y


def _train(X, y, **kwargs):
    return train_tabular(X, y, backbone="mlp", hidden=[4], numeric_bins=0,
                         epochs=2, seed=0, **kwargs)


def test_verbose_prints_a_line_per_run(table, capsys):
    _train(*table, restarts=2, verbose=1)
    out = capsys.readouterr().out
    assert "32 training rows, 8 validation rows; 2 runs" in out
    assert "Run 1/2 (seed 0): " in out and "Run 2/2 (seed 1): " in out
    assert "best val_loss" in out
    assert "Kept run " in out


def test_verbose_zero_and_logging_off_print_nothing(table, capsys):
    _train(*table, verbose=0)
    assert capsys.readouterr().out == ""
    keras.config.disable_interactive_logging()
    try:
        _train(*table)  # verbose="auto"
    finally:
        keras.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""


def test_bad_verbose_is_refused_before_training(table):
    with pytest.raises(KerasnnValueError, match="Received: verbose='yes'"):
        _train(*table, verbose="yes")
