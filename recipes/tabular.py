"""Recipe: train a tabular model on a CSV, evaluate it on held-out rows.

    python -m kerasnn.recipes.tabular --out runs/penguins            # embedded data
    python -m kerasnn.recipes.tabular --csv data.csv --target price --out runs/price
    python -m kerasnn.recipes.tabular --csv train.csv --test-csv test.csv \\
        --target label --search bayesian --trials 10 --out runs/label
    python -m kerasnn.recipes.tabular --csv posts.csv --target sports politics \\
        --out runs/tags                  # several 0/1 columns: multi-label

Writes `DIR/metrics.json` (`status`, `problem`, `n_train`, `n_test`,
`train_seconds` and the test metrics: `accuracy` and `auc` for binary,
`accuracy` for multiclass, `rmse`, `mae`, `r2` for regression; for
multi-label, `accuracy`, `auc` and `f1` averaged over the labels and each
label's own in `per_label`),
`DIR/model.keras` (takes raw rows: `model.predict(dict(df))`),
`DIR/history.csv` (every epoch, those before a kill included) and
`DIR/history.png`. Rows whose target is missing are
dropped and counted. With no `--csv` it trains on the Palmer penguins table
shipped in `recipes/data/penguins.csv` (target `species`).

Training keeps its state in `--backup-dir`: a run killed mid-training and
started again with the same command resumes after its last finished epoch.
Exit status: 0 on success, 2 for bad input (one-line message), 1 when the
training failed (NaN loss): then `metrics.json` has `status: "failed"` and
no model is saved.
"""

import collections
import math
import os
import shutil
import sys
import time

import numpy as np
import pandas as pd

from ._cli_parsers import DEFAULT_CSV
from ._cli_parsers import DEFAULT_TARGET
from ._cli_parsers import tabular_parser
from ._common import RecipeError
from ._common import distribution_strategy
from ._common import finite_or_none
from ._common import output_dir
from ._common import plot_history
from ._common import print_msg
from ._common import recipe_verbose
from ._common import run_main
from ._common import save_model
from ._common import set_seed
from ._common import write_history
from ._common import write_json


#: The rows a run trains and tests on, and what they hold.
Table = collections.namedtuple("Table", [
    "csv", "target", "problem", "X_train", "y_train", "X_test", "y_test",
    "dropped", "dropped_test"])
#: What training gave: the model, its `History`, the options `--search`
#: chose (or `None`) and the seconds it took.
Trained = collections.namedtuple("Trained", ["model", "history", "tuned",
                                             "seconds"])


def main(argv=None, *, prog=None, extra_callbacks=(), verbose="auto"):
    """Runs the recipe; returns the exit status (0 ok, 1 failed training).

    Args:
        argv: The command line's arguments (`None`: `sys.argv[1:]`).
        prog: The program name shown in `--help`.
        extra_callbacks: Keras callbacks added to the training's.
        verbose: `"auto"`, 0, 1 or 2: the training's progress, as in
            `Model.fit`. `"auto"` is 2, one line per epoch, which Keras
            advises when the output goes to a file; `--quiet` makes it 0.
            Every line goes through Keras's logging:
            `keras.config.disable_interactive_logging()` sends them to the
            log instead of stdout. Defaults to `"auto"`.
    """
    args = _parse(argv, prog)
    args.verbose = recipe_verbose(verbose, args.quiet)
    set_seed(args.seed)
    table = _read_table(args)
    output_dir(args.out)
    backup = args.backup_dir or os.path.join(args.out, "backup")
    trained = _train(args, table, backup, extra_callbacks)
    return _report(args, table, trained, backup)


def _read_table(args):
    """The training and test rows, checked; `--test-csv`, or a split."""
    from kerasnn.errors import did_you_mean

    csv = args.csv or DEFAULT_CSV
    targets = args.target or [DEFAULT_TARGET]
    # Several target columns are the labels of a multi-label task.
    target = targets[0] if len(targets) == 1 else targets
    df = load_table(csv, "--csv")
    _check_target_columns(df, targets, csv, did_you_mean)
    df, dropped = _drop_missing_target(df, targets, csv)
    if df.shape[1] <= len(targets):
        raise RecipeError(f"{csv} has no feature columns besides the target "
                          f"{target!r}.")
    y = df[target]
    problem = _problem(y, target, args.problem, csv)
    X = df.drop(columns=targets)
    dropped_test = 0
    if args.test_csv:
        test = load_table(args.test_csv, "--test-csv")
        _check_target_columns(test, targets, args.test_csv, did_you_mean)
        test, dropped_test = _drop_missing_target(test, targets, args.test_csv)
        if isinstance(target, list):
            _multilabel_problem(test[target], problem, args.test_csv)
        absent = [c for c in X.columns if c not in test.columns]
        if absent:
            raise RecipeError(f"--test-csv {args.test_csv} lacks the feature "
                              f"column(s) {absent} of {csv}.")
        X_train, y_train = X, y
        X_test, y_test = test[X.columns], test[target]
    else:
        X_train, X_test, y_train, y_test = _split(X, y, args, problem)
    return Table(csv, target, problem, X_train, y_train, X_test, y_test,
                 dropped, dropped_test)


