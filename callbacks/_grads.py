"""Per-backend gradient and activation probes used by `GradientMonitor`.

Everything here is stateless with respect to the model: the forward and
backward passes run through `stateless_call` / `stateless_compute_loss`
(TensorFlow) or the JAX trainer's own `compute_loss_and_updates`, so the
probe never updates BatchNorm statistics, metrics or RNG state. Each probe
function is compiled (`tf.function` / `jax.jit`), takes a NumPy copy of the
weights rather than the live variables, so it can run beside training, and
returns the gradients (their norms are taken on the host) and a few scalars
per activation layer, reduced on the device.
"""

import keras
import numpy as np

from ._base import CallbackValueError
from ._keras_compat import call_takes_training

_KINDS = ("relu", "sigmoid", "tanh")


class Prober:
    """Computes one probe's figures on a fixed batch.

    One compiled function per model returns, from a single call on a copy
    of the weights (see `weights`): the loss and the gradients in training
    mode (their per-variable norms, and those of the weights, are taken on
    the host); and, from a forward pass in inference mode, the loss, the
    spread of the predictions across rows, and for each layer in `units`
    (an `ActivationLayers`) the share of dead or saturated units and the
    largest absolute activation. Since it reads no live variable, `probe`
    may run in another thread while the model trains.

    Args:
        model: A compiled, built Keras model.
        units: An `ActivationLayers`; its layers are skipped when it has no
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
        # The loss never reads the metrics' state or the optimizer's slots:
        # zeros of their shapes stand in for them, read once.
        self._metrics = [np.zeros(v.shape, v.dtype)
                         for v in model.metrics_variables]
        self._slots = None
        self._probe = (self._build_tf() if backend == "tensorflow"
                       else self._build_jax())

    def weights(self):
        """NumPy copies of the variables that `probe` reads, now.

        Returns:
            A tuple `(trainable, non_trainable, optimizer)`; `optimizer`
            holds the optimizer's scalars (the loss scale of mixed
            precision) and is `None` on TensorFlow.
        """
        model = self.model
        return ([_copy(v) for v in model.trainable_variables],
                [_copy(v) for v in model.non_trainable_variables],
                self._optimizer_scalars())

    def probe(self, weights, x, y, sample_weight):
        """Returns a dict of the probe's figures as NumPy values.

        Args:
            weights: The model's weights as returned by `weights`.
            x, y, sample_weight: The probe batch.

        Returns:
            A dict with `loss`, `eval_loss`, `pred_spread`, `train_spread`
            (the spread in training mode; floats),
            `grad_norms`, `weight_norms` (per trainable variable),
            `unit_shares`, `act_peaks` (per layer of `units`), and
            `predictions`, the model's outputs in inference mode (in the
            structure of its outputs).
        """
        tv, ntv, ov = weights
        out = self._probe(tv, ntv, ov, *_to_tensors((x, y, sample_weight)))
        # Norms in float64 on the host: no overflow, and a few hundred ops
        # fewer to trace.
        out["grad_norms"] = _host_norms(out.pop("grads"))
        out["weight_norms"] = _host_norms(tv)
        predictions = keras.tree.map_structure(np.asarray,
                                               out.pop("predictions"))
        figures = {k: (float(np.asarray(v)) if np.ndim(v) == 0
                       else np.asarray(v, dtype="float64"))
                   for k, v in out.items()}
        return {**figures, "predictions": predictions}

    def update_norms(self, old, new=None):
        """Per-variable norm of the change of the trainable weights from
        `old` to `new` (first items of `weights`; `new` defaults to the
        weights now), computed on the host."""
        if new is None:
            new = [_copy(v) for v in self.model.trainable_variables]
        return _host_norms([a - b for a, b in zip(new, old)])

    def _optimizer_scalars(self):
        if keras.backend.backend() != "jax":
            return None
        # The trainer donates its buffers to the next step: copy the
        # scalars (step counter, learning rate) and zero the slots. The
        # loss scale of mixed precision is 1, as on TensorFlow, whose
        # stateless loss is unscaled: scaled by 32768, the probe's float16
        # backward pass overflows where training would just skip a step
        # and lower the scale, and it would read as a NaN.
        optimizer = self.model.optimizer
        variables = optimizer.variables
        if self._slots is None or len(self._slots) != len(variables):
            import jax.numpy as jnp

            scale = getattr(optimizer, "dynamic_scale", None)
            self._slots = [
                jnp.ones(v.shape, v.dtype) if v is scale
                else None if len(v.shape) == 0
                else jnp.zeros(v.shape, v.dtype) for v in variables]
        return [_copy(v) if fixed is None else fixed
                for v, fixed in zip(variables, self._slots)]

    def _inference(self, tv, ntv, mv, x, y, sample_weight):
        """Inference-mode forward pass: loss, predictions, activations."""
        model = self.model
        mapping = list(zip(model.trainable_variables, tv)) + list(
            zip(model.non_trainable_variables, ntv))
        n_out = len(keras.tree.flatten(model.outputs)) if self.units.model \
            is not None else 0
        with keras.StatelessScope(state_mapping=mapping):
            if self.units.model is not None:
                outputs = self.units.model(x, training=False)
                outputs = list(outputs) if isinstance(
                    outputs, (list, tuple)) else [outputs]
                y_pred = keras.tree.pack_sequence_as(
                    model.outputs, outputs[:n_out])
                acts = outputs[n_out:]
            else:
                y_pred = model(x, training=False)
                acts = []
        if isinstance(y_pred, list) and len(y_pred) == 1 and not isinstance(
                model.outputs, list):
            y_pred = y_pred[0]
        loss, _ = model.stateless_compute_loss(
            tv, ntv, mv, x=x, y=y, y_pred=y_pred,
            sample_weight=sample_weight, training=False,
        )
        return loss, y_pred, acts

    def _figures(self, loss, train_pred, eval_loss, y_pred, acts):
        """The probe's scalar figures, reduced in the compiled graph."""
        shares = [_bad_unit_share(a, k)
                  for a, k in zip(acts, self.units.kinds)]
        peaks = [keras.ops.max(keras.ops.abs(keras.ops.cast(a, "float32")))
                 for a in acts]
        return {"loss": loss, "eval_loss": eval_loss,
                "pred_spread": _mean_spread(y_pred),
                "train_spread": _mean_spread(train_pred),
                "unit_shares": _stack(shares), "act_peaks": _stack(peaks),
                "predictions": y_pred}

    def _build_tf(self):
        import tensorflow as tf

        model = self.model
        kwargs = _training_kwargs(model)
        mv = [tf.constant(m) for m in self._metrics]

        def probe(tv, ntv, x, y, sample_weight):
            # The worker thread starts at the root name scope, where
            # TensorFlow refuses layer names such as "_pool"; nested, they
            # are valid, as inside `fit`.
            with tf.name_scope("probe"):
                return traced(tv, ntv, x, y, sample_weight)

        def traced(tv, ntv, x, y, sample_weight):
            with tf.GradientTape() as tape:
                tape.watch(tv)
                y_pred, _ = model.stateless_call(tv, ntv, x, **kwargs)
                loss, _ = model.stateless_compute_loss(
                    tv, ntv, mv, x=x, y=y, y_pred=y_pred,
                    sample_weight=sample_weight, training=True,
                )
            grads = tape.gradient(loss, tv)
            # Embeddings' gradients are IndexedSlices: make them dense.
            grads = [tf.zeros_like(t) if g is None else tf.convert_to_tensor(g)
                     for g, t in zip(grads, tv)]
            figures = self._figures(loss, y_pred, *self._inference(
                tv, ntv, mv, x, y, sample_weight))
            return {**figures, "grads": grads}

        # Without AutoGraph, as Keras traces its own train step: tracing
        # takes a third of the time.
        compiled = tf.function(probe, reduce_retracing=True, autograph=False)
        return lambda tv, ntv, ov, x, y, sample_weight: compiled(
            _to_tensors(tv), _to_tensors(ntv), x, y, sample_weight)

    def _build_jax(self):
        import jax

        model = self.model

        def probe(tv, ntv, mv, ov, x, y, sample_weight):
            grad_fn = jax.value_and_grad(
                model.compute_loss_and_updates, has_aux=True
            )
            # The loss scale in `ov` is 1 (see `_optimizer_scalars`), so the
            # loss and the gradients come back unscaled.
            (_, aux), grads = grad_fn(
                tv, ntv, mv, x, y, sample_weight, True, ov
            )
            figures = self._figures(aux[0], aux[1], *self._inference(
                tv, ntv, mv, x, y, sample_weight))
            return {**figures, "grads": grads}

        compiled = jax.jit(probe)
        metrics = [jax.numpy.asarray(m) for m in self._metrics]
        return lambda tv, ntv, ov, x, y, sample_weight: compiled(
            tv, ntv, metrics, ov, x, y, sample_weight)


