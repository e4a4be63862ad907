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

`--defaults previous` trains with the defaults before the faster training
(`PREVIOUS`, spelled out as options so that they stay reproducible), `both`
trains them beside the current ones, timed in the same run. `--profile`
trains one set and seed and prints where an epoch's time goes (see
`profile`). `--tune TRIALS` times `kerasnn.tune` (a random search of TRIALS
trials) on each set, beside one `train_tabular`.

    python -m benchmarks.bench_tabular            # adult, housing, penguins
    python -m benchmarks.bench_tabular --defaults both --seeds 0 1 2
    python -m benchmarks.bench_tabular --profile --only housing
    python -m benchmarks.bench_tabular --tune 10 --only adult
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

#: `train_tabular`'s defaults before the faster training, as options.
#: (Before the round of 2026-12-07 this spelled out the defaults before
#: `preprocess_once` and `target_transform="auto"`: `{"target_transform":
#: "compare", "preprocess_once": False}`; see RESULTS.md.)
#: Their `batch_size="auto"` was 4% of the training rows, at most 512:
#: 512 on adult and housing (penguins: 32).
PREVIOUS = {"target_transform": "auto", "preprocess_once": False,
            "lr_schedule": "plateau", "epochs": 200, "batch_size": 512}


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
    parser.add_argument("--defaults", choices=("new", "previous", "both"),
                        default="new",
                        help="the current defaults, the previous ones "
                             "(PREVIOUS), or both side by side")
    parser.add_argument("--profile", action="store_true",
                        help="where an epoch's time goes, on the first set "
                             "and seed")
    parser.add_argument("--tune", type=int, default=None, metavar="TRIALS",
                        help="time `kerasnn.tune` (random search, TRIALS "
                             "trials) on each set instead, beside one "
                             "`train_tabular` with the defaults")
    args = parser.parse_args(argv)
    options = dict(_option(text) for text in args.option)
    if args.tune:
        for name in args.only or list(DATA):
            split = load_split(args.data, name, args.seeds[0],
                               args.validation)
            run_tune(*split, args.seeds[0], args.tune, options, name)
        return 0
    if args.profile:
        name = (args.only or list(DATA))[0]
        return profile(*load_split(args.data, name, args.seeds[0],
                                   args.validation), args.seeds[0],
                       {**(PREVIOUS if args.defaults == "previous" else {}),
                        **options}, name)
    variants = {"new": [("kerasnn", options)],
                "previous": [("previous", {**PREVIOUS, **options})],
                "both": [("previous", {**PREVIOUS, **options}),
                         ("kerasnn", options)]}[args.defaults]

    per_seed = []
    for seed in args.seeds:
        rows = []
        for name in args.only or list(DATA):
            X_train, X_test, y_train, y_test, problem = load_split(
                args.data, name, seed, args.validation)
            for who, settings in variants:
                rows.append((who, name, *run_kerasnn(
                    X_train, y_train, X_test, y_test, problem, seed,
                    settings)))
            if not args.no_boosting:
                rows.append(("boosting", name, *run_boosting(
                    X_train, y_train, X_test, y_test, problem, seed)))
        part = "validation part" if args.validation else "80/20 split"
        print_table(rows, title=f"seed {seed} ({part}, random_state={seed}); "
                                f"kerasnn options {options or 'defaults'}"
                                + (f", previous: {PREVIOUS}"
                                   if args.defaults != "new" else "") + ":")
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
        tabular = model.get_config()["tabular"]
        print(f"target_transform={model.target_transform!r}, skewness: "
              f"{tabular.get('target_skewness')}, validation "
              f"RMSE: {tabular.get('target_transform_validation_rmse')}, "
              f"short runs: {tabular.get('target_transform_trial_rmse')}",
              flush=True)
    scores = model.predict(X_test, verbose=0)
    labels = predict_labels(model, X_test) if problem != "regression" else None
    return score(problem, y_test, scores, labels, model), seconds


