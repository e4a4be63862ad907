"""`tune` (keras-tuner over a builder's options) and `cross_validate` (k-fold).

Both take the data and a builder: `kerasnn.build_tabular_model` (a DataFrame
and raw labels), or any builder shaped like `kerasnn.build_model` /
`kerasnn.build_image_model` (`builder(problem, input_shape, *, n_classes,
...)`, NumPy features and numeric labels).
"""

import inspect
import math
import numbers

import keras
import numpy as np
import pandas as pd

from kerasnn._random import seeded
from kerasnn._validation import check_callbacks
from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.problems import check_problem
from kerasnn.problems import infer_problem
from kerasnn.results import CrossValidationResult
from kerasnn.results import SearchResult
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import check_target
from kerasnn.tabular.training import split_rows

SEARCHES = ("random", "grid", "bayesian", "hyperband")

#: Default search spaces: option -> the values tried. `units` and `layers`
#: make `hidden=[units] * layers`; `batch_size` goes to `fit`.
DENSE_SPACE = {
    "units": [32, 64, 128, 256],
    "layers": [1, 2, 3],
    "dropout": [0.0, 0.1, 0.2, 0.3],
    "l2": [0.0, 1e-5, 1e-4, 1e-3],
    "learning_rate": [3e-4, 1e-3, 3e-3],
    "batch_size": [32, 64, 128, 256],
}
IMAGE_SPACE = {
    "filters": [16, 32, 64],
    "blocks": [1, 2, 3],
    "dropout": [0.0, 0.25, 0.4],
    "l2": [0.0, 1e-4],
    "learning_rate": [3e-4, 1e-3, 3e-3],
    "batch_size": [32, 64, 128],
}


