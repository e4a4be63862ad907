"""One table of bad inputs across the Python API.

Each row calls kerasnn or the callbacks with one bad argument and checks the
error type, that its message names the problem, and that the caller's data is
left untouched. The recipes' command lines have their own rows in
`tests/test_recipe_*.py`.
"""

import copy

import keras
import numpy as np
import pandas as pd
import pytest

import kerasnn
from kerasnn import callbacks

# Each call is refused by an argument check; nothing trains.
pytestmark = pytest.mark.backend_neutral

X = np.arange(24, dtype="float32").reshape(6, 4)
Y = np.array([0, 1, 0, 1, 1, 0])
FRAME = pd.DataFrame({"a": [1.0, 2.0, np.nan], "b": ["x", "y", None]})


def _model():
    return kerasnn.build_model("binary", 4, hidden=[4])


CASES = [
    # builders: types, values, shapes and ranks
    ("problem typo", lambda: kerasnn.build_model("binray", 4), ValueError,
     "Did you mean 'binary'"),
    ("problem not a string", lambda: kerasnn.build_model(None, 4), TypeError,
     "Received: problem=None"),
    ("input_shape negative", lambda: kerasnn.build_model("binary", -3), ValueError,
     "positive sizes"),
    ("input_shape float", lambda: kerasnn.build_model("binary", 4.5), TypeError,
     "input_shape"),
    ("input_shape is data", lambda: kerasnn.build_model("binary", X), TypeError,
     "shape of one sample"),
    ("hidden width zero", lambda: kerasnn.build_model("binary", 4, hidden=[8, 0]),
     ValueError, r"hidden\[1\]"),
    ("hidden width float", lambda: kerasnn.build_model("binary", 4, hidden=[8.5]),
     TypeError, r"hidden\[0\]"),
    ("dropout 1", lambda: kerasnn.build_model("binary", 4, dropout=1), ValueError,
     "dropout"),
    ("dropout string", lambda: kerasnn.build_model("binary", 4, dropout="0.2"),
     TypeError, "dropout"),
    ("l1 NaN", lambda: kerasnn.build_model("binary", 4, l1=float("nan")),
     ValueError, "l1"),
    ("learning rate inf", lambda: kerasnn.build_model(
        "binary", 4, learning_rate=float("inf")), ValueError, "learning_rate"),
    ("unknown activation", lambda: kerasnn.build_model(
        "binary", 4, activation="swishy"), ValueError, "activation"),
    ("unknown optimizer", lambda: kerasnn.build_model(
        "binary", 4, optimizer="adagrad"), ValueError, "'sgd'"),
    ("multiclass, 2 classes", lambda: kerasnn.build_model(
        "multiclass", 4, n_classes=2), ValueError, "problem='binary'"),
    ("n_classes float", lambda: kerasnn.build_model(
        "multiclass", 4, n_classes=3.0), TypeError, "n_classes"),
    ("n_outputs on binary", lambda: kerasnn.build_model(
        "binary", 4, n_outputs=2), ValueError, "n_outputs"),
    ("image rank 1", lambda: kerasnn.build_image_model("binary", (28,)),
     ValueError, "height, width and channels"),
    ("image too small", lambda: kerasnn.build_image_model(
        "binary", (4, 4, 1), blocks=3), ValueError, "blocks"),
    # labels that do not fit a problem
    ("labels with NaN", lambda: kerasnn.infer_problem(np.array([0.0, np.nan, 1.0])),
     ValueError, "missing labels"),
    ("one label value", lambda: kerasnn.infer_problem(np.zeros(10)), ValueError,
     "two distinct"),
    ("empty labels", lambda: kerasnn.infer_problem(np.array([])), ValueError,
     "at least one"),
    ("labels as a frame", lambda: kerasnn.infer_problem(FRAME), ValueError,
     "must be numeric"),
    ("3-D labels", lambda: kerasnn.infer_problem(np.zeros((2, 2, 2))), ValueError,
     "1-D"),
    ("ambiguous counts", lambda: kerasnn.infer_problem([0, 1, 2, 3, 4]),
     ValueError, "problem="),
    # features: NaN/inf, wrong types and ranks; labels that do not fit
    ("NaN features, dense builder", lambda: kerasnn.cross_validate(
        np.where(X > 20, np.nan, X), Y, builder=kerasnn.build_model, n_splits=2,
        epochs=1), ValueError, "NaN or infinite"),
    ("1-D features, dense builder", lambda: kerasnn.tune(
        X[:, 0], Y, builder=kerasnn.build_model, max_trials=1), ValueError,
     r"shape \(n_samples, ...\)"),
    ("inf in a table column", lambda: kerasnn.train_tabular(
        FRAME.assign(a=[1.0, np.inf, 2.0]), [0, 1, 0], epochs=1), ValueError,
     "inf in column"),
    ("array instead of a table", lambda: kerasnn.build_tabular_model(X, Y),
     TypeError, "pd.DataFrame"),
    ("empty table", lambda: kerasnn.build_tabular_model(FRAME.head(0), []),
     ValueError, "at least one row"),
    ("labels shorter than rows", lambda: kerasnn.build_tabular_model(FRAME, [0, 1]),
     ValueError, "one label per row"),
    ("string labels for regression", lambda: kerasnn.build_tabular_model(
        FRAME, ["x", "y", "x"], problem="regression"), ValueError,
     "needs numeric labels"),
    ("three classes for binary", lambda: kerasnn.cross_validate(
        X, np.arange(6) % 3, builder=kerasnn.build_model, problem="binary",
        n_splits=2, epochs=1), ValueError, "class codes 0..1"),
    ("unknown search", lambda: kerasnn.tune(
        X, Y, builder=kerasnn.build_model, search="genetic"), ValueError,
     "`search` must be one of 'random', 'grid', 'bayesian', 'hyperband'. "
     "Received: search='genetic'."),
    ("unknown builder option", lambda: kerasnn.build_model("binary", 4, widths=[8]),
     TypeError, "widths"),
    # transfer learning
    ("swap_head of a string", lambda: kerasnn.swap_head("model", "binary"),
     TypeError, "keras.Model"),
    ("swap_head bad cut", lambda: kerasnn.swap_head(_model(), "binary", cut="nope"),
     ValueError, "Layers: features"),
    # callbacks: checked in __init__
    ("StepLR step 0", lambda: callbacks.StepLR(step_size=0), ValueError,
     "step_size"),
    ("StepLR gamma negative", lambda: callbacks.StepLR(5, gamma=-1.0), ValueError,
     "gamma"),
    ("monitor policy", lambda: callbacks.GradientMonitor(policy="panic"),
     ValueError, "policy"),
    ("monitor every 0", lambda: callbacks.GradientMonitor(every=0), ValueError,
     "every"),
    ("LRFinder range reversed", lambda: callbacks.LRFinder(start_lr=1.0, end_lr=1e-3),
     ValueError, "end_lr"),
    ("diagnose_fit not a history", lambda: callbacks.diagnose_fit([1, 2, 3]),
     TypeError, "History"),
]


