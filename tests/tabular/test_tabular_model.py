import os

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn import embedding_size
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.errors import ProblemInferenceError
from kerasnn.tabular.model import TabularModel
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.model import column_kinds
from kerasnn.tabular.model import predict_labels
from kerasnn.tabular.training import class_weights
from kerasnn.tabular.training import split_rows
from kerasnn.tabular.training import train_tabular

pytestmark = pytest.mark.tf_only

@pytest.fixture
def penguins(penguins_table):
    # Every 3rd row: all three species, missing numbers and sexes included.
    return penguins_table.iloc[::3].reset_index(drop=True)


def _mixed(n=40, seed=0):
    rng = np.random.default_rng(seed)
    size = rng.normal(size=n)
    size[::7] = np.nan
    return pd.DataFrame({
        "size": size,
        "rooms": rng.integers(1, 4, n),  # few whole numbers -> categorical
        "count": rng.integers(0, 1000, n),  # many whole numbers -> numeric
        "colour": pd.Series(rng.choice(["red", "blue", None], n), dtype=object),
        "flag": rng.random(n) > 0.5,
        "my col-1": rng.normal(size=n),
    })


def test_column_kinds_are_inferred_and_overridable():
    df = _mixed()
    assert column_kinds(df) == {
        "size": "numeric", "rooms": "categorical", "count": "numeric",
        "colour": "categorical", "flag": "categorical", "my col-1": "numeric",
    }
    kinds = column_kinds(df, categorical=["count"], numeric=["rooms"])
    assert kinds["count"] == "categorical" and kinds["rooms"] == "numeric"


def test_inputs_are_named_after_columns_and_take_dict_of_columns():
    df = _mixed()
    model = build_tabular_model(df, np.tile([0, 1], 20), min_frequency=1)
    assert isinstance(model, TabularModel)
    assert set(model.input_names if hasattr(model, "input_names") else
               [t.name for t in model.inputs]) >= {"size", "my_col_1", "colour"}
    out = model.predict({c: df[c].to_numpy() for c in df.columns}, verbose=0)
    assert out.shape == (40, 1) and np.all(np.isfinite(out))


def test_string_labels_train_and_map_back(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = build_tabular_model(X, y, hidden=[16], seed=0)
    assert model.problem == "multiclass"
    assert model.classes == ["Adelie", "Chinstrap", "Gentoo"]
    model.fit(X, y, epochs=2, verbose=0, validation_data=(X, y))
    labels = predict_labels(model, X)
    assert set(labels) <= set(model.classes) and len(labels) == len(X)
    # evaluate takes the raw labels and agrees with the mapped-back ones.
    result = model.evaluate(X, y, return_dict=True, verbose=0)
    assert result["accuracy"] == pytest.approx(np.mean(labels == y.to_numpy()),
                                               abs=1e-6)


def test_saved_model_takes_raw_rows_in_safe_mode(penguins, tmp_path):
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = build_tabular_model(X, y, hidden=[8], seed=0)
    model.fit(X, y, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)  # safe_mode=True, no custom_objects
    assert isinstance(loaded, TabularModel) and loaded.classes == model.classes
    raw = dict(penguins)  # strings, NaNs and the target column included
    np.testing.assert_allclose(loaded.predict(raw, verbose=0),
                               model.predict(raw, verbose=0), rtol=1e-5)
    odd = {"island": ["Atlantis", None], "sex": [np.nan, "MALE"],
           "bill_length_mm": [np.nan, 40.0], "bill_depth_mm": [17.0, np.inf],
           "flipper_length_mm": [200, 190], "body_mass_g": [4000, None]}
    out = loaded.predict(odd, verbose=0)
    assert out.shape == (2, 3) and np.all(np.isfinite(out))
    assert list(predict_labels(loaded, odd))[0] in model.classes


def test_missing_numbers_are_filled_and_flagged():
    df = pd.DataFrame({"a": [1.5, np.nan, 3.5, 4.0] * 5, "b": np.arange(20.0)})
    model = build_tabular_model(df, np.arange(20.0) * 1.5, hidden=[4])
    fill = model.get_layer("fill_missing")
    assert fill.fill_values == [3.0, 9.5] and fill.indicators == [0]
    out = fill(np.array([[np.nan, np.inf]], "float32"))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(out), [[3.0, 9.5, 1.0]])