def tune(X, y, *, builder=build_tabular_model, problem=None, search="random",
         max_trials=10, search_space=None, epochs=50, patience=10,
         validation_split=0.2, executions_per_trial=1, directory="kerasnn_tuning",
         project_name="tune", overwrite=False, seed=None, strategy=None,
         callbacks=None, verbose=0, **options):
    """Searches a builder's options with keras-tuner.

    The rows are split once into training and validation parts (shuffled,
    stratified for classification); each trial builds a model with one
    choice of options, trains it with early stopping on the validation loss,
    and is scored by its best validation loss. The search lives in
    `directory/project_name`: run again with the same arguments, it resumes
    and skips the trials already done (`overwrite=True` starts afresh).
    Setting `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and
    `KERASTUNER_ORACLE_PORT` runs this call as a keras-tuner chief or worker
    of a distributed search (all processes share `directory`).

    Args:
        X: Features: a DataFrame for `build_tabular_model`, an array otherwise.
        y: Labels (raw labels for the tabular builder; numbers otherwise).
        builder: The builder whose options are searched. Defaults to
            `kerasnn.build_tabular_model`.
        problem: Problem type, or `None` to infer it from `y`.
        search: `"random"`, `"grid"` (every combination in order: keep the
            space small), `"bayesian"` (Gaussian-process guided) or
            `"hyperband"` (many short runs, the best trained longer; the
            number of trials follows from `epochs`, not `max_trials`).
        max_trials: Integer. Most trials for random, grid and Bayesian search.
            Defaults to `10`.
        search_space: Dict `{option: [values]}` replacing the default space
            (`DENSE_SPACE`, or `IMAGE_SPACE` for a builder with `filters`).
            Keys are builder options, or `units`/`layers` (giving `hidden`),
            or `batch_size`.
        epochs: Integer. Most epochs per trial. Defaults to `50`.
        patience: Integer. Early-stopping patience per trial. Defaults to `10`.
        validation_split: Float in (0, 1). Defaults to `0.2`.
        executions_per_trial: Integer. Models trained per trial (averaged).
        directory, project_name: Where the search is kept.
        overwrite: Boolean. Start afresh instead of resuming. Defaults to
            `False`.
        seed: Integer or `None`. Seeds the split, the search and the
            weights. Python's and NumPy's global random states are put back
            when the call returns; the backend's global seed stays at `seed`.
        strategy: A `tf.distribute.Strategy` or `None`, passed to
            keras-tuner, which builds and trains each model under it.
        callbacks: List of extra Keras callbacks for every trial.
        verbose: Integer. Defaults to `0`.
        **options: Fixed builder options (e.g. `categorical=[...]`).

    Returns:
        A `kerasnn.results.SearchResult`: `.model`, the best model (weights
        of its best epoch); `.trials`, a DataFrame with one row per trial,
        best first (`trial_id`, `status`, `score` (validation loss),
        `best_step` and one column per option); `.best_options`, the best
        options as keyword arguments for the builder (plus `batch_size`),
        e.g. to retrain with `kerasnn.train_tabular(X, y,
        **result.best_options)`.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, before any
            search.

    Example:

    >>> result = tune(X, y, search="bayesian", max_trials=8,
    ...               directory="runs/tune")  # doctest: +SKIP
    >>> result.trials[["score", "units", "layers", "learning_rate"]].head()
    ...                                               # doctest: +SKIP
    """
    search = check_choice("search", search, SEARCHES)
    _check_strategy(strategy)
    max_trials = check_int("max_trials", max_trials)
    epochs = check_int("epochs", epochs)
    patience = check_int("patience", patience)
    executions_per_trial = check_int("executions_per_trial", executions_per_trial)
    validation_split = check_float("validation_split", validation_split, low=0.0,
                                   high=1.0, low_inclusive=False)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    callbacks = check_callbacks(callbacks)
    data = _Data(builder, X, y, problem)
    space = _check_space(search_space, builder, options)
    import keras_tuner  # only a search needs it

    with seeded(seed):
        train, val = split_rows(data.y, validation_split, data.classification,
                                seed)
        hypermodel = _hypermodel(keras_tuner, data, train, space, options, seed)
        common = dict(objective="val_loss", seed=seed, directory=directory,
                      project_name=project_name, overwrite=overwrite,
                      executions_per_trial=executions_per_trial,
                      distribution_strategy=strategy)
        if search == "hyperband":
            tuner = keras_tuner.Hyperband(hypermodel, max_epochs=epochs,
                                          factor=3, **common)
        else:
            cls = {"random": keras_tuner.RandomSearch,
                   "grid": keras_tuner.GridSearch,
                   "bayesian": keras_tuner.BayesianOptimization}[search]
            tuner = cls(hypermodel, max_trials=max_trials, **common)
        stop = keras.callbacks.EarlyStopping(monitor="val_loss",
                                             patience=patience,
                                             restore_best_weights=True)
        tuner.search(data.rows(train), data.y[train],
                     validation_data=(data.rows(val), data.y[val]),
                     epochs=epochs, callbacks=[stop, *callbacks],
                     verbose=verbose)
        trials = _trials_table(tuner)
        if trials.empty or not np.isfinite(trials["score"].astype(float)).any():
            raise KerasnnValueError(
                "No trial of the search finished with a finite validation "
                f"loss. Received: {len(trials)} trial(s) in "
                f"{directory}/{project_name}. Lower the learning rates in "
                "`search_space`, or pass overwrite=True to start afresh."
            )
        best = trials.iloc[0]
        best_options = _options(
            {k: best[k] for k in space if k in best.index and not _isnan(best[k])},
            fit=True,
        )
        model = tuner.get_best_models(num_models=1)[0]
    return SearchResult(model=model, trials=trials, best_options=best_options)


