"""The MNIST data and CNN that the MNIST and transfer recipes share: `.npz`
loading and checks, the stratified validation split and the compiled CNN
(the embedded subset's path, `MNIST`, is in `_cli_parsers`)."""

import os
import zipfile

import keras
import numpy as np

import kerasnn
from ._errors import RecipeError

N_CLASSES = 10


def load_npz(path, flag, keys, *, required=True):
    """Loads arrays `keys` (images, labels) from a `.npz`, pickles refused."""
    if not os.path.isfile(path):
        raise RecipeError(f"{flag} must be an existing .npz file. Received: "
                          f"{path!r} (no such file).")
    try:
        with np.load(path, allow_pickle=False) as data:
            if not hasattr(data, "files"):
                raise ValueError("it holds a single array, not named arrays")
            missing = [k for k in keys if k not in data.files]
            if missing and required:
                raise RecipeError(
                    f"{flag} must hold the arrays {', '.join(keys)} (Keras's "
                    f"mnist.npz layout). Received: {path!r} without "
                    f"{', '.join(missing)}; it holds "
                    f"{', '.join(data.files) or 'no arrays'}.")
            if missing:
                return None
            x, y = (data[k] for k in keys)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise RecipeError(
            f"{flag} must be a NumPy .npz file in Keras's mnist.npz layout "
            f"(x_train, y_train, x_test, y_test). Received: {path!r}, which "
            f"could not be read as one ({error})."
        ) from None
    return check_images(x, y, f"{flag} {keys[0]}/{keys[1]}")


def check_images(x, y, what):
    """Checks images (n, h, w[, 1]) and integer labels 0-9; returns float32/255."""
    if x.ndim == 4 and x.shape[-1] == 1:
        x = x[..., 0]
    if x.ndim != 3 or y.ndim != 1 or len(x) != len(y) or len(y) == 0:
        raise RecipeError(
            f"{what} must be images of shape (n, height, width) and n labels. "
            f"Received: shapes {x.shape} and {y.shape}.")
    if x.dtype.kind not in "uif" or not np.all(np.isfinite(x)):
        raise RecipeError(
            f"{what}: the images must be finite numbers (pixels 0-255). "
            f"Received: dtype {x.dtype}"
            + (", with NaN or inf." if x.dtype.kind == "f" else "."))
    if y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= N_CLASSES:
        raise RecipeError(
            f"{what}: the labels must be integers 0-{N_CLASSES - 1}. Received: "
            f"dtype {y.dtype}, values {y.min()} to {y.max()}.")
    return (x.astype("float32") / 255.0)[..., None], y.astype("int64")


def stratified_split(x, y, fraction, seed):
    """Shuffles and holds out `fraction` of every class for validation."""
    rng = np.random.default_rng(seed)
    val = []
    for label in np.unique(y):
        rows = rng.permutation(np.flatnonzero(y == label))
        val.append(rows[:max(1, round(fraction * len(rows)))])
    val = np.sort(np.concatenate(val))
    train = rng.permutation(np.setdiff1d(np.arange(len(y)), val))
    return x[train], y[train], x[val], y[val]


#: The recipes' CNN: two blocks of two 3x3 convs (32, 64 filters) with
#: BatchNorm, light augmentation, a little weight decay, and no dropout
#: between the blocks: dropout before a BatchNorm layer shifts the variance
#: it learns between training and inference ("variance shift"), which cost
#: about 0.5% test accuracy here. Measured choices: docs/images.md.
CNN = dict(augment=True, dropout=0.0, translation=0.08, rotation=0.03,
           zoom=0.08, l2=1e-4)


def image_model(n_classes, *, learning_rate=None, seed=None, strategy=None):
    """The compiled CNN of the MNIST and transfer recipes, on 28x28x1 pixels."""
    return short_run_batchnorm(kerasnn.build_image_model(
        "multiclass", (28, 28, 1), n_classes=n_classes,
        learning_rate=learning_rate, seed=seed, strategy=strategy, **CNN))


def short_run_batchnorm(model, momentum=0.9):
    """Sets the moving-average momentum of every BatchNorm layer.

    Keras's default, 0.99, averages over ~100 steps; a run of ~140 steps per
    epoch then evaluates with statistics that lag the weights by an epoch,
    and the validation accuracy jumps around. 0.9 follows the weights.
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = momentum
    return model
