"""Reading the model that `check_setup` checks.

Holds what is read from the model rather than the data: the input and output
tensors of a Sequential or functional model, the layer that produces each
output and its activation, the compiled loss of each output, the first layer
that reads each input, and the values that reach the first layers with
weights, measured by a sub-model up to them.
"""

import keras
import numpy as np

from ._keras_compat import all_layers
from ._keras_compat import first_consumer
from ._keras_compat import inbound_tensors
from ._keras_compat import is_ops_layer
from ._keras_compat import keras_history
from ._keras_compat import loss_keywords
from ._setup_data import leaves

_LOSSES = {  # loss function name -> (family, class to name in a fix)
    "binary_crossentropy": ("binary", "BinaryCrossentropy"),
    "binary_focal_crossentropy": ("binary", "BinaryFocalCrossentropy"),
    "categorical_crossentropy": ("categorical", "CategoricalCrossentropy"),
    "categorical_focal_crossentropy": ("categorical",
                                       "CategoricalFocalCrossentropy"),
    "sparse_categorical_crossentropy": ("sparse",
                                        "SparseCategoricalCrossentropy"),
    "mean_squared_error": ("regression", "MeanSquaredError"),
    "mean_absolute_error": ("regression", "MeanAbsoluteError"),
    "huber": ("regression", "Huber"),
    "log_cosh": ("regression", "LogCosh"),
}
# The loss families of the cross-entropies.
CROSSENTROPY = ("binary", "categorical", "sparse")
# Layers that change values in training only (-> attribute of their
# strength)...
_TRAINING_NOISE = {"Dropout": "rate", "SpatialDropout1D": "rate",
                   "SpatialDropout2D": "rate", "SpatialDropout3D": "rate",
                   "GaussianNoise": "stddev", "GaussianDropout": "rate",
                   "AlphaDropout": "rate"}
# ...and with them, the layers that pass values on unchanged at inference.
_IDENTITY = (*_TRAINING_NOISE, "ActivityRegularization", "Identity")


def model_graph(model):
    """`(input structure, outputs)` of a Sequential/functional model."""
    try:
        outputs = list(model.outputs)
        inputs = (model.inputs[0] if isinstance(model, keras.Sequential)
                  else model.input)
    except Exception:  # noqa: BLE001 - subclassed or never built
        return None
    if not outputs or not all(keras_history(t) is not None for t in
                              outputs + keras.tree.flatten(inputs)):
        return None
    return inputs, outputs


def as_input_structure(model, batch):
    """A bare array for a model built on `[Input]` goes in a list, as `fit`
    arranges it (calling with the bare array warns)."""
    graph = model_graph(model)
    if (graph is None or isinstance(batch, (dict, list, tuple))
            or not isinstance(graph[0], (dict, list, tuple))
            or len(keras.tree.flatten(graph[0])) != 1):
        return batch
    return keras.tree.pack_sequence_as(graph[0], [batch])


def fixed_batch_size(model):
    """The batch size an `Input(batch_size=...)` fixes, or None."""
    graph = model_graph(model)
    if graph is None:
        return None
    sizes = {t.shape[0] for t in keras.tree.flatten(graph[0])}
    return next(iter(sizes)) if len(sizes) == 1 else None


def producer(tensor):
    """The layer that gives a symbolic output its values, through identities
    and into nested models."""
    ops = list(_path(tensor))
    # None where no producer was reached (no history, 100 identities).
    return (ops[-1] if ops and type(ops[-1]).__name__ not in _IDENTITY
            else None)


def training_noise(tensor):
    """The layer between a symbolic output and the layer that produces it
    that changes the values in training only (Dropout, GaussianNoise...),
    or None."""
    for op in _path(tensor):
        name = type(op).__name__
        if name in _TRAINING_NOISE and float(
                getattr(op, _TRAINING_NOISE[name], 0) or 0) > 0:
            return op
    return None


def _path(tensor):
    """The layers from a symbolic output back to the one that produces it:
    the identities on the way (into nested models), then the producer."""
    for _ in range(100):
        history = keras_history(tensor)
        if history is None:
            return
        op, node_index, index = history
        if isinstance(op, keras.Model) and model_graph(op) is not None:
            tensor = model_graph(op)[1][index]
            continue
        yield op
        if type(op).__name__ not in _IDENTITY:
            return
        tensor = inbound_tensors(op, node_index)[0]


