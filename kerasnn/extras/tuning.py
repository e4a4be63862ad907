"""`tune` (keras-tuner over a builder's options) and `cross_validate` (k-fold).

Both take the data and a builder: `kerasnn.build_tabular_model` (a DataFrame
and raw labels), or any builder shaped like `kerasnn.build_model` /
`kerasnn.build_image_model` (`builder(problem, input_shape, *, n_classes,
...)`, NumPy features and numeric labels).
"""

import warnings

import keras
import numpy as np
import pandas as pd

from kerasnn._progress import check_verbose
from kerasnn._progress import say
from kerasnn._random import derived_seed
from kerasnn._random import seeded
from kerasnn._validation import check_callbacks
from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnValueError
from kerasnn.extras._search_space import COSINE_SPACE  # noqa: F401
from kerasnn.extras._search_space import DENSE_SPACE  # noqa: F401
from kerasnn.extras._search_space import IMAGE_SPACE  # noqa: F401
from kerasnn.extras._search_space import SEARCHES
from kerasnn.extras._search_space import check_space
from kerasnn.extras._search_space import check_strategy
from kerasnn.extras._search_space import make_hypermodel
from kerasnn.extras._search_space import options_of
from kerasnn.extras._search_space import trials_table
from kerasnn.extras._search_space import with_progress
from kerasnn.extras._tuning_data import SearchData
from kerasnn.results import CrossValidationResult
from kerasnn.results import SearchResult
from kerasnn.tabular.model import DEFAULT_BACKBONE
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.training import COSINE_EPOCHS
from kerasnn.tabular.training import split_rows

def tune(X, y, *, builder=build_tabular_model, problem=None, search="random",
         max_trials=10, search_space=None, epochs="auto", patience=10,
         lr_schedule="auto",
         validation_split=0.2, executions_per_trial=1, directory="kerasnn_tuning",
         project_name="tune", overwrite=False, seed=None, strategy=None,
         callbacks=None, verbose="auto", **options):
    """Searches a builder's options with keras-tuner.

    The rows are split once into training and validation parts (shuffled,
    stratified for classification); each trial builds a model with one
    choice of options, trains it with early stopping on the validation loss,
    and is scored by its best validation loss. The search lives in
    `directory/project_name`: run again with the same arguments, it resumes
    and skips the trials already done (`overwrite=True` starts afresh).
    Setting `KERASTUNER_TUNER_ID`, `KERASTUNER_ORACLE_IP` and
    `KERASTUNER_ORACLE_PORT` runs this call as a keras-tuner chief or worker
    of a distributed search (all processes share `directory`). Trials of
    `build_tabular_model` with 2,000 training rows or more train, as
    `train_tabular` does, on rows that the preprocessing layers encoded
    once; the callbacks still see the model of raw rows.

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
            (`DENSE_SPACE`; `COSINE_SPACE` under the cosine schedule, with
            peak rates of 4e-3 to 1.6e-2 and batches of 64 to 256;
            `IMAGE_SPACE` for a builder with `filters`).
            Keys are builder options, or `units`/`layers` (giving `hidden`),
            or `batch_size`.
        epochs: Integer or `"auto"`. Most epochs per trial, and the cosine
            schedule's length. `"auto"` (the default) is `12` under the cosine
            schedule (as in `train_tabular`) and `50` under a constant rate.
        patience: Integer. Early-stopping patience per trial. Defaults to `10`.
        lr_schedule: `"auto"`, `"cosine"` or `"constant"`. `"cosine"` trains
            each trial as `train_tabular` trains the ensembles: a linear
            warm-up over the first epoch to the trial's learning rate, then a
            cosine decay to 0 at the last epoch. `"constant"` keeps each
            trial's rate. `"auto"` (the default) is `"cosine"` for
            `build_tabular_model`'s ensembles (any backbone but `"mlp"`),
            except with Hyperband, whose rounds resume trials for more
            epochs, and `"constant"` otherwise. On the adult census table,
            10 random trials took about a quarter of the time under the
            cosine schedule (benchmarks/RESULTS.md).
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
        verbose: `"auto"`, 0, 1 or 2. 0 is silent; 1 prints a line as each
            trial ends (`Trial 3/10: val_loss 0.412; best so far 0.398.`)
            and each trial's `fit` shows its progress bar; 2 prints the
            same lines and `fit` one line per epoch. `"auto"` is 1, as in
            `Model.fit`. Lines go through Keras's logging:
            `keras.config.disable_interactive_logging()` sends them to the
            log instead of stdout (keras-tuner's own display stays off).
            Defaults to `"auto"`.
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
    check_strategy(strategy)
    max_trials = check_int("max_trials", max_trials)
    cosine = _cosine(lr_schedule, search, builder, options)
    if epochs == "auto":
        epochs = COSINE_EPOCHS if cosine else 50
    epochs = check_int("epochs", epochs)
    patience = check_int("patience", patience)
    executions_per_trial = check_int("executions_per_trial", executions_per_trial)
    validation_split = check_float("validation_split", validation_split, low=0.0,
                                   high=1.0, low_inclusive=False)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    callbacks = check_callbacks(callbacks)
    verbose = check_verbose(verbose)
    data = SearchData(builder, X, y, problem)
    space = check_space(search_space, builder, options, cosine=cosine)
    import keras_tuner  # only a search needs it

    with seeded(seed):
        train, val = split_rows(data.y, validation_split, data.classification,
                                seed)
        hypermodel = make_hypermodel(keras_tuner, data, train, space,
                                     options, seed, fit_verbose=verbose,
                                     cosine=cosine,
                                     encode_once=data.table
                                     and strategy is None)
        common = dict(objective="val_loss", seed=seed, directory=directory,
                      project_name=project_name, overwrite=overwrite,
                      executions_per_trial=executions_per_trial,
                      distribution_strategy=strategy)
        if search == "hyperband":
            tuner = with_progress(keras_tuner.Hyperband, verbose, None)(
                hypermodel, max_epochs=epochs, factor=3, **common)
        else:
            cls = {"random": keras_tuner.RandomSearch,
                   "grid": keras_tuner.GridSearch,
                   "bayesian": keras_tuner.BayesianOptimization}[search]
            tuner = with_progress(cls, verbose, max_trials)(
                hypermodel, max_trials=max_trials, **common)
        stop = keras.callbacks.EarlyStopping(monitor="val_loss",
                                             patience=patience,
                                             restore_best_weights=True)
        tuner.search(data.rows(train), data.y[train],
                     validation_data=(data.rows(val), data.y[val]),
                     epochs=epochs, callbacks=[stop, *callbacks],
                     # keras-tuner's display prints with `print`; the
                     # trials' lines and `fit`'s verbosity are ours.
                     verbose=0)
        trials = trials_table(tuner)
        if trials.empty or not np.isfinite(trials["score"].astype(float)).any():
            raise KerasnnValueError(
                "No trial of the search finished with a finite validation "
                f"loss. Received: {len(trials)} trial(s) in "
                f"{directory}/{project_name}. Lower the learning rates in "
                "`search_space`, or pass overwrite=True to start afresh."
            )
        best = trials.iloc[0]
        best_options = options_of(best, space)
        with warnings.catch_warnings():
            # The trial's optimizer followed the cosine schedule (no rate
            # variable), the rebuilt model's holds a rate: its state is not
            # loaded, and the best model needs only its weights.
            warnings.filterwarnings(
                "ignore", message="Skipping variable loading for optimizer")
            model = tuner.get_best_models(num_models=1)[0]
    return SearchResult(model=model, trials=trials, best_options=best_options)


def _cosine(lr_schedule, search, builder, options):
    """Whether `tune`'s trials train under the cosine schedule."""
    lr_schedule = check_choice("lr_schedule", lr_schedule,
                               ("auto", "cosine", "constant"))
    if lr_schedule == "cosine" and search == "hyperband":
        raise KerasnnValueError(
            "lr_schedule='cosine' does not fit search='hyperband', whose "
            "rounds train a trial again for more epochs. Received: "
            "lr_schedule='cosine', search='hyperband'. Pass "
            "lr_schedule='constant', or another search.")
    if lr_schedule != "auto":
        return lr_schedule == "cosine"
    return (search != "hyperband" and builder is build_tabular_model
            and options.get("backbone", DEFAULT_BACKBONE) != "mlp")


