"""`train_tabular`: split, build, fit with early stopping, keep the best run."""

import itertools
import json
import math
import os

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
from kerasnn.results import TrainingResult
from kerasnn.tabular.model import DEFAULT_BACKBONE
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.model import check_tabular_target
from kerasnn.tabular.model import check_target_transform
from kerasnn.tabular.oversampling import OVERSAMPLERS
from kerasnn.tabular.oversampling import oversample_sampling
from kerasnn.tabular.oversampling import oversample_smote
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import check_label_table
from kerasnn.tabular.tables import check_target

#: Above this many rows, `train_tabular` stops early on 10% of them, not 20%.
LARGE_TABLE_ROWS = 10_000


def train_tabular(X, y, *, problem=None, validation_split="auto",
                  validation_data=None, epochs=200,
                  batch_size="auto", patience="auto", class_weight=None,
                  oversample=None, callbacks=None, restarts=1, seed=None,
                  strategy=None, backup_dir=None, verbose=0, **options):
    """Builds a tabular model and trains it with the working defaults.

    The rows are split into training and validation parts: shuffled, and
    stratified by class for classification (never Keras's unshuffled tail).
    The preprocessing is set from the training part only. Training stops
    when the validation loss has not improved for `patience` epochs, and the
    best epoch's weights are restored; the learning rate is halved when the
    validation loss stalls for `max(2, patience // 4)` epochs.

    Args:
        X: pandas DataFrame of features. Not modified.
        y: Target, one per row (a Series, list or array; string labels
            work), or one 0/1 column per label for multi-label (a DataFrame
            or 2-D array, as in `kerasnn.build_tabular_model`).
        problem: `"binary"`, `"multiclass"`, `"regression"`,
            `"multilabel"`, or `None` to infer it as
            `kerasnn.build_tabular_model` does.
        validation_split: Float in [0, 1), or `"auto"`: fraction of rows
            held out for early stopping; `0` trains for `epochs` on every
            row. `"auto"` (the default) holds out `0.1` of a table of more
            than 10,000 rows (the size above which scikit-learn's
            `HistGradientBoosting*` stops early, on that fraction): a tenth
            of a large table is enough rows to stop on, and the rest trains
            the model. Smaller tables keep `0.2`.
        validation_data: `None` or a tuple `(X_val, y_val)`: rows to stop on
            instead of a split of `X`, which then trains on every row. As in
            `Model.fit`, it overrides `validation_split`.
        epochs: Integer. Most epochs to train. Defaults to `200`.
        batch_size: Integer, or `"auto"`: about 1% of the training rows for
            the MLP backbone, 4% for the ensembles (fewer, larger steps:
            each row costs `k` members), rounded to a power of 2, between 32
            and 512.
        patience: Integer, or `"auto"`: `10` for the MLP backbone, `4` for
            the ensembles. Epochs without improvement of the validation loss
            before stopping.
        class_weight: `None`, `"balanced"` (weights `n / (k * n_class)` from
            the training part) or a dict `{label: weight}`. Not for
            multi-label.
        oversample: `None`, `"smote"` or `"sample"`: adds synthetic rows of
            every class but the largest, up to its count, to the training
            part only. `"smote"`: SMOTE, or SMOTE-NC when some columns are
            categorical (needs `pip install kerasnn[imbalanced]`);
            `"sample"`: `kerasnn.sample_rows` within each class (jittered
            numbers, categories from the class's frequencies).
        callbacks: List of extra Keras callbacks, passed to `fit`.
        restarts: Integer >= 1. Trains from this many seeds (`seed`,
            `seed + 1`, ...) and keeps the model with the best validation loss
            (random restart; for regression, the lowest validation mean
            squared error in the target's units). Defaults to `1`.
        seed: Integer or `None`. Seeds the split, the weights and the
            shuffling, so a CPU run is repeatable (TensorFlow's op
            determinism, which a GPU run also needs, is left to the caller:
            `tf.config.experimental.enable_op_determinism()`). The call
            seeds the global generators with `keras.utils.set_random_seed`
            and puts back Python's and NumPy's global random states when it
            returns; the backend's global seed stays at `seed`.
        strategy: A `tf.distribute.Strategy` or `None`: the model is built and
            compiled under its scope.
        backup_dir: String or `None`. Folder for
            `keras.callbacks.BackupAndRestore`: a killed run started again
            with the same arguments resumes after its last finished epoch,
            and its history holds the epochs before the kill too.
        verbose: Integer. Passed to `fit`. Defaults to `0`.
        **options: Passed to `kerasnn.build_tabular_model` (`backbone`,
            `k`, `hidden`, `dropout`, `learning_rate`, `categorical`, ...).
            There, `target_transform="auto"` (the default) on a regression
            target >= 0 trains two models, one on `y` and one on
            `log1p(y)`, and keeps the one with the lower validation error in
            the target's units (`model.target_transform` says which);
            `"log"` or `None` trains only that one.

    Returns:
        A `kerasnn.results.TrainingResult`: `.model`, the compiled, trained
        `TabularModel`, and `.history`, the `History` of its run.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, before any
            training.

    Example:

    >>> result = train_tabular(df.drop(columns="species"), df["species"],
    ...                        seed=0)  # doctest: +SKIP
    >>> result.model.classes  # doctest: +SKIP
    ['Adelie', 'Chinstrap', 'Gentoo']
    """
    X = check_frame(X)
    y, problem = check_tabular_target(y, len(X), problem)
    classification = problem != "regression"
    multilabel = problem == "multilabel"
    validation_split = _check_validation_split(validation_split, len(X))
    epochs = check_int("epochs", epochs)
    ensemble = options.get("backbone", DEFAULT_BACKBONE) != "mlp"
    if patience == "auto":
        patience = 4 if ensemble else 10
    patience = check_int("patience", patience)
    restarts = check_int("restarts", restarts)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    if batch_size != "auto":
        batch_size = check_int("batch_size", batch_size)
    oversample = _check_oversample(oversample, problem)
    _check_class_weight(class_weight, classification, multilabel)
    callbacks = check_callbacks(callbacks)
    if validation_data is not None:
        validation_data = _check_validation_data(validation_data, X, y)
        validation_split = 0.0
    if restarts > 1 and validation_split == 0 and validation_data is None:
        raise KerasnnValueError(
            "`restarts` > 1 keeps the best run on validation data, so it needs "
            f"validation_split > 0 or validation_data. Received: "
            f"restarts={restarts} and validation_split=0."
        )
    target_transform = options.pop("target_transform", "auto")
    check_target_transform(target_transform, y, problem)
    with seeded(seed):
        # Multi-label rows have no one class to stratify by.
        train, val = split_rows(y, validation_split,
                                classification and not multilabel, seed)
        X_train, y_train = X.iloc[train], _rows(y, train)
        validation = (validation_data if val is None
                      else (X.iloc[val], _rows(y, val)))
        transforms = [check_target_transform(target_transform, y_train,
                                             problem)]
        if (target_transform == "auto" and validation is not None
                and _loggable(y_train, problem)):
            # Both, and the validation rows decide.
            transforms = [None, "log"]
        runs = list(itertools.product(range(restarts), transforms))
        best, rmse = None, {}
        for run, (restart, transform) in enumerate(runs):
            run_seed = None if seed is None else seed + restart
            if run_seed is not None:
                keras.utils.set_random_seed(run_seed)
            model = build_tabular_model(X_train, y_train, problem=problem,
                                        seed=run_seed, strategy=strategy,
                                        target_transform=transform,
                                        **options)
            fit_X, fit_y = _oversampled(oversample, X_train, y_train,
                                        model.columns, run_seed)
            weights = class_weights(class_weight, fit_y, model.classes)
            run_callbacks = _callbacks(validation is not None, patience,
                                       backup_dir,
                                       run if len(runs) > 1 else None)
            history = model.fit(
                fit_X, fit_y, validation_data=validation, epochs=epochs,
                batch_size=_batch_size(batch_size, len(fit_y), ensemble),
                class_weight=weights, callbacks=run_callbacks + list(callbacks),
                shuffle=True, verbose=verbose,
            )
            for callback in run_callbacks:
                if isinstance(callback, _EpochLog):
                    callback.complete(history)
            if classification or validation is None:
                score = _best_loss(history, validation is not None)
            else:
                # In the target's units, whatever space the loss was in.
                score = _validation_mse(model, *validation)
                if len(transforms) > 1:
                    rmse[str(transform)] = math.sqrt(score)
            if best is None or score < best[0]:
                best = (score, model, history)
    if rmse:
        # Kept in the model's config, beside the choice it explains.
        best[1]._tabular["target_transform_validation_rmse"] = rmse
    return TrainingResult(model=best[1], history=best[2])


