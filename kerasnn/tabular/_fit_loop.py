"""`train_tabular`'s runs: one model per seed and target transform, each
fitted with early stopping, the best on validation rows kept."""

import collections
import itertools
import math

import keras
import numpy as np
import pandas as pd

from kerasnn._progress import say
from kerasnn._random import derived_seed
from kerasnn.errors import KerasnnValueError
from kerasnn.results import TrainingResult
from kerasnn.tabular._epoch_log import EpochLog
from kerasnn.tabular._epoch_log import run_callbacks
from kerasnn.tabular._preprocess_once import encoded_trainer
from kerasnn.tabular.model import build_tabular_model
from kerasnn.tabular.model import check_target_transform
from kerasnn.tabular.oversampling import oversample_sampling
from kerasnn.tabular.oversampling import oversample_smote

#: What one run gave: its score (lower is better), model and `History`.
Run = collections.namedtuple("Run", ["score", "model", "history"])

#: The settings every run of one `train_tabular` call shares.
FitSettings = collections.namedtuple("FitSettings", [
    "problem", "seed", "strategy", "oversample", "class_weight", "patience",
    "backup_dir", "epochs", "batch_size", "ensemble", "callbacks", "verbose",
    "options", "preprocess_once", "lr_schedule"], defaults=[False, "plateau"])

#: `train_tabular`'s learning-rate schedules: cosine decay over the run's
#: epochs after a linear warm-up, or a constant rate halved on plateaus.
LR_SCHEDULES = ("cosine", "plateau")

#: Epochs of the cosine schedule's linear warm-up (at most half the run).
WARMUP_EPOCHS = 1

#: Largest `batch_size="auto"` of the ensembles: it gives the cosine
#: schedule four times the steps of 512, which housing's validation score
#: needed. An epoch of 128-row steps cost about what one of 512 does on a
#: 2-core Xeon, and 1.9 times as much on a faster 2-core EPYC
#: (benchmarks/RESULTS.md).
ENSEMBLE_MAX_BATCH = 128


#: `train_tabular`'s ways of choosing a regression target's space on its
#: validation rows (`"auto"` chooses from the target's skewness, before
#: training): two full runs, or two short runs and one full one.
TRANSFORM_CHOICES = ("compare", "trial")

#: Epochs of each short run of `target_transform="trial"`.
TRIAL_EPOCHS = 3


def target_transforms(target_transform, y_train, problem, validate):
    """The target transforms to train: one, or `[None, "log"]` for
    `"compare"` and `"trial"` on a target >= 0 when validation rows can
    decide between them. `"auto"` is one, from the skewness of the
    training rows' target (`check_target_transform`)."""
    if (target_transform in TRANSFORM_CHOICES and validate
            and loggable_target(y_train, problem)):
        return [None, "log"]
    if target_transform in TRANSFORM_CHOICES:
        target_transform = "auto"
    return [check_target_transform(target_transform, y_train, problem)]


def fit_best(X_train, y_train, validation, restarts, transforms, settings,
             trial=False):
    """Trains a run per restart and transform; returns the best as a
    `TrainingResult`. With `trial` and two transforms, a short run of each
    picks the one to train."""
    trial_rmse = {}
    if trial and len(transforms) > 1:
        transforms, trial_rmse = _trial_transform(X_train, y_train, validation,
                                                  transforms, settings)
    runs = list(itertools.product(range(restarts), transforms))
    n_val = 0 if validation is None else len(validation[1])
    say(settings.verbose,
        f"train_tabular: {len(y_train)} training rows, {n_val} validation "
        f"rows; {len(runs)} run{'s' if len(runs) > 1 else ''}.")
    best, rmse, kept = None, {}, 0
    for number, (restart, transform) in enumerate(runs):
        name = _run_name(number, len(runs), settings.seed, restart,
                         transform if len(transforms) > 1 else "")
        say(settings.verbose, f"{name}: building and training.")
        run = _fit_run(X_train, y_train, validation, settings,
                       restart=restart, transform=transform,
                       backup_run=number if len(runs) > 1 else None)
        if len(transforms) > 1:  # regression with validation rows
            rmse[str(transform)] = math.sqrt(run.score)
        better = best is None or run.score < best.score
        if better:
            best, kept = run, number + 1
        say(settings.verbose,
            f"{name}: {len(run.history.epoch)} epochs, best "
            f"{_score_name(settings.problem, validation)} {run.score:.4g}"
            + ("; best so far." if better and len(runs) > 1 else "."))
    if len(runs) > 1:
        say(settings.verbose,
            f"Kept run {kept}/{len(runs)}: "
            f"{_score_name(settings.problem, validation)} {best.score:.4g}.")
    if rmse:
        # Kept in the model's config, beside the choice it explains.
        best.model._tabular["target_transform_validation_rmse"] = rmse
    if trial_rmse:
        best.model._tabular["target_transform_trial_rmse"] = trial_rmse
    return TrainingResult(model=best.model, history=best.history)


