"""The recipes' command lines: one `argparse` parser per recipe, with the
defaults its options show.

This module imports nothing but the standard library, so `kerasnn RECIPE
--help` and a bad option answer in a fraction of a second: the recipe
itself, and Keras with it, loads only once the options parse. Each recipe
parses with the same parser, then checks what argparse cannot.
"""

import argparse
import math
import os

#: Choices of every recipe's `--distribute`.
DISTRIBUTE = ("none", "mirrored", "multiprocess")
_DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data")
#: The embedded MNIST subset: 5,000 training and 5,000 test images.
MNIST = os.path.join(_DATA, "mnist-5k.npz")
#: The tabular recipe's table without `--csv`: the Palmer penguins.
DEFAULT_CSV = os.path.join(_DATA, "penguins.csv")
DEFAULT_TARGET = "species"
SEARCHES = ("random", "grid", "bayesian", "hyperband")

#: Few-shot training budgets of the transfer recipe in optimizer steps, not
#: epochs: 25 images make one batch an epoch, so 40 epochs would be 40 steps,
#: too few for the head. Chosen on the digits 5-9 -> 0-4, never on the test
#: split 0-4 -> 5-9 (benchmarks/bench_transfer.py, docs/images.md).
HEAD_STEPS, FINE_STEPS = 160, 80
#: Discriminative rates of fine-tuning: body, head (Adam), and the body's
#: BatchNorm layers: "train" (each batch normalised with its own statistics,
#: the moving ones following the new digits) or "frozen" (the 0-4 ones);
#: chosen likewise (the body's rate was 1e-4 with BatchNorm frozen).
FINE_RATE, HEAD_RATE = 3e-4, 1e-3
FINE_BATCHNORM = "train"
#: The swapped head: a cosine classifier imprinted with the few images'
#: mean features (Qi et al., 2018), and its scale; chosen likewise.
HEAD, SCALE = "cosine", 20.0
#: The 0-4 model's own head: a cosine classifier on its conv features
#: (Baseline++, Chen et al., 2019), so that they are learnt for the kind of
#: head they will feed; chosen likewise.
BASE_HEAD = "cosine"
#: The 0-4 model's learning rate (Adam), halved every 3 epochs: the MNIST
#: recipe's, chosen against 1e-3 on the evens -> odds and 5-9 -> 0-4 splits
#: and against 3e-3 on evens -> odds (docs/images.md).
BASE_RATE = 2e-3


def mnist_parser(prog=None):
    """The MNIST recipe's options."""
    parser = argparse.ArgumentParser(
        prog=prog or "python -m kerasnn.recipes.mnist",
        description="Train a digit classifier on MNIST (an embedded 5k subset "
                    "by default) and write metrics, model, history and plots.")
    add_run_options(parser)
    _add_mnist_data(parser)
    parser.add_argument("--eval-npz", default=None,
                        help="one more .npz (x_test, y_test) to score on")
    parser.add_argument("--model", choices=("cnn", "mlp"), default="cnn",
                        help="a small CNN or a dense network (default: "
                             "%(default)s)")
    parser.add_argument("--epochs", type=positive_int, default=12,
                        help="training epochs (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=32,
                        help="rows per training step (default: %(default)s)")
    parser.add_argument("--learning-rate", type=positive_float,
                        default=2e-3,
                        help="Adam's learning rate, the peak of the StepLR "
                             "schedule (default: %(default)s)")
    parser.add_argument("--find-lr", action="store_true",
                        help="run the learning-rate range test first and train "
                             "at its suggestion")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="mixed_bfloat16 (for GPUs)")
    parser.add_argument("--distribute", type=distribute_choice,
                        default="none",
                        help="mirrored: tf.distribute on this machine's "
                             "devices (TensorFlow); multiprocess: one "
                             "process per host on JAX, read from "
                             "KERAS_DISTRIBUTION_JOB_ADDRESSES, _NUM_PROCESSES "
                             "and _PROCESS_ID (--batch-size is the global "
                             "batch); see docs/scale-out.md")
    return parser


