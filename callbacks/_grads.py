"""Per-backend gradient and activation probes used by `GradientMonitor`.

Everything here is stateless with respect to the model: the forward and
backward passes run through `stateless_call` / `stateless_compute_loss`
(TensorFlow) or the JAX trainer's own `compute_loss_and_updates`, so the
probe never updates BatchNorm statistics, metrics or RNG state. Each probe
function is compiled once (`tf.function` / `jax.jit`) and returns only small
vectors of norms to the host.
"""

import inspect

import keras
import numpy as np

from ._base import CallbackValueError

_KINDS = ("relu", "sigmoid", "tanh")


class Prober:
    """Computes per-variable gradient and weight norms on a probe batch.

    One compiled function per model returns, from a single call, the loss,
    the norm of each gradient and weight, a copy of the weights (for the
    update ratio of the next step) and the share of dead/saturated units of
    the activation layers in `units` (an `ActivationLayers`).

    Args:
        model: A compiled, built Keras model.
        units: An `ActivationLayers`; its check is skipped when it has no
            `model`.
    """

    def __init__(self, model, units):
        backend = keras.backend.backend()
        if backend not in ("tensorflow", "jax"):
            raise CallbackValueError(
                "GradientMonitor computes gradients with the backend's own "
                "autodiff and supports the 'tensorflow' and 'jax' backends. "
                f"Received: KERAS_BACKEND={backend!r}; set KERAS_BACKEND to "
                "'tensorflow' or 'jax'."
            )
        self.model, self.units = model, units
        self._snapshot = None
        self._probe = (self._build_tf() if backend == "tensorflow"
                       else self._build_jax())

    def probe(self, x, y, sample_weight):
        """Returns `(loss, grad_norms, weight_norms, unit_shares)`."""
        loss, grads, weights, shares, snapshot = self._probe(
            *_to_tensors((x, y, sample_weight)))
        self._snapshot = [np.asarray(t) for t in snapshot]
        return (float(np.asarray(loss)), np.asarray(grads, dtype="float64"),
                np.asarray(weights, dtype="float64"),
                np.asarray(shares, dtype="float64"))

    def update_norms(self):
        """Per-variable norm of the change since the last `probe`, or None.

        Computed on the host: it runs once per probe and needs no tracing.
        """
        if self._snapshot is None:
            return None
        norms = np.array([
            np.linalg.norm((keras.ops.convert_to_numpy(v.value) - old)
                           .astype("float64"))
            for v, old in zip(self.model.trainable_variables, self._snapshot)
        ])
        self._snapshot = None
        return norms

    def _unit_shares(self, tv, ntv, x):
        if self.units.model is None:
            return keras.ops.zeros((0,))
        model = self.model
        mapping = list(zip(model.trainable_variables, tv)) + list(
            zip(model.non_trainable_variables, ntv))
        with keras.StatelessScope(state_mapping=mapping):
            outputs = self.units.model(x, training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return keras.ops.stack([_bad_unit_share(o, k) for o, k in
                                zip(outputs, self.units.kinds)])

    def _build_tf(self):
        import tensorflow as tf

        model = self.model
        kwargs = _training_kwargs(model)

        def probe(x, y, sample_weight):
            tv = [tf.identity(v.value) for v in model.trainable_variables]
            ntv = [tf.identity(v.value) for v in model.non_trainable_variables]
            mv = [tf.identity(v.value) for v in model.metrics_variables]
            with tf.GradientTape() as tape:
                tape.watch(tv)
                y_pred, _ = model.stateless_call(tv, ntv, x, **kwargs)
                loss, _ = model.stateless_compute_loss(
                    tv, ntv, mv, x=x, y=y, y_pred=y_pred,
                    sample_weight=sample_weight, training=True,
                )
            grads = tape.gradient(loss, tv)
            grads = [tf.zeros_like(t) if g is None else g
                     for g, t in zip(grads, tv)]
            return (loss, _norms(grads), _norms(tv),
                    self._unit_shares(tv, ntv, x), tv)

        return tf.function(probe, reduce_retracing=True)

    def _build_jax(self):
        import jax

        model = self.model

        def probe(tv, ntv, mv, ov, x, y, sample_weight):
            grad_fn = jax.value_and_grad(
                model.compute_loss_and_updates, has_aux=True
            )
            (_, aux), grads = grad_fn(
                tv, ntv, mv, x, y, sample_weight, True, ov
            )
            # The trainer donates its state buffers, so keep real copies.
            return (aux[0], _norms(grads), _norms(tv),
                    self._unit_shares(tv, ntv, x), [t + 0 for t in tv])

        compiled = jax.jit(probe)
        return lambda x, y, sample_weight: compiled(
            [v.value for v in model.trainable_variables],
            [v.value for v in model.non_trainable_variables],
            [v.value for v in model.metrics_variables],
            [v.value for v in model.optimizer.variables],
            x, y, sample_weight,
        )


class ActivationLayers:
    """The ReLU / sigmoid / tanh layers whose units the probe inspects.

    Only possible where the activations are reachable as symbolic outputs
    (Sequential and functional models); otherwise `model` is `None` and
    `reason` says why.

    Args:
        model: A built Keras model.
    """

    def __init__(self, model):
        self.layers, self.kinds, self.model, self.reason = [], [], None, None
        try:
            picked = [(layer, kind) for layer in _leaf_layers(model)
                      for kind in [_activation_kind(layer)] if kind]
            if not picked:
                self.reason = "no ReLU, sigmoid or tanh layer found"
                return
            self.model = keras.Model(
                model.inputs, [layer.output for layer, _ in picked]
            )
        except Exception as error:  # noqa: BLE001 - any failure means "skip"
            self.reason = (
                "intermediate activations are not reachable on this model "
                f"(subclassed or not built from Inputs: {type(error).__name__})"
            )
            return
        self.layers = [layer.name for layer, _ in picked]
        self.kinds = [kind for _, kind in picked]


def layer_groups(model):
    """Groups `model.trainable_variables` by the layer that owns them.

    Nested models are walked into; any other layer (e.g. an attention block)
    counts as one. Variables owned by no such layer (created directly by a
    subclassed model) are grouped under the model's name.

    Returns:
        A list of `(name, [variable indices])` in variable order.
    """
    index = {id(v): i for i, v in enumerate(model.trainable_variables)}
    groups, claimed = [], set()
    for layer in _leaf_layers(model):
        ids = [index[id(v)] for v in layer.trainable_variables
               if id(v) in index and index[id(v)] not in claimed]
        if ids:
            claimed.update(ids)
            groups.append((layer.name, ids))
    rest = [i for i in range(len(index)) if i not in claimed]
    if rest:
        groups.append((model.name, rest))
    groups.sort(key=lambda g: min(g[1]))
    return groups


def probe_from_fit(model, size, seed=0):
    """Takes a probe batch `(x, y, sample_weight)` from the running `fit`.

    Keras does not hand the training data to callbacks, so this reads the
    arguments of the `fit` call on the stack: NumPy arrays / tensors (a
    seeded random sample of `size` rows) or a `tf.data.Dataset` (its first
    batch, cut to `size`).

    Returns:
        The batch, or `None` when it cannot be taken without consuming the
        user's data (generators, `PyDataset`) or no `fit` is running.
    """
    frame = inspect.currentframe()
    while frame is not None:
        if (frame.f_code.co_name == "fit"
                and frame.f_locals.get("self") is model):
            break
        frame = frame.f_back
    if frame is None:
        return None
    args = frame.f_locals
    x, y, sw = args.get("x"), args.get("y"), args.get("sample_weight")
    del frame
    first = keras.tree.flatten(x)[0] if x is not None else None
    if hasattr(first, "shape") and hasattr(first, "__getitem__") and len(
            getattr(first, "shape", ())) > 0 and not _is_dataset(x):
        n = int(first.shape[0])
        rows = np.sort(np.random.default_rng(seed).choice(
            n, size=min(size, n), replace=False))
        take = lambda a: None if a is None else np.asarray(a)[rows]  # noqa
        return keras.tree.map_structure(take, x), _map(take, y), _map(take, sw)
    if _is_dataset(x):
        batch = next(iter(x.take(1)))
        bx, by, bsw = keras.utils.unpack_x_y_sample_weight(batch)
        take = lambda a: None if a is None else np.asarray(a)[:size]  # noqa
        return (keras.tree.map_structure(take, bx), _map(take, by),
                _map(take, bsw))
    return None


def _map(fn, structure):
    return None if structure is None else keras.tree.map_structure(
        fn, structure)


def _is_dataset(x):
    return type(x).__module__.startswith("tensorflow") and hasattr(x, "take")


def _to_tensors(structure):
    return keras.tree.map_structure(
        lambda a: None if a is None else keras.ops.convert_to_tensor(a),
        structure,
    )


def _norms(tensors):
    """L2 norm of each tensor, scaled by its max so squares cannot overflow."""
    out = []
    for t in tensors:
        t = keras.ops.cast(t, "float32")
        peak = keras.ops.max(keras.ops.abs(t)) if t.shape != () else abs(t)
        safe = keras.ops.where(peak > 0, peak, 1.0)
        out.append(peak * keras.ops.sqrt(keras.ops.sum(
            keras.ops.square(t / safe))))
    return keras.ops.stack(out) if out else keras.ops.zeros((0,))


def _training_kwargs(model):
    return ({"training": True}
            if getattr(model, "_call_has_training_arg", True) else {})


def _bad_unit_share(out, kind, share=0.95):
    out = keras.ops.cast(out, "float32")
    axes = tuple(range(len(out.shape) - 1))
    if kind == "relu":
        bad = keras.ops.max(out, axis=axes) <= 0.0
    else:
        flat = (keras.ops.abs(out) > 0.99 if kind == "tanh"
                else (out < 0.01) | (out > 0.99))
        bad = keras.ops.mean(keras.ops.cast(flat, "float32"), axis=axes) >= share
    return keras.ops.mean(keras.ops.cast(bad, "float32"))


def _leaf_layers(model):
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            yield from _leaf_layers(layer)
        else:
            yield layer


def _activation_kind(layer):
    if isinstance(layer, keras.layers.ReLU):
        return "relu"
    name = getattr(getattr(layer, "activation", None), "__name__", None)
    return name if name in _KINDS else None