def cross_validate(X, y, *, builder=build_tabular_model, problem=None, n_splits=5,
                   epochs=100, patience=10, validation_split=0.2,
                   batch_size=None, seed=None, callbacks=None,
                   verbose="auto", **options):
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
        verbose: `"auto"`, 0, 1 or 2. 0 is silent; 1 prints a line as each
            fold is scored (`Fold 2/5: loss 0.351, accuracy 0.867 on 30
            rows.`) and each fold's `fit` shows its progress bar; 2 prints
            the same lines and `fit` one line per epoch. `"auto"` is 1, as
            in `Model.fit`; `keras.config.disable_interactive_logging()`
            sends the lines to the log instead of stdout. Defaults to
            `"auto"`.
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
    verbose = check_verbose(verbose)
    data = SearchData(builder, X, y, problem)
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
    rows = []
    with seeded(seed):
        for fold, (train, test) in enumerate(
                folds.split(np.zeros(len(labels)), labels)):
            rows.append(_fold(data, fold, train, test, options, epochs=epochs,
                              patience=patience,
                              validation_split=validation_split,
                              batch_size=batch_size, seed=seed,
                              callbacks=callbacks, verbose=verbose))
            say(verbose, _fold_line(rows[-1], n_splits))
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
                       seed=derived_seed(seed, offset=fold))
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


def _fold_line(row, n_splits):
    """`Fold 2/5: loss 0.351, accuracy 0.867 on 30 rows.`"""
    scores = {k: v for k, v in row.items()
              if k not in ("fold", "n_train", "n_test")}
    names = sorted(scores, key=lambda name: name != "loss")  # loss first
    return (f"Fold {row['fold'] + 1}/{n_splits}: "
            + ", ".join(f"{name} {scores[name]:.4g}" for name in names)
            + f" on {row['n_test']} rows.")
