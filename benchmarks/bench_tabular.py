"""kerasnn's tabular model against gradient boosting, side by side.

Each data set from `../shared/data` (or `--data`) is split 80/20 (stratified
for classification, `random_state=0`); `kerasnn.train_tabular` with its
defaults and scikit-learn's `HistGradientBoosting*` (default settings,
`categorical_features="from_dtype"`) are trained on the same 80% and scored
on the same 20%, timed in the same run.

    python -m benchmarks.bench_tabular            # adult, housing, penguins
    python -m benchmarks.bench_tabular --only penguins
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

#: The figures to reach, per data set: metric -> minimum (maximum for rmse).
TARGETS = {
    "adult": {"accuracy": 0.860, "auc": 0.910},
    "housing": {"r2": 0.80},
    "penguins": {"accuracy": 0.97},
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    parser.add_argument("--data", default=os.path.join(here, "..", "..", "shared",
                                                       "data"))
    parser.add_argument("--only", nargs="*", choices=sorted(DATA), default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rows = []
    for name in args.only or list(DATA):
        path, target, problem = DATA[name]
        df = pd.read_csv(os.path.join(args.data, path), skipinitialspace=True,
                         na_values=["?"])
        df = df.dropna(subset=[target])
        X, y = df.drop(columns=[target]), df[target]
        from sklearn.model_selection import train_test_split

        X_train, X_test, y_train, y_test = train_test_split(
            X, y, test_size=0.2, random_state=0,
            stratify=None if problem == "regression" else y)
        rows += [("kerasnn", name, *run_kerasnn(X_train, y_train, X_test, y_test,
                                                  problem, args.seed)),
                 ("boosting", name, *run_boosting(X_train, y_train, X_test, y_test,
                                                   problem))]
        print_table(rows)
    print_table(rows, final=True)
    return 0


def run_kerasnn(X_train, y_train, X_test, y_test, problem, seed):
    import kerasnn.training
    from kerasnn.tabular import predict_labels

    start = time.perf_counter()
    model = kerasnn.training.train_tabular(X_train, y_train, problem=problem,
                                           seed=seed).model
    seconds = time.perf_counter() - start
    scores = model.predict(X_test, verbose=0)
    labels = predict_labels(model, X_test) if problem != "regression" else None
    return score(problem, y_test, scores, labels, model), seconds


def run_boosting(X_train, y_train, X_test, y_test, problem):
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
    model = cls(categorical_features="from_dtype", random_state=0)
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


def print_table(rows, final=False):
    by_data = {}
    for who, name, result, seconds in rows:
        by_data.setdefault(name, {})[who] = (result, seconds)
    lines = ["", "| data | metric | kerasnn | boosting | gap | target | met |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for name, runs in by_data.items():
        if "kerasnn" not in runs or "boosting" not in runs:
            continue
        (ours, our_s), (theirs, their_s) = runs["kerasnn"], runs["boosting"]
        for metric in ours:
            target = TARGETS[name].get(metric)
            better_low = metric in ("rmse", "mae")
            met = "" if target is None else (
                "yes" if (ours[metric] <= target if better_low
                          else ours[metric] >= target) else "NO")
            lines.append(
                f"| {name} | {metric} | {_fmt(ours[metric])} | "
                f"{_fmt(theirs[metric])} | {_fmt(ours[metric] - theirs[metric])} | "
                f"{'' if target is None else _fmt(target)} | {met} |")
        lines.append(f"| {name} | train seconds | {our_s:.1f} | {their_s:.1f} | "
                     f"x{our_s / max(their_s, 1e-9):.0f} | | |")
    if final:
        lines.insert(0, "\nkerasnn (train_tabular defaults) vs HistGradientBoosting,"
                        " 80/20 split, random_state=0:")
    print("\n".join(lines), flush=True)


def _fmt(value):
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4f}"


if __name__ == "__main__":
    raise SystemExit(main())