def _trial_transform(X_train, y_train, validation, transforms, settings):
    """The transform whose run of `TRIAL_EPOCHS` epochs (first seed, no
    extra callbacks) has the lower validation RMSE in the target's units:
    `([transform], {str(transform): rmse})`."""
    short = settings._replace(epochs=min(TRIAL_EPOCHS, settings.epochs),
                              callbacks=[], backup_dir=None, verbose=0)
    rmse = {}
    for transform in transforms:
        run = _fit_run(X_train, y_train, validation, short, restart=0,
                       transform=transform, backup_run=None)
        rmse[str(transform)] = math.sqrt(run.score)
    chosen = min(transforms, key=lambda t: rmse[str(t)])
    say(settings.verbose,
        f"Target space from {short.epochs}-epoch runs: validation RMSE "
        + ", ".join(f"{t} {v:.4g}" for t, v in rmse.items())
        + f"; training target_transform={chosen}.")
    return [chosen], rmse


def _fit_run(X_train, y_train, validation, settings, *, restart, transform,
             backup_run):
    """Builds, fits and scores one model."""
    s = settings
    run_seed = derived_seed(s.seed, offset=restart)
    if run_seed is not None:
        keras.utils.set_random_seed(run_seed)
    model = build_tabular_model(X_train, y_train, problem=s.problem,
                                seed=run_seed, strategy=s.strategy,
                                target_transform=transform, **s.options)
    fit_X, fit_y = _oversampled(s.oversample, X_train, y_train,
                                model.columns, run_seed)
    weights = class_weights(s.class_weight, fit_y, model.classes)
    batch_size = _batch_size(s.batch_size, len(fit_y), s.ensemble)
    cosine = s.lr_schedule == "cosine" and cosine_schedule(
        model.optimizer, s.epochs, -(-len(fit_y) // batch_size))
    callbacks = run_callbacks(validation is not None, s.patience,
                              s.backup_dir, backup_run,
                              reduce_on_plateau=not cosine)
    trainer, fit_validation = model, validation
    # The caller's callbacks see the model that takes raw rows.
    encoded = (s.preprocess_once and not s.callbacks and s.strategy is None
               and encoded_trainer(model, fit_X, validation))
    if encoded:
        trainer, fit_X, fit_validation = encoded
    history = trainer.fit(
        fit_X, fit_y, validation_data=fit_validation, epochs=s.epochs,
        batch_size=batch_size, class_weight=weights,
        callbacks=callbacks + list(s.callbacks),
        shuffle=True, verbose=s.verbose,
    )
    for callback in callbacks:
        if isinstance(callback, EpochLog):
            callback.complete(history)
    if s.problem != "regression" or validation is None:
        score = _best_loss(history, validation is not None)
    else:
        # In the target's units, whatever space the loss was in.
        score = _validation_mse(model, *validation)
    return Run(score, model, history)


def cosine_schedule(optimizer, epochs, steps_per_epoch):
    """Puts a cosine decay of `optimizer`'s learning rate to 0 over `epochs`
    epochs into it, after a linear warm-up from 0 over `WARMUP_EPOCHS`
    (at most half the run). Returns `False`, changing nothing, when the
    optimizer already has a schedule of its own."""
    if not isinstance(optimizer.learning_rate, keras.Variable):
        return False  # a schedule: not settable
    peak = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    total = max(1, epochs * steps_per_epoch)
    warmup = min(WARMUP_EPOCHS * steps_per_epoch, total // 2)
    optimizer.learning_rate = keras.optimizers.schedules.CosineDecay(
        0.0, decay_steps=max(1, total - warmup), warmup_target=peak,
        warmup_steps=warmup)
    return True


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


def _run_name(number, n_runs, seed, restart, transform):
    """`Run 2/4 (seed 1, target_transform=log)`, as the progress lines
    name a run (`transform=""`: one transform, not named)."""
    run_seed = derived_seed(seed, offset=restart)
    details = [] if run_seed is None else [f"seed {run_seed}"]
    if transform != "":
        details.append(f"target_transform={transform}")
    return (f"Run {number + 1}/{n_runs}"
            + (f" ({', '.join(details)})" if details else ""))


def _score_name(problem, validation):
    """What a run's score is, as `_fit_run` computes it."""
    if validation is None:
        return "loss"
    return "val_loss" if problem != "regression" else "val_mse"


def _oversampled(oversample, X, y, kinds, seed):
    """The training rows, with synthetic rows of the smaller classes if asked."""
    if oversample == "smote":
        return oversample_smote(X, y, kinds, seed=seed)
    if oversample == "sample":
        return oversample_sampling(X, y, kinds, seed=seed)
    return X, y


def loggable_target(y, problem):
    """Whether `y` is a regression target >= 0, so it has a log space."""
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
    """`batch_size="auto"`: 1% of the rows as a power of 2, between 32 and
    512 (the ensembles: `ENSEMBLE_MAX_BATCH`)."""
    if batch_size != "auto":
        return batch_size
    largest = ENSEMBLE_MAX_BATCH if ensemble else 512
    share = n_rows / 100
    return int(min(largest, max(32, 2 ** round(math.log2(max(share, 1))))))


def _best_loss(history, validate):
    losses = history.history.get("val_loss" if validate else "loss", [])
    finite = [v for v in losses if np.isfinite(v)]
    return min(finite) if finite else math.inf
