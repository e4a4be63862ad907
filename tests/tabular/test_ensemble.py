import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn.tabular.ensemble import EnsembleDense
from kerasnn.tabular.ensemble import EnsembleHead
from kerasnn.tabular.ensemble import MeanPrediction
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.training import train_tabular


def _numbers(n=48, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    a[::9] = np.nan
    return pd.DataFrame({"a": a, "b": rng.normal(size=n),
                         "c": rng.exponential(size=n)})


def _members(model, X):
    """The members' predictions, `(rows, k, outputs)`, in target units."""
    head = model.get_layer("mean_prediction").input
    return np.asarray(keras.Model(model.inputs, head)(model.prepare_inputs(X)))


@pytest.mark.parametrize("scaling, weights", [
    ("both", {"kernel", "r", "s", "bias"}), ("input", {"kernel", "r", "bias"}),
    ("none", {"kernel", "bias"}),
])
def test_ensemble_dense_shapes_and_adapters(scaling, weights):
    layer = EnsembleDense(5, 3, scaling=scaling, scaling_init="random_signs",
                          seed=0)
    assert tuple(layer(np.ones((2, 4), "float32")).shape) == (2, 3, 5)
    assert tuple(layer(np.ones((2, 3, 4), "float32")).shape) == (2, 3, 5)
    assert {w.path.split("/")[-1] for w in layer.weights} == weights
    if scaling in ("both", "input"):
        r = keras.ops.convert_to_numpy(layer.r)
        assert set(np.unique(r)) == {-1.0, 1.0}


@pytest.mark.parametrize("option, value, allowed", [
    ("scaling", "output", "'both', 'input', 'none'"),
    ("scaling_init", "normal", "'ones', 'random_signs'"),
])
def test_ensemble_dense_rejects_an_unknown_option(option, value, allowed):
    with pytest.raises(KerasnnValueError,
                       match=f"{allowed}. Received: {option}='{value}'"):
        EnsembleDense(5, 3, **{option: value})


def test_ensemble_dense_config_round_trip():
    # A saved layer's config holds both options at the values kept.
    layer = EnsembleDense(5, 3, scaling="input", scaling_init="random_signs",
                          seed=1)
    config = layer.get_config()
    assert (config["scaling"], config["scaling_init"]) == ("input",
                                                           "random_signs")
    again = EnsembleDense.from_config(config)
    assert (again.scaling, again.scaling_init) == ("input", "random_signs")
    assert EnsembleDense.from_config(
        EnsembleDense(5, 3).get_config()).scaling_init == "ones"


def test_members_differ_from_the_first_step():
    layer = EnsembleDense(8, 4, scaling_init="random_signs", seed=0)
    out = keras.ops.convert_to_numpy(layer(np.random.default_rng(0).normal(
        size=(3, 6)).astype("float32")))
    assert not np.allclose(out[:, 0], out[:, 1])


def test_head_and_mean_prediction():
    head = EnsembleHead(3, 4, activation="softmax")
    members = head(np.random.default_rng(0).normal(size=(2, 4, 5)).astype(
        "float32"))
    assert tuple(members.shape) == (2, 4, 3)
    members = keras.ops.convert_to_numpy(members)
    np.testing.assert_allclose(members.sum(-1), 1.0, rtol=1e-5)
    mean = MeanPrediction()
    np.testing.assert_allclose(mean(members, training=True), members)
    np.testing.assert_allclose(mean(members), members.mean(1), rtol=1e-6)
    logged = MeanPrediction("log")(np.log1p(members))
    np.testing.assert_allclose(logged, members.mean(1), rtol=1e-5)


@pytest.mark.parametrize("backbone", ["tabm", "tabm_mini"])
def test_prediction_is_the_mean_of_the_members(backbone):
    # The ensembles' defaults: AdamW with TabM's rate and weight decay.
    X = _numbers()
    model = build_tabular_model(X, ["x", "y", "z"] * 16, backbone=backbone,
                                k=3, hidden=[8], seed=0)
    assert (model.backbone, model.k) == (backbone, 3)
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert float(model.optimizer.weight_decay) == pytest.approx(3e-4)
    model.fit(X, ["x", "y", "z"] * 16, epochs=1, verbose=0)
    predicted = model.predict(X, verbose=0)
    assert predicted.shape == (48, 3)
    members = _members(model, X)
    assert members.shape == (48, 3, 3)
    np.testing.assert_allclose(predicted, members.mean(1), rtol=1e-5,
                               atol=1e-6)
    assert not np.allclose(members[:, 0], members[:, 1])


def test_loss_is_the_mean_of_the_member_losses():
    X = _numbers()
    y = np.array([0, 1] * 24)
    model = build_tabular_model(X, y, backbone="tabm", k=3, hidden=[8],
                                seed=0)
    members = keras.ops.convert_to_tensor(_members(model, X))
    loss = float(model.compute_loss(y=y, y_pred=members, training=True))
    truth = y.reshape(-1, 1).astype("float32")
    each = [keras.ops.convert_to_numpy(keras.losses.binary_crossentropy(
        truth, members[:, i])).mean() for i in range(3)]
    assert loss == pytest.approx(np.mean(each), rel=1e-5)
    of_mean = float(model.compute_loss(
        y=y, y_pred=keras.ops.mean(members, axis=1), training=False))
    assert of_mean < loss  # the mean's loss is smaller (Jensen): not that one


def test_members_get_their_own_gradients():
    X = _numbers()
    y = np.array([0, 1] * 24)
    model = build_tabular_model(X, y, backbone="tabm", k=2, hidden=[8],
                                seed=0)
    head = model.get_layer("output")
    before = keras.ops.convert_to_numpy(head.kernel).copy()
    model.fit(X, y, epochs=1, batch_size=48, verbose=0)
    moved = keras.ops.convert_to_numpy(head.kernel) - before
    assert np.abs(moved[0]).sum() > 0 and np.abs(moved[1]).sum() > 0
    assert not np.allclose(moved[0], moved[1])


def test_saved_ensemble_loads_in_safe_mode(tmp_path):
    X = _numbers()
    y = X["b"].to_numpy() * 3 + 10
    model = build_tabular_model(X, y, backbone="tabm", k=2, hidden=[8],
                                target_transform="log", seed=0)
    model.fit(X, y, epochs=1, verbose=0)
    path = str(tmp_path / "tabm.keras")
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    rows = {"a": [np.nan, 1.0], "b": [0.5, -1.0], "c": [2.0, np.nan]}
    np.testing.assert_allclose(loaded.predict(rows, verbose=0),
                               model.predict(rows, verbose=0), rtol=1e-6)
    assert (loaded.backbone, loaded.k, loaded.target_transform) == (
        "tabm", 2, "log")
    assert loaded.get_config()["tabular"]["target_transform"] == "log"


@pytest.mark.tf_only
def test_raw_rows_with_categories_and_gaps(penguins_table, tmp_path):
    df = penguins_table.iloc[::3].reset_index(drop=True)
    X, y = df.drop(columns="species"), df["species"]
    model = build_tabular_model(X, y, backbone="tabm", k=2, hidden=[8],
                                seed=0)
    model.fit(X, y, epochs=1, verbose=0)
    path = str(tmp_path / "penguins.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    row = {"island": ["Biscoe", "Atlantis"], "sex": [None, "male"],
           "bill_length_mm": [float("nan"), 40.0],
           "bill_depth_mm": [15.0, 18.0], "flipper_length_mm": [220, 190],
           "body_mass_g": [5200, float("nan")]}
    predicted = loaded.predict(row, verbose=0)
    assert predicted.shape == (2, 3)
    np.testing.assert_allclose(predicted.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(predicted, model.predict(row, verbose=0),
                               rtol=1e-6)


def test_log_target_predicts_in_target_units():
    rng = np.random.default_rng(0)
    X = _numbers(200)
    y = np.exp(2 + np.nan_to_num(X["a"].to_numpy()) + rng.normal(size=200))
    model = build_tabular_model(X, y, hidden=[8], seed=0)
    assert model.target_transform == "log"  # auto: >= 0 and long-tailed
    assert build_tabular_model(X, y, hidden=[8],
                               target_transform=None).target_transform is None
    assert build_tabular_model(X, -y, hidden=[8]).target_transform is None
    model.fit(X, y, epochs=2, verbose=0)
    predicted = model.predict(X, verbose=0)
    assert predicted.shape == (200, 1) and (predicted > 0).all()
    # The scale of the target, not of its logarithm.
    assert np.median(predicted) > 2 * np.log1p(np.median(y))


def test_train_tabular_picks_the_target_space_on_validation_rows():
    X = _numbers(80)
    y = np.exp(1 + np.nan_to_num(X["a"].to_numpy()))
    built = []

    class Count(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            built.append(self.model.target_transform)

    result = train_tabular(X, y, epochs=2, hidden=[8], backbone="tabm", k=2,
                           seed=0, callbacks=[Count()],
                           target_transform="compare")
    assert built == [None, "log"]
    assert result.model.target_transform in (None, "log")
    scores = result.model.get_config()["tabular"][
        "target_transform_validation_rmse"]
    assert set(scores) == {"None", "log"}
    best = min(scores, key=scores.get)
    assert str(result.model.target_transform) == best
    assert train_tabular(X, y, epochs=1, hidden=[8], seed=0,
                         target_transform=None).model.target_transform is None


@pytest.mark.parametrize("options, error, message", [
    ({"k": 0}, KerasnnValueError, r"`k` .*Received: k=0"),
    ({"backbone": "tabn"}, KerasnnValueError,
     r"`backbone` must be one of .*Received: backbone='tabn'.*'tabm'"),
    ({"target_transform": "sqrt"}, KerasnnValueError,
     r"`target_transform` must be one of 'auto', 'log'.* or None\. Received: "
     r"target_transform='sqrt'"),
    ({"target_transform": "log", "y": -1.0}, KerasnnValueError,
     r"needs a target >= 0. Received: y with minimum"),
    ({"target_transform": "log", "y": "class"}, KerasnnValueError,
     r"regression' only. Received: target_transform='log'"),
    ({"weight_decay": 0.1, "backbone": "mlp"}, KerasnnValueError,
     r"optimizer='adamw' only. Received: weight_decay=0.1 with "
     r"optimizer='adam'"),
    ({"weight_decay": 0.1, "optimizer": "sgd"}, KerasnnValueError,
     r"optimizer='adamw' only. Received: weight_decay=0.1 with "
     r"optimizer='sgd'"),
    ({"weight_decay": -1.0, "optimizer": "adamw"}, KerasnnValueError,
     r"`weight_decay`.*Received: weight_decay=-1.0"),
])
def test_bad_arguments_name_the_argument(options, error, message):
    X = _numbers()
    y = {-1.0: -np.arange(48.0) - 0.5, "class": ["a", "b"] * 24}.get(
        options.pop("y", None), np.arange(48.0) + 0.5)
    with pytest.raises(error, match=message):
        build_tabular_model(X, y, **options)
    if "weight_decay" not in options:
        with pytest.raises(error, match=message):
            train_tabular(X, y, epochs=1, **options)


def test_default_backbone_and_the_mlp():
    X = _numbers()
    model = build_tabular_model(X, [0, 1] * 24, seed=0)
    assert (model.backbone, model.k) == ("tabm_mini", 8)
    mlp = build_tabular_model(X, [0, 1] * 24, backbone="mlp", seed=0)
    assert (mlp.backbone, mlp.k) == ("mlp", 1)
    assert "mean_prediction" not in [layer.name for layer in mlp.layers]
    assert isinstance(mlp.optimizer, keras.optimizers.Adam)
    assert mlp.predict(X, verbose=0).shape == (48, 1)


@pytest.mark.slow
def test_early_stopping_patience_by_backbone_and_schedule(monkeypatch):
    seen = []

    class Recording(keras.callbacks.EarlyStopping):
        def __init__(self, **kwargs):
            seen.append(kwargs["patience"])
            super().__init__(**kwargs)

    monkeypatch.setattr(keras.callbacks, "EarlyStopping", Recording)
    X, y = _numbers(), [0, 1] * 24
    # Under the cosine schedule (the ensembles' default) the whole schedule
    # runs: its validation loss may rise for a while after the warm-up.
    for backbone, schedule, patience in [
            ("tabm_mini", "auto", "auto"), ("tabm_mini", "plateau", "auto"),
            ("mlp", "auto", "auto"), ("tabm_mini", "auto", 7)]:
        train_tabular(X, y, backbone=backbone, hidden=[8], epochs=2,
                      lr_schedule=schedule, patience=patience, seed=0)
    assert seen == [2, 4, 10, 7]


def test_registered_names_stay_stable_for_saved_models():
    for cls in (EnsembleDense, EnsembleHead, MeanPrediction):
        assert keras.saving.get_registered_name(cls) == f"kerasnn>{cls.__name__}"


@pytest.mark.parametrize("backbone, problem, dropout, rate", [
    ("tabm_mini", "binary", None, 0.2), ("tabm_mini", "multiclass", None, 0.2),
    ("tabm_mini", "regression", None, 0.1), ("tabm", "binary", None, 0.2),
    ("mlp", "regression", None, 0.2), ("tabm_mini", "binary", 0.05, 0.05),
])
def test_default_dropout_follows_the_problem(backbone, problem, dropout, rate):
    X = _numbers()
    y = {"binary": np.arange(48) % 2, "multiclass": np.arange(48) % 3,
         "regression": np.linspace(0.0, 1.0, 48)}[problem]
    model = build_tabular_model(X, y, problem=problem, backbone=backbone,
                                k=2, hidden=[8], dropout=dropout, seed=0)
    rates = {layer.rate for layer in model.layers
             if isinstance(layer, keras.layers.Dropout)}
    assert rates == {rate}
