"""Transfer learning with a head swap: digits 0-4 teach a model digits 5-9.

    python -m kerasnn.recipes.transfer --out runs/transfer
    python -m kerasnn.recipes.transfer --shots 5 --seed 1 --out runs/transfer-5

A CNN is trained on the digits 0-4 (all their images: the training and the
test part, since only the digits 5-9 are scored), its conv features under a
cosine head (Baseline++, `--base-head`). The task then
changes to the digits 5-9, with only `--shots` labelled images per class, and
three models are scored on the test images of 5-9:

(a) *scratch*: the recipe's CNN (dense head) trained from scratch on the
    few images;
(b) *head only*: `kerasnn.swap_head(..., head="cosine")` on the 0-4 model,
    body frozen; `kerasnn.imprint` sets each class's weights to the mean
    feature of its few images (scored as "imprinted", before any step), then
    the head is trained on them;
(c) *fine-tuned*: (b), then `kerasnn.fine_tune`'s second phase: the body
    unfrozen at a lower rate than the head's, its BatchNorm layers training
    on the new digits (`--fine-batchnorm`).

`metrics.json` holds their accuracies and training times and the margin of
transfer over scratch. The 0-4 model's training resumes after a kill (with
`BackupAndRestore`; once trained it is kept in the backup folder until the run
succeeds); the few-shot phases are short and simply rerun. Exit status: 0 on
success, 1 when the 0-4 training failed (NaN/exploding), 2 for a bad input.
"""

import os
import shutil
import sys
import time

import keras
import numpy as np

from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import StepLR
from kerasnn.transfer.fine_tuning import fine_tune
from kerasnn.transfer.heads import imprint
from kerasnn.transfer.heads import swap_head

from . import _cli_parsers
from . import _common
from ._cli_parsers import FINE_STEPS
from ._cli_parsers import HEAD_STEPS
from ._common import RecipeError
from ._common import print_msg

SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)


def parse_args(argv, prog=None):
    return _cli_parsers.transfer_parser(prog).parse_args(argv)


def main(argv=None, *, prog=None, extra_callbacks=(), verbose="auto"):
    """Runs the recipe; returns the exit status (0 ok, 1 failed training).

    `argv`, `prog`, `extra_callbacks` and `verbose` (`"auto"`: one line
    per epoch; 0 with `--quiet`) are as in `kerasnn.recipes.tabular.main`.
    """
    args = parse_args(argv, prog)
    args.verbose = _common.recipe_verbose(verbose, args.quiet)
    x, y = _common.load_npz(args.data, "--data", ("x_train", "y_train"))
    test = _common.load_npz(args.data, "--data", ("x_test", "y_test"),
                            required=False)
    if test is None:
        raise RecipeError(
            f"--data must hold x_test and y_test: the recipe scores the digits "
            f"5-9 on them. Received: {args.data!r} without them.")
    _check_digits(y, test[1], args.shots)
    # A bad --cut is refused before any training: the recipe's CNN has its
    # layers, and their names, before it is trained.
    _swap(source_model(len(SOURCE), args), len(TARGET), args)
    out = _common.output_dir(args.out)
    backup_dir = args.backup_dir or os.path.join(out, "backup")
    _common.set_seed(args.seed)
    _common.set_mixed_precision(args.mixed_precision)
    rng = np.random.default_rng(args.seed)

    # (0) The model of the digits 0-4.
    x_test, y_test = test
    x_tr, y_tr, x_val, y_val = _common.stratified_split(
        *source_images((x, y), test, SOURCE), 0.1, args.seed)
    base, base_result = train_base(args, x_tr, y_tr, (x_val, y_val),
                                    backup_dir, extra_callbacks)
    metrics = {"backend": keras.backend.backend(), "seed": args.seed,
               "shots": args.shots, "cut": args.cut,
               "base_head": args.base_head,
               "mixed_precision": args.mixed_precision}
    metrics["base"] = {"digits": "0-4", "n_train": len(y_tr),
                       "learning_rate": args.learning_rate,
                       "reloaded_from_backup": base_result is None}
    if base_result is not None:
        metrics["base"].update(base_result.summary())
        if base_result.history.get("loss"):
            _common.write_history(base_result.history,
                                  os.path.join(out, "base_history.csv"))
        if not base_result.ok:
            metrics["status"] = "failed"
            _common.write_outputs(out, base, base_result, metrics)
            _common.print_summary("Transfer, digits 0-4 model", {
                **metrics, **base_result.summary(),
                "learning_rate": args.learning_rate})
            return 1
    # Its test images are training images: it is scored on its validation
    # part, which it never trained on (early stopping chose on it).
    metrics["base"]["val_accuracy"] = _accuracy(base, x_val, y_val)

    # (a)-(c) The digits 5-9 from a few images each.
    pick = np.concatenate([
        rng.choice(np.flatnonzero(y == d), args.shots, replace=False)
        for d in TARGET])
    order = rng.permutation(pick)
    x_few, y_few = x[order], y[order] - TARGET[0]
    on_target = np.isin(y_test, TARGET)
    x_new, y_new = x_test[on_target], y_test[on_target] - TARGET[0]
    scores, swapped = few_shot(base, x_few, y_few, x_new, y_new, args)
    metrics.update(scores)

    # The margin of the model the run saves (the fine-tuned one): taking the
    # better of head only and fine-tuned would choose on the test images.
    metrics["margin_over_scratch"] = round(
        metrics["fine_tuned"]["accuracy"] - metrics["scratch"]["accuracy"], 4)
    metrics["n_test"] = int(len(y_new))
    metrics["status"] = "ok"
    _common.save_model(swapped, os.path.join(out, "model.keras"))
    _common.write_json(os.path.join(out, "metrics.json"), metrics)
    shutil.rmtree(backup_dir, ignore_errors=True)
    _print(metrics)
    return 0