def activation(layer):
    """The output activation's name, or None where it cannot be read."""
    if layer is None:
        return None
    if isinstance(layer, keras.layers.Softmax):
        return "softmax"
    if isinstance(layer, keras.layers.ReLU):
        relu = (float(getattr(layer, "negative_slope", 0) or 0) == 0
                and float(getattr(layer, "threshold", 0) or 0) == 0)
        return "relu" if relu else "leaky_relu"
    if isinstance(layer, (keras.layers.LeakyReLU, keras.layers.PReLU,
                          keras.layers.ELU)):
        return type(layer).__name__.lower()
    if isinstance(layer, keras.layers.TimeDistributed):
        return activation(layer.layer)
    if is_ops_layer(layer):
        name = type(layer).__name__.lower()
        known = {"softmax": "softmax", "sigmoid": "sigmoid", "relu": "relu",
                 "relu6": "relu6", "logsoftmax": "log_softmax",
                 "tanh": "tanh"}
        return known.get(name)
    fn = getattr(layer, "activation", None)
    name = getattr(fn, "__name__", None)
    try:
        builtin = name is not None and keras.activations.get(name) is fn
    except (ValueError, TypeError):
        builtin = False
    return name if builtin else None


def activation_from_values(pred, units, span):
    """Reads only what values prove: outside [0, 1] is not a probability;
    rows of several units summing to 1 are a softmax."""
    if span is None:
        return None
    values = (pred[np.isfinite(pred).all(axis=-1)] if pred.ndim > 1
              else pred[np.isfinite(pred)])
    if values.size == 0:
        return None
    if values.min() < -1e-6 or values.max() > 1 + 1e-6:
        return "logits"
    if units > 1 and len(values) > 1 and np.allclose(
            values.sum(axis=-1), 1.0, atol=5e-3):
        return "softmax"
    return None


def loss_specs(model, names):
    """The loss spec (see `_loss_spec`) of each output in `names`, or None
    where the model is not compiled or the loss is not a known Keras one."""
    return _per_output(model, names, _loss_spec)


def loss_names(model, names):
    """The name of the built-in Keras loss function of each output in
    `names` (any of them, e.g. `"poisson"`), or None."""
    return _per_output(model, names, _loss_name)


def _loss_name(loss):
    builtin = _builtin(loss)
    return None if builtin is None else builtin[0]


def _per_output(model, names, read):
    loss = getattr(model, "loss", None) if getattr(
        model, "compiled", False) else None
    if isinstance(loss, dict):
        return [read(loss.get(name)) for name in names]
    if isinstance(loss, (list, tuple)):
        if len(loss) != len(names):
            return [None] * len(names)
        return [read(item) for item in loss]
    return [read(loss)] * len(names)


def loss_text(spec):
    """A loss spec as named in a message: `name (from_logits=...)`."""
    if spec["family"] in CROSSENTROPY:
        return f"{spec['name']} (from_logits={spec['from_logits']})"
    return spec["name"]


def first_layers(model):
    """Input label -> name of the first layer that reads it."""
    graph = model_graph(model)
    if graph is None:
        return {}
    found = {}
    inputs = graph[0]
    paths = (keras.tree.flatten_with_path(inputs)
             if isinstance(inputs, (dict, list, tuple)) else [((), inputs)])
    for path, tensor in paths:
        label = "x" + "".join(f"[{p!r}]" for p in path)
        consumer = first_consumer(tensor)
        if consumer is not None:
            found[label] = consumer
    if len(found) == 1:
        found["*"] = next(iter(found.values()))
    return found


def graph_entries(model, graph, sample, columns, prefix="x"):
    """`(layer, label, values, columns)` for each tensor from the inputs that
    reaches a layer with weights which needs scaled values, measured on
    `sample` by a sub-model up to those layers."""
    inputs, outputs = graph
    flat_inputs = keras.tree.flatten(inputs)
    if len(flat_inputs) == 1 and not isinstance(sample, (dict, list, tuple)):
        inputs = flat_inputs[0]  # `[Input]` fed a bare array, as fit allows
    input_ids = {id(t): i for i, t in enumerate(flat_inputs)}
    raw, frontier, stack = {}, {}, list(outputs)
    while stack:
        t = stack[-1]
        if id(t) in raw:
            stack.pop()
            continue
        if id(t) in input_ids:
            raw[id(t)] = True
            stack.pop()
            continue
        op, node_index, _ = keras_history(t)
        ins = inbound_tensors(op, node_index) or []
        pending = [i for i in ins if id(i) not in raw]
        if pending:
            stack.extend(pending)
            continue
        stack.pop()
        if _passes_through(op):
            raw[id(t)] = bool(ins) and all(raw[id(i)] for i in ins)
        else:
            raw[id(t)] = False
            if any(raw[id(i)] for i in ins):
                frontier[(id(op), node_index)] = (op, ins)
    if not frontier:
        return []
    tensors = list({id(t): t for _, ins in frontier.values() for t in ins
                    if raw[id(t)]}.values())
    try:
        probe = keras.Model(inputs, tensors, name="check_setup_probe")
        values = [np.asarray(keras.ops.convert_to_numpy(v)) for v in
                  keras.tree.flatten(probe(sample, training=False))]
    except Exception:  # noqa: BLE001 - an exotic graph: do not guess
        return []
    measured = dict(zip((id(t) for t in tensors), values))
    paths = (keras.tree.flatten_with_path(inputs)
             if isinstance(inputs, (dict, list, tuple)) else [((), inputs)])
    input_labels = [prefix + "".join(f"[{p!r}]" for p in path)
                    for path, _ in paths]
    entries = []
    for op, ins in frontier.values():
        kept = [t for t in ins if raw[id(t)]]
        if isinstance(op, keras.Model):
            inner = model_graph(op)
            if inner is not None and len(kept) == 1 and len(
                    keras.tree.flatten(inner[0])) == 1:
                t = kept[0]
                label = (input_labels[input_ids[id(t)]] if id(t) in input_ids
                         else f"the input of model '{op.name}'")
                entries += graph_entries(op, inner, measured[id(t)],
                                    {label: columns.get(label)}, label)
            continue
        if not _needs_scaling(op):
            continue
        for t in kept:
            if id(t) in input_ids:
                label = input_labels[input_ids[id(t)]]
                cols = columns.get(label)
            else:
                label, cols = " and ".join(input_labels), None
            entries.append((op.name, label, measured[id(t)], cols))
    return entries


