import keras
import numpy as np
import pytest

from kerasnn.callbacks import CallbackTypeError
from kerasnn.callbacks import CallbackValueError
from kerasnn.callbacks import FitDiagnostics
from kerasnn.callbacks import diagnose_fit


@pytest.mark.backend_neutral
def test_overfitting_names_the_epoch_and_early_stopping():
    curves = {"loss": [1.0, 0.5, 0.3, 0.2, 0.15, 0.1],
              "val_loss": [1.0, 0.6, 0.4, 0.45, 0.5, 0.6]}
    result = diagnose_fit(curves)
    assert result["status"] == "overfitting" and result["best_epoch"] == 2
    assert "from epoch 4" in result["advice"][0]
    assert "EarlyStopping" in result["advice"][0] and "L2" in result["advice"][0]


@pytest.mark.backend_neutral
def test_underfitting_high_flat_training_loss():
    result = diagnose_fit({"loss": [1.0, 0.98, 0.97, 0.96, 0.96],
                           "val_loss": [1.0, 0.99, 0.98, 0.97, 0.97]})
    assert result["status"] == "underfitting"
    assert "units or layers" in result["advice"][0]
    assert "dropout" in result["advice"][0]


@pytest.mark.backend_neutral
def test_not_converged_and_good():
    assert diagnose_fit({"loss": [1, 0.8, 0.6, 0.45, 0.3, 0.2]})["status"] == "not_converged"
    good = diagnose_fit({"loss": [1, 0.5, 0.3, 0.25, 0.24, 0.24, 0.24, 0.24],
                         "val_loss": [1, 0.5, 0.3, 0.26, 0.25, 0.25, 0.25, 0.25]})
    assert good == {"status": "good", "best_epoch": 4, "advice": [
        "Training converged without overfitting: the validation loss was "
        "lowest at epoch 5 of 8."]}
    nan = diagnose_fit({"loss": [1.0, float("nan")]})
    assert nan["status"] == "not_converged" and "NaN/Inf at epoch 2" in nan["advice"][0]
    assert diagnose_fit({"loss": [1.0]})["status"] == "not_converged"


@pytest.mark.backend_neutral
def test_input_is_not_mutated():
    curves = {"loss": [1.0, 0.5], "val_loss": [1.0, 0.7]}
    diagnose_fit(curves)
    assert curves == {"loss": [1.0, 0.5], "val_loss": [1.0, 0.7]}


@pytest.mark.backend_neutral
@pytest.mark.parametrize(
    "history, error, message",
    [
        ([1.0, 0.5], CallbackTypeError, "Received: history of type list"),
        ({"val_loss": [1.0]}, CallbackValueError, "non-empty 'loss' list. Received: keys ['val_loss']"),
        ({"loss": []}, CallbackValueError, "with an empty 'loss'"),
        ({"loss": [1.0, 0.5], "val_loss": [1.0]}, CallbackValueError, "Received: 1 val_loss and 2 loss values"),
    ],
)
def test_bad_history(history, error, message):
    with pytest.raises(error) as info:
        diagnose_fit(history)
    assert message in str(info.value)


@pytest.mark.backend_neutral
def test_bad_thresholds_and_callback_arguments():
    with pytest.raises(CallbackValueError, match="Received: rise_tol=-1"):
        diagnose_fit({"loss": [1.0]}, rise_tol=-1)
    with pytest.raises(CallbackTypeError, match=r"unknown argument\(s\) \['patience'\]"):
        FitDiagnostics(patience=3)
    with pytest.raises(CallbackValueError, match="Received: flat_tol=2"):
        FitDiagnostics(flat_tol=2)


def test_callback_prints_verdict_after_fit(rng, capsys):
    x = rng.normal(size=(64, 4)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    diag = FitDiagnostics()
    history = model.fit(x, y, epochs=4, validation_split=0.25, verbose=0,
                        callbacks=[diag])
    assert diag.result == diagnose_fit(history)
    out = capsys.readouterr().out
    assert f"FitDiagnostics: {diag.result['status']} (best epoch" in out
    diag.on_train_begin()
    assert diag.result is None