def _check_digits(y_train, y_test, shots):
    """Enough images of every digit: `shots` of each new one to train on,
    one of each to score."""
    for digits, what in ((SOURCE, "--data y_train"), (TARGET, "--data y_train"),
                         (TARGET, "--data y_test")):
        labels = y_train if what.endswith("y_train") else y_test
        counts = np.bincount(labels, minlength=10)[list(digits)]
        need = shots if digits == TARGET and what.endswith("train") else 1
        if counts.min() < need:
            raise RecipeError(
                f"{what} must hold at least {need} image(s) of each digit "
                f"{digits[0]}-{digits[-1]}"
                + (f" (--shots {shots})" if need > 1 else "")
                + f". Received: counts {counts.tolist()}.")


def source_images(train, test, digits):
    """The images of sorted `digits` in both parts, labelled 0, 1, ... in order.

    Only the new digits' test images score the transfer, so the source
    digits' test images are more images for the source model: 5,061 instead
    of 2,500 on the embedded subset. Chosen on the digits 5-9 -> 0-4 (the
    imprinted head +0.9 and +0.6 points at 5 and 20 shots, fine-tuned +0.04
    and +0.27, seeds 0 and 1; docs/images.md).
    """
    (x, y), (x_test, y_test) = train, test
    keep, keep_test = np.isin(y, digits), np.isin(y_test, digits)
    labels = np.concatenate([y[keep], y_test[keep_test]])
    return (np.concatenate([x[keep], x_test[keep_test]]),
            np.searchsorted(digits, labels))


