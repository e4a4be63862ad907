"""Pieces the recipes share: running a recipe, seeding and processes.

The rest lives in modules of its own, whose names are importable from here
too: `_cli_parsers` (the command lines and their argument types),
`_outputs` (atomic output files, history, plots and the summary),
`_mnist_data` (the MNIST data and CNN of the MNIST and transfer recipes)
and `_guarded_fit` (the guarded training loop).
"""

import sys

import keras

import kerasnn
from kerasnn._progress import check_verbose
from kerasnn._progress import print_msg  # noqa: F401 (the recipes' lines)
# The parsers' argument types, defined once there, importable from here too.
from ._cli_parsers import DISTRIBUTE
from ._cli_parsers import MNIST  # noqa: F401
from ._cli_parsers import add_run_options  # noqa: F401
from ._cli_parsers import distribute_choice  # noqa: F401
from ._cli_parsers import natural_int  # noqa: F401
from ._cli_parsers import positive_float  # noqa: F401
from ._cli_parsers import positive_int  # noqa: F401
from ._errors import RecipeError
from ._guarded_fit import FAILED  # noqa: F401
from ._guarded_fit import FiniteBackup  # noqa: F401
from ._guarded_fit import FitResult  # noqa: F401
from ._guarded_fit import batches  # noqa: F401
from ._guarded_fit import eval_batch  # noqa: F401
from ._guarded_fit import fit_safely  # noqa: F401
from ._guarded_fit import last_epoch  # noqa: F401
from ._guarded_fit import read_log  # noqa: F401
from ._guarded_fit import score  # noqa: F401
from ._mnist_data import CNN  # noqa: F401
from ._mnist_data import N_CLASSES  # noqa: F401
from ._mnist_data import check_images  # noqa: F401
from ._mnist_data import image_model  # noqa: F401
from ._mnist_data import load_npz  # noqa: F401
from ._mnist_data import short_run_batchnorm  # noqa: F401
from ._mnist_data import stratified_split  # noqa: F401
from ._outputs import finite_or_none  # noqa: F401
from ._outputs import follow_outputs  # noqa: F401
from ._outputs import output_dir  # noqa: F401
from ._outputs import plot_history  # noqa: F401
from ._outputs import plot_to  # noqa: F401
from ._outputs import print_summary  # noqa: F401
from ._outputs import save_model  # noqa: F401
from ._outputs import write_history  # noqa: F401
from ._outputs import write_json  # noqa: F401
from ._outputs import write_outputs  # noqa: F401


def run_main(main, argv=None, **kwargs):
    """Runs a recipe's `main(argv)`; a `RecipeError` becomes a clear exit."""
    try:
        return main(argv, **kwargs)
    except RecipeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def recipe_verbose(verbose, quiet):
    """The verbosity of a recipe's training: 0 with `--quiet`; `"auto"` is
    2, one line per epoch (what Keras advises when the output goes to a
    file, as a command line's often does); 0, 1 or 2 as given otherwise."""
    level = check_verbose(verbose)
    if quiet:
        return 0
    return 2 if verbose == "auto" else level


def set_seed(seed, *, deterministic=True):
    """Seeds Python, NumPy and the backend; on TensorFlow also op determinism."""
    if seed is None:
        return
    keras.utils.set_random_seed(seed)
    if deterministic and keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def set_mixed_precision(enabled):
    """`mixed_bfloat16` when asked; the output layers stay float32."""
    if enabled:
        keras.mixed_precision.set_global_policy("mixed_bfloat16")


def start_processes(name):
    """For `--distribute multiprocess`, joins the other processes first.

    Runs before any JAX work. Returns this process's `ProcessInfo`; `(0, 1)`
    for every other choice.
    """
    if name != "multiprocess":
        return kerasnn.ProcessInfo(0, 1)
    if keras.backend.backend() != "jax":
        raise RecipeError(
            "--distribute multiprocess needs the JAX backend. Received: "
            f"KERAS_BACKEND={keras.backend.backend()}. Set KERAS_BACKEND=jax "
            "in every process.")
    try:
        return kerasnn.initialize_data_parallel()
    except kerasnn.KerasnnError as error:
        raise RecipeError(str(error)) from None


def distribution_strategy(name):
    """The `tf.distribute` strategy for `--distribute`, or `None`.

    `"mirrored"` copies the model onto every local device (TensorFlow);
    `"multiprocess"` needs none: `start_processes` set Keras's
    `DataParallel` distribution, which the builders pick up.
    """
    if name in (None, "none", "multiprocess"):
        return None
    if keras.backend.backend() != "tensorflow":
        raise RecipeError(
            f"--distribute {name} needs the TensorFlow backend. Received: "
            f"KERAS_BACKEND={keras.backend.backend()}. Unset KERAS_BACKEND (or "
            "set it to tensorflow), or on JAX use --distribute multiprocess.")
    import tensorflow as tf

    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    raise RecipeError(
        f"--distribute must be one of {', '.join(map(repr, DISTRIBUTE))}. "
        f"Received: {name!r}.")