def test_unseen_and_rare_categories_share_the_oov_slot():
    df = pd.DataFrame({"c": ["a"] * 10 + ["b"] * 10 + ["rare"], "x": range(21)})
    model = build_tabular_model(df, [0, 1] * 10 + [0], min_frequency=3)
    lookup = model.get_layer("c_lookup")
    assert "rare" not in lookup.get_vocabulary()
    idx = keras.ops.convert_to_numpy(
        keras.layers.StringLookup(vocabulary=lookup.get_vocabulary()[1:])(
            np.array([["never seen"]])))
    assert idx.max() == 0  # index 0 is the out-of-vocabulary slot


def test_embedding_rule_and_encoding():
    assert embedding_size(20) == round(1.6 * 20 ** 0.56)
    assert embedding_size(10 ** 7) == 600
    df = pd.DataFrame({"c": [f"k{i % 20}" for i in range(100)],
                       "d": ["x", "y"] * 50})
    model = build_tabular_model(df, [0, 1] * 50)
    emb = model.get_layer("c_embedding")
    assert (emb.input_dim, emb.output_dim) == (21, embedding_size(21))
    assert model.get_layer("d_one_hot") is not None


def test_numeric_columns_are_embedded_as_asked(tmp_path):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=120), "b": rng.exponential(size=120),
                       "c": rng.choice(["x", "y"], 120)})
    y = (df["a"] > 0).astype(int)

    def width(model):
        return model.get_layer("hidden_1_ensemble_dense").kernel.shape[0]

    # 2 standardized values + one-hot c (3 slots) + the embeddings.
    binned = build_tabular_model(df, y, numeric_bins=8, numeric_units=5)
    assert binned.get_layer("a_bins").output.shape[-1] == 8
    assert binned.get_layer("a_bins_dense").units == 5
    assert width(binned) == 2 + 3 + 2 * 5
    raw = build_tabular_model(df, y, numeric_bins=8, numeric_units=None)
    assert width(raw) == 2 + 3 + 2 * 8
    assert not any(layer.name.endswith("_bins_dense") for layer in raw.layers)
    assert width(build_tabular_model(df, y, numeric_embedding=None)) == 2 + 3


def test_regression_predicts_in_target_units():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=200)})
    y = 200_000 + 50_000 * df["x"].to_numpy()
    model = train_tabular(df, y, epochs=40, seed=0, hidden=[16],
                          numeric_bins=0, target_transform=None).model
    pred = model.predict(df, verbose=0).reshape(-1)
    assert model.get_layer("target_scale").offset == pytest.approx(y.mean(), rel=0.05)
    assert np.corrcoef(pred, y)[0, 1] > 0.95
    assert abs(pred.mean() - y.mean()) < 20_000


def test_callers_frame_and_labels_are_unchanged(penguins):
    X = penguins.drop(columns="species")
    y = penguins["species"].copy()
    before_X, before_y = X.copy(deep=True), y.copy(deep=True)
    model = train_tabular(X, y, epochs=1, seed=0, oversample="smote",
                          class_weight="balanced").model
    model.predict(X, verbose=0)
    pd.testing.assert_frame_equal(X, before_X)
    pd.testing.assert_series_equal(y, before_y)


def test_split_is_shuffled_and_stratified():
    y = np.array(["a"] * 50 + ["b"] * 30 + ["c"] * 20)  # sorted by label
    train, val = split_rows(y, 0.2, True, 0)
    assert len(val) == 20 and len(train) == 80
    assert sorted(pd.Series(y[val]).value_counts().tolist()) == [4, 6, 10]


def test_auto_validation_split_holds_out_a_tenth_of_a_large_table(monkeypatch):
    import kerasnn.tabular.training as training

    held_out = []

    def recording_split(y, validation_split, stratify, seed):
        held_out.append(validation_split)
        return split_rows(y, validation_split, stratify, seed)

    monkeypatch.setattr(training, "split_rows", recording_split)
    X, y = _mixed(), [0, 1] * 20
    # The split does not depend on the network: the smallest one will do.
    small = dict(epochs=1, seed=0, backbone="mlp", hidden=[4])
    train_tabular(X, y, **small)
    monkeypatch.setattr(training, "LARGE_TABLE_ROWS", len(X) - 1)
    train_tabular(X, y, **small)
    train_tabular(X, y, validation_split=0.3, **small)
    assert held_out == [0.2, 0.1, 0.3]