def cross_validate(X, y, *, builder=build_tabular_model, problem=None, n_splits=5,
                   epochs=100, patience=10, validation_split=0.2,
                   batch_size=None, seed=None, callbacks=None, verbose=0,
                   **options):
    """k-fold cross-validation of a builder: the honest score on small data.

    The rows are split into `n_splits` folds (shuffled; stratified by class
    for classification). For each fold a fresh model is built from the other
    folds only, trained with early stopping on a validation part of them
    (`validation_split`; `0` trains for `epochs`), and scored on the fold.

    Args:
        X, y, builder, problem: As in `tune`.
        n_splits: Integer >= 2. Number of folds. Defaults to `5`.
        epochs: Integer. Most epochs per fold. Defaults to `100`.
        patience: Integer. Early-stopping patience. Defaults to `10`.
        validation_split: Float in [0, 1). Part of the training folds used
            for early stopping. Defaults to `0.2`.
        batch_size: Integer or `None` (Keras's default, 32).
        seed: Integer or `None`. Seeds the folds and the weights. Python's
            and NumPy's global random states are put back when the call
            returns; the backend's global seed stays at `seed`.
        callbacks: List of extra Keras callbacks for every fold.
        verbose: Integer. Defaults to `0`.
        **options: Builder options, e.g. `hidden=[64]`, `dropout=0.2`.

    Returns:
        A `kerasnn.results.CrossValidationResult`: `.scores`, a DataFrame
        with one row per fold (`loss` and the model's metrics, plus
        `n_train`, `n_test`); `.mean` and `.std`, Series of the per-fold mean
        and standard deviation of each score.

    Example:

    >>> result = cross_validate(X, y, n_splits=5, seed=0)  # doctest: +SKIP
    >>> result.mean["accuracy"], result.std["accuracy"]  # doctest: +SKIP
    """
    from sklearn.model_selection import KFold
    from sklearn.model_selection import StratifiedKFold

    n_splits = check_int("n_splits", n_splits, minimum=2)
    epochs = check_int("epochs", epochs)
    patience = check_int("patience", patience)
    validation_split = check_float("validation_split", validation_split, low=0.0,
                                   high=1.0)
    batch_size = check_int("batch_size", batch_size, allow_none=True)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    callbacks = check_callbacks(callbacks)
    data = _Data(builder, X, y, problem)
    if n_splits > len(data.y):
        raise KerasnnValueError(
            f"`n_splits` must be at most the number of rows. Received: "
            f"n_splits={n_splits} with {len(data.y)} rows."
        )
    labels = pd.Series(data.y).astype(str).to_numpy()
    if data.classification:
        smallest = pd.Series(labels).value_counts().min()
        if smallest < n_splits:
            raise KerasnnValueError(
                "Stratified k-fold needs at least `n_splits` rows of each class. "
                f"Received: n_splits={n_splits} and a class with {smallest} "
                "row(s). Lower n_splits."
            )
        folds = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    else:
        folds = KFold(n_splits, shuffle=True, random_state=seed)
    with seeded(seed):
        rows = [_fold(data, fold, train, test, options, epochs=epochs,
                      patience=patience, validation_split=validation_split,
                      batch_size=batch_size, seed=seed, callbacks=callbacks,
                      verbose=verbose)
                for fold, (train, test) in enumerate(
                    folds.split(np.zeros(len(labels)), labels))]
    scores = pd.DataFrame(rows).set_index("fold")
    metrics = [c for c in scores.columns if c not in ("n_train", "n_test")]
    return CrossValidationResult(scores=scores, mean=scores[metrics].mean(),
                                 std=scores[metrics].std(ddof=1))


def _fold(data, fold, train, test, options, *, epochs, patience,
          validation_split, batch_size, seed, callbacks, verbose):
    """Builds on the other folds, trains with early stopping, scores `test`."""
    inner_train, inner_val = split_rows(data.y[train], validation_split,
                                        data.classification, seed)
    fit_rows, val_rows = train[inner_train], (
        None if inner_val is None else train[inner_val])
    model = data.build(fit_rows, options,
                       seed=None if seed is None else seed + fold)
    fold_callbacks = [keras.callbacks.TerminateOnNaN(), *callbacks]
    validation = None
    if val_rows is not None:
        validation = (data.rows(val_rows), data.y[val_rows])
        fold_callbacks.insert(0, keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=patience, restore_best_weights=True))
    model.fit(data.rows(fit_rows), data.y[fit_rows], validation_data=validation,
              epochs=epochs, batch_size=batch_size, callbacks=fold_callbacks,
              verbose=verbose)
    result = model.evaluate(data.rows(test), data.y[test], return_dict=True,
                            verbose=0)
    return {"fold": fold, **{k: float(v) for k, v in result.items()},
            "n_train": len(fit_rows), "n_test": len(test)}


