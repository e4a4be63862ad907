"""Layers of the efficient ensemble (TabM) backbone of the tabular model.

TabM (Gorishniy et al., ICLR 2025, "TabM: Advancing Tabular Deep Learning
with Parameter-Efficient Ensembling") trains `k` MLPs at once that share most
of their weights: each Dense layer has one shared kernel and, per member, a
multiplicative adapter on its input (`r`) and output (`s`) and a bias
(BatchEnsemble, Wen et al., 2020). The members see the same rows, each has
its own output head, the loss is the mean of the members' losses, and their
predictions are averaged at inference. The layers carry a member axis:
`(batch, k, features)`.

They are registered for safe-mode loading (`kerasnn>EnsembleDense`,
`kerasnn>EnsembleHead`, `kerasnn>MeanPrediction`).
"""

import keras
from keras import ops

from kerasnn._random import derived_seed
from kerasnn._validation import check_choice
from kerasnn.builders.blocks import dropout_layer
from kerasnn.builders.blocks import make_initializer
from kerasnn.builders.blocks import make_regularizer


@keras.saving.register_keras_serializable(package="kerasnn")
class EnsembleDense(keras.layers.Layer):
    """A Dense layer shared by `k` members, with per-member adapters.

    Member `i` computes `((x * r_i) @ W) * s_i + b_i`: `W` is shared, the
    adapters `r_i` (input), `s_i` (output) and the bias `b_i` are its own.
    A 2-D input `(batch, features)` is given to every member; a 3-D input
    `(batch, k, features)` holds one row per member.

    Args:
        units: Integer. Output features per member.
        k: Integer. Number of members.
        scaling: `"both"` (adapters `r` and `s`, TabM), `"input"` (only `r`,
            TabM-mini's single adapter) or `"none"` (a Dense layer shared by
            every member, bias included). Defaults to `"both"`.
        scaling_init: How the input adapter `r` starts: `"ones"` or
            `"random_signs"` (each entry +1 or -1, which makes the members
            differ from the first step, as TabM's first layer). `s` starts
            at 1. Defaults to `"ones"`.
        kernel_initializer, kernel_regularizer: As in `keras.layers.Dense`.
        seed: Integer or `None`. Seed of the random adapter initialization.
    """

    def __init__(self, units, k, *, scaling="both", scaling_init="ones",
                 kernel_initializer="glorot_uniform", kernel_regularizer=None,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.k = int(k)
        self.scaling = check_choice("scaling", scaling,
                                    ("both", "input", "none"))
        self.scaling_init = check_choice("scaling_init", scaling_init,
                                         ("ones", "random_signs"))
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.seed = seed

    def build(self, input_shape):
        d = input_shape[-1]
        self.kernel = self.add_weight(
            shape=(d, self.units), initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, name="kernel")
        self.r = None
        self.s = None
        if self.scaling in ("both", "input"):
            init = (_RandomSigns(seed=self.seed)
                    if self.scaling_init == "random_signs" else "ones")
            self.r = self.add_weight(shape=(self.k, d), initializer=init,
                                     name="r")
        if self.scaling == "both":
            self.s = self.add_weight(shape=(self.k, self.units),
                                     initializer="ones", name="s")
        bias_shape = (self.units,) if self.scaling == "none" else (self.k,
                                                                   self.units)
        self.bias = self.add_weight(shape=bias_shape, initializer="zeros",
                                    name="bias")

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        if self.r is None:
            x = ops.matmul(x, self.kernel)
            if len(x.shape) == 2:
                # The shared layer is computed once, then given to each member.
                x = ops.repeat(ops.expand_dims(x, 1), self.k, axis=1)
        else:
            if len(x.shape) == 2:
                x = ops.expand_dims(x, 1)
            x = ops.matmul(x * self.r, self.kernel)
        if self.s is not None:
            x = x * self.s
        return x + self.bias

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.k, self.units)

    def get_config(self):
        return {
            **super().get_config(), "units": self.units, "k": self.k,
            "scaling": self.scaling, "scaling_init": self.scaling_init,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer),
            "kernel_regularizer": keras.regularizers.serialize(
                self.kernel_regularizer),
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="kerasnn")
class EnsembleHead(keras.layers.Layer):
    """`k` separate output layers, one per member: `(batch, k, d)` in.

    Args:
        units: Integer. Outputs per member.
        k: Integer. Number of members.
        activation: Output activation (`"sigmoid"`, `"softmax"`, `None`...),
            applied per member, so classification members give
            probabilities.
        kernel_initializer: As in `keras.layers.Dense`; each member's kernel
            is drawn separately.
    """

    def __init__(self, units, k, *, activation=None,
                 kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.k = int(k)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        d = input_shape[-1]
        self.kernel = self.add_weight(shape=(self.k, d, self.units),
                                      initializer=self.kernel_initializer,
                                      name="kernel")
        self.bias = self.add_weight(shape=(self.k, self.units),
                                    initializer="zeros", name="bias")

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        x = ops.einsum("bkd,kdu->bku", x, self.kernel) + self.bias
        return self.activation(x)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.k, self.units)

    def get_config(self):
        return {
            **super().get_config(), "units": self.units, "k": self.k,
            "activation": keras.activations.serialize(self.activation),
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer),
        }


