import json
import os
import re

import keras
import numpy as np
import pandas as pd
import pytest

from kerasnn import predict_labels
from kerasnn.recipes import tabular as recipe
from kerasnn.recipes._common import run_main

pytestmark = pytest.mark.tf_only


def _run(argv, capsys):
    status = run_main(recipe.main, argv)
    out = capsys.readouterr()
    return status, out.out, out.err


def _metrics(out):
    with open(os.path.join(out, "metrics.json")) as f:
        return json.load(f)


def _salary_csv(path, n=300, seed=0):
    """A binary table with strings, numbers and missing values."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n).astype(float)
    hours = rng.normal(40, 10, n).round()
    work = rng.choice(["Private", "Self-emp", "Gov", None], n)
    score = age + hours / 2 + rng.normal(0, 5, n)
    df = pd.DataFrame({"age": age, "workclass": work, "hours": hours,
                       "Salary": np.where(score > 60, ">50K", "<=50K")})
    df.loc[[5, 11], "age"] = np.nan
    df.to_csv(path, index=False)
    return df


def _price_csv(path, n=300, seed=0):
    """A regression table whose target is in dollars."""
    rng = np.random.default_rng(seed)
    income = rng.gamma(4, 1, n)
    rooms = rng.integers(1, 8, n)
    value = 40_000 * income + 10_000 * rooms + rng.normal(0, 20_000, n)
    df = pd.DataFrame({"income": income, "rooms": rooms,
                       "median_house_value": value})
    df.to_csv(path, index=False)
    return df


@pytest.mark.slow
def test_default_run_uses_embedded_penguins(tmp_path, capsys):
    from sklearn.model_selection import train_test_split

    out = str(tmp_path / "run")
    status, stdout, _ = _run(["--epochs", "2", "--out", out, "--quiet"], capsys)
    assert status == 0, stdout
    metrics = _metrics(out)
    assert metrics["status"] == "ok" and metrics["problem"] == "multiclass"
    assert metrics["target"] == "species"
    assert metrics["n_train"] + metrics["n_test"] == 344
    assert metrics["train_seconds"] > 0
    for name in ("model.keras", "history.csv", "history.png"):
        assert os.path.isfile(os.path.join(out, name))
    assert not os.path.exists(os.path.join(out, "backup"))  # removed on success
    assert len(pd.read_csv(os.path.join(out, "history.csv"))) == 2
    # The saved model, on the recipe's own test split, scores what it says.
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    df = pd.read_csv(recipe.DEFAULT_CSV)
    X, y = df.drop(columns="species"), df["species"]
    _, X_test, _, y_test = train_test_split(X, y, test_size=0.2, shuffle=True,
                                            stratify=y, random_state=0)
    labels = predict_labels(model, X_test)
    assert metrics["accuracy"] == pytest.approx(
        np.mean(labels == y_test.to_numpy()))


@pytest.mark.slow
def test_binary_table_drops_missing_targets_with_a_count(tmp_path, capsys):
    csv = tmp_path / "salary.csv"
    df = _salary_csv(csv)
    df.loc[[3, 7], "Salary"] = np.nan
    df.to_csv(csv, index=False)
    out = str(tmp_path / "run")
    status, stdout, _ = _run(["--csv", str(csv), "--target", "Salary",
                              "--epochs", "2", "--out", out], capsys)
    assert status == 0
    assert "Dropped 2 row(s)" in stdout
    metrics = _metrics(out)
    assert metrics["problem"] == "binary" and metrics["n_dropped_missing_target"] == 2
    assert metrics["n_train"] + metrics["n_test"] == 298
    assert metrics["columns"] == {"age": "numeric", "workclass": "categorical",
                                  "hours": "numeric"}
    assert 0.5 < metrics["auc"] <= 1.0  # the label follows age and hours


@pytest.mark.slow
def test_regression_with_test_csv(tmp_path, capsys):
    df = _price_csv(tmp_path / "all.csv")
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    df.iloc[:240].to_csv(train, index=False)
    df.iloc[240:].to_csv(test, index=False)
    out = str(tmp_path / "run")
    status, _, _ = _run(["--csv", str(train), "--test-csv", str(test),
                         "--target", "median_house_value", "--epochs", "2",
                         "--out", out], capsys)
    assert status == 0
    metrics = _metrics(out)
    assert metrics["problem"] == "regression" and metrics["n_test"] == 60
    assert {"rmse", "mae", "r2"} <= set(metrics)
    assert metrics["rmse"] > 1000  # in dollars: predictions in target units


@pytest.mark.slow
def test_tune_then_train(tmp_path, capsys):
    out = str(tmp_path / "run")
    status, _, _ = _run(["--search", "random", "--trials", "1", "--epochs", "1",
                         "--out", out, "--quiet"], capsys)
    assert status == 0
    metrics = _metrics(out)
    assert "hidden" in metrics["best_options"]
    assert os.path.isfile(os.path.join(out, "trials.csv"))


@pytest.mark.slow
def test_nan_loss_is_a_failure_not_a_success(tmp_path, capsys, monkeypatch):
    import kerasnn.tabular.training

    real = kerasnn.tabular.training.train_tabular

    def diverging(*args, **kwargs):
        return real(*args, learning_rate=1e30, **kwargs)

    monkeypatch.setattr(kerasnn.tabular.training, "train_tabular", diverging)
    out = str(tmp_path / "run")
    status, _, stderr = _run(["--epochs", "3", "--out", out], capsys)
    assert status == 1 and "training failed" in stderr
    assert _metrics(out)["status"] == "failed"
    assert not os.path.exists(os.path.join(out, "model.keras"))


def test_patience_is_train_tabulars_unless_given(tmp_path, capsys,
                                                 monkeypatch):
    import kerasnn.tabular.training

    real, seen = kerasnn.tabular.training.train_tabular, []

    def recording(*args, **kwargs):
        seen.append(kwargs["patience"])
        return real(*args, **kwargs)

    monkeypatch.setattr(kerasnn.tabular.training, "train_tabular", recording)
    csv = tmp_path / "salary.csv"
    _salary_csv(csv, n=120)
    for run, extra in enumerate([[], ["--patience", "3"]]):
        status, stdout, _ = _run(
            ["--csv", str(csv), "--target", "Salary", "--epochs", "1",
             "--quiet", "--out", str(tmp_path / f"run{run}"), *extra], capsys)
        assert status == 0, stdout
    assert seen == ["auto", 3]


def test_several_targets_are_a_multilabel_task(tmp_path, capsys):
    rng = np.random.default_rng(0)
    n = 200
    df = pd.DataFrame({"hours": rng.uniform(0, 60, n),
                       "plan": rng.choice(["basic", "pro"], n)})
    df["heavy"] = (df["hours"] > 30).astype(int)
    df["paying"] = df["plan"] == "pro"
    df.loc[3, "heavy"] = np.nan  # dropped: one of the labels is missing
    csv = tmp_path / "tags.csv"
    df.to_csv(csv, index=False)
    out = str(tmp_path / "run")
    status, stdout, stderr = _run(["--csv", str(csv), "--target", "heavy",
                                   "paying", "--epochs", "30", "--out", out,
                                   "--quiet"], capsys)
    assert status == 0, stderr
    metrics = _metrics(out)
    assert metrics["problem"] == "multilabel"
    assert metrics["target"] == ["heavy", "paying"]
    assert metrics["classes"] == ["heavy", "paying"]
    assert metrics["n_dropped_missing_target"] == 1
    assert metrics["columns"] == {"hours": "numeric", "plan": "categorical"}
    assert set(metrics["per_label"]) == {"heavy", "paying"}
    assert metrics["auc"] > 0.9, metrics  # each label follows one column
    model = keras.saving.load_model(os.path.join(out, "model.keras"))
    assert predict_labels(model, df.head(4)).shape == (4, 2)


def _write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("make_argv, message", [
    (lambda p: ["--csv", str(p / "nope.csv"), "--target", "y"],
     "nope.csv: no such file"),
    (lambda p: ["--csv", _write(p, "a,b\n1,2\n3,4\n"), "--target", "price"],
     "--target 'price' is not a column of .*Columns: a, b"),
    (lambda p: ["--csv", _write(p, "a,b\n1,2\n3,4\n"), "--target", "A"],
     "Did you mean 'a'"),
    (lambda p: ["--csv", _write(p, "a,y\n1,\n2,\n"), "--target", "y"],
     "missing \\(NaN\\) on every row"),
    (lambda p: ["--csv", _write(p, "a,y\n1,cat\n2,cat\n3,\n"), "--target", "y"],
     "single value 'cat'"),
    (lambda p: ["--csv", _write(p, "a,y\n"), "--target", "y"],
     "header but no data rows"),
    (lambda p: ["--csv", _write(p, ""), "--target", "y"], "is empty"),
    (lambda p: ["--csv", _write(p, "a,y\n1,2\n")], "--target is required"),
    (lambda p: ["--test-csv", _write(p, "island,sex\nx,y\n")],
     "--target 'species' is not a column of"),
    (lambda p: ["--test-size", "1.5"], "--test-size must be in"),
    (lambda p: ["--csv", _write(p, "a,y,z\n1,0,2\n2,1,0\n"), "--target",
                "y", "z"], "--target y z in .*must hold 0/1"),
    (lambda p: ["--csv", _write(p, "a,y,z\n1,0,1\n2,1,0\n"), "--target",
                "y", "y"], "names a column twice"),
    (lambda p: ["--csv", _write(p, "a,y,z\n1,0,1\n2,1,0\n"), "--target",
                "y", "z", "--problem", "binary"], "Pass problem='multilabel'"),
    (lambda p: ["--csv", _write(p, "y\na\nb\n"), "--target", "y"],
     "no feature columns"),
])
def test_bad_input_exits_2_with_a_message(make_argv, message, tmp_path, capsys):
    argv = make_argv(tmp_path) + ["--out", str(tmp_path / "out"), "--epochs", "1"]
    status, _, stderr = _run(argv, capsys)
    assert status == 2
    assert stderr.startswith("error: ")
    assert re.search(message, stderr), stderr


def test_csv_is_read_as_data_only(tmp_path, capsys):
    path = _write(tmp_path, "a,y\n__import__('os').system('touch PWNED'),1\n")
    status, _, _ = _run(["--csv", path, "--target", "y", "--out",
                         str(tmp_path / "o")], capsys)
    assert status == 2  # a single value: nothing to learn, and nothing run
    assert not os.path.exists("PWNED")


@pytest.mark.slow
def test_distribute_mirrored_trains_under_the_strategy(tmp_path, capsys):
    out = str(tmp_path / "run")
    status, stdout, stderr = _run(["--epochs", "1", "--distribute", "mirrored",
                                   "--out", out], capsys)
    assert status == 0, stderr
    assert _metrics(out)["status"] == "ok"


def test_distribute_multiworker_is_refused_with_the_alternatives(tmp_path,
                                                                 capsys):
    with pytest.raises(SystemExit) as info:
        _run(["--epochs", "1", "--distribute", "multiworker",
              "--out", str(tmp_path / "run")], capsys)
    assert info.value.code == 2
    stderr = capsys.readouterr().err
    assert "'multiworker' was removed" in stderr
    assert "keras-team/keras#20585" in stderr
    assert "Use 'multiprocess'" in stderr and "or 'mirrored'" in stderr


def test_distribute_multiprocess_is_refused_for_raw_strings(tmp_path, capsys):
    status, _, stderr = _run(["--epochs", "1", "--distribute", "multiprocess",
                              "--out", str(tmp_path / "run")], capsys)
    assert status == 2
    assert stderr.strip() == (
        "error: --distribute multiprocess runs on JAX, and the tabular model "
        "takes raw strings, which need TensorFlow. Received: --distribute "
        "multiprocess. Use --distribute mirrored here, or train "
        "kerasnn.build_model on numeric arrays across processes (see "
        "docs/scale-out.md).")


def test_verbose_shows_the_runs_and_the_log_silences_them(tmp_path, capsys):
    _price_csv(tmp_path / "price.csv", n=60)
    argv = ["--csv", str(tmp_path / "price.csv"), "--target",
            "median_house_value", "--epochs", "1"]

    def run(name, **kwargs):
        status = recipe.main([*argv, "--out", str(tmp_path / name)], **kwargs)
        assert status == 0
        return capsys.readouterr().out

    out = run("loud", verbose=1)
    assert "train_tabular: " in out and "Run 1/" in out
    assert "regression on 'median_house_value': trained on" in out
    out = run("silent", verbose=0)
    assert "Run 1/" not in out and "Epoch 1/1" not in out
    assert "trained on" in out  # the result line stays
    keras.config.disable_interactive_logging()
    try:
        out = run("logged")  # verbose="auto": one line per epoch
    finally:
        keras.config.enable_interactive_logging()
    assert out == ""


def test_bad_verbose_is_refused(tmp_path):
    from kerasnn.errors import KerasnnValueError

    with pytest.raises(KerasnnValueError, match="Received: verbose='loud'"):
        recipe.main(["--out", str(tmp_path / "x"), "--epochs", "1"],
                    verbose="loud")
