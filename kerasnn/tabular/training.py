"""`train_tabular`: split, build, fit with early stopping, keep the best run."""

import math

import numpy as np
import pandas as pd

from kerasnn._progress import check_verbose
from kerasnn._progress import say
from kerasnn._random import seeded
from kerasnn._validation import check_bool
from kerasnn._validation import check_callbacks
from kerasnn._validation import check_choice
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular._fit_loop import LR_SCHEDULES
from kerasnn.tabular._fit_loop import TRANSFORM_CHOICES
from kerasnn.tabular._fit_loop import FitSettings
from kerasnn.tabular._fit_loop import class_weights  # noqa: F401 (public)
from kerasnn.tabular._fit_loop import fit_best
from kerasnn.tabular._fit_loop import loggable_target
from kerasnn.tabular._fit_loop import target_transforms
from kerasnn.tabular._targets import SKEW_TARGET_LOG
from kerasnn.tabular._targets import target_skewness
from kerasnn.tabular._training_checks import check_class_weight
from kerasnn.tabular._training_checks import check_oversample
from kerasnn.tabular._training_checks import check_restarts
from kerasnn.tabular._training_checks import check_validation_data
from kerasnn.tabular._training_checks import check_validation_split
from kerasnn.tabular.model import DEFAULT_BACKBONE
from kerasnn.tabular.model import check_tabular_target
from kerasnn.tabular.model import check_target_transform
from kerasnn.tabular.tables import check_frame

#: Above this many rows, `train_tabular` stops early on 10% of them, not 20%.
LARGE_TABLE_ROWS = 10_000

#: `epochs="auto"`: the cosine schedule's length, and the most epochs of
#: the constant rate halved on plateaus (`lr_schedule="plateau"`).
COSINE_EPOCHS = 12
PLATEAU_EPOCHS = 200

#: The ensembles' peak learning rate under the cosine schedule, unless an
#: `optimizer` or `learning_rate` is passed (the builder's `2e-3` is for a
#: constant rate).
COSINE_LEARNING_RATE = 8e-3