class ActivationLayers:
    """The layers with an activation whose outputs the probe inspects.

    ReLU layers are checked for dead units, sigmoid and tanh layers for
    saturated ones, and every such layer (other activations included, e.g.
    `"exponential"`) for the size of its outputs. Only possible where the
    activations are reachable as symbolic outputs (Sequential and
    functional models); otherwise `model` is `None` and `reason` says why.

    Attributes:
        layers: Names of the inspected layers.
        kinds: `"relu"`, `"sigmoid"`, `"tanh"` or `"other"`, per layer.
        is_output: Whether the layer's output is one of the model's.
        model: A model from the inputs to the model's outputs followed by
            the inspected layers' outputs, or `None`.
        reason: Why `model` is `None`, else `None`.

    Args:
        model: A built Keras model.
    """

    def __init__(self, model):
        self.layers, self.kinds, self.is_output = [], [], []
        self.model, self.reason = None, None
        try:
            outputs = keras.tree.flatten(model.outputs)
            picked = [(layer, kind) for layer in leaf_layers(model)
                      for kind in [_activation_kind(layer)] if kind]
            self.model = keras.Model(
                model.inputs, outputs + [layer.output for layer, _ in picked]
            )
        except Exception as error:  # noqa: BLE001 - any failure means "skip"
            self.reason = (
                "intermediate activations are not reachable on this model "
                f"(subclassed or not built from Inputs: {type(error).__name__})"
            )
            return
        out_ids = {id(t) for t in outputs}
        self.layers = [layer.name for layer, _ in picked]
        self.kinds = [kind for _, kind in picked]
        self.is_output = [id(layer.output) in out_ids for layer, _ in picked]
        if not picked:
            self.reason = "no layer with an activation found"


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
    for layer in leaf_layers(model):
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