def few_shot(base, x_few, y_few, x_new, y_new, args):
    """(a) scratch, (b) head only and (c) fine-tuned on the few images.

    Returns their scores on `(x_new, y_new)` and the fine-tuned model. The
    scratch model trains for as many steps as the fine-tuned one (head and
    fine-tuning together), in the same batches and, as the body of the
    transfer model, with the augmentation layers of the recipe's CNN, so the
    comparison is fair: the transfer model differs in its starting weights
    only.
    """
    n_classes = len(np.unique(y_few))
    steps = -(-len(y_few) // args.batch_size)  # per epoch
    head_epochs = args.head_epochs or -(-HEAD_STEPS // steps)
    fine_epochs = args.fine_epochs or -(-FINE_STEPS // steps)
    # Batches as even as one size allows, at most --batch-size: 100 images
    # go in 4 batches of 25, not 3 of 32 and one of 4, whose gradient and
    # BatchNorm statistics are mostly noise; the steps per epoch are the same.
    batch_size = -(-len(y_few) // steps)
    fit = dict(batch_size=batch_size, verbose=0)
    scores = {}

    scratch = _common.image_model(n_classes, seed=args.seed)
    start = time.perf_counter()
    scratch.fit(x_few, y_few, epochs=head_epochs + fine_epochs, **fit)
    scores["scratch"] = _scored(scratch, x_new, y_new, start)

    swapped = _swap(base, n_classes, args)
    start = time.perf_counter()
    if args.head == "cosine":
        # Each class's weights start as its images' mean feature: the head
        # is a nearest-class-mean classifier before any step.
        imprint(swapped, x_few, y_few)
        scores["imprinted"] = _scored(swapped, x_new, y_new, start)
    fine_tune(swapped, x_few, y_few, head_epochs=head_epochs, epochs=0, **fit)
    scores["head_only"] = _scored(swapped, x_new, y_new, start)
    start = time.perf_counter()
    # The body moves at a third of the head's rate: enough to adapt its
    # features, too little to unlearn them on 25-100 images.
    fine_tune(swapped, x_few, y_few, head_epochs=0, epochs=fine_epochs,
              learning_rate=args.fine_learning_rate,
              head_learning_rate=args.head_learning_rate,
              train_batchnorm=args.fine_batchnorm == "train", **fit)
    scores["fine_tuned"] = _scored(swapped, x_new, y_new, start)
    scores["fine_tuned"]["seconds"] = round(
        scores["fine_tuned"]["seconds"] + scores["head_only"]["seconds"], 2)
    scores["epochs"] = {"scratch": head_epochs + fine_epochs,
                        "head": head_epochs, "fine_tune": fine_epochs}
    scores["batch_size"] = batch_size
    return scores, swapped


def train_base(args, x, y, validation_data, backup_dir, extra_callbacks):
    """Trains the 0-4 model, or reloads it when a killed run is resumed."""
    saved = os.path.join(backup_dir, "base.keras")
    if os.path.exists(saved):
        return keras.models.load_model(saved, safe_mode=True), None
    base = source_model(len(SOURCE), args)
    monitor = GradientMonitor(policy="stop", every=50)
    result = _common.fit_safely(
        base, x, y, validation_data, epochs=args.epochs,
        batch_size=args.batch_size, monitor=monitor,
        callbacks=[StepLR(step_size=3, gamma=0.5), *extra_callbacks],
        backup_dir=os.path.join(backup_dir, "base"), patience=4,
        verbose=args.verbose)
    if result.ok:
        _common.save_model(base, saved)
    return base, result


def source_model(n_classes, args):
    """The compiled, untrained model of the source digits (--base-head)."""
    model = _common.image_model(n_classes, learning_rate=args.learning_rate,
                                seed=args.seed)
    if args.base_head == "dense":
        return model
    # Baseline++: the cosine head reads the flattened conv features, where
    # the swapped model cuts, so they are learnt as directions that a cosine
    # head separates; the new digits' heads then imprint well on them.
    return swap_head(model, "multiclass", n_classes=n_classes, cut="flatten",
                     freeze=False, dropout=0.2, head="cosine",
                     scale=args.scale, learning_rate=args.learning_rate,
                     seed=args.seed)


def _swap(base, n_classes, args):
    """`base` cut at --cut, under a new head of `n_classes`."""
    # The conv features transfer; the dense layer above them has learnt the
    # digits 0-4 (cut there, head-only transfer scored 0.68 against 0.95).
    cut = None if args.cut == "penultimate" else args.cut
    try:
        return swap_head(base, "multiclass", n_classes=n_classes, cut=cut,
                         dropout=0.2, head=args.head,
                         scale=args.scale if args.head == "cosine" else None,
                         seed=args.seed)
    except ValueError as error:
        raise RecipeError(f"--cut: {error}") from None


def _accuracy(model, x, y):
    return _common.finite_or_none(
        model.evaluate(x, y, batch_size=500, verbose=0)[1])


def _scored(model, x, y, start):
    seconds = time.perf_counter() - start
    return {"accuracy": _accuracy(model, x, y), "seconds": round(seconds, 2)}


def _print(metrics):
    print_msg(f"Transfer 0-4 -> 5-9 with {metrics['shots']} images per digit, "
              f"scored on {metrics['n_test']} test images:")
    for key, name in (("scratch", "(a) from scratch"),
                      ("imprinted", "    imprinted, 0 steps"),
                      ("head_only", "(b) head only"),
                      ("fine_tuned", "(c) head + fine-tune")):
        m = metrics.get(key)
        if m is None:
            continue
        print_msg(f"  {name:22s} accuracy {m['accuracy']:.4f}  {m['seconds']:.1f} s")
    print_msg(f"  fine-tuned minus scratch: {metrics['margin_over_scratch']:+.4f}")


if __name__ == "__main__":
    sys.exit(_common.run_main(main))