def _check_validation_split(validation_split, n_rows):
    """A fraction in [0, 1), or "auto" (`auto_validation_split`)."""
    if isinstance(validation_split, str) and validation_split == "auto":
        validation_split = auto_validation_split(n_rows)
    elif isinstance(validation_split, str):
        raise KerasnnValueError(
            "`validation_split` must be a number in [0, 1) or 'auto'. "
            f"Received: validation_split={validation_split!r}.")
    return check_float("validation_split", validation_split, low=0.0,
                       high=1.0)


def _check_oversample(oversample, problem):
    oversample = check_choice("oversample", oversample, OVERSAMPLERS,
                              allow_none=True)
    if oversample is not None:
        if problem == "multilabel":
            raise KerasnnValueError(
                "`oversample` makes rows of a class, and a multi-label row "
                f"has several. Received: oversample={oversample!r} with "
                "problem='multilabel'. Use oversample=None.")
        if problem == "regression":
            raise KerasnnValueError(
                "`oversample` applies to classification only. Received: "
                f"oversample={oversample!r} with problem={problem!r}."
            )
    return oversample


def _oversampled(oversample, X, y, kinds, seed):
    """The training rows, with synthetic rows of the smaller classes if asked."""
    if oversample == "smote":
        return oversample_smote(X, y, kinds, seed=seed)
    if oversample == "sample":
        return oversample_sampling(X, y, kinds, seed=seed)
    return X, y