@pytest.mark.parametrize("call, error, message",
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_refused_clearly(call, error, message):
    before = (X.copy(), Y.copy(), FRAME.copy(deep=True))
    with pytest.raises(error, match=message):
        call()
    np.testing.assert_array_equal(X, before[0])
    np.testing.assert_array_equal(Y, before[1])
    pd.testing.assert_frame_equal(FRAME, before[2])


def _text_file(tmp_path):
    path = tmp_path / "digits.npz"
    path.write_text("not a numpy file")
    return str(path)


def _csv(tmp_path):
    path = tmp_path / "table.csv"
    pd.DataFrame({"a": [1, 2, 3, 4], "label": ["x", "y", "x", "y"]}).to_csv(
        path, index=False)
    return str(path)


CLI_CASES = [
    ("mnist: text file as .npz", "mnist",
     lambda t: ["--data", _text_file(t), "--out", str(t / "o")], "must be a NumPy .npz file"),
    ("mnist: missing file", "mnist",
     lambda t: ["--data", str(t / "none.npz"), "--out", str(t / "o")], "none.npz"),
    ("mnist: unknown option", "mnist",
     lambda t: ["--out", str(t / "o"), "--shots", "3"], "unrecognized arguments"),
    ("mnist: bad --model", "mnist",
     lambda t: ["--out", str(t / "o"), "--model", "rnn"], "invalid choice"),
    ("tabular: missing csv", "tabular",
     lambda t: ["--csv", str(t / "none.csv"), "--target", "y", "--out", str(t / "o")],
     "none.csv"),
    ("tabular: unknown target", "tabular",
     lambda t: ["--csv", _csv(t), "--target", "price", "--out", str(t / "o")],
     "label"),
    ("tabular: csv without --target", "tabular",
     lambda t: ["--csv", _csv(t), "--out", str(t / "o")], "--target"),
    ("transfer: text file as .npz", "transfer",
     lambda t: ["--data", _text_file(t), "--out", str(t / "o")], "must be a NumPy .npz file"),
]


@pytest.mark.parametrize("recipe, make_argv, message", [c[1:] for c in CLI_CASES],
                         ids=[c[0] for c in CLI_CASES])
def test_bad_command_line_exits_2_with_a_message(recipe, make_argv, message,
                                                 tmp_path, capsys):
    import importlib

    from kerasnn.recipes._common import run_main

    module = importlib.import_module(f"kerasnn.recipes.{recipe}")
    argv = make_argv(tmp_path)
    before = list(argv)
    try:
        status = run_main(module.main, argv)
    except SystemExit as exit_:  # argparse's own errors
        status = exit_.code
    assert status == 2
    assert message in capsys.readouterr().err
    assert argv == before
    assert not (tmp_path / "o" / "metrics.json").exists()


def test_lr_finder_callback_refuses_schedule_without_touching_model():
    # `find_lr` swaps a schedule out for its sweep; the bare callback in a
    # user's own `fit` cannot, so it refuses and points to `find_lr`.
    model = _model()
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.9)
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="mse")
    weights = copy.deepcopy(model.get_weights())
    with pytest.raises(TypeError, match="float `learning_rate`"):
        model.fit(X, Y.astype("float32"), batch_size=2, epochs=1, verbose=0,
                  callbacks=[callbacks.LRFinder()])
    for a, b in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(a, b)
