"""kerasnn's tabular model against gradient boosting, side by side.

Each data set from `../shared/data` (or `--data`) is split 80/20 (stratified
for classification, `random_state=seed`); `kerasnn.train_tabular` with its
defaults (`seed=seed`) and scikit-learn's `HistGradientBoosting*` (default
settings, `categorical_features="from_dtype"`, `random_state=seed`) are
trained on the same 80% and scored on the same 20%, timed in the same run.
With several seeds the table of each seed is followed by their mean.

`--validation` tunes without touching the test rows: the 80% is split again
80/20 (`random_state=seed`) and the models are scored on that validation
part. `--option NAME=VALUE` passes an option to `train_tabular`.

    python -m benchmarks.bench_tabular            # adult, housing, penguins
    python -m benchmarks.bench_tabular --seeds 0 1 2
    python -m benchmarks.bench_tabular --only adult --validation \
        --option backbone=mlp --option k=4
"""

import argparse
import os
import time

import numpy as np
import pandas as pd

DATA = {
    # name: (path under the data folder, target, problem)
    "adult": ("adult/adult.csv", "Salary", "binary"),
    "housing": ("housing/housing.csv", "median_house_value", "regression"),
    "penguins": ("penguins/penguins.csv", "species", "multiclass"),
}

#: The scores that kerasnn should match or beat boosting on.
TARGETS = ("accuracy", "auc", "r2")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--data", default=os.path.join(here, "..", "..", "shared",
                                                       "data"))
    parser.add_argument("--only", nargs="*", choices=sorted(DATA), default=None)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--validation", action="store_true",
                        help="score on a validation part of the training rows")
    parser.add_argument("--option", action="append", default=[],
                        metavar="NAME=VALUE",
                        help="a train_tabular option (a Python literal)")
    parser.add_argument("--no-boosting", action="store_true")
    args = parser.parse_args(argv)
    options = dict(_option(text) for text in args.option)

    per_seed = []
    for seed in args.seeds:
        rows = []
        for name in args.only or list(DATA):
            X_train, X_test, y_train, y_test, problem = load_split(
                args.data, name, seed, args.validation)
            rows.append(("kerasnn", name, *run_kerasnn(
                X_train, y_train, X_test, y_test, problem, seed, options)))
            if not args.no_boosting:
                rows.append(("boosting", name, *run_boosting(
                    X_train, y_train, X_test, y_test, problem, seed)))
        part = "validation part" if args.validation else "80/20 split"
        print_table(rows, title=f"seed {seed} ({part}, random_state={seed}); "
                                f"kerasnn options {options or 'defaults'}:")
        per_seed.append(rows)
    if len(per_seed) > 1:
        print_table(mean_rows(per_seed),
                    title=f"mean over seeds {args.seeds}:")
    return 0


def load_split(folder, name, seed, validation):
    """The training and scoring parts of data set `name`."""
    from sklearn.model_selection import train_test_split

    path, target, problem = DATA[name]
    df = pd.read_csv(os.path.join(folder, path), skipinitialspace=True,
                     na_values=["?"])
    df = df.dropna(subset=[target])
    X, y = df.drop(columns=[target]), df[target]
    parts = train_test_split(X, y, test_size=0.2, random_state=seed,
                             stratify=None if problem == "regression" else y)
    if validation:
        X, y = parts[0], parts[2]
        parts = train_test_split(X, y, test_size=0.2, random_state=seed,
                                 stratify=None if problem == "regression"
                                 else y)
    return (*parts, problem)


def mean_rows(per_seed):
    """The mean of each score and time over the seeds' rows."""
    rows = []
    for i, (who, name, result, _) in enumerate(per_seed[0]):
        runs = [rows_[i] for rows_ in per_seed]
        rows.append((who, name,
                     {m: float(np.mean([r[2][m] for r in runs])) for m in result},
                     float(np.mean([r[3] for r in runs]))))
    return rows