def _problem(y, target, problem, csv):
    """The problem type: `--problem`, or inferred from the target."""
    from kerasnn.errors import KerasnnError
    from kerasnn.problems import infer_problem

    if isinstance(target, list):
        return _multilabel_problem(y, problem, csv)
    if y.nunique() < 2:
        raise RecipeError(
            f"target {target!r} in {csv} has a single value {y.iloc[0]!r}: "
            "there is nothing to learn. Check --target.")
    try:
        return problem or infer_problem(y)
    except KerasnnError as error:
        raise RecipeError(f"target {target!r}: {error}") from None


def _train(args, table, backup, extra_callbacks):
    """`--search` if asked, then `train_tabular` on the training rows."""
    from kerasnn.errors import KerasnnError

    options = {"problem": table.problem, "epochs": args.epochs or "auto",
               "seed": args.seed, "patience": args.patience or "auto",
               "restarts": args.restarts,
               "class_weight": args.class_weight, "oversample": args.oversample,
               "verbose": args.verbose,
               "callbacks": list(extra_callbacks),
               "strategy": distribution_strategy(args.distribute)}
    if args.batch_size:
        options["batch_size"] = args.batch_size
    start = time.perf_counter()
    tuned = None
    try:
        from kerasnn.tabular.training import train_tabular

        if args.search:
            from kerasnn.extras.tuning import tune

            search = tune(table.X_train, table.y_train, problem=table.problem,
                          search=args.search, max_trials=args.trials,
                          **({"epochs": args.epochs} if args.epochs
                             else {}),
                          directory=os.path.join(args.out, "search"),
                          project_name=args.search, seed=args.seed,
                          verbose=args.verbose)
            tuned = search.best_options
            search.trials.to_csv(os.path.join(args.out, "trials.csv"),
                                 index=False)
            options.update(tuned)
        result = train_tabular(table.X_train, table.y_train,
                               backup_dir=backup, **options)
    except KerasnnError as error:
        raise RecipeError(str(error)) from None
    return Trained(result.model, result.history, tuned,
                   time.perf_counter() - start)


def _report(args, table, trained, backup):
    """Scores the test rows and writes the outputs; the exit status."""
    model, history, t = trained.model, trained.history, table
    metrics = {"problem": t.problem, "target": t.target, "csv": t.csv,
               "test_csv": args.test_csv, "n_train": int(len(t.y_train)),
               "n_test": int(len(t.y_test)),
               "n_dropped_missing_target": t.dropped,
               "n_dropped_missing_target_test": t.dropped_test,
               "train_seconds": round(trained.seconds, 3),
               "epochs_run": len(history.epoch),
               "seed": args.seed, "best_options": trained.tuned,
               "columns": model.columns, "classes": model.classes}
    write_history(history, os.path.join(args.out, "history.csv"))
    losses = history.history.get("loss", [])
    predictions = np.asarray(model.predict(t.X_test, verbose=0),
                             dtype="float64")
    if not losses or not all(math.isfinite(v) for v in losses) or not np.all(
        np.isfinite(predictions)
    ):
        metrics.update(status="failed", reason="the loss or the predictions "
                       "went NaN/inf; lower the learning rate")
        write_json(os.path.join(args.out, "metrics.json"), metrics)
        print(f"error: training failed (NaN loss); see {args.out}/metrics.json",
              file=sys.stderr)
        return 1
    metrics.update(status="ok", **test_metrics(t.problem, t.y_test,
                                                predictions, model.classes))
    save_model(model, os.path.join(args.out, "model.keras"))
    plot_history(history, os.path.join(args.out, "history.png"),
                 title=f"{os.path.basename(t.csv)}: {t.target} ({t.problem})")
    write_json(os.path.join(args.out, "metrics.json"), metrics)
    if os.path.isdir(backup):
        shutil.rmtree(backup)
    shown = {k: metrics[k] for k in ("accuracy", "auc", "rmse", "mae", "r2")
             if k in metrics}
    print_msg(f"{t.problem} on {t.target!r}: trained on {metrics['n_train']} rows "
              f"in {trained.seconds:.1f} s, test ({metrics['n_test']} rows): "
              + ", ".join(f"{k}={v:.4g}" if v is not None else f"{k}=n/a"
                          for k, v in shown.items())
              + (f"; dropped {t.dropped} row(s) with a missing target"
                 if t.dropped else "")
              + f". Wrote {args.out}/")
    return 0


def load_table(path, flag):
    """Reads a CSV as data only (no code is ever evaluated)."""
    if not os.path.isfile(path):
        raise RecipeError(f"{flag} {path}: no such file.")
    try:
        # "?" is a common missing-value mark (UCI data sets); values may
        # carry a space after the comma.
        df = pd.read_csv(path, skipinitialspace=True, na_values=["?"])
    except pd.errors.EmptyDataError:
        raise RecipeError(f"{flag} {path} is empty.") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise RecipeError(f"{flag} {path} is not a readable CSV: {error}") from None
    if df.empty:
        raise RecipeError(f"{flag} {path} has a header but no data rows.")
    return df