def tabular_parser(prog=None):
    """The tabular recipe's options."""
    parser = argparse.ArgumentParser(
        prog=prog or "python -m kerasnn.recipes.tabular",
        description="Train kerasnn's tabular model on a CSV and evaluate it.")
    add_run_options(parser)
    parser.add_argument("--csv", help="training table (default: the embedded "
                        "penguins data)")
    parser.add_argument("--target", nargs="+", metavar="COLUMN",
                        help="target column (default with the embedded data: "
                        f"{DEFAULT_TARGET}); several 0/1 columns make a "
                        "multi-label task")
    parser.add_argument("--problem", choices=("binary", "multiclass",
                                              "regression", "multilabel"),
                        help="the problem type (default: inferred from the "
                        "target)")
    parser.add_argument("--test-csv", help="held-out table (default: split "
                        "--test-size of --csv)")
    parser.add_argument("--test-size", type=float, default=0.2,
                        help="share of --csv held out for the test score when "
                        "there is no --test-csv (default: %(default)s)")
    parser.add_argument("--epochs", type=positive_int, default=None,
                        help="most training epochs; early stopping ends "
                        "sooner (default: train_tabular's choice for the "
                        "learning-rate schedule; a search's trials: tune's)")
    parser.add_argument("--patience", type=positive_int, default=None,
                        help="epochs without a better validation loss before "
                        "stopping (default: train_tabular's choice: the "
                        "whole cosine schedule for the ensembles)")
    parser.add_argument("--batch-size", type=positive_int, default=None,
                        help="rows per training step (default: "
                        "train_tabular's choice for the table's size)")
    parser.add_argument("--restarts", type=positive_int, default=1,
                        help="models trained from different seeds, the best "
                        "on validation kept (default: %(default)s)")
    parser.add_argument("--class-weight", choices=("balanced",), default=None,
                        help="weight the classes by their inverse frequency "
                        "(default: none)")
    parser.add_argument("--oversample", choices=("sample", "smote"),
                        default=None,
                        help="add synthetic minority rows: 'sample' "
                        "(kerasnn's sampler) or 'smote' (needs "
                        "imbalanced-learn) (default: none)")
    parser.add_argument("--search", choices=SEARCHES, default=None,
                        help="search the options first with keras-tuner")
    parser.add_argument("--trials", type=positive_int, default=10,
                        help="settings tried by --search (default: "
                        "%(default)s)")
    parser.add_argument("--distribute", type=distribute_choice,
                        default="none",
                        help="mirrored: tf.distribute on this machine's "
                             "devices (TensorFlow)")
    return parser


