"""`tune`'s search: the spaces of options, their checks, the keras-tuner
hypermodel and the table of trials."""

import inspect
import math
import numbers

import keras
import numpy as np
import pandas as pd

from kerasnn._progress import say
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError
from kerasnn.tabular._fit_loop import cosine_schedule
from kerasnn.tabular._preprocess_once import encoded_trainer

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
#: The default space of a tabular ensemble under the cosine schedule
#: (`tune(lr_schedule="cosine")`): the peak rates around `train_tabular`'s
#: cosine peak (8e-3, chosen on validation rows), the batches around its
#: `batch_size="auto"` (128 on a large table).
COSINE_SPACE = {**DENSE_SPACE, "learning_rate": [4e-3, 8e-3, 1.6e-2],
                "batch_size": [64, 128, 256]}
IMAGE_SPACE = {
    "filters": [16, 32, 64],
    "blocks": [1, 2, 3],
    "dropout": [0.0, 0.25, 0.4],
    "l2": [0.0, 1e-4],
    "learning_rate": [3e-4, 1e-3, 3e-3],
    "batch_size": [32, 64, 128],
}


def check_space(search_space, builder, options, *, cosine=False):
    params = inspect.signature(builder).parameters
    if search_space is None:
        space = (IMAGE_SPACE if "filters" in params else
                 COSINE_SPACE if cosine else DENSE_SPACE)
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


def builder_options(values, *, fit=False):
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


def options_of(trial, space):
    """A row of `trials_table` -> the builder's keyword arguments (and
    `batch_size`) it tried."""
    return builder_options(
        {k: trial[k] for k in space
         if k in trial.index and not _isnan(trial[k])},
        fit=True,
    )


def make_hypermodel(keras_tuner, data, train_rows, space, options, seed, *,
                    fit_verbose, cosine=False, encode_once=False):
    """A keras-tuner HyperModel: one choice of options per model, fitted
    with `verbose=fit_verbose`; with `cosine`, under `train_tabular`'s
    cosine schedule over the trial's epochs; with `encode_once`, on rows
    that the model's preprocessing layers encoded once (as `train_tabular`
    trains), its callbacks still seeing the model of raw rows."""

    # keras-tuner calls keras.backend.clear_session() before each build,
    # which turns interactive logging back on: keep the caller's setting.
    interactive = keras.config.is_interactive_logging_enabled()

    class HyperModel(keras_tuner.HyperModel):
        def build(self, hp):
            if not interactive:
                keras.config.disable_interactive_logging()
            values = {name: hp.Choice(name, values)
                      for name, values in space.items()}
            return data.build(train_rows, {**options, **builder_options(values)},
                              seed=seed)

        def fit(self, hp, model, *args, **kwargs):
            if "batch_size" in space:
                kwargs["batch_size"] = hp.get("batch_size")
            kwargs["verbose"] = fit_verbose
            if cosine:
                steps = math.ceil(len(train_rows)
                                  / (kwargs.get("batch_size") or 32))
                cosine_schedule(model.optimizer, kwargs["epochs"], steps)
            encoded = (encode_once and len(args) == 2
                       and encoded_trainer(model, args[0],
                                           kwargs.get("validation_data")))
            if not encoded:
                return model.fit(*args, **kwargs)
            network, x, validation = encoded
            kwargs["validation_data"] = validation
            kwargs["callbacks"] = [_OnModel(kwargs.get("callbacks") or [],
                                            model)]
            return network.fit(x, args[1], **kwargs)

    return HyperModel(name="kerasnn")


class _OnModel(keras.callbacks.CallbackList):
    """Callbacks for `fit` of a network that shares its weights with
    `model` (the encoded rows' trainer): they see `model` (keras-tuner's
    checkpoint saves its weights, early stopping restores them), and their
    `stop_training` reaches the network."""

    def __init__(self, callbacks, model):
        self._own, self._trainer = model, None
        super().__init__(callbacks, model=model)

    def set_model(self, model):
        self._trainer = model
        super().set_model(self._own)

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if self._trainer is not None and getattr(self._own, "stop_training",
                                                 False):
            self._trainer.stop_training = True


def with_progress(tuner_class, verbose, total):
    """`tuner_class`, printing a line as each trial ends (with `verbose`):
    its number of `total` (`None`: not known before, as for Hyperband),
    its score and the best so far."""

    class Tuner(tuner_class):
        def on_trial_end(self, trial):
            super().on_trial_end(trial)
            self._trials_ended = getattr(self, "_trials_ended", 0) + 1
            if verbose:
                # A resumed search counts the trials done before it; a
                # worker of a distributed search, its own.
                known = getattr(self.oracle, "trials", None)
                done = len(known) if known else self._trials_ended
                say(verbose, _trial_line(self.oracle, trial, done, total))

    return Tuner


def _trial_line(oracle, trial, done, total):
    trial = oracle.get_trial(trial.trial_id)
    number = f"{done}/{total}" if total else f"{done}"
    score = ("failed" if trial.score is None
             else f"val_loss {trial.score:.4g}")
    best = oracle.get_best_trials(num_trials=1)
    best_score = best[0].score if best else None
    return (f"Trial {number}: {score}"
            + ("" if best_score is None
               else f"; best so far {best_score:.4g}") + ".")


def check_strategy(strategy):
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


def trials_table(tuner):
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