def run_tune(X_train, X_test, y_train, y_test, problem, seed, trials,
             options, name):
    """Times a random search of `trials` trials with `tune`'s defaults and
    scores its best model on the test rows, beside `train_tabular`."""
    import tempfile

    from kerasnn.extras.tuning import tune
    from kerasnn.tabular.model import predict_labels

    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = tune(X_train, y_train, problem=problem, max_trials=trials,
                      seed=seed, directory=folder, verbose=0, **options)
        seconds = time.perf_counter() - start
    model = result.model
    labels = predict_labels(model, X_test) if problem != "regression" else None
    tuned = score(problem, y_test, model.predict(X_test, verbose=0), labels,
                  model)
    single, single_s = run_kerasnn(X_train, y_train, X_test, y_test,
                                   problem, seed, {})
    print(f"\n{name}: `tune` (random search, {trials} trials, seed {seed}) "
          f"beside `train_tabular`, in one run:\n")
    print("| run | " + " | ".join(tuned) + " | seconds |")
    print("| --- " * (len(tuned) + 2) + "|")
    for who, scores, secs in ((f"tune, {trials} trials", tuned, seconds),
                              ("train_tabular", single, single_s)):
        print(f"| {who} | " + " | ".join(_fmt(scores[m]) for m in tuned)
              + f" | {secs:.0f} |")
    print(f"\nbest options: {result.best_options}", flush=True)


