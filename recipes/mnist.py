"""MNIST digits with a small BatchNorm CNN, offline, in a few minutes on a CPU.

    python -m kerasnn.recipes.mnist --out runs/mnist
    python -m kerasnn.recipes.mnist --data ~/.keras/datasets/mnist.npz --out runs/full
    python -m kerasnn.recipes.mnist --model mlp --find-lr --seed 1 --out runs/mlp

The default data is a 5,000 + 5,000 image subset of MNIST shipped in
`recipes/data/mnist-5k.npz`; `--data` takes any file in Keras's `mnist.npz`
layout (`x_train`, `y_train`, `x_test`, `y_test`). A stratified tenth of the
shuffled training images is held out for validation (the embedded training
images are stored sorted by label, so Keras's `validation_split`, which takes
the last rows, would validate on nines only).

Training runs with `GradientMonitor` (stops on NaN or exploding gradients),
`StepLR`, early stopping on the validation loss (best weights restored) and
`BackupAndRestore`: a run killed mid-training and started again with the same
command resumes from its last finished epoch. Writes `metrics.json`,
`model.keras`, `history.csv` and plots into `--out`. Exit status: 0 on
success, 1 when training failed (NaN/exploding; the best finite weights are
still saved), 2 for a bad input.
"""

import json
import os
import shutil
import sys

import keras

import kerasnn
from kerasnn.callbacks import GradientMonitor
from kerasnn.callbacks import StepLR
from kerasnn.callbacks import find_lr

from . import _cli_parsers
from . import _common


def parse_args(argv, prog=None):
    return _cli_parsers.mnist_parser(prog).parse_args(argv)


def main(argv=None, *, prog=None, extra_callbacks=(), verbose="auto"):
    """Runs the recipe; returns the exit status (0 ok, 1 failed training).

    `argv`, `prog`, `extra_callbacks` and `verbose` (`"auto"`: one line
    per epoch; 0 with `--quiet`) are as in `kerasnn.recipes.tabular.main`.
    """
    args = parse_args(argv, prog)
    verbose = _common.recipe_verbose(verbose, args.quiet)
    if args.distribute == "multiprocess" and args.find_lr:
        raise _common.RecipeError(
            "--find-lr runs on one process. Received: --find-lr with "
            "--distribute multiprocess. Run --find-lr alone first, then pass "
            "its suggestion as --learning-rate.")
    processes = _common.start_processes(args.distribute)
    train = _common.load_npz(args.data, "--data", ("x_train", "y_train"))
    test = _common.load_npz(args.data, "--data", ("x_test", "y_test"),
                            required=False)
    extra = (_common.load_npz(args.eval_npz, "--eval-npz", ("x_test", "y_test"))
             if args.eval_npz else None)
    out = _common.output_dir(args.out)
    backup_dir = args.backup_dir or os.path.join(out, "backup")
    _common.set_seed(args.seed)
    _common.set_mixed_precision(args.mixed_precision)
    strategy = _common.distribution_strategy(args.distribute)

    x, y = train
    x_train, y_train, x_val, y_val = _common.stratified_split(x, y, 0.1,
                                                              args.seed)
    model = build(args, strategy)

    lr, finder = args.learning_rate, None
    if args.find_lr:
        lr, finder = choose_lr(model, x_train, y_train, args, backup_dir)
        if lr is None:
            print("error: the learning-rate finder found no falling stretch of "
                  "the loss; pass --learning-rate instead of --find-lr.",
                  file=sys.stderr)
            return 1
    model.optimizer.learning_rate = lr

    monitor = GradientMonitor(policy="stop", every=50)
    result = _common.fit_safely(
        model, x_train, y_train, (x_val, y_val), epochs=args.epochs,
        batch_size=args.batch_size, monitor=monitor,
        callbacks=[StepLR(step_size=3, gamma=0.5), *extra_callbacks],
        backup_dir=backup_dir, patience=4, verbose=verbose,
        processes=processes)

    metrics = {
        "model": args.model, "backend": keras.backend.backend(),
        "seed": args.seed, "learning_rate": lr, "epochs": args.epochs,
        "batch_size": args.batch_size, "n_train": len(y_train),
        "n_val": len(y_val), "mixed_precision": args.mixed_precision,
        "input": "pixels / 255, shape (28, 28, 1)",
        "processes": processes.count,
        **result.summary(),
    }
    if finder is not None:
        metrics["lr_finder"] = {"suggestion": lr}
    if test is not None:
        metrics.update(_common.score(model, *test, "test", processes))
    if extra is not None:
        metrics.update(_common.score(model, *extra, "eval", processes))
    if not processes.is_chief:
        _common.follow_outputs(model)
        return 0 if result.ok else 1
    _common.write_outputs(out, model, result, metrics, finder)
    if result.ok:
        shutil.rmtree(backup_dir, ignore_errors=True)
    _common.print_summary("MNIST " + args.model, metrics)
    return 0 if result.ok else 1


def build(args, strategy=None):
    """The CNN (or MLP) of the recipe, compiled."""
    common = dict(learning_rate=args.learning_rate, seed=args.seed,
                  strategy=strategy)
    if args.model == "mlp":
        return kerasnn.build_model("multiclass", (28, 28, 1),
                                   n_classes=_common.N_CLASSES, hidden=[256],
                                   dropout=0.2, **common)
    return _common.image_model(_common.N_CLASSES, **common)


def choose_lr(model, x, y, args, backup_dir):
    """Runs the LR range test (or reuses its result when resuming)."""
    saved = os.path.join(backup_dir, "lr.json")
    if os.path.exists(saved):
        with open(saved) as f:
            return json.load(f)["learning_rate"], None
    finder = find_lr(model, x, y, batch_size=args.batch_size, num_steps=100,
                     start_lr=1e-6, end_lr=1.0)
    lr = finder.suggestion
    if lr is not None:
        _common.write_json(saved, {"learning_rate": lr})
    return lr, finder


if __name__ == "__main__":
    sys.exit(_common.run_main(main))