def test_balancedclass_weights():
    y = np.array(["a"] * 90 + ["b"] * 10)
    weights = class_weights("balanced", y, ["a", "b"])
    assert weights[0] == pytest.approx(100 / (2 * 90))
    assert weights[1] == pytest.approx(100 / (2 * 10))
    assert class_weights({"b": 3.0}, y, ["a", "b"]) == {0: 1.0, 1: 3.0}


def test_seed_makes_training_repeatable(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    runs = [train_tabular(X, y, epochs=2, seed=3, hidden=[8]) for _ in range(2)]
    for a, b in zip(runs[0].model.get_weights(), runs[1].model.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert runs[0].history.history["loss"] == runs[1].history.history["loss"]


def test_same_seed_same_starting_weights():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=120),
                       "city": rng.choice([f"c{i}" for i in range(15)], 120),
                       "colour": rng.choice(["x", "y"], 120)})
    y = (df["a"] > 0).astype(int)

    def build(seed):
        return build_tabular_model(df, y, seed=seed, numeric_bins=8)

    first = build(5)
    # The column's own layers are there: an embedding, the Dense after bins.
    first.get_layer("city_embedding")
    first.get_layer("a_bins_dense")
    keras.utils.set_random_seed(123)  # the global seed must not matter
    for a, b in zip(first.get_weights(), build(5).get_weights()):
        np.testing.assert_array_equal(a, b)
    other = build(6).get_layer("city_embedding").get_weights()[0]
    assert not np.array_equal(
        other, first.get_layer("city_embedding").get_weights()[0])


def test_seed_leaves_the_callers_random_state_as_it_was(penguins):
    import random

    X, y = penguins.drop(columns="species"), penguins["species"]
    random.seed(7)
    np.random.seed(7)
    expected = (random.random(), np.random.rand())
    random.seed(7)
    np.random.seed(7)
    train_tabular(X, y, epochs=1, seed=3, hidden=[4])
    assert (random.random(), np.random.rand()) == expected


def test_restarts_keep_the_best_validation_run(penguins):
    X, y = penguins.drop(columns="species"), penguins["species"]
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            seen.append(min(self.model.history.history["val_loss"]))

    result = train_tabular(X, y, epochs=2, seed=0, restarts=2, hidden=[8],
                           callbacks=[Record()])
    assert len(seen) == 2
    assert min(result.history.history["val_loss"]) == pytest.approx(min(seen))