def raw_entries(model, data):
    """A subclassed model's inputs, where nothing inside may rescale them."""
    layers = all_layers(model)
    if not layers:
        return []  # all in `call`: it may rescale
    for layer in layers:
        if (_is_preprocessing(layer) or _is_normalising(layer)
                or isinstance(layer, keras.layers.Embedding)
                or not type(layer).__module__.startswith("keras.")):
            return []
    return [(None, label, a, data.columns.get(label))
            for label, a in leaves(data.sample, "x")]


def unadapted(model):
    """Name of a `Normalization` layer left at mean 0, variance 1, or None."""
    for layer in all_layers(model):
        if (isinstance(layer, keras.layers.Normalization)
                and layer.input_mean is None
                and getattr(layer, "adapt_mean", None) is not None):
            mean = keras.ops.convert_to_numpy(layer.adapt_mean)
            var = keras.ops.convert_to_numpy(layer.adapt_variance)
            if not mean.any() and np.all(var == 1):
                return layer.name
    return None


def _loss_spec(loss):
    """`{family, class, name, from_logits, ignore_class, delta}` (Huber's)
    or None."""
    builtin = _builtin(loss)
    if builtin is None or builtin[0] not in _LOSSES:
        return None
    name, kwargs = builtin
    family, cls = _LOSSES[name]
    return {"family": family, "class": cls, "name": name,
            "from_logits": bool(kwargs.get("from_logits", False)),
            "ignore_class": kwargs.get("ignore_class"),
            "delta": float(kwargs.get("delta", 1.0))}


def _builtin(loss):
    """`(function name, keyword arguments)` of a built-in Keras loss (a
    name, a function, a `keras.losses.Loss` or a partial of one), or None
    for a loss of the user's own."""
    kwargs = {}
    if hasattr(loss, "func") and hasattr(loss, "keywords"):  # a partial
        loss, kwargs = loss.func, dict(loss.keywords)
    if isinstance(loss, str):
        try:
            loss = keras.losses.get(loss)
        except (ValueError, TypeError):
            return None
    fn = loss
    if isinstance(loss, keras.losses.Loss):
        fn = getattr(loss, "fn", None)
        try:
            kwargs = {**loss.get_config(), **loss_keywords(loss), **kwargs}
        except (NotImplementedError, TypeError):
            return None
    name = getattr(fn, "__name__", None)
    if name is None or getattr(keras.losses, name, None) is not fn:
        return None  # not a Keras loss (a user one may share a name)
    return name, kwargs


def _passes_through(op):
    """Whether values flow through `op` to the layer whose inputs count."""
    if not isinstance(op, keras.layers.Layer):
        return True  # a keras.ops operation in the graph
    return _is_preprocessing(op) or not op.weights


def _needs_scaling(layer):
    while isinstance(layer, (keras.layers.TimeDistributed,
                             keras.layers.Bidirectional)):
        layer = getattr(layer, "layer", None) or layer.forward_layer
    names = ("Dense", "EinsumDense", "Conv1D", "Conv2D", "Conv3D",
             "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
             "SeparableConv1D", "SeparableConv2D", "DepthwiseConv1D",
             "DepthwiseConv2D", "RNN", "SimpleRNN", "LSTM", "GRU",
             "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "MultiHeadAttention")
    kinds = tuple(getattr(keras.layers, n) for n in names
                  if hasattr(keras.layers, n))
    return isinstance(layer, kinds)


def _is_preprocessing(layer):
    return ".preprocessing." in type(layer).__module__


def _is_normalising(layer):
    names = ("BatchNormalization", "LayerNormalization", "GroupNormalization",
             "UnitNormalization", "RMSNormalization")
    return isinstance(layer, tuple(getattr(keras.layers, n) for n in names
                                   if hasattr(keras.layers, n)))
