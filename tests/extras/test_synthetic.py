"""Synthetic rows by sampling (`kerasnn.sample_rows`, `oversample="sample"`)."""

import numpy as np
import pandas as pd
import pytest

import kerasnn
from kerasnn.tabular.oversampling import oversample_sampling


@pytest.fixture
def table(rng):
    n = 200
    X = pd.DataFrame({
        "amount": np.where(rng.random(n) < 0.7, 0.0, rng.gamma(2, 500, n)),
        "age": rng.integers(18, 90, n),
        "score": rng.normal(50, 10, n),
        "colour": rng.choice(["red", "blue", "green"], n),
    })
    X.loc[::17, "score"] = np.nan
    y = np.where(X["colour"] == "green", "yes", "no")
    y[:5] = "yes"
    return X, y


def test_rows_keep_columns_dtypes_and_ranges(table):
    X, _ = table
    before = X.copy()
    rows = kerasnn.sample_rows(X, 500, seed=0)
    pd.testing.assert_frame_equal(X, before)
    assert list(rows.columns) == list(X.columns)
    assert rows.dtypes.equals(X.dtypes)
    assert len(rows) == 500
    for column in ("amount", "age", "score"):
        assert rows[column].min() >= X[column].min()
        assert rows[column].max() <= X[column].max()
    assert set(rows["colour"]) <= set(X["colour"])
    # Whole numbers stay whole; missing values carry over.
    assert (rows["age"] == rows["age"].round()).all()
    assert rows["score"].isna().any()


def test_noise_is_scaled_to_each_column_and_spikes_stay(table):
    X, _ = table
    copies = kerasnn.sample_rows(X, 300, noise=0.0, seed=0)
    assert set(copies["score"].dropna()) <= set(X["score"].dropna())
    jittered = kerasnn.sample_rows(X, 2000, noise=0.1, seed=0)
    assert not set(jittered["score"].dropna()) <= set(X["score"].dropna())
    moved = jittered["score"].std() / X["score"].std()
    assert 0.95 < moved < 1.1
    # 0 is 70% of `amount`: kept as it is, not spread into small amounts.
    zeros = (jittered["amount"] == 0).mean()
    assert zeros == pytest.approx((X["amount"] == 0).mean(), abs=0.05)


def test_classes_are_sampled_from_their_own_rows(table):
    X, y = table
    rows, labels = kerasnn.sample_rows(X, 400, y=y, classes=["yes"], seed=0)
    assert (labels == "yes").all() and len(rows) == 400
    # Class "yes" is green but for 5 rows: so are most of its new rows.
    share = (rows["colour"] == "green").mean()
    expected = (X.loc[y == "yes", "colour"] == "green").mean()
    assert share == pytest.approx(expected, abs=0.06)
    both, both_labels = kerasnn.sample_rows(X, 1000, y=y, seed=1)
    assert (both_labels == "yes").mean() == pytest.approx((y == "yes").mean(),
                                                          abs=0.05)


def test_same_seed_same_rows(table):
    X, y = table
    a = kerasnn.sample_rows(X, 50, y=y, seed=3)
    b = kerasnn.sample_rows(X, 50, y=y, seed=3)
    pd.testing.assert_frame_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_oversampling_balances_the_classes(table):
    X, y = table
    kinds = kerasnn.column_kinds(X)
    X_out, y_out = oversample_sampling(X, y, kinds, seed=0)
    counts = pd.Series(y_out).value_counts()
    assert counts["yes"] == counts["no"] == (y == "no").sum()
    pd.testing.assert_frame_equal(X_out.iloc[:len(X)], X)


@pytest.mark.tf_only
def test_train_tabular_oversamples_by_sampling(table):
    X, y = table
    result = kerasnn.train_tabular(X, y, oversample="sample", epochs=1, seed=0,
                                   hidden=[8])
    assert result.model.classes == ["no", "yes"]


@pytest.mark.parametrize("kwargs, error, message", [
    ({"n": 0}, kerasnn.KerasnnValueError, "`n`"),
    ({"noise": -1.0}, kerasnn.KerasnnValueError, "noise"),
    ({"classes": ["yes"]}, kerasnn.KerasnnValueError, "needs the labels"),
    ({"y": "labels"}, kerasnn.KerasnnError, "y"),
])
def test_bad_arguments(table, kwargs, error, message):
    X, _ = table
    with pytest.raises(error, match=message):
        kerasnn.sample_rows(X, **{"n": 10, **kwargs})


def test_unknown_class(table):
    X, y = table
    with pytest.raises(kerasnn.KerasnnValueError, match="not in `y`: \\['maybe'\\]"):
        kerasnn.sample_rows(X, 10, y=y, classes=["maybe"])
    with pytest.raises(kerasnn.KerasnnTypeError, match="list of labels"):
        kerasnn.sample_rows(X, 10, y=y, classes="yes")
