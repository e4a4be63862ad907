"""The conditional tabular GAN: its encoding, its sampling, its errors."""

import numpy as np
import pandas as pd
import pytest

import kerasnn
from kerasnn.extras.ctgan import _Categorical
from kerasnn.extras.ctgan import _Conditions
from kerasnn.extras.ctgan import _Numeric

pytestmark = pytest.mark.tf_only  # its training step uses tf.GradientTape


def test_mode_specific_normalization_round_trips(rng):
    values = pd.Series(np.concatenate([rng.normal(0, 1, 300),
                                       rng.normal(50, 2, 300), [np.nan] * 20]))
    column = _Numeric("v", values, max_modes=5, seed=0)
    encoded = column.encode(values, rng)
    # An offset in [-1, 1], then exactly one mode (the last: missing) per row.
    assert encoded.shape == (len(values), 1 + column.n_modes)
    assert (np.abs(encoded[:, 0]) < 1).all()
    np.testing.assert_array_equal(encoded[:, 1:].sum(axis=1), 1.0)
    decoded = column.decode(encoded)
    present = values.notna().to_numpy()
    np.testing.assert_allclose(decoded[present], values[present], atol=1e-6)
    assert np.isnan(decoded[~present]).all()
    assert column.n_modes >= 3  # two modes found, plus missing


def test_training_by_sampling_draws_rows_that_hold_the_condition(rng):
    X = pd.DataFrame({"c": ["a"] * 95 + ["b"] * 5, "x": rng.normal(size=100)})
    columns = [_Categorical("c", X["c"]), _Numeric("x", X["x"], 3, 0)]
    conditions = _Conditions(columns[:1], columns, X)
    cond, mask, rows = conditions.training_sample(2000, rng)
    chosen = cond.argmax(axis=1)
    np.testing.assert_array_equal(
        X["c"].to_numpy()[rows], np.asarray(columns[0].values)[chosen])
    # Log-frequency: the rare value is drawn far above its 5% share.
    rare = (X["c"].to_numpy()[rows] == "b").mean()
    expected = np.log(6) / (np.log(6) + np.log(96))
    assert rare == pytest.approx(expected, abs=0.04)
    np.testing.assert_array_equal(mask, 1.0)


def test_fit_and_sample_keep_columns_dtypes_and_conditions(penguins_table):
    import keras

    before = penguins_table.copy()
    gan = kerasnn.CTGAN(epochs=2, batch_size=40, pac=10, width=32,
                        noise_dim=16, seed=0)
    # Callbacks reach the training, and can sample as it goes on.
    sampled = []
    watch = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: sampled.append(len(gan.sample(5))))
    assert gan.fit(penguins_table, callbacks=[watch]) is gan
    assert sampled == [5, 5]
    pd.testing.assert_frame_equal(penguins_table, before)
    assert set(gan.history.history) == {"generator_loss", "critic_loss"}
    rows = gan.sample(120)
    assert list(rows.columns) == list(penguins_table.columns)
    assert rows.dtypes.equals(penguins_table.dtypes)
    assert len(rows) == 120
    assert set(rows["island"]) <= set(penguins_table["island"])
    for column in ("bill_length_mm", "body_mass_g"):
        assert rows[column].min() >= penguins_table[column].min()
        assert rows[column].max() <= penguins_table[column].max()
    gentoo = gan.sample(30, condition={"species": "Gentoo"}, max_tries=200)
    assert len(gentoo) == 30 and (gentoo["species"] == "Gentoo").all()
    assert not gan.sample(20).equals(gan.sample(20))


@pytest.mark.parametrize("kwargs, message", [
    ({"batch_size": 45, "pac": 10}, "multiple of `pac`"),
    ({"epochs": 0}, "epochs"),
    ({"learning_rate": 0.0}, "learning_rate"),
    ({"verbose": "loud"}, "Received: verbose='loud'"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(kerasnn.KerasnnValueError, match=message):
        kerasnn.CTGAN(**kwargs)


def test_sample_errors(rng):
    # A fitted GAN's bad conditions: in the saved-generator test, which
    # fits one.
    with pytest.raises(kerasnn.KerasnnValueError, match="not fitted"):
        kerasnn.CTGAN().sample(5)
    with pytest.raises(kerasnn.KerasnnValueError, match="at least one"):
        kerasnn.CTGAN(epochs=1).fit(pd.DataFrame({"x": rng.normal(size=20)}))


def test_saved_generator_loads_in_safe_mode_and_samples_the_same_rows(
        penguins_table, tmp_path):
    import keras

    gan = kerasnn.CTGAN(epochs=1, batch_size=20, width=8, noise_dim=4,
                        seed=0).fit(penguins_table)
    path = tmp_path / "gan.keras"
    gan.save(path)
    generator = keras.saving.load_model(path, safe_mode=True)
    assert generator.sampling["noise_dim"] == 4
    # Seeded as `fit` seeds the sampler (seed + 1): the same draws, so the
    # same rows, missing values and dtypes included.
    loaded = kerasnn.CTGAN.load(path, seed=1)
    expected = gan.sample(60)
    pd.testing.assert_frame_equal(loaded.sample(60), expected)
    assert expected.isna().any().any()  # the penguins' gaps are made too
    adelie = loaded.sample(5, condition={"species": "Adelie"}, max_tries=500)
    assert (adelie["species"] == "Adelie").all()
    # The errors that need a fitted GAN, on this one (after the draws above,
    # which must be the sampler's first).
    with pytest.raises(kerasnn.KerasnnValueError, match="categorical column"):
        gan.sample(5, condition={"body_mass_g": 4000})
    with pytest.raises(kerasnn.KerasnnValueError, match="never occurs"):
        gan.sample(5, condition={"species": "Emperor"})
    with pytest.raises(kerasnn.KerasnnTypeError, match="dict of one"):
        gan.sample(5, condition="Gentoo")
    with pytest.raises(kerasnn.KerasnnValueError, match="end in '.keras'"):
        gan.save(tmp_path / "gan.h5")


def test_save_and_load_errors(tmp_path):
    import keras

    with pytest.raises(kerasnn.KerasnnValueError, match="not fitted"):
        kerasnn.CTGAN().save(tmp_path / "gan.keras")
    # A fitted GAN saved as .h5: in the saved-generator test.
    other = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    other.save(tmp_path / "other.keras")
    with pytest.raises(kerasnn.KerasnnValueError, match="saved by CTGAN.save"):
        kerasnn.CTGAN.load(tmp_path / "other.keras")


def test_fit_shows_keras_progress_unless_silenced(rng, capsys):
    import keras

    X = pd.DataFrame({"c": rng.choice(["a", "b"], 40),
                      "x": rng.normal(size=40)})

    # The silent runs need one epoch only: nothing is printed in it.
    def fit(epochs=1, **kwargs):
        kerasnn.CTGAN(epochs=epochs, batch_size=20, pac=2, width=8,
                      noise_dim=4, max_modes=2, seed=0, **kwargs).fit(X)
        return capsys.readouterr().out

    out = fit(epochs=2)  # verbose="auto": Keras's progress bar, epoch by epoch
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "generator_loss" in out
    assert "Epoch" not in fit(verbose=0)
    quiet = kerasnn.CTGAN(epochs=1, batch_size=20, pac=2, width=8,
                          noise_dim=4, max_modes=2, seed=0)
    quiet.fit(X, verbose=0)  # fit's own verbose wins over the constructor's
    assert "Epoch" not in capsys.readouterr().out
    keras.config.disable_interactive_logging()
    try:
        assert "Epoch" not in fit()
    finally:
        keras.config.enable_interactive_logging()
