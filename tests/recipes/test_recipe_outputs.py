"""The recipes' summary lines go through Keras's logging."""

import keras
import pytest

from kerasnn.recipes._outputs import print_summary

pytestmark = pytest.mark.backend_neutral

METRICS = {"status": "ok", "test_accuracy": 0.98, "n_test": 500,
           "epochs_run": 3, "train_seconds": 1.5, "learning_rate": 1e-3,
           "monitor_status": "ok", "fit_diagnosis": {"status": "good fit",
                                                     "advice": []},
           "monitor": {"advice": ["a tip"]}}


def test_summary_prints_unless_interactive_logging_is_off(capsys):
    print_summary("MNIST cnn", METRICS)
    out = capsys.readouterr().out
    assert out.startswith("MNIST cnn: ok\n  test accuracy 0.9800 on 500")
    assert "  - a tip" in out
    keras.config.disable_interactive_logging()
    try:
        print_summary("MNIST cnn", METRICS)
    finally:
        keras.config.enable_interactive_logging()
    assert capsys.readouterr().out == ""