def _check_validation_data(validation_data, X, y):
    if not (isinstance(validation_data, tuple) and len(validation_data) == 2):
        raise KerasnnTypeError(
            "`validation_data` must be a tuple (X_val, y_val). Received: "
            + (f"a tuple of {len(validation_data)} item(s)."
               if isinstance(validation_data, tuple)
               else f"{type(validation_data).__name__}."))
    X_val = validation_data[0]
    if not isinstance(X_val, pd.DataFrame) or not len(X_val):
        raise KerasnnTypeError(
            "`validation_data[0]` must be a pandas DataFrame of rows with the "
            f"columns of `X`. Received: {type(X_val).__name__}"
            + (" with no rows." if isinstance(X_val, pd.DataFrame) else "."))
    missing = [c for c in X.columns if c not in X_val.columns]
    if missing:
        raise KerasnnValueError(
            "`validation_data[0]` must have the columns of `X`. Received: "
            f"columns {missing} missing.")
    if isinstance(y, pd.DataFrame):  # multi-label: the same label columns
        return X_val, check_label_table(validation_data[1], len(X_val),
                                        list(y.columns))
    return X_val, check_target(validation_data[1], len(X_val))


def _rows(y, index):
    """The rows `index` of a target: an array, or a multi-label DataFrame."""
    return y.iloc[index] if isinstance(y, pd.DataFrame) else y[index]


def auto_validation_split(n_rows):
    """`train_tabular`'s `validation_split="auto"` for a table of `n_rows`.

    Chosen on the validation parts of adult and housing (docs/tabular.md):
    early stopping on 10% instead of 20% of their rows scored higher there.
    Small tables keep 20%, enough rows to stop on (penguins lost rows at 10%).
    """
    return 0.1 if n_rows > LARGE_TABLE_ROWS else 0.2


def split_rows(y, validation_split, stratify, seed):
    """Shuffled (and stratified) train/validation row indices."""
    n = len(y)
    index = np.arange(n)
    if validation_split == 0:
        return index, None
    from sklearn.model_selection import train_test_split

    n_val = int(math.ceil(n * validation_split))
    if n_val < 1 or n - n_val < 1:
        raise KerasnnValueError(
            "`validation_split` leaves no rows for training or validation. "
            f"Received: validation_split={validation_split} with {n} rows."
        )
    labels = None
    if stratify:
        labels = pd.Series(y).astype(str).to_numpy()
        counts = pd.Series(labels).value_counts()
        if counts.min() < 2 or n_val < len(counts):
            raise KerasnnValueError(
                "A stratified validation split needs at least 2 rows of each "
                f"class and one validation row per class. Received: class "
                f"{counts.index[-1]!r} has {counts.iloc[-1]} row(s) and "
                f"validation_split={validation_split} gives {n_val} validation "
                f"rows for {len(counts)} classes. Add rows or raise "
                "validation_split."
            )
    train, val = train_test_split(index, test_size=n_val, shuffle=True,
                                  stratify=labels, random_state=seed)
    return np.sort(train), np.sort(val)


