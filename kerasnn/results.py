"""What the training calls return: small read-only records with named fields.

Every call that trains returns one of these, as Keras's `fit` returns a
`History`: read the fields by name (`result.model`, `result.history`). They
are plain attributes, so nothing is lost when a table is copied, filtered or
saved (unlike `DataFrame.attrs`, which most pandas operations drop).

| call | returns |
| --- | --- |
| `train_tabular` | `TrainingResult(model, history)` |
| `tune` | `SearchResult(model, trials, best_options)` |
| `cross_validate` | `CrossValidationResult(scores, mean, std)` |
| `fine_tune` | `FineTuneResult(head, fine_tune)` |
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class TrainingResult:
    """What `kerasnn.train_tabular` returns.

    Attributes:
        model: The trained `TabularModel`, with the weights of its best epoch.
        history: The `keras.callbacks.History` of its run. With `backup_dir`,
            a run resumed after a kill holds the epochs before the kill too.
    """

    model: object
    history: object


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """What `kerasnn.tune` returns.

    Attributes:
        model: The best model, with the weights of its best epoch.
        trials: DataFrame with one row per trial, best first: `trial_id`,
            `status`, `score` (validation loss), `best_step` and one column
            per searched option.
        best_options: Dict of the best trial's options as keyword arguments
            of the builder (plus `batch_size`), e.g. to retrain with
            `kerasnn.train_tabular(X, y, **result.best_options)`.
    """

    model: object
    trials: object = dataclasses.field(repr=False)
    best_options: dict


@dataclasses.dataclass(frozen=True)
class CrossValidationResult:
    """What `kerasnn.cross_validate` returns.

    Attributes:
        scores: DataFrame with one row per fold: `loss` and the model's
            metrics on the held-out fold, plus `n_train` and `n_test`.
        mean: Series of the mean of each score over the folds.
        std: Series of the standard deviation of each score (`ddof=1`).
    """

    scores: object = dataclasses.field(repr=False)
    mean: object
    std: object


@dataclasses.dataclass(frozen=True)
class FineTuneResult:
    """What `kerasnn.fine_tune` returns.

    Attributes:
        head: `History` of the head-only phase, or `None` if it had no epochs.
        fine_tune: `History` of the fine-tuning phase, or `None` if it had
            no epochs; its epochs are numbered on from the head's.
    """

    head: object
    fine_tune: object