def profile(X_train, X_test, y_train, y_test, problem, seed, options, name):
    """Where the time of `train_tabular` goes, on one set and seed.

    Prints each run's epochs (run and best), then one epoch of the kept
    model taken apart, each part timed on its second epoch (the first
    traces): the whole epoch inside `fit` (training and validation, read
    from callbacks), the preprocessing layers alone (`predict` of the
    layers up to the first weights that train), a train epoch of the
    network on already-encoded inputs (with and without XLA), the same
    number of steps of 8 rows (the per-step cost that does not depend on
    the rows: Python, dispatch, callbacks), and the validation pass.
    """
    import keras

    import kerasnn.tabular.training
    from kerasnn.tabular import _fit_loop
    from kerasnn.tabular.training import auto_validation_split
    from kerasnn.tabular.training import split_rows

    print(f"profile of {name}, seed {seed}, options {options or 'defaults'};"
          f" load {_load()}", flush=True)
    timer = EpochTimer()
    start = time.perf_counter()
    result = kerasnn.tabular.training.train_tabular(
        X_train, y_train, problem=problem, seed=seed, verbose=0,
        callbacks=[timer], **options)
    total = time.perf_counter() - start
    model = result.model
    lines = ["", f"train_tabular: {total:.1f} s in {len(timer.runs)} run(s)",
             "", "| run | epochs run | best epoch | mean epoch s "
             "| of which validation s | run s |",
             "| --- | --- | --- | --- | --- | --- |"]
    for number, run in enumerate(timer.runs, 1):
        losses = run["val_loss"] or run["loss"]
        best = int(np.argmin(losses)) + 1 if losses else 0
        lines.append(
            f"| {number} | {len(run['epoch'])} | {best} | "
            f"{np.mean(run['epoch']):.2f} | {np.mean(run['test'] or [0]):.2f}"
            f" | {run['total']:.1f} |")
    print("\n".join(lines), flush=True)

    validation_split = options.get("validation_split",
                                   auto_validation_split(len(X_train)))
    train, val = split_rows(np.asarray(y_train), validation_split,
                            problem != "regression", seed)
    x = model.prepare_inputs(X_train.iloc[train])
    y = np.asarray(y_train)[train]  # labels as given: fit prepares them
    x_val = model.prepare_inputs(X_train.iloc[val])
    y_val = np.asarray(y_train)[val]
    batch = options.get("batch_size", "auto")
    batch = _fit_loop._batch_size(batch, len(y), model.backbone != "mlp")
    steps = -(-len(y) // batch)
    pre, _ = network_model(model, False)
    timings = {}

    def twice(function):
        function()
        begin = time.perf_counter()
        function()
        return time.perf_counter() - begin

    timings["preprocessing forward alone (predict)"] = twice(
        lambda: pre.predict(x, batch_size=batch, verbose=0))
    encoded = pre.predict(x, batch_size=batch, verbose=0)
    for jit in (False, True):
        net_model = network_model(model, jit)[1]
        fit_timer = EpochTimer()
        net_model.fit(encoded, y, batch_size=batch, epochs=2, verbose=0,
                      callbacks=[fit_timer], shuffle=True)
        label = " (XLA)" if jit else ""
        timings[f"network train epoch on encoded inputs{label}"] = (
            fit_timer.runs[-1]["epoch"][-1])
        if not jit:
            small = [v[:8 * steps] for v in encoded]
            fit_timer = EpochTimer()
            net_model.fit(small, y[:8 * steps], batch_size=8, epochs=2,
                          verbose=0, callbacks=[fit_timer])
            timings[f"{steps} steps of 8 rows (fixed per-step cost)"] = (
                fit_timer.runs[-1]["epoch"][-1])
    fit_timer = EpochTimer()
    model.fit(x, y, batch_size=batch, epochs=2, verbose=0,
              callbacks=[fit_timer], shuffle=True)
    timings["whole model train epoch, no validation"] = (
        fit_timer.runs[-1]["epoch"][-1])
    timings["validation pass (evaluate)"] = twice(
        lambda: model.evaluate(x_val, y_val, batch_size=batch, verbose=0))
    supports = keras.src.trainers.trainer.model_supports_jit(model)
    lines = ["", f"one epoch of the kept model: {len(y)} training rows, "
             f"{len(y_val)} validation rows, batch {batch}, {steps} steps, "
             f"backend {keras.backend.backend()}, whole model XLA-able: "
             f"{supports}; load {_load()}", "", "| part | seconds |",
             "| --- | --- |"]
    lines += [f"| {part} | {seconds:.2f} |" for part, seconds in timings.items()]
    print("\n".join(lines), flush=True)
    return 0


class EpochTimer:
    """Times each run's epochs and validation passes (a Keras callback)."""

    def __new__(cls):
        import keras

        class _Timer(keras.callbacks.Callback):
            def __init__(self):
                super().__init__()
                self.runs = []

            def on_train_begin(self, logs=None):
                self.runs.append({"epoch": [], "test": [], "loss": [],
                                  "val_loss": [], "total": 0.0})
                self._train = time.perf_counter()

            def on_train_end(self, logs=None):
                self.runs[-1]["total"] = time.perf_counter() - self._train

            def on_epoch_begin(self, epoch, logs=None):
                self._epoch = time.perf_counter()

            def on_epoch_end(self, epoch, logs=None):
                run = self.runs[-1]
                run["epoch"].append(time.perf_counter() - self._epoch)
                for key in ("loss", "val_loss"):
                    if logs and key in logs:
                        run[key].append(float(logs[key]))

            def on_test_begin(self, logs=None):
                self._test = time.perf_counter()

            def on_test_end(self, logs=None):
                if self.runs:
                    self.runs[-1]["test"].append(
                        time.perf_counter() - self._test)

        return _Timer()


def network_model(model, jit):
    """The layers after the preprocessing (`preprocessing model`, `network`),
    the network compiled as `model`, with XLA or not."""
    from kerasnn.tabular._preprocess_once import split_preprocessing

    preprocessing, network = split_preprocessing(model)
    optimizer = model.optimizer.__class__.from_config(
        model.optimizer.get_config())
    network.compile(optimizer=optimizer, loss=model.loss, jit_compile=jit)
    return preprocessing, network


def _load():
    return " / ".join(f"{v:.1f}" for v in os.getloadavg())


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
    previous = any("previous" in runs for runs in by_data.values())
    before = "| previous " if previous else ""
    lines = ["", title, "",
             f"| data | metric | kerasnn {before}| boosting | gap "
             "| kerasnn >= boosting |",
             "| --- " * (6 + previous) + "|"]
    for name, runs in by_data.items():
        ours, our_s = runs.get("kerasnn", runs.get("previous"))
        old, old_s = runs.get("previous", (None, None))
        theirs, their_s = runs.get("boosting", (None, None))
        for metric in ours:
            was = "" if old is None else f"| {_fmt(old[metric])} "
            if theirs is None:
                lines.append(f"| {name} | {metric} | {_fmt(ours[metric])} "
                             f"{was}| | | |")
                continue
            met = ("" if metric not in TARGETS
                   else "yes" if ours[metric] >= theirs[metric] else "NO")
            lines.append(
                f"| {name} | {metric} | {_fmt(ours[metric])} {was}| "
                f"{_fmt(theirs[metric])} | {_fmt(ours[metric] - theirs[metric])} "
                f"| {met} |")
        their = "" if their_s is None else f"{their_s:.1f}"
        ratio = "" if their_s is None else f"x{our_s / max(their_s, 1e-9):.0f}"
        was = "" if old_s is None else f"| {old_s:.1f} "
        if old_s is not None and "kerasnn" in runs:
            ratio += f" (x{our_s / max(old_s, 1e-9):.2f} of previous)"
        lines.append(f"| {name} | train seconds | {our_s:.1f} {was}| {their} | "
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