def class_weights(class_weight, y, classes):
    """`class_weight` (`None`, `"balanced"` or `{label: w}`) -> `{index: w}`."""
    if class_weight is None:
        return None
    index = {c: i for i, c in enumerate(classes)}
    if class_weight == "balanced":
        counts = pd.Series(y).value_counts()
        n, k = len(y), len(classes)
        return {index[c]: float(n / (k * counts.get(c, n))) for c in classes}
    unknown = [label for label in class_weight if label not in index]
    if unknown:
        raise KerasnnValueError(
            f"`class_weight` names labels that are not in `y`: {unknown}. "
            f"Received: class_weight={class_weight!r}; the labels are {classes}."
        )
    return {i: float(class_weight.get(c, 1.0)) for c, i in index.items()}


def _check_class_weight(class_weight, classification, multilabel=False):
    if class_weight is None:
        return
    if multilabel:
        raise KerasnnValueError(
            "`class_weight` weights the classes of one label; a multi-label "
            f"target has several labels. Received: class_weight="
            f"{class_weight!r} with problem='multilabel'. Use "
            "class_weight=None.")
    if not classification:
        raise KerasnnValueError(
            "`class_weight` applies to classification only. Received: "
            f"class_weight={class_weight!r} with problem='regression'."
        )
    if isinstance(class_weight, str):
        check_choice("class_weight", class_weight, ("balanced",))
    elif not isinstance(class_weight, dict):
        raise KerasnnTypeError(
            "`class_weight` must be None, 'balanced' or a dict {label: weight}. "
            f"Received: class_weight={class_weight!r}."
        )


def _callbacks(validate, patience, backup_dir, restart):
    monitor = "val_loss" if validate else "loss"
    callbacks = [keras.callbacks.TerminateOnNaN()]
    if backup_dir is not None:
        folder = backup_dir if restart is None else os.path.join(
            backup_dir, f"restart_{restart}")
        # The log goes first: an epoch logged but not backed up is rerun and
        # logged again, never lost.
        callbacks.append(_EpochLog(os.path.join(folder, "epochs.jsonl")))
        callbacks.append(keras.callbacks.BackupAndRestore(folder))
    if validate:
        callbacks.append(keras.callbacks.EarlyStopping(
            monitor=monitor, patience=patience, restore_best_weights=True))
        callbacks.append(keras.callbacks.ReduceLROnPlateau(
            monitor=monitor, factor=0.5, patience=max(2, patience // 4),
            min_lr=1e-5))
    return callbacks


def _loggable(y, problem):
    if problem != "regression":
        return False
    values = pd.to_numeric(pd.Series(y), errors="coerce").to_numpy("float64")
    values = values[np.isfinite(values)]
    return values.size > 0 and values.min() >= 0


def _validation_mse(model, X_val, y_val):
    predicted = np.asarray(model.predict(X_val, verbose=0), "float64")
    truth = pd.to_numeric(pd.Series(y_val)).to_numpy("float64")
    error = float(np.mean((predicted.reshape(len(truth), -1)
                           - truth.reshape(len(truth), -1)) ** 2))
    return error if np.isfinite(error) else math.inf


def _batch_size(batch_size, n_rows, ensemble=False):
    if batch_size != "auto":
        return batch_size
    share = n_rows / (25 if ensemble else 100)
    return int(min(512, max(32, 2 ** round(math.log2(max(share, 1))))))


def _best_loss(history, validate):
    losses = history.history.get("val_loss" if validate else "loss", [])
    finite = [v for v in losses if np.isfinite(v)]
    return min(finite) if finite else math.inf


class _EpochLog(keras.callbacks.Callback):
    """Keeps each finished epoch's logs in a file beside the training backup.

    `BackupAndRestore` brings back the weights and the epoch count after a
    kill, but not the `History` of the epochs before it; this log does.
    """

    def __init__(self, path):
        super().__init__()
        self.path = path
        self.epochs = {}

    def on_train_begin(self, logs=None):
        self.epochs = {}
        if not os.path.exists(self.path):
            return
        with open(self.path) as f:
            for line in f:
                try:
                    row = json.loads(line)
                except ValueError:  # a line cut short by the kill
                    continue
                self.epochs[int(row.pop("epoch"))] = row

    def on_epoch_end(self, epoch, logs=None):
        row = {k: _number(v) for k, v in (logs or {}).items()}
        self.epochs[epoch] = row
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        with open(self.path, "a") as f:
            f.write(json.dumps({"epoch": epoch, **row}) + "\n")

    def complete(self, history):
        """Puts the logged epochs of earlier, killed runs into `history`."""
        epochs = sorted(self.epochs)
        keys = sorted({k for row in self.epochs.values() for k in row})
        history.epoch = epochs
        history.history = {k: [self.epochs[e].get(k, math.nan) for e in epochs]
                           for k in keys}


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan
