"""Semi-supervised training on tables: pseudo-labels for unlabelled rows.

`train_pseudo_labeled` trains on the labelled rows, labels the unlabelled
rows the model is confident about, and trains again on both, for a set
number of rounds (self-training, Lee 2013). The validation rows are always
labelled rows held out once at the start, so every round is judged on the
same real labels, and the round with the lowest validation loss is kept: a
round whose pseudo-labels hurt is never the one returned.
"""

import dataclasses

import numpy as np
import pandas as pd

from kerasnn._validation import check_bool
from kerasnn._validation import check_float
from kerasnn._validation import check_int
from kerasnn.errors import KerasnnValueError
from kerasnn.problems import check_problem
from kerasnn.problems import infer_problem
from kerasnn.tabular.tables import check_frame
from kerasnn.tabular.tables import check_target
from kerasnn.tabular.training import split_rows
from kerasnn.tabular.training import train_tabular


@dataclasses.dataclass(frozen=True)
class PseudoLabelResult:
    """What `kerasnn.train_pseudo_labeled` returns.

    Attributes:
        model: The trained `TabularModel` of the round with the lowest
            validation loss (round 0 trained on the labelled rows alone).
        history: The `keras.callbacks.History` of that round.
        rounds: DataFrame, one row per round: `round`, `pseudo_rows` (rows
            added with pseudo-labels), `val_loss` and, for classification,
            `val_accuracy`.
    """

    model: object
    history: object
    rounds: object


def train_pseudo_labeled(X, y, unlabeled, *, threshold=0.95, rounds=2,
                         max_rows=None, balance=True, problem=None,
                         validation_split=0.2, seed=None, **train_options):
    """`train_tabular` on labelled rows plus confidently pseudo-labelled ones.

    Round 0 trains on the labelled rows. Each later round predicts the
    unlabelled rows with the best model so far, keeps those whose top class
    probability is at least `threshold` (the most confident `max_rows` of
    them, if set), labels them with the predicted class, and trains a new
    model on the labelled and pseudo-labelled rows together. Pseudo-labels
    are redrawn each round from the current best model, so a label the
    first model got wrong can be corrected later; when a round does not beat
    the best, the next would repeat it, so training stops there.

    A model is most confident about the majority class, so the rows above
    the threshold over-represent it; with `balance` they are cut, the most
    confident kept, to the class shares of the labelled rows.

    Args:
        X: pandas DataFrame of labelled features. Not modified.
        y: Labels of `X`, one per row. Classification only.
        unlabeled: pandas DataFrame with the columns of `X`, no labels. Not
            modified.
        threshold: Float in (0, 1). Smallest top-class probability for a
            pseudo-label. Defaults to `0.95`.
        rounds: Integer >= 1. Rounds of pseudo-labelling after round 0.
            Defaults to `2`.
        max_rows: Integer >= 1 or `None`: at most this many pseudo-labelled
            rows per round, the most confident first. Defaults to `None`
            (every row above the threshold).
        balance: Boolean. Keeps the pseudo-labels in the class shares of
            the labelled training rows. Defaults to `True`.
        problem: `"binary"`, `"multiclass"` or `None` to infer it from `y`.
        validation_split: Float in (0, 1). Share of the labelled rows held out
            (stratified), once, to stop each round's training and to choose
            the round. Defaults to `0.2`.
        seed: Integer or `None`. Seeds the split and every round's training.
        **train_options: Passed to `kerasnn.train_tabular` (`epochs`,
            `patience`, `class_weight`, `hidden`, ...).

    Returns:
        A `PseudoLabelResult`: `.model`, `.history` and `.rounds`.

    Raises:
        KerasnnValueError, KerasnnTypeError: For a bad argument, before any
            training.

    Example:

    >>> result = train_pseudo_labeled(X_few, y_few, X_rest,
    ...                               seed=0)  # doctest: +SKIP
    >>> result.rounds[["round", "pseudo_rows", "val_loss"]]  # doctest: +SKIP
    """
    X = check_frame(X)
    y = check_target(y, len(X))
    unlabeled = check_frame(unlabeled)
    missing = [c for c in X.columns if c not in unlabeled.columns]
    if missing:
        raise KerasnnValueError(
            "`unlabeled` must have the columns of `X`. Received: columns "
            f"{missing} missing.")
    problem = infer_problem(y) if problem is None else check_problem(problem)
    if problem not in ("binary", "multiclass"):
        raise KerasnnValueError(
            "Pseudo-labels need class probabilities: `problem` must be "
            f"'binary' or 'multiclass'. Received: problem={problem!r}.")
    threshold = check_float("threshold", threshold, low=0.0, high=1.0,
                            low_inclusive=False)
    rounds = check_int("rounds", rounds, minimum=1)
    max_rows = check_int("max_rows", max_rows, minimum=1, allow_none=True)
    check_bool("balance", balance)
    validation_split = check_float("validation_split", validation_split,
                                   low=0.0, high=1.0, low_inclusive=False)
    seed = check_int("seed", seed, minimum=0, allow_none=True)
    for name in ("validation_data", "restarts"):
        if name in train_options:
            raise KerasnnValueError(
                f"`{name}` is set by train_pseudo_labeled (one held-out split "
                f"of the labelled rows for every round). Received: {name}="
                f"{train_options[name]!r}. Set validation_split instead.")
    unlabeled = unlabeled[list(X.columns)]

    train, val = split_rows(y, validation_split, True, seed)
    X_train, y_train = X.iloc[train], y[train]
    validation = (X.iloc[val], y[val])

    def fit(X_fit, y_fit):
        return train_tabular(X_fit, y_fit, problem=problem,
                             validation_data=validation, seed=seed,
                             **train_options)

    best = fit(X_train, y_train)
    table = [_round_row(0, 0, best.history)]
    best_loss = table[0]["val_loss"]
    shares = (pd.Series(np.asarray(y_train, dtype=object)).value_counts(
        normalize=True) if balance else None)
    for round_ in range(1, rounds + 1):
        picked, labels = _pseudo_labels(best.model, unlabeled, threshold,
                                        max_rows, shares)
        if len(picked):
            X_fit = pd.concat([X_train, unlabeled.iloc[picked]],
                              ignore_index=True)
            y_fit = np.concatenate([np.asarray(y_train, dtype=object),
                                    labels.astype(object)])
            if np.asarray(y_train).dtype != object:
                y_fit = y_fit.astype(np.asarray(y_train).dtype)
            result = fit(X_fit, y_fit)
        else:
            result = best  # nothing confident: the same data, the same model
        row = _round_row(round_, len(picked), result.history)
        table.append(row)
        if not row["val_loss"] < best_loss:
            break  # the same best model: the next round would repeat this one
        best, best_loss = result, row["val_loss"]
    return PseudoLabelResult(model=best.model, history=best.history,
                             rounds=pd.DataFrame(table))


def _pseudo_labels(model, unlabeled, threshold, max_rows, shares=None):
    """Indices of the confident rows and their predicted labels.

    With `shares` (a Series of class shares), the rows of each class are cut,
    least confident first, so that the classes keep those shares.
    """
    probabilities = np.asarray(model.predict(unlabeled, verbose=0))
    if probabilities.ndim == 1 or probabilities.shape[1] == 1:
        p = probabilities.reshape(-1)
        probabilities = np.stack([1 - p, p], axis=1)
    confidence = probabilities.max(axis=1)
    picked = np.flatnonzero(confidence >= threshold)
    classes = np.asarray(model.classes, dtype=object)
    if shares is not None and len(picked):
        predicted = classes[probabilities[picked].argmax(axis=1)]
        available = pd.Series(predicted).value_counts()
        total = min(available.get(c, 0) / share for c, share in shares.items())
        keep = []
        for c, share in shares.items():
            rows = picked[predicted == c]
            order = np.argsort(-confidence[rows], kind="stable")
            keep.append(rows[order[:int(total * share)]])
        picked = np.sort(np.concatenate(keep))
    if max_rows is not None and len(picked) > max_rows:
        order = np.argsort(-confidence[picked], kind="stable")
        picked = np.sort(picked[order[:max_rows]])
    return picked, classes[probabilities[picked].argmax(axis=1)]


def _round_row(round_, added, history):
    losses = history.history.get("val_loss", [])
    best_epoch = int(np.nanargmin(losses)) if len(losses) else None
    row = {"round": round_, "pseudo_rows": added,
           "val_loss": float(losses[best_epoch]) if losses else np.nan}
    accuracy = history.history.get("val_accuracy")
    if accuracy is not None and best_epoch is not None:
        row["val_accuracy"] = float(accuracy[best_epoch])
    return row