def test_metrics(problem, y_true, predictions, classes):
    """Held-out metrics: accuracy (+ ROC AUC), or RMSE, MAE and R²."""
    from sklearn import metrics

    if problem == "multilabel":
        from kerasnn.multilabel import label_scores

        scores = label_scores(y_true, predictions, labels=classes)
        mean = scores.loc["mean"]
        return {"accuracy": finite_or_none(mean["accuracy"]),
                "auc": finite_or_none(mean["auc"]),
                "f1": finite_or_none(mean["f1"]),
                "per_label": {
                    str(label): {k: finite_or_none(scores.loc[label, k])
                                 for k in ("auc", "accuracy", "f1")}
                    for label in classes}}
    y_true = np.asarray(y_true)
    if problem == "regression":
        pred = predictions.reshape(-1)
        y_true = y_true.astype("float64")
        return {"rmse": finite_or_none(np.sqrt(metrics.mean_squared_error(y_true,
                                                                          pred))),
                "mae": finite_or_none(metrics.mean_absolute_error(y_true, pred)),
                "r2": finite_or_none(metrics.r2_score(y_true, pred))
                if len(y_true) > 1 else None}
    if problem == "binary":
        index = (predictions.reshape(-1) > 0.5).astype(int)
    else:
        index = predictions.argmax(axis=1)
    labels = np.asarray(classes, dtype=object)[index]
    truth = np.asarray(y_true, dtype=object)
    result = {"accuracy": float(np.mean(labels == truth))}
    if problem == "binary":
        positive = truth == classes[1]
        result["auc"] = (finite_or_none(metrics.roc_auc_score(
            positive, predictions.reshape(-1)))
            if 0 < positive.sum() < len(positive) else None)
    return result


def _parse(argv, prog=None):
    args = tabular_parser(prog).parse_args(argv)
    if args.distribute == "multiprocess":
        raise RecipeError(
            "--distribute multiprocess runs on JAX, and the tabular model "
            "takes raw strings, which need TensorFlow. Received: --distribute "
            "multiprocess. Use --distribute mirrored here, or train "
            "kerasnn.build_model on numeric arrays across processes (see "
            "docs/scale-out.md).")
    if args.csv and not args.target:
        raise RecipeError("--target is required with --csv (the column to "
                          "predict).")
    if not 0 < args.test_size < 1:
        raise RecipeError(f"--test-size must be in (0, 1). Received: "
                          f"{args.test_size}.")
    return args


def _check_target_columns(df, targets, path, did_you_mean):
    if len(set(targets)) < len(targets):
        raise RecipeError(f"--target names a column twice. Received: "
                          f"{' '.join(targets)}.")
    for target in targets:
        if target not in df.columns:
            columns = [str(c) for c in df.columns]
            raise RecipeError(
                f"--target {target!r} is not a column of {path}. Columns: "
                f"{', '.join(columns)}.{did_you_mean(target, columns)}")


def _multilabel_problem(labels, problem, path):
    """Checks several target columns as the 0/1 labels of a multi-label task."""
    from kerasnn.errors import KerasnnError
    from kerasnn.tabular.model import check_tabular_target

    try:
        return check_tabular_target(labels, len(labels),
                                    problem or "multilabel")[1]
    except KerasnnError as error:
        raise RecipeError(f"--target {' '.join(map(str, labels.columns))} "
                          f"in {path}: {error}") from None


def _drop_missing_target(df, targets, path):
    missing = df[targets].isna().any(axis=1)
    target = targets[0] if len(targets) == 1 else targets
    if missing.all():
        raise RecipeError(f"target {target!r} in {path} is missing (NaN) on "
                          f"every row ({len(df)}).")
    dropped = int(missing.sum())
    if dropped:
        print_msg(f"Dropped {dropped} row(s) of {path} whose target "
                  f"{target!r} is missing.")
    return df.loc[~missing], dropped


def _split(X, y, args, problem):
    from sklearn.model_selection import train_test_split

    stratify = None
    # A multi-label row has no single class to stratify by.
    if problem not in ("regression", "multilabel"):
        counts = y.astype(str).value_counts()
        if counts.min() < 2:
            raise RecipeError(
                f"class {counts.index[-1]!r} of the target has {counts.iloc[-1]} "
                "row: a stratified test split needs at least 2 of each class. "
                "Drop it or pass --test-csv.")
        stratify = y
    try:
        return train_test_split(X, y, test_size=args.test_size, shuffle=True,
                                stratify=stratify, random_state=args.seed)
    except ValueError as error:
        raise RecipeError(f"cannot split off --test-size {args.test_size}: "
                          f"{error}") from None


if __name__ == "__main__":
    sys.exit(run_main(main))
