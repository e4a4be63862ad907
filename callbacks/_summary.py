"""TensorBoard event files for the plugin's callbacks, on any backend.

`SummaryWriter` writes scalars, histograms and text in the form
`tf.summary` gives them (a tensor with the plugin's metadata, which
TensorBoard's scalar, histogram and text dashboards read), through the
`tensorboard` package's own event-file writer. No TensorFlow op runs, so
the events are the same on the TensorFlow and the JAX backends, and
TensorFlow need not be installed (`tensorboard` then writes plain files;
with TensorFlow it uses TensorFlow's file systems, so `gs://` paths work).
`tensorboard` is imported only when a writer is made.

`histogram_buckets` reduces values to a histogram (in the probe's thread,
so the writer's is not slowed by large layers). `check_log_dir` checks a
callback's `log_dir` argument in `__init__`; `resolve_log_dir` finds, in
`on_train_begin`, the directory of `log_dir="auto"` beside the
`keras.callbacks.TensorBoard` of the same `fit`, and `open_writer` makes
the writer there.
"""

import importlib.util
import os
import time

import keras
import numpy as np

from ._base import CallbackTypeError
from ._base import CallbackValueError
from ._keras_compat import fit_locals

#: The `log_dir` that writes beside the `TensorBoard` callback of the `fit`.
AUTO = "auto"
#: Buckets of a histogram, as `tf.summary.histogram` uses by default.
BUCKETS = 30


def check_log_dir(owner, log_dir):
    """Returns `log_dir` (`None`, `"auto"` or a path string), checked.

    Raises:
        CallbackTypeError: if `log_dir` is not a string, path-like or `None`.
        CallbackValueError: if it is set and `tensorboard` is not installed.
    """
    if log_dir is None:
        return None
    if not isinstance(log_dir, (str, os.PathLike)):
        raise CallbackTypeError(
            f"{owner}: `log_dir` must be a directory (a string or path-like), "
            f"{AUTO!r} or None. Received: log_dir={log_dir!r} (of type "
            f"{type(log_dir).__name__})."
        )
    if importlib.util.find_spec("tensorboard") is None:
        raise CallbackValueError(
            f"{owner}: `log_dir` writes TensorBoard event files with the "
            "`tensorboard` package (TensorFlow is not needed), which is not "
            f"installed. Received: log_dir={log_dir!r}; run `pip install "
            "tensorboard`, or pass log_dir=None."
        )
    return log_dir if isinstance(log_dir, str) and log_dir == AUTO else (
        os.fspath(log_dir))


def open_writer(owner, log_dir, model, folder):
    """The `SummaryWriter` of a callback's `fit` (in the directory that
    `resolve_log_dir` gives), or `None` if `log_dir` is."""
    log_dir = resolve_log_dir(owner, log_dir, model, folder)
    return None if log_dir is None else SummaryWriter(log_dir)


def resolve_log_dir(owner, log_dir, model, folder):
    """The directory a callback writes to in the running `fit`, or `None`.

    Args:
        owner: String. The callback's name, for the error message.
        log_dir: What `check_log_dir` returned.
        model: The model whose `fit` is running (for `"auto"`).
        folder: String. The run's folder under the `TensorBoard` callback's
            `log_dir`, with `"auto"`.

    Raises:
        CallbackValueError: with `"auto"`, if the running `fit` has no
            `keras.callbacks.TensorBoard`.
    """
    if log_dir == AUTO:
        return os.path.join(_tensorboard_dir(owner, model), folder)
    return log_dir


class SummaryWriter:
    """Writes TensorBoard summaries to a new event file in `log_dir`.

    Not thread-safe: the callbacks write from the thread that runs `fit`.
    Events are written to disk by `tensorboard`'s own thread, at the latest
    on `flush` or `close`.

    Args:
        log_dir: String. The run's directory (created if missing).
    """

    def __init__(self, log_dir):
        from tensorboard.compat.proto import event_pb2
        from tensorboard.compat.proto import summary_pb2
        from tensorboard.plugins.histogram import metadata as histograms
        from tensorboard.plugins.scalar import metadata as scalars
        from tensorboard.plugins.text import metadata as text
        from tensorboard.summary.writer.event_file_writer import (
            EventFileWriter)
        from tensorboard.util import tensor_util

        self.log_dir = str(log_dir)
        self._protos = (event_pb2, summary_pb2, tensor_util)
        self._plugins = {"scalars": scalars, "histograms": histograms,
                         "text": text}
        self._tagged = set()  # tags whose metadata is written
        self._events = EventFileWriter(self.log_dir)

    def scalar(self, tag, value, step):
        """Writes a float (NaN and Inf included) at integer `step`."""
        self._write("scalars", tag, np.asarray(value, dtype="float32"), step)

    def histogram(self, tag, buckets, step):
        """Writes a distribution, as `histogram_buckets` gives it, at
        `step`."""
        self._write("histograms", tag, np.asarray(buckets, "float64"), step)

    def text(self, tag, text, step):
        """Writes a string (Markdown) at `step`."""
        self._write("text", tag, np.asarray(str(text), dtype=object), step)

    def flush(self):
        self._events.flush()

    def close(self):
        self._events.close()

    def _write(self, plugin, tag, array, step):
        event_pb2, summary_pb2, tensor_util = self._protos
        value = summary_pb2.Summary.Value(
            tag=tag, tensor=tensor_util.make_tensor_proto(array))
        if tag not in self._tagged:  # as tf.summary: once per tag and file
            self._tagged.add(tag)
            value.metadata.CopyFrom(self._plugins[plugin]
                                    .create_summary_metadata(None, None))
        self._events.add_event(event_pb2.Event(
            wall_time=time.time(), step=int(step),
            summary=summary_pb2.Summary(value=[value])))


def histogram_buckets(values, count=BUCKETS):
    """The distribution of `values` (any shape; NaN and Inf are left out)
    as `[count, 3]` float64 rows `(left edge, right edge, count)` of equal
    buckets, as TensorBoard's histogram plugin reads them; equal values all
    go into the last bucket, as `tf.summary.histogram` puts them."""
    data = np.asarray(values, dtype="float64").ravel()
    data = data[np.isfinite(data)]
    if data.size == 0:
        return np.zeros((count, 3))
    low, high = float(data.min()), float(data.max())
    if low == high:
        counts = np.zeros(count)
        counts[-1] = data.size
        return np.stack([np.full(count, low), np.full(count, high), counts], 1)
    counts, edges = np.histogram(data, bins=count, range=(low, high))
    return np.stack([edges[:-1], edges[1:], counts.astype("float64")], 1)


def _tensorboard_dir(owner, model):
    """`log_dir` of the `keras.callbacks.TensorBoard` of the running `fit`,
    read from its local `callbacks` (a `CallbackList` by `on_train_begin`;
    Keras hands a callback no list of the others)."""
    found = (fit_locals(model) or {}).get("callbacks")
    for callback in getattr(found, "callbacks", found) or ():
        if isinstance(callback, keras.callbacks.TensorBoard):
            return str(callback.log_dir)
    raise CallbackValueError(
        f"{owner}: log_dir='auto' writes beside the "
        "`keras.callbacks.TensorBoard` of the same `fit`, which has none. "
        "Received: log_dir='auto'; add `keras.callbacks.TensorBoard("
        "log_dir=...)` to the callbacks of `fit`, or pass a directory as "
        "`log_dir`."
    )