def test_backup_dir_resumes_a_killed_run(penguins, tmp_path):
    X, y = penguins.drop(columns="species"), penguins["species"]

    class Kill(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        train_tabular(X, y, epochs=4, seed=0, hidden=[8], backup_dir=str(tmp_path),
                      callbacks=[Kill()])
    seen = []

    class Record(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(epoch)

    history = train_tabular(X, y, epochs=4, seed=0, hidden=[8],
                            backup_dir=str(tmp_path),
                            callbacks=[Record()]).history
    assert seen == [2, 3]  # epochs 0 and 1 finished before the kill
    # ... and the history still tells all four.
    assert history.epoch == [0, 1, 2, 3]
    assert len(history.history["loss"]) == 4
    assert np.all(np.isfinite(history.history["val_loss"]))
    assert not os.path.exists(tmp_path / "epochs.jsonl")  # removed at the end


def test_strategy_scope_is_used(penguins):
    import tensorflow as tf

    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    X, y = penguins.drop(columns="species"), penguins["species"]
    model = train_tabular(X, y, epochs=1, hidden=[8], strategy=strategy).model
    assert model.distribute_strategy is strategy


@pytest.mark.parametrize("call, error, message", [
    (lambda df: build_tabular_model(df.to_numpy(), [0, 1] * 20),
     KerasnnTypeError, "must be a pandas DataFrame"),
    (lambda df: build_tabular_model(df, [0, 1]), KerasnnValueError,
     "one label per row"),
    (lambda df: build_tabular_model(df, [0, 1] * 19 + [0, None]),
     KerasnnValueError, "must not contain missing labels"),
    (lambda df: build_tabular_model(df, [0, 1] * 20, categorical=["colour "]),
     KerasnnValueError, "Did you mean 'colour'"),
    (lambda df: build_tabular_model(df, [0, 1] * 20, categorical="colour"),
     KerasnnTypeError, "must be a list of column names"),
    (lambda df: build_tabular_model(df, [0, 1] * 20, categorical=["size"],
                                    numeric=["size"]),
     KerasnnValueError, "both categorical and numeric"),
    (lambda df: build_tabular_model(df, [0, 1] * 20, numeric=["colour"]),
     KerasnnValueError, "'colour' is numeric for the model"),
    (lambda df: build_tabular_model(df, [0, 1] * 20, encoding="onehot"),
     KerasnnValueError, "Did you mean 'one_hot'"),
    (lambda df: build_tabular_model(df, [0, 1] * 20,
                                    numeric_embedding="periodc"),
     KerasnnValueError, "'bins' or None. Received: "
     "numeric_embedding='periodc'"),
    (lambda df: build_tabular_model(df, [0, 1] * 20,
                                    numeric_embedding="periodic"),
     KerasnnValueError, "Received: numeric_embedding='periodic'"),
    (lambda df: build_tabular_model(df, [0, 1] * 20,
                                    backbone="tabm_shared_first"),
     KerasnnValueError, "'tabm', 'tabm_mini', 'mlp'. Received: "
     "backbone='tabm_shared_first'"),
    (lambda df: build_tabular_model(df, [0, 1] * 20, numeric_units=0),
     KerasnnValueError, "numeric_units"),
    (lambda df: build_tabular_model(df, [0, 1, 2, 3] * 10, problem="binary"),
     KerasnnValueError, "exactly two distinct labels"),
    (lambda df: build_tabular_model(df.assign(size=np.nan), [0, 1] * 20),
     KerasnnValueError, "'size' has no finite values"),
    (lambda df: build_tabular_model(
        df.assign(when=pd.Timestamp("2020-01-01")), [0, 1] * 20),
     KerasnnTypeError, "Derive numeric columns"),
    (lambda df: build_tabular_model(df.iloc[:0], []), KerasnnValueError,
     "at least one row and one column"),
    (lambda df: train_tabular(df, np.arange(40) * 0.5, oversample="smote"),
     KerasnnValueError, "classification only"),
    (lambda df: train_tabular(df, [0, 1] * 20, class_weight="even"),
     KerasnnValueError, "'balanced'"),
    (lambda df: train_tabular(df, [0, 1] * 20, restarts=2, validation_split=0),
     KerasnnValueError, "needs validation_split > 0"),
    (lambda df: train_tabular(df, [0, 1] * 20, validation_split="half"),
     KerasnnValueError, "number in \\[0, 1\\) or 'auto'"),
    (lambda df: train_tabular(df, [0] * 39 + [1], epochs=1),
     KerasnnValueError, "at least 2 rows of each class"),
    (lambda df: train_tabular(df, [0, 1] * 20, callbacks=keras.callbacks.History()),
     KerasnnTypeError, "list of keras.callbacks.Callback"),
    (lambda df: train_tabular(df, [0, 1] * 20, class_weight={"z": 2.0}, epochs=1),
     KerasnnValueError, "names labels that are not in `y`"),
])
def test_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call(_mixed())


def test_model_errors_on_missing_columns_and_unknown_labels():
    df = _mixed()
    model = build_tabular_model(df, ["no", "yes"] * 20, hidden=[4])
    with pytest.raises(KerasnnValueError, match=r"missing column\(s\) \['size'\]"):
        model.predict(df.drop(columns="size"), verbose=0)
    with pytest.raises(KerasnnValueError, match=r"labels the model was not built "
                                                r"with: \['maybe'\]"):
        model.fit(df, ["no", "maybe"] * 20, epochs=1, verbose=0)
    regression = build_tabular_model(df, np.arange(40) * 0.5, hidden=[4])
    with pytest.raises(KerasnnValueError, match="needs a classification model"):
        predict_labels(regression, df)


def test_ambiguous_target_asks_for_problem():
    df = _mixed()
    with pytest.raises(ProblemInferenceError, match="problem="):
        build_tabular_model(df, [0, 1, 2, 3, 4] * 7 + [0, 1, 2, 3, 9])


def test_registered_names_stay_stable_for_saved_models():
    # Saved .keras files name the layers by these; renaming breaks loading.
    from kerasnn.tabular import layers

    for cls in (layers.FillMissing, layers.SignedLog, layers.PiecewiseLinear,
                TabularModel):
        assert keras.saving.get_registered_name(cls) == f"kerasnn>{cls.__name__}"