class _Data:
    """The data of a search, checked once, and how to build for it."""

    def __init__(self, builder, X, y, problem):
        if not callable(builder):
            raise KerasnnTypeError(
                "`builder` must be a kerasnn builder such as "
                "kerasnn.build_tabular_model, kerasnn.build_model or "
                f"kerasnn.build_image_model. Received: builder={builder!r}."
            )
        self.builder = builder
        self.table = _is_table_builder(builder)
        if self.table:
            self.X = check_frame(X)
            self.y = check_target(y, len(X))
        else:
            self.X = _as_features(X)
            self.y = check_target(y, len(self.X))
        self.problem = infer_problem(self.y) if problem is None else check_problem(
            problem)
        self.classification = self.problem != "regression"
        self.n_classes = None
        if not self.table:
            self.y = self._numeric_labels()

    def rows(self, index):
        return self.X.iloc[index] if self.table else self.X[index]

    def build(self, index, options, seed=None):
        if seed is not None and "seed" not in options:
            options = {**options, "seed": seed}
        if self.table:
            return self.builder(self.X.iloc[index], self.y[index],
                                problem=self.problem, **options)
        return self.builder(self.problem, self.X.shape[1:],
                            n_classes=self.n_classes, **options)

    def _numeric_labels(self):
        y = self.y
        if not self.classification:
            return np.asarray(y, dtype="float32")
        values = np.unique(y)
        k = 2 if self.problem == "binary" else len(values)
        is_codes = np.asarray(y).dtype.kind in "biu" or (
            np.asarray(y).dtype.kind == "f" and np.all(values == np.round(values)))
        if not is_codes or not set(values.tolist()) <= set(range(k)):
            raise KerasnnValueError(
                f"A {self.problem} `y` for {self.builder.__name__} must hold "
                f"class codes 0..{k - 1}. Received: labels "
                f"{values[:6].tolist()}. Encode them (e.g. with "
                "sklearn.preprocessing.LabelEncoder) or use "
                "build_tabular_model, which takes raw labels."
            )
        self.n_classes = k if self.problem == "multiclass" else None
        return np.asarray(y).astype("int32")


def _is_table_builder(builder):
    if builder is build_tabular_model:
        return True
    try:
        first = next(iter(inspect.signature(builder).parameters))
    except (TypeError, ValueError, StopIteration):
        return False
    return first == "X"


def _as_features(X):
    if isinstance(X, pd.DataFrame):
        X = X.to_numpy()
    try:
        X = np.asarray(X, dtype="float32")
    except (TypeError, ValueError):
        raise KerasnnTypeError(
            "`X` must be numeric features for this builder. Received: values "
            "that are not numbers. Use builder=kerasnn.build_tabular_model for "
            "tables with strings."
        ) from None
    if X.ndim < 2 or len(X) == 0:
        raise KerasnnValueError(
            "`X` must be an array of samples, shape (n_samples, ...). Received: "
            f"shape {X.shape}."
        )
    bad = int((~np.isfinite(X)).sum())
    if bad:
        raise KerasnnValueError(
            "`X` must hold finite numbers for this builder. Received: "
            f"{bad} NaN or infinite value(s). Impute them first, or use "
            "builder=kerasnn.build_tabular_model, which fills and flags "
            "missing values."
        )
    return X