def train_tabular(X, y, *, problem=None, validation_split="auto",
                  validation_data=None, epochs="auto", batch_size="auto",
                  patience="auto", lr_schedule="auto", class_weight=None,
                  oversample=None, callbacks=None, restarts=1, seed=None,
                  strategy=None, backup_dir=None, verbose="auto",
                  preprocess_once=False, **options):
    """Builds a tabular model and trains it with the working defaults.

    The rows are split into training and validation parts: shuffled, and
    stratified by class for classification (never Keras's unshuffled tail).
    The preprocessing is set from the training part only. Training stops
    when the validation loss has not improved for `patience` epochs, and the
    best epoch's weights are restored. The learning rate follows a cosine
    schedule over `epochs` for the ensembles, and for the MLP is halved when
    the validation loss stalls for `max(2, patience // 4)` epochs
    (`lr_schedule`).

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
        epochs: Integer, or `"auto"`: most epochs to train, and with
            `lr_schedule="cosine"` the schedule's length. `"auto"` (the
            default) is `12` with the cosine schedule and `200` with
            `"plateau"` (early stopping ends the run sooner).
        batch_size: Integer, or `"auto"`: about 1% of the training rows,
            rounded to a power of 2, between 32 and 512 for the MLP backbone
            and between 32 and 128 for the ensembles (the cosine schedule
            needs the steps; the ensembles used 4% of the rows, up to 512,
            before).
        patience: Integer, or `"auto"`: with the cosine schedule, `epochs`
            (the whole schedule runs and the best epoch's weights are kept:
            the validation loss can rise for several epochs after the
            warm-up, while the rate is at its peak, and fall again as it
            decays); otherwise `10` for the MLP backbone and `4` for the
            ensembles. Epochs without improvement of the validation loss
            before stopping.
        lr_schedule: `"auto"`, `"cosine"` or `"plateau"`. `"cosine"`
            raises the learning rate linearly from 0 over the first epoch,
            then lowers it along a cosine to 0 at the last of `epochs`
            (`keras.optimizers.schedules.CosineDecay`, kept in the saved
            model); `"plateau"` keeps it constant and halves it when the
            validation loss stalls for `max(2, patience // 4)` epochs
            (`ReduceLROnPlateau`). `"auto"` (the default) is `"cosine"` for
            the ensembles (chosen on validation rows: the same scores in
            fewer epochs, benchmarks/RESULTS.md), peaking at
            `COSINE_LEARNING_RATE` (`8e-3`) unless `learning_rate` or
            `optimizer` is passed, and `"plateau"` for the MLP (and AdamW
            at the builder's `2e-3` for the ensembles). An optimizer passed
            with a schedule of its own keeps it.
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
        verbose: `"auto"`, 0, 1 or 2. 0 is silent; 1 prints a line for the
            split, one as each run starts and ends (its epochs and best
            validation score, and whether it is the best so far) and which
            run is kept, and `fit` shows its progress bar; 2 prints the same
            lines and `fit` one line per epoch. `"auto"` is 1, as in
            `Model.fit`. Lines go through Keras's logging:
            `keras.config.disable_interactive_logging()` sends them to the
            log instead of stdout. Defaults to `"auto"`.
        preprocess_once: Boolean. `True` runs the model's preprocessing
            layers (lookups, bins, standardization) once on the training
            and validation rows and trains the layers after them on the
            encoded rows: the same arithmetic and the same model. It
            saved 15% of adult's training and cost time on housing, whose
            encoded rows carry 128 bins per numeric column
            (benchmarks/RESULTS.md). The trained model is the whole one,
            raw rows in. Not with `callbacks` (they see
            the model that takes raw rows), `strategy`, fewer than 2,000
            training rows (where it saves less than it costs) or an
            encoded table of more than 250 million values; `False` runs
            the preprocessing in every step. Defaults to `False`.
        **options: Passed to `kerasnn.build_tabular_model` (`backbone`,
            `k`, `hidden`, `dropout`, `learning_rate`, `categorical`, ...).
            There, `target_transform="auto"` (the default) on a regression
            target >= 0 fits `log1p(y)` when the training rows' target
            has a skewness above 2, and `y` itself otherwise, in one run
            (`model.target_transform` says which; the skewness is in the
            config under `"target_skewness"`); `"log"` or `None` trains
            only that one. `"compare"` trains two models, one on `y` and
            one on `log1p(y)`, and keeps the one with the lower
            validation error in the target's units (their RMSEs are under
            `"target_transform_validation_rmse"`); on housing it picked
            the same space as the skewness on every seed, at twice the
            training. `"trial"` trains each for 3 epochs and the one with
            the lower validation error then in full (on housing the short
            runs picked the space that lost in full: benchmarks/RESULTS.md;
            their RMSEs are under `"target_transform_trial_rmse"`).

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
    validation_split = check_validation_split(
        validation_split, auto_validation_split(len(X)))
    ensemble = options.get("backbone", DEFAULT_BACKBONE) != "mlp"
    lr_schedule = check_choice("lr_schedule", lr_schedule,
                               ("auto",) + LR_SCHEDULES)
    if lr_schedule == "auto":
        lr_schedule = "cosine" if ensemble else "plateau"
    if epochs == "auto":
        epochs = COSINE_EPOCHS if lr_schedule == "cosine" else PLATEAU_EPOCHS
    epochs = check_int("epochs", epochs)
    if (lr_schedule == "cosine" and ensemble
            and options.get("optimizer") is None
            and options.get("learning_rate") is None):
        options = {**options, "learning_rate": COSINE_LEARNING_RATE}
    if patience == "auto":
        patience = epochs if lr_schedule == "cosine" else (
            4 if ensemble else 10)
    patience = check_int("patience", patience)
    restarts = check_int("restarts", restarts)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    if batch_size != "auto":
        batch_size = check_int("batch_size", batch_size)
    oversample = check_oversample(oversample, problem)
    verbose = check_verbose(verbose)
    check_class_weight(class_weight, classification, problem == "multilabel")
    callbacks = check_callbacks(callbacks)
    if validation_data is not None:
        validation_data = check_validation_data(validation_data, X, y)
        validation_split = 0.0
    check_restarts(restarts, validation_split, validation_data)
    target_transform = options.pop("target_transform", "auto")
    check_choice("target_transform", target_transform,
                 ("auto", "log") + TRANSFORM_CHOICES, allow_none=True)
    if target_transform not in TRANSFORM_CHOICES:
        check_target_transform(target_transform, y, problem)
    settings = FitSettings(
        problem=problem, epochs=epochs, patience=patience, seed=seed,
        oversample=oversample, class_weight=class_weight,
        callbacks=callbacks, strategy=strategy, backup_dir=backup_dir,
        batch_size=batch_size, ensemble=ensemble, verbose=verbose,
        options=options, lr_schedule=lr_schedule,
        preprocess_once=check_bool("preprocess_once", preprocess_once))
    with seeded(seed):
        # Multi-label rows have no one class to stratify by.
        train, val = split_rows(y, validation_split,
                                classification and problem != "multilabel",
                                seed)
        X_train, y_train = X.iloc[train], _rows(y, train)
        validation = (validation_data if val is None
                      else (X.iloc[val], _rows(y, val)))
        transforms = target_transforms(target_transform, y_train, problem,
                                       validation is not None)
        skewness = _auto_skewness(target_transform, y_train, problem,
                                  transforms[0], verbose)
        result = fit_best(X_train, y_train, validation, restarts, transforms,
                          settings, trial=target_transform == "trial")
    if skewness is not None:
        # Kept in the model's config, beside the choice it explains.
        result.model._tabular["target_skewness"] = skewness
    return result


def _auto_skewness(target_transform, y_train, problem, chosen, verbose):
    """The skewness behind `target_transform="auto"`'s choice on a target
    >= 0 (said when `verbose`), or `None` where there was no choice."""
    if (target_transform != "auto" or problem != "regression"
            or not loggable_target(y_train, problem)):
        return None
    skewness = target_skewness(y_train)
    if not math.isfinite(skewness):
        return None
    say(verbose, f"Target skewness {skewness:.3g} (the log space above "
                 f"{SKEW_TARGET_LOG:g}): training target_transform={chosen}.")
    return skewness


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