def _to_tensors(structure):
    return keras.tree.map_structure(
        lambda a: None if a is None else keras.ops.convert_to_tensor(a),
        structure,
    )


def _copy(variable):
    """The variable's value as a NumPy array that owns its memory."""
    return np.array(keras.ops.convert_to_numpy(variable.value))


def _stack(values):
    return keras.ops.stack(values) if values else keras.ops.zeros((0,))


def _mean_spread(y_pred):
    return keras.ops.mean(keras.ops.stack(
        [_spread(p) for p in keras.tree.flatten(y_pred)]))


def _spread(pred):
    """Mean over output units of the predictions' std across rows."""
    pred = keras.ops.cast(pred, "float32")
    pred = keras.ops.reshape(pred, (keras.ops.shape(pred)[0], -1))
    return keras.ops.mean(keras.ops.std(pred, axis=0))


def _host_norms(tensors):
    """L2 norms in float64 (no overflow), without BLAS: its threads would
    wake up to compete with the backend's for a few microseconds of work."""
    return np.array([np.sqrt(np.sum(np.square(np.asarray(t, "float64"))))
                     for t in tensors])


def _training_kwargs(model):
    return {"training": True} if call_takes_training(model) else {}


def _bad_unit_share(out, kind, share=0.95):
    out = keras.ops.cast(out, "float32")
    axes = tuple(range(len(out.shape) - 1))
    if kind == "relu":
        bad = keras.ops.max(out, axis=axes) <= 0.0
    elif kind == "other":
        return keras.ops.zeros(())
    else:
        flat = (keras.ops.abs(out) > 0.99 if kind == "tanh"
                else (out < 0.01) | (out > 0.99))
        bad = keras.ops.mean(keras.ops.cast(flat, "float32"), axis=axes) >= share
    return keras.ops.mean(keras.ops.cast(bad, "float32"))


def leaf_layers(model):
    for layer in getattr(model, "layers", []):
        if isinstance(layer, keras.Model):
            yield from leaf_layers(layer)
        else:
            yield layer


def _activation_kind(layer):
    if isinstance(layer, keras.layers.ReLU):
        return "relu"
    if isinstance(layer, keras.layers.Softmax):
        return "other"
    if isinstance(layer, keras.layers.RNN):
        return None  # gates: outputs bounded by design, not saturation
    name = getattr(getattr(layer, "activation", None), "__name__", None)
    if name is None or name == "linear":
        return None
    return name if name in _KINDS else "other"