def run_kerasnn(X_train, y_train, X_test, y_test, problem, seed, options):
    import kerasnn.tabular.training
    from kerasnn.tabular.model import predict_labels

    start = time.perf_counter()
    model = kerasnn.tabular.training.train_tabular(X_train, y_train, problem=problem,
                                           seed=seed, **options).model
    seconds = time.perf_counter() - start
    if problem == "regression":
        print(f"target_transform={model.target_transform!r}, validation "
              "RMSE: " + str(model.get_config()["tabular"].get(
                  "target_transform_validation_rmse")), flush=True)
    scores = model.predict(X_test, verbose=0)
    labels = predict_labels(model, X_test) if problem != "regression" else None
    return score(problem, y_test, scores, labels, model), seconds


def run_boosting(X_train, y_train, X_test, y_test, problem, seed):
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.ensemble import HistGradientBoostingRegressor

    def as_category(X):
        X = X.copy()
        for column in X.columns:
            if not pd.api.types.is_numeric_dtype(X[column]):
                X[column] = X[column].astype("category")
        return X

    X_train, X_test = as_category(X_train), as_category(X_test)
    X_test = X_test.astype({c: X_train[c].dtype for c in X_train.columns
                            if isinstance(X_train[c].dtype, pd.CategoricalDtype)})
    cls = (HistGradientBoostingRegressor if problem == "regression"
           else HistGradientBoostingClassifier)
    model = cls(categorical_features="from_dtype", random_state=seed)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    if problem == "regression":
        return score(problem, y_test, model.predict(X_test), None, None), seconds
    probabilities = model.predict_proba(X_test)
    if problem == "binary":
        probabilities = probabilities[:, 1:]
    return score(problem, y_test, probabilities, model.predict(X_test),
                 model), seconds


def score(problem, y_true, scores, labels, model):
    from sklearn import metrics

    y_true = np.asarray(y_true)
    scores = np.asarray(scores)
    if problem == "regression":
        pred = scores.reshape(-1)
        return {"rmse": float(np.sqrt(metrics.mean_squared_error(y_true, pred))),
                "mae": float(metrics.mean_absolute_error(y_true, pred)),
                "r2": float(metrics.r2_score(y_true, pred))}
    result = {"accuracy": float(metrics.accuracy_score(y_true, labels))}
    if problem == "binary":
        positive = list(model.classes if hasattr(model, "classes")
                        else model.classes_)[1]
        result["auc"] = float(metrics.roc_auc_score(y_true == positive,
                                                    scores.reshape(-1)))
    return result


def print_table(rows, title):
    by_data = {}
    for who, name, result, seconds in rows:
        by_data.setdefault(name, {})[who] = (result, seconds)
    lines = ["", title, "",
             "| data | metric | kerasnn | boosting | gap | kerasnn >= boosting |",
             "| --- | --- | --- | --- | --- | --- |"]
    for name, runs in by_data.items():
        ours, our_s = runs["kerasnn"]
        theirs, their_s = runs.get("boosting", (None, None))
        for metric in ours:
            if theirs is None:
                lines.append(f"| {name} | {metric} | {_fmt(ours[metric])} "
                             "| | | |")
                continue
            met = ("" if metric not in TARGETS
                   else "yes" if ours[metric] >= theirs[metric] else "NO")
            lines.append(
                f"| {name} | {metric} | {_fmt(ours[metric])} | "
                f"{_fmt(theirs[metric])} | {_fmt(ours[metric] - theirs[metric])} "
                f"| {met} |")
        their = "" if their_s is None else f"{their_s:.1f}"
        ratio = "" if their_s is None else f"x{our_s / max(their_s, 1e-9):.0f}"
        lines.append(f"| {name} | train seconds | {our_s:.1f} | {their} | "
                     f"{ratio} | |")
    print("\n".join(lines), flush=True)


def _option(text):
    import ast

    name, _, value = text.partition("=")
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return name, value


def _fmt(value):
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4f}"


if __name__ == "__main__":
    raise SystemExit(main())