def _check_space(search_space, builder, options):
    params = inspect.signature(builder).parameters
    if search_space is None:
        space = IMAGE_SPACE if "filters" in params else DENSE_SPACE
        return {k: list(v) for k, v in space.items()}
    if not isinstance(search_space, dict) or not search_space:
        raise KerasnnTypeError(
            "`search_space` must be a non-empty dict {option: [values]}, e.g. "
            "{'units': [32, 64], 'dropout': [0.0, 0.2]}. Received: "
            f"search_space={search_space!r}."
        )
    allowed = set(params) | {"batch_size"}
    if "hidden" in params:
        allowed |= {"units", "layers"}
    space = {}
    for name, values in search_space.items():
        if name not in allowed or name in ("X", "y", "problem", "input_shape"):
            raise KerasnnValueError(
                f"`search_space` has an option that {builder.__name__} does "
                f"not take. Received: {name!r}. Allowed: "
                f"{sorted(a for a in allowed if a not in ('X', 'y', 'problem', 'input_shape'))}."
            )
        if name in options:
            raise KerasnnValueError(
                f"Option {name!r} is both searched and fixed. Received: "
                f"{name!r} in `search_space` and as a keyword argument."
            )
        if not isinstance(values, (list, tuple)) or not values or not all(
            isinstance(v, (numbers.Number, str)) for v in values
        ):
            raise KerasnnTypeError(
                f"`search_space[{name!r}]` must be a non-empty list of numbers "
                f"or strings. Received: {values!r}."
            )
        space[name] = _same_type(list(values))
    if ({"units", "layers"} & set(space)) and "hidden" in options:
        raise KerasnnValueError(
            "`hidden` cannot be fixed while `units`/`layers` are searched. "
            "Received: hidden as a keyword argument and units/layers in "
            "`search_space`."
        )
    return space


def _same_type(values):
    # hp.Choice needs one type: [0, 1e-4] -> [0.0, 1e-4].
    if any(isinstance(v, float) for v in values) and all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) for v in values
    ):
        return [float(v) for v in values]
    return values


def _options(values, *, fit=False):
    """Chosen hyperparameter values -> builder keyword arguments."""
    options = {}
    for name, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        if name in ("units", "layers"):
            continue
        if name == "batch_size" and not fit:
            continue
        options[name] = value
    if "units" in values or "layers" in values:
        units = int(values.get("units", 64))
        options["hidden"] = [units] * int(values.get("layers", 1))
    return options


def _hypermodel(keras_tuner, data, train_rows, space, options, seed):
    """A keras-tuner HyperModel: one choice of options per model."""

    class HyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            values = {name: hp.Choice(name, values)
                      for name, values in space.items()}
            return data.build(train_rows, {**options, **_options(values)},
                              seed=seed)

        def fit(self, hp, model, *args, **kwargs):
            if "batch_size" in space:
                kwargs["batch_size"] = hp.get("batch_size")
            return model.fit(*args, **kwargs)

    return HyperModel(name="kerasnn")


def _check_strategy(strategy):
    if strategy is None or callable(getattr(strategy, "scope", None)):
        return
    hint = ""
    if isinstance(strategy, str) and strategy.lower() in SEARCHES:
        hint = f" The search algorithm is `search`: tune(..., search={strategy!r})."
    raise KerasnnTypeError(
        "`strategy` must be a tf.distribute.Strategy (e.g. "
        "tf.distribute.MirroredStrategy()) or None. Received: "
        f"strategy={strategy!r}.{hint}"
    )


def _trials_table(tuner):
    try:
        trials = list(tuner.oracle.trials.values())
    except AttributeError:  # a worker's OracleClient: ask the chief
        trials = tuner.oracle.get_best_trials(num_trials=10 ** 6)
    rows = [{"trial_id": t.trial_id, "status": t.status,
             "score": math.nan if t.score is None else float(t.score),
             "best_step": t.best_step, **t.hyperparameters.values}
            for t in trials]
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=["trial_id", "status", "score", "best_step"])
    return table.sort_values("score", na_position="last").reset_index(drop=True)


def _isnan(value):
    return isinstance(value, float) and math.isnan(value)