def transfer_parser(prog=None):
    """The transfer recipe's options."""
    parser = argparse.ArgumentParser(
        prog=prog or "python -m kerasnn.recipes.transfer",
        description="Train on digits 0-4, swap the head for 5-9 with a few "
                    "images per class, and compare with training from scratch.")
    add_run_options(parser, backup_what="training of the 0-4 model")
    _add_mnist_data(parser)
    parser.add_argument("--shots", type=positive_int, default=20,
                        help="labelled images per new class (default 20)")
    parser.add_argument("--epochs", type=positive_int, default=8,
                        help="epochs on the digits 0-4 (default 8)")
    parser.add_argument("--learning-rate", type=positive_float,
                        default=BASE_RATE,
                        help=f"learning rate of the 0-4 model (Adam, halved "
                             f"every 3 epochs; default {BASE_RATE:g})")
    parser.add_argument("--head-epochs", type=positive_int,
                        default=None,
                        help=f"epochs of the head; default: {HEAD_STEPS} "
                             f"steps' worth (40 epochs of 20 shots, 160 of 5). "
                             f"The scratch model trains for the head's and "
                             f"fine-tuning's epochs together")
    parser.add_argument("--fine-epochs", type=positive_int,
                        default=None,
                        help=f"epochs of fine-tuning after the head; default: "
                             f"{FINE_STEPS} steps' worth")
    parser.add_argument("--fine-learning-rate", type=positive_float,
                        default=FINE_RATE,
                        help="learning rate of the body while fine-tuning "
                             f"(default {FINE_RATE:g})")
    parser.add_argument("--head-learning-rate", type=positive_float,
                        default=HEAD_RATE,
                        help="learning rate of the head while fine-tuning "
                             f"(default {HEAD_RATE:g})")
    parser.add_argument("--fine-batchnorm", choices=("train", "frozen"),
                        default=FINE_BATCHNORM,
                        help="the body's BatchNorm layers while fine-tuning: "
                             "'train' (normalise with the few images' "
                             "statistics and learn) or 'frozen' (keep the 0-4 "
                             f"statistics; default {FINE_BATCHNORM})")
    parser.add_argument("--cut", default="flatten",
                        help="last layer of the reused body (default: flatten, "
                             "the conv features; 'penultimate' keeps the 0-4 "
                             "model's dense layer too)")
    parser.add_argument("--head", choices=("cosine", "dense"), default=HEAD,
                        help=f"output layer of the swapped model: 'cosine', "
                             f"imprinted with the mean features of the few "
                             f"images before training, or 'dense' "
                             f"(default {HEAD})")
    parser.add_argument("--base-head", choices=("cosine", "dense"),
                        default=BASE_HEAD,
                        help=f"output layer of the 0-4 model: 'cosine', on "
                             f"its flattened conv features (Baseline++), or "
                             f"'dense', the CNN's own head of a Dense layer "
                             f"and a dense output (default {BASE_HEAD})")
    parser.add_argument("--scale", type=positive_float, default=SCALE,
                        help=f"factor of the cosine heads' cosines (default "
                             f"{SCALE:g})")
    parser.add_argument("--batch-size", type=positive_int, default=32,
                        help="batch size of the 0-4 model, and the largest "
                             "batch of the few-shot phases, which split the "
                             "few images into batches as even as one size "
                             "allows (default 32: 100 images in batches of 25)")
    parser.add_argument("--mixed-precision", action="store_true",
                        help="mixed_bfloat16 (for GPUs)")
    return parser


#: Recipe name -> the function that builds its parser.
PARSERS = {"mnist": mnist_parser, "tabular": tabular_parser,
           "transfer": transfer_parser}


def add_run_options(parser, *, backup_what="training"):
    """The options every recipe takes, with the same names and meanings."""
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--seed", type=natural_int, default=0,
                        help="seeds the split, the weights and TensorFlow's op "
                             "determinism, so a CPU run is repeatable "
                             "(default 0)")
    parser.add_argument("--backup-dir", default=None,
                        help=f"where the {backup_what} keeps its state for "
                             "BackupAndRestore (default OUT/backup, removed "
                             "after a successful run)")
    parser.add_argument("--quiet", action="store_true",
                        help="no per-epoch progress lines")


def distribute_choice(text):
    """`--distribute`'s type: one of `DISTRIBUTE`; `multiworker` explains."""
    if text == "multiworker":
        raise argparse.ArgumentTypeError(
            "'multiworker' was removed: model.fit under tf.distribute's "
            "MultiWorkerMirroredStrategy fails inside Keras 3 "
            "(keras-team/keras#20585). Use 'multiprocess' (JAX backend, one "
            "process per host, KERAS_DISTRIBUTION_* variables; see "
            "docs/scale-out.md) or 'mirrored' (one machine, TensorFlow).")
    if text not in DISTRIBUTE:
        raise argparse.ArgumentTypeError(
            f"must be one of {', '.join(map(repr, DISTRIBUTE))}. Received: "
            f"{text!r}.")
    return text


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def natural_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0, got {value}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0 or not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def _add_mnist_data(parser):
    """`--data`, the digits of the MNIST and transfer recipes."""
    parser.add_argument("--data", default=MNIST,
                        help="a .npz in Keras's mnist.npz layout (default: the "
                             "embedded 5k subset)")
