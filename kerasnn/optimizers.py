"""Optimizer choice and compilation shared by every builder."""

import keras

from kerasnn._validation import check_choice
from kerasnn._validation import check_float
from kerasnn.errors import KerasnnTypeError
from kerasnn.errors import KerasnnValueError

#: optimizer name -> (class, default learning rate)
OPTIMIZERS = {
    "adam": (keras.optimizers.Adam, 1e-3),
    "adamw": (keras.optimizers.AdamW, 1e-3),
    "sgd": (keras.optimizers.SGD, 1e-2),
    "rmsprop": (keras.optimizers.RMSprop, 1e-3),
}


def make_optimizer(optimizer="adam", *, learning_rate=None, momentum=0.9,
                   clipnorm=None, clipvalue=None):
    """Returns a fresh Keras optimizer.

    Args:
        optimizer: `"adam"`, `"adamw"`, `"sgd"` (with `momentum`), `"rmsprop"`,
            or a `keras.optimizers.Optimizer` instance (then `learning_rate`,
            `momentum` and clipping must be left at their defaults: set them on
            the instance).
        learning_rate: Float > 0. Defaults to `1e-2` for SGD and `1e-3` for
            the others.
        momentum: Float in [0, 1). Momentum of SGD (also used by RMSprop).
            Defaults to `0.9`.
        clipnorm: Float > 0 or `None`. Clips each gradient to this norm.
        clipvalue: Float > 0 or `None`. Clips each gradient element.

    Returns:
        A `keras.optimizers.Optimizer`.
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        changed = [
            name for name, value, default in (
                ("learning_rate", learning_rate, None),
                ("clipnorm", clipnorm, None),
                ("clipvalue", clipvalue, None),
            ) if value is not default
        ]
        if changed:
            raise KerasnnValueError(
                f"`{changed[0]}` cannot be combined with an optimizer instance. "
                f"Received: optimizer={type(optimizer).__name__}(...) and "
                f"{changed[0]}={locals()[changed[0]]!r}. Set it on the optimizer "
                "instead, or pass the optimizer by name."
            )
        return optimizer
    if not isinstance(optimizer, str):
        raise KerasnnTypeError(
            f"`optimizer` must be one of {', '.join(repr(o) for o in OPTIMIZERS)} "
            "or a keras.optimizers.Optimizer instance. Received: "
            f"optimizer={optimizer!r} (of type {type(optimizer).__name__})."
        )
    name = check_choice("optimizer", optimizer, tuple(OPTIMIZERS))
    cls, default_lr = OPTIMIZERS[name]
    lr = check_float(
        "learning_rate", default_lr if learning_rate is None else learning_rate,
        low=0.0, low_inclusive=False,
    )
    momentum = check_float("momentum", momentum, low=0.0, high=1.0)
    clip = {}
    if clipnorm is not None:
        clip["clipnorm"] = check_float("clipnorm", clipnorm, low=0.0,
                                       low_inclusive=False)
    if clipvalue is not None:
        clip["clipvalue"] = check_float("clipvalue", clipvalue, low=0.0,
                                        low_inclusive=False)
    if name == "sgd":
        return cls(learning_rate=lr, momentum=momentum, nesterov=momentum > 0, **clip)
    if name == "rmsprop":
        return cls(learning_rate=lr, momentum=0.0, **clip)
    return cls(learning_rate=lr, **clip)


def compile_model(model, spec, optimizer):
    """Compiles `model` with the loss and metrics of an `output_spec`."""
    model.compile(optimizer=optimizer, loss=spec["loss"], metrics=spec["metrics"])
    return model
