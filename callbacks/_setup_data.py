"""Reading the training data that `check_setup` checks.

Holds `Data`, the arguments of a `fit` call as read here (NumPy arrays,
pandas DataFrames and Series, backend tensors, lists and dicts of those, the
first batches of a `tf.data.Dataset`), and the helpers that read them: the
leaves of a structure with their labels, the targets of each output, float
views of the values, and the rows scanned of a large array.
"""

import inspect

import keras
import numpy as np

from ._base import CallbackTypeError
from ._base import CallbackValueError

_OWNER = "check_setup"


class Data:
    """The training data as read here: whole arrays, or a dataset's sample.

    `kind` is `"arrays"`, `"dataset"` or `"none"` (nothing readable). `x`,
    `y` and `sw` hold NumPy structures (the whole data for arrays, the first
    rows for a dataset); `sample` is `x` cut to at most `size` rows. Arrays
    of up to `scan_elements` elements are scanned in full (`scan_rows`).

    Raises:
        CallbackTypeError: if `x`, `y` or `sample_weight` has a type `fit`
            does not take.
        CallbackValueError: if `x` is None, `y` is given with a dataset, or
            `x`, `y` and `sample_weight` differ in rows.
    """

    def __init__(self, x, y, sample_weight, size, scan_elements):
        self.kind, self.n, self.columns, self.where = "none", 0, {}, ""
        self.scan_elements = scan_elements
        self.forward = None  # rows of the forward pass, if the model fixes it
        self.x = self.y = self.sw = self.sample = None
        self.weighted = sample_weight is not None
        if x is None:
            raise CallbackValueError(
                f"{_OWNER}: `x` must be the training inputs, as passed to "
                "`fit`. Received: x=None."
            )
        if is_dataset(x):
            if y is not None:
                raise CallbackValueError(
                    f"{_OWNER}: `y` must be None when `x` is a "
                    "tf.data.Dataset: the targets come from its elements. "
                    f"Received: y of type {type(y).__name__}."
                )
            self.x, self.y, self.sw = _take_dataset(x, size)
            if self.x is None:
                return  # empty or unbatched: nothing to read
            self.kind = "dataset"
            self.weighted = self.weighted or self.sw is not None
        elif (isinstance(x, keras.utils.PyDataset) or inspect.isgenerator(x)
              or hasattr(x, "__next__") or (
                  hasattr(x, "__iter__") and not hasattr(x, "shape")
                  and not isinstance(x, (str, bytes, dict, list, tuple)))):
            return  # a generator, iterator, PyDataset or loader: not read
        else:
            try:
                self.x = _as_arrays(x, "x", self.columns)
                self.y = None if y is None else _as_arrays(y, "y", {})
                self.sw = (None if sample_weight is None
                           else _as_arrays(sample_weight, "sample_weight", {}))
            except _Unreadable:
                self.x = self.y = self.sw = None
                return
            self.kind = "arrays"
        self.n = self._rows()
        rows = None
        if self.n > size:
            rng = np.random.default_rng(0)
            rows = np.sort(rng.choice(self.n, size, replace=False))
        self.sample = keras.tree.map_structure(
            lambda a: a if rows is None else a[rows], self.x)
        self.where = ("" if self.kind == "arrays"
                      else f" in the first {self.n} rows of the dataset")

    def scan_rows(self, a):
        """Sorted indices of a seeded random sample of the rows of `a`, of
        about `scan_elements` elements, or None to scan all of `a`."""
        if a.size <= self.scan_elements:
            return None
        keep = max(1, self.scan_elements * len(a) // a.size)
        return np.sort(np.random.default_rng(0).choice(len(a), keep,
                                                       replace=False))

    def scanned(self, a):
        """`a`, or the rows of it that `scan_rows` picks."""
        rows = None if a is None else self.scan_rows(np.asarray(a))
        return a if rows is None else np.asarray(a)[rows]

    def _rows(self):
        counts = {}
        for name, struct in (("x", self.x), ("y", self.y),
                             ("sample_weight", self.sw)):
            for label, a in leaves(struct, name):
                counts.setdefault(len(a), label)
        if len(counts) > 1:
            found = ", ".join(f"{label} has {n}" for n, label in
                              counts.items())
            raise CallbackValueError(
                f"{_OWNER}: `x`, `y` and `sample_weight` must have the same "
                f"number of rows. Received: {found} rows. Pass arrays cut "
                "from the same rows."
            )
        return next(iter(counts)) if counts else 0


def leaves(struct, name):
    """`(label, leaf)` pairs of a structure, labelled as `x['a']`, `y[0]`."""
    if struct is None:
        return []
    if not isinstance(struct, (dict, list, tuple)):
        return [(name, struct)]
    return [(name + "".join(f"[{p!r}]" for p in path), leaf)
            for path, leaf in keras.tree.flatten_with_path(struct)]


def align(y, names):
    """The targets of each output in `names`; None where `y` does not match
    that output to its targets (a list of another length, one array for
    several outputs)."""
    if y is None:
        return [None] * len(names)
    if isinstance(y, dict):
        return [y.get(name) for name in names]
    if isinstance(y, (list, tuple)):
        return list(y) if len(y) == len(names) else [None] * len(names)
    return [y] if len(names) == 1 else [None] * len(names)


def floats(a, integers=True):
    """`a` as a float array (a copy unless it is one already), or None where
    it holds no numbers, or no NaN can be in it (`integers=False`)."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype.kind == "f":
        return a
    if a.dtype.kind in "iub":
        return a.astype("float64") if integers else None
    if a.dtype.kind == "O":
        try:
            return a.astype("float64")
        except (TypeError, ValueError):
            return None
    return None


def is_dataset(x):
    """Whether `x` is a `tf.data.Dataset` (without importing TensorFlow)."""
    return type(x).__module__.startswith("tensorflow") and hasattr(x, "take")


class _Unreadable(Exception):
    """A sparse or ragged array: read by `fit`, not checked here."""


def _as_arrays(value, name, columns):
    """A fit argument's structure with NumPy leaves (NumPy arrays as they
    are); notes the column names of DataFrames in `columns`."""

    def convert(path, leaf):
        label = name + "".join(f"[{p!r}]" for p in path)
        if hasattr(leaf, "toarray") or hasattr(leaf, "dense_shape") or (
                hasattr(leaf, "row_splits")):
            raise _Unreadable(label)  # sparse or ragged: fit reads them
        if hasattr(leaf, "iloc") and hasattr(leaf, "columns"):
            columns[label] = [str(c) for c in leaf.columns]
        if hasattr(leaf, "to_numpy"):
            leaf = leaf.to_numpy()
        elif not isinstance(leaf, np.ndarray) and hasattr(leaf, "shape"):
            leaf = np.asarray(leaf)  # a backend tensor
        if not isinstance(leaf, np.ndarray) or leaf.ndim == 0:
            raise CallbackTypeError(
                f"{_OWNER}: `{name}` must be what `fit` takes: a NumPy "
                "array, a pandas DataFrame or Series, a backend tensor, a "
                "list or dict of those, a tf.data.Dataset, or (for x) a "
                f"generator or PyDataset. Received: {label} of type "
                f"{type(leaf).__name__}. Pass what you pass to `fit`."
            )
        return leaf

    if isinstance(value, (list, tuple)) and value and not any(
            hasattr(v, "shape") or isinstance(v, (dict, list, tuple))
            for v in value):
        value = np.asarray(value)  # a plain list of numbers is one array
    if isinstance(value, (dict, list, tuple)):
        paths = keras.tree.flatten_with_path(value)
        converted = [convert(p, leaf) for p, leaf in paths]
        return keras.tree.pack_sequence_as(value, converted)
    return convert((), value)


def _take_dataset(ds, size):
    """The first batches of a dataset, up to `size` rows, as NumPy."""
    batches, rows = [], 0
    for element in ds:  # a fresh iterator: the dataset itself is untouched
        element = keras.utils.unpack_x_y_sample_weight(element)
        element = keras.tree.map_structure(
            lambda t: None if t is None else np.asarray(t), element)
        first = keras.tree.flatten(element[0])[0]
        if first is None or first.ndim == 0:
            return None, None, None
        batches.append(element)
        rows += len(first)
        if rows >= size:
            break
    if not batches:
        return None, None, None
    return tuple(
        None if part[0] is None else keras.tree.map_structure(
            lambda *a: np.concatenate(a)[:size], *part)
        for part in zip(*batches))