@keras.saving.register_keras_serializable(package="kerasnn")
class MeanPrediction(keras.layers.Layer):
    """The members' predictions in training, their mean at inference.

    In training (`training=True`) the predictions pass through unchanged,
    in the space the loss is computed in (probabilities; the target, or its
    `log1p` when `transform="log"`), so that `TabularModel.compute_loss`
    scores every member. At inference they are mapped back to the target's
    units (`expm1` for `"log"`) and averaged over the member axis: the
    ensemble's prediction, `(batch, outputs)`.

    Args:
        transform: `None` or `"log"`: how the target was transformed for
            training.
    """

    def __init__(self, transform=None, **kwargs):
        super().__init__(**kwargs)
        self.transform = transform

    def call(self, inputs, training=None):
        if training:
            return inputs
        x = inputs
        if self.transform == "log":
            # Clipped so that a wild prediction early in training is large,
            # not infinite.
            x = ops.expm1(ops.clip(x, -30.0, 30.0))
        return ops.mean(x, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[2])

    def get_config(self):
        return {**super().get_config(), "transform": self.transform}


def ensemble_stack(features, widths, k, *, arch, activation, dropout, l1, l2,
                   initializer, seed):
    """The TabM backbone on `features`: `(batch, k, widths[-1])` out.

    `arch="tabm"`: every layer is an `EnsembleDense` with both adapters, the
    first layer's `r` drawn as random signs and the rest starting at 1.
    `arch="tabm_mini"`: only the first layer's input adapter; the layers
    after it are shared by the members.
    """
    x = features
    for index, units in enumerate(widths, start=1):
        name = f"hidden_{index}"
        if arch == "tabm":
            scaling = "both"
        else:
            scaling = "input" if index == 1 else "none"
        x = EnsembleDense(
            units, k, scaling=scaling,
            scaling_init="random_signs" if index == 1 else "ones",
            kernel_initializer=make_initializer(initializer, seed, index),
            kernel_regularizer=make_regularizer(l1, l2),
            seed=derived_seed(seed, layer=index, offset=2),
            name=f"{name}_ensemble_dense",
        )(x)
        x = keras.layers.Activation(activation, name=f"{name}_{activation}")(x)
        if dropout:
            x = dropout_layer(activation, dropout, seed, index,
                              name=f"{name}_dropout")(x)
    return x


class _RandomSigns(keras.initializers.Initializer):
    """+1 or -1 with equal chance (only used at build time, never saved)."""

    def __init__(self, seed=None):
        self.seed = seed

    def __call__(self, shape, dtype=None):
        uniform = keras.random.uniform(shape, seed=self.seed, dtype=dtype)
        return ops.where(uniform < 0.5, -1.0, 1.0)

    def get_config(self):
        return {"seed": self.seed}
